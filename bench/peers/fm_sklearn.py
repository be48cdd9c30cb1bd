"""scikit-learn peers of the factorization-machine benchmark on one-hot rows: logistic
regression on the origin and destination columns alone (the user + item bias baseline),
LogisticRegression on all columns (the best linear model, fully optimized), and
SGDClassifier with log loss, one pass of mini-batches (the one-pass linear model). Ridge and
SGDRegressor are their regression forms; the task here is binary, so log loss decides.
Prints one JSON object. Run with Debian's /usr/bin/python3 (python3-sklearn)."""
import json
import sys
import time

import numpy as np
import sklearn
from sklearn.datasets import load_svmlight_file
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.metrics import log_loss, roc_auc_score


def scored(name, seconds, model, xt, yt, note):
    p = np.clip(model.predict_proba(xt)[:, 1], 1e-7, 1 - 1e-7)
    return {"implementation": name, "seconds": seconds, "logLoss": float(log_loss(yt, p)), "auc": float(roc_auc_score(yt, p)), "note": note}


def main():
    train_path, test_path, features, bias_columns = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    x, y = load_svmlight_file(train_path, n_features=features, dtype=np.float64)
    xt, yt = load_svmlight_file(test_path, n_features=features, dtype=np.float64)
    x, xt = x.tocsr(), xt.tocsr()
    rows = []

    t0 = time.perf_counter()
    bias = LogisticRegression(max_iter=500).fit(x[:, :bias_columns], y)
    rows.append(scored("scikit-learn LogisticRegression, origin + destination only (bias baseline)", time.perf_counter() - t0,
                       bias, xt[:, :bias_columns], yt, "lbfgs, C = 1"))

    t0 = time.perf_counter()
    full = LogisticRegression(max_iter=500).fit(x, y)
    rows.append(scored("scikit-learn LogisticRegression, all one-hot columns (best linear model)", time.perf_counter() - t0,
                       full, xt, yt, f"lbfgs to convergence ({int(full.n_iter_[0])} iterations), C = 1"))

    t0 = time.perf_counter()
    sgd = SGDClassifier(loss="log_loss", random_state=0)
    for start in range(0, x.shape[0], 1000):
        sgd.partial_fit(x[start:start + 1000], y[start:start + 1000], classes=np.array([0.0, 1.0]))
    rows.append(scored("scikit-learn SGDClassifier (log loss), one pass", time.perf_counter() - t0, sgd, xt, yt, "partial_fit on batches of 1,000"))

    print(json.dumps({"sklearn": sklearn.__version__, "rows": rows}))


if __name__ == "__main__":
    main()
