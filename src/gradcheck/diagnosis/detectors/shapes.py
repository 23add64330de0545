"""Detector: gradients of the wrong shape (a transpose, a bias not summed over the batch, ...).

The relation itself is read when the evidence is built (:func:`gradcheck.diagnosis.signatures.shape_relation`);
this turns it into findings. The names stay open for the ratio detectors (a bias not summed can also
carry a factor), but no ``unknown`` is reported on them.
"""

from __future__ import annotations

from ..evidence import Evidence, Explanation
from ..findings import bias_fix, shape_finding

__all__ = ["detect"]


def detect(ev: Evidence, unexplained: list[str]) -> Explanation:
    """One finding per gradient of the wrong shape (every parameter, not only the wrong ones)."""
    findings = []
    for r in ev.report.params:
        if r.name not in ev.reshaped or (not r.ok and r.name not in unexplained):
            continue  # a wrong one an earlier detector explained
        kind, g, repaired = ev.reshaped[r.name]
        f = shape_finding(r, g, kind, repaired, ev.batch, ev.layer_of)
        if f.kind == "bias_not_summed":
            f.fix = bias_fix(r.name, g.shape, tuple(r.shape), f.evidence.get("factor"), ev.batch) or f.fix
        findings.append(f)
    return Explanation(findings, set())
