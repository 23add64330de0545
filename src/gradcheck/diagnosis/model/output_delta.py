"""The gradient of the loss by the net's outputs, example by example, read off the gradients.

A dense last layer ``Z = H @ W + b`` (rows form) has ``dL/dW = H.T @ D`` and ``dL/db = D.sum(axis=0)``
with ``D = dL/dZ``, one row per example. When ``[H, 1]`` has full row rank (in general: no more
examples than the layer has inputs, plus one for the bias), ``D`` is the only solution: the numerical
gradient then gives the loss's true ``D`` and the user's gradient the ``D`` their backward pass
used, so a mistake confined to the loss shows there, output by output.

``H`` is the data for a net of one dense layer, and the forward pass of the recognized dense net
(or of the first uniform hidden activation whose backward pass carries the numerical ``D`` into the
numerical gradients of the lower layers) otherwise. The user's lower layers must equally be the
backward pass of their ``D``: the mistake is then in the loss's derivative alone.

Example:
    >>> import numpy as np
    >>> X, D = np.array([[1.0, 2.0], [0.5, -1.0]]), np.array([[0.3], [-0.2]])
    >>> np.round(solve_deltas(X, X.T @ D, D.sum(axis=0)), 6).ravel().tolist()
    [0.3, -0.2]
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from ...layers import structure
from ..thresholds import DELTA_RTOL, MAX_DELTA_CONDITION
from .arch import Arch, layouts
from .data import normalize_data
from .dense import activation_derivative, forward
from .infer import HIDDEN

__all__ = ["OutputDeltas", "OutputMap", "output_deltas", "output_maps", "solve_deltas"]


@dataclass
class OutputDeltas:
    """``numeric`` and ``user``: dL/dZ of the last layer's pre-activations ``z`` (all (m, k), rows
    form); ``y`` the targets as given; ``last`` the names of the last layer's parameters."""

    numeric: np.ndarray
    user: np.ndarray
    z: np.ndarray
    y: np.ndarray
    last: tuple[str, str | None]

    @property
    def m(self) -> int:
        return int(self.z.shape[0])


@dataclass
class OutputMap:
    """The net's outputs ``z`` (rows form) and the map from an output delta to the gradients it gives
    (:meth:`pullback`, all parameters flattened in one vector), with the numerical and the user's
    gradients flattened the same way: for nets whose deltas cannot be solved for, a model of the
    deltas can still be tested against the gradients."""

    z: np.ndarray
    y: np.ndarray
    last: tuple[str, str | None]
    numeric: np.ndarray
    user: np.ndarray
    arch: Arch
    net: Any
    zs: list[np.ndarray]
    acts: list[np.ndarray]

    @property
    def m(self) -> int:
        return int(self.z.shape[0])

    def pullback(self, D: np.ndarray) -> np.ndarray:
        """The gradients of every parameter, flattened, when dL/dz = ``D``."""
        grads = _pullback(self.arch, self.net, self.zs, self.acts, D)
        return np.concatenate([grads[n].ravel() for n in _names(self.arch)])


def solve_deltas(H: np.ndarray, gW: np.ndarray, gb: np.ndarray | None) -> np.ndarray | None:
    """The ``D`` with ``H.T @ D = gW`` (and ``D.sum(axis=0) = gb``), when it is unique and exact; else None."""
    A = H.T if gb is None else np.vstack([H.T, np.ones((1, H.shape[0]))])
    rhs = gW if gb is None else np.vstack([gW, gb.reshape(1, -1)])
    if A.shape[0] < A.shape[1] or not np.all(np.isfinite(A)):
        return None
    s = np.linalg.svd(A, compute_uv=False)
    if s[-1] <= 0 or s[0] / s[-1] > MAX_DELTA_CONDITION:
        return None  # examples the gradients cannot tell apart (or finite-difference noise amplified)
    D, *_ = np.linalg.lstsq(A, rhs, rcond=None)
    scale = max(float(np.abs(rhs).max(initial=0.0)), 1e-300)
    if float(np.abs(A @ D - rhs).max(initial=0.0)) > DELTA_RTOL * scale:
        return None  # not the gradient of a function of the last layer's outputs
    return D


def output_deltas(params: Mapping[str, np.ndarray], data: Any, numeric: Mapping[str, np.ndarray],
                  user: Mapping[str, np.ndarray | None], arch: Arch | None = None) -> OutputDeltas | None:
    """The output deltas of the numerical and the user's gradients, or None when they cannot be read."""
    xy = normalize_data(data)
    if xy is None:
        return None
    X, y = xy
    archs = [arch] if arch is not None and not arch.dropout and arch.input is None else _candidates(params, X)
    for a in archs:
        got = _read(a, params, X, numeric, user)
        if got is not None:
            D_num, D_user, z = got
            return OutputDeltas(D_num, D_user, z, np.asarray(y), a.layers[-1])
    return None


def output_maps(params: Mapping[str, np.ndarray], data: Any, numeric: Mapping[str, np.ndarray],
                user: Mapping[str, np.ndarray | None], arch: Arch | None = None) -> list[OutputMap]:
    """One :class:`OutputMap` per candidate net (the recognized one, else the layouts and hidden
    activations the shapes allow)."""
    xy = normalize_data(data)
    if xy is None:
        return []
    X, y = xy
    archs = [arch] if arch is not None and not arch.dropout and arch.input is None else _candidates(params, X)
    out = []
    for a in archs:
        names = _names(a)
        if any(numeric.get(n) is None or user.get(n) is None for n in names):
            return []
        try:
            net = replace(a, activations=[*a.activations[:-1], "identity"]).net(params)
            zs, acts = forward(net, a.x_rows(X))
            num = np.concatenate([a.to_rows(n, np.asarray(numeric[n], dtype=np.float64)).ravel() for n in names])
            usr = np.concatenate([a.to_rows(n, np.asarray(user[n], dtype=np.float64)).ravel() for n in names])
        except (ValueError, IndexError):
            continue
        if num.size != sum(np.size(params[n]) for n in names):
            continue
        out.append(OutputMap(zs[-1], np.asarray(y), a.layers[-1], num, usr, a, net, zs, acts))
    return out


def _names(arch: Arch) -> list[str]:
    return [n for layer in arch.layers for n in layer if n is not None]


def _candidates(params: Mapping[str, np.ndarray], X: np.ndarray) -> list[Arch]:
    layers = structure(params)
    if not layers:
        return []
    out = []
    for layout, x_layout in layouts(layers, params, X)[:2]:
        for act in HIDDEN[: 1 if len(layers) == 1 else len(HIDDEN)]:
            acts = [act] * (len(layers) - 1) + ["identity"]
            out.append(Arch(layers=list(layers), layout=layout, activations=acts, loss="mse",
                            x_layout="" if x_layout == layout else x_layout))
    return out


def _read(arch: Arch, params: Mapping[str, np.ndarray], X: np.ndarray, numeric: Mapping[str, np.ndarray],
          user: Mapping[str, np.ndarray | None]) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    names = [n for layer in arch.layers for n in layer if n is not None]
    if any(numeric.get(n) is None or user.get(n) is None for n in names):
        return None
    try:
        net = replace(arch, activations=[*arch.activations[:-1], "identity"]).net(params)
        zs, acts = forward(net, arch.x_rows(X))
    except (ValueError, IndexError):
        return None
    num = {n: arch.to_rows(n, np.asarray(numeric[n], dtype=np.float64)) for n in names}
    usr = {n: arch.to_rows(n, np.asarray(user[n], dtype=np.float64)) for n in names}
    w, b = arch.layers[-1]
    H = acts[-2]
    if num[w].shape != (H.shape[1], zs[-1].shape[1]):
        return None
    D_num = solve_deltas(H, num[w], None if b is None else num[b])
    D_usr = solve_deltas(H, usr[w], None if b is None else usr[b])
    if D_num is None or D_usr is None:
        return None
    if not (_carried(arch, net, zs, acts, D_num, num) and _carried(arch, net, zs, acts, D_usr, usr)):
        return None
    return D_num, D_usr, zs[-1]


def _pullback(arch: Arch, net: Any, zs: list[np.ndarray], acts: list[np.ndarray], D: np.ndarray) -> dict[str, np.ndarray]:
    """The backward pass of the output delta ``D`` through the net: every parameter's gradient, rows form."""
    out: dict[str, np.ndarray] = {}
    dz = D
    for l in range(len(arch.layers), 0, -1):
        if l < len(arch.layers):
            dz = (dz @ net.Ws[l].T) * activation_derivative(arch.activations[l - 1], zs[l - 1], acts[l])
        w, b = arch.layers[l - 1]
        out[w] = acts[l - 1].T @ dz
        if b is not None:
            out[b] = dz.sum(axis=0)
    return out


def _carried(arch: Arch, net: Any, zs: list[np.ndarray], acts: list[np.ndarray], D: np.ndarray,
             grads: Mapping[str, np.ndarray]) -> bool:
    """The lower layers' gradients are the backward pass of the output delta ``D`` through the net."""
    for name, e in _pullback(arch, net, zs, acts, D).items():
        g = grads[name].reshape(e.shape)
        scale = max(float(np.abs(g).max(initial=0.0)), float(np.abs(e).max(initial=0.0)), 1e-300)
        if float(np.abs(g - e).max(initial=0.0)) > DELTA_RTOL * scale:
            return False
    return True
