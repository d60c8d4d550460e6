"""Gradient-flow probes: Jacobians against finite differences, the singular-value bound, per-step norms."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rnnlib import numerical_gradient_array, rel_error, rnn_forward, rnn_state_gradients
from rnnlib.gradients import (
    derivative_bound,
    gradient_norms,
    jacobian_norm_curve,
    jacobian_norm_curves,
    jacobian_products,
    jacobians_by_backprop,
    largest_singular_value,
    norm_bound,
    power_norms,
    recurrent_matrix,
    spectral_norms,
    spectral_radius,
    step_jacobians,
)

ACTS = ["tanh", "relu", "sigmoid", "linear"]


def problem(rng, N=2, T=5, D=3, H=4, scale=0.6, activation="tanh"):
    x = rng.standard_normal((N, T, D))
    h0 = rng.standard_normal((N, H))
    W_xh = scale * rng.standard_normal((D, H))
    W_hh = scale * rng.standard_normal((H, H))
    b_h = rng.standard_normal(H) + (0.05 if activation == "relu" else 0.0)
    return x, h0, W_xh, W_hh, b_h


def numerical_state_jacobian(x, h_start, W_xh, W_hh, b_h, activation, mask=None):
    """d(last state)/d(h_start) of rnn_forward started from h_start, by centred differences: (N, H, H)."""
    N, H = h_start.shape
    J = np.zeros((N, H, H))
    h = h_start.copy()
    for i in range(H):
        dout = np.zeros((N, x.shape[1], H))
        dout[:, -1, i] = 1.0
        J[:, i, :] = numerical_gradient_array(lambda: rnn_forward(x, h, W_xh, W_hh, b_h, mask, activation)[0], h, dout)
    return J


def rnn_deltas(dhs, cache):
    return rnn_state_gradients(dhs, cache)


# ---------------------------------------------------------------- small quantities


def test_derivative_bounds():
    assert [derivative_bound(a) for a in ("tanh", "sigmoid", "relu", "linear")] == [1.0, 0.25, 1.0, 1.0]
    with pytest.raises(ValueError, match=r"activation must be one of .*; got 'softsign'"):
        derivative_bound("softsign")


@pytest.mark.parametrize("activation", ACTS)
def test_derivative_bound_is_the_maximum_of_the_derivative(activation):
    a = np.linspace(-6, 6, 120001)
    h = {"tanh": np.tanh(a), "sigmoid": 1 / (1 + np.exp(-a)), "relu": np.maximum(a, 0), "linear": a}[activation]
    fprime = np.gradient(h, a)
    assert fprime.max() == pytest.approx(derivative_bound(activation), abs=1e-3)


def test_singular_value_and_spectral_radius_differ_for_a_non_normal_matrix():
    W = np.array([[0.5, 10.0], [0.0, 0.5]])
    assert spectral_radius(W) == pytest.approx(0.5, abs=1e-12)
    assert largest_singular_value(W) == pytest.approx(np.sqrt(np.linalg.eigvalsh(W.T @ W).max()), rel=1e-12)
    assert largest_singular_value(W) > 10
    assert largest_singular_value(np.diag([0.3, -2.0])) == pytest.approx(2.0)
    assert spectral_radius(np.array([[0.0, -1.5], [1.5, 0.0]])) == pytest.approx(1.5)  # complex eigenvalues


def test_matrix_errors():
    with pytest.raises(ValueError, match=r"W must be a square matrix of shape \(H, H\); got shape \(2, 3\)"):
        largest_singular_value(np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"W must be a square matrix of shape \(H, H\); got shape \(4,\)"):
        spectral_radius(np.zeros(4))
    with pytest.raises(TypeError, match="W must be a floating-point array"):
        spectral_radius(np.eye(2, dtype=int))


@pytest.mark.parametrize("scale", [0.3, 1.0, 2.5])
def test_recurrent_matrix_orthogonal_has_every_singular_value_equal_to_scale(rng, scale):
    W = recurrent_matrix(6, scale, rng)
    np.testing.assert_allclose(np.linalg.svd(W, compute_uv=False), scale, rtol=1e-12)
    np.testing.assert_allclose(W @ W.T, scale**2 * np.eye(6), atol=1e-12)
    assert spectral_radius(W) == pytest.approx(scale, rel=1e-10)


def test_recurrent_matrix_gaussian_has_sigma_max_equal_to_scale_and_a_smaller_radius(rng):
    W = recurrent_matrix(32, 1.5, rng, kind="gaussian")
    assert largest_singular_value(W) == pytest.approx(1.5, rel=1e-12)
    assert spectral_radius(W) < 1.0  # about half of sigma_max for a large Gaussian matrix


def test_recurrent_matrix_is_reproducible_and_validates():
    a = recurrent_matrix(4, 1.0, np.random.default_rng(3))
    b = recurrent_matrix(4, 1.0, np.random.default_rng(3))
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, recurrent_matrix(4, 1.0, np.random.default_rng(4)))
    with pytest.raises(ValueError, match=r"kind must be one of \['orthogonal', 'gaussian'\]; got 'uniform'"):
        recurrent_matrix(4, 1.0, np.random.default_rng(0), kind="uniform")
    with pytest.raises(ValueError, match="scale must be a positive finite number; got 0"):
        recurrent_matrix(4, 0, np.random.default_rng(0))
    with pytest.raises(TypeError, match="rng must be a numpy Generator"):
        recurrent_matrix(4, 1.0, 0)
    with pytest.raises(ValueError, match="hidden_size must be a positive int; got 0"):
        recurrent_matrix(0, 1.0, np.random.default_rng(0))


def test_norm_bound_values():
    assert norm_bound(0.9, 20) == pytest.approx(0.9**20)
    assert norm_bound(2.0, 3, "sigmoid") == pytest.approx(0.125)
    np.testing.assert_allclose(norm_bound(1.5, np.arange(4), "relu"), [1, 1.5, 2.25, 3.375])
    np.testing.assert_allclose(norm_bound(np.array([0.5, 2.0]), 2), [0.25, 4.0])
    assert norm_bound(0.0, 0) == 1.0  # no steps back: the identity


def test_norm_bound_errors():
    with pytest.raises(ValueError, match=r"steps must be a non-negative int or integer array \(steps = T - t\)"):
        norm_bound(0.9, 2.5)
    with pytest.raises(ValueError, match="steps must be a non-negative int"):
        norm_bound(0.9, np.array([1, -1]))
    with pytest.raises(ValueError, match="sigma_max must be a non-negative finite number; got -1"):
        norm_bound(-1, 3)
    with pytest.raises(ValueError, match="activation must be one of"):
        norm_bound(0.9, 3, "gelu")


# ---------------------------------------------------------------- Jacobians


def test_step_jacobian_pinned_scalar():
    # h_1 = tanh(0.5 + 0.8 * 0.2) = tanh(0.66); dh_1/dh_0 = (1 - h_1^2) * 0.8
    x = np.array([[[0.5]]])
    hs, _ = rnn_forward(x, np.array([[0.2]]), np.array([[1.0]]), np.array([[0.8]]), np.array([0.0]))
    J = step_jacobians(hs, np.array([[0.8]]))
    assert J.shape == (1, 1, 1, 1)
    assert J[0, 0, 0, 0] == pytest.approx((1 - np.tanh(0.66) ** 2) * 0.8, abs=1e-15)


def test_step_jacobian_uses_the_transpose_of_W_hh():
    # h_t = h_{t-1} W_hh (linear): unit j of h_{t-1} feeds unit i of h_t through W_hh[j, i]
    W = np.array([[0.0, 2.0], [0.0, 0.0]])
    hs = np.zeros((1, 1, 2))
    J = step_jacobians(hs, W, "linear")[0, 0]
    np.testing.assert_array_equal(J, W.T)
    assert J[1, 0] == 2.0  # dh_{t,1}/dh_{t-1,0}


@pytest.mark.parametrize("activation", ACTS)
def test_step_jacobians_match_finite_differences(rng, activation):
    x, h0, W_xh, W_hh, b_h = problem(rng, activation=activation)
    hs, _ = rnn_forward(x, h0, W_xh, W_hh, b_h, activation=activation)
    J = step_jacobians(hs, W_hh, activation)
    assert J.shape == (2, 5, 4, 4)
    for s in range(5):
        h_prev = h0 if s == 0 else hs[:, s - 1]
        num = numerical_state_jacobian(x[:, s : s + 1], h_prev, W_xh, W_hh, b_h, activation)
        assert rel_error(num, J[:, s]) < 1e-7, s


@pytest.mark.parametrize("activation", ACTS)
def test_jacobian_products_match_finite_differences(rng, activation):
    # sigmoid' <= 1/4 shrinks the products; larger weights keep them well above the finite-difference noise
    x, h0, W_xh, W_hh, b_h = problem(rng, activation=activation, scale=2.0 if activation == "sigmoid" else 0.6)
    hs, _ = rnn_forward(x, h0, W_xh, W_hh, b_h, activation=activation)
    J = step_jacobians(hs, W_hh, activation)
    P = jacobian_products(J)
    T = x.shape[1]
    np.testing.assert_array_equal(P[:, -1], np.broadcast_to(np.eye(4), (2, 4, 4)))
    for s in range(T - 1):  # dh_T/dh_t: restart the recurrence from h_t = hs[:, s] on the remaining inputs
        num = numerical_state_jacobian(x[:, s + 1 :], hs[:, s].copy(), W_xh, W_hh, b_h, activation)
        assert rel_error(num, P[:, s]) < 1e-7, s
    # and back to h_0, as the docstring says: dh_T/dh_0 = P[:, 0] @ J_1
    num = numerical_state_jacobian(x, h0, W_xh, W_hh, b_h, activation)
    assert rel_error(num, P[:, 0] @ J[:, 0]) < 1e-7


def test_jacobian_products_of_a_linear_rnn_are_matrix_powers(rng):
    W = 0.7 * rng.standard_normal((3, 3))
    hs, _ = rnn_forward(
        rng.standard_normal((1, 6, 2)),
        np.zeros((1, 3)),
        rng.standard_normal((2, 3)),
        W,
        np.zeros(3),
        activation="linear",
    )
    P = jacobian_products(step_jacobians(hs, W, "linear"))
    for s in range(6):
        np.testing.assert_allclose(P[0, s], np.linalg.matrix_power(W.T, 5 - s), atol=1e-12)


@pytest.mark.parametrize("activation", ACTS)
def test_jacobians_by_backprop_agree_with_the_product_formula(rng, activation):
    x, h0, W_xh, W_hh, b_h = problem(rng, N=3, T=6, activation=activation)
    hs, cache = rnn_forward(x, h0, W_xh, W_hh, b_h, activation=activation)
    P_formula = jacobian_products(step_jacobians(hs, W_hh, activation))
    P_backprop = jacobians_by_backprop(rnn_deltas, hs, cache)
    assert P_backprop.shape == (3, 6, 4, 4)
    assert rel_error(P_formula, P_backprop) < 1e-12


def test_jacobians_by_backprop_follow_a_mask(rng):
    x, h0, W_xh, W_hh, b_h = problem(rng, N=2, T=4)
    mask = np.array([[1, 1, 1, 1], [1, 1, 0, 0]], bool)  # row 1: h_T = h_2, copied through the padding
    hs, cache = rnn_forward(x, h0, W_xh, W_hh, b_h, mask)
    P = jacobians_by_backprop(rnn_deltas, hs, cache)
    np.testing.assert_allclose(P[1, 1], np.eye(4), atol=1e-15)  # dh_T/dh_2 = I: nothing happens after step 2
    for s in range(3):
        num = numerical_state_jacobian(x[:, s + 1 :], hs[:, s].copy(), W_xh, W_hh, b_h, "tanh", mask[:, s + 1 :])
        assert rel_error(num, P[:, s]) < 1e-7, s


def test_jacobians_by_backprop_work_for_lstm_and_gru(rng):
    # the probe chapter 6 uses: dh_T/dh_t through any backward pass that reports its deltas
    from rnnlib.gru import gru_forward, gru_state_gradients
    from rnnlib.lstm import lstm_forward, lstm_gates, lstm_state_gradients

    N, T, D, H = 2, 5, 3, 4
    x, h0 = rng.standard_normal((N, T, D)), rng.standard_normal((N, H))
    lstm = (
        0.5 * rng.standard_normal((D, 4 * H)),
        0.5 * rng.standard_normal((H, 4 * H)),
        0.1 * rng.standard_normal(4 * H),
    )
    gru = (
        *(0.5 * rng.standard_normal(shape) for shape in ((D, 3 * H), (H, 3 * H))),
        0.1 * rng.standard_normal(3 * H),
        0.1 * rng.standard_normal(H),
    )

    def tail_jacobian(forward, s, h):  # d(last state)/d(h_s) by finite differences, restarting from h_s
        J = np.zeros((N, H, H))
        for i in range(H):
            dout = np.zeros((N, T - s - 1, H))
            dout[:, -1, i] = 1.0
            J[:, i, :] = numerical_gradient_array(lambda: forward(h), h, dout)
        return J

    hs, cache = lstm_forward(x, h0, *lstm)
    P = jacobians_by_backprop(lstm_state_gradients, hs, cache)
    cs = lstm_gates(cache)["c"]
    for s in range(T - 1):  # the cell state c_s is held fixed: restart from (h_s, c_s) and nudge h_s only
        J = tail_jacobian(lambda h, s=s: lstm_forward(x[:, s + 1 :], h, *lstm, c0=cs[:, s])[0], s, hs[:, s].copy())
        assert rel_error(J, P[:, s]) < 1e-7, ("lstm", s)

    hs, cache = gru_forward(x, h0, *gru)
    P = jacobians_by_backprop(gru_state_gradients, hs, cache)
    for s in range(T - 1):
        J = tail_jacobian(lambda h, s=s: gru_forward(x[:, s + 1 :], h, *gru)[0], s, hs[:, s].copy())
        assert rel_error(J, P[:, s]) < 1e-7, ("gru", s)


def test_jacobians_with_one_step_and_one_sequence(rng):
    x, h0, W_xh, W_hh, b_h = problem(rng, N=1, T=1)
    hs, cache = rnn_forward(x, h0, W_xh, W_hh, b_h)
    P = jacobian_products(step_jacobians(hs, W_hh))
    np.testing.assert_array_equal(P, np.eye(4)[None, None])
    np.testing.assert_array_equal(jacobians_by_backprop(rnn_deltas, hs, cache), P)


def test_jacobian_errors(rng):
    with pytest.raises(ValueError, match=r"W_hh must have shape \(H=3, H=3\)"):
        step_jacobians(np.zeros((1, 2, 3)), np.zeros((4, 4)))
    with pytest.raises(ValueError, match=r"jacobians must have 4 dimensions, shape \(N, T, H, H\); got 3"):
        jacobian_products(np.zeros((2, 3, 3)))
    with pytest.raises(ValueError, match=r"jacobians must have shape \(N, T, H, H\); got \(1, 2, 3, 4\)"):
        jacobian_products(np.zeros((1, 2, 3, 4)))
    with pytest.raises(TypeError, match="backward must be a function backward"):
        jacobians_by_backprop("rnn_backward", np.zeros((1, 2, 3)), {})
    with pytest.raises(ValueError, match=r"hs must have 3 dimensions, shape \(N, T, H\)"):
        jacobians_by_backprop(rnn_deltas, np.zeros((2, 3)), {})
    with pytest.raises(ValueError, match=r"backward must return deltas of shape \(1, 2, 3\) like hs; got \(1, 3\)"):
        jacobians_by_backprop(lambda dhs, c: dhs[:, 0], np.zeros((1, 2, 3)), {})


def test_spectral_norms(rng):
    M = rng.standard_normal((2, 3, 4, 4))
    expected = np.linalg.svd(M, compute_uv=False)[..., 0]
    np.testing.assert_allclose(spectral_norms(M), expected, rtol=1e-12)
    assert spectral_norms(np.diag([3.0, -5.0])) == pytest.approx(5.0)
    with pytest.raises(ValueError, match=r"matrices must have shape \(..., H, H\); got \(3,\)"):
        spectral_norms(np.ones(3))


# ---------------------------------------------------------------- the bound


@settings(max_examples=30, deadline=None)
@given(
    seed=st.integers(0, 2**16),
    scale=st.floats(0.2, 3.0),
    activation=st.sampled_from(ACTS),
    T=st.integers(1, 12),
)
def test_every_jacobian_norm_is_under_the_singular_value_bound(seed, scale, activation, T):
    rng = np.random.default_rng(seed)
    H = 5
    W = scale * rng.standard_normal((H, H)) / np.sqrt(H)
    hs, _ = rnn_forward(
        rng.standard_normal((3, T, 2)),
        rng.standard_normal((3, H)),
        rng.standard_normal((2, H)),
        W,
        rng.standard_normal(H),
        activation=activation,
    )
    norms = spectral_norms(jacobian_products(step_jacobians(hs, W, activation)))  # (N, T)
    bound = norm_bound(largest_singular_value(W), T - 1 - np.arange(T), activation)
    assert (norms <= bound * (1 + 1e-9)).all()


def test_linear_orthogonal_case_meets_the_bound_exactly():
    c = jacobian_norm_curve(1.1, 30, np.random.default_rng(0), activation="linear")
    np.testing.assert_allclose(c["norm"], 1.1 ** (30 - np.arange(1, 31)), rtol=1e-10)
    np.testing.assert_allclose(c["bound"], c["norm"], rtol=1e-10)
    assert c["sigma_max"] == pytest.approx(1.1) and c["spectral_radius"] == pytest.approx(1.1)


def test_tanh_stays_strictly_under_the_bound_and_vanishes_below_one():
    c = jacobian_norm_curve(0.9, 40, np.random.default_rng(0), activation="tanh")
    assert c["norm"][-1] == pytest.approx(1.0)
    assert (c["norm"][:-1] < c["bound"][:-1]).all()
    assert c["norm"][0] < 0.9**39  # faster than the bound: tanh' < 1 off zero
    assert np.all(np.diff(c["norm"]) > 0)  # further back, smaller


def test_sigmoid_vanishes_even_with_a_large_weight_scale():
    c = jacobian_norm_curve(3.0, 30, np.random.default_rng(0), activation="sigmoid")
    np.testing.assert_allclose(c["bound"], 0.75 ** (30 - c["t"]))
    assert c["norm"][0] < 0.75**29


def test_tanh_can_explode_above_one():
    c = jacobian_norm_curve(3.0, 40, np.random.default_rng(0), activation="tanh")
    assert c["norm"][0] > 1e3  # explosion is possible...
    assert c["norm"][0] < c["bound"][0] * 1e-10  # ...but far below the worst case


def test_jacobian_norm_curve_shapes_and_one_step():
    c = jacobian_norm_curve(0.5, 1, np.random.default_rng(0), hidden_size=3, batch_size=1)
    assert set(c) == {"t", "norm", "bound", "sigma_max", "spectral_radius"}
    np.testing.assert_array_equal(c["t"], [1])
    np.testing.assert_allclose(c["norm"], [1.0])
    np.testing.assert_allclose(c["bound"], [1.0])


def test_jacobian_norm_curves_change_only_the_scale():
    curves = jacobian_norm_curves((0.5, 2.0), 10, seed=1, activation="linear", hidden_size=4)
    assert list(curves) == [0.5, 2.0]
    np.testing.assert_allclose(curves[2.0]["norm"], 2.0 ** (10 - np.arange(1, 11)), rtol=1e-10)
    again = jacobian_norm_curves((0.5,), 10, seed=1, activation="linear", hidden_size=4)
    np.testing.assert_array_equal(again[0.5]["norm"], curves[0.5]["norm"])
    tanh = jacobian_norm_curves((0.5,), 10, seed=1, hidden_size=4)
    assert not np.allclose(tanh[0.5]["norm"], curves[0.5]["norm"])


def test_jacobian_norm_curves_by_activation_measures_each_activation_on_the_same_network():
    from rnnlib.gradients import jacobian_norm_curves_by_activation

    both = jacobian_norm_curves_by_activation((0.5, 2.0), ("linear", "tanh"), 10, seed=1, hidden_size=4)
    assert list(both) == ["linear", "tanh"] and list(both["tanh"]) == [0.5, 2.0]
    for act in ("linear", "tanh"):
        alone = jacobian_norm_curves((0.5, 2.0), 10, seed=1, activation=act, hidden_size=4)
        for scale in (0.5, 2.0):
            np.testing.assert_array_equal(both[act][scale]["norm"], alone[scale]["norm"])
    one = jacobian_norm_curves_by_activation((1.5,), "relu", 6, kind="gaussian")
    assert list(one) == ["relu"] and one["relu"][1.5]["spectral_radius"] != 1.5  # a Gaussian W_hh
    with pytest.raises(ValueError, match="activation must name at least one activation"):
        jacobian_norm_curves_by_activation((1.0,), (), 5)


def test_jacobian_norm_curve_errors():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="T must be a positive int; got 0"):
        jacobian_norm_curve(1.0, 0, rng)
    with pytest.raises(ValueError, match="input_scale must be a non-negative finite number; got -1"):
        jacobian_norm_curve(1.0, 5, rng, input_scale=-1)
    with pytest.raises(ValueError, match="activation must be one of"):
        jacobian_norm_curve(1.0, 5, rng, activation="swish")
    with pytest.raises(TypeError, match="seed must be a non-negative int; got float"):
        jacobian_norm_curves((1.0,), 5, seed=0.5)
    with pytest.raises(ValueError, match="seed must be a non-negative int; got -1"):
        jacobian_norm_curves((1.0,), 5, seed=-1)
    with pytest.raises(TypeError, match=r"scales must be a non-empty sequence of numbers, e.g. \(0.5, 1.5\); got list"):
        jacobian_norm_curves([], 5)


# ---------------------------------------------------------------- per-step gradient norms of a real backward pass


def test_gradient_norms_pinned():
    deltas = np.zeros((2, 3, 2))
    deltas[0, :, 0] = [3.0, 0.0, 1.0]
    deltas[0, :, 1] = [4.0, 0.0, 0.0]
    deltas[1, :, 0] = [1.0, 2.0, 3.0]
    np.testing.assert_allclose(gradient_norms(deltas), [3.0, 1.0, 2.0])
    mask = np.array([[1, 1, 1], [1, 0, 0]], bool)
    np.testing.assert_allclose(gradient_norms(deltas, mask), [3.0, 0.0, 1.0])
    out = gradient_norms(deltas, np.array([[1, 0, 0], [1, 0, 0]], bool))
    assert out[0] == 3.0 and np.isnan(out[1:]).all()  # no sequence reaches steps 2 and 3


def test_gradient_norms_of_the_last_step_loss_follow_the_jacobians(rng):
    # L = h_T . g: then dL/dh_t = g (dh_T/dh_t), the row vector times the Jacobian product
    x, h0, W_xh, W_hh, b_h = problem(rng, N=3, T=7)
    hs, cache = rnn_forward(x, h0, W_xh, W_hh, b_h)
    g = rng.standard_normal((3, 4))
    dhs = np.zeros_like(hs)
    dhs[:, -1] = g
    deltas = rnn_deltas(dhs, cache)
    P = jacobian_products(step_jacobians(hs, W_hh))
    np.testing.assert_allclose(deltas, np.einsum("ni,ntij->ntj", g, P), atol=1e-13)
    np.testing.assert_allclose(gradient_norms(deltas), np.linalg.norm(np.einsum("ni,ntij->ntj", g, P), axis=-1).mean(0))


def test_gradient_norms_errors():
    with pytest.raises(ValueError, match=r"deltas must have 3 dimensions, shape \(N, T, H\)"):
        gradient_norms(np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"mask must have shape \(N=2, T=3\)"):
        gradient_norms(np.zeros((2, 3, 4)), np.ones((2, 4), bool))


# ---------------------------------------------------------------- gated cells (chapter 6)


def _lstm_case(T=6, N=2, D=2, H=3, seed=3):
    from rnnlib.lstm import lstm_forward

    r = np.random.default_rng(seed)
    x = r.standard_normal((N, T, D))
    W_x, W_h = 0.7 * r.standard_normal((D, 4 * H)), 0.7 * r.standard_normal((H, 4 * H))
    b = 0.3 * r.standard_normal(4 * H)
    v = r.standard_normal((N, T, H))  # L = sum_t h_t . v_t
    h0, c0 = np.zeros((N, H)), 0.5 * r.standard_normal((N, H))
    hs, cache = lstm_forward(x, h0, W_x, W_h, b, c0=c0)
    return x, W_x, W_h, b, v, hs, cache


def test_cell_state_gradients_match_lstm_backward_at_the_start():
    from rnnlib.gradients import cell_state_gradients
    from rnnlib.lstm import lstm_backward, lstm_state_gradients

    *_, v, hs, cache = _lstm_case()
    out = lstm_backward(v, cache)
    dcs = cell_state_gradients(lstm_state_gradients(v, cache), cache)
    assert dcs.shape == hs.shape
    f_1 = cache["f"][:, 0]  # the forget gate of step 1
    np.testing.assert_allclose(dcs[:, 0] * f_1, out[5], rtol=1e-12, atol=1e-14)  # dL/dc_0 = f_1 * dL/dc_1


@pytest.mark.parametrize("s", [0, 2, 5])
def test_cell_state_gradients_match_finite_differences(s):
    # dL/dc_t by restarting the layer at step t + 1 from (h_t, c_t) and differentiating numerically by c_t
    from rnnlib import numerical_gradient, rel_error
    from rnnlib.gradients import cell_state_gradients
    from rnnlib.lstm import lstm_forward, lstm_state_gradients

    x, W_x, W_h, b, v, hs, cache = _lstm_case()
    dcs = cell_state_gradients(lstm_state_gradients(v, cache), cache)
    c_s = cache["c"][:, s].copy()

    o_s = cache["o"][:, s]  # the output gate of step t, which does not depend on c_t

    def tail_loss():
        h_s = o_s * np.tanh(c_s)  # h_t moves with c_t
        if s == x.shape[1] - 1:
            return float(np.sum(h_s * v[:, s]))
        tail, _ = lstm_forward(x[:, s + 1 :], h_s, W_x, W_h, b, c0=c_s)
        return float(np.sum(tail * v[:, s + 1 :]) + np.sum(h_s * v[:, s]))

    assert rel_error(numerical_gradient(tail_loss, c_s), dcs[:, s]) < 1e-7


def test_cell_state_gradients_read_the_tuned_cache_too():
    # the recurrent layer's LSTM (rnnlib._fast) keeps the same named gates: the same dL/dc_t
    from rnnlib._fast import lstm_forward_fast, lstm_state_gradients_fast
    from rnnlib.gradients import cell_state_gradients
    from rnnlib.lstm import lstm_state_gradients

    x, W_x, W_h, b, v, hs, cache = _lstm_case()
    _, fast = lstm_forward_fast(x, cache["h0"], W_x, W_h, b, c0=cache["c0"])
    expected = cell_state_gradients(lstm_state_gradients(v, cache), cache)
    got = cell_state_gradients(lstm_state_gradients_fast(v, fast), fast)
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-14)


def test_cell_state_gradients_errors():
    from rnnlib.gradients import cell_state_gradients
    from rnnlib.lstm import lstm_forward

    *_, v, hs, cache = _lstm_case()
    with pytest.raises(TypeError, match="cache must be the one returned by lstm_forward; this one has no 'i'"):
        cell_state_gradients(v, {"hs": hs})
    with pytest.raises(ValueError, match=r"deltas must have shape"):
        cell_state_gradients(v[:, :-1], cache)
    x = np.zeros((1, 3, 1))
    _, masked = lstm_forward(
        x, np.zeros((1, 1)), np.zeros((1, 4)), np.zeros((1, 4)), np.zeros(4), np.ones((1, 3), bool)
    )
    with pytest.raises(ValueError, match="does not support masks"):
        cell_state_gradients(np.zeros((1, 3, 1)), masked)


def test_power_norms_pinned_for_a_jordan_block_and_a_rotation():
    A = np.array([[0.9, 1.0], [0.0, 0.9]])
    norms = power_norms(A, 40)
    assert norms.shape == (41,) and norms[0] == 1.0
    for k in (1, 5, 40):  # A^k = [[a^k, k a^(k-1)], [0, a^k]]
        expected = np.array([[0.9**k, k * 0.9 ** (k - 1)], [0.0, 0.9**k]])
        assert norms[k] == pytest.approx(np.linalg.norm(expected, ord=2), rel=1e-12)
    assert norms[9] == pytest.approx(3.9125670759, rel=1e-9)  # the peak of this transient growth
    assert np.all(norms <= largest_singular_value(A) ** np.arange(41) * (1 + 1e-12))  # submultiplicativity
    theta = 0.3
    Q = np.array([[np.cos(theta), np.sin(theta)], [-np.sin(theta), np.cos(theta)]])
    np.testing.assert_allclose(power_norms(1.1 * Q, 5), 1.1 ** np.arange(6), rtol=1e-12)


def test_power_norms_errors():
    with pytest.raises(ValueError, match=r"W must be a square matrix of shape \(H, H\); got shape \(2, 3\)"):
        power_norms(np.zeros((2, 3)), 3)
    with pytest.raises(ValueError, match="steps must be a non-negative int; got int -1"):
        power_norms(np.eye(2), -1)
    with pytest.raises(TypeError, match="steps must be a non-negative int; got float 2.0"):
        power_norms(np.eye(2), 2.0)
    with pytest.raises(TypeError, match="steps must be a non-negative int; got bool True"):
        power_norms(np.eye(2), True)
