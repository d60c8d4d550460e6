"""Many-to-one classifier, the bag-of-words baseline, and the training loop."""

import numpy as np
import pytest

from rnnlib import SGD, Adam, BagOfWordsClassifier, ManyToOneClassifier, check_gradients, fit, pad_sequences


@pytest.mark.parametrize("embedding_size", [None, 3])
def test_classifier_gradients_all_params(rng, embedding_size):
    model = ManyToOneClassifier(vocab_size=7, hidden_size=4, rng=rng, embedding_size=embedding_size)
    ids, mask = pad_sequences([[2, 3, 4, 5], [6, 2], [3]])
    y = np.array([1.0, 0.0, 1.0])
    _, grads = model.loss(ids, y, mask)
    check_gradients(lambda: model.loss(ids, y, mask)[0], model.params, grads)


def test_classifier_reads_the_last_real_step(rng):
    model = ManyToOneClassifier(vocab_size=5, hidden_size=3, rng=rng)
    padded, mask = pad_sequences([[2, 3], [2, 3, 4]])
    alone = model.predict_proba(np.array([[2, 3]]))
    np.testing.assert_allclose(model.predict_proba(padded, mask)[0], alone[0], atol=1e-15)


def test_classifier_param_count_and_repr(rng):
    model = ManyToOneClassifier(vocab_size=10, hidden_size=4, rng=rng, embedding_size=3)
    assert model.num_parameters() == 10 * 3 + 3 * 4 + 4 * 4 + 4 + 4 + 1
    assert "hidden_size=4" in repr(model) and "parameters=67" in repr(model)


def test_classifier_errors(rng):
    model = ManyToOneClassifier(vocab_size=5, hidden_size=3, rng=rng)
    with pytest.raises(ValueError, match=r"ids must hold ids in \[0, 5\); got 5"):
        model.predict(np.array([[1, 5]]))
    with pytest.raises(ValueError, match=r"mask must have shape \(N=1, T=2\)"):
        model.predict(np.array([[1, 2]]), np.ones((1, 3), bool))
    with pytest.raises(ValueError, match="hidden_size must be a positive int; got 0"):
        ManyToOneClassifier(vocab_size=5, hidden_size=0, rng=rng)
    with pytest.raises(TypeError, match="rng must be a numpy Generator"):
        ManyToOneClassifier(vocab_size=5, hidden_size=3, rng=42)


def order_task(rng, n=200):
    """Label 1 when token 2 comes before token 3: invisible to a bag of words."""
    ids = np.where(rng.random(n)[:, None] < 0.5, [[2, 3]], [[3, 2]])
    ids = np.concatenate([ids, rng.integers(4, 6, (n, 2))], axis=1)
    return ids, (ids[:, 0] == 2).astype(float)


def test_fit_learns_order_bag_of_words_cannot(rng):
    ids, y = order_task(rng)
    rnn = ManyToOneClassifier(vocab_size=6, hidden_size=8, rng=rng, embedding_size=4)
    history = fit(rnn, (ids, y), Adam(lr=0.05), rng=rng, epochs=15, batch_size=20)
    assert len(history) == 15 and history[-1] < 0.1 * history[0]
    assert np.mean(rnn.predict(ids) == y) == 1.0
    bow = BagOfWordsClassifier(vocab_size=6)
    fit(bow, (ids, y), Adam(lr=0.05), rng=rng, epochs=15, batch_size=20)
    swapped = bow.predict_proba(np.array([[2, 3, 4, 5], [3, 2, 4, 5]]))
    assert swapped[0] == swapped[1]  # identical counts, identical output
    assert np.mean(bow.predict(ids) == y) < 0.75


def test_fit_is_reproducible(rng):
    ids, y = order_task(np.random.default_rng(0), n=40)
    runs = []
    for _ in range(2):
        r = np.random.default_rng(7)
        model = ManyToOneClassifier(vocab_size=6, hidden_size=4, rng=r)
        runs.append(fit(model, (ids, y), Adam(lr=0.01), rng=r, epochs=2, batch_size=8))
    assert runs[0] == runs[1]


def test_bag_of_words_gradients(rng):
    model = BagOfWordsClassifier(vocab_size=5)
    model.params["w"] = rng.standard_normal(5)
    ids, mask = pad_sequences([[1, 2, 2], [3]])
    y = np.array([1.0, 0.0])
    _, grads = model.loss(ids, y, mask)
    check_gradients(lambda: model.loss(ids, y, mask)[0], model.params, grads)


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


@pytest.mark.parametrize("cell", ["lstm", "gru"])
@pytest.mark.parametrize("layers, bidi", [(1, False), (2, True)])
def test_classifier_gated_cells_are_drop_in(rng, cell, layers, bidi):
    model = ManyToOneClassifier(7, 3, rng, embedding_size=2, cell=cell, num_layers=layers, bidirectional=bidi)
    ids, mask = pad_sequences([[2, 3, 4], [6, 2], [3]])
    y = np.array([1.0, 0.0, 1.0])
    _, grads = model.loss(ids, y, mask)
    check_gradients(lambda: model.loss(ids, y, mask)[0], model.params, grads)
    alone = model.predict_proba(np.array([[6, 2]]))
    np.testing.assert_allclose(model.predict_proba(ids, mask)[1], alone[0], atol=1e-14)
    assert f"cell='{cell}'" in repr(model)


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


def test_count_parameters_sums_the_sizes_and_backs_every_models_count(rng):
    from rnnlib.models import count_parameters

    assert count_parameters({"W": np.zeros((3, 4)), "b": np.zeros(4)}) == 16
    assert count_parameters({}) == 0
    model = ManyToOneClassifier(10, 4, rng, embedding_size=3)
    assert model.num_parameters() == count_parameters(model.params) == sum(p.size for p in model.params.values())
    with pytest.raises(TypeError, match="dict of name -> array"):
        count_parameters([np.zeros(3)])
