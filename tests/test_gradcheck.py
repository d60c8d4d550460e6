"""The checker itself must catch a wrong gradient, or every other test means nothing."""

import numpy as np
import pytest

from rnnlib import numerical_gradient, numerical_gradient_array, rel_error


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
