"""Long-range tasks: the adding problem, the copy task and the repeated motif, and their exact baselines
(the model trained on them, rnnlib.models.ManyToOne, is tested in test_models.py)."""

import numpy as np
import pytest

from rnnlib import softmax_cross_entropy
from rnnlib.tasks import (
    COPY_BLANK,
    adding_baseline_mse,
    adding_problem,
    copy_baseline_loss,
    copy_task,
    repeated_motif,
)

# ---------------------------------------------------------------- the adding problem


def test_adding_problem_pinned_output():
    x, y = adding_problem(2, 4, np.random.default_rng(0))
    u = np.random.default_rng(0).random((2, 4))  # the generator draws the numbers first
    np.testing.assert_array_equal(x[..., 0], u)
    marked = x[..., 1].astype(bool)
    np.testing.assert_allclose(y, [u[0][marked[0]].sum(), u[1][marked[1]].sum()])
    np.testing.assert_allclose(y, [0.28631435, 1.64225214], atol=1e-8)
    np.testing.assert_array_equal(x[..., 1], [[0, 1, 0, 1], [0, 1, 0, 1]])


@pytest.mark.parametrize("T", [2, 3, 7, 50])
def test_adding_problem_structure(T):
    x, y = adding_problem(500, T, np.random.default_rng(T))
    assert x.shape == (500, T, 2) and y.shape == (500,) and x.dtype == y.dtype == np.float64
    markers = x[..., 1]
    assert set(np.unique(markers)) <= {0.0, 1.0}
    np.testing.assert_array_equal(markers.sum(axis=1), 2)
    np.testing.assert_array_equal(markers[:, : T // 2].sum(axis=1), 1)  # one in the first half
    np.testing.assert_array_equal(markers[:, T // 2 :].sum(axis=1), 1)  # one in the second half
    assert (x[..., 0] >= 0).all() and (x[..., 0] < 1).all()
    np.testing.assert_allclose(y, (x[..., 0] * markers).sum(axis=1), rtol=1e-15)


def test_adding_problem_with_two_steps_marks_both():
    x, _ = adding_problem(3, 2, np.random.default_rng(0))
    np.testing.assert_array_equal(x[..., 1], np.ones((3, 2)))


def test_adding_problem_is_reproducible_and_takes_a_dtype():
    a = adding_problem(5, 6, np.random.default_rng(1))
    b = adding_problem(5, 6, np.random.default_rng(1))
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    x, y = adding_problem(1, 6, np.random.default_rng(1), dtype=np.float32)
    assert x.dtype == y.dtype == np.float32 and x.shape == (1, 6, 2)


def test_adding_problem_errors():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="T must be at least 2 so that two different steps can be marked; got 1"):
        adding_problem(4, 1, rng)
    with pytest.raises(ValueError, match="num_sequences must be a positive int; got 0"):
        adding_problem(0, 5, rng)
    with pytest.raises(TypeError, match="T must be a positive int; got float"):
        adding_problem(4, 5.0, rng)
    with pytest.raises(TypeError, match="rng must be a numpy Generator"):
        adding_problem(4, 5, 0)
    with pytest.raises(TypeError, match="dtype must be a floating type such as np.float64"):
        adding_problem(4, 5, rng, dtype=np.int64)


def test_adding_baselines_exact():
    assert adding_baseline_mse() == pytest.approx(1 / 6, abs=1e-15)
    assert adding_baseline_mse(1) == pytest.approx(1 / 12, abs=1e-15)
    assert adding_baseline_mse(2) == 0.0


def test_adding_baselines_match_simulation():
    x, y = adding_problem(200_000, 10, np.random.default_rng(0))
    # the best constant is the mean, 1 ...
    assert y.mean() == pytest.approx(1.0, abs=5e-3)
    assert np.mean((1.0 - y) ** 2) == pytest.approx(adding_baseline_mse(0), abs=3e-3)
    # ... and keeping only the second (recent) number leaves the variance of the first
    second = (x[:, 5:, 0] * x[:, 5:, 1]).sum(axis=1)
    assert np.mean((second + 0.5 - y) ** 2) == pytest.approx(adding_baseline_mse(1), abs=2e-3)
    assert np.mean((second + 0.5 - y) ** 2) < np.mean((1.0 - y) ** 2)


@pytest.mark.parametrize("bad", [3, -1, True, 1.0, "one"])
def test_adding_baseline_errors(bad):
    with pytest.raises(ValueError, match="remembered must be 0, 1 or 2"):
        adding_baseline_mse(bad)


# ---------------------------------------------------------------- the copy task


def test_copy_task_pinned_output():
    inputs, targets = copy_task(1, 3, np.random.default_rng(0), num_symbols=4, length=2)
    symbols = np.random.default_rng(0).integers(1, 5, size=(1, 2))
    s1, s2 = symbols[0]
    np.testing.assert_array_equal(inputs, [[s1, s2, 0, 0, 5, 0, 0]])
    np.testing.assert_array_equal(targets, [[0, 0, 0, 0, 0, s1, s2]])


@pytest.mark.parametrize(("T", "K", "L"), [(1, 8, 10), (5, 3, 1), (20, 8, 10)])
def test_copy_task_structure(T, K, L):
    inputs, targets = copy_task(300, T, np.random.default_rng(T), num_symbols=K, length=L)
    assert inputs.shape == targets.shape == (300, T + 2 * L)
    assert inputs.dtype == targets.dtype == np.int64
    symbols = inputs[:, :L]
    assert symbols.min() >= 1 and symbols.max() <= K
    np.testing.assert_array_equal(inputs[:, L : L + T - 1], COPY_BLANK)
    np.testing.assert_array_equal(inputs[:, L + T - 1], K + 1)  # the delimiter, last step of the delay
    np.testing.assert_array_equal(inputs[:, L + T :], COPY_BLANK)
    np.testing.assert_array_equal(targets[:, : L + T], COPY_BLANK)
    np.testing.assert_array_equal(targets[:, L + T :], symbols)
    if K > 1:
        assert len(np.unique(symbols)) == K  # every symbol used


def test_copy_task_errors():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="T must be a positive int; got 0"):
        copy_task(2, 0, rng)
    with pytest.raises(ValueError, match="num_symbols must be a positive int; got 0"):
        copy_task(2, 3, rng, num_symbols=0)
    with pytest.raises(ValueError, match="length must be a positive int; got -2"):
        copy_task(2, 3, rng, length=-2)
    with pytest.raises(TypeError, match="rng must be a numpy Generator"):
        copy_task(2, 3, None)


def test_copy_baseline_formula():
    assert copy_baseline_loss(100) == pytest.approx(10 * np.log(8) / 120)
    assert copy_baseline_loss(5, num_symbols=2, length=1) == pytest.approx(np.log(2) / 7)
    assert copy_baseline_loss(1, num_symbols=1, length=3) == 0.0  # one symbol: nothing to remember
    with pytest.raises(ValueError, match="T must be a positive int; got 0"):
        copy_baseline_loss(0)


@pytest.mark.parametrize(("T", "K", "L"), [(1, 8, 10), (30, 4, 3)])
def test_copy_baseline_is_the_loss_of_the_best_memoryless_predictor(T, K, L):
    inputs, targets = copy_task(50, T, np.random.default_rng(0), num_symbols=K, length=L)
    V = K + 2
    scores = np.full((50, T + 2 * L, V), -1e4)  # near-certainty expressed as finite logits
    scores[:, : L + T, COPY_BLANK] = 0.0  # certain of the blanks before and during the delay
    scores[:, L + T :, 1 : K + 1] = 0.0  # uniform over the K symbols when writing
    loss, _ = softmax_cross_entropy(scores, targets)
    assert loss == pytest.approx(copy_baseline_loss(T, K, L), rel=1e-12)


# ---------------------------------------------------------------- the repeated motif (short range)


def test_repeated_motif_pinned_output():
    inputs, targets = repeated_motif(2, 7, np.random.default_rng(0), period=3, num_symbols=5)
    motif = np.random.default_rng(0).integers(0, 5, size=(2, 3))
    np.testing.assert_array_equal(inputs, np.tile(motif, 3)[:, :7])
    np.testing.assert_array_equal(targets, np.tile(motif, 3)[:, 1:8])
    assert inputs.dtype == targets.dtype == np.int64


@pytest.mark.parametrize(("T", "period", "K"), [(3, 3, 2), (20, 3, 8), (10, 1, 4), (12, 5, 3)])
def test_repeated_motif_structure(T, period, K):
    inputs, targets = repeated_motif(200, T, np.random.default_rng(T), period=period, num_symbols=K)
    assert inputs.shape == targets.shape == (200, T)
    assert inputs.min() >= 0 and max(inputs.max(), targets.max()) < K
    np.testing.assert_array_equal(targets[:, :-1], inputs[:, 1:])  # the next symbol
    t = np.arange(period - 1, T)
    np.testing.assert_array_equal(targets[:, t], inputs[:, t - period + 1])  # seen p - 1 steps ago
    assert len(np.unique(inputs[:, 0])) == K  # every symbol is used


def test_repeated_motif_is_reproducible():
    a = repeated_motif(4, 9, np.random.default_rng(3))
    b = repeated_motif(4, 9, np.random.default_rng(3))
    for u, v in zip(a, b):
        np.testing.assert_array_equal(u, v)


def test_repeated_motif_errors():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match=r"T must be at least period \(3\) so that the motif repeats; got 2"):
        repeated_motif(3, 2, rng)
    with pytest.raises(ValueError, match="num_symbols must be at least 2"):
        repeated_motif(3, 5, rng, num_symbols=1)
    with pytest.raises(ValueError, match="period must be a positive int; got 0"):
        repeated_motif(3, 5, rng, period=0)
    with pytest.raises(TypeError, match="rng"):
        repeated_motif(3, 5, 0)
