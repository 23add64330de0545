"""Detector: a batch-norm or layer-norm backward pass without its mean and variance paths.

A normalization ``xhat = (z - mean(z)) / std(z)`` (over the batch for batch norm, over each
example's features for layer norm) passes the gradient back as
``dz = (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)) / std``. A backward pass that stops at
``dxhat / std``, or keeps one of the two means, leaves ``dz_user - dz`` equal to ``a + b * z``
along the normalized axis (one ``a``, ``b`` per feature for batch norm, per example for layer
norm), whatever the layers above. Below the normalization sits its input ``z``: a layer check's
``x`` itself, or a dense layer on the data (``z = X @ W + b``), whose gradient carries that
difference linearly (``dW = X.T @ dz``, ``db = dz.sum(0)``). So ``analytic - numeric`` of those
parameters is fitted to that model, with no other knowledge of the net; a fit with no residual
names the kind and which path is missing.

The normalization is recognized by its scale and shift parameters (``gamma``/``beta``, or
``bn1.weight``/``bn1.bias``, ``norm.scale``/... of one width): see :func:`norm_pairs`.

Example:
    >>> import numpy as np
    >>> norm_pairs(["W1", "b1", "gamma1", "beta1", "W2", "b2"])
    [('gamma1', 'beta1')]
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from ...layers import forward_order
from ...report import Finding
from ..catalogue import fix_for
from ..evidence import Evidence, Explanation
from ..findings import join_names
from ..model.data import normalize_data
from ..thresholds import DIFFERENCE_RTOL

__all__ = ["KINDS", "detect", "norm_pairs"]

#: The kind of each normalization, by the axis of the rows form it normalizes (0: batch, 1: features).
KINDS = {0: "batchnorm_backward_incomplete", 1: "layernorm_backward_incomplete"}
_NAMES = {0: "batch norm", 1: "layer norm"}
_SCALE = re.compile(r"^(?P<pre>.*?)(gamma|scale|weight)(?P<post>.*)$", re.I)
#: The fewest equations beyond the unknowns for a fit to say anything (two a line always fits).
MIN_SPARE = 3


def norm_pairs(names: Sequence[str]) -> list[tuple[str, str]]:
    """The (scale, shift) parameter pairs of normalization layers: ``gamma``/``beta`` with the same
    prefix and suffix, or ``weight``/``bias`` and ``scale``/``shift`` under a name that says norm."""
    out = []
    for name in names:
        m = _SCALE.match(name)
        if not m:
            continue
        pre, post = m.group("pre"), m.group("post")
        word = m.group(2).lower()
        partner = {"gamma": "beta", "scale": "shift", "weight": "bias"}[word]
        if word != "gamma" and not re.search(r"bn|norm|ln", pre + post, re.I):
            continue
        for cand in (pre + partner + post, pre + partner.capitalize() + post):
            if cand in names:
                out.append((name, cand))
                break
    return out


def detect(ev: Evidence, unexplained: list[str]) -> Explanation:
    """Each normalization whose input's gradient (or the dense layer's below it) is off by its missing paths."""
    findings: list[Finding] = []
    for scale, _shift in norm_pairs(list(ev.params)):
        n = int(np.size(ev.params[scale]))
        site = _site(ev, scale, n, unexplained)
        if site is None:
            continue
        found = _fit(ev, site, n)
        if found is not None:
            findings.append(found)
    return Explanation.of(findings)


class _Site:
    """What lies below a normalization: the values ``Z`` (m, n) it normalizes, rows form, and the
    wrong parameters whose gradient is a linear map of ``dz``, by role: the layer check's ``"input"``
    itself, or a dense layer's ``"weight"`` (``X.T @ dz``) and ``"bias"`` (``dz.sum(0)``)."""

    def __init__(self, Z: np.ndarray, roles: dict[str, str], X: np.ndarray | None, w_cols: bool,
                 examples_cols: bool):
        self.Z, self.roles, self.X, self.w_cols, self.examples_cols = Z, roles, X, w_cols, examples_cols

    @property
    def names(self) -> list[str]:
        return list(self.roles)

    def apply(self, E: np.ndarray, ev: Evidence) -> np.ndarray:
        """The parameters' gradients (flattened, in the user's layout) that a ``dz`` of ``E`` gives."""
        parts = []
        for name, role in self.roles.items():
            if role == "input":
                g = E.T if self.examples_cols else E
            elif role == "weight":
                g = (self.X.T @ E).T if self.w_cols else self.X.T @ E  # type: ignore[union-attr]
            else:
                g = E.sum(axis=0)
            parts.append(np.reshape(g, np.shape(ev.params[name])).ravel())
        return np.concatenate(parts)


def _site(ev: Evidence, scale: str, n: int, unexplained: list[str]) -> _Site | None:
    if ev.layer_input is not None and ev.layer_input in unexplained:
        x = np.asarray(ev.params[ev.layer_input], dtype=np.float64)
        if x.ndim == 2 and n in x.shape:
            cols = x.shape[1] != n
            return _Site(x.T if cols else x, {ev.layer_input: "input"}, None, False, cols)
        return None
    data = normalize_data(ev.data)
    if data is None:
        return None
    names = list(ev.params)
    before = names[: names.index(scale)]
    weights = [w for w in before if np.ndim(ev.params[w]) == 2 and n in np.shape(ev.params[w])
               and 1 not in np.shape(ev.params[w])]  # a column (n, 1) is a bias
    if not weights or weights[-1] not in unexplained:
        return None
    w = weights[-1]
    bias = [b for b in before[before.index(w) + 1 :] if np.size(ev.params[b]) == n and np.ndim(ev.params[b]) <= 2]
    return _dense_site(ev, w, bias[0] if bias else None, n, np.asarray(data[0], dtype=np.float64), unexplained)


def _dense_site(ev: Evidence, w: str, b: str | None, n: int, X: np.ndarray, unexplained: list[str]) -> _Site | None:
    """The dense layer ``w`` (and bias ``b``) on the data ``X`` below a normalization of width ``n``."""
    W = np.asarray(ev.params[w], dtype=np.float64)
    if X.ndim != 2:
        return None
    for w_cols in (False, True):
        Wr = W.T if w_cols else W
        if Wr.shape[1] != n:
            continue
        for examples_cols in (False, True):
            Xr = X.T if examples_cols else X
            if Xr.shape[1] != Wr.shape[0]:
                continue
            Z = Xr @ Wr + (np.asarray(ev.params[b], dtype=np.float64).reshape(-1) if b else 0.0)
            roles = {w: "weight", **({b: "bias"} if b and b in unexplained else {})}
            return _Site(Z, roles, Xr, w_cols, examples_cols)
    return None


def _fit(ev: Evidence, site: _Site, n: int) -> Finding | None:
    """The normalization (batch or layer) whose missing paths explain ``analytic - numeric``, or None."""
    e = _difference(ev, site.names)
    if e is None or not np.any(e):
        return None
    for axis in (0, 1):
        paths = _paths(ev, site, e, axis)
        if paths is not None:
            return _finding(ev, site, axis, paths)
    return None


def _difference(ev: Evidence, names: list[str]) -> np.ndarray | None:
    parts = []
    for name in names:
        g, num = ev.grads.get(name), ev.report[name].numeric
        if g is None or num is None or np.shape(g) != np.shape(num):
            return None
        parts.append((np.asarray(g, float) - np.asarray(num, float)).ravel())
    e = np.concatenate(parts)
    return e if np.all(np.isfinite(e)) else None


def _paths(ev: Evidence, site: _Site, e: np.ndarray, axis: int) -> str | None:
    """Which paths are missing when ``e`` is what they contribute to a normalization over ``axis``:
    ``"mean"``, ``"variance"``, or ``"mean and variance"``; None when no such model fits."""
    both = _residual(ev, site, e, axis, ("mean", "variance"))
    if both is None or both > DIFFERENCE_RTOL:
        return None
    for one in ("mean", "variance"):
        r = _residual(ev, site, e, axis, (one,))
        if r is not None and r <= DIFFERENCE_RTOL:
            return one
    return "mean and variance"


def _residual(ev: Evidence, site: _Site, e: np.ndarray, axis: int, paths: tuple[str, ...]) -> float | None:
    """The relative residual of ``e`` fitted by the contributions of ``paths``; None when the fit
    has too few equations to say anything."""
    m, n = site.Z.shape
    basis = []
    for k in range(n if axis == 0 else m):
        for path in paths:
            M = np.zeros((m, n))
            line = site.Z[:, k] if axis == 0 else site.Z[k]
            values = np.ones_like(line) if path == "mean" else line - line.mean()
            if axis == 0:
                M[:, k] = values
            else:
                M[k] = values
            basis.append(site.apply(M, ev))
    A = np.stack(basis, axis=1)
    rank = np.linalg.matrix_rank(A)
    if A.shape[0] - rank < MIN_SPARE:
        return None
    coef, *_ = np.linalg.lstsq(A, e, rcond=None)
    return float(np.linalg.norm(A @ coef - e) / np.linalg.norm(e))


def _finding(ev: Evidence, site: _Site, axis: int, paths: str) -> Finding:
    names = forward_order(site.names)
    kind = KINDS[axis]
    over = "feature by feature over the batch" if axis == 0 else "example by example over the features"
    what = "stops at dxhat / std" if paths == "mean and variance" else f"leaves out the {paths} path"
    message = (f"analytic - numeric of {join_names(names)} is, {over}, exactly what the {paths} "
               f"path{'s' if paths == 'mean and variance' else ''} of the {_NAMES[axis]} above "
               f"{'it' if len(names) == 1 else 'them'} contribute: the backward pass through the {_NAMES[axis]} {what}")
    return Finding(kind=kind, params=names, message=message, fix=fix_for(kind),
                   evidence={"missing": paths, "axis": axis}, layer=ev.layer(names), confidence="likely")
