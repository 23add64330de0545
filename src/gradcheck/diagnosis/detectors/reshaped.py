"""Detector: a gradient that is the numerical one transposed and then reshaped back to the parameter's shape.

A gradient computed in the transposed orientation (``dZ.T @ A_prev`` for a ``W`` of (n_in, n_out)) has
the shape of ``W.T``; ``.reshape(W.shape)`` gives it ``W``'s shape without an error but keeps the elements
in their order, so the user's gradient is ``numeric.T.reshape(W.shape)``. Only a ``W`` with both sides of
2 or more, unequal, shows it: with a side of 1 the reshape is the transpose, for a square ``W`` it is
the plain transpose (:mod:`.transposed`).

Example:
    >>> import numpy as np
    >>> n = np.arange(6.0).reshape(2, 3)
    >>> reshaped_ratio(n.T.reshape(2, 3), n)
    (1.0, 0.0)
"""

from __future__ import annotations

import numpy as np

from ...report import Finding
from ..catalogue import fix_text
from ..evidence import Evidence, Explanation
from ..signatures import fit_ratio
from ..thresholds import fit_rtol, near
from .ratio import constant_ratio

__all__ = ["detect", "reshaped_ratio"]


def reshaped_ratio(analytic: np.ndarray, numeric: np.ndarray) -> tuple[float, float]:
    """``(c, residual)`` of ``analytic ≈ c * numeric.T.reshape(numeric.shape)``; ``(nan, inf)`` where the
    reshape is no mistake (a side of 1, a square matrix, shapes that differ)."""
    n = np.asarray(numeric, dtype=np.float64)
    a = np.asarray(analytic, dtype=np.float64)
    if a.shape != n.shape or n.ndim != 2 or min(n.shape) < 2 or n.shape[0] == n.shape[1]:
        return float("nan"), float("inf")
    return fit_ratio(a, n.T.reshape(n.shape))


def detect(ev: Evidence, unexplained: list[str]) -> Explanation:
    out = []
    for name in unexplained:
        g, n = ev.grads.get(name), ev.report[name].numeric
        if g is None or n is None or constant_ratio(ev, name) is not None:
            continue
        c, rt = reshaped_ratio(g, n)
        if rt > fit_rtol(ev.report[name].dtype) or not np.isfinite(c):
            continue
        extra = "" if near(c, 1) else f" (and scaled by {c:.4g})"
        rows, cols = np.shape(g)
        out.append(Finding(
            kind="reshape_instead_of_transpose",
            params=[name],
            message=f"the analytic gradient of {name} equals the numerical one transposed and reshaped back to "
            f"({rows}, {cols}){extra}: it was computed in the transposed orientation and given {name}'s shape with "
            f".reshape, which keeps the elements in their order, instead of .T",
            fix=fix_text("reshape_gradient", name=name),
            evidence={"factor": c},
            layer=ev.layer_of.get(name),
            confidence="likely",
        ))
    return Explanation.of(out)
