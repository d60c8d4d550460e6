"""Gated recurrent unit (Cho et al., 2014), batch-first (chapter 6).

Gate layout: reset, update and candidate packed side by side ([r, z, n], the order
PyTorch uses).  As in PyTorch (and cuDNN), the reset gate multiplies the
candidate's recurrent term *after* its product with W_h, which needs a separate
recurrent bias b_hn inside that product:

    xa = x_t W_x + b                        (N, 3H), W_x (D, 3H), b (3H,)
    ha = h_{t-1} W_h                        (N, 3H), W_h (H, 3H)
    r = sigmoid(xa_r + ha_r)     z = sigmoid(xa_z + ha_z)
    n = tanh(xa_n + r * (ha_n + b_hn))      b_hn (H,)
    h_t = (1 - z) * n + z * h_{t-1}

The update gate z interpolates between keeping the old state and taking the new
candidate: like the LSTM's cell, h_t has a path to h_{t-1} that is only scaled by z.
With an (N, T) mask, a padded step copies h forward unchanged.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from rnnlib._checks import Shapes, check_cache
from rnnlib._gates import gate_blocks, gate_weight_grads

Array = NDArray[np.floating]


def gru_forward(
    x: Array,
    h0: Array,
    W_x: Array,
    W_h: Array,
    b: Array,
    b_hn: Array,
    mask: NDArray[np.bool_] | None = None,
) -> tuple[Array, dict[str, Any]]:
    """Run a GRU over a batch of sequences.

    Parameters
    ----------
    x : ndarray of shape (N, T, D)
    h0 : ndarray of shape (N, H)
    W_x : ndarray of shape (D, 3H)
        input weights of [r, z, n]
    W_h : ndarray of shape (H, 3H)
        recurrent weights of [r, z, n]
    b : ndarray of shape (3H,)
        input-side biases
    b_hn : ndarray of shape (H,)
        the recurrent bias of the candidate, inside the reset gate
    mask : optional ndarray of shape (N, T)
        padded steps carry h forward

    Returns
    -------
    hs : ndarray of shape (N, T, H)
    cache : dict
        for :func:`gru_backward`, time-major: ``cache["gates"]`` holds the
        activated gates (T, 3, N, H) and ``cache["hs"]`` the states (T, N, H)
    """
    s = Shapes()
    x = s.floats("x", x, ("N", "T", "D"))
    if x.shape[1] == 0:
        raise ValueError(f"x must hold at least one time step; got shape {x.shape}")
    h0 = s.floats("h0", h0, ("N", "H"))
    H = h0.shape[1]
    W_x = s.floats("W_x", W_x, ("D", 3 * H))
    W_h = s.floats("W_h", W_h, ("H", 3 * H))
    b = s.floats("b", b, (3 * H,))
    b_hn = s.floats("b_hn", b_hn, ("H",))
    mask = s.mask("mask", mask, ("N", "T"))

    N, T, _ = x.shape
    # As in :func:`rnnlib.lstm.lstm_forward`, the sigmoid gates r and z are computed as
    # 0.5 * tanh(a / 2) + 0.5 with their columns of W_x, W_h and b halved in advance
    # (exact: a power of two), and every gate of every step is a contiguous (N, H)
    # block, gates[t, k], of time-major arrays.
    half = np.repeat(np.array([0.5, 0.5, 1.0], dtype=W_x.dtype), H)  # (3H,)
    W_h_blocks = gate_blocks(W_h * half, 3)  # (3, H, H)
    gates = np.empty((T, 3, N, H), dtype=np.result_type(x, W_x))  # input terms, activated in place below
    np.matmul(x.transpose(1, 0, 2)[:, None], gate_blocks(W_x * half, 3), out=gates)  # all input terms at once
    gates += (b * half).reshape(3, 1, H)
    hns = np.empty((T, N, H), dtype=gates.dtype)  # ha_n + b_hn, needed for the reset gate's gradient
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
    cache = {"x": x, "h0": h0, "W_x": W_x, "W_h": W_h, "gates": gates, "hns": hns, "hs": hs, "mask": mask}
    out = hs.transpose(1, 0, 2)  # a batch-first view of the cache, no copy
    out.flags.writeable = False  # writing to it would change the gradients
    return out, cache


def gru_backward(dhs: Array, cache: dict[str, Any], return_deltas: bool = False) -> tuple[Array, ...]:
    """Backpropagation through time for :func:`gru_forward`.

    Parameters
    ----------
    dhs : ndarray of shape (N, T, H)
        dL/dh_t from the layers above each step
    cache : dict
        from :func:`gru_forward`
    return_deltas : bool
        also return delta_t = dL/dh_t, the total gradient reaching each
        hidden state, as in :func:`rnnlib.rnn.rnn_backward`

    Returns
    -------
    dx (N, T, D), dh0 (N, H), dW_x (D, 3H), dW_h (H, 3H), db (3H,), db_hn (H,)
    and, with ``return_deltas``, deltas (N, T, H)
    """
    check_cache(cache, "gru_forward", ("x", "h0", "W_x", "W_h", "gates", "hns", "hs", "mask"))
    x, h0, W_x, W_h, gates, hns, hs, mask = (cache[k] for k in ("x", "h0", "W_x", "W_h", "gates", "hns", "hs", "mask"))
    T, N, H = hs.shape
    dhs = Shapes().floats("dhs", dhs, (N, T, H)).transpose(1, 0, 2)  # time-major view

    dxa = np.empty((T, N, 3 * H), dtype=hs.dtype)  # dL/d(x_t W_x + b), packed like the weights
    dha = np.empty_like(dxa)  # dL/d(h_{t-1} W_h)
    W_h_T = np.ascontiguousarray(W_h.T)  # (3H, H): BLAS multiplies by a contiguous copy faster than by a view
    dh_next = np.zeros_like(h0)
    deltas = np.empty_like(hs) if return_deltas else None
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

    dx, dW_x, dW_h = gate_weight_grads(x, W_x, h0, hs, dxa, dha)  # single products over all steps
    db_hn = dha[:, :, 2 * H :].sum(axis=(0, 1))
    grads = (dx, dh_next, dW_x, dW_h, dxa.sum(axis=(0, 1)), db_hn)
    return grads + (deltas.transpose(1, 0, 2),) if deltas is not None else grads
