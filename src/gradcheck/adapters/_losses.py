"""Standard losses a net without a loss function of its own can be checked against (``--loss``).

Each takes the net's output ``a``, the targets ``y`` and the number of examples ``m``.
"bce" and "ce" average over the examples; "mse" averages over every element; "half-mse" is
``0.5 * mean over examples of ||a - y||^2``; "sse" sums; a "-sum" suffix sums over the examples.

Example:
    >>> import numpy as np
    >>> LOSSES["half-sse"](np.array([[1.0, 3.0]]), np.array([[0.0, 1.0]]), 2)
    2.5
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

__all__ = ["LOSSES", "examples_in"]


def _onehot(a: np.ndarray, y: np.ndarray) -> np.ndarray:
    y = np.asarray(y)
    if y.shape == a.shape:
        return y.astype(float)
    labels = y.reshape(-1).astype(int)
    out = np.zeros_like(a, dtype=float)
    if a.shape[0] == labels.size:  # rows
        out[np.arange(labels.size), labels] = 1.0
    else:  # columns
        out[labels, np.arange(labels.size)] = 1.0
    return out


def _bce(a: np.ndarray, y: np.ndarray) -> float:
    y = np.asarray(y, dtype=float).reshape(a.shape)
    return float(-np.sum(y * np.log(a) + (1 - y) * np.log(1 - a)))


LOSSES: dict[str, Callable[[np.ndarray, np.ndarray, int], float]] = {
    "bce": lambda a, y, m: _bce(a, y) / m,
    "bce-sum": lambda a, y, m: _bce(a, y),
    "ce": lambda a, y, m: float(-np.sum(_onehot(a, y) * np.log(a))) / m,
    "ce-sum": lambda a, y, m: float(-np.sum(_onehot(a, y) * np.log(a))),
    "mse": lambda a, y, m: float(np.mean((a - np.asarray(y).reshape(a.shape)) ** 2)),
    "half-mse": lambda a, y, m: float(0.5 * np.sum((a - np.asarray(y).reshape(a.shape)) ** 2)) / m,
    "sse": lambda a, y, m: float(np.sum((a - np.asarray(y).reshape(a.shape)) ** 2)),
    "half-sse": lambda a, y, m: float(0.5 * np.sum((a - np.asarray(y).reshape(a.shape)) ** 2)),
}


def examples_in(X: object, y: object) -> int:
    """The number of examples in ``(X, y)``: examples are rows unless only the columns agree."""
    Xa, ya = np.asarray(X), np.asarray(y)
    if Xa.ndim < 2:
        return int(Xa.shape[0]) if Xa.ndim else 1
    if ya.ndim >= 1 and ya.shape[0] == Xa.shape[0]:
        return int(Xa.shape[0])
    if ya.ndim >= 1 and ya.shape[-1] == Xa.shape[-1]:
        return int(Xa.shape[-1])
    return int(Xa.shape[0])
