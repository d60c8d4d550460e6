"""Dropout on the non-recurrent connections: masks, expectation, gradients, errors."""

import numpy as np
import pytest

from rnnlib import numerical_gradient_array, rel_error
from rnnlib.regularisation import check_dropout_rate, dropout_backward, dropout_forward, dropout_mask


def test_mask_values_pinned():
    mask = dropout_mask(np.random.default_rng(0), (1, 2, 3), 0.5)
    keep = np.random.default_rng(0).random((1, 2, 3)) >= 0.5
    np.testing.assert_array_equal(mask, 2.0 * keep)
    assert set(np.unique(mask)) <= {0.0, 2.0}


def test_rate_zero_is_the_identity():
    x = np.random.default_rng(1).standard_normal((2, 3, 4))
    out, mask = dropout_forward(x, 0.0, np.random.default_rng(0))
    np.testing.assert_array_equal(out, x)
    np.testing.assert_array_equal(mask, np.ones_like(x))


def test_expectation_is_kept_and_the_rate_is_right():
    x = np.ones((200, 50, 20))
    out, mask = dropout_forward(x, 0.3, np.random.default_rng(2))
    assert abs(out.mean() - 1) < 0.01
    assert abs((mask == 0).mean() - 0.3) < 0.01


def test_variational_mask_is_shared_across_time():
    x = np.ones((4, 7, 5), dtype=np.float32)
    out, mask = dropout_forward(x, 0.5, np.random.default_rng(3), variational=True)
    assert mask.shape == (4, 1, 5) and out.dtype == np.float32
    np.testing.assert_array_equal(out, np.broadcast_to(out[:, :1], out.shape))  # same units dropped at every step
    _, fresh = dropout_forward(x, 0.5, np.random.default_rng(3))
    assert fresh.shape == (4, 7, 5) and not np.all(fresh == fresh[:, :1])


@pytest.mark.parametrize("variational", [False, True])
def test_gradient(variational):
    rng = np.random.default_rng(4)
    x, dout = rng.standard_normal((2, 3, 4)), rng.standard_normal((2, 3, 4))
    _, mask = dropout_forward(x, 0.4, np.random.default_rng(5), variational)

    def f():
        out, _ = dropout_forward(x, 0.4, np.random.default_rng(5), variational)  # the same mask each call
        return out

    assert rel_error(dropout_backward(dout, mask), numerical_gradient_array(f, x, dout)) < 1e-7


def test_errors():
    with pytest.raises(ValueError, match=r"rate must be in \[0, 1\)"):
        check_dropout_rate(1.0)
    with pytest.raises(ValueError, match=r"rate must be in \[0, 1\)"):
        dropout_mask(np.random.default_rng(0), (1, 1, 1), -0.1)
    with pytest.raises(TypeError, match="rate must be a number"):
        check_dropout_rate("half")
    with pytest.raises(TypeError, match="rng must be a numpy Generator"):
        dropout_forward(np.zeros((1, 1, 1)), 0.5, 0)
    with pytest.raises(ValueError, match=r"x must have shape \(N, T, F\)"):
        dropout_forward(np.zeros((2, 3)), 0.5, np.random.default_rng(0))
    with pytest.raises(ValueError, match="shape must be a tuple"):
        dropout_mask(np.random.default_rng(0), (2, 3), 0.5)
    with pytest.raises(ValueError, match="does not fit dout"):
        dropout_backward(np.zeros((2, 3, 4)), np.ones((2, 1, 5)))
    with pytest.raises(TypeError, match="variational must be True or False"):
        dropout_mask(np.random.default_rng(0), (1, 1, 1), 0.5, variational="yes")
