"""Long short-term memory (Hochreiter and Schmidhuber, 1997), batch-first (chapter 6).

Gate layout: the three gates and the candidate are packed side by side in one
matrix, in the order input gate, forget gate, candidate, output gate
([i, f, c_tilde, o], the order PyTorch uses), so one product computes all of them:

    a_t = x_t W_x + h_{t-1} W_h + b              (N, 4H), W_x (D, 4H), W_h (H, 4H), b (4H,)
    i = sigmoid(a[:, :H])          f = sigmoid(a[:, H:2H])
    c_tilde = tanh(a[:, 2H:3H])    o = sigmoid(a[:, 3H:])
    c_t = f * c_{t-1} + i * c_tilde              (the additive cell path)
    h_t = o * tanh(c_t)

With an (N, T) mask, a padded step copies both h and c forward unchanged.

The module has two parts.  :func:`lstm_step_forward` and :func:`lstm_step_backward`
compute one step, written exactly as the equations above.  :func:`lstm_forward` and
:func:`lstm_backward` run a whole sequence as a loop of them over time, on batch-first
arrays, and :func:`lstm_state_gradients` reports the deltas dL/dh_t of the same
backward loop.  :func:`lstm_gates` reads the gates and cell states out of a cache by
name.  :mod:`rnnlib._fast` computes the same sequence functions faster (the recurrent
layer of :mod:`rnnlib.recurrent` uses it), and the tests hold the two to each other.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from rnnlib._checks import Shapes, check_cache
from rnnlib._types import Array
from rnnlib.activations import sigmoid

#: The names of the arrays :func:`lstm_forward` keeps for every step, each (N, T, H).
GATE_NAMES = ("i", "f", "c_tilde", "o", "c")


def lstm_step_forward(
    x: Array, h_prev: Array, c_prev: Array, W_x: Array, W_h: Array, b: Array
) -> tuple[Array, Array, dict[str, Any]]:
    """One LSTM step, written as the equations: the step that :func:`lstm_forward` repeats.

    Parameters
    ----------
    x : ndarray of shape (N, D)
        the input x_t
    h_prev : ndarray of shape (N, H)
        the hidden state h_{t-1}
    c_prev : ndarray of shape (N, H)
        the cell state c_{t-1}
    W_x : ndarray of shape (D, 4H)
        input weights of [i, f, c_tilde, o]
    W_h : ndarray of shape (H, 4H)
        recurrent weights of [i, f, c_tilde, o]
    b : ndarray of shape (4H,)

    Returns
    -------
    h : ndarray of shape (N, H)
    c : ndarray of shape (N, H)
    cache : dict
        for :func:`lstm_step_backward`
    """
    s = Shapes()
    x = s.floats("x", x, ("N", "D"))
    h_prev = s.floats("h_prev", h_prev, ("N", "H"))
    c_prev = s.floats("c_prev", c_prev, ("N", "H"))
    H = h_prev.shape[1]
    W_x = s.floats("W_x", W_x, ("D", 4 * H))
    W_h = s.floats("W_h", W_h, ("H", 4 * H))
    b = s.floats("b", b, (4 * H,))

    a = x @ W_x + h_prev @ W_h + b  # (N, 4H): all four pre-activations side by side
    i = sigmoid(a[:, :H])  # input gate: how much to write
    f = sigmoid(a[:, H : 2 * H])  # forget gate: how much to keep
    c_tilde = np.tanh(a[:, 2 * H : 3 * H])  # candidate: what could be written
    o = sigmoid(a[:, 3 * H :])  # output gate: how much to show
    c = f * c_prev + i * c_tilde  # the additive cell update
    h = o * np.tanh(c)
    cache = {"x": x, "h_prev": h_prev, "c_prev": c_prev, "W_x": W_x, "W_h": W_h,
             "i": i, "f": f, "c_tilde": c_tilde, "o": o, "c": c}  # fmt: skip
    return h, c, cache


def lstm_step_backward(
    dh: Array, dc: Array, cache: dict[str, Any]
) -> tuple[Array, Array, Array, Array, Array, Array]:
    """Gradients of one step of :func:`lstm_step_forward`, given dL/dh_t and dL/dc_t.

    Parameters
    ----------
    dh : ndarray of shape (N, H)
        dL/dh_t: everything that reaches h_t (its output and the next step)
    dc : ndarray of shape (N, H)
        dL/dc_t from outside this step's h: from step t + 1 through c_{t+1}, or at the
        last step whatever reaches the final cell state (``dc_final``, zeros if none)
    cache : dict
        from :func:`lstm_step_forward`

    Returns
    -------
    dx (N, D), dh_prev (N, H), dc_prev (N, H), dW_x (D, 4H), dW_h (H, 4H), db (4H,)
    """
    check_cache(cache, "lstm_step_forward", ("x", "h_prev", "c_prev", "W_x", "W_h", "i", "f", "c_tilde", "o", "c"))
    i, f, c_tilde, o, c = (cache[k] for k in ("i", "f", "c_tilde", "o", "c"))
    s = Shapes()
    dh = s.floats("dh", dh, c.shape)
    dc = s.floats("dc", dc, c.shape)

    tanh_c = np.tanh(c)
    dc = dc + dh * o * (1 - tanh_c**2)  # through h_t = o tanh(c_t), plus what came from c_{t+1}
    da_i = dc * c_tilde * i * (1 - i)
    da_f = dc * cache["c_prev"] * f * (1 - f)
    da_c_tilde = dc * i * (1 - c_tilde**2)
    da_o = dh * tanh_c * o * (1 - o)
    da = np.concatenate([da_i, da_f, da_c_tilde, da_o], axis=1)  # (N, 4H), packed like the weights
    dc_prev = dc * f  # the additive path: only multiplied by the forget gate
    return (da @ cache["W_x"].T, da @ cache["W_h"].T, dc_prev,
            cache["x"].T @ da, cache["h_prev"].T @ da, da.sum(axis=0))  # fmt: skip


def lstm_forward(
    x: Array,
    h0: Array,
    W_x: Array,
    W_h: Array,
    b: Array,
    mask: NDArray[np.bool_] | None = None,
    c0: Array | None = None,
) -> tuple[Array, dict[str, Any]]:
    """Run an LSTM over a batch of sequences, one :func:`lstm_step_forward` at a time.

    Parameters
    ----------
    x : ndarray of shape (N, T, D)
    h0 : ndarray of shape (N, H)
        initial hidden state
    W_x : ndarray of shape (D, 4H)
        input weights of the gates [i, f, c_tilde, o]
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
        for :func:`lstm_backward`; ``cache["hs"]`` is ``hs``, and the gates and cell
        states of every step are read by name with :func:`lstm_gates`, all batch-first
    """
    x, h0, W_x, W_h, b, mask, c0 = _checked_inputs(x, h0, W_x, W_h, b, mask, c0)
    N, T, _ = x.shape
    widest = np.result_type(x, h0, W_x, W_h, b, c0)  # states keep the inputs' widest precision
    kept = {k: np.empty((N, T, h0.shape[1]), dtype=widest) for k in GATE_NAMES + ("hs",)}
    h, c = h0, c0
    for t in range(T):
        h_new, c_new, step = lstm_step_forward(x[:, t], h, c, W_x, W_h, b)
        if mask is not None:  # a padded step keeps h_{t-1} and c_{t-1}
            h_new, c_new = np.where(mask[:, t, None], h_new, h), np.where(mask[:, t, None], c_new, c)
        h, c = h_new, c_new
        for k in ("i", "f", "c_tilde", "o"):
            kept[k][:, t] = step[k]
        kept["c"][:, t], kept["hs"][:, t] = c, h
    for v in kept.values():
        v.flags.writeable = False  # the cache reads them in backward: writing to them would change the gradients
    cache = {"x": x, "h0": h0, "c0": c0, "W_x": W_x, "W_h": W_h, "mask": mask} | kept
    return kept["hs"], cache


def _checked_inputs(
    x: Array, h0: Array, W_x: Array, W_h: Array, b: Array, mask: NDArray[np.bool_] | None, c0: Array | None
) -> tuple[Array, Array, Array, Array, Array, NDArray[np.bool_] | None, Array]:
    """lstm_forward's arrays, checked (shapes, dtypes, finite values) and converted; c0 zeros if None."""
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
    return x, h0, W_x, W_h, b, s.mask("mask", mask, ("N", "T")), c0


def lstm_backward(
    dhs: Array, cache: dict[str, Any], dc_final: Array | None = None
) -> tuple[Array, Array, Array, Array, Array, Array]:
    """Backpropagation through time for :func:`lstm_forward`, one step at a time.

    Parameters
    ----------
    dhs : ndarray of shape (N, T, H)
        dL/dh_t from the layers above each step
    cache : dict
        from :func:`lstm_forward`
    dc_final : optional ndarray of shape (N, H)
        dL/dc of the last cell state, ``lstm_gates(cache)["c"][:, -1]``, from
        outside the layer (a decoder that starts from it, for instance); zeros
        when None

    Returns
    -------
    dx (N, T, D), dh0 (N, H), dW_x (D, 4H), dW_h (H, 4H), db (4H,), dc0 (N, H)
        the gradients of the forward inputs x, h0, W_x, W_h, b and c0, in the
        order of the forward's parameters (``mask``, which has none, left out)
    """
    return _bptt(dhs, cache, dc_final)[0]


def lstm_state_gradients(dhs: Array, cache: dict[str, Any], dc_final: Array | None = None) -> Array:
    """delta_t = dL/dh_t, the total gradient reaching each hidden state of :func:`lstm_forward`.

    As :func:`rnnlib.rnn.rnn_state_gradients` for the vanilla RNN: the same arguments as
    :func:`lstm_backward` (``dc_final`` too), and the same backward loop.

    Returns
    -------
    deltas : ndarray of shape (N, T, H)
    """
    return _bptt(dhs, cache, dc_final)[1]


def _bptt(
    dhs: Array, cache: dict[str, Any], dc_final: Array | None
) -> tuple[tuple[Array, Array, Array, Array, Array, Array], Array]:
    """The backward loop of :func:`lstm_backward` and :func:`lstm_state_gradients`:
    the gradients of the forward inputs, and the deltas (N, T, H) it passes through."""
    check_cache(cache, "lstm_forward", ("x", "h0", "c0", "W_x", "W_h", "mask", "hs") + GATE_NAMES)
    x, h0, c0, W_x, W_h, mask, hs, cs = (cache[k] for k in ("x", "h0", "c0", "W_x", "W_h", "mask", "hs", "c"))
    s = Shapes()
    dhs = s.floats("dhs", dhs, hs.shape)
    N, T, H = hs.shape

    dx = np.zeros_like(x)
    dW_x, dW_h, db = np.zeros_like(W_x), np.zeros_like(W_h), np.zeros(W_h.shape[1], dtype=W_h.dtype)
    deltas = np.zeros_like(hs)
    dh_next = np.zeros_like(h0)  # dL/dh_t through step t+1; zero after the last step
    dc_next = np.zeros_like(c0) if dc_final is None else s.floats("dc_final", dc_final, (N, H))
    for t in reversed(range(T)):
        delta = dhs[:, t] + dh_next  # total dL/dh_t: from step t's own output and from step t+1
        deltas[:, t] = delta
        step_cache = {  # what lstm_step_forward kept at step t
            "x": x[:, t],
            "h_prev": h0 if t == 0 else hs[:, t - 1],
            "c_prev": c0 if t == 0 else cs[:, t - 1],
            "W_x": W_x,
            "W_h": W_h,
        } | {k: cache[k][:, t] for k in GATE_NAMES}
        if mask is None:
            dx[:, t], dh_next, dc_next, dW_x_t, dW_h_t, db_t = lstm_step_backward(delta, dc_next, step_cache)
        else:  # a padded step copied (h, c) forward: their gradients pass back unchanged, and it adds nothing
            real = mask[:, t, None]
            dx[:, t], dh_prev, dc_prev, dW_x_t, dW_h_t, db_t = lstm_step_backward(
                np.where(real, delta, 0), np.where(real, dc_next, 0), step_cache
            )
            dh_next, dc_next = np.where(real, dh_prev, delta), np.where(real, dc_prev, dc_next)
        dW_x += dW_x_t  # every step uses the same weights: their gradients add up over the steps
        dW_h += dW_h_t
        db += db_t
    return (dx, dh_next, dW_x, dW_h, db, dc_next), deltas


def lstm_gates(cache: dict[str, Any]) -> dict[str, Array]:
    """The gates and cell states that :func:`lstm_forward` computed, by name and batch-first.

    Parameters
    ----------
    cache : dict
        from :func:`lstm_forward` (or from the recurrent layer's tuned LSTM, whose
        cache holds the same names)

    Returns
    -------
    gates : dict
        ``"i"``, ``"f"``, ``"c_tilde"``, ``"o"``: the input gate, forget gate, candidate
        and output gate of every step, and ``"c"``: the cell states c_t; each an
        ndarray of shape (N, T, H), read-only, whose ``[:, t - 1]`` belongs to step t
    """
    check_cache(cache, "lstm_forward", GATE_NAMES)
    return {k: cache[k] for k in GATE_NAMES}  # read-only arrays: writing to them would change the gradients
