"""Non-recurrent layers: embedding lookup, affine output at every step, and the
affine output read from the last real step of each sequence.

Batch-first shapes: ids (N, T), x (N, T, D), hs (N, T, H), scores (N, T, V).
Each ``*_forward`` returns ``(out, cache)``; the ``*_backward`` below it returns the
gradients in the order of the forward inputs (integer inputs get none).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from rnnlib._checks import Shapes, check_cache
from rnnlib._types import Array


def embedding_forward(ids: NDArray[np.integer], W: Array) -> tuple[Array, dict[str, Any]]:
    """Look up one row of ``W`` per token id.

    Parameters
    ----------
    ids : ndarray of shape (N, T)
        integers in [0, V)
    W : ndarray of shape (V, D)

    Returns
    -------
    out : ndarray of shape (N, T, D)
        ``out[n, t] = W[ids[n, t]]``
    cache : dict
        for :func:`embedding_backward`
    """
    s = Shapes()
    W = s.floats("W", W, ("V", "D"))
    ids = s.ints("ids", ids, ("N", "T"), high=W.shape[0])
    return W[ids], {"ids": ids, "V": W.shape[0]}


def embedding_backward(dout: Array, cache: dict[str, Any]) -> Array:
    """Gradient of the lookup: each row of ``dW`` sums the gradients of its tokens.

    Parameters
    ----------
    dout : ndarray of shape (N, T, D)

    Returns
    -------
    dW : ndarray of shape (V, D)
    """
    check_cache(cache, "embedding_forward", ("ids", "V"))
    ids = cache["ids"]
    dout = Shapes().floats("dout", dout, (*ids.shape, "D"))
    dW = np.zeros((cache["V"], dout.shape[2]), dtype=dout.dtype)
    np.add.at(dW, ids.ravel(), dout.reshape(-1, dout.shape[2]))  # repeated ids accumulate
    return dW


def temporal_affine_forward(hs: Array, W: Array, b: Array) -> tuple[Array, dict[str, Any]]:
    """The same affine map applied at every time step: scores_t = h_t W + b.

    Parameters
    ----------
    hs : ndarray of shape (N, T, H)
    W : ndarray of shape (H, V)
    b : ndarray of shape (V,)

    Returns
    -------
    scores : ndarray of shape (N, T, V)
    cache : dict
        for :func:`temporal_affine_backward`
    """
    s = Shapes()
    hs = s.floats("hs", hs, ("N", "T", "H"))
    W = s.floats("W", W, ("H", "V"))
    b = s.floats("b", b, ("V",))
    return hs @ W + b, {"hs": hs, "W": W}


def temporal_affine_backward(dscores: Array, cache: dict[str, Any]) -> tuple[Array, Array, Array]:
    """Gradients of :func:`temporal_affine_forward`.

    Parameters
    ----------
    dscores : ndarray of shape (N, T, V)

    Returns
    -------
    dhs (N, T, H), dW (H, V), db (V,)
    """
    check_cache(cache, "temporal_affine_forward", ("hs", "W"))
    hs, W = cache["hs"], cache["W"]
    N, T, H = hs.shape
    dscores = Shapes().floats("dscores", dscores, (N, T, W.shape[1]))
    dW = hs.reshape(N * T, H).T @ dscores.reshape(N * T, -1)
    return dscores @ W.T, dW, dscores.sum(axis=(0, 1))


def last_step_indices(mask: NDArray[np.bool_] | None, N: int, T: int) -> NDArray[np.intp]:
    """Index of the last real step of each sequence: T - 1 without a mask.

    Raises ``ValueError`` for a sequence whose mask is all zeros, since it has no
    last step to read an output from.
    """
    if mask is None:
        return np.full(N, T - 1)
    empty = ~mask.any(axis=1)
    if empty.any():
        raise ValueError(
            f"every sequence needs at least one real step for a many-to-one output; "
            f"mask rows {np.flatnonzero(empty).tolist()} are all zero"
        )
    return T - 1 - np.argmax(mask[:, ::-1], axis=1)


def last_step_affine_forward(
    hs: Array, W: Array, b: Array, mask: NDArray[np.bool_] | None = None
) -> tuple[Array, dict[str, Any]]:
    """Affine output read from each sequence's last real step (many-to-one).

    Parameters
    ----------
    hs : ndarray of shape (N, T, H)
    W : ndarray of shape (H, K)
    b : ndarray of shape (K,)
    mask : optional ndarray of shape (N, T)
        the last step is the last 1 in each row

    Returns
    -------
    scores : ndarray of shape (N, K)
    cache : dict
        for :func:`last_step_affine_backward`
    """
    s = Shapes()
    hs = s.floats("hs", hs, ("N", "T", "H"))
    W = s.floats("W", W, ("H", "K"))
    b = s.floats("b", b, ("K",))
    mask = s.mask("mask", mask, ("N", "T"))
    N, T, _ = hs.shape
    last = last_step_indices(mask, N, T)
    h_last = hs[np.arange(N), last]  # (N, H)
    return h_last @ W + b, {"h_last": h_last, "last": last, "W": W, "T": T}


def last_step_affine_backward(dscores: Array, cache: dict[str, Any]) -> tuple[Array, Array, Array]:
    """Gradients of :func:`last_step_affine_forward`.

    Parameters
    ----------
    dscores : ndarray of shape (N, K)

    Returns
    -------
    dhs (N, T, H), zero except at each sequence's last step; dW (H, K); db (K,)
    """
    check_cache(cache, "last_step_affine_forward", ("h_last", "last", "W", "T"))
    h_last, last, W = cache["h_last"], cache["last"], cache["W"]
    N, H = h_last.shape
    dscores = Shapes().floats("dscores", dscores, (N, W.shape[1]))
    dhs = np.zeros((N, cache["T"], H), dtype=dscores.dtype)
    dhs[np.arange(N), last] = dscores @ W.T
    return dhs, h_last.T @ dscores, dscores.sum(axis=0)
