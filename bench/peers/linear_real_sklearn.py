"""scikit-learn peers of the real-data linear-learner benchmark (bench/linear-learner-real.ts):
one epoch of SGDClassifier / SGDRegressor through partial_fit, as a user would run them, with
the load of the training file timed apart. Prints one JSON object (last line of stdout).
Run with Debian's /usr/bin/python3 (python3-sklearn; python3-pandas for the CSV sets).

argv: train test format(svm|csv) n_features task(binary|multiclass|regression) repeats

- Loading: load_svmlight_file for libsvm (scipy CSR, float64 as a user gets it by default),
  pandas.read_csv (C engine) for CSV, label in the first column; numpy.loadtxt when pandas is
  not importable. The test file is loaded once, untimed.
- Fitting: each model twice, as the scikit-learn guide recommends (StandardScaler fitted on the
  whole training set, with_mean=False for sparse input) and on the features as they are (one-hot
  and word-count columns need no scaling, and on them it helps: scaling by 1/std inflates rare
  columns); then ONE partial_fit call on the whole training set: one epoch. shuffle=False, so SGD sees the
  rows in the order the stream gives them to boundless (the flights file is in time order).
- Timed: the load, and scaling + partial_fit, each the median of `repeats` runs in this process.
"""
import json
import resource
import sys
import time

started = time.perf_counter()
import numpy as np  # noqa: E402
import sklearn  # noqa: E402
from sklearn.datasets import load_svmlight_file  # noqa: E402
from sklearn.linear_model import SGDClassifier, SGDRegressor  # noqa: E402
from sklearn.metrics import accuracy_score, mean_squared_error, roc_auc_score  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

import_seconds = time.perf_counter() - started

try:
    import pandas as pd
except ImportError:  # pragma: no cover - reported in the output
    pd = None


def load(path, fmt, n_features):
    if fmt == "svm":
        return load_svmlight_file(path, n_features=n_features)
    if pd is not None:
        frame = pd.read_csv(path, header=None, dtype=np.float64, engine="c").to_numpy()
    else:
        frame = np.loadtxt(path, delimiter=",", dtype=np.float64)
    return frame[:, 1:], frame[:, 0]


def median(values):
    values = sorted(values)
    return values[len(values) // 2]


def main():
    train_path, test_path, fmt, n_features, task, repeats = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5], int(sys.argv[6])
    dense = fmt == "csv"
    load_runs = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        x, y = load(train_path, fmt, n_features)
        load_runs.append(time.perf_counter() - t0)
    xt, yt = load(test_path, fmt, n_features)
    classes = np.unique(y)
    if task == "regression":
        makers = [
            ("scikit-learn SGDRegressor, defaults", lambda: SGDRegressor(shuffle=False, random_state=0)),
            ("scikit-learn SGDRegressor, average=True", lambda: SGDRegressor(average=True, shuffle=False, random_state=0)),
        ]
    else:
        makers = [
            ("scikit-learn SGDClassifier(loss='log_loss')", lambda: SGDClassifier(loss="log_loss", shuffle=False, random_state=0)),
            ("scikit-learn SGDClassifier(loss='log_loss', average=True)", lambda: SGDClassifier(loss="log_loss", average=True, shuffle=False, random_state=0)),
        ]
    rows = []
    for (name, make), scaled in [(maker, scaled) for maker in makers for scaled in (True, False)]:
        runs = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            scaler = StandardScaler(with_mean=dense).fit(x) if scaled else None
            xs = scaler.transform(x) if scaled else x
            model = make()
            if task == "regression":
                model.partial_fit(xs, y)
            else:
                model.partial_fit(xs, y, classes=classes)
            runs.append(time.perf_counter() - t0)
        xts = scaler.transform(xt) if scaled else xt
        label = f"{name}, {'StandardScaler' if scaled else 'unscaled'}"
        row = {"implementation": label, "load_seconds": median(load_runs), "fit_seconds": median(runs), "runs": repeats}
        if task == "binary":
            row["auc"] = roc_auc_score(yt, model.decision_function(xts))
            row["accuracy"] = accuracy_score(yt, model.predict(xts))
        elif task == "multiclass":
            row["accuracy"] = accuracy_score(yt, model.predict(xts))
        else:
            row["rmse"] = float(np.sqrt(mean_squared_error(yt, model.predict(xts))))
        rows.append(row)
    print(json.dumps({
        "sklearn": sklearn.__version__, "loader": "load_svmlight_file" if fmt == "svm" else (f"pandas {pd.__version__} read_csv" if pd is not None else "numpy.loadtxt"),
        "import_seconds": import_seconds, "load_runs": load_runs, "rows": rows,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }))


main()
