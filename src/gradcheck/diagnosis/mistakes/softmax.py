"""Mistakes in the output delta of a softmax layer."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from ..catalogue import fix_text
from ..model.arch import Arch
from ..model.dense import Pass
from .base import Mistake
from .derivative import WrongDerivative
from .text import layers_label, output_delta

__all__ = ["SoftmaxDelta", "at_layer"]

OutputDelta = Callable[[np.ndarray, np.ndarray], np.ndarray]

# (kind, dz(p, y) before 1/m, what was done)
_CE_DELTAS: list[tuple[str, OutputDelta, str]] = [
    ("softmax_backward_wrong", lambda a, Y: a - 1.0, "1 subtracted from every class's probability, not only the true class's"),
    ("softmax_backward_wrong", lambda a, Y: a, "the 1 of the true class never subtracted (dz = p instead of p - y)"),
    ("softmax_backward_wrong", lambda a, Y: -Y * (1 - a), "only the diagonal of the softmax Jacobian used: dz = dL/dp * p (1 - p)"),
    ("extra_activation_derivative", lambda a, Y: (a - Y) * a * (1 - a), "p (1 - p) multiplied on top of p - y, which already includes the softmax"),
]


@dataclass(frozen=True)
class SoftmaxDelta(Mistake):
    """The output delta of softmax + cross-entropy computed as ``fn(p, y)`` instead of ``p - y``."""

    fn: OutputDelta | None = None

    def output_delta(self, p: Pass) -> np.ndarray:
        if self.fn is None:
            return super().output_delta(p)
        return p.net.scale * self.fn(p.acts[-1], p.Y) / p.m

    def formula(self, arch: Arch) -> str | None:
        L = len(arch.layers)
        return f"dZ{L} = {output_delta(arch)}"

    def fix(self, arch: Arch) -> str | None:
        return fix_text("output_delta", layer=layers_label(arch, (len(arch.layers),)), activation="softmax",
                        loss=arch.loss, formula=self.formula(arch))


def at_layer(arch: Arch, l: int) -> Iterator[Mistake]:
    """At a softmax output layer: the wrong deltas of softmax + cross-entropy, or the Jacobian's diagonal alone."""
    L = len(arch.layers)
    if l != L or arch.activations[-1] != "softmax":
        return
    if arch.loss == "softmax_ce":
        for kind, fn, detail in _CE_DELTAS:
            yield SoftmaxDelta(kind, (L,), f"output layer: {detail}", fn=fn)
    else:
        yield WrongDerivative("softmax_backward_wrong", (L,),
                              "output layer: only the diagonal p (1 - p) of the softmax Jacobian used",
                              fn=lambda z, a: a * (1 - a))
