"""The character-level language model: batching for truncated BPTT, gradients,
carried state, sampling, saving and loading, and error messages.  Its training loop is
tested in test_training, its metrics in test_metrics, its figures in test_plots and its
widget in test_widgets."""

import numpy as np
import pytest

from rnnlib import (
    Adam,
    Recurrent,
    check_gradients,
    numerical_gradient,
    rel_error,
    save_params,
)
from rnnlib.charlm import (
    CharLM,
    char_vocabulary,
    decode_text,
    encode_text,
    load_char_lm,
    next_character_probabilities,
    nucleus_probabilities,
    num_chunks,
    sample,
    save_char_lm,
    stream_chunks,
    temperature_probabilities,
    text_streams,
    top_k_probabilities,
)
from rnnlib.training import train_tbptt

TEXT = "the cat sat on the mat. the dog sat on the log.\n"
CELLS = ("rnn", "lstm", "gru")


@pytest.fixture
def vocab():
    return char_vocabulary(TEXT)


# -- characters ----------------------------------------------------------------


def test_vocabulary_and_round_trip(vocab):
    assert len(vocab) == len(set(TEXT)) + 2  # <pad> and <unk> are always ids 0 and 1
    assert vocab.id_to_token[2] == " "  # the most frequent character comes first
    ids = encode_text(TEXT, vocab)
    assert ids.shape == (len(TEXT),) and ids.dtype == np.int64 and ids.min() >= 2
    assert decode_text(ids, vocab) == TEXT
    assert encode_text("tz", vocab).tolist() == [vocab.token_to_id["t"], vocab.unk_id]


# -- streams and chunks ------------------------------------------------------


def test_text_streams_pinned():
    np.testing.assert_array_equal(text_streams(np.arange(10), 3), [[0, 1, 2], [3, 4, 5], [6, 7, 8]])
    np.testing.assert_array_equal(text_streams(np.arange(4), 1), [[0, 1, 2, 3]])


def test_stream_chunks_pinned():
    streams = text_streams(np.arange(21), 2)  # S = 10; id 20 is dropped
    np.testing.assert_array_equal(streams, [list(range(10)), list(range(10, 20))])
    chunks = list(stream_chunks(streams, 4))
    assert len(chunks) == 2 == num_chunks(21, 2, 4)  # (10 - 1) // 4
    (x0, y0), (x1, y1) = chunks
    np.testing.assert_array_equal(x0, [[0, 1, 2, 3], [10, 11, 12, 13]])
    np.testing.assert_array_equal(y0, [[1, 2, 3, 4], [11, 12, 13, 14]])
    np.testing.assert_array_equal(x1, [[4, 5, 6, 7], [14, 15, 16, 17]])
    np.testing.assert_array_equal(y1, [[5, 6, 7, 8], [15, 16, 17, 18]])
    # the last possible chunk uses the last id of each stream as a target
    last = list(stream_chunks(streams, 3))
    assert len(last) == 3 == num_chunks(21, 2, 3)
    np.testing.assert_array_equal(last[-1][1], [[7, 8, 9], [17, 18, 19]])


@pytest.mark.parametrize("L, N, k", [(100, 4, 6), (1000, 16, 32), (57, 1, 56), (146816, 32, 32)])
def test_num_chunks_counts_the_chunks(L, N, k):
    assert num_chunks(L, N, k) == len(list(stream_chunks(text_streams(np.zeros(L, np.int64), N), k)))


def test_num_chunks_of_a_text_too_short():
    assert num_chunks(5, 5, 1) == 0


def test_stream_and_chunk_errors():
    with pytest.raises(ValueError, match=r"num_streams=6 leaves 1 character\(s\) per stream from a text of 10"):
        text_streams(np.arange(10), 6)
    with pytest.raises(ValueError, match=r"ids must have shape \(L,\), one long text; got \(2, 5\)"):
        text_streams(np.zeros((2, 5), np.int64), 1)
    with pytest.raises(TypeError, match="ids must be an integer array"):
        text_streams(np.zeros(5), 1)
    with pytest.raises(ValueError, match=r"chunk_length must be at most S - 1 = 4 for streams of length S = 5; got 5"):
        list(stream_chunks(np.zeros((2, 5), np.int64), 5))
    with pytest.raises(ValueError, match="chunk_length must be a positive int; got 0"):
        list(stream_chunks(np.zeros((2, 5), np.int64), 0))


# -- the model: gradients and state --------------------------------------------


def _random_state(model, rng, N):
    state = model.initial_state(N)
    return {k: rng.standard_normal(v.shape) * 0.5 for k, v in state.items()}


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("layers, emb", [(1, None), (2, 3)])
def test_loss_gradients_every_parameter(rng, cell, layers, emb):
    model = CharLM(7, 4, rng, embedding_size=emb, cell=cell, num_layers=layers)
    for v in model.params.values():  # non-zero biases so every term of the gradient is exercised
        v += 0.1 * rng.standard_normal(v.shape)
    ids, targets = rng.integers(0, 7, (3, 5)), rng.integers(0, 7, (3, 5))
    state = _random_state(model, rng, 3)
    loss, grads = model.loss(ids, targets, state)
    assert np.isfinite(loss)
    check_gradients(lambda: model.loss(ids, targets, state)[0], model.params, grads)


@pytest.mark.parametrize("cell", CELLS)
def test_gradient_check_with_T_one_and_batch_of_one(rng, cell):
    model = CharLM(5, 3, rng, cell=cell)
    ids, targets = np.array([[2]]), np.array([[4]])
    loss, grads = model.loss(ids, targets)
    check_gradients(lambda: model.loss(ids, targets)[0], model.params, grads)


@pytest.mark.parametrize("cell", CELLS)
def test_carried_state_continues_the_sequence(rng, cell):
    model = CharLM(6, 4, rng, cell=cell, num_layers=2, embedding_size=3)
    ids = rng.integers(0, 6, (2, 9))
    whole, cache = model.forward(ids)
    first, c1 = model.forward(ids[:, :4])
    second, c2 = model.forward(ids[:, 4:], c1["state"])
    np.testing.assert_allclose(np.concatenate([first, second], axis=1), whole, atol=1e-13)
    for k in cache["state"]:
        np.testing.assert_allclose(c2["state"][k], cache["state"][k], atol=1e-13)
    # a fresh state differs: the state really carries information
    assert not np.allclose(model.forward(ids[:, 4:])[0], second)


@pytest.mark.parametrize("cell", CELLS)
def test_truncation_stops_the_gradient_at_the_chunk_boundary(rng, cell):
    """The gradient of chunk 2's loss treats the carried state as a constant: it equals the
    numerical gradient with that state frozen, and differs from full BPTT through chunk 1."""
    model = CharLM(5, 3, rng, cell=cell)
    ids, targets = rng.integers(0, 5, (2, 6)), rng.integers(0, 5, (2, 6))
    _, c1 = model.forward(ids[:, :3])
    frozen = {k: v.copy() for k, v in c1["state"].items()}
    _, grads = model.loss(ids[:, 3:], targets[:, 3:], frozen)

    def full_bptt():  # chunk 1 is recomputed with the nudged weights
        state = model.forward(ids[:, :3])[1]["state"]
        return model.loss(ids[:, 3:], targets[:, 3:], state)[0]

    W = model.params["W_hy"]
    assert rel_error(numerical_gradient(lambda: model.loss(ids[:, 3:], targets[:, 3:], frozen)[0], W),
                     grads["W_hy"]) < 1e-7  # fmt: skip
    rec = "W_hh" if cell == "rnn" else "W_h"
    P = model.params[rec]
    assert (
        rel_error(numerical_gradient(lambda: model.loss(ids[:, 3:], targets[:, 3:], frozen)[0], P), grads[rec]) < 1e-7
    )
    assert rel_error(numerical_gradient(full_bptt, P), grads[rec]) > 1e-3


def test_default_start_matches_the_recurrent_layer(rng):
    """recurrent_init=None leaves the draws of Recurrent.init untouched, and the other
    starts change only the recurrent matrices."""
    seed = 7
    model = CharLM(6, 4, np.random.default_rng(seed), cell="rnn")
    ref = Recurrent("rnn", 6, 4).init(np.random.default_rng(seed))
    for k, v in ref.items():
        np.testing.assert_array_equal(model.params[k], v)
    ortho = CharLM(6, 4, np.random.default_rng(seed), recurrent_init="orthogonal", num_layers=2)
    plain = CharLM(6, 4, np.random.default_rng(seed), num_layers=2)
    for k in plain.params:
        same = np.array_equal(ortho.params[k], plain.params[k])
        assert same == (not k.endswith("W_hh")), k
        if k.endswith("W_hh"):
            np.testing.assert_allclose(ortho.params[k].T @ ortho.params[k], np.eye(4), atol=1e-12)
    irnn = CharLM(6, 4, rng, activation="relu", recurrent_init="identity", recurrent_scale=0.5)
    np.testing.assert_array_equal(irnn.params["W_hh"], 0.5 * np.eye(4))
    gru = CharLM(6, 4, rng, cell="gru", recurrent_init="identity")
    np.testing.assert_array_equal(gru.params["W_h"], np.tile(np.eye(4), 3))


def test_float32_model_stays_float32(rng):
    model = CharLM(6, 4, rng, cell="lstm", dtype=np.float32)
    assert all(v.dtype == np.float32 for v in model.params.values())
    ids = rng.integers(0, 6, (2, 5))
    scores, cache = model.forward(ids)
    assert scores.dtype == np.float32 and cache["state"]["c"].dtype == np.float32
    _, grads = model.loss(ids, ids)
    assert all(g.dtype == np.float32 for g in grads.values())


def test_repr(rng):
    assert repr(CharLM(70, 8, rng)) == "CharLM(vocab_size=70, one-hot, hidden_size=8, cell='rnn', parameters=1262)"
    r = repr(CharLM(10, 4, rng, embedding_size=3, cell="gru", num_layers=2, recurrent_init="orthogonal"))
    assert r.startswith("CharLM(vocab_size=10, embedding_size=3, hidden_size=4, cell='gru', num_layers=2")
    assert "recurrent_init='orthogonal'" in r


def test_model_errors(rng):
    model = CharLM(5, 3, rng, cell="lstm")
    with pytest.raises(ValueError, match=r"ids must hold ids in \[0, 5\); got 5"):
        model.forward(np.array([[1, 5]]))
    with pytest.raises(TypeError, match=r"state must be a dict with keys \['h', 'c'\]"):
        model.forward(np.array([[1, 2]]), {"h": np.zeros((1, 1, 3))})
    with pytest.raises(ValueError, match=r"state\['h'\] must have shape \(1, 2, 3\)"):
        model.forward(np.array([[1, 2], [0, 1]]), {"h": np.zeros((1, 1, 3)), "c": np.zeros((1, 1, 3))})
    with pytest.raises(
        ValueError, match=r"recurrent_init must be None or one of \['normal', 'orthogonal', 'identity'\]"
    ):
        CharLM(5, 3, rng, recurrent_init="xavier")
    with pytest.raises(ValueError, match="cell must be one of"):
        CharLM(5, 3, rng, cell="transformer")
    with pytest.raises(TypeError, match="dtype must be np.float32 or np.float64"):
        CharLM(5, 3, rng, dtype=np.int32)


# -- sampling ------------------------------------------------------------------


@pytest.fixture
def trained(vocab):
    model = CharLM(len(vocab), 16, np.random.default_rng(0), cell="gru")
    train_tbptt(model, text_streams(encode_text(TEXT * 4, vocab), 4), Adam(0.02), 8, steps=40)
    return model


def test_sampling_is_deterministic_under_a_seed(trained, vocab):
    a = sample(trained, vocab, "the ", 40, np.random.default_rng(5))
    b = sample(trained, vocab, "the ", 40, np.random.default_rng(5))
    c = sample(trained, vocab, "the ", 40, np.random.default_rng(6))
    assert a == b and a != c
    assert len(a) == 40 and set(a) <= set(TEXT)  # never <pad> or <unk>


def test_a_tiny_temperature_is_greedy(trained, vocab):
    greedy = []
    scores, cache = trained.forward(encode_text("the ", vocab)[None])
    for _ in range(30):
        i = int(np.argmax(scores[0, -1]))
        greedy.append(i)
        scores, cache = trained.forward(np.array([[i]]), cache["state"])
    for seed in (0, 1):
        assert sample(trained, vocab, "the ", 30, np.random.default_rng(seed), temperature=1e-3) == decode_text(
            np.array(greedy), vocab
        )


def test_temperature_probabilities():
    scores = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]])
    np.testing.assert_allclose(temperature_probabilities(scores, 1.0)[0], np.exp([1, 2, 3]) / np.exp([1, 2, 3]).sum())
    np.testing.assert_allclose(temperature_probabilities(scores, 1e-6)[0], [0, 0, 1], atol=1e-300)
    np.testing.assert_allclose(temperature_probabilities(scores, 1e6)[0], [1 / 3] * 3, rtol=1e-5)
    np.testing.assert_allclose(temperature_probabilities(scores, 2.0, exclude=(2,))[1], [0.5, 0.5, 0])
    p = temperature_probabilities(np.array([0.0, 1000.0, -1000.0]), 1e-300)  # no overflow warning
    np.testing.assert_array_equal(p, [0, 1, 0])
    ent = [-(p * np.log(p)).sum() for p in (temperature_probabilities(scores[0], t) for t in (0.5, 1.0, 1.5))]
    assert ent[0] < ent[1] < ent[2]


def test_sampling_errors(trained, vocab):
    r = np.random.default_rng(0)
    with pytest.raises(ValueError, match="temperature must be a positive finite number; got 0. For"):
        sample(trained, vocab, "the", 5, r, temperature=0)
    with pytest.raises(ValueError, match="temperature must be a positive finite number; got -1"):
        temperature_probabilities(np.zeros(3), -1)
    with pytest.raises(TypeError, match="temperature must be a positive number; got str"):
        sample(trained, vocab, "the", 5, r, temperature="hot")
    with pytest.raises(ValueError, match=r"prime holds characters the model has never seen: \['Q', 'z'\]"):
        sample(trained, vocab, "Qzt", 5, r)
    with pytest.raises(ValueError, match="prime must be a non-empty str"):
        sample(trained, vocab, "", 5, r)
    with pytest.raises(TypeError, match="rng must be a numpy Generator"):
        sample(trained, vocab, "the", 5, 42)
    with pytest.raises(ValueError, match="vocab must be the rnnlib.Vocabulary of the model's"):
        sample(trained, char_vocabulary("ab"), "a", 5, r)
    with pytest.raises(ValueError, match="exclude must leave at least one id to draw"):
        temperature_probabilities(np.zeros(2), 1.0, exclude=(0, 1))


def test_next_character_probabilities(trained, vocab):
    p = next_character_probabilities(trained, vocab, "the c", 1.0)
    assert p.shape == (len(vocab),) and p[:2].tolist() == [0, 0] and p.sum() == pytest.approx(1)
    scores, _ = trained.forward(encode_text("the c", vocab)[None])
    np.testing.assert_allclose(p[2:], np.exp(scores[0, -1, 2:]) / np.exp(scores[0, -1, 2:]).sum())


# -- saving and loading ----------------------------------------------------------


@pytest.mark.parametrize("cell, emb, dtype", [("rnn", None, np.float64), ("lstm", 3, np.float32)])
def test_save_and_load_round_trip(tmp_path, rng, vocab, cell, emb, dtype):
    model = CharLM(len(vocab), 5, rng, cell=cell, embedding_size=emb, num_layers=2, dtype=dtype)
    save_char_lm(tmp_path / "lm.npz", model, vocab)
    loaded, vocab2 = load_char_lm(tmp_path / "lm.npz")
    assert repr(loaded) == repr(model)
    assert vocab2.id_to_token == vocab.id_to_token
    ids = encode_text(TEXT[:10], vocab)[None]
    np.testing.assert_array_equal(loaded.forward(ids)[0], model.forward(ids)[0])
    assert sample(loaded, vocab2, "the", 20, np.random.default_rng(1)) == sample(
        model, vocab, "the", 20, np.random.default_rng(1)
    )


def test_load_errors(tmp_path, rng, vocab):
    model = CharLM(len(vocab), 20, rng)
    save_char_lm(tmp_path / "lm.npz", model, vocab)
    data = (tmp_path / "lm.npz").read_bytes()
    (tmp_path / "cut.npz").write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match="cut.npz is not a readable rnnlib parameter file"):
        load_char_lm(tmp_path / "cut.npz")
    np.savez(tmp_path / "foreign.npz", W_hy=np.zeros((2, 2)))
    with pytest.raises(ValueError, match="was not written by rnnlib.save_params"):
        load_char_lm(tmp_path / "foreign.npz")
    save_params(tmp_path / "bare.npz", model.params)
    with pytest.raises(ValueError, match="bare.npz holds parameters but no CharLM description"):
        load_char_lm(tmp_path / "bare.npz")
    with pytest.raises(FileNotFoundError):
        load_char_lm(tmp_path / "missing.npz")
    with pytest.raises(ValueError, match="vocab must be the model's vocabulary of"):
        save_char_lm(tmp_path / "x.npz", model, char_vocabulary("ab"))


# -- top-k and nucleus sampling ------------------------------------------------


def test_top_k_pinned():
    p = np.array([0.1, 0.4, 0.2, 0.3])
    np.testing.assert_allclose(top_k_probabilities(p, 2), [0, 4 / 7, 0, 3 / 7])
    np.testing.assert_allclose(top_k_probabilities(p, 1), [0, 1, 0, 0])
    np.testing.assert_array_equal(top_k_probabilities(p, 4), p)
    ties = top_k_probabilities(np.array([0.25, 0.25, 0.25, 0.25]), 3)  # ties go to the lower ids
    np.testing.assert_allclose(ties, [1 / 3, 1 / 3, 1 / 3, 0])
    rows = top_k_probabilities(np.array([[0.1, 0.4, 0.2, 0.3], [0.7, 0.1, 0.1, 0.1]]), 2)
    np.testing.assert_allclose(rows, [[0, 4 / 7, 0, 3 / 7], [7 / 8, 1 / 8, 0, 0]])


def test_nucleus_pinned():
    p = np.array([0.1, 0.4, 0.2, 0.3])
    np.testing.assert_allclose(nucleus_probabilities(p, 0.7), [0, 4 / 7, 0, 3 / 7])  # 0.4 + 0.3 reaches 0.7
    np.testing.assert_allclose(nucleus_probabilities(p, 0.71), [0, 0.4, 0.2, 0.3] / np.float64(0.9))
    np.testing.assert_allclose(nucleus_probabilities(p, 0.3), [0, 1, 0, 0])  # the likeliest is always kept
    np.testing.assert_array_equal(nucleus_probabilities(p, 1.0), p)
    np.testing.assert_allclose(nucleus_probabilities(np.array([0.7, 0.1, 0.2, 0.0]), 1.0), [0.7, 0.1, 0.2, 0])
    sure, unsure = np.array([0.95, 0.03, 0.02]), np.array([0.4, 0.35, 0.25])
    assert (nucleus_probabilities(sure, 0.9) > 0).sum() == 1 and (nucleus_probabilities(unsure, 0.9) > 0).sum() == 3


def test_truncation_errors():
    p = np.array([0.5, 0.5])
    with pytest.raises(ValueError, match="k must be between 1 and V = 2"):
        top_k_probabilities(p, 0)
    with pytest.raises(ValueError, match="k must be between 1 and V = 2"):
        top_k_probabilities(p, 3)
    with pytest.raises(TypeError, match="k must be an int"):
        top_k_probabilities(p, 1.5)
    with pytest.raises(ValueError, match=r"top_p must be in \(0, 1\]"):
        nucleus_probabilities(p, 0.0)
    with pytest.raises(ValueError, match=r"top_p must be in \(0, 1\]"):
        nucleus_probabilities(p, 1.2)
    with pytest.raises(TypeError, match="top_p must be a number"):
        nucleus_probabilities(p, "0.9")
    with pytest.raises(ValueError, match="probs must be non-negative and each row must sum to 1"):
        top_k_probabilities(np.array([0.5, 0.6]), 1)


def test_sampling_with_top_k_and_nucleus(trained, vocab):
    greedy = sample(trained, vocab, "the ", 30, np.random.default_rng(0), temperature=1e-3)
    for seed in (0, 1):
        assert sample(trained, vocab, "the ", 30, np.random.default_rng(seed), top_k=1) == greedy
        assert sample(trained, vocab, "the ", 30, np.random.default_rng(seed), top_p=1e-9) == greedy
    # with no cut, the same draws as plain sampling
    assert sample(trained, vocab, "the ", 30, np.random.default_rng(3), top_k=len(vocab), top_p=1.0) == sample(
        trained, vocab, "the ", 30, np.random.default_rng(3)
    )
    # every character drawn with top_k = 2 is one of the two likeliest at its step
    text = sample(trained, vocab, "the ", 20, np.random.default_rng(4), top_k=2)
    ids = encode_text("the " + text, vocab)
    scores, _ = trained.forward(ids[None, :-1])
    p = temperature_probabilities(scores[0, 3:], 1.0, exclude=(0, 1))
    assert all(i in np.argsort(-row)[:2] for row, i in zip(p, ids[4:], strict=True))
    with pytest.raises(ValueError, match="k must be between 1 and V"):
        sample(trained, vocab, "the ", 5, np.random.default_rng(0), top_k=0)
    with pytest.raises(ValueError, match=r"top_p must be in \(0, 1\]"):
        sample(trained, vocab, "the ", 5, np.random.default_rng(0), top_p=1.5)


# -- dropout ---------------------------------------------------------------------


@pytest.mark.parametrize("variational", [False, True])
@pytest.mark.parametrize("emb", [None, 3])
def test_dropout_gradients(rng, variational, emb):
    V = 6
    model = CharLM(V, 5, rng, embedding_size=emb)
    ids, targets = rng.integers(2, V, (2, 4)), rng.integers(2, V, (2, 4))

    def loss():
        r = np.random.default_rng(9)  # the same masks at every call
        return model.loss_and_state(ids, targets, None, 0.4, variational, r, input_dropout=0.3)[:2]

    _, grads = loss()
    for name in model.params:
        num = numerical_gradient(lambda: loss()[0], model.params[name])
        assert rel_error(grads[name], num) < 1e-7, name


def test_dropout_changes_training_only(rng):
    model = CharLM(6, 5, rng)
    ids = rng.integers(2, 6, (3, 4))
    plain, _ = model.forward(ids)
    dropped, cache = model.forward(ids, dropout=0.5, rng=np.random.default_rng(0))
    variational, vcache = model.forward(ids, dropout=0.5, variational=True, rng=np.random.default_rng(0))
    assert not np.allclose(plain, dropped) and cache["dropout"][1].shape == (3, 4, 5)
    assert vcache["dropout"][1].shape == (3, 1, 5) and vcache["dropout"][0] is None
    np.testing.assert_array_equal(model.forward(ids)[0], plain)  # no rng, no dropout: deterministic
    with pytest.raises(ValueError, match="dropout > 0 needs rng"):
        model.forward(ids, dropout=0.5)
    with pytest.raises(ValueError, match="input_dropout > 0 needs rng"):
        model.forward(ids, input_dropout=0.5)
    with pytest.raises(ValueError, match=r"rate must be in \[0, 1\)"):
        model.forward(ids, dropout=1.0, rng=np.random.default_rng(0))


def test_a_wrong_distribution_is_shown():
    from rnnlib.charlm import top_k_probabilities

    with pytest.raises(
        ValueError, match=r"each row must sum to 1 \(a distribution over the V ids\); got a row summing to 1.1"
    ):
        top_k_probabilities(np.array([[0.5, 0.5], [0.5, 0.6]]), 1)
    with pytest.raises(ValueError, match=r"probs must be non-negative .*; got an entry -0.1"):
        top_k_probabilities(np.array([-0.1, 1.1]), 1)
