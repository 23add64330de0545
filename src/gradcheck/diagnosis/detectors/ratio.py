"""Detector: ``analytic = c * numeric`` per parameter, and which constant ``c`` is (m, 1/m, -1, 2, ...).

Parameters sharing a constant are reported together. A constant shared by all but a few elements
counts too when it is a telling one (finite differences across a relu kink are off on their
elements). A one-element parameter always has "a ratio": it counts only when it is a telling one
or the one the other parameters show.
"""

from __future__ import annotations

import numpy as np

from ...layers import forward_order
from ..evidence import Evidence, Explanation
from ..findings import factor_finding, nice_factor, round_factor
from ..signatures import FIT_RTOL, fit_ratio, name_factor, robust_ratio

__all__ = ["constant_ratio", "detect"]


def constant_ratio(ev: Evidence, name: str) -> tuple[float, float] | None:
    """``(c, residual)`` when the user's gradient of ``name`` is ``c * numeric`` within the fit tolerance."""
    g, n = ev.grads.get(name), ev.report[name].numeric
    if g is None or n is None:
        return None
    fit_tol = FIT_RTOL if ev.report[name].dtype == "float64" else 1e2 * FIT_RTOL
    c, res = fit_ratio(g, np.asarray(n, dtype=np.float64))
    if res <= fit_tol and np.isfinite(c):
        return c, res
    return None


def detect(ev: Evidence, unexplained: list[str]) -> Explanation:
    by_kind: dict[tuple[str, float], list[tuple[str, float, float]]] = {}
    single: list[tuple[str, float, float]] = []
    off: dict[str, tuple[int, int]] = {}  # name -> (elements off the ratio, elements compared)
    for name in unexplained:
        fit = constant_ratio(ev, name)
        if fit is not None:
            c, res = fit
            if ev.grads[name].size == 1 and not nice_factor(c, ev.batch):  # type: ignore[union-attr]
                single.append((name, c, res))
            elif abs(c - 1.0) > 1e-3:
                by_kind.setdefault((name_factor(c, batch=ev.batch), round_factor(c)), []).append((name, c, res))
            continue
        g, n = ev.grads.get(name), ev.report[name].numeric
        if g is None or n is None:
            continue
        cr, share, count = robust_ratio(g, np.asarray(n, dtype=np.float64))
        if (count >= 10 and share >= 0.9 and np.isfinite(cr) and abs(cr - 1.0) > 1e-3 and abs(cr) > 1e-9
                and nice_factor(cr, ev.batch)):
            by_kind.setdefault((name_factor(cr, batch=ev.batch), round_factor(cr)), []).append((name, cr, 0.0))
            off[name] = (int(round((1.0 - share) * count)), count)
    for name, c, res in single:
        key = next((k for k in by_kind if abs(k[1] - c) <= 1e-3 * abs(k[1]) and k[1] != 0), None)
        if key is not None and abs(np.median([i[1] for i in by_kind[key]]) - c) <= 1e-5 * abs(c):
            by_kind[key].append((name, c, res))
    right = {r.name for r in ev.report.params if r.ok}
    out = []
    for items in by_kind.values():
        names = forward_order([i[0] for i in items])
        c = float(np.median([i[1] for i in items]))
        res = max(i[2] for i in items)
        f = factor_finding(c, names, ev.batch, ev.layer_of, None, confirmed=False, residual=None if off else res,
                           right=right)
        odd = [n for n in names if n in off]
        if odd:
            k = sum(off[n][0] for n in odd)
            total = sum(off[n][1] for n in odd)
            f.message = f.message.replace(
                "on every element", f"on all but {k} of the {total} elements compared") + (
                "; the others look like finite differences across a kink (relu, max, abs)")
            f.evidence["elements_off"] = k
        out.append(f)
    return Explanation.of(out)
