"""Detector: ``analytic - numeric`` is a function of the parameter alone, the same on every
parameter left: a penalty term the gradient lacks, has without the loss, or has in the wrong form,
whatever the architecture (conv nets, biases too).

The difference is fitted, with coefficients shared by every parameter left, to the simplest of
these models (:data:`FORMS`) that leaves no residual:

- ``c * p``: an L2 term missing (c < 0) or extra / with another factor (c > 0);
- ``s * (sum(p) - p)``: the L2 gradient written with ``np.sum(W)`` (one number for every
  element) instead of ``W`` (``lambd / m * np.sum(W)`` for ``lambd / m * W``);
- ``s * (sign(p) - p)``: an L1 gradient (``lambd * sign(W)``) where the loss has L2, or the reverse
  (``-s``).

The two wrong forms are taken only with the one coefficient the mistake implies (the term in the
wrong form replaces the right one): a free second coefficient would fit any constant offset of a
single tensor.

Example:
    >>> import numpy as np
    >>> W = np.array([[1.0, -2.0], [0.5, 3.0]])
    >>> form, coef, _ = fit_penalty([W.ravel()], [(0.1 * W.sum() - 0.1 * W).ravel()])
    >>> form, round(coef["p"], 6), round(coef["sum"], 6)
    ('sum', -0.1, 0.1)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from ...layers import forward_order
from ...report import Finding
from ..catalogue import fix_for
from ..evidence import Evidence, Explanation
from ..findings import join_names

__all__ = ["FORMS", "PENALTY_RTOL", "detect", "fit_penalty"]

#: how closely ``analytic - numeric`` must equal the fitted term (relative, per parameter) to name it
PENALTY_RTOL = 1e-3

#: a wrong form counts when its coefficient and the missing ``c * p``'s agree this closely (relative)
REPLACED_RTOL = 1e-3

Basis = Callable[[np.ndarray], np.ndarray]
_BASES: dict[str, Basis] = {
    "p": lambda p: p,
    "sum": lambda p: np.full_like(p, p.sum()),
    "sign": np.sign,
}
#: The models tried, simplest first: a name and the basis functions of the parameter it combines.
FORMS: tuple[tuple[str, tuple[str, ...]], ...] = (("l2", ("p",)), ("sum", ("p", "sum")), ("sign", ("p", "sign")))


def fit_penalty(ps: Sequence[np.ndarray], es: Sequence[np.ndarray]) -> tuple[str, dict[str, float], float] | None:
    """``(form, coefficients, worst relative residual)`` of the simplest form of :data:`FORMS` that
    explains ``es`` (one flat difference per parameter) from ``ps`` (the flat parameters), or None."""
    if sum(p.size for p in ps) < 3:
        return None
    for form, basis in FORMS:
        A = np.concatenate([np.stack([_BASES[b](p) for b in basis], axis=1) for p in ps])
        e = np.concatenate(es)
        if np.linalg.matrix_rank(A) < len(basis) or A.shape[0] <= len(basis):
            continue
        coef, *_ = np.linalg.lstsq(A, e, rcond=None)
        worst = 0.0
        for p, en in zip(ps, es):
            fitted = np.stack([_BASES[b](p) for b in basis], axis=1) @ coef
            norm = float(np.linalg.norm(en))
            worst = max(worst, float(np.linalg.norm(en - fitted)) / norm if norm else np.inf)
        replaced = len(coef) == 1 or abs(coef[0] + coef[1]) <= REPLACED_RTOL * abs(coef[1])
        if worst <= PENALTY_RTOL and all(abs(c) > 0 for c in coef[1:]) and replaced:
            return form, {b: float(c) for b, c in zip(basis, coef)}, worst
    return None


def detect(ev: Evidence, unexplained: list[str]) -> Explanation:
    report, params = ev.report, ev.params
    names = [n for n in unexplained if n not in ev.reshaped]
    usable = [n for n in names if ev.grads.get(n) is not None and report[n].numeric is not None and n in params
              and np.shape(ev.grads[n]) == np.shape(params[n])]
    if not usable:
        return Explanation()
    ps = [np.asarray(params[n], float).ravel() for n in usable]
    es = [(np.asarray(ev.grads[n], float) - np.asarray(report[n].numeric, float)).ravel() for n in usable]
    p = np.concatenate(ps)
    if not all(np.all(np.isfinite(e)) for e in es) or float(np.std(p)) <= 1e-6 * float(np.abs(p).max()):
        return Explanation()  # equal values: any constant discrepancy would "fit" c * p
    if any(not np.any(pn) for pn in ps):
        return Explanation()
    fit = fit_penalty(ps, es)
    if fit is None:
        return Explanation()
    form, coef, _ = fit
    kind, msg, fix = _describe(form, coef, join_names(forward_order(usable)))
    return Explanation.of([Finding(kind=kind, params=forward_order(usable), message=msg, fix=fix,
                                   evidence={"term": coef["p"], "form": form, "coefficients": coef},
                                   layer=ev.layer(usable), confidence="likely")])


def _describe(form: str, coef: dict[str, float], label: str) -> tuple[str, str, str]:
    c = coef["p"]
    if form == "sum":
        s = coef["sum"]
        msg = (f"analytic - numeric = {s:.4g} * (sum(p) - p) on every element of {label}: the gradient's "
               f"penalty term is {s:.4g} * np.sum(p), one number for every element, where the loss's penalty gives "
               f"{s:.4g} * p")
        fix = (f"The gradient of an L2 penalty is elementwise: dW += lambd / m * W (here {s:.4g} * W), "
               f"not lambd / m * np.sum(W).")
        return "regularization_wrong", msg, fix
    if form == "sign":
        s = coef["sign"]
        if s > 0:
            msg = (f"analytic - numeric = {s:.4g} * (sign(p) - p) on every element of {label}: the gradient has the "
                   f"L1 term {s:.4g} * np.sign(p) where the loss's L2 penalty gives {s:.4g} * p")
        else:
            msg = (f"analytic - numeric = {-s:.4g} * (p - sign(p)) on every element of {label}: the gradient has the "
                   f"L2 term {-s:.4g} * p where the loss's L1 penalty gives {-s:.4g} * np.sign(p)")
        fix = ("Differentiate the penalty the loss has: lambd / 2 * sum(W ** 2) gives lambd * W; "
               "lambd * sum(abs(W)) gives lambd * np.sign(W).")
        return "regularization_wrong", msg, fix
    if c < 0:
        msg = (f"analytic - numeric = {c:.4g} * the parameter, on every element of {label}: the loss penalizes "
               f"{label} with an L2 term whose gradient {-c:.4g} * p is missing")
        return "regularization_missing", msg, fix_for("regularization_missing")
    msg = (f"analytic - numeric = {c:.4g} * the parameter, on every element of {label}: the gradient has an L2 "
           f"term {c:.4g} * p that the loss does not have (or has with another factor)")
    return "regularization_wrong", msg, fix_for("regularization_wrong")
