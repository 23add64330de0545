"""Mistake: a residual block's backward pass without the gradient through its skip connection."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from ..catalogue import fix_text
from ..model.arch import Arch
from ..model.dense import Pass
from .base import Mistake
from .text import delta_from_above

__all__ = ["SkipDropped", "candidates"]


@dataclass(frozen=True)
class SkipDropped(Mistake):
    """The gradient of layer ``target``'s output is not carried back through its skip connection to
    the layer it comes from (``layers[0]``)."""

    target: int = 0

    def skip(self, p: Pass, l: int, da: np.ndarray) -> np.ndarray:
        return np.zeros_like(da) if l == self.target else super().skip(p, l, da)

    def formula(self, arch: Arch) -> str | None:
        return f"dA{self.layers[0]} = {delta_from_above(arch, self.layers[0])} + dA{self.target}"

    def fix(self, arch: Arch) -> str | None:
        i, j = self.layers[0], self.target
        return fix_text("skip", source=i, target=j, formula=self.formula(arch), without=delta_from_above(arch, i))


def candidates(arch: Arch) -> Iterator[Mistake]:
    """The skip path left out at every skip connection from a hidden layer (a skip from the input
    reaches no parameter)."""
    for j, i in sorted(arch.skips.items(), reverse=True):
        if i >= 1:
            yield SkipDropped("missing_skip_gradient", (i,),
                              f"the gradient of layer {j}'s output is not carried back through the skip connection "
                              f"to layer {i}'s output (only the path through the block's weights is)", target=j)
