"""One interface over the three recurrent cells, and layers built from it:
stacked (several layers) and bidirectional (chapters 6 and 7).

A *cell* is one of ``"rnn"``, ``"lstm"``, ``"gru"``.  :data:`CELLS` maps each to
everything that differs between them: parameter names and shapes, an initialiser,
the forward/backward pair, whether it takes an activation and whether it carries a
cell state.  :class:`Recurrent` reads only the table, never a cell's name, so a
model that routes its recurrence through it takes any of them: the LSTM and GRU are
drop-in replacements for the vanilla RNN.

Parameter names (a prefix is added when a layer has several parts):

    rnn:  W_xh (D, H),  W_hh (H, H),  b_h (H,)
    lstm: W_x (D, 4H),  W_h (H, 4H),  b (4H,)            gates [i, f, c_tilde, o]
    gru:  W_x (D, 3H),  W_h (H, 3H),  b (3H,), b_hn (H,) gates [r, z, n]

Shapes are batch-first: x (N, T, D), hs (N, T, H) or (N, T, 2H) when bidirectional.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from rnnlib import init
from rnnlib._checks import Shapes, _describe, check_bool, check_right_padded, check_rng, positive_int
from rnnlib._fast import (  # the tuned cells; rnnlib.rnn, rnnlib.lstm and rnnlib.gru are the readable ones
    gru_backward_fast,
    gru_forward_fast,
    gru_state_gradients_fast,
    lstm_backward_fast,
    lstm_forward_fast,
    lstm_state_gradients_fast,
    rnn_backward_fast,
    rnn_forward_fast,
    rnn_state_gradients_fast,
)
from rnnlib._types import Array
from rnnlib.activations import get_activation
from rnnlib.lstm import lstm_gates

Params = dict[str, Array]


def _rnn_init(rng: np.random.Generator, D: int, H: int) -> list[Array]:
    # Gaussian W_hh: the plain start whose problems chapters 5 and 7 study
    return [init.normal(rng, (D, H)), init.normal(rng, (H, H)), np.zeros(H)]


def _gated_init(G: int, forget_block: int | None, extra_bias: bool) -> Callable[..., list[Array]]:
    def draw(rng: np.random.Generator, D: int, H: int) -> list[Array]:
        W_in = init.normal(rng, (D, G * H))
        W_rec = np.concatenate([init.orthogonal(rng, (H, H)) for _ in range(G)], axis=1)
        b = np.zeros(G * H)
        if forget_block is not None:  # the LSTM's forget gate starts at 1 (Jozefowicz et al., 2015)
            b[forget_block * H : (forget_block + 1) * H] = 1.0
        return [W_in, W_rec, b] + ([np.zeros(H)] if extra_bias else [])

    return draw


@dataclass(frozen=True)
class Cell:
    """A recurrent cell: everything :class:`Recurrent` needs to know about it.

    ``name`` is "rnn", "lstm" or "gru"; ``param_names`` names the forward function's
    parameters, in order; ``gates`` is how many H-wide blocks the packed matrices hold.
    ``forward`` is ``(x, h0, *params, mask, **options) -> (hs, cache)`` and ``backward``
    is ``(dhs, cache, **options) -> (dx, dh0, *dparams[, dc0])``; ``state_gradients`` is
    ``(dhs, cache) -> deltas``, dL/dh_t of shape (N, T, H), from the same loop; ``draw`` is
    ``(rng, D, H) -> [initial parameter arrays]``, in ``param_names`` order.  The two
    options: ``has_activation`` says the forward function takes ``activation=`` (the
    vanilla RNN); ``cell_states`` is None, or, for a cell that carries a cell state c
    beside h (the LSTM), ``cache -> cs`` of shape (N, T, H), and then forward takes
    ``c0=`` and backward takes ``dc_final=`` and returns dc0 after the parameter
    gradients.
    """

    name: str
    param_names: tuple[str, ...]
    gates: int
    forward: Callable[..., tuple[Array, dict[str, Any]]]
    backward: Callable[..., tuple[Array, ...]]
    state_gradients: Callable[[Array, dict[str, Any]], Array]
    draw: Callable[..., list[Array]]
    has_activation: bool = False
    cell_states: Callable[[dict[str, Any]], Array] | None = None

    @property
    def has_cell_state(self) -> bool:
        """Whether the cell carries a cell state c beside h."""
        return self.cell_states is not None

    def init(self, rng: np.random.Generator, input_size: int, hidden_size: int) -> Params:
        """Initial parameters: variance-1/fan_in Gaussian input weights; for the vanilla
        RNN a Gaussian W_hh too (the plain start whose problems chapters 5 and 7 study),
        for the gated cells orthogonal recurrent blocks; zero biases except the LSTM
        forget gate's, which starts at 1 so that the cell remembers by default
        (Jozefowicz, Zaremba and Sutskever, 2015)."""
        return dict(zip(self.param_names, self.draw(rng, input_size, hidden_size), strict=True))

    def shapes(self, input_size: int, hidden_size: int) -> dict[str, tuple[int, ...]]:
        """The shape of every parameter, keyed by the cell's own names."""
        D, H, G = input_size, hidden_size, self.gates
        shapes = [(D, G * H), (H, G * H), (G * H,), (H,)]  # the GRU has a fourth, b_hn
        return dict(zip(self.param_names, shapes[: len(self.param_names)], strict=True))


#: The three cells by name, each a :class:`Cell` holding its parameter names, the number of
#: H-wide gate blocks in its packed matrices, its forward, backward and state-gradient functions,
#: its initialiser and its options.  The functions are the tuned ones of :mod:`rnnlib._fast`,
#: which compute what the readable :func:`rnnlib.lstm.lstm_forward` and its kin compute:
#: ``CELLS["lstm"].forward`` is ``lstm_forward_fast``.  :func:`get_cell` looks one up with a
#: helpful error.
CELLS: dict[str, Cell] = {
    "rnn": Cell(
        "rnn",
        ("W_xh", "W_hh", "b_h"),
        1,
        rnn_forward_fast,
        rnn_backward_fast,
        rnn_state_gradients_fast,
        _rnn_init,
        has_activation=True,
    ),
    "lstm": Cell(
        "lstm",
        ("W_x", "W_h", "b"),
        4,
        lstm_forward_fast,
        lstm_backward_fast,
        lstm_state_gradients_fast,
        _gated_init(4, 1, False),
        cell_states=lambda cache: lstm_gates(cache)["c"],
    ),
    "gru": Cell(
        "gru",
        ("W_x", "W_h", "b", "b_hn"),
        3,
        gru_forward_fast,
        gru_backward_fast,
        gru_state_gradients_fast,
        _gated_init(3, None, True),
    ),
}


def get_cell(name: str) -> Cell:
    """Look up a cell by name, with a helpful error for a wrong one."""
    if not isinstance(name, str) or name not in CELLS:
        raise ValueError(f"cell must be one of {sorted(CELLS)}; got {name!r}")
    return CELLS[name]


def reverse_indices(mask: NDArray[np.bool_] | None, N: int, T: int) -> NDArray[np.intp]:
    """Per-sequence time indices that reverse the real steps and leave padding in place.

    For a row of length L, index t maps to L - 1 - t for t < L and to t otherwise, so
    ``x[n, idx[n]]`` is sequence n read backwards, still right-padded.  Applying the
    same gather twice restores the original order.
    """
    t = np.arange(T)
    if mask is None:
        return np.broadcast_to(t[::-1], (N, T)).copy()
    lengths = mask.sum(axis=1)[:, None]
    return np.where(t < lengths, lengths - 1 - t, t)


def _gather(a: np.ndarray, idx: NDArray[np.intp] | None) -> np.ndarray:
    assert idx is not None  # reverse_indices is computed whenever a layer has a reverse direction
    return np.take_along_axis(a, idx[:, :, None], axis=1)


class RecurrentGrads(tuple):
    """What :meth:`Recurrent.backward` returns: the tuple ``(dx, dh0, grads)``, which
    unpacks into three names as every layer's backward does, and the LSTM's ``dc0``
    as an attribute.

    ``dx`` is dL/dx, shape (N, T, D); ``dh0`` is dL/dh0 in the shape h0 was given (None
    if h0 was None); ``grads`` holds dL/d(parameter), keyed like the parameters; ``dc0``
    is dL/dc0 in the shape c0 was given (None if c0 was None, and for a cell without a
    cell state).
    """

    dc0: Array | None

    def __new__(cls, dx: Array, dh0: Array | None, grads: Params, dc0: Array | None = None) -> RecurrentGrads:
        self = super().__new__(cls, (dx, dh0, grads))
        self.dc0 = dc0
        return self

    def __getnewargs__(self) -> tuple[Array, Array | None, Params, Array | None]:
        # copy, deepcopy and pickle rebuild a tuple subclass by calling __new__ with these
        # arguments: the three items and dc0, which is not one of them
        return (self[0], self[1], self[2], self.dc0)

    @property
    def dx(self) -> Array:
        """dL/dx, shape (N, T, D)."""
        return self[0]

    @property
    def dh0(self) -> Array | None:
        """dL/dh0 in the shape h0 was given, or None."""
        return self[1]

    @property
    def grads(self) -> Params:
        """The parameters' gradients, keyed like the parameters."""
        return self[2]


class Recurrent:
    """A recurrent layer: any cell, one or more stacked layers, one or two directions.

    The layer holds no parameters itself: :meth:`init` returns a dict, and
    :meth:`forward` reads from one, so a model can keep them in its own ``params``.
    With one layer and one direction the keys are the cell's own names (W_xh, ...);
    otherwise they are prefixed ``l{k}_`` and, for the reverse direction, ``l{k}r_``.

    Parameters
    ----------
    cell : {"rnn", "lstm", "gru"}
    input_size : int
        D
    hidden_size : int
        H (per direction)
    num_layers : int
        layers stacked, each reading the previous layer's states
    bidirectional : bool
        add a second pass reading each sequence backwards; the output at
        step t is [forward h_t, backward h_t], shape (N, T, 2H)
    activation : str
        the vanilla RNN's activation, one of :data:`rnnlib.activations.ACTIVATIONS`; the
        LSTM and GRU have their own gates, and refuse anything but the default "tanh"
    """

    def __init__(
        self,
        cell: str,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bidirectional: bool = False,
        activation: str = "tanh",
    ) -> None:
        self.cell = get_cell(cell)
        self.input_size = positive_int("input_size", input_size)
        self.hidden_size = positive_int("hidden_size", hidden_size)
        self.num_layers = positive_int("num_layers", num_layers)
        self.bidirectional = check_bool("bidirectional", bidirectional)
        if self.cell.has_activation:
            get_activation(activation)  # fail here, not at the first forward pass
        elif activation != "tanh":
            raise ValueError(
                f"activation applies only to cell='rnn'; the {self.cell.name} cell has its own gates, so leave it "
                f"at 'tanh' (got activation={activation!r})"
            )
        self.activation = activation
        self.directions = 2 if self.bidirectional else 1
        self.output_size = self.directions * self.hidden_size

    def prefix(self, layer: int, reverse: bool) -> str:
        if self.num_layers == 1 and not self.bidirectional:
            return ""
        return f"l{layer}{'r' if reverse else ''}_"

    def _parts(self) -> list[tuple[int, bool, str]]:
        return [(k, r, self.prefix(k, r)) for k in range(self.num_layers) for r in (False, True)[: self.directions]]

    def init(self, rng: np.random.Generator, prefix: str = "") -> Params:
        """Fresh parameters for every layer and direction, keys prefixed by ``prefix``."""
        rng = check_rng(rng)
        params: Params = {}
        for k, _, p in self._parts():
            D = self.input_size if k == 0 else self.output_size
            params |= {prefix + p + n: v for n, v in self.cell.init(rng, D, self.hidden_size).items()}
        return params

    def _check_params(self, params: object, prefix: str) -> None:
        """Every parameter present under its full (prefixed) name, with its shape, so that
        an error names ``l1_W_xh`` and not the cell's own ``W_xh``."""
        if not isinstance(params, dict):
            raise TypeError(f"params must be a dict of arrays (from Recurrent.init); got {_describe(params)}")
        for k, _, p in self._parts():
            D = self.input_size if k == 0 else self.output_size
            for n, shape in self.cell.shapes(D, self.hidden_size).items():
                key = prefix + p + n
                if key not in params:
                    raise ValueError(f"params has no {key!r}, which {self!r} needs (made by its init)")
                if np.shape(params[key]) != shape:
                    raise ValueError(f"params[{key!r}] must have shape {shape}; got {_describe(params[key])}")

    def _run(
        self, x: Array, h0: Array, params: Params, prefix: str, mask: Any, c0: Array | None = None
    ) -> tuple[Array, dict[str, Any]]:
        args = [params[prefix + n] for n in self.cell.param_names]
        options: dict[str, Any] = {}
        if self.cell.has_activation:
            options["activation"] = self.activation
        if self.cell.has_cell_state:
            options["c0"] = c0
        return self.cell.forward(x, h0, *args, mask, **options)

    def forward(
        self,
        x: Array,
        params: Params,
        mask: NDArray[np.bool_] | None = None,
        h0: Array | None = None,
        prefix: str = "",
        c0: Array | None = None,
    ) -> tuple[Array, dict[str, Any]]:
        """Run every layer and direction.

        Parameters
        ----------
        x : ndarray of shape (N, T, D)
        params : dict
            holding this layer's parameters (under ``prefix``)
        mask : optional ndarray of shape (N, T)
        h0 : ndarray | None
            initial states: None (zeros), ndarray of shape (N, H) for a single
            layer and direction, or (num_layers * directions, N, H)
        c0 : ndarray | None
            LSTM only: initial cell states, shaped like ``h0`` (zeros when None).
            :meth:`backward` returns their gradient as ``.dc0``; truncated BPTT,
            which treats a state carried over from the previous chunk as a
            constant, simply ignores it.

        Returns
        -------
        hs : ndarray of shape (N, T, directions * H)
            the top layer's states
        cache : dict
            for :meth:`backward`; ``cache["final"]`` holds each part's last real
            state, shape (num_layers * directions, N, H), and for an LSTM
            ``cache["final_c"]`` the last cell states, same shape
        """
        s = Shapes()
        x = s.floats("x", x, ("N", "T", self.input_size))
        mask = s.mask("mask", mask, ("N", "T"))
        self._check_params(params, prefix)
        N, T, _ = x.shape
        h0s = self._initial("h0", h0, s, x.dtype)
        if c0 is not None and not self.cell.has_cell_state:
            raise ValueError(f"c0 is an LSTM's initial cell state; a {self.cell.name!r} layer has none")
        c0s = None if c0 is None else self._initial("c0", c0, s, x.dtype)
        if self.bidirectional:
            check_right_padded("mask", mask)
        rev = reverse_indices(mask, N, T) if self.bidirectional else None
        caches, finals, inp = [], [], x
        for k in range(self.num_layers):
            outs = []
            for r in (False, True)[: self.directions]:
                j = k * self.directions + r
                xin = _gather(inp, rev) if r else inp
                c_j = None if c0s is None else c0s[j]
                hs, c = self._run(xin, h0s[j], params, prefix + self.prefix(k, r), mask, c_j)
                finals.append(hs[:, -1])  # padded steps carry the last real state to T - 1
                outs.append(_gather(hs, rev) if r else hs)
                caches.append(c)
            inp = np.concatenate(outs, axis=2) if self.bidirectional else outs[0]
        cache = {"caches": caches, "rev": rev, "prefix": prefix, "final": np.stack(finals), "h0_shape": np.shape(h0)}  # type: ignore[arg-type]
        cache["T"], cache["c0_shape"] = T, np.shape(c0)  # type: ignore[arg-type]  # () for None
        if self.cell.cell_states is not None:  # has_cell_state
            cache["final_c"] = np.stack([self.cell.cell_states(c)[:, -1] for c in caches])
        return inp, cache

    def _initial(self, name: str, value: Array | None, s: Shapes, dtype: np.dtype) -> Array:
        """Initial states as (num_layers * directions, N, H), from None, (N, H) or that shape."""
        P, H = self.num_layers * self.directions, self.hidden_size
        if value is None:
            return np.zeros((P, s.dims["N"], H), dtype=dtype)
        if P == 1 and np.ndim(value) == 2:
            return s.floats(name, value, ("N", H))[None]
        return s.floats(name, value, (P, "N", H))

    def backward(
        self,
        dhs: Array,
        cache: dict[str, Any],
        dfinal: Array | None = None,
        dfinal_c: Array | None = None,
    ) -> RecurrentGrads:
        """Gradients of :meth:`forward`.

        Parameters
        ----------
        dhs : ndarray of shape (N, T, directions * H)
            dL/d(top-layer states)
        cache : dict
            from :meth:`forward`
        dfinal : optional ndarray of shape (num_layers * directions, N, H)
            dL/d(final states), ``cache["final"]``, for models (such as an encoder)
            that pass them on; always this shape, even for one layer and one
            direction (then (1, N, H))
        dfinal_c : optional ndarray of shape (num_layers * directions, N, H)
            LSTM only: dL/d(final cell states), ``cache["final_c"]``, the same way

        Returns
        -------
        grads : RecurrentGrads
            ``dx, dh0, grads = layer.backward(...)`` unpacks the gradient of the
            input (N, T, D), of h0 in the shape it was given (None if h0 was None)
            and of the parameters (a dict keyed like them); ``.dc0`` holds the
            gradient of an LSTM's c0 in the shape it was given (None if c0 was None,
            and for the other cells)
        """
        if not isinstance(cache, dict) or "caches" not in cache or "h0_shape" not in cache:
            raise TypeError(f"cache must be the cache returned by Recurrent.forward; got {_describe(cache)}")
        H, rev, prefix = self.hidden_size, cache["rev"], cache["prefix"]
        P = self.num_layers * self.directions
        s = Shapes()
        s.bind("the forward pass", N=cache["final"].shape[1], T=cache["T"])
        dhs = s.floats("dhs", dhs, ("N", "T", self.output_size))
        if dfinal is not None:
            dfinal = s.floats("dfinal", dfinal, (P, "N", H))
        if dfinal_c is not None:
            if not self.cell.has_cell_state:
                raise ValueError(
                    f"dfinal_c is the gradient of an LSTM's final cell state; a {self.cell.name!r} layer has none"
                )
            dfinal_c = s.floats("dfinal_c", dfinal_c, (P, "N", H))
        grads: Params = {}
        dh0 = np.zeros((P, s.dims["N"], H), dtype=dhs.dtype)
        dc0 = np.zeros_like(dh0)
        dout = dhs
        for k in reversed(range(self.num_layers)):
            din: Array | None = None
            for r in reversed((False, True)[: self.directions]):
                j = k * self.directions + r
                c = cache["caches"][j]
                d = dout[:, :, r * H : (r + 1) * H] if self.bidirectional else dout
                if r:
                    d = _gather(d, rev)
                if dfinal is not None:
                    d = d.copy()
                    d[:, -1] += dfinal[j]
                if self.cell.has_cell_state:
                    dc_final = None if dfinal_c is None else dfinal_c[j]
                    dx, dh0[j], *dp, dc0[j] = self.cell.backward(d, c, dc_final=dc_final)
                else:
                    dx, dh0[j], *dp = self.cell.backward(d, c)
                if r:
                    dx = _gather(dx, rev)
                din = dx if din is None else din + dx
                p = prefix + self.prefix(k, r)
                grads |= {p + n: g for n, g in zip(self.cell.param_names, dp, strict=True)}
            assert din is not None  # every layer has at least one direction
            dout = din
        h0_shape, c0_shape = cache["h0_shape"], cache.get("c0_shape", ())
        return RecurrentGrads(
            dout,
            None if h0_shape == () else dh0.reshape(h0_shape),
            grads,
            None if c0_shape == () else dc0.reshape(c0_shape),
        )

    def state_gradients(self, dhs: Array, cache: dict[str, Any]) -> Array:
        """delta_t = dL/dh_t, the total gradient reaching each state, from the same loop as :meth:`backward`.

        delta_t collects what reaches h_t from the layers above at step t (``dhs[:, t]``)
        and from every later step: the quantity whose norm chapters 5 and 6 follow back
        through time.  Defined for a layer of one layer and one direction, whose states
        are the ones :meth:`forward` returns.

        Parameters
        ----------
        dhs : ndarray of shape (N, T, H)
            dL/d(states) from the layers above
        cache : dict
            from :meth:`forward`

        Returns
        -------
        deltas : ndarray of shape (N, T, H)
        """
        if self.num_layers != 1 or self.bidirectional:
            raise ValueError(
                f"state_gradients needs a layer of one layer and one direction; got {self!r}: "
                "the states of a stacked or bidirectional layer are not one sequence"
            )
        if not isinstance(cache, dict) or "caches" not in cache or "h0_shape" not in cache:
            raise TypeError(f"cache must be the cache returned by Recurrent.forward; got {_describe(cache)}")
        s = Shapes()
        s.bind("the forward pass", N=cache["final"].shape[1], T=cache["T"])
        dhs = s.floats("dhs", dhs, ("N", "T", self.hidden_size))
        return self.cell.state_gradients(dhs, cache["caches"][0])

    def __repr__(self) -> str:
        extra = f", num_layers={self.num_layers}" if self.num_layers > 1 else ""
        extra += ", bidirectional=True" if self.bidirectional else ""
        return f"Recurrent({self.cell.name!r}, input_size={self.input_size}, hidden_size={self.hidden_size}{extra})"
