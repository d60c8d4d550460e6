"""Beam search and sequence log-probabilities: greedy at width 1, a hand-built model on
which the beam beats greedy decoding, agreement with teacher forcing, errors."""

import numpy as np
import pytest

from rnnlib.activations import log_softmax
from rnnlib.architectures import EncoderDecoder
from rnnlib.attention import AttentionEncoderDecoder
from rnnlib.decoding import beam_search, sequence_log_probs

BOS, EOS, A, B, X = 0, 1, 2, 3, 4  # the toy vocabulary


class Toy:
    """A decoder whose next-token distribution depends only on the previous token.

    After <bos>: A with 0.6, B with 0.4. After A: A, B or X with 0.3 each, <eos> 0.1.
    After B: X with 0.9. After X: <eos> with 1 (almost). Greedy writes A, then (a tie
    broken towards the lowest id) A ..., while B X <eos> has probability 0.36.
    """

    bos_id, eos_id = BOS, EOS
    table = np.log(
        np.array(
            [
                [1e-9, 1e-9, 0.6, 0.4, 1e-9],  # after <bos>
                [1e-9, 1.0, 1e-9, 1e-9, 1e-9],  # after <eos> (never used for a live output)
                [1e-9, 0.1, 0.3, 0.3, 0.3],  # after A
                [1e-9, 0.05, 0.025, 0.025, 0.9],  # after B
                [1e-9, 1.0, 1e-9, 1e-9, 1e-9],  # after X
            ]
        )
    )

    def decode_start(self, src, src_mask=None):
        return {"n": np.zeros((len(src), 1))}

    def decode_step(self, state, tokens):
        return log_softmax(self.table[tokens]), state


def test_beam_finds_a_more_probable_output_than_greedy_on_a_hand_built_model():
    src = np.zeros((2, 1), int)
    greedy, lp_greedy = beam_search(Toy(), src, beam_width=1, max_len=5, length_penalty=0.0)
    beam, lp_beam = beam_search(Toy(), src, beam_width=2, max_len=5, length_penalty=0.0)
    assert greedy == [[A, A, A, A, A]] * 2  # never chooses to stop: 0.1 < 0.3
    assert beam == [[B, X]] * 2
    np.testing.assert_allclose(lp_beam, np.log(0.4 * 0.9 * 1.0), rtol=1e-6)
    np.testing.assert_allclose(lp_greedy, np.log(0.6 * 0.3**4), rtol=1e-6)  # cut at max_len: no <eos> term
    np.testing.assert_allclose(sequence_log_probs(Toy(), src, beam), lp_beam, rtol=1e-12)


def test_length_normalisation_changes_the_choice():
    # after <bos>: <eos> 0.5 or A 0.5; after A: B 0.99; after B: <eos> 0.99.
    # log p: <eos> alone -0.69; A B <eos> -0.71. Unnormalised the short one wins,
    # per token (length_penalty = 1) the long one (-0.24 against -0.69).
    toy = Toy()
    toy.table = np.log(
        np.array(
            [
                [1e-12, 0.5, 0.5, 1e-12, 1e-12],
                [1e-12, 1.0, 1e-12, 1e-12, 1e-12],
                [1e-12, 0.01, 1e-12, 0.99, 1e-12],
                [1e-12, 0.99, 1e-12, 0.01, 1e-12],
                [1e-12, 1.0, 1e-12, 1e-12, 1e-12],
            ]
        )
    )
    src = np.zeros((1, 1), int)
    assert beam_search(toy, src, beam_width=2, length_penalty=0.0)[0] == [[]]
    assert beam_search(toy, src, beam_width=2, length_penalty=1.0)[0] == [[A, B]]


def trained_like(model, rng, scale=0.7):
    for p in model.params.values():
        p += scale * rng.standard_normal(p.shape)
    return model


SRC = np.array([[4, 5, 1, 2], [2, 3, 0, 0], [3, 3, 3, 0]])
SRC_MASK = SRC > 0


@pytest.mark.parametrize("score, cell", [("additive", "gru"), ("dot", "gru"), ("additive", "lstm")])
def test_width_one_is_greedy_for_the_attention_model(rng, score, cell):
    model = trained_like(AttentionEncoderDecoder(6, 7, 4, rng, 2, 3, embedding_size=3, score=score, cell=cell), rng)
    for nu in (0.0, 0.7):
        out, lp = beam_search(model, SRC, SRC_MASK, beam_width=1, max_len=6, length_penalty=nu)
        assert out == model.translate(SRC, SRC_MASK, max_len=6)
    wide, lp_wide = beam_search(model, SRC, SRC_MASK, beam_width=5, max_len=6, length_penalty=0.0)
    ended = [len(o) < 6 for o in wide]  # outputs that wrote <eos> before the cut
    np.testing.assert_allclose(lp_wide[ended], sequence_log_probs(model, SRC, wide, SRC_MASK)[ended], rtol=1e-12)


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
def test_width_one_is_greedy_for_the_plain_model(rng, cell):
    model = trained_like(EncoderDecoder(6, 7, 4, rng, 2, 3, embedding_size=3, cell=cell), rng)
    out, _ = beam_search(model, SRC, SRC_MASK, beam_width=1, max_len=6)
    assert out == model.translate(SRC, SRC_MASK, max_len=6)


@pytest.mark.parametrize("cell", ["gru", "lstm"])
def test_decode_steps_agree_with_teacher_forcing(rng, cell):
    model = trained_like(AttentionEncoderDecoder(6, 7, 4, rng, 2, 3, embedding_size=3, cell=cell), rng)
    tgt = np.array([[4, 5, 3], [6, 3, 3], [5, 4, 3]])
    scores, cache = model.forward(SRC, tgt, SRC_MASK)
    state, last = model.decode_start(SRC, SRC_MASK), np.full(3, 2)
    for t in range(3):
        lp, state = model.decode_step(state, last)
        np.testing.assert_allclose(lp, log_softmax(scores[:, t]), rtol=1e-12, atol=1e-13)
        np.testing.assert_allclose(state["weights"], cache["weights"][:, t], rtol=1e-12)
        last = tgt[:, t]
    real = np.array([[1, 1, 1], [1, 1, 0], [1, 1, 1]], bool)  # the second target is 6 <eos>
    expected = (log_softmax(scores)[np.arange(3)[:, None], np.arange(3), tgt] * real).sum(axis=1)
    np.testing.assert_allclose(sequence_log_probs(model, SRC, [[4, 5], [6], [5, 4]], SRC_MASK), expected, rtol=1e-12)


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
def test_plain_decode_steps_agree_with_teacher_forcing(rng, cell):
    """The plain model's decode_step, which translate also runs, is the step its forward takes."""
    model = trained_like(EncoderDecoder(6, 7, 4, rng, 2, 3, embedding_size=3, cell=cell), rng)
    tgt = np.array([[4, 5, 3], [6, 3, 3], [5, 4, 3]])
    scores, _ = model.forward(SRC, tgt, SRC_MASK)
    state, last = model.decode_start(SRC, SRC_MASK), np.full(3, 2)
    assert sorted(state) == (["c", "h"] if cell == "lstm" else ["h"])
    for t in range(3):
        lp, state = model.decode_step(state, last)
        np.testing.assert_allclose(lp, log_softmax(scores[:, t]), rtol=1e-12, atol=1e-13)
        last = tgt[:, t]


class Counting:
    """A decoder whose next-token distribution depends only on the step: A, then A, then
    ``last`` (a distribution over the five tokens) at the third step and after."""

    bos_id, eos_id = BOS, EOS

    def __init__(self, last):
        self.rows = np.log(np.array([[1e-12, 1e-12, 1.0, 1e-12, 1e-12]] * 2 + [last]))

    def decode_start(self, src, src_mask=None):
        return {"t": np.zeros((len(src), 1))}

    def decode_step(self, state, tokens):
        t = state["t"][:, 0].astype(int)
        return log_softmax(self.rows[np.minimum(t, 2)]), {"t": state["t"] + 1}


@pytest.mark.parametrize("width", [1, 2, 3])
def test_max_len_counts_tokens_before_eos_as_translate_does(width):
    # "A A <eos>" with max_len = 2: two tokens, then <eos>, whose term counts
    src = np.zeros((2, 1), int)
    out, lp = beam_search(
        Counting([1e-12, 0.8, 1e-12, 0.2, 1e-12]), src, beam_width=width, max_len=2, length_penalty=0.0
    )
    assert out == [[A, A]] * 2
    np.testing.assert_allclose(lp, np.log(0.8), rtol=1e-9)
    # B is more likely than <eos> at the third step: "A A B" is cut to "A A", without the B or an <eos> term
    out, lp = beam_search(
        Counting([1e-12, 0.2, 1e-12, 0.8, 1e-12]), src, beam_width=width, max_len=2, length_penalty=0.0
    )
    assert out == [[A, A]] * 2
    np.testing.assert_allclose(lp, 0.0, atol=1e-9)


def test_a_wider_beam_never_scores_below_its_own_width_one_on_the_toy():
    src = np.zeros((1, 1), int)
    scores = [beam_search(Toy(), src, beam_width=k, max_len=4, length_penalty=0.0)[1][0] for k in (1, 2, 3, 4)]
    assert scores[0] < scores[1] <= scores[2] + 1e-12 <= scores[3] + 2e-12


def test_beam_search_errors(rng):
    model = AttentionEncoderDecoder(6, 7, 4, rng, 2, 3)
    with pytest.raises(ValueError, match="beam_width must be a positive int"):
        beam_search(model, SRC, beam_width=0)
    with pytest.raises(ValueError, match="length_penalty must be a finite number >= 0; got -1"):
        beam_search(model, SRC, length_penalty=-1)
    with pytest.raises(TypeError, match="model must have decode_start and decode_step"):
        beam_search(object(), SRC)
    with pytest.raises(ValueError, match="outputs must be a list of N = 3 lists"):
        sequence_log_probs(model, SRC, [[1]])
    with pytest.raises(ValueError, match="tokens"):
        model.decode_step(model.decode_start(SRC), np.array([0, 9, 0]))
