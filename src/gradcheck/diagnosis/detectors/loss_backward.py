"""Detector: the loss's forward pass has a clip, a linear part, smoothed targets or weights that its
backward pass leaves out.

It reads the output deltas (:mod:`..model.output_delta`): ``N``, the loss's true dL/dZ per example
(from the numerical gradient), and ``U``, the one the user's backward pass used, and fits, in order:

- a clip ignored: ``N = 0`` exactly where the two differ (the loss is flat there), they agree
  elsewhere, and the flat outputs are the largest or smallest of their column (where a clip bites);
- a Huber loss's linear part ignored: ``U = s * (z - y)`` everywhere (the quadratic part's
  derivative) and ``N = np.clip(U, -t, t)``, with the clip biting somewhere and not everywhere;
- label smoothing ignored: ``U - N = c * (1/k - onehot)`` on every example, one ``c > 0``;
- a class weight ignored: ``U = N / w[class]`` example by example, one ``w`` per target class.

Each needs more numbers than it has unknowns (or a class weight of exactly 1), so a single
example whose two deltas differ by a factor is left to the constant-factor detector. When the
deltas cannot be solved for (more examples than the last layer has inputs), the Huber, smoothing
and weight models are tested against the gradients instead (:mod:`.loss_models`).

Example:
    >>> import numpy as np
    >>> N, U = np.array([[0.2], [0.0]]), np.array([[0.2], [0.4]])
    >>> flat_where_differs(N, U, np.array([[0.5], [9.0]]))
    [1]
"""

from __future__ import annotations

import numpy as np

from ...layers import forward_order
from ...report import Finding
from ..catalogue import fix_for
from ..evidence import Evidence, Explanation
from ..findings import join_names
from ..model.infer import losses_at
from ..model.output_delta import OutputDeltas, output_deltas, output_maps
from ..thresholds import DELTA_RTOL
from .loss_models import class_targets, fit_map, huber_text, smoothing_text, targets_like, weights_text

__all__ = ["detect", "flat_where_differs"]

Fit = tuple[str, str, dict]

#: Factors the last layer's parameters are scaled by to see whether a loss flat at every output
#: moves once the outputs come back toward 0 (where no clip bites): the first is the point itself.
SHRINK = (1.0, 0.5, 0.25, 0.1, 0.0)
#: The bias shift that tests whether the loss is linear past Huber's threshold, as a share of the
#: smallest distance of a residual past it: the shifted residuals stay on the linear side.
HUBER_STEP = 0.25


def detect(ev: Evidence, unexplained: list[str]) -> Explanation:
    if not unexplained or ev.data is None or ev.reshaped or ev.nonfinite:
        return Explanation()
    numeric = {r.name: r.numeric for r in ev.report.params if r.numeric is not None}
    od = output_deltas(ev.params, ev.data, numeric, ev.grads, ev.arch)
    if od is not None:
        got = next((g for fit in (_clip, _huber, _smoothing, _weights) if (g := fit(od, ev)) is not None), None)
    else:  # the deltas cannot be solved for: models of them tested against the gradients
        got = next((g for mp in output_maps(ev.params, ev.data, numeric, ev.grads, ev.arch)
                    if (g := fit_map(mp)) is not None), None)
    if got is None:
        return Explanation()
    kind, what, evidence = got
    names = forward_order(unexplained)
    msg = f"the gradients of {join_names(names)} are wrong because the loss's derivative is: {what}"
    return Explanation([Finding(kind=kind, params=names, message=msg, fix=fix_for(kind), evidence=evidence,
                                layer=ev.layer(names), confidence="likely")], set(unexplained))


def _scale(od: OutputDeltas) -> float:
    return max(float(np.abs(od.numeric).max(initial=0.0)), float(np.abs(od.user).max(initial=0.0)), 1e-300)


def _agree(od: OutputDeltas) -> np.ndarray:
    return np.abs(od.user - od.numeric) <= DELTA_RTOL * _scale(od)


# -- a clip ignored ---------------------------------------------------------------------------


def flat_where_differs(N: np.ndarray, U: np.ndarray, q: np.ndarray) -> list[int] | None:
    """The rows where the loss is flat in an output that the user's ``U`` still moves, when those are
    exactly where ``N`` and ``U`` differ, the others agree with some not flat, and in each column of
    ``q`` (the outputs, or one quantity per example such as the target's probability: then whole rows
    are flat) the flat ones lie beyond the agreeing ones' range; None otherwise."""
    scale = max(float(np.abs(N).max(initial=0.0)), float(np.abs(U).max(initial=0.0)), 1e-300)
    off = np.abs(U - N) > DELTA_RTOL * scale
    if q.shape[1] != N.shape[1]:
        off = np.repeat(off.any(axis=1, keepdims=True), N.shape[1], axis=1)
    if not off.any() or np.any(np.abs(N[off]) > DELTA_RTOL * scale) or not np.any(~off & (np.abs(N) > DELTA_RTOL * scale)):
        return None
    for j in range(q.shape[1]):
        inside = q[~off[:, j], j]
        if inside.size and np.any((q[off[:, j], j] >= inside.min()) & (q[off[:, j], j] <= inside.max())):
            return None  # a flat output between two that move: no clip bound separates them
    return sorted({int(i) for i in np.nonzero(off)[0]})


def _target_probability(od: OutputDeltas) -> np.ndarray | None:
    """The softmax probability of each example's target class, (m, 1), for class targets over k >= 2 outputs."""
    got = class_targets(od) if od.z.shape[1] > 1 else None
    if got is None:
        return None
    e = np.exp(od.z - od.z.max(axis=1, keepdims=True))
    return (e / e.sum(axis=1, keepdims=True))[np.arange(od.m), got[1]].reshape(-1, 1)


def moves_when_outputs_shrink(ev: Evidence, last: tuple[str, str | None]) -> bool:
    """The loss changes when the last layer's weights and bias (so its outputs) are scaled toward 0."""
    points = []
    for alpha in SHRINK:
        pt = {n: np.array(p, copy=True) for n, p in ev.params.items()}
        for n in last:
            if n is not None:
                pt[n] = (alpha * pt[n]).astype(pt[n].dtype)
        points.append(pt)
    values = losses_at(ev.params, ev.problem.loss, points)
    return values is not None and bool(np.any(np.abs(values[1:] - values[0]) > DELTA_RTOL * max(abs(values[0]), 1e-300)))


def _clip(od: OutputDeltas, ev: Evidence) -> Fit | None:
    q, label = od.z, "outputs z"
    rows = flat_where_differs(od.numeric, od.user, q)
    p = _target_probability(od) if rows is None else None
    if p is not None:
        q, label = p, "target-class probabilities"
        rows = flat_where_differs(od.numeric, od.user, q)
    everywhere = not np.any(np.abs(od.numeric) > 0) and np.any(od.user)
    if rows is None and everywhere and moves_when_outputs_shrink(ev, od.last):
        rows = list(range(od.m))  # flat at every output, yet not flat once they are brought toward 0
    if rows is None:
        return None
    z, v = od.z[rows], q[rows]
    where = (f"at any of the {od.m} examples ({label} from {v.min():.4g} to {v.max():.4g}), though it does once "
             f"the outputs are scaled toward 0, yet the backward pass returns a gradient"
             if len(rows) == od.m else
             f"at {len(rows)} of the {od.m} examples ({label} from {v.min():.4g} to {v.max():.4g}, beyond those "
             f"of the others), yet the backward pass returns a gradient there, and agrees with the loss elsewhere")
    what = (f"the loss does not change with the output {where}: the forward pass clips a value (a probability "
            f"before its log, a prediction, a min/max) that the backward pass differentiates as if it were not "
            f"clipped")
    return "clip_ignored_in_backward", what, {"examples": rows, "z_range": [float(z.min()), float(z.max())]}


# -- a Huber loss's linear part ignored ---------------------------------------------------------


def linear_there(ev: Evidence, od: OutputDeltas, s: float, h: float) -> bool:
    """The loss is linear in the outputs around this point: shifting the last layer's bias by ``±h``
    changes it by a second difference far below the ``s * h**2`` per output a quadratic gives."""
    b = od.last[1]
    if b is None or h <= 0:
        return False
    points = []
    for step in (0.0, h, -h):
        pt = {n: np.array(p, copy=True) for n, p in ev.params.items()}
        pt[b] = (pt[b] + step).astype(pt[b].dtype)
        points.append(pt)
    values = losses_at(ev.params, ev.problem.loss, points)
    if values is None:
        return False
    return abs(values[1] - 2 * values[0] + values[2]) <= DELTA_RTOL * s * h * h * od.z.size


def _huber(od: OutputDeltas, ev: Evidence) -> Fit | None:
    y = targets_like(od)
    if y is None:
        return None
    r, U, N, tol = od.z - y, od.user, od.numeric, DELTA_RTOL * _scale(od)
    s = float((U * r).sum() / max(float((r * r).sum()), 1e-300))
    if s <= 0 or np.abs(U - s * r).max() > tol:
        return None  # the backward pass is not the quadratic part's derivative s * (z - y)
    off = ~_agree(od)
    if not off.any():
        return None
    t = float(np.median(np.abs(N[off])))
    if t <= tol or np.abs(N - np.clip(U, -t, t)).max() > tol:
        return None
    moving = ~off & (np.abs(U) > tol)
    delta = t / s
    if not moving.any() and len(np.unique(np.round(np.abs(U[off]) / t, 6))) < 2 and not linear_there(
            ev, od, s, HUBER_STEP * float(np.min(np.abs(r[off]) - delta))):
        return None  # every output cut by one factor, and the loss is no linear there: a constant factor
    what = huber_text(s, delta, int(off.sum()), off.size)
    return "huber_linear_part_ignored", what, {"delta": delta, "scale": s, "outputs_past_delta": int(off.sum())}


# -- label smoothing ignored ---------------------------------------------------------------


def _smoothing(od: OutputDeltas, _ev: Evidence) -> Fit | None:
    got = class_targets(od)
    if got is None:
        return None
    Y, classes = got
    m, k = Y.shape
    n_classes = max(k, 2)
    if (k == 1 and len(set(classes.tolist())) < 2) or (k > 1 and m * (k - 1) < 2):
        return None  # one number per unknown: any difference fits
    B = 1.0 / n_classes - Y
    diff = od.user - od.numeric
    c = float((diff * B).sum() / (B * B).sum())
    if c <= 0 or np.abs(diff - c * B).max() > DELTA_RTOL * _scale(od):
        return None
    p = 1 / (1 + np.exp(-od.z)) if k == 1 else np.exp(od.z - od.z.max(axis=1, keepdims=True))
    if k > 1:
        p = p / p.sum(axis=1, keepdims=True)
    s = float((od.user * (p - Y)).sum() / max(float(((p - Y) ** 2).sum()), 1e-300))
    exact = s > 0 and np.abs(od.user - s * (p - Y)).max() <= DELTA_RTOL * _scale(od)
    eps = c / s if exact else None
    what = smoothing_text(eps, c, n_classes)
    return "label_smoothing_ignored_in_backward", what, {"coefficient": c, "smoothing": eps, "classes": n_classes}


# -- a class weight ignored ------------------------------------------------------------------


def _row_ratios(od: OutputDeltas) -> list[float | None] | None:
    """``U[i] / N[i]`` for each row that is one multiple of the other (None for rows where both are 0)."""
    tol = DELTA_RTOL * _scale(od)
    out: list[float | None] = []
    for u, n in zip(od.user, od.numeric):
        if np.abs(n).max() <= tol:
            if np.abs(u).max() > tol:
                return None
            out.append(None)
            continue
        r = float(u @ n / (n @ n))
        if np.abs(u - r * n).max() > tol:
            return None
        out.append(r)
    return out


def _weights(od: OutputDeltas, _ev: Evidence) -> Fit | None:
    got = class_targets(od)
    ratios = _row_ratios(od) if got is not None else None
    if got is None or ratios is None:
        return None
    classes, k = got[1], od.z.shape[1]
    by_class: dict[int, list[float]] = {}
    for c, r in zip(classes.tolist(), ratios):
        if r is not None:
            by_class.setdefault(int(c), []).append(r)
    med = {c: float(np.median(rs)) for c, rs in by_class.items()}
    if len(med) < 2 or any(abs(r - med[c]) > DELTA_RTOL * abs(med[c]) for c, rs in by_class.items() for r in rs):
        return None
    if all(abs(v - med[min(med)]) <= DELTA_RTOL * abs(v) for v in med.values()) or min(med.values()) <= 0:
        return None  # one ratio for every class: a constant factor
    numbers = sum(len(rs) for rs in by_class.values()) * max(k - 1, 1)
    unit = any(abs(v - 1.0) <= DELTA_RTOL for v in med.values())
    if numbers - (len(med) - int(unit)) < 1:
        return None  # as many ratios as numbers: any two gradients fit
    what, evidence = weights_text({c: 1.0 / v for c, v in med.items()}, unit)
    return "loss_weight_ignored_in_backward", what, evidence
