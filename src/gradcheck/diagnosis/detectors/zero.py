"""Detector: an analytic gradient that is zero everywhere while the loss changes with the parameter."""

from __future__ import annotations

import numpy as np

from ...layers import forward_order
from ...report import Finding
from ..catalogue import fix_for
from ..evidence import Evidence, Explanation
from ..findings import join_names

__all__ = ["detect"]


def detect(ev: Evidence, unexplained: list[str]) -> Explanation:
    zeros = []
    for name in unexplained:
        g, n = ev.grads.get(name), ev.report[name].numeric
        if g is None or n is None:
            continue
        n = np.asarray(n, dtype=np.float64)
        finite_n = n[np.isfinite(n)]
        if np.all(g == 0) and finite_n.size and np.any(finite_n != 0):
            zeros.append(name)
    if not zeros:
        return Explanation()
    return Explanation.of([Finding(
        kind="zero_gradient",
        params=forward_order(zeros),
        message=f"the analytic gradient of {join_names(zeros)} is zero everywhere, but the loss does change with "
        f"{'it' if len(zeros) == 1 else 'them'}",
        fix=fix_for("zero_gradient"),
        layer=ev.layer(zeros),
        confidence="likely",
    )])
