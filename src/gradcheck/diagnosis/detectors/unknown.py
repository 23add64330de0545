"""Detector, last in the list: what no other detector explains is ``unknown`` (still localized)."""

from __future__ import annotations

from ...layers import forward_order
from ...report import Finding
from ..catalogue import fix_for
from ..evidence import Evidence, Explanation
from ..findings import join_names

__all__ = ["detect"]


def detect(ev: Evidence, unexplained: list[str]) -> Explanation:
    names = forward_order([n for n in unexplained if n not in ev.reshaped])
    if not names:
        return Explanation()
    return Explanation.of([Finding(
        kind="unknown",
        params=names,
        message=f"the gradients of {join_names(names)} are wrong with no constant ratio, transpose or shape "
        f"pattern.{_why(ev)}",
        fix=fix_for("unknown"),
        layer=ev.layer(names),
        confidence="likely",
    )])


def _why(ev: Evidence) -> str:
    """Why no mistake could be recomputed."""
    if ev.arch is not None:
        return f" No catalogued mistake reproduces it on {ev.arch.describe()}."
    if ev.layer_input is not None:
        return (" The layer was not recognized as dense layers with standard activations (sigmoid, tanh, relu, "
                "leaky relu, identity, softmax), so no mistake could be recomputed.")
    if ev.data is None:
        return (" Give the data (data=(X, y) in Python; the CLI finds X, y beside the net), and a hint for an "
                "unusual net, so the mistake can be named by recomputation.")
    return (" The net was not recognized as a standard dense net (sigmoid, tanh, relu, leaky relu, identity "
            "or softmax layers; an MSE or cross-entropy loss; L2 on the weights), so no mistake could be "
            "recomputed. A hint can describe the net (help(gradcheck.diagnosis) lists its keys).")
