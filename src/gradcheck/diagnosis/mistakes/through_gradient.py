"""Mistake: a delta carried into the layer below through the layer's weight *gradient* ``dW``
instead of its weights ``W`` (``dA_prev = dW.T @ dZ``, a name slip between two arrays of one shape)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from ..model.arch import Arch
from ..model.dense import Pass
from .base import Mistake

__all__ = ["ThroughGradient", "candidates"]


@dataclass(frozen=True)
class ThroughGradient(Mistake):
    """The delta of ``layers`` carried down through ``dW`` of the same layer."""

    @property
    def layer(self) -> int:
        return self.layers[0] - 1  # the first parameters it reaches are the layer below's

    def propagate(self, p: Pass, l: int, dz: np.ndarray, dW: np.ndarray) -> np.ndarray:
        return dz @ dW.T if l in self.layers else super().propagate(p, l, dz, dW)

    def formula(self, arch: Arch) -> str | None:
        l = self.layers[0]
        w = arch.layers[l - 1][0]
        return f"dA{l - 1} = {w}.T @ dZ{l}" if arch.layout == "cols" else f"dA{l - 1} = dZ{l} @ {w}.T"

    def fix(self, arch: Arch) -> str | None:
        l = self.layers[0]
        w = arch.layers[l - 1][0]
        bad = f"d{w}.T @ dZ{l}" if arch.layout == "cols" else f"dZ{l} @ d{w}.T"
        return f"Carry the delta of layer {l} down through the weights, not their gradient: {self.formula(arch)}, not {bad}."


def candidates(arch: Arch) -> Iterator[Mistake]:
    """At every layer above the first, top first."""
    for l in range(len(arch.layers), 1, -1):
        yield ThroughGradient("wrong_weights_in_backprop", (l,),
                              f"the delta of layer {l} was carried into layer {l - 1} through the gradient "
                              f"d{arch.layers[l - 1][0]} instead of the weights {arch.layers[l - 1][0]}")
