"""The many-to-one model (every job: tokens or vectors, binary or regression, every cell,
truncated BPTT, the deltas) and the bag-of-words baseline, trained with fit (whose own
tests are in test_training)."""

import numpy as np
import pytest

from rnnlib import (
    CELLS,
    Adam,
    BagOfWordsClassifier,
    ManyToOne,
    check_gradients,
    check_layer_gradients,
    fit,
    gru_forward,
    gru_state_gradients,
    last_step_affine_backward,
    lstm_forward,
    lstm_state_gradients,
    numerical_gradient,
    pad_sequences,
    rel_error,
    rnn_forward,
    rnn_state_gradients,
    sigmoid,
)
from rnnlib.bptt import rnn_backward_truncated, scalar_bptt
from rnnlib.init import EMBEDDING_SCALE
from rnnlib.tasks import adding_baseline_mse, adding_problem


@pytest.mark.parametrize("embedding_size", [None, 3])
def test_classifier_gradients_all_params(rng, embedding_size):
    model = ManyToOne(vocab_size=7, hidden_size=4, rng=rng, embedding_size=embedding_size)
    ids, mask = pad_sequences([[2, 3, 4, 5], [6, 2], [3]])
    y = np.array([1.0, 0.0, 1.0])
    _, grads = model.loss(ids, y, mask)
    check_gradients(lambda: model.loss(ids, y, mask)[0], model.params, grads)


def test_classifier_reads_the_last_real_step(rng):
    model = ManyToOne(vocab_size=5, hidden_size=3, rng=rng)
    padded, mask = pad_sequences([[2, 3], [2, 3, 4]])
    alone = model.predict_proba(np.array([[2, 3]]))
    np.testing.assert_allclose(model.predict_proba(padded, mask)[0], alone[0], atol=1e-15)


# ---------------------------------------------------------------- ManyToOne: one model for every many-to-one job

CELL_NAMES = ["rnn", "lstm", "gru"]


def _nudged(model, rng, scale=0.3):
    """Move every parameter away from its start (zero biases, symmetric gates), so that
    every path of the backward pass carries a gradient worth checking."""
    for k in model.params:
        model.params[k] += scale * rng.standard_normal(model.params[k].shape)
    return model


def _targets(task, rng, N):
    return rng.integers(0, 2, N).astype(float) if task == "binary" else rng.standard_normal(N)


@pytest.mark.parametrize("task", ["binary", "regression"])
@pytest.mark.parametrize("cell", CELL_NAMES)
@pytest.mark.parametrize("inputs", ["one-hot", "embedding", "vectors"])
def test_many_to_one_gradients_for_every_job(inputs, cell, task):
    rng = np.random.default_rng(len(inputs) * 10 + len(cell) + len(task))
    if inputs == "vectors":
        model = ManyToOne(input_size=2, hidden_size=3, rng=rng, task=task, cell=cell)
        x = rng.standard_normal((3, 4, 2))
    else:
        embedding_size = 2 if inputs == "embedding" else None
        model = ManyToOne(vocab_size=6, hidden_size=3, rng=rng, embedding_size=embedding_size, task=task, cell=cell)
        x = rng.integers(0, 6, (3, 4))
    _nudged(model, rng)
    mask = np.array([[1, 1, 1, 1], [1, 1, 0, 0], [1, 0, 0, 0]], bool)
    y = _targets(task, rng, 3)
    loss, grads = model.loss(x, y, mask)
    assert list(grads) == list(model.params)
    check_gradients(lambda: model.loss(x, y, mask)[0], model.params, grads)
    # backward alone, from any upstream gradient dL/dz
    dz = rng.standard_normal(3)
    _, cache = model.forward(x, mask)
    check_layer_gradients(lambda: model.forward(x, mask)[0], model.params, model.backward(dz, cache), dz)


@pytest.mark.parametrize("cell", CELL_NAMES)
@pytest.mark.parametrize("layers, bidi", [(2, False), (1, True), (2, True)])
def test_many_to_one_stacked_and_bidirectional_gradients(cell, layers, bidi):
    rng = np.random.default_rng(layers * 7 + bidi)
    model = ManyToOne(
        vocab_size=7, hidden_size=3, rng=rng, embedding_size=2, cell=cell, num_layers=layers, bidirectional=bidi
    )
    _nudged(model, rng)
    ids, mask = pad_sequences([[2, 3, 4], [6, 2], [3]])
    y = np.array([1.0, 0.0, 1.0])
    _, grads = model.loss(ids, y, mask)
    check_gradients(lambda: model.loss(ids, y, mask)[0], model.params, grads)
    alone = model.predict_proba(np.array([[6, 2]]))  # padding changes nothing, in either direction
    np.testing.assert_allclose(model.predict_proba(ids, mask)[1], alone[0], atol=1e-14)


def test_many_to_one_pinned_on_the_worked_example():
    # chapter 2's "not very good" with chapter 4's five numbers, checked against scalar_bptt's path sums
    x = np.array([[[-0.5], [0.5], [1.0]]])
    model = ManyToOne(input_size=1, hidden_size=1, rng=np.random.default_rng(0))
    model.params.update(
        W_xh=np.array([[1.2]]),
        W_hh=np.array([[-0.8]]),
        b_h=np.array([0.1]),
        W_hy=np.array([[2.0]]),
        b_y=np.array([-0.5]),
    )
    ref = scalar_bptt([-0.5, 0.5, 1.0], 0.0, 1.2, -0.8, 0.1, 2.0, -0.5)
    assert model.predict_proba(x)[0] == pytest.approx(0.661059, abs=5e-7)  # chapter 2 prints 0.661059
    assert model.predict_proba(x)[0] == pytest.approx(ref.y_hat, rel=1e-14) and model.predict(x)[0] == 1
    loss, grads = model.loss(x, np.array([0.0]))
    assert loss == pytest.approx(ref.loss, rel=1e-14)
    for name, g in ref.grads.items():
        assert grads[name].item() == pytest.approx(g, rel=1e-12), name
    np.testing.assert_allclose(model.state_gradients(x, np.array([0.0]))[0, :, 0], ref.delta[1:], rtol=1e-12)
    # BPTT(2) keeps the last two paths of each recurrent parameter (chapter 4's exercise)
    model.truncation = 2
    _, truncated = model.loss(x, np.array([0.0]))
    for name in ("W_xh", "W_hh", "b_h"):
        assert truncated[name].item() == pytest.approx(sum(ref.paths[name][1:]), rel=1e-12), name
    for name in ("W_hy", "b_y"):
        assert truncated[name].item() == pytest.approx(ref.grads[name], rel=1e-12), name


def test_many_to_one_regression_pinned_forward():
    model = ManyToOne(input_size=1, hidden_size=1, rng=np.random.default_rng(0), task="regression")
    model.params.update(
        W_xh=np.array([[0.5]]),
        W_hh=np.array([[-1.0]]),
        b_h=np.array([0.1]),
        W_hy=np.array([[2.0]]),
        b_y=np.array([0.3]),
    )
    x = np.array([[[1.0], [2.0], [3.0]]])
    h1 = np.tanh(0.6)
    h2 = np.tanh(1.0 - h1 + 0.1)
    h3 = np.tanh(1.5 - h2 + 0.1)
    z, cache = model.forward(x)
    assert z.shape == (1,) and z[0] == pytest.approx(2 * h3 + 0.3, abs=1e-15)
    np.testing.assert_allclose(cache["hs"][0, :, 0], [h1, h2, h3], atol=1e-15)
    assert model.predict(x)[0] == z[0]
    loss, _ = model.loss(x, np.array([1.0]))
    assert loss == pytest.approx((2 * h3 + 0.3 - 1.0) ** 2, abs=1e-14)


def test_many_to_one_token_inputs_are_their_vectors():
    # ids through an embedding table (or one-hot) give exactly what the same vectors given as x give
    rng = np.random.default_rng(3)
    tokens = ManyToOne(vocab_size=5, hidden_size=3, rng=rng, embedding_size=2)
    vectors = ManyToOne(input_size=2, hidden_size=3, rng=rng)
    vectors.params = {k: v for k, v in tokens.params.items() if k != "E"}
    ids, mask = pad_sequences([[1, 2, 3], [4, 0]])
    x = tokens.params["E"][ids]
    np.testing.assert_array_equal(tokens.forward(ids, mask)[0], vectors.forward(x, mask)[0])
    one_hot_model = ManyToOne(vocab_size=5, hidden_size=3, rng=rng)
    as_vectors = ManyToOne(input_size=5, hidden_size=3, rng=rng)
    as_vectors.params = one_hot_model.params
    np.testing.assert_allclose(
        one_hot_model.forward(ids, mask)[0], as_vectors.forward(np.eye(5)[ids], mask)[0], atol=1e-15
    )


def _draws_written_out(seed, D, H, V=None, E=None):
    """The draws every chapter's many-to-one model made before ManyToOne replaced them, in order."""
    rng = np.random.default_rng(seed)
    table = EMBEDDING_SCALE * rng.standard_normal((V, E)) if E is not None else None
    W_xh = rng.standard_normal((D, H)) / np.sqrt(D)
    W_hh = rng.standard_normal((H, H)) / np.sqrt(H)
    W_hy = rng.standard_normal((H, 1)) / np.sqrt(H)
    return table, W_xh, W_hh, W_hy, rng.random()


@pytest.mark.parametrize(
    "kwargs, D",
    [
        ({"input_size": 2, "task": "regression"}, 2),  # the regressor of chapters 4 to 6
        ({"input_size": 6}, 6),  # chapter 4's classifier of one-hot vectors
        ({"vocab_size": 6}, 6),  # chapter 2's classifier of token ids, one-hot
        ({"vocab_size": 6, "embedding_size": 3}, 3),  # chapters 1 to 3: with an embedding table
    ],
)
def test_many_to_one_draws_the_old_models_weights_exactly(kwargs, D):
    table, W_xh, W_hh, W_hy, next_draw = _draws_written_out(11, D, 4, 6, kwargs.get("embedding_size"))
    rng = np.random.default_rng(11)
    model = ManyToOne(hidden_size=4, rng=rng, **kwargs)
    names = ["W_xh", "W_hh", "b_h", "W_hy", "b_y"]
    assert list(model.params) == (["E"] if table is not None else []) + names
    if table is not None:
        np.testing.assert_array_equal(model.params["E"], table)
    np.testing.assert_array_equal(model.params["W_xh"], W_xh)
    np.testing.assert_array_equal(model.params["W_hh"], W_hh)
    np.testing.assert_array_equal(model.params["W_hy"], W_hy)
    assert not model.params["b_h"].any() and not model.params["b_y"].any()
    assert rng.random() == next_draw  # no extra draws


@pytest.mark.parametrize("cell, names", [("lstm", ["W_x", "W_h", "b"]), ("gru", ["W_x", "W_h", "b", "b_hn"])])
def test_many_to_one_gated_cells_draw_the_layers_weights_then_the_output(cell, names):
    model = ManyToOne(input_size=2, hidden_size=5, rng=np.random.default_rng(0), task="regression", cell=cell)
    assert list(model.params) == names + ["W_hy", "b_y"]
    ref_rng = np.random.default_rng(0)
    ref = CELLS[cell].init(ref_rng, 2, 5)
    for k in names:
        np.testing.assert_array_equal(model.params[k], ref[k])
    np.testing.assert_array_equal(model.params["W_hy"], ref_rng.standard_normal((5, 1)) / np.sqrt(5))
    blocks = {"lstm": 4, "gru": 3}[cell]
    expected = blocks * (2 * 5 + 5 * 5 + 5) + (5 if cell == "gru" else 0) + 5 + 1
    assert model.num_parameters() == expected
    assert (
        repr(model)
        == f"ManyToOne(input_size=2, hidden_size=5, task='regression', cell={cell!r}, parameters={expected})"
    )


def test_many_to_one_repr_and_parameter_count():
    rng = np.random.default_rng(0)
    model = ManyToOne(vocab_size=10, hidden_size=4, rng=rng, embedding_size=3)
    assert model.num_parameters() == 10 * 3 + 3 * 4 + 4 * 4 + 4 + 4 + 1
    assert repr(model) == (
        "ManyToOne(vocab_size=10, embedding_size=3, hidden_size=4, task='binary', cell='rnn', activation='tanh', "
        "parameters=67)"
    )
    one_hot_model = ManyToOne(vocab_size=40, hidden_size=16, rng=rng)
    assert one_hot_model.num_parameters() == 40 * 16 + 16 * 16 + 16 + 16 + 1  # chapter 2's count
    assert "vocab_size=40, one-hot, hidden_size=16" in repr(one_hot_model)
    regressor = ManyToOne(input_size=2, hidden_size=5, rng=rng, task="regression", activation="relu", truncation=3)
    assert repr(regressor) == (
        "ManyToOne(input_size=2, hidden_size=5, task='regression', cell='rnn', activation='relu', truncation=3, "
        "parameters=46)"
    )
    deep = ManyToOne(vocab_size=5, hidden_size=2, rng=rng, cell="gru", num_layers=2, bidirectional=True)
    assert "cell='gru', num_layers=2, bidirectional=True" in repr(deep)


@pytest.mark.parametrize("activation", ["tanh", "relu", "sigmoid", "linear"])
@pytest.mark.parametrize(("N", "T"), [(3, 5), (1, 1), (2, 1), (1, 4)])
def test_many_to_one_every_activation_and_edge_shapes(activation, N, T):
    rng = np.random.default_rng(N * 10 + T)
    model = ManyToOne(input_size=2, hidden_size=4, rng=rng, task="regression", activation=activation)
    if activation == "relu":
        model.params["b_h"] += 0.1  # keep pre-activations off the kink
    x, y = rng.standard_normal((N, T, 2)), rng.standard_normal(N)
    _, grads = model.loss(x, y)
    check_gradients(lambda: model.loss(x, y)[0], model.params, grads)


def _tail_loss(model, x, y, s, h, c):
    """The loss with the recurrence restarted from h_t (and, for the LSTM, c_t held at c)
    at code index s, over the remaining inputs: a function of h_t alone."""
    if s == x.shape[1] - 1:
        h_T = h
    else:
        hs, _ = model.rnn.forward(x[:, s + 1 :], model.params, h0=h, c0=c)
        h_T = hs[:, -1]
    z = h_T @ model.params["W_hy"][:, 0] + model.params["b_y"][0]
    return model._objective(z, y)[0]


@pytest.mark.parametrize("task", ["binary", "regression"])
@pytest.mark.parametrize("cell, activation", [("rnn", "tanh"), ("rnn", "sigmoid"), ("lstm", "tanh"), ("gru", "tanh")])
def test_state_gradients_are_dL_dh_t_by_finite_differences(cell, activation, task):
    rng = np.random.default_rng(5)
    model = _nudged(ManyToOne(input_size=2, hidden_size=3, rng=rng, task=task, cell=cell, activation=activation), rng)
    x, y = rng.standard_normal((2, 5, 2)), _targets(task, rng, 2)
    deltas = model.state_gradients(x, y)
    assert deltas.shape == (2, 5, 3)
    _, cache = model.forward(x)
    for s in range(5):
        h = cache["hs"][:, s].copy()
        c = model.rnn.forward(x[:, : s + 1], model.params)[1]["final_c"][0] if cell == "lstm" else None
        numeric = numerical_gradient(lambda s=s, h=h, c=c: _tail_loss(model, x, y, s, h, c), h)
        assert rel_error(numeric, deltas[:, s]) < 1e-7, s


@pytest.mark.parametrize("cell", CELL_NAMES)
def test_state_gradients_are_the_readable_cells_own(cell):
    # the readable sequence functions of rnn.py, lstm.py and gru.py, given the same dL/dh_T
    rng = np.random.default_rng(8)
    model = _nudged(ManyToOne(input_size=2, hidden_size=3, rng=rng, cell=cell), rng)
    x, y = rng.standard_normal((4, 6, 2)), rng.integers(0, 2, 4)
    mask = np.arange(6) < np.array([6, 3, 1, 5])[:, None]
    z, _ = model.forward(x, mask)
    last = mask.sum(axis=1) - 1
    dhs = np.zeros((4, 6, 3))
    dhs[np.arange(4), last] = ((sigmoid(z) - y) / 4)[:, None] * model.params["W_hy"][:, 0]
    p, h0 = model.params, np.zeros((4, 3))
    forward, state_gradients = {
        "rnn": (rnn_forward, rnn_state_gradients),
        "lstm": (lstm_forward, lstm_state_gradients),
        "gru": (gru_forward, gru_state_gradients),
    }[cell]
    _, cache = forward(x, h0, *(p[n] for n in CELLS[cell].param_names), mask)
    deltas = model.state_gradients(x, y, mask)
    np.testing.assert_allclose(deltas, state_gradients(dhs, cache), rtol=1e-12, atol=1e-15)
    assert not deltas[~mask].any()  # nothing reads a state after a sequence's last real step


def test_state_gradients_ignore_padding_and_truncation():
    rng = np.random.default_rng(2)
    model = _nudged(ManyToOne(vocab_size=6, hidden_size=3, rng=rng, embedding_size=2), rng)
    ids, mask = pad_sequences([[1, 2, 3, 4], [5, 1]])
    y = np.array([1, 0])
    deltas = model.state_gradients(ids, y, mask)
    alone = model.state_gradients(np.array([[5, 1]]), np.array([0]))
    np.testing.assert_allclose(deltas[1, :2], alone[0] / 2, rtol=1e-12)  # the batch's mean halves each gradient
    model.truncation = 1  # deltas are exact BPTT's: truncation changes only the parameters' gradients
    np.testing.assert_array_equal(model.state_gradients(ids, y, mask), deltas)


@pytest.mark.parametrize("masked", [False, True])
def test_truncation_at_or_beyond_T_is_exact_bptt(masked):
    rng = np.random.default_rng(4)
    model = _nudged(ManyToOne(input_size=3, hidden_size=4, rng=rng), rng)
    x, y = rng.standard_normal((3, 5, 3)), np.array([1.0, 0.0, 1.0])
    mask = np.arange(5) < np.array([5, 2, 4])[:, None] if masked else None
    loss, exact = model.loss(x, y, mask)
    for k in (5, 9):
        model.truncation = k
        loss_k, grads = model.loss(x, y, mask)
        assert loss_k == loss
        for name in exact:
            np.testing.assert_allclose(grads[name], exact[name], rtol=1e-12, atol=1e-15)
    model.truncation = 2
    _, truncated = model.loss(x, y, mask)
    assert rel_error(truncated["W_xh"], exact["W_xh"]) > 1e-3  # shorter windows do drop paths
    np.testing.assert_array_equal(truncated["W_hy"], exact["W_hy"])  # the output layer is never truncated


def test_truncation_equals_the_windowed_objective():
    # BPTT(k) of the many-to-one loss = the gradient with every use of a recurrent parameter
    # more than k - 1 steps before the output held constant: rnn_backward_truncated's definition
    rng = np.random.default_rng(6)
    model = _nudged(ManyToOne(input_size=2, hidden_size=3, rng=rng, truncation=2), rng)
    x, y = rng.standard_normal((2, 4, 2)), np.array([0.0, 1.0])
    _, truncated = model.loss(x, y)
    p = model.params
    z, cache = model.forward(x)
    dhs, _, _ = last_step_affine_backward(((sigmoid(z) - y) / 2)[:, None], cache["out"])
    h0 = np.zeros((2, 3))
    _, rnn_cache = rnn_forward(x, h0, p["W_xh"], p["W_hh"], p["b_h"])
    _, _, dW_xh, dW_hh, db_h = rnn_backward_truncated(dhs, rnn_cache, 2)
    for name, g in (("W_xh", dW_xh), ("W_hh", dW_hh), ("b_h", db_h)):
        np.testing.assert_allclose(truncated[name], g, rtol=1e-12, atol=1e-15)


def test_many_to_one_float32_stays_float32():
    rng = np.random.default_rng(0)
    model = ManyToOne(input_size=2, hidden_size=4, rng=rng, task="regression", cell="lstm")
    model.params = {k: v.astype(np.float32) for k, v in model.params.items()}
    x, y = adding_problem(3, 6, rng, dtype=np.float32)
    _, grads = model.loss(x, y)
    assert model.predict(x).dtype == model.state_gradients(x, y).dtype == np.float32
    assert all(g.dtype == np.float32 for g in grads.values())


def test_many_to_one_constructor_errors():
    rng = np.random.default_rng(0)
    with pytest.raises(
        ValueError, match=r"give vocab_size .* or input_size .*, not both; got vocab_size=5, input_size=2"
    ):
        ManyToOne(vocab_size=5, input_size=2, hidden_size=3, rng=rng)
    with pytest.raises(ValueError, match="not both; got vocab_size=None, input_size=None"):
        ManyToOne(hidden_size=3, rng=rng)
    with pytest.raises(ValueError, match="embedding_size goes with vocab_size"):
        ManyToOne(input_size=2, hidden_size=3, rng=rng, embedding_size=4)
    with pytest.raises(ValueError, match=r"task must be one of \['binary', 'regression'\]; got 'softmax'"):
        ManyToOne(input_size=2, hidden_size=3, rng=rng, task="softmax")
    with pytest.raises(ValueError, match="hidden_size must be a positive int; got 0"):
        ManyToOne(vocab_size=5, hidden_size=0, rng=rng)
    with pytest.raises(TypeError, match="rng must be a numpy Generator"):
        ManyToOne(vocab_size=5, hidden_size=3, rng=42)
    with pytest.raises(TypeError, match="takes 1 positional argument"):
        ManyToOne(5, 3, rng)  # every argument is named: ManyToOne(vocab_size=5, hidden_size=3, rng=rng)
    with pytest.raises(ValueError, match=r"cell must be one of \['gru', 'lstm', 'rnn'\]; got 'transformer'"):
        ManyToOne(input_size=2, hidden_size=3, rng=rng, cell="transformer")
    with pytest.raises(ValueError, match=r"activation must be one of .*; got 'elu'"):
        ManyToOne(input_size=2, hidden_size=3, rng=rng, activation="elu")
    with pytest.raises(ValueError, match="activation applies only to cell='rnn'; the lstm cell has its own gates"):
        ManyToOne(input_size=2, hidden_size=3, rng=rng, activation="relu", cell="lstm")


@pytest.mark.parametrize(
    "kwargs, got",
    [
        ({"cell": "lstm"}, r"Recurrent\('lstm', input_size=2, hidden_size=3\)"),
        ({"num_layers": 2}, "num_layers=2"),
        ({"bidirectional": True}, "bidirectional=True"),
    ],
)
def test_truncation_is_for_one_layer_of_the_vanilla_rnn(kwargs, got):
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match=rf"truncation is BPTT\(k\) for one layer of the vanilla RNN .*{got}"):
        ManyToOne(input_size=2, hidden_size=3, rng=rng, truncation=2, **kwargs)
    model = ManyToOne(input_size=2, hidden_size=3, rng=rng, **kwargs)
    with pytest.raises(ValueError, match="truncation is BPTT"):
        model.truncation = 2
    assert model.truncation is None


def test_many_to_one_call_errors():
    rng = np.random.default_rng(0)
    tokens = ManyToOne(vocab_size=5, hidden_size=3, rng=rng)
    with pytest.raises(ValueError, match=r"ids must hold ids in \[0, 5\); got 5"):
        tokens.predict(np.array([[1, 5]]))
    with pytest.raises(TypeError, match="ids must be an integer array of token ids"):
        tokens.predict(np.zeros((1, 2, 5)))
    with pytest.raises(ValueError, match=r"mask must have shape \(N=1, T=2\)"):
        tokens.predict(np.array([[1, 2]]), np.ones((1, 3), bool))
    vectors = ManyToOne(input_size=2, hidden_size=3, rng=rng, task="regression")
    with pytest.raises(ValueError, match=r"x must have shape \(N, T, 2\); got \(4, 5, 3\)"):
        vectors.forward(np.zeros((4, 5, 3)))
    with pytest.raises(ValueError, match=r"y must have 1 dimensions, shape \(4,\); got 2 dimensions, shape \(4, 1\)"):
        vectors.loss(np.zeros((4, 5, 2)), np.zeros((4, 1)))
    with pytest.raises(ValueError, match="y must hold targets in"):
        tokens.loss(np.array([[1, 2]]), np.array([2.0]))
    with pytest.raises(ValueError, match="predict_proba needs task='binary'; this model's task is 'regression'"):
        vectors.predict_proba(np.zeros((1, 2, 2)))
    with pytest.raises(ValueError, match="truncation must be a positive int; got 0"):
        vectors.truncation = 0
    deep = ManyToOne(input_size=2, hidden_size=3, rng=rng, num_layers=2)
    with pytest.raises(ValueError, match=r"state_gradients needs one recurrent layer .*num_layers=2"):
        deep.state_gradients(np.zeros((1, 2, 2)), np.zeros(1))


def test_many_to_one_learns_a_short_adding_problem():
    rng = np.random.default_rng(0)
    model = ManyToOne(input_size=2, hidden_size=16, rng=rng, task="regression")
    x, y = adding_problem(6400, 5, rng)
    x_test, y_test = adding_problem(500, 5, rng)
    fit(model, (x, y), Adam(0.01), rng, epochs=1, batch_size=32, clip_norm=1.0)
    mse = float(np.mean((model.predict(x_test) - y_test) ** 2))
    assert mse < adding_baseline_mse(1) / 4  # it uses both numbers, far below even the one-number baseline


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_gated_many_to_one_learns_a_longer_adding_problem(cell):
    # chapter 6's claim in small: T = 20, 150 updates, far below a tenth of the trivial baseline
    data_rng = np.random.default_rng(0)
    x, y = adding_problem(150 * 64, 20, data_rng)
    x_test, y_test = adding_problem(500, 20, data_rng)
    model = ManyToOne(input_size=2, hidden_size=16, rng=np.random.default_rng(1), task="regression", cell=cell)
    fit(model, (x, y), Adam(0.02), np.random.default_rng(2), epochs=1, batch_size=64, clip_norm=1.0)
    assert float(np.mean((model.predict(x_test) - y_test) ** 2)) < adding_baseline_mse(0) / 10


def order_task(rng, n=200):
    """Label 1 when token 2 comes before token 3: invisible to a bag of words."""
    ids = np.where(rng.random(n)[:, None] < 0.5, [[2, 3]], [[3, 2]])
    ids = np.concatenate([ids, rng.integers(4, 6, (n, 2))], axis=1)
    return ids, (ids[:, 0] == 2).astype(float)


def test_fit_learns_order_bag_of_words_cannot(rng):
    ids, y = order_task(rng)
    rnn = ManyToOne(vocab_size=6, hidden_size=8, rng=rng, embedding_size=4)
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
        model = ManyToOne(vocab_size=6, hidden_size=4, rng=r)
        runs.append(fit(model, (ids, y), Adam(lr=0.01), rng=r, epochs=2, batch_size=8))
    assert runs[0] == runs[1]


def test_bag_of_words_gradients(rng):
    model = BagOfWordsClassifier(vocab_size=5)
    model.params["w"] = rng.standard_normal(5)
    ids, mask = pad_sequences([[1, 2, 2], [3]])
    y = np.array([1.0, 0.0])
    _, grads = model.loss(ids, y, mask)
    check_gradients(lambda: model.loss(ids, y, mask)[0], model.params, grads)


def test_count_parameters_sums_the_sizes_and_backs_every_models_count(rng):
    from rnnlib.models import count_parameters

    assert count_parameters({"W": np.zeros((3, 4)), "b": np.zeros(4)}) == 16
    assert count_parameters({}) == 0
    model = ManyToOne(vocab_size=10, hidden_size=4, rng=rng, embedding_size=3)
    assert model.num_parameters() == count_parameters(model.params) == sum(p.size for p in model.params.values())
    with pytest.raises(TypeError, match="dict of name -> array"):
        count_parameters([np.zeros(3)])


def test_many_to_one_backward_names_dz_and_its_shape(rng):
    model = ManyToOne(input_size=2, hidden_size=3, rng=rng)
    z, cache = model.forward(rng.standard_normal((3, 4, 2)))
    with pytest.raises(
        ValueError, match=r"dz must have 1 dimensions, shape \(N=3,\); got 2 dimensions, shape \(3, 1\)"
    ):
        model.backward(z[:, None], cache)
    with pytest.raises(ValueError, match=r"dz must have shape \(N=3,\) \(set by the forward pass\); got \(2,\)"):
        model.backward(z[:2], cache)
    with pytest.raises(TypeError, match="cache must be the cache returned by ManyToOne.forward; got dict"):
        model.backward(z, {})
