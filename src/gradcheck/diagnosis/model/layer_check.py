"""A layer check recognized: the input checked like a parameter, the scalar ``sum(output * R)``.

:func:`infer_layer_arch` recovers the stack of dense layers behind such a check and ``R``.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import EllipsisType
from typing import Any

import numpy as np

from ...layers import Pairing, input_name, known_structure
from ...problem import protected
from ..thresholds import LOSS_RTOL, LOW_PRECISION
from .arch import Arch, layouts, matrix_shape
from .dense import forward
from .hint import normalize_hint
from .infer import HIDDEN, MAX_COMBOS

__all__ = ["LAYER_OUTPUTS", "MAX_LAYER_EVALS", "infer_layer_arch"]

#: Output activations tried for a layer check (its scalar is linear in the output).
LAYER_OUTPUTS = ("identity", "sigmoid", "tanh", "relu", "leaky_relu", "softmax")
#: The most loss evaluations spent on recovering ``R`` of a layer check.
MAX_LAYER_EVALS = 4000


def infer_layer_arch(
    params: Mapping[str, np.ndarray],
    loss: Callable[[], Any],
    *,
    hint: Any = None,
    seed: int = 0,
    rtol: float | None = None,
    pairing: Pairing | None | EllipsisType = ...,
) -> Arch | None:
    """A layer check (the input checked like a parameter, the scalar ``sum(output * R)`` for an
    unknown fixed ``R``): the stack of dense layers and activations behind it, with ``R`` recovered.

    Each example's output depends on its own input row only, so moving one row at a time and
    reading the loss gives ``R`` row by row by least squares, for every candidate stack; the stack
    whose outputs explain every reading is returned (``loss = "linear"``, ``targets = R``).
    The parameters are restored bit for bit. Returns None when no stack fits. ``pairing``:
    :func:`gradcheck.layers.structure` of the parameters other than the input, when the caller has it.

    >>> from gradcheck.nn import MLP
    >>> net = MLP([3, 4], activations=["tanh"], loss="mse", layout="rows")
    >>> x = np.random.default_rng(0).normal(size=(5, 3)); R = np.ones((5, 4))
    >>> params = {"input": x, **net.params}
    >>> arch = infer_layer_arch(params, lambda: float((np.tanh(x @ net.params["W1"] + net.params["b1"]) * R).sum()))
    >>> arch.activations, arch.loss
    (['tanh'], 'linear')
    """
    name = input_name(params)
    hint = normalize_hint(hint)
    if name is None or not np.issubdtype(params[name].dtype, np.floating):
        return None
    x = params[name]
    rest = {n: p for n, p in params.items() if n != name}
    layers = hint.get("layers") or known_structure(rest, pairing)
    options = layouts(layers, rest, x) if layers else []
    if not options or layers is None:
        return None
    layers = [tuple(v) if isinstance(v, (list, tuple)) else (v, None) for v in layers]
    if rtol is None:
        low = any(np.finfo(p.dtype).bits < 64 for p in params.values() if np.issubdtype(p.dtype, np.floating))
        rtol = LOW_PRECISION * LOSS_RTOL if low else 0.1 * LOSS_RTOL  # the scalar is linear in R: exact
    first = options[0][0]
    k = int(matrix_shape(np.shape(rest[layers[-1][0]]), first)[1 if first == "rows" else 0])
    probe = Arch(layers=list(layers), layout=first, x_layout="" if options[0][1] == first else options[0][1],
                 activations=[], loss="linear")
    seen = _read(params, loss, name, probe, k, np.random.default_rng(seed))
    if seen is None:
        return None
    for arch in _layer_candidates(layers, hint, options):
        arch.input = name
        R = _targets(arch, rest, seen, rtol)
        if R is not None:
            arch.targets = R
            arch.given = bool(hint.get("activations"))
            return arch
    return None


@dataclass
class _Readings:
    """The loss read at moved inputs: ``D[i, j]`` its change when row i moves by ``U[i, j]``, and
    ``totals[g]`` its value at ``spots[g]``, points where every array moves."""

    X0: np.ndarray
    U: np.ndarray
    D: np.ndarray
    spots: list[dict[str, np.ndarray]]
    totals: np.ndarray


def _read(params: Mapping[str, np.ndarray], loss: Callable[[], Any], name: str, probe: Arch, k: int,
          rng: np.random.Generator) -> _Readings | None:
    """Move one input row at a time and read the loss (parameters restored bit for bit)."""
    x = params[name]
    X0 = probe.x_rows(x).copy()
    m, n_in = X0.shape
    P = k + 2
    if m * P > MAX_LAYER_EVALS:
        return None
    U = rng.normal(0.0, max(float(np.std(X0)), 1e-3), size=(m, P, n_in))
    readings = np.empty((m, P))
    # a few points where every array moves: they pin R on rows whose output does not move with
    # their input (a dead relu row), and check the whole scalar, not only its differences
    spots = [{n: p.copy() for n, p in params.items()}]
    for _ in range(2 * k + 3):
        spots.append({n: p + rng.normal(0.0, 0.1, size=p.shape).astype(p.dtype) for n, p in params.items()})
    totals = np.empty(len(spots))
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
    return _Readings(X0, U, readings - L0, spots, totals)


def _targets(arch: Arch, rest: Mapping[str, np.ndarray], seen: _Readings, rtol: float) -> np.ndarray | None:
    """``R`` with which ``arch``'s output explains every reading, or None."""
    if arch.input is None:
        return None
    m, P, n_in = seen.U.shape
    moved = (seen.X0[:, None, :] + seen.U).reshape(m * P, n_in)
    with np.errstate(all="ignore"):
        try:
            net = arch.net(rest)
            base = forward(net, arch.x_rows(seen.spots[0][arch.input]))[1][-1]
            out = forward(net, moved)[1][-1].reshape(m, P, -1)
            at = [forward(arch.net(sp), arch.x_rows(sp[arch.input]))[1][-1] for sp in seen.spots]
        except Exception:  # noqa: BLE001 - shapes this candidate cannot take
            return None
    if not (np.all(np.isfinite(base)) and np.all(np.isfinite(out)) and all(np.all(np.isfinite(a)) for a in at)):
        return None
    return _fit_targets(out - base[:, None, :], seen.D, at, seen.totals, rtol)


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
    if np.linalg.norm(err) > rtol * max(float(np.linalg.norm(D)), 1e-300):
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


def _layer_candidates(layers, hint: Mapping[str, Any], options: list[tuple[str, str]]):
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
    for layout, x_layout in options:
        for acts in stacks:
            yield Arch(layers=list(layers), layout=layout, activations=list(acts), loss="linear",
                       x_layout="" if x_layout == layout else x_layout)
