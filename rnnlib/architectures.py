"""The shapes of sequence problem as models with one interface (chapter 3).

===============  ==================  ==========================  ==============================================
architecture     input               output                      model
===============  ==================  ==========================  ==============================================
one-to-many      v (N, C)            (N, T, K) or ids (N, T)     :class:`OneToManyGenerator`
many-to-one      ids (N, T)          (N,)                        :class:`rnnlib.models.ManyToOne`
many-to-many     ids (N, T)          tags (N, T)                 :class:`ManyToManyTagger`
encoder-decoder  ids (N, S)          ids (N, T), T and S differ  :class:`EncoderDecoder`
===============  ==================  ==========================  ==============================================

Every model holds its parameters in ``params``; ``loss(*batch) -> (loss, grads)``
returns gradients keyed like ``params``, so :func:`rnnlib.training.fit` trains any of them;
``num_parameters()`` counts them and ``repr(model)`` summarises the sizes.  The
many-to-one model is :class:`rnnlib.models.ManyToOne` of chapter 2, re-exported here
(it takes the same ``cell`` argument).

Every recurrent computation of a model goes through one
:class:`rnnlib.recurrent.Recurrent` layer chosen by the ``cell`` argument
(``"rnn"``, ``"lstm"`` or ``"gru"``), so the LSTM and GRU of chapter 6 are drop-in
replacements for the vanilla RNN used here.

Generation feeds each output back as the next input, one step at a time: each call
of the recurrent layer runs a single step from the states the previous call ended in
(its ``cache["final"]``, and for an LSTM ``cache["final_c"]``, the cell state), so
generating T steps costs T steps of the recurrence, for any cell.

Shapes are batch-first throughout: ids (N, T), masks (N, T), x (N, T, D),
hs (N, T, H), scores (N, T, K).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from rnnlib._checks import Shapes, _describe, check_bool, check_rng, positive_float, positive_int
from rnnlib._types import Array
from rnnlib.activations import log_softmax, softmax
from rnnlib.data import one_hot, pad_sequences
from rnnlib.init import embedding, normal
from rnnlib.layers import embedding_backward, embedding_forward, temporal_affine_backward, temporal_affine_forward
from rnnlib.losses import mean_squared_error, softmax_cross_entropy
from rnnlib.models import ManyToOne, count_parameters
from rnnlib.recurrent import Recurrent

Mask = NDArray[np.bool_] | None

__all__ = [
    "EncoderDecoder",
    "ManyToManyTagger",
    "ManyToOne",
    "OneToManyGenerator",
    "most_frequent_tags",
    "seq2seq_arrays",
]


# ---------------------------------------------------------------------------
# Token inputs: an embedding table, or one-hot vectors when there is none
# ---------------------------------------------------------------------------


def _embed(ids: NDArray[np.integer], E: Array | None, V: int) -> tuple[Array, dict[str, Any] | None]:
    """(N, T) ids -> (N, T, D) inputs: rows of E, or one-hot vectors (D = V) without E."""
    if E is None:
        return one_hot(ids, V), None
    return embedding_forward(ids, E)


def _embed_backward(dx: Array, cache: dict[str, Any] | None) -> Array | None:
    return None if cache is None else embedding_backward(dx, cache)


def _repr_sizes(model: Any, names: Sequence[str]) -> str:
    parts = [f"{n}={getattr(model, n)!r}" for n in names]
    return f"{type(model).__name__}({', '.join(parts)}, cell={model.cell!r}, parameters={model.num_parameters()})"


# ---------------------------------------------------------------------------
# One-to-many
# ---------------------------------------------------------------------------


class OneToManyGenerator:
    """One condition vector in, a whole sequence out.

    The condition sets the initial state; the network then writes one output per
    step, reading its previous output as the next input:

        h_0     = tanh(v W_vh + b_v)
        h_t     = tanh(x_t W_xh + h_{t-1} W_hh + b_h),   x_1 = 0,  x_t = y_{t-1} for t > 1
        y_hat_t = h_t W_hy + b_y

    (for categorical outputs x_t is the embedding, or one-hot vector, of token y_{t-1},
    and y_hat_t is a softmax over the K tokens).
    With ``feed_condition=True`` the condition also rides along with every input,
    x_t = [y_{t-1}, v], so the network need not carry it in its state alone.

    In training the input x_t is the *true* previous output y_{t-1} (teacher
    forcing), so every step learns from a correct history; :meth:`generate` feeds
    back the model's own previous output instead.

    Parameters
    ----------
    condition_size : int
        C, features of the condition v
    output_size : int
        K, values per step ("real") or the number of token ids ("categorical")
    hidden_size : int
        H
    rng : np.random.Generator
        for the initial weights
    output : {"real", "categorical"}
        "real": y_t is a vector of K numbers, with the mean squared error; "categorical":
        y_t is a token id in [0, K), with softmax cross-entropy
    embedding_size : int | None
        for "categorical", the size of a learned embedding of the previous
        token; None feeds one-hot vectors (size K).  Must be None for "real".
    feed_condition : bool
        also append v to the input of every step (D grows by C)
    cell : {"rnn", "lstm", "gru"}
        the recurrent cell; "rnn" by default
    """

    def __init__(
        self,
        condition_size: int,
        output_size: int,
        hidden_size: int,
        rng: np.random.Generator,
        output: str = "real",
        embedding_size: int | None = None,
        feed_condition: bool = False,
        cell: str = "rnn",
    ) -> None:
        C = self.condition_size = positive_int("condition_size", condition_size)
        K = self.output_size = positive_int("output_size", output_size)
        H = self.hidden_size = positive_int("hidden_size", hidden_size)
        rng = check_rng(rng)
        if output not in ("real", "categorical"):
            raise ValueError(f"output must be 'real' or 'categorical'; got {output!r}")
        self.output = output
        if embedding_size is not None and output == "real":
            raise ValueError("embedding_size is only for output='categorical'; a real-valued output is its own input")
        if not isinstance(feed_condition, bool):
            raise TypeError(f"feed_condition must be True or False; got {_describe(feed_condition)}")
        self.embedding_size = None if embedding_size is None else positive_int("embedding_size", embedding_size)
        self.feed_condition = feed_condition
        self._fed = self.embedding_size or K  # size of the fed-back part of x_t
        self.rnn = Recurrent(cell, self._fed + (C if feed_condition else 0), H)
        self.cell = cell
        self.params: dict[str, Array] = {"W_vh": normal(rng, (C, H)), "b_v": np.zeros(H)}
        if self.embedding_size is not None:
            self.params["E"] = embedding(rng, K, self.embedding_size)
        self.params |= self.rnn.init(rng)
        self.params |= {"W_hy": normal(rng, (H, K)), "b_y": np.zeros(K)}

    def _check(self, v: object, y: object, mask: object) -> tuple[Array, np.ndarray, Mask]:
        s = Shapes()
        v = s.floats("v", v, ("N", self.condition_size))
        if self.output == "real":
            y = s.floats("y", y, ("N", "T", self.output_size))
        else:
            y = s.ints("y", y, ("N", "T"), high=self.output_size)
        if y.shape[1] == 0:
            raise ValueError(f"y must hold at least one time step; got shape {y.shape}")
        return v, y, s.mask("mask", mask, ("N", "T"))

    def _initial_state(self, v: Array) -> Array:
        return np.tanh(v @ self.params["W_vh"] + self.params["b_v"])

    def _with_condition(self, fed: Array, v: Array) -> Array:
        """x_t from the fed-back values (N, T, D_fed): as they are, or with v appended."""
        if not self.feed_condition:
            return fed
        return np.concatenate([fed, np.broadcast_to(v[:, None, :], (*fed.shape[:2], v.shape[1]))], axis=2)

    def _inputs(self, v: Array, y: np.ndarray) -> tuple[Array, dict[str, Any] | None]:
        """Teacher-forcing inputs (N, T, D): zeros at step 1, then y_1 .. y_{T-1}."""
        N = y.shape[0]
        if self.output == "real":
            prev, cache = y[:, :-1], None
        else:
            prev, cache = _embed(y[:, :-1], self.params.get("E"), self.output_size)
        start = np.zeros((N, 1, self._fed), dtype=self.params["W_hy"].dtype)
        return self._with_condition(np.concatenate([start, prev], axis=1), v), cache

    def forward(self, v: Array, y: np.ndarray, mask: Mask = None) -> tuple[Array, dict[str, Any]]:
        """Teacher-forced outputs: each step sees the true previous value.

        Parameters
        ----------
        v : ndarray of shape (N, C)
            the conditions
        y : ndarray of shape (N, T, K)
            of floats ("real") or (N, T) of ids ("categorical")
        mask : optional ndarray of shape (N, T)
            1 at real steps

        Returns
        -------
        out : ndarray of shape (N, T, K)
            : predicted values ("real") or scores ("categorical")
        cache : dict
            for :meth:`backward`
        """
        v, y, mask = self._check(v, y, mask)
        p = self.params
        h0 = self._initial_state(v)
        x, emb_cache = self._inputs(v, y)
        hs, rnn_cache = self.rnn.forward(x, p, mask, h0)
        out, out_cache = temporal_affine_forward(hs, p["W_hy"], p["b_y"])
        return out, {"v": v, "h0": h0, "emb": emb_cache, "rnn": rnn_cache, "out": out_cache, "y": y, "mask": mask}

    def backward(self, dout: Array, cache: dict[str, Any]) -> dict[str, Array]:
        """Gradients of every parameter from dL/dout of shape (N, T, K)."""
        dhs, dW_hy, db_y = temporal_affine_backward(dout, cache["out"])
        dx, dh0, grads = self.rnn.backward(dhs, cache["rnn"])
        da0 = dh0 * (1 - cache["h0"] ** 2)  # through h_0 = tanh(v W_vh + b_v)
        grads |= {"W_vh": cache["v"].T @ da0, "b_v": da0.sum(axis=0), "W_hy": dW_hy, "b_y": db_y}
        if cache["emb"] is not None:
            grads["E"] = _embed_backward(dx[:, 1:, : self._fed], cache["emb"])
        return {k: grads[k] for k in self.params}

    def loss(self, v: Array, y: np.ndarray, mask: Mask = None) -> tuple[float, dict[str, Array]]:
        """Mean squared error ("real") or mean cross-entropy ("categorical") over the
        real steps, with teacher forcing, and the gradients keyed like ``params``."""
        out, cache = self.forward(v, y, mask)
        if self.output == "real":
            loss, dout = mean_squared_error(out, cache["y"], cache["mask"])
        else:
            loss, dout = softmax_cross_entropy(out, cache["y"], cache["mask"])
        return loss, self.backward(dout, cache)

    def generate(
        self, v: Array, steps: int, rng: np.random.Generator | None = None, temperature: float = 1.0
    ) -> np.ndarray:
        """Free-running generation: every output is fed back as the next input.

        Parameters
        ----------
        v : ndarray of shape (N, C)
            the conditions
        steps : int
            T, how many steps to generate
        rng : np.random.Generator | None
            for "categorical" only: draw each token from softmax(scores / temperature)
            with this generator; None picks the most likely token (greedy)
        temperature : float
            positive; below 1 sharpens the distribution, above 1 flattens it

        Returns
        -------
        ndarray of shape (N, T, K) of floats ("real") or (N, T) of int64 ids ("categorical")
        """
        v = Shapes().floats("v", v, ("N", self.condition_size))
        T = positive_int("steps", steps)
        temperature = positive_float("temperature", temperature)
        if rng is not None:
            if self.output == "real":
                raise ValueError("rng is only for output='categorical'; a real-valued generator is deterministic")
            rng = check_rng(rng)
        p = self.params
        N = v.shape[0]
        h, c = self._initial_state(v), None  # c: an LSTM's cell state, zeros at the start
        fed: Array = np.zeros((N, 1, self._fed))  # x_1 = 0: nothing generated yet
        outputs = []
        for _ in range(T):
            hs, cache = self.rnn.forward(self._with_condition(fed, v), p, None, h, c0=c)  # one step
            h, c = cache["final"], cache.get("final_c")  # where the next step starts
            out = hs[:, -1] @ p["W_hy"] + p["b_y"]  # (N, K)
            if self.output == "real":
                outputs.append(out)
                nxt: Array = out
            else:
                if rng is None:
                    ids = np.argmax(out, axis=1)
                else:
                    cdf = softmax(out / temperature).cumsum(axis=1)
                    ids = (cdf > rng.random((N, 1)) * cdf[:, -1:]).argmax(axis=1)  # inverse-CDF sampling
                outputs.append(ids)
                nxt = _embed(ids[:, None], p.get("E"), self.output_size)[0][:, 0]
            fed = nxt[:, None]  # the next step's input
        return np.stack(outputs, axis=1)

    def num_parameters(self) -> int:
        """Total count of trainable numbers."""
        return count_parameters(self.params)

    def __repr__(self) -> str:
        names = ["condition_size", "output_size", "hidden_size", "output"]
        names += ["embedding_size"] if self.embedding_size else []
        names += ["feed_condition"] if self.feed_condition else []
        return _repr_sizes(self, names)


# ---------------------------------------------------------------------------
# Many-to-many, aligned
# ---------------------------------------------------------------------------


class ManyToManyTagger:
    """One label per input step: tokens -> embedding -> RNN -> scores at every step.

        h_t     = tanh(x_t W_xh + h_{t-1} W_hh + b_h),   h_0 = 0
        y_hat_t = softmax(h_t W_hy + b_y)

    trained with the softmax cross-entropy averaged over the real (mask = 1) steps.
    Because the network reads left to right, the tag of word t can depend on words
    1..t, never on later ones.

    Parameters
    ----------
    vocab_size : int
        V, the number of token ids
    num_tags : int
        K, the number of labels
    hidden_size : int
        H
    rng : np.random.Generator
        for the initial weights
    embedding_size : int | None
        D; None feeds one-hot vectors (D = V)
    cell : {"rnn", "lstm", "gru"}
        the recurrent cell; "rnn" by default
    num_layers : int
        stacked recurrent layers (chapter 7)
    bidirectional : bool
        add a right-to-left pass, so each tag also sees the words after it
        (chapter 7); W_hy then reads [forward h_t, backward h_t] of size 2H
    """

    def __init__(
        self,
        vocab_size: int,
        num_tags: int,
        hidden_size: int,
        rng: np.random.Generator,
        embedding_size: int | None = None,
        cell: str = "rnn",
        num_layers: int = 1,
        bidirectional: bool = False,
    ) -> None:
        V = self.vocab_size = positive_int("vocab_size", vocab_size)
        K = self.num_tags = positive_int("num_tags", num_tags)
        self.hidden_size = positive_int("hidden_size", hidden_size)
        rng = check_rng(rng)
        check_bool("bidirectional", bidirectional)
        self.embedding_size = None if embedding_size is None else positive_int("embedding_size", embedding_size)
        D = self.embedding_size or V
        self.rnn = Recurrent(cell, D, self.hidden_size, num_layers, bidirectional)
        self.cell, self.num_layers, self.bidirectional = cell, self.rnn.num_layers, bidirectional
        self.params: dict[str, Array] = {}
        if self.embedding_size is not None:
            self.params["E"] = embedding(rng, V, D)
        self.params |= self.rnn.init(rng)
        self.params |= {"W_hy": normal(rng, (self.rnn.output_size, K)), "b_y": np.zeros(K)}

    def forward(self, ids: NDArray[np.integer], mask: Mask = None) -> tuple[Array, dict[str, Any]]:
        """Tag scores at every step.

        Parameters
        ----------
        ids : ndarray of shape (N, T)
            token ids in [0, V)
        mask : optional ndarray of shape (N, T)
            1 at real tokens

        Returns
        -------
        scores : ndarray of shape (N, T, K)
        cache : dict
            for :meth:`backward`
        """
        s = Shapes()
        ids = s.ints("ids", ids, ("N", "T"), high=self.vocab_size)
        mask = s.mask("mask", mask, ("N", "T"))
        p = self.params
        x, emb_cache = _embed(ids, p.get("E"), self.vocab_size)
        hs, rnn_cache = self.rnn.forward(x, p, mask)
        scores, out_cache = temporal_affine_forward(hs, p["W_hy"], p["b_y"])
        return scores, {"emb": emb_cache, "rnn": rnn_cache, "out": out_cache, "mask": mask}

    def backward(self, dscores: Array, cache: dict[str, Any]) -> dict[str, Array]:
        """Gradients of every parameter from dL/dscores of shape (N, T, K)."""
        dhs, dW_hy, db_y = temporal_affine_backward(dscores, cache["out"])
        dx, _, grads = self.rnn.backward(dhs, cache["rnn"])
        grads |= {"W_hy": dW_hy, "b_y": db_y}
        if cache["emb"] is not None:
            grads["E"] = _embed_backward(dx, cache["emb"])
        return {k: grads[k] for k in self.params}

    def loss(
        self, ids: NDArray[np.integer], tags: NDArray[np.integer], mask: Mask = None
    ) -> tuple[float, dict[str, Array]]:
        """Mean cross-entropy over the real steps, and gradients keyed like ``params``.

        ``tags`` is an ndarray of shape (N, T) of labels in [0, K); its values at
        padded steps are ignored.
        """
        scores, cache = self.forward(ids, mask)
        loss, dscores = softmax_cross_entropy(scores, tags, cache["mask"])
        return loss, self.backward(dscores, cache)

    def predict(self, ids: NDArray[np.integer], mask: Mask = None) -> NDArray[np.int64]:
        """The most likely tag at every step, ndarray of shape (N, T); 0 at padded steps."""
        scores, cache = self.forward(ids, mask)
        tags = np.argmax(scores, axis=2)
        return tags if cache["mask"] is None else np.where(cache["mask"], tags, 0)

    def num_parameters(self) -> int:
        """Total count of trainable numbers."""
        return count_parameters(self.params)

    def __repr__(self) -> str:
        names = ["vocab_size", "num_tags", "hidden_size"] + (["embedding_size"] if self.embedding_size else [])
        names += (["num_layers"] if self.num_layers > 1 else []) + (["bidirectional"] if self.bidirectional else [])
        return _repr_sizes(self, names)


# ---------------------------------------------------------------------------
# Many-to-many, different lengths
# ---------------------------------------------------------------------------


def check_special_ids(bos_id: object, eos_id: object, vocab_size: int) -> tuple[int, int]:
    """Validate the ids of <bos> and <eos> in a target vocabulary of ``vocab_size`` tokens."""
    checked = []
    for name, value in (("bos_id", bos_id), ("eos_id", eos_id)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not 0 <= value < vocab_size:
            raise ValueError(f"{name} must be a target id in [0, {vocab_size}); got {_describe(value)}")
        checked.append(int(value))
    if checked[0] == checked[1]:
        raise ValueError(f"bos_id and eos_id must differ; both are {bos_id}")
    return checked[0], checked[1]


def decoder_inputs(tgt: NDArray[np.integer], bos_id: int) -> NDArray[np.int64]:
    """Teacher forcing's decoder input: <bos> followed by the target shifted right by one.

    Parameters
    ----------
    tgt : ndarray of shape (N, T)
        target ids
    bos_id : int
        the id of <bos>

    Returns
    -------
    ndarray of shape (N, T): ``[bos, y_1, ..., y_{T-1}]`` for every sequence
    """
    bos = np.full((tgt.shape[0], 1), bos_id, dtype=np.int64)
    return np.concatenate([bos, tgt[:, :-1]], axis=1)


class EncoderDecoder:
    """Sequence to sequence: an encoder reads the source, a decoder writes the target.

        encoder:  h_i = tanh(x_i W_xh^enc + h_{i-1} W_hh^enc + b_h^enc),   h_0 = 0,  i = 1..S
        decoder:  s_0 = h_S   (the encoder's last real state: the context)
                  s_t = tanh(e_t W_xh^dec + s_{t-1} W_hh^dec + b_h^dec),   t = 1..T
                  y_hat_t = softmax(s_t W_hy + b_y)

    where e_t embeds the previous target token: <bos> at t = 1, then y_1 .. y_{T-1}
    (teacher forcing).  The targets end with <eos>, so the model learns when to stop;
    :meth:`translate` decodes greedily, feeding back its own choices until it writes
    <eos>.  Source and target have separate vocabularies, embeddings and recurrent
    weights (keys ``enc_*`` and ``dec_*``), and any lengths S and T
    (Sutskever, Vinyals and Le, 2014; Cho et al., 2014).

    Parameters
    ----------
    src_vocab_size : int
        V_src, the number of source token ids
    tgt_vocab_size : int
        V_tgt, the number of target token ids (including <bos> and <eos>)
    hidden_size : int
        H, shared by encoder and decoder so the context fits
    rng : np.random.Generator
        for the initial weights
    bos_id, eos_id : int
        the target ids of <bos> and <eos>
    embedding_size : int | None
        D for both embeddings; None feeds one-hot vectors
    cell : {"rnn", "lstm", "gru"}
        the cell of both encoder and decoder; "rnn" by default
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
        cell: str = "rnn",
    ) -> None:
        Vs = self.src_vocab_size = positive_int("src_vocab_size", src_vocab_size)
        Vt = self.tgt_vocab_size = positive_int("tgt_vocab_size", tgt_vocab_size)
        H = self.hidden_size = positive_int("hidden_size", hidden_size)
        rng = check_rng(rng)
        self.bos_id, self.eos_id = check_special_ids(bos_id, eos_id, Vt)
        self.embedding_size = None if embedding_size is None else positive_int("embedding_size", embedding_size)
        self.cell = cell
        self.encoder = Recurrent(cell, self.embedding_size or Vs, H)
        self.decoder = Recurrent(cell, self.embedding_size or Vt, H)
        self.params: dict[str, Array] = {}
        if self.embedding_size is not None:
            self.params["enc_E"] = embedding(rng, Vs, self.embedding_size)
        self.params |= self.encoder.init(rng, prefix="enc_")
        if self.embedding_size is not None:
            self.params["dec_E"] = embedding(rng, Vt, self.embedding_size)
        self.params |= self.decoder.init(rng, prefix="dec_")
        self.params |= {"W_hy": normal(rng, (H, Vt)), "b_y": np.zeros(Vt)}

    def encode(self, src: NDArray[np.integer], src_mask: Mask = None) -> tuple[Array, dict[str, Any]]:
        """The context: the encoder's state after each source's last real token.

        Parameters
        ----------
        src : ndarray of shape (N, S)
            source ids in [0, V_src)
        src_mask : optional ndarray of shape (N, S)
            1 at real tokens

        Returns
        -------
        context : ndarray of shape (N, H)
        cache : dict
            for the encoder's part of :meth:`backward`
        """
        s = Shapes()
        src = s.ints("src", src, ("N", "S"), high=self.src_vocab_size)
        return self._encode(src, s.mask("src_mask", src_mask, ("N", "S")))

    def _encode(self, src: NDArray[np.integer], src_mask: Mask) -> tuple[Array, dict[str, Any]]:
        if src_mask is not None and not src_mask.any(axis=1).all():
            empty = np.flatnonzero(~src_mask.any(axis=1)).tolist()
            raise ValueError(f"every source needs at least one real token; src_mask rows {empty} are all zero")
        x, emb_cache = _embed(src, self.params.get("enc_E"), self.src_vocab_size)
        hs, rnn_cache = self.encoder.forward(x, self.params, src_mask, prefix="enc_")
        # Padded steps copy the state forward, so the last column holds each source's h_S.
        return hs[:, -1], {"emb": emb_cache, "rnn": rnn_cache, "hs_shape": hs.shape}

    def forward(
        self, src: NDArray[np.integer], tgt: NDArray[np.integer], src_mask: Mask = None, tgt_mask: Mask = None
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
            for :meth:`backward`
        """
        s = Shapes()
        src = s.ints("src", src, ("N", "S"), high=self.src_vocab_size)
        tgt = s.ints("tgt", tgt, ("N", "T"), high=self.tgt_vocab_size)
        src_mask = s.mask("src_mask", src_mask, ("N", "S"))
        tgt_mask = s.mask("tgt_mask", tgt_mask, ("N", "T"))
        context, enc_cache = self._encode(src, src_mask)
        p = self.params
        x, emb_cache = _embed(decoder_inputs(tgt, self.bos_id), p.get("dec_E"), self.tgt_vocab_size)
        ss, rnn_cache = self.decoder.forward(x, p, tgt_mask, context, prefix="dec_")
        scores, out_cache = temporal_affine_forward(ss, p["W_hy"], p["b_y"])
        cache = {"enc": enc_cache, "emb": emb_cache, "rnn": rnn_cache, "out": out_cache, "tgt": tgt, "mask": tgt_mask}
        return scores, cache

    def backward(self, dscores: Array, cache: dict[str, Any]) -> dict[str, Array]:
        """Gradients of every parameter from dL/dscores of shape (N, T, V_tgt)."""
        dss, dW_hy, db_y = temporal_affine_backward(dscores, cache["out"])
        dx_dec, dcontext, grads = self.decoder.backward(dss, cache["rnn"])
        enc = cache["enc"]
        # The context is the encoder's last state; nothing else reads the encoder's states.
        dx_enc, _, enc_grads = self.encoder.backward(np.zeros(enc["hs_shape"]), enc["rnn"], dfinal=dcontext[None])
        grads |= enc_grads | {"W_hy": dW_hy, "b_y": db_y}
        if self.embedding_size is not None:
            grads["dec_E"] = _embed_backward(dx_dec, cache["emb"])
            grads["enc_E"] = _embed_backward(dx_enc, enc["emb"])
        return {k: grads[k] for k in self.params}

    def loss(
        self, src: NDArray[np.integer], tgt: NDArray[np.integer], src_mask: Mask = None, tgt_mask: Mask = None
    ) -> tuple[float, dict[str, Array]]:
        """Mean cross-entropy over the real target steps (teacher forcing) and the
        gradients keyed like ``params``.  Train with ``fit(model, (src, tgt, src_mask, tgt_mask), ...)``."""
        scores, cache = self.forward(src, tgt, src_mask, tgt_mask)
        loss, dscores = softmax_cross_entropy(scores, cache["tgt"], cache["mask"])
        return loss, self.backward(dscores, cache)

    def decode_start(self, src: NDArray[np.integer], src_mask: Mask = None) -> dict[str, Array]:
        """The decoder's state before its first step, for :meth:`translate` and
        :func:`rnnlib.decoding.beam_search`.

        Parameters
        ----------
        src : ndarray of shape (N, S)
            source ids
        src_mask : optional ndarray of shape (N, S)

        Returns
        -------
        state : dict
            "h", the context (N, H), where the decoder starts; with a cell that carries a
            cell state (the LSTM), also "c" (N, H), zeros
        """
        h, _ = self.encode(src, src_mask)
        state = {"h": h}
        if self.decoder.cell.has_cell_state:
            state["c"] = np.zeros_like(h)
        return state

    def decode_step(self, state: dict[str, Array], tokens: NDArray[np.integer]) -> tuple[Array, dict[str, Array]]:
        """One decoder step, as :mod:`rnnlib.decoding` expects of every encoder-decoder: from
        ``state`` (:meth:`decode_start`'s or an earlier step's), reading ``tokens`` (N,), the
        previous target tokens (<bos> first), it returns log p(next token | tokens so far, source),
        an ndarray of shape (N, V_tgt), and the state after the step, like ``state``.
        """
        scores, state = self._step_scores(state, tokens)
        return log_softmax(scores), state

    def _step_scores(self, state: dict[str, Array], tokens: NDArray[np.integer]) -> tuple[Array, dict[str, Array]]:
        p = self.params
        x, _ = _embed(np.asarray(tokens)[:, None], p.get("dec_E"), self.tgt_vocab_size)  # one step, (N, 1, D)
        ss, cache = self.decoder.forward(x, p, None, state["h"], prefix="dec_", c0=state.get("c"))
        new = {"h": cache["final"][0]}  # the decoder has one layer: final is (1, N, H)
        if "c" in state:
            new["c"] = cache["final_c"][0]
        return ss[:, -1] @ p["W_hy"] + p["b_y"], new

    def translate(self, src: NDArray[np.integer], src_mask: Mask = None, max_len: int = 20) -> list[list[int]]:
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
            of N lists of target ids, without <bos> and <eos>
        """
        max_len = positive_int("max_len", max_len)
        state = self.decode_start(src, src_mask)  # the decoder starts from the encoder's final state
        N = state["h"].shape[0]
        tokens = np.full((N, 1), self.bos_id, dtype=np.int64)
        for _ in range(max_len + 1):  # + 1: room for the <eos> after max_len tokens
            scores, state = self._step_scores(state, tokens[:, -1])  # the last token only
            tokens = np.concatenate([tokens, np.argmax(scores, axis=1)[:, None]], axis=1)
            if (tokens[:, 1:] == self.eos_id).any(axis=1).all():
                break
        outputs = []
        for row in tokens[:, 1:].tolist():
            end = row.index(self.eos_id) if self.eos_id in row else max_len
            outputs.append(row[: min(end, max_len)])
        return outputs

    def num_parameters(self) -> int:
        """Total count of trainable numbers."""
        return count_parameters(self.params)

    def __repr__(self) -> str:
        names = ["src_vocab_size", "tgt_vocab_size", "hidden_size"]
        return _repr_sizes(self, names + (["embedding_size"] if self.embedding_size else []))


def seq2seq_arrays(
    sources: Sequence[Sequence[int]], targets: Sequence[Sequence[int]], eos_id: int
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.bool_], NDArray[np.bool_]]:
    """Pad source and target id lists for :class:`EncoderDecoder`, ending every target with <eos>.

    Parameters
    ----------
    sources : list of lists of int
        N lists of source ids
    targets : list of lists of int
        N lists of target ids (without <eos>)
    eos_id : int
        the id appended to every target

    Returns
    -------
    src : ndarray of shape (N, S)
    tgt : ndarray of shape (N, T)
    src_mask : ndarray of shape (N, S)
    tgt_mask : ndarray of shape (N, T)
        in the order :meth:`EncoderDecoder.loss` takes them
    """
    if len(sources) != len(targets):
        raise ValueError(f"sources and targets must pair up; got {len(sources)} sources and {len(targets)} targets")
    if isinstance(eos_id, bool) or not isinstance(eos_id, (int, np.integer)) or eos_id < 0:
        raise TypeError(f"eos_id must be a non-negative int; got {_describe(eos_id)}")
    src, src_mask = pad_sequences(list(sources))
    tgt, tgt_mask = pad_sequences([list(t) + [int(eos_id)] for t in targets])
    return src, tgt, src_mask, tgt_mask


# ---------------------------------------------------------------------------
# A memoryless baseline and the scores
# ---------------------------------------------------------------------------


def most_frequent_tags(
    ids: NDArray[np.integer], tags: NDArray[np.integer], vocab_size: int, num_tags: int, mask: Mask = None
) -> NDArray[np.int64]:
    """The tag each word carries most often in training: a tagger without memory.

    Looking up ``table[ids]`` tags every word on its own, one input to one output,
    so an ambiguous word always gets the same tag.  Words never seen in training
    get the most frequent tag overall.

    Parameters
    ----------
    ids : ndarray of shape (N, T)
        token ids in [0, V)
    tags : ndarray of shape (N, T)
        tags in [0, K)
    vocab_size : int
        V
    num_tags : int
        K
    mask : optional ndarray of shape (N, T)
        only real steps are counted

    Returns
    -------
    table : ndarray of shape (V,)
        the predicted tag of every word id
    """
    V, K = positive_int("vocab_size", vocab_size), positive_int("num_tags", num_tags)
    s = Shapes()
    ids = s.ints("ids", ids, ("N", "T"), high=V)
    tags = s.ints("tags", tags, ("N", "T"), high=K)
    mask = s.mask("mask", mask, ("N", "T"))
    keep = np.ones(ids.shape, bool) if mask is None else mask
    counts = np.zeros((V, K))
    np.add.at(counts, (ids[keep], tags[keep]), 1.0)
    table = counts.argmax(axis=1)
    table[counts.sum(axis=1) == 0] = counts.sum(axis=0).argmax()
    return table
