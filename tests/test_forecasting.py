"""Forecasting helpers: windows, baselines, linear AR, recursive and direct multi-step forecasts."""

import numpy as np
import pytest

from rnnlib.forecasting import (
    anomaly_persistence,
    climatology,
    direct_ar_predict,
    fit_direct_ar,
    fit_linear_ar,
    lagged_windows,
    linear_ar_predict,
    recursive_forecast,
    seasonal_naive,
)

SERIES = np.arange(30.0)  # value = time step: every forecast's expected value is easy to read off


def test_lagged_windows_pinned():
    X, y = lagged_windows(SERIES, 3, np.array([3, 10, 29]))
    np.testing.assert_array_equal(X, [[0, 1, 2], [7, 8, 9], [26, 27, 28]])
    np.testing.assert_array_equal(y, [3, 10, 29])


def test_seasonal_naive_pinned():
    # season 4: horizons 1..4 look back one season, 5..8 two seasons
    f = seasonal_naive(SERIES, np.array([5, 20]), horizon=6, season=4)
    np.testing.assert_array_equal(f[0], [2, 3, 4, 5, 2, 3])
    np.testing.assert_array_equal(f[1], [17, 18, 19, 20, 17, 18])


def test_seasonal_naive_never_reads_past_the_origin(rng):
    s = rng.standard_normal(60)
    o = np.arange(11, 50)
    f = seasonal_naive(s, o, 24)
    s_future_changed = s.copy()
    s_future_changed[12:] += 100.0  # every step after origin 11 changes
    f_changed = seasonal_naive(s_future_changed, o[:1], 24)
    np.testing.assert_array_equal(f[:1], f_changed)


def test_climatology_pinned():
    s = np.tile([1.0, 2.0, 3.0], 4)  # phases 0, 1, 2 have means 1, 2, 3
    s[9:] = 100.0  # after fit_until: must not enter the means
    f = climatology(s, np.array([0, 4]), horizon=4, fit_until=9, season=3)
    np.testing.assert_array_equal(f, [[2, 3, 1, 2], [3, 1, 2, 3]])


def test_anomaly_persistence_pinned():
    s = np.tile([1.0, 2.0, 3.0], 4)  # phases 0, 1, 2 have means 1, 2, 3 over the first 6 steps
    s[9:] = 100.0  # after fit_until: must not enter the means
    s[7] = 2.5  # phase 1, half a unit above its mean
    f = anomaly_persistence(s, np.array([7, 9]), horizon=4, fit_until=6, season=3)
    np.testing.assert_array_equal(f[0], [3.5, 1.5, 2.5, 3.5])  # climatology of o + k, plus 0.5
    np.testing.assert_array_equal(f[1], [2 + 99, 3 + 99, 1 + 99, 2 + 99])  # step 9 is phase 0: 100 - 1


def test_anomaly_persistence_with_zero_anomaly_is_climatology(rng):
    s = rng.standard_normal(48)
    clim = climatology(s, np.arange(48), 5, fit_until=36)
    means = np.array([s[:36][ph::12].mean() for ph in range(12)])
    s[40] = means[40 % 12]  # no departure at origin 40
    f = anomaly_persistence(s, np.array([40]), 5, fit_until=36)
    np.testing.assert_allclose(f[0], clim[40], rtol=1e-14)


def test_direct_ar_first_horizon_is_the_one_step_fit(rng):
    s = rng.standard_normal(80)
    coef, b = fit_direct_ar(s, 3, horizon=4, fit_until=70)
    c1, b1 = fit_linear_ar(*lagged_windows(s, 3, np.arange(3, 70)))
    assert coef.shape == (4, 3) and b.shape == (4,)
    np.testing.assert_allclose(coef[0], c1, rtol=1e-10)
    assert b[0] == pytest.approx(b1, rel=1e-10)


def test_direct_ar_recovers_k_step_coefficients_of_a_known_model():
    # s_t = 0.5 s_{t-1} + 1 exactly (noise-free): k steps ahead, s_{o+k} = 0.5^k s_o + 2 (1 - 0.5^k),
    # so the direct fits recover 0.5^k and 2 (1 - 0.5^k)
    s = np.empty(40)
    s[0] = 10.0
    for t in range(1, 40):
        s[t] = 0.5 * s[t - 1] + 1.0
    coef, b = fit_direct_ar(s, 1, horizon=3, fit_until=30)
    np.testing.assert_allclose(coef[:, 0], [0.5, 0.25, 0.125], rtol=1e-6)
    np.testing.assert_allclose(b, [1.0, 1.5, 1.75], rtol=1e-6)


def test_direct_ar_uses_nothing_after_fit_until(rng):
    s = rng.standard_normal(60)
    coef, b = fit_direct_ar(s, 4, horizon=3, fit_until=45)
    s2 = s.copy()
    s2[45:] += 100.0
    coef2, b2 = fit_direct_ar(s2, 4, horizon=3, fit_until=45)
    np.testing.assert_array_equal(coef, coef2)
    np.testing.assert_array_equal(b, b2)


def test_direct_ar_predict_pinned():
    windows = np.array([[1.0, 2.0], [0.0, -1.0]])
    coef = np.array([[0.5, 1.0], [0.0, 2.0], [1.0, 0.0]])
    f = direct_ar_predict(windows, coef, np.array([0.0, 1.0, -1.0]))
    np.testing.assert_array_equal(f, [[2.5, 5.0, 0.0], [-1.0, -1.0, -1.0]])


def test_linear_ar_recovers_a_known_model(rng):
    coef = np.array([0.2, -0.5, 0.9])
    s = np.zeros(400)
    s[:3] = rng.standard_normal(3)
    for t in range(3, 400):  # noise-free: least squares must find the coefficients exactly
        s[t] = s[t - 3 : t] @ coef + 0.1
    s = s[:60]
    X, y = lagged_windows(s, 3, np.arange(3, 60))
    c, b = fit_linear_ar(X, y)
    np.testing.assert_allclose(c, coef, atol=1e-8)
    assert b == pytest.approx(0.1, abs=1e-8)
    np.testing.assert_allclose(linear_ar_predict(X, c, b), y, atol=1e-8)


def test_recursive_forecast_feeds_its_own_predictions():
    # a model that adds 1 to the last value: k steps ahead gives last + k
    windows = np.array([[0.0, 1.0, 2.0], [5.0, 5.0, 7.0]])
    f = recursive_forecast(lambda w: w[:, -1] + 1, windows, 4)
    np.testing.assert_array_equal(f, [[3, 4, 5, 6], [8, 9, 10, 11]])
    np.testing.assert_array_equal(windows, [[0.0, 1.0, 2.0], [5.0, 5.0, 7.0]])  # unchanged


def test_recursive_forecast_of_linear_ar_equals_the_ar_recursion(rng):
    coef, b = np.array([0.3, 0.6]), 0.05
    w = rng.standard_normal((4, 2))
    f = recursive_forecast(lambda x: linear_ar_predict(x, coef, b), w, 3)
    y1 = w @ coef + b
    y2 = np.column_stack([w[:, 1], y1]) @ coef + b
    y3 = np.column_stack([y1, y2]) @ coef + b
    np.testing.assert_allclose(f, np.column_stack([y1, y2, y3]), rtol=1e-14)


@pytest.mark.parametrize(
    "call, exc, message",
    [
        (lambda: lagged_windows(np.zeros((3, 2)), 2, np.array([2])), ValueError, "1-D"),
        (lambda: lagged_windows(SERIES, 3, np.array([2])), ValueError, "window"),
        (lambda: lagged_windows(SERIES, 0, np.array([5])), ValueError, "positive"),
        (lambda: lagged_windows(SERIES, 3, np.array([4.0])), ValueError, "integer"),
        (lambda: lagged_windows(np.array([1.0, np.nan, 2.0, 3.0]), 1, np.array([2])), ValueError, "finite"),
        (lambda: seasonal_naive(SERIES, np.array([5]), 3), ValueError, "season"),
        (lambda: seasonal_naive(SERIES, np.array([29]), 0), ValueError, "positive"),
        (lambda: climatology(SERIES, np.array([3]), 2, fit_until=5), ValueError, "fit_until"),
        (lambda: fit_linear_ar(np.zeros((3, 3)), np.zeros(3)), ValueError, "more examples"),
        (lambda: fit_linear_ar(np.zeros((5, 2)), np.zeros(4)), ValueError, "shape"),
        (lambda: linear_ar_predict(np.zeros((5, 2)), np.zeros(3), 0.0), ValueError, "coef"),
        (lambda: recursive_forecast(lambda w: w, np.zeros((2, 3)), 2), ValueError, "predict must return"),
        (lambda: recursive_forecast(lambda w: w[:, 0], np.zeros(3), 2), ValueError, "windows"),
        (lambda: anomaly_persistence(SERIES, np.array([3]), 2, fit_until=5), ValueError, "fit_until"),
        (lambda: anomaly_persistence(SERIES, np.array([30]), 2, fit_until=24), ValueError, "origins"),
        (lambda: fit_direct_ar(SERIES, 3, 2, fit_until=31), ValueError, "fit_until"),
        (lambda: fit_direct_ar(SERIES, 3, 20, fit_until=24), ValueError, "need more than window"),
        (lambda: direct_ar_predict(np.zeros((2, 3)), np.zeros((4, 2)), np.zeros(4)), ValueError, "coef"),
        (lambda: direct_ar_predict(np.zeros((2, 3)), np.zeros((4, 3)), np.zeros(3)), ValueError, "intercept"),
    ],
)
def test_bad_input(call, exc, message):
    with pytest.raises(exc, match=message):
        call()
