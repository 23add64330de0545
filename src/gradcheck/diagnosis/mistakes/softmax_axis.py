"""Mistake: the softmax output layer's backward pass taken along the examples axis instead of the
classes axis (examples as rows vs columns): the probabilities normalized over the examples, or the
softmax Jacobian's sum ``sum(P * dP)`` taken over the examples."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from ..model.arch import Arch
from ..model.dense import Pass, combined
from .base import Mistake

__all__ = ["SoftmaxAxis", "at_layer"]


def _softmax_examples(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=0, keepdims=True))
    return e / e.sum(axis=0, keepdims=True)


@dataclass(frozen=True)
class SoftmaxAxis(Mistake):
    """``how``: ``"probabilities"`` (softmax over the examples in the backward pass) or ``"jacobian"``
    (the Jacobian's sum over the examples)."""

    how: str = "jacobian"

    def output_delta(self, p: Pass) -> np.ndarray:
        net, L = p.net, p.net.depth
        a, Y, s, m = p.acts[L], p.Y, net.scale, p.m
        if self.how == "probabilities":
            q = _softmax_examples(p.zs[-1])
            if combined(net.loss, "softmax"):
                return s * (q - Y) / m
            return s * q * ((q - Y) / m - (((q - Y) / m) * q).sum(axis=0, keepdims=True))
        da = s * (-Y / a) / m if net.loss == "softmax_ce" else s * (a - Y) / m
        return a * (da - (a * da).sum(axis=0, keepdims=True))

    def fix(self, arch: Arch) -> str | None:
        axis = 0 if arch.layout == "cols" else 1
        if self.how == "probabilities":
            return (f"Normalize the softmax over the classes: P = np.exp(Z) / np.exp(Z).sum(axis={axis}, keepdims=True) "
                    f"(the examples are {arch.examples}).")
        return (f"Take the softmax Jacobian's sum over the classes: dZ = P * (dP - np.sum(P * dP, axis={axis}, "
                f"keepdims=True)) (the examples are {arch.examples}).")


def at_layer(arch: Arch, l: int) -> Iterator[Mistake]:
    """At a softmax output layer: the Jacobian's sum, or the probabilities, along the examples axis."""
    if l != len(arch.layers) or arch.activations[-1] != "softmax":
        return
    yield SoftmaxAxis("softmax_backward_wrong", (l,),
                      "output layer: the softmax Jacobian's sum sum(P * dP) taken over the examples, not the classes",
                      how="jacobian")
    yield SoftmaxAxis("softmax_backward_wrong", (l,),
                      "output layer: the softmax probabilities normalized over the examples, not the classes",
                      how="probabilities")
