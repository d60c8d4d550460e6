"""Numerical gradients by centred differences, and the error measure used to compare.

The tests and the chapters use these same two functions, so "the gradient check
passes" means the same thing everywhere.  In float64 with h = 1e-5 the centred
difference has truncation error O(h^2) ~ 1e-10 and rounding error ~ 1e-11, so a
correct analytic gradient gives a relative error far below 1e-7, and a wrong one
gives something near 1.

:func:`check_gradients` and :func:`check_layer_gradients` run that comparison for
every named array of a model or a layer at once, with an absolute floor below which
a disagreement is rounding, and say which array failed and by how much.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np
from numpy.typing import NDArray

from rnnlib._checks import _describe, positive_float

# The default absolute floor is this over h: eps * S / h with S = 45 (see check_gradients).
_ROUNDING_FLOOR = 1e-14


def numerical_gradient(f: Callable[[], float], x: NDArray[np.floating], h: float = 1e-5) -> NDArray[np.floating]:
    """dF/dx for a scalar function ``f()`` of the array ``x``, which it reads in place.

    Each entry of ``x`` is nudged by +-h, f is evaluated, and the entry restored:
    grad[i] = (f(x + h e_i) - f(x - h e_i)) / (2 h).

    Parameters
    ----------
    f : callable
        with no arguments returning a float; it must read ``x`` (not a copy)
    x : ndarray
        of any shape, float64 for a meaningful check
    h : float
        step size

    Returns
    -------
    grad : ndarray
        of the shape of ``x``
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


ArraySet = Mapping[str, NDArray[np.floating]] | Sequence[NDArray[np.floating]]


def _named(label: str, arrays: object) -> dict[str, NDArray[np.floating]]:
    if isinstance(arrays, Mapping):
        return {str(k): v for k, v in arrays.items()}
    if isinstance(arrays, (list, tuple)):
        return {f"{label}[{i}]": v for i, v in enumerate(arrays)}
    raise TypeError(f"{label} must be a dict of named arrays or a list of arrays; got {_describe(arrays)}")


def check_gradients(
    f: Callable[[], float],
    arrays: ArraySet,
    grads: ArraySet,
    *,
    h: float = 1e-5,
    rtol: float = 1e-7,
    atol: float | None = None,
) -> dict[str, float]:
    """Assert that ``grads`` are the gradients of the scalar ``f()`` with respect to ``arrays``.

    Each array is compared with its centred-difference gradient
    (:func:`numerical_gradient`, which nudges the array in place, so ``f`` must read the
    arrays themselves, not copies).  An array fails only when BOTH its relative error
    (:func:`rel_error`) exceeds ``rtol`` AND the largest absolute difference between the
    two gradients exceeds ``atol``.  The ``AssertionError`` names every failing array
    with its relative error, its largest absolute difference, the index where that
    occurs and both gradients' values there.

    Why an absolute floor: evaluating ``f`` rounds its value by about ``eps * S``, where
    ``eps = 2.2e-16`` and ``S`` is the size of the numbers ``f`` adds up (about ``|f|``
    when nothing cancels).  The centred difference divides that rounding by ``2 h``, so
    each entry of the numerical gradient carries an error of about ``eps * S / h``:
    ``2.2e-11`` for ``S = 1`` at the default ``h = 1e-5``.  Where the true gradient is
    itself small, this noise alone can push the relative error past ``1e-7``; one
    Hypothesis draw gave a relative error of ``1.16e-7`` from an absolute error of only
    ``1.6e-11``, exactly that size.  The default floor, ``1e-14 / h`` (``1e-9`` at the
    default step), is ``eps * S / h`` with ``S = 45``: room for losses of a few units
    rounded at several steps.  It also covers the truncation error of the centred
    difference, ``h**2 / 6`` times the third derivative (``1.7e-11`` times it at the
    default step), while that derivative stays below about 60.  A bug changes an entry by
    an amount comparable to the entry itself, so any wrong gradient whose entries exceed
    about ``1e-9`` still fails.  Keep a test problem's gradients well above that, for
    example by moving parameters away from a symmetric start.

    Parameters
    ----------
    f : callable
        with no arguments returning the scalar (a float) to differentiate
    arrays : dict
        of name -> float64 ndarray, or a list of them (then named ``arrays[i]``)
    grads : dict or list of ndarray
        the analytic gradients, with the same names (or in the same order) and shapes
    h : float
        step of the centred difference
    rtol : float
        largest relative error accepted
    atol : float | None
        largest absolute difference accepted; ``None`` means ``1e-14 / h``

    Returns
    -------
    errors : dict of str -> float
        the relative error of each array, by name, for reporting
    """
    if not callable(f):
        raise TypeError(f"f must be a callable with no arguments returning a float; got {_describe(f)}")
    h = positive_float("h", h)
    rtol = positive_float("rtol", rtol, allow_zero=True)
    atol = _ROUNDING_FLOOR / h if atol is None else positive_float("atol", atol, allow_zero=True)
    xs, gs = _named("arrays", arrays), _named("grads", grads)
    if isinstance(arrays, Mapping) != isinstance(grads, Mapping):
        raise TypeError(
            f"arrays and grads must both be dicts or both be lists; got {type(arrays).__name__} and "
            f"{type(grads).__name__}"
        )
    if not isinstance(arrays, Mapping):
        if len(arrays) != len(grads):
            raise ValueError(f"grads must hold one gradient per array; got {len(arrays)} arrays and {len(grads)} grads")
        gs = dict(zip(xs, gs.values()))
    if xs.keys() != gs.keys():
        missing, extra = sorted(xs.keys() - gs.keys()), sorted(gs.keys() - xs.keys())
        raise ValueError(f"grads must have one entry per array; missing {missing}, unexpected {extra}")
    if not xs:
        raise ValueError("arrays must hold at least one array to check; got none")
    for name, x in xs.items():
        if not isinstance(x, np.ndarray) or x.dtype != np.float64:
            raise TypeError(
                f"array {name!r} must be a float64 numpy array (a check in lower precision means nothing); "
                f"got {_describe(x)}"
            )
        if np.shape(gs[name]) != x.shape:
            raise ValueError(
                f"the gradient of {name!r} must have the array's shape {x.shape}; got {np.shape(gs[name])}"
            )
    value = f()
    if np.ndim(value) != 0 or not np.isfinite(value):
        raise ValueError(f"f() must return one finite number; got {_describe(value)}")

    errors, failures = {}, []
    for name, x in xs.items():
        analytic = np.asarray(gs[name], dtype=np.float64)
        numeric = numerical_gradient(f, x, h)
        errors[name] = err = rel_error(numeric, analytic)
        if not (np.isfinite(analytic).all() and np.isfinite(numeric).all()):  # NaN compares False: say so
            failures.append(
                f"{name!r}: both gradients must be finite; got {np.count_nonzero(~np.isfinite(analytic))} "
                f"non-finite analytic and {np.count_nonzero(~np.isfinite(numeric))} non-finite numerical entries"
            )
            continue
        diff = np.abs(numeric - analytic)
        worst = float(diff.max()) if diff.size else 0.0
        if err > rtol and worst > atol:
            i = np.unravel_index(int(np.argmax(diff)), diff.shape)
            failures.append(
                f"{name!r}: relative error {err:.3g} > rtol {rtol:.3g} and largest absolute difference "
                f"{worst:.3g} > atol {atol:.3g}, at index {tuple(int(k) for k in i)} "
                f"(analytic {analytic[i]:.6g}, numerical {numeric[i]:.6g})"
            )
    if failures:
        raise AssertionError("gradient check failed for " + "; ".join(failures))
    return errors


def check_layer_gradients(
    forward: Callable[[], NDArray[np.floating]],
    arrays: ArraySet,
    grads: ArraySet,
    dout: NDArray[np.floating],
    *,
    h: float = 1e-5,
    rtol: float = 1e-7,
    atol: float | None = None,
) -> dict[str, float]:
    """Assert that a layer's backward pass, given the upstream gradient ``dout``, returned
    ``grads``: the gradients of ``sum(forward() * dout)`` with respect to ``arrays``.

    The layer form of :func:`check_gradients`, with the same arguments, floor and
    message.  ``forward()`` recomputes the layer's output from the arrays in place;
    ``dout`` is usually random, so that every entry of the output counts.

    Parameters
    ----------
    forward : callable
        with no arguments returning the layer's output, shaped like ``dout``
    arrays : dict
        of name -> float64 ndarray, or a list of them (then named ``arrays[i]``)
    grads : dict or list of ndarray
        what the backward pass returned, with the same names (or in the same order)
    dout : ndarray
        the upstream gradient the backward pass received
    h, rtol, atol : float
        as for :func:`check_gradients`

    Returns
    -------
    errors : dict of str -> float
        the relative error of each array, by name
    """
    if not callable(forward):
        raise TypeError(f"forward must be a callable with no arguments returning an array; got {_describe(forward)}")
    dout = np.asarray(dout, dtype=np.float64)
    out = np.shape(forward())
    if out != dout.shape:
        raise ValueError(f"forward() must return an array of dout's shape {dout.shape}; got shape {out}")
    return check_gradients(lambda: float(np.sum(forward() * dout)), arrays, grads, h=h, rtol=rtol, atol=atol)
