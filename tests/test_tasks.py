"""Long-range tasks: the adding problem and the copy task, their exact baselines, and the regressor."""

import numpy as np
import pytest

from rnnlib import Adam, check_gradients, fit, numerical_gradient, rel_error, rnn_forward, softmax_cross_entropy
from rnnlib.tasks import (
    COPY_BLANK,
    ManyToOneRegressor,
    adding_baseline_mse,
    adding_problem,
    copy_baseline_loss,
    copy_task,
    repeated_motif,
)

ACTS = ["tanh", "relu", "sigmoid", "linear"]

# ---------------------------------------------------------------- the adding problem


def test_adding_problem_pinned_output():
    x, y = adding_problem(2, 4, np.random.default_rng(0))
    u = np.random.default_rng(0).random((2, 4))  # the generator draws the numbers first
    np.testing.assert_array_equal(x[..., 0], u)
    marked = x[..., 1].astype(bool)
    np.testing.assert_allclose(y, [u[0][marked[0]].sum(), u[1][marked[1]].sum()])
    np.testing.assert_allclose(y, [0.28631435, 1.64225214], atol=1e-8)
    np.testing.assert_array_equal(x[..., 1], [[0, 1, 0, 1], [0, 1, 0, 1]])


@pytest.mark.parametrize("T", [2, 3, 7, 50])
def test_adding_problem_structure(T):
    x, y = adding_problem(500, T, np.random.default_rng(T))
    assert x.shape == (500, T, 2) and y.shape == (500,) and x.dtype == y.dtype == np.float64
    markers = x[..., 1]
    assert set(np.unique(markers)) <= {0.0, 1.0}
    np.testing.assert_array_equal(markers.sum(axis=1), 2)
    np.testing.assert_array_equal(markers[:, : T // 2].sum(axis=1), 1)  # one in the first half
    np.testing.assert_array_equal(markers[:, T // 2 :].sum(axis=1), 1)  # one in the second half
    assert (x[..., 0] >= 0).all() and (x[..., 0] < 1).all()
    np.testing.assert_allclose(y, (x[..., 0] * markers).sum(axis=1), rtol=1e-15)


def test_adding_problem_with_two_steps_marks_both():
    x, _ = adding_problem(3, 2, np.random.default_rng(0))
    np.testing.assert_array_equal(x[..., 1], np.ones((3, 2)))


def test_adding_problem_is_reproducible_and_takes_a_dtype():
    a = adding_problem(5, 6, np.random.default_rng(1))
    b = adding_problem(5, 6, np.random.default_rng(1))
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    x, y = adding_problem(1, 6, np.random.default_rng(1), dtype=np.float32)
    assert x.dtype == y.dtype == np.float32 and x.shape == (1, 6, 2)


def test_adding_problem_errors():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="T must be at least 2 so that two different steps can be marked; got 1"):
        adding_problem(4, 1, rng)
    with pytest.raises(ValueError, match="num_sequences must be a positive int; got 0"):
        adding_problem(0, 5, rng)
    with pytest.raises(TypeError, match="T must be a positive int; got float"):
        adding_problem(4, 5.0, rng)
    with pytest.raises(TypeError, match="rng must be a numpy Generator"):
        adding_problem(4, 5, 0)
    with pytest.raises(TypeError, match="dtype must be a floating type such as np.float64"):
        adding_problem(4, 5, rng, dtype=np.int64)


def test_adding_baselines_exact():
    assert adding_baseline_mse() == pytest.approx(1 / 6, abs=1e-15)
    assert adding_baseline_mse(1) == pytest.approx(1 / 12, abs=1e-15)
    assert adding_baseline_mse(2) == 0.0


def test_adding_baselines_match_simulation():
    x, y = adding_problem(200_000, 10, np.random.default_rng(0))
    # the best constant is the mean, 1 ...
    assert y.mean() == pytest.approx(1.0, abs=5e-3)
    assert np.mean((1.0 - y) ** 2) == pytest.approx(adding_baseline_mse(0), abs=3e-3)
    # ... and keeping only the second (recent) number leaves the variance of the first
    second = (x[:, 5:, 0] * x[:, 5:, 1]).sum(axis=1)
    assert np.mean((second + 0.5 - y) ** 2) == pytest.approx(adding_baseline_mse(1), abs=2e-3)
    assert np.mean((second + 0.5 - y) ** 2) < np.mean((1.0 - y) ** 2)


@pytest.mark.parametrize("bad", [3, -1, True, 1.0, "one"])
def test_adding_baseline_errors(bad):
    with pytest.raises(ValueError, match="remembered must be 0, 1 or 2"):
        adding_baseline_mse(bad)


# ---------------------------------------------------------------- the copy task


def test_copy_task_pinned_output():
    inputs, targets = copy_task(1, 3, np.random.default_rng(0), num_symbols=4, length=2)
    symbols = np.random.default_rng(0).integers(1, 5, size=(1, 2))
    s1, s2 = symbols[0]
    np.testing.assert_array_equal(inputs, [[s1, s2, 0, 0, 5, 0, 0]])
    np.testing.assert_array_equal(targets, [[0, 0, 0, 0, 0, s1, s2]])


@pytest.mark.parametrize(("T", "K", "L"), [(1, 8, 10), (5, 3, 1), (20, 8, 10)])
def test_copy_task_structure(T, K, L):
    inputs, targets = copy_task(300, T, np.random.default_rng(T), num_symbols=K, length=L)
    assert inputs.shape == targets.shape == (300, T + 2 * L)
    assert inputs.dtype == targets.dtype == np.int64
    symbols = inputs[:, :L]
    assert symbols.min() >= 1 and symbols.max() <= K
    np.testing.assert_array_equal(inputs[:, L : L + T - 1], COPY_BLANK)
    np.testing.assert_array_equal(inputs[:, L + T - 1], K + 1)  # the delimiter, last step of the delay
    np.testing.assert_array_equal(inputs[:, L + T :], COPY_BLANK)
    np.testing.assert_array_equal(targets[:, : L + T], COPY_BLANK)
    np.testing.assert_array_equal(targets[:, L + T :], symbols)
    if K > 1:
        assert len(np.unique(symbols)) == K  # every symbol used


def test_copy_task_errors():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="T must be a positive int; got 0"):
        copy_task(2, 0, rng)
    with pytest.raises(ValueError, match="num_symbols must be a positive int; got 0"):
        copy_task(2, 3, rng, num_symbols=0)
    with pytest.raises(ValueError, match="length must be a positive int; got -2"):
        copy_task(2, 3, rng, length=-2)
    with pytest.raises(TypeError, match="rng must be a numpy Generator"):
        copy_task(2, 3, None)


def test_copy_baseline_formula():
    assert copy_baseline_loss(100) == pytest.approx(10 * np.log(8) / 120)
    assert copy_baseline_loss(5, num_symbols=2, length=1) == pytest.approx(np.log(2) / 7)
    assert copy_baseline_loss(1, num_symbols=1, length=3) == 0.0  # one symbol: nothing to remember
    with pytest.raises(ValueError, match="T must be a positive int; got 0"):
        copy_baseline_loss(0)


@pytest.mark.parametrize(("T", "K", "L"), [(1, 8, 10), (30, 4, 3)])
def test_copy_baseline_is_the_loss_of_the_best_memoryless_predictor(T, K, L):
    inputs, targets = copy_task(50, T, np.random.default_rng(0), num_symbols=K, length=L)
    V = K + 2
    scores = np.full((50, T + 2 * L, V), -1e4)  # near-certainty expressed as finite logits
    scores[:, : L + T, COPY_BLANK] = 0.0  # certain of the blanks before and during the delay
    scores[:, L + T :, 1 : K + 1] = 0.0  # uniform over the K symbols when writing
    loss, _ = softmax_cross_entropy(scores, targets)
    assert loss == pytest.approx(copy_baseline_loss(T, K, L), rel=1e-12)


# ---------------------------------------------------------------- the regressor


def test_regressor_pinned_forward():
    m = ManyToOneRegressor(1, 1, np.random.default_rng(0))
    m.params.update(
        W_xh=np.array([[0.5]]),
        W_hh=np.array([[-1.0]]),
        b_h=np.array([0.1]),
        W_hy=np.array([[2.0]]),
        b_y=np.array([0.3]),
    )
    x = np.array([[[1.0], [2.0], [3.0]]])
    h1 = np.tanh(0.6)
    h2 = np.tanh(1.0 - h1 + 0.1)
    h3 = np.tanh(1.5 - h2 + 0.1)
    y_hat, cache = m.forward(x)
    assert y_hat.shape == (1,)
    assert y_hat[0] == pytest.approx(2 * h3 + 0.3, abs=1e-15)
    np.testing.assert_allclose(cache["hs"][0, :, 0], [h1, h2, h3], atol=1e-15)
    loss, _ = m.loss(x, np.array([1.0]))
    assert loss == pytest.approx((2 * h3 + 0.3 - 1.0) ** 2, abs=1e-14)


def test_regressor_init_and_repr():
    m = ManyToOneRegressor(2, 5, np.random.default_rng(0))
    shapes = {k: v.shape for k, v in m.params.items()}
    assert shapes == {"W_xh": (2, 5), "W_hh": (5, 5), "b_h": (5,), "W_hy": (5, 1), "b_y": (1,)}
    assert m.num_parameters() == 10 + 25 + 5 + 5 + 1
    assert repr(m) == "ManyToOneRegressor(input_size=2, hidden_size=5, activation='tanh', parameters=46)"
    big = ManyToOneRegressor(2, 400, np.random.default_rng(0))
    assert np.std(big.params["W_hh"]) == pytest.approx(1 / np.sqrt(400), rel=0.02)  # variance 1/H


@pytest.mark.parametrize("activation", ACTS)
@pytest.mark.parametrize(("N", "T"), [(3, 5), (1, 1), (2, 1), (1, 4)])
def test_regressor_gradients(activation, N, T):
    rng = np.random.default_rng(N * 10 + T)
    m = ManyToOneRegressor(2, 4, rng, activation=activation)
    if activation == "relu":
        m.params["b_h"] += 0.1  # keep pre-activations off the kink
    x, y = rng.standard_normal((N, T, 2)), rng.standard_normal(N)
    loss, grads = m.loss(x, y)
    check_gradients(lambda: m.loss(x, y)[0], m.params, grads)
    num_x = numerical_gradient(lambda: m.loss(x, y)[0], x)
    assert np.abs(num_x).max() > 0  # the input matters, so the deltas below are not trivially zero


@pytest.mark.parametrize("activation", ["tanh", "sigmoid"])
def test_regressor_deltas_are_dL_dh_t(activation):
    # dL/dh_t by finite differences: restart the recurrence from h_t on the remaining inputs
    rng = np.random.default_rng(7)
    m = ManyToOneRegressor(2, 3, rng, activation=activation)
    x, y = rng.standard_normal((2, 5, 2)), rng.standard_normal(2)
    loss, grads, deltas = m.loss(x, y, return_deltas=True)
    assert deltas.shape == (2, 5, 3)
    assert loss == m.loss(x, y)[0]
    p = m.params
    _, cache = m.forward(x)
    for s in range(5):
        h = cache["hs"][:, s].copy()

        def tail_loss(s=s, h=h):
            hs, _ = (
                rnn_forward(x[:, s + 1 :], h, p["W_xh"], p["W_hh"], p["b_h"], activation=activation)
                if s < 4
                else (h[:, None], None)
            )
            y_hat = hs[:, -1] @ p["W_hy"][:, 0] + p["b_y"][0]
            return float(np.mean((y_hat - y) ** 2))

        assert rel_error(numerical_gradient(tail_loss, h), deltas[:, s]) < 1e-7, s


def test_regressor_errors():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match=r"activation must be one of .*; got 'elu'"):
        ManyToOneRegressor(2, 3, rng, activation="elu")
    with pytest.raises(ValueError, match="hidden_size must be a positive int; got 0"):
        ManyToOneRegressor(2, 0, rng)
    with pytest.raises(TypeError, match="rng must be a numpy Generator"):
        ManyToOneRegressor(2, 3, 42)
    m = ManyToOneRegressor(2, 3, rng)
    with pytest.raises(ValueError, match=r"x must have shape \(N, T, 2\); got \(4, 5, 3\)"):
        m.forward(np.zeros((4, 5, 3)))
    with pytest.raises(ValueError, match=r"y must have 1 dimensions, shape \(4,\); got 2 dimensions, shape \(4, 1\)"):
        m.loss(np.zeros((4, 5, 2)), np.zeros((4, 1)))


def test_regressor_learns_a_short_adding_problem():
    rng = np.random.default_rng(0)
    m = ManyToOneRegressor(2, 16, rng)
    x, y = adding_problem(6400, 5, rng)
    x_test, y_test = adding_problem(500, 5, rng)
    fit(m, (x, y), Adam(0.01), rng, epochs=1, batch_size=32, clip_norm=1.0)
    mse = float(np.mean((m.predict(x_test) - y_test) ** 2))
    assert mse < adding_baseline_mse(1) / 4  # it uses both numbers, far below even the one-number baseline


# ---------------------------------------------------------------- the regressor with gated cells (chapter 6)


def _regressor_reference(seed):
    """The chapter 5 regressor's draws, written out: the default must keep them exactly."""
    rng = np.random.default_rng(seed)
    D, H = 2, 6
    W_xh = rng.standard_normal((D, H)) / np.sqrt(D)
    W_hh = rng.standard_normal((H, H)) / np.sqrt(H)
    W_hy = rng.standard_normal((H, 1)) / np.sqrt(H)
    return W_xh, W_hh, W_hy, rng.random()


def test_regressor_default_cell_is_unchanged():
    W_xh, W_hh, W_hy, next_draw = _regressor_reference(11)
    rng = np.random.default_rng(11)
    m = ManyToOneRegressor(2, 6, rng)
    assert m.cell == "rnn" and list(m.params) == ["W_xh", "W_hh", "b_h", "W_hy", "b_y"]
    np.testing.assert_array_equal(m.params["W_xh"], W_xh)
    np.testing.assert_array_equal(m.params["W_hh"], W_hh)
    np.testing.assert_array_equal(m.params["W_hy"], W_hy)
    assert rng.random() == next_draw  # no extra draws
    x = np.random.default_rng(1).standard_normal((3, 4, 2))
    hs, _ = rnn_forward(x, np.zeros((3, 6)), W_xh, W_hh, np.zeros(6))
    np.testing.assert_array_equal(m.predict(x), hs[:, -1] @ W_hy[:, 0])


@pytest.mark.parametrize("cell, names", [("lstm", ["W_x", "W_h", "b"]), ("gru", ["W_x", "W_h", "b", "b_hn"])])
def test_regressor_gated_cells_init_and_repr(cell, names):
    from rnnlib.recurrent import CELLS

    m = ManyToOneRegressor(2, 5, np.random.default_rng(0), cell=cell)
    assert m.cell == cell and list(m.params) == names + ["W_hy", "b_y"]
    ref = CELLS[cell].init(np.random.default_rng(0), 2, 5)  # the same draws as the Recurrent layer's
    for k in names:
        np.testing.assert_array_equal(m.params[k], ref[k])
    blocks = {"lstm": 4, "gru": 3}[cell]
    expected = blocks * (2 * 5 + 5 * 5 + 5) + (5 if cell == "gru" else 0) + 5 + 1
    assert m.num_parameters() == expected
    assert repr(m) == f"ManyToOneRegressor(input_size=2, hidden_size=5, cell={cell!r}, parameters={expected})"


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize(("N", "T"), [(3, 5), (1, 1), (2, 1), (1, 4)])
def test_regressor_gradients_for_every_cell(cell, N, T):
    rng = np.random.default_rng(N * 10 + T)
    m = ManyToOneRegressor(2, 3, rng, cell=cell)
    for k in m.params:  # away from the initial zeros, so that every gate is exercised
        m.params[k] += 0.3 * rng.standard_normal(m.params[k].shape)
    x, y = rng.standard_normal((N, T, 2)), rng.standard_normal(N)
    loss, grads = m.loss(x, y)
    check_gradients(lambda: m.loss(x, y)[0], m.params, grads)
    for k in m.params:
        assert np.abs(grads[k]).max() > 0 or (T == 1 and k in ("W_hh", "W_h")), k  # h_0 = 0 reaches no W_h at T = 1


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_regressor_gated_deltas_are_dL_dh_t(cell):
    # dL/dh_t by finite differences: restart the cell from its state after step t (for the LSTM
    # with the cell state c_t held fixed) and run the remaining inputs
    from rnnlib.gru import gru_forward
    from rnnlib.lstm import lstm_forward

    rng = np.random.default_rng(5)
    m = ManyToOneRegressor(2, 3, rng, cell=cell)
    for k in m.params:
        m.params[k] += 0.3 * rng.standard_normal(m.params[k].shape)
    x, y = rng.standard_normal((2, 5, 2)), rng.standard_normal(2)
    loss, grads, deltas = m.loss(x, y, return_deltas=True)
    assert deltas.shape == (2, 5, 3) and loss == m.loss(x, y)[0]
    p = m.params
    y_hat, cache = m.forward(x)
    inner = cache["rnn"]["caches"][0]
    for s in range(5):
        h = cache["hs"][:, s].copy()

        def tail_loss(s=s, h=h):
            if s == 4:
                h_T = h
            elif cell == "lstm":
                c = inner["cs"][s]  # time-major (T, N, H)
                h_T = lstm_forward(x[:, s + 1 :], h, p["W_x"], p["W_h"], p["b"], c0=c)[0][:, -1]
            else:
                h_T = gru_forward(x[:, s + 1 :], h, p["W_x"], p["W_h"], p["b"], p["b_hn"])[0][:, -1]
            return float(np.mean((h_T @ p["W_hy"][:, 0] + p["b_y"][0] - y) ** 2))

        assert rel_error(numerical_gradient(tail_loss, h), deltas[:, s]) < 1e-7, s


def test_regressor_cell_errors():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match=r"cell must be one of \['gru', 'lstm', 'rnn'\]; got 'transformer'"):
        ManyToOneRegressor(2, 3, rng, cell="transformer")
    with pytest.raises(ValueError, match="activation applies only to cell='rnn'; the lstm cell has its own gates"):
        ManyToOneRegressor(2, 3, rng, activation="relu", cell="lstm")
    m = ManyToOneRegressor(2, 3, rng, cell="gru")
    with pytest.raises(ValueError, match=r"x must have shape \(N, T, 2\); got \(4, 5, 3\)"):
        m.forward(np.zeros((4, 5, 3)))


def test_regressor_float32_stays_float32_with_a_gated_cell():
    rng = np.random.default_rng(0)
    m = ManyToOneRegressor(2, 4, rng, cell="lstm")
    m.params = {k: v.astype(np.float32) for k, v in m.params.items()}
    x, y = adding_problem(3, 6, rng, dtype=np.float32)
    loss, grads, deltas = m.loss(x, y, return_deltas=True)
    assert m.predict(x).dtype == deltas.dtype == np.float32
    assert all(g.dtype == np.float32 for g in grads.values())


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_gated_regressor_learns_a_longer_adding_problem(cell):
    # chapter 6's claim in small: T = 20, 150 updates, far below a tenth of the trivial baseline
    data_rng = np.random.default_rng(0)
    x, y = adding_problem(150 * 64, 20, data_rng)
    x_test, y_test = adding_problem(500, 20, data_rng)
    m = ManyToOneRegressor(2, 16, np.random.default_rng(1), cell=cell)
    fit(m, (x, y), Adam(0.02), np.random.default_rng(2), epochs=1, batch_size=64, clip_norm=1.0)
    assert float(np.mean((m.predict(x_test) - y_test) ** 2)) < adding_baseline_mse(0) / 10


# ---------------------------------------------------------------- the repeated motif (short range)


def test_repeated_motif_pinned_output():
    inputs, targets = repeated_motif(2, 7, np.random.default_rng(0), period=3, num_symbols=5)
    motif = np.random.default_rng(0).integers(0, 5, size=(2, 3))
    np.testing.assert_array_equal(inputs, np.tile(motif, 3)[:, :7])
    np.testing.assert_array_equal(targets, np.tile(motif, 3)[:, 1:8])
    assert inputs.dtype == targets.dtype == np.int64


@pytest.mark.parametrize(("T", "period", "K"), [(3, 3, 2), (20, 3, 8), (10, 1, 4), (12, 5, 3)])
def test_repeated_motif_structure(T, period, K):
    inputs, targets = repeated_motif(200, T, np.random.default_rng(T), period=period, num_symbols=K)
    assert inputs.shape == targets.shape == (200, T)
    assert inputs.min() >= 0 and max(inputs.max(), targets.max()) < K
    np.testing.assert_array_equal(targets[:, :-1], inputs[:, 1:])  # the next symbol
    t = np.arange(period - 1, T)
    np.testing.assert_array_equal(targets[:, t], inputs[:, t - period + 1])  # seen p - 1 steps ago
    assert len(np.unique(inputs[:, 0])) == K  # every symbol is used


def test_repeated_motif_is_reproducible():
    a = repeated_motif(4, 9, np.random.default_rng(3))
    b = repeated_motif(4, 9, np.random.default_rng(3))
    for u, v in zip(a, b):
        np.testing.assert_array_equal(u, v)


def test_repeated_motif_errors():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match=r"T must be at least period \(3\) so that the motif repeats; got 2"):
        repeated_motif(3, 2, rng)
    with pytest.raises(ValueError, match="num_symbols must be at least 2"):
        repeated_motif(3, 5, rng, num_symbols=1)
    with pytest.raises(ValueError, match="period must be a positive int; got 0"):
        repeated_motif(3, 5, rng, period=0)
    with pytest.raises(TypeError, match="rng"):
        repeated_motif(3, 5, 0)
