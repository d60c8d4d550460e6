"""The one training loop (train) and its two wrappers: fit (mini-batches, a loss per epoch)
and train_tbptt (chunks of parallel streams, with the state carried between chunks)."""

import numpy as np
import pytest

from rnnlib import SGD, Adam, BagOfWordsClassifier, softmax_cross_entropy
from rnnlib.charlm import CharLM, char_vocabulary, encode_text, stream_chunks, text_streams
from rnnlib.metrics import carried_state_norms, evaluate, perplexity
from rnnlib.training import fit, train, train_tbptt

TEXT = "the cat sat on the mat. the dog sat on the log.\n"
CELLS = ("rnn", "lstm", "gru")


class Line:
    """y_hat = x w + b with the mean squared error: a model whose every update can be done by hand."""

    def __init__(self, w: float = 0.0, b: float = 0.0) -> None:
        self.params = {"w": np.array([w]), "b": np.array([b])}

    def loss(self, x: np.ndarray, y: np.ndarray) -> tuple[float, dict[str, np.ndarray]]:
        r = x * self.params["w"][0] + self.params["b"][0] - y
        return float(np.mean(r**2)), {"w": np.array([2 * np.mean(r * x)]), "b": np.array([2 * np.mean(r)])}


def line_batches(sizes=(4, 4, 2)):
    x = np.arange(1.0, sum(sizes) + 1)
    y = 2 * x + 1
    cuts = np.cumsum((0, *sizes))
    return [(x[a:b], y[a:b]) for a, b in zip(cuts[:-1], cuts[1:])]


# -- train: the log, the schedule, the budget, clipping, frozen parameters ------------------


def test_train_logs_every_update_and_makes_the_updates_by_hand():
    model, batches = Line(), line_batches()
    log = train(model.params, model.loss, batches, SGD(0.01))
    assert list(log) == ["loss", "grad_norm", "lr", "batch_size"]
    np.testing.assert_array_equal(log["batch_size"], [4, 4, 2])
    np.testing.assert_array_equal(log["lr"], [0.01] * 3)
    hand = Line()
    for u, (x, y) in enumerate(batches):  # the same updates, one by one
        loss, grads = hand.loss(x, y)
        assert log["loss"][u] == loss  # the loss before the update
        assert log["grad_norm"][u] == pytest.approx(np.sqrt(grads["w"][0] ** 2 + grads["b"][0] ** 2), rel=1e-15)
        for k in hand.params:
            hand.params[k] -= 0.01 * grads[k]
    for k in hand.params:
        np.testing.assert_allclose(model.params[k], hand.params[k], rtol=1e-15)


def test_train_applies_the_schedule_to_each_update():
    model = Line()
    log = train(model.params, model.loss, line_batches((1,) * 5), SGD(1.0), lr_schedule=lambda u: 0.01 / (1 + u))
    np.testing.assert_allclose(log["lr"], 0.01 / (1 + np.arange(5)))
    hand = Line()
    for u, (x, y) in enumerate(line_batches((1,) * 5)):
        _, grads = hand.loss(x, y)
        for k in hand.params:
            hand.params[k] -= 0.01 / (1 + u) * grads[k]
    np.testing.assert_allclose(model.params["w"], hand.params["w"], rtol=1e-14)


def test_train_respects_the_budget_and_never_asks_for_a_batch_beyond_it():
    asked = []

    def endless():
        while True:
            asked.append(1)
            yield line_batches((3,))[0]

    model = Line()
    log = train(model.params, model.loss, endless(), SGD(0.001), steps=7)
    assert len(log["loss"]) == 7 and len(asked) == 7
    stopped = train(model.params, model.loss, endless(), SGD(0.001), steps=100, stop=lambda g: len(g["loss"]) == 3)
    assert len(stopped["loss"]) == 3
    # without a budget, a finite stream is used up: three batches, three updates
    assert len(train(Line().params, Line().loss, line_batches(), SGD(0.001))["loss"]) == 3


def test_stop_sees_the_log_so_far():
    seen = []
    model = Line()
    train(model.params, model.loss, line_batches(), SGD(0.001), stop=lambda g: seen.append(g["loss"].copy()) or False)
    assert [len(s) for s in seen] == [1, 2, 3]


def test_clipping_rescales_the_update_but_logs_the_norm_before_it():
    model = Line()
    x, y = line_batches((4,))[0]
    _, grads = Line().loss(x, y)
    norm = np.sqrt(grads["w"][0] ** 2 + grads["b"][0] ** 2)
    assert norm > 10
    log = train(model.params, model.loss, [(x, y)], SGD(1.0), clip_norm=0.5)
    assert log["grad_norm"][0] == pytest.approx(norm, rel=1e-15)
    step = np.sqrt(model.params["w"][0] ** 2 + model.params["b"][0] ** 2)  # from zero, lr 1: the clipped gradient
    assert step == pytest.approx(0.5, rel=1e-12)
    np.testing.assert_allclose(model.params["w"] / model.params["b"], grads["w"] / grads["b"])  # same direction


def test_frozen_parameters_stay_and_leave_the_norm():
    model = Line(w=0.5)
    log = train(model.params, model.loss, line_batches(), SGD(0.01), frozen=("w",))
    assert model.params["w"][0] == 0.5 and model.params["b"][0] != 0.0
    x, y = line_batches()[0]
    assert log["grad_norm"][0] == pytest.approx(abs(Line(w=0.5).loss(x, y)[1]["b"][0]), rel=1e-15)


@pytest.mark.parametrize(
    "optimizer",
    [lambda: SGD(0.01, momentum=0.9, weight_decay=0.1), lambda: Adam(0.01, weight_decay=0.1)],
    ids=["SGD momentum weight decay", "Adam weight decay"],
)
def test_frozen_parameters_are_bit_identical_under_weight_decay(optimizer):
    """Weight decay shrinks every parameter the optimiser is given, whatever its gradient:
    a frozen one must never reach the optimiser."""
    model = Line(w=0.5, b=0.25)
    opt = optimizer()
    train(model.params, model.loss, line_batches(), opt, frozen=("w",))
    assert model.params["w"].tobytes() == np.array([0.5]).tobytes()
    assert model.params["b"][0] != 0.25  # the other parameter trained, its state kept by name
    for state in (getattr(opt, "velocity", {}), getattr(opt, "m", {})):
        assert set(state) <= {"b"}


def test_validation_every_few_updates_and_keep_best():
    """The gradient is -1 at every step, so with SGD(0.5) w = u / 2 after u updates; the validation
    loss (w - 1)^2 is lowest after 2 updates, and keep_best puts that w back."""

    def model():
        params = {"w": np.zeros(1)}
        return params, (lambda: float((params["w"][0] - 1.0) ** 2))

    def push(x):
        return 0.0, {"w": -np.ones(1)}

    batches = [(np.zeros(1),)] * 5
    params, validate = model()
    log = train(params, push, batches, SGD(0.5), validate=validate, eval_every=2)
    np.testing.assert_array_equal(log["val_step"], [0, 2, 4, 5])  # before, every 2, and after the last
    np.testing.assert_allclose(log["val_loss"], [1.0, 0.0, 1.0, 2.25])
    assert int(log["best_step"]) == 2 and params["w"][0] == 2.5  # without keep_best: the last
    params, validate = model()
    log = train(params, push, batches, SGD(0.5), validate=validate, eval_every=1, keep_best=True)
    np.testing.assert_array_equal(log["val_step"], [0, 1, 2, 3, 4, 5])
    assert int(log["best_step"]) == 2 and params["w"][0] == 1.0  # the best parameters are back


def test_train_errors_name_what_was_expected_and_received():
    model = Line()
    ok = (model.params, model.loss, line_batches())
    with pytest.raises(
        TypeError, match=r"optimizer must be an rnnlib.optim optimizer such as Adam\(lr=0.01\); got str"
    ):
        train(*ok, "sgd")
    with pytest.raises(TypeError, match="params must be a dict of name -> array, e.g. model.params; got list"):
        train([1.0], model.loss, line_batches(), SGD(0.1))
    with pytest.raises(TypeError, match="loss must be a function of a batch returning"):
        train(model.params, 3.0, line_batches(), SGD(0.1))
    with pytest.raises(TypeError, match="batches must be an iterable of batches"):
        train(model.params, model.loss, line_batches()[0], SGD(0.1))
    with pytest.raises(TypeError, match="batches must yield tuples of arrays, the arguments of loss; got list"):
        train(model.params, model.loss, [[np.ones(2), np.ones(2)]], SGD(0.1))
    with pytest.raises(ValueError, match="steps must be a positive int; got 0"):
        train(*ok, SGD(0.1), steps=0)
    with pytest.raises(ValueError, match="clip_norm must be a positive finite number; got -1"):
        train(*ok, SGD(0.1), clip_norm=-1)
    with pytest.raises(ValueError, match=r"frozen must be a tuple of parameter names from \['b', 'w'\]; got \('v',\)"):
        train(*ok, SGD(0.1), frozen=("v",))
    with pytest.raises(TypeError, match="lr_schedule must be a function of the step"):
        train(*ok, SGD(0.1), lr_schedule=0.1)
    with pytest.raises(TypeError, match="stop must be a function of the log so far"):
        train(*ok, SGD(0.1), stop=True)
    with pytest.raises(ValueError, match="keep_best needs validate"):
        train(*ok, SGD(0.1), keep_best=True)
    with pytest.raises(ValueError, match="eval_every must be a positive int"):
        train(*ok, SGD(0.1), validate=lambda: 0.0, eval_every=0)


# -- fit: epochs of shuffled mini-batches ----------------------------------------------------


class _Recorder:
    """A stand-in model for fit: its loss is the mean of the batch it is given, its
    gradient is zero (so nothing changes between epochs), and it keeps every batch."""

    def __init__(self) -> None:
        self.params = {"w": np.zeros(1)}
        self.batches: list[np.ndarray] = []

    def loss(self, x: np.ndarray) -> tuple[float, dict[str, np.ndarray]]:
        self.batches.append(x.copy())
        return float(x.mean()), {"w": np.zeros(1)}


def test_fit_reports_the_example_weighted_mean_loss_of_each_epoch():
    """Ten examples in batches of 4, 4 and 2. With one 1 among nine 0s the mean loss over
    the examples is 0.1 wherever the 1 lands; the plain mean of the three batch losses
    would be 1/12 or 1/6, counting the short batch's examples twice."""
    x = np.zeros(10)
    x[3] = 1.0
    model = _Recorder()
    history = fit(model, (x,), SGD(0.1), np.random.default_rng(0), epochs=3, batch_size=4)
    assert [len(b) for b in model.batches] == [4, 4, 2] * 3
    assert history == pytest.approx([0.1] * 3, rel=1e-12)


def test_fit_visits_every_example_once_per_epoch_in_a_new_order():
    x = np.arange(12.0)
    model = _Recorder()
    fit(model, (x,), SGD(0.1), np.random.default_rng(0), epochs=3, batch_size=5)
    epochs = [np.concatenate(model.batches[i : i + 3]) for i in range(0, 9, 3)]
    for e in epochs:
        np.testing.assert_array_equal(np.sort(e), x)
    assert not np.array_equal(epochs[0], x) and not np.array_equal(epochs[1], epochs[0])
    again = _Recorder()
    fit(again, (x,), SGD(0.1), np.random.default_rng(0), epochs=3, batch_size=5)
    np.testing.assert_array_equal(np.concatenate(again.batches), np.concatenate(model.batches))  # same seed


def test_fit_is_train_on_minibatches_with_a_schedule_across_epochs():
    """fit makes exactly the updates of train on the same mini-batches, and its schedule counts
    updates across epochs."""
    x = np.linspace(-1, 1, 10)
    data = (x, 3 * x - 1)
    schedule = lambda u: 0.1 * 0.5 ** (u // 3)  # noqa: E731  (3 updates an epoch: halved every epoch)
    a, b = Line(), Line()
    history = fit(a, data, SGD(1.0), np.random.default_rng(4), epochs=2, batch_size=4, lr_schedule=schedule)
    order = np.random.default_rng(4)
    batches = [(x[i], data[1][i]) for _ in range(2) for i in np.array_split(order.permutation(10), [4, 8])]
    log = train(b.params, b.loss, batches, SGD(1.0), lr_schedule=schedule)
    np.testing.assert_array_equal(a.params["w"], b.params["w"])
    np.testing.assert_array_equal(log["lr"], [0.1] * 3 + [0.05] * 3)
    np.testing.assert_allclose(history, [np.average(log["loss"][:3], weights=[4, 4, 2]),
                                         np.average(log["loss"][3:], weights=[4, 4, 2])], rtol=1e-14)  # fmt: skip


def test_fit_prints_every_few_epochs(capsys):
    fit(Line(), line_batches((10,))[0], SGD(0.001), np.random.default_rng(0), epochs=4, print_every=2)
    assert [line.split()[:2] for line in capsys.readouterr().out.splitlines()] == [["epoch", "2"], ["epoch", "4"]]


def test_fit_prints_each_epoch_as_it_ends(capsys):
    """A student watching a long fit sees every epoch's line when that epoch ends, not all at the end."""
    model = Line()
    printed_before_batch = []

    def loss(x, y):
        printed_before_batch.append(capsys.readouterr().out)
        return Line.loss(model, x, y)

    model.loss = loss
    x, y = line_batches((10,))[0]
    history = fit(model, (x, y), SGD(0.001), np.random.default_rng(0), epochs=3, batch_size=5, print_every=1)
    after = capsys.readouterr().out
    assert printed_before_batch[:2] == ["", ""] and printed_before_batch[3] == ""
    assert printed_before_batch[2] == f"epoch   1  loss {history[0]:.4f}\n"  # before epoch 2's first batch
    assert printed_before_batch[4] == f"epoch   2  loss {history[1]:.4f}\n"
    assert after == f"epoch   3  loss {history[2]:.4f}\n"


def test_fit_errors(rng):
    model = BagOfWordsClassifier(vocab_size=3)
    data = (np.array([[1, 2]]), np.array([1.0]))
    with pytest.raises(
        TypeError, match=r"optimizer must be an rnnlib.optim optimizer such as Adam\(lr=0.01\); got str"
    ):
        fit(model, data, "adam", rng=rng)
    with pytest.raises(TypeError, match="data must be a tuple of arrays"):
        fit(model, list(data), Adam(), rng=rng)
    with pytest.raises(ValueError, match="epochs must be a positive int; got 0"):
        fit(model, data, Adam(), rng=rng, epochs=0)
    with pytest.raises(ValueError, match="clip_norm must be a positive finite number"):
        fit(model, data, Adam(), rng=rng, clip_norm=0)
    with pytest.raises(ValueError, match="data must hold at least one example; got 0 arrays"):
        fit(model, (), Adam(), rng=rng)
    with pytest.raises(ValueError, match="data must hold at least one example; got 2 arrays, the first of length 0"):
        fit(model, (np.zeros((0, 2), int), np.zeros(0)), Adam(), rng=rng)


# -- train_tbptt: chunks in order, the state carried ---------------------------------------


def test_training_with_tbptt_learns_a_repeating_text():
    ids = encode_text("abcd" * 100, char_vocabulary("abcd"))
    streams = text_streams(ids, 4)
    model = CharLM(6, 8, np.random.default_rng(0))
    before = perplexity(model, streams, 8)
    log = train_tbptt(model, streams, Adam(0.05), chunk_length=8, steps=60, clip_norm=1.0)
    assert set(log) == {"loss", "grad_norm", "lr", "batch_size", "state_norm"} and log["loss"].shape == (60,)
    np.testing.assert_array_equal(log["batch_size"], 4)  # the streams
    assert (log["grad_norm"] > 1.0).any()  # clipping was needed at the start
    assert log["loss"][-5:].mean() < 0.1 * log["loss"][0]
    assert perplexity(model, streams, 8) < 1.1 < before
    np.testing.assert_array_equal(log["lr"], 0.05)


def test_tbptt_frozen_parameters_and_state_norm(rng):
    streams = text_streams(rng.integers(2, 6, 100), 4)
    model = CharLM(6, 3, rng, activation="relu", recurrent_init="identity")
    start = {k: v.copy() for k, v in model.params.items()}
    log = train_tbptt(model, streams, Adam(0.1), 6, steps=5, frozen=("W_hh",))
    np.testing.assert_array_equal(model.params["W_hh"], np.eye(3))  # never moved
    assert not np.array_equal(model.params["W_xh"], start["W_xh"])  # the rest trained
    # the gradient norm leaves out the frozen matrix: recompute the first update's
    first = CharLM(6, 3, rng, activation="relu", recurrent_init="identity")
    first.params = {k: v.copy() for k, v in start.items()}
    x, y = next(stream_chunks(streams, 6))
    _, grads, state = first.loss_and_state(x, y)
    del grads["W_hh"]
    np.testing.assert_allclose(log["grad_norm"][0], np.sqrt(sum((g**2).sum() for g in grads.values())))
    np.testing.assert_allclose(log["state_norm"][0], np.linalg.norm(state["h"][-1], axis=-1).mean())
    with pytest.raises(ValueError, match="frozen must be a tuple of parameter names"):
        train_tbptt(model, streams, Adam(0.1), 6, steps=1, frozen=("W_zz",))
    with pytest.raises(ValueError, match="frozen must be a tuple of parameter names"):
        train_tbptt(model, streams, Adam(0.1), 6, steps=1, frozen="W_hh")


def test_tbptt_passes_epochs_and_schedule(rng):
    streams = text_streams(rng.integers(2, 6, 100), 4)  # S = 25, k = 6: 4 chunks per pass
    model = CharLM(6, 3, rng)
    log = train_tbptt(model, streams, SGD(0.1), 6, epochs=2)
    assert len(log["loss"]) == 8
    log = train_tbptt(model, streams, SGD(0.1), 6, steps=10, lr_schedule=lambda s: 0.1 / (1 + s))
    np.testing.assert_allclose(log["lr"], 0.1 / (1 + np.arange(10)))


def test_train_tbptt_is_deterministic(rng):
    streams = text_streams(rng.integers(2, 6, 200), 5)
    logs = []
    for _ in range(2):
        model = CharLM(6, 4, np.random.default_rng(3), cell="gru")
        logs.append(train_tbptt(model, streams, Adam(0.01), 8, steps=5, clip_norm=0.5))
    np.testing.assert_array_equal(logs[0]["loss"], logs[1]["loss"])


@pytest.mark.parametrize("cell", CELLS)
def test_tbptt_carries_the_state_from_chunk_to_chunk(rng, cell):
    """At learning rate zero the parameters never move, so if the state is carried, the
    chunks' losses are exactly the losses of one long pass over the streams, cut into
    pieces, and each pass starts again from zeros. Restarting every chunk from a zero
    state, or carrying the state into the next pass, changes every loss after the first."""
    k, chunks = 6, 5
    streams = text_streams(rng.integers(0, 6, 2 * (k * chunks + 1)), 2)
    model = CharLM(6, 4, rng, cell=cell, num_layers=2)
    log = train_tbptt(model, streams, SGD(0.1), k, epochs=2, lr_schedule=lambda s: 0.0)
    scores, _ = model.forward(streams[:, : k * chunks])  # one pass, no truncation
    pieces = [
        softmax_cross_entropy(scores[:, j * k : (j + 1) * k], streams[:, j * k + 1 : (j + 1) * k + 1])[0]
        for j in range(chunks)
    ]
    np.testing.assert_allclose(log["loss"], pieces * 2, rtol=1e-12)
    fresh = [model.loss(x, y)[0] for x, y in stream_chunks(streams, k)]  # every chunk from zeros
    assert np.abs(np.subtract(fresh, pieces)[1:]).min() > 1e-6  # so the check above can tell the two apart


@pytest.mark.parametrize("cell", CELLS)
def test_carried_state_norms_match_training_at_learning_rate_zero(rng, cell):
    streams = text_streams(rng.integers(0, 6, 100), 4)
    model = CharLM(6, 4, rng, cell=cell, num_layers=2)
    frozen = train_tbptt(model, streams, SGD(0.1), 5, lr_schedule=lambda s: 0.0)
    np.testing.assert_allclose(carried_state_norms(model, streams, 5), frozen["state_norm"], rtol=1e-12)
    # with learning, the first chunk is read before any update, so only the first norm agrees
    trained = train_tbptt(CharLM(6, 4, np.random.default_rng(1), cell=cell), streams, Adam(0.5), 5, steps=3)
    untrained = carried_state_norms(CharLM(6, 4, np.random.default_rng(1), cell=cell), streams, 5, chunks=3)
    assert trained["state_norm"][0] == pytest.approx(untrained[0], rel=1e-12)
    assert not np.allclose(trained["state_norm"][1:], untrained[1:])


def test_tbptt_errors(rng):
    model = CharLM(5, 3, rng)
    streams = np.zeros((2, 10), np.int64)
    with pytest.raises(TypeError, match="optimizer must be an rnnlib.optim optimizer"):
        train_tbptt(model, streams, "adam", 3)
    with pytest.raises(TypeError, match="model must be an rnnlib.charlm.CharLM"):
        train_tbptt("model", streams, Adam(), 3)
    with pytest.raises(ValueError, match=r"streams must hold ids in \[0, 5\); got 7"):
        train_tbptt(model, streams + 7, Adam(), 3)
    with pytest.raises(ValueError, match="clip_norm must be a positive finite number; got -1"):
        train_tbptt(model, streams, Adam(), 3, clip_norm=-1)
    with pytest.raises(TypeError, match="lr_schedule must be a function of the step"):
        train_tbptt(model, streams, Adam(), 3, lr_schedule=0.1)


def test_validation_log_and_early_stopping():
    vocab = char_vocabulary(TEXT)
    ids = encode_text(TEXT * 6, vocab)
    train_s, val = text_streams(ids[:200], 4), text_streams(ids[200:], 2)
    model = CharLM(len(vocab), 16, np.random.default_rng(0))
    log = train_tbptt(model, train_s, Adam(0.05), 8, steps=30, validation=val, eval_every=10, keep_best=True)
    np.testing.assert_array_equal(log["val_step"], [0, 10, 20, 30])
    assert log["val_loss"][0] == pytest.approx(np.log(len(vocab)), abs=0.3)  # before training: near uniform
    assert int(log["best_step"]) == log["val_step"][np.argmin(log["val_loss"])]
    assert evaluate(model, val, 8) == pytest.approx(log["val_loss"].min())  # the best parameters are back
    again = CharLM(len(vocab), 16, np.random.default_rng(0))
    log2 = train_tbptt(again, train_s, Adam(0.05), 8, steps=30, validation=val, eval_every=10)
    np.testing.assert_array_equal(log2["val_loss"], log["val_loss"])  # measuring changes nothing
    assert evaluate(again, val, 8) == pytest.approx(log["val_loss"][-1])  # without keep_best: the last
    plain = CharLM(len(vocab), 16, np.random.default_rng(0))
    np.testing.assert_array_equal(train_tbptt(plain, train_s, Adam(0.05), 8, steps=30)["loss"], log["loss"])
    dropped = train_tbptt(CharLM(len(vocab), 16, np.random.default_rng(0)), train_s, Adam(0.05), 8, steps=5,
                          dropout=0.5, variational=True, rng=np.random.default_rng(1))  # fmt: skip
    assert not np.allclose(dropped["loss"], log["loss"][:5])


def test_validation_errors():
    vocab = char_vocabulary(TEXT)
    ids = encode_text(TEXT * 6, vocab)
    train_s, model = text_streams(ids[:200], 4), CharLM(len(vocab), 8, np.random.default_rng(0))
    with pytest.raises(ValueError, match="keep_best needs validation streams"):
        train_tbptt(model, train_s, Adam(0.05), 8, steps=2, keep_best=True)
    with pytest.raises(ValueError, match="validation streams must hold more than chunk_length = 8"):
        train_tbptt(model, train_s, Adam(0.05), 8, steps=2, validation=text_streams(ids[:16], 2))
    with pytest.raises(TypeError, match="rng must be a numpy Generator"):
        train_tbptt(model, train_s, Adam(0.05), 8, steps=2, dropout=0.5)
    with pytest.raises(ValueError, match="eval_every must be a positive int"):
        train_tbptt(model, train_s, Adam(0.05), 8, steps=2, validation=train_s, eval_every=0)
