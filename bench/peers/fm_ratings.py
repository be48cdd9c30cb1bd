"""Peers of the factorization-machine ratings benchmark (InstEval, spi; one-hot libsvm files).
Prints one JSON object. Run with Debian's /usr/bin/python3 (python3-sklearn).

argv: train.svm test.svm feature_dim users items runs
(the first `users` columns are the user one-hot, the next `items` the item one-hot)."""
import json
import sys
import time

import numpy as np
import sklearn
from sklearn.datasets import load_svmlight_file
from sklearn.linear_model import Ridge, SGDRegressor


def rmse(p, y):
    return float(np.sqrt(np.mean((p - y) ** 2)))


def bias_model(s, d, y, ns, nd, lam):
    """Global mean + user bias + item bias by alternating regularised means."""
    mean = y.mean()
    bs, bd = np.zeros(ns), np.zeros(nd)
    for _ in range(50):
        bs = np.bincount(s, y - mean - bd[d], minlength=ns) / (np.bincount(s, minlength=ns) + lam)
        bd = np.bincount(d, y - mean - bs[s], minlength=nd) / (np.bincount(d, minlength=nd) + lam)
    return lambda s2, d2: mean + bs[s2] + bd[d2]


def als_model(s, d, y, ns, nd, rank, lam, sweeps=10):
    """Global mean + biases + rank-r factors by alternating least squares: each sweep solves every
    user's [factors, bias] exactly given the items', then every item's; λ on both (biased MF)."""
    mean = y.mean()
    rng = np.random.default_rng(0)
    sides = [(s, d, ns), (d, s, nd)]
    vec = [np.hstack([rng.normal(0, 0.1, (n, rank)), np.zeros((n, 1))]) for _, _, n in sides]
    order = [np.argsort(a, kind="stable") for a, _, _ in sides]
    bounds = [np.searchsorted(a[o], np.arange(n + 1)) for (a, _, n), o in zip(sides, order)]
    for _ in range(sweeps):
        for side, (a, b, n) in enumerate(sides):
            other = vec[1 - side]
            z = np.hstack([other[b, :rank], np.ones((len(b), 1))])
            t = y - mean - other[b, rank]
            new = np.zeros((n, rank + 1))
            for e in range(n):
                idx = order[side][bounds[side][e]:bounds[side][e + 1]]
                ze = z[idx]
                new[e] = np.linalg.solve(ze.T @ ze + lam * np.eye(rank + 1), ze.T @ t[idx])
            vec[side] = new
    u, v = vec
    return lambda s2, d2: mean + u[s2, rank] + v[d2, rank] + np.sum(u[s2, :rank] * v[d2, :rank], axis=1)


def median_time(fit, runs):
    times, result = [], None
    for _ in range(runs):
        t0 = time.perf_counter()
        result = fit()
        times.append(time.perf_counter() - t0)
    return result, float(np.median(times)), times


def main():
    train_path, test_path, features, ns, nd, runs = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
    x, y = load_svmlight_file(train_path, n_features=features, dtype=np.float64)
    xt, yt = load_svmlight_file(test_path, n_features=features, dtype=np.float64)
    x, xt = x.tocsr(), xt.tocsr()
    # Student and lecturer of each row: the one non-zero in their column ranges.
    def ids(m):
        s = m[:, :ns].tocsr().indices
        d = m[:, ns:ns + nd].tocsr().indices
        return s, d
    s, d = ids(x)
    st, dt = ids(xt)
    holdout = np.arange(len(y)) % 10 == 0
    fit_rows = ~holdout
    rows = []

    lam = min([1, 3, 10, 30, 100, 300], key=lambda l: rmse(bias_model(s[fit_rows], d[fit_rows], y[fit_rows], ns, nd, l)(s[holdout], d[holdout]), y[holdout]))
    model, seconds, times = median_time(lambda: bias_model(s, d, y, ns, nd, lam), runs)
    rows.append({"implementation": "bias model: global mean + user + item biases", "seconds": seconds, "runs": times,
                 "rmse": rmse(model(st, dt), yt), "note": f"alternating regularised means, λ = {lam} (holdout)"})

    alpha = min([1, 3, 10, 30, 100, 300], key=lambda a: rmse(Ridge(alpha=a, solver="sparse_cg").fit(x[fit_rows], y[fit_rows]).predict(x[holdout]), y[holdout]))
    model, seconds, times = median_time(lambda: Ridge(alpha=alpha, solver="sparse_cg").fit(x, y), runs)
    rows.append({"implementation": "scikit-learn Ridge, all one-hot columns", "seconds": seconds, "runs": times,
                 "rmse": rmse(model.predict(xt), yt), "note": f"alpha {alpha} (holdout), sparse_cg"})

    model, seconds, times = median_time(lambda: Ridge(alpha=alpha, solver="sparse_cg").fit(x[:, :ns + nd], y), runs)
    rows.append({"implementation": "scikit-learn Ridge, user + item columns only", "seconds": seconds, "runs": times,
                 "rmse": rmse(model.predict(xt[:, :ns + nd]), yt), "note": f"alpha {alpha}"})

    grid = [(r, l) for r in [2, 5, 20] for l in [5, 20, 50]]
    rank, lam = min(grid, key=lambda g: rmse(als_model(s[fit_rows], d[fit_rows], y[fit_rows], ns, nd, *g)(s[holdout], d[holdout]), y[holdout]))
    model, seconds, times = median_time(lambda: als_model(s, d, y, ns, nd, rank, lam), 1)
    rows.append({"implementation": "matrix factorization by ALS: mean + user and item biases + rank-r factors", "seconds": seconds, "runs": times,
                 "rmse": rmse(model(st, dt), yt), "note": f"r = {rank}, λ = {lam} (holdout), 10 sweeps"})

    model, seconds, times = median_time(lambda: SGDRegressor(max_iter=10, tol=None, random_state=0).fit(x, y), runs)
    rows.append({"implementation": "scikit-learn SGDRegressor, 10 epochs", "seconds": seconds, "runs": times,
                 "rmse": rmse(model.predict(xt), yt), "note": "defaults otherwise (alpha 1e-4, invscaling)"})
    print(json.dumps({"sklearn": sklearn.__version__, "rows": rows}))


if __name__ == "__main__":
    main()
