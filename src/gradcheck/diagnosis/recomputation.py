"""The user's gradient beside gradients recomputed on the recognized dense net.

:class:`Recomputation` holds, in rows form, the user's gradients, the exact gradient, and computes
the gradient under any catalogued mistake; the recompute and penalty detectors compare them.

Example:
    >>> import gradcheck
    >>> from gradcheck.nn import MLP
    >>> net = MLP([2, 3, 1], loss="bce", layout="cols")
    >>> X, y = net.random_data(6)
    >>> g = {k: 2 * v for k, v in net.gradients(X, y).items()}
    >>> report = gradcheck.check(net.params, lambda: net.loss(X, y), g, diagnose=False)
    >>> from gradcheck.diagnosis.evidence import build_evidence
    >>> rc = Recomputation.of(build_evidence(report, net.problem(X, y)))
    >>> round(rc.fit(rc.ref)[0], 6), rc.keys
    (2.0, ['W1', 'b1', 'W2', 'b2'])
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..layers import forward_order
from ..report import Finding, Report
from .evidence import Evidence
from .findings import differs, mistake_finding
from .mistakes import Mistake, backward
from .model.arch import Arch
from .model.data import normalize_data
from .signatures import fit_ratio
from .thresholds import recompute_rtol

__all__ = ["Recomputation"]


@dataclass
class Recomputation:
    """The net, its batch in rows form, the user's gradients (``user``) and the exact ones (``ref``)
    by parameter name, ``keys`` the parameters compared (forward order), ``tol`` the fit tolerance."""

    report: Report
    arch: Arch
    params: Any
    X: np.ndarray
    Y: np.ndarray
    user: dict[str, np.ndarray]
    ref: dict[str, np.ndarray]
    keys: list[str]
    tol: float
    layer_of: dict[str, int]

    @classmethod
    def of(cls, ev: Evidence) -> Recomputation | None:
        """The recomputation of ``ev``'s net, or None without a net, a batch or a gradient to compare."""
        arch, params = ev.arch, ev.params
        if arch is None:
            return None
        batch = _batch(arch, params, ev.data)
        if batch is None:
            return None
        X, Y = batch
        names = ([arch.input] if arch.input is not None else []) + [n for pair in arch.layers for n in pair if n]
        low = any(np.finfo(params[n].dtype).bits < 64 for n in names)
        rc = cls(ev.report, arch, params, X, Y, {}, {}, [], recompute_rtol(low), ev.layer_of)
        rc.ref = rc.grads()
        for n in names:
            g = ev.grads.get(n)
            if g is not None and arch.to_rows(n, g).shape == rc.ref[n].shape:
                rc.user[n] = arch.to_rows(n, g)
        rc.keys = [n for n in names if n in rc.user]
        return rc if rc.user else None

    @property
    def m(self) -> int:
        return self.X.shape[0]

    @property
    def how(self) -> str:
        return self.arch.describe()

    @property
    def wrong(self) -> set[str]:
        return set(self.report.wrong)

    def grads(self, mistake: Mistake | None = None, *, l2: bool = True) -> dict[str, np.ndarray]:
        """The gradient of every parameter of the net (rows form) under ``mistake``."""
        arch = self.arch
        grads = backward(arch, self.params, self.X, self.Y, mistake, l2=l2)
        out: dict[str, np.ndarray] = {}
        for (w, b), (dW, db) in zip(arch.layers, grads):
            out[w] = dW
            if b is not None and db is not None:
                out[b] = db
        if arch.input is not None and len(grads) > len(arch.layers):
            out[arch.input] = grads[len(arch.layers)][0]
        return out

    def fit(self, cand: dict[str, np.ndarray], names: list[str] | None = None) -> tuple[float, float]:
        """``c`` and the residual of the user's gradient as ``c`` times ``cand``, over ``names`` (all compared)."""
        names = self.keys if names is None else names
        u = np.concatenate([self.user[n].ravel() for n in names])
        g = np.concatenate([cand[n].ravel() for n in names])
        if not np.all(np.isfinite(g)):
            return float("nan"), float("inf")
        return fit_ratio(u, g)

    def reaches(self, cand: dict[str, np.ndarray], names: list[str] | None = None) -> list[str]:
        """The parameters among ``names`` whose gradient ``cand`` changes (the mistake reaches them)."""
        return [n for n in (self.keys if names is None else names) if differs(cand[n], self.ref[n], self.tol)]

    def agrees(self, cand: dict[str, np.ndarray], name: str) -> bool:
        return not differs(self.user[name], cand[name], self.tol)

    def named(self, mk: Mistake, affected: list[str]) -> Finding:
        """The finding of a recomputed mistake, its fix written for the mistake's layers."""
        f = mistake_finding(mk, forward_order(affected), self.layer_of, self.how, self.arch)
        f.fix = mk.fix(self.arch) or f.fix
        return f


def _batch(arch: Arch, params: Any, data: Any) -> tuple[np.ndarray, np.ndarray] | None:
    """The batch in rows form: the input and recovered ``R`` of a layer check, else the data."""
    if arch.input is not None and arch.targets is not None:
        return arch.x_rows(params[arch.input]).copy(), arch.targets
    found = normalize_data(data)
    if found is None:
        return None
    X = arch.x_rows(found[0])
    return X, arch.y_rows(found[1], X.shape[0], arch.weights(params)[-1].shape[1])
