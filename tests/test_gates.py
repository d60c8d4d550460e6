import numpy as np
import pytest

from rnnlib._fast import gate_blocks, gate_weight_grads


@pytest.mark.parametrize("G", [1, 3, 4])
def test_gate_blocks_give_each_gate_its_columns(rng, G):
    K, H, N = 5, 3, 2
    W = rng.standard_normal((K, G * H))
    h = rng.standard_normal((N, K))
    blocks = gate_blocks(W, G)
    assert blocks.shape == (G, K, H) and blocks.flags.c_contiguous
    packed = h @ W
    for k, out in enumerate(h @ blocks):
        np.testing.assert_allclose(out, packed[:, k * H : (k + 1) * H], rtol=1e-14)


def test_gate_weight_grads_match_per_step_sums(rng):
    N, T, D, H, G = 2, 4, 3, 2, 3
    x = rng.standard_normal((N, T, D))
    W_x = rng.standard_normal((D, G * H))
    h0 = rng.standard_normal((N, H))
    hs = rng.standard_normal((T, N, H))  # time-major
    d_in, d_rec = rng.standard_normal((2, T, N, G * H))
    dx, dW_x, dW_h = gate_weight_grads(x, W_x, h0, hs, d_in, d_rec)
    h_prev = [h0] + [hs[t - 1] for t in range(1, T)]
    np.testing.assert_allclose(dW_h, sum(h_prev[t].T @ d_rec[t] for t in range(T)), rtol=1e-12)
    np.testing.assert_allclose(dW_x, sum(x[:, t].T @ d_in[t] for t in range(T)), rtol=1e-12)
    np.testing.assert_allclose(dx, np.stack([d_in[t] @ W_x.T for t in range(T)], axis=1), rtol=1e-12)
    # one step: no earlier state but h0
    _, _, dW_h1 = gate_weight_grads(x[:, :1], W_x, h0, hs[:1], d_in[:1], d_rec[:1])
    np.testing.assert_allclose(dW_h1, h0.T @ d_rec[0], rtol=1e-12)
