"""BPTT spelled out: the path-sum reference, BPTT(k), chunked truncated BPTT and cache sizes."""

import math
import warnings

import numpy as np
import pytest

from rnnlib import (
    binary_cross_entropy,
    check_gradients,
    last_step_affine_backward,
    last_step_affine_forward,
    numerical_gradient,
    numerical_gradient_array,
    rel_error,
    rnn_backward,
    rnn_forward,
    rnn_state_gradients,
)
from rnnlib.bptt import WEIGHT_KEYS, cache_nbytes, rnn_backward_truncated, scalar_bptt, truncated_bptt

# a three-step scalar example with round numbers
EXAMPLE = {"x": [1.0, 2.0, 3.0], "y": 1.0, "W_xh": 0.5, "W_hh": -1.0, "b_h": 0.1, "W_hy": 2.0, "b_y": -0.3}


def library_grads(x, y, W_xh, W_hh, b_h, W_hy, b_y, h0=0.0):
    """The same scalar model through rnnlib's layers: loss and the five gradients (and dh0)."""
    P = {
        "W_xh": np.array([[W_xh]]),
        "W_hh": np.array([[W_hh]]),
        "b_h": np.array([b_h]),
        "W_hy": np.array([[W_hy]]),
        "b_y": np.array([b_y]),
    }
    xs = np.array(x, dtype=np.float64).reshape(1, -1, 1)
    h_0 = np.array([[h0]])
    hs, cache = rnn_forward(xs, h_0, P["W_xh"], P["W_hh"], P["b_h"])
    scores, out_cache = last_step_affine_forward(hs, P["W_hy"], P["b_y"])
    loss, dz = binary_cross_entropy(scores[:, 0], np.array([y]))
    dhs, dW_hy, db_y = last_step_affine_backward(dz[:, None], out_cache)
    _, dh0, dW_xh, dW_hh, db_h = rnn_backward(dhs, cache)
    deltas = rnn_state_gradients(dhs, cache)
    grads = {"W_xh": dW_xh, "W_hh": dW_hh, "b_h": db_h, "W_hy": dW_hy, "b_y": db_y}
    return loss, {k: float(v.item()) for k, v in grads.items()}, float(dh0.item()), deltas[0, :, 0]


# ---------------------------------------------------------------------------
# scalar_bptt
# ---------------------------------------------------------------------------


def test_scalar_example_pinned_values():
    r = scalar_bptt(**EXAMPLE)
    assert r.T == 3
    # forward values follow from the definitions, step by step
    a1 = 0.5 * 1 + 0.1
    a2 = 0.5 * 2 - math.tanh(a1) + 0.1
    a3 = 0.5 * 3 - math.tanh(a2) + 0.1
    assert r.a[1:] == pytest.approx((a1, a2, a3), abs=1e-15)
    assert math.isnan(r.a[0])
    assert r.h == pytest.approx((0.0, 0.5370495669980353, 0.5101632506598711, 0.7968185523743572), abs=1e-12)
    z = 2.0 * r.h[3] - 0.3
    assert r.z == pytest.approx(z, abs=1e-15)
    assert r.y_hat == pytest.approx(1 / (1 + math.exp(-z)), abs=1e-15)
    assert r.loss == pytest.approx(-math.log(r.y_hat), abs=1e-14)
    assert r.dz == pytest.approx(r.y_hat - 1.0, abs=1e-15)
    # pinned path terms: 40-digit mpmath derivatives of the loss with respect to a separate
    # copy of the weight at each step (the "copies" view of chapter 4), rounded
    assert r.paths["W_xh"] == pytest.approx((-0.0827245669089667, 0.2325102645371849, -0.4714744117447538), abs=1e-13)
    assert r.paths["W_hh"] == pytest.approx((0.0, 0.0624347684461469, -0.0801763061662180), abs=1e-13)
    assert r.grads["W_xh"] == pytest.approx(-0.3216887141165356, abs=1e-13)
    assert r.grads["W_hh"] == pytest.approx(-0.0177415377200711, abs=1e-13)
    assert r.grads["b_y"] == pytest.approx(r.y_hat - 1, abs=1e-15)
    # with h_0 = 0 the path of W_hh through a_1 is exactly zero (and not -0.0)
    assert math.copysign(1.0, r.paths["W_hh"][0]) == 1.0


def test_paths_written_out_by_hand_for_three_steps():
    r = scalar_bptt(**EXAMPLE)
    h, d3 = r.h, r.dz * EXAMPLE["W_hy"]
    w = EXAMPLE["W_hh"]
    x = EXAMPLE["x"]
    via3 = d3 * (1 - h[3] ** 2) * x[2]
    via2 = d3 * (1 - h[3] ** 2) * w * (1 - h[2] ** 2) * x[1]
    via1 = d3 * (1 - h[3] ** 2) * w * (1 - h[2] ** 2) * w * (1 - h[1] ** 2) * x[0]
    assert r.paths["W_xh"] == pytest.approx((via1, via2, via3), rel=1e-14)
    assert r.paths["b_h"] == pytest.approx((via1 / x[0], via2 / x[1], via3 / x[2]), rel=1e-14)
    assert r.paths["W_hy"] == pytest.approx((r.dz * h[3],), rel=1e-14)
    assert r.delta[3] == pytest.approx(d3, rel=1e-14)


@pytest.mark.parametrize("T", [1, 2, 3, 7])
@pytest.mark.parametrize("h0", [0.0, -0.4])
def test_path_sum_equals_rnnlib_bptt(T, h0):
    rng = np.random.default_rng(T)
    x = rng.standard_normal(T).tolist()
    params = dict(zip(("W_xh", "W_hh", "b_h", "W_hy", "b_y"), rng.standard_normal(5).tolist()))
    y = float(rng.integers(2))
    r = scalar_bptt(x, y, **params, h0=h0)
    loss, grads, dh0, deltas = library_grads(x, y, **params, h0=h0)
    assert r.loss == pytest.approx(loss, rel=1e-13)
    for name in params:
        assert len(r.paths[name]) == (T if name in ("W_xh", "W_hh", "b_h") else 1)
        assert r.grads[name] == pytest.approx(grads[name], rel=1e-11, abs=1e-15), name
    assert r.delta[1:] == pytest.approx(deltas.tolist(), rel=1e-11)
    assert r.delta[0] * 1.0 == pytest.approx(dh0, rel=1e-11, abs=1e-15)


def test_path_sum_against_finite_differences():
    params = {k: np.array([v], dtype=np.float64) for k, v in EXAMPLE.items() if k not in ("x", "y")}
    x0 = np.array([0.0])

    def loss() -> float:
        return scalar_bptt(EXAMPLE["x"], EXAMPLE["y"], **{k: float(v[0]) for k, v in params.items()}, h0=x0[0]).loss

    r = scalar_bptt(**EXAMPLE)
    for name, arr in params.items():
        num = numerical_gradient(loss, arr)
        assert rel_error(num, np.array([r.grads[name]])) < 1e-7, name
    assert rel_error(numerical_gradient(loss, x0), np.array([r.delta[0]])) < 1e-7


def test_extreme_logits_stay_finite_and_warning_free():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        big = scalar_bptt([1.0, 1.0], 0.0, 3.0, 0.5, 2.0, 1000.0, 0.0)  # z ~ +1000, y = 0: confidently wrong
        small = scalar_bptt([1.0, 1.0], 1.0, 3.0, 0.5, 2.0, -1000.0, 0.0)
    assert big.y_hat == 1.0 and big.loss == pytest.approx(big.z, rel=1e-12) and big.dz == 1.0
    assert small.y_hat == pytest.approx(0.0, abs=1e-300) and small.loss == pytest.approx(-small.z, rel=1e-12)
    assert small.dz == pytest.approx(-1.0)


def test_scalar_bptt_accepts_numpy_inputs():
    r = scalar_bptt(np.array([1.0, 2.0, 3.0]), np.float64(1.0), np.float64(0.5), -1, 0.1, 2, -0.3)
    assert r.grads == pytest.approx(scalar_bptt(**EXAMPLE).grads, rel=1e-15)


def test_scalar_bptt_errors():
    with pytest.raises(ValueError, match="x must hold at least one time step; got an empty sequence"):
        scalar_bptt([], 1.0, 0.5, -1.0, 0.1, 2.0, -0.3)
    with pytest.raises(TypeError, match="x must be a list of T real numbers; got str"):
        scalar_bptt("123", 1.0, 0.5, -1.0, 0.1, 2.0, -0.3)
    with pytest.raises(TypeError, match=r"x\[1\] must be a real number; got str"):
        scalar_bptt([1.0, "2"], 1.0, 0.5, -1.0, 0.1, 2.0, -0.3)
    with pytest.raises(ValueError, match=r"y must be a target in \[0, 1\]; got 2.0"):
        scalar_bptt([1.0], 2.0, 0.5, -1.0, 0.1, 2.0, -0.3)
    with pytest.raises(ValueError, match="W_hh must be finite; got nan"):
        scalar_bptt([1.0], 1.0, 0.5, math.nan, 0.1, 2.0, -0.3)
    with pytest.raises(TypeError, match="b_y must be a real number; got bool"):
        scalar_bptt([1.0], 1.0, 0.5, -1.0, 0.1, 2.0, True)


# ---------------------------------------------------------------------------
# rnn_backward_truncated
# ---------------------------------------------------------------------------


def problem(rng, N=3, T=6, D=4, H=5, scale=0.6):
    return (
        rng.standard_normal((N, T, D)),
        rng.standard_normal((N, H)),
        scale * rng.standard_normal((D, H)),
        scale * rng.standard_normal((H, H)),
        rng.standard_normal(H),
    )


MASK = np.array([[1, 1, 1, 1, 1, 1], [1, 1, 1, 1, 0, 0], [1, 1, 0, 0, 0, 0]], bool)


def windowed_objective(x, h0, Wx, Wh, b, dhs, k, hs_const, mask=None):
    """sum_s dhs_s . h_s where h_s is recomputed from the state k steps earlier, held constant:
    an independent definition of BPTT(k), differentiated numerically below."""

    def f() -> float:
        total = 0.0
        T = x.shape[1]
        for s in range(T):
            lo = max(s - k + 1, 0)
            start = h0 if lo == 0 else hs_const[:, lo - 1]
            m = None if mask is None else mask[:, lo : s + 1]
            hs, _ = rnn_forward(x[:, lo : s + 1], start, Wx, Wh, b, m)
            total += float(np.sum(hs[:, -1] * dhs[:, s]))
        return total

    return f


@pytest.mark.parametrize("k", [1, 2, 4])
@pytest.mark.parametrize("masked", [False, True])
def test_truncated_matches_the_windowed_objective(rng, k, masked):
    x, h0, Wx, Wh, b = problem(rng)
    mask = MASK if masked else None
    hs, cache = rnn_forward(x, h0, Wx, Wh, b, mask)
    dhs = rng.standard_normal(hs.shape)
    grads = rnn_backward_truncated(dhs, cache, k)
    f = windowed_objective(x, h0, Wx, Wh, b, dhs, k, hs.copy(), mask)
    names = ("x", "h0", "W_xh", "W_hh", "b_h")
    check_gradients(f, dict(zip(names, (x, h0, Wx, Wh, b))), dict(zip(names, grads)))


@pytest.mark.parametrize("k", [1, 3])
def test_truncated_many_to_one_with_different_lengths(rng, k):
    # each sequence has its only output at its own last real step: different rows, different steps
    x, h0, Wx, Wh, b = problem(rng)
    hs, cache = rnn_forward(x, h0, Wx, Wh, b, MASK)
    last = MASK.sum(axis=1) - 1
    dhs = np.zeros_like(hs)
    dhs[np.arange(3), last] = rng.standard_normal((3, hs.shape[2]))
    grads = rnn_backward_truncated(dhs, cache, k)
    f = windowed_objective(x, h0, Wx, Wh, b, dhs, k, hs.copy(), MASK)
    names = ("x", "h0", "W_xh", "W_hh", "b_h")
    check_gradients(f, dict(zip(names, (x, h0, Wx, Wh, b))), dict(zip(names, grads)))
    # h0 is reached only by sequences no longer than k: here the one of length 2, once k >= 2
    assert grads[1][2].any() == (k >= 2) and not grads[1][:2].any()


@pytest.mark.parametrize("masked", [False, True])
def test_truncation_at_or_beyond_T_is_full_bptt(rng, masked):
    x, h0, Wx, Wh, b = problem(rng)
    hs, cache = rnn_forward(x, h0, Wx, Wh, b, MASK if masked else None)
    dhs = rng.standard_normal(hs.shape)
    full = rnn_backward(dhs, cache)
    for k in (6, 50):
        for a, g in zip(full, rnn_backward_truncated(dhs, cache, k)):
            np.testing.assert_allclose(g, a, rtol=1e-12, atol=1e-14)
    short = rnn_backward_truncated(dhs, cache, 5)
    assert rel_error(short[3], full[3]) > 1e-6  # k = T - 1 really drops something


def test_truncation_of_a_many_to_one_gradient_keeps_the_last_k_paths():
    r = scalar_bptt(**EXAMPLE)
    xs = np.array(EXAMPLE["x"]).reshape(1, 3, 1)
    hs, cache = rnn_forward(xs, np.zeros((1, 1)), np.array([[0.5]]), np.array([[-1.0]]), np.array([0.1]))
    dhs = np.zeros_like(hs)
    dhs[0, -1, 0] = r.delta[3]
    for k in (1, 2, 3):
        _, dh0, dW_xh, dW_hh, db_h = rnn_backward_truncated(dhs, cache, k)
        assert dW_xh.item() == pytest.approx(sum(r.paths["W_xh"][3 - k :]), rel=1e-13)
        assert dW_hh.item() == pytest.approx(sum(r.paths["W_hh"][3 - k :]), rel=1e-13)
        assert db_h.item() == pytest.approx(sum(r.paths["b_h"][3 - k :]), rel=1e-13)
        assert dh0.item() == (pytest.approx(r.delta[0], rel=1e-13) if k == 3 else 0.0)


def test_truncated_edge_cases(rng):
    # T = 1 and a batch of one: k = 1 is already the whole graph
    x, h0, Wx, Wh, b = problem(rng, N=1, T=1)
    hs, cache = rnn_forward(x, h0, Wx, Wh, b)
    dhs = rng.standard_normal(hs.shape)
    for a, g in zip(rnn_backward(dhs, cache), rnn_backward_truncated(dhs, cache, 1)):
        np.testing.assert_allclose(g, a, rtol=1e-13, atol=1e-15)
    # all-zero upstream gradient: all-zero result
    assert all(not g.any() for g in rnn_backward_truncated(np.zeros_like(hs), cache, 1))


def test_truncated_errors(rng):
    x, h0, Wx, Wh, b = problem(rng)
    hs, cache = rnn_forward(x, h0, Wx, Wh, b)
    with pytest.raises(ValueError, match="k must be a positive int; got 0"):
        rnn_backward_truncated(np.zeros_like(hs), cache, 0)
    with pytest.raises(TypeError, match="k must be a positive int; got float"):
        rnn_backward_truncated(np.zeros_like(hs), cache, 2.0)
    with pytest.raises(ValueError, match=r"dhs must have shape \(3, 6, 5\); got \(3, 5, 5\)"):
        rnn_backward_truncated(np.zeros((3, 5, 5)), cache, 2)


# ---------------------------------------------------------------------------
# truncated_bptt (chunks, state carried forward)
# ---------------------------------------------------------------------------


def linear_chunk_loss(G):
    """L = sum_t G_t . h_t, chunk by chunk."""
    return lambda hs, start: (float(np.sum(hs * G[:, start : start + hs.shape[1]])), G[:, start : start + hs.shape[1]])


@pytest.mark.parametrize("masked", [False, True])
def test_one_chunk_is_full_bptt(rng, masked):
    x, h0, Wx, Wh, b = problem(rng)
    mask = MASK if masked else None
    hs, cache = rnn_forward(x, h0, Wx, Wh, b, mask)
    G = rng.standard_normal(hs.shape)
    loss, grads, h_last, peak = truncated_bptt(x, h0, Wx, Wh, b, 6, linear_chunk_loss(G), mask)
    full = rnn_backward(G, cache)
    for a, g in zip(full[2:], grads):
        np.testing.assert_allclose(g, a, rtol=1e-12, atol=1e-14)
    assert loss == pytest.approx(float(np.sum(hs * G)), rel=1e-12)
    np.testing.assert_array_equal(h_last, hs[:, -1])
    assert peak == cache_nbytes(cache, exclude=WEIGHT_KEYS)


@pytest.mark.parametrize(("k", "masked"), [(1, False), (2, False), (4, True), (5, False)])
def test_chunks_cut_the_gradient_at_their_boundaries(rng, k, masked):
    x, h0, Wx, Wh, b = problem(rng)
    mask = MASK if masked else None
    hs_full, _ = rnn_forward(x, h0, Wx, Wh, b, mask)
    hs_const = hs_full.copy()
    G = rng.standard_normal(hs_full.shape)
    _, grads, h_last, _ = truncated_bptt(x, h0, Wx, Wh, b, k, linear_chunk_loss(G), mask)
    np.testing.assert_allclose(h_last, hs_full[:, -1], rtol=0, atol=1e-15)  # the state is carried exactly

    def detached() -> float:  # every chunk starts from a constant: the state before it, or h0
        total = 0.0
        for start in range(0, 6, k):
            h = h0 if start == 0 else hs_const[:, start - 1]
            m = None if mask is None else mask[:, start : start + k]
            hs, _ = rnn_forward(x[:, start : start + k], h, Wx, Wh, b, m)
            total += float(np.sum(hs * G[:, start : start + k]))
        return total

    check_gradients(detached, {"W_xh": Wx, "W_hh": Wh, "b_h": b}, dict(zip(("W_xh", "W_hh", "b_h"), grads)))


def test_chunked_many_to_one_equals_bptt_k(rng):
    # a loss on the last step only: chunks of k (T divisible by k) give BPTT(k)
    x, h0, Wx, Wh, b = problem(rng)
    hs, cache = rnn_forward(x, h0, Wx, Wh, b)
    G = np.zeros_like(hs)
    G[:, -1] = rng.standard_normal(G[:, -1].shape)
    for k in (1, 2, 3, 6):
        _, grads, _, _ = truncated_bptt(x, h0, Wx, Wh, b, k, linear_chunk_loss(G))
        want = rnn_backward_truncated(G, cache, k)
        for a, g in zip(want[2:], grads):
            np.testing.assert_allclose(g, a, rtol=1e-12, atol=1e-14)


def test_peak_memory_grows_with_the_chunk_not_with_T(rng):
    N, D, H = 2, 3, 4
    Wx, Wh, b = rng.standard_normal((D, H)), rng.standard_normal((H, H)), np.zeros(H)
    h0 = np.zeros((N, H))
    zero_loss = lambda hs, start: (0.0, np.zeros_like(hs))  # noqa: E731
    peaks = {}
    for T in (20, 40, 80):
        x = rng.standard_normal((N, T, D))
        peaks[T] = truncated_bptt(x, h0, Wx, Wh, b, 10, zero_loss)[3]
    assert peaks[20] == peaks[40] == peaks[80]
    # a chunk's inputs and states, and its first state; not the weights, which exist anyway
    assert peaks[20] == N * 10 * (D + H) * 8 + N * H * 8


def test_truncated_bptt_errors(rng):
    x, h0, Wx, Wh, b = problem(rng)
    G = np.zeros((3, 6, 5))
    with pytest.raises(ValueError, match="chunk_length must be a positive int; got 0"):
        truncated_bptt(x, h0, Wx, Wh, b, 0, linear_chunk_loss(G))
    with pytest.raises(TypeError, match=r"chunk_loss must be a function chunk_loss\(hs_chunk, start\)"):
        truncated_bptt(x, h0, Wx, Wh, b, 2, G)
    with pytest.raises(ValueError, match=r"the dhs_chunk returned by chunk_loss must have shape \(3, 2, 5\)"):
        truncated_bptt(x, h0, Wx, Wh, b, 2, lambda hs, s: (0.0, np.zeros((3, 2, 4))))
    with pytest.raises(ValueError, match=r"h0 must have shape \(N=3, H\)"):
        truncated_bptt(x, h0[:2], Wx, Wh, b, 2, linear_chunk_loss(G))


# ---------------------------------------------------------------------------
# cache_nbytes
# ---------------------------------------------------------------------------


def test_cache_grows_linearly_in_T(rng):
    N, D, H = 4, 3, 5
    Wx, Wh, b, h0 = rng.standard_normal((D, H)), rng.standard_normal((H, H)), np.zeros(H), np.zeros((N, H))
    sizes = {}
    for T in (10, 20, 40):
        _, cache = rnn_forward(rng.standard_normal((N, T, D)), h0, Wx, Wh, b)
        sizes[T] = cache_nbytes(cache)
    per_step = N * (D + H) * 8  # x_t and h_t for every step, float64
    assert sizes[20] - sizes[10] == 10 * per_step
    assert sizes[40] - sizes[20] == 20 * per_step
    assert sizes[10] == 10 * per_step + (N * H + D * H + H * H) * 8  # plus h0 and the two matrices


def test_cache_nbytes_can_leave_out_the_weights(rng):
    N, T, D, H = 3, 7, 2, 5
    Wx, Wh = rng.standard_normal((D, H)), rng.standard_normal((H, H))
    _, cache = rnn_forward(rng.standard_normal((N, T, D)), np.zeros((N, H)), Wx, Wh, np.zeros(H))
    assert WEIGHT_KEYS == ("W_xh", "W_hh")
    assert cache_nbytes(cache, exclude=WEIGHT_KEYS) == 8 * (N * T * D + N * T * H + N * H)  # x, hs, h0
    assert cache_nbytes(cache) - cache_nbytes(cache, exclude=WEIGHT_KEYS) == 8 * (D * H + H * H)
    assert cache_nbytes(cache, exclude=("no such key",)) == cache_nbytes(cache)
    assert cache_nbytes([Wx, Wh], exclude=WEIGHT_KEYS) == 8 * (D * H + H * H)  # only dict keys are excluded
    with pytest.raises(TypeError, match="exclude must be a tuple of cache keys"):
        cache_nbytes(cache, exclude="W_xh")


def test_cache_nbytes_counts_shared_arrays_once():
    a = np.zeros(10)  # 80 bytes
    assert cache_nbytes({"a": a, "again": a, "nested": [a, (np.zeros(3, dtype=np.float32), "text", None)]}) == 92
    assert cache_nbytes({}) == 0
    with pytest.raises(TypeError, match="cache must be a dict"):
        cache_nbytes(np.zeros(3))


def test_numerical_gradient_helper_sanity():
    # the windowed objective above must really depend on k, or the truncation tests could not fail
    rng = np.random.default_rng(5)
    x, h0, Wx, Wh, b = problem(rng)
    hs, _ = rnn_forward(x, h0, Wx, Wh, b)
    dhs = rng.standard_normal(hs.shape)
    g1 = numerical_gradient(windowed_objective(x, h0, Wx, Wh, b, dhs, 1, hs.copy()), Wh)
    g6 = numerical_gradient_array(lambda: rnn_forward(x, h0, Wx, Wh, b)[0], Wh, dhs)
    assert rel_error(g1, g6) > 1e-3
