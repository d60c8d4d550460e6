"""Small seeded tasks, one per architecture type (chapter 3).

Each task is tiny enough to train in about a second with numpy, yet needs the shape
of model it illustrates:

- one-to-many: :func:`make_plucked_strings`, a whole decaying note generated from one
  condition vector (its pitch and its damping), read as a sequence of levels by
  :func:`quantise`;
- many-to-one: :func:`make_messages`, short text messages labelled spam or not, where
  only the order of the words tells the two apart;
- many-to-many, aligned: :func:`make_tagged_sentences`, sentences from a tiny grammar
  whose ambiguous words ("fish", "watch", "can", ...) take their part of speech from
  the word before them; and :func:`make_lookahead_sentences` (chapter 7), where a
  sentence's first word takes it from the word *after* it;
- many-to-many, different lengths: :func:`number_to_words`, digits to English number
  words ("3 4 2" -> "three hundred and forty two"); and
  :func:`make_noun_phrase_translation` (chapter 8), English noun phrases into Spanish,
  where adjectives move behind their nouns ("big cat" -> "gato grande").

Contract, once for the module: every generator that samples takes
``rng: np.random.Generator`` and is deterministic given its state; nothing here
touches global random state.  Text comes back as lists of tokens (or strings for the
messages, to be split with :func:`rnnlib.data.tokenize`); turn them into ids with
:class:`rnnlib.data.Vocabulary` and :func:`rnnlib.data.pad_sequences`.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
from numpy.typing import NDArray

from rnnlib._checks import _describe, as_float_array, as_int_array, check_rng, positive_int

# ---------------------------------------------------------------------------
# One-to-many: a plucked string
# ---------------------------------------------------------------------------

#: Range of the pitch, in cycles per window of ``steps`` samples, and of the damping
#: (how many e-foldings the amplitude decays by over the window).  A condition of
#: -1 maps to the low end of each range and +1 to the high end.
CYCLES_RANGE = (1.5, 4.0)
DAMPING_RANGE = (0.0, 3.0)


def plucked_string(conditions: NDArray[np.floating], steps: int = 40) -> NDArray[np.float64]:
    """The note each condition describes: a sine wave whose amplitude decays.

        y_t = exp(-k t / T) sin(2 pi f t / T),   t = 1, ..., T

    where the pitch f (cycles per window) and the damping k come from the two
    columns of ``conditions`` mapped linearly from [-1, 1] onto :data:`CYCLES_RANGE`
    and :data:`DAMPING_RANGE`.  At t = 0 every wave is exactly 0, which is why a
    generator may start from a zero input.

    Parameters
    ----------
    conditions : ndarray of shape (N, 2)
        columns (pitch, damping), each in [-1, 1]
    steps : int
        T, the number of samples

    Returns
    -------
    waves : ndarray of shape (N, T, 1)
    """
    v = as_float_array("conditions", conditions)
    if v.ndim != 2 or v.shape[1] != 2:
        raise ValueError(f"conditions must have shape (N, 2) with columns (pitch, damping); got {v.shape}")
    if (np.abs(v) > 1).any():
        raise ValueError(f"conditions must lie in [-1, 1]; got values from {v.min():.3g} to {v.max():.3g}")
    T = positive_int("steps", steps)
    f = CYCLES_RANGE[0] + (v[:, :1] + 1) / 2 * (CYCLES_RANGE[1] - CYCLES_RANGE[0])  # (N, 1)
    k = DAMPING_RANGE[0] + (v[:, 1:] + 1) / 2 * (DAMPING_RANGE[1] - DAMPING_RANGE[0])
    s = np.arange(1, T + 1)[None, :] / T  # (1, T), time as a fraction of the window
    return (np.exp(-k * s) * np.sin(2 * np.pi * f * s))[:, :, None].astype(np.float64)


def make_plucked_strings(
    n: int, rng: np.random.Generator, steps: int = 40
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Sample ``n`` conditions uniformly from [-1, 1]^2 and the notes they describe.

    Parameters
    ----------
    n : int
        number of notes
    rng : np.random.Generator
    steps : int
        T, samples per note

    Returns
    -------
    conditions : ndarray of shape (n, 2)
        columns (pitch, damping)
    waves : ndarray of shape (n, T, 1)
        from :func:`plucked_string`
    """
    n = positive_int("n", n)
    rng = check_rng(rng)
    conditions = rng.uniform(-1.0, 1.0, size=(n, 2))
    return conditions, plucked_string(conditions, steps)


def quantise(values: NDArray[np.floating], levels: int = 16) -> NDArray[np.int64]:
    """Map values in [-1, 1] to the nearest of ``levels`` evenly spaced levels, as ids.

    Level k stands for the value -1 + 2 k / (levels - 1), so id 0 is -1 and id
    levels - 1 is +1.  Quantising turns a waveform into a sequence of categories, which a
    generator can predict with a softmax, one "note" out of ``levels`` per step.

    Parameters
    ----------
    values : ndarray
        any shape, e.g. (N, T), every entry in [-1, 1]
    levels : int
        K >= 2, the number of levels

    Returns
    -------
    ids : int64 ndarray
        of the shape of ``values``, entries in [0, K)
    """
    v = as_float_array("values", values)
    K = positive_int("levels", levels)
    if K < 2:
        raise ValueError(f"levels must be at least 2; got {K}")
    if v.size and np.abs(v).max() > 1:
        raise ValueError(f"values must lie in [-1, 1]; got values from {v.min():.3g} to {v.max():.3g}")
    return np.rint((v + 1) / 2 * (K - 1)).astype(np.int64)


def dequantise(ids: NDArray[np.integer], levels: int = 16) -> NDArray[np.float64]:
    """The value each level id stands for: -1 + 2 k / (levels - 1); the inverse of :func:`quantise`."""
    K = positive_int("levels", levels)
    if K < 2:
        raise ValueError(f"levels must be at least 2; got {K}")
    k = as_int_array("ids", ids, high=K)
    return -1.0 + 2.0 * k / (K - 1)


# ---------------------------------------------------------------------------
# Many-to-one: spam or not
# ---------------------------------------------------------------------------

_DAYS = ("today", "tonight", "tomorrow", "on friday", "at the weekend")
_PRIZES = ("a holiday", "a cash prize", "a new phone", "a gift card", "a free ticket")
_OPENERS = ("hi", "hey", "hi mum", "morning", "ok so", "guess what", "hello again")
_CLOSERS = ("", "", "let me know", "call me back", "reply today", "text me")

#: The core of every message, as (spam, not spam) pairs written with the same words:
#: spam *tells* you that you have won; a friend *asks* whether you have.
MESSAGE_CLAUSES = (
    ("you have won {prize}", "have you won {prize}"),
    ("you were chosen for {prize}", "were you chosen for {prize}"),
    ("you can claim {prize} {day}", "can you claim {prize} {day}"),
    ("the call is free {day}", "is the call free {day}"),
    ("{prize} is waiting for you", "is {prize} waiting for you"),
    ("you are a winner {day}", "are you a winner {day}"),
)


def make_messages(n: int, rng: np.random.Generator, spam_fraction: float = 0.5) -> tuple[list[str], NDArray[np.int64]]:
    """Sample ``n`` short text messages labelled 1 (spam) or 0 (not spam), told apart by word order alone.

    Every message is an opener, a core clause and an optional closing phrase:

        spam        "hi mum, you have won a holiday, let me know"
        not spam    "hi mum, have you won a holiday, let me know"

    Spam states the offer ("you have won", "the call is free"); a message that is
    not spam asks about it, with the same words in question order ("have you won",
    "is the call free"); see :data:`MESSAGE_CLAUSES`.  Openers, closers, prizes
    and days are drawn independently of the label, so every word is as common in
    one class as in the other: a first-word lookup or a bag of words can do no
    better than guessing, while a model that reads the words in order can be
    right every time.

    The random choices do not depend on ``spam_fraction``, so two calls with
    generators in the same state, one with ``spam_fraction=1`` and one with
    ``spam_fraction=0``, give matching pairs: the same words in the two orders.

    Parameters
    ----------
    n : int
        number of messages
    rng : np.random.Generator
    spam_fraction : float
        probability that a message is spam, in [0, 1]

    Returns
    -------
    texts : list of str
        the n messages
    labels : ndarray of shape (n,)
        int64 labels, 1 for spam
    """
    n = positive_int("n", n)
    rng = check_rng(rng)
    if isinstance(spam_fraction, bool) or not isinstance(spam_fraction, (int, float)) or not 0 <= spam_fraction <= 1:
        raise ValueError(f"spam_fraction must be a probability in [0, 1]; got {_describe(spam_fraction)}")
    labels = (rng.random(n) < spam_fraction).astype(np.int64)
    picks = rng.integers(0, 1000, size=(n, 5))  # every random choice drawn up front
    texts = []
    for i in range(n):
        a, b, c, d, e = (int(x) for x in picks[i])
        form = MESSAGE_CLAUSES[b % len(MESSAGE_CLAUSES)][0 if labels[i] else 1]
        clause = form.format(prize=_PRIZES[e % len(_PRIZES)], day=_DAYS[d % len(_DAYS)])
        closer = _CLOSERS[c % len(_CLOSERS)]
        texts.append(f"{_OPENERS[a % len(_OPENERS)]}, {clause}" + (f", {closer}" if closer else ""))
    return texts, labels


# ---------------------------------------------------------------------------
# Many-to-many, aligned: part-of-speech tagging
# ---------------------------------------------------------------------------

#: The part-of-speech tags, in the order a tag vocabulary should list them.
TAGS = ("DET", "ADJ", "NOUN", "PRON", "AUX", "VERB", "PREP", "ADV")

_WORDS: dict[str, tuple[str, ...]] = {
    "DET": ("the", "a", "my", "this"),
    "ADJ": ("old", "small", "red", "happy"),
    "NOUN": ("dog", "man", "boat", "river", "girl", "lake"),
    "PRON": ("i", "you", "we", "they"),
    "AUX": ("will", "must"),
    "VERB": ("see", "like", "find", "paint"),
    "PREP": ("in", "near", "by"),
    "ADV": ("today", "again", "slowly"),
}

#: Words that are a noun after a determiner or adjective and a verb after a pronoun
#: or auxiliary ("the fish" / "they fish").
NOUN_OR_VERB = ("fish", "duck", "watch", "book", "park", "ship")

#: "can" is a noun after a determiner or adjective ("the can") and an auxiliary
#: after a subject ("we can fish", "the dog can see").
NOUN_OR_AUX = ("can",)

#: Every word whose tag depends on its context.
AMBIGUOUS_WORDS = NOUN_OR_VERB + NOUN_OR_AUX


def make_tagged_sentences(
    n: int, rng: np.random.Generator, ambiguous_prob: float = 0.4
) -> tuple[list[list[str]], list[list[str]]]:
    """Sample ``n`` sentences from a tiny English grammar, with the tag of every word.

        sentence    -> subject [aux] verb [object] [place] [adverb]
        subject     -> pronoun | noun phrase      (a noun-phrase subject always takes an aux)
        noun phrase -> determiner [adjective] noun
        place       -> preposition noun phrase

    A noun slot or verb slot is filled with one of the ambiguous words of
    :data:`NOUN_OR_VERB` with probability ``ambiguous_prob``, and an auxiliary slot
    or noun slot with "can" now and then, so the same word carries different tags
    ("they watch the watch").  The right tag always follows from the word *before*
    it, so a left-to-right recurrent tagger can get every word right, while a
    tagger that looks at each word alone cannot.

    Parameters
    ----------
    n : int
        number of sentences
    rng : np.random.Generator
    ambiguous_prob : float
        probability that a noun or verb slot takes an ambiguous word, in [0, 1]

    Returns
    -------
    sentences : list of lists of str
        n lists of words (2 to 13 words each)
    tags : list of lists of str
        n lists of tags from :data:`TAGS`, aligned with the words
    """
    n = positive_int("n", n)
    rng = check_rng(rng)
    if isinstance(ambiguous_prob, bool) or not isinstance(ambiguous_prob, (int, float)) or not 0 <= ambiguous_prob <= 1:
        raise ValueError(f"ambiguous_prob must be a probability in [0, 1]; got {_describe(ambiguous_prob)}")

    def pick(options: tuple[str, ...]) -> str:
        return options[int(rng.integers(len(options)))]

    def noun() -> str:
        r = rng.random()
        if r < ambiguous_prob:
            return pick(NOUN_OR_VERB)
        return "can" if r < ambiguous_prob + 0.05 else pick(_WORDS["NOUN"])

    def noun_phrase(words: list[str], tags: list[str]) -> None:
        words.append(pick(_WORDS["DET"]))
        tags.append("DET")
        if rng.random() < 0.4:
            words.append(pick(_WORDS["ADJ"]))
            tags.append("ADJ")
        words.append(noun())
        tags.append("NOUN")

    sentences, all_tags = [], []
    for _ in range(n):
        words: list[str] = []
        tags: list[str] = []
        if rng.random() < 0.5:
            words.append(pick(_WORDS["PRON"]))
            tags.append("PRON")
            needs_aux = rng.random() < 0.4
        else:
            noun_phrase(words, tags)
            needs_aux = True
        if needs_aux:
            words.append("can" if rng.random() < 0.4 else pick(_WORDS["AUX"]))
            tags.append("AUX")
        words.append(pick(NOUN_OR_VERB) if rng.random() < ambiguous_prob else pick(_WORDS["VERB"]))
        tags.append("VERB")
        if rng.random() < 0.7:
            noun_phrase(words, tags)
        if rng.random() < 0.4:
            words.append(pick(_WORDS["PREP"]))
            tags.append("PREP")
            noun_phrase(words, tags)
        if rng.random() < 0.3:
            words.append(pick(_WORDS["ADV"]))
            tags.append("ADV")
        sentences.append(words)
        all_tags.append(tags)
    return sentences, all_tags


# ---------------------------------------------------------------------------
# Many-to-many, different lengths: digits to number words
# ---------------------------------------------------------------------------

_ONES = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
_TEENS = ("ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen")
_TENS = ("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")

#: Every word :func:`number_to_words` can produce, in a fixed order.
NUMBER_WORDS = tuple(dict.fromkeys(_ONES + _TEENS + _TENS[2:] + ("hundred", "and")))


def _check_number(n: object) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
        raise TypeError(f"n must be an int from 0 to 999; got {_describe(n)}")
    if not 0 <= n <= 999:
        raise ValueError(f"n must be an int from 0 to 999; got {n}")
    return int(n)


def number_to_digits(n: int) -> list[str]:
    """The decimal digits of ``n`` (0 to 999) as tokens: 307 -> ["3", "0", "7"]."""
    return list(str(_check_number(n)))


def number_to_words(n: int) -> list[str]:
    """``n`` (0 to 999) in British English words, one token per word.

    >>> number_to_words(342)
    ['three', 'hundred', 'and', 'forty', 'two']
    >>> number_to_words(17)
    ['seventeen']
    """
    n = _check_number(n)
    if n == 0:
        return ["zero"]
    words: list[str] = []
    hundreds, rest = divmod(n, 100)
    if hundreds:
        words += [_ONES[hundreds], "hundred"]
        if rest:
            words.append("and")
    if 10 <= rest < 20:
        words.append(_TEENS[rest - 10])
    elif rest:
        tens, ones = divmod(rest, 10)
        if tens:
            words.append(_TENS[tens])
        if ones:
            words.append(_ONES[ones])
    return words


def make_number_translation(numbers: Iterable[int]) -> tuple[list[list[str]], list[list[str]]]:
    """Source and target token lists for the digits-to-words "translation" task.

    Parameters
    ----------
    numbers : sequence
        ints from 0 to 999, e.g. one split of ``rng.permutation(1000)``

    Returns
    -------
    sources : list of lists of str
        digit-token lists, e.g. ["3", "4", "2"]
    targets : list of lists of str
        word-token lists, e.g. ["three", "hundred", "and", "forty", "two"]
    """
    if isinstance(numbers, (str, bytes)) or not isinstance(numbers, Iterable):
        raise TypeError(f"numbers must be an iterable of ints from 0 to 999; got {_describe(numbers)}")
    numbers = list(numbers)
    if not numbers:
        raise ValueError("numbers must hold at least one number; got none")
    return [number_to_digits(k) for k in numbers], [number_to_words(k) for k in numbers]


# ---------------------------------------------------------------------------
# Many-to-many, aligned, where the tag depends on the next word (chapter 7)
# ---------------------------------------------------------------------------


def make_lookahead_sentences(
    n: int, rng: np.random.Generator, ambiguous_start: float = 0.5
) -> tuple[list[list[str]], list[list[str]]]:
    """Sample sentences whose first word can only be tagged by looking at the *next* word.

    With probability ``ambiguous_start`` a sentence opens with a word of
    :data:`NOUN_OR_VERB`, either as an imperative verb followed by its object, or as
    a plural noun followed by an auxiliary:

        "watch the old dog near the lake"   watch = VERB   (a determiner follows)
        "watch will find the girl today"    watch = NOUN   (an auxiliary follows)

    The two readings are equally likely, so a left-to-right tagger, which has seen
    only the word itself when it must tag it, can do no better than a coin toss on
    these words; a tagger that also reads from the right gets them all.  The other
    sentences start with a pronoun ("they watch the duck"), and every ambiguous word
    after the first takes its tag from the word before it, as in
    :func:`make_tagged_sentences`.

    Parameters
    ----------
    n : int
        number of sentences
    rng : np.random.Generator
    ambiguous_start : float
        probability that a sentence opens with an ambiguous word, in [0, 1]

    Returns
    -------
    sentences : list of lists of str
        n lists of words (2 to 11 words each)
    tags : list of lists of str
        n lists of tags from :data:`TAGS`, aligned with the words
    """
    n = positive_int("n", n)
    rng = check_rng(rng)
    if (
        isinstance(ambiguous_start, bool)
        or not isinstance(ambiguous_start, (int, float))
        or not 0 <= ambiguous_start <= 1
    ):
        raise ValueError(f"ambiguous_start must be a probability in [0, 1]; got {_describe(ambiguous_start)}")

    def pick(options: tuple[str, ...]) -> str:
        return options[int(rng.integers(len(options)))]

    def add(words: list[str], tags: list[str], word: str, tag: str) -> None:
        words.append(word)
        tags.append(tag)

    def noun_phrase(words: list[str], tags: list[str]) -> None:
        add(words, tags, pick(_WORDS["DET"]), "DET")
        if rng.random() < 0.4:
            add(words, tags, pick(_WORDS["ADJ"]), "ADJ")
        add(words, tags, pick(NOUN_OR_VERB) if rng.random() < 0.4 else pick(_WORDS["NOUN"]), "NOUN")

    def rest(words: list[str], tags: list[str]) -> None:  # an optional place and adverb
        if rng.random() < 0.4:
            add(words, tags, pick(_WORDS["PREP"]), "PREP")
            noun_phrase(words, tags)
        if rng.random() < 0.3:
            add(words, tags, pick(_WORDS["ADV"]), "ADV")

    sentences, all_tags = [], []
    for _ in range(n):
        words: list[str] = []
        tags: list[str] = []
        if rng.random() < ambiguous_start:
            first = pick(NOUN_OR_VERB)
            if rng.random() < 0.5:  # imperative: "watch the dog"
                add(words, tags, first, "VERB")
                noun_phrase(words, tags)
            else:  # plural noun subject: "watch will find the girl"
                add(words, tags, first, "NOUN")
                add(words, tags, pick(_WORDS["AUX"]), "AUX")
                add(words, tags, pick(_WORDS["VERB"]), "VERB")
                if rng.random() < 0.7:
                    noun_phrase(words, tags)
        else:  # "they (will) watch the duck"
            add(words, tags, pick(_WORDS["PRON"]), "PRON")
            if rng.random() < 0.4:
                add(words, tags, pick(_WORDS["AUX"]), "AUX")
            add(words, tags, pick(NOUN_OR_VERB) if rng.random() < 0.5 else pick(_WORDS["VERB"]), "VERB")
            if rng.random() < 0.7:
                noun_phrase(words, tags)
        rest(words, tags)
        sentences.append(words)
        all_tags.append(tags)
    return sentences, all_tags


# ---------------------------------------------------------------------------
# Sequence to sequence with reordering: English noun phrases into Spanish (chapter 8)
# ---------------------------------------------------------------------------

#: English nouns and their Spanish translations (all masculine, so no agreement to learn).
PHRASE_NOUNS: dict[str, str] = {"cat": "gato", "dog": "perro", "fish": "pez", "bear": "oso", "wolf": "lobo"}
#: English adjectives and their Spanish translations (the same in both genders).
PHRASE_ADJECTIVES: dict[str, str] = {"big": "grande", "green": "verde", "blue": "azul", "happy": "feliz",
                                     "young": "joven"}  # fmt: skip
_AND = ("and", "y")


def translate_noun_phrases(words: Iterable[str]) -> tuple[list[str], list[int]]:
    """Translate a list of English noun phrases into Spanish, word for word, with Spanish order.

    The grammar is ``phrase ("and" phrase)*`` with ``phrase -> [adjective] noun``; in
    Spanish the adjective follows its noun ("green dog" -> "perro verde"), as most
    Spanish adjectives do, and "and" is "y". So every word has one translation, but
    the order changes: the translation needs the whole phrase, not just the word
    under the cursor.

    Parameters
    ----------
    words : sequence
        English tokens from :data:`PHRASE_NOUNS`, :data:`PHRASE_ADJECTIVES` and "and"

    Returns
    -------
    spanish : list
        Spanish tokens, as many as there are English words
    alignment : list
        ints, for each Spanish word the position of the English word
        it translates (the alignment attention should discover)

    >>> translate_noun_phrases(["big", "cat", "and", "dog"])
    (['gato', 'grande', 'y', 'perro'], [1, 0, 2, 3])
    """
    if isinstance(words, str) or not isinstance(words, Iterable):
        raise TypeError(f"words must be a list of English tokens; got {_describe(words)}")
    words = list(words)
    if not words:
        raise ValueError("words must hold at least one noun phrase; got none")
    spanish: list[str] = []
    alignment: list[int] = []
    i, expect_phrase = 0, True
    while i < len(words):
        w = words[i]
        if not expect_phrase:
            if w != _AND[0]:
                raise ValueError(f"word {i} must be 'and' between two noun phrases; got {w!r}")
            spanish.append(_AND[1])
            alignment.append(i)
            i, expect_phrase = i + 1, True
            continue
        if w in PHRASE_ADJECTIVES:
            if i + 1 >= len(words) or words[i + 1] not in PHRASE_NOUNS:
                got = repr(words[i + 1]) if i + 1 < len(words) else "the end"
                raise ValueError(f"the adjective {w!r} (word {i}) must be followed by a noun; got {got}")
            spanish += [PHRASE_NOUNS[words[i + 1]], PHRASE_ADJECTIVES[w]]  # noun first, then adjective
            alignment += [i + 1, i]
            i += 2
        elif w in PHRASE_NOUNS:
            spanish.append(PHRASE_NOUNS[w])
            alignment.append(i)
            i += 1
        else:
            raise ValueError(f"word {i} must be a noun or adjective of PHRASE_NOUNS or PHRASE_ADJECTIVES; got {w!r}")
        expect_phrase = False
    if expect_phrase:
        raise ValueError("the words must not end with 'and'")
    return spanish, alignment


def make_noun_phrase_translation(
    n: int, rng: np.random.Generator, min_len: int = 3, max_len: int = 15, adjective_prob: float = 0.5
) -> tuple[list[list[str]], list[list[str]]]:
    """Sample ``n`` English lists of noun phrases and their Spanish translations.

    Each source length is drawn uniformly from ``min_len`` to ``max_len``; the
    sentence is then filled with phrases joined by "and" ("big cat and dog and green
    fish"), each phrase taking an adjective with probability ``adjective_prob`` where
    the remaining length allows. The targets come from :func:`translate_noun_phrases`.

    Parameters
    ----------
    n : int
        number of pairs
    rng : np.random.Generator
    min_len, max_len : int
        source lengths, 1 <= min_len <= max_len
    adjective_prob : float
        probability that a phrase has an adjective, in [0, 1]

    Returns
    -------
    sources : list
        n lists of English tokens
    targets : list
        n lists of Spanish tokens (as long as their sources)
    """
    n = positive_int("n", n)
    rng = check_rng(rng)
    lo, hi = positive_int("min_len", min_len), positive_int("max_len", max_len)
    if lo > hi:
        raise ValueError(f"min_len must be at most max_len; got min_len={lo}, max_len={hi}")
    if isinstance(adjective_prob, bool) or not isinstance(adjective_prob, (int, float)) or not 0 <= adjective_prob <= 1:
        raise ValueError(f"adjective_prob must be a probability in [0, 1]; got {_describe(adjective_prob)}")
    nouns, adjectives = list(PHRASE_NOUNS), list(PHRASE_ADJECTIVES)
    sources, targets = [], []
    for length in rng.integers(lo, hi + 1, size=n):
        words: list[str] = []
        while len(words) < length:
            if words:
                words.append(_AND[0])
            room = int(length) - len(words)
            # A phrase of one or two words, leaving either nothing or room for "and" + noun.
            sizes = [k for k in (1, 2) if room - k == 0 or room - k >= 2]
            size = 2 if sizes == [2] or (len(sizes) == 2 and rng.random() < adjective_prob) else 1
            if size == 2:
                words.append(adjectives[int(rng.integers(len(adjectives)))])
            words.append(nouns[int(rng.integers(len(nouns)))])
        sources.append(words)
        targets.append(translate_noun_phrases(words)[0])
    return sources, targets
