"""Detector: an L2 term that the gradient lacks, has without the loss, or has in the wrong form.

An L2 penalty ``lambd / 2 * sum(W ** 2)`` adds ``lambd * W`` to W's gradient, so a penalty term that
is missing or wrong leaves ``analytic - truth`` a function of the parameter alone. The truth is the
recomputed data term on a recognized dense net (:func:`on_net`, a step of the recompute detector:
each parameter's own ``c``, checked against the loss's ``lambd``), else the numerical gradient
(:func:`detect`, whatever the architecture: conv nets, biases too).

Against the numerical gradient, the difference is fitted, with coefficients shared by every
parameter left, to the simplest of these models (:data:`FORMS`) that leaves no residual:

- ``c * p``: an L2 term missing (c < 0) or extra / with another factor (c > 0);
- ``s * (sum(p) - p)``: the L2 gradient written with ``np.sum(W)`` (one number for every
  element) instead of ``W`` (``lambd / m * np.sum(W)`` for ``lambd / m * W``);
- ``c * sign(p)``: an L1 term ``lambd * sign(W)`` missing (c < 0) or extra (c > 0); taken only when the
  parameters have both signs (while they have one, ``sign(p)`` is a constant, and any constant offset fits);
- ``s * (sign(p) - p)``: an L1 gradient (``lambd * sign(W)``) where the loss has L2, or the reverse
  (``-s``);
- ``s * (1 - sign(p))``: the L1 gradient written ``lambd`` (the derivative of ``|w|`` for ``w > 0`` only)
  where the loss's ``lambd * sum(|W|)`` gives ``lambd * sign(W)``.

Each form is a term the gradient has (``found``) against the term the loss's penalty gives
(``expected``, :data:`TERMS`); a form with ``sign(p)`` in it is an L1 penalty's gradient in the wrong
form (``l1_penalty_gradient_wrong``), the others an L2 term (``regularization_missing`` / ``_wrong``).

When no shared form fits, each tensor may still carry its own ``c_k * p`` (:func:`fit_per_tensor`):
the gradient's L2 term does not match the loss's penalty, which is then not ``lambd / 2 * sum(W^2)``
with one strength: a norm ``b * ||W||`` (gradient ``b * W / ||W||``, so ``c_k = a - b / ||W_k||``)
or a strength that differs per tensor between the loss and the gradient.

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
from ..catalogue import fix_for, fix_text
from ..evidence import Evidence, Explanation
from ..findings import factor_finding, join_names
from ..recomputation import Recomputation
from ..signatures import fit_ratio
from ..thresholds import EXACT, PENALTY_RTOL, near

__all__ = ["FORMS", "MIN_TENSOR_SIZE", "describe", "detect", "fit_penalty", "fit_per_tensor", "on_net"]

Basis = Callable[[np.ndarray], np.ndarray]
_BASES: dict[str, Basis] = {
    "p": lambda p: p,
    "sum": lambda p: np.full_like(p, p.sum()),
    "sign": np.sign,
    "one": np.ones_like,
}
#: The models tried, simplest first: a name and the basis functions of the parameter it combines.
FORMS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("l2", ("p",)), ("l1", ("sign",)), ("sum", ("p", "sum")), ("sign", ("p", "sign")), ("one", ("sign", "one")))
#: Each basis as the penalty term it is in a gradient, in the names a user writes.
TERMS: dict[str, str] = {"p": "lambd * W", "sum": "lambd * np.sum(W)", "sign": "lambd * np.sign(W)", "one": "lambd"}
#: The forms that are an L1 penalty's gradient (``sign(W)`` found or expected).
L1_FORMS = ("l1", "sign", "one")
#: The fewest elements a tensor needs for its own coefficient: one or two numbers always fit some
#: multiple of themselves (two only when they are not proportional), so they prove nothing.
MIN_TENSOR_SIZE = 3


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
        if "sign" in basis and not _both_signs(ps):
            continue  # sign(p) is one constant: any constant offset would fit it
        coef, *_ = np.linalg.lstsq(A, e, rcond=None)
        worst = 0.0
        for p, en in zip(ps, es):
            fitted = np.stack([_BASES[b](p) for b in basis], axis=1) @ coef
            norm = float(np.linalg.norm(en))
            worst = max(worst, float(np.linalg.norm(en - fitted)) / norm if norm else np.inf)
        replaced = len(coef) == 1 or near(-coef[0], coef[1])  # the right term replaced, not added to
        if worst <= PENALTY_RTOL and all(abs(c) > 0 for c in coef[1:]) and replaced:
            return form, {b: float(c) for b, c in zip(basis, coef)}, worst
    return None


def _both_signs(ps: Sequence[np.ndarray]) -> bool:
    p = np.concatenate(ps)
    return bool(np.any(p > 0) and np.any(p < 0))


def fit_per_tensor(ps: Sequence[np.ndarray], es: Sequence[np.ndarray]) -> list[float] | None:
    """One coefficient ``c_k`` per tensor with ``es[k] = c_k * ps[k]`` to :data:`PENALTY_RTOL`, for two
    tensors or more whose coefficients differ (one shared coefficient is :data:`FORMS`' ``l2``), or None.

    Example:
        >>> import numpy as np
        >>> W1, W2 = np.array([1.0, -2.0, 0.5]), np.array([3.0, 1.0, -1.0, 2.0])
        >>> [round(c, 6) for c in fit_per_tensor([W1, W2], [0.2 * W1, 0.7 * W2])]
        [0.2, 0.7]
    """
    if len(ps) < 2:
        return None
    coefs = []
    for p, e in zip(ps, es):
        pp = float(p @ p)
        if p.size < MIN_TENSOR_SIZE or float(np.std(p)) <= EXACT * float(np.abs(p).max()) or pp == 0.0:
            return None  # equal values: any constant discrepancy would fit c * p
        c = float(p @ e) / pp
        norm = float(np.linalg.norm(e))
        if c == 0.0 or not norm or float(np.linalg.norm(e - c * p)) > PENALTY_RTOL * norm:
            return None
        coefs.append(c)
    return None if all(near(c, coefs[0]) for c in coefs) else coefs


def detect(ev: Evidence, unexplained: list[str]) -> Explanation:
    """The simplest form of :data:`FORMS` with coefficients shared by every parameter left."""
    report, params = ev.report, ev.params
    names = [n for n in unexplained if n not in ev.reshaped]
    usable = [n for n in names if (g := ev.grads.get(n)) is not None and report[n].numeric is not None and n in params
              and np.shape(g) == np.shape(params[n])]
    if not usable:
        return Explanation()
    ps = [np.asarray(params[n], float).ravel() for n in usable]
    es = [(np.asarray(ev.grads[n], float) - np.asarray(report[n].numeric, float)).ravel() for n in usable]
    p = np.concatenate(ps)
    if not all(np.all(np.isfinite(e)) for e in es) or float(np.std(p)) <= EXACT * float(np.abs(p).max()):
        return Explanation()  # equal values: any constant discrepancy would "fit" c * p
    if any(not np.any(pn) for pn in ps):
        return Explanation()
    fit = fit_penalty(ps, es)
    if fit is None:
        return _per_tensor(ev, usable, ps, es)
    form, coef, _ = fit
    kind, msg, fix = describe(form, coef, join_names(forward_order(usable)))
    evidence: dict[str, object] = {"term": coef.get("p", 0.0), "form": form, "coefficients": coef}
    evidence.update(penalty_terms(form, coef))
    return Explanation.of([Finding(kind=kind, params=forward_order(usable), message=msg, fix=fix,
                                   evidence=evidence,
                                   layer=ev.layer(usable), confidence="likely")])


def _per_tensor(ev: Evidence, names: list[str], ps: list[np.ndarray], es: list[np.ndarray]) -> Explanation:
    """A ``regularization_wrong`` finding when each tensor carries its own ``c_k * p`` (:func:`fit_per_tensor`)."""
    coefs = fit_per_tensor(ps, es)
    if coefs is None:
        return Explanation()
    by_name = dict(zip(names, coefs))
    order = forward_order(names)
    listed = ", ".join(f"{n}: {by_name[n]:.4g}" for n in order)
    msg = (f"analytic - numeric = c * W with a coefficient per tensor ({listed}): an L2 penalty lambd / 2 * sum(W^2) "
           f"adds the same lambd * W to every tensor, so the gradient's L2 term does not match the loss's penalty, "
           f"which is not the squared norm with the gradient's strength for each tensor{_norm_reading(ps, coefs)}")
    return Explanation.of([Finding(kind="regularization_wrong", params=order, message=msg,
                                   fix=fix_text("penalty_per_tensor"),
                                   evidence={"form": "per_tensor", "coefficients": by_name},
                                   layer=ev.layer(names), confidence="likely")])


def _norm_reading(ps: list[np.ndarray], coefs: list[float]) -> str:
    """The clause naming a norm penalty when ``c_k = a - b / ||W_k||`` with ``b > 0`` fits the coefficients."""
    inv = np.array([1.0 / float(np.linalg.norm(p)) for p in ps])
    c = np.array(coefs)
    A = np.stack([np.ones_like(inv), -inv], axis=1)
    if np.linalg.matrix_rank(A) < 2:
        return ""
    (a, b), *_ = np.linalg.lstsq(A, c, rcond=None)
    if b <= 0 or float(np.linalg.norm(A @ [a, b] - c)) > PENALTY_RTOL * float(np.linalg.norm(c)):
        return " (a strength that differs per tensor between the loss and the gradient)"
    caveat = "" if len(ps) > 2 else "; two coefficients fit this for any two tensors, so a per-tensor strength may be it"
    return (f": they fit c = {a:.4g} - {b:.4g} / ||W|| over the tensors' norms, what a penalty {b:.4g} * ||W|| "
            f"(the norm, not its square) in the loss gives against a term {a:.4g} * W in the gradient{caveat}")


def penalty_terms(form: str, coef: dict[str, float]) -> dict[str, str]:
    """The penalty term the gradient has (``found``) and the one the loss's penalty gives (``expected``),
    each a key of :data:`TERMS` or ``"none"``, for a fitted ``form`` with coefficients ``coef``.

    >>> penalty_terms("sign", {"p": 0.1, "sign": -0.1})
    {'found': 'p', 'expected': 'sign'}
    """
    if form in ("l2", "l1"):
        basis, c = ("p", coef["p"]) if form == "l2" else ("sign", coef["sign"])
        return {"found": "none", "expected": basis} if c < 0 else {"found": basis, "expected": "none"}
    first, second = next(b for f, b in FORMS if f == form)
    return {"found": second, "expected": first} if coef[second] > 0 else {"found": first, "expected": second}


def describe(form: str, coef: dict[str, float], label: str, lhs: str = "analytic - numeric") -> tuple[str, str, str]:
    """``(kind, message, fix)`` of a fitted ``form``; ``lhs``: what was fitted (the difference the
    coefficients describe).

    >>> describe("l2", {"p": -0.1}, "W1")[0]
    'regularization_missing'
    """
    if form in L1_FORMS:
        return _describe_l1(form, coef, label, lhs)
    c = coef["p"]
    if form == "sum":
        s = coef["sum"]
        msg = (f"{lhs} = {s:.4g} * (sum(p) - p) on every element of {label}: the gradient's "
               f"penalty term is {s:.4g} * np.sum(p), one number for every element, where the loss's penalty gives "
               f"{s:.4g} * p")
        fix = fix_text("penalty_sum", coefficient=s)
        return "regularization_wrong", msg, fix
    if c < 0:
        msg = (f"{lhs} = {c:.4g} * the parameter, on every element of {label}: the loss penalizes "
               f"{label} with an L2 term whose gradient {-c:.4g} * p is missing")
        return "regularization_missing", msg, fix_for("regularization_missing")
    msg = (f"{lhs} = {c:.4g} * the parameter, on every element of {label}: the gradient has an L2 "
           f"term {c:.4g} * p that the loss does not have (or has with another factor)")
    return "regularization_wrong", msg, fix_for("regularization_wrong")


#: What the gradient has against what the loss gives, by (found, expected) term; ``{s}`` is the strength.
_READINGS = {
    ("none", "sign"): "the loss has an L1 penalty {s} * sum(|p|) whose gradient {s} * np.sign(p) is missing",
    ("sign", "none"): "the gradient has an L1 term {s} * np.sign(p) that the loss does not have (or has with "
                      "another factor)",
    ("sign", "p"): "the gradient has the L1 term {s} * np.sign(p) where the loss's L2 penalty {s} / 2 * sum(p^2) "
                   "gives {s} * p",
    ("p", "sign"): "the gradient has the L2 term {s} * p where the loss's L1 penalty {s} * sum(|p|) gives "
                   "{s} * np.sign(p)",
    ("one", "sign"): "the gradient has the constant {s} (the derivative of |p| for p > 0 only) where the loss's L1 "
                     "penalty {s} * sum(|p|) gives {s} * np.sign(p)",
    ("sign", "one"): "the gradient has the L1 term {s} * np.sign(p) where the loss's penalty gives the constant {s}",
}
_SHOWN = {"l1": "sign(p)", "sign": "(sign(p) - p)", "one": "(sign(p) - 1)"}


def _describe_l1(form: str, coef: dict[str, float], label: str, lhs: str) -> tuple[str, str, str]:
    """An L1 penalty's gradient in the wrong form: the term found against the term expected."""
    terms = penalty_terms(form, coef)
    c = coef["sign"]
    reading = _READINGS[terms["found"], terms["expected"]].format(s=f"{abs(c):.4g}")
    msg = f"{lhs} = {c:.4g} * {_SHOWN[form]} on every element of {label}: {reading}"
    return "l1_penalty_gradient_wrong", msg, fix_for("l1_penalty_gradient_wrong")


# -- on a recognized net: against the recomputed data term -----------------------------------


def on_net(rc: Recomputation) -> list[Finding] | None:
    """Findings when the user's gradient is the recomputed data term (times one factor, read off the
    biases, which have no penalty) plus ``c * param`` per parameter, with ``c`` not the loss's."""
    g0 = rc.grads(l2=False)
    c = _data_factor(rc, g0)
    found = _terms(rc, g0, c)
    if found is None:
        return None
    # with a penalty term found, the factor is on the data term alone: not on the numerical gradient
    versus = "the recomputed data term (the penalty left out)" if found else "numeric"
    out = [factor_finding(c, rc.keys, rc.m, rc.layer_of, None if found else rc.how, confirmed=True,
                          net=rc.arch, versus=versus)] if c != 1.0 else []
    if not found:
        return out or None
    lam = rc.arch.l2
    missing = forward_order([n for n, r in found if lam > 0 and abs(r) <= EXACT * lam])
    if missing:
        out.append(Finding(
            kind="regularization_missing", params=missing,
            message=f"the loss has an L2 penalty {lam:.4g}/2 * sum(W^2) but the gradient of {join_names(missing)} "
            f"lacks its term {lam:.4g} * W: recomputing without it reproduces your gradient exactly ({rc.how})",
            fix=fix_for("regularization_missing"), evidence={"l2": lam},
            layer=max(rc.layer_of.get(n, 0) for n in missing) or None, confidence="confirmed"))
    groups: dict[tuple[bool, str], list[tuple[str, float]]] = {}
    for n, r in found:
        if n not in missing:
            groups.setdefault((_is_weight(rc, n), f"{r:.4g}"), []).append((n, r))
    for (is_weight, _), items in groups.items():
        out.append(_wrong_term(rc, forward_order([n for n, _ in items]), items[0][1], is_weight))
    return out


def _is_weight(rc: Recomputation, name: str) -> bool:
    return any(name == w for w, _ in rc.arch.layers)


def _data_factor(rc: Recomputation, g0: dict[str, np.ndarray]) -> float:
    """A constant factor on the data term (e.g. a missing 1/m), read off the biases; 1 when none."""
    biases = [b for _, b in rc.arch.layers if b is not None and b in rc.user]
    if not biases:
        return 1.0
    c, res = fit_ratio(np.concatenate([rc.user[b].ravel() for b in biases]),
                       np.concatenate([g0[b].ravel() for b in biases]))
    if res > rc.tol or not np.isfinite(c) or abs(c - 1.0) <= EXACT:
        return 1.0
    return c


def _terms(rc: Recomputation, g0: dict[str, np.ndarray], c: float) -> list[tuple[str, float]] | None:
    """``(name, r)`` for every parameter whose gradient carries ``r * param`` other than the loss's
    penalty; None when some parameter is not the data term plus a multiple of itself."""
    lam = rc.arch.l2
    found = []
    for n in rc.keys:
        e = rc.user[n] - c * g0[n]
        p = rc.arch.to_rows(n, np.asarray(rc.params[n], dtype=np.float64))
        expected = lam if _is_weight(rc, n) else 0.0
        scale = rc.tol * max(float(np.linalg.norm(rc.user[n])), 1e-300)
        if c != 1.0 and expected and np.linalg.norm(e - c * lam * p) <= scale:
            continue
        if np.linalg.norm(e - expected * p) <= scale:
            continue
        r = float((e * p).sum() / max((p * p).sum(), 1e-300))
        if np.linalg.norm(e - r * p) > scale:
            return None
        if p.size < 2 and not (lam > 0 and near(r, lam)):
            return None  # one number always fits some multiple of itself: only the loss's lambda counts
        found.append((n, r))
    return found


def _wrong_term(rc: Recomputation, names: list[str], r: float, is_weight: bool) -> Finding:
    lam = rc.arch.l2
    label = join_names(names)
    if not is_weight:
        what = f"the gradient of the bias {label} has an L2 term {r:.4g} * b; the penalty belongs to the weights only"
    elif lam == 0:
        what = f"the gradient of {label} has an L2 term {r:.4g} * W, but the loss has no penalty"
    else:
        what = (f"the gradient of {label} has an L2 term {r:.4g} * W, but the loss's penalty "
                f"{lam:.4g}/2 * sum(W^2) gives {lam:.4g} * W (factor {r / lam:.4g})")
    return Finding(kind="regularization_wrong", params=names,
                   message=f"{what}: recomputing with that term reproduces your gradient exactly ({rc.how})",
                   fix=fix_for("regularization_wrong"), evidence={"l2": lam, "term": r},
                   layer=max(rc.layer_of.get(n, 0) for n in names) or None, confidence="confirmed")
