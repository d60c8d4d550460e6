"""The cells' contract where mutation testing found it untested (see tests/MUTANTS.md): error
messages that name the argument and its axes as the docstring does, states stored in the widest
precision of their inputs, read-only caches, and the tuned path held to the readable one there too."""

import inspect
import re

import numpy as np
import pytest

from rnnlib import _fast
from rnnlib.gru import gru_backward, gru_forward, gru_state_gradients, gru_step_backward, gru_step_forward
from rnnlib.lstm import lstm_backward, lstm_forward, lstm_state_gradients, lstm_step_backward, lstm_step_forward
from rnnlib.rnn import rnn_backward, rnn_forward, rnn_state_gradients, rnn_step_backward, rnn_step_forward

SIZES = {"N": 2, "T": 3, "D": 4, "H": 5}
MASK = np.array([[1, 1, 0], [1, 1, 1]], bool)


def _doc_shapes(fn):
    """{parameter: axes} from the numpydoc lines ``name : [optional] ndarray of shape (A, B)``."""
    found = re.findall(r"^\s*(\w+) : (?:optional )?ndarray of shape \(([^)]*)\)", inspect.getdoc(fn), re.M)
    return {name: [a.strip() for a in axes.split(",") if a.strip()] for name, axes in found}


def _size(axis):
    k, letter = re.fullmatch(r"(\d*)([A-Z])", axis).groups()
    return int(k or 1) * SIZES[letter]


def _inputs(doc_fn, rng):
    """Good arguments for every array parameter of ``doc_fn``, built from its docstring's shapes."""
    args = {}
    for name, axes in _doc_shapes(doc_fn).items():
        if name in inspect.signature(doc_fn).parameters:
            args[name] = MASK if name == "mask" else 0.5 * rng.standard_normal([_size(a) for a in axes])
    return args


def _axes_pattern(axes, bound_by_cache):
    """The expected shape in the message: each letter as ``N`` or ``N=2`` (``2`` alone where a cache
    fixed it); a multiple such as 4H as its size."""
    parts = []
    for a in axes:
        if re.fullmatch(r"[A-Z]", a):
            named = rf"{a}(?:={SIZES[a]})?"
            parts.append(rf"(?:{named}|{SIZES[a]})" if bound_by_cache else named)
        else:
            parts.append(str(_size(a)))
    return r"\(" + ", ".join(parts) + ("," if len(parts) == 1 else "") + r"\)"


# (function, the readable function whose docstring documents its parameters)
FORWARDS = [
    (rnn_step_forward, rnn_step_forward),
    (rnn_forward, rnn_forward),
    (_fast.rnn_forward_fast, rnn_forward),
    (lstm_step_forward, lstm_step_forward),
    (lstm_forward, lstm_forward),
    (_fast.lstm_forward_fast, lstm_forward),
    (gru_step_forward, gru_step_forward),
    (gru_forward, gru_forward),
    (_fast.gru_forward_fast, gru_forward),
]


@pytest.mark.parametrize("fn, doc", FORWARDS, ids=lambda f: f.__name__)
def test_forward_shape_errors_name_the_argument_and_its_documented_axes(fn, doc):
    """Give each array one axis too many: the message names that argument and lists the axes
    its docstring gives, with the sizes the arguments before it have fixed."""
    rng = np.random.default_rng(0)
    good = _inputs(doc, rng)
    assert len(good) >= 5
    fn(**good)  # the good call works
    for name, axes in _doc_shapes(doc).items():
        if name not in good:
            continue
        bad = dict(good, **{name: good[name][..., None]})
        expected = rf"^{name} must have {len(axes)} dimensions, shape {_axes_pattern(axes, False)}; got"
        with pytest.raises(ValueError, match=expected):
            fn(**bad)


def _step_cache(step_forward, rng):
    out = step_forward(**_inputs(step_forward, rng))
    return out[-1]


def _sequence_cache(forward, doc, rng):
    return forward(**_inputs(doc, rng))[1]


# (backward, the docstring naming its upstream gradients, how to make its cache, the forward its
# cache must come from, a cache of another kind)
def _backwards():
    rnn, lstm, gru = (rnn_forward, rnn_forward), (lstm_forward, lstm_forward), (gru_forward, gru_forward)
    rnn_f, lstm_f, gru_f = (
        (_fast.rnn_forward_fast, rnn_forward),
        (_fast.lstm_forward_fast, lstm_forward),
        (_fast.gru_forward_fast, gru_forward),
    )
    return [
        (rnn_step_backward, rnn_step_backward, ("step", rnn_step_forward), "rnn_step_forward"),
        (lstm_step_backward, lstm_step_backward, ("step", lstm_step_forward), "lstm_step_forward"),
        (gru_step_backward, gru_step_backward, ("step", gru_step_forward), "gru_step_forward"),
        (rnn_backward, rnn_backward, ("seq", *rnn), "rnn_forward"),
        (rnn_state_gradients, rnn_backward, ("seq", *rnn), "rnn_forward"),
        (lstm_backward, lstm_backward, ("seq", *lstm), "lstm_forward"),
        (lstm_state_gradients, lstm_backward, ("seq", *lstm), "lstm_forward"),
        (gru_backward, gru_backward, ("seq", *gru), "gru_forward"),
        (gru_state_gradients, gru_backward, ("seq", *gru), "gru_forward"),
        (_fast.rnn_backward_fast, rnn_backward, ("seq", *rnn_f), "rnn_forward"),
        (_fast.rnn_state_gradients_fast, rnn_backward, ("seq", *rnn_f), "rnn_forward"),
        (_fast.lstm_backward_fast, lstm_backward, ("seq", *lstm_f), "lstm_forward_fast"),
        (_fast.lstm_state_gradients_fast, lstm_backward, ("seq", *lstm_f), "lstm_forward_fast"),
        (_fast.gru_backward_fast, gru_backward, ("seq", *gru_f), "gru_forward_fast"),
        (_fast.gru_state_gradients_fast, gru_backward, ("seq", *gru_f), "gru_forward_fast"),
    ]


@pytest.mark.parametrize("back, doc, make, made_by", _backwards(), ids=lambda f: getattr(f, "__name__", ""))
def test_backward_errors_name_their_forward_and_the_upstream_gradient(back, doc, make, made_by):
    """A cache from another function is refused with the name of the forward it must come from;
    an upstream gradient with one axis too many is named, with the shape the cache fixed."""
    rng = np.random.default_rng(1)
    cache = _step_cache(make[1], rng) if make[0] == "step" else _sequence_cache(make[1], make[2], rng)
    other = _sequence_cache(rnn_forward, rnn_forward, rng) if "rnn" not in made_by else _step_cache(gru_step_forward, rng)
    upstream = {k: 0.1 * rng.standard_normal([_size(a) for a in axes]) for k, axes in _doc_shapes(doc).items()
                if k in inspect.signature(back).parameters and k != "cache"}  # fmt: skip
    back(cache=cache, **upstream)  # the good call works
    with pytest.raises(TypeError, match=rf"^cache must be the one returned by {made_by}; this one has no"):
        back(cache=other, **upstream)
    for name, axes in _doc_shapes(doc).items():
        if name in upstream:
            bad = dict(upstream, **{name: upstream[name][..., None]})
            pattern = rf"^{name} must have {len(axes)} dimensions, shape {_axes_pattern(axes, True)}; got"
            with pytest.raises(ValueError, match=pattern):
                back(cache=cache, **bad)


@pytest.mark.parametrize("fn, doc", [f for f in FORWARDS if "step" not in f[0].__name__], ids=lambda f: f.__name__)
def test_states_and_gates_in_a_cache_are_read_only(fn, doc):
    """The backward pass reads hs and the gates from the cache: writing to them would change the
    gradients silently, so it raises instead."""
    hs, cache = fn(**_inputs(doc, np.random.default_rng(2)))
    named = {k: v for k, v in cache.items() if not k.startswith("_") and k not in ("x", "h0", "c0", "mask")}
    named = {k: v for k, v in named.items() if isinstance(v, np.ndarray) and v.ndim == 3}
    assert "hs" in named and named["hs"] is hs
    for v in named.values():
        with pytest.raises(ValueError, match="read-only"):
            v[0, 0, 0] = 1.0


@pytest.mark.parametrize("fn, doc", [f for f in FORWARDS if "step" not in f[0].__name__], ids=lambda f: f.__name__)
def test_a_sequence_needs_at_least_one_step(fn, doc):
    good = _inputs(doc, np.random.default_rng(3))
    empty = dict(good, x=good["x"][:, :0], mask=good["mask"][:, :0])
    with pytest.raises(ValueError, match=r"^x must hold at least one time step; got shape \(2, 0, 4\)$"):
        fn(**empty)


def _mixed(fn, doc, wide):
    """Run ``fn`` on float32 arrays except ``wide``, which stays float64; return hs's dtype."""
    good = _inputs(doc, np.random.default_rng(4))
    args = {k: v if k in (wide, "mask") else v.astype(np.float32) for k, v in good.items()}
    return fn(**args)[0].dtype


@pytest.mark.parametrize("fn, doc", [f for f in FORWARDS if "step" not in f[0].__name__], ids=lambda f: f.__name__)
def test_states_are_stored_in_the_widest_precision_of_the_inputs(fn, doc):
    """All float32 in, float32 states out; one float64 input (a float64 h0 = np.zeros((N, H)) next to
    float32 weights, say) makes the step arithmetic float64, and the states keep that precision,
    as the step functions' own results do."""
    arrays = [k for k in _inputs(doc, np.random.default_rng(4)) if k != "mask"]
    assert _mixed(fn, doc, None) == np.float32
    wide = {k: _mixed(fn, doc, k) for k in arrays}
    assert wide == dict.fromkeys(arrays, np.float64)
