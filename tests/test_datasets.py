"""The review generator, the data loaders, the synthetic vowel and the padding arithmetic."""

from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from rnnlib import Vocabulary, bag_of_words, pad_sequences, tokenize
from rnnlib.datasets import (
    DATA_DIR,
    NEGATIVE_WORDS,
    ORDER_ONLY_KINDS,
    POSITIVE_WORDS,
    REVIEW_KINDS,
    bucket_by_length,
    load_alice,
    load_nino12_sst,
    make_reviews,
    make_vowel,
    padding_waste,
    split_sentences,
)

# ---------------------------------------------------------------- reviews


def test_make_reviews_pinned_output():
    texts, labels, kinds = make_reviews(4, np.random.default_rng(0))
    assert texts == [
        "The film was good, not terrible",
        "The plot is very bad, not superb.",
        "The food was not only really lovely but also good!",
        "This book is terrible, not brilliant!",
    ]
    assert labels.tolist() == [1, 0, 1, 0]
    assert labels.dtype == np.int64
    assert kinds.tolist() == ["correction", "correction", "not_only", "correction"]


def test_make_reviews_is_deterministic_given_rng_and_advances_it():
    a = make_reviews(50, np.random.default_rng(7))
    b = make_reviews(50, np.random.default_rng(7))
    assert len(a) == 3 and a[0] == b[0] and np.array_equal(a[1], b[1]) and np.array_equal(a[2], b[2])
    rng = np.random.default_rng(7)
    first, second = make_reviews(50, rng), make_reviews(50, rng)
    assert first[0] != second[0]


def test_make_reviews_more_reviews_extend_fewer():
    short = make_reviews(30, np.random.default_rng(3))
    long = make_reviews(300, np.random.default_rng(3))
    assert long[0][:30] == short[0] and np.array_equal(long[1][:30], short[1])
    assert np.array_equal(long[2][:30], short[2])


def _polarity(word: str) -> int:
    assert word in POSITIVE_WORDS or word in NEGATIVE_WORDS, word
    return int(word in POSITIVE_WORDS)


def _adjectives(tokens: list[str]) -> list[str]:
    return [t for t in tokens if t in POSITIVE_WORDS or t in NEGATIVE_WORDS]


def test_make_reviews_labels_follow_the_templates(rng):
    texts, labels, kinds = make_reviews(600, rng)
    assert set(kinds) == set(REVIEW_KINDS)
    for text, y, kind in zip(texts, labels, kinds):
        adj = _adjectives(tokenize(text))
        if kind in ("plain", "negated"):
            assert len(adj) == 1
            expected = _polarity(adj[0]) if kind == "plain" else 1 - _polarity(adj[0])
        else:
            assert len(adj) == 2 and adj[0] != adj[1]
            same = _polarity(adj[0]) == _polarity(adj[1])
            assert same == (kind == "not_only"), text
            expected = _polarity(adj[1]) if kind in ("contrast", "turn") else _polarity(adj[0])
        assert y == expected, text


def _rule(kind: str, adjectives: list[str]) -> int:
    """The label from the template's rule, applied to adjectives in reading order."""
    return _polarity(adjectives[1]) if kind in ("contrast", "turn") else _polarity(adjectives[0])


def test_order_only_kinds_have_mirrors_with_the_same_words_and_the_other_label(rng):
    """Swapping the two adjectives keeps the bag of words and flips the label."""
    texts, labels, kinds = make_reviews(300, rng, kinds=list(ORDER_ONLY_KINDS), intensifier_prob=0.0)
    for text, y, kind in zip(texts, labels, kinds):
        toks = tokenize(text)
        a, b = _adjectives(toks)
        assert _polarity(a) != _polarity(b)
        mirrored = [b if t == a else a if t == b else t for t in toks]
        assert Counter(mirrored) == Counter(toks)
        assert _rule(kind, _adjectives(toks)) == y
        assert _rule(kind, _adjectives(mirrored)) == 1 - y


def test_bag_of_words_cannot_separate_the_chapter_pair():
    docs = [tokenize("not good, actually bad"), tokenize("not bad, actually good")]
    v = Vocabulary.fit(docs)
    ids, mask = pad_sequences([v.encode(d) for d in docs])
    counts = bag_of_words(ids, len(v), mask)
    assert np.array_equal(counts[0], counts[1])


def test_make_reviews_balanced_enough_and_kinds_filter(rng):
    texts, labels, kinds = make_reviews(2000, rng, kinds=["negated", "turn"])
    assert set(kinds) == {"negated", "turn"}
    assert 0.45 < labels.mean() < 0.55
    assert all(t[0].isupper() for t in texts)
    texts, _, _ = make_reviews(200, rng, intensifier_prob=0.0)
    assert not any(w in tokenize(t) for t in texts for w in ("very", "really", "quite"))
    texts, _, kinds = make_reviews(200, rng, intensifier_prob=1.0, kinds=["plain"])
    assert kinds.tolist() == ["plain"] * 200
    assert all(len(tokenize(t.rstrip(".!"))) >= 2 for t in texts)


def test_make_reviews_errors(rng):
    with pytest.raises(ValueError, match="n must be a positive int; got 0"):
        make_reviews(0, rng)
    with pytest.raises(TypeError, match="n must be a positive int; got float 2.5"):
        make_reviews(2.5, rng)
    with pytest.raises(TypeError, match="rng must be a numpy Generator"):
        make_reviews(3, 0)
    with pytest.raises(ValueError, match=r"kinds must be names from .*got unknown \['sarcasm'\]"):
        make_reviews(3, rng, kinds=["plain", "sarcasm"])
    with pytest.raises(TypeError, match="kinds must be a list of template names"):
        make_reviews(3, rng, kinds="plain")
    with pytest.raises(ValueError, match="kinds must name at least one"):
        make_reviews(3, rng, kinds=[])
    with pytest.raises(ValueError, match=r"intensifier_prob must be a probability in \[0, 1\]; got 1.5"):
        make_reviews(3, rng, intensifier_prob=1.5)


# ---------------------------------------------------------------- loaders


def test_data_dir_is_the_repository_data_folder():
    assert DATA_DIR == Path(__file__).resolve().parent.parent / "data"


def test_load_nino12_sst_values():
    months, sst = load_nino12_sst()
    assert months.shape == sst.shape == (732,)
    assert months.dtype == np.dtype("datetime64[M]") and sst.dtype == np.float64
    assert str(months[0]) == "1950-01" and str(months[-1]) == "2010-12"
    assert sst[:3].tolist() == [23.11, 24.2, 25.37]
    assert sst.min() == 18.95 and sst.max() == 29.24
    assert str(months[sst.argmax()]) == "1998-03"  # the 1997-98 El Nino
    assert np.all(np.diff(months).astype(int) == 1)  # monthly, no gaps


def test_loaders_give_a_clear_error_for_a_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"cannot find the course data file 'nino12_sst.csv'; expected it at"):
        load_nino12_sst(tmp_path)
    with pytest.raises(FileNotFoundError, match="alice_in_wonderland.txt"):
        load_alice(tmp_path)


def test_load_nino12_sst_rejects_malformed_files(tmp_path):
    (tmp_path / "nino12_sst.csv").write_text("month,sst\n1950-01,23.1\n")
    with pytest.raises(ValueError, match="must start with the header 'date,value'"):
        load_nino12_sst(tmp_path)
    (tmp_path / "nino12_sst.csv").write_text("date,value\n1950-01,warm\n")
    with pytest.raises(ValueError, match="line 2 must look like '1950-01,23.11'"):
        load_nino12_sst(tmp_path)
    (tmp_path / "nino12_sst.csv").write_text("date,value\n")
    with pytest.raises(ValueError, match="no data rows"):
        load_nino12_sst(tmp_path)


def test_load_alice_strips_headings():
    text = load_alice()
    assert text.startswith("Alice was beginning to get very tired")
    assert text.rstrip().endswith("the happy summer days.")
    for gone in ("CHAPTER", "Down the Rabbit-Hole", "MILLENNIUM", "THE END", "*       *"):
        assert gone not in text


def test_load_alice_on_a_small_file(tmp_path):
    (tmp_path / "alice_in_wonderland.txt").write_text(
        "TITLE\n\n   CHAPTER I\n\n   A Title\n\nOne. Two!\n\n  *   *   *\n\n   CHAPTER II\n\n  Next\n\nThree?\n"
    )
    assert load_alice(tmp_path) == "One. Two!\n\n\n\n\nThree?\n"
    (tmp_path / "alice_in_wonderland.txt").write_text("no headings here\n")
    with pytest.raises(ValueError, match="must contain chapter headings"):
        load_alice(tmp_path)


def test_split_sentences():
    text = "`Oh dear!  Oh dear!  I shall be\nlate!'  (when she thought it over.)\n\nA new paragraph without end"
    assert split_sentences(text) == [
        "`Oh dear!",
        "Oh dear!",
        "I shall be late!'",
        "(when she thought it over.)",
        "A new paragraph without end",
    ]
    assert split_sentences("  \n\n -- ... \n") == []
    assert len(split_sentences(load_alice())) == 1667
    with pytest.raises(TypeError, match="text must be a str; got list"):
        split_sentences(["a"])


# ---------------------------------------------------------------- vowel


def test_make_vowel_shape_scale_and_pinned_values():
    t, s = make_vowel()
    assert t.shape == s.shape == (4000,)
    assert np.abs(s).max() == pytest.approx(1.0)
    assert t[1] == 1 / 8000
    assert s[0] == 0.0  # the envelope starts from silence
    _, tiny = make_vowel(0.01, 1000, 100.0, (200.0,), 50.0)
    np.testing.assert_allclose(
        tiny, [0.0, 0.539172, 0.775022, -0.724505, -1.0, 0.0, 1.0, 0.724505, -0.775022, -0.539172], atol=1e-6
    )


def test_make_vowel_is_periodic_at_the_pitch():
    _, s = make_vowel(duration=1.0, sample_rate=8000, f0=100.0)
    period = 80  # 8000 / 100 samples
    mid = s[3000 : 3000 + 4 * period]
    np.testing.assert_allclose(mid[:period], mid[period : 2 * period], atol=1e-9)
    spectrum = np.abs(np.fft.rfft(s))
    freqs = np.fft.rfftfreq(len(s), 1 / 8000)
    peak = freqs[spectrum.argmax()]
    assert peak % 100 == 0  # every component is a harmonic of f0
    assert min(abs(peak - 730), abs(peak - 1090), abs(peak - 2440)) < 50  # the loudest sits on a formant
    assert spectrum[freqs == 100].item() < 0.01 * spectrum.max()  # far from a formant: almost silent


def test_make_vowel_errors():
    with pytest.raises(ValueError, match=r"f0 must be below the Nyquist frequency sample_rate / 2 = 500.0 Hz; got 600"):
        make_vowel(sample_rate=1000, f0=600.0)
    with pytest.raises(ValueError, match="formants must lie below sample_rate / 2 = 4000.0 Hz; got 5000.0"):
        make_vowel(formants=(700.0, 5000.0))
    with pytest.raises(TypeError, match="formants must be a non-empty list"):
        make_vowel(formants=())
    with pytest.raises(ValueError, match="duration must be a positive finite number; got -1"):
        make_vowel(duration=-1)
    with pytest.raises(ValueError, match="at least 2 samples"):
        make_vowel(duration=1e-4)


# ---------------------------------------------------------------- padding


def test_padding_waste_by_hand():
    L = [3, 1, 4, 1, 5, 9, 2, 6]  # 31 real steps
    assert padding_waste(L) == pytest.approx(1 - 31 / (8 * 9))
    batches = bucket_by_length(L, 3)
    assert [b.tolist() for b in batches] == [[1, 3, 6], [0, 2, 4], [7, 5]]  # ties keep order
    # padded to 2, 5 and 9: 3*2 + 3*5 + 2*9 = 39 slots
    assert padding_waste(L, batches) == pytest.approx(1 - 31 / 39)
    assert padding_waste(L, [np.arange(8)]) == padding_waste(L)
    assert padding_waste([4, 4, 4]) == 0.0


def test_bucketing_never_wastes_more_than_one_batch(rng):
    L = rng.integers(1, 60, size=500)
    one = padding_waste(L)
    random = padding_waste(L, np.array_split(rng.permutation(500), 500 // 16))
    bucketed = padding_waste(L, bucket_by_length(L, 16))
    assert bucketed < random < one


def test_bucket_by_length_shuffles_batches_not_contents():
    L = np.arange(20, 0, -1)
    plain = bucket_by_length(L, 5)
    shuffled = bucket_by_length(L, 5, rng=np.random.default_rng(0))
    assert sorted(map(tuple, shuffled)) == sorted(map(tuple, plain))
    assert [b.tolist() for b in shuffled] != [b.tolist() for b in plain]
    with pytest.raises(TypeError, match="rng must be a numpy Generator"):
        bucket_by_length(L, 5, rng=3)


def test_padding_errors():
    with pytest.raises(TypeError, match=r"lengths must be a 1-D array of shape \(N,\) of ints; got shape \(2, 2\)"):
        padding_waste(np.ones((2, 2), dtype=int))
    with pytest.raises(TypeError, match="of ints; got shape"):
        padding_waste([1.5, 2.0])
    with pytest.raises(ValueError, match="lengths must all be at least 1; got 0"):
        padding_waste([3, 0])
    with pytest.raises(ValueError, match="lengths must hold at least one"):
        padding_waste(np.array([], dtype=int))
    with pytest.raises(ValueError, match="index 2 appears 0 times"):
        padding_waste([1, 2, 3], [np.array([0, 1])])
    with pytest.raises(ValueError, match="index 0 appears 2 times"):
        padding_waste([1, 2, 3], [np.array([0, 1]), np.array([0, 2])])
    with pytest.raises(ValueError, match=r"batch 0 must hold indices in \[0, 3\)"):
        padding_waste([1, 2, 3], [np.array([0, 1, 2, 3])])
    with pytest.raises(TypeError, match="batches must be a list of index arrays"):
        padding_waste([1, 2, 3], np.arange(3))
    with pytest.raises(ValueError, match="batch_size must be a positive int; got 0"):
        bucket_by_length([1, 2], 0)
