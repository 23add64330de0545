"""Detector: gradients clipped before they are returned (the clip belongs to the update step).

Two forms are fitted, with one threshold ``t`` shared by every parameter it touches:

- by value: ``analytic = np.clip(numeric, -t, t)`` on every element (the elements inside
  ``[-t, t]`` match, the others sit at ``±t`` with the numerical one's sign);
- by norm: ``analytic = numeric * t / ||numeric||`` for every tensor whose norm exceeds ``t`` (per
  tensor), or for all of them together when their joint norm does (``t`` then a round number).

Example:
    >>> import numpy as np
    >>> n = [np.array([0.5, -3.0, 8.0])]
    >>> clip_threshold([np.clip(n[0], -2, 2)], n)
    ('value', 2.0)
"""

from __future__ import annotations

import numpy as np

from ...layers import forward_order
from ...report import Finding
from ..catalogue import fix_for
from ..evidence import Evidence, Explanation
from ..findings import join_names
from ..thresholds import FIT_RTOL

__all__ = ["clip_threshold", "detect"]

#: a global-norm threshold counts only when it is round to this many decimals (5, 1, 0.5, 0.25):
#: a constant factor below 1 is otherwise more likely another mistake than a clip
ROUND_DECIMALS = 2
#: the fewest clipped elements that show a threshold (two elements cut to one magnitude)
MIN_CLIPPED = 2


def _close(a: np.ndarray, b: np.ndarray) -> bool:
    scale = max(float(np.abs(b).max(initial=0.0)), float(np.abs(a).max(initial=0.0)), 1e-300)
    return bool(np.all(np.abs(a - b) <= FIT_RTOL * scale))


def _by_value(gs: list[np.ndarray], ns: list[np.ndarray]) -> float | None:
    a, n = np.concatenate([g.ravel() for g in gs]), np.concatenate([x.ravel() for x in ns])
    off = ~np.isclose(a, n, rtol=FIT_RTOL, atol=0.0)
    if off.sum() < MIN_CLIPPED:
        return None  # one element cut short is no evidence of a threshold: any smaller number fits
    t = float(np.median(np.abs(a[off])))
    if t <= 0 or not _close(a, np.clip(n, -t, t)):
        return None
    return t


def _round(t: float) -> bool:
    return t > 0 and abs(round(t, ROUND_DECIMALS) - t) <= FIT_RTOL * t


def _by_norm(gs: list[np.ndarray], ns: list[np.ndarray]) -> tuple[str, float] | None:
    norms = [float(np.linalg.norm(g)) for g in gs]
    if sum(g.size for g, n in zip(gs, ns) if not _close(g, n)) < MIN_CLIPPED:
        return None  # the norm of one number is that number: no evidence of a threshold
    per = [t for t, g, n in zip(norms, gs, ns) if not _close(g, n)]
    if per and per[0] > 0 and all(abs(t - per[0]) <= FIT_RTOL * per[0] for t in per):
        t = per[0]
        if all(_close(g, n * min(1.0, t / max(float(np.linalg.norm(n)), 1e-300))) for g, n in zip(gs, ns)) and (
                len(per) > 1 or _round(t)):
            return "norm", t
    total_a = float(np.sqrt(sum(x * x for x in norms)))
    total_n = float(np.sqrt(sum(float(np.linalg.norm(n)) ** 2 for n in ns)))
    if total_n > total_a > 0 and _round(total_a) and all(_close(g, n * total_a / total_n) for g, n in zip(gs, ns)):
        return "global norm", total_a
    return None


def clip_threshold(gs: list[np.ndarray], ns: list[np.ndarray]) -> tuple[str, float] | None:
    """``(form, t)``: how the gradients ``gs`` are the numerical ones ``ns`` clipped at ``t``; or None."""
    t = _by_value(gs, ns)
    if t is not None:
        return "value", t
    return _by_norm(gs, ns)


def detect(ev: Evidence, unexplained: list[str]) -> Explanation:
    names = [r.name for r in ev.report.params if ev.grads.get(r.name) is not None and r.numeric is not None
             and np.all(np.isfinite(r.numeric))]
    wrong = [n for n in unexplained if n in names]
    if not wrong:
        return Explanation()
    gs = [np.asarray(ev.grads[n], float) for n in names]
    ns = [np.asarray(ev.report[n].numeric, float) for n in names]
    fit = clip_threshold(gs, ns)
    if fit is None:
        return Explanation()
    form, t = fit
    label = join_names(forward_order(wrong))
    if form == "value":
        msg = f"the gradients of {label} equal np.clip(numeric, -{t:.4g}, {t:.4g}): every element beyond ±{t:.4g} is cut to it"
    elif form == "norm":
        msg = f"each of the gradients of {label} is the numerical one rescaled to norm {t:.4g} (clipped by norm)"
    else:
        msg = f"the gradients are the numerical ones rescaled together to a total norm of {t:.4g} (clipped by global norm)"
    return Explanation.of([Finding(kind="gradient_clipped", params=forward_order(wrong), message=msg,
                                   fix=fix_for("gradient_clipped"), evidence={"form": form, "threshold": t},
                                   layer=ev.layer(wrong), confidence="likely")])
