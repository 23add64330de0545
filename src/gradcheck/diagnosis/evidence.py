"""The :class:`Evidence` every detector reads, built once per check.

It holds the report, the parameters, the user's *effective* gradients (a gradient of the wrong
shape repaired when a simple relation explains it: a transpose, a bias not summed over the batch),
the batch size, the layers, and the standard dense net behind the loss when one is recognized.

Example:
    >>> import numpy as np, gradcheck
    >>> from gradcheck.nn import MLP
    >>> net = MLP([2, 3, 1], loss="bce", layout="cols")
    >>> X, y = net.random_data(8)
    >>> g = {k: 8 * v for k, v in net.gradients(X, y).items()}
    >>> report = gradcheck.check(net.params, lambda: net.loss(X, y), g, diagnose=False)
    >>> ev = build_evidence(report, net.problem(X, y))
    >>> ev.batch, ev.layers, ev.arch.activations
    (8, [['W1', 'b1'], ['W2', 'b2']], ['sigmoid', 'sigmoid'])
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import EllipsisType
from typing import Any

import numpy as np

from ..layers import Pairing, input_name, layer_groups, structure
from ..problem import protected
from ..report import Finding, Report
from .discover import with_found_data
from .model.arch import Arch
from .model.data import batch_size
from .model.dropout import infer_dropout_arch
from .model.hint import normalize_hint
from .model.infer import infer_arch
from .model.layer_check import infer_layer_arch
from .signatures import shape_relation

__all__ = ["Evidence", "Explanation", "build_evidence"]


@dataclass
class Evidence:
    """What the detectors read; nothing in it changes after :func:`build_evidence`."""

    report: Report
    problem: Any
    params: Mapping[str, np.ndarray]
    data: Any
    hint: dict[str, Any] | None
    #: the layers in forward order, each the names of its parameters (weight first)
    layers: list[list[str]]
    #: parameter name -> its layer, 1-based
    layer_of: dict[str, int]
    batch: int | None
    #: the user's gradients as float64 in the parameters' shapes (repaired where a shape relation
    #: explains the difference); None where there is none to compare (missing, unrepairable, NaN/inf)
    grads: dict[str, np.ndarray | None]
    #: name -> (relation, the gradient as given, repaired or None) for gradients of the wrong shape
    reshaped: dict[str, tuple[str, np.ndarray, np.ndarray | None]] = field(default_factory=dict)
    #: name -> (number of NaN/inf elements, size) for gradients that hold non-finite values
    nonfinite: dict[str, tuple[int, int]] = field(default_factory=dict)
    #: the input of a layer check (a parameter named input, x or X, checked without data), or None
    layer_input: str | None = None
    #: the standard dense net behind the loss, or None when none was recognized (or none was tried)
    arch: Arch | None = None
    #: the dense pairing of the parameters (without the input of a layer check), computed once:
    #: :func:`gradcheck.layers.structure`, or None when they are no stack of dense layers
    pairing: Pairing | None = None

    @property
    def wrong(self) -> list[str]:
        return list(self.report.wrong)

    def layer(self, names: list[str]) -> int | None:
        """The highest layer among ``names`` (where a mistake among them shows first), or None."""
        return max((self.layer_of.get(n, 0) for n in names), default=0) or None


def build_evidence(report: Report, problem: Any) -> Evidence:
    """The evidence of one check; the architecture inference runs here, once. Without data, the
    data the loss reads are looked for (:mod:`.discover`; the report says where they came from)."""
    params: Mapping[str, np.ndarray] = problem.params
    given = input_name(params)
    try:
        pairing: Pairing | None | EllipsisType = structure({n: p for n, p in params.items() if n != given})
    except Exception:  # noqa: BLE001 - odd shapes: each reader meets them as before
        pairing = ...
    # with a layer check's input among the parameters, what pairs all of them is left to each reader
    whole = pairing if given is None else ...
    problem = with_found_data(problem, report, pairing=whole)
    hint = normalize_hint(problem.hint) or None
    if problem.hint is not None and not isinstance(problem.hint, Mapping):
        report.notes.append(
            f"the architecture hint was ignored: it must be a dict such as {{'activations': ['relu', 'sigmoid'], "
            f"'loss': 'bce', 'layout': 'cols'}}, got {type(problem.hint).__name__}"
        )
    groups = layer_groups([p.name for p in report.params], params, hint, pairing=pairing)
    ev = Evidence(
        report=report, problem=problem, params=params, data=problem.data, hint=hint, layers=groups,
        layer_of={n: i + 1 for i, g in enumerate(groups) for n in g},
        batch=batch_size(problem.data, params, hint, pairing=whole), grads={},
        layer_input=given if problem.data is None else None, pairing=None if pairing is ... else pairing,
    )
    _effective_gradients(ev)
    ev.arch = _architecture(ev)
    return ev


def _effective_gradients(ev: Evidence) -> None:
    for r in ev.report.params:
        if r.analytic is None:
            ev.grads[r.name] = None
            continue
        g = np.asarray(r.analytic, dtype=np.float64)
        if g.shape != tuple(r.shape):
            kind, repaired = shape_relation(g, r.shape, batch=ev.batch)
            ev.reshaped[r.name] = (kind, g, repaired)
            ev.grads[r.name] = repaired
            continue
        if not np.all(np.isfinite(g)):
            ev.nonfinite[r.name] = (int((~np.isfinite(g)).sum()), g.size)
            ev.grads[r.name] = None
            continue
        ev.grads[r.name] = g


def _architecture(ev: Evidence) -> Arch | None:
    """The standard dense net behind the loss, when there is something to infer it from."""
    hint = ev.hint
    if not (ev.data is not None or (hint and hint.get("activations")) or ev.layer_input is not None):
        return None
    try:
        return _infer(ev)
    except Exception as exc:  # noqa: BLE001 - odd nets or hints: the generic signatures still run
        ev.report.notes.append(f"the net could not be matched to a standard dense net ({type(exc).__name__}: {exc})")
        return None


def _infer(ev: Evidence) -> Arch | None:
    params, problem, hint, seed = ev.params, ev.problem, ev.hint, ev.report.seed or 0
    given = input_name(params)
    whole: Pairing | None | EllipsisType = ev.pairing if given is None else ...  # the pairing of all parameters
    with protected(params):
        if problem.data is None and given is not None:
            return infer_layer_arch(params, problem.loss, hint=hint, seed=seed, pairing=ev.pairing)
        arch = infer_arch(params, problem.loss, problem.data, hint=hint, seed=seed, pairing=whole)
        if arch is None and problem.data is not None and not (hint and (hint.get("dropout") or hint.get("activations"))):
            # a forward pass with a fixed dropout mask: the mask read off the loss
            arch = infer_dropout_arch(params, problem.loss, problem.data, seed=seed, pairing=whole)
        return arch


@dataclass
class Explanation:
    """What one detector found: its findings and the names they account for (no later detector
    looks at those). ``names`` may be wider than the findings' parameters: a recomputation that
    reproduces the whole gradient accounts for every parameter it compared."""

    findings: list[Finding] = field(default_factory=list)
    names: set[str] = field(default_factory=set)

    @classmethod
    def of(cls, findings: list[Finding]) -> Explanation:
        """Findings that account for exactly their own parameters."""
        return cls(list(findings), {n for f in findings for n in f.params})
