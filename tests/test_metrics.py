"""Accuracies (per entry, per class, per generated sequence) and BLEU (n-grams, clipped
precision, brevity penalty) checked by hand, and that each metric has one home,
rnnlib.metrics;
the character model's cross-entropy, perplexity and carried-state norms on held-out streams."""

import ast
import importlib
import inspect
import pkgutil
import re

import numpy as np
import pytest

import rnnlib
from rnnlib import metrics, softmax_cross_entropy
from rnnlib.charlm import CharLM, text_streams
from rnnlib.metrics import (
    accuracy_by_class,
    bleu,
    brevity_penalty,
    carried_state_norms,
    evaluate,
    masked_accuracy,
    modified_precision,
    ngrams,
    perplexity,
    rmse,
    running_mean,
    sequence_accuracy,
)


def test_masked_accuracy_and_accuracy_by_class():
    pred = np.array([[0, 1, 2], [2, 2, 0]])
    target = np.array([[0, 1, 1], [2, 0, 1]])
    mask = np.array([[1, 1, 1], [1, 1, 0]], bool)
    assert masked_accuracy(pred, target) == pytest.approx(3 / 6)
    assert masked_accuracy(pred, target, mask) == pytest.approx(3 / 5)
    acc = accuracy_by_class(pred, target, num_classes=4, mask=mask)
    np.testing.assert_allclose(acc[:3], [1 / 2, 1 / 2, 1.0])
    assert np.isnan(acc[3])  # no entries of class 3
    with pytest.raises(ValueError, match=r"pred must have the shape of target \(2, 3\); got \(3,\)"):
        masked_accuracy(np.zeros(3, int), target)
    with pytest.raises(ValueError, match="mask selects no entries"):
        masked_accuracy(pred, target, np.zeros((2, 3), bool))
    with pytest.raises(ValueError, match=r"target must hold ids in \[0, 3\); got 3"):
        accuracy_by_class(pred, target + 1, num_classes=3)


def test_sequence_accuracy_counts_stops():
    exact, token = sequence_accuracy([[1, 2], [1, 2, 3], [4]], [[1, 2], [1, 2], [5, 6]])
    assert exact == pytest.approx(1 / 3)
    # targets + stop: [1 2 .] all right (3/3); [1 2 .] vs [1 2 3 .]: 2/3; [5 6 .] vs [4 .]: 0/3
    assert token == pytest.approx(5 / 9)
    with pytest.raises(ValueError, match="predicted and targets must hold the same positive number"):
        sequence_accuracy([[1]], [])


def test_ngrams_counts():
    assert ngrams("a b a b".split(), 2) == {("a", "b"): 2, ("b", "a"): 1}
    assert ngrams([1, 2], 3) == {}
    assert ngrams([7], 1) == {(7,): 1}


def test_modified_precision_clips_to_the_reference_count():
    # Papineni et al.'s example: seven "the" against a reference with two
    assert modified_precision([["the"] * 7], [["the", "cat", "is", "on", "the", "mat"]], 1) == (2, 7)
    assert modified_precision([["the"] * 7], [["the", "cat", "is", "on", "the", "mat"]], 2) == (0, 6)
    # counts are summed over the corpus before dividing
    assert modified_precision([["a", "b"], ["c"]], [["a", "x"], ["c"]], 1) == (2, 3)
    assert modified_precision([["a"]], [["a"]], 2) == (0, 0)


def test_brevity_penalty_by_hand():
    assert brevity_penalty(7, 6) == 1.0
    assert brevity_penalty(6, 6) == 1.0
    np.testing.assert_allclose(brevity_penalty(4, 6), np.exp(1 - 6 / 4), rtol=1e-15)
    assert brevity_penalty(0, 3) == 0.0
    with pytest.raises(ValueError, match="output_length must be an int >= 0; got -1"):
        brevity_penalty(-1, 3)
    with pytest.raises(ValueError, match="reference_length must be an int >= 0; got 2.5"):
        brevity_penalty(1, 2.5)


def test_bleu_by_hand():
    out, ref = ["the", "cat", "sat", "on", "the", "mat"], ["the", "cat", "sat", "on", "a", "mat"]
    # p1 = 5/6, p2 = 3/5, p3 = 2/4, p4 = 1/3, equal lengths: BP = 1
    np.testing.assert_allclose(bleu([out], [ref]), (5 / 6 * 3 / 5 * 2 / 4 * 1 / 3) ** 0.25, rtol=1e-14)
    np.testing.assert_allclose(bleu([out], [ref], max_n=2), (5 / 6 * 3 / 5) ** 0.5, rtol=1e-14)
    # a short output: every n-gram right, but penalised for its length (c = 4, r = 6)
    np.testing.assert_allclose(bleu([ref[:4]], [ref]), np.exp(1 - 6 / 4), rtol=1e-14)
    assert bleu([ref, ref[:5]], [ref, ref[:5]]) == 1.0
    assert bleu([["x", "y", "z", "w"]], [ref]) == 0.0  # no shared word
    assert bleu([ref[:3]], [ref[:3]]) == 0.0  # no 4-gram at all: p4 = 0/0 counts as 0
    # order matters only through n >= 2: the same words shuffled keep p1 = 1
    assert bleu([ref[::-1]], [ref], max_n=1) == 1.0 and bleu([ref[::-1]], [ref]) == 0.0
    assert bleu([[1, 2, 3, 4]], [[1, 2, 3, 4]]) == 1.0  # ids work as tokens


def test_bleu_errors():
    with pytest.raises(ValueError, match="one reference per output; got 2 and 1"):
        bleu([["a"], ["b"]], [["a"]])
    with pytest.raises(TypeError, match="outputs must be a list of token sequences"):
        bleu("a b", ["a b"])
    with pytest.raises(TypeError, match="references must be a list of token sequences"):
        bleu([["a"]], ["a"])
    with pytest.raises(ValueError, match="outputs must hold at least one sequence"):
        bleu([], [])
    with pytest.raises(ValueError, match="max_n"):
        bleu([["a"]], [["a"]], max_n=0)


#: A public function whose name says it measures how good predictions are.  Losses (losses.py) and
#: figures (plot_*) are not metrics.
METRIC_NAME = re.compile(r"(^|_)(accuracy|bleu|perplexity|rmse|mae|mape|f1|precision|recall)($|_)")


def test_each_metric_lives_in_rnnlib_metrics_only():
    """One home per metric: no other module defines a function named like a metric, or
    re-exports one of rnnlib.metrics' metrics."""
    defined, reexported = [], []
    for info in pkgutil.iter_modules(rnnlib.__path__):
        module = importlib.import_module(f"rnnlib.{info.name}")
        if module is metrics:
            continue
        used = {n.id for n in ast.walk(ast.parse(inspect.getsource(module))) if isinstance(n, ast.Name)}
        for name, obj in vars(module).items():
            if not inspect.isfunction(obj) or name.startswith(("_", "plot_")):
                continue
            if obj.__module__ == module.__name__ and METRIC_NAME.search(name):
                defined.append(f"{module.__name__}.{name}")
            elif obj.__module__ == "rnnlib.metrics":
                if name in metrics.__all__ and name not in used:  # imported only to be imported from here
                    reexported.append(f"{module.__name__}.{name}")
    assert defined == [], f"every metric must be defined in rnnlib.metrics; got definitions in {defined}"
    assert reexported == [], f"metrics must be imported from rnnlib.metrics; got re-exports {reexported}"
    assert METRIC_NAME.search("masked_accuracy") and METRIC_NAME.search("rmse") and METRIC_NAME.search("bleu")
    assert not METRIC_NAME.search("global_norm") and not METRIC_NAME.search("mean_squared_error")


def test_rmse_pinned():
    f = np.array([[1.0, 2.0], [3.0, 4.0]])
    a = np.array([[1.0, 0.0], [0.0, 4.0]])
    np.testing.assert_allclose(rmse(f, a), [np.sqrt(4.5), np.sqrt(2.0)])
    assert rmse(f, a, axis=None) == pytest.approx(np.sqrt(13 / 4))
    with pytest.raises(ValueError, match=r"forecast and actual must have the same shape; got \(3,\) and \(4,\)"):
        rmse(np.zeros(3), np.zeros(4))


# -- a character model on held-out streams (chapter 7) ---------------------------------


def test_uniform_model_has_perplexity_V(rng):
    model = CharLM(9, 4, rng, cell="gru")
    model.params["W_hy"][...] = 0  # equal scores for every character
    streams = text_streams(rng.integers(0, 9, 300), 3)
    assert perplexity(model, streams, 10) == pytest.approx(9.0, rel=1e-12)
    assert evaluate(model, streams, 10) == pytest.approx(np.log(9.0), rel=1e-12)


def test_evaluate_equals_the_mean_cross_entropy_of_one_long_pass(rng):
    model = CharLM(6, 4, rng, cell="lstm")
    streams = text_streams(rng.integers(0, 6, 60), 2)  # S = 30, chunks of 7: 4 chunks, 28 steps
    scores, _ = model.forward(streams[:, :28])
    expected, _ = softmax_cross_entropy(scores, streams[:, 1:29])
    assert evaluate(model, streams, 7) == pytest.approx(expected, rel=1e-12)


def test_carried_state_norms_pinned_for_an_integrator(rng):
    """An IRNN whose every input adds 1 to each of its 2 units: after chunk j of k steps
    the state is j k (1, 1), so its norm is j k sqrt(2), and reading changes no parameter."""
    model = CharLM(3, 2, rng, activation="relu", recurrent_init="identity")
    model.params["W_xh"][...] = 1.0
    start = {k: v.copy() for k, v in model.params.items()}
    streams = text_streams(rng.integers(0, 3, 40), 2)  # S = 20, chunks of 4: 4 chunks in a pass
    np.testing.assert_allclose(carried_state_norms(model, streams, 4), 4 * np.arange(1, 5) * np.sqrt(2))
    np.testing.assert_allclose(carried_state_norms(model, streams, 4, chunks=2), [4 * np.sqrt(2), 8 * np.sqrt(2)])
    for k, v in model.params.items():
        np.testing.assert_array_equal(v, start[k])


def test_carried_state_norms_errors(rng):
    model = CharLM(5, 3, rng)
    streams = np.zeros((2, 10), np.int64)  # S = 10, chunks of 3: 3 chunks
    with pytest.raises(ValueError, match="chunks must be at most 3, the chunks of length 3 in one pass"):
        carried_state_norms(model, streams, 3, chunks=4)
    with pytest.raises(TypeError, match="chunks must be a positive int"):
        carried_state_norms(model, streams, 3, chunks=1.5)
    with pytest.raises(TypeError, match="model must be an rnnlib.charlm.CharLM"):
        carried_state_norms("model", streams, 3)
    with pytest.raises(ValueError, match=r"streams must hold ids in \[0, 5\); got 7"):
        carried_state_norms(model, streams + 7, 3)


def test_a_mask_with_other_values_shows_them():
    pred = target = np.zeros((2, 3), np.int64)
    with pytest.raises(
        ValueError, match=r"mask must contain only 0 and 1 \(or True and False\); got 2, 3, 5 \.\.\. at 4 of 6 entries"
    ):
        masked_accuracy(pred, target, np.array([[1, 2, 0], [3, 5, 7]]))
    with pytest.raises(ValueError, match=r"got 0\.5 at 1 of 6 entries"):
        masked_accuracy(pred, target, np.array([[1, 0.5, 0], [1, 1, 1]]))


def test_running_mean_of_the_last_values_and_of_all_before_the_window():
    np.testing.assert_allclose(running_mean([4.0, 2.0, 6.0, 0.0, 1.0], 3), [4.0, 3.0, 4.0, 8 / 3, 7 / 3])
    np.testing.assert_array_equal(running_mean([1.0, 2.0], 1), [1.0, 2.0])
    with pytest.raises(ValueError, match="window must be a positive int; got 0"):
        running_mean([1.0], 0)
    with pytest.raises(ValueError, match=r"values must have shape \(S,\); got \(1, 2\)"):
        running_mean([[1.0, 2.0]], 2)
