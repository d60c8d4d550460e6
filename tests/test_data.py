"""Tokens, vocabulary, padding with masks, one-hot, bag of words, mini-batches."""

import numpy as np
import pytest

from rnnlib import PAD, UNK, Vocabulary, bag_of_words, minibatches, one_hot, pad_sequences, tokenize


def test_tokenize():
    assert tokenize("Not good, actually BAD!") == ["not", "good", ",", "actually", "bad", "!"]
    assert tokenize("It isn't 42.") == ["it", "isn't", "42", "."]
    with pytest.raises(TypeError, match="text must be a str; got list"):
        tokenize(["a"])


def test_vocabulary_fit_encode_decode():
    docs = [tokenize("the film was good"), tokenize("the film was not good"), tokenize("bad")]
    v = Vocabulary.fit(docs)
    assert v.id_to_token[:2] == [PAD, UNK]
    assert v.id_to_token[2:] == ["film", "good", "the", "was", "bad", "not"]  # by count, then a-z
    assert len(v) == 8
    ids = v.encode(tokenize("the film was dull"))
    assert ids == [4, 2, 5, v.unk_id]
    assert v.decode(ids + [0, 0]) == ["the", "film", "was", UNK]
    assert v.decode([0, 3], skip_pad=False) == [PAD, "good"]
    assert "good" in v and "dull" not in v
    assert "size=8" in repr(v)


def test_vocabulary_limits_and_errors():
    docs = [["a", "a", "b", "c", "c", "c"]]
    assert Vocabulary.fit(docs, min_count=2).id_to_token == [PAD, UNK, "c", "a"]
    assert Vocabulary.fit(docs, max_size=3).id_to_token == [PAD, UNK, "c"]
    with pytest.raises(TypeError, match="Use tokenize"):
        Vocabulary.fit(["the film"])
    with pytest.raises(TypeError, match="encode takes a list of tokens"):
        Vocabulary.fit(docs).encode("a")
    with pytest.raises(ValueError, match=r"ids must hold ids in \[0, 5\); got 9"):
        Vocabulary.fit(docs).decode([9])
    with pytest.raises(ValueError, match="min_count must be a positive int; got 0"):
        Vocabulary.fit(docs, min_count=0)


def test_pad_ids():
    padded, mask = pad_sequences([[5, 6, 7], [8], [9, 10]])
    np.testing.assert_array_equal(padded, [[5, 6, 7], [8, 0, 0], [9, 10, 0]])
    np.testing.assert_array_equal(mask, [[1, 1, 1], [1, 0, 0], [1, 1, 0]])
    assert padded.dtype == np.int64 and mask.dtype == bool
    truncated, m = pad_sequences([[1, 2, 3], [4]], max_len=2)
    np.testing.assert_array_equal(truncated, [[1, 2], [4, 0]])
    assert m.sum() == 3


def test_pad_features():
    a, b = np.ones((3, 2)), 2 * np.ones((1, 2))
    padded, mask = pad_sequences([a, b])
    assert padded.shape == (2, 3, 2)
    np.testing.assert_array_equal(padded[1, 1:], 0)
    np.testing.assert_array_equal(mask.sum(axis=1), [3, 1])


def test_pad_errors():
    with pytest.raises(ValueError, match="sequence 1 is empty"):
        pad_sequences([[1], []])
    with pytest.raises(ValueError, match="at least one sequence; got an empty list"):
        pad_sequences([])
    with pytest.raises(ValueError, match="sequence 1 must have D=2 features like sequence 0; got 3"):
        pad_sequences([np.ones((2, 2)), np.ones((2, 3))])
    with pytest.raises(TypeError, match="sequence 0 must be an integer array"):
        pad_sequences([[0.5, 1.5]])


def test_one_hot():
    out = one_hot(np.array([[0, 2], [1, 1]]), 3)
    assert out.shape == (2, 2, 3)
    np.testing.assert_array_equal(out[0, 1], [0, 0, 1])
    with pytest.raises(ValueError, match=r"ids must hold ids in \[0, 3\); got 3"):
        one_hot(np.array([3]), 3)


def test_bag_of_words_forgets_order():
    v = Vocabulary.fit([tokenize("not good , actually bad")])
    a, _ = pad_sequences([v.encode(tokenize("not good, actually bad")), v.encode(tokenize("not bad, actually good"))])
    counts = bag_of_words(a, len(v))
    np.testing.assert_array_equal(counts[0], counts[1])
    assert counts[0, 0] == 0 and counts.sum() == 10
    padded, mask = pad_sequences([[2, 2, 3], [4]])
    np.testing.assert_array_equal(bag_of_words(padded, 5, mask), [[0, 0, 2, 1, 0], [0, 0, 0, 0, 1]])


def test_minibatches_cover_every_example_once():
    x, y = np.arange(10), np.arange(10) * 2
    batches = list(minibatches(x, y, batch_size=4, rng=np.random.default_rng(0)))
    assert [len(b[0]) for b in batches] == [4, 4, 2]
    seen = np.concatenate([b[0] for b in batches])
    np.testing.assert_array_equal(np.sort(seen), x)
    for bx, by in batches:
        np.testing.assert_array_equal(by, 2 * bx)
    again = list(minibatches(x, y, batch_size=4, rng=np.random.default_rng(0)))
    np.testing.assert_array_equal(again[0][0], batches[0][0])  # same seed, same order


def test_minibatch_errors():
    with pytest.raises(ValueError, match="array 1 has 3"):
        next(minibatches(np.zeros(4), np.zeros(3), batch_size=2, rng=np.random.default_rng(0)))
    with pytest.raises(TypeError, match=r"rng must be a numpy Generator, e.g. np.random.default_rng\(0\); got int"):
        next(minibatches(np.zeros(4), batch_size=2, rng=0))
    with pytest.raises(ValueError, match="batch_size must be a positive int; got 0"):
        next(minibatches(np.zeros(4), batch_size=0, rng=np.random.default_rng(0)))


def test_pad_value_for_ids_must_be_a_non_negative_int():
    """A fractional pad was truncated and a negative one written as an impossible id."""
    for bad in (0.5, -1, True):
        with pytest.raises(ValueError, match=r"pad_value for token ids must be a non-negative int \(0 is <pad>\); got"):
            pad_sequences([[1, 2], [3]], pad_value=bad)
    ids, _ = pad_sequences([[1, 2], [3]], pad_value=np.int64(7))
    assert ids.tolist() == [[1, 2], [3, 7]]
    floats, _ = pad_sequences([np.ones((2, 1)), np.ones((1, 1))], pad_value=-0.5)  # any value for features
    assert floats[1, 1, 0] == -0.5


def test_bag_of_words_checks_its_mask_like_every_other_function():
    ids = np.array([[1, 2, 0]])
    with pytest.raises(ValueError, match="mask must contain only 0 and 1"):
        bag_of_words(ids, 3, np.array([[1, 2, 0]]))
    with pytest.raises(ValueError, match=r"mask must have shape \(1, 3\); got \(1, 2\)"):
        bag_of_words(ids, 3, np.array([[1, 1]]))
    assert bag_of_words(ids, 3, np.array([[1, 0, 0]])).tolist() == [[0, 1, 0]]


def test_minibatches_draw_a_fresh_order_from_the_generator_every_pass():
    """Every pass is a new permutation drawn from rng: not the data's own order, different
    from the previous pass and under another generator, the same again under the same seed,
    and over many passes every example equally likely to come first."""
    x = np.arange(20)

    def order(rng, **kw):
        return np.concatenate([b[0] for b in minibatches(x, batch_size=6, rng=rng, **kw)])

    rng = np.random.default_rng(0)
    first, second = order(rng), order(rng)  # two passes (epochs) from one generator
    for o in (first, second):
        np.testing.assert_array_equal(np.sort(o), x)  # each example once per pass
    assert not np.array_equal(first, x)  # 1 chance in 20! to fail by accident
    assert not np.array_equal(second, first)
    assert not np.array_equal(order(np.random.default_rng(1)), first)
    np.testing.assert_array_equal(order(np.random.default_rng(0)), first)
    np.testing.assert_array_equal(order(np.random.default_rng(0), shuffle=False), x)  # unless asked not to
    passes, n = 4000, 5
    rng = np.random.default_rng(2)
    leading = [next(minibatches(np.arange(n), batch_size=2, rng=rng))[0][0] for _ in range(passes)]
    counts = np.bincount(leading, minlength=n)
    assert np.abs(counts - passes / n).max() < 5 * np.sqrt(passes * (1 / n) * (1 - 1 / n))  # 5 standard deviations


def test_data_errors_name_the_argument():
    cases = [
        (lambda: Vocabulary(["a", 3]), TypeError, "tokens must be strings; got int 3"),
        (lambda: Vocabulary(5), TypeError, r"tokens must be an iterable of strings, e\.g\. a list of words; got int 5"),
        (lambda: Vocabulary.fit("the film"), TypeError, r"corpus must be a list of token lists, e\.g\. \[tokenize"),
        (lambda: Vocabulary.fit([["a"]], max_size=0), ValueError, "max_size must be a positive int; got 0"),
        (lambda: Vocabulary.fit([["a"]], max_size=1), ValueError, "max_size must be at least 2 .*; got 1"),
        (lambda: pad_sequences("abc"), TypeError, "sequences must be a list of sequences; got str 'abc'"),
        (lambda: pad_sequences(s for s in [[1]]), TypeError, "sequences must be a list of sequences; got generator"),
        (
            lambda: pad_sequences([[1], [[1], [2]]]),
            ValueError,
            r"sequence 1 must be a flat list of ids like sequence 0",
        ),
        (
            lambda: pad_sequences([np.ones((2, 2)), np.ones(3)]),
            ValueError,
            r"sequence 1 must be a \(T_n, D\) float array",
        ),
        (lambda: pad_sequences([[1]], max_len=0), ValueError, "max_len must be a positive int; got 0"),
        (lambda: one_hot(np.array([0]), 0), ValueError, "num_classes must be a positive int; got 0"),
        (lambda: next(minibatches(batch_size=2, rng=np.random.default_rng(0))), ValueError, "needs at least one array"),
        (lambda: bag_of_words(np.array([[1]]), 0), ValueError, "vocab_size must be a positive int; got 0"),
        (lambda: bag_of_words(np.array([[0.5]]), 3), TypeError, "ids must be an integer array"),
        (lambda: bag_of_words(np.array([[5]]), 3), ValueError, r"ids must hold ids in \[0, 3\); got 5"),
        (lambda: bag_of_words(np.array([1, 2]), 3), ValueError, r"ids must have shape \(N, T\); got \(2,\)"),
    ]
    for call, error, message in cases:
        with pytest.raises(error, match=message):
            call()


def test_vocabulary_gives_each_token_one_id():
    """Repeated tokens, or the special tokens passed again, do not get a second id."""
    v = Vocabulary(["a", "b", "a", PAD, UNK, "b", "c"])
    assert v.id_to_token == [PAD, UNK, "a", "b", "c"]
    assert v.token_to_id == {PAD: 0, UNK: 1, "a": 2, "b": 3, "c": 4}
    assert Vocabulary.fit([["a", "b"]], max_size=2).id_to_token == [PAD, UNK]  # the smallest vocabulary
    assert v.decode(range(2, 5)) == ["a", "b", "c"]  # any iterable of ids, not only lists
    assert v.decode(i for i in [4, 0, 2]) == ["c", "a"]


def test_vocabulary_repr_shows_the_first_five_tokens():
    assert repr(Vocabulary(list("abcde"))) == "Vocabulary(size=7, tokens=[<pad>, <unk>, a, b, c, d, e])"
    assert repr(Vocabulary(list("abcdef"))) == "Vocabulary(size=8, tokens=[<pad>, <unk>, a, b, c, d, e, ...])"


def test_padding_keeps_the_inputs_dtype():
    """float32 features stay float32 (a model in float32 would otherwise be upcast), one-hot
    vectors take the dtype asked for, and padded ids are int64 whatever integer type the pad
    value has (an int8 pad must not wrap id 300 around)."""
    feats, _ = pad_sequences([np.ones((2, 3), dtype=np.float32), np.ones((1, 3), dtype=np.float32)])
    assert feats.dtype == np.float32
    single, mask = pad_sequences([np.ones((2, 3))], max_len=3)  # one sequence is a batch too
    assert single.shape == (1, 3, 3) and mask.tolist() == [[True, True, False]]
    ids, _ = pad_sequences([[300], [1, 2]], pad_value=np.int8(0))
    assert ids.dtype == np.int64 and ids.tolist() == [[300, 0], [1, 2]]
    assert one_hot(np.array([1]), 3, dtype=np.float32).dtype == np.float32


def test_bag_of_words_without_a_mask_skips_only_padding():
    """Without a mask, id 0 (<pad>) is left out; id 1 (<unk>) is a word like any other."""
    np.testing.assert_array_equal(bag_of_words(np.array([[2, 1, 1, 0, 0]]), 3), [[0, 2, 1]])
