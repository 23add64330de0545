"""Detector: NaN or inf in the analytic gradient while the loss is finite."""

from __future__ import annotations

import numpy as np

from ...names import lookup
from ...report import Finding
from ..catalogue import fix_for
from ..evidence import Evidence, Explanation

__all__ = ["detect"]


def detect(ev: Evidence, unexplained: list[str]) -> Explanation:
    """One finding for every gradient holding NaN/inf."""
    if not ev.nonfinite:
        return Explanation()
    names = list(ev.nonfinite)
    counts = ", ".join(f"{n}: {k} of {size}" for n, (k, size) in ev.nonfinite.items())
    finding = Finding(
        kind="numerically_unstable",
        params=names,
        message=f"the analytic gradient holds NaN/inf values ({counts}) while the loss is finite "
        f"({ev.report.loss_value:.6g}): something like y / a or (1 - y) / (1 - a) overflows where a sigmoid saturates",
        fix=fix_for("numerically_unstable"),
        evidence={"nonfinite": {n: k for n, (k, _) in ev.nonfinite.items()}},
        layer=ev.layer(names),
        confidence="confirmed",
    )
    _drop_nan_repeat_finding(ev)
    return Explanation.of([finding])


def _drop_nan_repeat_finding(ev: Evidence) -> None:
    """NaN != NaN: two equal calls of grads() holding NaN are not accumulating gradients."""
    report, problem = ev.report, ev.problem
    repeat = [f for f in report.findings if f.kind == "gradient_accumulates"]
    if not repeat or not callable(problem.grads):
        return
    again = problem.grads_now()
    try:
        same = all(
            np.array_equal(np.asarray(report[n].analytic, dtype=np.float64),
                           np.asarray(lookup(again, n), dtype=np.float64), equal_nan=True)
            for n in repeat[0].params
        )
    except Exception:  # noqa: BLE001 - cannot compare: keep the finding
        return
    if same:
        for f in repeat:
            report.findings.remove(f)

