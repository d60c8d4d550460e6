"""Gradient-flow probes: how much of a gradient survives the trip back through time (chapter 5).

Shapes are batch-first: hs (N, T, H).  The code index ``s`` of ``hs[:, s]`` is the maths
step t = s + 1, so ``hs[:, -1]`` is h_T.

The row-vector convention of the book, h_t = f(a_t) with a_t = x_t W_xh + h_{t-1} W_hh + b_h,
gives the Jacobian of one step (entry [i, j] is the derivative of h_{t,i} by h_{t-1,j})

    J_t = dh_t/dh_{t-1} = diag(f'(a_t)) W_hh^T                         (H, H)

and, by the chain rule, of T - t steps

    dh_T/dh_t = J_T J_{T-1} ... J_{t+1}.

A gradient row vector travels backwards through the same matrices:
dL/dh_t = (dL/dh_T) (dh_T/dh_t), and one step of BPTT is delta_{t-1} = delta_t J_t.
Because W_hh^T has the same singular values as W_hh and |f'| <= gamma,

    ||dh_T/dh_t|| <= (gamma * sigma_max(W_hh)) ** (T - t)

(Bengio, Simard and Frasconi, 1994; Pascanu, Mikolov and Bengio, 2013).

Two ways to get the Jacobians are provided, so that later cells (LSTM, GRU) can use the
same probes: :func:`step_jacobians` + :func:`jacobian_products` use the vanilla RNN's
formula; :func:`jacobians_by_backprop` asks any function that returns the deltas
dL/dh_t (:func:`rnnlib.rnn.rnn_state_gradients` and its LSTM and GRU twins, or
:meth:`rnnlib.recurrent.Recurrent.state_gradients`), with one backward pass per hidden unit.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from rnnlib._checks import Shapes, _describe, as_float_array, check_rng, positive_float, positive_int
from rnnlib._types import Array
from rnnlib.activations import get_activation
from rnnlib.lstm import lstm_gates
from rnnlib.rnn import rnn_forward

#: gamma, the largest value of |f'(a)| over all a, for each activation.
DERIVATIVE_BOUNDS: Mapping[str, float] = {"tanh": 1.0, "sigmoid": 0.25, "relu": 1.0, "linear": 1.0}

#: The kinds of random recurrent matrix :func:`recurrent_matrix` can draw.
MATRIX_KINDS = ("orthogonal", "gaussian")


def derivative_bound(activation: str) -> float:
    """gamma = max |f'(a)|: 1 for tanh, relu and linear, 1/4 for the sigmoid."""
    get_activation(activation)  # the same error message as everywhere else for a wrong name
    return DERIVATIVE_BOUNDS[activation]


def _square(name: str, W: object) -> Array:
    W = as_float_array(name, W)
    if W.ndim != 2 or W.shape[0] != W.shape[1] or W.shape[0] == 0:
        raise ValueError(f"{name} must be a square matrix of shape (H, H); got shape {W.shape}")
    return W


def largest_singular_value(W: Array) -> float:
    """sigma_max(W), the spectral norm: the most any vector can be stretched by W.

    Parameters
    ----------
    W : ndarray of shape (H, H)
    """
    return float(np.linalg.norm(_square("W", W), ord=2))


def spectral_radius(W: Array) -> float:
    """rho(W) = max |eigenvalue|: the long-run growth rate of ||W^k||^(1/k).

    Parameters
    ----------
    W : ndarray of shape (H, H)
    """
    return float(np.max(np.abs(np.linalg.eigvals(_square("W", W)))))


def power_norms(W: Array, steps: int) -> Array:
    """||W^p|| (the spectral norm) for p = 0, 1, ..., steps: how a matrix acts when applied again and again.

    A linear RNN's Jacobian dh_T/dh_t is (W_hh^T)^(T - t), which has the same norm as W_hh^(T - t).
    The norms are at most sigma_max(W) ** p, and ||W^p|| ** (1 / p) tends to the spectral radius
    (the appendix on linear algebra shows both).

    Parameters
    ----------
    W : ndarray of shape (H, H)
    steps : int
        the largest power, >= 0

    Returns
    -------
    norms : ndarray of shape (P,)
        with P = steps + 1: norms[p] = ||W^p||, and norms[0] = 1, the norm of the identity
    """
    W = _square("W", W)
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)):
        raise TypeError(f"steps must be a non-negative int; got {_describe(steps)}")
    if steps < 0:
        raise ValueError(f"steps must be a non-negative int; got {_describe(steps)}")
    norms = np.empty(int(steps) + 1)
    power = np.eye(W.shape[0])
    for k in range(int(steps) + 1):
        norms[k] = np.linalg.norm(power, ord=2)
        power = power @ W
    return norms


def recurrent_matrix(
    hidden_size: int, scale: float, rng: np.random.Generator, kind: str = "orthogonal"
) -> NDArray[np.float64]:
    """A random W_hh whose largest singular value is exactly ``scale``.

    Parameters
    ----------
    hidden_size : int
        H
    scale : float
        sigma_max of the result (> 0)
    rng : np.random.Generator
    kind : {"orthogonal", "gaussian"}
        "orthogonal" gives scale * Q with Q a random orthogonal matrix, so *every*
        singular value and every eigenvalue's magnitude equals ``scale`` (sigma_max = rho);
        "gaussian" rescales a matrix of independent normal entries, whose spectral radius
        is then well below ``scale`` (about half of it for large H).

    Returns
    -------
    W_hh : ndarray of shape (H, H)
    """
    H = positive_int("hidden_size", hidden_size)
    scale = positive_float("scale", scale)
    rng = check_rng(rng)
    if kind not in MATRIX_KINDS:
        raise ValueError(f"kind must be one of {list(MATRIX_KINDS)}; got {kind!r}")
    G = rng.standard_normal((H, H))
    if kind == "orthogonal":
        Q, R = np.linalg.qr(G)
        Q = Q * np.where(np.diag(R) < 0, -1.0, 1.0)  # sign fix: Q is then uniformly distributed
        return scale * Q
    return scale * G / np.linalg.norm(G, ord=2)


def norm_bound(sigma_max: float | Array, steps: int | NDArray[np.integer], activation: str = "tanh") -> Array:
    """The upper bound (gamma * sigma_max) ** steps on ||dh_T/dh_t|| with steps = T - t.

    Parameters
    ----------
    sigma_max : float | ndarray
        largest singular value of W_hh (a number, or an array broadcast with ``steps``)
    steps : int | ndarray
        T - t, a non-negative int or an integer array
    activation : str
        sets gamma through :func:`derivative_bound`

    Returns
    -------
    bound : float64 ndarray
        of the broadcast shape of ``sigma_max`` and ``steps`` (0-d for two numbers)
    """
    gamma = derivative_bound(activation)
    sigma = np.asarray(sigma_max, dtype=np.float64)
    if (sigma < 0).any() or not np.isfinite(sigma).all():
        raise ValueError(f"sigma_max must be a non-negative finite number; got {sigma_max}")
    k = np.asarray(steps)
    if not np.issubdtype(k.dtype, np.integer) or (k < 0).any():
        raise ValueError(f"steps must be a non-negative int or integer array (steps = T - t); got {_describe(steps)}")
    return (gamma * sigma) ** k.astype(np.float64)


def step_jacobians(hs: Array, W_hh: Array, activation: str = "tanh") -> Array:
    """The Jacobian of every step of a vanilla RNN, J_t = dh_t/dh_{t-1} = diag(f'(a_t)) W_hh^T.

    Without a mask only: a padded step copies the state, so its Jacobian is the identity;
    for masked batches use :func:`jacobians_by_backprop`, which follows the mask.

    Parameters
    ----------
    hs : ndarray of shape (N, T, H)
        the states from :func:`rnnlib.rnn.rnn_forward`
        (the derivative f' is computed from the outputs h_t, as in BPTT)
    W_hh : ndarray of shape (H, H)
    activation : str
        the activation the states were computed with

    Returns
    -------
    J : ndarray of shape (N, T, H, H)
        ``J[n, s]`` is dh_t/dh_{t-1} for maths step t = s + 1,
        entry [i, j] the derivative of h_{t,i} by h_{t-1,j}
    """
    s = Shapes()
    hs = s.floats("hs", hs, ("N", "T", "H"))
    W_hh = s.floats("W_hh", W_hh, ("H", "H"))
    _, fprime = get_activation(activation)
    return fprime(hs)[..., :, None] * W_hh.T  # row i of W_hh^T scaled by f'(a_{t,i})


def jacobian_products(jacobians: Array) -> Array:
    """Chain the step Jacobians into dh_T/dh_t = J_T J_{T-1} ... J_{t+1} for every t.

    Parameters
    ----------
    jacobians : ndarray of shape (N, T, H, H)
        from :func:`step_jacobians` (``[:, s]`` is J_{s+1})

    Returns
    -------
    P : ndarray of shape (N, T, H, H)
        ``P[:, s]`` is dh_T/dh_t for t = s + 1, so ``P[:, -1]``
        is the identity and ``P[:, 0]`` is dh_T/dh_1. (dh_T/dh_0 is ``P[:, 0] @ J_1``.)
    """
    J = Shapes().floats("jacobians", jacobians, ("N", "T", "H", "H"))
    N, T, H, _ = J.shape
    P = np.empty_like(J)
    P[:, -1] = np.eye(H)
    for s in range(T - 2, -1, -1):  # dh_T/dh_t = (dh_T/dh_{t+1}) J_{t+1}
        P[:, s] = P[:, s + 1] @ J[:, s + 1]
    return P


def jacobians_by_backprop(backward: Callable[[Array, Any], Array], hs: Array, cache: Any) -> Array:
    """dh_T/dh_t for every t from any function that computes the deltas dL/dh_t.

    Choosing L = h_{T,i} (an upstream gradient that is 1 on unit i of the last state and 0
    everywhere else) makes the delta at step t equal to row i of dh_T/dh_t, so H backward
    passes give the whole Jacobian. This works for any recurrent cell that reports its
    deltas, which is why the LSTM and GRU of chapter 6 can use it unchanged.
    (For the LSTM, whose state is the pair (h_t, c_t), the result is the derivative with
    the cell state c_t held fixed: the path through h_t alone.)

    Parameters
    ----------
    backward : callable
        ``backward(dhs, cache) -> deltas`` with dhs and deltas of shape (N, T, H),
        e.g. :func:`rnnlib.rnn.rnn_state_gradients` or a layer's
        :meth:`rnnlib.recurrent.Recurrent.state_gradients`
    hs : ndarray of shape (N, T, H)
        the states the forward pass returned (with a mask, the
        padded steps copy the state forward, so ``hs[:, -1]`` is each sequence's last real
        state and its Jacobians are what this returns)
    cache : dict
        the forward pass's cache, passed to ``backward`` unchanged

    Returns
    -------
    P : ndarray of shape (N, T, H, H)
        the same layout as :func:`jacobian_products`
    """
    if not callable(backward):
        raise TypeError(f"backward must be a function backward(dhs, cache) -> deltas; got {_describe(backward)}")
    hs = Shapes().floats("hs", hs, ("N", "T", "H"))
    N, T, H = hs.shape
    P = np.empty((N, T, H, H), dtype=hs.dtype)
    for i in range(H):
        dhs = np.zeros_like(hs)
        dhs[:, -1, i] = 1.0
        deltas = np.asarray(backward(dhs, cache))
        if deltas.shape != hs.shape:
            raise ValueError(f"backward must return deltas of shape {hs.shape} like hs; got {deltas.shape}")
        P[:, :, i, :] = deltas
    return P


def spectral_norms(matrices: Array) -> Array:
    """The spectral norm (largest singular value) of every matrix in a stack.

    Parameters
    ----------
    matrices : ndarray of shape (..., H, H)
        e.g. (N, T, H, H) from :func:`jacobian_products`

    Returns
    -------
    norms : ndarray of shape (...,)
    """
    M = as_float_array("matrices", matrices)
    if M.ndim < 2:
        raise ValueError(f"matrices must have shape (..., H, H); got {M.shape}")
    return np.linalg.norm(M, ord=2, axis=(-2, -1))


def gradient_norms(deltas: Array, mask: NDArray[np.bool_] | None = None) -> Array:
    """||dL/dh_t|| per step, averaged over the batch: how much gradient reaches each state.

    Parameters
    ----------
    deltas : ndarray of shape (N, T, H)
        dL/dh_t from a real backward pass
        (from :func:`rnnlib.rnn.rnn_state_gradients` or a model's ``state_gradients``)
    mask : optional ndarray of shape (N, T)
        padded steps are left out of the average

    Returns
    -------
    norms : ndarray of shape (T,)
        the mean over the (real) sequences of ||delta_t||;
        NaN at a step that no sequence reaches
    """
    s = Shapes()
    deltas = s.floats("deltas", deltas, ("N", "T", "H"))
    m = s.mask("mask", mask, ("N", "T"))
    norms = np.linalg.norm(deltas, axis=-1)  # (N, T)
    if m is None:
        return norms.mean(axis=0)
    count = m.sum(axis=0)
    total = np.where(m, norms, 0.0).sum(axis=0)
    return np.divide(total, count, out=np.full(total.shape, np.nan), where=count > 0)


def jacobian_norm_curve(
    scale: float,
    T: int,
    rng: np.random.Generator,
    activation: str = "tanh",
    hidden_size: int = 32,
    batch_size: int = 4,
    input_scale: float = 0.5,
    kind: str = "orthogonal",
) -> dict[str, Any]:
    """||dh_T/dh_t|| for t = 1..T in a random RNN driven by random inputs, with its bound.

    The RNN has W_hh from :func:`recurrent_matrix` (largest singular value ``scale``), input
    currents x_t W_xh with x_t ~ N(0, 1) and W_xh = input_scale * I, no bias and h_0 = 0.

    Parameters
    ----------
    scale : float
        sigma_max(W_hh)
    T : int
        sequence length
    rng : np.random.Generator
        for W_hh and the inputs
    activation : {"tanh", "relu", "sigmoid", "linear"}
    hidden_size, batch_size : int
        H and N of the probe
    input_scale : float
        standard deviation of each input current
    kind : {"orthogonal", "gaussian"}
        see :func:`recurrent_matrix`

    Returns
    -------
    dict with
        "t" : int ndarray of shape (T,), the steps 1..T
        "norm" : ndarray of shape (T,), the batch mean of ||dh_T/dh_t||
        "bound" : ndarray of shape (T,), (gamma * sigma_max) ** (T - t)
        "sigma_max", "spectral_radius" : floats describing W_hh
    """
    T = positive_int("T", T)
    H = positive_int("hidden_size", hidden_size)
    N = positive_int("batch_size", batch_size)
    input_scale = positive_float("input_scale", input_scale, allow_zero=True)
    gamma = derivative_bound(activation)
    W_hh = recurrent_matrix(H, scale, rng, kind)
    x = rng.standard_normal((N, T, H))
    hs, _ = rnn_forward(x, np.zeros((N, H)), input_scale * np.eye(H), W_hh, np.zeros(H), activation=activation)
    P = jacobian_products(step_jacobians(hs, W_hh, activation))
    t = np.arange(1, T + 1)
    sigma = largest_singular_value(W_hh)
    return {
        "t": t,
        "norm": spectral_norms(P).mean(axis=0),
        "bound": (gamma * sigma) ** (T - t).astype(np.float64),
        "sigma_max": sigma,
        "spectral_radius": spectral_radius(W_hh),
    }


def jacobian_norm_curves(
    scales: Sequence[float], T: int, seed: int = 0, activation: str = "tanh", **kwargs: Any
) -> dict[float, dict[str, Any]]:
    """:func:`jacobian_norm_curve` for several scales, each from its own generator seeded by ``seed``.

    Every scale sees the same random matrix direction and inputs (only the scale changes),
    so the curves differ only through sigma_max and the activation. A seed rather than a
    generator is taken so that a widget redraws the same network when a slider moves.

    Returns
    -------
    dict scale -> the dict of :func:`jacobian_norm_curve`
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seed must be a non-negative int; got {_describe(seed)}")
    if seed < 0:
        raise ValueError(f"seed must be a non-negative int; got {seed}")
    if isinstance(scales, (str, bytes)) or not isinstance(scales, Sequence) or len(scales) == 0:
        raise TypeError(f"scales must be a non-empty sequence of numbers, e.g. (0.5, 1.5); got {_describe(scales)}")
    return {
        float(c): jacobian_norm_curve(c, T, np.random.default_rng(seed), activation=activation, **kwargs)
        for c in scales
    }


def jacobian_norm_curves_by_activation(
    scales: Sequence[float],
    activation: str | Sequence[str],
    T: int,
    seed: int = 0,
    kind: str = "orthogonal",
    hidden_size: int = 32,
) -> dict[str, dict[float, dict[str, Any]]]:
    """:func:`jacobian_norm_curves` for one activation or several: the measurement behind
    :func:`rnnlib.plots.plot_jacobian_norm_curves`, which draws its result.

    Every activation sees the same random network and inputs (the same ``seed``), so the
    curves differ only through the activation and sigma_max.

    Parameters
    ----------
    scales : sequence
        the values of sigma_max(W_hh), one curve each
    activation : str | sequence
        one activation, or several (e.g. ("linear", "tanh"))
    T : int
        sequence length
    seed : int
        seeds the random network
    kind : {"orthogonal", "gaussian"}
        the random recurrent matrix, see :func:`recurrent_matrix`
    hidden_size : int
        H

    Returns
    -------
    curves : dict
        activation -> {sigma_max -> the dict of :func:`jacobian_norm_curve`}, in the order given
    """
    acts = [activation] if isinstance(activation, str) else list(activation)
    if not acts:
        raise ValueError("activation must name at least one activation; got an empty list")
    return {
        act: jacobian_norm_curves(scales, T, seed=seed, activation=act, kind=kind, hidden_size=hidden_size)
        for act in acts
    }


# ---------------------------------------------------------------------------
# Gated cells (chapter 6)
# ---------------------------------------------------------------------------


def cell_state_gradients(deltas: Array, cache: dict[str, Any]) -> Array:
    """dL/dc_t at every step of an LSTM, from the deltas of :func:`rnnlib.lstm.lstm_state_gradients`.

    ``lstm_backward`` computes dL/dc_t inside its loop but does not keep it.  This function
    rebuilds it from the same quantities with the same recursion,

        dL/dc_T = delta_T * o_T * (1 - tanh(c_T)^2)
        dL/dc_t = delta_t * o_t * (1 - tanh(c_t)^2) + f_{t+1} * dL/dc_{t+1},

    where delta_t = dL/dh_t is the total gradient reaching h_t (``lstm_state_gradients``).
    Unrolled, dL/dc_t is a sum over the later steps k >= t of the gradient that enters the
    cell from h_k, carried back to c_t by the forget gates f_{t+1} ... f_k.  The term with
    k = T is the direct cell path of chapter 6, (prod of f) * dL/dc_T.

    Parameters
    ----------
    deltas : ndarray of shape (N, T, H)
        dL/dh_t from :func:`rnnlib.lstm.lstm_state_gradients`
    cache : dict
        the cache of :func:`rnnlib.lstm.lstm_forward` (without a mask)

    Returns
    -------
    dcs : ndarray of shape (N, T, H)
        dL/dc_t; ``dcs[:, s]`` belongs to step t = s + 1
    """
    gates = lstm_gates(cache)  # (N, T, H) each, batch-first, from either LSTM's cache
    if cache.get("mask") is not None:
        raise ValueError("cell_state_gradients does not support masks; run lstm_forward without a mask")
    N, T, H = gates["c"].shape
    d = Shapes().floats("deltas", deltas, (N, T, H))
    dcs = np.empty_like(d)
    dc_next = np.zeros((N, H), dtype=d.dtype)
    for t in reversed(range(T)):
        dc = d[:, t] * gates["o"][:, t] * (1 - np.tanh(gates["c"][:, t]) ** 2) + dc_next
        dcs[:, t] = dc
        dc_next = dc * gates["f"][:, t]  # times the forget gate f_t, on the way to c_{t-1}
    return dcs
