"""A training step's pass count and learning rate, found by probing its keyword arguments.

Names alone do not say which argument of ``train(X, y, num_passes=20000, epsilon=0.01,
reg_lambda=0.01)`` is the learning rate (``epsilon`` is also a name for Adam's stability
constant) or which integer counts passes (``sweeps=300``). The step itself says it:

- a **pass count** is an integer keyword (a default above 1) such that the step with it at 2
  moves the weights differently from the step with it at 1; it is then set to 1;
- a **learning rate** is a float keyword such that halving it halves the step
  (``W_before - W_after``) of every parameter, which an L2 strength, a tolerance or a
  momentum coefficient does not do.

Names known to play another part (a regularization strength, a keep probability, a
momentum coefficient, a seed) are not probed. Each probe is one call of the step, run by
``move(overrides)``, which returns ``W_before - W_after`` per parameter and puts everything back.

Example:
    >>> import numpy as np
    >>> W = np.array([1.0, -2.0])
    >>> def train(X, y, rounds=100, gain=0.1, tol=1e-3):
    ...     for _ in range(rounds):
    ...         W[:] -= gain * W
    >>> def move(over):
    ...     old = W.copy()
    ...     kw = {"rounds": 100, "gain": 0.1, "tol": 1e-3, **over}
    ...     train(None, None, **kw)
    ...     out = {"W": old - W}
    ...     W[:] = old
    ...     return out
    >>> pass_counts(train, move)
    ['rounds']
    >>> rate_argument(train, lambda over: move({"rounds": 1, **over}))
    ('gain', ['tol'])
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import numpy as np

from ..targets import SEED_NAMES
from ._access import role_of
from ._optimizer import MOMENTUM_NAMES
from ._values import KEEP_NAMES, REG_NAMES

__all__ = ["LINEAR_RTOL", "float_keywords", "int_keywords", "pass_counts", "rate_argument"]

#: Halving a learning rate halves the step to this relative tolerance (the step's own round-off is
#: ~1e-13 of it; a term that does not scale with the candidate, an L2 term, is far above it).
LINEAR_RTOL = 1e-6
#: Names never probed: they are known to be something other than a rate or a pass count.
_NOT_PROBED = frozenset(REG_NAMES + KEEP_NAMES + MOMENTUM_NAMES + SEED_NAMES)

Move = Callable[[dict[str, Any]], dict[str, np.ndarray]]


def _keywords(step: Any, kind: type) -> list[tuple[str, Any]]:
    try:
        ps = inspect.signature(step).parameters.values()
    except (TypeError, ValueError):
        return []
    return [(p.name, p.default) for p in ps
            if type(p.default) is kind and role_of(p.name) is None and p.name.lower() not in _NOT_PROBED]


def int_keywords(step: Any) -> list[str]:
    """Integer keywords with a default above 1 and no known role: pass count candidates.

    >>> int_keywords(lambda X, y, sweeps=300, seed=0, verbose=1, epochs=5: None)
    ['sweeps']
    """
    return [n for n, d in _keywords(step, int) if d > 1]


def float_keywords(step: Any) -> list[tuple[str, float]]:
    """Float keywords with no known role, with their defaults: learning rate candidates.

    >>> float_keywords(lambda X, y, epsilon=0.01, reg_lambda=0.01, lr=0.1: None)
    [('epsilon', 0.01)]
    """
    return _keywords(step, float)


def _same(a: dict[str, np.ndarray], b: dict[str, np.ndarray], factor: float = 1.0) -> bool:
    return a.keys() == b.keys() and all(
        np.shape(a[k]) == np.shape(b[k]) and np.allclose(a[k], factor * b[k], rtol=LINEAR_RTOL,
                                                         atol=LINEAR_RTOL * float(np.max(np.abs(a[k]), initial=0.0)))
        for k in a)


def pass_counts(step: Any, move: Move) -> list[str]:
    """The integer keywords that change the step between 1 and 2: its pass counts (to set to 1)."""
    found = []
    for name in int_keywords(step):
        try:
            if not _same(move({name: 1}), move({name: 2})):
                found.append(name)
        except Exception:  # noqa: BLE001 - a value the step refuses is no pass count
            continue
    return found


def rate_argument(step: Any, move: Move) -> tuple[str | None, list[str]]:
    """``(the learning-rate keyword or None, the float keywords tried and found not to be one)``.

    None also when several keywords scale the step linearly (which one is the rate cannot be told).
    """
    linear: list[str] = []
    other: list[str] = []
    for name, default in float_keywords(step):
        value = default if default > 0 else 1.0
        try:
            full, half = move({name: value}), move({name: value / 2})
        except Exception:  # noqa: BLE001 - a value the step refuses is no rate
            other.append(name)
            continue
        moved = any(np.any(v != 0) for v in full.values())
        (linear if moved and _same(full, half, 2.0) else other).append(name)
    return (linear[0] if len(linear) == 1 else None), other
