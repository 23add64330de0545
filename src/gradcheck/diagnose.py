"""Diagnosis: where a wrong gradient first goes wrong, and what kind of mistake it is.

:func:`diagnose` runs after the numeric comparison (``gradcheck.check`` calls it) and
fills ``report.findings`` and ``report.localization``. It works in three steps:

1. **Localization** -- the first wrong parameter in backprop order, and what the pattern
   of right and wrong parameters says about where the mistake sits.
2. **Semantic naming** -- when the net is a standard dense net (given as a hint, or
   inferred from the parameter shapes, the data and the loss, see :mod:`gradcheck.infer`),
   the gradient is recomputed under every catalogued mistake at every layer
   (:mod:`gradcheck.mistakes`); the one that reproduces the user's analytic gradient of
   every parameter is named with confidence ``"confirmed"``.
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
``gradcheck.nn.MLP.hint`` is a complete hint.

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
from dataclasses import replace
from typing import Any

import numpy as np

from .bugs import fix_for
from .infer import Arch, batch_size, infer_arch, normalize_data, normalize_hint, structure
from .layers import forward_order, layer_number
from .mistakes import Mistake, backward, mistakes, updated_weights
from .problem import protected
from .report import Finding, Report
from .signatures import FIT_RTOL, fit_ratio, name_factor, shape_relation

__all__ = ["diagnose", "localize"]


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
                    message=f"the gradients of {_names(wrong)} are wrong; the diagnosis itself failed "
                    f"({type(exc).__name__}: {exc})",
                    fix=fix_for("unknown"),
                    confidence="likely",
                )
            )


# -- the steps -------------------------------------------------------------------


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
    groups = _groups(report, params, hint)
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
            findings.append(_shape_finding(r, g, kind, repaired, batch, layer_of))
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
    if data is not None or (hint and hint.get("activations")):
        try:
            arch = _arch(report, problem, hint)
            if arch is not None:
                semantic = _semantic(report, problem, arch, eff, batch, layer_of)
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
    findings.extend(_generic(report, eff, left, shaped, batch, layer_of, arch, data is not None))
    report.findings.extend(_ordered(findings, report))


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
        return infer_arch(params, problem.loss, problem.data, hint=hint, seed=report.seed or 0)


def _semantic(
    report: Report,
    problem: Any,
    arch: Arch,
    eff: dict[str, np.ndarray | None],
    batch: int | None,
    layer_of: dict[str, int],
) -> tuple[list[Finding], set[str]] | None:
    params = problem.params
    data = normalize_data(problem.data)
    if data is None:
        return None
    X, y = data
    Xr = arch.x_rows(X)
    Ws = arch.weights(params)
    Y = arch.y_rows(y, Xr.shape[0], Ws[-1].shape[1])
    m = Xr.shape[0]
    names = [n for pair in arch.layers for n in pair if n is not None]
    low = any(np.finfo(params[n].dtype).bits < 64 for n in names)
    tol = 1e-4 if low else 1e-6

    def as_dict(grads: list[tuple[np.ndarray, np.ndarray | None]]) -> dict[str, np.ndarray]:
        out: dict[str, np.ndarray] = {}
        for (w, b), (dW, db) in zip(arch.layers, grads):
            out[w] = dW
            if b is not None and db is not None:
                out[b] = db
        return out

    ref = as_dict(backward(arch, params, Xr, Y))
    user = {}
    for n in names:
        g = eff.get(n)
        if g is None:
            continue
        u = arch.to_rows(n, g)
        if u.shape == ref[n].shape:
            user[n] = u
    if not user:
        return None
    keys = [n for n in names if n in user]
    u_vec = np.concatenate([user[n].ravel() for n in keys])

    def fit(cand: dict[str, np.ndarray]) -> tuple[float, float]:
        g_vec = np.concatenate([cand[n].ravel() for n in keys])
        if not np.all(np.isfinite(g_vec)):
            return float("nan"), float("inf")
        return fit_ratio(u_vec, g_vec)

    how = arch.describe()
    c0, r0 = fit(ref)
    factor_only = None
    if r0 <= tol:
        if abs(c0 - 1.0) <= 1e-6:
            if any(n in report.wrong and eff.get(n) is not None and not _shape_changed(report, n) for n in keys):
                report.notes.append(
                    f"the analytic gradients equal the exact gradient of {how}: the mismatch looks numerical "
                    f"(a kink of relu/max near a parameter value, or a step size too large for this loss)"
                )
            return [], set(keys)
        factor_only = [_factor_finding(c0, keys, m, layer_of, how, confirmed=True)], set(keys)
        if _nice_factor(c0, m):
            return factor_only
        # an odd factor on everything: a mistake that fits exactly without one explains it better
        # (with one example and one output unit, a wrong output delta is just a number)

    scaled = None  # a mistake that fits only with a constant factor on top: kept in case none fits alone
    for mk in mistakes(arch, params):
        cand = as_dict(backward(arch, params, Xr, Y, mk))
        c, r = fit(cand)
        if r > tol or not np.isfinite(c):
            continue
        affected = [n for n in keys if _differs(cand[n], ref[n], tol)]
        if not affected:
            continue
        if abs(c - 1.0) > 1e-6:
            if scaled is None:
                scaled = (mk, c, affected)
            continue
        return [_mistake_finding(mk, affected, layer_of, how, arch)], set(keys)
    if factor_only is not None:
        return factor_only
    if scaled is not None:
        mk, c, affected = scaled
        return [_mistake_finding(mk, affected, layer_of, how, arch),
                _factor_finding(c, keys, m, layer_of, how, confirmed=True)], set(keys)

    found = _updated_weights(arch, params, Xr, Y, ref, user, keys, tol, as_dict)
    if found is not None:
        mk, cand = found
        affected = [n for n in keys if _differs(cand[n], ref[n], tol)]
        if affected:
            return [_mistake_finding(mk, affected, layer_of, how, arch)], set(keys)

    reg = _regularization(arch, params, Xr, Y, user, keys, tol, layer_of, how, as_dict)
    if reg is not None:
        return reg, set(keys)
    return _top_mistake(report, arch, params, Xr, Y, ref, user, keys, tol, layer_of, how, as_dict)


def _top_mistake(report, arch, params, Xr, Y, ref, user, keys, tol, layer_of, how, as_dict):
    """When no single mistake explains every parameter (there is more than one), name the one
    that explains the first wrong layer and everything above it."""
    wrong = set(report.wrong)
    index = {n: i + 1 for i, pair in enumerate(arch.layers) for n in pair if n is not None}
    wrong_layers = [index[n] for n in wrong if n in index]
    if not wrong_layers:
        return None
    t = max(wrong_layers)
    top = [n for n in keys if index.get(n, 0) >= t]
    if not any(n in wrong for n in top):
        return None
    u = np.concatenate([user[n].ravel() for n in top])
    for mk in mistakes(arch, params):
        if mk.layer != t:
            continue
        cand = as_dict(backward(arch, params, Xr, Y, mk))
        g = np.concatenate([cand[n].ravel() for n in top])
        if not np.all(np.isfinite(g)):
            continue
        c, r = fit_ratio(u, g)
        if r > tol or abs(c - 1.0) > 1e-6:
            continue
        hit = [n for n in top if _differs(cand[n], ref[n], tol)]
        if not hit or not all(n in hit for n in top if n in wrong):
            continue
        lower = [n for n in keys if index.get(n, 0) < t]
        agree = [n for n in lower if not _differs(user[n], cand[n], tol)]
        apart = [n for n in lower if n not in agree]
        hit = forward_order(hit + [n for n in agree if _differs(cand[n], ref[n], tol)])
        f = _mistake_finding(mk, hit, layer_of, how, arch)
        f.message = (f"{mk.detail}. Recomputing the gradient with this mistake reproduces your gradients of "
                     f"{_names(hit)} (the first one it reaches is {hit[-1]}), but not of {_names(apart)}: there is "
                     f"a further mistake lower down; the net is {how}")
        f.evidence["partial"] = True
        out = [f] + _second_mistake(apart, user, cand, tol, layer_of, arch, Xr.shape[0])
        return out, set(keys)
    return None


def _second_mistake(names, user, cand, tol, layer_of, arch, batch) -> list[Finding]:
    """What is left below a named mistake, judged against the gradient that mistake gives."""
    if not names:
        return []
    factors: dict[str, list[str]] = {}
    others: list[str] = []
    for n in names:
        c, r = fit_ratio(user[n], cand[n])
        if r <= tol and np.isfinite(c) and user[n].size > 1:
            factors.setdefault(f"{c:.4g}", []).append(n)
            continue
        if user[n].ndim == 2 and user[n].shape[0] == user[n].shape[1] > 1:
            ct, rt = fit_ratio(user[n].T, cand[n])
            if rt <= tol:
                others.append(n)
                factors.setdefault("T", []).append(n)
                continue
        others.append(n)
    out = []
    for key, group in factors.items():
        group = forward_order(group)
        if key == "T":
            out.append(Finding(kind="transposed", params=group, message=f"{_names(group)}: the gradient is the "
                               f"transpose of what the mistake above gives", fix=fix_for("transposed"),
                               layer=max(layer_of.get(n, 0) for n in group) or None, confidence="likely"))
            continue
        c = float(key)
        out.append(_factor_finding(c, group, batch, layer_of, None, confirmed=False,
                                   versus="(the gradient the mistake above gives)"))
    rest = [n for n in others if n not in factors.get("T", [])]
    if rest:
        rest = forward_order(rest)
        out.append(Finding(kind="unknown", params=rest, message=f"the gradients of {_names(rest)} differ also from "
                           f"what the mistake above gives, in no recognized pattern", fix=fix_for("unknown"),
                           layer=max(layer_of.get(n, 0) for n in rest) or None, confidence="likely"))
    return out


def _updated_weights(arch, params, Xr, Y, ref, user, keys, tol, as_dict):
    """A mistake "weights already updated" with the learning rate fitted, or None."""
    L = len(arch.layers)
    top_lr = None
    for mk in updated_weights(arch, L):
        if len(mk.layers) == 1:
            l = mk.layers[0]
            one = as_dict(backward(arch, params, Xr, Y, replace(mk, lr=1.0)))
            below = [n for n in arch.layers[l - 2] if n is not None and n in user]
            if not below:
                continue
            d = np.concatenate([(one[n] - ref[n]).ravel() for n in below])
            e = np.concatenate([(user[n] - ref[n]).ravel() for n in below])
            dd = float(d @ d)
            if dd == 0:
                continue
            lr = float(e @ d) / dd
            if l == L:
                top_lr = lr
        else:
            if top_lr is None:
                continue
            lr = top_lr
        if not np.isfinite(lr) or lr <= 0:
            continue
        mk = replace(mk, lr=lr, detail=f"{mk.detail} (learning rate {lr:.4g})")
        cand = as_dict(backward(arch, params, Xr, Y, mk))
        u = np.concatenate([user[n].ravel() for n in keys])
        g = np.concatenate([cand[n].ravel() for n in keys])
        if np.all(np.isfinite(g)) and np.linalg.norm(u - g) <= tol * max(np.linalg.norm(u), 1e-300):
            return mk, cand
    return None


def _regularization(arch, params, Xr, Y, user, keys, tol, layer_of, how, as_dict):
    """Findings when the gradient differs from the true one by c * W (or c * b) per parameter."""
    g0 = as_dict(backward(arch, params, Xr, Y, l2=False))
    lam = arch.l2
    # a constant factor on the data term (e.g. a missing 1/m) shows on the biases, which have no penalty
    biases = [b for _, b in arch.layers if b is not None and b in user]
    c = 1.0
    if biases:
        ub = np.concatenate([user[b].ravel() for b in biases])
        gb = np.concatenate([g0[b].ravel() for b in biases])
        c_fit, res = fit_ratio(ub, gb)
        if res <= tol and np.isfinite(c_fit):
            c = 1.0 if abs(c_fit - 1.0) <= 1e-6 else c_fit
    found: list[tuple[str, float]] = []
    for n in keys:
        e = user[n] - c * g0[n]
        p = np.asarray(params[n], dtype=np.float64)
        p = arch.to_rows(n, p)
        is_weight = any(n == w for w, _ in arch.layers)
        expected = lam if is_weight else 0.0
        if c != 1.0 and is_weight and lam and np.linalg.norm(e - c * lam * p) <= tol * max(np.linalg.norm(user[n]), 1e-300):
            continue
        if np.linalg.norm(e - expected * p) <= tol * max(np.linalg.norm(user[n]), 1e-300):
            continue
        r = float((e * p).sum() / max((p * p).sum(), 1e-300))
        if np.linalg.norm(e - r * p) > tol * max(np.linalg.norm(user[n]), 1e-300):
            return None
        if p.size < 2 and not (lam > 0 and abs(r - lam) <= 1e-4 * lam):
            return None  # one number always fits some multiple of itself: only the loss's lambda counts
        found.append((n, r))
    out = []
    if c != 1.0:
        out.append(_factor_finding(c, keys, Xr.shape[0], layer_of, how, confirmed=True))
    if not found:
        return out or None
    missing = [n for n, r in found if lam > 0 and abs(r) <= 1e-6 * lam]
    if missing:
        out.append(
            Finding(
                kind="regularization_missing",
                params=forward_order(missing),
                message=f"the loss has an L2 penalty {lam:.4g}/2 * sum(W^2) but the gradient of {_names(missing)} lacks "
                f"its term {lam:.4g} * W: recomputing without it reproduces your gradient exactly ({how})",
                fix=fix_for("regularization_missing"),
                evidence={"l2": lam},
                layer=max(layer_of.get(n, 0) for n in missing) or None,
                confidence="confirmed",
            )
        )
    groups: dict[tuple[bool, str], list[tuple[str, float]]] = {}
    for n, r in found:
        if n in missing:
            continue
        is_weight = any(n == w for w, _ in arch.layers)
        groups.setdefault((is_weight, f"{r:.4g}"), []).append((n, r))
    for (is_weight, _), items in groups.items():
        names = forward_order([n for n, _ in items])
        r = items[0][1]
        label = _names(names)
        if not is_weight:
            what = f"the gradient of the bias {label} has an L2 term {r:.4g} * b; the penalty belongs to the weights only"
        elif lam == 0:
            what = f"the gradient of {label} has an L2 term {r:.4g} * W, but the loss has no penalty"
        else:
            what = (f"the gradient of {label} has an L2 term {r:.4g} * W, but the loss's penalty "
                    f"{lam:.4g}/2 * sum(W^2) gives {lam:.4g} * W (factor {r / lam:.4g})")
        out.append(
            Finding(
                kind="regularization_wrong",
                params=names,
                message=f"{what}: recomputing with that term reproduces your gradient exactly ({how})",
                fix=fix_for("regularization_wrong"),
                evidence={"l2": lam, "term": r},
                layer=max(layer_of.get(n, 0) for n in names) or None,
                confidence="confirmed",
            )
        )
    return out


def _generic(
    report: Report,
    eff: dict[str, np.ndarray | None],
    left: list[str],
    shaped: set[str],
    batch: int | None,
    layer_of: dict[str, int],
    arch: Arch | None,
    has_data: bool,
) -> list[Finding]:
    by_kind: dict[tuple[str, float], list[tuple[str, float, float]]] = {}
    transposed: list[tuple[str, float]] = []
    zeros: list[str] = []
    unknown: list[str] = []
    single: list[tuple[str, float, float]] = []
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
        if res <= fit_tol and np.isfinite(c) and g.size == 1 and not _nice_factor(c, batch):
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
            by_kind.setdefault((kind, _round_factor(c)), []).append((name, c, res))
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
        out.append(_factor_finding(c, names, batch, layer_of, None, confirmed=False, residual=res))
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
                message=f"the analytic gradient of {_names(zeros)} is zero everywhere, but the loss does change with "
                f"{'it' if len(zeros) == 1 else 'them'}",
                fix=fix_for("zero_gradient"),
                layer=max(layer_of.get(n, 0) for n in zeros) or None,
                confidence="likely",
            )
        )
    if unknown:
        names = forward_order(unknown)
        why = ""
        if arch is None and not has_data:
            why = " Pass data=(X, y) (and a hint for an unusual net) so the mistake can be named by recomputation."
        elif arch is None:
            why = " The net was not recognized as a standard dense net, so no mistake could be recomputed."
        else:
            why = f" No catalogued mistake reproduces it on {arch.describe()}."
        out.append(
            Finding(
                kind="unknown",
                params=names,
                message=f"the gradients of {_names(names)} are wrong with no constant ratio, transpose or shape "
                f"pattern.{why}",
                fix=fix_for("unknown"),
                layer=max(layer_of.get(n, 0) for n in names) or None,
                confidence="likely",
            )
        )
    return out


# -- findings ------------------------------------------------------------------------


def _factor_finding(
    c: float,
    names: list[str],
    batch: int | None,
    layer_of: dict[str, int],
    how: str | None,
    *,
    confirmed: bool,
    residual: float | None = None,
    versus: str = "numeric",
) -> Finding:
    kind = name_factor(c, batch=batch)
    where = "every element" + (f" of {_names(names)}" if names else "")
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
    return Finding(kind=kind, params=list(names), message=msg, fix=fix,
                   evidence={"factor": c, "batch_size": batch}, layer=top,
                   confidence="confirmed" if confirmed else "likely")


def _mistake_finding(mk: Mistake, affected: list[str], layer_of: dict[str, int], how: str, arch: Arch) -> Finding:
    names = forward_order(affected)
    layer_names = [n for n in arch.layers[mk.layer - 1] if n is not None] if 1 <= mk.layer <= len(arch.layers) else []
    first = [n for n in names if n in layer_names] or names[-1:]
    msg = (f"{mk.detail}. Recomputing the gradient with this mistake reproduces your gradients of every parameter "
           f"(the first one it reaches is {first[-1]}); the net is {how}")
    return Finding(kind=mk.kind, params=names, message=msg, fix=fix_for(mk.kind),
                   evidence={"mistake": mk.detail, "layers": list(mk.layers), "architecture": arch.describe(),
                             "architecture_given": arch.given},
                   layer=mk.layer, confidence="confirmed")


def _shape_finding(r: Any, g: np.ndarray, kind: str, repaired: np.ndarray | None, batch: int | None,
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


def _ordered(findings: list[Finding], report: Report) -> list[Finding]:
    """Findings nearest the loss first (the first wrong parameter's finding leads)."""
    order = {n: i for i, n in enumerate(reversed(forward_order(p.name for p in report.params)))}

    def key(f: Finding) -> tuple[int, int]:
        first = min((order.get(n, 10**6) for n in f.params), default=10**6)
        return (first, 0 if f.confidence == "confirmed" else 1)

    return sorted(findings, key=key)


# -- localization ----------------------------------------------------------------------


def _groups(report: Report, params: Mapping[str, np.ndarray], hint: Mapping[str, Any] | None) -> list[list[str]]:
    """Parameters grouped into layers, forward order."""
    names = [p.name for p in report.params]
    layers = None
    if hint and hint.get("layers"):
        layers = [tuple(x) if isinstance(x, (list, tuple)) else (x,) for x in hint["layers"]]
    if layers is None:
        try:
            layers = structure(params)
        except Exception:  # noqa: BLE001 - odd shapes: fall back to names
            layers = None
    if layers:
        groups = [[n for n in layer if n is not None and n in names] for layer in layers]
        seen = {n for g in groups for n in g}
        if seen == set(names):
            return [g for g in groups if g]
    numbers = [layer_number(n) for n in names]
    if all(x is not None for x in numbers):
        by: dict[int, list[str]] = {}
        for x, n in zip(numbers, names):
            by.setdefault(x, []).append(n)  # type: ignore[arg-type]
        return [by[k] for k in sorted(by)]
    return [[n] for n in names]


def localize(report: Report, groups: list[list[str]]) -> str:
    """The sentence that says where the mistake sits, from the pattern of right and wrong parameters."""
    wrong = set(report.wrong)
    if not wrong:
        return ""
    top = len(groups) - 1
    gi = max(i for i, g in enumerate(groups) if any(n in wrong for n in g))
    here = [n for n in groups[gi] if n in wrong]
    below = [n for g in groups[:gi] for n in g]
    below_wrong = [n for n in below if n in wrong]
    below_right = [n for n in below if n not in wrong]
    first = report.first_wrong or here[-1]
    label = _layer_label(groups, gi)
    if below_right and not below_wrong:
        return (f"only {_names(here)} {'is' if len(here) == 1 else 'are'} wrong; the parameters below "
                f"({_names(below_right)}) are right, so the delta is carried down correctly: the mistake is in the "
                f"own gradient of {_names(here)} (the product with the layer's input, or the sum over the batch)")
    if gi == top and len(groups) > 1 or (gi == top and len(groups) == 1):
        msg = (f"the gradient is wrong from the output layer, {label}, down, starting at {first}: the mistake is in "
               f"the output delta (the derivative of the loss and of the output activation) or in the output "
               f"layer's own gradient")
    else:
        above = _layer_label(groups, gi + 1)
        msg = (f"gradients are right down to {above} and wrong from {first} down: the mistake is in the step that "
               f"carries the gradient from layer {gi + 2} into layer {gi + 1} ({', '.join(groups[gi])}), or in "
               f"layer {gi + 1}'s own gradient")
    if below_right and below_wrong:
        msg += f"; further down {_names(below_right)} {'is' if len(below_right) == 1 else 'are'} right again"
    return msg


def _layer_label(groups: list[list[str]], i: int) -> str:
    return f"layer {i + 1} ({', '.join(groups[i])})"


# -- helpers -------------------------------------------------------------------------


def _differs(a: np.ndarray, b: np.ndarray, tol: float) -> bool:
    scale = max(float(np.linalg.norm(b)), float(np.linalg.norm(a)), 1e-300)
    return float(np.linalg.norm(a - b)) > 10 * tol * scale


def _shape_changed(report: Report, name: str) -> bool:
    r = report[name]
    return r.grad_shape is not None and tuple(r.grad_shape) != tuple(r.shape)


def _nice_factor(c: float, batch: int | None) -> bool:
    targets = [-1.0, 2.0, 0.5, -2.0, 0.0]
    if batch:
        targets += [float(batch), 1.0 / batch]
    return any(abs(c - t) <= 1e-4 * max(abs(t), 1e-3) for t in targets)


def _round_factor(c: float) -> float:
    return float(f"{c:.3g}")


def _names(names: list[str]) -> str:
    names = list(names)
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]
