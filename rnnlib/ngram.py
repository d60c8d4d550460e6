"""Count-based baselines for a character language model (chapter 7).

A recurrent language model's perplexity means little on its own.  Two baselines
that need no training loop say what it is worth:

- :class:`CharNGram`, an interpolated n-gram: the probability of the next id given
  the previous n - 1 ids, estimated from counts, with absolute discounting so that
  every id keeps some probability and an unseen context falls back to a shorter one,

      P_j(c | h_j) = max(#(h_j c) - d, 0) / #(h_j)  +  d * u(h_j) / #(h_j) * P_{j-1}(c | h_{j-1})

  where h_j is the last j ids, #(.) counts occurrences in the training ids, u(h_j)
  is the number of distinct ids seen after h_j, and P_{-1} is uniform over the V ids
  (a context never seen, #(h_j) = 0, uses P_{j-1} unchanged).  Each P_j sums to 1.
- :func:`compressed_bits_per_char`, what a general-purpose compressor from the
  standard library (zlib, bz2, lzma) needs per character, optionally after it has
  read the training text.

Costs are quoted in nats per character (the cross-entropy a language model is trained
on); bits per character are nats / log 2, and perplexity is exp(nats).
"""

from __future__ import annotations

import bz2
import lzma
import zlib
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from rnnlib._checks import _describe, as_int_array, positive_int

__all__ = ["CharNGram", "compressed_bits_per_char"]

COMPRESSORS = {
    "zlib": lambda b: zlib.compress(b, 9),  # the algorithm of gzip, with a 32 KiB window
    "bz2": lambda b: bz2.compress(b, 9),  # the Burrows-Wheeler transform, blocks of 900 kB
    "lzma": lambda b: lzma.compress(b, preset=9),  # the algorithm of xz and 7-Zip
}


def _lookup(keys: NDArray[np.int64], values: NDArray[np.int64], queries: NDArray[np.int64]) -> NDArray[np.int64]:
    """values[i] where keys[i] == query (keys sorted), 0 for a query not in keys."""
    i = np.searchsorted(keys, queries)
    i = np.minimum(i, len(keys) - 1)
    return np.where(keys[i] == queries, values[i], 0)


class CharNGram:
    """An interpolated absolute-discounting n-gram over the ids 0..V-1.

    Parameters
    ----------
    order : int
        n; the model conditions on the previous n - 1 ids (order 1 is the
        unigram: character frequencies, no context)
    vocab_size : int
        V
    discount : float
        d in (0, 1], subtracted from every seen count and given to the shorter
        context
    """

    def __init__(self, order: int, vocab_size: int, discount: float = 0.75) -> None:
        self.order = positive_int("order", order)
        self.vocab_size = positive_int("vocab_size", vocab_size)
        if float(self.vocab_size) ** self.order >= 2.0**62:
            raise ValueError(
                f"order {self.order} with vocab_size {self.vocab_size} gives too many contexts to index in int64; "
                f"use a lower order"
            )
        if isinstance(discount, bool) or not isinstance(discount, (int, float)) or not 0 < discount <= 1:
            raise ValueError(f"discount must be a number in (0, 1]; got {_describe(discount)}")
        self.discount = float(discount)
        self.tables: list[dict[str, NDArray[np.int64]]] | None = None

    def _contexts(self, ids: NDArray[np.integer], j: int, targets: NDArray[np.integer]) -> NDArray[np.int64]:
        """The last j ids before each target position, as one integer each (base V)."""
        key = np.zeros(len(targets), dtype=np.int64)
        for back in range(j, 0, -1):
            key = key * self.vocab_size + ids[targets - back]
        return key

    def fit(self, ids: NDArray[np.integer] | Sequence[int]) -> CharNGram:
        """Count every context of length 0..n-1 and what follows it in ``ids`` (shape (L,)); returns self."""
        ids = as_int_array("ids", ids, high=self.vocab_size)
        if ids.ndim != 1 or len(ids) < self.order:
            raise ValueError(f"ids must have shape (L,) with L >= order = {self.order}; got shape {ids.shape}")
        V, tables = self.vocab_size, []
        for j in range(self.order):
            t = np.arange(j, len(ids))
            pair, pair_count = np.unique(self._contexts(ids, j, t) * V + ids[t], return_counts=True)
            ctx, first = np.unique(pair // V, return_index=True)
            tables.append(
                {
                    "pair": pair,
                    "pair_count": pair_count,
                    "context": ctx,
                    "context_count": np.add.reduceat(pair_count, first),
                    "distinct": np.diff(np.append(first, len(pair))),
                }
            )
        self.tables = tables
        return self

    def _check_fitted(self) -> list[dict[str, NDArray[np.int64]]]:
        if self.tables is None:
            raise RuntimeError("the n-gram has no counts yet: call fit(training_ids) first")
        return self.tables

    def _probability(
        self, history: NDArray[np.integer], positions: NDArray[np.integer], nxt: NDArray[np.integer]
    ) -> NDArray[np.float64]:
        """P(nxt[i] | history[:positions[i]]) for every i, interpolated from order 1 up to n."""
        tables, V, d = self._check_fitted(), self.vocab_size, self.discount
        p = np.full(len(nxt), 1.0 / V)
        for j, tab in enumerate(tables):
            usable = positions >= j  # a context of j ids needs j ids of history
            ctx = np.zeros(len(nxt), dtype=np.int64)
            ctx[usable] = self._contexts(history, j, positions[usable])
            c_h = np.where(usable, _lookup(tab["context"], tab["context_count"], ctx), 0)
            u_h = _lookup(tab["context"], tab["distinct"], ctx)
            c_hw = _lookup(tab["pair"], tab["pair_count"], ctx * V + nxt)
            seen = c_h > 0
            c = np.maximum(c_h, 1)
            p = np.where(seen, np.maximum(c_hw - d, 0) / c + d * u_h / c * p, p)
        return p

    def probabilities(self, context: NDArray[np.integer] | Sequence[int]) -> NDArray[np.float64]:
        """P(next id | context), ndarray of shape (V,) summing to 1; only the last n - 1 ids of
        ``context`` (any length, possibly empty) are used."""
        context = np.asarray(context) if len(context) else np.zeros(0, dtype=np.int64)
        context = as_int_array("context", context, high=self.vocab_size)
        if context.ndim != 1:
            raise ValueError(f"context must have shape (L,); got {context.shape}")
        V = self.vocab_size
        return self._probability(context, np.full(V, len(context)), np.arange(V))

    def context_counts(self, ids: NDArray[np.integer] | Sequence[int]) -> NDArray[np.int64]:
        """How often the training ids held each context of length n - 1 that ``ids`` uses.

        For every position t = n-1, ..., L-1 of ``ids`` (shape (L,)), the number of times
        the n - 1 ids before it, ``ids[t-n+1:t]``, occurred in the training ids followed
        by some id: the count #(h) that :meth:`probabilities` divides by.  0 means the
        model never saw the context and falls back to a shorter one.

        Returns
        -------
        counts : ndarray of shape (L - n + 1,)
            one count per position t = n-1, ..., L-1
        """
        tab = self._check_fitted()[-1]
        ids = as_int_array("ids", ids, high=self.vocab_size)
        if ids.ndim != 1 or len(ids) < self.order:
            raise ValueError(f"ids must have shape (L,) with L >= order = {self.order}; got shape {ids.shape}")
        t = np.arange(self.order - 1, len(ids))
        return _lookup(tab["context"], tab["context_count"], self._contexts(ids, self.order - 1, t))

    def log_probs(self, ids: NDArray[np.integer] | Sequence[int]) -> NDArray[np.float64]:
        """log P(ids[t] | ids[:t]) for t = 1..L-1 (the first id has no context and is not
        predicted, as in a language model's next-character targets), shape (L - 1,)."""
        self._check_fitted()
        ids = as_int_array("ids", ids, high=self.vocab_size)
        if ids.ndim != 1 or len(ids) < 2:
            raise ValueError(f"ids must have shape (L,) with L >= 2; got shape {ids.shape}")
        t = np.arange(1, len(ids))
        return np.log(self._probability(ids, t, ids[t]))

    def cross_entropy(self, ids: NDArray[np.integer] | Sequence[int]) -> float:
        """Mean -log P(next id) over ``ids[1:]``, in nats per character."""
        return float(-self.log_probs(ids).mean())

    def perplexity(self, ids: NDArray[np.integer] | Sequence[int]) -> float:
        """exp(cross_entropy(ids)): V for a model that has learned nothing."""
        return float(np.exp(self.cross_entropy(ids)))

    def __repr__(self) -> str:
        state = "fitted" if self.tables is not None else "not fitted"
        return f"CharNGram(order={self.order}, vocab_size={self.vocab_size}, discount={self.discount:g}, {state})"


def compressed_bits_per_char(text: str, method: str = "zlib", given: str = "") -> float:
    """Bits per character a standard-library compressor spends on ``text``.

    With ``given`` (e.g. the training text), the cost is the *extra* compressed size
    when ``text`` follows ``given``: the compressor has read ``given`` first, as a
    language model has read its training text.  Files are UTF-8; the cost is divided
    by the number of characters of ``text``.

    Parameters
    ----------
    text : str
        non-empty str
    method : {"zlib", "bz2", "lzma"}
        the compressor; "zlib" is gzip's algorithm
    given : str
        read before ``text``

    Returns
    -------
    bits : float
        8 * (compressed bytes of given + text - compressed bytes of given) / len(text)
    """
    if not isinstance(text, str) or not text:
        raise TypeError(f"text must be a non-empty str; got {_describe(text)}")
    if not isinstance(given, str):
        raise TypeError(f"given must be a str; got {_describe(given)}")
    if method not in COMPRESSORS:
        raise ValueError(f"method must be one of {list(COMPRESSORS)}; got {method!r}")
    squeeze = COMPRESSORS[method]
    before = len(squeeze(given.encode())) if given else 0
    return 8 * (len(squeeze((given + text).encode())) - before) / len(text)
