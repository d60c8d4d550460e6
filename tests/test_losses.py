"""Losses from logits: pinned values, gradients, masks, and stability at +-40 and +-1000."""

import numpy as np
import pytest

from rnnlib import (
    binary_cross_entropy,
    mean_squared_error,
    numerical_gradient,
    rel_error,
    softmax_cross_entropy,
)


def test_bce_pinned():
    loss, d = binary_cross_entropy(np.array([0.0, 2.0]), np.array([1.0, 0.0]))
    expected = (np.log(2) + np.log1p(np.exp(2.0))) / 2
    assert loss == pytest.approx(expected, abs=1e-15)
    assert loss == pytest.approx(1.410037595801459, abs=1e-12)
    np.testing.assert_allclose(d, [(0.5 - 1) / 2, (1 / (1 + np.exp(-2.0))) / 2], atol=1e-15)


@pytest.mark.parametrize("z", [40.0, 1000.0])
def test_bce_exact_and_finite_at_extreme_logits(z):
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        logits = np.array([z, -z, z, -z])
        loss, d = binary_cross_entropy(logits, np.array([1.0, 0.0, 0.0, 1.0]))
    # confident and right costs log1p(exp(-z)); confident and wrong costs z + log1p(exp(-z))
    assert loss == pytest.approx((2 * np.log1p(np.exp(-z)) + 2 * (z + np.log1p(np.exp(-z)))) / 4, rel=1e-15)
    assert np.isfinite(d).all()
    np.testing.assert_allclose(d, [0, 0, 0.25, -0.25], atol=1e-17 if z == 40 else 0)


def test_bce_gradient(rng):
    z, y = rng.standard_normal(6), rng.integers(0, 2, 6).astype(float)
    _, d = binary_cross_entropy(z, y)
    assert rel_error(numerical_gradient(lambda: binary_cross_entropy(z, y)[0], z), d) < 1e-7


def test_bce_errors():
    with pytest.raises(ValueError, match=r"y must have shape \(N=3,\).*got \(2,\)"):
        binary_cross_entropy(np.zeros(3), np.zeros(2))
    with pytest.raises(ValueError, match=r"y must hold targets in \[0, 1\]; got values from 0.0 to 2.0"):
        binary_cross_entropy(np.zeros(2), np.array([0.0, 2.0]))
    with pytest.raises(ValueError, match="at least one example"):
        binary_cross_entropy(np.zeros(0), np.zeros(0))


def test_softmax_ce_pinned():
    scores = np.array([[[0.0, 0.0, 0.0], [1.0, 2.0, 3.0]]])
    loss, _ = softmax_cross_entropy(scores, np.array([[0, 2]]))
    expected = (np.log(3) + (np.log(np.exp(1) + np.exp(2) + np.exp(3)) - 3)) / 2
    assert loss == pytest.approx(expected, abs=1e-15)
    assert loss == pytest.approx(0.7531091265562452, abs=1e-12)


@pytest.mark.parametrize("mask", [None, np.array([[1, 1, 0], [1, 0, 0]], bool)])
def test_softmax_ce_gradient(rng, mask):
    scores, y = rng.standard_normal((2, 3, 4)), rng.integers(0, 4, (2, 3))
    loss, d = softmax_cross_entropy(scores, y, mask)
    num = numerical_gradient(lambda: softmax_cross_entropy(scores, y, mask)[0], scores)
    assert rel_error(num, d) < 1e-7
    if mask is not None:
        np.testing.assert_array_equal(d[~mask], 0)
        # the masked loss is the mean over real entries only
        full = softmax_cross_entropy(scores[mask][None], y[mask][None])[0]
        assert loss == pytest.approx(full, abs=1e-14)


def test_softmax_ce_two_dimensional(rng):
    scores, y = rng.standard_normal((5, 3)), rng.integers(0, 3, 5)
    loss, d = softmax_cross_entropy(scores, y)
    assert d.shape == (5, 3)
    assert rel_error(numerical_gradient(lambda: softmax_cross_entropy(scores, y)[0], scores), d) < 1e-7


@pytest.mark.parametrize("z", [40.0, 1000.0])
def test_softmax_ce_extreme(z):
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        loss, d = softmax_cross_entropy(np.array([[z, -z, 0.0]]), np.array([1]))
    assert loss == pytest.approx(2 * z + np.log1p(np.exp(-z) + np.exp(-2 * z)), rel=1e-15)
    assert np.isfinite(d).all()


def test_softmax_ce_errors():
    with pytest.raises(ValueError, match=r"y must hold ids in \[0, 3\); got 3"):
        softmax_cross_entropy(np.zeros((1, 2, 3)), np.array([[0, 3]]))
    with pytest.raises(ValueError, match="mask selects no entries"):
        softmax_cross_entropy(np.zeros((1, 2, 3)), np.array([[0, 1]]), np.zeros((1, 2)))
    with pytest.raises(ValueError, match=r"scores must have shape \(N, T, V\) or \(N, V\); got \(3,\)"):
        softmax_cross_entropy(np.zeros(3), np.array([0]))


@pytest.mark.parametrize("mask", [None, np.array([[1, 0, 0], [1, 1, 1]], bool)])
def test_mse(rng, mask):
    p, t = rng.standard_normal((2, 3, 2)), rng.standard_normal((2, 3, 2))
    loss, d = mean_squared_error(p, t, mask)
    if mask is None:
        assert loss == pytest.approx(np.mean((p - t) ** 2), abs=1e-15)
    else:
        assert loss == pytest.approx(np.mean((p - t)[mask] ** 2), abs=1e-15)
    assert rel_error(numerical_gradient(lambda: mean_squared_error(p, t, mask)[0], p), d) < 1e-7
    with pytest.raises(
        ValueError, match=r"target must have 3 dimensions, shape \(2, 3, 2\); got 2 dimensions, shape \(2, 3\)"
    ):
        mean_squared_error(p, t[..., 0])


def test_labels_at_padded_steps_are_ignored_whatever_their_value():
    """The tagger's docstring promises it; -100 is the usual 'ignore' label (PyTorch's)."""
    rng = np.random.default_rng(3)
    z = rng.standard_normal((2, 3, 4))
    mask = np.array([[1, 1, 0], [1, 0, 0]], bool)
    ignored = np.array([[1, 2, -100], [3, 99, 7]])
    zeroed = np.where(mask, ignored, 0)
    loss_a, dz_a = softmax_cross_entropy(z, ignored, mask)
    loss_b, dz_b = softmax_cross_entropy(z, zeroed, mask)
    assert loss_a == loss_b and np.array_equal(dz_a, dz_b)
    with pytest.raises(ValueError, match=r"y at real steps must hold ids in \[0, 4\); got -100"):
        softmax_cross_entropy(z, np.array([[1, -100, 0], [3, 0, 0]]), mask)
    with pytest.raises(ValueError, match=r"y must hold ids in \[0, 4\); got -100"):
        softmax_cross_entropy(z, ignored)  # without a mask every step is real


def test_an_empty_batch_is_named_as_such_not_blamed_on_a_mask():
    with pytest.raises(ValueError, match=r"scores must hold at least one entry; got shape \(0, 3, 4\)"):
        softmax_cross_entropy(np.zeros((0, 3, 4)), np.zeros((0, 3), dtype=int))


def test_each_loss_names_the_argument_that_is_wrong():
    with pytest.raises(ValueError, match=r"logits must have 1 dimensions, shape \(N,\); got 2 dimensions"):
        binary_cross_entropy(np.zeros((2, 1)), np.zeros(2))
    with pytest.raises(ValueError, match=r"y must have shape \(N=1, T=2\) \(set by scores\); got \(1, 3\)"):
        softmax_cross_entropy(np.zeros((1, 2, 3)), np.zeros((1, 3), dtype=int))
    with pytest.raises(ValueError, match=r"y must have shape \(N=2,\) \(set by scores\); got \(1,\)"):
        softmax_cross_entropy(np.zeros((2, 3)), np.zeros(1, dtype=int))
    with pytest.raises(ValueError, match=r"mask must have shape \(N=1, T=2\) \(set by scores\); got \(1, 3\)"):
        softmax_cross_entropy(np.zeros((1, 2, 3)), np.zeros((1, 2), dtype=int), np.ones((1, 3)))
    with pytest.raises(ValueError, match=r"scores must be finite; got nan at index \(0, 1\)"):
        softmax_cross_entropy(np.array([[0.0, np.nan]]), np.array([0]))
    with pytest.raises(ValueError, match=r"scores must have shape \(N, T, V\) or \(N, V\); got list"):
        softmax_cross_entropy([[0.0, 1.0]], np.array([0]))
    with pytest.raises(ValueError, match=r"pred must be finite; got inf at index \(1, 0\)"):
        mean_squared_error(np.array([[0.0], [np.inf]]), np.zeros((2, 1)))
    with pytest.raises(ValueError, match=r"mask must have shape \(2, 3\); got \(2, 2\)"):
        mean_squared_error(np.zeros((2, 3, 1)), np.zeros((2, 3, 1)), np.ones((2, 2)))


def test_mse_edge_cases_one_entry_two_dimensions_and_nothing_to_average():
    """One entry is a mean like any other; a mask also works on (N, T) predictions (one number
    per step); an empty batch or a mask with no real step has no mean and says so."""
    loss, d = mean_squared_error(np.array([3.0]), np.array([1.0]))
    assert (loss, d.tolist()) == (4.0, [4.0])
    p, t = np.array([[1.0, 2.0, 5.0], [0.0, 0.0, 9.0]]), np.zeros((2, 3))
    mask = np.array([[1, 1, 0], [1, 0, 0]], bool)
    loss, d = mean_squared_error(p, t, mask)
    assert loss == pytest.approx((1 + 4 + 0) / 3, abs=1e-15)
    np.testing.assert_allclose(d, [[2 / 3, 4 / 3, 0], [0, 0, 0]], atol=1e-15)
    loss, d = mean_squared_error(p[:1, :, None], t[:1, :, None], np.array([[0, 1, 0]]))  # a single real entry
    assert loss == 4.0 and d[0, :, 0].tolist() == [0.0, 4.0, 0.0]
    with pytest.raises(ValueError, match=r"pred must not be empty; got shape \(0, 3\)"):
        mean_squared_error(np.zeros((0, 3)), np.zeros((0, 3)))
    with pytest.raises(ValueError, match="mask selects no entries; the mean loss over zero entries is undefined"):
        mean_squared_error(p, t, np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"a mask needs pred of shape \(N, T, \.\.\.\); got \(3,\)"):
        mean_squared_error(p[0], t[0], np.ones((1, 3)))


def test_losses_keep_the_precision_of_their_inputs():
    """float32 logits give a float32 gradient (chapter 7 trains in float32): a float64 mask
    (or binary_cross_entropy's float64 target) must not upcast it."""
    z = np.array([0.5, -1.0], dtype=np.float32)
    assert binary_cross_entropy(z, np.array([1.0, 0.0]))[1].dtype == np.float32
    scores = np.zeros((2, 3, 4), dtype=np.float32)
    assert softmax_cross_entropy(scores, np.zeros((2, 3), dtype=int), np.ones((2, 3)))[1].dtype == np.float32
    pred = np.ones((2, 3, 1), dtype=np.float32)  # (mean_squared_error follows its target's dtype too)
    assert mean_squared_error(pred, np.zeros_like(pred), np.ones((2, 3)))[1].dtype == np.float32
