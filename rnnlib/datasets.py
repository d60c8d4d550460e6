"""The course's data: a generator of short labelled reviews, loaders for the files
shipped in ``data/``, a synthetic vowel, and padding arithmetic (chapter 1).

Contract, once for the module:

- every generator that samples takes ``rng: np.random.Generator`` and is
  deterministic given its state; nothing here touches global random state;
- series come back as 1-D arrays of shape (T,); shape them into batch-first
  (N, T, D) windows in the chapter that uses them;
- the loaders read only the small files in ``data/`` (see ``data/README.md`` for
  their source and licence) and never download anything.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from rnnlib._checks import _describe, check_rng, positive_float, positive_int

#: The folder holding the course's data files, found relative to this package.
DATA_DIR = Path(__file__).resolve().parent.parent / "data"

# ---------------------------------------------------------------------------
# Short labelled reviews (chapters 1 and 2)
# ---------------------------------------------------------------------------

#: Adjectives of positive sentiment (polarity 1).
POSITIVE_WORDS = ("good", "great", "lovely", "brilliant", "fun", "superb")
#: Adjectives of negative sentiment (polarity 0), as many as the positive ones.
NEGATIVE_WORDS = ("bad", "awful", "dull", "boring", "poor", "terrible")
#: Optional openings of a review ("" for none); they carry no sentiment.
SUBJECTS = ("", "the film was", "this book is", "the food was", "the service was", "our stay was", "the plot is")
#: Words that may precede an adjective without changing its polarity.
INTENSIFIERS = ("very", "really", "quite")
#: How a review may end.
ENDINGS = (".", "!", "")

#: Review templates.  ``a`` and ``b`` are adjectives; ``same`` says whether ``b``
#: shares the polarity of ``a``; ``label`` gives the sentiment from the polarity of
#: ``a`` and ``b`` (1 positive, 0 negative).
REVIEW_KINDS: Mapping[str, str] = {
    "plain": "{a}",  # "good"                                  -> pol(a)
    "negated": "not {a}",  # "not good"                        -> 1 - pol(a)
    "contrast": "not {a}, actually {b}",  # "not good, actually bad" -> pol(b)
    "correction": "{a}, not {b}",  # "good, not bad"           -> pol(a)
    "turn": "{a} at first, but {b} in the end",  #            -> pol(b)
    "not_only": "not only {a} but also {b}",  # same polarity -> pol(a)
}

#: Kinds in which swapping the two adjectives keeps every word and flips the label:
#: on these, any model of word counts alone is right on at most half of each pair.
ORDER_ONLY_KINDS = ("contrast", "correction", "turn")

_SAME_POLARITY = {"not_only"}


def _review_label(kind: str, pol_a: int, pol_b: int) -> int:
    if kind == "negated":
        return 1 - pol_a
    if kind in ("contrast", "turn"):
        return pol_b
    return pol_a  # plain, correction, not_only


def make_reviews(
    n: int,
    rng: np.random.Generator,
    kinds: Sequence[str] | None = None,
    intensifier_prob: float = 0.2,
) -> tuple[list[str], NDArray[np.int64], NDArray[np.str_]]:
    """Sample ``n`` short reviews labelled 1 (positive) or 0 (negative).

    Each review is an optional subject ("the film was") followed by one template
    from :data:`REVIEW_KINDS` filled with adjectives from :data:`POSITIVE_WORDS` and
    :data:`NEGATIVE_WORDS`, for example "The food was not bad, actually great."
    The label follows from the template and the adjectives' polarity, so it is
    always right; in the :data:`ORDER_ONLY_KINDS` it depends on word order alone.

    Parameters
    ----------
    n : int
        number of reviews (positive)
    rng : np.random.Generator
        the same state always gives the same reviews
    kinds : sequence | None
        which templates to draw from (uniformly); default all of :data:`REVIEW_KINDS`
    intensifier_prob : float
        probability that an adjective gets "very", "really" or "quite"

    Returns
    -------
    texts : list of str
        the n reviews
    labels : ndarray of shape (n,)
        int64 labels, 1 for a positive review
    kinds : ndarray of shape (n,)
        of str, the template name of every review (a key of :data:`REVIEW_KINDS`)

    >>> texts, labels, kinds = make_reviews(3, np.random.default_rng(0))
    >>> len(texts), labels.shape
    (3, (3,))
    """
    n = positive_int("n", n)
    rng = check_rng(rng)
    if kinds is None:
        kinds = tuple(REVIEW_KINDS)
    if isinstance(kinds, str) or not isinstance(kinds, Sequence):
        raise TypeError(f"kinds must be a list of template names such as ['contrast', 'turn']; got {_describe(kinds)}")
    if len(kinds) == 0:
        raise ValueError(f"kinds must name at least one of {list(REVIEW_KINDS)}; got an empty list")
    unknown = [k for k in kinds if k not in REVIEW_KINDS]
    if unknown:
        raise ValueError(f"kinds must be names from {list(REVIEW_KINDS)}; got unknown {unknown}")
    p = positive_float("intensifier_prob", intensifier_prob, allow_zero=True)
    if p > 1:
        raise ValueError(f"intensifier_prob must be a probability in [0, 1]; got {intensifier_prob}")

    # One row of uniform numbers per review, drawn up front: review i depends only on
    # row i, so the first m reviews of make_reviews(n) are those of make_reviews(m).
    u = rng.random((n, 8))
    kind_idx = (u[:, 0] * len(kinds)).astype(int)
    subj_idx = (u[:, 1] * len(SUBJECTS)).astype(int)
    pol_a = (u[:, 2] < 0.5).astype(int)
    word_a = (u[:, 3] * len(POSITIVE_WORDS)).astype(int)
    word_b = (u[:, 4] * (len(POSITIVE_WORDS) - 1)).astype(int)
    word_b = np.where(word_b >= word_a, word_b + 1, word_b)  # b is never the same word as a
    boost = u[:, 5:7] < p
    given_boost = u[:, 5:7] / p if p > 0 else np.zeros((n, 2))  # uniform in [0, 1) where boosted
    boost_word = (given_boost * len(INTENSIFIERS)).astype(int).clip(0, len(INTENSIFIERS) - 1)
    ending = (u[:, 7] * len(ENDINGS)).astype(int)

    texts: list[str] = []
    labels = np.empty(n, dtype=np.int64)
    names = np.empty(n, dtype=f"<U{max(map(len, REVIEW_KINDS))}")
    for i in range(n):
        kind = kinds[kind_idx[i]]
        pa = int(pol_a[i])
        pb = pa if kind in _SAME_POLARITY else 1 - pa
        adjectives = []
        for j, (pol, w) in enumerate(((pa, word_a[i]), (pb, word_b[i]))):
            word = (POSITIVE_WORDS if pol else NEGATIVE_WORDS)[w]
            if boost[i, j]:
                word = f"{INTENSIFIERS[boost_word[i, j]]} {word}"
            adjectives.append(word)
        body = REVIEW_KINDS[kind].format(a=adjectives[0], b=adjectives[1])
        text = f"{SUBJECTS[subj_idx[i]]} {body}".strip() + ENDINGS[ending[i]]
        texts.append(text[0].upper() + text[1:])
        labels[i] = _review_label(kind, pa, pb)
        names[i] = kind
    return texts, labels, names


# ---------------------------------------------------------------------------
# Files shipped in data/
# ---------------------------------------------------------------------------


def _data_file(filename: str, data_dir: str | Path | None = None) -> Path:
    folder = DATA_DIR if data_dir is None else Path(data_dir)
    path = folder / filename
    if not path.is_file():
        raise FileNotFoundError(
            f"cannot find the course data file {filename!r}; expected it at {path}. "
            f"It ships with the course repository in data/ (see data/README.md for how to regenerate it)."
        )
    return path


def load_nino12_sst(data_dir: str | Path | None = None) -> tuple[NDArray[np.datetime64], NDArray[np.float64]]:
    """Monthly sea surface temperature of the Nino 1+2 region, January 1950 to December 2010.

    Source: NOAA Climate Prediction Center (ERSST.V3B), public domain; see
    ``data/README.md`` for provenance.

    Parameters
    ----------
    data_dir : str | Path | None
        folder holding ``nino12_sst.csv``; default the course's ``data/``

    Returns
    -------
    months : ndarray of shape (T,)
        datetime64[M] months, T = 732
    sst : ndarray of shape (T,)
        float64, degrees Celsius
    """
    path = _data_file("nino12_sst.csv", data_dir)
    months, values = [], []
    with path.open(newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        header = next(reader, None)
        if header != ["date", "value"]:
            raise ValueError(f"{path.name} must start with the header 'date,value'; got {header}")
        for line, row in enumerate(reader, start=2):
            try:
                date, value = row
                months.append(np.datetime64(date, "M"))
                values.append(float(value))
            except ValueError as err:
                raise ValueError(f"{path.name} line {line} must look like '1950-01,23.11'; got {row}") from err
    if not values:
        raise ValueError(f"{path.name} holds a header but no data rows")
    return np.array(months, dtype="datetime64[M]"), np.array(values, dtype=np.float64)


_HEADING = re.compile(r"^\s*CHAPTER [IVXLC]+\.?\s*$")
_ASTERISMS = re.compile(r"^\s*(\*\s*)+$")
_THE_END = re.compile(r"^\s*THE END\s*$")


def load_alice(data_dir: str | Path | None = None) -> str:
    """The story text of Lewis Carroll's *Alice's Adventures in Wonderland* (1865, public domain).

    The title block, the chapter headings with their titles, the rows of
    asterisks and the closing "THE END" are removed; everything else (paragraphs separated by blank lines,
    the original hard line breaks and punctuation) is kept.

    Parameters
    ----------
    data_dir : str | Path | None
        folder holding ``alice_in_wonderland.txt``; default the course's ``data/``

    Returns
    -------
    text : str
    """
    path = _data_file("alice_in_wonderland.txt", data_dir)
    lines = path.read_text(encoding="utf-8").splitlines()
    starts = [i for i, line in enumerate(lines) if _HEADING.match(line)]
    if not starts:
        raise ValueError(f"{path.name} must contain chapter headings such as 'CHAPTER I'; found none")
    kept: list[str] = []
    skip_title = False
    for line in lines[starts[0] :]:
        if _HEADING.match(line):
            skip_title = True  # the next non-blank line is the chapter's title
            continue
        if skip_title and line.strip():
            skip_title = False
            continue
        if _ASTERISMS.match(line) or _THE_END.match(line):
            continue
        kept.append(line)
    return "\n".join(kept).strip() + "\n"


# A sentence: the shortest stretch ending in . ! or ? (plus any closing quotes or
# brackets) that is followed by white space or the end of the paragraph.
_SENTENCE = re.compile(r"\S.*?(?:[.!?]+['\")\]]*(?=\s|$)|$)")


def split_sentences(text: str) -> list[str]:
    """Split prose into sentences with a simple rule, never across a blank line.

    A sentence ends at ".", "!" or "?" (and any closing quotes or brackets that
    follow) before white space. The rule is deliberately simple: it also splits
    after "Mr." and inside quoted exclamations, which is good enough for length
    statistics. Pieces without a letter or digit are dropped.

    Parameters
    ----------
    text : str

    Returns
    -------
    sentences : list
        of str, each on one line with runs of white space collapsed
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str; got {_describe(text)}")
    sentences: list[str] = []
    for paragraph in re.split(r"\n\s*\n", text):
        flat = " ".join(paragraph.split())
        sentences.extend(s.strip() for s in _SENTENCE.findall(flat) if re.search(r"[A-Za-z0-9]", s))
    return sentences


# ---------------------------------------------------------------------------
# A synthetic speech-like signal
# ---------------------------------------------------------------------------


def make_vowel(
    duration: float = 0.5,
    sample_rate: int = 8000,
    f0: float = 120.0,
    formants: Sequence[float] = (730.0, 1090.0, 2440.0),
    bandwidth: float = 120.0,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """A vowel-like sound: harmonics of a pitch ``f0`` shaped by formant resonances.

        s(t) = a(t) * sum_k A_k sin(2 pi k f0 t),  A_k = sum_j exp(-(k f0 - F_j)^2 / (2 B^2))

    for every harmonic k f0 below the Nyquist frequency sample_rate / 2, with an
    envelope a(t) that rises over the first 50 ms and falls over the last 100 ms.
    The default formants (730, 1090, 2440 Hz) are those of an "ah". The result is
    scaled so that its largest absolute value is 1.

    Parameters
    ----------
    duration : float
        length in seconds
    sample_rate : int
        samples per second
    f0 : float
        pitch (fundamental frequency) in Hz, below sample_rate / 2
    formants : sequence
        resonance frequencies F_j in Hz, each below sample_rate / 2
    bandwidth : float
        width B of every resonance in Hz

    Returns
    -------
    times : ndarray of shape (T,)
        seconds, T = round(duration * sample_rate)
    signal : ndarray of shape (T,)
    """
    duration = positive_float("duration", duration)
    sr = positive_int("sample_rate", sample_rate)
    f0 = positive_float("f0", f0)
    B = positive_float("bandwidth", bandwidth)
    nyquist = sr / 2
    if f0 >= nyquist:
        raise ValueError(f"f0 must be below the Nyquist frequency sample_rate / 2 = {nyquist} Hz; got {f0}")
    if isinstance(formants, str) or not isinstance(formants, Sequence) or len(formants) == 0:
        raise TypeError(f"formants must be a non-empty list of frequencies in Hz; got {_describe(formants)}")
    F = np.array([positive_float("each formant", f) for f in formants])
    if (F >= nyquist).any():
        raise ValueError(f"formants must lie below sample_rate / 2 = {nyquist} Hz; got {F.max()}")
    T = round(duration * sr)
    if T < 2:
        raise ValueError(f"duration * sample_rate must give at least 2 samples; got {duration * sr}")

    t = np.arange(T) / sr
    k = np.arange(1, int(nyquist // f0) + 1)  # harmonics below Nyquist
    k = k[k * f0 < nyquist]
    A = np.exp(-0.5 * ((k[:, None] * f0 - F[None, :]) / B) ** 2).sum(axis=1)  # (K,)
    s = A @ np.sin(2 * np.pi * f0 * k[:, None] * t[None, :])  # (K,) @ (K, T) -> (T,)
    attack, release = min(0.05, duration / 4), min(0.1, duration / 4)
    envelope = np.minimum.reduce([np.ones(T), t / attack, (duration - t) / release]).clip(0, 1)
    envelope = np.sin(0.5 * np.pi * envelope) ** 2  # smooth ramps, no clicks
    s = envelope * s
    peak = np.abs(s).max()
    return t, (s / peak if peak > 0 else s)


# ---------------------------------------------------------------------------
# Padding arithmetic
# ---------------------------------------------------------------------------


def _lengths(lengths: object) -> NDArray[np.int64]:
    arr = np.asarray(lengths) if isinstance(lengths, (list, tuple, np.ndarray)) else None
    if arr is None or arr.ndim != 1 or not np.issubdtype(arr.dtype, np.integer):
        got = f"shape {arr.shape} of dtype {arr.dtype}" if arr is not None else _describe(lengths)
        raise TypeError(f"lengths must be a 1-D array of shape (N,) of ints; got {got}")
    if arr.size == 0:
        raise ValueError("lengths must hold at least one sequence length; got none")
    if arr.min() < 1:
        raise ValueError(f"lengths must all be at least 1; got {int(arr.min())}")
    return arr.astype(np.int64)


def bucket_by_length(
    lengths: NDArray[np.integer] | Sequence[int], batch_size: int, rng: np.random.Generator | None = None
) -> list[NDArray[np.int64]]:
    """Group sequences of similar length into batches, so each batch needs little padding.

    The indices are sorted by length (ties keep their original order) and cut into
    consecutive batches of ``batch_size`` (the last may be smaller).

    Parameters
    ----------
    lengths : ndarray of shape (N,)
        the length T_n of every sequence
    batch_size : int
        B, a positive int
    rng : np.random.Generator | None
        if given, the order of the batches is shuffled with it (the contents are not)

    Returns
    -------
    batches : list
        of ndarrays of indices into ``lengths``; together they hold each index once
    """
    L = _lengths(lengths)
    B = positive_int("batch_size", batch_size)
    order = np.argsort(L, kind="stable")
    batches = [order[i : i + B] for i in range(0, len(order), B)]
    if rng is not None:
        rng = check_rng(rng)
        batches = [batches[i] for i in rng.permutation(len(batches))]
    return batches


def padding_waste(
    lengths: NDArray[np.integer] | Sequence[int], batches: Sequence[NDArray[np.integer]] | None = None
) -> float:
    """The fraction of positions that are padding when each batch is padded to its longest sequence.

        waste = 1 - sum_n T_n / sum_b |b| * max_{n in b} T_n

    With ``batches=None`` all N sequences form one batch padded to the longest,
    and the formula becomes 1 - sum_n T_n / (N * max_n T_n).

    Parameters
    ----------
    lengths : ndarray of shape (N,)
        the length T_n of every sequence
    batches : list
        of index arrays that together hold each of 0 .. N-1 exactly once

    Returns
    -------
    waste : float
        in [0, 1)
    """
    L = _lengths(lengths)
    if batches is None:
        return float(1 - L.sum() / (L.size * L.max()))
    if isinstance(batches, np.ndarray) or not isinstance(batches, Sequence):
        raise TypeError(f"batches must be a list of index arrays; got {_describe(batches)}")
    seen = np.zeros(L.size, dtype=np.int64)
    slots = 0
    for i, b in enumerate(batches):
        idx = np.asarray(b)
        if idx.ndim != 1 or idx.size == 0 or not np.issubdtype(idx.dtype, np.integer):
            raise ValueError(f"batch {i} must be a non-empty 1-D array of int indices; got {_describe(b)}")
        if idx.min() < 0 or idx.max() >= L.size:
            raise ValueError(f"batch {i} must hold indices in [0, {L.size}); got {int(idx.min())}..{int(idx.max())}")
        np.add.at(seen, idx, 1)
        slots += idx.size * int(L[idx].max())
    if (seen != 1).any():
        bad = int(np.flatnonzero(seen != 1)[0])
        raise ValueError(f"batches must hold every index exactly once; index {bad} appears {int(seen[bad])} times")
    return float(1 - L.sum() / slots)
