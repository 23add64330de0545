"""Mistake: a hidden layer's local derivative used alone, without the delta coming from above."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from ..catalogue import fix_text
from ..model.arch import Arch
from ..model.dense import Pass
from .base import Mistake
from .text import delta_from_above, derivative_text

__all__ = ["MissingUpstream", "at_layer"]


@dataclass(frozen=True)
class MissingUpstream(Mistake):
    """``dz = f'(z)`` at ``layers``: with the batch convention of the rest of the pass (``averaged``),
    or with no factor at all when the 1/m came with the upstream delta that was dropped."""

    averaged: bool = True

    def local(self, p: Pass, l: int, da: np.ndarray) -> np.ndarray:
        d = self.derivative(p, l)
        if l not in self.layers:
            return da * d
        # divided by m where the loss is a mean: Nielsen's update and dW = dZ @ A.T / m both do
        return d * np.ones_like(da) * (p.net.scale / p.m if self.averaged else 1.0)

    def formula(self, arch: Arch) -> str | None:
        l = self.layers[0]
        return f"dZ{l} = ({delta_from_above(arch, l)}) * {derivative_text(arch, l)}"

    def fix(self, arch: Arch) -> str | None:
        l = self.layers[0]
        return fix_text("missing_upstream", layer=l, above=l + 1, formula=self.formula(arch),
                        derivative=derivative_text(arch, l))


def at_layer(arch: Arch, l: int) -> Iterator[Mistake]:
    if l < len(arch.layers):
        yield MissingUpstream("missing_upstream_gradient", (l,),
                              f"layer {l}: dz = f'(z) without the delta coming from layer {l + 1}")
        yield MissingUpstream("missing_upstream_gradient", (l,),
                              f"layer {l}: dz = f'(z) without the delta coming from layer {l + 1} (nor its 1/m)",
                              averaged=False)
