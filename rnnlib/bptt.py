"""Backpropagation through time spelled out, and the truncated variants (chapter 4).

:func:`rnnlib.rnn.rnn_backward` is BPTT written as a recursion, carrying
delta_t = dL/dh_t backwards one step at a time.  This module holds what chapter 4
builds around it:

- :func:`scalar_bptt`: the many-to-one model with scalar input and state (D = H = 1)
  differentiated the long way, as an explicit sum over chain-rule paths, one path per
  time step.  It is written from the path formula, not from the recursion, so it is an
  independent reference that the tests hold ``rnn_backward`` to;
- :func:`rnn_backward_truncated`: BPTT(k), where the gradient of every step's output
  is carried back through at most k steps;
- :func:`truncated_bptt`: the scheme used to train on long streams: forward and
  backward chunk by chunk, the state carried forward from chunk to chunk, the gradient
  cut at every chunk boundary, so memory grows with the chunk length, not with T;
- :func:`cache_nbytes`: how many bytes a forward cache keeps alive, to measure BPTT's
  O(T) memory (the weights it refers to can be left out: they exist anyway).

The chapter's model itself is :class:`rnnlib.models.ManyToOne`, whose ``truncation=k``
trains it with :func:`rnn_backward_truncated`, so that the effect of truncation on
training can be measured.

Shapes are batch-first as everywhere in rnnlib: x (N, T, D), h0 (N, H), hs (N, T, H).
Maths steps run t = 1..T; the code index of step t is t - 1.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from numbers import Real
from typing import Any

import numpy as np
from numpy.typing import NDArray

from rnnlib._checks import Shapes, _describe, check_cache, positive_int
from rnnlib._types import Array
from rnnlib.activations import get_activation
from rnnlib.rnn import rnn_backward, rnn_forward

#: Parameter names of the many-to-one model, in the order chapter 4 derives them.
PARAMETERS = ("W_xh", "W_hh", "b_h", "W_hy", "b_y")

#: The keys under which the cache of :func:`rnnlib.rnn.rnn_forward` refers to the weights;
#: they cost BPTT no memory of their own (see :func:`cache_nbytes`).
WEIGHT_KEYS = ("W_xh", "W_hh")


def _real(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f"{name} must be a real number; got {_describe(value)}")
    v = float(value)
    if not math.isfinite(v):
        raise ValueError(f"{name} must be finite; got {value}")
    return v


@dataclass(frozen=True)
class ScalarBPTT:
    """Every intermediate value of the scalar many-to-one model and its gradient.

    Indices follow the maths: ``h[t]`` is h_t for t = 0..T (``h[0]`` is h_0), ``a[t]`` is
    a_t for t = 1..T (``a[0]`` is NaN: there is no a_0), ``delta[t]`` is dL/dh_t for
    t = 0..T.  ``paths[p][t - 1]`` is the chain-rule path from L back to the copy of
    parameter ``p`` used at step t (for W_xh, W_hh, b_h; a single path for W_hy, b_y).
    """

    x: tuple[float, ...]
    y: float
    a: tuple[float, ...]
    h: tuple[float, ...]
    z: float
    y_hat: float
    loss: float
    dz: float
    delta: tuple[float, ...]
    paths: dict[str, tuple[float, ...]]

    @property
    def T(self) -> int:
        """Number of time steps."""
        return len(self.x)

    @property
    def grads(self) -> dict[str, float]:
        """dL/dp for every parameter p: the sum of its paths."""
        return {p: math.fsum(terms) for p, terms in self.paths.items()}


def scalar_bptt(
    x: Sequence[float],
    y: float,
    W_xh: float,
    W_hh: float,
    b_h: float,
    W_hy: float,
    b_y: float,
    h0: float = 0.0,
) -> ScalarBPTT:
    """The scalar many-to-one model, forward and differentiated path by path.

    Forward, for t = 1..T (tanh recurrence, sigmoid output, log loss):

        a_t = x_t W_xh + h_{t-1} W_hh + b_h,   h_t = tanh(a_t)
        z = h_T W_hy + b_y,   y_hat = sigmoid(z)
        L = -y log(y_hat) - (1 - y) log(1 - y_hat)

    Backward, as the sum over time steps t of one chain-rule path each:

        dL/dW_xh = sum_t  (y_hat - y) W_hy [prod_{k=t+1}^{T} (1 - h_k^2) W_hh] (1 - h_t^2) x_t

    and the same with h_{t-1} in place of x_t for W_hh and 1 for b_h, because the
    *immediate* partial derivative of a_t (holding h_{t-1} fixed) is x_t, h_{t-1} and 1.
    Each path costs O(T) products, so the whole sum costs O(T^2): the recursion of
    :func:`rnnlib.rnn.rnn_backward` shares the common factors and costs O(T).

    Parameters
    ----------
    x : sequence
        the T inputs x_1..x_T, real numbers (T >= 1)
    y : float
        the target, in [0, 1]
    W_xh, W_hh, b_h, W_hy, b_y : float
        the five parameters, real numbers
    h0 : float
        the initial state h_0

    Returns
    -------
    ScalarBPTT with the forward values, dL/dz, delta_t = dL/dh_t and every path
    """
    if isinstance(x, str) or not isinstance(x, (Sequence, np.ndarray)):
        raise TypeError(f"x must be a list of T real numbers; got {_describe(x)}")
    xs = tuple(_real(f"x[{i}]", v.item() if isinstance(v, np.generic) else v) for i, v in enumerate(x))
    if not xs:
        raise ValueError("x must hold at least one time step; got an empty sequence")
    y = _real("y", y)
    if not 0 <= y <= 1:
        raise ValueError(f"y must be a target in [0, 1]; got {y}")
    w_xh, w_hh, b, w_hy, c = (_real(n, v) for n, v in zip(PARAMETERS, (W_xh, W_hh, b_h, W_hy, b_y), strict=True))
    T = len(xs)

    a = [math.nan]
    h = [_real("h0", h0)]
    for t in range(1, T + 1):
        a.append(xs[t - 1] * w_xh + h[t - 1] * w_hh + b)
        h.append(math.tanh(a[t]))
    z = h[T] * w_hy + c
    e = math.exp(-abs(z))  # stable sigmoid and softplus: never exp of a large positive number
    y_hat = 1 / (1 + e) if z >= 0 else e / (1 + e)
    loss = max(z, 0.0) + math.log1p(e) - y * z  # = -y log(y_hat) - (1 - y) log(1 - y_hat)
    dz = y_hat - y

    # delta_t = dL/dh_t written out as a product, with no recursion:
    # dL/dh_t = dz W_hy prod_{k=t+1}^{T} (1 - h_k^2) W_hh
    delta = []
    for t in range(T + 1):
        d = dz * w_hy
        for k in range(t + 1, T + 1):
            d *= (1 - h[k] ** 2) * w_hh
        delta.append(d)
    # the path through step t reaches a_t with dL/da_t = delta_t (1 - h_t^2), then the
    # immediate partial of a_t: x_t for W_xh, h_{t-1} for W_hh, 1 for b_h
    da = [delta[t] * (1 - h[t] ** 2) for t in range(1, T + 1)]
    paths = {
        "W_xh": tuple(da[t - 1] * xs[t - 1] + 0.0 for t in range(1, T + 1)),  # + 0.0 turns -0.0 into 0.0
        "W_hh": tuple(da[t - 1] * h[t - 1] + 0.0 for t in range(1, T + 1)),
        "b_h": tuple(da),
        "W_hy": (dz * h[T] + 0.0,),
        "b_y": (dz,),
    }
    return ScalarBPTT(xs, y, tuple(a), tuple(h), z, y_hat, loss, dz, tuple(delta), paths)


def rnn_backward_truncated(dhs: Array, cache: dict[str, Any], k: int) -> tuple[Array, Array, Array, Array, Array]:
    """BPTT(k): backpropagation through time with every gradient carried back at most k steps.

    The gradient that step s's output sends into h_s reaches the pre-activations
    a_s, a_{s-1}, ..., a_{s-k+1} and stops: the states before that window are treated as
    constants.  Every step is truncated on its own, so the result is the full gradient
    with some chain-rule paths dropped: the path from the use of a parameter at step t to
    the output at step s is kept if s - t < k and dropped if s - t >= k.  With k >= T
    nothing is dropped and the result equals :func:`rnnlib.rnn.rnn_backward`.  A padded
    step (mask 0) passes the gradient through unchanged and counts as one of the k steps.

    The gradient reaching each state is kept as k streams, one per output it left from, so
    the work is k times that of :func:`rnnlib.rnn.rnn_backward`: O(T k), done as one batched
    product per step.

    Parameters
    ----------
    dhs : ndarray of shape (N, T, H)
        dL/dh_t from the layers above each step
    cache : dict
        from :func:`rnnlib.rnn.rnn_forward`
    k : int
        truncation length, a positive int

    Returns
    -------
    dx (N, T, D), dh0 (N, H), dW_xh (D, H), dW_hh (H, H), db_h (H,), as rnn_backward
    """
    k = positive_int("k", k)
    check_cache(cache, "rnn_forward", ("x", "h0", "W_xh", "W_hh", "hs", "mask", "activation"))
    x, h0, W_xh, W_hh, hs, mask = (cache[key] for key in ("x", "h0", "W_xh", "W_hh", "hs", "mask"))
    dhs = Shapes().floats("dhs", dhs, hs.shape)
    _, fprime = get_activation(cache["activation"])
    N, T, H = hs.shape
    k = min(k, T)  # no path is longer than T steps

    das = np.empty_like(hs)  # dL/da_t: the sum of every gradient stream still inside its window
    dW_hh = np.zeros_like(W_hh)
    # The gradient reaching h_t is kept as k separate streams, by age: stream j left the output of
    # step t + j.  Each step, every stream moves one step back, a new one starts at age 0 and the
    # one that has crossed k steps is dropped.  All streams move together, in one batched product.
    carried = np.zeros((k, *h0.shape), dtype=hs.dtype)  # the streams arriving from step t + 1
    for t in reversed(range(T)):
        streams = np.concatenate([dhs[None, :, t], carried[:-1]])  # (k, N, H), ages 0..k-1
        if mask is None:
            da_streams = streams * fprime(hs[:, t])
            carried = da_streams @ W_hh.T
        else:
            m = mask[:, t, None]
            da_streams = np.where(m, streams * fprime(hs[:, t]), 0)
            carried = da_streams @ W_hh.T + np.where(m, 0, streams)  # padded step: h_t = h_{t-1}
        das[:, t] = da = da_streams.sum(axis=0)
        dW_hh += (hs[:, t - 1] if t > 0 else h0).T @ da
    dh0 = carried.sum(axis=0)  # every stream still alive after step 1 reaches h_0

    D = x.shape[2]
    dx = das @ W_xh.T
    dW_xh = x.reshape(N * T, D).T @ das.reshape(N * T, H)
    return dx, dh0, dW_xh, dW_hh, das.sum(axis=(0, 1))


ChunkLoss = Callable[[Array, int], tuple[float, Array]]


def truncated_bptt(
    x: Array,
    h0: Array,
    W_xh: Array,
    W_hh: Array,
    b_h: Array,
    chunk_length: int,
    chunk_loss: ChunkLoss,
    mask: NDArray[np.bool_] | None = None,
    activation: str = "tanh",
) -> tuple[float, tuple[Array, Array, Array], Array, int]:
    """Truncated BPTT over chunks of a long sequence, carrying the state forward.

    The sequence is cut into chunks of ``chunk_length`` steps (the last may be shorter).
    For each chunk in turn: run :func:`rnnlib.rnn.rnn_forward` from the state the
    previous chunk ended in, ask ``chunk_loss`` for the chunk's loss and its gradient
    with respect to the chunk's states, run :func:`rnnlib.rnn.rnn_backward`, add the
    gradients, and let the cache go.  The state's *value* crosses every boundary; its
    *gradient* does not (the gradient reaching a chunk's first state is dropped).

    Only one chunk's cache is alive at a time, so memory is O(chunk_length) instead of
    the O(T) of full BPTT; time is O(T) either way.  With ``chunk_length >= T`` this is
    exactly full BPTT.  The memory reported is that of the arrays the cache keeps for the
    backward pass (the chunk's inputs, its states and its first state), not counting the
    weights it refers to, which are the model's parameters and exist anyway.

    Parameters
    ----------
    x : ndarray of shape (N, T, D)
    h0 : ndarray of shape (N, H)
        the state before the first step
    W_xh : ndarray of shape (D, H)
    W_hh : ndarray of shape (H, H)
    b_h : ndarray of shape (H,)
    chunk_length : int
        k, a positive int
    chunk_loss : callable
        function ``chunk_loss(hs_chunk, start) -> (loss, dhs_chunk)`` taking the
        states of one chunk, ndarray of shape (N, k, H), and the index of its first step;
        it returns the chunk's loss (a float) and dL/dh for those states, shape (N, k, H).
        If the loss has parameters of its own (an output layer), the function
        accumulates their gradients itself.
    mask : optional ndarray of shape (N, T)
        1 for real steps
    activation : str
        the recurrence's activation, "tanh" by default

    Returns
    -------
    loss : float
        the sum of the chunk losses
    grads : tuple
        (dW_xh (D, H), dW_hh (H, H), db_h (H,)), summed over the chunks
    h_last : ndarray of shape (N, H)
        the state after the last step (the h0 of whatever
        comes next in the stream)
    peak_cache_bytes : int
        the most bytes a chunk's cache kept for the backward pass,
        ``cache_nbytes(cache, exclude=("W_xh", "W_hh"))`` (see :func:`cache_nbytes`)
    """
    s = Shapes()
    x = s.floats("x", x, ("N", "T", "D"))
    h0 = s.floats("h0", h0, ("N", "H"))
    s.floats("W_xh", W_xh, ("D", "H"))
    s.floats("W_hh", W_hh, ("H", "H"))
    s.floats("b_h", b_h, ("H",))
    mask = s.mask("mask", mask, ("N", "T"))
    k = positive_int("chunk_length", chunk_length)
    if not callable(chunk_loss):
        raise TypeError(
            "chunk_loss must be a function chunk_loss(hs_chunk, start) -> (loss, dhs_chunk); "
            f"got {_describe(chunk_loss)}"
        )
    T = x.shape[1]
    total = 0.0
    dW_xh, dW_hh, db_h = np.zeros_like(W_xh), np.zeros_like(W_hh), np.zeros_like(b_h)
    h = h0
    peak = 0
    for start in range(0, T, k):
        stop = min(start + k, T)
        chunk_mask = None if mask is None else mask[:, start:stop]
        hs, cache = rnn_forward(x[:, start:stop], h, W_xh, W_hh, b_h, chunk_mask, activation)
        peak = max(peak, cache_nbytes(cache, exclude=WEIGHT_KEYS))  # the weights exist anyway
        loss, dhs = chunk_loss(hs, start)
        dhs = Shapes().floats("the dhs_chunk returned by chunk_loss", dhs, hs.shape)
        _, _, gW_xh, gW_hh, gb_h = rnn_backward(dhs, cache)  # dx and dh0 are not needed here
        dW_xh += gW_xh
        dW_hh += gW_hh
        db_h += gb_h
        total += float(loss)
        h = hs[:, -1]  # the value crosses the boundary; the gradient into it was dropped above
    return total, (dW_xh, dW_hh, db_h), h, peak


def cache_nbytes(cache: object, exclude: Collection[str] = ()) -> int:
    """Bytes held by the numpy arrays in a cache (nested dicts, lists and tuples included).

    An array reachable twice is counted once.  Arrays that are views count their own size
    (a chunk of x counts only the chunk).  Top-level entries whose key is in ``exclude``
    are not counted.

    The cache of :func:`rnnlib.rnn.rnn_forward` holds x (N, T, D), hs (N, T, H), h0 (N, H)
    and references to W_xh and W_hh.  The weights are the model's parameters, which exist
    whether or not a backward pass follows, so the memory that BPTT itself needs is
    ``cache_nbytes(cache, exclude=WEIGHT_KEYS)``: N T (D + H) + N H numbers, linear in T.

    Parameters
    ----------
    cache : dict, list or tuple
        as returned by a forward function
    exclude : collection of str
        keys of the top-level dict to leave out, e.g. :data:`WEIGHT_KEYS`

    Returns
    -------
    nbytes : int
    """
    if not isinstance(cache, (dict, list, tuple)):
        raise TypeError(f"cache must be a dict (or list or tuple) from a forward function; got {_describe(cache)}")
    if isinstance(exclude, str) or not isinstance(exclude, Collection):
        raise TypeError(f"exclude must be a tuple of cache keys such as ('W_xh', 'W_hh'); got {_describe(exclude)}")
    if isinstance(cache, dict):
        cache = {key: value for key, value in cache.items() if key not in exclude}
    seen: set[int] = set()
    total = 0
    stack: list[object] = [cache]
    while stack:
        item = stack.pop()
        if isinstance(item, np.ndarray):
            if id(item) not in seen:
                seen.add(id(item))
                total += item.nbytes
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)):
            stack.extend(item)
    return total
