"""Stable elementwise functions: exact values, no overflow, derivatives through the output."""

import numpy as np
import pytest

from rnnlib import log_sigmoid, log_softmax, logsumexp, numerical_gradient_array, rel_error, sigmoid, softmax, softplus
from rnnlib.activations import ACTIVATIONS, get_activation

EXTREME = np.array([-1000.0, -40.0, -1.0, 0.0, 1.0, 40.0, 1000.0])


def test_pinned_values():
    np.testing.assert_allclose(sigmoid(np.array([0.0, 2.0])), [0.5, 0.8807970779778823], atol=1e-15)
    assert softplus(np.array(0.0)) == pytest.approx(np.log(2), abs=1e-15)
    np.testing.assert_allclose(
        softmax(np.array([1.0, 2.0, 3.0])), [0.09003057317038046, 0.24472847105479767, 0.6652409557748219], atol=1e-15
    )
    assert logsumexp(np.array([1000.0, 1000.0])) == pytest.approx(1000 + np.log(2), rel=1e-15)


def test_extremes_are_finite_and_exact():
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        s = sigmoid(EXTREME)
        ls = log_sigmoid(EXTREME)
        sp = softplus(EXTREME)
        p = softmax(EXTREME)
        lp = log_softmax(EXTREME)
    assert s[0] == 0.0 and s[-1] == 1.0 and s[3] == 0.5
    assert ls[0] == -1000.0 and ls[-1] == 0.0
    assert sp[-1] == 1000.0 and sp[0] == 0.0
    assert p.sum() == pytest.approx(1.0) and np.isfinite(lp).all()
    assert lp[-1] == pytest.approx(-np.log1p(np.exp(-960.0)), abs=1e-15)


def test_dtype_preserved():
    assert sigmoid(np.zeros(3, np.float32)).dtype == np.float32
    assert softmax(np.zeros(3, np.float32)).dtype == np.float32


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_derivative_through_output(rng, name):
    f, fprime = get_activation(name)
    a = rng.standard_normal(10) + 0.05  # away from relu's kink at 0
    h = f(a)
    num = numerical_gradient_array(lambda: f(a), a, np.ones_like(a))
    assert rel_error(num, fprime(h)) < 1e-7


def test_unknown_activation():
    with pytest.raises(ValueError, match=r"activation must be one of .*; got 'gelu'"):
        get_activation("gelu")


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activations_write_into_out(name):
    f, _ = get_activation(name)
    z = np.linspace(-3, 3, 7)
    expected = f(z.copy())
    buffer = np.empty_like(z)
    assert f(z, out=buffer) is buffer
    np.testing.assert_array_equal(buffer, expected)
    assert f(z, out=z) is z  # in place, as rnn_forward uses it
    np.testing.assert_array_equal(z, expected)
