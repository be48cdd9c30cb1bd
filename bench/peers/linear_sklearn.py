"""scikit-learn peers of the linear-learner benchmark: SGDClassifier (one epoch of
partial_fit) and LogisticRegression (full optimization). Prints one JSON object.
Run with Debian's /usr/bin/python3 (python3-sklearn)."""
import json
import resource
import sys
import time

import numpy as np
from sklearn.datasets import load_svmlight_file
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.metrics import roc_auc_score
from sklearn.preprocessing import StandardScaler


def main():
    train_path, test_path, fmt, features, which = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5].split(",")
    repeats = int(sys.argv[6]) if len(sys.argv) > 6 else 1  # the median of this many runs is reported
    t0 = time.perf_counter()
    if fmt == "csv":
        train = np.loadtxt(train_path, delimiter=",", dtype=np.float32)
        test = np.loadtxt(test_path, delimiter=",", dtype=np.float32)
        x, y, xt, yt = train[:, 1:], train[:, 0], test[:, 1:], test[:, 0]
    else:
        x, y = load_svmlight_file(train_path, n_features=features, dtype=np.float32)
        xt, yt = load_svmlight_file(test_path, n_features=features, dtype=np.float32)
    load_seconds = time.perf_counter() - t0
    rows = []
    dense = fmt == "csv"
    if "sgd" in which:
        runs = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            # The same scaling as the linear learner's default: statistics from the first 10,000 rows.
            scaler = StandardScaler(with_mean=dense).fit(x[:10000])
            xs = scaler.transform(x)
            model = SGDClassifier(loss="log_loss", random_state=0)
            model.partial_fit(xs, y, classes=np.array([0.0, 1.0]))
            runs.append(time.perf_counter() - t0)
        seconds = sorted(runs)[len(runs) // 2]
        auc = roc_auc_score(yt, model.decision_function(scaler.transform(xt)))
        rows.append({"implementation": "scikit-learn SGDClassifier (1 epoch partial_fit)", "seconds": seconds, "auc": auc})
    if "logreg" in which:
        t0 = time.perf_counter()
        scaler = StandardScaler(with_mean=dense).fit(x)
        model = LogisticRegression(C=1.0, max_iter=1000)
        model.fit(scaler.transform(x), y)
        seconds = time.perf_counter() - t0
        auc = roc_auc_score(yt, model.decision_function(scaler.transform(xt)))
        rows.append({"implementation": "scikit-learn LogisticRegression (lbfgs, to convergence)", "seconds": seconds, "auc": auc})
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"load_seconds": load_seconds, "rows": rows, "peak_rss_mb": peak, "sklearn": __import__("sklearn").__version__}))


main()
