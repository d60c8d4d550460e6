"""Packed gate weights, split into one block per gate (used by the LSTM and the GRU).

The public weights pack G gates side by side, W of shape (K, G*H), because that is
how the equations and PyTorch write them.  Inside the time loop it is faster to give
every gate its own contiguous (N, H) block, so the recurrent product is taken against
the (G, K, H) stack of blocks: ``h @ gate_blocks(W, G)`` has shape (G, N, H) and its
block k equals ``(h @ W)[:, k*H:(k+1)*H]``.
"""

from __future__ import annotations

import numpy as np


def gate_blocks(W: np.ndarray, G: int) -> np.ndarray:
    """(K, G*H) packed weights -> contiguous (G, K, H) stack of the G gates' blocks."""
    K, GH = W.shape
    assert GH % G == 0, (W.shape, G)  # internal: callers have checked the shapes
    return np.ascontiguousarray(W.reshape(K, G, GH // G).transpose(1, 0, 2))


def gate_weight_grads(
    x: np.ndarray, W_x: np.ndarray, h0: np.ndarray, hs: np.ndarray, d_in: np.ndarray, d_rec: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The gradients a gated layer takes as single products over all steps, after its loop.

    x (N, T, D) batch-first input; W_x (D, G*H); h0 (N, H); hs (T, N, H) time-major states;
    d_in, d_rec (T, N, G*H) time-major: dL/d(input term x_t W_x) and dL/d(recurrent term
    h_{t-1} W_h), the same array for the LSTM.  Returns dx (N, T, D), dW_x (D, G*H) and
    dW_h (H, G*H).
    """
    T, N, H = hs.shape
    D, GH = W_x.shape
    dx = (d_in.reshape(T * N, GH) @ W_x.T).reshape(T, N, D).transpose(1, 0, 2)
    dW_x = x.transpose(1, 0, 2).reshape(T * N, D).T @ d_in.reshape(T * N, GH)
    # step t read h_{t-1}: h0 at the first step, then hs shifted by one (no concatenated copy)
    dW_h = h0.T @ d_rec[0] + hs[:-1].reshape(-1, H).T @ d_rec[1:].reshape(-1, GH)
    return dx, dW_x, dW_h
