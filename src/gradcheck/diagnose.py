"""Diagnosis: where a wrong gradient first goes wrong, and what kind of mistake it is.

:func:`diagnose` runs after the numeric comparison (``gradcheck.check`` calls it) and
fills ``report.findings`` and ``report.localization``. It works in three steps:

1. **Localization** -- the first wrong parameter in backprop order, and what the pattern
   of right and wrong parameters says about where the mistake sits (:mod:`gradcheck.localize`).
2. **Semantic naming** -- when the net is a standard dense net (given as a hint, or
   inferred from the parameter shapes, the data and the loss, see :mod:`gradcheck.infer`),
   the gradient is recomputed under every catalogued mistake at every layer
   (:mod:`gradcheck.mistakes`, :mod:`gradcheck.semantic`); the one that reproduces the user's
   analytic gradient of every parameter is named with confidence ``"confirmed"``.
3. **Generic signatures** -- otherwise, per parameter (:mod:`gradcheck.signatures`): a
   constant ratio (m, 1/m, -1, other), a transpose, a bias gradient with an extra batch
   axis, zeros, NaN; confidence ``"likely"``. What fits nothing is ``unknown``.

The architecture hint is a dict; every key is optional and narrows the search::

    hint = {
        "layout": "cols",                   # "cols": X is (n_in, m), W (n_out, n_in), b (n_out, 1)
                                            # "rows": X is (m, n_in), W (n_in, n_out), b (n_out,)
        "activations": ["sigmoid", "sigmoid", "sigmoid"],   # one per layer (or one name for the hidden layers)
        "loss": "bce",                      # "bce", "mse" or "softmax_ce"
        "l2": 0.0,                          # penalty l2 / 2 * sum(W ** 2) (fitted from the loss when absent)
        "reduction": "mean",                # "mean" or "sum" over the batch (fitted when absent)
        "batch_size": 8,                    # the number of examples, when no data are given
        "layers": [("W1", "b1"), ("W2", "b2")],  # pairing of weights and biases (inferred when absent)
        "dropout": {1: D1, 2: D2},          # fixed dropout masks of hidden layers, in the layout of
        "keep_prob": 0.8,                   #   their activations; the forward pass uses A * D / keep_prob
    }

The data ``(X, y)`` are needed for semantic naming (``check(..., data=(X, y))``);
``gradcheck.nn.MLP.hint`` is a complete hint. A layer check (the layers' input checked as a
parameter named ``input``, ``x`` or ``X`` through ``sum(out * R)``) needs no data: the stack of
dense layers and ``R`` are recovered from the loss (:func:`gradcheck.infer.infer_layer_arch`).

Example:
    >>> import numpy as np, gradcheck
    >>> from gradcheck.nn import MLP
    >>> net = MLP([2, 3, 1], activations="sigmoid", loss="bce", layout="cols")
    >>> X, y = net.random_data(8)
    >>> g = lambda: {k: 8 * v for k, v in net.gradients(X, y).items()}   # summed, not averaged
    >>> report = gradcheck.check(net.params, lambda: net.loss(X, y), g, data=(X, y))
    >>> report.kinds()
    ['missing_batch_mean']
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from .bugs import fix_for
from .findings import factor_finding, join_names, nice_factor, ordered, round_factor, shape_finding
from .infer import Arch, batch_size, infer_arch, infer_layer_arch, input_name, normalize_hint
from .layers import forward_order
from .localize import layer_groups, localize
from .masks import infer_dropout_arch
from .problem import protected
from .report import Finding, Report
from .semantic import name_by_recomputation
from .signatures import FIT_RTOL, fit_ratio, name_factor, robust_ratio, shape_relation

__all__ = ["diagnose"]


def diagnose(report: Report, problem: Any) -> None:
    """Append findings to ``report.findings`` and set ``report.localization``. Never raises."""
    try:
        _diagnose(report, problem)
    except Exception as exc:  # noqa: BLE001 - a failing diagnosis must not fail the check
        wrong = list(report.wrong)
        if wrong and not any(f.kind != "gradient_accumulates" for f in report.findings):
            report.findings.append(
                Finding(
                    kind="unknown",
                    params=wrong,
                    message=f"the gradients of {join_names(wrong)} are wrong; the diagnosis itself failed "
                    f"({type(exc).__name__}: {exc})",
                    fix=fix_for("unknown"),
                    confidence="likely",
                )
            )


def _diagnose(report: Report, problem: Any) -> None:
    wrong = list(report.wrong)
    if not wrong:
        return
    params: Mapping[str, np.ndarray] = problem.params
    hint = normalize_hint(problem.hint) or None
    if problem.hint is not None and not isinstance(problem.hint, Mapping):
        report.notes.append(
            f"the architecture hint was ignored: it must be a dict such as {{'activations': ['relu', 'sigmoid'], "
            f"'loss': 'bce', 'layout': 'cols'}}, got {type(problem.hint).__name__}"
        )
    data = problem.data
    groups = layer_groups(report, params, hint)
    layer_of = {n: i + 1 for i, g in enumerate(groups) for n in g}
    report.localization = localize(report, groups)
    batch = batch_size(data, params, hint)
    findings: list[Finding] = []

    # 1. shapes and non-finite values, per parameter
    eff: dict[str, np.ndarray | None] = {}
    unstable: list[tuple[str, int, int]] = []
    for r in report.params:
        g = r.analytic
        if g is None:
            eff[r.name] = None
            continue
        g = np.asarray(g, dtype=np.float64)
        if g.shape != tuple(r.shape):
            kind, repaired = shape_relation(g, r.shape, batch=batch)
            eff[r.name] = repaired
            f = shape_finding(r, g, kind, repaired, batch, layer_of)
            if f.kind == "bias_not_summed":
                f.fix = _bias_fix(r.name, g.shape, tuple(r.shape), f.evidence.get("factor"), batch) or f.fix
            findings.append(f)
            continue
        if not np.all(np.isfinite(g)):
            unstable.append((r.name, int((~np.isfinite(g)).sum()), g.size))
            eff[r.name] = None
            continue
        eff[r.name] = g
    if unstable:
        names = [n for n, _, _ in unstable]
        counts = ", ".join(f"{n}: {k} of {size}" for n, k, size in unstable)
        findings.append(
            Finding(
                kind="numerically_unstable",
                params=names,
                message=f"the analytic gradient holds NaN/inf values ({counts}) while the loss is finite "
                f"({report.loss_value:.6g}): something like y / a or (1 - y) / (1 - a) overflows where a sigmoid saturates",
                fix=fix_for("numerically_unstable"),
                evidence={"nonfinite": {n: k for n, k, _ in unstable}},
                layer=max(layer_of.get(n, 0) for n in names) or None,
                confidence="confirmed",
            )
        )
        _drop_nan_repeat_finding(report, problem)

    # 2. semantic naming on a standard net
    explained: set[str] = set()
    arch, semantic = None, None
    layer_input = input_name(params) if data is None else None
    if data is not None or (hint and hint.get("activations")) or layer_input is not None:
        try:
            arch = _arch(report, problem, hint)
            if arch is not None:
                semantic = name_by_recomputation(report, problem, arch, eff, batch, layer_of)
        except Exception as exc:  # noqa: BLE001 - odd nets or hints: the generic signatures still run
            arch, semantic = None, None
            report.notes.append(f"the net could not be matched to a standard dense net ({type(exc).__name__}: {exc})")
    if semantic is not None:
        sem_findings, explained = semantic
        findings.extend(sem_findings)

    # 3. generic signatures for what is left
    shaped = {f.params[0] for f in findings if f.kind in ("bias_not_summed", "transposed", "wrong_shape")}
    unstable_names = {n for f in findings if f.kind == "numerically_unstable" for n in f.params}
    left = [n for n in wrong if n not in explained and n not in unstable_names]
    findings.extend(_generic(report, eff, left, shaped, batch, layer_of, arch, data is not None,
                             layer_check=layer_input is not None, params=params))
    findings = _without_accumulated_factor(report, findings)
    for f in findings:
        if f.kind == "constant_factor":
            f.fix = _factor_fix(f.evidence.get("factor")) or f.fix
    report.findings.extend(ordered(findings, report))


def _factor_fix(c: Any) -> str | None:
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


def _without_accumulated_factor(report: Report, findings: list[Finding]) -> list[Finding]:
    """Gradients that accumulate over calls are k times the true one after k calls: that factor is
    the accumulation, not a second mistake, so a factor finding on those parameters is dropped."""
    repeat = {n for f in report.findings if f.kind == "gradient_accumulates" for n in f.params}
    if not repeat:
        return findings
    factors = ("constant_factor", "missing_batch_mean")
    out = []
    for f in findings:
        c = f.evidence.get("factor") if isinstance(f.evidence, dict) else None
        if (f.kind in factors and set(f.params) <= repeat and c is not None
                and c > 1.5 and abs(c - round(c)) <= 1e-3 * c):
            continue
        out.append(f)
    return out


#: how closely ``analytic - numeric`` must equal ``c * param`` (relative) to call it a penalty term
PENALTY_RTOL = 1e-3


def _penalty_term(
    report: Report, eff: Mapping[str, np.ndarray | None], names: list[str], params: Mapping[str, np.ndarray],
    layer_of: dict[str, int],
) -> Finding | None:
    """``analytic - numeric = c * param`` with one ``c`` on every one of ``names``: an L2 term that the
    gradient lacks (c < 0) or has without the loss (c > 0), whatever the architecture (biases too)."""
    usable = [n for n in names if eff.get(n) is not None and report[n].numeric is not None and n in params
              and np.shape(eff[n]) == np.shape(params[n])]
    if not usable:
        return None
    e = np.concatenate([(np.asarray(eff[n], float) - np.asarray(report[n].numeric, float)).ravel() for n in usable])
    p = np.concatenate([np.asarray(params[n], float).ravel() for n in usable])
    if p.size < 3 or not np.all(np.isfinite(e)) or float(np.std(p)) <= 1e-6 * float(np.abs(p).max()):
        return None  # equal values: any constant discrepancy would "fit" c * p
    c = float(e @ p / (p @ p))
    for n in usable:
        en = (np.asarray(eff[n], float) - np.asarray(report[n].numeric, float)).ravel()
        pn = np.asarray(params[n], float).ravel()
        if not np.any(pn) or np.linalg.norm(en - c * pn) > PENALTY_RTOL * np.linalg.norm(en):
            return None
    label = join_names(forward_order(usable))
    if c < 0:
        kind = "regularization_missing"
        msg = (f"analytic - numeric = {c:.4g} * the parameter, on every element of {label}: the loss penalizes "
               f"{label} with an L2 term whose gradient {-c:.4g} * p is missing")
    else:
        kind = "regularization_wrong"
        msg = (f"analytic - numeric = {c:.4g} * the parameter, on every element of {label}: the gradient has an L2 "
               f"term {c:.4g} * p that the loss does not have (or has with another factor)")
    return Finding(kind=kind, params=forward_order(usable), message=msg, fix=fix_for(kind),
                   evidence={"term": c}, layer=max(layer_of.get(n, 0) for n in usable) or None, confidence="likely")


def _bias_fix(name: str, grad_shape: tuple[int, ...], shape: tuple[int, ...], factor: Any,
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


def _drop_nan_repeat_finding(report: Report, problem: Any) -> None:
    """NaN != NaN: two equal calls of grads() holding NaN are not accumulating gradients."""
    repeat = [f for f in report.findings if f.kind == "gradient_accumulates"]
    if not repeat or not callable(problem.grads):
        return
    again = problem.grads_now()
    try:
        same = all(
            np.array_equal(np.asarray(report[n].analytic, dtype=np.float64),
                           np.asarray(_lookup(again, n), dtype=np.float64), equal_nan=True)
            for n in repeat[0].params
        )
    except Exception:  # noqa: BLE001 - cannot compare: keep the finding
        return
    if same:
        for f in repeat:
            report.findings.remove(f)


def _lookup(grads: Any, name: str) -> Any:
    if isinstance(grads, Mapping):
        for key in (name, "d" + name, "d_" + name, "grad_" + name, name + "_grad"):
            if key in grads:
                return grads[key]
    raise KeyError(name)


def _arch(report: Report, problem: Any, hint: Mapping[str, Any] | None) -> Arch | None:
    params = problem.params
    with protected(params):
        if problem.data is None and input_name(params) is not None:
            return infer_layer_arch(params, problem.loss, hint=hint, seed=report.seed or 0)
        arch = infer_arch(params, problem.loss, problem.data, hint=hint, seed=report.seed or 0)
        if arch is None and problem.data is not None and not (hint and (hint.get("dropout") or hint.get("activations"))):
            # a forward pass with a fixed dropout mask: the mask read off the loss
            arch = infer_dropout_arch(params, problem.loss, problem.data, seed=report.seed or 0)
        return arch


def _generic(
    report: Report,
    eff: dict[str, np.ndarray | None],
    left: list[str],
    shaped: set[str],
    batch: int | None,
    layer_of: dict[str, int],
    arch: Arch | None,
    has_data: bool,
    layer_check: bool = False,
    params: Mapping[str, np.ndarray] | None = None,
) -> list[Finding]:
    by_kind: dict[tuple[str, float], list[tuple[str, float, float]]] = {}
    transposed: list[tuple[str, float]] = []
    zeros: list[str] = []
    unknown: list[str] = []
    single: list[tuple[str, float, float]] = []
    off: dict[str, tuple[int, int]] = {}  # name -> (elements off the ratio, elements compared)
    for name in left:
        r = report[name]
        g = eff.get(name)
        if g is None or r.numeric is None:
            if name not in shaped:
                unknown.append(name)
            continue
        n = np.asarray(r.numeric, dtype=np.float64)
        finite_n = n[np.isfinite(n)]
        if np.all(g == 0) and finite_n.size and np.any(finite_n != 0):
            zeros.append(name)
            continue
        fit_tol = FIT_RTOL if report[name].dtype == "float64" else 1e2 * FIT_RTOL
        c, res = fit_ratio(g, n)
        if res <= fit_tol and np.isfinite(c) and g.size == 1 and not nice_factor(c, batch):
            # one number always has "a constant ratio": it counts only if it is a telling one,
            # or the one the other parameters show (decided below)
            single.append((name, c, res))
            continue
        if res <= fit_tol and np.isfinite(c):
            if abs(c - 1.0) <= 1e-3:
                if name not in shaped:
                    unknown.append(name)  # matches in the ratio sense, yet flagged: odd elements
                continue
            kind = name_factor(c, batch=batch)
            by_kind.setdefault((kind, round_factor(c)), []).append((name, c, res))
            continue
        cr, share, count = robust_ratio(g, n)
        if (count >= 10 and share >= 0.9 and np.isfinite(cr) and abs(cr - 1.0) > 1e-3 and abs(cr) > 1e-9
                and nice_factor(cr, batch)):
            # a telling factor on all but a few elements (finite differences across a kink)
            kind = name_factor(cr, batch=batch)
            by_kind.setdefault((kind, round_factor(cr)), []).append((name, cr, 0.0))
            off[name] = (int(round((1.0 - share) * count)), count)
            continue
        if g.ndim == 2 and g.shape[0] == g.shape[1] and g.shape[0] > 1:
            ct, rt = fit_ratio(g.T, n)
            if rt <= fit_tol and np.isfinite(ct):
                transposed.append((name, ct))
                continue
        if name not in shaped:
            unknown.append(name)
    for name, c, res in single:
        key = next((k for k in by_kind if abs(k[1] - c) <= 1e-3 * abs(k[1]) and k[1] != 0), None)
        if key is not None and abs(np.median([i[1] for i in by_kind[key]]) - c) <= 1e-5 * abs(c):
            by_kind[key].append((name, c, res))
        elif name not in shaped:
            unknown.append(name)
    out: list[Finding] = []
    for (kind, _), items in by_kind.items():
        names = forward_order([i[0] for i in items])
        c = float(np.median([i[1] for i in items]))
        res = max(i[2] for i in items)
        f = factor_finding(c, names, batch, layer_of, None, confirmed=False, residual=None if off else res,
                           right={r.name for r in report.params if r.ok})
        odd = [n for n in names if n in off]
        if odd:
            k = sum(off[n][0] for n in odd)
            total = sum(off[n][1] for n in odd)
            f.message = f.message.replace(
                "on every element", f"on all but {k} of the {total} elements compared") + (
                "; the others look like finite differences across a kink (relu, max, abs)")
            f.evidence["elements_off"] = k
        out.append(f)
    for name, c in transposed:
        extra = "" if abs(c - 1) < 1e-3 else f" (and scaled by {c:.4g})"
        out.append(
            Finding(
                kind="transposed",
                params=[name],
                message=f"the analytic gradient of {name} equals the transpose of the numerical one{extra}; "
                f"{name} is square, so the shapes hid it",
                fix=fix_for("transposed"),
                evidence={"factor": c},
                layer=layer_of.get(name),
                confidence="likely",
            )
        )
    if zeros:
        out.append(
            Finding(
                kind="zero_gradient",
                params=forward_order(zeros),
                message=f"the analytic gradient of {join_names(zeros)} is zero everywhere, but the loss does change with "
                f"{'it' if len(zeros) == 1 else 'them'}",
                fix=fix_for("zero_gradient"),
                layer=max(layer_of.get(n, 0) for n in zeros) or None,
                confidence="likely",
            )
        )
    if unknown and params is not None:
        penalty = _penalty_term(report, eff, unknown, params, layer_of)
        if penalty is not None:
            out.append(penalty)
            unknown = [n for n in unknown if n not in penalty.params]
    if unknown:
        names = forward_order(unknown)
        why = ""
        if arch is None and layer_check:
            why = (" The layer was not recognized as dense layers with standard activations (sigmoid, tanh, relu, "
                   "leaky relu, identity, softmax), so no mistake could be recomputed.")
        elif arch is None and not has_data:
            why = (" Give the data (data=(X, y) in Python; the CLI finds X, y beside the net), and a hint for an "
                   "unusual net, so the mistake can be named by recomputation.")
        elif arch is None:
            why = (" The net was not recognized as a standard dense net (sigmoid, tanh, relu, leaky relu, identity "
                   "or softmax layers; an MSE or cross-entropy loss; L2 on the weights), so no mistake could be "
                   "recomputed. With dropout, pass the masks: hint={'dropout': {1: D1}, 'keep_prob': keep_prob}.")
        else:
            why = f" No catalogued mistake reproduces it on {arch.describe()}."
        out.append(
            Finding(
                kind="unknown",
                params=names,
                message=f"the gradients of {join_names(names)} are wrong with no constant ratio, transpose or shape "
                f"pattern.{why}",
                fix=fix_for("unknown"),
                layer=max(layer_of.get(n, 0) for n in names) or None,
                confidence="likely",
            )
        )
    return out
