"""Small trainable models built from rnnlib's layers.

A model holds its parameters in ``self.params`` (a dict of arrays); ``loss(...)``
returns ``(loss, grads)`` with ``grads`` keyed like ``params``, which is all an
optimiser from :mod:`rnnlib.optim` and the training loop of :mod:`rnnlib.training` need.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import NDArray

from rnnlib._checks import Shapes, _describe, check_rng, positive_int
from rnnlib._types import Array
from rnnlib.activations import sigmoid
from rnnlib.bptt import rnn_backward_truncated
from rnnlib.data import bag_of_words, one_hot
from rnnlib.init import embedding, normal
from rnnlib.layers import (
    embedding_backward,
    embedding_forward,
    last_step_affine_backward,
    last_step_affine_forward,
)
from rnnlib.losses import binary_cross_entropy, mean_squared_error
from rnnlib.recurrent import Recurrent

#: What a :class:`ManyToOne` model's output is, and the loss that trains it.
TASKS = ("binary", "regression")


def count_parameters(params: Mapping[str, NDArray[Any]]) -> int:
    """The number of trainable numbers in ``params`` (name -> array), the sum of the arrays' sizes.

    Every model's ``num_parameters()`` method returns this for its ``params``.
    """
    if not isinstance(params, Mapping):
        raise TypeError(f"params must be a dict of name -> array; got {type(params).__name__}")
    return int(sum(np.size(p) for p in params.values()))


class ManyToOne:
    """A sequence in, one number out: the many-to-one model of chapters 2 to 6.

        h_t = f(x_t W_xh + h_{t-1} W_hh + b_h),   h_0 = 0
        z   = h_T W_hy + b_y

    where h_T is each sequence's last real state when a mask is given.  The inputs are
    either token ids (``vocab_size``), turned into the vectors x_t by an embedding table
    (``embedding_size``) or into one-hot vectors, or real-valued vectors x of shape
    (N, T, D) (``input_size``), such as measurements.  The ``task`` says what z is and
    which loss trains it:

    - ``"binary"``: y_hat = sigmoid(z) is the probability of label 1, trained with the
      mean log loss (chapter 2's sentiment classifier); :meth:`predict_proba` gives
      y_hat and :meth:`predict` the 0/1 label;
    - ``"regression"``: y_hat = z is a real number, trained with the mean squared error
      (chapter 4's forecaster, chapter 5's adding problem); :meth:`predict` gives y_hat.

    The recurrence can be any cell of :data:`rnnlib.recurrent.CELLS` (chapter 6), with
    ``num_layers`` layers stacked and, with ``bidirectional=True``, a second direction
    reading each sequence backwards; the output then reads [forward h_T, backward h_1],
    the states after which each direction has read the whole sequence.

    Parameters
    ----------
    vocab_size : int | None
        V, for inputs of token ids in [0, V); give this or ``input_size``
    input_size : int | None
        D, for real-valued inputs of shape (N, T, D); give this or ``vocab_size``
    hidden_size : int
        H
    rng : np.random.Generator
        for the initial weights, drawn in this order: the embedding table, the
        recurrent layer's weights (:meth:`rnnlib.recurrent.Recurrent.init`), W_hy
        (variance one over its fan-in: 1/H, or 1/(2H) when bidirectional); the biases
        start at zero
    embedding_size : int | None
        with ``vocab_size``: the length D of the embedding table's rows; None feeds
        one-hot vectors (D = V) and has no table
    task : {"binary", "regression"}
        "binary" by default
    cell : {"rnn", "lstm", "gru"}
        the recurrent cell; "rnn" by default
    activation : str
        the vanilla RNN's activation, "tanh" by default (the gated cells have their own)
    num_layers : int
        stacked recurrent layers
    bidirectional : bool
        add a backward-reading direction
    truncation : int | None
        None trains with exact BPTT; k with BPTT(k), every gradient carried back at most
        k steps (:func:`rnnlib.bptt.rnn_backward_truncated`, chapter 4; one layer of the
        vanilla RNN only).  It may be changed between updates.
    """

    def __init__(
        self,
        *,
        vocab_size: int | None = None,
        input_size: int | None = None,
        hidden_size: int,
        rng: np.random.Generator,
        embedding_size: int | None = None,
        task: str = "binary",
        cell: str = "rnn",
        activation: str = "tanh",
        num_layers: int = 1,
        bidirectional: bool = False,
        truncation: int | None = None,
    ) -> None:
        if (vocab_size is None) == (input_size is None):
            raise ValueError(
                "give vocab_size (inputs of token ids) or input_size (inputs of real-valued vectors), not both; "
                f"got vocab_size={vocab_size!r}, input_size={input_size!r}"
            )
        if input_size is not None and embedding_size is not None:
            raise ValueError(
                f"embedding_size goes with vocab_size (an embedding table turns ids into vectors); "
                f"got input_size={input_size!r} and embedding_size={embedding_size!r}"
            )
        if task not in TASKS:
            raise ValueError(f"task must be one of {list(TASKS)}; got {task!r}")
        self.vocab_size = None if vocab_size is None else positive_int("vocab_size", vocab_size)
        self.input_size = None if input_size is None else positive_int("input_size", input_size)
        self.embedding_size = None if embedding_size is None else positive_int("embedding_size", embedding_size)
        H = self.hidden_size = positive_int("hidden_size", hidden_size)
        rng = check_rng(rng)
        self.task = task
        self.activation = activation
        D = self.embedding_size or self.input_size or self.vocab_size
        assert D is not None  # one of vocab_size and input_size is given, checked above
        self.rnn = Recurrent(cell, D, H, num_layers, bidirectional, activation)  # checks the activation
        self.truncation = truncation
        self.params: dict[str, Array] = {}
        if self.vocab_size is not None and self.embedding_size is not None:
            self.params["E"] = embedding(rng, self.vocab_size, self.embedding_size)
        self.params |= self.rnn.init(rng)
        self.params |= {"W_hy": normal(rng, (self.rnn.output_size, 1)), "b_y": np.zeros(1)}

    @property
    def truncation(self) -> int | None:
        """None (exact BPTT) or k (BPTT(k)); may be changed between updates."""
        return self._truncation

    @truncation.setter
    def truncation(self, k: int | None) -> None:
        if k is not None:
            k = positive_int("truncation", k)
            if self.rnn.cell.name != "rnn" or self.rnn.num_layers > 1 or self.rnn.bidirectional:
                raise ValueError(
                    "truncation is BPTT(k) for one layer of the vanilla RNN (cell='rnn', num_layers=1, "
                    f"bidirectional=False); this model's recurrent layer is {self.rnn!r}"
                )
        self._truncation = k

    def _vectors(self, inputs: Array | NDArray[np.integer], s: Shapes) -> tuple[Array, dict[str, Any] | None]:
        """The input vectors x (N, T, D) in the parameters' dtype: embedded or one-hot ids, or the
        inputs as given; and the embedding's cache (None without a table)."""
        dtype = self.params["W_hy"].dtype
        if self.input_size is not None:
            return s.floats("x", inputs, ("N", "T", self.input_size)).astype(dtype, copy=False), None
        assert self.vocab_size is not None  # the constructor takes one of the two
        ids = s.ints("ids", inputs, ("N", "T"), high=self.vocab_size)
        if "E" in self.params:
            return embedding_forward(ids, self.params["E"])
        return one_hot(ids, self.vocab_size).astype(dtype, copy=False), None

    def forward(
        self, inputs: Array | NDArray[np.integer], mask: NDArray[np.bool_] | None = None
    ) -> tuple[Array, dict[str, Any]]:
        """The output z of every sequence, read from its last real state.

        Parameters
        ----------
        inputs : ndarray of shape (N, T) or (N, T, D)
            token ids in [0, V) (a model made with ``vocab_size``), or real-valued
            vectors (a model made with ``input_size``)
        mask : optional ndarray of shape (N, T)
            1 at real steps, 0 at padding (right-padded)

        Returns
        -------
        z : ndarray of shape (N,)
            the logit for ``task="binary"``, the prediction for ``"regression"``
        cache : dict
            everything :meth:`backward` needs, including the top layer's states
            ``cache["hs"]``, shape (N, T, H), or (N, T, 2H) when bidirectional
        """
        s = Shapes()  # checks every array's shape against the others'
        x, input_cache = self._vectors(inputs, s)  # (N, T, D): embedded or one-hot ids, or x as given
        mask = s.mask("mask", mask, ("N", "T"))
        p = self.params
        hs, rnn_cache = self.rnn.forward(x, p, mask)  # (N, T, H)
        z, out_cache = last_step_affine_forward(self._read_out(hs), p["W_hy"], p["b_y"], mask)  # (N, 1)
        return z[:, 0], {"inputs": input_cache, "rnn": rnn_cache, "out": out_cache, "hs": hs}

    def backward(self, dz: Array, cache: dict[str, Any]) -> dict[str, Array]:
        """Gradients of every parameter, keyed like ``params``, from dL/dz of shape (N,)."""
        if not isinstance(cache, dict) or "out" not in cache or "rnn" not in cache:
            raise TypeError(f"cache must be the cache returned by ManyToOne.forward; got {_describe(cache)}")
        s = Shapes()
        s.bind("the forward pass", N=cache["rnn"]["final"].shape[1])
        dz = s.floats("dz", dz, ("N",))
        dread, dW_hy, db_y = last_step_affine_backward(dz[:, None], cache["out"])
        dhs = self._read_out_backward(dread)
        if self.truncation is None:
            dx, _, grads = self.rnn.backward(dhs, cache["rnn"])
        else:  # one layer of the vanilla RNN, so one cache: that of rnn_forward
            dx, _, *dW = rnn_backward_truncated(dhs, cache["rnn"]["caches"][0], self.truncation)
            grads = dict(zip(self.rnn.cell.param_names, dW, strict=True))
        grads |= {"W_hy": dW_hy, "b_y": db_y}
        if "E" in self.params:
            grads["E"] = embedding_backward(dx, cache["inputs"])
        return {k: grads[k] for k in self.params}

    def _read_out(self, hs: Array) -> Array:
        """The states the output reads at each step; a bidirectional layer's backward half
        has read the whole sequence at step 1, so every step gets that state."""
        if not self.rnn.bidirectional:
            return hs
        H = self.hidden_size
        return np.concatenate([hs[:, :, :H], np.repeat(hs[:, :1, H:], hs.shape[1], axis=1)], axis=2)

    def _read_out_backward(self, dread: Array) -> Array:
        if not self.rnn.bidirectional:
            return dread
        H = self.hidden_size
        dhs = dread.copy()
        dhs[:, :, H:] = 0
        dhs[:, 0, H:] = dread[:, :, H:].sum(axis=1)
        return dhs

    def _objective(self, z: Array, y: Array) -> tuple[float, Array]:
        """The task's mean loss and dL/dz."""
        y = np.asarray(y, dtype=z.dtype)  # 0/1 labels may come as ints
        Shapes().check("y", y, (len(z),))
        if self.task == "binary":
            return binary_cross_entropy(z, y)
        return mean_squared_error(z, y)

    def loss(
        self, inputs: Array | NDArray[np.integer], y: Array, mask: NDArray[np.bool_] | None = None
    ) -> tuple[float, dict[str, Array]]:
        """The mean loss over the batch and its gradients, keyed like ``params``.

        Parameters
        ----------
        inputs, mask
            as for :meth:`forward`
        y : ndarray of shape (N,)
            0/1 labels (``task="binary"``) or real targets (``"regression"``)

        Returns
        -------
        loss : float
            the mean log loss or the mean squared error
        grads : dict
            dL/d(parameter) for every parameter
        """
        z, cache = self.forward(inputs, mask)
        loss, dz = self._objective(z, y)  # the log loss or the squared error, and dL/dz
        return loss, self.backward(dz, cache)

    def state_gradients(
        self, inputs: Array | NDArray[np.integer], y: Array, mask: NDArray[np.bool_] | None = None
    ) -> Array:
        """delta_t = dL/dh_t for every step: how much of the loss's gradient reaches each state.

        The loss reads only the last real state, so delta_T is where the gradient starts and
        every earlier delta_t is what BPTT carries back to step t (chapters 4 to 6).  For the
        LSTM, delta_t is the gradient of the hidden state h_t with the cell state c_t held
        fixed.  The deltas are those of exact BPTT, whatever ``truncation`` is.

        Parameters
        ----------
        inputs, y, mask
            as for :meth:`loss`

        Returns
        -------
        deltas : ndarray of shape (N, T, H)
        """
        if self.rnn.num_layers > 1 or self.rnn.bidirectional:
            raise ValueError(
                "state_gradients needs one recurrent layer read in one direction (num_layers=1, "
                f"bidirectional=False); this model's recurrent layer is {self.rnn!r}"
            )
        z, cache = self.forward(inputs, mask)
        _, dz = self._objective(z, y)
        dhs, _, _ = last_step_affine_backward(dz[:, None], cache["out"])
        return self.rnn.state_gradients(dhs, cache["rnn"])

    def predict_proba(self, inputs: Array | NDArray[np.integer], mask: NDArray[np.bool_] | None = None) -> Array:
        """P(label = 1) for every sequence, ndarray of shape (N,); for ``task="binary"``."""
        if self.task != "binary":
            raise ValueError(f"predict_proba needs task='binary'; this model's task is {self.task!r} (use predict)")
        return sigmoid(self.forward(inputs, mask)[0])

    def predict(self, inputs: Array | NDArray[np.integer], mask: NDArray[np.bool_] | None = None) -> Array:
        """Predictions, ndarray of shape (N,): 0/1 labels (int64) for ``task="binary"``,
        real numbers for ``"regression"``."""
        if self.task == "binary":
            return (self.predict_proba(inputs, mask) >= 0.5).astype(np.int64)
        return self.forward(inputs, mask)[0]

    def num_parameters(self) -> int:
        """Total count of trainable numbers."""
        return count_parameters(self.params)

    def __repr__(self) -> str:
        if self.vocab_size is None:
            inputs = f"input_size={self.input_size}"
        else:
            table = "one-hot" if self.embedding_size is None else f"embedding_size={self.embedding_size}"
            inputs = f"vocab_size={self.vocab_size}, {table}"
        rec = f"cell={self.rnn.cell.name!r}"
        rec += f", activation={self.activation!r}" if self.rnn.cell.has_activation else ""
        rec += f", num_layers={self.rnn.num_layers}" if self.rnn.num_layers > 1 else ""
        rec += ", bidirectional=True" if self.rnn.bidirectional else ""
        rec += f", truncation={self.truncation}" if self.truncation is not None else ""
        return (
            f"ManyToOne({inputs}, hidden_size={self.hidden_size}, task={self.task!r}, {rec}, "
            f"parameters={self.num_parameters()})"
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
        """Mean log loss and gradients, same interface as :class:`ManyToOne`."""
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
