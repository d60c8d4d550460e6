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

from rnnlib._checks import Shapes
from rnnlib.activations import sigmoid_inplace

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
    W_x : ndarray of shape (D, 3H), input weights of [r, z, n]
    W_h : ndarray of shape (H, 3H), recurrent weights of [r, z, n]
    b : ndarray of shape (3H,), input-side biases
    b_hn : ndarray of shape (H,), the recurrent bias of the candidate, inside the reset gate
    mask : optional ndarray of shape (N, T); padded steps carry h forward

    Returns
    -------
    hs : ndarray of shape (N, T, H)
    cache : dict for :func:`gru_backward`
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
    # Work time-major inside, so every step reads and writes contiguous (N, .) blocks.
    gates = np.matmul(x.transpose(1, 0, 2), W_x)  # (T, N, 3H): input projections, activated in place below
    gates += b
    hns = np.empty((T, N, H), dtype=gates.dtype)  # ha_n + b_hn, needed for the reset gate's gradient
    hs = np.empty_like(hns)
    h = h0
    for t in range(T):
        ha = h @ W_h
        gt = gates[t]
        gt[:, : 2 * H] += ha[:, : 2 * H]
        sigmoid_inplace(gt[:, : 2 * H])  # [r, z]
        r, z, n = gt[:, :H], gt[:, H : 2 * H], gt[:, 2 * H :]
        np.add(ha[:, 2 * H :], b_hn, out=hns[t])
        n += r * hns[t]
        np.tanh(n, out=n)  # n = tanh(xa_n + r * (ha_n + b_hn))
        np.subtract(h, n, out=hs[t])
        hs[t] *= z
        hs[t] += n  # h_t = n + z * (h_{t-1} - n)
        if mask is not None:
            hs[t] = np.where(mask[:, t, None], hs[t], h)
        h = hs[t]
    cache = {"x": x, "h0": h0, "W_x": W_x, "W_h": W_h, "gates": gates, "hns": hns, "hs": hs, "mask": mask}
    return hs.transpose(1, 0, 2), cache


def gru_backward(dhs: Array, cache: dict[str, Any], return_deltas: bool = False) -> tuple[Array, ...]:
    """Backpropagation through time for :func:`gru_forward`.

    Parameters
    ----------
    dhs : ndarray of shape (N, T, H), dL/dh_t from the layers above each step
    return_deltas : also return delta_t = dL/dh_t, the total gradient reaching each
        hidden state, as in :func:`rnnlib.rnn.rnn_backward`

    Returns
    -------
    dx (N, T, D), dh0 (N, H), dW_x (D, 3H), dW_h (H, 3H), db (3H,), db_hn (H,)
    and, with ``return_deltas``, deltas (N, T, H)
    """
    x, h0, W_x, W_h, gates, hns, hs, mask = (cache[k] for k in ("x", "h0", "W_x", "W_h", "gates", "hns", "hs", "mask"))
    T, N, H = hs.shape
    dhs = Shapes().floats("dhs", dhs, (N, T, H)).transpose(1, 0, 2)  # time-major view

    dxa = np.empty_like(gates)  # dL/d(x_t W_x + b), (T, N, 3H)
    dha = np.empty_like(gates)  # dL/d(h_{t-1} W_h), (T, N, 3H)
    dh_next = np.zeros_like(h0)
    deltas = np.empty_like(hs) if return_deltas else None
    for t in reversed(range(T)):
        r, z, n = gates[t, :, :H], gates[t, :, H : 2 * H], gates[t, :, 2 * H :]
        h_prev = hs[t - 1] if t > 0 else h0
        dh = dhs[t] + dh_next
        if deltas is not None:
            deltas[t] = dh
        dan = dh * (1 - z) * (1 - n * n)  # through n into its pre-activation
        d = dxa[t]
        d[:, :H] = dan * hns[t] * r * (1 - r)  # reset gate
        d[:, H : 2 * H] = dh * (h_prev - n) * z * (1 - z)  # update gate
        d[:, 2 * H :] = dan  # candidate, input side
        e = dha[t]
        e[:, : 2 * H] = d[:, : 2 * H]
        e[:, 2 * H :] = dan * r  # candidate, recurrent side (inside the reset gate)
        if mask is not None:
            m = mask[:, t, None]
            d *= m
            e *= m
            dh_next = e @ W_h.T + np.where(m, dh * z, dh)  # padded step: h_t = h_{t-1}
        else:
            dh_next = e @ W_h.T + dh * z

    # Parameter gradients as single products over all steps, outside the loop.
    D = x.shape[2]
    h_prev = np.concatenate([h0[None], hs[:-1]])  # (T, N, H): the state each step read
    dW_h = h_prev.reshape(T * N, H).T @ dha.reshape(T * N, 3 * H)
    dx = np.matmul(dxa, W_x.T).transpose(1, 0, 2)  # (N, T, D)
    dW_x = x.transpose(1, 0, 2).reshape(T * N, D).T @ dxa.reshape(T * N, 3 * H)
    db_hn = dha[:, :, 2 * H :].sum(axis=(0, 1))
    grads = (dx, dh_next, dW_x, dW_h, dxa.sum(axis=(0, 1)), db_hn)
    return grads + (deltas.transpose(1, 0, 2),) if deltas is not None else grads
