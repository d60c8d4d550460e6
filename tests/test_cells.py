"""The readable LSTM and GRU (steps lstm_step_*, gru_step_*, and the sequence functions that loop
over them), the tuned sequence functions of rnnlib._fast held to the readable ones for all three
cells, and the named, batch-first gate accessors."""

import numpy as np
import pytest

from rnnlib import check_gradients, numerical_gradient, rel_error
from rnnlib._fast import (
    gru_backward_fast,
    gru_forward_fast,
    gru_state_gradients_fast,
    lstm_backward_fast,
    lstm_forward_fast,
    lstm_state_gradients_fast,
    rnn_backward_fast,
    rnn_forward_fast,
    rnn_state_gradients_fast,
)
from rnnlib.gru import (
    gru_backward,
    gru_forward,
    gru_gates,
    gru_state_gradients,
    gru_step_backward,
    gru_step_forward,
)
from rnnlib.lstm import (
    lstm_backward,
    lstm_forward,
    lstm_gates,
    lstm_state_gradients,
    lstm_step_backward,
    lstm_step_forward,
)
from rnnlib.rnn import rnn_backward, rnn_forward, rnn_state_gradients

MASK = np.array([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0], [1, 0, 0, 0, 0]], bool)


def weights(rng, D, H, G, scale=0.5):
    return scale * rng.standard_normal((D, G * H)), scale * rng.standard_normal((H, G * H)), rng.standard_normal(G * H)


# ---- reference loops of the readable steps, with the sequence functions' mask rule ----


def lstm_by_steps(x, h0, c0, W_x, W_h, b, mask=None):
    N, T, _ = x.shape
    h, c, hs, cs, caches = h0, c0, [], [], []
    for t in range(T):
        h_new, c_new, cache = lstm_step_forward(x[:, t], h, c, W_x, W_h, b)
        m = np.ones((N, 1), bool) if mask is None else mask[:, t, None]
        h, c = np.where(m, h_new, h), np.where(m, c_new, c)  # a padded step carries (h, c) forward
        hs.append(h)
        cs.append(c)
        caches.append((cache, m))
    return np.stack(hs, axis=1), np.stack(cs, axis=1), caches


def lstm_backward_by_steps(dhs, caches, dc_final=None):
    dh_next = np.zeros_like(dhs[:, 0])
    dc_next = np.zeros_like(dh_next) if dc_final is None else dc_final
    dx, total = [], None
    for t in reversed(range(dhs.shape[1])):
        cache, m = caches[t]
        dh = dhs[:, t] + dh_next
        dx_t, dh_prev, dc_prev, *dp = lstm_step_backward(dh * m, dc_next * m, cache)
        dh_next, dc_next = dh_prev + ~m * dh, dc_prev + ~m * dc_next  # a padded step passes both back unchanged
        dx.append(dx_t)
        total = dp if total is None else [a + g for a, g in zip(total, dp)]
    return (np.stack(dx[::-1], axis=1), dh_next, *total, dc_next)


def gru_by_steps(x, h0, W_x, W_h, b, b_hn, mask=None):
    N, T, _ = x.shape
    h, hs, caches = h0, [], []
    for t in range(T):
        h_new, cache = gru_step_forward(x[:, t], h, W_x, W_h, b, b_hn)
        m = np.ones((N, 1), bool) if mask is None else mask[:, t, None]
        h = np.where(m, h_new, h)
        hs.append(h)
        caches.append((cache, m))
    return np.stack(hs, axis=1), caches


def gru_backward_by_steps(dhs, caches):
    dh_next = np.zeros_like(dhs[:, 0])
    dx, total = [], None
    for t in reversed(range(dhs.shape[1])):
        cache, m = caches[t]
        dh = dhs[:, t] + dh_next
        dx_t, dh_prev, *dp = gru_step_backward(dh * m, cache)
        dh_next = dh_prev + ~m * dh
        dx.append(dx_t)
        total = dp if total is None else [a + g for a, g in zip(total, dp)]
    return (np.stack(dx[::-1], axis=1), dh_next, *total)


# ---- pinned values ----


def test_lstm_step_by_hand():
    # D = H = 1, every pre-activation 0.5: i = f = o = sigmoid(0.5), c_tilde = tanh(0.5)
    x, h_prev, c_prev = np.array([[1.0]]), np.zeros((1, 1)), np.array([[0.5]])
    h, c, _ = lstm_step_forward(x, h_prev, c_prev, np.full((1, 4), 0.5), np.zeros((1, 4)), np.zeros(4))
    s = 1 / (1 + np.exp(-0.5))
    assert c[0, 0] == pytest.approx(s * 0.5 + s * np.tanh(0.5), abs=1e-15)
    assert h[0, 0] == pytest.approx(0.33379460517234055, abs=1e-12)  # as tests/test_recurrent.py pins lstm_forward


def test_gru_step_by_hand():
    x, h_prev = np.array([[1.0]]), np.array([[0.5]])
    h, cache = gru_step_forward(x, h_prev, np.full((1, 3), 0.5), np.full((1, 3), -1.0), np.zeros(3), np.array([0.2]))
    assert cache["n_h"][0, 0] == pytest.approx(-0.3, abs=1e-15)
    assert h[0, 0] == pytest.approx(0.4181877721681661, abs=1e-12)  # as tests/test_recurrent.py pins gru_forward


def test_lstm_step_backward_pinned():
    # zero weights: every gate 1/2, c_tilde = 0, so c = c_prev / 2 and only dc and the output gate matter
    x, h_prev, c_prev = np.array([[1.0]]), np.zeros((1, 1)), np.array([[2.0]])
    _, c, cache = lstm_step_forward(x, h_prev, c_prev, np.zeros((1, 4)), np.zeros((1, 4)), np.zeros(4))
    assert c[0, 0] == 1.0
    _, _, dc_prev, _, _, db = lstm_step_backward(np.zeros((1, 1)), np.ones((1, 1)), cache)
    assert dc_prev[0, 0] == 0.5  # the additive path: dc times the forget gate
    np.testing.assert_allclose(
        db, [0.0, 0.5, 0.5, 0.0], atol=1e-15
    )  # dc c_tilde i(1-i), dc c_prev f(1-f), dc i (1-c_tilde^2)


# ---- the readable sequence functions are loops of the readable steps ----


def test_one_lstm_step_equals_lstm_forward(rng):
    N, D, H = 3, 4, 5
    x, h0, c0 = rng.standard_normal((N, 1, D)), rng.standard_normal((N, H)), rng.standard_normal((N, H))
    W_x, W_h, b = weights(rng, D, H, 4)
    hs, cache = lstm_forward(x, h0, W_x, W_h, b, c0=c0)
    h, c, step = lstm_step_forward(x[:, 0], h0, c0, W_x, W_h, b)
    np.testing.assert_allclose(hs[:, 0], h, rtol=1e-12, atol=1e-12)
    gates = lstm_gates(cache)
    for k in ("i", "f", "c_tilde", "o"):
        np.testing.assert_allclose(gates[k][:, 0], step[k], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(gates["c"][:, 0], c, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("mask", [None, MASK])
@pytest.mark.parametrize("with_c0", [False, True])
def test_lstm_step_loop_equals_sequence_functions(rng, mask, with_c0):
    N, T, D, H = 3, 5, 4, 3
    x, h0 = rng.standard_normal((N, T, D)), rng.standard_normal((N, H))
    c0 = rng.standard_normal((N, H)) if with_c0 else None
    W_x, W_h, b = weights(rng, D, H, 4)
    hs, cache = lstm_forward(x, h0, W_x, W_h, b, mask=mask, c0=c0)
    hs_ref, cs_ref, caches = lstm_by_steps(x, h0, np.zeros((N, H)) if c0 is None else c0, W_x, W_h, b, mask)
    np.testing.assert_allclose(hs, hs_ref, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(lstm_gates(cache)["c"], cs_ref, rtol=1e-12, atol=1e-12)
    dhs, dc_final = rng.standard_normal((2, N, T, H))[0], rng.standard_normal((N, H))
    fast = lstm_backward(dhs, cache, dc_final=dc_final)
    ref = lstm_backward_by_steps(dhs, caches, dc_final)
    for name, a, r in zip(("dx", "dh0", "dW_x", "dW_h", "db", "dc0"), fast, ref, strict=True):
        np.testing.assert_allclose(a, r, rtol=1e-12, atol=1e-12, err_msg=name)


def test_one_gru_step_equals_gru_forward(rng):
    N, D, H = 3, 4, 5
    x, h0 = rng.standard_normal((N, 1, D)), rng.standard_normal((N, H))
    W_x, W_h, b = weights(rng, D, H, 3)
    b_hn = rng.standard_normal(H)
    hs, cache = gru_forward(x, h0, W_x, W_h, b, b_hn)
    h, step = gru_step_forward(x[:, 0], h0, W_x, W_h, b, b_hn)
    np.testing.assert_allclose(hs[:, 0], h, rtol=1e-12, atol=1e-12)
    for k, v in gru_gates(cache).items():
        np.testing.assert_allclose(v[:, 0], step[k], rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("mask", [None, MASK])
def test_gru_step_loop_equals_sequence_functions(rng, mask):
    N, T, D, H = 3, 5, 4, 3
    x, h0 = rng.standard_normal((N, T, D)), rng.standard_normal((N, H))
    W_x, W_h, b = weights(rng, D, H, 3)
    b_hn = rng.standard_normal(H)
    hs, cache = gru_forward(x, h0, W_x, W_h, b, b_hn, mask=mask)
    hs_ref, caches = gru_by_steps(x, h0, W_x, W_h, b, b_hn, mask)
    np.testing.assert_allclose(hs, hs_ref, rtol=1e-12, atol=1e-12)
    dhs = rng.standard_normal((N, T, H))
    for name, a, r in zip(("dx", "dh0", "dW_x", "dW_h", "db", "db_hn"), gru_backward(dhs, cache),
                          gru_backward_by_steps(dhs, caches), strict=True):  # fmt: skip
        np.testing.assert_allclose(a, r, rtol=1e-12, atol=1e-12, err_msg=name)


# ---- gradient checks of the steps ----


def test_lstm_step_backward_gradient_check(rng):
    N, D, H = 2, 3, 4
    arrays = {"x": rng.standard_normal((N, D)), "h_prev": rng.standard_normal((N, H)),
              "c_prev": rng.standard_normal((N, H))}  # fmt: skip
    arrays |= dict(zip(("W_x", "W_h", "b"), weights(rng, D, H, 4)))
    dh, dc = rng.standard_normal((2, N, H))

    def loss():
        h, c, _ = lstm_step_forward(*arrays.values())
        return float(np.sum(h * dh) + np.sum(c * dc))

    _, _, cache = lstm_step_forward(*arrays.values())
    dx, dh_prev, dc_prev, dW_x, dW_h, db = lstm_step_backward(dh, dc, cache)
    grads = {"x": dx, "h_prev": dh_prev, "c_prev": dc_prev, "W_x": dW_x, "W_h": dW_h, "b": db}
    check_gradients(loss, arrays, grads)


def test_gru_step_backward_gradient_check(rng):
    N, D, H = 2, 3, 4
    arrays = {"x": rng.standard_normal((N, D)), "h_prev": rng.standard_normal((N, H))}
    arrays |= dict(zip(("W_x", "W_h", "b"), weights(rng, D, H, 3)))
    arrays["b_hn"] = rng.standard_normal(H)
    dh = rng.standard_normal((N, H))

    def loss():
        return float(np.sum(gru_step_forward(*arrays.values())[0] * dh))

    grads = dict(zip(arrays, gru_step_backward(dh, gru_step_forward(*arrays.values())[1]), strict=True))
    check_gradients(loss, arrays, grads)


# ---- the caches: hs batch-first, gates by name ----


def test_caches_hold_hs_batch_first_and_gates_by_name(rng):
    N, T, D, H = 2, 3, 4, 5
    x, h0 = rng.standard_normal((N, T, D)), rng.standard_normal((N, H))
    hs, cache = lstm_forward(x, h0, *weights(rng, D, H, 4))
    assert cache["hs"].shape == (N, T, H)
    np.testing.assert_array_equal(cache["hs"], hs)
    gates = lstm_gates(cache)
    assert sorted(gates) == ["c", "c_tilde", "f", "i", "o"]
    assert all(v.shape == (N, T, H) and not v.flags.writeable for v in gates.values())
    assert ((gates["f"] > 0) & (gates["f"] < 1)).all() and (np.abs(gates["c_tilde"]) < 1).all()
    np.testing.assert_allclose(hs, gates["o"] * np.tanh(gates["c"]), rtol=1e-12)  # h_t = o_t tanh(c_t)
    hs, cache = gru_forward(x, h0, *weights(rng, D, H, 3), rng.standard_normal(H))
    assert cache["hs"].shape == (N, T, H)
    np.testing.assert_array_equal(cache["hs"], hs)
    gates = gru_gates(cache)
    assert sorted(gates) == ["n", "n_h", "r", "z"]
    assert all(v.shape == (N, T, H) and not v.flags.writeable for v in gates.values())
    h_prev = np.concatenate([h0[:, None], hs[:, :-1]], axis=1)
    np.testing.assert_allclose(hs, (1 - gates["z"]) * gates["n"] + gates["z"] * h_prev, rtol=1e-12, atol=1e-15)


# ---- bad input ----


def test_step_functions_reject_bad_input(rng):
    x, h, c = np.zeros((2, 3)), np.zeros((2, 4)), np.zeros((2, 4))
    W_x, W_h, b = weights(rng, 3, 4, 4)
    with pytest.raises(ValueError, match="c_prev"):
        lstm_step_forward(x, h, np.zeros((2, 5)), W_x, W_h, b)
    with pytest.raises(ValueError, match="W_h"):
        lstm_step_forward(x, h, c, W_x, W_h[:, :12], b)
    with pytest.raises(ValueError, match="x"):
        lstm_step_forward(np.zeros((3, 3)), h, c, W_x, W_h, b)
    _, _, cache = lstm_step_forward(x, h, c, W_x, W_h, b)
    with pytest.raises(ValueError, match="dc"):
        lstm_step_backward(np.zeros((2, 4)), np.zeros((2, 3)), cache)
    with pytest.raises((TypeError, ValueError), match="lstm_step_forward"):
        lstm_step_backward(np.zeros((2, 4)), np.zeros((2, 4)), {"x": x})
    G_x, G_h, g_b = weights(rng, 3, 4, 3)
    with pytest.raises(ValueError, match="b_hn"):
        gru_step_forward(x, h, G_x, G_h, g_b, np.zeros(3))
    with pytest.raises((TypeError, ValueError), match="gru_step_forward"):
        gru_step_backward(np.zeros((2, 4)), cache)  # an LSTM step's cache
    with pytest.raises((TypeError, ValueError), match="lstm_forward"):
        lstm_gates({"gates": None})
    with pytest.raises((TypeError, ValueError), match="gru_forward"):
        gru_gates(cache)
    _, seq_cache = lstm_forward(np.zeros((2, 3, 3)), h, W_x, W_h, b)
    with pytest.raises(ValueError, match="dc_final"):
        lstm_backward(np.zeros((2, 3, 4)), seq_cache, dc_final=np.zeros((2, 5)))


# ---- the tuned path of rnnlib._fast (what the Recurrent layer runs) equals the readable one ----

FAST = {
    "rnn": (rnn_forward_fast, rnn_backward_fast, rnn_state_gradients_fast),
    "lstm": (lstm_forward_fast, lstm_backward_fast, lstm_state_gradients_fast),
    "gru": (gru_forward_fast, gru_backward_fast, gru_state_gradients_fast),
}
READABLE = {
    "rnn": (rnn_forward, rnn_backward, rnn_state_gradients),
    "lstm": (lstm_forward, lstm_backward, lstm_state_gradients),
    "gru": (gru_forward, gru_backward, gru_state_gradients),
}
NAMED = {"rnn": ("hs",), "lstm": ("hs", "i", "f", "c_tilde", "o", "c"), "gru": ("hs", "r", "z", "n", "n_h")}


def cell_problem(rng, cell, N, T, D, H, with_c0):
    x, h0 = rng.standard_normal((N, T, D)), rng.standard_normal((N, H))
    if cell == "rnn":
        return (x, h0, 0.5 * rng.standard_normal((D, H)), 0.5 * rng.standard_normal((H, H)), rng.standard_normal(H)), {}
    G = 4 if cell == "lstm" else 3
    args = (x, h0, *weights(rng, D, H, G)) + ((rng.standard_normal(H),) if cell == "gru" else ())
    return args, ({"c0": rng.standard_normal((N, H))} if with_c0 and cell == "lstm" else {})


@pytest.mark.parametrize("cell, with_c0", [("rnn", False), ("lstm", False), ("lstm", True), ("gru", False)])
@pytest.mark.parametrize("mask", [None, MASK, np.array([[1, 1, 1, 1, 1], [0, 0, 0, 0, 0], [1, 1, 0, 0, 0]], bool)])
def test_fast_path_equals_readable_path(rng, cell, mask, with_c0):
    args, options = cell_problem(rng, cell, 3, 5, 4, 3, with_c0)
    (fwd, bwd, deltas_of), (fwd_fast, bwd_fast, deltas_of_fast) = READABLE[cell], FAST[cell]
    hs, cache = fwd(*args, mask, **options)
    hs_fast, cache_fast = fwd_fast(*args, mask, **options)
    for name in NAMED[cell]:  # the states and the named, batch-first arrays of the caches
        assert cache_fast[name].shape == cache[name].shape == hs.shape, name
        np.testing.assert_allclose(cache_fast[name], cache[name], rtol=1e-12, atol=1e-13, err_msg=name)
    np.testing.assert_array_equal(hs_fast, cache_fast["hs"])
    dhs = rng.standard_normal(hs.shape)
    extra = {"dc_final": rng.standard_normal(hs[:, 0].shape)} if cell == "lstm" else {}
    readable = (*bwd(dhs, cache, **extra), deltas_of(dhs, cache, **extra))
    for got_cache in (cache_fast, cache):  # the readable backward reads the tuned cache too
        for name, got, want in zip(
            ("dx", "dh0", "dW_x", "dW_h", "db", "last", "deltas"),
            (*bwd(dhs, got_cache, **extra), deltas_of(dhs, got_cache, **extra)),
            readable,
            strict=False,
        ):
            assert got.shape == want.shape and rel_error(got, want) < 1e-12, name
    fast = (*bwd_fast(dhs, cache_fast, **extra), deltas_of_fast(dhs, cache_fast, **extra))
    assert len(fast) == len(readable)
    for i, (got, want) in enumerate(zip(fast, readable, strict=True)):  # dc0 for the LSTM, db_hn for the GRU
        assert got.shape == want.shape and got.dtype == want.dtype and rel_error(got, want) < 1e-12, i


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_fast_path_keeps_float32(rng, cell):
    args, _ = cell_problem(rng, cell, 2, 3, 2, 3, False)
    args = tuple(a.astype(np.float32) for a in args)
    for fwd, bwd, deltas_of in (READABLE[cell], FAST[cell]):
        hs, cache = fwd(*args, MASK[:2, :3])
        assert hs.dtype == np.float32
        assert all(g.dtype == np.float32 for g in bwd(np.ones_like(hs), cache))
        assert deltas_of(np.ones_like(hs), cache).dtype == np.float32


def test_recurrent_layer_runs_the_fast_path():
    from rnnlib.recurrent import CELLS

    for name, (fwd, bwd, deltas_of) in FAST.items():
        cell = CELLS[name]
        assert (cell.forward, cell.backward, cell.state_gradients) == (fwd, bwd, deltas_of)


# ---- gradient checks of the readable sequence functions ----


@pytest.mark.parametrize("cell", ["lstm", "gru"])
@pytest.mark.parametrize("mask", [None, MASK])
def test_readable_sequence_gradients(rng, cell, mask):
    args, options = cell_problem(rng, cell, 3, 5, 2, 3, True)
    fwd, bwd, _ = READABLE[cell]
    names = ["x", "h0", "W_x", "W_h", "b"] + (["b_hn"] if cell == "gru" else [])
    arrays = dict(zip(names, args, strict=True)) | options
    hs, cache = fwd(*args, mask, **options)
    dhs = rng.standard_normal(hs.shape)
    extra = {"dc_final": rng.standard_normal(hs[:, 0].shape)} if cell == "lstm" else {}
    grads = bwd(dhs, cache, **extra)
    names += ["c0"] if cell == "lstm" else []

    def loss():
        hs, cache = fwd(*(arrays[k] for k in names[:len(args)]), mask, **{k: arrays[k] for k in options})
        final_c = np.sum(lstm_gates(cache)["c"][:, -1] * extra["dc_final"]) if extra else 0.0
        return float(np.sum(hs * dhs) + final_c)

    check_gradients(loss, arrays, dict(zip(names, grads, strict=True)))


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_readable_state_gradients_are_dL_dh_t(rng, cell):
    # delta_t is dL/dh_t with everything else (the LSTM's c_t) held fixed: restart from h_t and differentiate
    args, _ = cell_problem(rng, cell, 2, 4, 2, 3, False)
    fwd, _, deltas_of = READABLE[cell]
    x, h0, *w = args
    hs, cache = fwd(*args)
    dhs = rng.standard_normal(hs.shape)
    deltas = deltas_of(dhs, cache)
    s = 1
    h_s = hs[:, s].copy()
    c0 = {"c0": lstm_gates(cache)["c"][:, s]} if cell == "lstm" else {}

    def loss():
        return float(np.sum(h_s * dhs[:, s]) + np.sum(fwd(x[:, s + 1 :], h_s, *w, **c0)[0] * dhs[:, s + 1 :]))

    assert rel_error(numerical_gradient(loss, h_s), deltas[:, s]) < 1e-7
