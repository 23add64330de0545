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
from types import EllipsisType
from typing import Any

import numpy as np

from ...layers import Pairing, known_structure
from ...problem import protected
from .arch import Arch, layouts, matrix_shape
from .dense import activate, example_losses
from .infer import candidates, infer_arch

__all__ = ["infer_dropout_arch", "loss_scales"]

#: The most loss evaluations spent on reading the masks.
MAX_EVALS = 3000
#: A probe that moves an example's term of a log loss by more than this saturates the output, where the
#: loss loses its digits (log(1 - a) at a within 1e-2 of 1): such probes are not read.
MAX_LOG_TERM_CHANGE = 4.0
#: Random starting masks (and their mirrors) tried on an example the descent missed while others fit.
RESTARTS = 6
#: Their spread: masks of 0 and 1 / keep_prob, with keep_prob down to 0.3 or so.
RESTART_SPREAD = 2.0
#: The largest share of mask values that may be unreadable (probes across a relu kink); more, and no mask is read.
MAX_UNREAD_SHARE = 0.1


def _term(loss: str, out: str, z: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Per-probe loss term of one example: ``z`` (P, k) pre-activations of the output, ``y`` (k,)."""
    return example_losses(loss, z, activate(out, z), y)


def _solve(loss: str, out: str, H: np.ndarray, W2: np.ndarray, b2: np.ndarray, y: np.ndarray,
           target: np.ndarray, restarts: int = 0) -> np.ndarray | None:
    """The mask column ``v`` with ``term(H[j] * v) - term(H[0] * v) = target[j - 1]``; None if none fits.

    Units that stay at the same activation on every probe (a dead relu) cannot be read and get 0.
    Gauss-Newton starts from a mask of ones; where it settles without a fit, it starts again from
    the negative of where it settled: a squared error has a mirror basin (``z - y`` for ``y - z``)
    that draws the descent to a mask of the wrong sign (a lone kept unit read as -2 for 2). Then
    from ``restarts`` seeded random masks, each with its mirror.
    """
    moving = np.abs(H[1:] - H[0]).max(axis=0) > 1e-12 * max(float(np.abs(H).max()), 1e-300)
    v = np.zeros(H.shape[1])
    if not moving.any():
        return v if np.abs(target).max() <= 1e-12 else None
    Hm, Wm = H[:, moving], W2[moving]

    def term(z: np.ndarray) -> np.ndarray:
        return _term(loss, out, z, y)

    n = int(moving.sum())
    rng = np.random.default_rng(0)
    for start in [np.ones(n), *(RESTART_SPREAD * rng.normal(size=n) for _ in range(restarts))]:
        w, fits = _descend(term, Hm, Wm, b2, target, start)
        if not fits and w is not None:
            w, fits = _descend(term, Hm, Wm, b2, target, -w)
        if fits and w is not None:
            v[moving] = w
            return v
    return None


def _descend(term: Callable[[np.ndarray], np.ndarray], Hm: np.ndarray, Wm: np.ndarray, b2: np.ndarray,
             target: np.ndarray, w: np.ndarray) -> tuple[np.ndarray | None, bool]:
    """Gauss-Newton on the mask ``w`` from where it is given: where it ended (None if it blew up)
    and whether it fits every probe."""
    eps = 1e-6
    for it in range(30):
        z = (Hm * w) @ Wm + b2
        t = term(z)
        r = (t[1:] - t[0]) - target
        scale = float(np.abs(t).max())
        norm = float(np.linalg.norm(r))
        if norm <= 1e-10 * max(scale, 1e-12) * np.sqrt(r.size):
            break
        if it == 8 and norm > 1e-3 * max(scale, 1e-12) * np.sqrt(r.size):
            return w, False  # not converging: another net, or another basin
        # d term / d z by differences over the k outputs, then the chain to w (z is linear in w)
        G = np.empty_like(z)
        for o in range(z.shape[1]):
            dz = z.copy()
            dz[:, o] += eps
            G[:, o] = (term(dz) - t) / eps
        rows = Hm * (G @ Wm.T)
        J = rows[1:] - rows[0]
        w = w + np.linalg.lstsq(J, -r, rcond=None)[0]
        if not np.all(np.isfinite(w)):
            return None, False
    t = term((Hm * w) @ Wm + b2)
    r = (t[1:] - t[0]) - target
    return w, bool(np.linalg.norm(r) <= 1e-8 * max(float(np.abs(t).max()), 1e-12) * np.sqrt(r.size))


def infer_dropout_arch(
    params: Mapping[str, np.ndarray],
    loss: Callable[[], Any],
    data: Any,
    *,
    seed: int = 0,
    pairing: Pairing | None | EllipsisType = ...,
) -> Arch | None:
    """A two-layer dense net with a fixed dropout mask on its hidden layer behind ``loss``, or None.
    ``pairing``: :func:`gradcheck.layers.structure` of ``params``, when the caller has it."""
    if not (isinstance(data, (tuple, list)) and len(data) == 2 and isinstance(data[0], np.ndarray)
            and np.issubdtype(data[0].dtype, np.floating) and data[0].ndim == 2 and data[0].flags.writeable):
        return None
    X, y = data
    layers = known_structure(params, pairing)
    options = layouts(layers, params, X) if layers and len(layers) == 2 else []
    if not options:
        return None
    layout, examples = options[0]
    assert layers is not None  # layouts were found for them
    cols = examples == "cols"
    k = int(matrix_shape(np.shape(params[layers[-1][0]]), layout)[1 if layout == "rows" else 0])
    n1 = int(matrix_shape(np.shape(params[layers[0][0]]), layout)[1 if layout == "rows" else 0])
    Xr = (X.T if cols else X).astype(np.float64)
    m = Xr.shape[0]
    if m * (3 * n1 + 6) > MAX_EVALS:
        return None
    U = np.random.default_rng(seed).normal(0.0, max(float(np.std(Xr)), 1e-3), size=(m, 3 * n1 + 6, Xr.shape[1]))
    D = _changes(loss, X, Xr, U, cols, n1)
    if D is None:
        return None
    for cand in candidates(layers, {}, [(layout, examples)], k):
        masks = _masks(cand, params, y, Xr, U, D, n1)
        found = _keep_prob(masks) if masks is not None else None
        if found is None:
            continue
        kept, keep_prob = found
        hint = {"dropout": {1: (kept.T if cols else kept).astype(float)}, "keep_prob": keep_prob, "layout": layout,
                "activations": cand.activations, "loss": cand.loss}
        arch = infer_arch(params, loss, data, hint=hint, seed=seed, pairing=layers)
        if arch is not None and not arch.notes:
            arch.given = False
            arch.notes.append(f"the dropout mask of layer 1 (keep_prob {keep_prob:.3g}) was read off the loss")
            return arch
    return None


def _changes(loss: Callable[[], Any], X: np.ndarray, Xr: np.ndarray, U: np.ndarray, cols: bool,
             n1: int) -> np.ndarray | None:
    """``D[e, j]``: the loss's change when example e's input moves by ``U[e, j]`` (X restored bit for bit);
    None when the loss fails, does not read X, or overflows on too many probes."""
    m, P, _ = U.shape
    D = np.empty((m, P))
    with protected({"X": X}):
        try:
            L0 = float(loss())
            for e in range(m):
                for j in range(P):
                    _set_example(X, e, Xr[e] + U[e, j], cols)
                    with np.errstate(all="ignore"):
                        D[e, j] = float(loss()) - L0
                _set_example(X, e, Xr[e], cols)
        except Exception:  # noqa: BLE001 - the loss fails at a moved input
            return None
    finite = np.isfinite(D)
    if not np.isfinite(L0) or not np.any(np.abs(D[finite]) > 0):
        return None  # the loss does not read this array
    if (finite.sum(axis=1) < n1 + 2).any():
        return None  # too many probes where the loss overflows
    return D


def _set_example(X: np.ndarray, e: int, row: np.ndarray, cols: bool) -> None:
    if cols:
        X[:, e] = row
    else:
        X[e] = row


def _masks(cand: Arch, params: Mapping[str, np.ndarray], y: Any, Xr: np.ndarray, U: np.ndarray, D: np.ndarray,
           n1: int) -> np.ndarray | None:
    """Each example's mask column ``D / keep_prob`` under ``cand`` (the loss a mean, else a sum), or None."""
    m = Xr.shape[0]
    try:
        Ws, bs = cand.weights(params), cand.biases(params)
        Y = cand.y_rows(y, m, Ws[-1].shape[1])
    except Exception:  # noqa: BLE001 - this candidate cannot read the data
        return None
    b1 = bs[0] if bs[0] is not None else 0.0
    b2 = bs[1] if bs[1] is not None else np.zeros(Ws[-1].shape[1])
    finite = np.isfinite(D)
    for scale in loss_scales(cand.loss, m, Ws[-1].shape[1]):
        masks = _masks_at(cand, Ws, b1, b2, Y, Xr, U, D, n1, finite, scale)
        if masks is not None:
            return masks
    return None


def _masks_at(cand: Arch, Ws: list[np.ndarray], b1: Any, b2: np.ndarray, Y: np.ndarray, Xr: np.ndarray,
              U: np.ndarray, D: np.ndarray, n1: int, finite: np.ndarray, scale: float) -> np.ndarray | None:
    """The masks of every example at one loss scale, or None. A candidate none of whose first two
    examples fits is another net; once an example fits, an example the descent missed is read again
    from :data:`RESTARTS` other starting masks."""
    m = Xr.shape[0]

    def read(e: int, restarts: int) -> np.ndarray | None:
        # probes that move the example's term by a lot saturate the output, where a loss written
        # as log(a) and log(1 - a) loses its digits: they are left out (a squared error has no log)
        ok_j = finite[e] & ((np.abs(np.where(finite[e], D[e], 0.0)) * m / scale <= MAX_LOG_TERM_CHANGE)
                            | (cand.loss == "mse"))
        if ok_j.sum() < n1 + 2:
            return None
        pts = np.vstack([Xr[e][None, :], Xr[e] + U[e][ok_j]])
        with np.errstate(all="ignore"):
            H = activate(cand.activations[0], pts @ Ws[0] + b1)
            return _solve(cand.loss, cand.activations[1], H, Ws[1], b2, Y[e], D[e][ok_j] * m / scale,
                          restarts=restarts)

    masks = np.empty((m, n1))
    missed: list[int] = []
    for e in range(m):
        v = read(e, 0)
        if v is None:
            missed.append(e)
            if len(missed) == min(2, m) and len(missed) == e + 1:
                return None  # neither of the first two examples fits: another net
        else:
            masks[e] = v
    for e in missed:  # the net fits other examples: this one's descent settled in another basin
        v = read(e, RESTARTS)
        if v is None:
            return None
        masks[e] = v
    return masks


def loss_scales(loss: str, m: int, k: int) -> list[float]:
    """The coefficients ``c`` of the conventions ``loss = c / m * sum of the model's example terms``.

    A mean over the batch (``c = 1``) or a sum (``c = m``); a squared error also without the 0.5 of
    the model's term (``2``) and averaged over its ``k`` outputs too (``1 / k``, ``2 / k``): a mask
    read under another convention than the user's is off by that factor, and fits no example.

    >>> loss_scales("mse", 4, 2)
    [1.0, 4.0, 2.0, 8.0, 0.5]
    >>> loss_scales("bce", 4, 1)
    [1.0, 4.0]
    """
    per_example = [1.0, 2.0, 1.0 / k, 2.0 / k] if loss == "mse" and k > 1 else [1.0, 2.0] if loss == "mse" else [1.0]
    return list(dict.fromkeys(c * batch for c in per_example for batch in (1.0, float(m))))


def _keep_prob(masks: np.ndarray) -> tuple[np.ndarray, float] | None:
    """The kept units and keep_prob when every mask value is 0 or one constant 1 / keep_prob; else None."""
    big = float(np.abs(masks).max())
    kept = np.abs(masks) > 0.5 * big
    if big == 0:
        return None
    c = float(np.median(masks[kept]))
    clean = (np.abs(masks) <= 1e-4 * big) | (np.abs(masks - c) <= 1e-4 * max(c, 0.0))
    if c <= 0 or (~clean).mean() > MAX_UNREAD_SHARE:
        return None
    # a few values read across a relu kink (a unit on for some probes, off for others) are taken as the
    # nearer of 0 and c; the mask is then checked like any hint, by reproducing the loss
    keep_prob = 1.0 / c
    if abs(keep_prob - round(keep_prob, 6)) <= 1e-9:
        keep_prob = round(keep_prob, 6)
    return kept, keep_prob
