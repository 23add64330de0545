"""Mistake: a layer's cached activations overwritten in place by the derivative computed from them
(``A *= 1 - A`` on the cache, ``A **= 2`` on the way to ``1 - A ** 2``) before the weight gradient
of the layer above reads them: ``dW`` is formed with the derivative (or its first step) instead of
the activations."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from ..model.arch import Arch
from ..model.dense import Pass, base_activation, leaky_slope
from .base import Mistake

__all__ = ["OverwrittenInput", "candidates", "in_place_steps"]

Step = Callable[[np.ndarray], np.ndarray]


def in_place_steps(activation: str) -> list[tuple[str, Step]]:
    """What an in-place computation of ``activation``'s derivative from its output leaves in the
    cache: the derivative, and for sigmoid and tanh the step before it.

    >>> [text for text, _ in in_place_steps("tanh")]
    ['1 - A ** 2', 'A ** 2']
    """
    slope = leaky_slope(activation)
    base = base_activation(activation)
    if base == "sigmoid":
        return [("A * (1 - A)", lambda a: a * (1 - a)), ("1 - A", lambda a: 1 - a)]
    if base == "tanh":
        return [("1 - A ** 2", lambda a: 1 - a * a), ("A ** 2", lambda a: a * a)]
    if base == "relu":
        return [("(A > 0)", lambda a: (a > 0).astype(a.dtype))]
    if slope is not None:
        def leaky(a: np.ndarray, s: float = slope) -> np.ndarray:
            return np.where(a > 0, 1.0, s)

        return [(f"np.where(A > 0, 1, {slope:g})", leaky)]
    return []


@dataclass(frozen=True)
class OverwrittenInput(Mistake):
    """``dW`` of ``layers`` formed with ``step(A_prev)``: the cache of the layer below overwritten."""

    step: Step | None = None
    text: str = ""

    def layer_input(self, p: Pass, l: int) -> np.ndarray:
        a = super().layer_input(p, l)
        return self.step(a) if l in self.layers and self.step is not None else a

    def fix(self, arch: Arch) -> str | None:
        l = self.layers[0]
        w = arch.layers[l - 1][0]
        dw = f"dZ{l} @ A{l - 1}.T" if arch.layout == "cols" else f"A{l - 1}.T @ dZ{l}"
        steps = in_place_steps(arch.activations[l - 2])
        deriv = re.sub(r"\bA\b", f"A{l - 1}", steps[0][0] if steps else self.text)  # the whole derivative, not a step
        return (f"Compute layer {l - 1}'s derivative into a new array (deriv = {deriv}, not A{l - 1} *= ... "
                f"on the cached A{l - 1}), so that d{w} = {dw} still reads the activations.")


def candidates(arch: Arch) -> Iterator[Mistake]:
    """At every layer above the first (top first): each in-place step of the layer below's derivative."""
    for l in range(len(arch.layers), 1, -1):
        for text, step in in_place_steps(arch.activations[l - 2]):
            yield OverwrittenInput("weight_gradient_wrong_input", (l,),
                                   f"layer {l}: d{arch.layers[l - 1][0]} formed with {text} (layer {l - 1}'s cached "
                                   f"activations A overwritten in place by its derivative) instead of A",
                                   step=step, text=text)
