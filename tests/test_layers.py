"""Embedding, per-step affine and last-step affine layers."""

import numpy as np
import pytest

from rnnlib import (
    check_layer_gradients,
    embedding_backward,
    embedding_forward,
    last_step_affine_backward,
    last_step_affine_forward,
    temporal_affine_backward,
    temporal_affine_forward,
)
from rnnlib.layers import last_step_indices


def test_embedding_pinned_and_gradient(rng):
    W = np.arange(12.0).reshape(4, 3)
    ids = np.array([[1, 3], [1, 0]])
    out, cache = embedding_forward(ids, W)
    np.testing.assert_array_equal(out[0, 1], [9.0, 10.0, 11.0])
    dout = rng.standard_normal(out.shape)
    dW = embedding_backward(dout, cache)
    np.testing.assert_allclose(dW[1], dout[0, 0] + dout[1, 0])  # a repeated id accumulates
    np.testing.assert_array_equal(dW[2], 0)
    check_layer_gradients(lambda: embedding_forward(ids, W)[0], {"W": W}, {"W": dW}, dout)


def test_embedding_rejects_bad_ids():
    W = np.zeros((4, 3))
    with pytest.raises(ValueError, match=r"ids must hold ids in \[0, 4\); got 4"):
        embedding_forward(np.array([[0, 4]]), W)
    with pytest.raises(ValueError, match=r"ids must hold ids in \[0, 4\); got -1"):
        embedding_forward(np.array([[-1, 2]]), W)
    with pytest.raises(TypeError, match="ids must be an integer array"):
        embedding_forward(np.array([[0.0, 1.0]]), W)


def test_temporal_affine(rng):
    hs, W, b = rng.standard_normal((2, 3, 4)), rng.standard_normal((4, 5)), rng.standard_normal(5)
    out, cache = temporal_affine_forward(hs, W, b)
    np.testing.assert_allclose(out[1, 2], hs[1, 2] @ W + b)
    dout = rng.standard_normal(out.shape)
    grads = temporal_affine_backward(dout, cache)
    check_layer_gradients(lambda: temporal_affine_forward(hs, W, b)[0], [hs, W, b], list(grads), dout)
    with pytest.raises(ValueError, match=r"W must have shape \(H=4, V\)"):
        temporal_affine_forward(hs, W[:3], b)


def test_last_step_indices():
    mask = np.array([[1, 1, 0], [1, 1, 1], [1, 0, 0]], bool)
    np.testing.assert_array_equal(last_step_indices(mask, 3, 3), [1, 2, 0])
    np.testing.assert_array_equal(last_step_indices(None, 2, 5), [4, 4])
    with pytest.raises(ValueError, match=r"mask rows \[1\] are all zero"):
        last_step_indices(np.array([[1, 0], [0, 0]], bool), 2, 2)


@pytest.mark.parametrize("mask", [None, np.array([[1, 1, 0, 0], [1, 1, 1, 1], [1, 0, 0, 0]], bool)])
def test_last_step_affine(rng, mask):
    hs, W, b = rng.standard_normal((3, 4, 5)), rng.standard_normal((5, 2)), rng.standard_normal(2)
    out, cache = last_step_affine_forward(hs, W, b, mask)
    last = [3, 3, 3] if mask is None else [1, 3, 0]
    np.testing.assert_allclose(out, hs[np.arange(3), last] @ W + b)
    dout = rng.standard_normal(out.shape)
    grads = last_step_affine_backward(dout, cache)
    check_layer_gradients(lambda: last_step_affine_forward(hs, W, b, mask)[0], [hs, W, b], list(grads), dout)
