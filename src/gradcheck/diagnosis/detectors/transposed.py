"""Detector: a square parameter whose gradient is the transpose of the numerical one (the shapes hide it)."""

from __future__ import annotations

import numpy as np

from ...report import Finding
from ..catalogue import fix_for
from ..evidence import Evidence, Explanation
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
            fix=fix_for("transposed"),
            evidence={"factor": c},
            layer=ev.layer_of.get(name),
            confidence="likely",
        ))
    return Explanation.of(out)
