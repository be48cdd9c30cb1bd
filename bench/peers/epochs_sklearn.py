"""scikit-learn peer of the epochs benchmark: the data loaded into memory once, then
SGDClassifier for a number of epochs (max_iter, tol=None: exactly that many), the
same standard scaling the linear learner applies by default. Whole-process timing is
the caller's; this prints the load and fit seconds and the training log loss.
Run with Debian's /usr/bin/python3 (python3-sklearn)."""
import json
import sys
import time

import numpy as np
from sklearn.datasets import load_svmlight_file
from sklearn.linear_model import SGDClassifier
from sklearn.metrics import log_loss
from sklearn.preprocessing import StandardScaler


def main():
    path, fmt, features, epochs = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    t0 = time.perf_counter()
    if fmt == "csv":
        data = np.loadtxt(path, delimiter=",", dtype=np.float32)
        x, y = data[:, 1:], data[:, 0]
    else:
        x, y = load_svmlight_file(path, n_features=features, dtype=np.float32)
    load_seconds = time.perf_counter() - t0
    t0 = time.perf_counter()
    scaler = StandardScaler(with_mean=fmt == "csv").fit(x[:10000])
    xs = scaler.transform(x)
    model = SGDClassifier(loss="log_loss", max_iter=epochs, tol=None, random_state=0).fit(xs, y)
    fit_seconds = time.perf_counter() - t0
    loss = log_loss(y, model.predict_proba(xs))
    print(json.dumps({"load_seconds": load_seconds, "fit_seconds": fit_seconds, "train_log_loss": loss}))


main()
