"""Piecewise-linear activations by family: a value, a derivative, the derivative as Python text, and
the derivatives people write for it by mistake.

Two families, each a table of named members and one parameterized name:

- **clip**: ``clip(z, lo, hi)``, derivative ``lo < z < hi`` (1 inside, 0 on the flat parts):
  ``relu6`` is ``clip(z, 0, 6)``, ``hardtanh`` ``clip(z, -1, 1)``; ``"clip(0,20)"`` names any other
  bounds (a relu capped at 20);
- **sign**: ``|z|``, derivative ``sign(z)`` (``abs``).

:mod:`.dense` computes with them (value and derivative), the inference tries them for uniform hidden
layers, and the diagnosis injects their :func:`mistakes` (a bound of the clip forgotten, the
derivative left out, the relu mask used for |z|).

Example:
    >>> import numpy as np
    >>> f = family("relu6")
    >>> f.value(np.array([-1.0, 3.0, 9.0])), f.derivative(np.array([-1.0, 3.0, 9.0]))
    (array([0., 3., 6.]), array([0., 1., 0.]))
    >>> f.text("Z1"), family("abs").text("Z2"), family("tanh") is None
    ('((Z1 > 0) & (Z1 < 6))', 'np.sign(Z2)', True)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

__all__ = ["CLIPS", "NAMED", "Family", "family", "mistakes"]

Deriv = Callable[[np.ndarray, np.ndarray], np.ndarray]

#: The clip family's named members and their bounds.
CLIPS: dict[str, tuple[float, float]] = {"relu6": (0.0, 6.0), "hardtanh": (-1.0, 1.0)}
#: Every named member of a family, in the order the inference tries them.
NAMED = ("abs", *CLIPS)


@dataclass(frozen=True)
class Family:
    """One member: ``kind`` is ``"clip"`` (with ``lo``, ``hi``) or ``"sign"``; ``name`` as the user's net
    names it."""

    kind: str
    name: str
    lo: float = 0.0
    hi: float = 0.0

    def value(self, z: np.ndarray) -> np.ndarray:
        return np.clip(z, self.lo, self.hi) if self.kind == "clip" else np.abs(z)

    def derivative(self, z: np.ndarray) -> np.ndarray:
        if self.kind == "clip":
            return ((z > self.lo) & (z < self.hi)).astype(z.dtype)
        return np.sign(z)

    def text(self, z: str) -> str:
        """The derivative as a Python factor of the pre-activation named ``z``."""
        if self.kind == "clip":
            return f"(({z} > {self.lo:g}) & ({z} < {self.hi:g}))"
        return f"np.sign({z})"


def family(name: str) -> Family | None:
    """The member of a family named ``name`` (``"relu6"``, ``"hardtanh"``, ``"clip(lo,hi)"``, ``"abs"``), else None.

    >>> family("clip(0,20)")
    Family(kind='clip', name='clip(0,20)', lo=0.0, hi=20.0)
    """
    if name == "abs":
        return Family("sign", name)
    if name in CLIPS:
        return Family("clip", name, *CLIPS[name])
    if name.startswith("clip(") and name.endswith(")"):
        try:
            lo, hi = (float(v) for v in name[len("clip("):-1].split(","))
        except ValueError:
            return None
        return Family("clip", name, lo, hi) if lo < hi else None
    return None


def _ones(z: np.ndarray, a: np.ndarray) -> np.ndarray:
    return np.ones_like(z)


def mistakes(f: Family) -> list[tuple[str, Deriv, str]]:
    """The derivatives written by mistake for ``f``: ``(kind, derivative(z, a), what was done)``.

    >>> [kind for kind, _, _ in mistakes(family("relu6"))][:2]
    ['wrong_activation_derivative', 'wrong_activation_derivative']
    """
    if f.kind == "sign":
        return [
            ("missing_activation_derivative", _ones, "|z|' (sign(z)) left out"),
            ("wrong_activation_derivative", lambda z, a: (z > 0).astype(z.dtype),
             "a relu mask (z > 0) used for |z|, whose derivative is sign(z) (-1 for z < 0)"),
            ("wrong_activation_derivative", lambda z, a: a, "the activation |z| used as its own derivative"),
        ]
    lo, hi = f.lo, f.hi
    return [
        ("wrong_activation_derivative", lambda z, a: (z > lo).astype(z.dtype),
         f"{f.name}' taken as the mask z > {lo:g} alone: the flat part above {hi:g} forgotten"),
        ("wrong_activation_derivative", lambda z, a: (z < hi).astype(z.dtype),
         f"{f.name}' taken as the mask z < {hi:g} alone: the flat part below {lo:g} forgotten"),
        ("missing_activation_derivative", _ones, f"{f.name}' (the mask {lo:g} < z < {hi:g}) left out"),
        ("wrong_activation_derivative", lambda z, a: a, f"the activation {f.name}(z) used as its own derivative"),
    ]
