"""The training loop's contract where mutation testing found it untested (see tests/MUTANTS.md):
the defaults the chapters rely on, early stopping that restores what the log calls best, input
dropout that reaches the model, fit's printed progress, and errors that name the argument."""

import numpy as np
import pytest

from rnnlib import SGD, Adam
from rnnlib.charlm import CharLM, text_streams
from rnnlib.metrics import evaluate
from rnnlib.training import fit, train, train_tbptt


class Line:
    """y_hat = x w + b with the mean squared error (as in test_training)."""

    def __init__(self) -> None:
        self.params = {"w": np.array([0.0]), "b": np.array([0.0])}

    def loss(self, x: np.ndarray, y: np.ndarray) -> tuple[float, dict[str, np.ndarray]]:
        r = x * self.params["w"][0] + self.params["b"][0] - y
        return float(np.mean(r**2)), {"w": np.array([2 * np.mean(r * x)]), "b": np.array([2 * np.mean(r)])}


def _line_data(n):
    x = np.linspace(-1, 1, n)
    return x, 2 * x + 1


def _streams(seed=0, length=100, num=4):
    rng = np.random.default_rng(seed)
    return text_streams(rng.integers(2, 6, length), num)


def test_train_validates_every_50_updates_by_default():
    model, (x, y) = Line(), _line_data(8)
    log = train(model.params, model.loss, [(x, y)] * 120, SGD(0.01), validate=lambda: 0.0)
    np.testing.assert_array_equal(log["val_step"], [0, 50, 100, 120])  # and after the last update


def test_keep_best_restores_the_first_of_equal_best_measurements():
    """With ties, best_step is the first lowest measurement, and the parameters put back are
    that measurement's, so the log and the model agree."""
    model, (x, y) = Line(), _line_data(8)
    log = train(model.params, model.loss, [(x, y)] * 4, SGD(0.1), validate=lambda: 1.0, eval_every=1, keep_best=True)
    assert log["best_step"] == 0
    np.testing.assert_array_equal(model.params["w"], [0.0])  # the parameters before any update


def test_train_errors_name_the_argument_and_what_was_passed():
    p = {"w": np.zeros(1)}
    cases = [
        (lambda: train(p, 3, [], SGD(0.1)), r"loss must be a function of a batch .*; got int 3"),
        (lambda: train(p, Line().loss, (1, 2), SGD(0.1)), r"batches must be an iterable of batches .*; got tuple"),
        (
            lambda: train(p, Line().loss, [], SGD(0.1), validate=5),
            "validate must be a function of no arguments returning the validation loss, or None; got int 5",
        ),
        (
            lambda: train(p, Line().loss, [], SGD(0.1), stop=5),
            "stop must be a function of the log so far returning True to stop, or None; got int 5",
        ),
    ]
    for call, message in cases:
        with pytest.raises(TypeError, match=message):
            call()


def test_fit_defaults_ten_epochs_of_batches_of_32_silently(capsys):
    model, opt = Line(), Adam(0.01)
    history = fit(model, _line_data(33), opt, np.random.default_rng(0))
    assert len(history) == 10 and opt.t == {"w": 20, "b": 20}  # 10 epochs of ceil(33 / 32) = 2 updates
    assert capsys.readouterr().out == ""


def test_fit_prints_every_print_every_epochs(capsys):
    history = fit(Line(), _line_data(10), SGD(0.1), np.random.default_rng(0), epochs=6, batch_size=5, print_every=3)
    assert capsys.readouterr().out == f"epoch   3  loss {history[2]:.4f}\nepoch   6  loss {history[5]:.4f}\n"


def test_fit_errors_name_the_argument():
    rng = np.random.default_rng(0)
    with pytest.raises(TypeError, match=r"data must be a tuple of arrays, e\.g\. \(ids, y, mask\); got list"):
        fit(Line(), list(_line_data(4)), SGD(0.1), rng)
    with pytest.raises(ValueError, match="data must hold at least one example; got 0 arrays$"):
        fit(Line(), (), SGD(0.1), rng)
    with pytest.raises(ValueError, match="data must hold at least one example; got 1 arrays, the first of length 0$"):
        fit(Line(), (np.zeros(0),), SGD(0.1), rng)
    with pytest.raises(ValueError, match="batch_size must be a positive int; got 0"):
        fit(Line(), _line_data(4), SGD(0.1), rng, batch_size=0)


def test_train_tbptt_errors_name_the_argument():
    streams, model = _streams(), CharLM(6, 3, np.random.default_rng(0))
    cases = [
        (lambda: train_tbptt("model", streams, SGD(0.1), 6), TypeError, "model must be an rnnlib.charlm.CharLM; got str"),
        (lambda: train_tbptt(model, streams[0], SGD(0.1), 6), ValueError, r"streams must have 2 dimensions, shape \(N, S\)"),
        (lambda: train_tbptt(model, streams, SGD(0.1), 0), ValueError, "chunk_length must be a positive int; got 0"),
        (lambda: train_tbptt(model, streams, SGD(0.1), 6, epochs=0), ValueError, "epochs must be a positive int; got 0"),
        (lambda: train_tbptt(model, streams, SGD(0.1), 6, steps=0), ValueError, "steps must be a positive int; got 0"),
        (
            lambda: train_tbptt(model, streams, SGD(0.1), 6, input_dropout=0.2),
            TypeError,
            "rng must be a numpy Generator",  # input dropout alone needs one too
        ),
        (
            lambda: train_tbptt(model, streams, SGD(0.1), 6, validation=np.full((2, 10), 6)),
            ValueError,
            r"validation must hold ids in \[0, 6\); got 6",
        ),
        (
            lambda: train_tbptt(model, streams, SGD(0.1), 6, validation=streams[0]),
            ValueError,
            r"validation must have 2 dimensions, shape \(N, S\)",
        ),
        (
            lambda: train_tbptt(model, streams, SGD(0.1), 6, validation=streams[:2, :6]),
            ValueError,
            r"validation streams must hold more than chunk_length = 6 characters each; got shape \(2, 6\)",
        ),
    ]
    for call, error, message in cases:
        with pytest.raises(error, match=message):
            call()
    log = train_tbptt(model, streams, SGD(0.1), 6, steps=1, validation=streams[:2, :7])  # k + 1 characters suffice
    assert len(log["val_loss"]) == 2


def test_train_tbptt_defaults_validation_every_50_and_per_step_dropout_masks():
    streams = _streams(length=400)  # 4 streams of 100: 16 chunks of 6 per pass
    model = CharLM(6, 3, np.random.default_rng(0))
    log = train_tbptt(model, streams, SGD(0.1), 6, steps=60, validation=streams[:2, :20])
    np.testing.assert_array_equal(log["val_step"], [0, 50, 60])
    runs = []
    for kw in ({}, {"variational": False}, {"variational": True}):
        m = CharLM(6, 3, np.random.default_rng(0))
        runs.append(train_tbptt(m, streams, SGD(0.1), 6, steps=3, dropout=0.5, rng=np.random.default_rng(1), **kw))
    np.testing.assert_array_equal(runs[0]["loss"], runs[1]["loss"])  # not variational unless asked
    assert not np.array_equal(runs[0]["loss"], runs[2]["loss"])


def test_train_tbptt_input_dropout_reaches_the_model():
    streams = _streams()
    logs = []
    for rate in (0.0, 0.5):
        m = CharLM(6, 3, np.random.default_rng(0))
        logs.append(train_tbptt(m, streams, SGD(0.1), 6, steps=3, input_dropout=rate, rng=np.random.default_rng(1)))
    assert logs[0]["loss"][0] != logs[1]["loss"][0]


def test_train_tbptt_keep_best_leaves_the_model_at_its_best_validation_loss():
    """Early stopping: trained on the cycle 3 4 5 and validated on a text of 2s, the model only
    gets worse on validation, so keep_best puts back the starting parameters, and evaluating
    the returned model gives the lowest loss in the log."""
    streams, held = text_streams(np.tile([3, 4, 5], 100), 4), np.full((2, 30), 2)
    model = CharLM(6, 3, np.random.default_rng(0))
    log = train_tbptt(model, streams, Adam(0.2), 6, steps=20, validation=held, eval_every=5, keep_best=True)
    assert log["best_step"] == 0 and log["val_loss"][-1] > log["val_loss"][0]
    assert evaluate(model, held, 6) == pytest.approx(log["val_loss"][0], rel=1e-12)
