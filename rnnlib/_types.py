"""Type aliases shared by rnnlib's modules, checked by mypy in ``make lint``.

The docstrings give every array's shape (``ndarray of shape (N, T, D)``); these aliases say only
what kind of numbers an array holds, once for the whole package.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

#: A float array of any shape: inputs, activations, parameters, gradients.
Array = NDArray[np.floating]
#: An integer array of any shape: token ids, class labels, lengths, indices.
IntArray = NDArray[np.integer]
#: A boolean array of any shape: padding masks (True where a step is real).
BoolArray = NDArray[np.bool_]
