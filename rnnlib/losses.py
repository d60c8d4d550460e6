"""Losses computed from logits, each returning ``(loss, dlogits)``.

Working from logits rather than probabilities is what keeps the loss exact: the
log of a sigmoid or softmax is computed in closed form (log-sum-exp), so logits of
+-1000 give a finite loss and a finite gradient instead of log(0).

Every loss is a mean: over the batch, or over the real (mask = 1) entries.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from rnnlib._checks import Shapes
from rnnlib._types import Array
from rnnlib.activations import log_softmax, sigmoid, softplus


def binary_cross_entropy(logits: Array, y: Array) -> tuple[float, Array]:
    """Mean log loss L = -y log(y_hat) - (1 - y) log(1 - y_hat) with y_hat = sigmoid(logits).

    Uses the identity L = softplus(z) - y z, exact for any finite z.

    Parameters
    ----------
    logits : ndarray of shape (N,)
    y : ndarray of shape (N,)
        targets in [0, 1]

    Returns
    -------
    loss : float
    dlogits : ndarray of shape (N,)
        equal to (sigmoid(z) - y) / N
    """
    s = Shapes()
    z = s.floats("logits", logits, ("N",))
    y = s.floats("y", y, ("N",)).astype(z.dtype, copy=False)
    if z.shape[0] == 0:
        raise ValueError("logits must hold at least one example; got shape (0,)")
    if (y < 0).any() or (y > 1).any():
        raise ValueError(f"y must hold targets in [0, 1]; got values from {y.min()} to {y.max()}")
    N = z.shape[0]
    loss = float(np.sum(softplus(z) - y * z) / N)
    return loss, (sigmoid(z) - y) / N


def softmax_cross_entropy(
    scores: Array, y: NDArray[np.integer], mask: NDArray[np.bool_] | None = None
) -> tuple[float, Array]:
    """Mean softmax cross-entropy over the real entries, for one label per step.

    Parameters
    ----------
    scores : ndarray of shape (N, T, V)
        (or (N, V) for one label per sequence)
    y : ndarray of shape (N, T)
        (or (N,)) of integer labels in [0, V) at the real
        entries; at masked entries any integer (for example -100) is ignored
    mask : optional ndarray
        of the shape of ``y``; entries with 0 add nothing

    Returns
    -------
    loss : float
        mean of -log softmax(scores)[y] over real entries
    dscores : ndarray
        of the shape of ``scores``
    """
    s = Shapes()
    z = np.asarray(scores) if isinstance(scores, np.ndarray) else scores
    if not isinstance(z, np.ndarray) or z.ndim not in (2, 3):
        got = z.shape if isinstance(z, np.ndarray) else type(z).__name__
        raise ValueError(f"scores must have shape (N, T, V) or (N, V); got {got}")
    lead = ("N", "T") if z.ndim == 3 else ("N",)
    z = s.floats("scores", z, (*lead, "V"))
    m = s.mask("mask", mask, lead)
    y = s.ints("y", y, lead, high=z.shape[-1], where=m)
    if m is not None:
        y = np.where(m, y, 0)  # labels at padded steps (for example -100) are ignored
    if y.size == 0:  # an empty batch, with or without a mask
        raise ValueError(f"scores must hold at least one entry; got shape {z.shape}")
    weight = np.ones(y.shape, dtype=z.dtype) if m is None else m.astype(z.dtype)
    count = weight.sum()
    if count == 0:
        raise ValueError("mask selects no entries; the mean loss over zero entries is undefined")
    logp = log_softmax(z)
    picked = np.take_along_axis(logp, y[..., None], axis=-1)[..., 0]
    loss = float(-(picked * weight).sum() / count)
    dz = np.exp(logp)
    np.put_along_axis(dz, y[..., None], np.take_along_axis(dz, y[..., None], axis=-1) - 1, axis=-1)
    dz *= (weight / count)[..., None]
    return loss, dz


def mean_squared_error(pred: Array, target: Array, mask: NDArray[np.bool_] | None = None) -> tuple[float, Array]:
    """Mean of (pred - target)**2 over all entries (or over the real steps).

    Parameters
    ----------
    pred : ndarray of shape (N, ...)
        e.g. (N, T, D) or (N, D)
    target : ndarray
        of the same shape
    mask : optional ndarray of shape (N, T)
        matching the first two axes of ``pred``

    Returns
    -------
    loss : float
    dpred : ndarray
        of the shape of ``pred``
    """
    s = Shapes()
    p = s.floats("pred", pred, np.shape(pred) if isinstance(pred, np.ndarray) else ("N",))
    t = s.floats("target", target, p.shape)
    if p.size == 0:
        raise ValueError(f"pred must not be empty; got shape {p.shape}")
    diff = p - t
    if mask is None:
        return float(np.mean(diff * diff)), 2 * diff / diff.size
    if p.ndim < 2:
        raise ValueError(f"a mask needs pred of shape (N, T, ...); got {p.shape}")
    m = s.mask("mask", mask, p.shape[:2]).astype(p.dtype).reshape(p.shape[:2] + (1,) * (p.ndim - 2))
    count = m.sum() * (diff.size // (p.shape[0] * p.shape[1]))
    if count == 0:
        raise ValueError("mask selects no entries; the mean loss over zero entries is undefined")
    return float(np.sum(m * diff * diff) / count), 2 * m * diff / count
