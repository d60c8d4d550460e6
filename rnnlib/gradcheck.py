"""Numerical gradients by centred differences, and the error measure used to compare.

The tests and the chapters use these same two functions, so "the gradient check
passes" means the same thing everywhere.  In float64 with h = 1e-5 the centred
difference has truncation error O(h^2) ~ 1e-10 and rounding error ~ 1e-11, so a
correct analytic gradient gives a relative error far below 1e-7, and a wrong one
gives something near 1.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray


def numerical_gradient(f: Callable[[], float], x: NDArray[np.floating], h: float = 1e-5) -> NDArray[np.floating]:
    """dF/dx for a scalar function ``f()`` of the array ``x``, which it reads in place.

    Each entry of ``x`` is nudged by +-h, f is evaluated, and the entry restored:
    grad[i] = (f(x + h e_i) - f(x - h e_i)) / (2 h).

    Parameters
    ----------
    f : callable with no arguments returning a float; it must read ``x`` (not a copy)
    x : ndarray of any shape, float64 for a meaningful check
    h : step size

    Returns
    -------
    grad : ndarray of the shape of ``x``
    """
    if not isinstance(x, np.ndarray) or not np.issubdtype(x.dtype, np.floating):
        raise TypeError(f"x must be a floating-point numpy array that f reads in place; got {type(x).__name__}")
    grad = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"])
    for _ in it:
        i = it.multi_index
        old = x[i]
        x[i] = old + h
        fp = f()
        x[i] = old - h
        fm = f()
        x[i] = old
        grad[i] = (fp - fm) / (2 * h)
    return grad


def numerical_gradient_array(
    f: Callable[[], NDArray[np.floating]], x: NDArray[np.floating], dout: NDArray[np.floating], h: float = 1e-5
) -> NDArray[np.floating]:
    """Gradient of sum(f() * dout) with respect to ``x``: checks a layer's backward pass
    for an arbitrary upstream gradient ``dout``."""
    return numerical_gradient(lambda: float(np.sum(f() * dout)), x, h)


def rel_error(a: NDArray[np.floating], b: NDArray[np.floating]) -> float:
    """Relative error ||a - b|| / (||a|| + ||b||), 0 when both are zero.

    Norm-based rather than elementwise, so that tiny entries (where both gradients
    are near zero) do not dominate the verdict.
    """
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"a and b must have the same shape; got {a.shape} and {b.shape}")
    denom = np.linalg.norm(a) + np.linalg.norm(b)
    return 0.0 if denom == 0 else float(np.linalg.norm(a - b) / denom)
