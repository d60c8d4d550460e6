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

The module has two parts.  :func:`gru_step_forward` and :func:`gru_step_backward` are
the readable reference: one step, written exactly as the equations above.
:func:`gru_forward` and :func:`gru_backward` run a whole sequence fast (time-major
storage, the sigmoid computed as 0.5 tanh(a / 2) + 0.5 on pre-halved weights); the
tests check that they agree with a loop of the step functions to 1e-12.
:func:`gru_gates` reads the gates out of their cache by name.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from rnnlib._checks import Shapes, check_cache
from rnnlib._gates import gate_blocks, gate_weight_grads
from rnnlib._types import Array
from rnnlib.activations import sigmoid


def gru_step_forward(
    x: Array, h_prev: Array, W_x: Array, W_h: Array, b: Array, b_hn: Array
) -> tuple[Array, dict[str, Any]]:
    """One GRU step, written as the equations: the readable reference for :func:`gru_forward`.

    Parameters
    ----------
    x : ndarray of shape (N, D)
        the input x_t
    h_prev : ndarray of shape (N, H)
        the state h_{t-1}
    W_x : ndarray of shape (D, 3H)
        input weights of [r, z, n]
    W_h : ndarray of shape (H, 3H)
        recurrent weights of [r, z, n]
    b : ndarray of shape (3H,)
        input-side biases
    b_hn : ndarray of shape (H,)
        the recurrent bias of the candidate, inside the reset gate

    Returns
    -------
    h : ndarray of shape (N, H)
    cache : dict
        for :func:`gru_step_backward`
    """
    s = Shapes()
    x = s.floats("x", x, ("N", "D"))
    h_prev = s.floats("h_prev", h_prev, ("N", "H"))
    H = h_prev.shape[1]
    W_x = s.floats("W_x", W_x, ("D", 3 * H))
    W_h = s.floats("W_h", W_h, ("H", 3 * H))
    b = s.floats("b", b, (3 * H,))
    b_hn = s.floats("b_hn", b_hn, ("H",))

    xa = x @ W_x + b  # (N, 3H): the input side of [r, z, n]
    ha = h_prev @ W_h  # (N, 3H): the recurrent side
    r = sigmoid(xa[:, :H] + ha[:, :H])  # reset gate
    z = sigmoid(xa[:, H : 2 * H] + ha[:, H : 2 * H])  # update gate
    n_h = ha[:, 2 * H :] + b_hn  # the candidate's recurrent part, which the reset gate scales
    n = np.tanh(xa[:, 2 * H :] + r * n_h)  # candidate
    h = (1 - z) * n + z * h_prev  # the additive update
    cache = {"x": x, "h_prev": h_prev, "W_x": W_x, "W_h": W_h, "r": r, "z": z, "n": n, "n_h": n_h}
    return h, cache


def gru_step_backward(dh: Array, cache: dict[str, Any]) -> tuple[Array, ...]:
    """Gradients of one step of :func:`gru_step_forward`, given dL/dh_t.

    Parameters
    ----------
    dh : ndarray of shape (N, H)
        dL/dh_t: everything that reaches h_t (its output and the next step)
    cache : dict
        from :func:`gru_step_forward`

    Returns
    -------
    dx (N, D), dh_prev (N, H), dW_x (D, 3H), dW_h (H, 3H), db (3H,), db_hn (H,)
    """
    check_cache(cache, "gru_step_forward", ("x", "h_prev", "W_x", "W_h", "r", "z", "n", "n_h"))
    r, z, n, n_h, h_prev = (cache[k] for k in ("r", "z", "n", "n_h", "h_prev"))
    dh = Shapes().floats("dh", dh, h_prev.shape)

    da_n = dh * (1 - z) * (1 - n**2)  # into the candidate's pre-activation
    da_r = da_n * n_h * r * (1 - r)
    da_z = dh * (h_prev - n) * z * (1 - z)
    dxa = np.concatenate([da_r, da_z, da_n], axis=1)  # (N, 3H): input side, packed like W_x
    dha = np.concatenate([da_r, da_z, r * da_n], axis=1)  # recurrent side: the reset gate scales n's part
    dh_prev = dha @ cache["W_h"].T + z * dh  # through the gates, plus the additive path
    return (dxa @ cache["W_x"].T, dh_prev, cache["x"].T @ dxa, h_prev.T @ dha,
            dxa.sum(axis=0), (r * da_n).sum(axis=0))  # fmt: skip


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
        for :func:`gru_backward`; ``cache["hs"]`` is ``hs``, batch-first like every
        layer's.  Read the gates with :func:`gru_gates`, which names them and returns
        them batch-first; inside, the cache stores them time-major (``cache["gates"]``
        of shape (T, 3, N, H)) for the speed of the time loop
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
    out = hs.transpose(1, 0, 2)  # a batch-first view of the time-major storage, no copy
    out.flags.writeable = False  # writing to it would change the gradients
    cache = {"x": x, "h0": h0, "W_x": W_x, "W_h": W_h, "gates": gates, "hns": hns, "hs": out, "mask": mask}
    return out, cache


def gru_backward(dhs: Array, cache: dict[str, Any]) -> tuple[Array, Array, Array, Array, Array, Array]:
    """Backpropagation through time for :func:`gru_forward`.

    Parameters
    ----------
    dhs : ndarray of shape (N, T, H)
        dL/dh_t from the layers above each step
    cache : dict
        from :func:`gru_forward`

    Returns
    -------
    dx (N, T, D), dh0 (N, H), dW_x (D, 3H), dW_h (H, 3H), db (3H,), db_hn (H,)
        the gradients of the forward inputs, in their order
    """
    dxa, dha, dh0, _ = _recursion(dhs, cache, keep_deltas=False)
    x, h0, W_x, hs = (cache[k] for k in ("x", "h0", "W_x", "hs"))
    H = hs.shape[2]
    dx, dW_x, dW_h = gate_weight_grads(x, W_x, h0, hs.transpose(1, 0, 2), dxa, dha)  # single products over all steps
    return dx, dh0, dW_x, dW_h, dxa.sum(axis=(0, 1)), dha[:, :, 2 * H :].sum(axis=(0, 1))


def gru_state_gradients(dhs: Array, cache: dict[str, Any]) -> Array:
    """delta_t = dL/dh_t, the total gradient reaching each hidden state of :func:`gru_forward`.

    As :func:`rnnlib.rnn.rnn_state_gradients` for the vanilla RNN, computed by the same
    backward loop as :func:`gru_backward`.

    Parameters
    ----------
    dhs : ndarray of shape (N, T, H)
        dL/dh_t from the layers above each step
    cache : dict
        from :func:`gru_forward`

    Returns
    -------
    deltas : ndarray of shape (N, T, H)
    """
    deltas = _recursion(dhs, cache, keep_deltas=True)[3]
    assert deltas is not None  # asked for
    return deltas


def _recursion(dhs: Array, cache: dict[str, Any], keep_deltas: bool) -> tuple[Array, Array, Array, Array | None]:
    """The backward loop over time shared by :func:`gru_backward` and :func:`gru_state_gradients`:
    dL/d(x_t W_x + b) and dL/d(h_{t-1} W_h) of every step, time-major (T, N, 3H), dL/dh0 and,
    if ``keep_deltas``, the deltas dL/dh_t batch-first (N, T, H)."""
    check_cache(cache, "gru_forward", ("x", "h0", "W_x", "W_h", "gates", "hns", "hs", "mask"))
    h0, W_h, gates, hns, hs, mask = (cache[k] for k in ("h0", "W_h", "gates", "hns", "hs", "mask"))
    hs = hs.transpose(1, 0, 2)  # the time-major storage gru_forward filled: no copy
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


def gru_gates(cache: dict[str, Any]) -> dict[str, Array]:
    """The gates that :func:`gru_forward` computed, by name and batch-first.

    Parameters
    ----------
    cache : dict
        from :func:`gru_forward`

    Returns
    -------
    gates : dict
        ``"r"``, ``"z"``, ``"n"``: the reset gate, update gate and candidate of every
        step, and ``"n_h"``: the candidate's recurrent part h_{t-1} W_hn + b_hn; each an
        ndarray of shape (N, T, H), read-only, whose ``[:, t - 1]`` belongs to step t
    """
    check_cache(cache, "gru_forward", ("gates", "hns"))
    views = dict(zip(("r", "z", "n"), cache["gates"].transpose(1, 2, 0, 3), strict=True))
    views["n_h"] = cache["hns"].transpose(1, 0, 2)
    for v in views.values():
        v.flags.writeable = False  # views of the cache: writing to them would change the gradients
    return views
