"""Recognize a standard dense net behind a user's parameters, loss and data.

:func:`structure` pairs the parameters into layers (a weight matrix and its bias).
:func:`infer_arch` then looks for the standard MLP -- layout, activation of every layer,
loss -- whose loss equals the user's loss at the current parameters and at a few
nearby points; the data term's scale (mean or sum over the batch, ``0.5`` or not) and
an L2 strength are fitted on the way. An architecture hint (a dict, see
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
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ...layers import forward_order, layer_number
from ...nn import ACTIVATIONS, LAYOUTS, LEAKY_SLOPE, activate, activation_derivative
from ...problem import protected

__all__ = ["Arch", "batch_size", "infer_arch", "infer_layer_arch", "input_name", "normalize_data", "normalize_hint",
           "structure"]

HIDDEN = ("sigmoid", "tanh", "relu", "leaky_relu", "identity")
#: Other leaky-relu slopes tried (uniform hidden layers only), named ``"leaky_relu(0.2)"``.
OTHER_SLOPES = (0.1, 0.2, 0.3)
#: (loss, output activation) pairs tried by the inference, most common first.
OUTPUTS = (("bce", "sigmoid"), ("softmax_ce", "softmax"), ("mse", "identity"), ("mse", "sigmoid"),
           ("mse", "tanh"), ("mse", "softmax"), ("mse", "relu"))
#: The largest number of hidden-activation combinations tried before only uniform ones are.
MAX_COMBOS = 256
LOSS_RTOL = 1e-6


def _is_vector_like(shape: tuple[int, ...]) -> bool:
    return len(shape) == 1 or (len(shape) == 2 and 1 in shape)


def structure(params: Mapping[str, np.ndarray]) -> list[tuple[str, str | None]] | None:
    """Pair the parameters into dense layers ``[(W name, b name or None), ...]`` in forward order.

    Returns None when the parameters do not look like a stack of dense layers.

    >>> import numpy as np
    >>> structure({"W1": np.ones((2, 3)), "b1": np.ones(3), "W2": np.ones((3, 1)), "b2": np.ones(1)})
    [('W1', 'b1'), ('W2', 'b2')]
    """
    names = forward_order(list(params))
    shapes = {n: tuple(np.shape(params[n])) for n in names}
    if any(len(s) > 2 for s in shapes.values()):
        return None
    # a weight vector (n,) is a matrix with one output unit; a scalar bias has one unit
    shapes = {n: (s if s else (1,)) for n, s in shapes.items()}
    if len(names) <= 2 and len(shapes[names[0]]) == 1 and (len(names) == 1 or shapes[names[1]] == (1,)):
        return [(names[0], names[1] if len(names) == 2 else None)]
    numbers = [layer_number(n) for n in names]
    layers: list[tuple[str, str | None]] = []
    if all(n is not None for n in numbers):
        groups: dict[int, list[str]] = {}
        for num, name in zip(numbers, names):
            groups.setdefault(num, []).append(name)  # type: ignore[arg-type]
        last = max(groups)
        for num in sorted(groups):
            group = groups[num]
            if len(group) == 1:
                if len(shapes[group[0]]) != 2 and num != last:
                    return None  # a weight vector (one output unit) can only be the output layer's
                layers.append((group[0], None))
            elif len(group) == 2:
                a, b = group
                w, bias = _pick_weight(a, b, shapes)
                if w is None:
                    return None
                layers.append((w, bias))
            else:
                return None
        return layers
    i = 0
    while i < len(names):
        w = names[i]
        if len(shapes[w]) != 2:
            rest = names[i + 1 :]
            # a weight vector can only be the output layer (one unit), with at most a one-unit bias
            if len(rest) == 0 or (len(rest) == 1 and shapes[rest[0]] == (1,)):
                layers.append((w, rest[0] if rest else None))
                return layers
            return None
        nxt = names[i + 1] if i + 1 < len(names) else None
        if nxt is not None and _is_vector_like(shapes[nxt]) and int(np.prod(shapes[nxt])) in shapes[w]:
            after = names[i + 2] if i + 2 < len(names) else None
            if after is None or len(shapes[after]) == 2:
                layers.append((w, nxt))
                i += 2
                continue
        layers.append((w, None))
        i += 1
    return layers


def _pick_weight(a: str, b: str, shapes: dict[str, tuple[int, ...]]) -> tuple[str | None, str | None]:
    sa, sb = shapes[a], shapes[b]
    la, lb = a.lower(), b.lower()
    if la.startswith(("b", "bias")) or "bias" in la:
        a, b, sa, sb = b, a, sb, sa
    elif not (lb.startswith("b") or "bias" in lb) and _is_vector_like(sa) and not _is_vector_like(sb):
        a, b, sa, sb = b, a, sb, sa
    if len(sa) == 1 and sb == (1,):
        return a, b  # a weight vector: one output unit and its bias
    if len(sa) != 2 or not _is_vector_like(sb) or int(np.prod(sb)) not in sa:
        return None, None
    return a, b


@dataclass
class Arch:
    """A standard dense net: how to read the user's arrays and what the loss is.

    ``scale`` multiplies the data term of :class:`gradcheck.nn.MLP`'s loss (1: mean over the
    batch; m: sum over the batch; 2: no 0.5 in an MSE), ``l2`` is the strength of a penalty
    ``l2 / 2 * sum(W ** 2)``. ``given`` says whether it came from a hint.
    """

    layers: list[tuple[str, str | None]]
    layout: str
    activations: list[str]
    loss: str
    scale: float = 1.0
    l2: float = 0.0
    given: bool = False
    notes: list[str] = field(default_factory=list)
    #: hidden layer (1-based) -> dropout mask in the user's layout; activations are
    #: multiplied by ``mask / keep_prob`` in the forward pass
    dropout: dict[int, np.ndarray] = field(default_factory=dict)
    keep_prob: float = 1.0
    #: "rows" or "cols" when the data hold the examples the other way than the weights
    #: (e.g. W as (n_out, n_in) with X as (m, n_in), the PyTorch convention); "" otherwise
    x_layout: str = ""
    #: a layer check: the parameter that is the layers' input (its gradient is checked too) ...
    input: str | None = None
    #: ... and the fixed weights ``R`` of the scalar ``sum(output * R)``, rows form (loss ``"linear"``)
    targets: np.ndarray | None = None

    def mask_rows(self, layer: int) -> np.ndarray | None:
        """The dropout factor ``mask / keep_prob`` of ``layer`` in rows form, or None."""
        mask = self.dropout.get(layer)
        if mask is None:
            return None
        mask = np.asarray(mask, dtype=np.float64)
        if mask.ndim == 2 and self.examples == "cols":
            mask = mask.T
        return mask / self.keep_prob

    # -- conversions to and from the rows form ---------------------------------
    def weights(self, params: Mapping[str, np.ndarray]) -> list[np.ndarray]:
        out = []
        for w, _ in self.layers:
            W = np.asarray(params[w], dtype=np.float64)
            if W.ndim == 1:
                out.append(W.reshape(-1, 1))
                continue
            out.append(W.T if self.layout == "cols" else W)
        return out

    def biases(self, params: Mapping[str, np.ndarray]) -> list[np.ndarray | None]:
        return [None if b is None else np.asarray(params[b], dtype=np.float64).reshape(-1) for _, b in self.layers]

    def to_rows(self, name: str, g: np.ndarray) -> np.ndarray:
        """A user's gradient of parameter ``name`` in rows form."""
        if name == self.input:
            return self.x_rows(g)
        if any(name == b for _, b in self.layers):
            return np.asarray(g, dtype=np.float64).reshape(-1)
        g = np.asarray(g, dtype=np.float64)
        if g.ndim == 1:
            return g.reshape(-1, 1)
        return g.T if self.layout == "cols" else g

    @property
    def examples(self) -> str:
        """How the data hold the examples: ``"rows"`` or ``"cols"`` (usually the weights' layout)."""
        return self.x_layout or self.layout

    def x_rows(self, X: Any) -> np.ndarray:
        X = np.asarray(X, dtype=np.float64)
        if X.ndim == 1:
            X = X.reshape(1, -1) if self.examples == "rows" else X.reshape(-1, 1)
        return X.T if self.examples == "cols" else X

    def y_rows(self, y: Any, m: int, k: int) -> np.ndarray:
        y = np.asarray(y)
        if self.loss == "softmax_ce" and k > 1 and y.size == m:
            labels = y.reshape(-1)
            if not np.allclose(labels, np.round(labels)) or labels.min() < 0 or labels.max() >= k:
                raise ValueError("labels out of range")
            Y = np.zeros((m, k))
            Y[np.arange(m), labels.astype(int)] = 1.0
            return Y
        y = y.astype(np.float64)
        if y.size != m * k:
            raise ValueError("targets do not match the output")
        if y.ndim == 2 and y.shape == (m, k) and (self.examples == "rows" or k != m):
            return y
        if y.ndim == 2 and y.shape == (k, m):
            return y.T.copy()
        if k == 1 or m == 1:
            return y.reshape(m, k)
        raise ValueError("cannot read the targets")

    def describe(self) -> str:
        acts = ", ".join(self.activations)
        if self.loss == "linear":
            what = "a dense layer" if len(self.layers) == 1 else f"a stack of {len(self.layers)} dense layers"
            return (f"{what} ({acts}; examples as {self.examples}), recognized from the layers' output "
                    f"through sum(output * R)")
        extra = ""
        if self.scale != 1.0:
            extra += f", data term x{self.scale:g}"
        if self.l2:
            extra += f", L2 {self.l2:g}"
        if self.dropout:
            extra += f", dropout on layer {', '.join(str(l) for l in sorted(self.dropout))} (keep_prob {self.keep_prob:g})"
        src = "given as a hint" if self.given else "inferred from the parameter shapes, the data and the loss"
        where = f"examples as {self.examples}"
        if self.examples != self.layout:
            where += ", W as (n_out, n_in)" if self.layout == "cols" else ", W as (n_in, n_out)"
        return f"a dense net ({acts}; {self.loss} loss; {where}{extra}), {src}"


def _stack(parts: Any) -> np.ndarray:
    arrays = [np.asarray(p, dtype=np.float64) for p in parts]
    if all(a.ndim == 2 and a.shape[1] == 1 for a in arrays):
        return np.hstack(arrays)  # column vectors, one per example
    return np.stack([a.reshape(-1) for a in arrays])


def normalize_data(data: Any) -> tuple[np.ndarray, np.ndarray] | None:
    """``(X, y)`` as arrays, from ``(X, y)``, a list of ``(x, y)`` pairs (one per example, as in
    Nielsen's code) or ``(list of x, list of y)``; None when the data cannot be read.

    >>> xs = [np.ones((3, 1)), np.zeros((3, 1))]
    >>> X, y = normalize_data(list(zip(xs, [np.ones((2, 1))] * 2)))
    >>> X.shape, y.shape
    ((3, 2), (2, 2))
    """
    if data is None:
        return None
    if _ragged_pairs(data):
        # two examples as [[x1, y1], [x2, y2]] (plain lists, x and y of different lengths)
        data = ([d[0] for d in data], [d[1] for d in data])
    try:
        if isinstance(data, (list, tuple)) and len(data) != 2 and all(isinstance(d, (list, tuple)) and len(d) == 2 for d in data):
            data = ([d[0] for d in data], [d[1] for d in data])
        elif isinstance(data, list) and len(data) == 2 and all(isinstance(d, tuple) and len(d) == 2 for d in data):
            data = ([d[0] for d in data], [d[1] for d in data])
        X, y = data[0], data[1]
        if isinstance(X, (list, tuple)) and X and isinstance(X[0], np.ndarray) and X[0].ndim >= 1:
            X = _stack(X)
        if isinstance(y, (list, tuple)) and y and isinstance(y[0], np.ndarray) and y[0].ndim >= 1:
            y = _stack(y)
        X = np.asarray(X)
        if X.ndim == 3 and X.shape[-1] == 1:
            X = np.hstack(list(X))
        y = np.asarray(y)
        if y.ndim == 3 and y.shape[-1] == 1:
            y = np.hstack(list(y))
        if not np.issubdtype(X.dtype, np.number) or not np.issubdtype(y.dtype, np.number):
            return None
        return X, y
    except Exception:  # noqa: BLE001 - data of an unknown form
        return None


def _ragged_pairs(data: Any) -> bool:
    """``data`` is two ``(x, y)`` pairs rather than ``(X, y)``: each half is a pair whose parts differ in length."""
    if not (isinstance(data, (list, tuple)) and len(data) == 2):
        return False
    try:
        halves = [d for d in data if isinstance(d, (list, tuple)) and len(d) == 2]
        if len(halves) != 2:
            return False
        sizes = [(np.size(h[0]), np.size(h[1])) for h in halves]
        return sizes[0] == sizes[1] and sizes[0][0] != sizes[0][1] and sizes[0][0] > 1
    except Exception:  # noqa: BLE001 - not array-like
        return False


def batch_size(data: Any, params: Mapping[str, np.ndarray], hint: Any = None) -> int | None:
    """The number of examples in ``data = (X, y)``, or from ``hint["batch_size"]``; None if unknown."""
    if isinstance(hint, Mapping) and isinstance(hint.get("batch_size"), (int, np.integer)):
        return int(hint["batch_size"])
    data = normalize_data(data)
    if data is None:
        return None
    X, y = data
    if X.ndim == 1:
        return 1
    if X.ndim != 2:
        return None
    layers = structure(params)
    if layers and layers[0] is not None:
        in_dims = set(np.shape(params[layers[0][0]]))
        r, c = X.shape
        if r in in_dims and c not in in_dims:
            return c
        if c in in_dims and r not in in_dims:
            return r
        if r == c:
            return r
    if y is not None and y.ndim == 1:
        return int(y.shape[0])
    return None


# -- forward pass and loss in rows form ------------------------------------------


def forward_rows(arch: Arch, Ws: list[np.ndarray], bs: list[np.ndarray | None], X: np.ndarray):
    """``(zs, acts)`` with ``acts[0] = X``."""
    zs, acts = [], [X]
    a = X
    for l, (W, b, name) in enumerate(zip(Ws, bs, arch.activations), start=1):
        z = a @ W if b is None else a @ W + b
        a = act(name, z)
        drop = arch.mask_rows(l)
        if drop is not None:
            a = a * drop
        zs.append(z)
        acts.append(a)
    return zs, acts


def data_loss(loss: str, z: np.ndarray, a: np.ndarray, Y: np.ndarray) -> float:
    m = Y.shape[0]
    if loss == "linear":
        return float((a * Y).sum())
    if loss == "bce":
        return float((np.maximum(z, 0) - z * Y + np.log1p(np.exp(-np.abs(z)))).sum() / m)
    if loss == "softmax_ce":
        sh = z - z.max(axis=1, keepdims=True)
        return float(-(Y * (sh - np.log(np.exp(sh).sum(axis=1, keepdims=True)))).sum() / m)
    return float(0.5 * ((a - Y) ** 2).sum() / m)


def _terms(arch: Arch, params: Mapping[str, np.ndarray], X: Any, y: Any) -> tuple[float, float]:
    Ws, bs = arch.weights(params), arch.biases(params)
    Xr = arch.x_rows(X)
    Y = arch.y_rows(y, Xr.shape[0], Ws[-1].shape[1])
    with np.errstate(all="ignore"):
        zs, acts = forward_rows(arch, Ws, bs, Xr)
        D = data_loss(arch.loss, zs[-1], acts[-1], Y)
    R = 0.5 * sum(float((W**2).sum()) for W in Ws)
    return D, R


# -- inference -------------------------------------------------------------------


def leaky_slope(name: str) -> float | None:
    """The negative slope of a leaky relu name (``"leaky_relu"`` or ``"leaky_relu(0.2)"``), else None."""
    if name == "leaky_relu":
        return LEAKY_SLOPE
    if name.startswith("leaky_relu(") and name.endswith(")"):
        return float(name[len("leaky_relu(") : -1])
    return None


def base_activation(name: str) -> str:
    return "leaky_relu" if leaky_slope(name) is not None else name


def act(name: str, z: np.ndarray) -> np.ndarray:
    """:func:`gradcheck.nn.activate`, also for leaky relus of any slope."""
    slope = leaky_slope(name)
    if slope is not None:
        return np.where(z > 0, z, slope * z)
    return activate(name, z)


def dact(name: str, z: np.ndarray, a: np.ndarray) -> np.ndarray:
    """:func:`gradcheck.nn.activation_derivative`, also for leaky relus of any slope."""
    slope = leaky_slope(name)
    if slope is not None:
        return np.where(z > 0, 1.0, slope)
    return activation_derivative(name, z, a)


def _layouts(layers, params, X) -> list[tuple[str, str]]:
    """(weight layout, example layout) pairs the shapes allow; matching layouts first."""
    X = np.asarray(X)
    out: list[tuple[str, str]] = []
    mixed: list[tuple[str, str]] = []
    for layout in LAYOUTS:
        shapes = [_matrix_shape(np.shape(params[w]), layout) for w, _ in layers]
        ins = [s[0] if layout == "rows" else s[1] for s in shapes]
        outs = [s[1] if layout == "rows" else s[0] for s in shapes]
        if any(o != i for o, i in zip(outs[:-1], ins[1:])):
            continue
        if X.ndim == 2:
            orientations = [xl for xl in (layout, "cols" if layout == "rows" else "rows")
                            if (X.shape[1] if xl == "rows" else X.shape[0]) == ins[0]]
        elif X.ndim == 1 and X.shape[0] == ins[0]:
            orientations = [layout]
        else:
            continue
        if not orientations:
            continue
        ok = True
        for (w, b), n in zip(layers, outs):
            if b is None:
                continue
            bs = tuple(np.shape(params[b]))
            if int(np.prod(bs)) != n:
                ok = False
        if ok:
            for xl in orientations:
                (out if xl == layout else mixed).append((layout, xl))
    return out + mixed


def _matrix_shape(shape: tuple[int, ...], layout: str) -> tuple[int, int]:
    if len(shape) == 1:
        return (shape[0], 1) if layout == "rows" else (1, shape[0])
    return shape  # type: ignore[return-value]


def _candidates(layers, hint: Mapping[str, Any], layouts: list[str], k: int):
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
        n_combo = len(HIDDEN) ** (L - 1)
        if n_combo <= MAX_COMBOS:
            hidden_sets = [list(c) for c in itertools.product(HIDDEN, repeat=L - 1)]
            # uniform hidden layers first
            hidden_sets.sort(key=lambda c: len(set(c)) > 1)
        else:
            hidden_sets = [[h] * (L - 1) for h in HIDDEN]
        hidden_sets += [[f"leaky_relu({s:g})"] * (L - 1) for s in OTHER_SLOPES]
    for layout, x_layout in layouts:
        for loss, out in outputs:
            for hidden in hidden_sets:
                yield Arch(layers=list(layers), layout=layout, activations=list(hidden) + [out], loss=loss,
                           x_layout="" if x_layout == layout else x_layout)


def infer_arch(
    params: Mapping[str, np.ndarray],
    loss: Callable[[], Any],
    data: Any,
    *,
    hint: Any = None,
    seed: int = 0,
    rtol: float | None = None,
) -> Arch | None:
    """The standard MLP whose loss equals ``loss()`` at the current and three nearby parameter points.

    The parameters are moved and restored bit for bit. Returns None when no standard
    net fits (or the data are missing). ``rtol``: how closely the losses must agree
    (default 1e-6, 1e-4 when a parameter is in a lower precision than float64).
    """
    if rtol is None:
        low = any(np.finfo(p.dtype).bits < 64 for p in params.values() if np.issubdtype(p.dtype, np.floating))
        rtol = 1e-4 if low else LOSS_RTOL
    hint = normalize_hint(hint)
    layers = hint.get("layers") or structure(params)
    if not layers or data is None:
        return None
    layers = [tuple(x) if isinstance(x, (list, tuple)) else (x, None) for x in layers]
    data = normalize_data(data)
    if data is None:
        return None
    X, y = data
    layouts = _layouts(layers, params, X)
    if hint.get("layout") in LAYOUTS:
        layouts = [lx for lx in layouts if lx[0] == hint["layout"]] or [(hint["layout"], hint["layout"])]
    if not layouts:
        return None
    first = layouts[0][0]
    k = int(_matrix_shape(np.shape(params[layers[-1][0]]), first)[1 if first == "rows" else 0])
    arrays = {n: params[n] for n in params}
    rng = np.random.default_rng(seed)
    points: list[dict[str, np.ndarray]] = [{n: p.copy() for n, p in arrays.items()}]
    for _ in range(3):
        points.append({n: p + rng.normal(0.0, 0.1, size=p.shape).astype(p.dtype) for n, p in arrays.items()})
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
    Lu = np.array(user)
    given_scale = hint.get("scale")
    if hint.get("reduction") == "sum":
        m = batch_size(data, params)
        given_scale = float(m) if m else None
    dropout, keep_prob = _dropout_hint(hint)
    for arch in _candidates(layers, hint, layouts, k):
        arch.dropout, arch.keep_prob = dropout, keep_prob
        try:
            terms = np.array([_terms(arch, pt, X, y) for pt in points])
        except Exception:  # noqa: BLE001 - this candidate cannot read the data
            continue
        if not np.all(np.isfinite(terms)):
            continue
        fit = _fit_loss(terms, Lu, hint.get("l2"), given_scale, rtol)
        if fit is None:
            continue
        arch.scale, arch.l2 = fit
        arch.given = bool(hint.get("activations")) and bool(hint.get("loss"))
        return arch
    if hint.get("activations") and hint.get("loss") and isinstance(hint.get("activations"), (list, tuple)):
        arch = Arch(layers=list(layers), layout=layouts[0][0], x_layout="" if layouts[0][1] == layouts[0][0] else layouts[0][1], activations=list(hint["activations"]), loss=hint["loss"],
                    scale=float(given_scale or 1.0), l2=float(hint.get("l2") or 0.0), given=True,
                    dropout=dropout, keep_prob=keep_prob)
        arch.notes.append("the loss does not equal the hinted architecture's loss; the hint was used as given")
        return arch
    return None


#: Names under which a layer check passes the layers' input as a parameter.
INPUT_NAMES = ("input", "x", "X", "inputs")
#: Output activations tried for a layer check (its scalar is linear in the output).
LAYER_OUTPUTS = ("identity", "sigmoid", "tanh", "relu", "leaky_relu", "softmax")
#: The most loss evaluations spent on recovering ``R`` of a layer check.
MAX_LAYER_EVALS = 4000


def input_name(params: Mapping[str, np.ndarray]) -> str | None:
    """The parameter that is the input of a layer check (``input``, ``x``, ``X``), when there is one
    beside other parameters; None otherwise.

    >>> input_name({"input": np.ones((4, 3)), "W": np.ones((3, 2)), "b": np.zeros(2)})
    'input'
    """
    for n in INPUT_NAMES:
        if n in params and len(params) > 1 and np.ndim(params[n]) in (1, 2):
            return n
    return None


def infer_layer_arch(
    params: Mapping[str, np.ndarray],
    loss: Callable[[], Any],
    *,
    hint: Any = None,
    seed: int = 0,
    rtol: float | None = None,
) -> Arch | None:
    """A layer check (the input checked like a parameter, the scalar ``sum(output * R)`` for an
    unknown fixed ``R``): the stack of dense layers and activations behind it, with ``R`` recovered.

    Each example's output depends on its own input row only, so moving one row at a time and
    reading the loss gives ``R`` row by row by least squares, for every candidate stack; the stack
    whose outputs explain every reading is returned (``loss = "linear"``, ``targets = R``).
    The parameters are restored bit for bit. Returns None when no stack fits.

    >>> from gradcheck.nn import MLP
    >>> net = MLP([3, 4], activations=["tanh"], loss="mse", layout="rows")
    >>> x = np.random.default_rng(0).normal(size=(5, 3)); R = np.ones((5, 4))
    >>> params = {"input": x, **net.params}
    >>> arch = infer_layer_arch(params, lambda: float((np.tanh(x @ net.params["W1"] + net.params["b1"]) * R).sum()))
    >>> arch.activations, arch.loss
    (['tanh'], 'linear')
    """
    name = input_name(params)
    if name is None:
        return None
    hint = normalize_hint(hint)
    x = params[name]
    if not np.issubdtype(x.dtype, np.floating):
        return None
    rest = {n: p for n, p in params.items() if n != name}
    layers = hint.get("layers") or structure(rest)
    if not layers:
        return None
    layers = [tuple(v) if isinstance(v, (list, tuple)) else (v, None) for v in layers]
    if rtol is None:
        low = any(np.finfo(p.dtype).bits < 64 for p in params.values() if np.issubdtype(p.dtype, np.floating))
        rtol = 1e-4 if low else 1e-7
    layouts = _layouts(layers, rest, x)
    if not layouts:
        return None
    first = layouts[0][0]
    k = int(_matrix_shape(np.shape(rest[layers[-1][0]]), first)[1 if first == "rows" else 0])
    probe = Arch(layers=list(layers), layout=layouts[0][0], x_layout="" if layouts[0][1] == first else layouts[0][1],
                 activations=[], loss="linear")
    X0 = probe.x_rows(x).copy()
    m, n_in = X0.shape
    P = k + 2
    if m * P > MAX_LAYER_EVALS:
        return None
    rng = np.random.default_rng(seed)
    scale = max(float(np.std(X0)), 1e-3)
    U = rng.normal(0.0, scale, size=(m, P, n_in))
    readings = np.empty((m, P))
    # a few points where every array moves: they pin R on rows whose output does not move with
    # their input (a dead relu row), and check the whole scalar, not only its differences
    G = 2 * k + 4
    spots = [{n: p.copy() for n, p in params.items()}]
    for _ in range(G - 1):
        spots.append({n: p + rng.normal(0.0, 0.1, size=p.shape).astype(p.dtype) for n, p in params.items()})
    totals = np.empty(G)
    with protected(params):
        try:
            L0 = float(np.asarray(loss(), dtype=np.float64).reshape(()))
            for i in range(m):
                for j in range(P):
                    Xp = X0.copy()
                    Xp[i] += U[i, j]
                    np.copyto(x, (Xp.T if probe.examples == "cols" else Xp).reshape(x.shape).astype(x.dtype))
                    readings[i, j] = float(np.asarray(loss(), dtype=np.float64).reshape(()))
            for g, spot in enumerate(spots):
                for n, p in params.items():
                    np.copyto(p, spot[n])
                totals[g] = float(np.asarray(loss(), dtype=np.float64).reshape(()))
        except Exception:  # noqa: BLE001 - the layer fails at a moved input
            return None
    if not (np.isfinite(L0) and np.all(np.isfinite(readings)) and np.all(np.isfinite(totals))):
        return None
    D = readings - L0
    moved = (X0[:, None, :] + U).reshape(m * P, n_in)
    for arch in _layer_candidates(layers, hint, layouts):
        arch.input = name
        Ws, bs = arch.weights(rest), arch.biases(rest)
        with np.errstate(all="ignore"):
            try:
                base = forward_rows(arch, Ws, bs, arch.x_rows(x))[1][-1]
                out = forward_rows(arch, Ws, bs, moved)[1][-1].reshape(m, P, -1)
                at = [forward_rows(arch, arch.weights(sp), arch.biases(sp), arch.x_rows(sp[name]))[1][-1]
                      for sp in spots]
            except Exception:  # noqa: BLE001 - shapes this candidate cannot take
                continue
        if not (np.all(np.isfinite(base)) and np.all(np.isfinite(out)) and all(np.all(np.isfinite(a)) for a in at)):
            continue
        R = _fit_targets(out - base[:, None, :], D, at, totals, rtol)
        if R is None:
            continue
        arch.targets = R
        arch.given = bool(hint.get("activations"))
        return arch
    return None


def _fit_targets(A: np.ndarray, D: np.ndarray, at: list[np.ndarray], totals: np.ndarray, rtol: float) -> np.ndarray | None:
    """``R`` (m, k) with ``A[i] @ R[i] = D[i]`` per row and ``sum(at[g] * R) = totals[g]``; None if none fits."""
    m, _, k = A.shape
    R = np.empty((m, k))
    null: list[tuple[int, np.ndarray]] = []
    for i in range(m):
        u, sv, vt = np.linalg.svd(A[i], full_matrices=True)
        tol = max(sv.max(initial=0.0), 1e-300) * 1e-9
        rank = int((sv > tol).sum())
        R[i] = vt[:rank].T @ ((u[:, :rank].T @ D[i]) / sv[:rank]) if rank else 0.0
        null.extend((i, v) for v in vt[rank:])
    err = np.einsum("ijk,ik->ij", A, R) - D
    if np.linalg.norm(err) > rtol * max(np.linalg.norm(D), 1e-300):
        return None
    F = np.stack([a.reshape(m, k) for a in at])
    rest = totals - np.einsum("gik,ik->g", F, R)
    if null:
        if len(null) >= len(totals):
            return None
        B = np.stack([F[:, i, :] @ v for i, v in null], axis=1)
        c = np.linalg.lstsq(B, rest, rcond=None)[0]
        for (i, v), ci in zip(null, c):
            R[i] += ci * v
        rest = totals - np.einsum("gik,ik->g", F, R)
    scale = max(float(np.abs(totals).max()), float(np.abs(np.einsum("gik,ik->gik", F, R)).sum(axis=(1, 2)).max()), 1e-300)
    if np.abs(rest).max() > max(10 * rtol, 1e-9) * scale:
        return None
    return R


def _layer_candidates(layers, hint: Mapping[str, Any], layouts: list[tuple[str, str]]):
    L = len(layers)
    acts_hint = hint.get("activations")
    if isinstance(acts_hint, (list, tuple)) and len(acts_hint) == L:
        stacks = [list(acts_hint)]
    else:
        hidden = ([[acts_hint] * (L - 1)] if isinstance(acts_hint, str) else
                  [list(c) for c in itertools.product(HIDDEN, repeat=L - 1)] if len(HIDDEN) ** (L - 1) <= MAX_COMBOS
                  else [[h] * (L - 1) for h in HIDDEN])
        hidden.sort(key=lambda c: len(set(c)) > 1)
        stacks = [h + [o] for h in hidden for o in LAYER_OUTPUTS]
    for layout, x_layout in layouts:
        for acts in stacks:
            yield Arch(layers=list(layers), layout=layout, activations=list(acts), loss="linear",
                       x_layout="" if x_layout == layout else x_layout)


def _dropout_hint(hint: Mapping[str, Any]) -> tuple[dict[int, np.ndarray], float]:
    raw = hint.get("dropout")
    if not raw:
        return {}, 1.0
    if isinstance(raw, Mapping):
        masks = {int(k): np.asarray(v) for k, v in raw.items()}
    else:
        masks = {i: np.asarray(v) for i, v in enumerate(raw, start=1) if v is not None}
    return masks, float(hint.get("keep_prob", 1.0))


_LOSS_ALIASES = {
    "bce": "bce", "binary_cross_entropy": "bce", "binary_crossentropy": "bce", "log_loss": "bce",
    "logloss": "bce", "cross_entropy_binary": "bce",
    "mse": "mse", "mean_squared_error": "mse", "quadratic": "mse", "l2": "mse", "squared_error": "mse",
    "softmax_ce": "softmax_ce", "ce": "softmax_ce", "cross_entropy": "softmax_ce",
    "categorical_cross_entropy": "softmax_ce", "categorical_crossentropy": "softmax_ce",
    "softmax_cross_entropy": "softmax_ce", "nll": "softmax_ce",
}
_ACT_ALIASES = {"linear": "identity", "none": "identity", "logistic": "sigmoid", "leaky": "leaky_relu",
                "leakyrelu": "leaky_relu", "lrelu": "leaky_relu"}


def normalize_hint(hint: Any) -> dict[str, Any]:
    """The hint as a dict with canonical names (``"ReLU"`` -> ``"relu"``, ``"cross_entropy"`` -> ``"softmax_ce"``).

    >>> normalize_hint({"activations": ["ReLU", "Sigmoid"], "loss": "binary_cross_entropy", "layout": "Cols"})
    {'activations': ['relu', 'sigmoid'], 'loss': 'bce', 'layout': 'cols'}
    """
    if not isinstance(hint, Mapping):
        return {}
    out = dict(hint)

    def one(name: Any) -> Any:
        if not isinstance(name, str):
            return name
        key = name.strip().lower().replace("-", "_").replace(" ", "_")
        return _ACT_ALIASES.get(key, key)

    acts = out.get("activations")
    if isinstance(acts, str):
        out["activations"] = one(acts)
    elif isinstance(acts, (list, tuple)):
        out["activations"] = [one(a) for a in acts]
    loss = out.get("loss")
    if isinstance(loss, str):
        key = loss.strip().lower().replace("-", "_").replace(" ", "_")
        out["loss"] = _LOSS_ALIASES.get(key, key)
    layout = out.get("layout")
    if isinstance(layout, str):
        key = layout.strip().lower()
        out["layout"] = {"row": "rows", "columns": "cols", "col": "cols", "column": "cols"}.get(key, key)
    return out


def _fit_loss(terms: np.ndarray, Lu: np.ndarray, l2: Any, scale: Any, rtol: float) -> tuple[float, float] | None:
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
