"""Numerically stable elementwise functions and the activations an RNN may use.

Every function here is finite and warning-free for any finite input, including
logits of +-1000, because no ``exp`` is ever taken of a large positive number.

Each activation is stored with the derivative written *in terms of its output*
``h = f(a)``; that is all BPTT needs, since the cache keeps ``h``:

    tanh:    f'(a) = 1 - h**2
    sigmoid: f'(a) = h * (1 - h)
    relu:    f'(a) = 1 if h > 0 else 0
    linear:  f'(a) = 1
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray


def sigmoid(z: NDArray[np.floating], out: NDArray[np.floating] | None = None) -> NDArray[np.floating]:
    """Logistic function 1 / (1 + exp(-z)), computed from exp(-|z|) so it never overflows.

    ``out``, as for a numpy ufunc, is an array to write the result into (it may be ``z``).
    """
    z = np.asarray(z)
    e = np.exp(-np.abs(z))  # in (0, 1]
    s = np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e)).astype(z.dtype, copy=False)
    if out is None:
        return s
    out[...] = s
    return out


def log_sigmoid(z: NDArray[np.floating]) -> NDArray[np.floating]:
    """log(sigmoid(z)) = -softplus(-z), exact for large |z|."""
    z = np.asarray(z)
    return np.minimum(z, 0) - np.log1p(np.exp(-np.abs(z)))


def softplus(z: NDArray[np.floating]) -> NDArray[np.floating]:
    """log(1 + exp(z)) without overflow."""
    z = np.asarray(z)
    return np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z)))


def logsumexp(z: NDArray[np.floating], axis: int = -1, keepdims: bool = False) -> NDArray[np.floating]:
    """log(sum(exp(z))) along ``axis``, shifted by the maximum so nothing overflows."""
    z = np.asarray(z)
    m = np.max(z, axis=axis, keepdims=True)
    out = m + np.log(np.sum(np.exp(z - m), axis=axis, keepdims=True))
    return out if keepdims else np.squeeze(out, axis=axis)


def log_softmax(z: NDArray[np.floating], axis: int = -1) -> NDArray[np.floating]:
    """z - logsumexp(z): log-probabilities that stay finite for extreme logits."""
    z = np.asarray(z)
    return z - logsumexp(z, axis=axis, keepdims=True)


def softmax(z: NDArray[np.floating], axis: int = -1) -> NDArray[np.floating]:
    """Probabilities exp(z) / sum(exp(z)) along ``axis``, max-shifted for stability."""
    z = np.asarray(z)
    e = np.exp(z - np.max(z, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def relu(z: NDArray[np.floating], out: NDArray[np.floating] | None = None) -> NDArray[np.floating]:
    """max(z, 0), written into ``out`` if given."""
    return np.maximum(z, 0, out=out)


def _linear(z: NDArray[np.floating], out: NDArray[np.floating] | None = None) -> NDArray[np.floating]:
    if out is None:
        return z
    out[...] = z
    return out


# (f, f') with f(a) and, as numpy ufuncs do, f(a, out=a) in place (rnnlib._fast); f' takes f(a)
Activation = tuple[Callable[..., np.ndarray], Callable[[np.ndarray], np.ndarray]]

#: name -> (f, f' expressed through the output h = f(a)); every f takes ``out=`` like a ufunc,
#: so a layer can write h over a in place
ACTIVATIONS: dict[str, Activation] = {
    "tanh": (np.tanh, lambda h: 1 - h * h),
    "sigmoid": (sigmoid, lambda h: h * (1 - h)),
    "relu": (relu, lambda h: (h > 0).astype(h.dtype)),
    "linear": (_linear, lambda h: np.ones_like(h)),
}


def get_activation(name: str) -> Activation:
    """Look up an activation by name, with a helpful error for a wrong name."""
    if not isinstance(name, str) or name not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}; got {name!r}")
    return ACTIVATIONS[name]
