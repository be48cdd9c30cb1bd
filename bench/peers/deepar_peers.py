"""Peers of the DeepAR benchmark (bench/deepar.ts): two classical forecasters, one series at a
time, scored with SageMaker DeepAR's own test metrics. Run with Debian's /usr/bin/python3
(numpy, scipy; numba when present for the ETS recursion).

  deepar_peers.py --data DIR --prediction-length P --seasonality M [--methods seasonal-naive,ets]
                  [--ets auto|statsmodels|own]

DIR holds SageMaker DeepAR JSON Lines (bench/deepar-data.ts): test.json (whole series) and
train.json (the same series without their last P points; checked). Each method forecasts the last
P points of every test series from the points before them, and prints one JSON object:
{"method", "RMSE", "ND", "mean_wQuantileLoss", "wQuantileLoss[0.1]" ... "[0.9]", "seconds", ...}.
seconds = fitting and forecasting every series (reading the files, imports and numba's one-off
compilation excluded). One thread: OMP_NUM_THREADS, OPENBLAS_NUM_THREADS, MKL_NUM_THREADS = 1.

Metrics, as SageMaker DeepAR defines them, over all (series, horizon step) pairs together, the
pairs where the true value is missing (null) left out of every sum:
  RMSE = sqrt(mean (y - mean forecast)^2); ND = sum |y - median forecast| / sum |y|;
  wQuantileLoss[tau] = 2 sum [tau max(y - q_tau, 0) + (1 - tau) max(q_tau - y, 0)] / sum |y|,
  tau = 0.1 ... 0.9; mean_wQuantileLoss = their mean.

Missing values in the history (null): both methods see it linearly interpolated (before the
first observed value: that value; after the last: the last); seasonal naive's residuals use only
pairs of observed values.

seasonal-naive: the point forecast repeats the last season (step h: the value M·ceil(h/M) steps
before it); it is both the mean and the median. Quantiles: the point forecast plus the empirical
distribution of the in-sample errors of that same rule (y_t - y_{t - M·k}, k = ceil(h/M): the
errors of forecasting k seasons ahead), shifted so its median is 0 (so q_0.5 = the point forecast
and wQuantileLoss[0.5] = ND).

ets: ETS(A,Ad,A) — additive errors, damped additive trend, additive seasonality of period M —
when the history holds at least two seasons (else ETS(A,Ad,N)), fitted by maximum likelihood
with the initial states estimated too, under the usual bounds (0 < beta < alpha < 1,
0 < gamma < 1 - alpha, 0.8 <= phi <= 0.98); forecast mean and Gaussian quantiles from the exact
h-step variance sigma^2 (1 + sum_{j<h} c_j^2), c_j = alpha + beta (phi + ... + phi^j) +
gamma [j mod M = 0], sigma^2 = in-sample SSE / n. With statsmodels installed (--ets auto or
statsmodels) that is statsmodels' ETSModel(error="add", trend="add", damped_trend=True,
seasonal="add").fit() and get_prediction (method "exact"); without it (--ets auto or own) the
same model, bounds, likelihood and intervals are computed here (a scipy L-BFGS-B fit of the
innovations recursion), and "implementation" says which ran.
"""
import argparse
import json
import math
import os
import sys
import time

for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

import numpy as np  # noqa: E402
from scipy.optimize import minimize  # noqa: E402
from scipy.stats import norm  # noqa: E402

try:
    from numba import njit  # noqa: E402
    HAVE_NUMBA = True
except ImportError:  # the recursion then runs in plain Python (slow on long series)
    HAVE_NUMBA = False

    def njit(*args, **kwargs):
        return args[0] if args and callable(args[0]) else (lambda f: f)

QUANTILES = [round(0.1 * i, 1) for i in range(1, 10)]


# ------------------------------------------------------------------------------------------
# Data


def read_series(path):
    """A JSON Lines file's targets as float arrays, NaN where null."""
    out = []
    with open(path, encoding="utf8") as f:
        for line in f:
            if line.strip():
                target = json.loads(line)["target"]
                out.append(np.array([math.nan if v is None or v == "NaN" else float(v) for v in target], dtype=np.float64))
    return out


def interpolate(y):
    """Missing values linearly interpolated; flat before the first and after the last observation."""
    observed = ~np.isnan(y)
    if observed.all():
        return y
    if not observed.any():
        return np.zeros_like(y)
    index = np.arange(len(y))
    return np.interp(index, index[observed], y[observed])


# ------------------------------------------------------------------------------------------
# Metrics


def metrics(y, mean, median, quantiles):
    """SageMaker DeepAR's test metrics; arrays of shape (series, horizon), NaN in y = missing."""
    keep = ~np.isnan(y)
    y, mean, median = y[keep], mean[keep], median[keep]
    scale = np.abs(y).sum()
    out = {"RMSE": float(np.sqrt(np.mean((y - mean) ** 2))), "ND": float(np.abs(y - median).sum() / scale)}
    losses = []
    for tau in QUANTILES:
        q = quantiles[tau][keep]
        loss = 2 * np.sum(tau * np.maximum(y - q, 0) + (1 - tau) * np.maximum(q - y, 0)) / scale
        losses.append(float(loss))
    out["mean_wQuantileLoss"] = float(np.mean(losses))
    for tau, loss in zip(QUANTILES, losses):
        out[f"wQuantileLoss[{tau}]"] = loss
    return out


# ------------------------------------------------------------------------------------------
# Seasonal naive


def seasonal_naive(raw, horizon, period):
    """Mean, median and quantiles (dict tau -> array) of one series' next `horizon` points."""
    history = interpolate(raw)
    m = period if len(history) >= period else 1
    steps = np.arange(1, horizon + 1)
    seasons = np.ceil(steps / m).astype(int)
    point = history[len(history) - 1 + steps - m * seasons]  # the value k seasons before each step
    quantiles = {tau: point.copy() for tau in QUANTILES}
    for k in np.unique(seasons):
        errors = raw[m * k:] - raw[:-m * k] if len(raw) > m * k else np.array([])
        errors = errors[~np.isnan(errors)]
        if errors.size == 0:
            continue
        centre = np.quantile(errors, 0.5)
        for tau in QUANTILES:
            quantiles[tau][seasons == k] += np.quantile(errors, tau) - centre
    return point, point, quantiles


# ------------------------------------------------------------------------------------------
# ETS(A,Ad,A) / ETS(A,Ad,N)


@njit(cache=False)
def ets_filter(z, alpha, beta, gamma, phi, level, trend, seasonal, m, use_season):
    """The innovations recursion; returns the SSE and the final states (seasonal: circular, slot t % m is time t's)."""
    s = seasonal.copy()
    sse = 0.0
    for t in range(z.shape[0]):
        season = s[t % m] if use_season else 0.0
        error = z[t] - (level + phi * trend + season)
        sse += error * error
        level = level + phi * trend + alpha * error
        trend = phi * trend + beta * error
        if use_season:
            s[t % m] = season + gamma * error
    return sse, level, trend, s


def unpack(theta, m, use_season):
    alpha, beta_star, gamma_star, phi, level, trend = theta[:6]
    beta = alpha * beta_star
    gamma = (1 - alpha) * gamma_star if use_season else 0.0
    seasonal = np.zeros(max(m, 1))
    if use_season:
        seasonal[: m - 1] = theta[6:]
        seasonal[m - 1] = -np.sum(theta[6:])  # the initial seasonal terms sum to 0 (the level takes the rest)
    return alpha, beta, gamma, phi, level, trend, seasonal


def start_values(z, m, use_season):
    """statsmodels' starting smoothing values (alpha 0.1, beta 0.01, gamma 0.01, phi 0.98, as alpha, beta*, gamma*,
    phi); initial states from the first two seasons (level: the first season's mean; trend: the change of the mean per
    step; seasonal: the first season's deviations)."""
    smoothing = [0.1, 0.1, 0.01 / 0.9, 0.98]
    if use_season:
        first, second = z[:m].mean(), z[m:2 * m].mean()
        seasonal = z[:m] - first
        return np.concatenate([smoothing, [first, (second - first) / m], (seasonal - seasonal.mean())[: m - 1]])
    return np.array(smoothing[:2] + [0.0, smoothing[3], z[0], z[1] - z[0] if len(z) > 1 else 0.0])


def ets_own(raw, horizon, period):
    history = interpolate(raw)
    n = len(history)
    use_season = period > 1 and n >= 2 * period
    m = period if use_season else 1
    scale = float(np.mean(np.abs(history))) or 1.0  # fitted on y / scale: the optimiser sees numbers near 1
    z = history / scale
    eps = 1e-4
    bounds = [(eps, 1 - eps), (eps, 1 - eps), (eps, 1 - eps) if use_season else (0.0, 0.0), (0.8, 0.98), (None, None), (None, None)]
    bounds += [(None, None)] * (m - 1 if use_season else 0)

    def objective(theta):
        alpha, beta, gamma, phi, level, trend, seasonal = unpack(theta, m, use_season)
        sse = ets_filter(z, alpha, beta, gamma, phi, level, trend, seasonal, m, use_season)[0]
        return math.log(max(sse, 1e-300))  # the concentrated likelihood is -n/2 log(SSE/n) + const

    theta0 = np.clip(start_values(z, m, use_season), [b[0] if b[0] is not None else -np.inf for b in bounds],
                     [b[1] if b[1] is not None else np.inf for b in bounds])
    fit = minimize(objective, theta0, method="L-BFGS-B", bounds=bounds)
    alpha, beta, gamma, phi, level, trend, seasonal = unpack(fit.x, m, use_season)
    sse, level, trend, s = ets_filter(z, alpha, beta, gamma, phi, level, trend, seasonal, m, use_season)
    sigma2 = sse / n
    steps = np.arange(1, horizon + 1)
    damped = np.cumsum(phi ** steps)  # phi + ... + phi^h
    season = np.array([s[(n - 1 + h) % m] for h in steps]) if use_season else np.zeros(horizon)
    mean = level + damped * trend + season
    c = alpha + beta * damped + (gamma * ((steps % m) == 0) if use_season else 0.0)  # c_j, j = 1 .. horizon
    variance = sigma2 * (1 + np.concatenate([[0.0], np.cumsum(c[:-1] ** 2)]))
    return mean * scale, np.sqrt(variance) * scale, {"model": "AAdA" if use_season else "AAdN", "alpha": float(alpha), "beta": float(beta),
                                                     "gamma": float(gamma), "phi": float(phi), "converged": bool(fit.success)}


def ets_statsmodels(raw, horizon, period):
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel
    history = interpolate(raw)
    n = len(history)
    use_season = period > 1 and n >= 2 * period
    import pandas as pd
    # statsmodels 0.13's get_prediction needs an indexed series (a bare array fails in PredictionResults).
    model = ETSModel(pd.Series(history, index=pd.RangeIndex(n)), error="add", trend="add", damped_trend=True,
                     seasonal="add" if use_season else None, seasonal_periods=period if use_season else None)
    fit = model.fit(disp=False)
    prediction = fit.get_prediction(start=n, end=n + horizon - 1)
    params = dict(zip(fit.param_names, np.asarray(fit.params)))
    info = {"model": "AAdA" if use_season else "AAdN", "alpha": float(params.get("smoothing_level", math.nan)),
            "beta": float(params.get("smoothing_trend", math.nan)), "gamma": float(params.get("smoothing_seasonal", 0.0)),
            "phi": float(params.get("damping_trend", math.nan)), "converged": bool(fit.mle_retvals.get("converged", True)) if isinstance(fit.mle_retvals, dict) else True}
    return np.asarray(prediction.predicted_mean), np.sqrt(np.asarray(prediction.forecast_variance)), info


def ets(fitter):
    def forecast(raw, horizon, period):
        mean, sd, info = fitter(raw, horizon, period)
        quantiles = {tau: mean + norm.ppf(tau) * sd for tau in QUANTILES}
        return mean, mean, quantiles, info
    return forecast


# ------------------------------------------------------------------------------------------


def ets_implementation(choice):
    if choice in ("auto", "statsmodels"):
        try:
            import statsmodels
            return ets_statsmodels, f"statsmodels {statsmodels.__version__} ETSModel"
        except ImportError:
            if choice == "statsmodels":
                raise
    return ets_own, "own ETS (numpy/scipy" + (" + numba" if HAVE_NUMBA else "") + "; statsmodels is not installed)"


def run_method(method, histories, actual, horizon, period, ets_choice):
    if method == "seasonal-naive":
        forecaster, implementation = (lambda raw, h, m: (*seasonal_naive(raw, h, m), None)), "numpy seasonal naive"
    elif method == "ets":
        fitter, implementation = ets_implementation(ets_choice)
        forecaster = ets(fitter)
        if fitter is ets_own:  # compile the recursion before the clock starts
            ets_own(np.arange(4 * period + 4, dtype=np.float64), 2, period)
    else:
        raise SystemExit(f"unknown method {method!r}")
    t0 = time.perf_counter()
    results = [forecaster(h, horizon, period) for h in histories]
    seconds = time.perf_counter() - t0
    mean = np.array([r[0] for r in results])
    median = np.array([r[1] for r in results])
    quantiles = {tau: np.array([r[2][tau] for r in results]) for tau in QUANTILES}
    out = {"method": method, **metrics(actual, mean, median, quantiles), "seconds": seconds, "implementation": implementation}
    infos = [r[3] for r in results if r[3] is not None]
    if infos:
        out["models"] = {k: sum(1 for i in infos if i["model"] == k) for k in sorted({i["model"] for i in infos})}
        out["not_converged"] = sum(1 for i in infos if not i["converged"])
        out["median_params"] = {k: float(np.median([i[k] for i in infos])) for k in ("alpha", "beta", "gamma", "phi")}
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", required=True, help="folder with train.json and test.json")
    parser.add_argument("--prediction-length", type=int, required=True)
    parser.add_argument("--seasonality", type=int, required=True)
    parser.add_argument("--methods", default="seasonal-naive,ets")
    parser.add_argument("--ets", default="auto", choices=["auto", "statsmodels", "own"])
    args = parser.parse_args()
    P = args.prediction_length
    test = read_series(os.path.join(args.data, "test.json"))
    train = read_series(os.path.join(args.data, "train.json"))
    if len(train) != len(test) or any(len(a) != len(b) - P or not np.array_equal(a, b[:-P], equal_nan=True) for a, b in zip(train, test)):
        raise SystemExit(f"{args.data}: train.json is not test.json without the last {P} points of each series")
    histories = [s[:-P] for s in test]
    actual = np.array([s[-P:] for s in test])
    common = {"series": len(test), "scored_points": int((~np.isnan(actual)).sum()),
              "history_missing": int(sum(np.isnan(h).sum() for h in histories)),
              "python": sys.version.split()[0], "numpy": np.__version__}
    for method in args.methods.split(","):
        print(json.dumps({**run_method(method, histories, actual, P, args.seasonality, args.ets), **common}), flush=True)


if __name__ == "__main__":
    main()
