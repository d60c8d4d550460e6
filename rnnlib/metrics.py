"""Metrics: the accuracy of predicted tags and classes (chapter 3), of generated
sequences, by token accuracy and BLEU (chapters 3 and 8), the error of forecasts (chapter 4)
and a character model's cross-entropy (chapter 7).  Every metric of the package lives here.

:func:`masked_accuracy` is the share of real entries predicted right and
:func:`accuracy_by_class` the same for each true class separately (a tagger that is right
on the frequent tags can still miss every rare one). :func:`sequence_accuracy` compares
generated sequences with their targets, exactly and position by position, the stop
included.

:func:`translation_accuracy` scores a sequence-to-sequence model position by position,
with teacher forcing and running free.

:func:`rmse` is the root mean squared error of real-valued forecasts, one per horizon
(chapter 4's forecasts of the sea-surface temperature, :mod:`rnnlib.forecasting`).
:func:`running_mean` smooths a log's values, e.g. the loss of every update, as the loss
curves of chapters 6 and 7 draw them.

:func:`evaluate` is the mean cross-entropy of a character model (:mod:`rnnlib.charlm`,
chapter 7) on held-out streams, read with the state carried from chunk to chunk, and
:func:`perplexity` its exponential; :func:`carried_state_norms` reads the streams with no
update and reports how large the carried state grows.

BLEU (Papineni, Roukos, Ward and Zhu, 2002) scores outputs against references by the
n-grams they share, so a word that is right but one position off still counts. For
n = 1 .. 4 the *modified n-gram precision* p_n is the share of the outputs' n-grams that
also occur in the references, where an n-gram is counted at most as many times as it
occurs in its reference (*clipping*: "the the the" earns one "the" against "the cat"):

    p_n = sum over outputs of sum over its n-grams g of min(#_out(g), #_ref(g))
          / sum over outputs of its number of n-grams.

Precision alone rewards short outputs, so a *brevity penalty* multiplies the geometric
mean of the precisions, with c the total length of the outputs and r that of the
references:

    BP = 1 if c > r, else exp(1 - r / c),      BLEU = BP * exp(sum_n log(p_n) / 4).

Counts are summed over the whole corpus before dividing (corpus BLEU), as in the paper;
BLEU is 0 as soon as one p_n is 0. This module uses one reference per output.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from rnnlib._checks import Shapes, _describe, as_int_array, positive_int
from rnnlib._types import Array, BoolArray, IntArray
from rnnlib.charlm import CharLM, num_chunks, state_norm, stream_chunks
from rnnlib.losses import softmax_cross_entropy

Mask = BoolArray | None

__all__ = [
    "accuracy_by_class",
    "bleu",
    "brevity_penalty",
    "carried_state_norms",
    "evaluate",
    "masked_accuracy",
    "modified_precision",
    "ngrams",
    "perplexity",
    "rmse",
    "running_mean",
    "sequence_accuracy",
    "translation_accuracy",
]


# ---------------------------------------------------------------------------
# Accuracy: per entry, per class, per generated sequence
# ---------------------------------------------------------------------------


def masked_accuracy(pred: IntArray, target: IntArray, mask: Mask = None) -> float:
    """Fraction of the real entries where ``pred == target``.

    Parameters
    ----------
    pred, target : integer ndarray
        of the same shape, e.g. (N, T)
    mask : optional ndarray
        of that shape, 1 at the entries that count
    """
    pred, target = as_int_array("pred", pred), as_int_array("target", target)
    if pred.shape != target.shape:
        raise ValueError(f"pred must have the shape of target {target.shape}; got {pred.shape}")
    m = np.ones(pred.shape, bool) if mask is None else Shapes().mask("mask", mask, pred.shape)
    if not m.any():
        raise ValueError("mask selects no entries; the accuracy of zero entries is undefined")
    return float((pred == target)[m].mean())


def accuracy_by_class(pred: IntArray, target: IntArray, num_classes: int, mask: Mask = None) -> NDArray[np.float64]:
    """Accuracy separately for each true class: how often entries of class k are predicted k.

    Parameters
    ----------
    pred, target : integer ndarray
        of the same shape, e.g. (N, T)
    num_classes : int
        K
    mask : optional ndarray
        of that shape

    Returns
    -------
    acc : ndarray of shape (K,)
        NaN for a class with no entries
    """
    K = positive_int("num_classes", num_classes)
    pred, target = as_int_array("pred", pred), as_int_array("target", target, high=K)
    if pred.shape != target.shape:
        raise ValueError(f"pred must have the shape of target {target.shape}; got {pred.shape}")
    m = np.ones(pred.shape, bool) if mask is None else Shapes().mask("mask", mask, pred.shape)
    total = np.bincount(target[m], minlength=K).astype(float)
    right = np.bincount(target[m], weights=(pred == target)[m], minlength=K)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, right / np.where(total > 0, total, 1), np.nan)


def sequence_accuracy(predicted: Sequence[Sequence[int]], targets: Sequence[Sequence[int]]) -> tuple[float, float]:
    """Exact-match and token accuracy of generated sequences against their targets.

    Token accuracy compares position by position over the target's length plus one
    (the place where the model should stop), so a missing or extra token counts
    as an error.

    Parameters
    ----------
    predicted : list of lists of int
        N lists of ids (without <eos>)
    targets : list of lists of int
        N lists of ids (without <eos>)

    Returns
    -------
    exact_match
        fraction of outputs identical to their target
    token_accuracy
        fraction of target positions (and stops) predicted right
    """
    if len(predicted) != len(targets) or len(targets) == 0:
        raise ValueError(
            f"predicted and targets must hold the same positive number of sequences; "
            f"got {len(predicted)} and {len(targets)}"
        )
    exact, right, total = 0, 0, 0
    for p, t in zip(predicted, targets):
        p, t = list(p), list(t)
        exact += p == t
        p_end, t_end = p + [None], t + [None]  # None marks the stop
        right += sum(a == b for a, b in zip(p_end, t_end))
        total += len(t_end)
    return exact / len(targets), right / total


# ---------------------------------------------------------------------------
# BLEU
# ---------------------------------------------------------------------------


def ngrams(tokens: Sequence[Any], n: int) -> Counter[tuple[Any, ...]]:
    """The n-grams of a sequence with their counts.

    Parameters
    ----------
    tokens : sequence
        of tokens (words or ids)
    n : int
        the length of the n-grams, >= 1

    Returns
    -------
    counts : Counter
        n-gram (a tuple of n tokens) -> number of times it occurs; empty if
        ``len(tokens) < n``

    >>> sorted(ngrams(["a", "b", "a", "b"], 2).items())
    [(('a', 'b'), 2), (('b', 'a'), 1)]
    """
    n = positive_int("n", n)
    tokens = list(tokens)
    return Counter(tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1))


def _check_pairs(outputs: object, references: object) -> tuple[list[list[Any]], list[list[Any]]]:
    checked: list[Sequence[Any]] = []
    for name, x in (("outputs", outputs), ("references", references)):
        if isinstance(x, str) or not isinstance(x, Sequence) or any(isinstance(s, str) for s in x):
            raise TypeError(f"{name} must be a list of token sequences (lists of words or ids); got {_describe(x)}")
        checked.append(x)
    outs, refs = checked
    if len(outs) != len(refs):
        raise ValueError(
            f"outputs and references must pair up, one reference per output; got {len(outs)} and {len(refs)}"
        )
    if len(outs) == 0:
        raise ValueError("outputs must hold at least one sequence")
    return [list(s) for s in outs], [list(s) for s in refs]


def modified_precision(
    outputs: Sequence[Sequence[Any]], references: Sequence[Sequence[Any]], n: int
) -> tuple[int, int]:
    """The clipped n-gram matches and the n-gram count of a corpus, whose ratio is p_n.

    Parameters
    ----------
    outputs : list
        of N token sequences
    references : list
        of N token sequences, one per output
    n : int
        the n-gram length

    Returns
    -------
    matches : int
        sum over outputs of min(count in the output, count in its reference) over its n-grams
    total : int
        the number of n-grams in the outputs (0 if every output is shorter than n)
    """
    outputs, references = _check_pairs(outputs, references)
    n = positive_int("n", n)
    matches = total = 0
    for out, ref in zip(outputs, references):
        got, allowed = ngrams(out, n), ngrams(ref, n)
        matches += sum(min(c, allowed[g]) for g, c in got.items())
        total += sum(got.values())
    return matches, total


def brevity_penalty(output_length: int, reference_length: int) -> float:
    """BLEU's penalty for outputs shorter than their references: 1 if c > r, else exp(1 - r / c).

    Parameters
    ----------
    output_length : int
        c, the total length of the outputs, >= 0 (0 gives a penalty of 0)
    reference_length : int
        r, the total length of the references, >= 0

    Returns
    -------
    bp : float
        in [0, 1]
    """
    for name, v in (("output_length", output_length), ("reference_length", reference_length)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 0:
            raise ValueError(f"{name} must be an int >= 0; got {v!r}")
    if output_length > reference_length:
        return 1.0
    if output_length == 0:
        return 0.0
    return float(np.exp(1 - reference_length / output_length))


def bleu(outputs: Sequence[Sequence[Any]], references: Sequence[Sequence[Any]], max_n: int = 4) -> float:
    """Corpus BLEU of outputs against one reference each (Papineni et al., 2002).

    Parameters
    ----------
    outputs : list
        of N token sequences (lists of words or ids), e.g. translations
    references : list
        of N token sequences, the reference of each output
    max_n : int
        the longest n-gram, 4 in the paper

    Returns
    -------
    score : float
        BP * exp(mean over n = 1 .. max_n of log p_n), in [0, 1]; 1 when every output
        equals its reference (and has at least ``max_n`` tokens in total), 0 if some
        p_n is 0

    >>> round(bleu([["the", "cat", "sat", "on", "the", "mat"]], [["the", "cat", "sat", "on", "a", "mat"]]), 4)
    0.5373
    >>> round(bleu([["the", "cat", "sat", "on", "the", "mat"]], [["the", "cat", "sat", "on", "a", "mat"]], max_n=2), 4)
    0.7071
    """
    outputs, references = _check_pairs(outputs, references)
    max_n = positive_int("max_n", max_n)
    log_p = 0.0
    for n in range(1, max_n + 1):
        matches, total = modified_precision(outputs, references, n)
        if matches == 0:
            return 0.0
        log_p += np.log(matches / total) / max_n
    bp = brevity_penalty(sum(map(len, outputs)), sum(map(len, references)))
    return float(bp * np.exp(log_p))


def translation_accuracy(
    model: Any,
    src: IntArray,
    tgt: IntArray,
    src_mask: Mask = None,
    tgt_mask: Mask = None,
    groups: IntArray | None = None,
    max_len: int = 20,
) -> dict[str, Any]:
    """Token accuracy of a sequence-to-sequence model, with teacher forcing and running free.

    *Teacher-forced* accuracy is the share of real target steps (``tgt_mask``, including
    each <eos>) whose most likely word, given the true history, is right. *Free-running*
    accuracy decodes greedily with ``model.translate`` and compares position by position
    with :func:`sequence_accuracy`, so a missing or extra word is an
    error. The gap between the two is exposure bias.

    Parameters
    ----------
    model : AttentionEncoderDecoder or EncoderDecoder
        an :class:`rnnlib.attention.AttentionEncoderDecoder` or
        :class:`rnnlib.architectures.EncoderDecoder` (anything with ``forward``,
        ``translate`` and ``eos_id``)
    src : ndarray of shape (N, S)
    tgt : ndarray of shape (N, T)
        each target ending with <eos>
    src_mask : optional ndarray of shape (N, S)
    tgt_mask : optional ndarray of shape (N, T)
    groups : optional ndarray of shape (N,)
        ints, e.g. the source lengths; the
        accuracies are then also reported for each distinct value
    max_len : int
        longest greedy translation, in words

    Returns
    -------
    dict with floats "forced", "free" and "exact" (the share of translations exactly
    right) and, with ``groups``: "groups" (K,) the sorted distinct values, and
    "forced_by_group", "free_by_group", "exact_by_group", each an ndarray of shape (K,)
    """
    s = Shapes()
    src = s.ints("src", src, ("N", "S"))
    tgt = s.ints("tgt", tgt, ("N", "T"))
    src_mask = s.mask("src_mask", src_mask, ("N", "S"))
    tgt_mask = np.ones(tgt.shape, bool) if tgt_mask is None else s.mask("tgt_mask", tgt_mask, ("N", "T"))
    ends = [row[m][-1] if m.any() else None for row, m in zip(tgt, tgt_mask)]
    if any(e != model.eos_id for e in ends):
        bad = next(i for i, e in enumerate(ends) if e != model.eos_id)
        raise ValueError(
            f"every target must end with <eos> (id {model.eos_id}) at its last real step; row {bad} does not"
        )
    scores, _ = model.forward(src, tgt, src_mask, tgt_mask)
    right = scores.argmax(axis=2) == tgt  # (N, T): right given the true history
    outputs = model.translate(src, src_mask, max_len=max_len)
    targets = [row[m][:-1].tolist() for row, m in zip(tgt, tgt_mask)]  # without <eos>
    exact, free = sequence_accuracy(outputs, targets)
    result: dict[str, Any] = {"forced": float(right[tgt_mask].mean()), "free": free, "exact": exact}
    if groups is not None:
        g = s.ints("groups", groups, ("N",))
        values = np.unique(g)
        rows = [np.flatnonzero(g == v) for v in values]
        per_group = [sequence_accuracy([outputs[i] for i in r], [targets[i] for i in r]) for r in rows]
        result |= {
            "groups": values,
            "forced_by_group": np.array([right[r][tgt_mask[r]].mean() for r in rows]),
            "free_by_group": np.array([f for _, f in per_group]),
            "exact_by_group": np.array([e for e, _ in per_group]),
        }
    return result


# ---------------------------------------------------------------------------
# A character language model on held-out streams (chapter 7)
# ---------------------------------------------------------------------------


def _check_char_lm(model: object, streams: object) -> tuple[CharLM, IntArray]:
    if not isinstance(model, CharLM):
        raise TypeError(f"model must be an rnnlib.charlm.CharLM; got {_describe(model)}")
    return model, Shapes().ints("streams", streams, ("N", "S"), high=model.vocab_size)


def evaluate(model: CharLM, streams: IntArray, chunk_length: int) -> float:
    """Mean cross-entropy (nats per character) of a character model on streams, carrying the state.

    Parameters
    ----------
    model : CharLM
        a :class:`rnnlib.charlm.CharLM`
    streams : ndarray of shape (N, S)
        e.g. ``text_streams(held_out_ids, N)``
    chunk_length : int
        k; only memory depends on it, since the state is carried

    Returns
    -------
    loss : float
        the mean of -log P(next character) over every predicted character
    """
    model, streams = _check_char_lm(model, streams)
    total, count = 0.0, 0
    state = model.initial_state(streams.shape[0])
    for x, y in stream_chunks(streams, chunk_length):
        scores, cache = model.forward(x, state)
        loss, _ = softmax_cross_entropy(scores, y)
        total, count = total + loss * y.size, count + y.size
        state = cache["state"]
    return total / count


def perplexity(model: CharLM, streams: IntArray, chunk_length: int) -> float:
    """exp(mean cross-entropy): the number of characters the model is, on average, as
    unsure between as a uniform guess would be.  A uniform model scores exactly V."""
    return float(np.exp(evaluate(model, streams, chunk_length)))


def carried_state_norms(
    model: CharLM, streams: IntArray, chunk_length: int, chunks: int | None = None
) -> NDArray[np.float64]:
    """How large the carried state grows when the model reads the streams with no update at all.

    The streams are read chunk by chunk from a zero state, carrying the state as
    :func:`rnnlib.training.train_tbptt` does, but nothing is learned: the parameters stay
    as they are.  This separates what the forward pass does on its own (an IRNN adds its
    inputs up) from what the updates do.

    Parameters
    ----------
    model : CharLM
        a :class:`rnnlib.charlm.CharLM` (left unchanged)
    streams : ndarray of shape (N, S)
        from :func:`rnnlib.charlm.text_streams`
    chunk_length : int
        k
    chunks : int | None
        read only the first ``chunks`` chunks (default: one whole pass)

    Returns
    -------
    norms : ndarray of shape (chunks,)
        the mean over streams of the norm of the top layer's state after each chunk,
        the quantity ``train_tbptt`` logs as ``"state_norm"``
    """
    model, streams = _check_char_lm(model, streams)
    k = positive_int("chunk_length", chunk_length)
    available = num_chunks(streams.size, streams.shape[0], k)
    total = available if chunks is None else positive_int("chunks", chunks)
    if total > available:
        raise ValueError(
            f"chunks must be at most {available}, the chunks of length {k} in one pass over these streams; got {total}"
        )
    state, norms = model.initial_state(streams.shape[0]), []
    for x, _ in stream_chunks(streams, k):
        _, cache = model.forward(x, state)
        state = cache["state"]
        norms.append(state_norm(state))
        if len(norms) == total:
            break
    return np.array(norms)


# ---------------------------------------------------------------------------
# The error of real-valued forecasts (chapter 4)
# ---------------------------------------------------------------------------


def rmse(forecast: Array, actual: Array, axis: int | None = 0) -> Array | float:
    """Root mean squared error, sqrt(mean((forecast - actual)^2)) over ``axis``.

    Parameters
    ----------
    forecast : ndarray
    actual : ndarray
        of the same shape
    axis : int | None
        0 (the default) averages over the origins of (N, K) forecasts, one error per
        horizon; None over everything

    Returns
    -------
    error : ndarray or float
    """
    f, a = np.asarray(forecast, dtype=float), np.asarray(actual, dtype=float)
    if f.shape != a.shape:
        raise ValueError(f"forecast and actual must have the same shape; got {f.shape} and {a.shape}")
    return np.sqrt(np.mean((f - a) ** 2, axis=axis))


# ---------------------------------------------------------------------------
# Smoothing a log's values (the curves of chapters 6 and 7)
# ---------------------------------------------------------------------------


def running_mean(values: Sequence[float] | NDArray[np.floating], window: int) -> NDArray[np.float64]:
    """The mean of the last ``window`` values at every point, e.g. of a log's losses, update by update.

    Before the ``window``-th value, the mean of all the values so far.  The figures that
    smooth a loss curve (:func:`rnnlib.plots.plot_curves` with ``smooth``) draw this.

    Parameters
    ----------
    values : ndarray of shape (S,)
    window : int

    Returns
    -------
    means : ndarray of shape (S,)
        ``means[s] = mean(values[max(0, s - window + 1) : s + 1])``
    """
    y = np.asarray(values, dtype=np.float64)
    if y.ndim != 1:
        raise ValueError(f"values must have shape (S,); got {y.shape}")
    w = positive_int("window", window)
    c = np.cumsum(np.concatenate([[0.0], y]))
    idx = np.arange(1, y.size + 1)
    lo = np.maximum(idx - w, 0)
    return (c[idx] - c[lo]) / (idx - lo)
