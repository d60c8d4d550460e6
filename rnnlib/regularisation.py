"""Dropout for recurrent networks, on the connections that are not recurrent (chapter 7).

During training, *dropout* sets each unit of an activation to zero with probability
``rate`` and multiplies the survivors by ``1 / (1 - rate)``, so the expected value
of every unit is unchanged and nothing needs rescaling at test time ("inverted"
dropout).  In a recurrent network it is applied where a layer reads its input and
where the output layer reads the states, never to h_{t-1} -> h_t, so the memory
carried along the sequence is left alone (Zaremba, Sutskever and Vinyals, 2014):

    standard:     mask of shape (N, T, F), a fresh draw at every step
    variational:  mask of shape (N, 1, F), one draw per sequence shared by all
                  its steps (Gal and Ghahramani, 2016)

A "sequence" here is whatever one call receives.  Truncated BPTT
(:func:`rnnlib.training.train_tbptt`) calls it once per chunk, so there the variational
mask is one per stream and chunk: redrawn every chunk while the state carries on, a
compromise, since Gal and Ghahramani keep one mask for a whole sequence.

Shapes are batch-first: x (N, T, F).  :func:`dropout_forward` returns the masked
array and the mask as its cache; :func:`dropout_backward` multiplies the upstream
gradient by the same mask.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import DTypeLike

from rnnlib._checks import _describe, as_float_array, check_bool, check_rng
from rnnlib._types import Array

__all__ = ["check_dropout_rate", "dropout_backward", "dropout_forward", "dropout_mask"]


def check_dropout_rate(rate: object) -> float:
    """A dropout rate in [0, 1): the probability that a unit is set to zero."""
    if isinstance(rate, bool) or not isinstance(rate, (int, float, np.integer, np.floating)):
        raise TypeError(f"rate must be a number in [0, 1); got {_describe(rate)}")
    r = float(rate)
    if not 0 <= r < 1:
        raise ValueError(
            f"rate must be in [0, 1) (the probability of dropping a unit; 1 would drop them all); got {rate}"
        )
    return r


def dropout_mask(
    rng: np.random.Generator,
    shape: tuple[int, int, int],
    rate: float,
    variational: bool = False,
    dtype: DTypeLike = np.float64,
) -> Array:
    """An inverted-dropout mask: entries 0 with probability ``rate``, else 1 / (1 - rate).

    Parameters
    ----------
    rng : np.random.Generator
        the source of the random draws
    shape : tuple of int
        (N, T, F), the shape of the array the mask multiplies
    rate : float
        in [0, 1); 0 gives a mask of ones
    variational : bool
        False draws every (n, t, f) independently; True draws one mask per
        sequence, shape (N, 1, F), which broadcasts over the T steps
    dtype : {np.float64, np.float32}
        dtype of the mask

    Returns
    -------
    mask : ndarray of shape (N, T, F) or (N, 1, F)
    """
    rng = check_rng(rng)
    r = check_dropout_rate(rate)
    variational = check_bool("variational", variational)
    if not isinstance(shape, tuple) or len(shape) != 3 or not all(isinstance(s, (int, np.integer)) for s in shape):
        raise ValueError(f"shape must be a tuple (N, T, F) of three ints; got {shape!r}")
    N, T, F = shape
    draw = (N, 1, F) if variational else (N, T, F)
    keep = rng.random(draw) >= r
    return (keep / (1 - r)).astype(dtype)


def dropout_forward(x: Array, rate: float, rng: np.random.Generator, variational: bool = False) -> tuple[Array, Array]:
    """Inverted dropout of x of shape (N, T, F), during training.

    Parameters
    ----------
    x : ndarray of shape (N, T, F)
        the activations (the inputs of a recurrent layer, or its states)
    rate : float
        probability of setting a unit to zero, in [0, 1)
    rng : np.random.Generator
        the source of the mask
    variational : bool
        one mask per sequence, shared by all its steps (True), or a fresh
        mask at every step (False)

    Returns
    -------
    out : ndarray of shape (N, T, F)
        x times the mask
    mask : ndarray of shape (N, T, F) or (N, 1, F)
        the cache for :func:`dropout_backward`
    """
    x = as_float_array("x", x)
    if x.ndim != 3:
        raise ValueError(f"x must have shape (N, T, F); got {x.shape}")
    mask = dropout_mask(rng, x.shape, rate, variational, dtype=x.dtype)
    return x * mask, mask


def dropout_backward(dout: Array, mask: Array) -> Array:
    """dL/dx = dL/dout times the mask, shape (N, T, F)."""
    dout = as_float_array("dout", dout)
    if not isinstance(mask, np.ndarray) or mask.ndim != 3 or dout.ndim != 3:
        raise ValueError(
            f"dout must have shape (N, T, F) and mask (N, T, F) or (N, 1, F); got {dout.shape} and {_describe(mask)}"
        )
    try:
        return dout * mask
    except ValueError:
        raise ValueError(f"mask of shape {mask.shape} does not fit dout of shape {dout.shape}") from None
