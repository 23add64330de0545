"""Detector: ``analytic - numeric = c * param`` with one ``c`` on every parameter left: an L2 term the
gradient lacks (c < 0) or has without the loss (c > 0), whatever the architecture (biases too)."""

from __future__ import annotations

import numpy as np

from ...layers import forward_order
from ...report import Finding
from ..catalogue import fix_for
from ..evidence import Evidence, Explanation
from ..findings import join_names

__all__ = ["PENALTY_RTOL", "detect"]

#: how closely ``analytic - numeric`` must equal ``c * param`` (relative) to call it a penalty term
PENALTY_RTOL = 1e-3


def detect(ev: Evidence, unexplained: list[str]) -> Explanation:
    report, params = ev.report, ev.params
    names = [n for n in unexplained if n not in ev.reshaped]
    usable = [n for n in names if ev.grads.get(n) is not None and report[n].numeric is not None and n in params
              and np.shape(ev.grads[n]) == np.shape(params[n])]
    if not usable:
        return Explanation()
    diffs = {n: (np.asarray(ev.grads[n], float) - np.asarray(report[n].numeric, float)).ravel() for n in usable}
    e = np.concatenate([diffs[n] for n in usable])
    p = np.concatenate([np.asarray(params[n], float).ravel() for n in usable])
    if p.size < 3 or not np.all(np.isfinite(e)) or float(np.std(p)) <= 1e-6 * float(np.abs(p).max()):
        return Explanation()  # equal values: any constant discrepancy would "fit" c * p
    c = float(e @ p / (p @ p))
    for n in usable:
        pn = np.asarray(params[n], float).ravel()
        if not np.any(pn) or np.linalg.norm(diffs[n] - c * pn) > PENALTY_RTOL * np.linalg.norm(diffs[n]):
            return Explanation()
    label = join_names(forward_order(usable))
    if c < 0:
        kind = "regularization_missing"
        msg = (f"analytic - numeric = {c:.4g} * the parameter, on every element of {label}: the loss penalizes "
               f"{label} with an L2 term whose gradient {-c:.4g} * p is missing")
    else:
        kind = "regularization_wrong"
        msg = (f"analytic - numeric = {c:.4g} * the parameter, on every element of {label}: the gradient has an L2 "
               f"term {c:.4g} * p that the loss does not have (or has with another factor)")
    return Explanation.of([Finding(kind=kind, params=forward_order(usable), message=msg, fix=fix_for(kind),
                                   evidence={"term": c}, layer=ev.layer(usable), confidence="likely")])
