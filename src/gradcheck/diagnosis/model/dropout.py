"""Dropout masks read off a loss: a forward pass that drops hidden units with a fixed mask.

A loss whose forward pass multiplies the hidden activations of a two-layer dense net by a
fixed mask ``D / keep_prob`` (a seeded dropout) matches no standard net, so the diagnosis could
not recompute its mistakes. Each example's term of the loss depends on its own input column and
its own column of the mask alone, and the net's output is linear in that column: moving one
example's input at a time and reading the loss gives the mask, example by example (Gauss-Newton
on the loss differences), for every candidate net. The mask found is then checked like any
hint, by :func:`gradcheck.diagnosis.model.infer.infer_arch` at several parameter points.

The data array is moved in place (the loss must read it) and restored bit for bit.

Example:
    >>> from gradcheck.nn import MLP
    >>> net = MLP([3, 4, 1], activations="relu", loss="bce", layout="cols", seed=0)
    >>> X, y = net.random_data(6, seed=1)
    >>> D = np.random.default_rng(2).random((4, 6)) < 0.5
    >>> def loss():
    ...     W1, b1, W2, b2 = (net.params[k] for k in ("W1", "b1", "W2", "b2"))
    ...     A1 = np.maximum(W1 @ X + b1, 0) * D / 0.5
    ...     A2 = 1 / (1 + np.exp(-(W2 @ A1 + b2)))
    ...     return float(-np.mean(y * np.log(A2) + (1 - y) * np.log(1 - A2)))
    >>> arch = infer_dropout_arch(net.params, loss, (X, y))
    >>> alive = (net.params["W1"] @ X + net.params["b1"]) > 0   # a dead unit's mask does not matter
    >>> arch.activations, arch.keep_prob, bool(np.array_equal((arch.dropout[1] != 0) & alive, D & alive))
    (['relu', 'sigmoid'], 0.5, True)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from ...layers import structure
from ...problem import protected
from .arch import Arch, layouts, matrix_shape
from .dense import activate, example_losses
from .infer import candidates, infer_arch

__all__ = ["infer_dropout_arch"]

#: The most loss evaluations spent on reading the masks.
MAX_EVALS = 3000


def _term(loss: str, out: str, z: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Per-probe loss term of one example: ``z`` (P, k) pre-activations of the output, ``y`` (k,)."""
    return example_losses(loss, z, activate(out, z), y)


def _solve(loss: str, out: str, H: np.ndarray, W2: np.ndarray, b2: np.ndarray, y: np.ndarray,
           target: np.ndarray) -> np.ndarray | None:
    """The mask column ``v`` with ``term(H[j] * v) - term(H[0] * v) = target[j - 1]``; None if none fits.

    Units that stay at the same activation on every probe (a dead relu) cannot be read and get 0.
    """
    moving = np.abs(H[1:] - H[0]).max(axis=0) > 1e-12 * max(float(np.abs(H).max()), 1e-300)
    v = np.zeros(H.shape[1])
    if not moving.any():
        return v if np.abs(target).max() <= 1e-12 else None
    Hm, Wm = H[:, moving], W2[moving]
    w = np.ones(int(moving.sum()))
    eps = 1e-6

    def terms(w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        z = (Hm * w) @ Wm + b2
        return z, _term(loss, out, z, y)

    for it in range(30):
        z, t = terms(w)
        r = (t[1:] - t[0]) - target
        scale = float(np.abs(t).max())
        norm = float(np.linalg.norm(r))
        if norm <= 1e-10 * max(scale, 1e-12) * np.sqrt(r.size):
            break
        if it == 8 and norm > 1e-3 * max(scale, 1e-12) * np.sqrt(r.size):
            return None  # not converging: another net
        # d term / d z by differences over the k outputs, then the chain to w (z is linear in w)
        G = np.empty_like(z)
        for o in range(z.shape[1]):
            dz = z.copy()
            dz[:, o] += eps
            G[:, o] = (_term(loss, out, dz, y) - t) / eps
        rows = Hm * (G @ Wm.T)
        J = rows[1:] - rows[0]
        w = w + np.linalg.lstsq(J, -r, rcond=None)[0]
        if not np.all(np.isfinite(w)):
            return None

    def resid(w: np.ndarray) -> tuple[np.ndarray, float]:
        t = terms(w)[1]
        return (t[1:] - t[0]) - target, float(np.abs(t).max())

    r, scale = resid(w)
    if np.linalg.norm(r) > 1e-8 * max(scale, 1e-12) * np.sqrt(r.size):
        return None
    v[moving] = w
    return v


def infer_dropout_arch(
    params: Mapping[str, np.ndarray],
    loss: Callable[[], Any],
    data: Any,
    *,
    seed: int = 0,
) -> Arch | None:
    """A two-layer dense net with a fixed dropout mask on its hidden layer behind ``loss``, or None."""
    if not (isinstance(data, (tuple, list)) and len(data) == 2 and isinstance(data[0], np.ndarray)
            and np.issubdtype(data[0].dtype, np.floating) and data[0].ndim == 2):
        return None
    X, y = data
    if not X.flags.writeable:
        return None
    layers = structure(params)
    if not layers or len(layers) != 2:
        return None
    options = layouts(layers, params, X)
    if not options:
        return None
    layout, examples = options[0]
    cols = examples == "cols"
    m = X.shape[1] if cols else X.shape[0]
    n_in = X.shape[0] if cols else X.shape[1]
    k = int(matrix_shape(np.shape(params[layers[-1][0]]), layout)[1 if layout == "rows" else 0])
    n1 = int(matrix_shape(np.shape(params[layers[0][0]]), layout)[1 if layout == "rows" else 0])
    P = 3 * n1 + 6
    if m * P > MAX_EVALS:
        return None
    rng = np.random.default_rng(seed)
    Xr = (X.T if cols else X).astype(np.float64)
    U = rng.normal(0.0, max(float(np.std(Xr)), 1e-3), size=(m, P, n_in))
    D = np.empty((m, P))
    with protected({"X": X}):
        try:
            L0 = float(loss())
            for e in range(m):
                for j in range(P):
                    row = Xr[e] + U[e, j]
                    if cols:
                        X[:, e] = row
                    else:
                        X[e] = row
                    with np.errstate(all="ignore"):
                        D[e, j] = float(loss()) - L0
                if cols:
                    X[:, e] = Xr[e]
                else:
                    X[e] = Xr[e]
        except Exception:  # noqa: BLE001 - the loss fails at a moved input
            return None
    finite = np.isfinite(D)
    if not np.isfinite(L0) or not np.any(np.abs(D[finite]) > 0):
        return None  # the loss does not read this array
    if (finite.sum(axis=1) < n1 + 2).any():
        return None  # too many probes where the loss overflows
    for cand in candidates(layers, {}, [(layout, examples)], k):
        try:
            Ws, bs = cand.weights(params), cand.biases(params)
            Y = cand.y_rows(y, m, k)
        except Exception:  # noqa: BLE001 - this candidate cannot read the data
            continue
        b1 = bs[0] if bs[0] is not None else 0.0
        b2 = bs[1] if bs[1] is not None else np.zeros(k)
        masks = np.empty((m, n1))
        for scale in (1.0, float(m)):
            ok = True
            for e in range(m):
                # probes that move the example's term by a lot saturate the output, where a loss written
                # as log(a) and log(1 - a) loses its digits: they are left out
                ok_j = finite[e] & (np.abs(np.where(finite[e], D[e], 0.0)) * m / scale <= 4.0)
                if ok_j.sum() < n1 + 2:
                    ok = False
                    break
                pts = np.vstack([Xr[e][None, :], Xr[e] + U[e][ok_j]])
                with np.errstate(all="ignore"):
                    H = activate(cand.activations[0], pts @ Ws[0] + b1)
                    v = _solve(cand.loss, cand.activations[1], H, Ws[1], b2, Y[e], D[e][ok_j] * m / scale)
                if v is None:
                    ok = False
                    break
                masks[e] = v
            if ok:
                break
        else:
            continue
        big = float(np.abs(masks).max())
        kept = np.abs(masks) > 0.5 * big
        if big == 0 or np.abs(masks[~kept]).max(initial=0.0) > 1e-4 * big:
            continue
        c = float(np.median(masks[kept]))
        if c <= 0 or np.max(np.abs(masks[kept] - c)) > 1e-4 * c:
            continue
        keep_prob = 1.0 / c
        if abs(keep_prob - round(keep_prob, 6)) <= 1e-9:
            keep_prob = round(keep_prob, 6)
        mask = kept.T if cols else kept
        hint = {"dropout": {1: mask.astype(float)}, "keep_prob": keep_prob, "layout": layout,
                "activations": cand.activations, "loss": cand.loss}
        arch = infer_arch(params, loss, data, hint=hint, seed=seed)
        if arch is not None and not arch.notes:
            arch.given = False
            arch.notes.append(f"the dropout mask of layer 1 (keep_prob {keep_prob:.3g}) was read off the loss")
            return arch
    return None
