"""The data a user passes (``data=(X, y)`` and its variants) read as arrays, and the batch size.

Example:
    >>> import numpy as np
    >>> X, y = normalize_data((np.ones((4, 2)), [0, 1, 0, 1]))
    >>> X.shape, y.shape
    ((4, 2), (4,))
"""

from __future__ import annotations

from collections.abc import Mapping
from types import EllipsisType
from typing import Any

import numpy as np

from ...layers import Pairing, known_structure

__all__ = ["batch_size", "normalize_data"]


def _stack(parts: Any) -> np.ndarray:
    arrays = [np.asarray(p, dtype=np.float64) for p in parts]
    if all(a.ndim == 2 and a.shape[1] == 1 for a in arrays):
        return np.hstack(arrays)  # column vectors, one per example
    return np.stack([a.reshape(-1) for a in arrays])


def normalize_data(data: Any) -> tuple[np.ndarray, np.ndarray] | None:
    """``(X, y)`` as arrays, from ``(X, y)``, a list of ``(x, y)`` pairs (one per example, as in
    Nielsen's code) or ``(list of x, list of y)``; None when the data cannot be read.

    >>> xs = [np.ones((3, 1)), np.zeros((3, 1))]
    >>> X, y = normalize_data(list(zip(xs, [np.ones((2, 1))] * 2)))
    >>> X.shape, y.shape
    ((3, 2), (2, 2))
    """
    if data is None:
        return None
    if ragged_pairs(data):
        # two examples as [[x1, y1], [x2, y2]] (plain lists, x and y of different lengths)
        data = ([d[0] for d in data], [d[1] for d in data])
    try:
        if _per_example(data):
            data = ([d[0] for d in data], [d[1] for d in data])
        X, y = _array(data[0]), _array(data[1])
        if not np.issubdtype(X.dtype, np.number) or not np.issubdtype(y.dtype, np.number):
            return None
        return X, y
    except Exception:  # noqa: BLE001 - data of an unknown form
        return None


def _per_example(data: Any) -> bool:
    """``data`` is a list of ``(x, y)`` pairs, one per example (not ``(X, y)``)."""
    if isinstance(data, (list, tuple)) and len(data) != 2:
        return all(isinstance(d, (list, tuple)) and len(d) == 2 for d in data)
    return isinstance(data, list) and len(data) == 2 and all(isinstance(d, tuple) and len(d) == 2 for d in data)


def _array(part: Any) -> np.ndarray:
    """One half of the data as an array: a list of per-example arrays stacked, column vectors side by side."""
    if isinstance(part, (list, tuple)) and part and isinstance(part[0], np.ndarray) and part[0].ndim >= 1:
        part = _stack(part)
    part = np.asarray(part)
    if part.ndim == 3 and part.shape[-1] == 1:
        part = np.hstack(list(part))
    return part


def ragged_pairs(data: Any) -> bool:
    """``data`` is two ``(x, y)`` pairs rather than ``(X, y)``: each half is a pair whose parts differ in length."""
    if not (isinstance(data, (list, tuple)) and len(data) == 2):
        return False
    try:
        halves = [d for d in data if isinstance(d, (list, tuple)) and len(d) == 2]
        if len(halves) != 2:
            return False
        sizes = [(np.size(h[0]), np.size(h[1])) for h in halves]
        return sizes[0] == sizes[1] and sizes[0][0] != sizes[0][1] and sizes[0][0] > 1
    except Exception:  # noqa: BLE001 - not array-like
        return False


def batch_size(data: Any, params: Mapping[str, np.ndarray], hint: Any = None, *,
               pairing: Pairing | None | EllipsisType = ...) -> int | None:
    """The number of examples in ``data = (X, y)``, or from ``hint["batch_size"]``; None if unknown.
    ``pairing``: :func:`gradcheck.layers.structure` of ``params``, when the caller has it."""
    if isinstance(hint, Mapping) and isinstance(hint.get("batch_size"), (int, np.integer)):
        return int(hint["batch_size"])
    data = normalize_data(data)
    if data is None:
        return None
    X, y = data
    if X.ndim == 1:
        return 1
    if X.ndim != 2:
        return None
    layers = known_structure(params, pairing)
    if layers and layers[0] is not None:
        in_dims = set(np.shape(params[layers[0][0]]))
        r, c = X.shape
        if r in in_dims and c not in in_dims:
            return c
        if c in in_dims and r not in in_dims:
            return r
        if r == c:
            return r
    if y is not None and y.ndim == 1:
        return int(y.shape[0])
    return None
