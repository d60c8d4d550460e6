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


def _layer_calls(rng):
    """One good call of each layer, for the checks below to break one argument at a time."""
    ids, V = np.array([[1, 3], [1, 0]]), rng.standard_normal((4, 3))
    hs, W, b = rng.standard_normal((3, 4, 5)), rng.standard_normal((5, 2)), rng.standard_normal(2)
    mask = np.array([[1, 1, 0, 0], [1, 1, 1, 1], [1, 0, 0, 0]], bool)
    return {
        "embedding_forward": (embedding_forward, {"ids": ids, "W": V}),
        "temporal_affine_forward": (temporal_affine_forward, {"hs": hs, "W": W, "b": b}),
        "last_step_affine_forward": (last_step_affine_forward, {"hs": hs, "W": W, "b": b, "mask": mask}),
    }


@pytest.mark.parametrize(
    "layer, arg, message",
    [
        ("embedding_forward", "W", r"W must have 2 dimensions, shape \(V, D\)"),
        ("embedding_forward", "ids", r"ids must have 2 dimensions, shape \(N, T\)"),
        ("temporal_affine_forward", "hs", r"hs must have 3 dimensions, shape \(N, T, H\)"),
        ("temporal_affine_forward", "W", r"W must have 2 dimensions, shape \(H=5, V\)"),
        ("temporal_affine_forward", "b", r"b must have 1 dimensions, shape \(V=2,\)"),
        ("last_step_affine_forward", "hs", r"hs must have 3 dimensions, shape \(N, T, H\)"),
        ("last_step_affine_forward", "W", r"W must have 2 dimensions, shape \(H=5, K\)"),
        ("last_step_affine_forward", "b", r"b must have 1 dimensions, shape \(K=2,\)"),
        ("last_step_affine_forward", "mask", r"mask must have 2 dimensions, shape \(N=3, T=4\)"),
    ],
)
def test_a_badly_shaped_input_is_named_with_the_axes_it_needs(rng, layer, arg, message):
    """The message names the argument and its axes by the letters the docstring uses, with the
    sizes already fixed by the arguments before it."""
    forward, kwargs = _layer_calls(rng)[layer]
    kwargs[arg] = kwargs[arg][..., None]  # one axis too many
    with pytest.raises(ValueError, match=message):
        forward(**kwargs)


def test_the_layers_check_that_sizes_agree_across_their_inputs(rng):
    hs, W, b = rng.standard_normal((3, 4, 5)), rng.standard_normal((5, 2)), rng.standard_normal(2)
    for forward in (temporal_affine_forward, last_step_affine_forward):
        with pytest.raises(ValueError, match=r"W must have shape \(H=5, \w\) \(set by hs\); got \(4, 2\)"):
            forward(hs, W[:4], b)
        with pytest.raises(ValueError, match=r"b must have shape \(\w=2,\) \(set by W\); got \(3,\)"):
            forward(hs, W, np.zeros(3))
    with pytest.raises(ValueError, match=r"mask must have shape \(N=3, T=4\) \(set by hs\); got \(3, 3\)"):
        last_step_affine_forward(hs, W, b, np.ones((3, 3), bool))


def test_each_backward_names_its_own_forward_and_checks_the_upstream_gradient(rng):
    """A cache from another layer, or an upstream gradient of the wrong shape, is named as such."""
    calls = _layer_calls(rng)
    backward = {
        "embedding_forward": embedding_backward,
        "temporal_affine_forward": temporal_affine_backward,
        "last_step_affine_forward": last_step_affine_backward,
    }
    outs = {name: forward(**kwargs) for name, (forward, kwargs) in calls.items()}
    for name, back in backward.items():
        other = "temporal_affine_forward" if name == "embedding_forward" else "embedding_forward"
        with pytest.raises(TypeError, match=f"cache must be the one returned by {name}; this one has no"):
            back(outs[name][0], outs[other][1])
        up = "dout" if name == "embedding_forward" else "dscores"
        out, cache = outs[name]
        expected = r"\(" + ", ".join(map(str, out.shape[:-1])) + (r", D\)" if up == "dout" else rf", {out.shape[-1]}\)")
        with pytest.raises(ValueError, match=rf"{up} must have {out.ndim} dimensions, shape {expected}"):
            back(out[..., None], cache)


def test_gradients_keep_the_precision_of_the_upstream_gradient(rng):
    """A float32 model (chapter 7's character model) gets float32 gradients: a float64 one would be
    upcast silently and every later update would run at twice the memory and cost."""
    ids, W = np.array([[1, 3], [1, 0]]), rng.standard_normal((4, 3)).astype(np.float32)
    out, cache = embedding_forward(ids, W)
    assert embedding_backward(np.ones_like(out), cache).dtype == np.float32
    hs, V, b = (rng.standard_normal(s).astype(np.float32) for s in ((3, 4, 5), (5, 2), (2,)))
    for forward, backward in (
        (temporal_affine_forward, temporal_affine_backward),
        (last_step_affine_forward, last_step_affine_backward),
    ):
        scores, cache = forward(hs, V, b)
        assert [g.dtype for g in backward(np.ones_like(scores), cache)] == [np.float32] * 3


def test_last_step_gradient_pinned():
    """dL/dh is dscores W^T at each sequence's last real step and exactly zero everywhere else
    (the padding after it and the steps before it get nothing from the output)."""
    hs = np.arange(24.0).reshape(2, 3, 4) / 10
    W, b = np.arange(8.0).reshape(4, 2), np.zeros(2)
    mask = np.array([[1, 1, 0], [1, 1, 1]], bool)
    out, cache = last_step_affine_forward(hs, W, b, mask)
    np.testing.assert_allclose(out, [hs[0, 1] @ W, hs[1, 2] @ W])
    dhs, dW, db = last_step_affine_backward(np.array([[1.0, 0.0], [0.0, 2.0]]), cache)
    expected = np.zeros((2, 3, 4))
    expected[0, 1] = [0.0, 2.0, 4.0, 6.0]  # row 0 of W^T
    expected[1, 2] = [2.0, 6.0, 10.0, 14.0]  # twice row 1 of W^T
    np.testing.assert_array_equal(dhs, expected)
    np.testing.assert_allclose(dW, np.outer(hs[0, 1], [1, 0]) + np.outer(hs[1, 2], [0, 2]))
    np.testing.assert_array_equal(db, [1.0, 2.0])
