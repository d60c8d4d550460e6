"""Self-checks for the chapters' exercises.

:func:`check_answer` compares a reader's answer (a number, an array, a word) with the
value a chapter computed from rnnlib, and :func:`check_function` runs a reader's function
on test cases against an rnnlib reference.  Both print "Correct" or a hint about what kind
of mistake it looks like (a wrong shape, a flipped sign, a percentage given as a fraction,
...).  A hint never prints the expected value, so the exercise stays an exercise.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from numbers import Number

import numpy as np

from rnnlib._checks import _describe, positive_float

#: Slips that change an answer by a known factor, and what to say about each.
_FACTOR_HINTS = (
    (100.0, "it is 100 times too large: did you give a percentage instead of a fraction?"),
    (0.01, "it is 100 times too small: did you give a fraction where a percentage was asked for?"),
    (2.0, "it is twice too large: is something counted twice?"),
    (0.5, "it is half what it should be: is something counted only once that should count twice?"),
    (10.0, "it is 10 times too large: check the units or a misplaced decimal point."),
    (0.1, "it is 10 times too small: check the units or a misplaced decimal point."),
)


def _is_text(x: object) -> bool:
    return isinstance(x, str) or (
        isinstance(x, Sequence) and not isinstance(x, str) and len(x) > 0 and all(isinstance(s, str) for s in x)
    )


def _hint_text(answer: object, expected: str | Sequence[str]) -> str | None:
    """A hint for a string or a list of strings (tokens), or None when they agree."""
    if isinstance(expected, str):
        if not isinstance(answer, str):
            return f"the answer should be a str; got {_describe(answer)}."
        if answer == expected:
            return None
        if answer.strip().lower() == expected.strip().lower():
            return "only upper/lower case or surrounding spaces differ."
        return "that is not it; read the question again."
    if isinstance(answer, str) or not isinstance(answer, Sequence):
        return f"the answer should be a list of str; got {_describe(answer)}."
    answer = list(answer)
    if answer == list(expected):
        return None
    if len(answer) != len(expected):
        return f"the list should have {len(expected)} items; yours has {len(answer)}."
    first = next(i for i, (a, e) in enumerate(zip(answer, expected)) if a != e)
    return f"the list has the right length, but item {first} ({answer[first]!r}) is not right."


def _to_numbers(answer: object) -> np.ndarray | str:
    """The answer as a float array, or a hint saying why it is not one."""
    if answer is None or answer is Ellipsis:
        return "there is no answer yet: replace the placeholder (None or ...) with your result."
    if isinstance(answer, (str, bytes)):
        return f"the answer should be a number or an array of numbers; got the str {answer!r}."
    try:
        arr = np.asarray(answer)
    except (ValueError, TypeError):  # ragged nested lists
        return f"the answer should be a number or a regular array of numbers; got {_describe(answer)}."
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        return f"the answer should be a number or an array of numbers; got {_describe(answer)}."
    return arr.astype(np.float64)


#: What :func:`check_answer` says by default when a single number is within 5% but not right.
_CLOSE_HINT = "close, but not within the tolerance: did you round too early?"


def _hint_numbers(
    answer: object, expected: np.ndarray, rtol: float, atol: float, close_hint: str = _CLOSE_HINT
) -> str | None:
    """A hint for a numeric answer, or None when it is within tolerance."""
    got = _to_numbers(answer)
    if isinstance(got, str):
        return got
    if got.shape != expected.shape:
        if got.size == expected.size:
            return f"the numbers may be right but the shape is not: yours is {got.shape}; reshape it."
        what = "a single number" if expected.ndim == 0 else f"an array of shape {expected.shape}"
        return f"the answer should be {what}; yours has shape {got.shape}."
    if np.isnan(got).any():
        return "the answer contains NaN (not a number): look for 0/0 or the mean of an empty array."
    if np.isinf(got).any():
        return "the answer contains an infinity: look for a division by zero or an overflow."
    if np.allclose(got, expected, rtol=rtol, atol=atol):
        return None
    if np.any(expected != 0) and np.allclose(-got, expected, rtol=rtol, atol=atol):
        return "the sign is flipped."
    nonzero = expected != 0
    if nonzero.all() and (got != 0).all():
        ratio = got / expected
        if np.allclose(ratio, ratio.flat[0], rtol=max(rtol, 1e-9)):
            for factor, hint in _FACTOR_HINTS:
                if np.isclose(ratio.flat[0], factor, rtol=1e-6):
                    return hint
    if expected.ndim == 0:
        e, g = float(expected), float(got)
        if e != 0 and abs(g - e) <= 0.05 * abs(e):
            return close_hint
        return "it is too large." if g > e else "it is too small."
    wrong = ~np.isclose(got, expected, rtol=rtol, atol=atol)
    first = np.argwhere(wrong)[0].tolist()
    return f"{int(wrong.sum())} of {wrong.size} entries are not right (the first at index {first})."


def check_answer(
    name: str,
    answer: object,
    expected: object,
    rtol: float = 1e-6,
    atol: float = 0.0,
    close_hint: str | None = None,
) -> None:
    """Print "Correct" if ``answer`` matches ``expected``, otherwise a hint.

    Numbers and arrays match when ``np.allclose(answer, expected, rtol, atol)``
    holds and the shapes agree; tuples such as shapes count as arrays of ints. A
    str, a list of str (tokens) or a bool must match exactly. The hint names the kind of
    mistake (no answer yet, not a number, wrong shape, flipped sign, off by a
    common factor, too large or too small) and never reveals ``expected``.

    Nothing is returned, so that a notebook cell ending in ``check_answer(...)``
    shows only the message.

    Parameters
    ----------
    name : str
        what the answer is, used in the message (e.g. "padding waste")
    answer : object
        the reader's answer
    expected : object
        the right answer, computed by the chapter from rnnlib
    rtol, atol : float
        relative and absolute tolerance for numbers
    close_hint : str | None
        what to say when a single number is within 5% of ``expected`` but not within
        the tolerance. None says "close, but not within the tolerance: did you round
        too early?", which suits a computed value; a count that is off by a few wants
        its own hint, e.g. "close: count each weight array and bias once".
    """
    if not isinstance(name, str) or not name:
        raise TypeError(f"name must be a non-empty str naming the answer; got {_describe(name)}")
    rtol = positive_float("rtol", rtol, allow_zero=True)
    atol = positive_float("atol", atol, allow_zero=True)
    if close_hint is None:
        close_hint = _CLOSE_HINT
    elif not isinstance(close_hint, str) or not close_hint.strip():
        raise TypeError(f"close_hint must be None or a non-empty str; got {_describe(close_hint)}")
    hint: str | None
    if isinstance(expected, (bool, np.bool_)):
        if not isinstance(answer, (bool, np.bool_)):
            hint = f"the answer should be True or False; got {_describe(answer)}."
        else:
            hint = None if bool(answer) == bool(expected) else "that is not it; think it through again."
    elif _is_text(expected):
        hint = _hint_text(answer, expected)  # type: ignore[arg-type]
    elif isinstance(expected, (Number, np.ndarray, np.generic, list, tuple)) and not isinstance(expected, str):
        exp = np.asarray(expected)
        if exp.dtype == object or not (np.issubdtype(exp.dtype, np.number) or exp.dtype == bool):
            raise TypeError(f"expected must be numeric, a str or a list of str; got {_describe(expected)}")
        hint = _hint_numbers(answer, exp.astype(np.float64), rtol, atol, close_hint)
    else:
        raise TypeError(f"expected must be a number, an array, a str or a list of str; got {_describe(expected)}")
    print(f"Correct: {name}." if hint is None else f"Not yet ({name}): {hint}")


def _hint_outputs(
    got: object, expected: object, outputs: tuple[str | None, ...], rtol: float, atol: float
) -> str | None:
    """A hint for a function that returns several named items, or None when every named one is right."""
    n = len(outputs)
    listing = ", ".join(o if o is not None else "(not checked)" for o in outputs)
    if not isinstance(got, (tuple, list)):
        return f"your function should return {n} items ({listing}); got {_describe(got)}."
    if len(got) != n:
        return f"your function returned {len(got)} items; it should return {n} ({listing})."
    assert isinstance(expected, (tuple, list))  # check_function has checked the reference's items
    for out, g, e in zip(outputs, got, expected, strict=True):
        if out is None:
            continue
        hint = _hint_numbers(g, np.asarray(e, dtype=np.float64), rtol, atol)
        if hint is not None:
            return f"{out}: {hint}"
    return None


def check_function(
    name: str,
    answer: object,
    reference: Callable[..., object],
    cases: Sequence[tuple[object, ...]],
    rtol: float = 1e-6,
    atol: float = 0.0,
    outputs: Sequence[str | None] | None = None,
) -> None:
    """Print "Correct" if the reader's function agrees with ``reference`` on every test case.

    Each case is a tuple of arguments; the reader's ``answer(*case)`` is compared with
    ``reference(*case)`` (computed from rnnlib) as :func:`check_answer` compares numbers.
    The first failing case is reported by its number with the same kind of hint (wrong
    shape, flipped sign, off by a factor, ...), or with the exception the function raised;
    the expected values are never shown.

    Parameters
    ----------
    name : str
        what the function computes, used in the message (e.g. "dL/dh_t")
    answer : object
        the reader's function, or None while they have not written it
    reference : callable
        the rnnlib function (or a lambda around one) that gives the right result
    cases : sequence
        argument tuples to try, e.g. ``[(x, h0), (x[:1], h0[:1])]``
    rtol, atol : float
        relative and absolute tolerance for numbers
    outputs : sequence of str or None, optional
        for a function that returns several items: their names, in order, e.g.
        ``("h", "c", None)``. The reader's function must then return a tuple (or list)
        of that many items; each item with a name is compared with the reference's item
        in the same place and a hint names it ("dc_prev: ..."), and an item whose name is
        None (a cache, say) is not compared. None (the default) compares the whole
        return value as one array.
    """
    if not isinstance(name, str) or not name:
        raise TypeError(f"name must be a non-empty str naming the function; got {_describe(name)}")
    if outputs is not None:
        if (
            isinstance(outputs, (str, bytes))
            or not isinstance(outputs, Sequence)
            or len(outputs) == 0
            or not all(o is None or (isinstance(o, str) and o) for o in outputs)
            or all(o is None for o in outputs)
        ):
            raise TypeError(
                "outputs must be None or a non-empty sequence of names (str, or None for an item not compared) "
                f"with at least one name; got {_describe(outputs)}"
            )
        outputs = tuple(outputs)
    if not callable(reference):
        raise TypeError(f"reference must be a function; got {_describe(reference)}")
    if isinstance(cases, (str, bytes)) or not isinstance(cases, Sequence) or len(cases) == 0:
        raise TypeError(f"cases must be a non-empty list of argument tuples; got {_describe(cases)}")
    rtol = positive_float("rtol", rtol, allow_zero=True)
    atol = positive_float("atol", atol, allow_zero=True)
    if answer is None:
        print(f"Not yet ({name}): no function yet: replace None with your function.")
        return
    if not callable(answer):
        print(f"Not yet ({name}): the answer should be a function; got {_describe(answer)}.")
        return
    for k, args in enumerate(cases, start=1):
        if not isinstance(args, tuple):
            raise TypeError(f"cases[{k - 1}] must be a tuple of arguments; got {_describe(args)}")
        expected = reference(*args)
        if outputs is not None and (not isinstance(expected, (tuple, list)) or len(expected) != len(outputs)):
            raise TypeError(
                f"reference must return {len(outputs)} items, one per name in outputs; got {_describe(expected)}"
            )
        try:
            got = answer(*args)
        except Exception as exc:  # the reader's code: report, never crash the check
            print(f"Not yet ({name}): on test case {k} your function raised {type(exc).__name__}: {exc}")
            return
        if outputs is None:
            hint = _hint_numbers(got, np.asarray(expected, dtype=np.float64), rtol, atol)
        else:
            hint = _hint_outputs(got, expected, outputs, rtol, atol)
        if hint is not None:
            print(f"Not yet ({name}): on test case {k} of {len(cases)}, {hint}")
            return
    print(f"Correct: {name} (all {len(cases)} test cases).")
