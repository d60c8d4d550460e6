"""Long short-term memory (Hochreiter and Schmidhuber, 1997), batch-first (chapter 6).

Gate layout: the four gates are packed side by side in one matrix, in the order
input, forget, cell candidate, output ([i, f, g, o], the order PyTorch uses), so
one product computes all of them:

    a_t = x_t W_x + h_{t-1} W_h + b              (N, 4H), W_x (D, 4H), W_h (H, 4H), b (4H,)
    i = sigmoid(a[:, :H])      f = sigmoid(a[:, H:2H])
    g = tanh(a[:, 2H:3H])      o = sigmoid(a[:, 3H:])
    c_t = f * c_{t-1} + i * g                    (the additive cell path)
    h_t = o * tanh(c_t)

With an (N, T) mask, a padded step copies both h and c forward unchanged.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from rnnlib._checks import Shapes, check_cache
from rnnlib._gates import gate_blocks, gate_weight_grads

Array = NDArray[np.floating]


def lstm_forward(
    x: Array,
    h0: Array,
    W_x: Array,
    W_h: Array,
    b: Array,
    mask: NDArray[np.bool_] | None = None,
    c0: Array | None = None,
) -> tuple[Array, dict[str, Any]]:
    """Run an LSTM over a batch of sequences.

    Parameters
    ----------
    x : ndarray of shape (N, T, D)
    h0 : ndarray of shape (N, H)
        initial hidden state
    W_x : ndarray of shape (D, 4H)
        input weights of the gates [i, f, g, o]
    W_h : ndarray of shape (H, 4H)
        recurrent weights of the gates
    b : ndarray of shape (4H,)
    mask : optional ndarray of shape (N, T)
        padded steps carry (h, c) forward
    c0 : optional ndarray of shape (N, H)
        initial cell state (zeros by default)

    Returns
    -------
    hs : ndarray of shape (N, T, H)
    cache : dict
        for :func:`lstm_backward`.  It keeps everything time-major:
        ``cache["cs"]`` holds the cell states (T, N, H) and ``cache["gates"]`` the
        activated gates (T, 4, N, H), so ``cache["gates"][t, 1]`` is the forget gate of the
        step with index t (counting from 0)
    """
    s = Shapes()
    x = s.floats("x", x, ("N", "T", "D"))
    if x.shape[1] == 0:
        raise ValueError(f"x must hold at least one time step; got shape {x.shape}")
    h0 = s.floats("h0", h0, ("N", "H"))
    H = h0.shape[1]
    W_x = s.floats("W_x", W_x, ("D", 4 * H))
    W_h = s.floats("W_h", W_h, ("H", 4 * H))
    b = s.floats("b", b, (4 * H,))
    c0 = np.zeros_like(h0) if c0 is None else s.floats("c0", c0, ("N", "H"))
    mask = s.mask("mask", mask, ("N", "T"))

    N, T, _ = x.shape
    # The sigmoid gates are computed as sigmoid(a) = 0.5 * tanh(a / 2) + 0.5, so one tanh
    # call activates all four gates.  Scaling their columns of W_x, W_h and b by 0.5 in
    # advance is exact in floating point (a power of two), so nothing is rounded twice.
    half = np.array([0.5, 0.5, 1.0, 0.5], dtype=W_x.dtype)  # the candidate g is a plain tanh
    shift = np.where(half == 0.5, 0.5, 0.0).astype(W_x.dtype)
    half_cols = np.repeat(half, H)  # (4H,): the same factors, one per packed column
    # Work time-major inside, and keep each gate of each step as its own contiguous (N, H)
    # block: gates[t, k] is gate k at step t.  numpy's element-wise loops run about twice as
    # fast on contiguous blocks as on column slices of a packed (N, 4H) array.
    W_h_blocks = gate_blocks(W_h * half_cols, 4)  # (4, H, H)
    gates = np.empty((T, 4, N, H), dtype=np.result_type(x, W_x))
    x_tm = x.transpose(1, 0, 2)[:, None]  # (T, 1, N, D)
    np.matmul(x_tm, gate_blocks(W_x * half_cols, 4), out=gates)  # all input terms at once
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
        a += shift  # now activated: [i, f, g, o] = [sigmoid, sigmoid, tanh, sigmoid]
        i, f, g, o = a
        np.multiply(f, c, out=cs[t])
        cs[t] += i * g  # c_t = f * c_{t-1} + i * g
        np.tanh(cs[t], out=tanh_cs[t])
        np.multiply(o, tanh_cs[t], out=hs[t])  # h_t = o * tanh(c_t)
        if mask is not None:
            m = mask[:, t, None]
            cs[t] = np.where(m, cs[t], c)
            hs[t] = np.where(m, hs[t], h)
        h, c = hs[t], cs[t]
    cache = {"x": x, "h0": h0, "c0": c0, "W_x": W_x, "W_h": W_h, "gates": gates, "hs": hs, "cs": cs,
             "tanh_cs": tanh_cs, "mask": mask}  # fmt: skip
    out = hs.transpose(1, 0, 2)  # a batch-first view of the cache, no copy
    out.flags.writeable = False  # writing to it would change the gradients
    return out, cache


def lstm_backward(dhs: Array, cache: dict[str, Any], return_deltas: bool = False) -> tuple[Array, ...]:
    """Backpropagation through time for :func:`lstm_forward`.

    Parameters
    ----------
    dhs : ndarray of shape (N, T, H)
        dL/dh_t from the layers above each step
    cache : dict
        from :func:`lstm_forward`
    return_deltas : bool
        also return delta_t = dL/dh_t, the total gradient reaching each
        hidden state, as in :func:`rnnlib.rnn.rnn_backward`

    Returns
    -------
    dx (N, T, D), dh0 (N, H), dW_x (D, 4H), dW_h (H, 4H), db (4H,), dc0 (N, H)
    and, with ``return_deltas``, deltas (N, T, H)
    """
    check_cache(cache, "lstm_forward", ("x", "h0", "c0", "W_x", "W_h", "gates", "hs", "cs", "tanh_cs", "mask"))
    x, h0, c0, W_x, W_h = (cache[k] for k in ("x", "h0", "c0", "W_x", "W_h"))
    gates, hs, cs, tanh_cs, mask = (cache[k] for k in ("gates", "hs", "cs", "tanh_cs", "mask"))
    T, N, H = hs.shape
    dhs = Shapes().floats("dhs", dhs, (N, T, H)).transpose(1, 0, 2)  # time-major view

    das = np.empty((T, N, 4 * H), dtype=hs.dtype)  # dL/da_t, packed like the weights for the products
    W_h_T = np.ascontiguousarray(W_h.T)  # (4H, H): BLAS multiplies by a contiguous copy faster than by a view
    dh_next = np.zeros_like(h0)
    dc_next = np.zeros_like(c0)
    deltas = np.empty_like(hs) if return_deltas else None
    for t in reversed(range(T)):
        i, f, g, o = gates[t]  # contiguous (N, H) blocks
        c_prev = cs[t - 1] if t > 0 else c0
        dh = dhs[t] + dh_next
        if deltas is not None:
            deltas[t] = dh
        tc = tanh_cs[t]
        dc = dh * o * (1 - tc * tc)  # through h_t = o tanh(c_t) ...
        dc += dc_next  # ... plus what reaches c_t from c_{t+1}
        da = das[t].reshape(N, 4, H)  # da[:, k] is gate k's block of the packed row
        np.multiply(dc * g * i, 1 - i, out=da[:, 0])  # input gate
        np.multiply(dc * c_prev * f, 1 - f, out=da[:, 1])  # forget gate
        np.multiply(dc * i, 1 - g * g, out=da[:, 2])  # candidate
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

    dx, dW_x, dW_h = gate_weight_grads(x, W_x, h0, hs, das, das)  # single products over all steps
    db = das.sum(axis=(0, 1))
    grads = (dx, dh_next, dW_x, dW_h, db, dc_next)
    return grads + (deltas.transpose(1, 0, 2),) if deltas is not None else grads
