"""Building the :class:`~gradcheck.report.Finding` objects of a diagnosis: their messages,
evidence, fix hints and order.

Example:
    >>> join_names(["W1", "b1", "W2"])
    'W1, b1 and W2'
    >>> nice_factor(8.0, 8), nice_factor(3.7, 8)
    (True, False)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .catalogue import fix_for
from .model.arch import Arch
from ..layers import forward_order
from .mistakes import Mistake
from ..report import Finding, Report
from .signatures import FIT_RTOL, fit_ratio, name_factor

__all__ = ["bias_fix", "differs", "factor_finding", "factor_fix", "join_names", "mistake_finding", "nice_factor", "ordered", "round_factor",
           "shape_finding"]


def factor_finding(
    c: float,
    names: list[str],
    batch: int | None,
    layer_of: dict[str, int],
    how: str | None,
    *,
    confirmed: bool,
    residual: float | None = None,
    versus: str = "numeric",
    right: set[str] | frozenset[str] = frozenset(),
) -> Finding:
    """A finding for ``analytic = c * numeric`` on ``names``; ``right``: the parameters that match,
    so the fix can say the layers above are right when they all are."""
    kind = name_factor(c, batch=batch)
    where = "every element" + (f" of {join_names(names)}" if names else "")
    msg = f"analytic / {versus} = {c:.4g} on {where}"
    if residual is not None:
        msg += f" (residual {residual:.1e})"
    fix = fix_for(kind)
    if kind == "missing_batch_mean":
        msg += f"; the batch has {batch} examples"
    elif kind == "extra_batch_mean":
        msg += f" = 1/{batch}; the batch has {batch} examples"
    elif kind == "constant_factor":
        if batch is None and c > 1.5 and abs(c - round(c)) < 1e-3:
            msg += (f"; {round(c)} may be the batch size (pass data=(X, y) to confirm it: a factor equal to the "
                    f"batch size is a missing 1/m)")
        if abs(abs(c) - 2) < 2e-3 or abs(abs(c) - 0.5) < 1e-3:
            msg += "; a factor of 2 usually comes from the square in an MSE loss and a 0.5 in front of it on one side only"
        if c < 0:
            msg += "; the sign is flipped as well"
        fix = f"{fix} Here the gradient must be divided by {c:.4g}."
    if how:
        msg += f"; the exact gradient times {c:.4g} reproduces yours on every parameter (the net: {how})"
    top = max((layer_of.get(n, 0) for n in names), default=0) or None
    upper = [n for n, layer in layer_of.items() if top is not None and layer > top]
    if top is not None and upper and all(n in right for n in upper):
        # the layers above are right: the factor enters on the way into this layer, not at the output
        above = top + 1
        if kind == "sign_flipped":
            fix = (f"The layers above layer {top} are right, so the output delta is not the cause: the sign flips "
                   f"on the way from layer {above} into layer {top}. Check that step's signs: the activation's "
                   f"derivative (a * (1 - a), not a * (a - 1); 1 - a**2, not a**2 - 1) and dA = W.T @ dZ.")
        elif kind in ("missing_batch_mean", "extra_batch_mean", "constant_factor"):
            fix = (f"{fix} The layers above layer {top} are right, so the factor enters on the way from layer "
                   f"{above} into layer {top} or in layer {top}'s own dW and db.")
    return Finding(kind=kind, params=list(names), message=msg, fix=fix,
                   evidence={"factor": c, "batch_size": batch}, layer=top,
                   confidence="confirmed" if confirmed else "likely")


def mistake_finding(mk: Mistake, affected: list[str], layer_of: dict[str, int], how: str, arch: Arch) -> Finding:
    names = forward_order(affected)
    layer_names = [n for n in arch.layers[mk.layer - 1] if n is not None] if 1 <= mk.layer <= len(arch.layers) else []
    first = [n for n in names if n in layer_names] or names[-1:]
    msg = (f"{mk.detail}. Recomputing the gradient with this mistake reproduces your gradients of every parameter "
           f"(the first one it reaches is {first[-1]}); the net is {how}")
    return Finding(kind=mk.kind, params=names, message=msg, fix=fix_for(mk.kind),
                   evidence={"mistake": mk.detail, "layers": list(mk.layers), "architecture": arch.describe(),
                             "architecture_given": arch.given},
                   layer=mk.layer, confidence="confirmed")


def shape_finding(r: Any, g: np.ndarray, kind: str, repaired: np.ndarray | None, batch: int | None,
                   layer_of: dict[str, int]) -> Finding:
    name = r.name
    n = r.numeric
    evidence: dict[str, Any] = {"grad_shape": list(g.shape), "param_shape": list(r.shape)}
    detail = ""
    confidence = "likely"
    if repaired is not None and n is not None:
        c, res = fit_ratio(repaired, n)
        evidence.update(factor=c, residual=res)
        if res <= (FIT_RTOL if r.dtype == "float64" else 1e2 * FIT_RTOL):
            confidence = "confirmed"
            if abs(c - 1) <= 1e-3:
                detail = "; once reshaped that way it matches the numerical gradient"
            else:
                detail = f"; once reshaped that way it is {c:.4g} x the numerical gradient"
    if kind == "bias_not_summed":
        axis_len = [d for d in g.shape if d not in r.shape] or list(g.shape)
        msg = (f"the gradient of the bias {name} has shape {g.shape} for a parameter of shape {tuple(r.shape)}: "
               f"it keeps one delta per example (axis of length {axis_len[0]}) instead of summing them over "
               f"the batch{detail}")
        if batch is not None:
            msg += f"; the batch has {batch} examples"
        kind_out = kind
    elif kind == "transposed":
        msg = f"the gradient of {name} has shape {g.shape}, the transpose of the parameter's {tuple(r.shape)}{detail}"
        kind_out = kind
    elif kind == "reshaped":
        msg = (f"the gradient of {name} has shape {g.shape} for a parameter of shape {tuple(r.shape)} (the same number "
               f"of elements, so an update W -= lr * dW broadcasts or fails){detail}")
        kind_out = "wrong_shape"
    else:
        msg = f"the gradient of {name} has shape {g.shape}, but the parameter has shape {tuple(r.shape)}"
        kind_out = "wrong_shape"
    return Finding(kind=kind_out, params=[name], message=msg, fix=fix_for(kind_out), evidence=evidence,
                   layer=layer_of.get(name), confidence=confidence)


def ordered(findings: list[Finding], report: Report) -> list[Finding]:
    """Findings nearest the loss first (the first wrong parameter's finding leads)."""
    order = {n: i for i, n in enumerate(reversed(forward_order(p.name for p in report.params)))}

    def key(f: Finding) -> tuple[int, int]:
        first = min((order.get(n, 10**6) for n in f.params), default=10**6)
        return (first, 0 if f.confidence == "confirmed" else 1)

    return sorted(findings, key=key)


def differs(a: np.ndarray, b: np.ndarray, tol: float) -> bool:
    scale = max(float(np.linalg.norm(b)), float(np.linalg.norm(a)), 1e-300)
    return float(np.linalg.norm(a - b)) > 10 * tol * scale


def nice_factor(c: float, batch: int | None) -> bool:
    targets = [-1.0, 2.0, 0.5, -2.0, 0.0]
    if batch:
        targets += [float(batch), 1.0 / batch]
    return any(abs(c - t) <= 1e-4 * max(abs(t), 1e-3) for t in targets)


def round_factor(c: float) -> float:
    return float(f"{c:.3g}")


def join_names(names: list[str]) -> str:
    names = list(names)
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def factor_fix(c: Any) -> str | None:
    """The fix of a constant factor, by what that factor usually comes from."""
    if c is None or not np.isfinite(c) or c == 0:
        return None
    a = abs(c)
    if abs(a - 2) < 2e-3 or abs(a - 0.5) < 1e-3:
        return None  # the catalogue's MSE convention hint is the one
    sign = " and flip its sign" if c < 0 else ""
    if 0 < a < 1:
        where = (f"A factor below 1 such as {a:.4g} is often a scaling applied in the forward pass but not in the "
                 f"backward one (dropout's 1/keep_prob, a learning rate or a 1/n left in the gradient).")
    else:
        where = (f"A factor such as {a:.4g} is often a count the loss averages over but the gradient does not "
                 f"(examples, output units, time steps), or a scale in one pass only (1/keep_prob of dropout).")
    return f"{where} Divide the gradient by {c:.4g}{sign}, or find the constant the loss and its gradient disagree on."


def bias_fix(name: str, grad_shape: tuple[int, ...], shape: tuple[int, ...], factor: Any,
              batch: int | None) -> str | None:
    """The fix of a bias gradient kept per example, with the axis it has and the 1/m it needs or already has."""
    if len(grad_shape) != 2:
        return None
    size = int(np.prod(shape)) if shape else 1
    axis = 1 if grad_shape[0] == size and grad_shape[1] != size else 0
    keep = ", keepdims=True" if len(shape) == 2 else ""
    total = f"np.sum(dZ, axis={axis}{keep})"
    target = f"d{name}" if name.isidentifier() else f"the gradient of {name}"
    if factor is None or not np.isfinite(factor):
        return None
    if abs(factor - 1) <= 1e-3:
        return (f"Sum over the batch axis (one delta per example). Summed, your values already match the numerical "
                f"gradient, so the 1/m is in them once: {target} = {total} if your dZ already includes the 1/m, "
                f"{target} = {total} / m if the 1/m was only in the {target} line.")
    if batch and abs(factor - batch) <= 1e-3 * batch:
        return f"Sum over the batch axis (one delta per example) and average: {target} = {total} / m (m = {batch})."
    return f"Sum over the batch axis (one delta per example): {target} = {total}; summed, it is {factor:.4g} x the " \
           f"numerical gradient, so that factor must go too."
