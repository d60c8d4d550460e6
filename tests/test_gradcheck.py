"""The checker itself must catch a wrong gradient, or every other test means nothing."""

import numpy as np
import pytest

from rnnlib import check_gradients, check_layer_gradients, numerical_gradient, numerical_gradient_array, rel_error


def test_numerical_gradient_of_known_function():
    x = np.array([1.0, -2.0, 0.5])
    g = numerical_gradient(lambda: float(np.sum(x**3)), x)
    np.testing.assert_allclose(g, 3 * x**2, rtol=1e-9)
    np.testing.assert_array_equal(x, [1.0, -2.0, 0.5])  # restored after nudging


def test_array_version_matches_jacobian_product():
    W = np.array([[1.0, 2.0], [3.0, 4.0]])
    x = np.array([0.3, -0.7])
    dout = np.array([1.0, -1.0])
    g = numerical_gradient_array(lambda: W @ x, x, dout)
    np.testing.assert_allclose(g, W.T @ dout, rtol=1e-9)


def test_rel_error_separates_right_from_wrong():
    g = np.array([1.0, 2.0, 3.0])
    assert rel_error(g, g) == 0.0
    assert rel_error(np.zeros(3), np.zeros(3)) == 0.0
    assert rel_error(g, g + 1e-12) < 1e-12
    assert rel_error(g, 2 * g) == pytest.approx(1 / 3)  # a factor-of-two bug is obvious
    assert rel_error(g, -g) == 1.0


def test_errors():
    with pytest.raises(ValueError, match=r"same shape; got \(2,\) and \(3,\)"):
        rel_error(np.zeros(2), np.zeros(3))
    with pytest.raises(TypeError, match="floating-point numpy array"):
        numerical_gradient(lambda: 0.0, np.zeros(3, dtype=int))


# ---------------------------------------------------------------- check_gradients


def cubic_problem():
    """f = sum(w * x**3) + sum(x) * b: gradients 3 w x**2 + b, x**3 and sum(x)."""
    x, w, b = np.array([[1.0, -2.0], [0.5, 0.3]]), np.array([[0.7, -0.2], [1.5, 0.4]]), np.array([0.25])

    def f():
        return float(np.sum(w * x**3) + np.sum(x) * b[0])

    return f, {"x": x, "w": w, "b": b}, {"x": 3 * w * x**2 + b, "w": x**3, "b": np.array([x.sum()])}


def test_check_gradients_passes_a_right_gradient_and_returns_the_errors():
    f, arrays, grads = cubic_problem()
    before = {k: v.copy() for k, v in arrays.items()}
    errors = check_gradients(f, arrays, grads)
    assert errors.keys() == {"x", "w", "b"} and max(errors.values()) < 1e-9
    for k in arrays:
        np.testing.assert_array_equal(arrays[k], before[k])  # every array restored
    assert check_gradients(f, list(arrays.values()), list(grads.values())).keys() == {
        "arrays[0]",
        "arrays[1]",
        "arrays[2]",
    }


def test_check_gradients_names_the_wrong_array_and_says_by_how_much():
    f, arrays, grads = cubic_problem()
    grads["w"] = grads["w"].copy()
    grads["w"][1, 0] *= 2  # one wrong entry, 0.25 where x**3 = 0.125
    with pytest.raises(AssertionError) as info:
        check_gradients(f, arrays, grads)
    msg = str(info.value)
    assert "'w'" in msg and "'x'" not in msg and "'b'" not in msg
    assert "relative error" in msg and "largest absolute difference 0.125 > atol 1e-09" in msg
    assert "at index (1, 0) (analytic 0.25, numerical 0.125)" in msg
    with pytest.raises(AssertionError, match=r"'arrays\[1\]': relative error"):
        check_gradients(f, list(arrays.values()), list(grads.values()))


def test_check_gradients_catches_a_wrong_gradient_with_small_entries():
    """The floor is for rounding noise, not for small gradients: a factor-of-two bug in a
    gradient of size 1e-6, or a dropped term of size 1e-8, still fails."""
    x = np.array([0.3, -1.2, 0.8])

    def f():
        return float(1.0 + 5e-7 * np.sum(x**2))  # O(1) value, gradient 1e-6 x

    check_gradients(f, {"x": x}, {"x": 1e-6 * x})
    with pytest.raises(AssertionError, match="'x': relative error 0.333"):
        check_gradients(f, {"x": x}, {"x": 2e-6 * x})
    small = 1e-6 * x + np.array([0.0, 1e-8, 0.0])
    with pytest.raises(AssertionError, match=r"at index \(1,\)"):
        check_gradients(f, {"x": x}, {"x": small})


def test_check_gradients_forgives_rounding_noise_below_the_floor():
    """A true gradient of 1e-10 on a loss of size 1: the centred difference is pure rounding
    (relative error near 1e-2), but the absolute error is ~1e-11, below the floor. With no
    floor the same right gradient fails, which is what made one property test flaky."""
    x = np.array([0.5, -0.25, 2.0])

    def f():
        return float(1.0 + 1e-10 * np.sum(x))

    assert rel_error(numerical_gradient(f, x), np.full(3, 1e-10)) > 1e-7  # the noise is real
    check_gradients(f, {"x": x}, {"x": np.full(3, 1e-10)})
    with pytest.raises(AssertionError, match="largest absolute difference .* > atol 0"):
        check_gradients(f, {"x": x}, {"x": np.full(3, 1e-10)}, atol=0)
    check_gradients(f, {"x": x}, {"x": np.full(3, 1e-10)}, h=1e-6)  # floor 1e-8 at this step


def test_check_layer_gradients_uses_the_upstream_gradient():
    W, x = np.array([[1.0, 2.0], [3.0, -4.0], [0.5, 0.0]]), np.array([[0.3, -0.7, 1.1]])
    dout = np.array([[1.0, -2.0]])
    grads = {"x": dout @ W.T, "W": x.T @ dout}
    errors = check_layer_gradients(lambda: x @ W, {"x": x, "W": W}, grads, dout)
    assert max(errors.values()) < 1e-9
    with pytest.raises(AssertionError, match="gradient check failed for 'W'"):
        check_layer_gradients(lambda: x @ W, {"x": x, "W": W}, {"x": grads["x"], "W": x.T @ np.ones((1, 2))}, dout)
    with pytest.raises(
        ValueError, match=r"forward\(\) must return an array of dout's shape \(2,\); got shape \(1, 2\)"
    ):
        check_layer_gradients(lambda: x @ W, {"x": x}, {"x": grads["x"]}, dout[0])
    with pytest.raises(TypeError, match="forward must be a callable"):
        check_layer_gradients(x @ W, {"x": x}, {"x": grads["x"]}, dout)


def test_check_gradients_errors():
    f, arrays, grads = cubic_problem()
    with pytest.raises(TypeError, match="f must be a callable with no arguments"):
        check_gradients(1.0, arrays, grads)
    with pytest.raises(ValueError, match=r"one entry per array; missing \['b'\], unexpected \['c'\]"):
        check_gradients(f, arrays, {"x": grads["x"], "w": grads["w"], "c": grads["b"]})
    with pytest.raises(ValueError, match="one gradient per array; got 3 arrays and 2 grads"):
        check_gradients(f, list(arrays.values()), list(grads.values())[:2])
    with pytest.raises(TypeError, match="both be dicts or both be lists; got dict and list"):
        check_gradients(f, arrays, list(grads.values()))
    with pytest.raises(ValueError, match=r"the gradient of 'w' must have the array's shape \(2, 2\); got \(4,\)"):
        check_gradients(f, arrays, {**grads, "w": grads["w"].ravel()})
    with pytest.raises(TypeError, match="array 'x' must be a float64 numpy array .*; got an array of dtype float32"):
        check_gradients(lambda: 0.0, {"x": np.zeros(2, np.float32)}, {"x": np.zeros(2)})
    with pytest.raises(TypeError, match="arrays must be a dict of named arrays or a list of arrays"):
        check_gradients(f, arrays["x"], grads)
    with pytest.raises(ValueError, match="at least one array"):
        check_gradients(f, {}, {})
    with pytest.raises(ValueError, match=r"f\(\) must return one finite number; got"):
        check_gradients(lambda: np.nan, {"x": arrays["x"]}, {"x": grads["x"]})
    with pytest.raises(ValueError, match=r"f\(\) must return one finite number; got an array"):
        check_gradients(lambda: np.zeros(2), {"x": arrays["x"]}, {"x": grads["x"]})
    with pytest.raises(ValueError, match="h must be a positive finite number; got 0"):
        check_gradients(f, arrays, grads, h=0)
    with pytest.raises(ValueError, match="rtol must be a non-negative finite number; got -1"):
        check_gradients(f, arrays, grads, rtol=-1)


def test_every_backward_names_the_forward_whose_cache_it_expects():
    """A cache from another forward function used to fail with a bare KeyError deep inside."""
    import pytest

    from rnnlib import (
        embedding_backward,
        gru_backward,
        lstm_backward,
        rnn_backward,
        rnn_step_backward,
        temporal_affine_backward,
    )
    from rnnlib.attention import additive_attention_backward, dot_attention_backward
    from rnnlib.bptt import rnn_backward_truncated
    from rnnlib.layers import last_step_affine_backward
    from rnnlib.rnn import rnn_forward

    rng = np.random.default_rng(0)
    x, h0 = rng.standard_normal((2, 3, 4)), np.zeros((2, 5))
    hs, rnn_cache = rnn_forward(x, h0, rng.standard_normal((4, 5)), rng.standard_normal((5, 5)), np.zeros(5))
    cases = [
        (lstm_backward, (hs, rnn_cache), "lstm_forward", "'c0'"),
        (gru_backward, (hs, rnn_cache), "gru_forward", "'W_x', 'W_h', 'r', 'z', 'n', 'n_h'"),
        (rnn_backward, (hs, {"hs": hs}), "rnn_forward", "'x'"),
        (rnn_step_backward, (h0, rnn_cache), "rnn_step_forward", "'h'"),
        (rnn_backward_truncated, (hs, {"x": x}, 2), "rnn_forward", "'h0'"),
        (embedding_backward, (hs, rnn_cache), "embedding_forward", "'ids'"),
        (temporal_affine_backward, (hs, rnn_cache), "temporal_affine_forward", "'W'"),
        (last_step_affine_backward, (h0, rnn_cache), "last_step_affine_forward", "'h_last'"),
        (additive_attention_backward, (hs, rnn_cache), "additive_attention_forward", "'query'"),
        (dot_attention_backward, (hs, rnn_cache), "dot_attention_forward", "'query'"),
    ]
    for backward, args, forward, key in cases:
        with pytest.raises(TypeError, match=rf"cache must be the one returned by {forward}; this one has no {key}"):
            backward(*args)
    with pytest.raises(TypeError, match=r"cache must be the dict returned by rnn_forward; got list"):
        rnn_backward(hs, [rnn_cache])


def test_a_gradient_of_nan_fails_the_check_by_name():
    """NaN compares False with every tolerance, so a check of 'err > rtol' alone let it pass."""
    x = np.array([1.0, 2.0])
    with pytest.raises(AssertionError, match=r"'x': both gradients must be finite; got 2 non-finite analytic"):
        check_gradients(lambda: float(np.sum(x**2)), {"x": x}, {"x": np.array([np.nan, np.nan])})
    with pytest.raises(AssertionError, match=r"got 0 non-finite analytic and 2 non-finite numerical"):
        check_gradients(lambda: float(np.sum(x**2)) if x[0] == 1.0 and x[1] == 2.0 else np.nan, {"x": x}, {"x": 2 * x})
