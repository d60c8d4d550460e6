"""The vanilla RNN's sequence functions, tuned for speed (used by :class:`rnnlib.recurrent.Recurrent`).

:func:`rnnlib.rnn.rnn_forward` and :func:`rnnlib.rnn.rnn_backward` are the readable versions
that chapter 4 quotes: a loop over time of :func:`rnnlib.rnn.rnn_step_forward` and
:func:`rnnlib.rnn.rnn_step_backward`, batch-first.  The functions here compute the same thing
faster, and the tests hold them to the readable ones (the states bit for bit, the gradients to a
relative error of 1e-12).  Three things make them faster:

- the states are stored time-major, (T, N, H), so that each step reads and writes one
  contiguous (N, H) block, and ``hs`` is returned as a batch-first view of that storage;
- the input projection x_t W_xh + b_h of every step is one matrix product before the loop,
  and each step overwrites its block in place with a_t and then h_t;
- the backward loop does only the recursion for delta_t = dL/dh_t; the sums over the steps
  (dW_xh, dW_hh, db_h) and dx are one product each over all T N rows after the loop.

The caches are interchangeable: :func:`rnn_backward_fast` accepts a cache from
:func:`rnnlib.rnn.rnn_forward`, and :func:`rnnlib.rnn.rnn_backward` one from
:func:`rnn_forward_fast`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from rnnlib._checks import Shapes, check_cache
from rnnlib._types import Array
from rnnlib.activations import get_activation


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

    The input projection of every step is one matrix product, x W_xh + b_h; the only
    Python loop is over time, because h_t needs h_{t-1}.  The states are stored
    time-major, so that each step writes one contiguous block, and returned as a
    batch-first view of that storage.

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
        for :func:`rnn_backward_fast` (or :func:`rnnlib.rnn.rnn_backward`)
    """
    s = Shapes()
    x = s.floats("x", x, ("N", "T", "D"))
    if x.shape[1] == 0:
        raise ValueError(f"x must hold at least one time step; got shape {x.shape}")
    h0 = s.floats("h0", h0, ("N", "H"))
    W_xh = s.floats("W_xh", W_xh, ("D", "H"))
    W_hh = s.floats("W_hh", W_hh, ("H", "H"))
    b_h = s.floats("b_h", b_h, ("H",))
    mask = s.mask("mask", mask, ("N", "T"))
    f, _ = get_activation(activation)

    N, T, _ = x.shape
    states = x.transpose(1, 0, 2) @ W_xh + b_h  # (T, N, H), time-major: x_t W_xh + b_h of every step
    h = h0
    for t in range(T):
        a = states[t]  # step t's contiguous (N, H) block, x_t W_xh + b_h; h_t replaces it below
        a += h @ W_hh  # the pre-activation a_t
        f(a, out=a)  # h_t = f(a_t), written over a_t
        if mask is not None:
            states[t] = np.where(mask[:, t, None], a, h)  # a padded step keeps h_{t-1}
        h = states[t]
    hs = states.transpose(1, 0, 2)  # (N, T, H): a batch-first view, no copy
    hs.flags.writeable = False  # the cache reads it in backward: writing to it would change the gradients
    cache = {"x": x, "h0": h0, "W_xh": W_xh, "W_hh": W_hh, "hs": hs, "mask": mask, "activation": activation}
    return hs, cache


def rnn_backward_fast(dhs: Array, cache: dict[str, Any]) -> tuple[Array, Array, Array, Array, Array]:
    """:func:`rnnlib.rnn.rnn_backward`, tuned for speed: the same gradients up to rounding.

    Parameters
    ----------
    dhs : ndarray of shape (N, T, H)
        dL/dh_t coming from the layers above each step
        (zeros where a step has no output of its own).
    cache : dict
        from :func:`rnn_forward_fast` or :func:`rnnlib.rnn.rnn_forward`

    Returns
    -------
    dx (N, T, D), dh0 (N, H), dW_xh (D, H), dW_hh (H, H), db_h (H,)
    """
    das, dh0, _ = _recursion(dhs, cache, keep_deltas=False)
    x, h0, W_xh, hs = (cache[k] for k in ("x", "h0", "W_xh", "hs"))
    T, N, H = das.shape
    D = x.shape[2]
    states = hs.transpose(1, 0, 2)  # time-major, as the loop worked
    # Each weight is used at every step, so its gradient is a sum over the steps: one product
    # over all T N rows, after the loop.
    dx = das.transpose(1, 0, 2) @ W_xh.T  # (N, T, D)
    dW_xh = x.transpose(1, 0, 2).reshape(T * N, D).T @ das.reshape(T * N, H)
    h_prev = states[:-1].reshape((T - 1) * N, H)  # h_1 .. h_{T-1}: the h_{t-1} of steps 2 .. T
    dW_hh = h0.T @ das[0] + h_prev.T @ das[1:].reshape((T - 1) * N, H)  # step 1's h_{t-1} is h0
    db_h = das.sum(axis=0).sum(axis=0)  # over the steps, then over the sequences
    return dx, dh0, dW_xh, dW_hh, db_h


def rnn_state_gradients_fast(dhs: Array, cache: dict[str, Any]) -> Array:
    """:func:`rnnlib.rnn.rnn_state_gradients`, tuned for speed: deltas (N, T, H), dL/dh_t."""
    deltas = _recursion(dhs, cache, keep_deltas=True)[2]
    assert deltas is not None  # asked for
    return deltas


def _recursion(dhs: Array, cache: dict[str, Any], keep_deltas: bool) -> tuple[Array, Array, Array | None]:
    """The backward loop over time shared by :func:`rnn_backward_fast` and
    :func:`rnn_state_gradients_fast`: dL/da_t of every step, time-major (T, N, H), dL/dh0,
    and, if ``keep_deltas``, the deltas dL/dh_t batch-first (N, T, H)."""
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
