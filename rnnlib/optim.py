"""Optimisers sharing one interface, and gradient-norm clipping.

An optimiser is created once with its hyperparameters and then called as
``opt.step(params, grads)``: it updates every array in ``params`` in place, using
the gradient stored under the same key in ``grads``.  Per-parameter state
(momentum, Adam's moments) is kept inside the optimiser, keyed by name.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from rnnlib._checks import _describe, positive_float, positive_int

Params = dict[str, NDArray[np.floating]]


def _check_keys(params: Params, grads: Params) -> None:
    if not isinstance(params, dict) or not isinstance(grads, dict):
        raise TypeError(
            f"params and grads must be dicts of arrays; got {type(params).__name__} and {type(grads).__name__}"
        )
    if params.keys() != grads.keys():
        raise ValueError(
            f"grads must have the same keys as params; missing {sorted(params.keys() - grads.keys())}, "
            f"unexpected {sorted(grads.keys() - params.keys())}"
        )
    for k, p in params.items():
        _check_float_array(f"params[{k!r}]", p)
        if not p.flags.writeable:
            raise ValueError(
                f"params[{k!r}] must be a writable array (the update is made in place); got a read-only one"
            )
        _check_float_array(f"grads[{k!r}]", grads[k])
        if grads[k].shape != p.shape:
            raise ValueError(f"grads[{k!r}] must have shape {p.shape} like params[{k!r}]; got {grads[k].shape}")


def _check_float_array(name: str, x: object) -> None:
    """A floating-point ndarray: an int array cannot take a fractional update, and a list
    would be copied, so the update would never reach the model."""
    if not isinstance(x, np.ndarray) or not np.issubdtype(x.dtype, np.floating):
        raise TypeError(f"{name} must be a floating-point numpy array; got {_describe(x)}")


class Optimizer:
    """Base class: subclasses implement ``_update(name, param, grad)``."""

    def __init__(self, lr: float) -> None:
        self.lr = positive_float("lr", lr)

    def step(self, params: Params, grads: Params) -> None:
        """Update every ``params[k]`` in place from ``grads[k]``."""
        _check_keys(params, grads)
        for k in params:
            self._update(k, params[k], grads[k])

    def _update(self, name: str, p: np.ndarray, g: np.ndarray) -> None:  # pragma: no cover
        raise NotImplementedError


class SGD(Optimizer):
    """Stochastic gradient descent, optionally with (heavy-ball) momentum and weight decay.

    p <- (1 - lr * weight_decay) p;   v <- momentum * v - lr * g;   p <- p + v

    With ``weight_decay`` > 0 every parameter also shrinks towards zero by the
    fraction lr * weight_decay per step, which for SGD is the same as adding
    (weight_decay / 2) ||p||^2 to the loss; 0 (the default) is off.
    """

    def __init__(self, lr: float = 0.1, momentum: float = 0.0, weight_decay: float = 0.0) -> None:
        super().__init__(lr)
        self.momentum = positive_float("momentum", momentum, allow_zero=True)
        if self.momentum >= 1:
            raise ValueError(f"momentum must be in [0, 1); got {momentum}")
        self.weight_decay = positive_float("weight_decay", weight_decay, allow_zero=True)
        self.velocity: Params = {}

    def _update(self, name: str, p: np.ndarray, g: np.ndarray) -> None:
        if self.weight_decay:
            p -= (self.lr * self.weight_decay) * p
        if self.momentum == 0:
            p -= self.lr * g
            return
        v = self.velocity.setdefault(name, np.zeros_like(p))
        v *= self.momentum
        v -= self.lr * g
        p += v

    def __repr__(self) -> str:
        wd = f", weight_decay={self.weight_decay}" if self.weight_decay else ""
        return f"SGD(lr={self.lr}, momentum={self.momentum}{wd})"


class Adam(Optimizer):
    """Adam (Kingma and Ba, 2015) with bias-corrected first and second moments.

    With ``weight_decay`` > 0 the decay is *decoupled* from the adaptive step, as in
    AdamW (Loshchilov and Hutter, 2019): each step first shrinks every parameter,
    p <- (1 - lr * weight_decay) p, then takes the usual Adam step.  (Adding an L2
    term to the loss instead would be divided by sqrt(v_hat) like the rest of the
    gradient, so parameters with large gradients would hardly be decayed.)
    0, the default, is plain Adam.
    """

    def __init__(
        self, lr: float = 0.01, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8, weight_decay: float = 0.0
    ) -> None:
        super().__init__(lr)
        self.weight_decay = positive_float("weight_decay", weight_decay, allow_zero=True)
        for name, b in (("beta1", beta1), ("beta2", beta2)):
            if not 0 <= positive_float(name, b, allow_zero=True) < 1:
                raise ValueError(f"{name} must be in [0, 1); got {b}")
        self.beta1, self.beta2, self.eps = float(beta1), float(beta2), positive_float("eps", eps)
        self.m: Params = {}
        self.v: Params = {}
        self.t: dict[str, int] = {}

    def _update(self, name: str, p: np.ndarray, g: np.ndarray) -> None:
        m = self.m.setdefault(name, np.zeros_like(p))
        v = self.v.setdefault(name, np.zeros_like(p))
        t = self.t[name] = self.t.get(name, 0) + 1
        if self.weight_decay:
            p -= (self.lr * self.weight_decay) * p
        m *= self.beta1
        m += (1 - self.beta1) * g
        v *= self.beta2
        v += (1 - self.beta2) * g * g
        m_hat = m / (1 - self.beta1**t)
        v_hat = v / (1 - self.beta2**t)
        p -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)

    def __repr__(self) -> str:
        wd = f", weight_decay={self.weight_decay}" if self.weight_decay else ""
        return f"Adam(lr={self.lr}, beta1={self.beta1}, beta2={self.beta2}{wd})"


def global_norm(grads: Params) -> float:
    """Euclidean norm of all gradients taken together, sqrt(sum_k ||g_k||^2)."""
    return float(np.sqrt(sum(float(np.sum(g * g)) for g in grads.values())))


def clip_grad_norm(grads: Params, max_norm: float) -> tuple[Params, float]:
    """Rescale all gradients together so their global norm is at most ``max_norm``.

    Clipping the global norm keeps the update's direction and only shortens it
    (Pascanu, Mikolov and Bengio, 2013). A clipped norm is exactly ``max_norm``:
    PyTorch's ``clip_grad_norm_`` scales by max_norm / (norm + 1e-6) instead, which
    differs from this in about the sixth significant digit. Gradients holding NaN or
    infinity have no finite norm to scale by: they are returned unscaled, with that norm
    (NaN or inf), so check it with ``np.isfinite`` to stop such a run.

    Returns
    -------
    clipped : dict
        with the same keys (new arrays when scaled, the inputs otherwise)
    norm
        the global norm before clipping
    """
    max_norm = positive_float("max_norm", max_norm)
    if not isinstance(grads, dict):
        raise TypeError(f"grads must be a dict of arrays; got {_describe(grads)}")
    for k, g in grads.items():
        _check_float_array(f"grads[{k!r}]", g)
    norm = global_norm(grads)
    if norm <= max_norm or not np.isfinite(norm):
        return dict(grads), norm
    scale = max_norm / norm
    return {k: g * scale for k, g in grads.items()}, norm


def cosine_schedule(step: int, total_steps: int, lr_max: float, lr_min: float = 0.0, warmup_steps: int = 0) -> float:
    """Learning rate at ``step`` (0-based): linear warm-up, then a half cosine from lr_max to lr_min.

    Set ``optimizer.lr = cosine_schedule(...)`` before each step.
    """
    total = positive_float("total_steps", total_steps)
    lr_max, lr_min = positive_float("lr_max", lr_max), positive_float("lr_min", lr_min, allow_zero=True)
    warm = positive_float("warmup_steps", warmup_steps, allow_zero=True)
    if not 0 <= step <= total:
        raise ValueError(f"step must be in [0, total_steps={total_steps}]; got {step}")
    if step < warm:
        return lr_max * (step + 1) / warm
    progress = (step - warm) / max(total - warm, 1)
    return lr_min + 0.5 * (lr_max - lr_min) * (1 + np.cos(np.pi * progress))


def exponential_schedule(step: int, lr0: float, decay: float, every: int = 1) -> float:
    """lr0 * decay ** (step // every): multiply the rate by ``decay`` every ``every`` steps."""
    lr0 = positive_float("lr0", lr0)
    if not 0 < positive_float("decay", decay) <= 1:
        raise ValueError(f"decay must be in (0, 1]; got {decay}")
    if step < 0:
        raise ValueError(f"step must be non-negative; got {step}")
    return lr0 * decay ** (step // positive_int("every", every))
