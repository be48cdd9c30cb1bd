"""scikit-learn peers of the factorization-machine benchmark on one-hot rows. Prints one JSON object.
Run with Debian's /usr/bin/python3 (python3-sklearn).

binary (late by 15+ minutes; log loss decides): logistic regression on the origin and destination
columns alone (the user + item bias baseline), LogisticRegression on all columns (the best linear
model, fully optimized) and SGDClassifier with log loss, one pass of mini-batches.
regression (delay in minutes; RMSE decides): Ridge on origin and destination alone (the bias
baseline), Ridge on all columns (the best linear model) and SGDRegressor, one pass."""
import json
import sys
import time

import numpy as np
import sklearn
from sklearn.datasets import load_svmlight_file
from sklearn.linear_model import LogisticRegression, Ridge, SGDClassifier, SGDRegressor
from sklearn.metrics import log_loss, mean_squared_error, roc_auc_score


def scored(name, seconds, model, xt, yt, note, regression):
    if regression:
        return {"implementation": name, "seconds": seconds, "rmse": float(np.sqrt(mean_squared_error(yt, model.predict(xt)))), "note": note}
    p = np.clip(model.predict_proba(xt)[:, 1], 1e-7, 1 - 1e-7)
    return {"implementation": name, "seconds": seconds, "logLoss": float(log_loss(yt, p)), "auc": float(roc_auc_score(yt, p)), "note": note}


def timed(make, x, y):
    t0 = time.perf_counter()
    model = make().fit(x, y)
    return model, time.perf_counter() - t0


def one_pass(model, x, y, **first):
    t0 = time.perf_counter()
    for start in range(0, x.shape[0], 1000):
        model.partial_fit(x[start:start + 1000], y[start:start + 1000], **(first if start == 0 else {}))
    return model, time.perf_counter() - t0


def main():
    train_path, test_path, features, bias_columns, task = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
    x, y = load_svmlight_file(train_path, n_features=features, dtype=np.float64)
    xt, yt = load_svmlight_file(test_path, n_features=features, dtype=np.float64)
    x, xt = x.tocsr(), xt.tocsr()
    regression = task == "regression"
    rows = []
    if regression:
        bias, seconds = timed(lambda: Ridge(alpha=1.0, solver="sparse_cg"), x[:, :bias_columns], y)
        rows.append(scored("scikit-learn Ridge, origin + destination only (bias baseline)", seconds, bias, xt[:, :bias_columns], yt, "alpha 1, sparse_cg", True))
        full, seconds = timed(lambda: Ridge(alpha=1.0, solver="sparse_cg"), x, y)
        rows.append(scored("scikit-learn Ridge, all one-hot columns (best linear model)", seconds, full, xt, yt, "alpha 1, sparse_cg", True))
        sgd, seconds = one_pass(SGDRegressor(random_state=0), x, y)
        rows.append(scored("scikit-learn SGDRegressor, one pass", seconds, sgd, xt, yt, "partial_fit on batches of 1,000", True))
    else:
        bias, seconds = timed(lambda: LogisticRegression(max_iter=500), x[:, :bias_columns], y)
        rows.append(scored("scikit-learn LogisticRegression, origin + destination only (bias baseline)", seconds, bias, xt[:, :bias_columns], yt, "lbfgs, C = 1", False))
        full, seconds = timed(lambda: LogisticRegression(max_iter=500), x, y)
        rows.append(scored("scikit-learn LogisticRegression, all one-hot columns (best linear model)", seconds, full, xt, yt,
                           f"lbfgs to convergence ({int(full.n_iter_[0])} iterations), C = 1", False))
        sgd, seconds = one_pass(SGDClassifier(loss="log_loss", random_state=0), x, y, classes=np.array([0.0, 1.0]))
        rows.append(scored("scikit-learn SGDClassifier (log loss), one pass", seconds, sgd, xt, yt, "partial_fit on batches of 1,000", False))
    print(json.dumps({"sklearn": sklearn.__version__, "rows": rows}))


if __name__ == "__main__":
    main()
