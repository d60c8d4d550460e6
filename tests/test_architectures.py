"""The four architecture types of chapter 3: values by hand, gradients, masks, generation, errors."""

import os

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rnnlib import Adam, ManyToOne, check_gradients, fit, pad_sequences
from rnnlib.architectures import (
    EncoderDecoder,
    ManyToManyTagger,
    OneToManyGenerator,
    most_frequent_tags,
    seq2seq_arrays,
)
from rnnlib.architectures import ManyToOne as ReExported
from rnnlib.metrics import masked_accuracy, sequence_accuracy

CELLS = ["rnn", "lstm", "gru"]
MASK = np.array([[1, 1, 1, 1], [1, 1, 0, 0], [1, 0, 0, 0]], bool)


def assert_gradients_match(model, args, zero=(), tol=1e-7):
    """Every parameter's analytic gradient agrees with centred differences, and only
    the parameters named in ``zero`` (which the data cannot reach) get none at all."""
    _, grads = model.loss(*args)
    check_gradients(lambda: model.loss(*args)[0], model.params, grads, rtol=tol)  # same names, float64, agree
    for k in model.params:
        assert (np.abs(grads[k]).max() == 0) == (k in zero), f"{k}: zero gradient expected only for {zero}"


def set_params(model, **values):
    for k, v in values.items():
        assert model.params[k].shape == np.shape(v), k
        model.params[k][...] = v


# ---------------------------------------------------------------- one-to-many


def test_generator_forward_by_hand():
    model = OneToManyGenerator(1, 1, 1, np.random.default_rng(0))
    set_params(model, W_vh=[[0.5]], b_v=[0.1], W_xh=[[2.0]], W_hh=[[-1.0]], b_h=[0.3], W_hy=[[3.0]], b_y=[0.5])
    v, y = np.array([[1.0]]), np.array([[[0.2], [0.4]]])
    h0 = np.tanh(0.5 * 1.0 + 0.1)
    h1 = np.tanh(2.0 * 0.0 - h0 + 0.3)  # x_1 = 0: nothing generated yet
    h2 = np.tanh(2.0 * 0.2 - h1 + 0.3)  # x_2 = y_1, the true previous value (teacher forcing)
    expected = np.array([3 * h1 + 0.5, 3 * h2 + 0.5])
    out, _ = model.forward(v, y)
    np.testing.assert_allclose(out[0, :, 0], expected, atol=1e-15)
    loss, _ = model.loss(v, y)
    assert loss == pytest.approx(np.mean((expected - [0.2, 0.4]) ** 2), rel=1e-14)
    # Free running feeds back its own output instead of y_1.
    g2 = 3 * np.tanh(2.0 * expected[0] - h1 + 0.3) + 0.5
    np.testing.assert_allclose(model.generate(v, 2)[0, :, 0], [expected[0], g2], atol=1e-15)


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("feed_condition", [False, True])
def test_generator_real_gradients(rng, cell, feed_condition):
    model = OneToManyGenerator(2, 2, 3, rng, feed_condition=feed_condition, cell=cell)
    v, y = rng.standard_normal((3, 2)), rng.standard_normal((3, 4, 2))
    assert_gradients_match(model, (v, y, MASK))


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("embedding_size", [None, 3])
def test_generator_categorical_gradients(rng, cell, embedding_size):
    model = OneToManyGenerator(2, 5, 3, rng, output="categorical", embedding_size=embedding_size, cell=cell)
    v, y = rng.standard_normal((3, 2)), rng.integers(0, 5, (3, 4))
    assert_gradients_match(model, (v, y, MASK))


def test_generator_gradients_single_step_and_batch_of_one(rng):
    # With T = 1 nothing is ever fed back, so the embedding gets no gradient, and
    # without feed_condition x_1 = 0 and W_xh gets none either.
    model = OneToManyGenerator(2, 4, 3, rng, output="categorical", embedding_size=2, feed_condition=True)
    v = rng.standard_normal((1, 2))
    assert_gradients_match(model, (v, np.array([[3]])), zero=("E",))
    real = OneToManyGenerator(2, 1, 3, rng)
    assert_gradients_match(real, (v, rng.standard_normal((1, 1, 1))), zero=("W_xh",))


def test_generator_teacher_forcing_is_causal(rng):
    model = OneToManyGenerator(2, 2, 4, rng)
    v, y = rng.standard_normal((2, 2)), rng.standard_normal((2, 5, 2))
    out, _ = model.forward(v, y)
    y2 = y.copy()
    y2[:, 2:] = rng.standard_normal((2, 3, 2))  # change the truth from step 3 on
    out2, _ = model.forward(v, y2)
    np.testing.assert_array_equal(out[:, :3], out2[:, :3])  # steps 1..3 read only y_1, y_2
    assert not np.allclose(out[:, 3:], out2[:, 3:])


def test_generator_masked_steps_change_nothing(rng):
    model = OneToManyGenerator(2, 2, 3, rng)
    v, y = rng.standard_normal((3, 2)), rng.standard_normal((3, 4, 2))
    y2 = np.where(MASK[:, :, None], y, 99.0)
    loss, grads = model.loss(v, y, MASK)
    loss2, grads2 = model.loss(v, y2, MASK)
    assert loss == pytest.approx(loss2, abs=1e-14)
    for k in grads:
        np.testing.assert_allclose(grads[k], grads2[k], atol=1e-14)


@pytest.mark.parametrize("cell", CELLS)
def test_generate_agrees_with_teacher_forcing_on_its_own_output(rng, cell):
    real = OneToManyGenerator(2, 2, 4, rng, feed_condition=True, cell=cell)
    v = rng.standard_normal((3, 2))
    gen = real.generate(v, 6)
    assert gen.shape == (3, 6, 2)
    np.testing.assert_allclose(real.forward(v, gen)[0], gen, atol=1e-12)
    cat = OneToManyGenerator(2, 5, 4, rng, output="categorical", embedding_size=3, cell=cell)
    ids = cat.generate(v, 6)
    assert ids.shape == (3, 6) and ids.dtype.kind == "i"
    np.testing.assert_array_equal(cat.forward(v, ids)[0].argmax(axis=2), ids)


def test_generation_runs_one_step_per_call(rng, monkeypatch):
    # O(T) decoding: every call of the recurrent layer runs exactly one step from the carried states
    from rnnlib.recurrent import Recurrent

    lengths = []
    forward = Recurrent.forward

    def counting(self, x, *args, **kwargs):
        lengths.append(x.shape[1])
        return forward(self, x, *args, **kwargs)

    monkeypatch.setattr(Recurrent, "forward", counting)
    OneToManyGenerator(2, 5, 4, rng, output="categorical", cell="lstm").generate(rng.standard_normal((3, 2)), 7)
    assert lengths == [1] * 7
    lengths.clear()
    model = EncoderDecoder(6, 7, 5, rng, bos_id=2, eos_id=3, cell="lstm")
    model.params["b_y"][3] = -50.0  # never stop
    src, _, sm, _ = seq2seq_arrays([[4, 5, 1], [2]], [[4], [4]], eos_id=3)
    model.translate(src, sm, max_len=4)
    assert lengths[0] == 3 and lengths[1:] == [1] * 5  # the encoder reads the source, then one step per token


def test_generate_sampling_is_seeded_and_cold_sampling_is_greedy(rng):
    model = OneToManyGenerator(2, 6, 5, rng, output="categorical")
    v = rng.standard_normal((4, 2))
    a = model.generate(v, 8, rng=np.random.default_rng(1))
    b = model.generate(v, 8, rng=np.random.default_rng(1))
    np.testing.assert_array_equal(a, b)
    hot = model.generate(v, 8, rng=np.random.default_rng(1), temperature=50.0)
    assert len(np.unique(hot)) > 3  # a flat distribution visits many tokens
    cold = model.generate(v, 8, rng=np.random.default_rng(1), temperature=1e-3)
    np.testing.assert_array_equal(cold, model.generate(v, 8))


def test_generator_learns_to_count_from_a_start_value():
    # Condition: one-hot start k; target: k, k+1, ..., k+5 (mod 6).  Needs the feedback.
    rng = np.random.default_rng(0)
    V, T = 6, 6
    v = np.eye(V)
    y = (np.arange(V)[:, None] + np.arange(T)[None, :]) % V
    model = OneToManyGenerator(V, V, 16, rng, output="categorical", embedding_size=4)
    history = fit(model, (v, y), Adam(lr=0.05), rng, epochs=150, batch_size=6)
    assert history[-1] < 0.05 * history[0]
    np.testing.assert_array_equal(model.generate(v, T), y)


def test_generator_errors(rng):
    with pytest.raises(ValueError, match="output must be 'real' or 'categorical'; got 'text'"):
        OneToManyGenerator(2, 3, 4, rng, output="text")
    with pytest.raises(ValueError, match="embedding_size is only for output='categorical'"):
        OneToManyGenerator(2, 3, 4, rng, embedding_size=2)
    with pytest.raises(ValueError, match=r"cell must be one of \['gru', 'lstm', 'rnn'\]; got 'elman'"):
        OneToManyGenerator(2, 3, 4, rng, cell="elman")
    with pytest.raises(TypeError, match="feed_condition must be True or False; got int 1"):
        OneToManyGenerator(2, 3, 4, rng, feed_condition=1)
    model = OneToManyGenerator(2, 3, 4, rng)
    with pytest.raises(ValueError, match=r"v must have shape \(N, 2\); got \(5, 3\)"):
        model.loss(np.zeros((5, 3)), np.zeros((5, 2, 3)))
    with pytest.raises(ValueError, match=r"y must have shape \(N=5, T, 3\) \(set by v\); got \(4, 2, 3\)"):
        model.loss(np.zeros((5, 2)), np.zeros((4, 2, 3)))
    with pytest.raises(ValueError, match=r"y must hold at least one time step; got shape \(5, 0, 3\)"):
        model.loss(np.zeros((5, 2)), np.zeros((5, 0, 3)))
    with pytest.raises(ValueError, match="rng is only for output='categorical'"):
        model.generate(np.zeros((1, 2)), 3, rng=rng)
    with pytest.raises(ValueError, match="steps must be a positive int; got 0"):
        model.generate(np.zeros((1, 2)), 0)
    cat = OneToManyGenerator(2, 3, 4, rng, output="categorical")
    with pytest.raises(ValueError, match=r"y must hold ids in \[0, 3\); got 3"):
        cat.loss(np.zeros((1, 2)), np.array([[0, 3]]))
    with pytest.raises(ValueError, match="temperature must be a positive finite number; got 0"):
        cat.generate(np.zeros((1, 2)), 3, rng=rng, temperature=0)


def test_generator_size_and_repr(rng):
    model = OneToManyGenerator(2, 16, 8, rng, output="categorical", embedding_size=4, feed_condition=True)
    C, K, H, E = 2, 16, 8, 4
    expected = C * H + H + K * E + (E + C) * H + H * H + H + H * K + K
    assert model.num_parameters() == expected
    assert repr(model) == (
        "OneToManyGenerator(condition_size=2, output_size=16, hidden_size=8, output='categorical', "
        f"embedding_size=4, feed_condition=True, cell='rnn', parameters={expected})"
    )


# ---------------------------------------------------------------- many-to-one


def test_many_to_one_is_the_chapter_2_classifier():
    assert ReExported is ManyToOne


# ---------------------------------------------------------------- many-to-many (aligned)


def test_tagger_forward_by_hand():
    model = ManyToManyTagger(3, 2, 1, np.random.default_rng(0))  # one-hot inputs, H = 1
    set_params(model, W_xh=[[0.1], [0.2], [-0.3]], W_hh=[[0.5]], b_h=[0.05], W_hy=[[1.0, -2.0]], b_y=[0.0, 0.1])
    h1 = np.tanh(0.2 + 0.05)  # token 1
    h2 = np.tanh(-0.3 + 0.5 * h1 + 0.05)  # token 2
    expected = np.array([[h1, -2 * h1 + 0.1], [h2, -2 * h2 + 0.1]])
    scores, _ = model.forward(np.array([[1, 2]]))
    np.testing.assert_allclose(scores[0], expected, atol=1e-15)
    logp = expected - np.log(np.exp(expected).sum(axis=1, keepdims=True))
    loss, _ = model.loss(np.array([[1, 2]]), np.array([[0, 1]]))
    assert loss == pytest.approx(-(logp[0, 0] + logp[1, 1]) / 2, rel=1e-14)


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("embedding_size", [None, 2])
def test_tagger_gradients_with_mask(rng, cell, embedding_size):
    model = ManyToManyTagger(6, 4, 3, rng, embedding_size=embedding_size, cell=cell)
    ids, mask = pad_sequences([[2, 3, 4, 5], [1, 2], [3]])
    assert_gradients_match(model, (ids, rng.integers(0, 4, (3, 4)), mask))


def test_tagger_gradients_single_step_batch_of_one_and_deep_bidirectional(rng):
    model = ManyToManyTagger(5, 3, 2, rng, embedding_size=2)
    # One step from h_0 = 0 never uses W_hh: a one-to-one problem has no recurrence.
    assert_gradients_match(model, (np.array([[4]]), np.array([[2]])), zero=("W_hh",))
    deep = ManyToManyTagger(6, 4, 3, rng, embedding_size=2, num_layers=2, bidirectional=True)
    ids, mask = pad_sequences([[2, 3, 4, 5], [1, 2], [3]])
    assert deep.params["W_hy"].shape == (6, 4)
    assert_gradients_match(deep, (ids, rng.integers(0, 4, (3, 4)), mask))


def test_tagger_padding_changes_nothing_at_real_steps(rng):
    model = ManyToManyTagger(7, 3, 4, rng, embedding_size=3)
    padded, mask = pad_sequences([[2, 3, 4], [5, 6, 2, 3, 4]])
    alone, _ = model.forward(np.array([[2, 3, 4]]))
    scores, _ = model.forward(padded, mask)
    np.testing.assert_allclose(scores[0, :3], alone[0], atol=1e-15)
    pred = model.predict(padded, mask)
    assert pred.shape == (2, 5) and (pred[0, 3:] == 0).all()
    tags = np.array([[1, 2, 0, 2, 2], [0, 1, 2, 1, 0]])
    tags2 = tags.copy()
    tags2[0, 3:] = 1  # labels at padded steps are ignored
    assert model.loss(padded, tags, mask)[0] == model.loss(padded, tags2, mask)[0]


def test_tagger_needs_the_previous_word_and_learns_it():
    # Tag of each token: whether the token *before* it was 2.  No word alone decides it.
    rng = np.random.default_rng(0)
    ids = rng.integers(2, 5, (200, 6))
    tags = np.zeros_like(ids)
    tags[:, 1:] = ids[:, :-1] == 2
    model = ManyToManyTagger(5, 2, 8, rng, embedding_size=4)
    fit(model, (ids, tags), Adam(lr=0.05), rng, epochs=20, batch_size=20)
    assert masked_accuracy(model.predict(ids), tags) == 1.0
    table = most_frequent_tags(ids, tags, 5, 2)
    assert masked_accuracy(table[ids], tags) < 0.8  # a word-by-word tagger cannot do it


def test_tagger_errors_and_repr(rng):
    with pytest.raises(ValueError, match="num_tags must be a positive int; got 0"):
        ManyToManyTagger(5, 0, 3, rng)
    with pytest.raises(TypeError, match="bidirectional must be True or False; got str 'yes'"):
        ManyToManyTagger(5, 2, 3, rng, bidirectional="yes")
    model = ManyToManyTagger(5, 2, 3, rng, embedding_size=4)
    with pytest.raises(ValueError, match=r"ids must hold ids in \[0, 5\); got 7"):
        model.predict(np.array([[1, 7]]))
    with pytest.raises(ValueError, match=r"mask must have shape \(N=1, T=2\)"):
        model.predict(np.array([[1, 2]]), np.ones((1, 3)))
    with pytest.raises(ValueError, match=r"y must hold ids in \[0, 2\); got 2"):
        model.loss(np.array([[1, 2]]), np.array([[0, 2]]))
    assert model.num_parameters() == 5 * 4 + 4 * 3 + 3 * 3 + 3 + 3 * 2 + 2
    assert repr(model) == (
        "ManyToManyTagger(vocab_size=5, num_tags=2, hidden_size=3, embedding_size=4, cell='rnn', parameters=52)"
    )


# ---------------------------------------------------------------- encoder-decoder


def test_encoder_decoder_forward_by_hand():
    model = EncoderDecoder(3, 4, 1, np.random.default_rng(0), bos_id=2, eos_id=3)  # one-hot, H = 1
    set_params(
        model,
        enc_W_xh=[[0.0], [0.2], [0.3]], enc_W_hh=[[0.5]], enc_b_h=[0.1],
        dec_W_xh=[[0.0], [-0.4], [0.6], [0.0]], dec_W_hh=[[0.7]], dec_b_h=[-0.1],
        W_hy=[[1.0, 2.0, 0.0, -1.0]], b_y=[0.0, 0.1, 0.0, 0.2],
    )  # fmt: skip
    h1 = np.tanh(0.2 + 0.1)  # source token 1
    h2 = np.tanh(0.3 + 0.5 * h1 + 0.1)  # source token 2: the context
    z1 = np.tanh(0.6 + 0.7 * h2 - 0.1)  # decoder reads <bos> (id 2)
    z2 = np.tanh(-0.4 + 0.7 * z1 - 0.1)  # then the first target token (id 1)
    w, b = np.array([1.0, 2.0, 0.0, -1.0]), np.array([0.0, 0.1, 0.0, 0.2])
    scores, _ = model.forward(np.array([[1, 2]]), np.array([[1, 3]]))
    np.testing.assert_allclose(scores[0], np.stack([z1 * w + b, z2 * w + b]), atol=1e-15)
    context, _ = model.encode(np.array([[1, 2, 0]]), np.array([[1, 1, 0]]))
    assert context[0, 0] == pytest.approx(h2, abs=1e-15)  # padding carries h_S to the end


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("embedding_size", [None, 2])
def test_encoder_decoder_gradients_with_masks(rng, cell, embedding_size):
    model = EncoderDecoder(6, 7, 3, rng, bos_id=2, eos_id=3, embedding_size=embedding_size, cell=cell)
    data = seq2seq_arrays([[4, 5, 1], [2], [3, 3]], [[4, 5], [6, 6, 4, 5], []], eos_id=3)
    assert data[0].shape == (3, 3) and data[1].shape == (3, 5)  # source and target lengths differ
    assert_gradients_match(model, data)


def test_encoder_decoder_gradients_single_steps_batch_of_one(rng):
    model = EncoderDecoder(4, 5, 2, rng, bos_id=2, eos_id=3, embedding_size=2)
    # S = T = 1, no masks: the encoder's single step starts from h_0 = 0 and never uses its W_hh
    assert_gradients_match(model, (np.array([[1]]), np.array([[3]])), zero=("enc_W_hh",))


def test_encoder_decoder_padding_changes_nothing(rng):
    model = EncoderDecoder(6, 7, 4, rng, bos_id=2, eos_id=3, embedding_size=3)
    alone = model.forward(np.array([[4, 5]]), np.array([[6, 3]]))[0]
    src, tgt, sm, tm = seq2seq_arrays([[4, 5], [1, 2, 3, 4]], [[6], [4, 4, 4, 6]], eos_id=3)
    scores, _ = model.forward(src, tgt, sm, tm)
    np.testing.assert_allclose(scores[0, :2], alone[0], atol=1e-15)
    tgt2 = tgt.copy()
    tgt2[0, 2:] = 5  # target ids at padded steps are ignored
    assert model.loss(src, tgt, sm, tm)[0] == model.loss(src, tgt2, sm, tm)[0]


@pytest.mark.parametrize("cell", CELLS)
def test_translate_agrees_with_teacher_forcing_and_stops(rng, cell):
    model = EncoderDecoder(6, 7, 5, rng, bos_id=2, eos_id=3, embedding_size=3, cell=cell)
    model.params["b_y"][3] = -50.0  # never stop: every output runs to max_len
    src, _, sm, _ = seq2seq_arrays([[4, 5, 1], [2]], [[4], [4]], eos_id=3)
    outputs = model.translate(src, sm, max_len=4)
    assert [len(o) for o in outputs] == [4, 4]
    tgt = np.array(outputs)
    scores, _ = model.forward(src, tgt, sm)
    np.testing.assert_array_equal(scores.argmax(axis=2), tgt)  # greedy = argmax given its own history
    model.params["b_y"][3] = 50.0  # always stop at once
    assert model.translate(src, sm, max_len=4) == [[], []]


def test_encoder_decoder_learns_to_reverse():
    # Reverse sequences of 1 to 3 tokens from {4, 5, 6}: lengths and order both matter.
    rng = np.random.default_rng(0)
    seqs = [list(s) for n in (1, 2, 3) for s in np.ndindex(*(3,) * n)]
    sources = [[4 + t for t in s] for s in seqs]
    targets = [s[::-1] for s in sources]
    data = seq2seq_arrays(sources, targets, eos_id=3)
    model = EncoderDecoder(7, 7, 24, rng, bos_id=2, eos_id=3, embedding_size=6)
    fit(model, data, Adam(lr=0.02), rng, epochs=150, batch_size=13)
    exact, token = sequence_accuracy(model.translate(data[0], data[2], max_len=5), targets)
    assert exact == 1.0 and token == 1.0


def test_encoder_decoder_errors_and_repr(rng):
    with pytest.raises(ValueError, match=r"eos_id must be a target id in \[0, 5\); got int 5"):
        EncoderDecoder(4, 5, 2, rng, bos_id=2, eos_id=5)
    with pytest.raises(ValueError, match="bos_id and eos_id must differ; both are 2"):
        EncoderDecoder(4, 5, 2, rng, bos_id=2, eos_id=2)
    model = EncoderDecoder(4, 5, 2, rng, bos_id=2, eos_id=3, embedding_size=3)
    with pytest.raises(ValueError, match=r"tgt must have shape \(N=2, T\) \(set by src\); got \(1, 2\)"):
        model.loss(np.ones((2, 3), int), np.ones((1, 2), int))
    with pytest.raises(ValueError, match=r"src must hold ids in \[0, 4\); got 4"):
        model.translate(np.array([[4]]))
    with pytest.raises(
        ValueError, match=r"every source needs at least one real token; src_mask rows \[1\] are all zero"
    ):
        model.encode(np.ones((2, 2), int), np.array([[1, 0], [0, 0]]))
    with pytest.raises(ValueError, match="max_len must be a positive int; got 0"):
        model.translate(np.ones((1, 2), int), max_len=0)
    H, D = 2, 3
    expected = 4 * D + (D * H + H * H + H) + 5 * D + (D * H + H * H + H) + H * 5 + 5
    assert model.num_parameters() == expected
    assert repr(model) == (
        "EncoderDecoder(src_vocab_size=4, tgt_vocab_size=5, hidden_size=2, embedding_size=3, "
        f"cell='rnn', parameters={expected})"
    )


def test_seq2seq_arrays_appends_eos_and_masks():
    src, tgt, sm, tm = seq2seq_arrays([[5, 6, 7], [8]], [[9], [10, 11]], eos_id=3)
    np.testing.assert_array_equal(src, [[5, 6, 7], [8, 0, 0]])
    np.testing.assert_array_equal(tgt, [[9, 3, 0], [10, 11, 3]])
    np.testing.assert_array_equal(sm, [[1, 1, 1], [1, 0, 0]])
    np.testing.assert_array_equal(tm, [[1, 1, 0], [1, 1, 1]])
    with pytest.raises(ValueError, match="sources and targets must pair up; got 2 sources and 1 targets"):
        seq2seq_arrays([[1], [2]], [[3]], eos_id=3)
    with pytest.raises(TypeError, match="eos_id must be a non-negative int; got float 3.0"):
        seq2seq_arrays([[1]], [[3]], eos_id=3.0)


# ---------------------------------------------------------------- baseline and scores


def test_most_frequent_tags_counts_real_steps_only():
    ids = np.array([[2, 3, 3, 0], [3, 2, 0, 0]])
    tags = np.array([[1, 0, 2, 1], [2, 1, 1, 1]])
    mask = ids != 0
    table = most_frequent_tags(ids, tags, vocab_size=5, num_tags=3, mask=mask)
    # word 2: tag 1 twice; word 3: tag 2 twice, tag 0 once (the padded tags 1 are not counted).
    # Unseen words 0, 1, 4 get the most frequent tag overall: tags 1 and 2 tie at two, and the first wins.
    np.testing.assert_array_equal(table, [1, 1, 1, 2, 1])


# ---------------------------------------------------------------- random shapes and PyTorch


@settings(max_examples=15, deadline=None)
@given(
    N=st.integers(1, 3),
    S=st.integers(1, 4),
    T=st.integers(1, 4),
    seed=st.integers(0, 2**32 - 1),
)
def test_encoder_decoder_gradients_random_lengths(N, S, T, seed):
    rng = np.random.default_rng(seed)
    sources = [list(rng.integers(1, 5, rng.integers(1, S + 1))) for _ in range(N)]
    targets = [list(rng.integers(4, 6, rng.integers(0, T))) for _ in range(N)]
    data = seq2seq_arrays(sources, targets, eos_id=3)
    model = EncoderDecoder(5, 6, 2, rng, bos_id=2, eos_id=3, embedding_size=2)
    _, grads = model.loss(*data)
    check_gradients(lambda: model.loss(*data)[0], model.params, grads)


@settings(max_examples=15, deadline=None)
@given(N=st.integers(1, 3), T=st.integers(1, 5), seed=st.integers(0, 2**32 - 1))
def test_tagger_gradients_random_lengths(N, T, seed):
    rng = np.random.default_rng(seed)
    ids, mask = pad_sequences([list(rng.integers(1, 6, rng.integers(1, T + 1))) for _ in range(N)])
    tags = rng.integers(0, 3, ids.shape)
    model = ManyToManyTagger(6, 3, 2, rng, embedding_size=2)
    _, grads = model.loss(ids, tags, mask)
    check_gradients(lambda: model.loss(ids, tags, mask)[0], model.params, grads)


def test_encoder_decoder_matches_torch(rng):
    """The same model written in PyTorch: torch.nn.RNN on packed sequences gives the context,
    and autograd through the same equations gives the loss and every gradient."""
    if os.environ.get("CI"):
        import torch  # CI installs torch (make test TORCH=1); a missing torch must fail there
    else:
        torch = pytest.importorskip("torch")
    model = EncoderDecoder(6, 7, 4, rng, bos_id=2, eos_id=3, embedding_size=3)
    for p in model.params.values():
        p += 0.3 * rng.standard_normal(p.shape)  # move away from the initial values
    src, tgt, src_mask, tgt_mask = seq2seq_arrays([[4, 5, 1], [2], [3, 3]], [[4, 5], [6, 6, 4, 5], []], eos_id=3)
    loss, grads = model.loss(src, tgt, src_mask, tgt_mask)
    P = {k: torch.tensor(v, requires_grad=True) for k, v in model.params.items()}

    def run(prefix, x, h0):  # the recurrence, written with torch operations
        h, hs = h0, []
        for t in range(x.shape[1]):
            h = torch.tanh(x[:, t] @ P[prefix + "W_xh"] + h @ P[prefix + "W_hh"] + P[prefix + "b_h"])
            hs.append(h)
        return torch.stack(hs, dim=1)

    xs = P["enc_E"][torch.from_numpy(src)]
    lengths = torch.from_numpy(src_mask.sum(axis=1))
    context = run("enc_", xs, torch.zeros(3, 4, dtype=torch.float64))[torch.arange(3), lengths - 1]

    encoder = torch.nn.RNN(3, 4, batch_first=True, dtype=torch.float64)
    with torch.no_grad():  # torch computes x W_ih^T + b_ih + h W_hh^T + b_hh
        encoder.weight_ih_l0.copy_(P["enc_W_xh"].T)
        encoder.weight_hh_l0.copy_(P["enc_W_hh"].T)
        encoder.bias_ih_l0.copy_(P["enc_b_h"])
        encoder.bias_hh_l0.zero_()
        packed = torch.nn.utils.rnn.pack_padded_sequence(xs, lengths, batch_first=True, enforce_sorted=False)
        _, h_last = encoder(packed)  # (1, N, H): each source's state after its last real token
    np.testing.assert_allclose(context.detach().numpy(), h_last[0].numpy(), atol=1e-12)

    dec_in = torch.from_numpy(np.concatenate([np.full((3, 1), 2), tgt[:, :-1]], axis=1))  # <bos> + shifted
    scores = run("dec_", P["dec_E"][dec_in], context) @ P["W_hy"] + P["b_y"]
    real = torch.from_numpy(tgt_mask)
    ce = torch.nn.functional.cross_entropy(scores[real], torch.from_numpy(tgt)[real])
    ce.backward()
    assert loss == pytest.approx(ce.item(), abs=1e-12)
    for k in model.params:
        np.testing.assert_allclose(grads[k], P[k].grad.numpy(), atol=1e-12, err_msg=k)
