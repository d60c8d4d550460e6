"""Turning text and series into arrays: tokens, a vocabulary, padding with masks,
one-hot vectors and seeded mini-batches (chapter 1).

Batch-first shapes: token ids (N, T), mask (N, T), features (N, T, D).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from numbers import Integral

import numpy as np
from numpy.typing import DTypeLike, NDArray

from rnnlib._checks import Shapes, _describe, as_int_array, check_rng, positive_int

PAD, UNK = "<pad>", "<unk>"
_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?|[^\sa-z0-9]")


def tokenize(text: str) -> list[str]:
    """Lower-case words (keeping contractions such as "isn't") and single punctuation marks.

    >>> tokenize("Not good, actually bad!")
    ['not', 'good', ',', 'actually', 'bad', '!']
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str; got {_describe(text)}")
    return _TOKEN.findall(text.lower())


class Vocabulary:
    """A two-way map between tokens and integer ids.

    Id 0 is always the padding token and id 1 the unknown token, so padded batches
    are zeros and unseen words never raise at encoding time.

    Build one with :meth:`fit`; ``len(vocab)`` is the vocabulary size V.
    """

    def __init__(self, tokens: Iterable[str] = ()) -> None:
        if not isinstance(tokens, Iterable):
            raise TypeError(f"tokens must be an iterable of strings, e.g. a list of words; got {_describe(tokens)}")
        self.id_to_token: list[str] = [PAD, UNK]
        for tok in tokens:
            if not isinstance(tok, str):
                raise TypeError(f"tokens must be strings; got {_describe(tok)}")
            if tok not in (PAD, UNK) and tok not in self.id_to_token:
                self.id_to_token.append(tok)
        self.token_to_id: dict[str, int] = {t: i for i, t in enumerate(self.id_to_token)}

    pad_id = 0
    unk_id = 1

    @classmethod
    def fit(cls, corpus: Iterable[Sequence[str]], min_count: int = 1, max_size: int | None = None) -> Vocabulary:
        """Build a vocabulary from tokenised documents.

        Tokens are ordered by decreasing count, ties broken alphabetically, so the
        same corpus always gives the same ids.  Tokens seen fewer than ``min_count``
        times are left out (they will encode as ``<unk>``); ``max_size`` caps V,
        counting the two special tokens.
        """
        min_count = positive_int("min_count", min_count)
        if isinstance(corpus, str):
            raise TypeError("corpus must be a list of token lists, e.g. [tokenize(s) for s in texts]; got one str")
        counts: Counter[str] = Counter()
        for doc in corpus:
            if isinstance(doc, str):
                raise TypeError(f"each document must be a list of tokens; got the str {doc!r}. Use tokenize() first.")
            counts.update(doc)
        ranked = sorted((t for t, c in counts.items() if c >= min_count), key=lambda t: (-counts[t], t))
        if max_size is not None:
            max_size = positive_int("max_size", max_size)
            if max_size < 2:
                raise ValueError(f"max_size must be at least 2 (for {PAD} and {UNK}); got {max_size}")
            ranked = ranked[: max_size - 2]
        return cls(ranked)

    def __len__(self) -> int:
        return len(self.id_to_token)

    def __contains__(self, token: object) -> bool:
        return token in self.token_to_id

    def encode(self, tokens: Sequence[str]) -> list[int]:
        """Token strings to ids; unknown tokens become ``unk_id``."""
        if isinstance(tokens, str):
            raise TypeError(f"encode takes a list of tokens; got the str {tokens!r}. Use tokenize() first.")
        return [self.token_to_id.get(t, self.unk_id) for t in tokens]

    def decode(self, ids: Iterable[int], skip_pad: bool = True) -> list[str]:
        """Ids back to token strings (padding dropped unless ``skip_pad`` is False)."""
        arr = as_int_array("ids", list(ids) if not isinstance(ids, np.ndarray) else ids, high=len(self))
        return [self.id_to_token[i] for i in arr.ravel() if not (skip_pad and i == self.pad_id)]

    def __repr__(self) -> str:
        head = ", ".join(self.id_to_token[2:7])
        return f"Vocabulary(size={len(self)}, tokens=[{PAD}, {UNK}, {head}{', ...' if len(self) > 7 else ''}])"


def pad_sequences(
    sequences: Sequence[Sequence[int]] | Sequence[NDArray[np.floating]],
    max_len: int | None = None,
    pad_value: float = 0,
) -> tuple[np.ndarray, NDArray[np.bool_]]:
    """Right-pad variable-length sequences into one array, with a mask of the real steps.

    Parameters
    ----------
    sequences : list of lists of int, or list of ndarray
        N sequences of token ids (lists of int), or N float arrays of shape (T_n, D)
    max_len : int | None
        pad (or truncate) to this length; default the longest sequence
    pad_value : float
        value written into padded positions (0 is the ``<pad>`` id)

    Returns
    -------
    padded : ndarray of shape (N, T) or (N, T, D)
        int64 token ids, or float features
    mask : ndarray of shape (N, T)
        True at real steps
    """
    if isinstance(sequences, (str, np.ndarray)) or not isinstance(sequences, Sequence):
        raise TypeError(f"sequences must be a list of sequences; got {_describe(sequences)}")
    if len(sequences) == 0:
        raise ValueError("sequences must hold at least one sequence; got an empty list")
    arrays = [np.asarray(s) for s in sequences]
    for i, a in enumerate(arrays):
        if a.size == 0:
            raise ValueError(f"sequence {i} is empty; every sequence needs at least one step")
    floats = arrays[0].ndim == 2
    for i, a in enumerate(arrays):
        if a.ndim != (2 if floats else 1):
            raise ValueError(
                f"sequence {i} must be {'a (T_n, D) float array' if floats else 'a flat list of ids'} "
                f"like sequence 0; got shape {a.shape}"
            )
        if floats and a.shape[1] != arrays[0].shape[1]:
            raise ValueError(
                f"sequence {i} must have D={arrays[0].shape[1]} features like sequence 0; got {a.shape[1]}"
            )
        if not floats:
            arrays[i] = as_int_array(f"sequence {i}", a)
    lengths = np.array([len(a) for a in arrays])
    if not floats and (isinstance(pad_value, bool) or not isinstance(pad_value, Integral) or pad_value < 0):
        raise ValueError(f"pad_value for token ids must be a non-negative int (0 is <pad>); got {pad_value!r}")
    T = int(lengths.max()) if max_len is None else positive_int("max_len", max_len)
    N = len(arrays)
    if floats:
        dtype = np.result_type(*arrays)
        padded = np.full((N, T, arrays[0].shape[1]), pad_value, dtype=dtype)
    else:
        padded = np.full((N, T), pad_value, dtype=np.int64)
    mask = np.zeros((N, T), dtype=bool)
    for n, a in enumerate(arrays):
        L = min(len(a), T)
        padded[n, :L] = a[:L]
        mask[n, :L] = True
    return padded, mask


def one_hot(ids: NDArray[np.integer], num_classes: int, dtype: DTypeLike = np.float64) -> NDArray[np.floating]:
    """One-hot vectors: ``out[..., k] = 1`` where ``ids == k``.

    Parameters
    ----------
    ids : integer ndarray of any shape
        e.g. (N, T), with entries in [0, num_classes)
    num_classes : int
        V

    Returns
    -------
    ndarray of shape ids.shape + (V,)
    """
    V = positive_int("num_classes", num_classes)
    ids = as_int_array("ids", ids, high=V)
    return np.eye(V, dtype=dtype)[ids]


def minibatches(
    *arrays: np.ndarray, batch_size: int, rng: np.random.Generator, shuffle: bool = True
) -> Iterator[tuple[np.ndarray, ...]]:
    """Yield aligned mini-batches of several arrays, in an order drawn from ``rng``.

    Every array must have the same first dimension N.  The last batch may be
    smaller; every example appears exactly once per pass.
    """
    batch_size = positive_int("batch_size", batch_size)
    rng = check_rng(rng)
    if not arrays:
        raise ValueError("minibatches needs at least one array")
    N = len(arrays[0])
    for i, a in enumerate(arrays):
        if len(a) != N:
            raise ValueError(f"every array must have the same first dimension N={N}; array {i} has {len(a)}")
    order = rng.permutation(N) if shuffle else np.arange(N)
    for start in range(0, N, batch_size):
        idx = order[start : start + batch_size]
        yield tuple(a[idx] for a in arrays)


def bag_of_words(
    ids: NDArray[np.integer], vocab_size: int, mask: NDArray[np.bool_] | None = None
) -> NDArray[np.float64]:
    """Count vectors: how often each token occurs in each sequence, order thrown away.

    Padding (id 0, or wherever ``mask`` is 0) is not counted.

    Parameters
    ----------
    ids : ndarray of shape (N, T)
    vocab_size : int
        V
    mask : optional ndarray of shape (N, T)

    Returns
    -------
    counts : ndarray of shape (N, V)
    """
    V = positive_int("vocab_size", vocab_size)
    ids = as_int_array("ids", ids, high=V)
    if ids.ndim != 2:
        raise ValueError(f"ids must have shape (N, T); got {ids.shape}")
    keep = ids != 0 if mask is None else Shapes().mask("mask", mask, ids.shape)
    counts = np.zeros((ids.shape[0], V))
    rows = np.broadcast_to(np.arange(ids.shape[0])[:, None], ids.shape)
    np.add.at(counts, (rows[keep], ids[keep]), 1.0)
    return counts
