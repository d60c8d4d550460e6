"""Saving and loading trained parameters as ``.npz`` files, never with pickle (chapter 7).

A file holds one array per parameter plus a marker entry naming the format, and
optional JSON metadata (for example the model's sizes).  Loading uses
``np.load(..., allow_pickle=False)``, so a file from an untrusted source can at worst
fail to load: it can never run code.  Truncated, foreign or tampered files raise a
``ValueError`` that says what is wrong.
"""

from __future__ import annotations

import json
import zipfile
from os import PathLike
from typing import Any

import numpy as np
from numpy.typing import NDArray

from rnnlib._checks import _describe

_MARKER = "__rnnlib_format__"
_META = "__rnnlib_metadata__"
FORMAT = "rnnlib-params-1"


def save_params(
    path: str | PathLike[str], params: dict[str, NDArray[Any]], metadata: dict[str, Any] | None = None
) -> None:
    """Write ``params`` (name -> numeric array) and optional JSON-able ``metadata`` to ``path``.

    The file is written at exactly ``path``: no ``.npz`` suffix is added (``np.savez``
    would add one to a name without it), so ``load_params(path)`` reads it back."""
    if not isinstance(params, dict) or not params:
        raise TypeError(f"params must be a non-empty dict of arrays; got {_describe(params)}")
    arrays: dict[str, np.ndarray] = {}
    for name, value in params.items():
        if not isinstance(name, str) or name.startswith("__"):
            raise ValueError(f"parameter names must be strings not starting with '__'; got {name!r}")
        arr = np.asarray(value)
        if not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
            raise TypeError(f"params[{name!r}] must be a numeric array; got dtype {arr.dtype}")
        arrays[name] = arr
    try:
        meta = json.dumps(metadata or {})
    except TypeError as exc:
        raise TypeError(f"metadata must be JSON-serialisable (numbers, strings, lists, dicts); {exc}") from None
    with open(path, "wb") as f:
        payload: dict[str, Any] = {**arrays, _MARKER: np.array(FORMAT), _META: np.array(meta)}
        np.savez(f, **payload)


def load_params(path: str | PathLike[str]) -> tuple[dict[str, NDArray[Any]], dict[str, Any]]:
    """Read a file written by :func:`save_params`.

    Returns
    -------
    params : dict of str -> ndarray
        the arrays, by parameter name
    metadata : dict
    """
    try:
        data = np.load(path, allow_pickle=False)
        if not isinstance(data, np.lib.npyio.NpzFile):  # np.load returns a .npy file's array itself
            raise ValueError("it holds a single array, not an .npz archive")
        with data:
            if _MARKER not in data.files:
                raise ValueError(f"it has no {_MARKER!r} entry, so it was not written by rnnlib.save_params")
            fmt = str(data[_MARKER])
            if fmt != FORMAT:
                raise ValueError(f"its format is {fmt!r}; this rnnlib reads {FORMAT!r}")
            meta = json.loads(str(data[_META])) if _META in data.files else {}
            params = {k: data[k] for k in data.files if not k.startswith("__")}
    except FileNotFoundError:
        raise
    except (ValueError, OSError, EOFError, zipfile.BadZipFile, json.JSONDecodeError, KeyError) as exc:
        raise ValueError(f"{path} is not a readable rnnlib parameter file: {exc}") from None
    return params, meta


def load_into(params: dict[str, NDArray[Any]], path: str | PathLike[str]) -> dict[str, Any]:
    """Copy saved values into an existing ``params`` dict in place, checking names and shapes.

    Returns the file's metadata.
    """
    loaded, meta = load_params(path)
    if loaded.keys() != params.keys():
        raise ValueError(f"{path} holds parameters {sorted(loaded)}; the model expects {sorted(params)}")
    for k, v in loaded.items():
        if v.shape != params[k].shape:
            raise ValueError(f"{path}: {k} has shape {v.shape}; the model expects {params[k].shape}")
    for k, v in loaded.items():
        params[k][...] = v
    return meta
