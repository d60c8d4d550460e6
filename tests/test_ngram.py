"""Count-based baselines: the interpolated n-gram (pinned by hand on a tiny text,
normalised everywhere, unseen contexts) and a compressor's bits per character."""

import numpy as np
import pytest

from rnnlib.ngram import CharNGram, compressed_bits_per_char

TINY = [0, 1, 0, 1, 1]  # V = 3: id 2 never occurs


def test_pinned_values_on_a_tiny_text():
    # by hand with d = 0.5: unigram P0 = (c - d)/5 + d*2/5 * 1/3 = [11/30, 17/30, 2/30]
    g = CharNGram(2, 3, discount=0.5).fit(TINY)
    p0 = np.array([11, 17, 2]) / 30
    np.testing.assert_allclose(CharNGram(1, 3, discount=0.5).fit(TINY).probabilities([]), p0)
    # after 0: only 1 was seen (twice), so P(1|0) = 1.5/2 + 0.25 * P0(1), and the rest is 0.25 * P0
    np.testing.assert_allclose(g.probabilities([0]), [0.25 * p0[0], 0.75 + 0.25 * p0[1], 0.25 * p0[2]])
    # after 1: 0 and 1 once each, u = 2
    np.testing.assert_allclose(g.probabilities([1]), [0.25 + 0.5 * p0[0], 0.25 + 0.5 * p0[1], 0.5 * p0[2]])
    # an unseen context falls back to the unigram; an empty one too
    np.testing.assert_allclose(g.probabilities([2]), p0)
    np.testing.assert_allclose(g.probabilities([]), p0)
    np.testing.assert_allclose(g.log_probs([0, 1, 1]), np.log([0.75 + 0.25 * p0[1], 0.25 + 0.5 * p0[1]]))


@pytest.mark.parametrize("order", [1, 2, 3, 5])
def test_probabilities_sum_to_one_and_match_the_vectorised_scores(order):
    rng = np.random.default_rng(0)
    train = rng.integers(0, 6, 300)
    test = np.concatenate([rng.integers(0, 7, 40), [7, 7, 7]])  # ids 6 and 7 never seen in training
    g = CharNGram(order, 8).fit(train)
    one_by_one = []
    for t in range(1, len(test)):
        p = g.probabilities(test[:t])
        assert p.shape == (8,) and (p > 0).all()
        np.testing.assert_allclose(p.sum(), 1.0, rtol=1e-12)
        one_by_one.append(np.log(p[test[t]]))
    np.testing.assert_allclose(g.log_probs(test), one_by_one, rtol=1e-12)
    np.testing.assert_allclose(g.perplexity(test), np.exp(-np.mean(one_by_one)))


def test_context_counts_pinned_on_the_tiny_text():
    # contexts followed by something in TINY = 0 1 0 1 1: of length 1, "0" twice and "1" twice
    # (the last 1 has nothing after it); of length 2, "0 1" twice and "1 0" once
    np.testing.assert_array_equal(CharNGram(2, 3).fit(TINY).context_counts([0, 2, 1, 1]), [2, 0, 2])
    # "1 1" ends TINY, so it was never followed by anything: 0
    np.testing.assert_array_equal(CharNGram(3, 3).fit(TINY).context_counts([1, 0, 1, 1, 1]), [1, 2, 0])
    np.testing.assert_array_equal(CharNGram(1, 3).fit(TINY).context_counts([0, 1]), [5, 5])  # the empty context
    with pytest.raises(RuntimeError, match="call fit"):
        CharNGram(2, 3).context_counts([0, 1])
    with pytest.raises(ValueError, match="L >= order = 3"):
        CharNGram(3, 3).fit(TINY).context_counts([0, 1])


def test_more_context_fits_a_regular_text_better():
    text = np.array([0, 1, 2, 3] * 50)
    ppl = [CharNGram(n, 4).fit(text).perplexity(text) for n in (1, 2)]
    assert ppl[0] == pytest.approx(4.0, rel=0.02) and ppl[1] < 1.5


def test_ngram_errors():
    with pytest.raises(ValueError, match="discount must be a number in"):
        CharNGram(2, 3, discount=0)
    with pytest.raises(TypeError, match="order must be a positive int"):
        CharNGram(2.0, 3)
    with pytest.raises(ValueError, match="too many contexts"):
        CharNGram(12, 70)
    with pytest.raises(RuntimeError, match="call fit"):
        CharNGram(2, 3).probabilities([0])
    with pytest.raises(ValueError, match=r"ids must hold ids in \[0, 3\); got 3"):
        CharNGram(2, 3).fit([0, 1, 3])
    with pytest.raises(ValueError, match="L >= order = 3"):
        CharNGram(3, 3).fit([0, 1])
    with pytest.raises(ValueError, match="L >= 2"):
        CharNGram(2, 3).fit(TINY).log_probs([1])
    assert "fitted" in repr(CharNGram(2, 3).fit(TINY))


def test_compressed_bits_per_char():
    rng = np.random.default_rng(0)
    noise = "".join(rng.choice(list("abcdefghijklmnop"), 4000))  # 4 bits of entropy per character
    repeated = "the cat sat on the mat. " * 200
    for method in ("zlib", "bz2", "lzma"):
        assert 3.9 < compressed_bits_per_char(noise, method) < 5.5
        assert compressed_bits_per_char(repeated, method) < 0.5
        # having read the text before, the compressor needs much less for it
        assert compressed_bits_per_char(noise, method, given=noise) < 0.5 * compressed_bits_per_char(noise, method)
    with pytest.raises(ValueError, match="method must be one of"):
        compressed_bits_per_char("abc", "zip")
    with pytest.raises(TypeError, match="text must be a non-empty str"):
        compressed_bits_per_char("")
    with pytest.raises(TypeError, match="given must be a str"):
        compressed_bits_per_char("abc", given=b"x")
