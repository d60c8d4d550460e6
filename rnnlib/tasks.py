"""Long-range dependency tasks and their trivial baselines.

Chapter 5 shows a vanilla RNN failing on these tasks as the distance to remember grows;
chapter 6 solves them with LSTM and GRU cells (both chapters train
:class:`rnnlib.models.ManyToOne` with ``task="regression"`` on the adding problem).  Each
generator takes the sequence length ``T`` (or delay), the number of sequences
``num_sequences`` (N) and ``rng``; nothing here touches global random state, and the same
generator state always gives the same data.

- :func:`adding_problem`, a common variant of the adding problem of Hochreiter and
  Schmidhuber (1997): x of shape (N, T, 2), the first channel random numbers in [0, 1),
  the second channel 1 at exactly two marked steps, one in each half; the target is the
  sum of the two marked numbers.  A model that has learned nothing predicts the mean, 1,
  and scores an MSE of Var(u_1 + u_2) = 2/12 = 1/6.
- :func:`copy_task`: ids of shape (N, T + 2L): L symbols, a delay of T blanks ending in a
  delimiter, then the model must write the L symbols back.  A model with no memory
  scores a cross-entropy of L log(K) / (T + 2L) for K symbols.
- :func:`repeated_motif`: the opposite, a short-range task (chapter 5): next-symbol
  prediction on a random motif of a few symbols, repeated, so that every next symbol is
  one the model read a few steps earlier.

The baselines are computed in closed form by :func:`adding_baseline_mse` and
:func:`copy_baseline_loss`, and tested against simulation.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from rnnlib._checks import _describe, check_rng, positive_int
from rnnlib._types import Array

# ---------------------------------------------------------------------------
# The adding problem
# ---------------------------------------------------------------------------


def adding_problem(
    num_sequences: int, T: int, rng: np.random.Generator, dtype: type = np.float64
) -> tuple[Array, Array]:
    """Sample the adding problem: remember two marked numbers and output their sum.

    Step t carries two features: a number u_t drawn uniformly from [0, 1), and a marker
    m_t in {0, 1}.  Exactly two steps are marked, one drawn uniformly from the first half
    of the sequence (steps 0 .. T//2 - 1) and one from the second half (T//2 .. T - 1), so
    the first marked number must be carried for about T/2 steps or more on average.

    This is a common variant of the task of Hochreiter and Schmidhuber (1997), whose
    numbers lie in [-1, 1], whose first marked step is one of the first ten, whose
    second is in the first half, and whose target is rescaled to 0.5 + (X_1 + X_2) / 4.

    Parameters
    ----------
    num_sequences : int
        N
    T : int
        sequence length, at least 2
    rng : np.random.Generator
    dtype : type
        floating dtype of the outputs

    Returns
    -------
    x : ndarray of shape (N, T, 2)
        x[..., 0] the numbers, x[..., 1] the markers
    y : ndarray of shape (N,)
        the sum of the two marked numbers, in [0, 2)
    """
    N = positive_int("num_sequences", num_sequences)
    T = positive_int("T", T)
    if T < 2:
        raise ValueError(f"T must be at least 2 so that two different steps can be marked; got {T}")
    rng = check_rng(rng)
    if not np.issubdtype(np.dtype(dtype), np.floating):
        raise TypeError(f"dtype must be a floating type such as np.float64; got {_describe(dtype)}")
    u = rng.random((N, T))
    first = rng.integers(0, T // 2, size=N)
    second = rng.integers(T // 2, T, size=N)
    rows = np.arange(N)
    markers = np.zeros((N, T))
    markers[rows, first] = 1.0
    markers[rows, second] = 1.0
    x: Array = np.stack([u, markers], axis=-1).astype(dtype)
    y: Array = (u[rows, first] + u[rows, second]).astype(dtype)
    return x, y


def adding_baseline_mse(remembered: int = 0) -> float:
    """The exact MSE of the best prediction that uses only ``remembered`` of the two numbers.

    Each marked number is uniform on [0, 1), with mean 1/2 and variance 1/12.  A model that
    knows k of them predicts those plus 1/2 for each of the others, and its squared error
    is the variance of what it does not know: (2 - k) / 12.

    - ``remembered=0``: the trivial baseline, always predicting 1: MSE = 1/6 ~ 0.1667.
    - ``remembered=1``: e.g. a model that keeps only the recent (second) number: 1/12.
    - ``remembered=2``: a perfect model: 0.

    Parameters
    ----------
    remembered : int
        0, 1 or 2

    Returns
    -------
    mse : float
    """
    if isinstance(remembered, bool) or not isinstance(remembered, (int, np.integer)) or remembered not in (0, 1, 2):
        raise ValueError(f"remembered must be 0, 1 or 2 (how many marked numbers the model knows); got {remembered!r}")
    return (2 - int(remembered)) / 12


# ---------------------------------------------------------------------------
# The copy task
# ---------------------------------------------------------------------------

#: Token ids of the copy task: 0 is the blank; 1..K the symbols; K + 1 the delimiter.
COPY_BLANK = 0


def copy_task(
    num_sequences: int, T: int, rng: np.random.Generator, num_symbols: int = 8, length: int = 10
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Sample the copy task: read ``length`` symbols, wait ``T`` steps, write them back.

    With K = ``num_symbols`` and L = ``length``, ids are 0 (blank), 1..K (symbols) and
    K + 1 (the delimiter), so the vocabulary size is V = K + 2.  Each sequence has T + 2L
    steps:

        inputs   s_1 .. s_L | blank x (T - 1), delimiter | blank x L
        targets  blank x (L + T)                         | s_1 .. s_L

    The delimiter tells the model when to start writing; the first symbol must be carried
    across T + L steps.

    Parameters
    ----------
    num_sequences : int
        N
    T : int
        the delay (steps between the last symbol read and the first written), at least 1
    rng : np.random.Generator
    num_symbols : int
        K, symbols drawn uniformly from 1..K
    length : int
        L, how many symbols to copy

    Returns
    -------
    inputs : int64 ndarray of shape (N, T + 2L)
    targets : int64 ndarray of shape (N, T + 2L)
    """
    N = positive_int("num_sequences", num_sequences)
    T = positive_int("T", T)
    rng = check_rng(rng)
    K = positive_int("num_symbols", num_symbols)
    L = positive_int("length", length)
    symbols = rng.integers(1, K + 1, size=(N, L))
    inputs = np.full((N, T + 2 * L), COPY_BLANK, dtype=np.int64)
    targets = np.full((N, T + 2 * L), COPY_BLANK, dtype=np.int64)
    inputs[:, :L] = symbols
    inputs[:, L + T - 1] = K + 1
    targets[:, L + T :] = symbols
    return inputs, targets


def copy_baseline_loss(T: int, num_symbols: int = 8, length: int = 10) -> float:
    """The exact mean cross-entropy (nats per step) of the best model with no memory.

    Such a model knows the layout (blanks until the delimiter, then L symbols), so it is
    certain, and loses nothing, on the T + L blank targets; on each of the L symbols it can
    only spread its probability evenly over the K symbols and pays log K:

        loss = L log(K) / (T + 2L)

    Parameters
    ----------
    T, num_symbols, length : int
        as in :func:`copy_task`

    Returns
    -------
    loss : float
    """
    T = positive_int("T", T)
    K = positive_int("num_symbols", num_symbols)
    L = positive_int("length", length)
    return float(L * np.log(K) / (T + 2 * L))


# ---------------------------------------------------------------------------
# A short-range task: next-symbol prediction on a repeated motif
# ---------------------------------------------------------------------------


def repeated_motif(
    num_sequences: int, T: int, rng: np.random.Generator, period: int = 3, num_symbols: int = 8
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Sample next-symbol prediction on a repeated random motif: a short-range task.

    Each sequence repeats a motif of p = ``period`` symbols drawn uniformly from 0..K-1
    (for p = 3, "c a f c a f c a ..."), T + 1 symbols s_0 .. s_T in all.  The inputs are
    the first T of them and the targets the symbol after each input:
    ``targets[:, t] = s_{t+1}``.  From code index t = p - 1 on, every target is the input
    p - 1 steps before the current one, ``targets[:, t] = inputs[:, t - p + 1]``, so a
    model that remembers its last p inputs predicts it exactly; the first p - 1 targets
    are new symbols that no model can predict better than chance, 1/K.

    Parameters
    ----------
    num_sequences : int
        N
    T : int
        number of steps, at least ``period``
    rng : np.random.Generator
    period : int
        p, the length of the motif, a positive int
    num_symbols : int
        K, the size of the alphabet (the vocabulary of inputs and targets), at least 2

    Returns
    -------
    inputs : int64 ndarray of shape (N, T)
        symbols in [0, K)
    targets : int64 ndarray of shape (N, T)
        the next symbol after each input
    """
    N = positive_int("num_sequences", num_sequences)
    T = positive_int("T", T)
    rng = check_rng(rng)
    p = positive_int("period", period)
    K = positive_int("num_symbols", num_symbols)
    if K < 2:
        raise ValueError(f"num_symbols must be at least 2, or there is nothing to predict; got {K}")
    if T < p:
        raise ValueError(f"T must be at least period ({p}) so that the motif repeats; got {T}")
    motif = rng.integers(0, K, size=(N, p))
    symbols = motif[:, np.arange(T + 1) % p]  # (N, T + 1): s_j = motif[j mod p]
    return symbols[:, :-1].copy(), symbols[:, 1:].copy()
