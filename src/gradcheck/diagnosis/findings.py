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

from ..layers import forward_order
from ..report import Finding, Report
from .catalogue import fix_for, fix_text
from .mistakes import Mistake
from .mistakes.text import output_gradient
from .model.arch import Arch
from .signatures import fit_ratio, name_factor
from .thresholds import DIFFERS, fit_rtol, near

#: The weight gradient averaged over the batch, in each layout (each is a formula of the catalogue's fix).
BATCH_MEAN_FORMULAS = {"cols": "dW = dZ @ A_prev.T / m", "rows": "dW = A_prev.T @ dZ / m"}
#: The delta carried into the layer below, in each layout (formulas of the weights_not_transposed fix).
CARRY_FORMULAS = {"cols": "dA_prev = W.T @ dZ", "rows": "dA_prev = dZ @ W.T"}

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
    net: Arch | None = None,
) -> Finding:
    """A finding for ``analytic = c * numeric`` on ``names``; ``right``: the parameters that match,
    so the fix can say the layers above are right when they all are; ``net``: the recognized net, whose
    loss, dropout and layout the advice is written for (None: advice that needs none of them)."""
    loss = net.loss if net is not None else None
    kind = name_factor(c, batch=batch)
    where = "every element" + (f" of {join_names(names)}" if names else "")
    msg = f"analytic / {versus} = {c:.4g} on {where}"
    if residual is not None:
        msg += f" (residual {residual:.1e})"
    if kind == "missing_batch_mean":
        msg += f"; the batch has {batch} examples"
    elif kind == "extra_batch_mean":
        msg += f" = 1/{batch}; the batch has {batch} examples"
    elif kind == "constant_factor":
        msg += _constant_note(c, batch, loss)
    if how:
        msg += f"; the exact gradient times {c:.4g} reproduces yours on every parameter (the net: {how})"
    top = max((layer_of.get(n, 0) for n in names), default=0) or None
    upper = [n for n, layer in layer_of.items() if top is not None and layer > top]
    above_right = top is not None and bool(upper) and all(n in right for n in upper)
    fix = factor_fix(kind, c, top if above_right else None, loss=loss, dropout=bool(net.dropout) if net else None,
                     layout=net.layout if net is not None and not net.x_layout else None,
                     output=output_gradient(net) if net is not None and net.input is None else None)
    return Finding(kind=kind, params=list(names), message=msg, fix=fix,
                   evidence={"factor": c, "batch_size": batch}, layer=top,
                   confidence="confirmed" if confirmed else "likely")


def _constant_note(c: float, batch: int | None, loss: str | None) -> str:
    """What a constant factor ``c`` may come from, for a net with ``loss`` (None: not recognized)."""
    note = ""
    if batch is None and c > 1.5 and near(c, round(c)):
        note += (f"; {round(c)} may be the batch size (pass data=(X, y) to confirm it: a factor equal to the "
                 f"batch size is a missing 1/m)")
    if (near(abs(c), 2) or near(abs(c), 0.5)) and loss in (None, "mse"):
        note += "; a factor of 2 usually comes from the square in an MSE loss and a 0.5 in front of it on one side only"
    elif near(abs(c), 2) or near(abs(c), 0.5):
        note += (f"; the loss is {loss}, which has no square: the 2 is written into its derivative (as in an MSE's "
                 f"2 * (a - y)) or a term is counted twice")
    if c < 0:
        note += "; the sign is flipped as well"
    return note


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
        if res <= fit_rtol(r.dtype):
            confidence = "confirmed"
            if near(c, 1):
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
    """``a`` and ``b`` are apart by more than :data:`~.thresholds.DIFFERS` x ``tol`` (relative)."""
    scale = max(float(np.linalg.norm(b)), float(np.linalg.norm(a)), 1e-300)
    return float(np.linalg.norm(a - b)) > DIFFERS * tol * scale


def nice_factor(c: float, batch: int | None) -> bool:
    """``c`` is a telling constant: -1, +-2, 1/2, 0, or the batch size m or 1/m."""
    targets = [-1.0, 2.0, 0.5, -2.0, 0.0]
    if batch:
        targets += [float(batch), 1.0 / batch]
    return any(near(c, t) for t in targets)


def round_factor(c: float) -> float:
    return float(f"{c:.3g}")


def join_names(names: list[str]) -> str:
    names = list(names)
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def factor_fix(kind: str, c: float, right_above: int | None = None, *, loss: str | None = None,
               dropout: bool | None = None, layout: str | None = None, output: str | None = None) -> str:
    """The fix of ``analytic = c * numeric`` named ``kind``; ``right_above``: the layer whose upper
    layers are all right (the factor then enters on the way into it, not at the output); ``loss``:
    the recognized net's loss (the MSE convention hint only for an MSE loss or an unknown one);
    ``dropout``: whether the recognized net has dropout (dropout advice only when it has: None, no net
    recognized, backs no advice about dropout); ``layout``: the recognized net's (``"rows"``: W is
    (n_in, n_out) and the examples are rows), so a formula is written the net's way; ``output``: the
    recognized net's output gradient as a statement (:func:`.mistakes.text.output_gradient`), the
    sign's fix in its names and loss (None: the general fix).

    >>> factor_fix("missing_batch_mean", 8.0, layout="rows")
    'Divide the gradient by m (examples as rows: dW = A_prev.T @ dZ / m), or compute the loss as a sum instead of a mean.'
    """
    general = fix_for(kind)
    if kind == "missing_batch_mean" and layout in BATCH_MEAN_FORMULAS:
        general = fix_text("batch_mean_layout", layout=layout, formula=BATCH_MEAN_FORMULAS[layout])
    if kind == "constant_factor" and c == 0:  # a gradient of zeros: nothing to divide by, no loss convention
        general = fix_for("zero_gradient")
    elif kind == "constant_factor":
        general = fix_text("factor_here", general=general, factor=c)
        size = abs(c)
        if loss not in (None, "mse") and (near(size, 2) or near(size, 0.5)):
            general = fix_text("factor_two_no_square", loss=loss, factor=c)
        elif np.isfinite(c) and c != 0 and not (near(size, 2) or near(size, 0.5)):  # else: the MSE convention hint
            sign = " and flip its sign" if c < 0 else ""
            key = "factor_below_one" if size < 1 else "factor_above_one"
            general = fix_text(key + ("" if dropout else "_no_dropout"), size=size, factor=c, sign=sign)
    if kind == "sign_flipped" and right_above is None and output is not None:
        return fix_text("sign_output", formula=output)
    if right_above is None:
        return general
    if kind == "sign_flipped":
        carry = CARRY_FORMULAS.get(layout or "", f"{CARRY_FORMULAS['cols']} ({CARRY_FORMULAS['rows']} with examples as rows)")
        return fix_text("sign_from_above", layer=right_above, above=right_above + 1, carry=carry)
    if kind in ("missing_batch_mean", "extra_batch_mean", "constant_factor"):
        return fix_text("factor_from_above", general=general, layer=right_above, above=right_above + 1)
    return general


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
    if near(factor, 1):
        return fix_text("bias_mean_inside", target=target, total=total)
    if batch and near(factor, batch):
        return fix_text("bias_average", target=target, total=total, batch=batch)
    return fix_text("bias_factor", target=target, total=total, factor=factor)
