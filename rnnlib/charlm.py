"""A character-level language model, trained with truncated BPTT (chapter 7).

The model predicts the next character of a text from the characters before it,
the task a phone keyboard solves when it suggests how a word goes on:

    x_t     = one-hot(w_t) or E[w_t]                       (N, D)
    h_t     = recurrent cell(x_t, h_{t-1})                 (N, H), any cell, any depth
    y_hat_t = softmax(h_t W_hy + b_y)                      (N, V), P(w_{t+1} | w_1..w_t)

and is trained to minimise the mean cross-entropy of the true next characters;
``exp`` of that mean is the *perplexity*, equal to V for a model that guesses
uniformly and to 1 for a model that is always certain and right.

A long text is not cut into separate sentences.  :func:`text_streams` splits it
into N contiguous streams that are read in parallel, and :func:`stream_chunks`
walks along them ell characters at a time.  :func:`rnnlib.training.train_tbptt`
carries the hidden state from one chunk to the next, so the model reads the whole
text as one sequence, but backpropagates only within a chunk: truncated BPTT, whose
memory and cost per update are O(ell), not O(length of the text).  During training
:meth:`CharLM.forward` can apply dropout to the connections that are not recurrent
(:mod:`rnnlib.regularisation`).

:func:`sample` writes text by feeding each drawn character back in, at a
temperature (:func:`temperature_probabilities`), optionally cut to the top k
(:func:`top_k_probabilities`) or to the nucleus (:func:`nucleus_probabilities`);
:func:`save_char_lm` and :func:`load_char_lm` store a trained model with its sizes
and characters in a pickle-free ``.npz`` file (:mod:`rnnlib.io`).  The model's
metrics (:func:`rnnlib.metrics.perplexity` of held-out text, and the norms of the
carried state) are in :mod:`rnnlib.metrics`, its figures in :mod:`rnnlib.plots` and
its temperature widget in :mod:`rnnlib.widgets`.

Shapes are batch-first: ids (N, T), x (N, T, D), hs (N, T, H), scores (N, T, V);
a carried state is a dict holding ``"h"`` of shape (num_layers, N, H) and, for an
LSTM, the cell states ``"c"`` of the same shape.
"""

from __future__ import annotations

from collections.abc import Iterator
from os import PathLike
from typing import Any

import numpy as np
from numpy.typing import NDArray

from rnnlib import init
from rnnlib._checks import (
    Shapes,
    _describe,
    as_int_array,
    check_probabilities,
    check_rng,
    check_temperature,
    positive_float,
    positive_int,
)
from rnnlib._types import Array
from rnnlib.activations import softmax
from rnnlib.data import Vocabulary, one_hot
from rnnlib.io import load_into, load_params, save_params
from rnnlib.layers import embedding_backward, embedding_forward, temporal_affine_backward, temporal_affine_forward
from rnnlib.losses import softmax_cross_entropy
from rnnlib.models import count_parameters
from rnnlib.recurrent import Recurrent
from rnnlib.regularisation import check_dropout_rate, dropout_backward, dropout_forward

State = dict[str, Array]


def state_norm(state: State) -> float:
    """Mean over streams of the norm of the top layer's carried state h (``state["h"][-1]``, (N, H))."""
    return float(np.linalg.norm(state["h"][-1], axis=-1).mean())


__all__ = [
    "CharLM",
    "char_vocabulary",
    "decode_text",
    "encode_text",
    "load_char_lm",
    "next_character_probabilities",
    "nucleus_probabilities",
    "num_chunks",
    "sample",
    "state_norm",
    "save_char_lm",
    "stream_chunks",
    "temperature_probabilities",
    "text_streams",
    "top_k_probabilities",
]

RECURRENT_INITS = ("normal", "orthogonal", "identity")


# ---------------------------------------------------------------------------
# Characters as tokens
# ---------------------------------------------------------------------------


def char_vocabulary(text: str) -> Vocabulary:
    """A :class:`rnnlib.Vocabulary` whose tokens are the characters of ``text``.

    Characters are ordered by decreasing count (ties alphabetically), after the two
    ids every vocabulary reserves, ``<pad>`` (0) and ``<unk>`` (1), which never occur
    in a text, so V = (number of distinct characters) + 2.
    """
    if not isinstance(text, str) or not text:
        raise TypeError(f"text must be a non-empty str; got {_describe(text)}")
    return Vocabulary.fit([list(text)])


def encode_text(text: str, vocab: Vocabulary) -> NDArray[np.int64]:
    """The ids of the characters of ``text``, ndarray of shape (L,); unknown characters map to ``<unk>``."""
    if not isinstance(text, str):
        raise TypeError(f"text must be a str; got {_describe(text)}")
    if not isinstance(vocab, Vocabulary):
        raise TypeError(f"vocab must be an rnnlib.Vocabulary, e.g. char_vocabulary(text); got {_describe(vocab)}")
    return np.array(vocab.encode(list(text)), dtype=np.int64)


def decode_text(ids: NDArray[np.integer], vocab: Vocabulary) -> str:
    """The characters of the ids in ``ids`` (any shape, read in order) joined into one str."""
    if not isinstance(vocab, Vocabulary):
        raise TypeError(f"vocab must be an rnnlib.Vocabulary; got {_describe(vocab)}")
    return "".join(vocab.decode(ids))


# ---------------------------------------------------------------------------
# Streams and chunks for truncated BPTT
# ---------------------------------------------------------------------------


def text_streams(ids: NDArray[np.integer], num_streams: int) -> NDArray[np.integer]:
    """Cut a long sequence of ids into N equal contiguous streams, read side by side.

    Stream n is ``ids[n * S : (n + 1) * S]`` with S = L // N; the last L - N S ids
    are dropped.

    Parameters
    ----------
    ids : ndarray of shape (L,)
    num_streams : int
        N

    Returns
    -------
    streams : ndarray of shape (N, S)
    """
    ids = as_int_array("ids", ids)
    if ids.ndim != 1:
        raise ValueError(f"ids must have shape (L,), one long text; got {ids.shape}")
    N = positive_int("num_streams", num_streams)
    S = len(ids) // N
    if S < 2:
        raise ValueError(
            f"num_streams={N} leaves {S} character(s) per stream from a text of {len(ids)}; "
            f"each stream needs at least 2 (an input and its next character). Use fewer streams."
        )
    return ids[: N * S].reshape(N, S)


def num_chunks(length: int, num_streams: int, chunk_length: int) -> int:
    """How many chunks (gradient steps) one pass over a text of ``length`` characters makes.

    Each stream holds S = length // N characters; a chunk of k inputs also needs the
    character after it as a target, so a pass makes (S - 1) // k updates.
    """
    L = positive_int("length", length)
    N, k = positive_int("num_streams", num_streams), positive_int("chunk_length", chunk_length)
    return max(L // N - 1, 0) // k


def stream_chunks(
    streams: NDArray[np.integer], chunk_length: int
) -> Iterator[tuple[NDArray[np.integer], NDArray[np.integer]]]:
    """Walk along the streams k steps at a time, yielding inputs and next-character targets.

    Chunk j holds inputs ``streams[:, j k : (j + 1) k]`` and targets shifted by one,
    ``streams[:, j k + 1 : (j + 1) k + 1]``, so chunk j + 1 starts exactly where chunk j
    stopped and a state carried between them continues each stream.  A final
    stretch shorter than k is left out: every chunk has shape (N, k).

    Parameters
    ----------
    streams : ndarray of shape (N, S)
        from :func:`text_streams`
    chunk_length : int
        k, the truncation length

    Yields
    ------
    x : ndarray of shape (N, k)
        input ids
    y : ndarray of shape (N, k)
        target ids (the next characters)
    """
    streams = Shapes().ints("streams", streams, ("N", "S"))
    k = positive_int("chunk_length", chunk_length)
    S = streams.shape[1]
    if k > S - 1:
        raise ValueError(f"chunk_length must be at most S - 1 = {S - 1} for streams of length S = {S}; got {k}")
    for start in range(0, S - 1 - k + 1, k):
        yield streams[:, start : start + k], streams[:, start + 1 : start + k + 1]


# ---------------------------------------------------------------------------
# The model
# ---------------------------------------------------------------------------


class CharLM:
    """Characters -> (one-hot or embedding) -> recurrent layers -> scores for the next character.

        h_t     = cell(x_t, h_{t-1})          any cell ("rnn", "lstm", "gru"), num_layers deep
        y_hat_t = softmax(h_t W_hy + b_y)     the distribution of the character after c_t

    A language model reads left to right only: bidirectional layers would let step t
    see the very character it must predict, so they are not offered.

    Parameters
    ----------
    vocab_size : int
        V
    hidden_size : int
        H
    rng : np.random.Generator
        for the initial weights
    embedding_size : int | None
        D; None feeds one-hot vectors (D = V)
    cell : {"rnn", "lstm", "gru"}
        the recurrent cell; "rnn" by default
    num_layers : int
        recurrent layers stacked
    activation : str
        the vanilla RNN's activation ("tanh" or, for an IRNN, "relu")
    recurrent_init : {"normal", "orthogonal", "identity"} | None
        None keeps the cell's default start (Gaussian W_hh for "rnn",
        orthogonal blocks for the gated cells); "normal", "orthogonal" or "identity"
        redraws every recurrent H x H block that way (the IRNN of Le et al. is
        ``activation="relu", recurrent_init="identity"``)
    recurrent_scale : float
        gain of the "orthogonal" and "identity" starts
    dtype : {np.float64, np.float32}
        every parameter has this dtype; np.float64 by default
    """

    def __init__(
        self,
        vocab_size: int,
        hidden_size: int,
        rng: np.random.Generator,
        embedding_size: int | None = None,
        cell: str = "rnn",
        num_layers: int = 1,
        activation: str = "tanh",
        recurrent_init: str | None = None,
        recurrent_scale: float = 1.0,
        dtype: type = np.float64,
    ) -> None:
        V = self.vocab_size = positive_int("vocab_size", vocab_size)
        H = self.hidden_size = positive_int("hidden_size", hidden_size)
        rng = check_rng(rng)
        self.embedding_size = None if embedding_size is None else positive_int("embedding_size", embedding_size)
        if np.dtype(dtype) not in (np.float32, np.float64):
            raise TypeError(f"dtype must be np.float32 or np.float64; got {dtype!r}")
        self.dtype = np.dtype(dtype)
        if recurrent_init is not None and recurrent_init not in RECURRENT_INITS:
            raise ValueError(f"recurrent_init must be None or one of {list(RECURRENT_INITS)}; got {recurrent_init!r}")
        self.recurrent_init = recurrent_init
        self.recurrent_scale = positive_float("recurrent_scale", recurrent_scale)
        self.activation = activation
        D = V if self.embedding_size is None else self.embedding_size
        self.rnn = Recurrent(cell, D, H, num_layers, activation=activation)
        self.cell = self.rnn.cell.name
        self.num_layers = self.rnn.num_layers

        params: dict[str, Array] = {}
        if self.embedding_size is not None:
            params["E"] = init.embedding(rng, V, D)
        params |= self.rnn.init(rng)
        params |= {"W_hy": init.normal(rng, (H, V)), "b_y": np.zeros(V)}
        if recurrent_init is not None:  # drawn last, so everything else matches the default start
            G, rec = self.rnn.cell.gates, self.rnn.cell.param_names[1]
            for k in range(self.num_layers):
                blocks = [self._recurrent_block(rng, recurrent_init) for _ in range(G)]
                params[self.rnn.prefix(k, False) + rec] = np.concatenate(blocks, axis=1)
        self.params: dict[str, Array] = {k: v.astype(self.dtype) for k, v in params.items()}

    def _recurrent_block(self, rng: np.random.Generator, how: str) -> Array:
        H = self.hidden_size
        if how == "normal":
            return init.normal(rng, (H, H))
        if how == "orthogonal":
            return init.orthogonal(rng, (H, H), gain=self.recurrent_scale)
        return init.identity(H, self.recurrent_scale)

    # -- state ---------------------------------------------------------------

    def initial_state(self, batch_size: int) -> State:
        """Zero states for ``batch_size`` streams: ``{"h": (num_layers, N, H)}`` (and ``"c"`` for an LSTM)."""
        N = positive_int("batch_size", batch_size)
        zeros = np.zeros((self.num_layers, N, self.hidden_size), dtype=self.dtype)
        return {"h": zeros, "c": zeros.copy()} if self.rnn.cell.has_cell_state else {"h": zeros}

    def _check_state(self, state: State | None, N: int) -> State:
        if state is None:
            return self.initial_state(N)
        keys = ("h", "c") if self.rnn.cell.has_cell_state else ("h",)
        if not isinstance(state, dict) or set(state) != set(keys):
            raise TypeError(
                f"state must be a dict with keys {list(keys)} (from initial_state or a previous forward); "
                f"got {_describe(state) if not isinstance(state, dict) else sorted(state)}"
            )
        s = Shapes()
        return {k: s.floats(f"state[{k!r}]", state[k], (self.num_layers, N, self.hidden_size)) for k in keys}

    # -- forward and backward --------------------------------------------------

    def forward(
        self,
        ids: NDArray[np.integer],
        state: State | None = None,
        dropout: float = 0.0,
        variational: bool = False,
        rng: np.random.Generator | None = None,
        input_dropout: float = 0.0,
    ) -> tuple[Array, dict[str, Any]]:
        """Scores for the next character after every input character.

        Parameters
        ----------
        ids : ndarray of shape (N, T)
            character ids in [0, V)
        state : dict | None
            the state to start from (default zeros), e.g. ``cache["state"]`` of
            the previous chunk; it is treated as a constant, so no gradient flows
            back into the chunk that produced it
        dropout : float
            for training only: the rate of (inverted) dropout on the states h_t
            that the output layer reads, a connection that is not recurrent
            (:mod:`rnnlib.regularisation`); the recurrence h_{t-1} -> h_t is never
            dropped.  0 (the default) is off
        variational : bool
            one mask per stream shared by all T steps of the chunk (Gal and
            Ghahramani) instead of a fresh mask at every step
        rng : np.random.Generator | None
            the source of the masks; required when a dropout rate is above 0
        input_dropout : float
            for training only: the dropout rate on the inputs x_t of the recurrent
            layer (with one-hot inputs this drops whole characters); 0 is off

        Returns
        -------
        scores : ndarray of shape (N, T, V)
        cache : dict
            for :meth:`backward`; ``cache["state"]`` is the state after the last
            step, to carry into the next chunk
        """
        ids = Shapes().ints("ids", ids, ("N", "T"), high=self.vocab_size)
        N = ids.shape[0]
        state = self._check_state(state, N)
        rate = check_dropout_rate(dropout)
        if rate > 0 and rng is None:
            raise ValueError("dropout > 0 needs rng, a numpy Generator that draws the masks")
        p = self.params
        if self.embedding_size is None:
            x, emb_cache = one_hot(ids, self.vocab_size, dtype=self.dtype), None
        else:
            x, emb_cache = embedding_forward(ids, p["E"])
        rate_in = check_dropout_rate(input_dropout)
        if rate_in > 0 and rng is None:
            raise ValueError("input_dropout > 0 needs rng, a numpy Generator that draws the masks")
        mask_in = mask_out = None
        if rate_in > 0:
            assert rng is not None  # checked above
            x, mask_in = dropout_forward(x, rate_in, rng, variational)
        hs, rnn_cache = self.rnn.forward(x, p, h0=state["h"], c0=state.get("c"))
        if rate > 0:
            assert rng is not None  # checked above
            hs, mask_out = dropout_forward(hs, rate, rng, variational)
        masks = None if mask_in is None and mask_out is None else (mask_in, mask_out)
        scores, out_cache = temporal_affine_forward(hs, p["W_hy"], p["b_y"])
        new_state = {"h": rnn_cache["final"].copy()}
        if self.rnn.cell.has_cell_state:
            new_state["c"] = rnn_cache["final_c"].copy()
        return scores, {"emb": emb_cache, "rnn": rnn_cache, "out": out_cache, "state": new_state, "dropout": masks}

    def backward(self, dscores: Array, cache: dict[str, Any]) -> dict[str, Array]:
        """Gradients of every parameter from dL/dscores of shape (N, T, V).

        The gradient reaching the initial state is dropped: this is where truncated
        BPTT cuts the graph.
        """
        dhs, dW_hy, db_y = temporal_affine_backward(dscores, cache["out"])
        masks = cache.get("dropout")
        if masks is not None and masks[1] is not None:
            dhs = dropout_backward(dhs, masks[1])
        dx, _, grads = self.rnn.backward(dhs, cache["rnn"])
        grads |= {"W_hy": dW_hy, "b_y": db_y}
        if masks is not None and masks[0] is not None and cache["emb"] is not None:
            dx = dropout_backward(dx, masks[0])
        if cache["emb"] is not None:
            grads["E"] = embedding_backward(dx, cache["emb"])
        return {k: grads[k] for k in self.params}

    def loss_and_state(
        self,
        ids: NDArray[np.integer],
        targets: NDArray[np.integer],
        state: State | None = None,
        dropout: float = 0.0,
        variational: bool = False,
        rng: np.random.Generator | None = None,
        input_dropout: float = 0.0,
    ) -> tuple[float, dict[str, Array], State]:
        """Mean cross-entropy of the next characters, its gradients, and the state to carry on.

        Parameters
        ----------
        ids : ndarray of shape (N, T)
            input characters
        targets : ndarray of shape (N, T)
            the character after each input
        state : dict | None
            state to start from (default zeros)
        dropout : float
            training-time dropout rate on the non-recurrent connections (see :meth:`forward`)
        variational : bool
            one dropout mask per stream for the whole chunk (see :meth:`forward`)
        rng : np.random.Generator | None
            draws the dropout masks; required when a dropout rate is above 0
        input_dropout : float
            training-time dropout rate on the inputs x_t (see :meth:`forward`)

        Returns
        -------
        loss : float
            mean of -log P(target) over the N T predictions, in nats
        grads : dict
            keyed like ``params``
        state : dict
            the state after the last step
        """
        scores, cache = self.forward(ids, state, dropout, variational, rng, input_dropout)
        loss, dscores = softmax_cross_entropy(scores, targets)
        return loss, self.backward(dscores, cache), cache["state"]

    def loss(
        self, ids: NDArray[np.integer], targets: NDArray[np.integer], state: State | None = None
    ) -> tuple[float, dict[str, Array]]:
        """Mean cross-entropy and gradients keyed like ``params`` (the interface of :func:`rnnlib.training.fit`)."""
        loss, grads, _ = self.loss_and_state(ids, targets, state)
        return loss, grads

    def num_parameters(self) -> int:
        """Total count of trainable numbers."""
        return count_parameters(self.params)

    def __repr__(self) -> str:
        inp = "one-hot" if self.embedding_size is None else f"embedding_size={self.embedding_size}"
        plain = not self.rnn.cell.has_activation or self.activation == "tanh"
        extra = "" if plain else f", activation={self.activation!r}"
        extra += f", num_layers={self.num_layers}" if self.num_layers > 1 else ""
        extra += f", recurrent_init={self.recurrent_init!r}" if self.recurrent_init else ""
        extra += ", dtype=float32" if self.dtype == np.float32 else ""
        return (
            f"CharLM(vocab_size={self.vocab_size}, {inp}, hidden_size={self.hidden_size}, cell={self.cell!r}"
            f"{extra}, parameters={self.num_parameters()})"
        )


def _check_model(model: object) -> CharLM:
    if not isinstance(model, CharLM):
        raise TypeError(f"model must be an rnnlib.charlm.CharLM; got {_describe(model)}")
    return model


# ---------------------------------------------------------------------------
# Sampling
# ---------------------------------------------------------------------------


def temperature_probabilities(scores: Array, temperature: float = 1.0, exclude: tuple[int, ...] = ()) -> Array:
    """softmax(scores / temperature) along the last axis, with the ``exclude`` ids given probability 0.

    Low temperatures sharpen the distribution towards the highest score (greedy as
    the temperature goes to 0); high temperatures flatten it towards uniform.

    Parameters
    ----------
    scores : ndarray of shape (..., V)
    temperature : float
        positive float
    exclude : tuple of int
        ids that must never be drawn (e.g. ``<pad>`` and ``<unk>``)

    Returns
    -------
    probs : float64 ndarray of shape (..., V)
        each row summing to 1
    """
    t = check_temperature(temperature)
    z = np.array(scores, dtype=np.float64)
    if z.ndim == 0 or not np.isfinite(z).all():
        raise ValueError(f"scores must be a finite array of shape (..., V); got {_describe(scores)}")
    V = z.shape[-1]
    if exclude:
        ex = as_int_array("exclude", list(exclude), high=V)
        if len(set(ex.tolist())) >= V:
            raise ValueError(f"exclude must leave at least one id to draw; it removes all {V}")
        z[..., ex] = -np.inf
    with np.errstate(over="ignore"):  # a tiny temperature sends the losers to -inf, as it should
        z = (z - z.max(axis=-1, keepdims=True)) / t
    return softmax(z)


def top_k_probabilities(probs: Array, k: int) -> NDArray[np.float64]:
    """Keep the k likeliest ids of each distribution, set the rest to 0 and renormalise.

    Ties are broken by the lower id, so exactly k ids keep their probability.

    Parameters
    ----------
    probs : ndarray of shape (..., V)
        distributions over V ids, each row summing to 1 (e.g. from
        :func:`temperature_probabilities`)
    k : int
        how many ids to keep, 1 <= k <= V (k = 1 is greedy decoding, k = V changes nothing)

    Returns
    -------
    probs : float64 ndarray of shape (..., V)
        the kept ids' probabilities divided by their sum; 0 elsewhere
    """
    p = check_probabilities(probs)
    V = p.shape[-1]
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)):
        raise TypeError(f"k must be an int between 1 and V = {V}; got {_describe(k)}")
    if not 1 <= k <= V:
        raise ValueError(f"k must be between 1 and V = {V} (how many ids to keep); got {k}")
    order = np.argsort(-p, axis=-1, kind="stable")
    keep = np.zeros(p.shape, dtype=bool)
    np.put_along_axis(keep, order[..., :k], True, axis=-1)
    out = np.where(keep, p, 0.0)
    return out / out.sum(axis=-1, keepdims=True)


def nucleus_probabilities(probs: Array, top_p: float) -> NDArray[np.float64]:
    """Nucleus (top-p) filtering: keep the smallest set of likeliest ids whose total reaches top_p.

    The ids are taken in order of decreasing probability (ties by the lower id) until
    their probabilities add up to at least ``top_p``; the rest are set to 0 and the
    kept ones renormalised (Holtzman et al., 2020).  How many ids survive depends on
    the distribution: few where the model is sure, many where it is not.

    Parameters
    ----------
    probs : ndarray of shape (..., V)
        distributions over V ids, each row summing to 1
    top_p : float
        in (0, 1]; 1 keeps every id with a non-zero probability

    Returns
    -------
    probs : float64 ndarray of shape (..., V)
        the nucleus's probabilities divided by their sum; 0 elsewhere
    """
    p = check_probabilities(probs)
    if isinstance(top_p, bool) or not isinstance(top_p, (int, float, np.integer, np.floating)):
        raise TypeError(f"top_p must be a number in (0, 1]; got {_describe(top_p)}")
    if not 0 < float(top_p) <= 1:
        raise ValueError(f"top_p must be in (0, 1] (the probability mass to keep); got {top_p}")
    order = np.argsort(-p, axis=-1, kind="stable")
    sorted_p = np.take_along_axis(p, order, axis=-1)
    before = np.cumsum(sorted_p, axis=-1) - sorted_p  # mass of the likelier ids
    # an id is kept while the likelier ones have not yet reached top_p (a little slack for rounding)
    kept_sorted = (before < float(top_p) - 1e-12) & (sorted_p > 0)
    kept_sorted[..., 0] = True
    keep = np.zeros(p.shape, dtype=bool)
    np.put_along_axis(keep, order, kept_sorted, axis=-1)
    out = np.where(keep, p, 0.0)
    return out / out.sum(axis=-1, keepdims=True)


def sample(
    model: CharLM,
    vocab: Vocabulary,
    prime: str,
    length: int,
    rng: np.random.Generator,
    temperature: float = 1.0,
    top_k: int | None = None,
    top_p: float | None = None,
) -> str:
    """Generate ``length`` characters that continue ``prime``, one at a time.

    The model first reads the prime; then each drawn character is fed back as the
    next input, with the state carried from step to step.  Characters are drawn from
    ``softmax(scores / temperature)``, cut to its ``top_k`` likeliest characters
    (:func:`top_k_probabilities`) and then to its nucleus of mass ``top_p``
    (:func:`nucleus_probabilities`) when those are given; ``<pad>`` and ``<unk>`` are
    never drawn.

    Parameters
    ----------
    model : CharLM
        a trained :class:`CharLM`
    vocab : Vocabulary
        the character vocabulary the model was trained with
    prime : str
        non-empty str of known characters to start from
    length : int
        number of characters to generate
    rng : np.random.Generator
        the same generator state gives the same text
    temperature : float
        positive float; 1 samples the model's own distribution
    top_k : int | None
        if given, draw only from the k likeliest characters at each step
    top_p : float | None
        if given, in (0, 1]: draw only from the nucleus of mass top_p at each step

    Returns
    -------
    text : str
        ``length`` characters (the prime not included)
    """
    model = _check_model(model)
    if not isinstance(vocab, Vocabulary) or len(vocab) != model.vocab_size:
        raise ValueError(
            f"vocab must be the rnnlib.Vocabulary of the model's {model.vocab_size} characters; got {_describe(vocab)}"
            + (f" of size {len(vocab)}" if isinstance(vocab, Vocabulary) else "")
        )
    if not isinstance(prime, str) or not prime:
        raise ValueError(f"prime must be a non-empty str to start from; got {_describe(prime)}")
    unknown = sorted({ch for ch in prime if ch not in vocab})
    if unknown:
        raise ValueError(f"prime holds characters the model has never seen: {unknown}")
    n = positive_int("length", length)
    rng = check_rng(rng)
    t = check_temperature(temperature)
    if top_k is not None:  # check the arguments once, before any work
        top_k_probabilities(np.full(model.vocab_size, 1 / model.vocab_size), top_k)
    if top_p is not None:
        nucleus_probabilities(np.full(model.vocab_size, 1 / model.vocab_size), top_p)
    scores, cache = model.forward(encode_text(prime, vocab)[None])
    out = []
    for _ in range(n):
        p = temperature_probabilities(scores[0, -1], t, exclude=(vocab.pad_id, vocab.unk_id))
        if top_k is not None:
            p = top_k_probabilities(p, top_k)
        if top_p is not None:
            p = nucleus_probabilities(p, top_p)
        c = np.cumsum(p)
        i = min(int(np.searchsorted(c, rng.random() * c[-1], side="right")), len(p) - 1)
        out.append(i)
        scores, cache = model.forward(np.array([[i]]), cache["state"])
    return decode_text(np.array(out), vocab)


def next_character_probabilities(model: CharLM, vocab: Vocabulary, prime: str, temperature: float = 1.0) -> Array:
    """P(next character | prime) at a temperature, ndarray of shape (V,) (zero for ``<pad>`` and ``<unk>``)."""
    model = _check_model(model)
    if not isinstance(prime, str) or not prime:
        raise ValueError(f"prime must be a non-empty str to start from; got {_describe(prime)}")
    unknown = sorted({ch for ch in prime if ch not in vocab})
    if unknown:
        raise ValueError(f"prime holds characters the model has never seen: {unknown}")
    scores, _ = model.forward(encode_text(prime, vocab)[None])
    return temperature_probabilities(scores[0, -1], temperature, exclude=(vocab.pad_id, vocab.unk_id))


# ---------------------------------------------------------------------------
# Saving and loading
# ---------------------------------------------------------------------------

_KIND = "rnnlib.charlm.CharLM"


def save_char_lm(path: str | PathLike[str], model: CharLM, vocab: Vocabulary) -> None:
    """Save the parameters with everything needed to rebuild the model: sizes, cell and characters."""
    model = _check_model(model)
    if not isinstance(vocab, Vocabulary) or len(vocab) != model.vocab_size:
        raise ValueError(
            f"vocab must be the model's vocabulary of {model.vocab_size} characters; got {_describe(vocab)}"
        )
    meta = {
        "kind": _KIND,
        "vocab_size": model.vocab_size,
        "hidden_size": model.hidden_size,
        "embedding_size": model.embedding_size,
        "cell": model.cell,
        "num_layers": model.num_layers,
        "activation": model.activation,
        "dtype": model.dtype.name,
        "characters": vocab.id_to_token[2:],
    }
    save_params(path, model.params, meta)


def load_char_lm(path: str | PathLike[str]) -> tuple[CharLM, Vocabulary]:
    """Rebuild a model saved by :func:`save_char_lm`; return it with its vocabulary.

    Raises ``ValueError`` for a truncated or foreign file, or one saved without
    the model's description.
    """
    _, meta = load_params(path)
    want = ("vocab_size", "hidden_size", "embedding_size", "cell", "num_layers", "activation", "dtype", "characters")
    if meta.get("kind") != _KIND or any(k not in meta for k in want):
        raise ValueError(f"{path} holds parameters but no CharLM description; was it written by save_char_lm?")
    vocab = Vocabulary(meta["characters"])
    if len(vocab) != meta["vocab_size"]:
        raise ValueError(f"{path} lists {len(vocab)} tokens but a vocabulary of size {meta['vocab_size']}")
    model = CharLM(
        meta["vocab_size"],
        meta["hidden_size"],
        np.random.default_rng(0),  # every value is overwritten from the file
        embedding_size=meta["embedding_size"],
        cell=meta["cell"],
        num_layers=meta["num_layers"],
        activation=meta["activation"],
        dtype=np.dtype(meta["dtype"]).type,
    )
    load_into(model.params, path)
    return model, vocab
