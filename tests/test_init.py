"""The initialisers' distributions, and the initial scale of every model's parameters.

A start that is wrong by a sign convention or a factor of ten trains worse, not
differently, so no gradient check or shape test notices it: these tests pin the
statistics of large draws instead.  Every bound is several standard errors of the
statistic it tests, so it holds for any seed, not only the one written here.
"""

import numpy as np
import pytest

from rnnlib import EncoderDecoder, ManyToManyTagger, ManyToOne, OneToManyGenerator, Recurrent
from rnnlib.attention import AttentionEncoderDecoder
from rnnlib.charlm import CharLM
from rnnlib.init import EMBEDDING_SCALE, embedding, identity, normal, orthogonal


def test_normal_has_variance_one_over_fan_in(rng):
    W = normal(rng, (400, 300))
    assert W.shape == (400, 300) and W.dtype == np.float64
    # the sample std of n = 120000 Gaussian draws is within 1% of the true one (1% is 3.5 standard errors)
    assert W.std() == pytest.approx(1 / np.sqrt(400), rel=0.01)
    assert abs(W.mean()) < 4 * W.std() / np.sqrt(W.size)
    assert normal(rng, (50, 2000), fan_in=25).std() == pytest.approx(1 / 5, rel=0.01)


@pytest.mark.parametrize("shape", [(4, 4), (6, 3), (3, 6), (1, 1), (5, 1)])
@pytest.mark.parametrize("gain", [1.0, 0.5])
def test_orthogonal_has_orthonormal_columns_or_rows(rng, shape, gain):
    Q = orthogonal(rng, shape, gain)
    assert Q.shape == shape
    small = min(shape)
    gram = Q.T @ Q if shape[0] >= shape[1] else Q @ Q.T
    np.testing.assert_allclose(gram, gain**2 * np.eye(small), atol=1e-12)


@pytest.mark.parametrize("shape", [(4, 4), (6, 3), (3, 6), (1, 1), (2, 1)])
def test_orthogonal_is_uniform_over_orthogonal_matrices(rng, shape):
    """Without the sign correction, QR hands back a Q whose diagonal leans one way (its
    mean is about -0.4 for 4 x 4): the draw is orthogonal but not uniform, and a recurrent
    matrix drawn that way starts nearer to -I than to any other matrix.  Uniform
    (Haar-distributed) Q has every entry with mean 0 and variance 1/n, n = max(shape),
    and flipping any column's sign gives an equally likely matrix."""
    draws = 2000
    Qs = np.array([orthogonal(rng, shape) for _ in range(draws)])
    n = max(shape)
    se = np.sqrt(1 / n / draws)  # standard error of one entry's mean over the draws
    assert np.abs(Qs.mean(axis=0)).max() < 5 * se
    # Q_ij**2 is Beta(1/2, (n - 1)/2), of variance below 2/n**2
    np.testing.assert_allclose((Qs**2).mean(axis=0), 1 / n, atol=5 * np.sqrt(2 / draws) / n)
    # the signs: each column of the tall form starts with a positive entry in half of the draws
    tall = Qs if shape[0] >= shape[1] else Qs.transpose(0, 2, 1)
    positive = (tall[:, 0, :] > 0).mean(axis=0)
    assert np.abs(positive - 0.5).max() < 5 * np.sqrt(0.25 / draws)
    if shape[0] == shape[1]:  # rotations and reflections equally often
        assert abs((np.linalg.det(Qs) > 0).mean() - 0.5) < 5 * np.sqrt(0.25 / draws)


def test_identity():
    np.testing.assert_array_equal(identity(3), np.eye(3))
    np.testing.assert_array_equal(identity(2, 0.5), 0.5 * np.eye(2))


def test_initialiser_errors(rng):
    with pytest.raises(ValueError, match=r"orthogonal needs a 2-D shape \(rows, cols\); got \(2, 2, 2\)"):
        orthogonal(rng, (2, 2, 2))
    with pytest.raises(ValueError, match="gain must be a positive finite number; got 0"):
        orthogonal(rng, (2, 2), gain=0)
    with pytest.raises(ValueError, match="shape entry must be a positive int; got 0"):
        normal(rng, (0, 3))
    with pytest.raises(TypeError, match="rng must be a numpy Generator"):
        normal(0, (2, 3))
    with pytest.raises(ValueError, match="scale must be a positive finite number; got -1"):
        identity(3, -1)


# ---------------------------------------------------------------- models' starting scale

V, D = 500, 40  # 20000 entries per embedding: the sample std is within 3% of the true one (6 standard errors)

EMBEDDINGS = {
    "ManyToOne": (lambda rng: ManyToOne(vocab_size=V, hidden_size=3, rng=rng, embedding_size=D), ["E"]),
    "ManyToManyTagger": (lambda rng: ManyToManyTagger(V, 3, 3, rng, embedding_size=D), ["E"]),
    "OneToManyGenerator": (
        lambda rng: OneToManyGenerator(2, V, 3, rng, output="categorical", embedding_size=D),
        ["E"],
    ),
    "EncoderDecoder": (
        lambda rng: EncoderDecoder(V, V, 3, rng, bos_id=1, eos_id=2, embedding_size=D),
        ["enc_E", "dec_E"],
    ),
    "AttentionEncoderDecoder": (
        lambda rng: AttentionEncoderDecoder(V, V, 3, rng, bos_id=1, eos_id=2, embedding_size=D),
        ["enc_E", "dec_E"],
    ),
    "CharLM": (lambda rng: CharLM(V, 3, rng, embedding_size=D), ["E"]),
}


@pytest.mark.parametrize("model", sorted(EMBEDDINGS))
def test_every_embedding_starts_with_std_one_tenth(rng, model):
    """Embeddings start as N(0, 0.1^2) entries: small enough that the first states are far
    from saturating, large enough that different tokens differ."""
    make, names = EMBEDDINGS[model]
    m = make(rng)
    for name in names:
        E = m.params[name]
        assert E.shape == (V, D), name
        assert E.std() == pytest.approx(0.1, rel=0.03), name
        assert abs(E.mean()) < 5 * 0.1 / np.sqrt(E.size), name
    if len(names) == 2:
        assert not np.array_equal(m.params[names[0]], m.params[names[1]])  # two separate draws


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_recurrent_layer_starting_scales(rng, cell):
    """Input weights N(0, 1/D); the vanilla W_hh N(0, 1/H); each gated block of W_h
    orthogonal; biases zero except the LSTM forget gate's, which starts at 1."""
    Din, H = 300, 60
    p = Recurrent(cell, Din, H).init(rng)
    W_in, W_rec = (p["W_xh"], p["W_hh"]) if cell == "rnn" else (p["W_x"], p["W_h"])
    assert W_in.std() == pytest.approx(1 / np.sqrt(Din), rel=0.03)
    if cell == "rnn":
        assert W_rec.std() == pytest.approx(1 / np.sqrt(H), rel=0.03)
        np.testing.assert_array_equal(p["b_h"], 0)
        return
    G = W_rec.shape[1] // H
    assert G == (4 if cell == "lstm" else 3)
    for g in range(G):
        block = W_rec[:, g * H : (g + 1) * H]
        np.testing.assert_allclose(block.T @ block, np.eye(H), atol=1e-12)
    expected_b = np.zeros(G * H)
    if cell == "lstm":
        expected_b[H : 2 * H] = 1.0
    else:
        np.testing.assert_array_equal(p["b_hn"], 0)
    np.testing.assert_array_equal(p["b"], expected_b)


def test_embedding_is_the_documented_scale_times_one_standard_normal_draw():
    """Every model's table comes from init.embedding: one draw of shape (V, D), scaled; the
    models' starts (and so every chapter's numbers) depend on exactly this draw."""
    assert EMBEDDING_SCALE == 0.1
    E = embedding(np.random.default_rng(3), 4, 5)
    expected = 0.1 * np.random.default_rng(3).standard_normal((4, 5))
    assert E.shape == (4, 5) and np.array_equal(E, expected)


def test_embedding_rejects_bad_sizes_and_generators(rng):
    with pytest.raises(ValueError, match="num_embeddings"):
        embedding(rng, 0, 5)
    with pytest.raises(ValueError, match="embedding_size"):
        embedding(rng, 4, -1)
    with pytest.raises(TypeError, match="Generator"):
        embedding(np.random.RandomState(0), 4, 5)
