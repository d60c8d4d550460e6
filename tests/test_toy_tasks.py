"""The seeded toy tasks of chapter 3: pinned outputs, invariants and error messages."""

from collections import Counter, defaultdict

import numpy as np
import pytest

from rnnlib import tokenize
from rnnlib.toy_tasks import (
    AMBIGUOUS_WORDS,
    CYCLES_RANGE,
    DAMPING_RANGE,
    MESSAGE_CLAUSES,
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
        "hi, is the call free tomorrow",
        "ok so, a gift card is waiting for you, call me back",
        "hello again, you are a winner today",
        "hi mum, a gift card is waiting for you, text me",
    ]
    assert labels.tolist() == [0, 1, 1, 1] and labels.dtype == np.int64


def test_make_messages_twins_differ_only_in_word_order():
    spam, ones = make_messages(300, np.random.default_rng(5), spam_fraction=1.0)
    ham, zeros = make_messages(300, np.random.default_rng(5), spam_fraction=0.0)
    assert ones.sum() == 300 and zeros.sum() == 0
    questions = {form.split()[0] for _, form in MESSAGE_CLAUSES}
    assert questions == {"have", "were", "can", "is", "are"}
    for s, h in zip(spam, ham):
        assert s != h and sorted(tokenize(s)) == sorted(tokenize(h))  # same words, other order
        s_clause, h_clause = s.split(", ")[1].split(), h.split(", ")[1].split()
        assert h_clause[0] in questions and s_clause[0] not in questions  # a question is not spam


def test_make_messages_no_word_gives_the_label_away():
    texts, labels = make_messages(2000, np.random.default_rng(1))
    assert 0.45 < labels.mean() < 0.55
    spam = Counter(w for t, y in zip(texts, labels) if y for w in tokenize(t))
    ham = Counter(w for t, y in zip(texts, labels) if not y for w in tokenize(t))
    assert set(spam) == set(ham)
    n_spam, n_ham = labels.sum(), len(labels) - labels.sum()
    for word in spam:  # every word is about as frequent per message in either class
        assert abs(spam[word] / n_spam - ham[word] / n_ham) < 0.06, word
    firsts = {y: {tokenize(t)[0] for t, lab in zip(texts, labels) if lab == y} for y in (0, 1)}
    assert firsts[0] == firsts[1] == {"hi", "hey", "morning", "ok", "guess", "hello"}
    assert make_messages(20, np.random.default_rng(2), spam_fraction=0.0)[1].sum() == 0
    assert make_messages(20, np.random.default_rng(2), spam_fraction=1.0)[1].sum() == 20


def test_make_messages_needs_order_a_recurrent_network_learns_it():
    from rnnlib import Adam, BagOfWordsClassifier, ManyToOne, Vocabulary, fit, pad_sequences

    rng = np.random.default_rng(0)
    (train, y_train), (test, y_test) = make_messages(400, rng), make_messages(400, rng)
    vocab = Vocabulary.fit([tokenize(t) for t in train])
    ids, mask = pad_sequences([vocab.encode(tokenize(t)) for t in train])
    test_ids, test_mask = pad_sequences([vocab.encode(tokenize(t)) for t in test])
    acc = {}
    bow = BagOfWordsClassifier(len(vocab))
    fit(bow, (ids, y_train.astype(float), mask), Adam(lr=0.05), np.random.default_rng(1), epochs=20)
    acc["bag of words"] = np.mean(bow.predict(test_ids, test_mask) == y_test)
    rnn = ManyToOne(vocab_size=len(vocab), hidden_size=16, rng=np.random.default_rng(1), embedding_size=8)
    fit(rnn, (ids, y_train.astype(float), mask), Adam(lr=0.01), np.random.default_rng(2), epochs=20, batch_size=20)
    acc["rnn"] = np.mean(rnn.predict(test_ids, test_mask) == y_test)
    assert acc["bag of words"] < 0.6 and acc["rnn"] > 0.95, acc


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


# -- chapter 7: a first word tagged by the word after it ------------------------------


def test_lookahead_sentences_first_word_is_decided_by_the_next_word():
    from rnnlib.toy_tasks import NOUN_OR_VERB, TAGS, make_lookahead_sentences

    sentences, tags = make_lookahead_sentences(600, np.random.default_rng(0))
    assert len(sentences) == len(tags) == 600
    assert all(len(s) == len(t) and 2 <= len(s) <= 11 for s, t in zip(sentences, tags))
    assert {t for ts in tags for t in ts} <= set(TAGS)
    opening = [(t[0], t[1]) for s, t in zip(sentences, tags) if s[0] in NOUN_OR_VERB]
    assert 0.4 < len(opening) / 600 < 0.6
    # the rule: a verb before a determiner, a noun before an auxiliary, and nothing else
    assert all((first, second) in {("VERB", "DET"), ("NOUN", "AUX")} for first, second in opening)
    # both readings are common, so the first word alone gives a coin toss
    verbs = sum(first == "VERB" for first, _ in opening)
    assert 0.4 < verbs / len(opening) < 0.6
    # every other sentence opens with a pronoun, and later ambiguous words follow their left neighbour
    assert all(t[0] == "PRON" for s, t in zip(sentences, tags) if s[0] not in NOUN_OR_VERB)
    after = {"DET": "NOUN", "ADJ": "NOUN", "PRON": "VERB", "AUX": "VERB"}
    later = [(t[i - 1], t[i]) for s, t in zip(sentences, tags) for i in range(1, len(s)) if s[i] in NOUN_OR_VERB]
    assert later and all(after[prev] == tag for prev, tag in later)


def test_lookahead_sentences_seed_probability_and_errors():
    from rnnlib.toy_tasks import NOUN_OR_VERB, make_lookahead_sentences

    a = make_lookahead_sentences(20, np.random.default_rng(3))
    assert a == make_lookahead_sentences(20, np.random.default_rng(3))
    assert a != make_lookahead_sentences(20, np.random.default_rng(4))
    never, _ = make_lookahead_sentences(50, np.random.default_rng(0), ambiguous_start=0)
    always, _ = make_lookahead_sentences(50, np.random.default_rng(0), ambiguous_start=1)
    assert not any(s[0] in NOUN_OR_VERB for s in never) and all(s[0] in NOUN_OR_VERB for s in always)
    with pytest.raises(ValueError, match=r"ambiguous_start must be a probability in \[0, 1\]; got float 1.5"):
        make_lookahead_sentences(5, np.random.default_rng(0), ambiguous_start=1.5)
    with pytest.raises(ValueError, match="n must be a positive int; got 0"):
        make_lookahead_sentences(0, np.random.default_rng(0))
    with pytest.raises(TypeError, match="rng must be a numpy Generator"):
        make_lookahead_sentences(5, 0)


def test_only_a_bidirectional_tagger_learns_the_first_word():
    from rnnlib import Adam, Vocabulary, fit, pad_sequences
    from rnnlib.architectures import ManyToManyTagger
    from rnnlib.metrics import masked_accuracy
    from rnnlib.toy_tasks import NOUN_OR_VERB, TAGS, make_lookahead_sentences

    rng = np.random.default_rng(0)
    (s_tr, t_tr), (s_te, t_te) = make_lookahead_sentences(300, rng), make_lookahead_sentences(200, rng)
    words, tag_vocab = Vocabulary.fit(s_tr), Vocabulary(TAGS)

    def arrays(sentences, tags):
        ids, mask = pad_sequences([words.encode(s) for s in sentences])
        return ids, pad_sequences([tag_vocab.encode(t) for t in tags], max_len=ids.shape[1])[0], mask

    train, (ids, labels, mask) = arrays(s_tr, t_tr), arrays(s_te, t_te)
    first = np.zeros_like(mask)
    first[:, 0] = [s[0] in NOUN_OR_VERB for s in s_te]
    acc = {}
    for bidirectional in (False, True):
        model = ManyToManyTagger(
            len(words), len(tag_vocab), 12, np.random.default_rng(1), 6, bidirectional=bidirectional
        )
        fit(model, train, Adam(lr=0.03), np.random.default_rng(2), epochs=8)
        acc[bidirectional] = masked_accuracy(model.predict(ids, mask), labels, first)
    assert acc[False] < 0.7 < 0.95 < acc[True]


# ---------------------------------------------------------------- noun phrases into Spanish (chapter 8)


def test_translate_noun_phrases_moves_adjectives_after_nouns():
    from rnnlib.toy_tasks import translate_noun_phrases

    spanish, alignment = translate_noun_phrases(["big", "cat", "and", "dog", "and", "green", "fish"])
    assert spanish == ["gato", "grande", "y", "perro", "y", "pez", "verde"]
    assert alignment == [1, 0, 2, 3, 4, 6, 5]
    assert translate_noun_phrases(["wolf"]) == (["lobo"], [0])
    assert translate_noun_phrases(("young", "bear")) == (["oso", "joven"], [1, 0])


def test_translate_noun_phrases_errors():
    from rnnlib.toy_tasks import translate_noun_phrases

    with pytest.raises(TypeError, match="words must be a list of English tokens; got str"):
        translate_noun_phrases("big cat")
    with pytest.raises(ValueError, match="words must hold at least one noun phrase"):
        translate_noun_phrases([])
    with pytest.raises(ValueError, match=r"word 1 must be 'and' between two noun phrases; got 'dog'"):
        translate_noun_phrases(["cat", "dog"])
    with pytest.raises(ValueError, match=r"the adjective 'big' \(word 2\) must be followed by a noun; got the end"):
        translate_noun_phrases(["cat", "and", "big"])
    with pytest.raises(ValueError, match=r"the adjective 'big' \(word 0\) must be followed by a noun; got 'green'"):
        translate_noun_phrases(["big", "green", "cat"])
    with pytest.raises(ValueError, match=r"word 0 must be a noun or adjective .*; got 'the'"):
        translate_noun_phrases(["the", "cat"])
    with pytest.raises(ValueError, match="must not end with 'and'"):
        translate_noun_phrases(["cat", "and"])


def test_make_noun_phrase_translation_lengths_grammar_and_seed():
    from rnnlib.toy_tasks import PHRASE_ADJECTIVES, make_noun_phrase_translation, translate_noun_phrases

    sources, targets = make_noun_phrase_translation(600, np.random.default_rng(3), min_len=3, max_len=15)
    lengths = Counter(len(s) for s in sources)
    assert set(lengths) == set(range(3, 16))  # every length from 3 to 15 occurs ...
    assert min(lengths.values()) > 25  # ... about equally often (600 / 13 = 46 on average)
    for s, t in zip(sources, targets):
        assert t == translate_noun_phrases(s)[0] and len(t) == len(s)
    with_adjective = sum(w in PHRASE_ADJECTIVES for s in sources for w in s)
    assert with_adjective > 0.2 * sum(len(s) for s in sources) / 2  # adjectives are common
    again = make_noun_phrase_translation(600, np.random.default_rng(3), min_len=3, max_len=15)
    assert again == (sources, targets)
    first = make_noun_phrase_translation(3, np.random.default_rng(0), min_len=3, max_len=6)
    assert first == (
        [["green", "cat", "and", "cat", "and", "cat"], ["wolf", "and", "fish", "and", "bear"],
         ["bear", "and", "fish", "and", "fish"]],
        [["gato", "verde", "y", "gato", "y", "gato"], ["lobo", "y", "pez", "y", "oso"], ["oso", "y", "pez", "y", "pez"]],
    )  # fmt: skip
    no_adj, _ = make_noun_phrase_translation(50, np.random.default_rng(1), min_len=1, max_len=9, adjective_prob=0.0)
    assert all(s.count("and") == (len(s) - 1) // 2 for s in no_adj if len(s) % 2 == 1)


def test_make_noun_phrase_translation_errors():
    from rnnlib.toy_tasks import make_noun_phrase_translation

    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="min_len must be at most max_len; got min_len=5, max_len=4"):
        make_noun_phrase_translation(3, rng, min_len=5, max_len=4)
    with pytest.raises(ValueError, match=r"adjective_prob must be a probability in \[0, 1\]; got float 1.5"):
        make_noun_phrase_translation(3, rng, adjective_prob=1.5)
    with pytest.raises(TypeError, match="rng must be a numpy Generator"):
        make_noun_phrase_translation(3, 0)
    with pytest.raises(ValueError, match="n must be a positive int; got 0"):
        make_noun_phrase_translation(0, rng)
