"""The three cells' sequence functions, tuned for speed: the path :class:`rnnlib.recurrent.Recurrent` runs.

:mod:`rnnlib.rnn`, :mod:`rnnlib.lstm` and :mod:`rnnlib.gru` hold the readable versions that the
chapters quote: a loop over time of each cell's step functions, batch-first.  The functions here
compute the same things faster, and the tests hold them to the readable ones (states, caches'
named arrays, gradients and deltas to a relative error of 1e-12 in float64).  They take the same
arguments, return the same values, and their caches hold the same named, batch-first arrays
(``hs``, and the LSTM's and GRU's gates), so :func:`rnnlib.lstm.lstm_gates` and
:func:`rnnlib.gru.gru_gates` read either cache, and each readable backward function accepts a
cache from here.  What makes them faster:

- the states (and gates) are stored time-major, (T, N, H), so that each step reads and writes
  one contiguous (N, H) block; the cache's batch-first arrays are views of that storage;
- the input projection x_t W + b of every step is one matrix product before the loop, and each
  step overwrites its block in place with the pre-activation and then the activation;
- every gate of a packed weight matrix, W of shape (K, G*H), gets its own contiguous block
  (:func:`gate_blocks`), because numpy's element-wise loops run about twice as fast on
  contiguous blocks as on column slices of a packed (N, G*H) array;
- the sigmoid gates are computed as sigmoid(a) = 0.5 tanh(a / 2) + 0.5 on weight columns halved
  in advance (exact in floating point: a power of two), so one tanh activates all the gates;
- the backward loop does only the recursion for delta_t = dL/dh_t; the sums over the steps
  (the weight gradients) and dx are one product each over all T N rows after the loop
  (:func:`gate_weight_grads`).

Each backward function shares its loop over time with the matching ``*_state_gradients``
function (``_rnn_loop``, ``_lstm_loop``, ``_gru_loop``), which asks it to keep the deltas.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from rnnlib._checks import Shapes, check_cache
from rnnlib._types import Array
from rnnlib.activations import get_activation
from rnnlib.gru import _checked_inputs as _gru_inputs
from rnnlib.lstm import _checked_inputs as _lstm_inputs
from rnnlib.rnn import _checked_inputs as _rnn_inputs

# ---------------------------------------------------------------------------
# Packed gate weights
# ---------------------------------------------------------------------------


def gate_blocks(W: np.ndarray, G: int) -> np.ndarray:
    """(K, G*H) packed weights -> contiguous (G, K, H) stack of the G gates' blocks.

    ``h @ gate_blocks(W, G)`` has shape (G, N, H), and its block k equals
    ``(h @ W)[:, k*H:(k+1)*H]``.
    """
    K, GH = W.shape
    assert GH % G == 0, (W.shape, G)  # internal: callers have checked the shapes
    return np.ascontiguousarray(W.reshape(K, G, GH // G).transpose(1, 0, 2))


def gate_weight_grads(
    x: np.ndarray, W_x: np.ndarray, h0: np.ndarray, hs: np.ndarray, d_in: np.ndarray, d_rec: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The gradients a gated layer takes as single products over all steps, after its loop.

    x (N, T, D) batch-first input; W_x (D, G*H); h0 (N, H); hs (T, N, H) time-major states;
    d_in, d_rec (T, N, G*H) time-major: dL/d(input term x_t W_x) and dL/d(recurrent term
    h_{t-1} W_h), the same array for the LSTM.  Returns dx (N, T, D), dW_x (D, G*H) and
    dW_h (H, G*H).
    """
    T, N, H = hs.shape
    D, GH = W_x.shape
    dx = (d_in.reshape(T * N, GH) @ W_x.T).reshape(T, N, D).transpose(1, 0, 2)
    dW_x = x.transpose(1, 0, 2).reshape(T * N, D).T @ d_in.reshape(T * N, GH)
    # step t read h_{t-1}: h0 at the first step, then hs shifted by one (no concatenated copy)
    dW_h = h0.T @ d_rec[0] + hs[:-1].reshape(-1, H).T @ d_rec[1:].reshape(-1, GH)
    return dx, dW_x, dW_h


def _batch_first(a: np.ndarray) -> np.ndarray:
    """A read-only batch-first (N, T, H) view of time-major (T, N, H) storage, for the cache."""
    view = a.transpose(1, 0, 2)
    view.flags.writeable = False  # the cache reads it in backward: writing to it would change the gradients
    return view


# ---------------------------------------------------------------------------
# Vanilla RNN
# ---------------------------------------------------------------------------


def rnn_forward_fast(
    x: Array,
    h0: Array,
    W_xh: Array,
    W_hh: Array,
    b_h: Array,
    mask: NDArray[np.bool_] | None = None,
    activation: str = "tanh",
) -> tuple[Array, dict[str, Any]]:
    """:func:`rnnlib.rnn.rnn_forward`, tuned for speed: the same states to the last bit.

    Same parameters and results; the cache is interchangeable with rnn_forward's.
    """
    x, h0, W_xh, W_hh, b_h, mask = _rnn_inputs(x, h0, W_xh, W_hh, b_h, mask)
    f, _ = get_activation(activation)
    T = x.shape[1]
    states = x.transpose(1, 0, 2) @ W_xh + b_h  # (T, N, H), time-major: x_t W_xh + b_h of every step
    # stored in the widest precision of the inputs, as rnn_forward stores it (a float64 h0 or W_hh
    # beside float32 x and W_xh makes every step float64; adding into float32 storage would narrow it)
    states = states.astype(np.result_type(x, h0, W_xh, W_hh, b_h), copy=False)
    h = h0
    for t in range(T):
        a = states[t]  # step t's contiguous (N, H) block, x_t W_xh + b_h; h_t replaces it below
        a += h @ W_hh  # the pre-activation a_t
        f(a, out=a)  # h_t = f(a_t), written over a_t
        if mask is not None:
            states[t] = np.where(mask[:, t, None], a, h)  # a padded step keeps h_{t-1}
        h = states[t]
    hs = _batch_first(states)
    cache = {"x": x, "h0": h0, "W_xh": W_xh, "W_hh": W_hh, "hs": hs, "mask": mask, "activation": activation}
    return hs, cache


def rnn_backward_fast(dhs: Array, cache: dict[str, Any]) -> tuple[Array, Array, Array, Array, Array]:
    """:func:`rnnlib.rnn.rnn_backward`, tuned for speed: dx, dh0, dW_xh, dW_hh, db_h.

    Takes a cache from :func:`rnn_forward_fast` or :func:`rnnlib.rnn.rnn_forward`.
    """
    das, dh0, _ = _rnn_loop(dhs, cache, keep_deltas=False)
    x, h0, W_xh, hs = (cache[k] for k in ("x", "h0", "W_xh", "hs"))
    T, N, H = das.shape
    D = x.shape[2]
    # Each weight is used at every step, so its gradient is a sum over the steps: one product
    # over all T N rows, after the loop.
    dx = das.transpose(1, 0, 2) @ W_xh.T  # (N, T, D)
    dW_xh = x.transpose(1, 0, 2).reshape(T * N, D).T @ das.reshape(T * N, H)
    h_prev = hs.transpose(1, 0, 2)[:-1].reshape((T - 1) * N, H)  # h_1 .. h_{T-1}: the h_{t-1} of steps 2 .. T
    dW_hh = h0.T @ das[0] + h_prev.T @ das[1:].reshape((T - 1) * N, H)  # step 1's h_{t-1} is h0
    db_h = das.sum(axis=0).sum(axis=0)  # over the steps, then over the sequences
    return dx, dh0, dW_xh, dW_hh, db_h


def rnn_state_gradients_fast(dhs: Array, cache: dict[str, Any]) -> Array:
    """:func:`rnnlib.rnn.rnn_state_gradients`, tuned for speed: deltas (N, T, H), dL/dh_t."""
    deltas = _rnn_loop(dhs, cache, keep_deltas=True)[2]
    assert deltas is not None  # asked for
    return deltas


def _rnn_loop(dhs: Array, cache: dict[str, Any], keep_deltas: bool) -> tuple[Array, Array, Array | None]:
    """The backward loop over time: dL/da_t of every step, time-major (T, N, H), dL/dh0, and,
    if ``keep_deltas``, the deltas dL/dh_t batch-first (N, T, H)."""
    check_cache(cache, "rnn_forward", ("x", "h0", "W_xh", "W_hh", "hs", "mask", "activation"))
    h0, W_hh, hs, mask = (cache[k] for k in ("h0", "W_hh", "hs", "mask"))
    T = hs.shape[1]
    _, fprime = get_activation(cache["activation"])
    # Work time-major, (T, N, H), as rnn_forward_fast does: step t is the contiguous block [t].
    states = hs.transpose(1, 0, 2)  # the storage rnn_forward_fast filled: no copy
    dhs = Shapes().floats("dhs", dhs, hs.shape).transpose(1, 0, 2)

    das = fprime(states)  # f'(a_t) of every step at once; the loop turns it into dL/da_t
    if mask is not None:
        das *= mask.T[:, :, None]  # a padded step has no a_t: its da_t is 0
    deltas = np.empty_like(states) if keep_deltas else None
    W_hh_T = np.ascontiguousarray(W_hh.T)  # BLAS multiplies by a contiguous copy faster than by a view
    dh_next = np.zeros_like(h0)  # dL/dh_t through h_{t+1}; zero after the last step
    for t in reversed(range(T)):
        delta = dhs[t] + dh_next  # total dL/dh_t
        if deltas is not None:
            deltas[t] = delta
        da = das[t]
        da *= delta  # dL/da_t = delta_t * f'(a_t), in place
        dh_next = da @ W_hh_T
        if mask is not None:
            dh_next += np.where(mask[:, t, None], 0, delta)  # padded step: h_t = h_{t-1}
    return das, dh_next, None if deltas is None else deltas.transpose(1, 0, 2)


# ---------------------------------------------------------------------------
# LSTM
# ---------------------------------------------------------------------------


def lstm_forward_fast(
    x: Array,
    h0: Array,
    W_x: Array,
    W_h: Array,
    b: Array,
    mask: NDArray[np.bool_] | None = None,
    c0: Array | None = None,
) -> tuple[Array, dict[str, Any]]:
    """:func:`rnnlib.lstm.lstm_forward`, tuned for speed: the same states up to rounding.

    Same parameters and results.  The cache holds the same named, batch-first arrays as
    lstm_forward's (views of time-major storage) and, for :func:`lstm_backward_fast`, that
    storage, under private keys: ``"_gates"`` (T, 4, N, H) and ``"_tanh_cs"`` (T, N, H).
    """
    x, h0, W_x, W_h, b, mask, c0 = _lstm_inputs(x, h0, W_x, W_h, b, mask, c0)
    N, T, _ = x.shape
    H = h0.shape[1]
    # sigmoid(a) = 0.5 * tanh(a / 2) + 0.5: the sigmoid gates' columns of W_x, W_h and b are
    # halved in advance (exact, a power of two), so that one tanh call activates all four gates.
    half = np.array([0.5, 0.5, 1.0, 0.5], dtype=W_x.dtype)  # the candidate c_tilde is a plain tanh
    shift = np.where(half == 0.5, 0.5, 0.0).astype(W_x.dtype)
    half_cols = np.repeat(half, H)  # (4H,): the same factors, one per packed column
    W_h_blocks = gate_blocks(W_h * half_cols, 4)  # (4, H, H)
    widest = np.result_type(x, h0, W_x, W_h, b, c0)  # the states' precision, as in lstm_forward
    gates = np.empty((T, 4, N, H), dtype=widest)  # gates[t, k]: gate k at step t
    np.matmul(x.transpose(1, 0, 2)[:, None], gate_blocks(W_x * half_cols, 4), out=gates)  # all input terms at once
    gates += (b * half_cols).reshape(4, 1, H)
    hs = np.empty((T, N, H), dtype=gates.dtype)
    cs = np.empty_like(hs)
    tanh_cs = np.empty_like(hs)
    half, shift = half[:, None, None], shift[:, None, None]  # broadcast over a step's (4, N, H) blocks
    h, c = h0, c0
    for t in range(T):
        a = gates[t]
        a += h @ W_h_blocks  # the recurrent term of every gate, (4, N, H)
        np.tanh(a, out=a)
        a *= half
        a += shift  # now activated: [i, f, c_tilde, o] = [sigmoid, sigmoid, tanh, sigmoid]
        i, f, c_tilde, o = a
        np.multiply(f, c, out=cs[t])
        cs[t] += i * c_tilde  # c_t = f * c_{t-1} + i * c_tilde
        np.tanh(cs[t], out=tanh_cs[t])
        np.multiply(o, tanh_cs[t], out=hs[t])  # h_t = o * tanh(c_t)
        if mask is not None:
            m = mask[:, t, None]
            cs[t] = np.where(m, cs[t], c)
            hs[t] = np.where(m, hs[t], h)
        h, c = hs[t], cs[t]
    out = _batch_first(hs)
    cache = {"x": x, "h0": h0, "c0": c0, "W_x": W_x, "W_h": W_h, "mask": mask, "hs": out, "c": _batch_first(cs)}
    cache |= {k: _batch_first(gates[:, g]) for g, k in enumerate(("i", "f", "c_tilde", "o"))}
    cache |= {"_gates": gates, "_tanh_cs": tanh_cs}  # time-major storage, private to this module
    return out, cache


def lstm_backward_fast(
    dhs: Array, cache: dict[str, Any], dc_final: Array | None = None
) -> tuple[Array, Array, Array, Array, Array, Array]:
    """:func:`rnnlib.lstm.lstm_backward`, tuned for speed: dx, dh0, dW_x, dW_h, db, dc0."""
    das, dh0, dc0, _ = _lstm_loop(dhs, cache, dc_final, keep_deltas=False)
    x, h0, W_x, hs = (cache[k] for k in ("x", "h0", "W_x", "hs"))
    dx, dW_x, dW_h = gate_weight_grads(x, W_x, h0, hs.transpose(1, 0, 2), das, das)  # single products over all steps
    return dx, dh0, dW_x, dW_h, das.sum(axis=(0, 1)), dc0


def lstm_state_gradients_fast(dhs: Array, cache: dict[str, Any], dc_final: Array | None = None) -> Array:
    """:func:`rnnlib.lstm.lstm_state_gradients`, tuned for speed: deltas (N, T, H), dL/dh_t."""
    deltas = _lstm_loop(dhs, cache, dc_final, keep_deltas=True)[3]
    assert deltas is not None  # asked for
    return deltas


def _lstm_loop(
    dhs: Array, cache: dict[str, Any], dc_final: Array | None, keep_deltas: bool
) -> tuple[Array, Array, Array, Array | None]:
    """The backward loop over time: dL/da_t of every step, time-major and packed like the weights
    (T, N, 4H), dL/dh0, dL/dc0 and, if ``keep_deltas``, the deltas dL/dh_t batch-first (N, T, H)."""
    check_cache(cache, "lstm_forward_fast", ("h0", "c0", "W_h", "_gates", "hs", "c", "_tanh_cs", "mask"))
    h0, c0, W_h, gates, tanh_cs, mask = (cache[k] for k in ("h0", "c0", "W_h", "_gates", "_tanh_cs", "mask"))
    hs, cs = cache["hs"].transpose(1, 0, 2), cache["c"].transpose(1, 0, 2)  # the time-major storage: no copy
    T, N, H = hs.shape
    s = Shapes()
    dhs = s.floats("dhs", dhs, (N, T, H)).transpose(1, 0, 2)  # time-major view

    das = np.empty((T, N, 4 * H), dtype=hs.dtype)  # dL/da_t, packed like the weights for the products
    W_h_T = np.ascontiguousarray(W_h.T)  # (4H, H): BLAS multiplies by a contiguous copy faster than by a view
    dh_next = np.zeros_like(h0)
    dc_next = np.zeros_like(c0) if dc_final is None else s.floats("dc_final", dc_final, (N, H)).copy()
    deltas = np.empty_like(hs) if keep_deltas else None
    for t in reversed(range(T)):
        i, f, c_tilde, o = gates[t]  # contiguous (N, H) blocks
        c_prev = cs[t - 1] if t > 0 else c0
        dh = dhs[t] + dh_next
        if deltas is not None:
            deltas[t] = dh
        tc = tanh_cs[t]
        dc = dh * o * (1 - tc * tc)  # through h_t = o tanh(c_t) ...
        dc += dc_next  # ... plus what reaches c_t from c_{t+1}
        da = das[t].reshape(N, 4, H)  # da[:, k] is gate k's block of the packed row
        np.multiply(dc * c_tilde * i, 1 - i, out=da[:, 0])  # input gate
        np.multiply(dc * c_prev * f, 1 - f, out=da[:, 1])  # forget gate
        np.multiply(dc * i, 1 - c_tilde * c_tilde, out=da[:, 2])  # candidate
        np.multiply(dh * tc * o, 1 - o, out=da[:, 3])  # output gate
        dc_prev = dc * f  # the additive path: only multiplied by the forget gate
        if mask is not None:
            m = mask[:, t, None]
            das[t] *= m
            dh_next = das[t] @ W_h_T + np.where(m, 0, dh)  # padded step: h_t = h_{t-1}
            dc_next = np.where(m, dc_prev, dc_next)  # and c_t = c_{t-1}
        else:
            dh_next = das[t] @ W_h_T
            dc_next = dc_prev
    return das, dh_next, dc_next, None if deltas is None else deltas.transpose(1, 0, 2)


# ---------------------------------------------------------------------------
# GRU
# ---------------------------------------------------------------------------


def gru_forward_fast(
    x: Array,
    h0: Array,
    W_x: Array,
    W_h: Array,
    b: Array,
    b_hn: Array,
    mask: NDArray[np.bool_] | None = None,
) -> tuple[Array, dict[str, Any]]:
    """:func:`rnnlib.gru.gru_forward`, tuned for speed: the same states up to rounding.

    Same parameters and results.  The cache holds the same named, batch-first arrays as
    gru_forward's (views of time-major storage) and, for :func:`gru_backward_fast`, the
    gates' storage under a private key, ``"_gates"`` (T, 3, N, H).
    """
    x, h0, W_x, W_h, b, b_hn, mask = _gru_inputs(x, h0, W_x, W_h, b, b_hn, mask)
    N, T, _ = x.shape
    H = h0.shape[1]
    # As for the LSTM, r and z are computed as 0.5 * tanh(a / 2) + 0.5 with their columns of
    # W_x, W_h and b halved in advance, and every gate of every step is a contiguous block.
    half = np.repeat(np.array([0.5, 0.5, 1.0], dtype=W_x.dtype), H)  # (3H,)
    W_h_blocks = gate_blocks(W_h * half, 3)  # (3, H, H)
    widest = np.result_type(x, h0, W_x, W_h, b, b_hn)  # the states' precision, as in gru_forward
    gates = np.empty((T, 3, N, H), dtype=widest)  # input terms, activated in place below
    np.matmul(x.transpose(1, 0, 2)[:, None], gate_blocks(W_x * half, 3), out=gates)  # all input terms at once
    gates += (b * half).reshape(3, 1, H)
    hns = np.empty((T, N, H), dtype=gates.dtype)  # n_h = ha_n + b_hn, needed for the reset gate's gradient
    hs = np.empty_like(hns)
    h = h0
    for t in range(T):
        ha = h @ W_h_blocks  # (3, N, H): halved for r and z, as they need; unscaled for n
        gt = gates[t]
        rz = gt[:2]
        rz += ha[:2]
        np.tanh(rz, out=rz)
        rz *= 0.5
        rz += 0.5  # [r, z] = sigmoid of the full pre-activations
        r, z, n = gt
        np.add(ha[2], b_hn, out=hns[t])
        n += r * hns[t]
        np.tanh(n, out=n)  # n = tanh(xa_n + r * (ha_n + b_hn))
        np.subtract(h, n, out=hs[t])
        hs[t] *= z
        hs[t] += n  # h_t = n + z * (h_{t-1} - n)
        if mask is not None:
            hs[t] = np.where(mask[:, t, None], hs[t], h)
        h = hs[t]
    out = _batch_first(hs)
    cache = {"x": x, "h0": h0, "W_x": W_x, "W_h": W_h, "mask": mask, "hs": out, "n_h": _batch_first(hns)}
    cache |= {k: _batch_first(gates[:, g]) for g, k in enumerate(("r", "z", "n"))}
    cache["_gates"] = gates  # time-major storage, private to this module
    return out, cache


def gru_backward_fast(dhs: Array, cache: dict[str, Any]) -> tuple[Array, Array, Array, Array, Array, Array]:
    """:func:`rnnlib.gru.gru_backward`, tuned for speed: dx, dh0, dW_x, dW_h, db, db_hn."""
    dxa, dha, dh0, _ = _gru_loop(dhs, cache, keep_deltas=False)
    x, h0, W_x, hs = (cache[k] for k in ("x", "h0", "W_x", "hs"))
    H = hs.shape[2]
    dx, dW_x, dW_h = gate_weight_grads(x, W_x, h0, hs.transpose(1, 0, 2), dxa, dha)  # single products over all steps
    return dx, dh0, dW_x, dW_h, dxa.sum(axis=(0, 1)), dha[:, :, 2 * H :].sum(axis=(0, 1))


def gru_state_gradients_fast(dhs: Array, cache: dict[str, Any]) -> Array:
    """:func:`rnnlib.gru.gru_state_gradients`, tuned for speed: deltas (N, T, H), dL/dh_t."""
    deltas = _gru_loop(dhs, cache, keep_deltas=True)[3]
    assert deltas is not None  # asked for
    return deltas


def _gru_loop(dhs: Array, cache: dict[str, Any], keep_deltas: bool) -> tuple[Array, Array, Array, Array | None]:
    """The backward loop over time: dL/d(x_t W_x + b) and dL/d(h_{t-1} W_h) of every step,
    time-major (T, N, 3H), dL/dh0 and, if ``keep_deltas``, the deltas dL/dh_t batch-first (N, T, H)."""
    check_cache(cache, "gru_forward_fast", ("h0", "W_h", "_gates", "n_h", "hs", "mask"))
    h0, W_h, gates, mask = (cache[k] for k in ("h0", "W_h", "_gates", "mask"))
    hs, hns = cache["hs"].transpose(1, 0, 2), cache["n_h"].transpose(1, 0, 2)  # the time-major storage: no copy
    T, N, H = hs.shape
    dhs = Shapes().floats("dhs", dhs, (N, T, H)).transpose(1, 0, 2)  # time-major view

    dxa = np.empty((T, N, 3 * H), dtype=hs.dtype)  # dL/d(x_t W_x + b), packed like the weights
    dha = np.empty_like(dxa)  # dL/d(h_{t-1} W_h)
    W_h_T = np.ascontiguousarray(W_h.T)  # (3H, H): BLAS multiplies by a contiguous copy faster than by a view
    dh_next = np.zeros_like(h0)
    deltas = np.empty_like(hs) if keep_deltas else None
    for t in reversed(range(T)):
        r, z, n = gates[t]  # contiguous (N, H) blocks
        h_prev = hs[t - 1] if t > 0 else h0
        dh = dhs[t] + dh_next
        if deltas is not None:
            deltas[t] = dh
        one_minus_z = 1 - z
        dan = dh * one_minus_z * (1 - n * n)  # through n into its pre-activation
        d, e = dxa[t].reshape(N, 3, H), dha[t].reshape(N, 3, H)  # d[:, k] is gate k's block
        np.multiply(dan * hns[t] * r, 1 - r, out=d[:, 0])  # reset gate
        np.multiply(dh * (h_prev - n) * z, one_minus_z, out=d[:, 1])  # update gate
        d[:, 2] = dan  # candidate, input side
        e[:, :2] = d[:, :2]
        np.multiply(dan, r, out=e[:, 2])  # candidate, recurrent side (inside the reset gate)
        if mask is not None:
            m = mask[:, t, None]
            dxa[t] *= m
            dha[t] *= m
            dh_next = dha[t] @ W_h_T + np.where(m, dh * z, dh)  # padded step: h_t = h_{t-1}
        else:
            dh_next = dha[t] @ W_h_T + dh * z
    return dxa, dha, dh_next, None if deltas is None else deltas.transpose(1, 0, 2)
