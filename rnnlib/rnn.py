"""The vanilla (Elman) recurrent layer: one step, and a whole sequence with BPTT.

Shapes are batch-first throughout: x (N, T, D), h0 (N, H), hs (N, T, H), with
parameters W_xh (D, H), W_hh (H, H), b_h (H,).  The recurrence, for each step t,

    a_t = x_t W_xh + h_{t-1} W_hh + b_h          (pre-activation, (N, H))
    h_t = f(a_t)                                   (f = tanh by default)

and with an (N, T) mask, a padded step (mask 0) copies the state forward,
h_t = h_{t-1}, so the last state of a right-padded sequence is the state after
its last real token.

Backpropagation through time (chapter 4) walks the same loop backwards, carrying
delta_t = dL/dh_t:

    delta_t  = dhs_t + (dL/da_{t+1}) W_hh^T        (gradient arriving at h_t)
    da_t     = delta_t * f'(a_t)

and, because every step uses the same weights, their gradients are sums over the steps:

    dW_xh = sum_t x_t^T da_t,   dW_hh = sum_t h_{t-1}^T da_t,   db_h = sum_t sum_n da_t

The sequence functions below are written to be read: a loop over time of
:func:`rnn_step_forward` and :func:`rnn_step_backward`, on batch-first arrays, and
:func:`rnn_state_gradients` returns the deltas delta_t of the same backward loop.
:mod:`rnnlib._fast` computes the same thing faster (the recurrent layer of
:mod:`rnnlib.recurrent` uses it), and the tests hold the two to each other.

Every forward function returns ``(output, cache)``; the backward function below it
takes ``(upstream gradient, cache)`` and returns the gradients in the order of the
forward inputs.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from rnnlib._checks import Shapes, check_cache
from rnnlib._types import Array
from rnnlib.activations import get_activation


def rnn_step_forward(
    x: Array, h_prev: Array, W_xh: Array, W_hh: Array, b_h: Array, activation: str = "tanh"
) -> tuple[Array, dict[str, Any]]:
    """One time step of the recurrence, h = f(x W_xh + h_prev W_hh + b_h).

    Parameters
    ----------
    x : ndarray of shape (N, D)
    h_prev : ndarray of shape (N, H)
    W_xh : ndarray of shape (D, H)
    W_hh : ndarray of shape (H, H)
    b_h : ndarray of shape (H,)
    activation : {"tanh", "relu", "sigmoid", "linear"}
        "tanh" by default

    Returns
    -------
    h : ndarray of shape (N, H)
    cache : dict
        for :func:`rnn_step_backward`
    """
    s = Shapes()
    x = s.floats("x", x, ("N", "D"))
    h_prev = s.floats("h_prev", h_prev, ("N", "H"))
    W_xh = s.floats("W_xh", W_xh, ("D", "H"))
    W_hh = s.floats("W_hh", W_hh, ("H", "H"))
    b_h = s.floats("b_h", b_h, ("H",))
    f, _ = get_activation(activation)
    # a = x W_xh + h_prev W_hh + b_h, added in the order the tuned path adds it (rnnlib._fast computes
    # x W_xh + b_h for every step first), so the two agree bit for bit, not only to rounding
    h = f(x @ W_xh + b_h + h_prev @ W_hh)
    return h, {"x": x, "h_prev": h_prev, "W_xh": W_xh, "W_hh": W_hh, "h": h, "activation": activation}


def rnn_step_backward(dh: Array, cache: dict[str, Any]) -> tuple[Array, Array, Array, Array, Array]:
    """Gradients of one step, given dL/dh.

    Parameters
    ----------
    dh : ndarray of shape (N, H)
    cache : dict
        from :func:`rnn_step_forward`

    Returns
    -------
    dx (N, D), dh_prev (N, H), dW_xh (D, H), dW_hh (H, H), db_h (H,)
    """
    check_cache(cache, "rnn_step_forward", ("activation", "h", "h_prev", "x", "W_xh", "W_hh"))
    _, fprime = get_activation(cache["activation"])
    dh = Shapes().floats("dh", dh, cache["h"].shape)
    da = dh * fprime(cache["h"])
    return (
        da @ cache["W_xh"].T,
        da @ cache["W_hh"].T,
        cache["x"].T @ da,
        cache["h_prev"].T @ da,
        da.sum(axis=0),
    )


def rnn_forward(
    x: Array,
    h0: Array,
    W_xh: Array,
    W_hh: Array,
    b_h: Array,
    mask: NDArray[np.bool_] | None = None,
    activation: str = "tanh",
) -> tuple[Array, dict[str, Any]]:
    """Run the recurrence over a whole batch of sequences, one step at a time.

    Parameters
    ----------
    x : ndarray of shape (N, T, D)
    h0 : ndarray of shape (N, H)
        the initial state
    W_xh : ndarray of shape (D, H)
    W_hh : ndarray of shape (H, H)
    b_h : ndarray of shape (H,)
    mask : optional ndarray of shape (N, T)
        1 for real steps and 0 for padding;
        a padded step copies the previous state forward.
    activation : {"tanh", "relu", "sigmoid", "linear"}
        "tanh" by default

    Returns
    -------
    hs : ndarray of shape (N, T, H)
        the state after every step
    cache : dict
        for :func:`rnn_backward`
    """
    x, h0, W_xh, W_hh, b_h, mask = _checked_inputs(x, h0, W_xh, W_hh, b_h, mask)
    N, T, _ = x.shape
    hs = np.empty((N, T, h0.shape[1]), dtype=np.result_type(x, h0, W_xh, W_hh, b_h))
    h = h0
    for t in range(T):
        h_new, _ = rnn_step_forward(x[:, t], h, W_xh, W_hh, b_h, activation)
        if mask is not None:
            h_new = np.where(mask[:, t, None], h_new, h)  # a padded step keeps h_{t-1}
        hs[:, t] = h = h_new
    hs.flags.writeable = False  # the cache reads it in backward: writing to it would change the gradients
    cache = {"x": x, "h0": h0, "W_xh": W_xh, "W_hh": W_hh, "hs": hs, "mask": mask, "activation": activation}
    return hs, cache


def _checked_inputs(
    x: Array, h0: Array, W_xh: Array, W_hh: Array, b_h: Array, mask: NDArray[np.bool_] | None
) -> tuple[Array, Array, Array, Array, Array, NDArray[np.bool_] | None]:
    """rnn_forward's arrays, checked (shapes, dtypes, finite values) and converted."""
    s = Shapes()
    x = s.floats("x", x, ("N", "T", "D"))
    if x.shape[1] == 0:
        raise ValueError(f"x must hold at least one time step; got shape {x.shape}")
    h0 = s.floats("h0", h0, ("N", "H"))
    W_xh = s.floats("W_xh", W_xh, ("D", "H"))
    W_hh = s.floats("W_hh", W_hh, ("H", "H"))
    b_h = s.floats("b_h", b_h, ("H",))
    return x, h0, W_xh, W_hh, b_h, s.mask("mask", mask, ("N", "T"))


def rnn_backward(dhs: Array, cache: dict[str, Any]) -> tuple[Array, Array, Array, Array, Array]:
    """Backpropagation through time for :func:`rnn_forward`, one step at a time.

    Parameters
    ----------
    dhs : ndarray of shape (N, T, H)
        dL/dh_t coming from the layers above each step
        (zeros where a step has no output of its own).
    cache : dict
        from :func:`rnn_forward`

    Returns
    -------
    dx (N, T, D), dh0 (N, H), dW_xh (D, H), dW_hh (H, H), db_h (H,)
        the gradients of the forward inputs, in their order
    """
    return _bptt(dhs, cache)[0]


def rnn_state_gradients(dhs: Array, cache: dict[str, Any]) -> Array:
    """delta_t = dL/dh_t, the *total* gradient reaching each state of :func:`rnn_forward`.

    delta_t collects what reaches h_t from its own output (``dhs[:, t]``) and from all
    later steps: the quantity whose norm chapter 5 plots to watch gradients vanish.
    It is computed by the same backward loop as :func:`rnn_backward`.

    Parameters
    ----------
    dhs : ndarray of shape (N, T, H)
        dL/dh_t coming from the layers above each step
    cache : dict
        from :func:`rnn_forward`

    Returns
    -------
    deltas : ndarray of shape (N, T, H)
    """
    return _bptt(dhs, cache)[1]


def _bptt(dhs: Array, cache: dict[str, Any]) -> tuple[tuple[Array, Array, Array, Array, Array], Array]:
    """The backward loop of :func:`rnn_backward` and :func:`rnn_state_gradients`:
    the gradients of the forward inputs, and the deltas (N, T, H) it passes through."""
    check_cache(cache, "rnn_forward", ("x", "h0", "W_xh", "W_hh", "hs", "mask", "activation"))
    x, h0, W_xh, W_hh, hs, mask = (cache[k] for k in ("x", "h0", "W_xh", "W_hh", "hs", "mask"))
    dhs = Shapes().floats("dhs", dhs, hs.shape)
    T = hs.shape[1]

    dx = np.zeros_like(x)
    dW_xh, dW_hh, db_h = np.zeros_like(W_xh), np.zeros_like(W_hh), np.zeros(W_hh.shape[0], dtype=W_hh.dtype)
    deltas = np.zeros_like(hs)
    dh_next = np.zeros_like(h0)  # dL/dh_t through h_{t+1}; zero after the last step
    for t in reversed(range(T)):
        delta = dhs[:, t] + dh_next  # total dL/dh_t: from step t's own output and from step t+1
        deltas[:, t] = delta
        h_prev = h0 if t == 0 else hs[:, t - 1]
        step_cache = {  # what rnn_step_forward kept at step t
            "x": x[:, t],
            "h_prev": h_prev,
            "W_xh": W_xh,
            "W_hh": W_hh,
            "h": hs[:, t],
            "activation": cache["activation"],
        }
        if mask is None:
            dx[:, t], dh_next, dW_xh_t, dW_hh_t, db_h_t = rnn_step_backward(delta, step_cache)
        else:  # a padded step copied h_{t-1} forward: its gradient passes back unchanged, and adds nothing
            real = mask[:, t, None]
            dx[:, t], dh_prev, dW_xh_t, dW_hh_t, db_h_t = rnn_step_backward(np.where(real, delta, 0), step_cache)
            dh_next = np.where(real, dh_prev, delta)
        dW_xh += dW_xh_t  # every step uses the same weights: their gradients add up over the steps
        dW_hh += dW_hh_t
        db_h += db_h_t
    return (dx, dh_next, dW_xh, dW_hh, db_h), deltas
