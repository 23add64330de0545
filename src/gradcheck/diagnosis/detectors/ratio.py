"""Detector: ``analytic = c * numeric`` per parameter, and which constant ``c`` is (m, 1/m, -1, 2, ...).

Parameters sharing a constant are reported together. A constant shared by all but a few elements
counts too when it is a telling one (finite differences across a relu kink are off on their
elements). A one-element parameter always has "a ratio": it counts only when it is a telling one
or the one the other parameters show.
"""

from __future__ import annotations

import numpy as np

from ...layers import forward_order
from ...report import Finding
from ..evidence import Evidence, Explanation
from ..findings import factor_finding, nice_factor, round_factor
from ..signatures import fit_ratio, name_factor, robust_ratio
from ..thresholds import FIT_RTOL, MIN_FACTOR, ROBUST_MIN_COUNT, ROBUST_SHARE, fit_rtol, near

__all__ = ["constant_ratio", "detect"]


def constant_ratio(ev: Evidence, name: str) -> tuple[float, float] | None:
    """``(c, residual)`` when the user's gradient of ``name`` is ``c * numeric`` within the fit tolerance."""
    g, n = ev.grads.get(name), ev.report[name].numeric
    if g is None or n is None:
        return None
    c, res = fit_ratio(g, np.asarray(n, dtype=np.float64))
    if res <= fit_rtol(ev.report[name].dtype) and np.isfinite(c):
        return c, res
    return None


Groups = dict[tuple[str, float], list[tuple[str, float, float]]]


def detect(ev: Evidence, unexplained: list[str]) -> Explanation:
    by_kind: Groups = {}
    single: list[tuple[str, float, float]] = []
    off: dict[str, tuple[int, int]] = {}  # name -> (elements off the ratio, elements compared)
    for name in unexplained:
        _classify(ev, name, by_kind, single, off)
    for name, c, res in single:
        # the group's rounded constant, then its exact median: a one-element ratio joins only an exact match
        key = next((k for k in by_kind if k[1] != 0 and near(c, k[1])), None)
        if key is not None and abs(np.median([i[1] for i in by_kind[key]]) - c) <= FIT_RTOL * abs(c):
            by_kind[key].append((name, c, res))
    right = {r.name for r in ev.report.params if r.ok}
    return Explanation.of([_finding(ev, items, off, right) for items in by_kind.values()])


def _classify(ev: Evidence, name: str, by_kind: Groups, single: list[tuple[str, float, float]],
              off: dict[str, tuple[int, int]]) -> None:
    """Put ``name`` in the group of its constant (or among the one-element ratios); nowhere without one."""
    fit = constant_ratio(ev, name)
    if fit is not None:
        c, res = fit
        if ev.grads[name].size == 1 and not nice_factor(c, ev.batch):  # type: ignore[union-attr]
            single.append((name, c, res))
        elif not near(c, 1.0):
            by_kind.setdefault((name_factor(c, batch=ev.batch), round_factor(c)), []).append((name, c, res))
        return
    g, n = ev.grads.get(name), ev.report[name].numeric
    if g is None or n is None:
        return
    cr, share, count = robust_ratio(g, np.asarray(n, dtype=np.float64))
    if (count >= ROBUST_MIN_COUNT and share >= ROBUST_SHARE and np.isfinite(cr) and not near(cr, 1.0)
            and abs(cr) > MIN_FACTOR and nice_factor(cr, ev.batch)):
        by_kind.setdefault((name_factor(cr, batch=ev.batch), round_factor(cr)), []).append((name, cr, 0.0))
        off[name] = (int(round((1.0 - share) * count)), count)


def _finding(ev: Evidence, items: list[tuple[str, float, float]], off: dict[str, tuple[int, int]],
             right: set[str]) -> Finding:
    names = forward_order([i[0] for i in items])
    c = float(np.median([i[1] for i in items]))
    res = max(i[2] for i in items)
    # the advice is written for the recognized net (its loss, dropout, layout), or needs none
    f = factor_finding(c, names, ev.batch, ev.layer_of, None, confirmed=False, residual=None if off else res,
                       right=right, net=ev.arch)
    odd = [n for n in names if n in off]
    if odd:
        k = sum(off[n][0] for n in odd)
        total = sum(off[n][1] for n in odd)
        f.message = f.message.replace(
            "on every element", f"on all but {k} of the {total} elements compared") + (
            "; the others look like finite differences across a kink (relu, max, abs)")
        f.evidence["elements_off"] = k
    return f
