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

The module has two parts.  :func:`gru_step_forward` and :func:`gru_step_backward`
compute one step, written exactly as the equations above.  :func:`gru_forward` and
:func:`gru_backward` run a whole sequence as a loop of them over time, on batch-first
arrays, and :func:`gru_state_gradients` reports the deltas dL/dh_t of the same backward
loop.  :func:`gru_gates` reads the gates out of a cache by name.  :mod:`rnnlib._fast`
computes the same sequence functions faster (the recurrent layer of
:mod:`rnnlib.recurrent` uses it), and the tests hold the two to each other.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from rnnlib._checks import Shapes, check_cache
from rnnlib._types import Array
from rnnlib.activations import sigmoid

#: The names of the arrays :func:`gru_forward` keeps for every step, each (N, T, H).
GATE_NAMES = ("r", "z", "n", "n_h")


def gru_step_forward(
    x: Array, h_prev: Array, W_x: Array, W_h: Array, b: Array, b_hn: Array
) -> tuple[Array, dict[str, Any]]:
    """One GRU step, written as the equations: the step that :func:`gru_forward` repeats.

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


def gru_step_backward(dh: Array, cache: dict[str, Any]) -> tuple[Array, Array, Array, Array, Array, Array]:
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
    """Run a GRU over a batch of sequences, one :func:`gru_step_forward` at a time.

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
        for :func:`gru_backward`; ``cache["hs"]`` is ``hs``, and the gates of every
        step are read by name with :func:`gru_gates`, all batch-first
    """
    x, h0, W_x, W_h, b, b_hn, mask = _checked_inputs(x, h0, W_x, W_h, b, b_hn, mask)
    N, T, _ = x.shape
    widest = np.result_type(x, h0, W_x, W_h, b, b_hn)  # states keep the inputs' widest precision
    kept = {k: np.empty((N, T, h0.shape[1]), dtype=widest) for k in GATE_NAMES + ("hs",)}
    h = h0
    for t in range(T):
        h_new, step = gru_step_forward(x[:, t], h, W_x, W_h, b, b_hn)
        if mask is not None:  # a padded step keeps h_{t-1}
            h_new = np.where(mask[:, t, None], h_new, h)
        h = h_new
        for k in GATE_NAMES:
            kept[k][:, t] = step[k]
        kept["hs"][:, t] = h
    for v in kept.values():
        v.flags.writeable = False  # the cache reads them in backward: writing to them would change the gradients
    cache = {"x": x, "h0": h0, "W_x": W_x, "W_h": W_h, "mask": mask} | kept
    return kept["hs"], cache


def _checked_inputs(
    x: Array, h0: Array, W_x: Array, W_h: Array, b: Array, b_hn: Array, mask: NDArray[np.bool_] | None
) -> tuple[Array, Array, Array, Array, Array, Array, NDArray[np.bool_] | None]:
    """gru_forward's arrays, checked (shapes, dtypes, finite values) and converted."""
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
    return x, h0, W_x, W_h, b, b_hn, s.mask("mask", mask, ("N", "T"))


def gru_backward(dhs: Array, cache: dict[str, Any]) -> tuple[Array, Array, Array, Array, Array, Array]:
    """Backpropagation through time for :func:`gru_forward`, one step at a time.

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
    return _bptt(dhs, cache)[0]


def gru_state_gradients(dhs: Array, cache: dict[str, Any]) -> Array:
    """delta_t = dL/dh_t, the total gradient reaching each hidden state of :func:`gru_forward`.

    As :func:`rnnlib.rnn.rnn_state_gradients` for the vanilla RNN: the same arguments as
    :func:`gru_backward`, and the same backward loop.

    Returns
    -------
    deltas : ndarray of shape (N, T, H)
    """
    return _bptt(dhs, cache)[1]


def _bptt(dhs: Array, cache: dict[str, Any]) -> tuple[tuple[Array, Array, Array, Array, Array, Array], Array]:
    """The backward loop of :func:`gru_backward` and :func:`gru_state_gradients`:
    the gradients of the forward inputs, and the deltas (N, T, H) it passes through."""
    check_cache(cache, "gru_forward", ("x", "h0", "W_x", "W_h", "mask", "hs") + GATE_NAMES)
    x, h0, W_x, W_h, mask, hs = (cache[k] for k in ("x", "h0", "W_x", "W_h", "mask", "hs"))
    dhs = Shapes().floats("dhs", dhs, hs.shape)
    T, H = hs.shape[1], hs.shape[2]

    dx = np.zeros_like(x)
    dW_x, dW_h = np.zeros_like(W_x), np.zeros_like(W_h)
    db, db_hn = np.zeros(3 * H, dtype=W_h.dtype), np.zeros(H, dtype=W_h.dtype)
    deltas = np.zeros_like(hs)
    dh_next = np.zeros_like(h0)  # dL/dh_t through step t+1; zero after the last step
    for t in reversed(range(T)):
        delta = dhs[:, t] + dh_next  # total dL/dh_t: from step t's own output and from step t+1
        deltas[:, t] = delta
        step_cache = {  # what gru_step_forward kept at step t
            "x": x[:, t],
            "h_prev": h0 if t == 0 else hs[:, t - 1],
            "W_x": W_x,
            "W_h": W_h,
        } | {k: cache[k][:, t] for k in GATE_NAMES}
        if mask is None:
            dx[:, t], dh_next, dW_x_t, dW_h_t, db_t, db_hn_t = gru_step_backward(delta, step_cache)
        else:  # a padded step copied h_{t-1} forward: its gradient passes back unchanged, and adds nothing
            real = mask[:, t, None]
            dx[:, t], dh_prev, dW_x_t, dW_h_t, db_t, db_hn_t = gru_step_backward(np.where(real, delta, 0), step_cache)
            dh_next = np.where(real, dh_prev, delta)
        dW_x += dW_x_t  # every step uses the same weights: their gradients add up over the steps
        dW_h += dW_h_t
        db += db_t
        db_hn += db_hn_t
    return (dx, dh_next, dW_x, dW_h, db, db_hn), deltas


def gru_gates(cache: dict[str, Any]) -> dict[str, Array]:
    """The gates that :func:`gru_forward` computed, by name and batch-first.

    Parameters
    ----------
    cache : dict
        from :func:`gru_forward` (or from the recurrent layer's tuned GRU, whose cache
        holds the same names)

    Returns
    -------
    gates : dict
        ``"r"``, ``"z"``, ``"n"``: the reset gate, update gate and candidate of every
        step, and ``"n_h"``: the candidate's recurrent part h_{t-1} W_hn + b_hn; each an
        ndarray of shape (N, T, H), read-only, whose ``[:, t - 1]`` belongs to step t
    """
    check_cache(cache, "gru_forward", GATE_NAMES)
    return {k: cache[k] for k in GATE_NAMES}  # read-only arrays: writing to them would change the gradients
