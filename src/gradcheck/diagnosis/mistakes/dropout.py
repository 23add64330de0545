"""Mistakes in dropout's backward pass: the mask, or its 1/keep_prob scaling, left out."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from ..model.arch import Arch
from ..model.dense import Pass
from .base import Mistake

__all__ = ["DropoutBackward", "candidates"]


@dataclass(frozen=True)
class DropoutBackward(Mistake):
    """At ``layers``: ``"missing"`` (no mask), ``"unscaled"`` (mask without 1/keep_prob) or
    ``"unmasked"`` (1/keep_prob without the mask) in the backward pass."""

    how: str = "missing"

    def dropout(self, p: Pass, l: int, da: np.ndarray) -> np.ndarray:
        mask = p.net.masks.get(l)
        if mask is None or l not in self.layers:
            return super().dropout(p, l, da)
        if self.how == "missing":
            return da
        if self.how == "unscaled":
            return da * mask * p.net.keep_prob
        return da / p.net.keep_prob


def candidates(arch: Arch) -> Iterator[Mistake]:
    """Each dropped layer alone (top first), then all of them together."""
    L = len(arch.layers)
    dropped = tuple(sorted((l for l in arch.dropout if 1 <= l < L), reverse=True))
    for group in [(l,) for l in dropped] + ([dropped] if len(dropped) >= 2 else []):
        names = ", ".join(str(g) for g in group)
        yield DropoutBackward("dropout_backward_wrong", group,
                              f"layer {names}: the dropout mask was not applied to the gradient in the backward pass")
        if arch.keep_prob != 1.0:
            yield DropoutBackward("dropout_backward_wrong", group,
                                  f"layer {names}: the gradient was multiplied by the dropout mask but not divided by "
                                  f"keep_prob = {arch.keep_prob:g}", how="unscaled")
            yield DropoutBackward("dropout_backward_wrong", group,
                                  f"layer {names}: the gradient was divided by keep_prob = {arch.keep_prob:g} but not "
                                  f"multiplied by the dropout mask", how="unmasked")
