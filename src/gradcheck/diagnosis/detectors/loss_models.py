"""Models of the loss-side mistakes tested against the gradients themselves, for nets whose output
deltas cannot be solved for (more examples than the last layer has inputs): the messages and the
target readings the loss-side detector (:mod:`.loss_backward`) shares with them.

Each model writes both deltas from the outputs ``z``, the targets and a few coefficients, and the
gradients they give (:meth:`~..model.output_delta.OutputMap.pullback`) must reproduce the user's and
the numerical ones, with fewer coefficients than gradient elements:

- Huber: the user's delta is ``s * (z - y)``; the loss's is ``s * (z - y)`` where ``|z - y| <= delta``
  and ``±s * delta`` beyond (one split of the sorted residuals, ``delta`` between its two sides);
- label smoothing: the user's is ``s * (p - onehot)``, the loss's ``s * (p - onehot) - c * (1/k - onehot)``;
- class weights: the user's is ``s * (p - onehot)``, the loss's ``s * w[class] * (p - onehot)``;
- a clip: the user's is ``s * (p - y)`` or ``s * (z - y)`` (one output), the loss's the same with the
  examples of the lowest and highest outputs left out (flat where the clip bites).

Example:
    >>> import numpy as np
    >>> A = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    >>> [round(c, 6) for c in least_squares([A[:, 0], A[:, 1]], A @ [2.0, -1.0])]
    [2.0, -1.0]
"""

from __future__ import annotations

import numpy as np

from ..model.output_delta import OutputDeltas, OutputMap
from ..thresholds import DELTA_RTOL

__all__ = ["class_targets", "fit_map", "huber_text", "least_squares", "smoothing_text", "targets_like", "weights_text"]

Outputs = OutputDeltas | OutputMap
Fit = tuple[str, str, dict]

#: The most examples whose flat ones are looked for among the lowest and highest outputs (every
#: pair of counts is tried: m^2 / 2 fits of one gradient each, ~10^5 at this size).
MAX_SPLIT_ROWS = 400


def targets_like(od: Outputs) -> np.ndarray | None:
    """The targets in the outputs' (m, k) shape, when they are numbers of that many."""
    y = np.asarray(od.y)
    if not np.issubdtype(y.dtype, np.number) or y.size != od.z.size:
        return None
    if y.ndim == 2 and y.shape == od.z.shape[::-1] and y.shape != od.z.shape:
        return y.T.astype(np.float64)
    return y.reshape(od.z.shape).astype(np.float64)


def class_targets(od: Outputs) -> tuple[np.ndarray, np.ndarray] | None:
    """``(onehot (m, k) or the 0/1 targets (m, 1), class of each example)`` from class targets; else None."""
    m, k = od.z.shape
    y = np.asarray(od.y)
    if not np.issubdtype(y.dtype, np.number) or not np.all(np.isfinite(y)):
        return None
    if k >= 2 and y.size == m and np.allclose(y, np.round(y)) and y.min() >= 0 and y.max() < k:
        labels = np.round(y.reshape(-1)).astype(int)
        return np.eye(k)[labels], labels
    if y.size == m * k and set(np.unique(y).tolist()) <= {0.0, 1.0}:
        Y = targets_like(od)
        if Y is None:
            return None
        if k == 1:
            return Y, Y[:, 0].astype(int)
        if np.all(Y.sum(axis=1) == 1):
            return Y, Y.argmax(axis=1)
    return None


def probabilities(z: np.ndarray) -> np.ndarray:
    """sigmoid of a single output, softmax over several (rows)."""
    if z.shape[1] == 1:
        return 1 / (1 + np.exp(-z))
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


# -- messages --------------------------------------------------------------------------------


def huber_text(s: float, delta: float, past: int, total: int) -> str:
    return (f"the backward pass uses the residual z - y (times {s:.4g}) at every output, but the loss is linear "
            f"beyond |z - y| = {delta:.4g}, where its derivative stays at ±{delta:.4g} (times {s:.4g}); {past} "
            f"of the {total} outputs are past it")


def smoothing_text(eps: float | None, c: float, n_classes: int) -> str:
    amount = f"a smoothing of {eps:.4g}" if eps is not None else f"{c:.4g} * (1/k - onehot) per example"
    return (f"the loss's targets are smoothed, (1 - eps) * onehot + eps / {n_classes}, with {amount}, but the "
            f"backward pass subtracts the one-hot targets (the difference is exactly that multiple of "
            f"1/{n_classes} - onehot on every example)")


def weights_text(weights: dict[int, float], unit: bool) -> tuple[str, dict]:
    """The message and evidence of class weights (one class's weight 1 when ``unit``, else relative to the first)."""
    first = min(weights)
    rel = {c: w if unit else w / weights[first] for c, w in sorted(weights.items())}
    listed = ", ".join(f"class {c}: {w:.4g}" for c, w in rel.items())
    note = "" if unit else f" (relative to class {first}'s: a normalized weighted mean hides one common factor)"
    what = (f"the loss weighs each example by its target class{note} ({listed}), and the backward pass leaves the "
            f"weight out: each example's gradient is the loss's divided by its class weight")
    return what, {"class_weights": {str(c): w for c, w in rel.items()}}


# -- fits against the gradients ---------------------------------------------------------------


def least_squares(columns: list[np.ndarray], g: np.ndarray) -> list[float] | None:
    """The coefficients with which the ``columns`` sum to ``g`` within :data:`DELTA_RTOL` of its norm,
    when there are more elements than columns and the columns are independent; else None."""
    A = np.stack(columns, axis=1)
    if A.shape[0] <= A.shape[1] or np.linalg.matrix_rank(A) < A.shape[1]:
        return None
    coef, *_ = np.linalg.lstsq(A, g, rcond=None)
    norm = float(np.linalg.norm(g))
    if not norm or float(np.linalg.norm(A @ coef - g)) > DELTA_RTOL * norm:
        return None
    return [float(c) for c in coef]


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= DELTA_RTOL * max(abs(a), abs(b))


def _huber(mp: OutputMap) -> Fit | None:
    y = targets_like(mp)
    if y is None:
        return None
    r = mp.z - y
    got = least_squares([mp.pullback(r)], mp.user)
    if got is None or got[0] <= 0:
        return None
    s, a = got[0], np.abs(r)
    levels = np.unique(a)
    for j in range(levels.size - 1, -1, -1):  # the fewest outputs past the threshold first
        lo, out = (levels[j - 1] if j else 0.0), a >= levels[j]
        inside = ~out
        cols = ([mp.pullback(r * inside)] if inside.any() else []) + [mp.pullback(np.sign(r) * out)]
        fit = least_squares(cols, mp.numeric)
        if fit is None:
            continue
        t = fit[-1]
        if (inside.any() and not _close(fit[0], s)) or not lo * s <= t <= levels[j] * s:
            continue
        if not (inside & (a > 0)).any() and np.unique(np.round(a[out], 9)).size < 2:
            return None  # every output past one threshold by one factor: a constant factor reads the same
        return "huber_linear_part_ignored", huber_text(s, t / s, int(out.sum()), out.size), {
            "delta": t / s, "scale": s, "outputs_past_delta": int(out.sum())}
    return None


def _smoothing(mp: OutputMap) -> Fit | None:
    got = class_targets(mp)
    if got is None:
        return None
    Y, classes = got
    n_classes = max(Y.shape[1], 2)
    base = mp.pullback(probabilities(mp.z) - Y)
    user = least_squares([base], mp.user)
    fit = least_squares([base, mp.pullback(1.0 / n_classes - Y)], mp.numeric) if user else None
    if user is None or fit is None or user[0] <= 0 or not _close(fit[0], user[0]) or fit[1] >= 0:
        return None
    c = -fit[1]
    return "label_smoothing_ignored_in_backward", smoothing_text(c / user[0], c, n_classes), {
        "coefficient": c, "smoothing": c / user[0], "classes": n_classes}


def _weights(mp: OutputMap) -> Fit | None:
    got = class_targets(mp)
    if got is None:
        return None
    Y, classes = got
    delta = probabilities(mp.z) - Y
    present = sorted(set(classes.tolist()))
    user = least_squares([mp.pullback(delta)], mp.user)
    if user is None or user[0] <= 0 or len(present) < 2:
        return None
    fit = least_squares([mp.pullback(delta * (classes == c)[:, None]) for c in present], mp.numeric)
    if fit is None or min(fit) <= 0 or all(_close(w, fit[0]) for w in fit):
        return None  # one weight for every class: a constant factor
    weights = {c: w / user[0] for c, w in zip(present, fit)}
    unit = any(_close(w, 1.0) for w in weights.values())
    what, evidence = weights_text(weights, unit)
    return "loss_weight_ignored_in_backward", what, evidence


def _flat_split(mp: OutputMap, basis: np.ndarray, s: float) -> tuple[int, int] | None:
    """``(i, j)``: the numerical gradient is the user's delta ``s * basis`` with the ``i`` examples of the
    smallest output and the ``j`` of the largest left out (flat), some but not all of them; else None."""
    m = mp.m
    order = np.argsort(mp.z[:, 0], kind="stable")
    rows = np.stack([mp.pullback(s * basis * (np.arange(m) == i)[:, None]) for i in order])
    low = np.vstack([np.zeros(rows.shape[1]), np.cumsum(rows, axis=0)])
    high = np.vstack([np.zeros(rows.shape[1]), np.cumsum(rows[::-1], axis=0)])
    norm = float(np.linalg.norm(mp.numeric))
    for i in range(m):
        for j in range(m - i):
            if i + j and float(np.linalg.norm(low[m] - low[i] - high[j] - mp.numeric)) <= DELTA_RTOL * norm:
                return i, j
    return None


def _clip(mp: OutputMap) -> Fit | None:
    Y = targets_like(mp)
    if Y is None or mp.z.shape[1] != 1 or mp.m > MAX_SPLIT_ROWS or not np.any(mp.numeric):
        return None
    for basis in (probabilities(mp.z) - Y, mp.z - Y):
        user = least_squares([mp.pullback(basis)], mp.user)
        split = _flat_split(mp, basis, user[0]) if user is not None and user[0] > 0 else None
        if split is None:
            continue
        order = np.argsort(mp.z[:, 0], kind="stable")
        rows = sorted(int(r) for r in [*order[: split[0]], *order[mp.m - split[1]:]])
        z = mp.z[rows, 0]
        what = (f"the loss does not change with the output at {len(rows)} of the {mp.m} examples (outputs z from "
                f"{z.min():.4g} to {z.max():.4g}, the {'lowest' if not split[1] else 'highest' if not split[0] else 'most extreme'}), "
                f"yet the backward pass returns a gradient there, and agrees with the loss elsewhere: the forward pass "
                f"clips a value (a probability before its log, a prediction, a min/max) that the backward pass "
                f"differentiates as if it were not clipped")
        return "clip_ignored_in_backward", what, {"examples": rows, "z_range": [float(z.min()), float(z.max())]}
    return None


def fit_map(mp: OutputMap) -> Fit | None:
    """The first model that reproduces both gradients on ``mp``, as ``(kind, what, evidence)``; or None."""
    for fit in (_clip, _huber, _smoothing, _weights):
        got = fit(mp)
        if got is not None:
            return got
    return None
