"""Weight initialisers (chapter 7).  Each takes the generator it draws from.

- ``normal``: Gaussian with variance 1/fan_in, so pre-activations start at unit scale.
- ``orthogonal``: a random orthogonal matrix (all singular values 1), so repeated
  multiplication by W_hh neither shrinks nor grows a vector at the start of training
  (Saxe, McClelland and Ganguli, 2014).
- ``identity``: a scaled identity for W_hh, the "IRNN" start of Le, Jaitly and Hinton
  (2015): with ReLU the state is copied forward until learning changes it.
- ``embedding``: an embedding table E with N(0, EMBEDDING_SCALE^2) entries, the start of every
  model in rnnlib that looks its inputs up in a table.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from rnnlib._checks import check_rng, positive_float, positive_int


def normal(rng: np.random.Generator, shape: tuple[int, ...], fan_in: int | None = None) -> NDArray[np.float64]:
    """N(0, 1/fan_in) entries; ``fan_in`` defaults to ``shape[0]``."""
    rng = check_rng(rng)
    shape = tuple(positive_int("shape entry", s) for s in shape)
    fan_in = shape[0] if fan_in is None else positive_int("fan_in", fan_in)
    return rng.standard_normal(shape) / np.sqrt(fan_in)


def orthogonal(rng: np.random.Generator, shape: tuple[int, int], gain: float = 1.0) -> NDArray[np.float64]:
    """A (rows, cols) matrix with orthonormal rows or columns, times ``gain``.

    Drawn as the Q factor of a Gaussian matrix, with signs fixed by R's diagonal so
    that the result is uniformly distributed over orthogonal matrices.
    """
    rng = check_rng(rng)
    if len(shape) != 2:
        raise ValueError(f"orthogonal needs a 2-D shape (rows, cols); got {shape}")
    rows, cols = (positive_int("shape entry", s) for s in shape)
    gain = positive_float("gain", gain)
    a = rng.standard_normal((max(rows, cols), min(rows, cols)))
    q, r = np.linalg.qr(a)
    q *= np.sign(np.diag(r))
    return gain * (q if rows >= cols else q.T)


#: Standard deviation of an embedding table's initial entries. A row of E is the input x_t itself
#: (no fan-in to divide by, as :func:`normal` does for a weight matrix), so its entries are drawn
#: small: 0.1 keeps x_t W_xh, and so the first states, well inside tanh's linear range for the
#: embedding sizes the course uses (8 to 64), and still breaks the symmetry between tokens.
EMBEDDING_SCALE = 0.1


def embedding(rng: np.random.Generator, num_embeddings: int, embedding_size: int) -> NDArray[np.float64]:
    """An embedding table of shape (num_embeddings, embedding_size), N(0, EMBEDDING_SCALE^2) entries.

    Draws ``rng.standard_normal((num_embeddings, embedding_size))`` once, as every model's
    constructor did before this function existed, so a model's start is unchanged.
    """
    rng = check_rng(rng)
    shape = (positive_int("num_embeddings", num_embeddings), positive_int("embedding_size", embedding_size))
    return EMBEDDING_SCALE * rng.standard_normal(shape)


def identity(size: int, scale: float = 1.0) -> NDArray[np.float64]:
    """``scale`` times the (size, size) identity."""
    return positive_float("scale", scale) * np.eye(positive_int("size", size))
