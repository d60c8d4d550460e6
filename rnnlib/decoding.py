"""Decoding a sequence-to-sequence model: greedy search and beam search (chapter 8).

A trained decoder gives, at every step, a distribution over the next token given the
source and the tokens written so far. The probability of a whole output y_1 .. y_T
(the last one <eos>) is the product of those, so its log-probability is the sum

    log p(y | x) = sum_t log p(y_t | y_1 .. y_(t-1), x).

*Greedy decoding* takes the most likely token at every step. *Beam search* keeps the
``beam_width`` best partial outputs (the *beam*) instead: at every step it extends each
of them by every token, and keeps the ``beam_width`` best of all those extensions. A
finished output (one that has written <eos>) stays in the beam as it is and competes
with the longer ones still growing. Longer outputs collect more negative log-probability
terms, so beam search is biased towards short outputs; *length normalisation* ranks by

    score(y) = log p(y | x) / |y| ** nu

instead, where |y| counts the tokens written, <eos> included, and nu is the argument
``length_penalty`` (nu = 0: no normalisation; nu = 1: the mean log-probability per
token). With a beam of width 1 only the extensions of a single output compete, all of
the same length, so beam search is exactly greedy decoding whatever nu.

:func:`beam_search` decodes a whole batch at once, ``beam_width`` rows per source. It
works with any model that offers two methods, as :class:`rnnlib.architectures.EncoderDecoder`
and :class:`rnnlib.attention.AttentionEncoderDecoder` do (their ``translate`` runs the same step):

    decode_start(src, src_mask) -> state             a dict of arrays, each with N rows
    decode_step(state, tokens)  -> (log_probs, state) log_probs (N, V), tokens (N,)

together with the attributes ``bos_id`` and ``eos_id``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from rnnlib._checks import Shapes, _describe, positive_int
from rnnlib._types import IntArray

__all__ = ["beam_search", "sequence_log_probs"]


def _steps(model: Any) -> Any:
    if hasattr(model, "decode_start") and hasattr(model, "decode_step"):
        return model
    raise TypeError(
        "model must have decode_start and decode_step methods, like EncoderDecoder and "
        f"AttentionEncoderDecoder; got {_describe(model)}"
    )


def beam_search(
    model: Any,
    src: IntArray,
    src_mask: Any = None,
    beam_width: int = 4,
    max_len: int = 20,
    length_penalty: float = 1.0,
) -> tuple[list[list[int]], NDArray[np.float64]]:
    """Beam search with length normalisation, for a whole batch of sources at once.

    Every step extends each unfinished output of the beam by every token, keeps each
    finished one as it is, and keeps the ``beam_width`` candidates of highest
    log p(y | x) / |y| ** nu (|y|: tokens written, <eos> included; nu is
    ``length_penalty``). Decoding stops when every output in every beam has written
    <eos>, or after ``max_len + 1`` steps, as in ``translate``: an output may have
    ``max_len`` tokens and then <eos>, and one that has written ``max_len + 1`` tokens
    without <eos> is cut to its first ``max_len`` (its log-probability then counts those
    only, and no <eos>). The answer is the best output of the final beam by the score it
    had in the search. ``beam_width=1`` is greedy decoding. With ``length_penalty=0``
    the search also stops once every source's best finished output scores at least as
    high as all its unfinished ones, which can only fall further.

    Parameters
    ----------
    model : AttentionEncoderDecoder or EncoderDecoder
        anything with ``decode_start``, ``decode_step``, ``bos_id`` and ``eos_id``
        (see the module docstring)
    src : ndarray of shape (N, S)
        source ids
    src_mask : optional ndarray of shape (N, S)
    beam_width : int
        B, the number of outputs kept per source
    max_len : int
        at most this many tokens per output (not counting <eos>)
    length_penalty : float
        nu, the length-normalisation exponent, >= 0; 0 ranks by log-probability alone

    Returns
    -------
    outputs : list
        of N lists of target ids, without <bos> and <eos>
    log_probs : ndarray of shape (N,)
        log p(y | x) of each output, its <eos> included when it has one
    """
    steps = _steps(model)
    k, max_len = positive_int("beam_width", beam_width), positive_int("max_len", max_len)
    nu = length_penalty
    if isinstance(nu, bool) or not isinstance(nu, (int, float)) or not np.isfinite(nu) or nu < 0:
        raise ValueError(f"length_penalty must be a finite number >= 0; got {nu!r}")
    src = Shapes().ints("src", src, ("N", "S"))
    N, eos = src.shape[0], steps.eos_id
    state = steps.decode_start(src, src_mask)
    state = {key: np.repeat(a, k, axis=0) for key, a in state.items()}  # row n * k + b: beam b of source n
    logp = np.full((N, k), -np.inf)
    logp[:, 0] = 0.0  # one start per source; the copies are dead until they are replaced
    tokens = np.zeros((N, k, 0), dtype=np.int64)
    length = np.zeros((N, k))
    done = np.zeros((N, k), dtype=bool)
    last = np.full(N * k, steps.bos_id)
    before = logp  # log p of each output without its last token
    for _ in range(max_len + 1):  # + 1: room for the <eos> after max_len tokens
        lp, new_state = steps.decode_step(state, last)  # (N k, V)
        V = lp.shape[1]
        grown = logp[:, :, None] + lp.reshape(N, k, V)  # extend every output by every token ...
        grown[done] = -np.inf  # ... except the finished ones,
        kept = np.where(done, logp, -np.inf)[:, :, None]  # which stay as they are
        cand = np.concatenate([grown, kept], axis=2)  # (N, k, V + 1); column V: "keep as it is"
        cand_len = np.concatenate([np.broadcast_to(length[:, :, None] + 1, grown.shape), length[:, :, None]], axis=2)
        with np.errstate(divide="ignore", invalid="ignore"):
            score = np.where(np.isfinite(cand), cand / np.maximum(cand_len, 1) ** nu, -np.inf)
        best = np.argsort(-score.reshape(N, -1), axis=1, kind="stable")[:, :k]  # (N, k), ties to the lowest index
        parent, token = best // (V + 1), best % (V + 1)
        rows = np.arange(N)[:, None]
        keep = token == V
        before = np.where(keep, cand.reshape(N, -1)[rows, best], logp[rows, parent])
        logp = cand.reshape(N, -1)[rows, best]
        length = cand_len.reshape(N, -1)[rows, best]
        tokens = np.concatenate([tokens[rows, parent], np.where(keep, -1, token)[:, :, None]], axis=2)
        done = done[rows, parent] | (token == eos)
        flat = (rows * k + parent).ravel()
        state = {key: a[flat] for key, a in new_state.items()}
        last = np.where(keep, eos, token).ravel()
        if done.all():
            break
        if nu == 0:  # log p only falls as an output grows: a finished best cannot be overtaken
            best_done = np.where(done, logp, -np.inf).max(axis=1)
            if (best_done >= np.where(done, -np.inf, logp).max(axis=1)).all():
                break
    with np.errstate(divide="ignore", invalid="ignore"):
        final = np.where(np.isfinite(logp), logp / np.maximum(length, 1) ** nu, -np.inf)
    choice = np.argmax(final, axis=1)
    outputs, chosen = [], logp[np.arange(N), choice]
    for n, b in enumerate(choice):
        row = [t for t in tokens[n, b].tolist() if t >= 0]
        if eos in row:
            outputs.append(row[: row.index(eos)])
        else:  # max_len + 1 tokens and no <eos>: cut to max_len, as translate does
            outputs.append(row[:max_len])
            if len(row) > max_len:
                chosen[n] = before[n, b]
    return outputs, chosen


def sequence_log_probs(
    model: Any, src: IntArray, outputs: list[list[int]], src_mask: Any = None
) -> NDArray[np.float64]:
    """log p(y | x) of given outputs, each followed by <eos>, under a model's decoder.

    Parameters
    ----------
    model : AttentionEncoderDecoder or EncoderDecoder
        as for :func:`beam_search`
    src : ndarray of shape (N, S)
        source ids
    outputs : list
        of N lists of target ids, without <bos> and <eos> (e.g. references)
    src_mask : optional ndarray of shape (N, S)

    Returns
    -------
    log_probs : ndarray of shape (N,)
        the sum over the output's tokens and its <eos> of log p(token | history, x)
    """
    steps = _steps(model)
    src = Shapes().ints("src", src, ("N", "S"))
    if not isinstance(outputs, (list, tuple)) or len(outputs) != src.shape[0]:
        raise ValueError(f"outputs must be a list of N = {src.shape[0]} lists of ids; got {_describe(outputs)}")
    seqs = [list(o) + [steps.eos_id] for o in outputs]
    T = max(len(o) for o in seqs)
    state = steps.decode_start(src, src_mask)
    last = np.full(src.shape[0], steps.bos_id)
    total = np.zeros(src.shape[0])
    for t in range(T):
        lp, state = steps.decode_step(state, last)
        nxt = np.array([o[t] if t < len(o) else steps.eos_id for o in seqs])
        live = np.array([t < len(o) for o in seqs])
        total += np.where(live, lp[np.arange(len(seqs)), nxt], 0.0)
        last = nxt
    return total
