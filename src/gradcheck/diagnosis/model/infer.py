"""Recognize a standard dense net behind a user's parameters, loss and data.

:func:`structure` pairs the parameters into layers (a weight matrix and its bias).
:func:`infer_arch` then looks for the standard MLP -- layout, activation of every layer,
loss -- whose loss equals the user's loss at the current parameters and at a few
nearby points; the data term's scale (mean or sum over the batch, ``0.5`` or not) and
an L2 strength are fitted on the way. When no such net fits, the same nets with one skip
connection (a residual block: a hidden layer's output plus an earlier one of its width) are tried. An architecture hint (a dict, see
:mod:`gradcheck.diagnosis`) narrows the search or replaces it.

Everything works in the "rows" form internally: ``X`` (m, n_in), ``W`` (n_in, n_out),
``b`` (n_out,); :class:`Arch` converts the user's arrays to it and back.

Example:
    >>> from gradcheck.nn import MLP
    >>> net = MLP([3, 4, 1], activations="tanh", loss="bce", layout="cols")
    >>> X, y = net.random_data(5)
    >>> arch = infer_arch(net.params, lambda: net.loss(X, y), (X, y))
    >>> arch.layout, arch.activations, arch.loss
    ('cols', ['tanh', 'sigmoid'], 'bce')
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping
from types import EllipsisType
from typing import Any

import numpy as np

from ...layers import Pairing, known_structure
from ...problem import protected
from ..thresholds import LOSS_RTOL, LOW_PRECISION
from .arch import Arch, layouts, matrix_shape
from .data import batch_size, normalize_data
from .dense import ACTIVATIONS, LAYOUTS, data_loss, forward
from .families import NAMED as PIECEWISE
from .hint import dropout_hint, normalize_hint

__all__ = ["HIDDEN", "MAX_COMBOS", "OUTPUTS", "candidates", "fit_loss", "infer_arch", "loss_rtol", "loss_terms", "losses_at",
           "nearby_points", "skip_candidates"]

HIDDEN = ("sigmoid", "tanh", "relu", "leaky_relu", "identity")
#: Other leaky-relu slopes tried (uniform hidden layers only), named ``"leaky_relu(0.2)"``.
OTHER_SLOPES = (0.1, 0.2, 0.3)
#: Smooth activations tried for uniform hidden layers only (GELU exact and its tanh approximation).
SMOOTH = ("gelu", "gelu_tanh")
#: Slopes scanned when no named leaky relu fits (then refined): log-spaced over the slopes people use.
SLOPE_GRID = tuple(float(a) for a in np.geomspace(1e-3, 0.7, 40))
#: How many (layout, loss) pairs with the best scans are refined.
SLOPE_REFINED = 2
#: (loss, output activation) pairs tried by the inference, most common first.
OUTPUTS = (("bce", "sigmoid"), ("softmax_ce", "softmax"), ("mse", "identity"), ("mse", "sigmoid"),
           ("mse", "tanh"), ("mse", "softmax"), ("mse", "relu"))
#: The largest number of hidden-activation combinations tried before only uniform ones are.
MAX_COMBOS = 256


def loss_terms(arch: Arch, params: Mapping[str, np.ndarray], X: Any, y: Any) -> tuple[float, float]:
    """The data term (unscaled) and the L2 sum ``0.5 * sum(W ** 2)`` of ``arch`` at ``params``."""
    net = arch.net(params)
    Xr = arch.x_rows(X)
    Y = arch.y_rows(y, Xr.shape[0], net.Ws[-1].shape[1])
    with np.errstate(all="ignore"):
        zs, acts = forward(net, Xr)
        D = data_loss(arch.loss, zs[-1], acts[-1], Y)
    R = 0.5 * sum(float((W**2).sum()) for W in net.Ws)
    return D, R


def candidates(layers, hint: Mapping[str, Any], options: list[tuple[str, str]], k: int):
    """Every standard net the hint allows on these layers, in the order tried: layouts, then
    (loss, output) pairs, then hidden activations (uniform ones first)."""
    L = len(layers)
    acts_hint = hint.get("activations")
    loss_hint = hint.get("loss")
    if isinstance(acts_hint, str):
        acts_hint = None if acts_hint not in ACTIVATIONS else acts_hint
    outputs = [o for o in OUTPUTS if (loss_hint is None or o[0] == loss_hint)]
    if k == 1:
        outputs = [o for o in outputs if o[1] != "softmax" and o[0] != "softmax_ce"]
    if isinstance(acts_hint, (list, tuple)) and len(acts_hint) == L:
        hidden_sets = [list(acts_hint[:-1])]
        outputs = [o for o in outputs if o[1] == acts_hint[-1]] or [(loss_hint or "mse", acts_hint[-1])]
    elif isinstance(acts_hint, str):
        hidden_sets = [[acts_hint] * (L - 1)]
    else:
        hidden_sets = _hidden_sets(L)
    for layout, x_layout in options:
        for loss, out in outputs:
            for hidden in hidden_sets:
                yield Arch(layers=list(layers), layout=layout, activations=list(hidden) + [out], loss=loss,
                           x_layout="" if x_layout == layout else x_layout)


def skip_candidates(layers, params: Mapping[str, np.ndarray], hint: Mapping[str, Any],
                    options: list[tuple[str, str]], k: int):
    """The nets of :func:`candidates` with one skip connection (a residual block): the output of
    layer i (0: the input) added to that of a later hidden layer j of the same width, nearest first."""
    L = len(layers)
    for layout, x_layout in options:
        shapes = [matrix_shape(np.shape(params[w]), layout) for w, _ in layers]
        widths = [shapes[0][0] if layout == "rows" else shapes[0][1]]
        widths += [s[1] if layout == "rows" else s[0] for s in shapes]
        pairs = sorted(((i, j) for j in range(1, L) for i in range(j) if widths[i] == widths[j]),
                       key=lambda ij: (ij[1] - ij[0], -ij[1]))
        for i, j in pairs:
            for arch in candidates(layers, hint, [(layout, x_layout)], k):
                arch.skips = {j: i}
                yield arch


def _hidden_sets(L: int) -> list[list[str]]:
    """The hidden activations tried without a hint: every combination while there are few (uniform
    first), else the uniform ones; then other leaky slopes, the smooth ones and the piecewise-linear
    families (:mod:`.families`), uniform."""
    if len(HIDDEN) ** (L - 1) <= MAX_COMBOS:
        hidden_sets = [list(c) for c in itertools.product(HIDDEN, repeat=L - 1)]
        hidden_sets.sort(key=lambda c: len(set(c)) > 1)  # uniform hidden layers first
    else:
        hidden_sets = [[h] * (L - 1) for h in HIDDEN]
    hidden_sets += [[f"leaky_relu({s:g})"] * (L - 1) for s in OTHER_SLOPES]
    hidden_sets += [[g] * (L - 1) for g in SMOOTH]
    hidden_sets += [[f] * (L - 1) for f in PIECEWISE]  # |z|, relu6, hard tanh: uniform only
    return hidden_sets


def infer_arch(
    params: Mapping[str, np.ndarray],
    loss: Callable[[], Any],
    data: Any,
    *,
    hint: Any = None,
    seed: int = 0,
    rtol: float | None = None,
    pairing: Pairing | None | EllipsisType = ...,
) -> Arch | None:
    """The standard MLP whose loss equals ``loss()`` at the current and three nearby parameter points.

    The parameters are moved and restored bit for bit. Returns None when no standard
    net fits (or the data are missing). ``rtol``: how closely the losses must agree
    (default :data:`~gradcheck.diagnosis.thresholds.LOSS_RTOL`, 100x more below float64).
    ``pairing``: :func:`gradcheck.layers.structure` of ``params``, when the caller has it.
    """
    rtol = loss_rtol(params) if rtol is None else rtol
    hint = normalize_hint(hint)
    pairing = known_structure(params, pairing)
    layers = hint.get("layers") or pairing
    data = normalize_data(data) if layers else None
    if data is None or layers is None:
        return None
    layers = [tuple(x) if isinstance(x, (list, tuple)) else (x, None) for x in layers]
    X, y = data
    options = layouts(layers, params, X)
    if hint.get("layout") in LAYOUTS:
        options = [lx for lx in options if lx[0] == hint["layout"]] or [(hint["layout"], hint["layout"])]
    if not options:
        return None
    first = options[0][0]
    k = int(matrix_shape(np.shape(params[layers[-1][0]]), first)[1 if first == "rows" else 0])
    points = nearby_points(params, seed)
    Lu = losses_at(params, loss, points)
    if Lu is None:
        return None
    given_scale = hint.get("scale")
    if hint.get("reduction") == "sum":
        m = batch_size(data, params, pairing=pairing)
        given_scale = float(m) if m else None
    dropout, keep_prob = dropout_hint(hint)
    skips = () if dropout else skip_candidates(layers, params, hint, options, k)
    for arch in itertools.chain(candidates(layers, hint, options, k), skips):
        arch.dropout, arch.keep_prob = dropout, keep_prob
        fit = _fit(arch, points, X, y, Lu, hint.get("l2"), given_scale, rtol)
        if fit is not None:
            arch.scale, arch.l2 = fit
            arch.given = bool(hint.get("activations")) and bool(hint.get("loss"))
            return arch
    if not hint.get("activations") and len(layers) >= 2:
        arch = fit_slope(layers, hint, options, k, points, Lu, (X, y), given_scale, rtol)
        if arch is not None and _holds_elsewhere(arch, params, loss, (X, y), seed, rtol):
            arch.dropout, arch.keep_prob = dropout, keep_prob
            return arch
    return _as_hinted(layers, options[0], hint, given_scale)


def _holds_elsewhere(arch: Arch, params: Mapping[str, np.ndarray], loss: Callable[[], Any], data: tuple[Any, Any],
                     seed: int, rtol: float) -> bool:
    """A net with a fitted parameter also reproduces the loss at three more points, not used in the fit."""
    points = nearby_points(params, seed + 1)[1:]
    Lu = losses_at(params, loss, points)
    if Lu is None:
        return False
    terms = np.array([loss_terms(arch, pt, *data) for pt in points])
    pred = arch.scale * terms[:, 0] + arch.l2 * terms[:, 1]
    return bool(np.max(np.abs(pred - Lu)) <= rtol * max(float(np.max(np.abs(Lu))), 1e-12))


def _as_hinted(layers: list[tuple[str, str | None]], option: tuple[str, str], hint: dict[str, Any],
               scale: Any) -> Arch | None:
    """A complete hint (activations of every layer and the loss) taken as given when no net fits."""
    if not (hint.get("activations") and hint.get("loss") and isinstance(hint.get("activations"), (list, tuple))):
        return None
    layout, examples = option
    dropout, keep_prob = dropout_hint(hint)
    arch = Arch(layers=list(layers), layout=layout, x_layout="" if examples == layout else examples,
                activations=list(hint["activations"]), loss=hint["loss"], scale=float(scale or 1.0),
                l2=float(hint.get("l2") or 0.0), given=True, dropout=dropout, keep_prob=keep_prob)
    arch.notes.append("the loss does not equal the hinted architecture's loss; the hint was used as given")
    return arch


def loss_rtol(params: Mapping[str, np.ndarray]) -> float:
    """:data:`~gradcheck.diagnosis.thresholds.LOSS_RTOL`, 100x looser when a parameter is below float64."""
    low = any(np.finfo(p.dtype).bits < 64 for p in params.values() if np.issubdtype(p.dtype, np.floating))
    return LOW_PRECISION * LOSS_RTOL if low else LOSS_RTOL


def nearby_points(params: Mapping[str, np.ndarray], seed: int) -> list[dict[str, np.ndarray]]:
    """The current parameter values and three nearby points (seeded)."""
    rng = np.random.default_rng(seed)
    points: list[dict[str, np.ndarray]] = [{n: p.copy() for n, p in params.items()}]
    for _ in range(3):
        points.append({n: p + rng.normal(0.0, 0.1, size=p.shape).astype(p.dtype) for n, p in params.items()})
    return points


def losses_at(params: Mapping[str, np.ndarray], loss: Callable[[], Any],
               points: list[dict[str, np.ndarray]]) -> np.ndarray | None:
    """The user's loss at each point (parameters restored bit for bit); None when it fails or is not finite."""
    arrays = {n: params[n] for n in params}
    user: list[float] = []
    with protected(arrays):
        for pt in points:
            for n, p in arrays.items():
                np.copyto(p, pt[n])
            try:
                v = float(np.asarray(loss(), dtype=np.float64).reshape(()))
            except Exception:  # noqa: BLE001 - the user's loss failed at a nearby point
                return None
            if not np.isfinite(v):
                return None
            user.append(v)
    return np.array(user)


def _fit(arch: Arch, points: list[dict[str, np.ndarray]], X: Any, y: Any, Lu: np.ndarray, l2: Any, scale: Any,
         rtol: float) -> tuple[float, float] | None:
    """``(scale, l2)`` with which ``arch``'s loss is the user's at every point, or None."""
    try:
        terms = np.array([loss_terms(arch, pt, X, y) for pt in points])
    except Exception:  # noqa: BLE001 - this candidate cannot read the data
        return None
    if not np.all(np.isfinite(terms)):
        return None
    return fit_loss(terms, Lu, l2, scale, rtol)


def fit_slope(layers, hint: Mapping[str, Any], options: list[tuple[str, str]], k: int, points: list[dict[str, np.ndarray]],
              Lu: np.ndarray, data: tuple[Any, Any], scale: Any, rtol: float) -> Arch | None:
    """Leaky-relu hidden layers of a slope none of the named ones has: the slope is fitted.

    The worst loss mismatch over the points is scanned on :data:`SLOPE_GRID` (log-spaced), and
    the best grid value refined by golden-section search; the slope is taken only when the fitted
    net then reproduces the loss like any other candidate (:func:`fit_loss`).
    """
    X, y = data
    L = len(layers)
    outputs = [o for o in OUTPUTS if hint.get("loss") in (None, o[0]) and not (k == 1 and o[1] == "softmax")]

    def arch_at(layout: str, x_layout: str, loss: str, out: str, slope: float) -> Arch:
        return Arch(layers=list(layers), layout=layout, activations=[f"leaky_relu({slope:.6g})"] * (L - 1) + [out],
                    loss=loss, x_layout="" if x_layout == layout else x_layout)

    def mismatch(arch: Arch) -> float:
        try:
            terms = np.array([loss_terms(arch, pt, X, y) for pt in points])
        except Exception:  # noqa: BLE001 - this candidate cannot read the data
            return np.inf
        if not np.all(np.isfinite(terms)):
            return np.inf
        coef, *_ = np.linalg.lstsq(terms, Lu, rcond=None)  # data term and penalty, scales fitted
        return float(np.max(np.abs(terms @ coef - Lu)))

    scans = []
    for layout, x_layout in options:
        for loss, out in outputs:
            grid = [mismatch(arch_at(layout, x_layout, loss, out, a)) for a in SLOPE_GRID]
            i = int(np.argmin(grid))
            if np.isfinite(grid[i]):
                scans.append((grid[i], i, layout, x_layout, loss, out))
    for _, i, layout, x_layout, loss, out in sorted(scans)[:SLOPE_REFINED]:
        lo, hi = SLOPE_GRID[max(i - 1, 0)], SLOPE_GRID[min(i + 1, len(SLOPE_GRID) - 1)]
        for _ in range(30):  # golden section on [lo, hi]
            a, b = hi - 0.618 * (hi - lo), lo + 0.618 * (hi - lo)
            if mismatch(arch_at(layout, x_layout, loss, out, a)) <= mismatch(arch_at(layout, x_layout, loss, out, b)):
                hi = b
            else:
                lo = a
        arch = arch_at(layout, x_layout, loss, out, float(np.round((lo + hi) / 2, 6)))
        fit = fit_loss(np.array([loss_terms(arch, pt, X, y) for pt in points]), Lu, hint.get("l2"), scale, rtol)
        if fit is not None:
            arch.scale, arch.l2 = fit
            return arch
    return None


def fit_loss(terms: np.ndarray, Lu: np.ndarray, l2: Any, scale: Any, rtol: float) -> tuple[float, float] | None:
    D, R = terms[:, 0], terms[:, 1]
    if scale is not None and l2 is not None:
        s, lam = float(scale), float(l2)
    elif scale is not None:
        s = float(scale)
        lam = float(np.dot(R, Lu - s * D) / max(np.dot(R, R), 1e-300))
    elif l2 is not None:
        lam = float(l2)
        s = float(np.dot(D, Lu - lam * R) / max(np.dot(D, D), 1e-300))
    else:
        A = np.stack([D, R], axis=1)
        (s, lam), *_ = np.linalg.lstsq(A, Lu, rcond=None)
        s, lam = float(s), float(lam)
        # a penalty too small to matter is none
        if abs(lam) * R.max() <= 10 * rtol * max(abs(Lu).max(), 1e-300):
            lam = 0.0
            s = float(np.dot(D, Lu) / max(np.dot(D, D), 1e-300))
    if s <= 0 or lam < -1e-12:
        return None
    pred = s * D + lam * R
    if np.max(np.abs(pred - Lu)) > rtol * max(np.max(np.abs(Lu)), 1e-12):
        return None
    s_round = round(s)
    if s_round and abs(s - s_round) < 1e-6 * s:
        s = float(s_round)
    return s, max(lam, 0.0)
