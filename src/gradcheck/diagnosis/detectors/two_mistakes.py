"""Two mistakes at once on a recognized dense net: each named apart, with its own parameters.

:func:`top_and_below` names the mistake that explains the first wrong layer and everything above
it, and judges what is left below against the gradient that mistake gives; :func:`mistake_and_factors`
names a mistake that reproduces every parameter but a few, which carry a telling factor on top.
"""

from __future__ import annotations

import numpy as np

from ...layers import forward_order
from ...report import Finding
from ..catalogue import fix_for
from ..findings import factor_finding, join_names, nice_factor
from ..mistakes import mistakes
from ..recomputation import Recomputation
from ..signatures import fit_ratio
from ..thresholds import EXACT, MIN_FACTOR

__all__ = ["mistake_and_factors", "top_and_below"]

BELOW = "(the gradient the mistake above gives)"


def top_and_below(rc: Recomputation) -> list[Finding] | None:
    """The mistake that explains the first wrong layer and everything above it; what is left below."""
    index = {n: i + 1 for i, pair in enumerate(rc.arch.layers) for n in pair if n is not None}
    wrong_layers = [index[n] for n in rc.wrong if n in index]
    if not wrong_layers:
        return None
    t = max(wrong_layers)
    top = [n for n in rc.keys if index.get(n, 0) >= t]
    if not any(n in rc.wrong for n in top):
        return None
    for mk in mistakes(rc.arch, rc.params):
        cand = rc.grads(mk) if mk.layer == t else None
        hit = _explains(rc, cand, top) if cand is not None else None
        if not hit or cand is None:
            continue
        lower = [n for n in rc.keys if index.get(n, 0) < t]
        agree = [n for n in lower if rc.agrees(cand, n)]
        apart = [n for n in lower if n not in agree]
        hit = forward_order(hit + [n for n in agree if n in rc.reaches(cand, [n])])
        f = rc.named(mk, hit)
        f.message = (f"{mk.detail}. Recomputing the gradient with this mistake reproduces your gradients of "
                     f"{join_names(hit)} (the first one it reaches is {hit[-1]}), but not of {join_names(apart)}: "
                     f"there is a further mistake lower down; the net is {rc.how}")
        f.evidence["partial"] = True
        return [f] + _below(rc, apart, cand)
    return None


def _explains(rc: Recomputation, cand: dict[str, np.ndarray], top: list[str]) -> list[str] | None:
    """The parameters of ``top`` that ``cand`` reaches, when it reproduces all of ``top`` and reaches
    every wrong one; None otherwise."""
    c, r = rc.fit(cand, top)
    if r > rc.tol or abs(c - 1.0) > EXACT:
        return None
    hit = rc.reaches(cand, top)
    if not hit or not all(n in hit for n in top if n in rc.wrong):
        return None
    return hit


def _below(rc: Recomputation, names: list[str], cand: dict[str, np.ndarray]) -> list[Finding]:
    """What is left below a named mistake, judged against the gradient that mistake gives."""
    factors: dict[str, list[str]] = {}
    transposed: list[str] = []
    rest: list[str] = []
    for n in names:
        c, r = fit_ratio(rc.user[n], cand[n])
        u = rc.user[n]
        if r <= rc.tol and np.isfinite(c) and u.size > 1:
            factors.setdefault(f"{c:.4g}", []).append(n)
        elif u.ndim == 2 and u.shape[0] == u.shape[1] > 1 and fit_ratio(u.T, cand[n])[1] <= rc.tol:
            transposed.append(n)
        else:
            rest.append(n)
    out = [factor_finding(float(c), forward_order(group), rc.m, rc.layer_of, None, confirmed=False, versus=BELOW, net=rc.arch)
           for c, group in factors.items()]
    if transposed:
        group = forward_order(transposed)
        out.append(Finding(kind="transposed", params=group, message=f"{join_names(group)}: the gradient is the "
                           f"transpose of what the mistake above gives", fix=fix_for("transposed"),
                           layer=max(rc.layer_of.get(n, 0) for n in group) or None, confidence="likely"))
    if rest:
        rest = forward_order(rest)
        out.append(Finding(kind="unknown", params=rest, message=f"the gradients of {join_names(rest)} differ also from "
                           f"what the mistake above gives, in no recognized pattern", fix=fix_for("unknown"),
                           layer=max(rc.layer_of.get(n, 0) for n in rest) or None, confidence="likely"))
    return out


def mistake_and_factors(rc: Recomputation) -> list[Finding] | None:
    """A mistake that reproduces every other parameter exactly, and those parameters up to a telling
    factor (m, 1/m, -1, 2, 1/2): a second mistake, such as a missing 1/m in one dW."""
    for mk in mistakes(rc.arch, rc.params):
        cand = rc.grads(mk)
        if not all(np.all(np.isfinite(cand[n])) for n in rc.keys):
            continue
        split = _exact_and_scaled(rc, cand)
        if split is None:
            continue
        exact, scaled = split
        hit = forward_order(rc.reaches(cand, exact))
        if not hit or not scaled or not any(n in rc.wrong for n in hit):
            continue
        f = rc.named(mk, hit)
        others = forward_order([n for names in scaled.values() for n in names])
        f.message = (f"{mk.detail}. Recomputing the gradient with this mistake reproduces your gradients of "
                     f"{join_names(hit)} exactly, and those of {join_names(others)} up to a constant factor "
                     f"(a second mistake, reported apart); the net is {rc.how}")
        f.evidence["partial"] = True
        out = [f]
        for c, names in scaled.items():
            versus = BELOW if rc.reaches(cand, names) else "numeric"
            out.append(factor_finding(float(c), forward_order(names), rc.m, rc.layer_of, None, confirmed=True,
                                      versus=versus, net=rc.arch))
        return out
    return None


def _exact_and_scaled(rc: Recomputation, cand: dict[str, np.ndarray]) -> tuple[list[str], dict[float, list[str]]] | None:
    """The parameters ``cand`` reproduces exactly, and those it reproduces up to a telling factor
    (grouped by it); None when some parameter is neither."""
    exact: list[str] = []
    scaled: dict[float, list[str]] = {}
    for n in rc.keys:
        if rc.agrees(cand, n):
            exact.append(n)
            continue
        c, r = fit_ratio(rc.user[n], cand[n])
        if not (n in rc.wrong and r <= rc.tol and np.isfinite(c) and abs(c) > MIN_FACTOR and rc.user[n].size > 1
                and nice_factor(c, rc.m)):
            return None
        scaled.setdefault(round(c, 6), []).append(n)
    return exact, scaled
