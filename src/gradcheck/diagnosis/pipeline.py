"""The diagnosis pipeline: build the evidence once, run the detectors in order, order the findings.

:data:`DETECTORS` is the whole diagnosis, in the order it runs. Each detector reads the
:class:`~gradcheck.diagnosis.evidence.Evidence` and the names no earlier detector explained, and
returns an :class:`~gradcheck.diagnosis.evidence.Explanation` (its findings and the names they account for).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..report import Finding, Report
from .catalogue import fix_for
from .detectors import (
    clipped,
    loss_backward,
    mixed_terms,
    nonfinite,
    normalization,
    optimizer_state,
    penalty,
    ratio,
    recompute,
    recurrent,
    reshaped,
    shapes,
    target_broadcast,
    transposed,
    unknown,
    zero,
)
from .evidence import Evidence, Explanation, build_evidence
from .findings import join_names, ordered
from .localize import localize
from .thresholds import near

__all__ = ["DETECTORS", "Detector", "diagnose"]

Detector = Callable[[Evidence, list[str]], Explanation]

#: The detectors, in the order they run: per-parameter facts first (shapes, NaN), then the exact
#: naming on a recognized dense net (recompute), then the generic signatures, ``unknown`` last.
DETECTORS: tuple[Detector, ...] = (
    target_broadcast.detect,  # flat targets against an (m, 1) output: gradients with an extra axis of m
    shapes.detect,       # a gradient of the wrong shape: transposed, bias not summed, other
    nonfinite.detect,    # NaN/inf where the loss is finite
    clipped.detect,      # gradients clipped by value or norm before they are returned
    recompute.detect,    # a catalogued mistake recomputed on the recognized dense net
    recurrent.detect,    # a mistake of backpropagation through time on a recognized vanilla RNN
    normalization.detect,  # batch / layer norm backward without its mean and variance paths
    zero.detect,         # zero everywhere while the loss moves
    loss_backward.detect,  # the loss's clip, linear part, smoothing or weight left out of its derivative
    mixed_terms.detect,  # a factor on the data term and a penalty term of W at once: two findings
    ratio.detect,        # analytic = c * numeric (m, 1/m, -1, 2, other)
    transposed.detect,   # a square gradient that is the transpose of the numerical one
    reshaped.detect,     # a gradient that is the numerical one transposed, then reshaped to the parameter's shape
    penalty.detect,      # analytic - numeric = c * param (an L2 term)
    optimizer_state.detect,  # a term that stays fixed when the parameters move (momentum, an average)
    unknown.detect,      # whatever is left
)


def diagnose(report: Report, problem: Any) -> None:
    """Append findings to ``report.findings`` and set ``report.localization``. Never raises."""
    try:
        _diagnose(report, problem)
    except Exception as exc:  # noqa: BLE001 - a failing diagnosis must not fail the check
        wrong = list(report.wrong)
        if wrong and not any(f.kind != "gradient_accumulates" for f in report.findings):
            report.findings.append(
                Finding(
                    kind="unknown",
                    params=wrong,
                    message=f"the gradients of {join_names(wrong)} are wrong; the diagnosis itself failed "
                    f"({type(exc).__name__}: {exc})",
                    fix=fix_for("unknown"),
                    confidence="likely",
                )
            )


def _diagnose(report: Report, problem: Any) -> None:
    if not report.wrong:
        return
    ev = build_evidence(report, problem)
    report.localization = localize(report, ev.layers)
    findings: list[Finding] = []
    unexplained = ev.wrong
    for detector in DETECTORS:
        found = detector(ev, unexplained)
        findings.extend(found.findings)
        unexplained = [n for n in unexplained if n not in found.names]
    findings = _without_accumulated_factor(report, findings)
    for f in findings:  # the span of layers each finding covers, from the one notion of a layer
        f.layers = sorted({ev.layer_of[n] for n in f.params if n in ev.layer_of})
    report.findings.extend(ordered(findings, report))


def _without_accumulated_factor(report: Report, findings: list[Finding]) -> list[Finding]:
    """Gradients that accumulate over calls are k times the true one after k calls: that factor is
    the accumulation, not a second mistake, so a factor finding on those parameters is dropped."""
    repeat = {n for f in report.findings if f.kind == "gradient_accumulates" for n in f.params}
    if not repeat:
        return findings
    factors = ("constant_factor", "missing_batch_mean")
    out = []
    for f in findings:
        c = f.evidence.get("factor") if isinstance(f.evidence, dict) else None
        if (f.kind in factors and set(f.params) <= repeat and c is not None
                and c > 1.5 and near(c, round(c))):
            continue
        out.append(f)
    return out
