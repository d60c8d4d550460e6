"""LSTM, GRU and the Recurrent layer (any cell, stacked, bidirectional)."""

import numpy as np
import pytest

from rnnlib import check_gradients, check_layer_gradients, numerical_gradient, rel_error
from rnnlib._fast import gru_forward_fast, lstm_forward_fast
from rnnlib.gru import gru_backward, gru_forward, gru_gates, gru_state_gradients
from rnnlib.lstm import lstm_backward, lstm_forward, lstm_gates, lstm_state_gradients
from rnnlib.recurrent import CELLS, Recurrent, get_cell, reverse_indices

MASK = np.array([[1, 1, 1, 1], [1, 1, 0, 0], [1, 0, 0, 0]], bool)


def lstm_problem(rng, N=3, T=4, D=5, H=3):
    return (rng.standard_normal((N, T, D)), rng.standard_normal((N, H)), 0.5 * rng.standard_normal((D, 4 * H)),
            0.5 * rng.standard_normal((H, 4 * H)), rng.standard_normal(4 * H))  # fmt: skip


def gru_problem(rng, N=3, T=4, D=5, H=3):
    return (rng.standard_normal((N, T, D)), rng.standard_normal((N, H)), 0.5 * rng.standard_normal((D, 3 * H)),
            0.5 * rng.standard_normal((H, 3 * H)), rng.standard_normal(3 * H), rng.standard_normal(H))  # fmt: skip


def test_lstm_one_step_by_hand():
    # D = H = 1, all gate pre-activations equal to a = x w + b
    x, h0, c0 = np.array([[[1.0]]]), np.zeros((1, 1)), np.array([[0.5]])
    W_x, W_h, b = np.full((1, 4), 0.5), np.zeros((1, 4)), np.zeros(4)
    hs, _ = lstm_forward(x, h0, W_x, W_h, b, c0=c0)
    s, g = 1 / (1 + np.exp(-0.5)), np.tanh(0.5)
    c = s * 0.5 + s * g
    assert hs[0, 0, 0] == pytest.approx(s * np.tanh(c), abs=1e-15)
    assert hs[0, 0, 0] == pytest.approx(0.33379460517234055, abs=1e-12)


def test_gru_one_step_by_hand():
    x, h0 = np.array([[[1.0]]]), np.array([[0.5]])
    W_x, W_h, b, b_hn = np.full((1, 3), 0.5), np.full((1, 3), -1.0), np.zeros(3), np.array([0.2])
    hs, _ = gru_forward(x, h0, W_x, W_h, b, b_hn)
    r = z = 1 / (1 + np.exp(-(0.5 - 0.5)))
    n = np.tanh(0.5 + r * (-0.5 + 0.2))
    assert hs[0, 0, 0] == pytest.approx((1 - z) * n + z * 0.5, abs=1e-15)
    assert hs[0, 0, 0] == pytest.approx(0.4181877721681661, abs=1e-12)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("fast", [False, True])
def test_gates_saturate_without_overflow(rng, dtype, fast):
    # Pre-activations of +-1000: the sigmoid gates (through tanh on the tuned path) must give exactly 0 or 1.
    # exp(-1000) underflowing to 0 is the right answer, so only overflow and invalid values are errors.
    lstm, gru = (lstm_forward_fast, gru_forward_fast) if fast else (lstm_forward, gru_forward)
    x = np.array([[[1000.0], [-1000.0]]], dtype)  # (N, T, D) = (1, 2, 1)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        hs, cache = lstm(
            x, np.zeros((1, 1), dtype), np.ones((1, 4), dtype), np.zeros((1, 4), dtype), np.zeros(4, dtype)
        )
        gates = [lstm_gates(cache)[k][0, :, 0] for k in ("i", "f", "c_tilde", "o")]
        np.testing.assert_array_equal(np.stack(gates, axis=1), [[1, 1, 1, 1], [0, 0, -1, 0]])
        assert hs.dtype == dtype
        hs, cache = gru(x, np.zeros((1, 1), dtype), np.ones((1, 3), dtype), np.zeros((1, 3), dtype),
                        np.zeros(3, dtype), np.zeros(1, dtype))  # fmt: skip
        gates = [gru_gates(cache)[k][0, :, 0] for k in ("r", "z", "n")]
        np.testing.assert_array_equal(np.stack(gates, axis=1), [[1, 1, 1], [0, 0, -1]])
        assert hs.dtype == dtype


@pytest.mark.parametrize("mask", [None, MASK, np.array([[1, 1, 1, 1], [0, 0, 0, 0], [1, 1, 0, 0]], bool)])
def test_lstm_gradients(rng, mask):
    x, h0, W_x, W_h, b = lstm_problem(rng)
    c0 = rng.standard_normal(h0.shape)
    hs, cache = lstm_forward(x, h0, W_x, W_h, b, mask, c0)
    dhs = rng.standard_normal(hs.shape)
    names = ("x", "h0", "W_x", "W_h", "b", "c0")
    check_layer_gradients(
        lambda: lstm_forward(x, h0, W_x, W_h, b, mask, c0)[0],
        dict(zip(names, (x, h0, W_x, W_h, b, c0))),
        dict(zip(names, lstm_backward(dhs, cache))),
        dhs,
    )


@pytest.mark.parametrize("mask", [None, MASK])
def test_gru_gradients(rng, mask):
    args = gru_problem(rng)
    hs, cache = gru_forward(*args, mask)
    dhs = rng.standard_normal(hs.shape)
    names = ("x", "h0", "W_x", "W_h", "b", "b_hn")
    check_layer_gradients(
        lambda: gru_forward(*args, mask)[0], dict(zip(names, args)), dict(zip(names, gru_backward(dhs, cache))), dhs
    )


@pytest.mark.parametrize("cell", sorted(CELLS))
def test_padding_does_not_change_real_steps(rng, cell):
    layer = Recurrent(cell, 2, 3)
    params = layer.init(rng)
    seqs = [rng.standard_normal((L, 2)) for L in (4, 2, 1)]
    x = np.zeros((3, 4, 2))
    for n, s in enumerate(seqs):
        x[n, : len(s)] = s
    hs, cache = layer.forward(x, params, MASK)
    for n, s in enumerate(seqs):
        alone, _ = layer.forward(s[None], params)
        np.testing.assert_allclose(hs[n, : len(s)], alone[0], atol=1e-14)
        np.testing.assert_allclose(cache["final"][0, n], alone[0, -1], atol=1e-14)


@pytest.mark.parametrize("cell", sorted(CELLS))
@pytest.mark.parametrize("layers, bidi", [(1, False), (2, False), (1, True), (2, True)])
def test_recurrent_layer_gradients(rng, cell, layers, bidi):
    layer = Recurrent(cell, 2, 3, num_layers=layers, bidirectional=bidi)
    params = layer.init(rng)
    P = layers * (2 if bidi else 1)
    x, h0 = rng.standard_normal((3, 4, 2)), rng.standard_normal((P, 3, 3))
    hs, cache = layer.forward(x, params, MASK, h0)
    assert hs.shape == (3, 4, layer.output_size)
    dhs, dfinal = rng.standard_normal(hs.shape), rng.standard_normal(cache["final"].shape)

    def f():
        out, c = layer.forward(x, params, MASK, h0)
        return float(np.sum(out * dhs) + np.sum(c["final"] * dfinal))

    dx, dh0, grads = layer.backward(dhs, cache, dfinal)
    check_gradients(f, {"x": x, "h0": h0, **params}, {"x": dx, "h0": dh0, **grads})
    assert grads.keys() == params.keys()


def test_single_layer_keeps_cell_names(rng):
    assert set(Recurrent("rnn", 2, 3).init(rng)) == {"W_xh", "W_hh", "b_h"}
    assert set(Recurrent("gru", 2, 3).init(rng, prefix="enc_")) == {"enc_W_x", "enc_W_h", "enc_b", "enc_b_hn"}
    assert "l1r_W_x" in Recurrent("lstm", 2, 3, num_layers=2, bidirectional=True).init(rng)
    lstm = CELLS["lstm"].init(rng, 2, 3)
    np.testing.assert_array_equal(lstm["b"][3:6], 1.0)  # forget gate starts open
    np.testing.assert_allclose(lstm["W_h"][:, :3].T @ lstm["W_h"][:, :3], np.eye(3), atol=1e-12)


def test_reverse_indices():
    idx = reverse_indices(MASK, 3, 4)
    np.testing.assert_array_equal(idx, [[3, 2, 1, 0], [1, 0, 2, 3], [0, 1, 2, 3]])
    x = np.arange(12.0).reshape(3, 4)
    twice = np.take_along_axis(np.take_along_axis(x, idx, 1), idx, 1)
    np.testing.assert_array_equal(twice, x)


def test_errors(rng):
    with pytest.raises(ValueError, match=r"cell must be one of \['gru', 'lstm', 'rnn'\]; got 'transformer'"):
        get_cell("transformer")
    layer = Recurrent("lstm", 2, 3)
    with pytest.raises(ValueError, match=r"x must have shape \(N, T, 2\)"):
        layer.forward(np.zeros((1, 4, 3)), layer.init(rng))
    with pytest.raises(ValueError, match=r"W_h must have shape \(H=3, 12\)"):
        lstm_forward(np.zeros((1, 2, 2)), np.zeros((1, 3)), np.zeros((2, 12)), np.zeros((3, 9)), np.zeros(12))
    with pytest.raises(ValueError, match=r"b_hn must have shape \(H=3,\)"):
        gru_forward(np.zeros((1, 2, 2)), np.zeros((1, 3)), np.zeros((2, 9)), np.zeros((3, 9)), np.zeros(9), np.zeros(2))
    with pytest.raises(ValueError, match="num_layers must be a positive int; got 0"):
        Recurrent("gru", 2, 3, num_layers=0)


@pytest.mark.parametrize("cell", sorted(CELLS))
def test_float32_stays_float32(rng, cell):
    layer = Recurrent(cell, 2, 3, bidirectional=True)
    params = {k: v.astype(np.float32) for k, v in layer.init(rng).items()}
    hs, cache = layer.forward(np.ones((2, 3, 2), np.float32), params, np.ones((2, 3), bool))
    dx, _, grads = layer.backward(np.ones_like(hs), cache)
    assert hs.dtype == dx.dtype == np.float32
    assert all(g.dtype == np.float32 for g in grads.values())

    def float_arrays(tree):  # every floating-point array a cache keeps, however nested
        if isinstance(tree, dict):
            tree = list(tree.values())
        if isinstance(tree, list | tuple):
            return [a for item in tree for a in float_arrays(item)]
        return [tree] if isinstance(tree, np.ndarray) and tree.dtype.kind == "f" else []

    stored = float_arrays(cache)
    assert stored and {a.dtype for a in stored} == {np.dtype(np.float32)}  # no buffer upcast to float64


@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_gated_deltas_are_total_state_gradients(rng, kind):
    fwd, bwd, deltas_of, args = (lstm_forward, lstm_backward, lstm_state_gradients, lstm_problem(rng)) if kind == "lstm" else (
        gru_forward, gru_backward, gru_state_gradients, gru_problem(rng))  # fmt: skip
    x, h0, *weights = args
    hs, cache = fwd(x, h0, *weights)
    dhs = np.zeros_like(hs)
    dhs[:, -1] = rng.standard_normal(dhs[:, -1].shape)
    deltas = deltas_of(dhs, cache)
    np.testing.assert_array_equal(deltas[:, -1], dhs[:, -1])  # nothing comes back from after the last step
    # delta at the first step equals dL/dh0 propagated one step: check it against dh0 of the tail
    _, tail_cache = fwd(x[:, 1:], hs[:, 0], *weights, **({"c0": cache["c"][:, 0]} if kind == "lstm" else {}))
    tail = bwd(dhs[:, 1:], tail_cache)
    np.testing.assert_allclose(deltas[:, 0], tail[1], atol=1e-12)


@pytest.mark.parametrize("cell", sorted(CELLS))
def test_carrying_final_states_equals_one_long_pass(rng, cell):
    layer = Recurrent(cell, 2, 3, num_layers=2)
    params = layer.init(rng)
    x = rng.standard_normal((2, 6, 2))
    whole, _ = layer.forward(x, params)
    first, c1 = layer.forward(x[:, :4], params)
    c0 = c1.get("final_c")
    second, _ = layer.forward(x[:, 4:], params, h0=c1["final"], c0=c0)
    np.testing.assert_allclose(np.concatenate([first, second], axis=1), whole, atol=1e-14)
    assert ("final_c" in c1) == (cell == "lstm")


def test_c0_only_for_lstm(rng):
    layer = Recurrent("gru", 2, 3)
    with pytest.raises(ValueError, match="c0 is an LSTM's initial cell state; a 'gru' layer has none"):
        layer.forward(np.zeros((1, 2, 2)), layer.init(rng), c0=np.zeros((1, 3)))


# ---------------------------------------------------------------- contracts (issue 12)


def test_backward_rejects_dfinal_of_the_wrong_shape(rng):
    """An (N, H) dfinal for a one-layer layer used to broadcast its first row over the batch
    and return wrong gradients without a word; an extra row used to be ignored."""
    layer = Recurrent("rnn", 2, 3)
    params = layer.init(rng)
    x = rng.standard_normal((4, 5, 2))
    hs, cache = layer.forward(x, params)
    with pytest.raises(ValueError, match=r"dfinal must have 3 dimensions, shape \(1, N=4, 3\); got 2 dimensions"):
        layer.backward(np.zeros_like(hs), cache, dfinal=np.ones((4, 3)))
    with pytest.raises(ValueError, match=r"dfinal must have shape \(1, N=4, 3\)"):
        layer.backward(np.zeros_like(hs), cache, dfinal=np.ones((2, 4, 3)))
    # the right shape still gives the gradient of sum(final state * dfinal)
    dfinal = rng.standard_normal((1, 4, 3))
    _, _, grads = layer.backward(np.zeros_like(hs), cache, dfinal=dfinal)
    num = numerical_gradient(lambda: float(np.sum(layer.forward(x, params)[1]["final"] * dfinal)), params["W_hh"])
    assert rel_error(num, grads["W_hh"]) < 1e-7


def test_backward_names_dhs_of_the_wrong_width_and_a_foreign_cache(rng):
    layer = Recurrent("gru", 2, 5, bidirectional=True)
    params = layer.init(rng)
    hs, cache = layer.forward(rng.standard_normal((2, 3, 2)), params)
    with pytest.raises(ValueError, match=r"dhs must have shape \(N=2, T=3, 10\); got \(2, 3, 5\)"):
        layer.backward(hs[:, :, :5], cache)
    with pytest.raises(TypeError, match="cache must be the cache returned by Recurrent.forward; got dict"):
        layer.backward(hs, {"hs": hs})


@pytest.mark.parametrize("value", ["False", 0, 1, None])
def test_bidirectional_must_be_a_bool(value):
    from rnnlib import ManyToOne

    with pytest.raises(TypeError, match="bidirectional must be True or False; got"):
        Recurrent("rnn", 2, 3, bidirectional=value)
    with pytest.raises(TypeError, match="bidirectional must be True or False; got"):
        ManyToOne(vocab_size=5, hidden_size=3, rng=np.random.default_rng(0), bidirectional=value)


def test_bidirectional_rejects_a_left_padded_mask(rng):
    """The backward direction reverses each row's first L steps, which is right only for
    right padding: a left-padded row used to be read in the wrong order, silently."""
    layer = Recurrent("rnn", 2, 3, bidirectional=True)
    params = layer.init(rng)
    x = rng.standard_normal((2, 4, 2))
    with pytest.raises(ValueError, match=r"mask must be right-padded .* row 1 is \[0, 0, 1, 1\]"):
        layer.forward(x, params, mask=np.array([[1, 1, 1, 1], [0, 0, 1, 1]]))
    layer.forward(x, params, mask=np.array([[1, 1, 1, 1], [1, 1, 0, 0]]))  # right padding is fine
    Recurrent("rnn", 2, 3).forward(x, Recurrent("rnn", 2, 3).init(rng), mask=np.array([[1, 1, 1, 1], [0, 0, 1, 1]]))


def test_errors_name_the_prefixed_parameter_and_the_forward_pass(rng):
    layer = Recurrent("lstm", 2, 3, num_layers=2)
    params = layer.init(rng)
    x = rng.standard_normal((4, 5, 2))
    wrong = dict(params, l1_W_x=np.zeros((2, 12)))
    with pytest.raises(
        ValueError,
        match=r"params\['l1_W_x'\] must have shape \(3, 12\); got an array of dtype float64 and shape \(2, 12\)",
    ):
        layer.forward(x, wrong)
    missing = {k: v for k, v in params.items() if k != "l0_b"}
    with pytest.raises(ValueError, match=r"params has no 'l0_b', which Recurrent\(.*\) needs"):
        layer.forward(x, missing)
    hs, cache = layer.forward(x, params)
    with pytest.raises(
        ValueError, match=r"dhs must have shape \(N=4, T=5, 3\) \(set by the forward pass\); got \(2, 5, 3\)"
    ):
        layer.backward(hs[:2], cache)


@pytest.mark.parametrize("name", ["rnn", "lstm", "gru"])
def test_returned_states_cannot_be_changed_behind_the_cache(rng, name):
    """hs is a view of the cache that backward reads: an in-place change used to alter the
    gradients silently; now it raises."""
    cell = CELLS[name]
    params = cell.init(rng, 2, 3)
    hs, cache = cell.forward(rng.standard_normal((2, 4, 2)), np.zeros((2, 3)), *params.values(), None)
    with pytest.raises(ValueError, match="read-only"):
        hs[0, 0, 0] = 1.0
    hs2 = hs + 1.0  # arithmetic gives a new, writable array as usual
    hs2[0, 0, 0] = 0.0
    cell.backward(np.ones_like(hs), cache)


# ---------------------------------------------------------------- the LSTM's cell state through Recurrent (issue 16)


@pytest.mark.parametrize("layers, bidi", [(1, False), (2, False), (1, True), (2, True)])
def test_recurrent_lstm_returns_dc0_and_takes_dfinal_c(rng, layers, bidi):
    layer = Recurrent("lstm", 2, 3, num_layers=layers, bidirectional=bidi)
    params = layer.init(rng)
    P = layers * (2 if bidi else 1)
    x, h0, c0 = rng.standard_normal((3, 4, 2)), rng.standard_normal((P, 3, 3)), rng.standard_normal((P, 3, 3))
    hs, cache = layer.forward(x, params, MASK, h0, c0=c0)
    dhs = rng.standard_normal(hs.shape)
    dfinal, dfinal_c = rng.standard_normal((2, P, 3, 3))

    def f():
        out, c = layer.forward(x, params, MASK, h0, c0=c0)
        return float(np.sum(out * dhs) + np.sum(c["final"] * dfinal) + np.sum(c["final_c"] * dfinal_c))

    out = layer.backward(dhs, cache, dfinal, dfinal_c)
    dx, dh0, grads = out  # still three values to unpack, as for every cell
    assert out.dx is dx and out.dh0 is dh0 and out.grads is grads and out.dc0.shape == c0.shape
    check_gradients(f, {"x": x, "h0": h0, "c0": c0, **params}, {"x": dx, "h0": dh0, "c0": out.dc0, **grads})


def test_recurrent_dc0_shapes_and_none(rng):
    layer = Recurrent("lstm", 2, 3)
    params = layer.init(rng)
    x = rng.standard_normal((2, 5, 2))
    hs, cache = layer.forward(x, params, c0=np.zeros((2, 3)))  # (N, H) for one layer and direction
    assert layer.backward(np.ones_like(hs), cache).dc0.shape == (2, 3)
    hs, cache = layer.forward(x, params)
    assert layer.backward(np.ones_like(hs), cache).dc0 is None  # no c0 given, none returned
    gru = Recurrent("gru", 2, 3)
    hs, cache = gru.forward(x, gru.init(rng))
    assert gru.backward(np.ones_like(hs), cache).dc0 is None
    with pytest.raises(ValueError, match="dfinal_c is the gradient of an LSTM's final cell state; a 'gru' layer"):
        gru.backward(np.ones_like(hs), cache, dfinal_c=np.zeros((1, 2, 3)))
    hs, cache = layer.forward(x, params)
    with pytest.raises(ValueError, match=r"dfinal_c must have shape \(1, N=2, 3\)"):
        layer.backward(np.ones_like(hs), cache, dfinal_c=np.zeros((1, 3, 3)))


def test_cells_table_is_whole(rng):
    # everything that differs between the cells is in the table: no name is special
    assert [c.has_activation for c in CELLS.values()] == [n == "rnn" for n in CELLS]
    assert [c.has_cell_state for c in CELLS.values()] == [n == "lstm" for n in CELLS]
    for name, cell in CELLS.items():
        shapes = cell.shapes(2, 3)
        params = cell.init(np.random.default_rng(0), 2, 3)
        assert {k: v.shape for k, v in params.items()} == shapes, name
    assert CELLS["lstm"].init(rng, 2, 3)["b"].tolist() == [0] * 3 + [1] * 3 + [0] * 6  # forget gate's bias 1


# ---------------------------------------------------------------- state gradients (issue 16)


@pytest.mark.parametrize("cell", sorted(CELLS))
@pytest.mark.parametrize("masked", [False, True])
def test_recurrent_state_gradients_are_dL_dh_t(rng, cell, masked):
    # delta_t = dL/dh_t for L = sum(hs * dhs): nudging h_t alone means restarting the layer from it
    layer = Recurrent(cell, 2, 3)
    params = layer.init(rng)
    x, h0 = rng.standard_normal((3, 4, 2)), rng.standard_normal((3, 3))
    mask = MASK if masked else None
    hs, cache = layer.forward(x, params, mask=mask, h0=h0)
    dhs = rng.standard_normal(hs.shape)
    deltas = layer.state_gradients(dhs, cache)
    assert deltas.shape == hs.shape
    np.testing.assert_array_equal(deltas[:, -1], dhs[:, -1])  # nothing comes back from after the last step
    np.testing.assert_allclose(deltas, CELLS[cell].state_gradients(dhs, cache["caches"][0]), rtol=0, atol=0)
    # the same loop as backward: one step before the first, delta_0 would be dL/dh0
    _, dh0, _ = layer.backward(dhs, cache)
    c1 = CELLS["lstm"].cell_states(cache["caches"][0])[:, 0] if cell == "lstm" else None  # held fixed
    _, tail_cache = layer.forward(x[:, 1:], params, mask=None if mask is None else mask[:, 1:], h0=hs[:, 0], c0=c1)
    _, dh_tail, _ = layer.backward(dhs[:, 1:], tail_cache)
    np.testing.assert_allclose(deltas[:, 0], dhs[:, 0] + dh_tail, rtol=1e-12, atol=1e-14)
    assert dh0.shape == h0.shape


def test_recurrent_state_gradients_only_for_one_layer_and_one_direction(rng):
    for layer in (Recurrent("rnn", 2, 3, num_layers=2), Recurrent("gru", 2, 3, bidirectional=True)):
        hs, cache = layer.forward(rng.standard_normal((1, 2, 2)), layer.init(rng))
        with pytest.raises(ValueError, match=r"state_gradients needs a layer of one layer and one direction; got Rec"):
            layer.state_gradients(np.zeros_like(hs), cache)
    layer = Recurrent("lstm", 2, 3)
    hs, cache = layer.forward(rng.standard_normal((1, 2, 2)), layer.init(rng))
    with pytest.raises(
        ValueError, match=r"dhs must have shape \(N=1, T=2, 3\) \(set by the forward pass\); got \(1, 3, 3\)"
    ):
        layer.state_gradients(np.zeros((1, 3, 3)), cache)
    with pytest.raises(TypeError, match="cache must be the cache returned by Recurrent.forward; got dict"):
        layer.state_gradients(hs, {"hs": hs})


@pytest.mark.parametrize("how", ["copy", "deepcopy", "pickle"])
def test_recurrent_grads_survive_copy_deepcopy_and_pickle_with_dc0(rng, how):
    import copy
    import pickle

    layer = Recurrent("lstm", 2, 3)
    params = layer.init(rng)
    x = rng.standard_normal((2, 5, 2))
    hs, cache = layer.forward(x, params, c0=np.zeros((2, 3)))
    out = layer.backward(np.ones_like(hs), cache)
    again = {"copy": copy.copy, "deepcopy": copy.deepcopy, "pickle": lambda g: pickle.loads(pickle.dumps(g))}[how](out)
    assert type(again) is type(out) and len(again) == 3
    dx, dh0, grads = again
    np.testing.assert_array_equal(dx, out.dx)
    np.testing.assert_array_equal(dh0, out.dh0)
    assert grads.keys() == out.grads.keys()
    np.testing.assert_array_equal(again.dc0, out.dc0)


def test_recurrent_checks_the_activation_when_built(rng):
    from rnnlib.charlm import CharLM

    with pytest.raises(
        ValueError, match=r"activation must be one of \['linear', 'relu', 'sigmoid', 'tanh'\]; got 'gelu'"
    ):
        Recurrent("rnn", 2, 3, activation="gelu")
    with pytest.raises(ValueError, match=r"activation must be one of .*; got 'gelu'"):
        CharLM(5, 3, rng, activation="gelu")
    for cell in ("lstm", "gru"):  # their gates fix their nonlinearities: another activation would be ignored
        with pytest.raises(
            ValueError,
            match=rf"activation applies only to cell='rnn'; the {cell} cell has its own gates, so leave it at 'tanh' "
            r"\(got activation='relu'\)",
        ):
            Recurrent(cell, 2, 3, activation="relu")
    assert Recurrent("lstm", 2, 3).activation == "tanh"
