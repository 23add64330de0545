"""Held-out nets for naming mistakes when the user passes only ``check(params, loss, grads)``.

Each case is a small net written the way people write them outside this project (layer objects
with forward/backward, tutorial classes that keep their data on ``self``, per-example loops,
plain functions with closures, ``functools.partial`` losses, module globals, an RNN, residual
and normalization blocks, a 1-D convolution). ``make()`` returns ``params``, ``loss``, ``grads``
exactly as a user would hand them over, plus ``X`` and ``y``: the very arrays the loss reads, kept
only so that the truth test can confirm where the data lives. They are never passed to gradcheck.

The truth of each case (which parameters are wrong, which mistake it is) is checked by
``test_truth.py`` with its own finite differences, independently of gradcheck.

    >>> from tests.heldout_naming import all_cases
    >>> len(all_cases()) >= 36
    True
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Mistake:
    """One mistake in a net: its kind (a catalogue kind, or a proposed one when ``new_kind``),
    the parameters whose gradient it makes wrong, and other names that would also be right."""

    kind: str
    params: frozenset[str]
    new_kind: bool = False
    aliases: tuple[str, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        return (self.kind, *self.aliases)


@dataclass(frozen=True)
class Case:
    """A net and its truth: ``mistakes`` is empty for a correct net."""

    name: str
    style: str
    mistakes: tuple[Mistake, ...]
    data_home: str  # where the loss finds X and y: "closure", "self", "globals", "partial"
    x_shape: tuple[int, ...]
    y_shape: tuple[int, ...]
    make: Callable[[], dict[str, Any]]

    @property
    def correct(self) -> bool:
        return not self.mistakes

    @property
    def wrong(self) -> frozenset[str]:
        return frozenset().union(*(m.params for m in self.mistakes))


def bug(kind: str, *params: str, new_kind: bool = False, aliases: tuple[str, ...] = ()) -> Mistake:
    """A mistake of ``kind`` making the gradients of ``params`` wrong."""
    return Mistake(kind, frozenset(params), new_kind, aliases)


NORM_ALIASES = ("normalization_backward_incomplete",)

CASES: dict[str, Case] = {}


def case(style: str, home: str, x_shape: tuple[int, ...], y_shape: tuple[int, ...], *mistakes: Mistake):
    """Register the decorated ``make()`` under its function name."""

    def register(make: Callable[[], dict[str, Any]]) -> Callable[[], dict[str, Any]]:
        CASES[make.__name__] = Case(make.__name__, style, tuple(mistakes), home, x_shape, y_shape, make)
        return make

    return register


def all_cases() -> list[Case]:
    """Every case, in the order the style modules define them."""
    from . import (  # noqa: F401  (importing registers the cases)
        blocks_style,
        closures_style,
        globals_style,
        layers_style,
        partial_style,
        per_example_style,
        rnn_style,
        tutorial_style,
    )

    return list(CASES.values())


def binary_data(m: int, n: int, seed: int, dtype: Any = np.float64) -> tuple[np.ndarray, np.ndarray]:
    """``m`` examples as rows with ``n`` features and 0/1 labels of shape (m,) from a noisy plane."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(m, n))
    y = (X @ rng.normal(size=n) + 0.5 * rng.normal(size=m) > 0).astype(float)
    return X.astype(dtype), y


def regression_data(m: int, n: int, k: int, seed: int, dtype: Any = np.float64) -> tuple[np.ndarray, np.ndarray]:
    """``m`` examples as rows with ``n`` features and ``k`` smooth real targets, shape (m, k)."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(m, n))
    y = np.sin(X @ rng.normal(size=(n, k))) + 0.1 * rng.normal(size=(m, k))
    return X.astype(dtype), y


def class_data(m: int, n: int, k: int, seed: int, dtype: Any = np.float64) -> tuple[np.ndarray, np.ndarray]:
    """``m`` examples as rows with ``n`` features and integer labels in ``range(k)``, shape (m,)."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(m, n))
    y = np.argmax(X @ rng.normal(size=(n, k)) + 0.3 * rng.normal(size=(m, k)), axis=1)
    return X.astype(dtype), y


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))
