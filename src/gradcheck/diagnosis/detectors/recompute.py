"""Detector: on a recognized dense net, the catalogued mistake whose recomputed gradient is the user's.

The true gradient and the gradient under every catalogued mistake (:mod:`gradcheck.diagnosis.mistakes`)
are recomputed (:class:`~gradcheck.diagnosis.recomputation.Recomputation`); the mistake that reproduces
the user's analytic gradient of every parameter is named (confidence ``"confirmed"``). The steps, in
order (:data:`STEPS`): the exact gradient or a constant factor on it; one mistake; weights already
updated in the step (learning rate fitted); an L2 term that is missing or wrong; and two mistakes at
once (:mod:`.two_mistakes`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any, cast

import numpy as np

from ...report import Finding
from ..evidence import Evidence, Explanation
from ..findings import factor_finding, nice_factor
from ..mistakes import Mistake, mistakes, updated_weights
from ..recomputation import Recomputation
from ..thresholds import EXACT
from . import penalty, two_mistakes

__all__ = ["STEPS", "detect"]

Step = Callable[[Recomputation], "list[Finding] | None"]


def detect(ev: Evidence, unexplained: list[str]) -> Explanation:
    """The first step of :data:`STEPS` that explains the user's gradient; it accounts for every parameter compared."""
    if ev.arch is None or not unexplained:
        return Explanation()  # nothing left to explain (an earlier detector accounted for every name)
    try:
        rc = Recomputation.of(ev)
        if rc is None:
            return Explanation()
        for step in STEPS:
            found = step(rc)
            if found is not None:
                return Explanation(found, set(rc.keys))
    except Exception as exc:  # noqa: BLE001 - odd nets or hints: the generic signatures still run
        ev.arch = None
        ev.report.notes.append(f"the net could not be matched to a standard dense net ({type(exc).__name__}: {exc})")
    return Explanation()


def whole(rc: Recomputation) -> list[Finding] | None:
    """The exact gradient (the mismatch is numerical), a telling factor on it, or one mistake
    (with a factor on top when none fits alone)."""
    c0, r0 = rc.fit(rc.ref)
    factor = None
    if r0 <= rc.tol:
        if abs(c0 - 1.0) <= EXACT:
            _numerical_note(rc)
            return []
        factor = [factor_finding(c0, rc.keys, rc.m, rc.layer_of, rc.how, confirmed=True, net=rc.arch)]
        if nice_factor(c0, rc.m):
            return factor
        # an odd factor on everything: a mistake that fits exactly without one explains it better
        # (with one example and one output unit, a wrong output delta is just a number)
    scaled = None  # a mistake that fits only with a constant factor on top: kept in case none fits alone
    for mk in mistakes(rc.arch, rc.params):
        cand = rc.grads(mk)
        c, r = rc.fit(cand)
        affected = rc.reaches(cand) if r <= rc.tol and np.isfinite(c) else []
        if not affected:
            continue
        if abs(c - 1.0) <= EXACT:
            return [rc.named(mk, affected)]
        scaled = scaled or (mk, c, affected)
    if factor is not None or scaled is None:
        return factor
    mk, c, affected = scaled
    return [rc.named(mk, affected), factor_finding(c, rc.keys, rc.m, rc.layer_of, rc.how, confirmed=True,
                                                 net=rc.arch)]


def _numerical_note(rc: Recomputation) -> None:
    report = rc.report
    reshaped = {r.name for r in report.params if r.grad_shape is not None and tuple(r.grad_shape) != tuple(r.shape)}
    if any(n in rc.wrong and n not in reshaped for n in rc.keys):
        report.notes.append(
            f"the analytic gradients equal the exact gradient of {rc.how}: the mismatch looks numerical "
            f"(a kink of relu/max near a parameter value, or a step size too large for this loss)"
        )


def already_updated(rc: Recomputation) -> list[Finding] | None:
    """Deltas carried through weights already updated in this step, the learning rate fitted."""
    top_lr = None
    for mk in updated_weights(rc.arch):
        lr = _learning_rate(rc, mk) if len(mk.layers) == 1 else top_lr
        if len(mk.layers) == 1 and mk.layers[0] == len(rc.arch.layers):
            top_lr = lr
        if lr is None or not np.isfinite(lr) or lr <= 0:
            continue
        mk = replace(mk, lr=lr, detail=f"{mk.detail} (learning rate {lr:.4g})")
        cand = rc.grads(mk)
        u = np.concatenate([rc.user[n].ravel() for n in rc.keys])
        g = np.concatenate([cand[n].ravel() for n in rc.keys])
        if np.all(np.isfinite(g)) and np.linalg.norm(u - g) <= rc.tol * max(float(np.linalg.norm(u)), 1e-300):
            affected = rc.reaches(cand)
            return [rc.named(mk, affected)] if affected else None
    return None


def _learning_rate(rc: Recomputation, mk: Mistake) -> float | None:
    """The rate that makes the layer below reproduce the user's gradient (least squares; the
    gradient there is linear in it), or None when that layer shows nothing."""
    l = mk.layers[0]
    one = rc.grads(replace(cast(Any, mk), lr=1.0))  # a mistake with a rate (updated weights)
    below = [n for n in rc.arch.layers[l - 2] if n is not None and n in rc.user]
    if not below:
        return None
    d = np.concatenate([(one[n] - rc.ref[n]).ravel() for n in below])
    e = np.concatenate([(rc.user[n] - rc.ref[n]).ravel() for n in below])
    dd = float(d @ d)
    return float(e @ d) / dd if dd else None


#: The steps of the recomputation, in order; the first that explains the gradient is taken.
STEPS: tuple[Step, ...] = (
    whole,                           # exact, a factor, or one catalogued mistake
    already_updated,                 # weights updated before the delta went through them
    penalty.on_net,                  # an L2 term missing or not the loss's
    two_mistakes.top_and_below,      # the mistake of the upper layers, and what is left below
    two_mistakes.mistake_and_factors,  # a mistake, and a factor on some parameters' own gradients
)
