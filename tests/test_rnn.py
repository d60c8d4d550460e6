"""The vanilla RNN: pinned values, BPTT against finite differences, masks, errors."""

import numpy as np
import pytest

from rnnlib import (
    check_layer_gradients,
    numerical_gradient,
    rel_error,
    rnn_backward,
    rnn_forward,
    rnn_state_gradients,
    rnn_step_backward,
    rnn_step_forward,
)
from rnnlib._fast import rnn_backward_fast, rnn_forward_fast, rnn_state_gradients_fast

ACTS = ["tanh", "relu", "sigmoid", "linear"]


def problem(rng, N=3, T=4, D=5, H=6, scale=0.5):
    return (
        rng.standard_normal((N, T, D)),
        rng.standard_normal((N, H)),
        scale * rng.standard_normal((D, H)),
        scale * rng.standard_normal((H, H)),
        rng.standard_normal(H),
    )


def test_step_pinned_scalar():
    # a = 1*0.5 + 0.5*(-1) + 0.1 = 0.1, h = tanh(0.1)
    h, _ = rnn_step_forward(
        np.array([[1.0]]), np.array([[0.5]]), np.array([[0.5]]), np.array([[-1.0]]), np.array([0.1])
    )
    assert h[0, 0] == pytest.approx(0.09966799462495582, abs=1e-15)


def test_sequence_pinned_three_steps():
    # the scalar three-word review of chapter 2: x = 1, 2, 3; w_x = 0.5, w_h = -1, b = 0.1
    x = np.array([[[1.0], [2.0], [3.0]]])
    hs, _ = rnn_forward(x, np.zeros((1, 1)), np.array([[0.5]]), np.array([[-1.0]]), np.array([0.1]))
    h1 = np.tanh(0.5 + 0.1)
    h2 = np.tanh(1.0 - h1 + 0.1)
    h3 = np.tanh(1.5 - h2 + 0.1)
    np.testing.assert_allclose(hs[0, :, 0], [h1, h2, h3], rtol=0, atol=1e-15)
    assert hs[0, :, 0] == pytest.approx([0.5370495669980353, 0.5101632506598711, 0.7968185523743572], abs=1e-12)


def test_sequence_equals_repeated_steps(rng):
    x, h0, Wx, Wh, b = problem(rng)
    hs, _ = rnn_forward(x, h0, Wx, Wh, b)
    h = h0
    for t in range(x.shape[1]):
        h, _ = rnn_step_forward(x[:, t], h, Wx, Wh, b)
        np.testing.assert_allclose(hs[:, t], h, atol=1e-14)


@pytest.mark.parametrize("activation", ACTS)
def test_step_gradients(rng, activation):
    x, h, Wx, Wh, b = problem(rng, T=1)
    x = x[:, 0]
    out, cache = rnn_step_forward(x, h, Wx, Wh, b, activation)
    dh = rng.standard_normal(out.shape)
    grads = rnn_step_backward(dh, cache)
    check_layer_gradients(lambda: rnn_step_forward(x, h, Wx, Wh, b, activation)[0], [x, h, Wx, Wh, b], list(grads), dh)


MASKS = {
    "none": None,
    "partial": np.array([[1, 1, 1, 1], [1, 1, 0, 0], [1, 0, 0, 0]], bool),
    "one fully padded": np.array([[1, 1, 1, 1], [0, 0, 0, 0], [1, 1, 1, 0]], bool),
}


@pytest.mark.parametrize("activation", ACTS)
@pytest.mark.parametrize("mask_name", list(MASKS))
def test_bptt_gradients(rng, activation, mask_name):
    mask = MASKS[mask_name]
    x, h0, Wx, Wh, b = problem(rng)
    if activation == "relu":
        b = b + 0.05  # keep pre-activations away from the kink where f' jumps
    hs, cache = rnn_forward(x, h0, Wx, Wh, b, mask, activation)
    dhs = rng.standard_normal(hs.shape)
    grads = rnn_backward(dhs, cache)
    names = ("x", "h0", "W_xh", "W_hh", "b_h")
    check_layer_gradients(
        lambda: rnn_forward(x, h0, Wx, Wh, b, mask, activation)[0],
        dict(zip(names, (x, h0, Wx, Wh, b))),
        dict(zip(names, grads)),
        dhs,
    )


@pytest.mark.parametrize("shape", [(1, 1, 1, 1), (1, 5, 2, 3), (4, 1, 3, 2)])
def test_bptt_edge_shapes(rng, shape):
    N, T, D, H = shape
    x, h0, Wx, Wh, b = problem(rng, N, T, D, H)
    hs, cache = rnn_forward(x, h0, Wx, Wh, b)
    assert hs.shape == (N, T, H)
    dhs = rng.standard_normal(hs.shape)
    grads = rnn_backward(dhs, cache)
    check_layer_gradients(lambda: rnn_forward(x, h0, Wx, Wh, b)[0], [x, h0, Wx, Wh, b], list(grads), dhs)


def test_mask_carries_state_forward(rng):
    x, h0, Wx, Wh, b = problem(rng)
    mask = MASKS["partial"]
    hs, _ = rnn_forward(x, h0, Wx, Wh, b, mask)
    np.testing.assert_array_equal(hs[1, 2], hs[1, 1])
    np.testing.assert_array_equal(hs[2, 3], hs[2, 0])
    # the real steps do not depend on what the padding holds
    x2 = x.copy()
    x2[~mask] = 99.0
    hs2, _ = rnn_forward(x2, h0, Wx, Wh, b, mask)
    np.testing.assert_array_equal(hs, hs2)
    # a fully padded row keeps h0, and its gradient goes straight back to h0
    mask0 = MASKS["one fully padded"]
    hs0, cache = rnn_forward(x, h0, Wx, Wh, b, mask0)
    np.testing.assert_array_equal(hs0[1], np.broadcast_to(h0[1], hs0[1].shape))
    dhs = np.zeros_like(hs0)
    dhs[1, -1] = 1.0
    dx, dh0, *_ = rnn_backward(dhs, cache)
    np.testing.assert_array_equal(dh0[1], np.ones(h0.shape[1]))
    np.testing.assert_array_equal(dx[1], 0)


def test_float32_stays_float32(rng):
    args = [a.astype(np.float32) for a in problem(rng)]
    hs, cache = rnn_forward(*args)
    assert hs.dtype == np.float32
    assert all(g.dtype == np.float32 for g in rnn_backward(np.ones_like(hs), cache))
    # the mask branches and the deltas too
    hs, cache = rnn_forward(*args, MASKS["one fully padded"])
    assert hs.dtype == np.float32
    assert all(g.dtype == np.float32 for g in rnn_backward(np.ones_like(hs), cache))
    assert rnn_state_gradients(np.ones_like(hs), cache).dtype == np.float32


def test_backward_does_not_depend_on_how_hs_is_stored(rng):
    # rnn_forward_fast returns hs as a batch-first view of time-major storage; a cache whose hs is an
    # ordinary C-ordered array (a copy, or one read back from disk) must give the same gradients
    x, h0, Wx, Wh, b = problem(rng)
    hs, cache = rnn_forward_fast(x, h0, Wx, Wh, b, MASKS["partial"])
    assert hs[:, 0].flags.c_contiguous  # time-major: one step of every sequence is one block
    dhs = rng.standard_normal(hs.shape)
    copied = cache | {"hs": np.ascontiguousarray(hs)}
    expected = (*rnn_backward_fast(dhs, cache), rnn_state_gradients_fast(dhs, cache))
    for g, e in zip((*rnn_backward_fast(dhs, copied), rnn_state_gradients_fast(dhs, copied)), expected, strict=True):
        np.testing.assert_allclose(g, e, rtol=1e-13, atol=1e-15)


# The tuned path of rnnlib._fast (used by the Recurrent layer) against the readable one
# that chapter 4 quotes: the states bit for bit, every gradient to 1e-12, with either cache.
@pytest.mark.parametrize("activation", ACTS)
@pytest.mark.parametrize("mask_name", list(MASKS))
@pytest.mark.parametrize("shape", [(3, 4, 5, 6), (1, 9, 1, 16), (2, 1, 3, 2)])
def test_fast_path_equals_readable_path(rng, activation, mask_name, shape):
    N, T, D, H = shape
    x, h0, Wx, Wh, b = problem(rng, N, T, D, H, scale=0.9)
    mask = MASKS[mask_name]
    mask = None if mask is None else np.resize(mask, (N, T))
    hs, cache = rnn_forward(x, h0, Wx, Wh, b, mask, activation)
    hs_fast, cache_fast = rnn_forward_fast(x, h0, Wx, Wh, b, mask, activation)
    assert np.array_equal(hs, hs_fast)
    dhs = rng.standard_normal(hs.shape)
    readable = (*rnn_backward(dhs, cache), rnn_state_gradients(dhs, cache))
    for c in (cache, cache_fast):
        fast = (*rnn_backward_fast(dhs, c), rnn_state_gradients_fast(dhs, c))
        for g, e in zip(fast, readable, strict=True):
            assert g.shape == e.shape and rel_error(g, e) < 1e-12
        for g, e in zip((*rnn_backward(dhs, c), rnn_state_gradients(dhs, c)), readable, strict=True):
            assert rel_error(g, e) < 1e-12


def test_readable_backward_is_a_loop_of_step_backwards(rng):
    # rnn_backward without a mask is rnn_step_backward applied from the last step to the first
    x, h0, Wx, Wh, b = problem(rng)
    hs, cache = rnn_forward(x, h0, Wx, Wh, b)
    dhs = rng.standard_normal(hs.shape)
    dx, dh0, dWx, dWh, db = rnn_backward(dhs, cache)
    steps, h = [], h0
    for t in range(x.shape[1]):
        h, c = rnn_step_forward(x[:, t], h, Wx, Wh, b)
        steps.append(c)
    dh, sums = np.zeros_like(h0), [np.zeros_like(Wx), np.zeros_like(Wh), np.zeros_like(b)]
    for t in reversed(range(x.shape[1])):
        dx_t, dh, *gs = rnn_step_backward(dhs[:, t] + dh, steps[t])
        np.testing.assert_allclose(dx[:, t], dx_t, rtol=1e-13)
        sums = [s + g for s, g in zip(sums, gs)]
    np.testing.assert_allclose(dh0, dh, rtol=1e-13)
    for got, want in zip((dWx, dWh, db), sums):
        np.testing.assert_allclose(got, want, rtol=1e-13)


def test_no_overflow_at_extreme_inputs(rng):
    x, h0, Wx, Wh, b = problem(rng)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        hs, cache = rnn_forward(1e3 * x, h0, Wx, Wh, b)
        grads = rnn_backward(np.ones_like(hs), cache)
    assert np.isfinite(hs).all() and all(np.isfinite(g).all() for g in grads)


@pytest.mark.parametrize(
    "change, exc, message",
    [
        (
            lambda a: a.update(x=a["x"][0]),
            ValueError,
            r"x must have 3 dimensions, shape \(N, T, D\); got 2 dimensions, shape \(4, 5\)",
        ),
        (lambda a: a.update(h0=a["h0"][:2]), ValueError, r"h0 must have shape \(N=3, H\) \(set by x\); got \(2, 6\)"),
        (lambda a: a.update(W_hh=a["W_hh"][:, :5]), ValueError, r"W_hh must have shape \(H=6, H=6\)"),
        (lambda a: a.update(b_h=np.zeros(7)), ValueError, r"b_h must have shape \(H=6,\)"),
        (lambda a: a.update(x=a["x"].astype(int)), TypeError, r"x must be a floating-point array .* got dtype int"),
        (lambda a: a.update(x="abc"), TypeError, r"x must be a floating-point numpy array; got str"),
        (
            lambda a: a["x"].__setitem__((0, 1, 2), np.nan),
            ValueError,
            r"x must be finite; got nan at index \(0, 1, 2\)",
        ),
        (lambda a: a.update(x=a["x"][:, :0]), ValueError, r"x must hold at least one time step; got shape \(3, 0, 5\)"),
        (lambda a: a.update(mask=np.ones((3, 5), bool)), ValueError, r"mask must have shape \(N=3, T=4\)"),
        (lambda a: a.update(mask=np.full((3, 4), 2)), ValueError, r"mask must contain only 0 and 1"),
        (
            lambda a: a.update(activation="softmax"),
            ValueError,
            r"activation must be one of \['linear', 'relu', 'sigmoid', 'tanh'\]; got 'softmax'",
        ),
    ],
)
def test_rnn_forward_errors(rng, change, exc, message):
    x, h0, Wx, Wh, b = problem(rng)
    args = {"x": x, "h0": h0, "W_xh": Wx, "W_hh": Wh, "b_h": b, "mask": None, "activation": "tanh"}
    change(args)
    with pytest.raises(exc, match=message):
        rnn_forward(**args)


def test_backward_checks_upstream_shape(rng):
    hs, cache = rnn_forward(*problem(rng))
    with pytest.raises(ValueError, match=r"dhs must have shape \(3, 4, 6\); got \(3, 4, 5\)"):
        rnn_backward(np.zeros((3, 4, 5)), cache)


def test_deltas_are_total_state_gradients(rng):
    x, h0, Wx, Wh, b = problem(rng)
    hs, cache = rnn_forward(x, h0, Wx, Wh, b)
    dhs = np.zeros_like(hs)
    dhs[:, -1] = rng.standard_normal(dhs[:, -1].shape)  # loss reads only the last state
    deltas = rnn_state_gradients(dhs, cache)
    assert deltas.shape == hs.shape
    np.testing.assert_array_equal(deltas[:, -1], dhs[:, -1])

    # delta_1 is dL/dh_1: perturb h_1 by restarting the recurrence from it
    def loss_from_h1(h1):
        rest, _ = rnn_forward(x[:, 2:], h1, Wx, Wh, b)
        return float(np.sum(rest[:, -1] * dhs[:, -1]))

    h1 = hs[:, 1].copy()
    num = numerical_gradient(lambda: loss_from_h1(h1), h1)
    assert rel_error(num, deltas[:, 1]) < 1e-7


def test_shape_checker_binds_repeated_names_within_one_array():
    from rnnlib._checks import Shapes

    s = Shapes()
    with pytest.raises(ValueError, match=r"W must have shape \(H, H\); got \(3, 4\) \(axis 1 is 4, expected 3\)"):
        s.floats("W", np.zeros((3, 4)), ("H", "H"))
    assert s.dims == {}
    s.floats("W", np.zeros((3, 3)), ("H", "H"))
    assert s.dims == {"H": 3}
