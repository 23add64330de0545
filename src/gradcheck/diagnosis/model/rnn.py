"""The one model of a vanilla recurrent net, and its recognition behind a user's arrays and loss.

``h_t = f(Wx x_t + Wh h_(t-1) + bh)`` (f: tanh, relu or sigmoid), ``out_t = Wy h_t + by`` over a
sequence ``x_1 .. x_T`` (real vectors, or integer tokens read as one-hot vectors), or a batch of
them ((N, T, D) or (T, N, D)), from a starting state ``h_0``; the loss is a squared error (``0.5 * ||out_t - y_t||^2``) or a softmax cross-entropy, on every step or on
the last one only, times a fitted constant (a sum or a mean over the steps, 0.5 or not).

:func:`infer_rnn` finds which parameter is which (the square matrix is ``Wh``; ``Wx`` and ``Wy``
meet it in the hidden width; the vectors of that width and of the output's are the biases), the
layout of the matrices (``Wx`` as (hidden, input) or (input, hidden)), how the data hold the
sequence, the loss and ``h_0`` (zeros, or a state the loss reads), and takes a candidate only when
its loss equals the user's at the current and three nearby parameter points.

:func:`backward` is backpropagation through time with the two steps people get wrong as options:
``carry=False`` leaves the gradient carried from step t + 1 out of ``dh_t`` (truncated to one
step); ``own_state=True`` forms ``dWh`` with the step's own output ``h_t`` instead of ``h_(t-1)``.

Example:
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> p = {"Wx": rng.normal(size=(3, 2)), "Wh": rng.normal(size=(3, 3)), "bh": np.zeros(3),
    ...      "Wy": rng.normal(size=(1, 3)), "by": np.zeros(1)}
    >>> xs, ys = rng.normal(size=(5, 2)), rng.normal(size=(5, 1))
    >>> def loss():
    ...     h, total = np.zeros(3), 0.0
    ...     for x, y in zip(xs, ys):
    ...         h = np.tanh(p["Wx"] @ x + p["Wh"] @ h + p["bh"])
    ...         total += 0.5 * float(np.sum((p["Wy"] @ h + p["by"] - y) ** 2))
    ...     return total
    >>> net = infer_rnn(p, loss, (xs, ys))
    >>> net.names, net.layout, net.head, net.scored
    (['Wx', 'Wh', 'bh', 'Wy', 'by'], 'cols', 'mse', 'all')
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from .data import normalize_data
from .infer import loss_rtol, losses_at, nearby_points

__all__ = ["RNN", "backward", "infer_rnn", "roles"]

HEADS = ("mse", "softmax_ce")
#: The hidden activations tried (tanh first: the vanilla RNN), and their derivatives as functions of
#: the state ``h`` they produce.
ACTIVATIONS = ("tanh", "relu", "sigmoid")
_DERIVATIVES = {"tanh": lambda h: 1.0 - h * h, "relu": lambda h: (h > 0).astype(np.float64),
                "sigmoid": lambda h: h * (1.0 - h)}
SCORED = ("all", "last")
#: The most (roles, layout, reading, loss, state, activation) candidates compared with the user's
#: loss: each costs four forward passes of a small sequence; a vanilla RNN has a few dozen.
MAX_CANDIDATES = 1000


@dataclass(frozen=True)
class RNN:
    """A vanilla RNN read off the user's arrays: the parameter of each role (``bh``, ``by`` may be
    None), ``layout`` ``"cols"`` (``W @ v``, W as (n_out, n_in)) or ``"rows"`` (``v @ W``),
    the loss ``head`` and the steps it scores, ``scale`` times the data term, the start ``h0``."""

    wx: str
    wh: str
    bh: str | None
    wy: str
    by: str | None
    layout: str
    head: str = "mse"
    scored: str = "all"
    scale: float = 1.0
    h0: np.ndarray | None = None
    h0_name: str = ""
    #: how the data hold the sequences: one (``"single"``), or a batch (``"batch_first"``, ``"time_first"``)
    order: str = "single"
    #: the hidden state's activation (one of :data:`ACTIVATIONS`)
    activation: str = "tanh"

    def derivative_text(self) -> str:
        """The activation's derivative at the state ``h`` it gave, as Python."""
        return {"tanh": "(1 - h ** 2)", "relu": "(h > 0)", "sigmoid": "h * (1 - h)"}[self.activation]

    @property
    def names(self) -> list[str]:
        """The parameters in the order of the forward pass."""
        return [n for n in (self.wx, self.wh, self.bh, self.wy, self.by) if n is not None]

    def matrices(self, params: Mapping[str, Any]) -> tuple[np.ndarray, ...]:
        """``Wx`` (H, D), ``Wh`` (H, H), ``bh`` (H,), ``Wy`` (O, H), ``by`` (O,) in the ``W @ v`` form."""
        def mat(n: str) -> np.ndarray:
            W = np.asarray(params[n], dtype=np.float64)
            return W if self.layout == "cols" else W.T
        Wx, Wh, Wy = mat(self.wx), mat(self.wh), mat(self.wy)
        bh = np.zeros(Wh.shape[0]) if self.bh is None else np.asarray(params[self.bh], dtype=np.float64).reshape(-1)
        by = np.zeros(Wy.shape[0]) if self.by is None else np.asarray(params[self.by], dtype=np.float64).reshape(-1)
        return Wx, Wh, bh, Wy, by

    def describe(self) -> str:
        wx, wh, bh = self.wx, self.wh, self.bh or "0"
        f = self.activation
        step = (f"h_t = {f}({wx} @ x_t + {wh} @ h_(t-1) + {bh})" if self.layout == "cols"
                else f"h_t = {f}(x_t @ {wx} + h_(t-1) @ {wh} + {bh})")
        loss = "squared error" if self.head == "mse" else "softmax cross-entropy"
        where = "on every step" if self.scored == "all" else "on the last step"
        start = f"h_0 = {self.h0_name}" if self.h0_name else "h_0 = 0"
        scale = f", x{self.scale:g}" if self.scale != 1.0 else ""
        if self.order != "single":
            scale += f"; a batch of sequences, {'one per row' if self.order == 'batch_first' else 'time first'}"
        return (f"a vanilla RNN ({step}, {start}; {loss} {where}{scale}), inferred from the parameter shapes, "
                f"the data and the loss")


def _outputs(net: RNN, params: Mapping[str, Any], xs: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """The states ``hs`` (``hs[0] = h_0``) and outputs of the sequences ``xs`` (T, B, D), each (B, H) / (B, O)."""
    Wx, Wh, bh, Wy, by = net.matrices(params)
    H, B = Wh.shape[0], xs.shape[1]
    h0 = np.zeros((B, H)) if net.h0 is None else np.broadcast_to(np.asarray(net.h0, np.float64).reshape(-1, H), (B, H))
    hs, outs = [h0], []
    for x in xs:
        hs.append(_activate(net.activation, x @ Wx.T + hs[-1] @ Wh.T + bh))
        outs.append(hs[-1] @ Wy.T + by)
    return hs, outs


def _activate(name: str, z: np.ndarray) -> np.ndarray:
    if name == "relu":
        return np.maximum(z, 0.0)
    if name == "sigmoid":
        return 0.5 * (1.0 + np.tanh(0.5 * z))  # no overflow for large |z|
    return np.tanh(z)


def _steps(net: RNN, T: int) -> range:
    return range(T) if net.scored == "all" else range(T - 1, T)


def _log_softmax(s: np.ndarray) -> np.ndarray:
    s = s - s.max(axis=-1, keepdims=True)
    return s - np.log(np.exp(s).sum(axis=-1, keepdims=True))


def data_term(net: RNN, params: Mapping[str, Any], xs: np.ndarray, Y: np.ndarray) -> float:
    """The loss before ``scale``: summed over the scored steps and the sequences."""
    _, outs = _outputs(net, params, xs)
    total = 0.0
    for t in _steps(net, len(xs)):
        if net.head == "mse":
            total += 0.5 * float(np.sum((outs[t] - Y[t]) ** 2))
        else:
            total -= float(np.sum(Y[t] * _log_softmax(outs[t])))
    return total


def backward(net: RNN, params: Mapping[str, Any], xs: np.ndarray, Y: np.ndarray, *, carry: bool = True,
             own_state: bool = False, transposed: bool = True) -> dict[str, np.ndarray]:
    """The gradient of every parameter in the user's shapes, by backpropagation through time.

    ``carry=False``: ``dh_t`` without the gradient from step t + 1; ``own_state=True``: ``dWh`` formed
    with ``h_t`` instead of ``h_(t-1)``; ``transposed=False``: that gradient carried through ``Wh``
    instead of ``Wh.T``.
    """
    Wx, Wh, bh, Wy, by = net.matrices(params)
    hs, outs = _outputs(net, params, xs)
    g = [np.zeros_like(a) for a in (Wx, Wh, bh, Wy, by)]
    dh_next = np.zeros_like(hs[0])
    scored = set(_steps(net, len(xs)))
    for t in reversed(range(len(xs))):
        dy = np.zeros_like(outs[t])
        if t in scored and net.head == "mse":
            dy = net.scale * (outs[t] - Y[t])
        elif t in scored:
            dy = net.scale * (np.exp(_log_softmax(outs[t])) * Y[t].sum(axis=-1, keepdims=True) - Y[t])
        g[3] += dy.T @ hs[t + 1]
        g[4] += dy.sum(axis=0)
        dh = dy @ Wy + (dh_next if carry else 0.0)
        dz = dh * _DERIVATIVES[net.activation](hs[t + 1])
        g[0] += dz.T @ xs[t]
        g[1] += dz.T @ (hs[t + 1] if own_state else hs[t])
        g[2] += dz.sum(axis=0)
        dh_next = dz @ Wh if transposed else dz @ Wh.T
    out: dict[str, np.ndarray] = {}
    for name, grad in zip((net.wx, net.wh, net.bh, net.wy, net.by), g):
        if name is None:
            continue
        if grad.ndim == 2 and net.layout == "rows":
            grad = grad.T
        out[name] = grad.reshape(np.shape(params[name]))
    return out


# -- recognition -----------------------------------------------------------------------------


def _is_matrix(a: Any) -> bool:
    return np.ndim(a) == 2 and min(np.shape(a)) > 1


def roles(params: Mapping[str, Any]) -> Iterator[RNN]:
    """Every reading of ``params`` as a vanilla RNN that the shapes allow, in parameter order.

    >>> p = {"Wxh": np.ones((3, 4)), "Whh": np.ones((3, 3)), "Why": np.ones((4, 3)),
    ...      "bh": np.ones((3, 1)), "by": np.ones((4, 1))}
    >>> [(r.wx, r.wh, r.wy, r.bh, r.by, r.layout) for r in roles(p)][:1]
    [('Wxh', 'Whh', 'Why', 'bh', 'by', 'cols')]
    """
    names = list(params)
    if not 3 <= len(names) <= 5:
        return
    shape = {n: tuple(np.shape(params[n])) for n in names}
    for wh in (n for n in names if _is_matrix(params[n]) and shape[n][0] == shape[n][1]):
        H = shape[wh][0]
        for layout in ("cols", "rows"):
            hid, other = (0, 1) if layout == "cols" else (1, 0)
            rest = [n for n in names if n != wh]
            for wx in (n for n in rest if np.ndim(params[n]) == 2 and shape[n][hid] == H):
                for wy in (n for n in rest if n != wx and np.ndim(params[n]) == 2 and shape[n][other] == H):
                    O = shape[wy][hid]
                    yield from _with_biases(names, params, wx, wh, wy, layout, H, O)


def _with_biases(names: list[str], params: Mapping[str, Any], wx: str, wh: str, wy: str, layout: str, H: int,
                 O: int) -> Iterator[RNN]:
    left = [n for n in names if n not in (wx, wh, wy)]
    if any(np.ndim(params[n]) > 2 or (np.ndim(params[n]) == 2 and 1 not in np.shape(params[n])) for n in left):
        return
    for bh in [n for n in left if np.size(params[n]) == H] + ([None] if len(left) < 2 else []):
        rest = [n for n in left if n != bh]
        for by in [n for n in rest if np.size(params[n]) == O] + ([None] if not rest else []):
            if len(rest) - (by is not None) == 0:
                yield RNN(wx, wh, bh, wy, by, layout)


#: How a batch of sequences is held: one sequence, sequences first (N, T, ...), time first (T, N, ...).
ORDERS = ("single", "batch_first", "time_first")


def _one_hot(A: np.ndarray, D: int) -> np.ndarray | None:
    if not np.issubdtype(A.dtype, np.integer) or D < 2 or A.min() < 0 or A.max() >= D:
        return None
    return np.eye(D)[A]


def sequences(X: Any, D: int) -> list[tuple[np.ndarray, str]]:
    """The ways ``X`` holds sequences of ``D``-vectors, each as (T, B, D) with its order: one sequence
    as rows, columns or tokens; a batch (N, T, D) or (T, N, D), or of tokens (N, T) or (T, N).

    >>> [(s.shape, order) for s, order in sequences(np.array([0, 2, 1]), 3)]
    [((3, 1, 3), 'single')]
    """
    A = np.asarray(X)
    if A.dtype == object or A.size == 0 or not np.issubdtype(A.dtype, np.number):
        return []
    if A.ndim == 3 and A.shape[2] == 1 and A.shape[1] == D:
        A = A.reshape(A.shape[0], D)  # one sequence of column vectors
    out: list[tuple[np.ndarray, str]] = []
    hot = _one_hot(A, D) if A.ndim in (1, 2) else None
    if hot is not None and A.ndim == 1:
        out.append((hot[:, None, :], "single"))
    elif hot is not None:
        out += [(hot.transpose(1, 0, 2), "batch_first"), (hot, "time_first")]
    elif A.ndim == 2 and A.shape[1] == D:
        out.append((A.astype(np.float64)[:, None, :], "single"))
    elif A.ndim == 2 and A.shape[0] == D:
        out.append((A.T.astype(np.float64)[:, None, :], "single"))
    elif A.ndim == 1 and D == 1:
        out.append((A.astype(np.float64).reshape(-1, 1, 1), "single"))
    elif A.ndim == 3 and A.shape[2] == D:
        A = A.astype(np.float64)
        out += [(A.transpose(1, 0, 2), "batch_first"), (A, "time_first")]
    return out


def _as_steps(A: np.ndarray, T: int, B: int, k: int, order: str) -> np.ndarray:
    """``A`` of T * B * k values as (T, B, k), read in ``order``."""
    if order == "batch_first":
        return A.reshape(B, T, k).transpose(1, 0, 2)
    if order == "single" and A.ndim == 2 and A.shape == (k, T) and A.shape != (T, k):
        return A.T.reshape(T, 1, k)
    return A.reshape(T, B, k)


def targets(y: Any, T: int, B: int, O: int, order: str, head: str, scored: str) -> np.ndarray | None:
    """The targets as (T, B, O) (one-hot for class labels); for a last-step loss one target per
    sequence fills the last step. None when ``y`` cannot be read so."""
    A = np.asarray(y)
    if A.dtype == object or A.size == 0 or not np.issubdtype(A.dtype, np.number):
        return None
    if A.ndim == 3 and A.shape[-1] == 1 and order == "single":
        A = A.reshape(A.shape[0], -1)
    last = scored == "last" and T > 1
    if head == "softmax_ce" and np.issubdtype(A.dtype, np.integer) and O > 1:
        hot = _one_hot(A, O)
        if hot is None or A.size not in (T * B, B):
            return None
        if A.size == T * B:
            return _as_steps(hot.reshape(-1, O) if order != "single" else hot, T, B, O, order)
        Y = np.zeros((T, B, O))
        Y[-1] = hot.reshape(B, O)
        return Y if last else None
    A = A.astype(np.float64)
    if A.size == T * B * O:
        return _as_steps(A, T, B, O, order)
    if last and A.size == B * O:
        Y = np.zeros((T, B, O))
        Y[-1] = A.reshape(B, O)
        return Y
    return None


def _readings(net: RNN, params: Mapping[str, Any], X: Any, y: Any) -> Iterator[tuple[RNN, np.ndarray, np.ndarray]]:
    Wx, _, _, Wy, _ = net.matrices(params)
    for xs, order in sequences(X, Wx.shape[1]):
        for head in HEADS:
            for scored in SCORED:
                Y = targets(y, xs.shape[0], xs.shape[1], Wy.shape[0], order, head, scored)
                if Y is not None and (head == "mse" or np.all((Y == 0) | (Y == 1))):
                    for act in ACTIVATIONS:
                        yield replace(net, head=head, scored=scored, order=order, activation=act), xs, Y


def _starts(net: RNN, params: Mapping[str, Any], states: Sequence[tuple[str, np.ndarray]]) -> list[tuple[str, Any]]:
    H = np.shape(params[net.wh])[0]
    return [("", None)] + [(n, s) for n, s in states if np.size(s) == H and np.any(s)]


def batch(net: RNN, params: Mapping[str, Any], data: Any) -> tuple[np.ndarray, np.ndarray] | None:
    """The sequence (T, D) and the targets (T, O) of ``data`` as ``net`` reads them, or None."""
    found = _raw(data)
    if found is None:
        return None
    for cand, xs, Y in _readings(net, params, *found):
        if (cand.head, cand.scored, cand.order, cand.activation) == (net.head, net.scored, net.order, net.activation):
            return xs, Y
    return None


def _raw(data: Any) -> tuple[Any, Any] | None:
    if isinstance(data, tuple) and len(data) == 2 and not isinstance(data[0], tuple):
        X, y = data
        if isinstance(X, list) and X and np.ndim(X[0]) == 0:
            X = np.asarray(X)
        if isinstance(y, list) and y and np.ndim(y[0]) == 0:
            y = np.asarray(y)
        if isinstance(X, np.ndarray) and isinstance(y, np.ndarray):
            return X, y
    return normalize_data(data)


def infer_rnn(params: Mapping[str, Any], loss: Callable[[], Any], data: Any, *,
              states: Sequence[tuple[str, np.ndarray]] = (), seed: int = 0) -> RNN | None:
    """The vanilla RNN whose loss is the user's at the current and three nearby parameter points, or None.

    ``states``: ``(name, array)`` the loss reads that may be its starting state ``h_0`` (zeros are tried
    first). The parameters are moved and restored bit for bit.
    """
    found = _raw(data)
    if found is None:
        return None
    cands = []
    for net in roles(params):
        for start, h0 in _starts(net, params, states):
            for cand, xs, Y in _readings(replace(net, h0=h0, h0_name=start), params, *found):
                cands.append((cand, xs, Y))
                if len(cands) >= MAX_CANDIDATES:
                    break
    if not cands:
        return None
    points = nearby_points(params, seed)
    Lu = losses_at(params, loss, points)
    if Lu is None:
        return None
    rtol = loss_rtol(params)
    for cand, xs, Y in cands:
        with np.errstate(all="ignore"):
            D = np.array([data_term(cand, pt, xs, Y) for pt in points])
        if not np.all(np.isfinite(D)) or not np.any(D):
            continue
        s = float(D @ Lu / (D @ D))
        if s > 0 and np.max(np.abs(s * D - Lu)) <= rtol * max(float(np.max(np.abs(Lu))), 1e-12):
            s_round = round(s)
            return replace(cand, scale=float(s_round) if s_round and abs(s - s_round) < 1e-9 * s else s)
    return None
