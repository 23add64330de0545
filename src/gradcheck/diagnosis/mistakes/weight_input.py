"""Mistake: a weight gradient formed with other activations of the input's shape."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from ..catalogue import fix_text
from ..model.arch import Arch
from ..model.dense import Pass
from .base import Mistake
from .text import weight_gradient

__all__ = ["WeightGradientInput", "candidates"]


@dataclass(frozen=True)
class WeightGradientInput(Mistake):
    """``dW`` of ``layers`` formed with ``acts[other]`` (0: the net's input) instead of the layer's input."""

    other: int = 0

    def layer_input(self, p: Pass, l: int) -> np.ndarray:
        return p.acts[self.other] if l in self.layers else super().layer_input(p, l)

    def formula(self, arch: Arch) -> str | None:
        return weight_gradient(arch, self.layer)

    def fix(self, arch: Arch) -> str | None:
        formula = self.formula(arch)
        if formula is None:
            return None
        first = arch.input if arch.input is not None and arch.input.isidentifier() else "X"
        source = first if self.other == 0 else f"A{self.other}"
        return fix_text("weight_input", layer=self.layer, formula=formula, source=source)


def candidates(arch: Arch, Ws: list[np.ndarray]) -> Iterator[Mistake]:
    """This layer's own output or another layer's activations, where the shapes allow (top layer first)."""
    L = len(arch.layers)
    for l in range(L, 0, -1):
        for k in range(L, -1, -1):
            if k != l - 1 and Ws[l - 1].shape[0] == (Ws[k - 1].shape[-1] if k >= 1 else Ws[0].shape[0]):
                src = "the net's input X" if k == 0 else (f"layer {k}'s own output" if k == l else f"layer {k}'s activations")
                yield WeightGradientInput("weight_gradient_wrong_input", (l,),
                                          f"layer {l}: dW formed with {src} instead of the layer's input "
                                          f"({'X' if l == 1 else f'layer {l - 1} activations'})", other=k)
