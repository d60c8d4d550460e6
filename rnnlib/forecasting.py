"""Forecasting a univariate series: windows split in time, baselines, recursive and direct multi-step forecasts.

Chapter 4 forecasts the monthly Nino 1+2 sea-surface temperature with a small RNN and holds it to
the forecasts an expert would try first.  The pieces here work on a 1-D ``series`` indexed by time
step t = 0, 1, ..., and on *origins*: an origin o is the last step a forecast may read, and a
forecast of horizon k predicts ``series[o + k]``.

- :func:`lagged_windows`: the ``window`` values before each target, for a least-squares fit or an
  RNN (choose the targets from one period only, to keep a later test period out of training);
- :func:`seasonal_naive`: the value one season (12 months) before the target;
- :func:`climatology`: the mean of the fitting period at the target's phase of the season;
- :func:`anomaly_persistence`: climatology plus the origin's departure from its own phase's mean;
- :func:`fit_linear_ar` and :func:`linear_ar_predict`: a linear autoregressive model,
  y_t = series[t - p .. t - 1] . coef + intercept, fitted by least squares;
- :func:`recursive_forecast`: any one-step model run k steps ahead by feeding it its own
  predictions;
- :func:`fit_direct_ar` and :func:`direct_ar_predict`: one linear AR model per horizon, each fitted
  by least squares to predict k steps ahead from observed values only;
- the forecasts' root mean squared error per horizon is :func:`rnnlib.metrics.rmse`.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

from rnnlib._checks import positive_int
from rnnlib._types import Array


def _series(series: object) -> Array:
    s = np.asarray(series, dtype=float)
    if s.ndim != 1 or s.size == 0:
        raise ValueError(f"series must be a non-empty 1-D array of values over time; got shape {s.shape}")
    if not np.all(np.isfinite(s)):
        raise ValueError("series must hold finite values only (no NaN or infinity)")
    return s


def _indices(name: str, idx: object, low: int, high: int, what: str) -> NDArray[np.int64]:
    i = np.asarray(idx)
    if i.ndim != 1 or i.size == 0 or not np.issubdtype(i.dtype, np.integer):
        raise ValueError(f"{name} must be a non-empty 1-D array of integer time steps; got {i!r:.60}")
    if i.min() < low or i.max() > high:
        raise ValueError(f"{name} must lie in [{low}, {high}] ({what}); got values from {i.min()} to {i.max()}")
    return i.astype(np.int64)


def lagged_windows(series: Array, window: int, targets: NDArray[np.integer]) -> tuple[Array, Array]:
    """The ``window`` values before each target step, and the target values.

    Parameters
    ----------
    series : ndarray of shape (T,)
    window : int
        p, how many past values each input holds
    targets : ndarray of shape (N,)
        time steps t to predict, each with p <= t < T

    Returns
    -------
    X : ndarray of shape (N, p)
        row i is ``series[t_i - p : t_i]``, oldest value first
    y : ndarray of shape (N,)
        ``series[t_i]``
    """
    s = _series(series)
    p = positive_int("window", window)
    t = _indices("targets", targets, p, len(s) - 1, "each target needs `window` values before it")
    X = s[t[:, None] - p + np.arange(p)]
    return X, s[t]


def seasonal_naive(series: Array, origins: NDArray[np.integer], horizon: int, season: int = 12) -> Array:
    """Forecast every step by the last value observed at the same phase of the season.

    For horizons up to ``season`` this is the value one season before the target,
    ``series[o + k - season]``; further ahead, whole seasons are repeated.

    Parameters
    ----------
    series : ndarray of shape (T,)
    origins : ndarray of shape (N,)
        the last step each forecast may read, with season - 1 <= o < T
    horizon : int
        K, forecasts for o + 1, ..., o + K
    season : int
        the period, 12 for monthly data

    Returns
    -------
    forecast : ndarray of shape (N, K)
    """
    s = _series(series)
    K, m = positive_int("horizon", horizon), positive_int("season", season)
    o = _indices("origins", origins, m - 1, len(s) - 1, "a full season must be observed")
    k = np.arange(1, K + 1)
    back = m * ((k - 1) // m + 1)  # the smallest whole number of seasons that reaches observed data
    return s[o[:, None] + k - back]


def _phase_means(s: Array, fit_until: int, season: int) -> Array:
    n = positive_int("fit_until", fit_until)
    if not season <= n <= len(s):
        raise ValueError(f"fit_until must be between season = {season} and len(series) = {len(s)}; got {n}")
    return np.array([s[:n][phase::season].mean() for phase in range(season)])


def climatology(series: Array, origins: NDArray[np.integer], horizon: int, fit_until: int, season: int = 12) -> Array:
    """Forecast every step by the mean of ``series[:fit_until]`` at the same phase of the season.

    The phase of step t is t mod season, so for a monthly series that starts in January it
    is the calendar month.

    Parameters
    ----------
    series : ndarray of shape (T,)
    origins : ndarray of shape (N,)
        the last step each forecast may read, 0 <= o < T
    horizon : int
        K, forecasts for o + 1, ..., o + K
    fit_until : int
        the means use steps 0 .. fit_until - 1 only (the training period);
        at least one season of them
    season : int
        the period, 12 for monthly data

    Returns
    -------
    forecast : ndarray of shape (N, K)
    """
    s = _series(series)
    K, m = positive_int("horizon", horizon), positive_int("season", season)
    means = _phase_means(s, fit_until, m)
    o = _indices("origins", origins, 0, len(s) - 1, "steps of the series")
    return means[(o[:, None] + np.arange(1, K + 1)) % m]


def anomaly_persistence(
    series: Array, origins: NDArray[np.integer], horizon: int, fit_until: int, season: int = 12
) -> Array:
    """Forecast the target's climatology plus the origin's departure from its own phase's mean.

    With ``c[phase]`` the mean of ``series[:fit_until]`` at each phase, the forecast of step
    o + k is ``c[(o + k) mod season] + (series[o] - c[o mod season])``: the anomaly observed at
    the origin is assumed to persist, unchanged, at every horizon.

    Parameters
    ----------
    series : ndarray of shape (T,)
    origins : ndarray of shape (N,)
        the last step each forecast may read, 0 <= o < T
    horizon : int
        K, forecasts for o + 1, ..., o + K
    fit_until : int
        the means use steps 0 .. fit_until - 1 only (the training period);
        at least one season of them
    season : int
        the period, 12 for monthly data

    Returns
    -------
    forecast : ndarray of shape (N, K)
    """
    forecast = climatology(series, origins, horizon, fit_until, season)  # checks every argument
    s, o = _series(series), np.asarray(origins)
    anomaly = s[o] - _phase_means(s, fit_until, season)[o % season]
    return forecast + anomaly[:, None]


def fit_linear_ar(X: Array, y: Array) -> tuple[Array, float]:
    """Least-squares fit of a linear autoregressive model, y = X coef + intercept.

    Parameters
    ----------
    X : ndarray of shape (N, p)
        past values, as from :func:`lagged_windows`
    y : ndarray of shape (N,)
        the value that followed each row

    Returns
    -------
    coef : ndarray of shape (p,)
        one weight per lag, in the column order of X (oldest first)
    intercept : float
    """
    X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=float)
    if X.ndim != 2 or y.shape != (X.shape[0],):
        raise ValueError(f"X must have shape (N, p) and y shape (N,); got {X.shape} and {y.shape}")
    if X.shape[0] <= X.shape[1]:
        raise ValueError(f"need more examples than lags to fit p + 1 numbers; got N = {X.shape[0]}, p = {X.shape[1]}")
    A = np.column_stack([X, np.ones(len(X))])
    w = np.linalg.lstsq(A, y, rcond=None)[0]
    return w[:-1], float(w[-1])


def linear_ar_predict(X: Array, coef: Array, intercept: float) -> Array:
    """One-step predictions of a linear autoregressive model, X coef + intercept.

    Parameters
    ----------
    X : ndarray of shape (N, p)
    coef : ndarray of shape (p,)
    intercept : float

    Returns
    -------
    y_hat : ndarray of shape (N,)
    """
    X, coef = np.asarray(X, dtype=float), np.asarray(coef, dtype=float)
    if X.ndim != 2 or coef.shape != (X.shape[1],):
        raise ValueError(f"X must have shape (N, p) and coef shape (p,); got {X.shape} and {coef.shape}")
    return X @ coef + float(intercept)


def recursive_forecast(predict: Callable[[Array], Array], windows: Array, horizon: int) -> Array:
    """Run a one-step model ``horizon`` steps ahead, feeding it its own predictions.

    At each step the model reads the last p values, predicts the next one, and the
    prediction is appended to the window while the oldest value drops out; from the second
    step on, the window holds predictions in place of observations, so the model's errors
    become its inputs.

    Parameters
    ----------
    predict : callable
        ``(N, p) -> (N,)``, the one-step model
    windows : ndarray of shape (N, p)
        the observed values up to each origin, oldest first
    horizon : int
        K

    Returns
    -------
    forecast : ndarray of shape (N, K)
        column k - 1 is the forecast k steps ahead
    """
    w = np.array(windows, dtype=float)  # a copy: the caller's windows stay as they were
    if w.ndim != 2:
        raise ValueError(f"windows must have shape (N, p); got {w.shape}")
    K = positive_int("horizon", horizon)
    out = np.empty((w.shape[0], K))
    for k in range(K):
        y_hat = np.asarray(predict(w), dtype=float)
        if y_hat.shape != (w.shape[0],):
            raise ValueError(f"predict must return shape (N,) = ({w.shape[0]},); got {y_hat.shape}")
        out[:, k] = y_hat
        w = np.column_stack([w[:, 1:], y_hat])
    return out


def fit_direct_ar(series: Array, window: int, horizon: int, fit_until: int) -> tuple[Array, Array]:
    """Fit one linear AR model per horizon k = 1..K, each predicting ``series[o + k]`` from observed values.

    The model for horizon k is ``series[o + k] ~ series[o - p + 1 .. o] . coef[k - 1] + intercept[k - 1]``,
    fitted by least squares (:func:`fit_linear_ar`) on every origin whose window and target lie
    before ``fit_until``. Unlike :func:`recursive_forecast`, no model ever reads a prediction.
    The model for k = 1 is the one-step model of :func:`fit_linear_ar`.

    Parameters
    ----------
    series : ndarray of shape (T,)
    window : int
        p, how many past values each forecast reads
    horizon : int
        K, one model for each of 1, ..., K steps ahead
    fit_until : int
        targets (and so windows) use steps 0 .. fit_until - 1 only

    Returns
    -------
    coef : ndarray of shape (K, p)
        row k - 1 holds the weights of the horizon-k model, oldest lag first
    intercept : ndarray of shape (K,)
    """
    s = _series(series)
    p, K = positive_int("window", window), positive_int("horizon", horizon)
    n = positive_int("fit_until", fit_until)
    if n > len(s):
        raise ValueError(f"fit_until must be at most len(series) = {len(s)}; got {n}")
    coef, intercept = np.empty((K, p)), np.empty(K)
    for k in range(1, K + 1):
        origins = np.arange(p - 1, n - k)  # the window ends at o, the target is o + k < fit_until
        if len(origins) <= p:
            raise ValueError(
                f"need more than window = {p} origins for horizon {k} before fit_until = {n}; got {len(origins)}"
            )
        X = s[origins[:, None] - p + 1 + np.arange(p)]
        coef[k - 1], intercept[k - 1] = fit_linear_ar(X, s[origins + k])
    return coef, intercept


def direct_ar_predict(windows: Array, coef: Array, intercept: Array) -> Array:
    """Forecasts of the direct AR models of :func:`fit_direct_ar`, every horizon from the observed window.

    Parameters
    ----------
    windows : ndarray of shape (N, p)
        the observed values up to each origin, oldest first
    coef : ndarray of shape (K, p)
    intercept : ndarray of shape (K,)

    Returns
    -------
    forecast : ndarray of shape (N, K)
        column k - 1 is the forecast k steps ahead
    """
    w, c = np.asarray(windows, dtype=float), np.asarray(coef, dtype=float)
    b = np.asarray(intercept, dtype=float)
    if w.ndim != 2 or c.ndim != 2 or c.shape[1] != w.shape[1] or b.shape != (c.shape[0],):
        raise ValueError(
            f"windows must have shape (N, p), coef (K, p) and intercept (K,); got {w.shape}, {c.shape} and {b.shape}"
        )
    return w @ c.T + b
