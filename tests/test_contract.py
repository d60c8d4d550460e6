"""The contract written in rnnlib/__init__.py's docstring, checked across the whole package.

Everything is found by introspection: every ``*_forward`` / ``*_backward`` pair in every module
(the tuned ones of rnnlib._fast too), every ``*_state_gradients`` function, every entry of
``CELLS``, the recurrent layer, and every class with a ``loss`` method.  A new layer or model
that nobody registered here fails ``test_every_layer_is_checked`` or
``test_every_model_is_checked`` until it is given an example below, and then every rule is
checked for it.  The signature rules (no ``return_*`` flag, no union of tuples of different
lengths) read every public callable of the package, and the return rule reads the source of
every public function and method: its ``return`` statements must all hand back tuples of one
length, or all a non-tuple.  Randomness is checked by allowlist: no ``random`` module, no
``np.random.<anything>`` but the ``Generator`` type and a seeded ``default_rng`` in the few places
``SEEDED_GENERATORS`` lists with their reasons.  Every check's message says what was expected and
what was got (a test reads this file to hold it to that).
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import inspect
import pkgutil
import re
import typing
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import rnnlib
from rnnlib.recurrent import CELLS, Recurrent

# Every size different, so that an array stored time-major, (T, N, ...), cannot pass for a batch-first one.
N, T, D, H = 3, 5, 2, 4
V, K, S, A = 7, 6, 8, 9  # vocabulary, output classes, source length, attention units
MASK = np.array([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0], [1, 0, 0, 0, 0]], bool)  # right-padded, one row per sequence
MODULES = [importlib.import_module(f"rnnlib.{m.name}") for m in pkgutil.iter_modules(rnnlib.__path__)]


def _own(module: Any, kind: Callable[[object], bool]) -> dict[str, Any]:
    """The public functions or classes a module defines itself (not the ones it imports)."""
    return {
        name: obj
        for name, obj in vars(module).items()
        if not name.startswith("_") and kind(obj) and obj.__module__ == module.__name__
    }


def _layer_pairs() -> dict[str, tuple[Callable[..., Any], Callable[..., Any] | None]]:
    pairs = {}
    for mod in MODULES:
        functions = _own(mod, inspect.isfunction)
        for name, forward in functions.items():
            if m := re.fullmatch(r"(\w+)_forward(_fast)?", name):
                pairs[f"{mod.__name__}.{name}"] = (forward, functions.get(f"{m[1]}_backward{m[2] or ''}"))
    return pairs


PAIRS = _layer_pairs()


def _public_callables() -> list[tuple[str, Callable[..., Any]]]:
    found = []
    for mod in MODULES:
        for name, obj in _own(mod, lambda o: inspect.isfunction(o) or inspect.isclass(o)).items():
            found.append((f"{mod.__name__}.{name}", obj))
            if inspect.isclass(obj):
                for attr, member in vars(obj).items():
                    if inspect.isfunction(member) and (not attr.startswith("_") or attr == "__init__"):
                        found.append((f"{mod.__name__}.{name}.{attr}", member))
    return found


# ---------------------------------------------------------------- examples of every layer


def _floats(rng: np.random.Generator, *shape: int, scale: float = 0.5) -> np.ndarray:
    return scale * rng.standard_normal(shape)


def _recurrent(cell: str, step: bool) -> Callable[[np.random.Generator], tuple[dict, dict]]:
    """Inputs of a cell's forward function (all of one step, or a sequence), in the forward's order."""

    def make(rng: np.random.Generator) -> tuple[dict, dict]:
        G = {"rnn": 1, "lstm": 4, "gru": 3}[cell]
        x = _floats(rng, N, D) if step else _floats(rng, N, T, D)
        inputs = {"x": x, ("h_prev" if step else "h0"): _floats(rng, N, H)}
        if step and cell == "lstm":
            inputs["c_prev"] = _floats(rng, N, H)
        names = ("W_xh", "W_hh", "b_h") if cell == "rnn" else ("W_x", "W_h", "b")
        inputs |= dict(zip(names, (_floats(rng, D, G * H), _floats(rng, H, G * H), _floats(rng, G * H)), strict=True))
        if cell == "gru":
            inputs["b_hn"] = _floats(rng, H)
        options = {} if step else {"mask": MASK}
        if cell == "lstm" and not step:
            inputs["c0"] = _floats(rng, N, H)
        return inputs, options

    return make


def _attention(score: str) -> Callable[[np.random.Generator], tuple[dict, dict]]:
    def make(rng: np.random.Generator) -> tuple[dict, dict]:
        inputs = {"query": _floats(rng, N, T, H), "keys": _floats(rng, N, S, H)}
        if score == "additive":
            inputs |= {"W_q": _floats(rng, H, A), "W_k": _floats(rng, H, A), "omega": _floats(rng, A)}
        return inputs, {"mask": np.arange(S) < np.array([S, 4, 1])[:, None]}

    return make


#: For every layer: rng -> (its array inputs in the forward's order, by name; its other arguments).
LAYERS: dict[str, Callable[[np.random.Generator], tuple[dict, dict]]] = {
    "rnnlib.rnn.rnn_step_forward": _recurrent("rnn", step=True),
    "rnnlib.lstm.lstm_step_forward": _recurrent("lstm", step=True),
    "rnnlib.gru.gru_step_forward": _recurrent("gru", step=True),
    "rnnlib.rnn.rnn_forward": _recurrent("rnn", step=False),
    "rnnlib.lstm.lstm_forward": _recurrent("lstm", step=False),
    "rnnlib.gru.gru_forward": _recurrent("gru", step=False),
    "rnnlib._fast.rnn_forward_fast": _recurrent("rnn", step=False),
    "rnnlib._fast.lstm_forward_fast": _recurrent("lstm", step=False),
    "rnnlib._fast.gru_forward_fast": _recurrent("gru", step=False),
    "rnnlib.layers.embedding_forward": lambda rng: ({"ids": rng.integers(0, V, (N, T)), "W": _floats(rng, V, D)}, {}),
    "rnnlib.layers.temporal_affine_forward": lambda rng: (
        {"hs": _floats(rng, N, T, H), "W": _floats(rng, H, V), "b": _floats(rng, V)},
        {},
    ),
    "rnnlib.layers.last_step_affine_forward": lambda rng: (
        {"hs": _floats(rng, N, T, H), "W": _floats(rng, H, K), "b": _floats(rng, K)},
        {"mask": MASK},
    ),
    "rnnlib.attention.additive_attention_forward": _attention("additive"),
    "rnnlib.attention.dot_attention_forward": _attention("dot"),
    "rnnlib.regularisation.dropout_forward": lambda rng: ({"x": _floats(rng, N, T, H)}, {"rate": 0.3, "rng": 7}),
}
#: The recurrent layers among them: sequence in, states hs (N, T, H) out.
RECURRENT = sorted(n for n in LAYERS if re.search(r"\.(rnn|lstm|gru)_forward", n))


def _call(forward: Callable[..., Any], inputs: dict, options: dict) -> tuple:
    # a generator in the options is re-created for every call, so that every call draws the same numbers
    options = options | ({"rng": np.random.default_rng(options["rng"])} if "rng" in options else {})
    result = forward(**inputs, **options)
    assert isinstance(result, tuple), (
        f"a forward function must return a tuple (out, cache); got {type(result).__name__}"
    )
    return result


def _arrays(tree: object, key: str = "") -> list[tuple[str, np.ndarray]]:
    """Every array in a cache, with its key, except the private storage under keys starting with '_'."""
    if isinstance(tree, dict):
        return [a for k, v in tree.items() if not str(k).startswith("_") for a in _arrays(v, f"{key}[{k!r}]")]
    if isinstance(tree, (list, tuple)):
        return [a for i, v in enumerate(tree) for a in _arrays(v, f"{key}[{i}]")]
    return [(key, tree)] if isinstance(tree, np.ndarray) else []


def _assert_batch_first(cache: object, where: str) -> None:
    for key, a in _arrays(cache):
        assert not (a.ndim >= 2 and a.shape[0] == T), (
            f"{where}: cache{key} must be batch-first (N={N}, T={T}, ...); got {a.shape}, time-major"
        )


def _tuple_length(annotation: str) -> int | None:
    """How many values a return annotation promises: n for tuple[A, B, ...n], 1 for anything but a tuple,
    None for a tuple of any length (tuple[A, ...])."""
    node = ast.parse(annotation, mode="eval").body
    if isinstance(node, ast.Subscript) and ast.unparse(node.value) in ("tuple", "Tuple", "typing.Tuple"):
        elts = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        return None if any(isinstance(e, ast.Constant) and e.value is Ellipsis for e in elts) else len(elts)
    return 1


def _shape(a: object) -> object:
    """An array's shape, or what came instead of an array."""
    return a.shape if isinstance(a, np.ndarray) else f"a {type(a).__name__}"


def _assert_like_params(where: str, grads: dict, params: dict) -> None:
    expected = {k: v.shape for k, v in params.items()}
    got = {k: _shape(v) for k, v in grads.items()}
    assert got == expected, f"{where} must return gradients keyed and shaped like the parameters {expected}; got {got}"


def _gradients(result: object) -> tuple:
    return result if isinstance(result, tuple) else (result,)


# ---------------------------------------------------------------- layers


def _registry(table: str, what: str, found: dict[str, Any], registered: dict[str, Any]) -> str:
    """The message of a registry check: what the table must hold, and what it holds."""
    missing, stale = sorted(set(found) - set(registered)), sorted(set(registered) - set(found))
    return (
        f"{table} must hold an example of every {what} ({len(found)} found), and nothing else; "
        f"got no example for {missing} and examples of nothing for {stale}"
    )


def test_every_layer_is_checked():
    # a new *_forward anywhere in rnnlib must be given an example in LAYERS, and so be checked by every test here
    assert sorted(PAIRS) == sorted(LAYERS), _registry("LAYERS", "*_forward function in rnnlib", PAIRS, LAYERS)


@pytest.mark.parametrize("name", sorted(PAIRS))
def test_every_forward_has_its_backward(name):
    forward, backward = PAIRS[name]
    assert backward is not None, f"{name} must have a backward function beside it; got none in its module"
    params = list(inspect.signature(backward).parameters)
    n_outputs = _tuple_length(inspect.signature(forward).return_annotation)
    assert n_outputs is not None and n_outputs >= 2, (
        f"{name} must be annotated to return (out, cache); got {inspect.signature(forward).return_annotation}"
    )
    # backward(one upstream gradient per output, cache, optional keywords)
    assert params[n_outputs - 1] in ("cache", "mask"), (
        f"{backward.__name__} must take one upstream gradient per output, then cache; "
        f"got {backward.__name__}{inspect.signature(backward)}"
    )


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_forward_returns_batch_first_outputs_and_cache(name):
    forward, _ = PAIRS[name]
    inputs, options = LAYERS[name](np.random.default_rng(0))
    *outs, cache = _call(forward, inputs, options)
    assert len(outs) >= 1 and isinstance(cache, (dict, np.ndarray)), (
        f"{name} must return (out, cache); got {len(outs) + 1} values ending in a {type(cache).__name__}"
    )
    for out in outs:
        assert isinstance(out, np.ndarray) and out.shape[0] == N, (
            f"{name}: an output must be (N={N}, ...); got {_shape(out)}"
        )
        if out.ndim == 3:
            assert out.shape[1] == T, f"{name}: a sequence output must be (N, T={T}, ...); got {out.shape}"
    _assert_batch_first(cache, name)
    if name in RECURRENT:  # its states, batch-first, as returned
        np.testing.assert_array_equal(cache["hs"], outs[0])
        assert cache["hs"].shape == (N, T, H), f"{name}: cache['hs'] must be {(N, T, H)}; got {cache['hs'].shape}"


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_backward_returns_one_gradient_per_forward_input_in_order(name):
    forward, backward = PAIRS[name]
    rng = np.random.default_rng(1)
    inputs, options = LAYERS[name](rng)
    *outs, cache = _call(forward, inputs, options)
    douts = [rng.standard_normal(o.shape) for o in outs]
    grads = _gradients(backward(*douts, cache))
    floats = {k: v for k, v in inputs.items() if np.issubdtype(np.asarray(v).dtype, np.floating)}
    assert len(grads) == len(floats), f"{name}: expected a gradient for each of {list(floats)}; got {len(grads)}"
    assert _tuple_length(inspect.signature(backward).return_annotation) == len(floats), (
        f"{backward.__name__}'s return annotation must promise exactly {len(floats)} values; "
        f"got {inspect.signature(backward).return_annotation}"
    )
    # in order: each gradient has its input's shape and is the derivative by that input (a directional check)
    for (key, value), g in zip(floats.items(), grads, strict=True):
        assert isinstance(g, np.ndarray) and g.shape == value.shape, (
            f"{name}: d{key} must have {key}'s shape {value.shape}; got {_shape(g)}"
        )
        v = rng.standard_normal(value.shape)

        def loss(eps: float, key: str = key, v: np.ndarray = v) -> float:
            moved = inputs | {key: inputs[key] + eps * v}
            return float(sum(np.sum(o * d) for o, d in zip(_call(forward, moved, options)[:-1], douts, strict=True)))

        numeric = (loss(1e-6) - loss(-1e-6)) / 2e-6
        assert numeric == pytest.approx(float(np.sum(g * v)), rel=1e-5, abs=1e-8), (
            f"{name}: d{key} must be the derivative by {key}: expected {numeric:.6g} along a random direction; "
            f"got {float(np.sum(g * v)):.6g}"
        )


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_forward_errors_name_the_argument_and_what_it_got(name):
    # the first input without its batch axis: the error names the argument and says what it received
    forward, _ = PAIRS[name]
    inputs, options = LAYERS[name](np.random.default_rng(2))
    first = next(iter(inputs))
    with pytest.raises((ValueError, TypeError)) as err:
        _call(forward, inputs | {first: inputs[first][0]}, options)
    assert str(err.value).startswith(first) and "got" in str(err.value), (
        f"the error must start with {first!r} and say what it got; got {str(err.value)!r}"
    )


def _state_gradient_functions() -> dict[str, Callable[..., Any]]:
    return {
        f"{mod.__name__}.{name}": f
        for mod in MODULES
        for name, f in _own(mod, inspect.isfunction).items()
        if re.fullmatch(r"(rnn|lstm|gru)_state_gradients(_fast)?", name)
    }


def test_every_recurrent_layer_reports_its_state_gradients():
    expected = {n.replace("_forward", "_state_gradients") for n in RECURRENT}
    got = set(_state_gradient_functions())
    assert expected == got, (
        f"every recurrent *_forward must have a *_state_gradients beside it: expected {sorted(expected)}; "
        f"got {sorted(got)} (missing {sorted(expected - got)}, unexpected {sorted(got - expected)})"
    )


@pytest.mark.parametrize("name", sorted(_state_gradient_functions()))
def test_state_gradients_are_deltas_of_the_backward_loop(name):
    deltas_of = _state_gradient_functions()[name]
    forward, backward = PAIRS[name.replace("_state_gradients", "_forward")]
    rng = np.random.default_rng(3)
    inputs, options = LAYERS[name.replace("_state_gradients", "_forward")](rng)
    hs, cache = _call(forward, inputs, options | {"mask": None})
    dhs = rng.standard_normal(hs.shape)
    deltas = deltas_of(dhs, cache)
    assert isinstance(deltas, np.ndarray) and deltas.shape == (N, T, H), (
        f"{name} must return deltas of shape {(N, T, H)}; got {_shape(deltas)}"
    )
    np.testing.assert_array_equal(deltas[:, -1], dhs[:, -1])  # nothing comes back from after the last step
    # one step before the first: dL/dh0 is delta_1 carried back through step 1, so a layer started at step 2
    # from h_1 (and, for the LSTM, c_1) has dh0 = delta_1 - dhs[:, 0]
    tail = inputs | {"x": inputs["x"][:, 1:], "h0": hs[:, 0]}
    if "c0" in inputs:
        tail["c0"] = cache["c"][:, 0]
    _, tail_cache = _call(forward, tail, options | {"mask": None})
    dh0_tail = backward(dhs[:, 1:], tail_cache)[1]
    np.testing.assert_allclose(deltas[:, 0], dhs[:, 0] + dh0_tail, rtol=1e-10, atol=1e-12)


# ---------------------------------------------------------------- the cell table and the recurrent layer


@pytest.mark.parametrize("name", sorted(CELLS))
def test_cells_table_agrees_with_its_functions(name):
    cell = CELLS[name]
    params = list(inspect.signature(cell.forward).parameters)
    expected = ["x", "h0", *cell.param_names]
    assert params[: len(expected)] == expected, f"CELLS[{name!r}].forward must take {expected}; got {params}"
    assert ("activation" in params) == cell.has_activation and ("c0" in params) == cell.has_cell_state, (
        f"CELLS[{name!r}] must say has_activation={'activation' in params} and has_cell_state={'c0' in params} "
        f"as its forward's {params} do; got {cell.has_activation} and {cell.has_cell_state}"
    )
    rng = np.random.default_rng(4)
    x, h0 = _floats(rng, N, T, D), _floats(rng, N, H)
    weights = cell.init(rng, D, H)
    got = {k: v.shape for k, v in weights.items()}
    assert got == cell.shapes(D, H), f"CELLS[{name!r}].init must draw the shapes {cell.shapes(D, H)}; got {got}"
    options = {"c0": _floats(rng, N, H)} if cell.has_cell_state else {}
    hs, cache = cell.forward(x, h0, *weights.values(), MASK, **options)
    assert hs.shape == (N, T, H) and cache["hs"] is hs, (
        f"CELLS[{name!r}].forward must return hs {(N, T, H)}, kept as cache['hs']; got {hs.shape}, "
        f"{'the same array' if cache.get('hs') is hs else 'another array'} in the cache"
    )
    _assert_batch_first(cache, name)
    dhs = rng.standard_normal(hs.shape)
    grads = cell.backward(dhs, cache)
    expected = [x, h0, *weights.values()] + ([options["c0"]] if cell.has_cell_state else [])
    assert [g.shape for g in grads] == [e.shape for e in expected], (
        f"CELLS[{name!r}].backward must return gradients of shapes {[e.shape for e in expected]}; "
        f"got {[_shape(g) for g in grads]}"
    )
    deltas = cell.state_gradients(dhs, cache)
    assert deltas.shape == (N, T, H), f"CELLS[{name!r}].state_gradients must be {(N, T, H)}; got {deltas.shape}"
    if cell.cell_states is not None:
        cs = cell.cell_states(cache)
        assert cs.shape == (N, T, H), f"CELLS[{name!r}].cell_states must be {(N, T, H)}; got {cs.shape}"


@pytest.mark.parametrize("name", sorted(CELLS))
@pytest.mark.parametrize("layers, bidirectional", [(1, False), (2, False), (1, True)])
def test_recurrent_layer_keeps_the_contract(name, layers, bidirectional):
    rng = np.random.default_rng(5)
    layer = Recurrent(name, D, H, num_layers=layers, bidirectional=bidirectional)
    params = layer.init(rng)
    P = layers * (2 if bidirectional else 1)
    x, h0 = _floats(rng, N, T, D), _floats(rng, P, N, H)
    c0 = _floats(rng, P, N, H) if name == "lstm" else None
    hs, cache = layer.forward(x, params, mask=MASK, h0=h0, c0=c0)
    assert hs.shape == (N, T, layer.output_size) and cache["final"].shape == (P, N, H), (
        f"{layer!r} must return hs {(N, T, layer.output_size)} and cache['final'] {(P, N, H)}; "
        f"got {hs.shape} and {cache['final'].shape}"
    )
    _assert_batch_first(cache, repr(layer))
    dx, dh0, grads = layer.backward(rng.standard_normal(hs.shape), cache)
    assert dx.shape == x.shape and dh0.shape == h0.shape, (
        f"{layer!r}.backward must return dx {x.shape} and dh0 {h0.shape}; got {dx.shape} and {_shape(dh0)}"
    )
    _assert_like_params(repr(layer), grads, params)
    dc0 = layer.backward(np.zeros_like(hs), cache).dc0
    assert (dc0 is None) == (c0 is None), f"{layer!r}: dc0 must be None exactly when c0 is; got {_shape(dc0)}"
    if P == 1:
        deltas = layer.state_gradients(np.zeros_like(hs), cache)
        assert deltas.shape == (N, T, H), f"{layer!r}.state_gradients must be {(N, T, H)}; got {deltas.shape}"
    else:
        with pytest.raises(ValueError, match="one layer and one direction"):
            layer.state_gradients(np.zeros_like(hs), cache)


# ---------------------------------------------------------------- models


def _ids(rng: np.random.Generator, high: int = V, length: int = T) -> np.ndarray:
    return rng.integers(3, high, (N, length))


def _many_to_one(rng: np.random.Generator) -> tuple[Any, tuple, tuple]:
    model = rnnlib.models.ManyToOne(vocab_size=V, hidden_size=H, rng=rng, embedding_size=D, cell="lstm")
    ids = _ids(rng)
    return model, (ids, rng.integers(0, 2, N).astype(float), MASK), (ids, MASK)


def _seq2seq(cls: Any) -> Callable[[np.random.Generator], tuple[Any, tuple, tuple]]:
    def make(rng: np.random.Generator) -> tuple[Any, tuple, tuple]:
        model = cls(V, V, H, rng, bos_id=1, eos_id=2, embedding_size=D)
        src, tgt = _ids(rng, length=S), _ids(rng)
        return model, (src, tgt), (src, tgt)

    return make


def _bag_of_words(rng: np.random.Generator) -> tuple[Any, tuple, None]:
    model = rnnlib.models.BagOfWordsClassifier(V)
    return model, (_ids(rng), rng.integers(0, 2, N).astype(float), MASK), None


def _tagger(rng: np.random.Generator) -> tuple[Any, tuple, tuple]:
    model = rnnlib.architectures.ManyToManyTagger(V, K, H, rng, embedding_size=D, bidirectional=True)
    ids = _ids(rng)
    return model, (ids, rng.integers(0, K, (N, T)), MASK), (ids, MASK)


def _generator(rng: np.random.Generator) -> tuple[Any, tuple, tuple]:
    model = rnnlib.architectures.OneToManyGenerator(D, K, H, rng)
    v, y = _floats(rng, N, D), _floats(rng, N, T, K)
    return model, (v, y, MASK), (v, y, MASK)


def _char_lm(rng: np.random.Generator) -> tuple[Any, tuple, tuple]:
    model = rnnlib.charlm.CharLM(V, H, rng, embedding_size=D, cell="gru")
    ids = _ids(rng)
    return model, (ids, _ids(rng)), (ids,)


#: For every model: rng -> (the model, a batch for loss, the inputs of forward or None).
MODELS: dict[str, Callable[[np.random.Generator], tuple[Any, tuple, tuple | None]]] = {
    "rnnlib.models.ManyToOne": _many_to_one,
    "rnnlib.models.BagOfWordsClassifier": _bag_of_words,
    "rnnlib.architectures.ManyToManyTagger": _tagger,
    "rnnlib.architectures.OneToManyGenerator": _generator,
    "rnnlib.architectures.EncoderDecoder": _seq2seq(rnnlib.architectures.EncoderDecoder),
    "rnnlib.attention.AttentionEncoderDecoder": _seq2seq(rnnlib.attention.AttentionEncoderDecoder),
    "rnnlib.charlm.CharLM": _char_lm,
}


def _models() -> dict[str, type]:
    return {
        f"{mod.__name__}.{name}": cls
        for mod in MODULES
        for name, cls in _own(mod, inspect.isclass).items()
        if callable(getattr(cls, "loss", None)) and typing.Protocol not in cls.__mro__
    }


def test_every_model_is_checked():
    # a new model anywhere in rnnlib must be given an example in MODELS, and so be checked by every test here
    assert sorted(_models()) == sorted(MODELS), _registry("MODELS", "class with a loss method", _models(), MODELS)


@pytest.mark.parametrize("name", sorted(MODELS))
def test_model_keeps_the_contract(name):
    rng = np.random.default_rng(6)
    model, batch, inputs = MODELS[name](rng)
    result = model.loss(*batch)
    assert isinstance(result, tuple) and len(result) == 2, f"{name}.loss must return (loss, grads); got {result!r:.80}"
    loss, grads = result
    assert np.isfinite(loss) and np.ndim(loss) == 0, f"{name}.loss must be a finite scalar; got {loss!r}"
    _assert_like_params(f"{name}.loss", grads, model.params)
    if inputs is None:
        return
    result = model.forward(*inputs)
    assert isinstance(result, tuple) and len(result) == 2, (
        f"{name}.forward must return (out, cache); got {result!r:.80}"
    )
    out, cache = result
    assert out.shape[0] == N, f"{name}.forward's output must be (N={N}, ...); got {out.shape}"
    _assert_batch_first(cache, name)
    grads = model.backward(rng.standard_normal(out.shape), cache)
    _assert_like_params(f"{name}.backward", grads, model.params)
    if hasattr(model, "state_gradients"):
        deltas = model.state_gradients(*batch)
        assert isinstance(deltas, np.ndarray) and deltas.shape[:2] == (N, T), (
            f"{name}.state_gradients must be (N={N}, T={T}, H); got {_shape(deltas)}"
        )


# ---------------------------------------------------------------- signatures: a fixed number of results


def test_no_public_callable_has_a_return_flag():
    # a second result that is wanted only sometimes gets a second function, never a return_* argument
    flags = [
        f"{name}({p})"
        for name, f in _public_callables()
        for p in inspect.signature(f).parameters
        if p.startswith("return_")
    ]
    assert flags == [], f"a public callable must not take a return_* flag; got {flags}"


def _union_members(node: ast.expr) -> list[ast.expr]:
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        return _union_members(node.left) + _union_members(node.right)
    if isinstance(node, ast.Subscript) and ast.unparse(node.value) in ("Union", "typing.Union"):
        return list(node.slice.elts) if isinstance(node.slice, ast.Tuple) else [node.slice]
    return [node]


def test_no_return_annotation_is_a_union_of_different_lengths():
    # "tuple[A, B] | tuple[A, B, C]" or "A | tuple[A, B]" means the caller cannot know how many values come back
    varying = []
    for name, f in _public_callables():
        annotation = inspect.signature(f).return_annotation
        if not isinstance(annotation, str) or annotation == "None":
            continue
        members = _union_members(ast.parse(annotation, mode="eval").body)
        lengths = {_tuple_length(ast.unparse(m)) for m in members if ast.unparse(m) != "None"}
        if len(lengths) > 1:
            varying.append(f"{name} -> {annotation}")
    assert varying == [], f"a return annotation must promise one number of values; got {varying}"


def test_the_union_rule_catches_what_it_should():
    def lengths(annotation: str) -> set[int | None]:
        members = _union_members(ast.parse(annotation, mode="eval").body)
        return {_tuple_length(ast.unparse(m)) for m in members if ast.unparse(m) != "None"}

    assert lengths("tuple[list[str], Array] | tuple[list[str], Array, Array]") == {2, 3}
    assert lengths("dict[str, Array] | tuple[dict[str, Array], Array]") == {1, 2}
    assert lengths("Array | None") == {1} and lengths("tuple[Array, ...]") == {None}


def _own_nodes(function: ast.FunctionDef | ast.AsyncFunctionDef) -> list[ast.AST]:
    """Every node of a function's body, without the bodies of functions, lambdas and classes nested in it."""
    nested = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
    found, stack = [], [n for n in function.body if not isinstance(n, nested)]
    while stack:
        node = stack.pop()
        found.append(node)
        stack.extend(c for c in ast.iter_child_nodes(node) if not isinstance(c, nested))
    return found


def _public_definitions(tree: ast.Module) -> list[tuple[str, ast.FunctionDef | ast.AsyncFunctionDef]]:
    """A module's public functions and its public classes' public methods (and __init__, __call__)."""
    functions = (ast.FunctionDef, ast.AsyncFunctionDef)
    found = [(n.name, n) for n in tree.body if isinstance(n, functions) and not n.name.startswith("_")]
    for cls in (n for n in tree.body if isinstance(n, ast.ClassDef) and not n.name.startswith("_")):
        found += [
            (f"{cls.name}.{m.name}", m)
            for m in cls.body
            if isinstance(m, functions) and (not m.name.startswith("_") or m.name in ("__init__", "__call__"))
        ]
    return found


def _return_kinds(function: ast.FunctionDef | ast.AsyncFunctionDef) -> dict[str, list[int]]:
    """What a function's return statements hand back: "a tuple of n" or "a non-tuple" (None included,
    except in a function annotated -> None), each with the lines that do; {} for a generator."""
    nodes = _own_nodes(function)
    if any(isinstance(n, (ast.Yield, ast.YieldFrom)) for n in nodes):
        return {}
    returns_none = function.returns is not None and ast.unparse(function.returns) == "None"
    kinds: dict[str, list[int]] = {}
    for node in nodes:
        if not isinstance(node, ast.Return):
            continue
        value = node.value
        if returns_none and (value is None or (isinstance(value, ast.Constant) and value.value is None)):
            continue
        if isinstance(value, ast.Tuple):
            starred = any(isinstance(e, ast.Starred) for e in value.elts)
            kind = "a tuple with a starred part" if starred else f"a tuple of {len(value.elts)}"
        else:
            kind = "a non-tuple"
        kinds.setdefault(kind, []).append(node.lineno)
    return kinds


def test_no_public_function_returns_tuples_of_different_lengths():
    # the return statements themselves, not only the annotation: "return acc, n" under a flag beside "return acc"
    varying = []
    for mod in MODULES:
        for name, function in _public_definitions(ast.parse(inspect.getsource(mod))):
            kinds = _return_kinds(function)
            if len(kinds) > 1:
                found = "; ".join(f"{k} at line {', '.join(map(str, lines))}" for k, lines in sorted(kinds.items()))
                varying.append(f"{mod.__name__}.{name} must return one kind of result; got {found}")
    assert varying == [], "one kind of result expected; got:\n" + "\n".join(varying)


def test_the_return_rule_catches_what_it_should():
    def kinds(source: str) -> set[str]:
        function = ast.parse(source).body[0]
        assert isinstance(function, ast.FunctionDef), f"expected a function; got {ast.dump(function)}"
        return set(_return_kinds(function))

    flag = (
        "def f(x, with_count=False) -> float:\n    if with_count:\n        return x.mean(), len(x)\n    return x.mean()"
    )
    assert kinds(flag) == {"a tuple of 2", "a non-tuple"}
    three = "def loss(self, y, mask):\n    if mask.all():\n        return a, b, c\n    return a, b"
    assert kinds(three) == {"a tuple of 2", "a tuple of 3"}
    early = "def f(x) -> None:\n    if x:\n        return\n    print(x)\n    return None"
    assert kinds(early) == set()
    nested = "def f(x):\n    def g():\n        return 1\n    return g(), x"
    assert kinds(nested) == {"a tuple of 2"}
    generator = "def f(x):\n    yield x\n    return 1, 2"
    assert kinds(generator) == set()
    optional = "def f(x) -> int | None:\n    if x:\n        return None\n    return 1"
    assert kinds(optional) == {"a non-tuple"}


# ---------------------------------------------------------------- the cell table is the only place that knows a cell

CELL_NAMES = {"rnn", "lstm", "gru"}

#: Code outside recurrent.py that may still ask which cell it has, each with the reason.
CELL_NAME_CHECKS = {
    ("rnnlib.models", "ManyToOne.truncation"): "BPTT(k) is written for the vanilla RNN only (rnn_backward_truncated)",
}


def _cell_name_comparisons(tree: ast.Module, module: str) -> list[tuple[str, str]]:
    """(where, comparison) for every == or != with a cell's name, and every in or not in a literal collection of them."""
    found = []

    def names(node: ast.expr) -> set[str]:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return {node.value}
        if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
            return set().union(*(names(e) for e in node.elts)) if node.elts else set()
        return set()

    def visit(node: ast.AST, where: str) -> None:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            where = f"{where}.{node.name}" if where else node.name
        if isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            for op, left, right in zip(node.ops, sides[:-1], sides[1:], strict=True):
                equal = isinstance(op, (ast.Eq, ast.NotEq)) and (names(left) | names(right)) & CELL_NAMES
                member = isinstance(op, (ast.In, ast.NotIn)) and names(right) & CELL_NAMES  # not "'rnn' in cache"
                if equal or member:
                    found.append((where, ast.unparse(node)))
                    break
        for child in ast.iter_child_nodes(node):
            visit(child, where)

    visit(tree, "")
    return found


def test_no_module_but_recurrent_asks_for_a_cell_by_name():
    # a module asks the Cell (cell.has_cell_state, cell.has_activation), so that a new cell works without edits
    comparisons = [
        (mod.__name__, where, comparison)
        for mod in MODULES
        if mod.__name__ != "rnnlib.recurrent"
        for where, comparison in _cell_name_comparisons(ast.parse(inspect.getsource(mod)), mod.__name__)
    ]
    found = [f"{m}.{w}: {c}" for m, w, c in comparisons if (m, w) not in CELL_NAME_CHECKS]
    assert found == [], "code must ask the Cell, not compare its name; got:\n" + "\n".join(found)
    stale = sorted(set(CELL_NAME_CHECKS) - {(m, w) for m, w, _ in comparisons})
    assert stale == [], f"every CELL_NAME_CHECKS entry must still compare a cell's name; got unused entries {stale}"


def test_the_cell_name_rule_catches_what_it_should():
    source = (
        "class M:\n    def f(self):\n        if self.cell == 'lstm':\n            pass\n"
        "        return cell.name != 'rnn' or c in ('gru', 'lstm')\n"
        "def g(cell):\n    return cell.has_cell_state or cell == other or name == 'tanh' or 'rnn' in cache"
    )
    found = _cell_name_comparisons(ast.parse(source), "rnnlib.example")
    assert found == [
        ("M.f", "self.cell == 'lstm'"),
        ("M.f", "cell.name != 'rnn'"),
        ("M.f", "c in ('gru', 'lstm')"),
    ]


# ---------------------------------------------------------------- private names stay in their module

#: Private modules are shared by the package by design; a private name of a public module is not,
#: except where listed here with the reason.
SHARED_PRIVATE_NAMES = {
    ("rnnlib._fast", "rnnlib.rnn", "_checked_inputs"): "the tuned RNN checks its inputs as the readable one does",
    ("rnnlib._fast", "rnnlib.lstm", "_checked_inputs"): "the tuned LSTM checks its inputs as the readable one does",
    ("rnnlib._fast", "rnnlib.gru", "_checked_inputs"): "the tuned GRU checks its inputs as the readable one does",
}


def _private_imports(tree: ast.Module, module: str) -> list[tuple[str, str, str]]:
    """(importer, module, name) for every private name imported from a public rnnlib module."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("rnnlib."):
            if node.module.split(".")[-1].startswith("_"):
                continue  # a private module: every name in it is for the package
            found += [(module, node.module, a.name) for a in node.names if a.name.startswith("_")]
    return found


def test_no_module_imports_another_modules_private_names():
    imports = [i for mod in MODULES for i in _private_imports(ast.parse(inspect.getsource(mod)), mod.__name__)]
    found = [f"{m} imports {n} from {src}" for m, src, n in imports if (m, src, n) not in SHARED_PRIVATE_NAMES]
    assert found == [], (
        "a helper two modules need must live where both may import it (rnnlib._checks, or public); got:\n"
        + "\n".join(found)
    )
    stale = sorted(set(SHARED_PRIVATE_NAMES) - set(imports))
    assert stale == [], f"every SHARED_PRIVATE_NAMES entry must still be imported; got unused entries {stale}"


def test_the_private_import_rule_catches_what_it_should():
    source = "from rnnlib.charlm import CharLM, _check_temperature\nfrom rnnlib._checks import _describe\n"
    assert _private_imports(ast.parse(source), "rnnlib.widgets") == [
        ("rnnlib.widgets", "rnnlib.charlm", "_check_temperature")
    ]


def _imported_modules(name: str) -> set[str]:
    """The rnnlib modules a module imports at its top level, directly or through the modules it imports."""
    seen, todo = set(), [name]
    while todo:
        tree = ast.parse(inspect.getsource(importlib.import_module(todo.pop())))
        for node in tree.body:  # top-level imports only: a function's own import runs when it is called
            found = []
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("rnnlib"):
                found = [node.module] if node.module != "rnnlib" else [f"rnnlib.{a.name}" for a in node.names]
            found = [m for m in found if m not in seen and importlib.util.find_spec(m) is not None]
            seen |= set(found)
            todo += found
    return seen


def test_the_figures_do_not_import_the_training_loop():
    # plots draws what it is given (it imported rnnlib.training for running_mean, and so the loop, and CharLM)
    for module in ("rnnlib.plots", "rnnlib.widgets"):
        found = _imported_modules(module)
        assert "rnnlib.training" not in found, f"{module} must not import rnnlib.training; got imports {sorted(found)}"


# ---------------------------------------------------------------- randomness is injected

#: The only places in rnnlib that make a generator, each with why it is not injected.  Everything
#: else draws from an ``rng: np.random.Generator`` it is given.
SEEDED_GENERATORS = {
    ("rnnlib.charlm", "load_char_lm"): "a throwaway generator for CharLM's constructor: the file overwrites every draw",
    ("rnnlib.gradients", "jacobian_norm_curves"): "takes a seed, not a generator, so that every scale (and a widget "
    "redrawing on a slider move) sees the same random network",
}


def _randomness(tree: ast.Module, module: str) -> tuple[list[str], set[tuple[str, str]]]:
    """Every use of randomness in a module that breaks the rule, and the allow-listed places it used."""
    problems: list[str] = []
    used: set[tuple[str, str]] = set()

    def visit(node: ast.AST, where: str) -> None:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            where = f"{where}.{node.name}" if where else node.name
        at = f"{module}.{where or '<module>'} line {getattr(node, 'lineno', '?')}"
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "random" or alias.name.startswith("numpy.random"):
                    problems.append(f"{at}: must not import {alias.name}; got import {alias.name}")
        elif isinstance(node, ast.ImportFrom):
            names = {a.name for a in node.names}
            if node.module == "random" or (node.module == "numpy" and "random" in names):
                problems.append(f"{at}: must take an rng, not import the global generator; got {ast.unparse(node)}")
            elif node.module == "numpy.random" and names != {"Generator"}:
                problems.append(f"{at}: may import only Generator from numpy.random; got {ast.unparse(node)}")
        elif isinstance(node, ast.Attribute) and ast.unparse(node.value) in ("np.random", "numpy.random"):
            if node.attr != "Generator" and node.attr != "default_rng":
                problems.append(f"{at}: must draw from an injected rng; got np.random.{node.attr}")
        elif isinstance(node, ast.Call) and ast.unparse(node.func).split(".")[-1] == "default_rng":
            seeded = len(node.args) == 1 and not node.keywords and ast.unparse(node.args[0]) != "None"
            if not seeded:
                problems.append(f"{at}: default_rng must be given a seed; got {ast.unparse(node)}")
            elif (module, where.split(".")[0]) not in SEEDED_GENERATORS and (module, where) not in SEEDED_GENERATORS:
                problems.append(
                    f"{at}: default_rng is expected only in SEEDED_GENERATORS {sorted(SEEDED_GENERATORS)}; "
                    f"got {ast.unparse(node)}"
                )
            else:
                used.add((module, where))
            for child in ast.iter_child_nodes(node):
                if child is not node.func:
                    visit(child, where)
            return
        for child in ast.iter_child_nodes(node):
            visit(child, where)

    visit(tree, "")
    return problems, used


def test_no_module_draws_from_a_global_or_hidden_generator():
    # every random draw comes from an rng passed in, except the allow-listed seeded generators
    problems, used = [], set()
    for mod in MODULES:
        found, places = _randomness(ast.parse(inspect.getsource(mod)), mod.__name__)
        problems += found
        used |= places
    assert problems == [], "randomness must come from an injected rng; got:\n" + "\n".join(problems)
    stale = sorted(set(SEEDED_GENERATORS) - used)
    assert stale == [], f"every SEEDED_GENERATORS entry must still make a generator; got unused entries {stale}"


@pytest.mark.parametrize(
    "source, found",
    [
        ("import random\ndef f():\n    return random.random()", "must not import random"),
        ("from random import shuffle", "must take an rng"),
        ("from numpy import random", "must take an rng"),
        ("from numpy.random import default_rng", "may import only Generator"),
        ("import numpy as np\ndef f(n):\n    return np.random.rand(n)", "got np.random.rand"),
        ("import numpy as np\ndef f():\n    return np.random.seed(0)", "got np.random.seed"),
        ("import numpy as np\nRNG = np.random.RandomState(0)", "got np.random.RandomState"),
        ("import numpy as np\ndef f():\n    return np.random.default_rng()", "must be given a seed"),
        ("import numpy as np\ndef f():\n    return np.random.default_rng(None)", "must be given a seed"),
        ("import numpy as np\ndef f(s):\n    return np.random.default_rng(s)", "expected only in SEEDED_GENERATORS"),
    ],
)
def test_the_randomness_rule_catches_what_it_should(source, found):
    problems, _ = _randomness(ast.parse(source), "rnnlib.example")
    assert any(found in p for p in problems), f"expected a problem saying {found!r}; got {problems}"
    allowed, _ = _randomness(ast.parse("def load_char_lm():\n    return np.random.default_rng(0)"), "rnnlib.charlm")
    assert allowed == [], f"an allow-listed seeded generator must pass; got {allowed}"


# ---------------------------------------------------------------- this file's own messages


def test_every_check_here_says_what_it_expected_and_what_it_got():
    # a failing check must say what the rule wanted and what the package gave; only the tests of the rules
    # themselves (whose inputs are written beside them) may leave it to pytest's comparison
    vague = []
    for function in ast.parse(Path(__file__).read_text()).body:
        if not isinstance(function, ast.FunctionDef) or function.name.endswith("_catches_what_it_should"):
            continue
        for node in ast.walk(function):
            if not isinstance(node, ast.Assert):
                continue
            message = ast.unparse(node.msg) if node.msg else ""
            said = message.startswith("_registry(") or (
                ("must" in message or "expected" in message) and "got" in message
            )
            if not said:
                vague.append(f"line {node.lineno}: {ast.unparse(node.test)[:70]}")
    assert vague == [], "every assert here must have a message with 'must'/'expected' and 'got'; got none at:\n" + (
        "\n".join(vague)
    )
