"""Small trainable models built from rnnlib's layers, and a training loop.

A model holds its parameters in ``self.params`` (a dict of arrays); ``loss(...)``
returns ``(loss, grads)`` with ``grads`` keyed like ``params``, which is all an
optimiser from :mod:`rnnlib.optim` and :func:`fit` need.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from rnnlib._checks import Shapes, check_rng, positive_float, positive_int
from rnnlib._types import Array
from rnnlib.activations import sigmoid
from rnnlib.data import bag_of_words, minibatches, one_hot
from rnnlib.init import embedding, normal
from rnnlib.layers import (
    embedding_backward,
    embedding_forward,
    last_step_affine_backward,
    last_step_affine_forward,
)
from rnnlib.losses import binary_cross_entropy
from rnnlib.optim import Optimizer, clip_grad_norm
from rnnlib.recurrent import Recurrent


def count_parameters(params: Mapping[str, NDArray[Any]]) -> int:
    """The number of trainable numbers in ``params`` (name -> array), the sum of the arrays' sizes.

    Every model's ``num_parameters()`` method returns this for its ``params``.
    """
    if not isinstance(params, Mapping):
        raise TypeError(f"params must be a dict of name -> array; got {type(params).__name__}")
    return int(sum(np.size(p) for p in params.values()))


class ManyToOneClassifier:
    """Tokens -> (embedding or one-hot) -> recurrent layer -> sigmoid of the last real state.

    The binary classifier of chapter 2 (sentiment of a review):

        h_t   = tanh(x_t W_xh + h_{t-1} W_hh + b_h),   h_0 = 0
        y_hat = sigmoid(h_T W_hy + b_y)

    With ``cell="lstm"`` or ``"gru"`` the recurrence is replaced (chapter 6); with
    ``bidirectional=True`` the output reads [forward h_T, backward h_1].

    Parameters
    ----------
    vocab_size : int
        V, the number of token ids
    hidden_size : int
        H
    rng : np.random.Generator
        for the initial weights
    embedding_size : int | None
        D; None feeds one-hot vectors (D = V) and has no embedding table
    activation : str
        the RNN's activation, "tanh" by default
    cell : {"rnn", "lstm", "gru"}
        the recurrent cell; "rnn" by default
    num_layers : int
        stacked recurrent layers
    bidirectional : bool
        add a backward-reading direction
    """

    def __init__(
        self,
        vocab_size: int,
        hidden_size: int,
        rng: np.random.Generator,
        embedding_size: int | None = None,
        activation: str = "tanh",
        cell: str = "rnn",
        num_layers: int = 1,
        bidirectional: bool = False,
    ) -> None:
        V = self.vocab_size = positive_int("vocab_size", vocab_size)
        H = self.hidden_size = positive_int("hidden_size", hidden_size)
        rng = check_rng(rng)
        self.embedding_size = None if embedding_size is None else positive_int("embedding_size", embedding_size)
        self.activation = activation
        D = V if self.embedding_size is None else self.embedding_size
        self.rnn = Recurrent(cell, D, H, num_layers, bidirectional, activation)
        self.params: dict[str, Array] = {}
        if self.embedding_size is not None:
            self.params["E"] = embedding(rng, V, D)
        self.params |= self.rnn.init(rng)
        self.params |= {"W_hy": normal(rng, (self.rnn.output_size, 1)), "b_y": np.zeros(1)}

    def _inputs(self, ids: NDArray[np.integer]) -> tuple[Array, dict[str, Any] | None]:
        if self.embedding_size is None:
            return one_hot(ids, self.vocab_size), None
        return embedding_forward(ids, self.params["E"])

    def forward(self, ids: NDArray[np.integer], mask: NDArray[np.bool_] | None = None) -> tuple[Array, dict[str, Any]]:
        """Logits for a batch.

        Parameters
        ----------
        ids : ndarray of shape (N, T)
        token ids in [0, V)
        mask : optional ndarray of shape (N, T)
            1 at real tokens

        Returns
        -------
        logits : ndarray of shape (N,)
        cache : dict
            everything :meth:`backward` needs, including ``cache["hs"]`` (N, T, H)
        """
        s = Shapes()
        ids = s.ints("ids", ids, ("N", "T"), high=self.vocab_size)
        mask = s.mask("mask", mask, ("N", "T"))
        p = self.params
        x, emb_cache = self._inputs(ids)
        hs, rnn_cache = self.rnn.forward(x.astype(p["W_hy"].dtype, copy=False), p, mask)
        if self.rnn.bidirectional:  # the backward direction has read everything by step 1
            H = self.hidden_size
            summary = np.concatenate([hs[:, :, :H], np.repeat(hs[:, :1, H:], hs.shape[1], axis=1)], axis=2)
        else:
            summary = hs
        scores, out_cache = last_step_affine_forward(summary, p["W_hy"], p["b_y"], mask)
        return scores[:, 0], {"emb": emb_cache, "rnn": rnn_cache, "out": out_cache, "hs": hs}

    def backward(self, dlogits: Array, cache: dict[str, Any]) -> dict[str, Array]:
        """Gradients of every parameter from dL/dlogits of shape (N,)."""
        dsummary, dW_hy, db_y = last_step_affine_backward(dlogits[:, None], cache["out"])
        if self.rnn.bidirectional:
            H = self.hidden_size
            dhs = dsummary.copy()
            dhs[:, :, H:] = 0
            dhs[:, 0, H:] = dsummary[:, :, H:].sum(axis=1)
        else:
            dhs = dsummary
        dx, _, grads = self.rnn.backward(dhs, cache["rnn"])
        grads |= {"W_hy": dW_hy, "b_y": db_y}
        if cache["emb"] is not None:
            grads["E"] = embedding_backward(dx, cache["emb"])
        return {k: grads[k] for k in self.params}

    def loss(
        self, ids: NDArray[np.integer], y: Array, mask: NDArray[np.bool_] | None = None
    ) -> tuple[float, dict[str, Array]]:
        """Mean log loss over the batch and its gradients, keyed like ``params``.

        ``y`` is an ndarray of shape (N,) of 0/1 labels.
        """
        logits, cache = self.forward(ids, mask)
        loss, dlogits = binary_cross_entropy(logits, np.asarray(y, dtype=logits.dtype))
        return loss, self.backward(dlogits, cache)

    def predict_proba(self, ids: NDArray[np.integer], mask: NDArray[np.bool_] | None = None) -> Array:
        """P(label = 1) for every sequence, ndarray of shape (N,)."""
        return sigmoid(self.forward(ids, mask)[0])

    def predict(self, ids: NDArray[np.integer], mask: NDArray[np.bool_] | None = None) -> NDArray[np.int64]:
        """0/1 predictions, ndarray of shape (N,)."""
        return (self.predict_proba(ids, mask) >= 0.5).astype(np.int64)

    def num_parameters(self) -> int:
        """Total count of trainable numbers."""
        return count_parameters(self.params)

    def __repr__(self) -> str:
        inp = "one-hot" if self.embedding_size is None else f"embedding_size={self.embedding_size}"
        rec = f"cell={self.rnn.cell.name!r}" + (
            f", activation={self.activation!r}" if self.rnn.cell.name == "rnn" else ""
        )
        rec += f", num_layers={self.rnn.num_layers}" if self.rnn.num_layers > 1 else ""
        rec += ", bidirectional=True" if self.rnn.bidirectional else ""
        return (
            f"ManyToOneClassifier(vocab_size={self.vocab_size}, {inp}, hidden_size={self.hidden_size}, "
            f"{rec}, parameters={self.num_parameters()})"
        )


class BagOfWordsClassifier:
    """Logistic regression on word counts: the order-blind baseline of chapter 1.

        y_hat = sigmoid(counts(x) w + b)

    Two reviews with the same words in a different order get the same counts and
    therefore, provably, the same prediction.
    """

    def __init__(self, vocab_size: int) -> None:
        self.vocab_size = positive_int("vocab_size", vocab_size)
        self.params: dict[str, Array] = {"w": np.zeros(self.vocab_size), "b": np.zeros(1)}

    def _logits(self, ids: NDArray[np.integer], mask: NDArray[np.bool_] | None) -> tuple[Array, Array]:
        counts = bag_of_words(ids, self.vocab_size, mask)
        return counts @ self.params["w"] + self.params["b"][0], counts

    def loss(
        self, ids: NDArray[np.integer], y: Array, mask: NDArray[np.bool_] | None = None
    ) -> tuple[float, dict[str, Array]]:
        """Mean log loss and gradients, same interface as :class:`ManyToOneClassifier`."""
        logits, counts = self._logits(ids, mask)
        loss, d = binary_cross_entropy(logits, np.asarray(y, dtype=np.float64))
        return loss, {"w": counts.T @ d, "b": np.array([d.sum()])}

    def predict_proba(self, ids: NDArray[np.integer], mask: NDArray[np.bool_] | None = None) -> Array:
        """P(label = 1), ndarray of shape (N,)."""
        return sigmoid(self._logits(ids, mask)[0])

    def predict(self, ids: NDArray[np.integer], mask: NDArray[np.bool_] | None = None) -> NDArray[np.int64]:
        """0/1 predictions, ndarray of shape (N,)."""
        return (self.predict_proba(ids, mask) >= 0.5).astype(np.int64)

    def __repr__(self) -> str:
        return f"BagOfWordsClassifier(vocab_size={self.vocab_size}, parameters={self.vocab_size + 1})"


class Trainable(Protocol):
    params: dict[str, Array]

    def loss(self, *batch: np.ndarray) -> tuple[float, dict[str, Array]]: ...


def fit(
    model: Trainable,
    data: tuple[np.ndarray, ...],
    optimizer: Optimizer,
    rng: np.random.Generator,
    epochs: int = 10,
    batch_size: int = 32,
    clip_norm: float | None = None,
    print_every: int = 0,
) -> list[float]:
    """Train ``model`` with mini-batches drawn from ``rng``; return the mean loss of every epoch.

    Parameters
    ----------
    model : object
        anything with ``params`` and ``loss(*batch) -> (loss, grads)``
    data : tuple of ndarray
        the arrays ``model.loss`` takes, all with first dimension N,
        e.g. ``(ids, y, mask)``
    optimizer : Optimizer
        an :class:`rnnlib.optim.Optimizer`
    rng : np.random.Generator
        that orders the examples every epoch
    epochs, batch_size : positive ints
    clip_norm : float | None
        if set, rescale the gradients to at most this global norm
    print_every : int
        print the loss every this many epochs (0: silent)

    Returns
    -------
    history : list
        of floats, the example-weighted mean training loss per epoch
    """
    epochs = positive_int("epochs", epochs)
    if not isinstance(optimizer, Optimizer):
        raise TypeError(
            f"optimizer must be an rnnlib.optim optimizer such as Adam(lr=0.01); got {type(optimizer).__name__}"
        )
    if not isinstance(data, tuple):
        raise TypeError(f"data must be a tuple of arrays, e.g. (ids, y, mask); got {type(data).__name__}")
    if clip_norm is not None:  # checked here, before any training, under the name the caller used
        clip_norm = positive_float("clip_norm", clip_norm)
    history = []
    for epoch in range(1, epochs + 1):
        total, seen = 0.0, 0
        for batch in minibatches(*data, batch_size=batch_size, rng=rng):
            loss, grads = model.loss(*batch)
            if clip_norm is not None:
                grads, _ = clip_grad_norm(grads, clip_norm)
            optimizer.step(model.params, grads)
            total += loss * len(batch[0])
            seen += len(batch[0])
        history.append(total / seen)
        if print_every and epoch % print_every == 0:
            print(f"epoch {epoch:3d}  loss {history[-1]:.4f}")
    return history
