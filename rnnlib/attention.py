"""Attention, and an encoder-decoder that uses it (chapter 8).

A plain encoder-decoder squeezes the whole source into one vector of H numbers. With
attention the decoder keeps all S encoder states h_1 .. h_S and, at every output step,
reads a weighted average of them, the *context*. The weights come from comparing the
decoder's state (the *query* q_t) with every encoder state (the *keys*, which here also
serve as the *values* that get averaged):

    u_tj     = score(q_t, h_j)                                   scores  (N, T, S)
    alpha_tj = exp(u_tj) / sum_{k real} exp(u_tk),  0 at padding  weights (N, T, S)
    kappa_t  = sum_j alpha_tj h_j                                context (N, T, Hk)

(chapter 8 writes the score u and the context kappa, to keep them apart from the
embedding e(y) and from an LSTM's cell state c_t).

Two scores are implemented, each as a forward/backward pair:

    additive (Bahdanau, Cho and Bengio, 2015):   score(q, h) = tanh(q W_q + h W_k) omega
    scaled dot product (Luong, Pham and Manning, 2015; Vaswani et al., 2017):
                                                 score(q, h) = q . h / sqrt(Hk)

The mask (N, S) marks the real source positions. A padded position gets a weight of
exactly 0 (its score is replaced by -inf before a max-shifted softmax), so padding can
neither receive attention nor gradient. A mask of shape (N, T, S) gives every query its
own positions instead, such as the causal mask of a language model (query t sees 1..t).

Built on these: :class:`AttentionEncoderDecoder`, the encoder-decoder with attention;
:func:`source_gradient_norms`, how strongly each output step's loss reaches each source
word; and :func:`sinusoidal_positions`, the position codes of the Transformer. Both
encoder-decoders are scored by :func:`rnnlib.metrics.translation_accuracy`.

Shapes are batch-first: queries (N, T, Hq), keys (N, S, Hk), mask (N, S), weights
(N, T, S), context (N, T, Hk). Each ``*_forward`` returns ``(context, cache)``, like every
other layer in rnnlib; the weights are in the cache, read them with
:func:`attention_weights` (or ``cache["weights"]``). The ``*_backward`` below it takes
dL/dcontext (and, optionally, dL/dweights) and returns the gradients in the order of the
forward's array inputs.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
from numpy.typing import NDArray

from rnnlib._checks import Shapes, _describe, as_float_array, check_bool, check_cache, check_rng, positive_int
from rnnlib._types import Array, BoolArray, IntArray
from rnnlib.activations import log_softmax
from rnnlib.architectures import check_special_ids, decoder_inputs
from rnnlib.data import one_hot
from rnnlib.init import embedding, normal
from rnnlib.layers import embedding_backward, embedding_forward, temporal_affine_backward, temporal_affine_forward
from rnnlib.losses import softmax_cross_entropy
from rnnlib.models import count_parameters
from rnnlib.recurrent import Recurrent

Mask = BoolArray | None

__all__ = [
    "AttentionEncoderDecoder",
    "additive_attention_backward",
    "additive_attention_forward",
    "attention_weights",
    "dot_attention_backward",
    "dot_attention_forward",
    "masked_softmax",
    "sinusoidal_positions",
    "source_gradient_norms",
]


# ---------------------------------------------------------------------------
# The masked softmax shared by both scores
# ---------------------------------------------------------------------------


def _as_mask(mask: object, scores: np.ndarray) -> np.ndarray | None:
    """The mask as a bool array broadcastable against ``scores``, or None."""
    if mask is None:
        return None
    m = np.asarray(mask)
    if m.dtype != bool:
        if not np.issubdtype(m.dtype, np.number) or not np.isin(m, (0, 1)).all():
            raise ValueError(f"mask must hold only 0 and 1 (or True and False); got {_describe(mask)}")
        m = m.astype(bool)
    if m.shape == scores.shape:
        pass
    elif scores.ndim == 3 and m.shape == (scores.shape[0], scores.shape[2]):
        m = m[:, None, :]  # one source mask (N, S) for every output step
    else:
        want = f"{scores.shape}" + (f" or (N, S) = {(scores.shape[0], scores.shape[2])}" if scores.ndim == 3 else "")
        raise ValueError(f"mask must have shape {want} to match the scores; got {m.shape}")
    _require_real(m)
    return m


def _require_real(mask: BoolArray, name: str = "mask") -> None:
    """Every row needs a real position: a softmax over nothing has no value."""
    empty = ~mask.any(axis=-1)
    if empty.any():
        rows = np.flatnonzero(empty).tolist() if empty.ndim == 1 else [tuple(i) for i in np.argwhere(empty).tolist()]
        raise ValueError(f"every row of {name} needs at least one real (1) position to attend; rows {rows} are all 0")


def masked_softmax(scores: Array, mask: BoolArray | None = None) -> Array:
    """Attention weights: a softmax over the last axis that gives masked positions exactly 0.

    The masked scores are replaced by -inf and the rest shifted by their maximum, so
    exp never overflows and exp(-inf) = 0 exactly: padding gets no weight at all.

    Parameters
    ----------
    scores : ndarray of shape (..., S)
        e.g. (S,) for one query or (N, T, S)
    mask : ndarray | None
        optional, 1 (True) at real positions: an ndarray of the shape of ``scores``,
        or of shape (N, S) for scores of shape (N, T, S). Every row needs a real position.

    Returns
    -------
    weights : ndarray
        of the shape of ``scores``, non-negative, each row summing to 1

    >>> masked_softmax(np.array([1.0, 2.0, 5.0]), np.array([1, 1, 0])).round(3)
    array([0.269, 0.731, 0.   ])
    """
    z = as_float_array("scores", scores)
    if z.ndim == 0 or z.shape[-1] == 0:
        raise ValueError(f"scores must have shape (..., S) with S >= 1; got {z.shape}")
    return _softmax(z, _as_mask(mask, z))


def _softmax(z: Array, m: BoolArray | None) -> Array:
    if m is not None:
        z = np.where(m, z, -np.inf)
    e = np.exp(z - z.max(axis=-1, keepdims=True))  # the maximum is a real score, so finite
    return e / e.sum(axis=-1, keepdims=True)


def _softmax_backward(dweights: Array, weights: Array) -> Array:
    """dL/dscores from dL/dweights; masked positions (weight 0) get exactly 0.

    With alpha_bar = dL/dweights, d alpha_j / d u_i = alpha_j ([i = j] - alpha_i) gives
    dL/du_i = alpha_i (alpha_bar_i - sum_j alpha_j alpha_bar_j), row by row, without the
    S x S Jacobian.
    """
    return weights * (dweights - np.sum(dweights * weights, axis=-1, keepdims=True))


def _attention_mask(s: Shapes, mask: object) -> BoolArray | None:
    """A source mask (N, S) or a per-query mask (N, T, S), checked against the bound sizes."""
    if mask is None:
        return None
    spec = ("N", "T", "S") if np.asarray(mask).ndim == 3 else ("N", "S")
    m = s.mask("mask", mask, spec)
    assert m is not None  # a mask given is a mask returned
    _require_real(m)
    return m


def _per_query(mask: BoolArray | None) -> BoolArray | None:
    """The mask in a shape that broadcasts against scores (N, T, S)."""
    return mask if mask is None or mask.ndim == 3 else mask[:, None, :]


def _check_dweights(dweights: Array | None, weights: Array) -> Array | None:
    return None if dweights is None else Shapes().floats("dweights", dweights, weights.shape)


# ---------------------------------------------------------------------------
# Additive (Bahdanau) attention
# ---------------------------------------------------------------------------


def additive_attention_forward(
    query: Array, keys: Array, W_q: Array, W_k: Array, omega: Array, mask: Mask = None
) -> tuple[Array, dict[str, Any]]:
    """Additive attention: score(q_t, h_j) = tanh(q_t W_q + h_j W_k) omega.

    Parameters
    ----------
    query : ndarray of shape (N, T, Hq)
        one query per output step (T = 1 for one step)
    keys : ndarray of shape (N, S, Hk)
        the encoder states; also the values averaged
    W_q : ndarray of shape (Hq, A)
    W_k : ndarray of shape (Hk, A)
    omega : ndarray of shape (A,)
    mask : ndarray | None
        optional, 1 where a query may look: ndarray of shape (N, S) (the real source
        positions, the same for every query) or (N, T, S) (one row per query, e.g. causal)

    Returns
    -------
    context : ndarray of shape (N, T, Hk)
    cache : dict
        for :func:`additive_attention_backward`; ``cache["weights"]`` (read it with
        :func:`attention_weights`) holds the weights, ndarray of shape (N, T, S), each
        row summing to 1 over the real positions
    """
    s = Shapes()
    query = s.floats("query", query, ("N", "T", "Hq"))
    keys = s.floats("keys", keys, ("N", "S", "Hk"))
    W_q = s.floats("W_q", W_q, ("Hq", "A"))
    W_k = s.floats("W_k", W_k, ("Hk", "A"))
    omega = s.floats("omega", omega, ("A",))
    mask = _attention_mask(s, mask)
    context, _, cache = _additive_core(query @ W_q, keys @ W_k, keys, omega, mask)
    return context, cache | {"query": query, "W_q": W_q, "W_k": W_k}


def _additive_core(pq: Array, pk: Array, keys: Array, v: Array, mask: Mask) -> tuple[Array, Array, dict[str, Any]]:
    """Additive attention from projected queries pq (N, T, A) and keys pk (N, S, A)."""
    # Every (query, key) pair gets its own hidden layer of A tanh units: (N, T, S, A).
    a = np.tanh(pq[:, :, None, :] + pk[:, None, :, :])
    weights = _softmax(a @ v, _per_query(mask))  # (N, T, S)
    context = weights @ keys  # (N, T, S) @ (N, S, Hk) -> (N, T, Hk)
    return context, weights, {"keys": keys, "v": v, "a": a, "weights": weights}


def additive_attention_backward(
    dcontext: Array, cache: dict[str, Any], dweights: Array | None = None
) -> tuple[Array, Array, Array, Array, Array]:
    """Gradients of :func:`additive_attention_forward`.

    Parameters
    ----------
    dcontext : ndarray of shape (N, T, Hk)
    cache : dict
        from :func:`additive_attention_forward`
    dweights : optional ndarray of shape (N, T, S)
        for a loss that also reads the weights

    Returns
    -------
    dquery (N, T, Hq), dkeys (N, S, Hk), dW_q (Hq, A), dW_k (Hk, A), domega (A,)
    """
    check_cache(cache, "additive_attention_forward", ("query", "keys", "W_q", "W_k", "v", "a", "weights"))
    query, keys, W_q, W_k = (cache[k] for k in ("query", "keys", "W_q", "W_k"))
    N, T, Hq = query.shape
    _, S, Hk = keys.shape
    A = W_q.shape[1]
    dcontext = Shapes().floats("dcontext", dcontext, (N, T, Hk))
    dpq, dpk, dkeys, dv = _additive_core_backward(dcontext, cache, _check_dweights(dweights, cache["weights"]))
    dkeys += dpk @ W_k.T  # keys as keys (the core returned them as values)
    dW_q = query.reshape(N * T, Hq).T @ dpq.reshape(N * T, A)
    dW_k = keys.reshape(N * S, Hk).T @ dpk.reshape(N * S, A)
    return dpq @ W_q.T, dkeys, dW_q, dW_k, dv


def _additive_core_backward(
    dcontext: Array, cache: dict[str, Any], dweights: Array | None
) -> tuple[Array, Array, Array, Array]:
    """dL/dpq (N, T, A), dL/dpk (N, S, A), dL/dkeys as values (N, S, Hk), dL/dv (A,)."""
    keys, v, a, weights = (cache[k] for k in ("keys", "v", "a", "weights"))
    dw = dcontext @ keys.transpose(0, 2, 1)  # (N, T, S)
    if dweights is not None:
        dw = dw + dweights
    dvalues = weights.transpose(0, 2, 1) @ dcontext  # (N, S, Hk)
    dscores = _softmax_backward(dw, weights)
    dv = np.einsum("nts,ntsa->a", dscores, a)
    da = dscores[..., None] * v * (1 - a * a)  # (N, T, S, A), through tanh
    return da.sum(axis=2), da.sum(axis=1), dvalues, dv


# ---------------------------------------------------------------------------
# Scaled dot-product attention
# ---------------------------------------------------------------------------


def dot_attention_forward(
    query: Array, keys: Array, mask: Mask = None, scale: bool = True
) -> tuple[Array, dict[str, Any]]:
    """Dot-product attention: score(q_t, h_j) = q_t . h_j / sqrt(H) (without the sqrt if not ``scale``).

    The scaling keeps the scores' spread independent of H: for random vectors of
    unit-variance entries the dot product has variance H (Vaswani et al., 2017).

    Parameters
    ----------
    query : ndarray of shape (N, T, H)
    keys : ndarray of shape (N, S, H)
        also the values averaged
    mask : ndarray | None
        optional, 1 where a query may look: ndarray of shape (N, S) or (N, T, S)
    scale : bool
        divide the scores by sqrt(H)

    Returns
    -------
    context : ndarray of shape (N, T, H)
    cache : dict
        for :func:`dot_attention_backward`; ``cache["weights"]`` (read it with
        :func:`attention_weights`) holds the weights, ndarray of shape (N, T, S)
    """
    s = Shapes()
    query = s.floats("query", query, ("N", "T", "H"))
    keys = s.floats("keys", keys, ("N", "S", "H"))
    mask = _attention_mask(s, mask)
    if not isinstance(scale, bool):
        raise TypeError(f"scale must be True or False; got {_describe(scale)}")
    context, _, cache = _dot_core(query, keys, mask, scale)
    return context, cache


def attention_weights(cache: dict[str, Any]) -> Array:
    """The attention weights alpha_tj kept in the cache of an attention forward pass.

    Parameters
    ----------
    cache : dict
        from :func:`additive_attention_forward`, :func:`dot_attention_forward` or
        :meth:`AttentionEncoderDecoder.forward`

    Returns
    -------
    weights : ndarray of shape (N, T, S)
        row (n, t) is how output step t of pair n divides its attention among the
        source positions: it sums to 1 over the real ones and is 0 at padding
    """
    if not isinstance(cache, dict):
        raise TypeError(f"cache must be the dict returned by an attention forward pass; got {_describe(cache)}")
    if "weights" not in cache:
        raise TypeError("cache must be the one returned by an attention forward pass; this one has no 'weights'")
    return cache["weights"]


def _dot_core(query: Array, keys: Array, mask: Mask, scale: bool = True) -> tuple[Array, Array, dict[str, Any]]:
    c = 1 / np.sqrt(keys.shape[2]) if scale else 1.0
    weights = _softmax(c * (query @ keys.transpose(0, 2, 1)), _per_query(mask))
    context = weights @ keys  # (N, T, H)
    return context, weights, {"query": query, "keys": keys, "weights": weights, "c": c}


def dot_attention_backward(
    dcontext: Array, cache: dict[str, Any], dweights: Array | None = None
) -> tuple[Array, Array]:
    """Gradients of :func:`dot_attention_forward`.

    Parameters
    ----------
    dcontext : ndarray of shape (N, T, H)
    cache : dict
        from :func:`dot_attention_forward`
    dweights : optional ndarray of shape (N, T, S)

    Returns
    -------
    dquery (N, T, H), dkeys (N, S, H)
    """
    check_cache(cache, "dot_attention_forward", ("query", "keys", "weights", "c"))
    dcontext = Shapes().floats("dcontext", dcontext, cache["query"].shape[:2] + cache["keys"].shape[2:])
    return _dot_core_backward(dcontext, cache, _check_dweights(dweights, cache["weights"]))


def _dot_core_backward(dcontext: Array, cache: dict[str, Any], dweights: Array | None = None) -> tuple[Array, Array]:
    query, keys, weights, c = (cache[k] for k in ("query", "keys", "weights", "c"))
    dw = dcontext @ keys.transpose(0, 2, 1)
    if dweights is not None:
        dw = dw + dweights
    dscores = c * _softmax_backward(dw, weights)  # dL/d(q . h), (N, T, S)
    dquery = dscores @ keys
    dkeys = weights.transpose(0, 2, 1) @ dcontext + dscores.transpose(0, 2, 1) @ query
    return dquery, dkeys


def source_gradient_norms(
    model: Any,
    src: IntArray,
    tgt: IntArray,
    src_mask: Mask = None,
    tgt_mask: Mask = None,
) -> NDArray[np.float64]:
    """How strongly the loss of each output step reaches each embedded source word.

    G[n, t, j] is the norm of dL_nt / dx_nj, where L_nt = -log y_hat_nt[y_nt] is the
    teacher-forced loss of pair n at output step t and x_nj the embedding of its
    source word j. In a plain encoder-decoder that gradient has to travel back through
    the decoder steps before t and the encoder steps after j; with attention it also
    has a short road, through the context.

    The trick: a copy of the model gets a source vocabulary of N * S entries, one
    embedding row per (pair, position) holding that word's embedding, so the gradient
    of the embedding matrix separates the positions. One forward pass, and one backward
    pass per output step.

    Parameters
    ----------
    model : AttentionEncoderDecoder or EncoderDecoder
        an :class:`AttentionEncoderDecoder` or :class:`rnnlib.architectures.EncoderDecoder`
        built with an ``embedding_size`` (so that it has the parameter ``enc_E``)
    src : ndarray of shape (N, S)
    tgt : ndarray of shape (N, T)
        each target ending with <eos>
    src_mask : optional ndarray of shape (N, S)
    tgt_mask : optional ndarray of shape (N, T)

    Returns
    -------
    G : ndarray of shape (N, T, S)
        0 at padded source positions and padded output steps
    """
    if "enc_E" not in getattr(model, "params", {}):
        raise ValueError(
            "model must embed its source words (build it with embedding_size=...); it has no parameter 'enc_E'"
        )
    s = Shapes()
    src = s.ints("src", src, ("N", "S"), high=model.src_vocab_size)
    tgt = s.ints("tgt", tgt, ("N", "T"), high=model.tgt_vocab_size)
    src_mask = s.mask("src_mask", src_mask, ("N", "S"))
    tgt_mask = np.ones(tgt.shape, bool) if tgt_mask is None else s.mask("tgt_mask", tgt_mask, ("N", "T"))
    N, S = src.shape
    probe = copy.copy(model)  # shares the weights; only the source embedding is replaced
    probe.params = dict(model.params)
    probe.params["enc_E"] = model.params["enc_E"][src].reshape(N * S, -1)  # one row per (pair, position)
    probe.src_vocab_size = N * S
    scores, cache = probe.forward(np.arange(N * S).reshape(N, S), tgt, src_mask, tgt_mask)
    G = np.zeros((N, tgt.shape[1], S))
    for t in range(tgt.shape[1]):
        only_t = np.zeros_like(tgt_mask)  # the loss of step t alone; the forward pass keeps every step
        only_t[:, t] = tgt_mask[:, t]
        count = only_t.sum()
        if count == 0:
            continue
        _, dscores = softmax_cross_entropy(scores, tgt, only_t)  # the mean over the pairs with a step t
        grads = probe.backward(dscores, cache)
        G[:, t] = count * np.linalg.norm(grads["enc_E"].reshape(N, S, -1), axis=2)
    if src_mask is not None:
        G[~np.broadcast_to(src_mask[:, None, :], G.shape)] = 0.0  # padding feeds nothing forward
    return G


def sinusoidal_positions(length: int, size: int) -> NDArray[np.float64]:
    """The sinusoidal position encodings of Vaswani et al. (2017), one row per position.

        P[t, 2i]     = sin(t / 10000^(2i / size))
        P[t, 2i + 1] = cos(t / 10000^(2i / size)),      t = 0, ..., length - 1

    Attention by itself is blind to order (it treats its keys as a set); adding P[t]
    to the t-th input gives every position a distinct, smoothly varying signature.

    Parameters
    ----------
    length : int
        T, the number of positions
    size : int
        D, the size of each encoding (even)

    Returns
    -------
    P : ndarray of shape (T, D)
        entries in [-1, 1]
    """
    T, D = positive_int("length", length), positive_int("size", size)
    if D % 2:
        raise ValueError(f"size must be even (sine and cosine pairs); got {D}")
    angles = np.arange(T)[:, None] / 10000.0 ** (np.arange(0, D, 2) / D)  # (T, D / 2)
    P = np.empty((T, D))
    P[:, 0::2], P[:, 1::2] = np.sin(angles), np.cos(angles)
    return P


# ---------------------------------------------------------------------------
# An encoder-decoder with attention
# ---------------------------------------------------------------------------


class AttentionEncoderDecoder:
    """Sequence to sequence with attention (Bahdanau, Cho and Bengio, 2015).

    The encoder, a :class:`rnnlib.recurrent.Recurrent` layer (bidirectional by
    default), turns the source into states h_1 .. h_S of size He (2H when
    bidirectional). The decoder then writes the target one token at a time:

        s_0     = tanh(f W_init + b_init)            f: the encoder's final state(s), (N, He)
        kappa_t, alpha_t = attention(query s_{t-1}, keys h_1..h_S, source mask)
        s_t     = cell([e_t, kappa_t], s_{t-1})      e_t embeds the previous target token
        y_hat_t = softmax([s_t, kappa_t] W_hy + b_y)

    with e_1 the embedding of <bos> and, in training, e_t that of the true y_{t-1}
    (teacher forcing). The context enters both the cell's input and the readout, so
    the token the decoder is looking at can reach the output directly.

    Because kappa_t depends on s_{t-1}, which depends on kappa_{t-1}, the decoder cannot run
    over all steps in one call: :meth:`forward` and :meth:`backward` loop over the
    output steps, running the decoder's ``Recurrent`` layer for one step at a time
    from the carried state. An LSTM decoder also carries its cell state, which starts
    at 0, from step to step, and its gradient back (``Recurrent.backward``'s ``dc0``).

    Parameter keys: ``enc_E``, ``enc_*`` (encoder), ``W_init``, ``b_init``, ``att_W_q``,
    ``att_W_k``, ``att_v`` (additive; omega in chapter 8) or ``att_W_q`` (dot), ``dec_E``, ``dec_*``
    (decoder), ``W_hy``, ``b_y``.

    Parameters
    ----------
    src_vocab_size : int
        V_src
    tgt_vocab_size : int
        V_tgt, including <bos> and <eos>
    hidden_size : int
        H, of the encoder (per direction) and of the decoder
    rng : np.random.Generator
        for the initial weights
    bos_id, eos_id : int
        the target ids of <bos> and <eos>
    embedding_size : int | None
        D for both embeddings; None feeds one-hot vectors
    cell : {"rnn", "gru", "lstm"}
        the decoder's cell, "gru" by default; the encoder uses the same cell
    bidirectional : bool
        read the source in both directions (default), so every h_j
        describes its token in the context of the whole sentence
    score : {"additive", "dot"}
        "additive" by default; "dot" first maps the query to size He,
        score(s, h) = (s W_q) . h / sqrt(He) (Luong's "general" score, scaled)
    attention_size : int | None
        A, the hidden size of the additive score (default H)
    """

    def __init__(
        self,
        src_vocab_size: int,
        tgt_vocab_size: int,
        hidden_size: int,
        rng: np.random.Generator,
        bos_id: int,
        eos_id: int,
        embedding_size: int | None = None,
        cell: str = "gru",
        bidirectional: bool = True,
        score: str = "additive",
        attention_size: int | None = None,
    ) -> None:
        Vs = self.src_vocab_size = positive_int("src_vocab_size", src_vocab_size)
        Vt = self.tgt_vocab_size = positive_int("tgt_vocab_size", tgt_vocab_size)
        H = self.hidden_size = positive_int("hidden_size", hidden_size)
        rng = check_rng(rng)
        self.bos_id, self.eos_id = check_special_ids(bos_id, eos_id, Vt)
        if score not in ("additive", "dot"):
            raise ValueError(f"score must be 'additive' or 'dot'; got {score!r}")
        check_bool("bidirectional", bidirectional)
        self.cell, self.bidirectional, self.score = cell, bidirectional, score
        self.embedding_size = None if embedding_size is None else positive_int("embedding_size", embedding_size)
        A = self.attention_size = H if attention_size is None else positive_int("attention_size", attention_size)
        De_s, De_t = self.embedding_size or Vs, self.embedding_size or Vt
        self.encoder = Recurrent(cell, De_s, H, bidirectional=bidirectional)
        He = self.key_size = self.encoder.output_size
        self.decoder = Recurrent(cell, De_t + He, H)

        self.params: dict[str, Array] = {}
        if self.embedding_size is not None:
            self.params["enc_E"] = embedding(rng, Vs, self.embedding_size)
        self.params |= self.encoder.init(rng, prefix="enc_")
        self.params |= {"W_init": normal(rng, (He, H)), "b_init": np.zeros(H)}
        if score == "additive":
            self.params |= {"att_W_q": normal(rng, (H, A)), "att_W_k": normal(rng, (He, A)), "att_v": normal(rng, (A,))}
        else:
            self.params["att_W_q"] = normal(rng, (H, He))
        if self.embedding_size is not None:
            self.params["dec_E"] = embedding(rng, Vt, self.embedding_size)
        self.params |= self.decoder.init(rng, prefix="dec_")
        self.params |= {"W_hy": normal(rng, (H + He, Vt)), "b_y": np.zeros(Vt)}

    # -- pieces ---------------------------------------------------------------

    def _embed(self, ids: IntArray, key: str, V: int) -> tuple[Array, dict[str, Any] | None]:
        if self.embedding_size is None:
            return one_hot(ids, V), None
        return embedding_forward(ids, self.params[key])

    def _encode(self, src: IntArray, src_mask: Mask) -> tuple[Array, Array, dict[str, Any]]:
        """Encoder states (N, S, He), the decoder's first state s_0 (N, H), and a cache."""
        if src_mask is not None and not src_mask.any(axis=1).all():
            empty = np.flatnonzero(~src_mask.any(axis=1)).tolist()
            raise ValueError(f"every source needs at least one real token; src_mask rows {empty} are all zero")
        p = self.params
        x, emb_cache = self._embed(src, "enc_E", self.src_vocab_size)
        hs, rnn_cache = self.encoder.forward(x, p, src_mask, prefix="enc_")
        # The final state of each direction: forward after the last real token,
        # backward after reading back to the first one.
        f = np.concatenate(list(rnn_cache["final"]), axis=1)  # (N, He)
        s0 = np.tanh(f @ p["W_init"] + p["b_init"])
        return hs, s0, {"emb": emb_cache, "rnn": rnn_cache, "f": f, "s0": s0}

    def _project_keys(self, keys: Array) -> Array | None:
        """The keys' half of the additive score, h_j W_k (N, S, A): the same at every step."""
        return keys @ self.params["att_W_k"] if self.score == "additive" else None

    def _attend(self, s: Array, keys: Array, pk: Array | None, src_mask: Mask) -> tuple[Array, Array, dict[str, Any]]:
        """One step of attention from the query s (N, H): context (N, He), weights (N, S)."""
        p = self.params
        if self.score == "additive":
            assert pk is not None  # _project_keys gives h W_k for the additive score
            c, w, cache = _additive_core((s @ p["att_W_q"])[:, None], pk, keys, p["att_v"], src_mask)
        else:
            c, w, cache = _dot_core((s @ p["att_W_q"])[:, None], keys, src_mask)
        return c[:, 0], w[:, 0], cache

    def _attend_backward(self, dc: Array, cache: dict[str, Any], s: Array) -> tuple[Array, Array, Array | None, dict]:
        """dL/ds (N, H), dL/dkeys (N, S, He), dL/dpk (N, S, A) and the gradients of att_W_q, att_v."""
        W_q = self.params["att_W_q"]
        if self.score == "additive":
            dpq, dpk, dkeys, dv = _additive_core_backward(dc[:, None], cache, None)
            return dpq[:, 0] @ W_q.T, dkeys, dpk, {"att_W_q": s.T @ dpq[:, 0], "att_v": dv}
        dq, dkeys = _dot_core_backward(dc[:, None], cache)
        return dq[:, 0] @ W_q.T, dkeys, None, {"att_W_q": s.T @ dq[:, 0]}

    def _step(
        self, e: Array, s: Array, keys: Array, pk: Array | None, src_mask: Mask, cell: Array | None = None
    ) -> tuple[Array, Array, Array, dict[str, Any]]:
        """One decoder step: new state (N, H), context (N, He), weights (N, S), cache.

        For an LSTM decoder ``cell`` is its cell state (N, H) before the step, and the
        cache's "cell" holds the one after it."""
        c, w, att_cache = self._attend(s, keys, pk, src_mask)
        x = np.concatenate([e, c], axis=1)[:, None]  # (N, 1, D + He)
        hs, rnn_cache = self.decoder.forward(x, self.params, None, s, prefix="dec_", c0=cell)
        new_cell = None if cell is None else rnn_cache["final_c"][0]
        return hs[:, 0], c, w, {"att": att_cache, "rnn": rnn_cache, "s_prev": s, "cell": new_cell}

    def _initial_cell(self, N: int) -> Array | None:
        """An LSTM decoder's cell state before its first step (zeros); None for the other cells."""
        return np.zeros((N, self.hidden_size)) if self.decoder.cell.has_cell_state else None

    # -- training -------------------------------------------------------------

    def forward(
        self, src: IntArray, tgt: IntArray, src_mask: Mask = None, tgt_mask: Mask = None
    ) -> tuple[Array, dict[str, Any]]:
        """Teacher-forced scores for every target step.

        Parameters
        ----------
        src : ndarray of shape (N, S)
            source ids
        tgt : ndarray of shape (N, T)
            of target ids, each sequence ending with <eos>
        src_mask : optional ndarray of shape (N, S)
        tgt_mask : optional ndarray of shape (N, T)

        Returns
        -------
        scores : ndarray of shape (N, T, V_tgt)
        cache : dict
            for :meth:`backward`; ``cache["weights"]`` holds the attention weights,
            ndarray of shape (N, T, S)
        """
        s = Shapes()
        src = s.ints("src", src, ("N", "S"), high=self.src_vocab_size)
        tgt = s.ints("tgt", tgt, ("N", "T"), high=self.tgt_vocab_size)
        src_mask = s.mask("src_mask", src_mask, ("N", "S"))
        tgt_mask = s.mask("tgt_mask", tgt_mask, ("N", "T"))
        if tgt.shape[1] == 0:
            raise ValueError(f"tgt must hold at least one step (the <eos>); got shape {tgt.shape}")
        p = self.params
        keys, state, enc_cache = self._encode(src, src_mask)
        pk = self._project_keys(keys)
        prev = decoder_inputs(tgt, self.bos_id)  # <bos>, y_1..y_{T-1}
        es, emb_cache = self._embed(prev, "dec_E", self.tgt_vocab_size)  # (N, T, D)
        N, T = tgt.shape
        states = np.empty((N, T, self.hidden_size))
        contexts = np.empty((N, T, self.key_size))
        weights = np.empty((N, T, src.shape[1]))
        steps, cell = [], self._initial_cell(N)
        for t in range(T):  # the only loop: kappa_t needs s_{t-1}, which needs kappa_{t-1}
            state, contexts[:, t], weights[:, t], step_cache = self._step(es[:, t], state, keys, pk, src_mask, cell)
            states[:, t], cell = state, step_cache["cell"]
            steps.append(step_cache)
        out = np.concatenate([states, contexts], axis=2)  # (N, T, H + He)
        scores, out_cache = temporal_affine_forward(out, p["W_hy"], p["b_y"])
        cache = {"enc": enc_cache, "emb": emb_cache, "steps": steps, "out": out_cache, "keys": keys,
                 "weights": weights, "tgt": tgt, "tgt_mask": tgt_mask}  # fmt: skip
        return scores, cache

    def backward(self, dscores: Array, cache: dict[str, Any]) -> dict[str, Array]:
        """Gradients of every parameter from dL/dscores of shape (N, T, V_tgt), keyed like ``params``."""
        H, De = self.hidden_size, self.embedding_size or self.tgt_vocab_size
        dout, dW_hy, db_y = temporal_affine_backward(dscores, cache["out"])
        keys, enc = cache["keys"], cache["enc"]
        N, T, _ = dout.shape
        grads: dict[str, Array] = {k: np.zeros_like(v) for k, v in self.params.items()}
        dkeys = np.zeros_like(keys)
        dpk = np.zeros((N, keys.shape[1], self.attention_size)) if self.score == "additive" else None
        des = np.empty((N, T, De))
        ds_next = np.zeros((N, H))  # dL/ds_t through step t + 1
        # an LSTM's dL/dc_t through step t + 1
        dcell_next: Array | None = np.zeros((1, N, H)) if self.decoder.cell.has_cell_state else None
        for t in reversed(range(T)):
            step = cache["steps"][t]
            ds = dout[:, t, :H] + ds_next
            back = self.decoder.backward(ds[:, None], step["rnn"], dfinal_c=dcell_next)
            dx, ds_prev, g = back
            if dcell_next is not None:
                assert back.dc0 is not None  # the decoder was given a cell-state gradient, so it returns one
                dcell_next = back.dc0[None]
            for k, v in g.items():
                grads[k] += v
            des[:, t] = dx[:, 0, :De]
            dc = dout[:, t, H:] + dx[:, 0, De:]  # the context feeds the readout and the cell
            ds_att, dk, dpk_t, g = self._attend_backward(dc, step["att"], step["s_prev"])
            for k, v in g.items():
                grads[k] += v
            dkeys += dk
            if dpk is not None:
                dpk += dpk_t
            ds_next = ds_prev + ds_att
        if dpk is not None:  # pk = keys W_k was computed once, so its gradient is summed over the steps first
            S, He, A = keys.shape[1], self.key_size, self.attention_size
            grads["att_W_k"] = keys.reshape(N * S, He).T @ dpk.reshape(N * S, A)
            dkeys += dpk @ self.params["att_W_k"].T
        # s_0 = tanh(f W_init + b_init), f the encoder's final states
        da0 = ds_next * (1 - enc["s0"] ** 2)
        grads["W_init"], grads["b_init"] = enc["f"].T @ da0, da0.sum(axis=0)
        df = da0 @ self.params["W_init"].T  # (N, He): one block of H per direction
        dfinal = df.reshape(N, self.encoder.directions, H).transpose(1, 0, 2)
        dx_enc, _, enc_grads = self.encoder.backward(dkeys, enc["rnn"], dfinal=dfinal)
        grads |= enc_grads | {"W_hy": dW_hy, "b_y": db_y}
        if self.embedding_size is not None:
            grads["dec_E"] = embedding_backward(des, cache["emb"])
            grads["enc_E"] = embedding_backward(dx_enc, enc["emb"])
        return {k: grads[k] for k in self.params}

    def loss(
        self, src: IntArray, tgt: IntArray, src_mask: Mask = None, tgt_mask: Mask = None
    ) -> tuple[float, dict[str, Array]]:
        """Mean cross-entropy over the real target steps (teacher forcing) and the
        gradients keyed like ``params``. Train with ``fit(model, (src, tgt, src_mask, tgt_mask), ...)``."""
        scores, cache = self.forward(src, tgt, src_mask, tgt_mask)
        loss, dscores = softmax_cross_entropy(scores, cache["tgt"], cache["tgt_mask"])
        return loss, self.backward(dscores, cache)

    # -- inference ------------------------------------------------------------

    def translate(self, src: IntArray, src_mask: Mask = None, max_len: int = 20) -> list[list[int]]:
        """Greedy decoding: start from <bos>, feed back the most likely token, stop at <eos>.

        Parameters
        ----------
        src : ndarray of shape (N, S)
            source ids
        src_mask : optional ndarray of shape (N, S)
        max_len : int
            at most this many tokens per output (not counting <eos>)

        Returns
        -------
        outputs : list
            of N lists of target ids, without <bos> and <eos>;
            :meth:`translate_with_attention` also returns where each step looked
        """
        return self.translate_with_attention(src, src_mask, max_len)[0]

    def translate_with_attention(
        self, src: IntArray, src_mask: Mask = None, max_len: int = 20
    ) -> tuple[list[list[int]], Array]:
        """:meth:`translate` (the same arguments), and the attention weights of every decoding step.

        Returns
        -------
        outputs : list
            of N lists of target ids, without <bos> and <eos>
        weights : ndarray of shape (N, T_gen, S)
            row t is where step t looked while choosing token t; for sequence n the
            rows after ``len(outputs[n])`` (the step that wrote <eos>) belong to no output
        """
        max_len = positive_int("max_len", max_len)
        s = Shapes()
        src = s.ints("src", src, ("N", "S"), high=self.src_vocab_size)
        src_mask = s.mask("src_mask", src_mask, ("N", "S"))
        p = self.params
        keys, state, _ = self._encode(src, src_mask)
        pk = self._project_keys(keys)
        N = src.shape[0]
        token = np.full(N, self.bos_id)
        tokens, weights = [], []
        done = np.zeros(N, dtype=bool)
        cell = self._initial_cell(N)
        for _ in range(max_len + 1):  # + 1: room for the <eos> after max_len tokens
            e, _ = self._embed(token[:, None], "dec_E", self.tgt_vocab_size)
            state, c, w, step_cache = self._step(e[:, 0], state, keys, pk, src_mask, cell)
            cell = step_cache["cell"]
            token = np.argmax(np.concatenate([state, c], axis=1) @ p["W_hy"] + p["b_y"], axis=1)
            tokens.append(token)
            weights.append(w)
            done |= token == self.eos_id
            if done.all():
                break
        outputs = []
        for row in np.stack(tokens, axis=1).tolist():
            end = row.index(self.eos_id) if self.eos_id in row else max_len
            outputs.append(row[: min(end, max_len)])
        return outputs, np.stack(weights, axis=1)

    def decode_start(self, src: IntArray, src_mask: Mask = None) -> dict[str, np.ndarray]:
        """The decoder's state before its first step, for :func:`rnnlib.decoding.beam_search`.

        Parameters
        ----------
        src : ndarray of shape (N, S)
            source ids
        src_mask : optional ndarray of shape (N, S)

        Returns
        -------
        state : dict
            of arrays with N rows each: the decoder state "s" (N, H), the encoder states
            "keys" (N, S, He), the source "mask" (N, S), for the additive score the
            projected keys "pk" (N, S, A) and, for an LSTM decoder, its cell state "cell" (N, H)
        """
        s = Shapes()
        src = s.ints("src", src, ("N", "S"), high=self.src_vocab_size)
        src_mask = s.mask("src_mask", src_mask, ("N", "S"))
        keys, s0, _ = self._encode(src, src_mask)
        state: dict[str, np.ndarray] = {"s": s0, "keys": keys}
        state["mask"] = np.ones(src.shape, bool) if src_mask is None else src_mask
        pk, cell = self._project_keys(keys), self._initial_cell(src.shape[0])
        if pk is not None:  # the additive score
            state["pk"] = pk
        if cell is not None:  # an LSTM decoder
            state["cell"] = cell
        return state

    def decode_step(self, state: dict[str, np.ndarray], tokens: IntArray) -> tuple[Array, dict[str, np.ndarray]]:
        """One step of the decoder from ``state``, reading the previous ``tokens``.

        Parameters
        ----------
        state : dict
            from :meth:`decode_start` or an earlier :meth:`decode_step`
        tokens : ndarray of shape (N,)
            the previous target token of each row (<bos> at the first step)

        Returns
        -------
        log_probs : ndarray of shape (N, V_tgt)
            log p(next token | history, source) for every token of the vocabulary
        state : dict
            the new state, with the attention weights of this step in "weights" (N, S)
        """
        tokens = Shapes().ints("tokens", tokens, (state["s"].shape[0],), high=self.tgt_vocab_size)
        p = self.params
        e, _ = self._embed(tokens[:, None], "dec_E", self.tgt_vocab_size)
        s, c, w, step_cache = self._step(e[:, 0], state["s"], state["keys"], state.get("pk"), state["mask"],
                                         state.get("cell"))  # fmt: skip
        scores = np.concatenate([s, c], axis=1) @ p["W_hy"] + p["b_y"]
        new = state | {"s": s, "weights": w}
        if step_cache["cell"] is not None:
            new["cell"] = step_cache["cell"]
        return log_softmax(scores), new

    def num_parameters(self) -> int:
        """Total count of trainable numbers."""
        return count_parameters(self.params)

    def __repr__(self) -> str:
        sizes = f"src_vocab_size={self.src_vocab_size}, tgt_vocab_size={self.tgt_vocab_size}, "
        sizes += f"hidden_size={self.hidden_size}"
        sizes += f", embedding_size={self.embedding_size}" if self.embedding_size else ""
        att = f"score={self.score!r}" + (f", attention_size={self.attention_size}" if self.score == "additive" else "")
        return (
            f"AttentionEncoderDecoder({sizes}, cell={self.cell!r}, bidirectional={self.bidirectional}, "
            f"{att}, parameters={self.num_parameters()})"
        )
