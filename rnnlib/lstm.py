"""Long short-term memory (Hochreiter and Schmidhuber, 1997), batch-first (chapter 6).

Gate layout: the three gates and the candidate are packed side by side in one
matrix, in the order input gate, forget gate, candidate, output gate
([i, f, c_tilde, o], the order PyTorch uses), so one product computes all of them:

    a_t = x_t W_x + h_{t-1} W_h + b              (N, 4H), W_x (D, 4H), W_h (H, 4H), b (4H,)
    i = sigmoid(a[:, :H])          f = sigmoid(a[:, H:2H])
    c_tilde = tanh(a[:, 2H:3H])    o = sigmoid(a[:, 3H:])
    c_t = f * c_{t-1} + i * c_tilde              (the additive cell path)
    h_t = o * tanh(c_t)

With an (N, T) mask, a padded step copies both h and c forward unchanged.

The module has two parts.  :func:`lstm_step_forward` and :func:`lstm_step_backward`
are the readable reference: one step, written exactly as the equations above.
:func:`lstm_forward` and :func:`lstm_backward` run a whole sequence fast (time-major
storage, the sigmoid computed as 0.5 tanh(a / 2) + 0.5 on pre-halved weights); the
tests check that they agree with a loop of the step functions to 1e-12.
:func:`lstm_gates` reads the gates and cell states out of their cache by name.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from rnnlib._checks import Shapes, check_cache
from rnnlib._gates import gate_blocks, gate_weight_grads
from rnnlib._types import Array
from rnnlib.activations import sigmoid


def lstm_step_forward(
    x: Array, h_prev: Array, c_prev: Array, W_x: Array, W_h: Array, b: Array
) -> tuple[Array, Array, dict[str, Any]]:
    """One LSTM step, written as the equations: the readable reference for :func:`lstm_forward`.

    Parameters
    ----------
    x : ndarray of shape (N, D)
        the input x_t
    h_prev : ndarray of shape (N, H)
        the hidden state h_{t-1}
    c_prev : ndarray of shape (N, H)
        the cell state c_{t-1}
    W_x : ndarray of shape (D, 4H)
        input weights of [i, f, c_tilde, o]
    W_h : ndarray of shape (H, 4H)
        recurrent weights of [i, f, c_tilde, o]
    b : ndarray of shape (4H,)

    Returns
    -------
    h : ndarray of shape (N, H)
    c : ndarray of shape (N, H)
    cache : dict
        for :func:`lstm_step_backward`
    """
    s = Shapes()
    x = s.floats("x", x, ("N", "D"))
    h_prev = s.floats("h_prev", h_prev, ("N", "H"))
    c_prev = s.floats("c_prev", c_prev, ("N", "H"))
    H = h_prev.shape[1]
    W_x = s.floats("W_x", W_x, ("D", 4 * H))
    W_h = s.floats("W_h", W_h, ("H", 4 * H))
    b = s.floats("b", b, (4 * H,))

    a = x @ W_x + h_prev @ W_h + b  # (N, 4H): all four pre-activations side by side
    i = sigmoid(a[:, :H])  # input gate: how much to write
    f = sigmoid(a[:, H : 2 * H])  # forget gate: how much to keep
    c_tilde = np.tanh(a[:, 2 * H : 3 * H])  # candidate: what could be written
    o = sigmoid(a[:, 3 * H :])  # output gate: how much to show
    c = f * c_prev + i * c_tilde  # the additive cell update
    h = o * np.tanh(c)
    cache = {"x": x, "h_prev": h_prev, "c_prev": c_prev, "W_x": W_x, "W_h": W_h,
             "i": i, "f": f, "c_tilde": c_tilde, "o": o, "c": c}  # fmt: skip
    return h, c, cache


def lstm_step_backward(dh: Array, dc: Array, cache: dict[str, Any]) -> tuple[Array, ...]:
    """Gradients of one step of :func:`lstm_step_forward`, given dL/dh_t and dL/dc_t.

    Parameters
    ----------
    dh : ndarray of shape (N, H)
        dL/dh_t: everything that reaches h_t (its output and the next step)
    dc : ndarray of shape (N, H)
        dL/dc_t from the next step only (zeros after the last step)
    cache : dict
        from :func:`lstm_step_forward`

    Returns
    -------
    dx (N, D), dh_prev (N, H), dc_prev (N, H), dW_x (D, 4H), dW_h (H, 4H), db (4H,)
    """
    check_cache(cache, "lstm_step_forward", ("x", "h_prev", "c_prev", "W_x", "W_h", "i", "f", "c_tilde", "o", "c"))
    i, f, c_tilde, o, c = (cache[k] for k in ("i", "f", "c_tilde", "o", "c"))
    s = Shapes()
    dh = s.floats("dh", dh, c.shape)
    dc = s.floats("dc", dc, c.shape)

    tanh_c = np.tanh(c)
    dc = dc + dh * o * (1 - tanh_c**2)  # through h_t = o tanh(c_t), plus what came from c_{t+1}
    da_i = dc * c_tilde * i * (1 - i)
    da_f = dc * cache["c_prev"] * f * (1 - f)
    da_c_tilde = dc * i * (1 - c_tilde**2)
    da_o = dh * tanh_c * o * (1 - o)
    da = np.concatenate([da_i, da_f, da_c_tilde, da_o], axis=1)  # (N, 4H), packed like the weights
    dc_prev = dc * f  # the additive path: only multiplied by the forget gate
    return (da @ cache["W_x"].T, da @ cache["W_h"].T, dc_prev,
            cache["x"].T @ da, cache["h_prev"].T @ da, da.sum(axis=0))  # fmt: skip


def lstm_forward(
    x: Array,
    h0: Array,
    W_x: Array,
    W_h: Array,
    b: Array,
    mask: NDArray[np.bool_] | None = None,
    c0: Array | None = None,
) -> tuple[Array, dict[str, Any]]:
    """Run an LSTM over a batch of sequences.

    Parameters
    ----------
    x : ndarray of shape (N, T, D)
    h0 : ndarray of shape (N, H)
        initial hidden state
    W_x : ndarray of shape (D, 4H)
        input weights of the gates [i, f, c_tilde, o]
    W_h : ndarray of shape (H, 4H)
        recurrent weights of the gates
    b : ndarray of shape (4H,)
    mask : optional ndarray of shape (N, T)
        padded steps carry (h, c) forward
    c0 : optional ndarray of shape (N, H)
        initial cell state (zeros by default)

    Returns
    -------
    hs : ndarray of shape (N, T, H)
    cache : dict
        for :func:`lstm_backward`; ``cache["hs"]`` is ``hs``, batch-first like every
        layer's.  Read the gates and cell states with :func:`lstm_gates`, which names
        them and returns them batch-first; inside, the cache stores them time-major
        (``cache["gates"]`` of shape (T, 4, N, H), ``cache["cs"]`` of shape (T, N, H))
        for the speed of the time loop
    """
    s = Shapes()
    x = s.floats("x", x, ("N", "T", "D"))
    if x.shape[1] == 0:
        raise ValueError(f"x must hold at least one time step; got shape {x.shape}")
    h0 = s.floats("h0", h0, ("N", "H"))
    H = h0.shape[1]
    W_x = s.floats("W_x", W_x, ("D", 4 * H))
    W_h = s.floats("W_h", W_h, ("H", 4 * H))
    b = s.floats("b", b, (4 * H,))
    c0 = np.zeros_like(h0) if c0 is None else s.floats("c0", c0, ("N", "H"))
    mask = s.mask("mask", mask, ("N", "T"))

    N, T, _ = x.shape
    # The sigmoid gates are computed as sigmoid(a) = 0.5 * tanh(a / 2) + 0.5, so one tanh
    # call activates all four gates.  Scaling their columns of W_x, W_h and b by 0.5 in
    # advance is exact in floating point (a power of two), so nothing is rounded twice.
    half = np.array([0.5, 0.5, 1.0, 0.5], dtype=W_x.dtype)  # the candidate c_tilde is a plain tanh
    shift = np.where(half == 0.5, 0.5, 0.0).astype(W_x.dtype)
    half_cols = np.repeat(half, H)  # (4H,): the same factors, one per packed column
    # Work time-major inside, and keep each gate of each step as its own contiguous (N, H)
    # block: gates[t, k] is gate k at step t.  numpy's element-wise loops run about twice as
    # fast on contiguous blocks as on column slices of a packed (N, 4H) array.
    W_h_blocks = gate_blocks(W_h * half_cols, 4)  # (4, H, H)
    gates = np.empty((T, 4, N, H), dtype=np.result_type(x, W_x))
    x_tm = x.transpose(1, 0, 2)[:, None]  # (T, 1, N, D)
    np.matmul(x_tm, gate_blocks(W_x * half_cols, 4), out=gates)  # all input terms at once
    gates += (b * half_cols).reshape(4, 1, H)
    hs = np.empty((T, N, H), dtype=gates.dtype)
    cs = np.empty_like(hs)
    tanh_cs = np.empty_like(hs)
    half, shift = half[:, None, None], shift[:, None, None]  # broadcast over a step's (4, N, H) blocks
    h, c = h0, c0
    for t in range(T):
        a = gates[t]
        a += h @ W_h_blocks  # the recurrent term of every gate, (4, N, H)
        np.tanh(a, out=a)
        a *= half
        a += shift  # now activated: [i, f, c_tilde, o] = [sigmoid, sigmoid, tanh, sigmoid]
        i, f, c_tilde, o = a
        np.multiply(f, c, out=cs[t])
        cs[t] += i * c_tilde  # c_t = f * c_{t-1} + i * c_tilde
        np.tanh(cs[t], out=tanh_cs[t])
        np.multiply(o, tanh_cs[t], out=hs[t])  # h_t = o * tanh(c_t)
        if mask is not None:
            m = mask[:, t, None]
            cs[t] = np.where(m, cs[t], c)
            hs[t] = np.where(m, hs[t], h)
        h, c = hs[t], cs[t]
    out = hs.transpose(1, 0, 2)  # a batch-first view of the time-major storage, no copy
    out.flags.writeable = False  # writing to it would change the gradients
    cache = {"x": x, "h0": h0, "c0": c0, "W_x": W_x, "W_h": W_h, "gates": gates, "hs": out, "cs": cs,
             "tanh_cs": tanh_cs, "mask": mask}  # fmt: skip
    return out, cache


def lstm_backward(
    dhs: Array, cache: dict[str, Any], dc_final: Array | None = None
) -> tuple[Array, Array, Array, Array, Array, Array]:
    """Backpropagation through time for :func:`lstm_forward`.

    Parameters
    ----------
    dhs : ndarray of shape (N, T, H)
        dL/dh_t from the layers above each step
    cache : dict
        from :func:`lstm_forward`
    dc_final : optional ndarray of shape (N, H)
        dL/dc of the last cell state, ``lstm_gates(cache)["c"][:, -1]``, from
        outside the layer (a decoder that starts from it, for instance); zeros
        when None

    Returns
    -------
    dx (N, T, D), dh0 (N, H), dW_x (D, 4H), dW_h (H, 4H), db (4H,), dc0 (N, H)
        the gradients of the forward inputs x, h0, W_x, W_h, b and c0, in the
        order of the forward's parameters (``mask``, which has none, left out)
    """
    das, dh0, dc0, _ = _recursion(dhs, cache, dc_final, keep_deltas=False)
    x, h0, W_x, hs = (cache[k] for k in ("x", "h0", "W_x", "hs"))
    dx, dW_x, dW_h = gate_weight_grads(x, W_x, h0, hs.transpose(1, 0, 2), das, das)  # single products over all steps
    return dx, dh0, dW_x, dW_h, das.sum(axis=(0, 1)), dc0


def lstm_state_gradients(dhs: Array, cache: dict[str, Any], dc_final: Array | None = None) -> Array:
    """delta_t = dL/dh_t, the total gradient reaching each hidden state of :func:`lstm_forward`.

    As :func:`rnnlib.rnn.rnn_state_gradients` for the vanilla RNN, computed by the same
    backward loop as :func:`lstm_backward`.

    Parameters
    ----------
    dhs : ndarray of shape (N, T, H)
        dL/dh_t from the layers above each step
    cache : dict
        from :func:`lstm_forward`
    dc_final : optional ndarray of shape (N, H)
        dL/dc of the last cell state from outside the layer, as in :func:`lstm_backward`

    Returns
    -------
    deltas : ndarray of shape (N, T, H)
    """
    deltas = _recursion(dhs, cache, dc_final, keep_deltas=True)[3]
    assert deltas is not None  # asked for
    return deltas


def _recursion(
    dhs: Array, cache: dict[str, Any], dc_final: Array | None, keep_deltas: bool
) -> tuple[Array, Array, Array, Array | None]:
    """The backward loop over time shared by :func:`lstm_backward` and :func:`lstm_state_gradients`:
    dL/da_t of every step, time-major and packed like the weights (T, N, 4H), dL/dh0, dL/dc0
    and, if ``keep_deltas``, the deltas dL/dh_t batch-first (N, T, H)."""
    check_cache(cache, "lstm_forward", ("x", "h0", "c0", "W_x", "W_h", "gates", "hs", "cs", "tanh_cs", "mask"))
    h0, c0, W_h = (cache[k] for k in ("h0", "c0", "W_h"))
    gates, hs, cs, tanh_cs, mask = (cache[k] for k in ("gates", "hs", "cs", "tanh_cs", "mask"))
    hs = hs.transpose(1, 0, 2)  # the time-major storage lstm_forward filled: no copy
    T, N, H = hs.shape
    s = Shapes()
    dhs = s.floats("dhs", dhs, (N, T, H)).transpose(1, 0, 2)  # time-major view

    das = np.empty((T, N, 4 * H), dtype=hs.dtype)  # dL/da_t, packed like the weights for the products
    W_h_T = np.ascontiguousarray(W_h.T)  # (4H, H): BLAS multiplies by a contiguous copy faster than by a view
    dh_next = np.zeros_like(h0)
    dc_next = np.zeros_like(c0) if dc_final is None else s.floats("dc_final", dc_final, (N, H)).copy()
    deltas = np.empty_like(hs) if keep_deltas else None
    for t in reversed(range(T)):
        i, f, c_tilde, o = gates[t]  # contiguous (N, H) blocks
        c_prev = cs[t - 1] if t > 0 else c0
        dh = dhs[t] + dh_next
        if deltas is not None:
            deltas[t] = dh
        tc = tanh_cs[t]
        dc = dh * o * (1 - tc * tc)  # through h_t = o tanh(c_t) ...
        dc += dc_next  # ... plus what reaches c_t from c_{t+1}
        da = das[t].reshape(N, 4, H)  # da[:, k] is gate k's block of the packed row
        np.multiply(dc * c_tilde * i, 1 - i, out=da[:, 0])  # input gate
        np.multiply(dc * c_prev * f, 1 - f, out=da[:, 1])  # forget gate
        np.multiply(dc * i, 1 - c_tilde * c_tilde, out=da[:, 2])  # candidate
        np.multiply(dh * tc * o, 1 - o, out=da[:, 3])  # output gate
        dc_prev = dc * f  # the additive path: only multiplied by the forget gate
        if mask is not None:
            m = mask[:, t, None]
            das[t] *= m
            dh_next = das[t] @ W_h_T + np.where(m, 0, dh)  # padded step: h_t = h_{t-1}
            dc_next = np.where(m, dc_prev, dc_next)  # and c_t = c_{t-1}
        else:
            dh_next = das[t] @ W_h_T
            dc_next = dc_prev
    return das, dh_next, dc_next, None if deltas is None else deltas.transpose(1, 0, 2)


def lstm_gates(cache: dict[str, Any]) -> dict[str, Array]:
    """The gates and cell states that :func:`lstm_forward` computed, by name and batch-first.

    Parameters
    ----------
    cache : dict
        from :func:`lstm_forward`

    Returns
    -------
    gates : dict
        ``"i"``, ``"f"``, ``"c_tilde"``, ``"o"``: the input gate, forget gate, candidate
        and output gate of every step, and ``"c"``: the cell states c_t; each an
        ndarray of shape (N, T, H), read-only, whose ``[:, t - 1]`` belongs to step t
    """
    check_cache(cache, "lstm_forward", ("gates", "cs"))
    views = dict(zip(("i", "f", "c_tilde", "o"), cache["gates"].transpose(1, 2, 0, 3), strict=True))
    views["c"] = cache["cs"].transpose(1, 0, 2)
    for v in views.values():
        v.flags.writeable = False  # views of the cache: writing to them would change the gradients
    return views
