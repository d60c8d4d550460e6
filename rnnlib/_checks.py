"""Input validation shared by every public function of rnnlib.

Each helper raises ``TypeError`` (wrong kind of object or dtype) or ``ValueError``
(wrong shape, value or range) with a message that names the argument, what was
expected and what was received, so a student can fix the call without reading
the library source.
"""

from __future__ import annotations

from collections.abc import Sequence
from numbers import Integral, Real
from typing import overload

import numpy as np
from numpy.typing import NDArray


def _describe(x: object) -> str:
    if isinstance(x, np.ndarray):
        return f"an array of dtype {x.dtype} and shape {x.shape}"
    return f"{type(x).__name__} {x!r}" if np.isscalar(x) else type(x).__name__


class Shapes:
    """Check several arrays against one set of named dimensions.

    A dimension named by a string (``"N"``) is bound by the first array that uses
    it; later arrays must agree.  A dimension given as an int must match exactly.

    >>> s = Shapes()
    >>> x = s.floats("x", np.zeros((2, 3, 4)), ("N", "T", "D"))
    >>> h0 = s.floats("h0", np.zeros((2, 5)), ("N", "H"))
    """

    def __init__(self) -> None:
        self.dims: dict[str, int] = {}
        self._bound_by: dict[str, str] = {}

    def _expected(self, spec: Sequence[str | int]) -> str:
        return self._expected_with(spec, self.dims)

    @staticmethod
    def _expected_with(spec: Sequence[str | int], dims: dict[str, int]) -> str:
        parts = []
        for d in spec:
            if isinstance(d, str) and d in dims:
                parts.append(f"{d}={dims[d]}")
            else:
                parts.append(str(d))
        return "(" + ", ".join(parts) + ("," if len(parts) == 1 else "") + ")"

    def bind(self, source: str, **dims: int) -> None:
        """Fix dimensions known from elsewhere (for example a cache): later arrays must agree,
        and a mismatch says the dimension was set by ``source``."""
        for d, n in dims.items():
            self.dims[d] = int(n)
            self._bound_by[d] = source

    def check(self, name: str, x: np.ndarray, spec: Sequence[str | int]) -> None:
        """Check ``x.shape`` against ``spec`` and bind any new dimension names."""
        if x.ndim != len(spec):
            raise ValueError(
                f"{name} must have {len(spec)} dimensions, shape {self._expected(spec)}; "
                f"got {x.ndim} dimensions, shape {x.shape}"
            )
        before = dict(self.dims)
        for axis, (d, n) in enumerate(zip(spec, x.shape)):
            if isinstance(d, str) and d not in self.dims:
                self.dims[d] = n  # bound here; a repeat of the name later in spec must agree
                self._bound_by[d] = name
                continue
            want = self.dims[d] if isinstance(d, str) else d
            if n != want:
                origin = f" (set by {self._bound_by[d]})" if isinstance(d, str) and self._bound_by[d] != name else ""
                expected = self._expected_with(spec, before)
                self.dims = before  # leave the checker as it was
                raise ValueError(
                    f"{name} must have shape {expected}{origin}; got {x.shape} (axis {axis} is {n}, expected {want})"
                )

    def floats(self, name: str, x: object, spec: Sequence[str | int]) -> np.ndarray:
        """A finite floating-point array of the given shape."""
        x = as_float_array(name, x)
        self.check(name, x, spec)
        return x

    def ints(
        self, name: str, x: object, spec: Sequence[str | int], high: int | None = None, where: np.ndarray | None = None
    ) -> np.ndarray:
        """An integer array of the given shape, every entry in ``[0, high)`` (only where
        ``where`` is True, when it is given: padded steps may hold any integer)."""
        x = as_int_array(name, x, high, check_range=where is None)
        self.check(name, x, spec)
        if where is not None:
            as_int_array(f"{name} at real steps", x[where], high)
        return x

    @overload
    def mask(self, name: str, mask: None, spec: Sequence[str | int]) -> None: ...
    @overload
    def mask(self, name: str, mask: np.ndarray | Sequence[object], spec: Sequence[str | int]) -> np.ndarray: ...
    @overload
    def mask(self, name: str, mask: object | None, spec: Sequence[str | int]) -> np.ndarray | None: ...
    def mask(self, name: str, mask: object | None, spec: Sequence[str | int]) -> np.ndarray | None:
        """``None`` or a 0/1 (or boolean) array of the given shape, returned as bool."""
        if mask is None:
            return None
        m = np.asarray(mask)
        if m.dtype != bool:
            if not np.issubdtype(m.dtype, np.number):
                raise TypeError(f"{name} must be a boolean or 0/1 array; got {_describe(mask)}")
            bad = ~np.isin(m, (0, 1))
            if bad.any():
                shown = ", ".join(f"{v:g}" for v in np.unique(m[bad])[:3])
                more = " ..." if np.unique(m[bad]).size > 3 else ""
                raise ValueError(
                    f"{name} must contain only 0 and 1 (or True and False); got {shown}{more} "
                    f"at {int(bad.sum())} of {m.size} entries"
                )
            m = m.astype(bool)
        self.check(name, m, spec)
        return m


def as_float_array(name: str, x: object) -> np.ndarray:
    """Return ``x`` as a floating ndarray, refusing ints, objects, NaN and infinities.

    float32 and float64 arrays are returned unchanged (no copy, no upcast); nested lists
    of Python floats become float64.
    """
    if isinstance(x, np.ndarray):
        arr = x
    elif isinstance(x, (list, tuple, Real)) and not isinstance(x, bool):
        arr = np.asarray(x, dtype=np.float64)
    else:
        raise TypeError(f"{name} must be a floating-point numpy array; got {_describe(x)}")
    if not np.issubdtype(arr.dtype, np.floating):
        raise TypeError(
            f"{name} must be a floating-point array (float32 or float64); got dtype {arr.dtype}. "
            f"Convert it with {name}.astype(np.float64)."
        )
    if arr.size and not np.isfinite(arr).all():
        bad = np.argwhere(~np.isfinite(arr))[0]
        raise ValueError(f"{name} must be finite; got {arr[tuple(bad)]} at index {tuple(int(i) for i in bad)}")
    return arr


def as_int_array(name: str, x: object, high: int | None = None, *, check_range: bool = True) -> np.ndarray:
    """Return ``x`` as an integer ndarray with every entry in ``[0, high)`` (any integer
    when ``check_range`` is False)."""
    arr = np.asarray(x) if isinstance(x, (np.ndarray, list, tuple)) else None
    if arr is None or not (np.issubdtype(arr.dtype, np.integer) or (arr.size == 0 and arr.dtype == np.float64)):
        raise TypeError(f"{name} must be an integer array of token ids; got {_describe(x)}")
    arr = arr.astype(np.int64, copy=False)
    if check_range and arr.size and (arr.min() < 0 or (high is not None and arr.max() >= high)):
        bad = int(arr.min()) if arr.min() < 0 else int(arr.max())
        rng = f"[0, {high})" if high is not None else "[0, inf)"
        raise ValueError(f"{name} must hold ids in {rng}; got {bad}")
    return arr


def check_cache(cache: object, made_by: str, keys: Sequence[str]) -> None:
    """A backward function's cache must come from its own forward function: one from
    another forward lacks some of ``keys``, and would otherwise fail with a bare KeyError."""
    if not isinstance(cache, dict):
        raise TypeError(f"cache must be the dict returned by {made_by}; got {_describe(cache)}")
    missing = [k for k in keys if k not in cache]
    if missing:
        raise TypeError(
            f"cache must be the one returned by {made_by}; this one has no {', '.join(map(repr, missing))} "
            f"(was it made by another forward function?)"
        )


def check_bool(name: str, value: object) -> bool:
    """True or False exactly: a string such as "False" is truthy and would silently mean True."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False; got {_describe(value)}")
    return bool(value)


def check_right_padded(name: str, mask: np.ndarray | None) -> None:
    """Each row of ``mask`` must be its real steps first, then padding (1...1 0...0)."""
    if mask is None:
        return
    # A right-padded row never rises from 0 back to 1.
    rises = np.nonzero((np.diff(mask.astype(np.int8), axis=1) > 0).any(axis=1))[0]
    if rises.size:
        n = int(rises[0])
        raise ValueError(
            f"{name} must be right-padded (each row 1...1 then 0...0) for a bidirectional layer, which reads "
            f"each sequence backwards from its last real step; row {n} is {mask[n].astype(int).tolist()}"
        )


def positive_int(name: str, value: object) -> int:
    """A strictly positive Python or numpy integer (booleans refused)."""
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise TypeError(f"{name} must be a positive int; got {_describe(value)}")
    if value <= 0:
        raise ValueError(f"{name} must be a positive int; got {value}")
    return int(value)


def positive_float(name: str, value: object, allow_zero: bool = False) -> float:
    """A strictly positive (or, with ``allow_zero``, non-negative) finite real number."""
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(
            f"{name} must be a {'non-negative' if allow_zero else 'positive'} number; got {_describe(value)}"
        )
    v = float(value)
    if not np.isfinite(v) or v < 0 or (v == 0 and not allow_zero):
        raise ValueError(f"{name} must be a {'non-negative' if allow_zero else 'positive'} finite number; got {value}")
    return v


def check_rng(rng: object) -> np.random.Generator:
    """The injected random generator every sampling function takes."""
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy Generator, e.g. np.random.default_rng(0); got {_describe(rng)}")
    return rng


def check_temperature(temperature: object) -> float:
    """A sampling temperature: a positive finite number (rnnlib.charlm's samplers, the temperature widget)."""
    if isinstance(temperature, bool) or not isinstance(temperature, (int, float, np.floating, np.integer)):
        raise TypeError(f"temperature must be a positive number; got {_describe(temperature)}")
    t = float(temperature)
    if not np.isfinite(t) or t <= 0:
        raise ValueError(
            f"temperature must be a positive finite number; got {temperature}. "
            f"For (almost) greedy decoding use a small temperature such as 0.01."
        )
    return t


def check_probabilities(probs: object) -> NDArray[np.float64]:
    """Distributions over V ids, shape (..., V), as float64: non-negative, each row summing to 1."""
    p = np.array(as_float_array("probs", probs), dtype=np.float64)
    if p.ndim == 0 or p.shape[-1] == 0:
        raise ValueError(f"probs must have shape (..., V) with V >= 1; got shape {p.shape}")
    sums = p.sum(axis=-1)
    if (p < 0).any() or not np.allclose(sums, 1, atol=1e-6):
        worst = sums.flat[np.argmax(np.abs(sums - 1))]
        got = f"an entry {p.min():g}" if (p < 0).any() else f"a row summing to {worst:g}"
        raise ValueError(
            f"probs must be non-negative and each row must sum to 1 (a distribution over the V ids); got {got}"
        )
    return p
