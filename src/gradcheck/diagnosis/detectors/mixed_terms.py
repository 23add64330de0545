"""Detector: a factor on the data term *and* a penalty term of the weights, two mistakes at once.

A gradient that sums over the batch (the loss is the mean) and adds an L2 term the loss does not
have is ``analytic = a * numeric + c * W`` on the weights and ``a * numeric`` on the biases: neither
the ratio detector (no constant ratio on the weights) nor the penalty detector (``analytic -
numeric`` is not a function of W alone) fits it alone. Here each wrong tensor is fitted to

    analytic = a * numeric + (a penalty term of the parameter: :data:`~.penalty.FORMS`)

with one factor ``a`` shared by every wrong tensor, read off the tensors that are ``a * numeric``
alone (the biases, which carry no penalty) when there are some, else fitted jointly with the
penalty term (then only a telling ``a``: m, 1/m, -1, 2, 1/2). The penalty part is then fitted to
``analytic - a * numeric`` by :func:`~.penalty.fit_penalty` and named as the penalty detector names
it. Two findings come out: the factor on every wrong tensor, the penalty on the tensors that carry it.
A tensor that fits neither, a factor of 1 or no penalty part leaves it to the other detectors.

Example:
    >>> import numpy as np
    >>> W, n = np.array([1.0, -2.0, 0.5, 3.0]), np.array([0.3, 0.1, -0.2, 0.4])
    >>> round(joint_factor([10 * n + 0.01 * W], [n], [W], batch=10), 6)
    10.0
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ...layers import forward_order
from ...report import Finding
from ..evidence import Evidence, Explanation
from ..findings import factor_finding, join_names, nice_factor
from ..thresholds import EXACT, MIN_FACTOR, PENALTY_RTOL, near
from .penalty import describe, fit_penalty, penalty_terms
from .ratio import constant_ratio

__all__ = ["detect", "joint_factor"]


def detect(ev: Evidence, unexplained: list[str]) -> Explanation:
    """A factor on every wrong tensor and a penalty term on those that are not the factor alone."""
    usable = [n for n in unexplained if n not in ev.reshaped and _comparable(ev, n)]
    if len(usable) != len(unexplained) or not usable:
        return Explanation()  # a tensor outside the model: not two mistakes of this class alone
    scaled: dict[str, float] = {}
    for n in usable:
        ratio = constant_ratio(ev, n)
        if ratio is not None:
            scaled[n] = ratio[0]
    mixed = [n for n in usable if n not in scaled]
    if not mixed:
        return Explanation()
    g = {n: np.asarray(ev.grads[n], dtype=np.float64).ravel() for n in mixed}
    num = {n: np.asarray(ev.report[n].numeric, dtype=np.float64).ravel() for n in mixed}
    ps = [np.asarray(ev.params[n], dtype=np.float64).ravel() for n in mixed]
    a = _factor(ev, scaled, [g[n] for n in mixed], [num[n] for n in mixed], ps)
    if a is None:
        return Explanation()
    fit = fit_penalty(ps, [g[n] - a * num[n] for n in mixed])
    if fit is None:
        return Explanation()
    return Explanation.of(_findings(ev, a, forward_order(usable), forward_order(mixed), fit))


def _factor(ev: Evidence, scaled: dict[str, float], gs: list[np.ndarray], ns: list[np.ndarray],
            ps: list[np.ndarray]) -> float | None:
    """The factor every wrong tensor shares: read off those that are ``a * numeric`` alone, else
    fitted jointly with a penalty term; None when there is none, it is 1, or a penalty alone fits."""
    a = _shared_factor(ev, scaled)
    if a is None and scaled:
        return None  # the factor-only tensors disagree: no one factor
    if a is None:
        if fit_penalty(ps, [g - n for g, n in zip(gs, ns)]) is not None:
            return None  # a penalty alone: the penalty detector's
        a = joint_factor(gs, ns, ps, ev.batch)
    if a is None or near(a, 1.0) or abs(a) <= MIN_FACTOR:
        return None
    return a


def _comparable(ev: Evidence, name: str) -> bool:
    g, r = ev.grads.get(name), ev.report[name]
    p = ev.params.get(name)
    return (g is not None and r.numeric is not None and p is not None and np.shape(g) == np.shape(p)
            and bool(np.all(np.isfinite(g))) and bool(np.all(np.isfinite(r.numeric))))


def _shared_factor(ev: Evidence, scaled: dict[str, float]) -> float | None:
    """The one factor of the tensors that are ``a * numeric`` alone; None when they have none or
    several. A one-element tensor always has "a ratio": alone it counts only when it is a telling one."""
    big = [c for n, c in scaled.items() if ev.grads[n].size > 1]  # type: ignore[union-attr]
    small = [c for n, c in scaled.items() if ev.grads[n].size == 1]  # type: ignore[union-attr]
    if big:
        a = float(np.median(big))
    elif small and nice_factor(small[0], ev.batch):
        a = small[0]
    else:
        return None
    return a if all(near(c, a) for c in big + small) else None


def joint_factor(gs: Sequence[np.ndarray], ns: Sequence[np.ndarray], ps: Sequence[np.ndarray],
                 batch: int | None = None) -> float | None:
    """The factor ``a`` of ``g = a * numeric + c * term(p)`` fitted over every tensor at once
    (``term``: ``p``, then ``sign(p)`` when ``p`` has both signs), when it is a telling constant
    (:func:`~..findings.nice_factor`: with no tensor to read it off alone, a free factor would fit too
    much) and the fit leaves at most :data:`~..thresholds.PENALTY_RTOL` on every tensor; else None."""
    p = np.concatenate(ps)
    terms = [ps] + ([[np.sign(q) for q in ps]] if np.any(p > 0) and np.any(p < 0) else [])
    for ts in terms:
        A = np.stack([np.concatenate(ns), np.concatenate(ts)], axis=1)
        if np.linalg.matrix_rank(A) < 2 or A.shape[0] <= 2:
            continue
        (a, c), *_ = np.linalg.lstsq(A, np.concatenate(gs), rcond=None)
        if c == 0 or not (near(a, 1.0) or nice_factor(float(a), batch)):
            continue
        if all(np.linalg.norm(g - a * n - c * t) <= PENALTY_RTOL * np.linalg.norm(g - a * n)
               for g, n, t in zip(gs, ns, ts)):
            return float(a)
    return None


def _findings(ev: Evidence, a: float, names: list[str], mixed: list[str],
              fit: tuple[str, dict[str, float], float]) -> list[Finding]:
    """The factor on every wrong tensor, and the penalty term on ``mixed`` (None of it when the
    recognized loss's own penalty, times nothing, is the whole term: then the factor is all)."""
    right = {r.name for r in ev.report.params if r.ok}
    factor = factor_finding(a, names, ev.batch, ev.layer_of, None, confirmed=False, right=right)
    head = f"analytic / numeric = {a:.4g} on every element of {join_names(names)}"
    pure = [n for n in names if n not in mixed]
    shown = (f"analytic / numeric = {a:.4g} on every element of {join_names(pure)}, and the gradients of "
             f"{join_names(mixed)} are {a:.4g} x numeric plus a penalty term (reported apart): "
             if pure else f"the gradients of {join_names(mixed)} are {a:.4g} x numeric plus a penalty term "
             f"(reported apart): ")
    factor.message = shown + f"one factor {a:.4g} on every wrong parameter, the data term's" + factor.message[len(head):]
    factor.evidence["penalty_params"] = list(mixed)
    form, coef, res = fit
    lam = ev.arch.l2 if ev.arch is not None else None
    if lam and form == "l2" and near(coef["p"] + a * lam, lam):
        return [factor]  # the gradient's term is the loss's own lambd * W: only the data term is off
    kind, msg, fix = describe(form, coef, join_names(mixed), lhs=f"analytic - {a:.4g} * numeric" if a > 0 else f"analytic + {-a:.4g} * numeric")
    msg += _reading(form, coef, a, lam)
    evidence: dict[str, object] = {"term": coef.get("p", 0.0), "form": form, "coefficients": coef, "factor": a,
                                   "residual": res}
    evidence.update(penalty_terms(form, coef))
    penalty = Finding(kind=kind, params=mixed, message=msg, fix=fix, evidence=evidence, layer=ev.layer(mixed),
                      confidence="likely")
    return [factor, penalty]


def _reading(form: str, coef: dict[str, float], a: float, lam: float | None) -> str:
    """What an L2 coefficient ``c`` beyond the factor ``a`` says of the gradient's own term
    (``c + a * lambd`` for a loss penalty ``lambd / 2 * sum(W^2)``)."""
    if form != "l2":
        return f"; the factor {a:.4g} on the data term is a second mistake, reported apart"
    c = coef["p"]
    if lam is not None:
        own = c + a * lam
        return (f"; the gradient's L2 term is {own:.4g} * W where the loss's penalty gives {lam:.4g} * W, "
                f"beside the factor {a:.4g} on the data term (reported apart)")
    text = (f"; beside the factor {a:.4g} on the data term (reported apart), the gradient's L2 term is "
            f"{c:.4g} + {a:.4g} * lambd for a loss penalty lambd / 2 * sum(W^2): {c:.4g} * W itself when the "
            f"loss has none")
    if c < 0:
        text += f", the loss's term missing from the gradient when lambd = {-c / a:.4g}"
    same = c / (1.0 - a)
    if same > EXACT:
        text += (f"; or the loss's own term lambd * W (lambd = {same:.4g}), not multiplied by the factor: then "
                 f"the data term alone is off and fixing its factor fixes both")
    return text
