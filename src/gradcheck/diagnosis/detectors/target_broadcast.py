"""Detector: targets of shape ``(m,)`` against an output of shape ``(m, 1)`` (examples as rows): the
difference ``output - y`` broadcasts to ``(m, m)``, so the output layer's gradients come out with an
extra axis of length m. Named when the output delta recomputed with that broadcast, on the
recognized dense net, reproduces the gradients of the wrong shape (up to one constant factor).

Example:
    >>> import numpy as np, gradcheck
    >>> def make(rng):
    ...     X, y = rng.normal(size=(6, 3)), rng.normal(size=6)           # y is flat
    ...     w, b = rng.normal(size=(3, 1)), np.zeros(1)
    ...     loss = lambda: float(0.5 * ((X @ w + b - y[:, None]) ** 2).mean())
    ...     grads = lambda: {"w": X.T @ (X @ w + b - y) / 6, "b": (X @ w + b - y[:, None]).mean(0)}
    ...     return {"w": w, "b": b}, loss, grads
    >>> report = gradcheck.check(*make(np.random.default_rng(0)))
    >>> [(f.kind, f.params) for f in report.findings]
    [('target_shape_broadcast', ['w'])]
"""

from __future__ import annotations

import numpy as np

from ...report import Finding
from ..catalogue import fix_for
from ..evidence import Evidence, Explanation
from ..model.data import normalize_data
from ..model.dense import activation_derivative, combined, forward
from ..signatures import fit_ratio

__all__ = ["BROADCAST_RTOL", "detect", "broadcast_gradients"]

#: how closely the recomputed broadcast gradient must match the user's (relative residual of the ratio fit)
BROADCAST_RTOL = 1e-6


def broadcast_gradients(ev: Evidence) -> dict[str, np.ndarray] | None:
    """The output layer's ``{W name: dW, b name: db}`` (rows form) with ``output - y`` broadcast to
    ``(m, m)``, when the net is a rows net with one output unit and flat targets; None otherwise."""
    arch, data = ev.arch, normalize_data(ev.data)
    if arch is None or data is None or arch.layout != "rows" or arch.examples != "rows" or arch.input is not None:
        return None
    X, y = data
    if y.ndim != 1 or X.ndim != 2 or y.shape[0] != X.shape[0] or y.shape[0] < 2:
        return None
    net = arch.net(ev.params)
    if net.Ws[-1].shape[1] != 1 or net.loss not in ("mse", "bce"):
        return None
    m = y.shape[0]
    with np.errstate(all="ignore"):
        zs, acts = forward(net, arch.x_rows(X))
        z, a, row = zs[-1], acts[-1], y.astype(np.float64).reshape(1, m)
        if combined(net.loss, net.activations[-1]) or (net.loss == "mse" and net.activations[-1] == "identity"):
            dz = net.scale * (a - row) / m
        else:
            da = (a - row) / (a * (1 - a)) if net.loss == "bce" else (a - row)
            dz = net.scale * da / m * activation_derivative(net.activations[-1], z, a)
    w, b = arch.layers[-1]
    out = {w: acts[-2].T @ dz}
    if b is not None:
        out[b] = dz.sum(axis=0)
    return out


def _reproduces(given: np.ndarray, predicted: np.ndarray) -> float | None:
    """The factor c with given = c * predicted (or its transpose), or None."""
    for cand in (predicted, predicted.T):
        if cand.size == given.size and (cand.shape == given.shape or cand.ndim == 1 or given.ndim == 1
                                         or 1 in given.shape):
            c, res = fit_ratio(np.asarray(given, float).reshape(cand.shape), cand)
            if np.isfinite(c) and res <= BROADCAST_RTOL and c != 0:
                return float(c)
    return None


def detect(ev: Evidence, unexplained: list[str]) -> Explanation:
    shaped = [n for n in unexplained if n in ev.reshaped]
    if not shaped:
        return Explanation()
    predicted = broadcast_gradients(ev)
    if predicted is None:
        return Explanation()
    names = [n for n in shaped if n in predicted and _reproduces(ev.reshaped[n][1], predicted[n]) is not None]
    if not names:
        return Explanation()
    data = normalize_data(ev.data)
    if data is None:
        return Explanation()
    m = data[1].shape[0]
    shapes = ", ".join(f"d{n} {tuple(ev.reshaped[n][1].shape)}" for n in names)
    msg = (f"the targets have shape ({m},) and the output ({m}, 1): output - y broadcasts to ({m}, {m}), one column "
           f"per target, so the gradients of the output layer carry an extra axis of length {m} ({shapes}); "
           f"recomputing the output delta with that broadcast reproduces them")
    return Explanation.of([Finding(kind="target_shape_broadcast", params=names, message=msg,
                                   fix=fix_for("target_shape_broadcast"), evidence={"batch": m},
                                   layer=ev.layer(names), confidence="confirmed")])
