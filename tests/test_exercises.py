"""check_answer: the verdict, the hint for each kind of mistake, and no leaked solution."""

import numpy as np
import pytest

from rnnlib.exercises import check_answer


def verdict(capsys, *args, **kw):
    """(right?, message) from what check_answer prints; it prints exactly one line."""
    assert check_answer(*args, **kw) is None
    out = capsys.readouterr().out
    assert out.count("\n") == 1
    return out.startswith("Correct"), out.strip()


def test_correct_answers(capsys):
    assert verdict(capsys, "waste", 0.9, 0.9) == (True, "Correct: waste.")
    assert verdict(capsys, "waste", 0.9 + 1e-9, 0.9)[0]
    assert verdict(capsys, "shape", (2, 5, 7), (2, 5, 7))[0]
    assert verdict(capsys, "shape", np.array([2, 5, 7]), (2, 5, 7))[0]
    assert verdict(capsys, "count", np.int64(12), 12)[0]
    assert verdict(capsys, "tokens", ["not", "good"], ["not", "good"])[0]
    assert verdict(capsys, "word", "good", "good")[0]
    assert verdict(capsys, "same", np.bool_(True), True)[0]


@pytest.mark.parametrize(
    ("answer", "expected", "hint"),
    [
        (None, 0.9, "there is no answer yet"),
        (..., 0.9, "there is no answer yet"),
        ("0.9", 0.9, "should be a number or an array of numbers; got the str '0.9'"),
        ([[1, 2], [3]], [1, 2, 3], "regular array"),
        (float("nan"), 0.9, "contains NaN"),
        (np.inf, 0.9, "contains an infinity"),
        (-0.9, 0.9, "the sign is flipped"),
        (90.0, 0.9, "100 times too large: did you give a percentage"),
        (0.009, 0.9, "100 times too small"),
        (24, 12, "twice too large"),
        (6, 12, "half what it should be"),
        (120, 12, "10 times too large"),
        (0.905, 0.9, "close, but not within the tolerance"),
        (3.0, 0.9, "it is too large."),
        (0.2, 0.9, "it is too small."),
        ((2, 5), (2, 5, 7), "should be an array of shape (3,); yours has shape (2,)"),
        (np.zeros((2, 3)), np.zeros(6), "the numbers may be right but the shape is not"),
        (np.zeros(3), 1.0, "should be a single number"),
        ([1.0, 2.0, 4.0], [1.0, 2.0, 3.0], "1 of 3 entries are not right (the first at index [2])"),
        (["not", "bad"], ["not", "good"], "item 1 ('bad') is not right"),
        (["not"], ["not", "good"], "should have 2 items; yours has 1"),
        ("not good", ["not", "good"], "should be a list of str"),
        ("Good ", "good", "only upper/lower case"),
        ("bad", "good", "that is not it"),
        (1, True, "should be True or False; got int 1"),
        (False, True, "that is not it"),
    ],
)
def test_hints(capsys, answer, expected, hint):
    ok, out = verdict(capsys, "x", answer, expected)
    assert not ok
    assert out.startswith("Not yet (x): ")
    assert hint in out


def test_hints_never_print_the_expected_value(capsys):
    secret = 0.734219
    for answer in (None, "a", -secret, 100 * secret, 0.73, 0.1, 5.0, np.zeros(2)):
        _, out = verdict(capsys, "secret", answer, secret)
        assert "0.734" not in out and "73.4" not in out
    _, out = verdict(capsys, "tokens", ["a", "b"], ["a", "zebra"])
    assert "zebra" not in out


def test_tolerances(capsys):
    assert not verdict(capsys, "x", 1.001, 1.0)[0]
    assert verdict(capsys, "x", 1.001, 1.0, rtol=1e-2)[0]
    assert verdict(capsys, "x", 1e-9, 0.0, atol=1e-8)[0]
    assert not verdict(capsys, "x", 1e-9, 0.0)[0]


def test_close_hint_replaces_only_the_near_miss_message(capsys):
    count_hint = "close, but not right: count each weight array and bias once."
    assert verdict(capsys, "count", 2699, 2700, close_hint=count_hint) == (False, f"Not yet (count): {count_hint}")
    assert "did you round too early?" in verdict(capsys, "count", 2699, 2700)[1]  # the default is unchanged
    assert verdict(capsys, "count", 2700, 2700, close_hint=count_hint)[0]
    for answer, hint in ((5400, "twice too large"), (3000, "it is too large."), (None, "no answer yet")):
        assert hint in verdict(capsys, "count", answer, 2700, close_hint=count_hint)[1]
    with pytest.raises(TypeError, match="close_hint must be None or a non-empty str; got int 3"):
        check_answer("x", 1, 1, close_hint=3)
    with pytest.raises(TypeError, match="close_hint must be None or a non-empty str"):
        check_answer("x", 1, 1, close_hint=" ")


def test_errors_in_the_check_itself():
    with pytest.raises(TypeError, match="name must be a non-empty str"):
        check_answer("", 1, 1)
    with pytest.raises(TypeError, match="expected must be a number, an array, a str or a list of str; got dict"):
        check_answer("x", 1, {"a": 1})
    with pytest.raises(TypeError, match="expected must be numeric"):
        check_answer("x", 1, [object()])
    with pytest.raises(ValueError, match="rtol must be a non-negative finite number; got -1"):
        check_answer("x", 1, 1, rtol=-1)


def test_check_function(capsys):
    from rnnlib.exercises import check_function

    def reference(x):
        return np.tanh(x)

    cases = [(np.array([0.5, -1.0]),), (np.array([[2.0]]),)]
    check_function("tanh", np.tanh, reference, cases)
    assert capsys.readouterr().out.strip() == "Correct: tanh (all 2 test cases)."
    check_function("tanh", lambda x: -np.tanh(x), reference, cases)
    assert capsys.readouterr().out.strip() == "Not yet (tanh): on test case 1 of 2, the sign is flipped."
    check_function("tanh", lambda x: np.tanh(x).ravel(), reference, cases)
    assert "on test case 2 of 2, the numbers may be right but the shape is not" in capsys.readouterr().out
    check_function("tanh", lambda x: 1 / 0, reference, cases)
    assert capsys.readouterr().out.strip() == (
        "Not yet (tanh): on test case 1 your function raised ZeroDivisionError: division by zero"
    )
    check_function("tanh", None, reference, cases)
    assert "replace None with your function" in capsys.readouterr().out
    check_function("tanh", 0.5, reference, cases)
    assert "the answer should be a function; got float 0.5" in capsys.readouterr().out
    out = capsys.readouterr().out
    assert "0.46" not in out  # never the expected values


def test_check_function_names_each_output(capsys):
    from rnnlib.exercises import check_function

    def reference(x):
        return np.tanh(x), 2 * x, {"cache": x}

    cases = [(np.array([0.5, -1.0]),), (np.array([[2.0, 1.0]]),)]
    names = ("h", "c", None)
    check_function("step", lambda x: (np.tanh(x), 2 * x, None), reference, cases, outputs=names)
    assert capsys.readouterr().out.strip() == "Correct: step (all 2 test cases)."
    check_function("step", lambda x: (np.tanh(x), -2 * x, None), reference, cases, outputs=names)
    assert capsys.readouterr().out.strip() == "Not yet (step): on test case 1 of 2, c: the sign is flipped."
    wrong = np.array([[2.0, 3.0]])
    check_function(
        "step", lambda x: (np.tanh(x), 2 * x + (wrong if x.ndim == 2 else 0), 0), reference, cases, outputs=names
    )
    assert capsys.readouterr().out.strip() == (
        "Not yet (step): on test case 2 of 2, c: 2 of 2 entries are not right (the first at index [0, 0])."
    )
    check_function("step", lambda x: (np.tanh(x), 2 * x), reference, cases, outputs=names)
    assert capsys.readouterr().out.strip() == (
        "Not yet (step): on test case 1 of 2, your function returned 2 items; it should return 3 (h, c, (not checked))."
    )
    check_function("step", np.tanh, reference, cases, outputs=names)
    assert (
        "your function should return 3 items (h, c, (not checked)); got an array of dtype float64"
        in capsys.readouterr().out
    )
    check_function("step", None, reference, cases, outputs=names)
    assert "replace None with your function" in capsys.readouterr().out
    # the default compares the whole return value, as before
    check_function("tanh", np.tanh, lambda x: np.tanh(x), cases)
    assert capsys.readouterr().out.strip() == "Correct: tanh (all 2 test cases)."
    with pytest.raises(TypeError, match="reference must return 3 items, one per name in outputs; got an array"):
        check_function("step", np.tanh, np.tanh, cases, outputs=names)
    for bad in ("h", (), (None,), ("h", 3), ("h", "")):
        with pytest.raises(TypeError, match="outputs must be None or a non-empty sequence of names"):
            check_function("step", np.tanh, reference, cases, outputs=bad)


def test_check_function_errors():
    from rnnlib.exercises import check_function

    with pytest.raises(TypeError, match="cases must be a non-empty list of argument tuples"):
        check_function("f", abs, abs, [])
    with pytest.raises(TypeError, match=r"cases\[0\] must be a tuple of arguments; got float"):
        check_function("f", abs, abs, [1.0])
    with pytest.raises(TypeError, match="reference must be a function"):
        check_function("f", abs, 3, [(1.0,)])
