"""Naming a mistake by recomputation, on a standard dense net.

Given the net's :class:`~gradcheck.diagnosis.model.infer.Arch`, the true gradient and the gradient under every
catalogued mistake (:mod:`gradcheck.diagnosis.mistakes`) are recomputed; the mistake that reproduces the
user's analytic gradient of every parameter is named (confidence ``"confirmed"``). Also found
this way: a constant factor on the whole gradient, an L2 term that is missing or wrong, weights
already updated in the step (learning rate fitted), and -- when there are two mistakes -- the
upper one, with what is left below judged against it.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from ..catalogue import fix_for
from ..findings import differs, factor_finding, join_names, nice_factor
from ..findings import mistake_finding as _general_finding
from ..model.arch import Arch
from ..model.data import normalize_data
from ...layers import forward_order
from ..mistakes import Mistake, backward, mistakes, updated_weights
from ...report import Finding, Report
from ..evidence import Evidence, Explanation
from ..signatures import fit_ratio

__all__ = ["detect", "name_by_recomputation"]


def detect(ev: Evidence, unexplained: list[str]) -> Explanation:
    """On a recognized dense net: the catalogued mistake whose recomputed gradient reproduces the user's."""
    if ev.arch is None:
        return Explanation()
    try:
        named = name_by_recomputation(ev.report, ev.problem, ev.arch, ev.grads, ev.batch, ev.layer_of)
    except Exception as exc:  # noqa: BLE001 - odd nets or hints: the generic signatures still run
        ev.arch = None
        ev.report.notes.append(f"the net could not be matched to a standard dense net ({type(exc).__name__}: {exc})")
        return Explanation()
    if named is None:
        return Explanation()
    return Explanation(*named)


def name_by_recomputation(
    report: Report,
    problem: Any,
    arch: Arch,
    eff: dict[str, np.ndarray | None],
    batch: int | None,
    layer_of: dict[str, int],
) -> tuple[list[Finding], set[str]] | None:
    params = problem.params
    Ws = arch.weights(params)
    if arch.input is not None and arch.targets is not None:
        Xr = arch.x_rows(params[arch.input]).copy()
        Y = arch.targets
    else:
        data = normalize_data(problem.data)
        if data is None:
            return None
        X, y = data
        Xr = arch.x_rows(X)
        Y = arch.y_rows(y, Xr.shape[0], Ws[-1].shape[1])
    m = Xr.shape[0]
    names = [n for pair in arch.layers for n in pair if n is not None]
    if arch.input is not None:
        names = [arch.input] + names
    low = any(np.finfo(params[n].dtype).bits < 64 for n in names)
    tol = 1e-4 if low else 1e-6

    def as_dict(grads: list[tuple[np.ndarray, np.ndarray | None]]) -> dict[str, np.ndarray]:
        out: dict[str, np.ndarray] = {}
        for (w, b), (dW, db) in zip(arch.layers, grads):
            out[w] = dW
            if b is not None and db is not None:
                out[b] = db
        if arch.input is not None and len(grads) > len(arch.layers):
            out[arch.input] = grads[len(arch.layers)][0]
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
        factor_only = [factor_finding(c0, keys, m, layer_of, how, confirmed=True)], set(keys)
        if nice_factor(c0, m):
            return factor_only
        # an odd factor on everything: a mistake that fits exactly without one explains it better
        # (with one example and one output unit, a wrong output delta is just a number)

    scaled = None  # a mistake that fits only with a constant factor on top: kept in case none fits alone
    for mk in mistakes(arch, params):
        cand = as_dict(backward(arch, params, Xr, Y, mk))
        c, r = fit(cand)
        if r > tol or not np.isfinite(c):
            continue
        affected = [n for n in keys if differs(cand[n], ref[n], tol)]
        if not affected:
            continue
        if abs(c - 1.0) > 1e-6:
            if scaled is None:
                scaled = (mk, c, affected)
            continue
        return [mistake_finding(mk, affected, layer_of, how, arch)], set(keys)
    if factor_only is not None:
        return factor_only
    if scaled is not None:
        mk, c, affected = scaled
        return [mistake_finding(mk, affected, layer_of, how, arch),
                factor_finding(c, keys, m, layer_of, how, confirmed=True)], set(keys)

    found = _updated_weights(arch, params, Xr, Y, ref, user, keys, tol, as_dict)
    if found is not None:
        mk, cand = found
        affected = [n for n in keys if differs(cand[n], ref[n], tol)]
        if affected:
            return [mistake_finding(mk, affected, layer_of, how, arch)], set(keys)

    reg = _regularization(arch, params, Xr, Y, user, keys, tol, layer_of, how, as_dict)
    if reg is not None:
        return reg, set(keys)
    top = _top_mistake(report, arch, params, Xr, Y, ref, user, keys, tol, layer_of, how, as_dict)
    if top is not None:
        return top
    return _mistake_and_factors(report, arch, params, Xr, Y, ref, user, keys, tol, layer_of, how, as_dict)


def _mistake_and_factors(report, arch, params, Xr, Y, ref, user, keys, tol, layer_of, how, as_dict):
    """Two mistakes of which one is a constant factor on some parameters' own gradients (a missing 1/m
    in one dW, say): the recomputed mistake that reproduces every other parameter exactly, and
    those parameters up to a telling factor (m, 1/m, -1, 2, 1/2)."""
    wrong = set(report.wrong)
    m = Xr.shape[0]
    for mk in mistakes(arch, params):
        cand = as_dict(backward(arch, params, Xr, Y, mk))
        if not all(np.all(np.isfinite(cand[n])) for n in keys):
            continue
        exact: list[str] = []
        scaled: dict[float, list[str]] = {}
        for n in keys:
            if not differs(user[n], cand[n], tol):
                exact.append(n)
                continue
            c, r = fit_ratio(user[n], cand[n])
            if (n in wrong and r <= tol and np.isfinite(c) and abs(c) > 1e-9 and user[n].size > 1
                    and nice_factor(c, m)):
                scaled.setdefault(round(c, 6), []).append(n)
                continue
            break
        else:
            hit = [n for n in exact if differs(cand[n], ref[n], tol)]
            if not hit or not scaled or not any(n in wrong for n in hit):
                continue
            hit = forward_order(hit)
            f = mistake_finding(mk, hit, layer_of, how, arch)
            others = forward_order([n for names in scaled.values() for n in names])
            f.message = (f"{mk.detail}. Recomputing the gradient with this mistake reproduces your gradients of "
                         f"{join_names(hit)} exactly, and those of {join_names(others)} up to a constant factor "
                         f"(a second mistake, reported apart); the net is {how}")
            f.evidence["partial"] = True
            out = [f]
            for c, names in scaled.items():
                names = forward_order(names)
                versus = "numeric"
                if any(differs(cand[n], ref[n], tol) for n in names):
                    versus = "(the gradient the mistake above gives)"
                out.append(factor_finding(float(c), names, m, layer_of, None, confirmed=True, versus=versus))
            return out, set(keys)
    return None


def mistake_finding(mk: Mistake, affected: list[str], layer_of: dict[str, int], how: str, arch: Arch) -> Finding:
    """The finding of a recomputed mistake, its fix written for the mistake's layers."""
    f = _general_finding(mk, affected, layer_of, how, arch)
    f.fix = mk.fix(arch) or f.fix
    return f


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
        hit = [n for n in top if differs(cand[n], ref[n], tol)]
        if not hit or not all(n in hit for n in top if n in wrong):
            continue
        lower = [n for n in keys if index.get(n, 0) < t]
        agree = [n for n in lower if not differs(user[n], cand[n], tol)]
        apart = [n for n in lower if n not in agree]
        hit = forward_order(hit + [n for n in agree if differs(cand[n], ref[n], tol)])
        f = mistake_finding(mk, hit, layer_of, how, arch)
        f.message = (f"{mk.detail}. Recomputing the gradient with this mistake reproduces your gradients of "
                     f"{join_names(hit)} (the first one it reaches is {hit[-1]}), but not of {join_names(apart)}: there is "
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
            out.append(Finding(kind="transposed", params=group, message=f"{join_names(group)}: the gradient is the "
                               f"transpose of what the mistake above gives", fix=fix_for("transposed"),
                               layer=max(layer_of.get(n, 0) for n in group) or None, confidence="likely"))
            continue
        c = float(key)
        out.append(factor_finding(c, group, batch, layer_of, None, confirmed=False,
                                   versus="(the gradient the mistake above gives)"))
    rest = [n for n in others if n not in factors.get("T", [])]
    if rest:
        rest = forward_order(rest)
        out.append(Finding(kind="unknown", params=rest, message=f"the gradients of {join_names(rest)} differ also from "
                           f"what the mistake above gives, in no recognized pattern", fix=fix_for("unknown"),
                           layer=max(layer_of.get(n, 0) for n in rest) or None, confidence="likely"))
    return out


def _updated_weights(arch, params, Xr, Y, ref, user, keys, tol, as_dict):
    """A mistake "weights already updated" with the learning rate fitted, or None."""
    L = len(arch.layers)
    top_lr = None
    for mk in updated_weights(arch):
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
        out.append(factor_finding(c, keys, Xr.shape[0], layer_of, how, confirmed=True))
    if not found:
        return out or None
    missing = [n for n, r in found if lam > 0 and abs(r) <= 1e-6 * lam]
    if missing:
        out.append(
            Finding(
                kind="regularization_missing",
                params=forward_order(missing),
                message=f"the loss has an L2 penalty {lam:.4g}/2 * sum(W^2) but the gradient of {join_names(missing)} lacks "
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
        label = join_names(names)
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


def _shape_changed(report: Report, name: str) -> bool:
    r = report[name]
    return r.grad_shape is not None and tuple(r.grad_shape) != tuple(r.shape)
