"""The seeded toy tasks of chapter 3: pinned outputs, invariants and error messages."""

from collections import Counter, defaultdict

import numpy as np
import pytest

from rnnlib import tokenize
from rnnlib.toy_tasks import (
    AMBIGUOUS_WORDS,
    CYCLES_RANGE,
    DAMPING_RANGE,
    NOUN_OR_AUX,
    NOUN_OR_VERB,
    NUMBER_WORDS,
    TAGS,
    dequantise,
    make_messages,
    make_number_translation,
    make_plucked_strings,
    make_tagged_sentences,
    number_to_digits,
    number_to_words,
    plucked_string,
    quantise,
)

# ---------------------------------------------------------------- plucked strings


def test_plucked_string_corners_match_the_formula():
    T = 20
    waves = plucked_string(np.array([[-1.0, -1.0], [1.0, 1.0]]), steps=T)
    s = np.arange(1, T + 1) / T
    f_lo, f_hi = CYCLES_RANGE
    k_hi = DAMPING_RANGE[1]
    np.testing.assert_allclose(waves[0, :, 0], np.sin(2 * np.pi * f_lo * s), atol=1e-15)  # no damping
    np.testing.assert_allclose(waves[1, :, 0], np.exp(-k_hi * s) * np.sin(2 * np.pi * f_hi * s), atol=1e-15)
    assert waves.shape == (2, T, 1) and waves.dtype == np.float64


def test_plucked_string_middle_condition_pinned():
    wave = plucked_string(np.zeros((1, 2)), steps=4)[0, :, 0]
    # f = 2.75 cycles, k = 1.5: y_t = exp(-1.5 t/4) sin(2 pi 2.75 t/4)
    np.testing.assert_allclose(wave, [-0.6349725, 0.3340136, 0.1242391, -0.2231302], atol=1e-7)


def test_make_plucked_strings_is_seeded_and_in_range():
    a = make_plucked_strings(50, np.random.default_rng(3), steps=12)
    b = make_plucked_strings(50, np.random.default_rng(3), steps=12)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    v, y = a
    assert v.shape == (50, 2) and y.shape == (50, 12, 1)
    assert np.abs(v).max() <= 1 and np.abs(y).max() <= 1
    np.testing.assert_array_equal(y, plucked_string(v, 12))


def test_plucked_string_errors():
    with pytest.raises(
        ValueError, match=r"conditions must have shape \(N, 2\) with columns \(pitch, damping\); got \(3,\)"
    ):
        plucked_string(np.zeros(3))
    with pytest.raises(ValueError, match=r"conditions must lie in \[-1, 1\]; got values from 0 to 2"):
        plucked_string(np.array([[0.0, 2.0]]))
    with pytest.raises(ValueError, match="steps must be a positive int; got 0"):
        plucked_string(np.zeros((1, 2)), steps=0)
    with pytest.raises(TypeError, match="rng must be a numpy Generator"):
        make_plucked_strings(3, rng=0)


def test_quantise_levels_and_round_trip():
    np.testing.assert_array_equal(quantise(np.array([-1.0, -0.5, 0.0, 0.49, 1.0]), levels=5), [0, 1, 2, 3, 4])
    np.testing.assert_allclose(dequantise(np.array([0, 1, 2, 3, 4]), levels=5), [-1, -0.5, 0, 0.5, 1])
    v = np.random.default_rng(0).uniform(-1, 1, (6, 7))
    ids = quantise(v, 16)
    assert ids.shape == v.shape and ids.dtype == np.int64 and ids.min() >= 0 and ids.max() <= 15
    assert np.abs(dequantise(ids, 16) - v).max() <= 1 / 15 + 1e-12  # half a level spacing of 2/15
    np.testing.assert_array_equal(quantise(dequantise(ids, 16), 16), ids)


def test_quantise_errors():
    with pytest.raises(ValueError, match=r"values must lie in \[-1, 1\]; got values from -1 to 1.5"):
        quantise(np.array([-1.0, 1.5]))
    with pytest.raises(ValueError, match="levels must be at least 2; got 1"):
        quantise(np.zeros(2), levels=1)
    with pytest.raises(ValueError, match=r"ids must hold ids in \[0, 4\); got 4"):
        dequantise(np.array([0, 4]), levels=4)


# ---------------------------------------------------------------- messages


def test_make_messages_pinned_output():
    texts, labels = make_messages(4, np.random.default_rng(0))
    assert texts == [
        "we won the match tomorrow",
        "urgent, you have won a gift card. call free tomorrow",
        "final notice, you have won a free phone. click the link",
        "congratulations, win a gift card now. click the link",
    ]
    assert labels.tolist() == [0, 1, 1, 1] and labels.dtype == np.int64


def test_make_messages_shared_words_and_fraction():
    texts, labels = make_messages(600, np.random.default_rng(1))
    assert 0.4 < labels.mean() < 0.6
    spam = Counter(w for t, y in zip(texts, labels) if y for w in tokenize(t))
    ham = Counter(w for t, y in zip(texts, labels) if not y for w in tokenize(t))
    for word in ("free", "call", "won", "win", "today"):
        assert spam[word] > 0 and ham[word] > 0, word  # no single word gives the label away
    assert make_messages(20, np.random.default_rng(2), spam_fraction=0.0)[1].sum() == 0
    assert make_messages(20, np.random.default_rng(2), spam_fraction=1.0)[1].sum() == 20


def test_make_messages_errors():
    with pytest.raises(ValueError, match=r"spam_fraction must be a probability in \[0, 1\]; got float 1.5"):
        make_messages(3, np.random.default_rng(0), spam_fraction=1.5)
    with pytest.raises(ValueError, match="n must be a positive int; got 0"):
        make_messages(0, np.random.default_rng(0))


# ---------------------------------------------------------------- tagged sentences


def test_make_tagged_sentences_pinned_output():
    sentences, tags = make_tagged_sentences(3, np.random.default_rng(0))
    assert [" ".join(s) for s in sentences] == [
        "my small duck must paint my girl today",
        "this man can like the man near a lake",
        "my small lake can find",
    ]
    assert [" ".join(t) for t in tags] == [
        "DET ADJ NOUN AUX VERB DET NOUN ADV",
        "DET NOUN AUX VERB DET NOUN PREP DET NOUN",
        "DET ADJ NOUN AUX VERB",
    ]


def test_tagged_sentences_previous_word_decides_the_tag_of_ambiguous_words():
    sentences, tags = make_tagged_sentences(2000, np.random.default_rng(5))
    seen: dict[str, set[str]] = defaultdict(set)
    for words, ts in zip(sentences, tags):
        assert len(words) == len(ts) and 2 <= len(words) <= 13
        assert set(ts) <= set(TAGS)
        for i, (w, t) in enumerate(zip(words, ts)):
            seen[w].add(t)
            if w in AMBIGUOUS_WORDS:
                prev = ts[i - 1]
                if prev in ("DET", "ADJ"):
                    assert t == "NOUN", (words, i)
                else:
                    assert t == ("VERB" if w in NOUN_OR_VERB else "AUX"), (words, i)
    for w in NOUN_OR_VERB:
        assert seen[w] == {"NOUN", "VERB"}, w
    assert seen[NOUN_OR_AUX[0]] == {"NOUN", "AUX"}
    unambiguous = [w for w in seen if w not in AMBIGUOUS_WORDS]
    assert all(len(seen[w]) == 1 for w in unambiguous)


def test_tagged_sentences_without_ambiguity():
    sentences, _ = make_tagged_sentences(300, np.random.default_rng(1), ambiguous_prob=0.0)
    words = {w for s in sentences for w in s}
    assert not words & set(NOUN_OR_VERB)


def test_make_tagged_sentences_errors():
    with pytest.raises(ValueError, match=r"ambiguous_prob must be a probability in \[0, 1\]; got int 2"):
        make_tagged_sentences(3, np.random.default_rng(0), ambiguous_prob=2)
    with pytest.raises(TypeError, match="rng must be a numpy Generator"):
        make_tagged_sentences(3, None)


# ---------------------------------------------------------------- number words


@pytest.mark.parametrize(
    ("n", "words"),
    [
        (0, "zero"),
        (7, "seven"),
        (10, "ten"),
        (13, "thirteen"),
        (40, "forty"),
        (42, "forty two"),
        (100, "one hundred"),
        (105, "one hundred and five"),
        (110, "one hundred and ten"),
        (117, "one hundred and seventeen"),
        (342, "three hundred and forty two"),
        (900, "nine hundred"),
        (999, "nine hundred and ninety nine"),
    ],
)
def test_number_to_words(n, words):
    assert " ".join(number_to_words(n)) == words


def test_number_words_are_distinct_and_use_the_vocabulary():
    texts = {" ".join(number_to_words(k)) for k in range(1000)}
    assert len(texts) == 1000
    used = {w for k in range(1000) for w in number_to_words(k)}
    assert used == set(NUMBER_WORDS) and len(NUMBER_WORDS) == 30
    lengths = Counter(len(number_to_words(k)) for k in range(1000))
    assert set(lengths) == {1, 2, 4, 5}  # 3 is impossible: "x hundred and" needs a word after it


def test_number_to_digits_and_pairs():
    assert number_to_digits(307) == ["3", "0", "7"] and number_to_digits(5) == ["5"]
    sources, targets = make_number_translation(np.array([12, 250]))
    assert sources == [["1", "2"], ["2", "5", "0"]]
    assert targets == [["twelve"], ["two", "hundred", "and", "fifty"]]


def test_number_errors():
    with pytest.raises(ValueError, match="n must be an int from 0 to 999; got 1000"):
        number_to_words(1000)
    with pytest.raises(TypeError, match="n must be an int from 0 to 999; got float 3.0"):
        number_to_digits(3.0)
    with pytest.raises(ValueError, match="numbers must hold at least one number; got none"):
        make_number_translation([])
    with pytest.raises(TypeError, match="numbers must be an iterable of ints"):
        make_number_translation("123")
