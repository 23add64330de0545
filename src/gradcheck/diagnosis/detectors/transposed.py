"""Detector: a square parameter whose gradient is the transpose of the numerical one (the shapes hide it)."""

from __future__ import annotations

import numpy as np

from ...report import Finding
from ..catalogue import fix_for, fix_text
from ..evidence import Evidence, Explanation
from ..mistakes.text import weight_gradient
from ..signatures import fit_ratio
from ..thresholds import fit_rtol, near
from .ratio import constant_ratio

__all__ = ["detect"]


def detect(ev: Evidence, unexplained: list[str]) -> Explanation:
    out = []
    for name in unexplained:
        g, n = ev.grads.get(name), ev.report[name].numeric
        if g is None or n is None or not (g.ndim == 2 and g.shape[0] == g.shape[1] and g.shape[0] > 1):
            continue
        if constant_ratio(ev, name) is not None:
            continue  # a ratio (of 1: odd elements only) says more than a transpose
        c, rt = fit_ratio(g.T, np.asarray(n, dtype=np.float64))
        if rt > fit_rtol(ev.report[name].dtype) or not np.isfinite(c):
            continue
        extra = "" if near(c, 1) else f" (and scaled by {c:.4g})"
        out.append(Finding(
            kind="transposed",
            params=[name],
            message=f"the analytic gradient of {name} equals the transpose of the numerical one{extra}; "
            f"{name} is square, so the shapes hid it",
            fix=_fix(ev, name),
            evidence={"factor": c},
            layer=ev.layer_of.get(name),
            confidence="likely",
        ))
    return Explanation.of(out)


def _fix(ev: Evidence, name: str) -> str:
    """The product in the recognized net's layout and names when ``name`` is one of its weights, else the
    catalogue's general fix (both layouts)."""
    arch = ev.arch
    layer = next((l for l, (w, _) in enumerate(arch.layers, start=1) if w == name), None) if arch is not None else None
    formula = weight_gradient(arch, layer) if arch is not None and layer is not None else None
    if arch is None or formula is None:
        return fix_for("transposed")
    return fix_text("transposed_layer", name=name, formula=formula, layout=arch.examples)
