"""Mistakes in carrying a delta down: ``W`` instead of ``W.T``, ``W`` reshaped to ``W.T``'s shape instead
of transposed, another layer's weights, weights already updated in this step."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from ..catalogue import fix_text
from ..model.arch import Arch
from ..model.dense import Pass
from .base import Mistake
from .text import delta_from_above, weight_name

__all__ = ["NotTransposed", "OtherWeights", "ReshapedWeights", "UpdatedWeights", "candidates", "reshapes",
           "updated_weights"]


@dataclass(frozen=True)
class _Propagation(Mistake):
    """A mistake in the step from layer ``l`` into ``l - 1``: the first parameters it reaches are layer ``l - 1``'s."""

    @property
    def layer(self) -> int:
        return self.layers[0] - 1


@dataclass(frozen=True)
class NotTransposed(_Propagation):
    """The delta carried with ``W`` instead of ``W.T`` at ``layers`` (layer 1: the input's gradient)."""

    def propagate(self, p: Pass, l: int, dz: np.ndarray, dW: np.ndarray) -> np.ndarray:
        return dz @ p.net.Ws[l - 1] if l in self.layers else super().propagate(p, l, dz, dW)

    def input_gradient(self, p: Pass, dz: np.ndarray) -> np.ndarray:
        return dz @ p.net.Ws[0] if 1 in self.layers else super().input_gradient(p, dz)

    def formula(self, arch: Arch) -> str | None:
        cols = arch.layout == "cols"
        if self.layers == (1,) and arch.input is not None:
            w = weight_name(arch, 1)
            return f"d{arch.input} = {w}.T @ dZ1" if cols else f"d{arch.input} = dZ1 @ {w}.T"
        l = self.layers[0]
        return f"dA{l - 1} = {delta_from_above(arch, l - 1)}"

    def fix(self, arch: Arch) -> str | None:
        cols = arch.layout == "cols"
        l = self.layers[0]
        w = weight_name(arch, l)
        if self.layers == (1,) and arch.input is not None:
            wrong = f"{w} @ dZ1" if cols else f"dZ1 @ {w}"
            return fix_text("not_transposed_input", formula=self.formula(arch), wrong=wrong)
        if len(self.layers) > 1:
            names = ", ".join(arch.layers[k - 1][0] for k in self.layers)
            return fix_text("not_transposed_all", names=names, formula=self.formula(arch), layer=l)
        wrong = f"{w} @ dZ{l}" if cols else f"dZ{l} @ {w}"
        return fix_text("not_transposed_one", layer=l, below=l - 1, formula=self.formula(arch), wrong=wrong)


@dataclass(frozen=True)
class ReshapedWeights(_Propagation):
    """The delta carried with the user's ``W.reshape(W.T.shape)`` instead of ``W.T`` at ``layers``.

    The reshape acts on the user's own array (``layout``): in rows form ``W`` is (n_in, n_out) and
    ``W.reshape(n_out, n_in)`` stands for ``W.T``; in columns form the user's ``W`` is the rows-form
    ``W.T``, and ``W.reshape(n_in, n_out)`` stands for its ``W.T``.
    """

    layout: str = "rows"
    #: the rows-form shape (n_in, n_out) of the (first) layer's weights
    shape: tuple[int, int] = (0, 0)

    def carried(self, W: np.ndarray) -> np.ndarray:
        """What stands for ``W.T`` (rows form) in the product with the delta."""
        if self.layout == "cols":
            return W.T.reshape(W.shape).T
        return W.reshape(W.shape[::-1])

    def propagate(self, p: Pass, l: int, dz: np.ndarray, dW: np.ndarray) -> np.ndarray:
        return dz @ self.carried(p.net.Ws[l - 1]) if l in self.layers else super().propagate(p, l, dz, dW)

    def formula(self, arch: Arch) -> str | None:
        return f"dA{self.layers[0] - 1} = {delta_from_above(arch, self.layers[0] - 1)}"

    def fix(self, arch: Arch) -> str | None:
        l = self.layers[0]
        w = weight_name(arch, l)
        n_in, n_out = self.shape
        cols = arch.layout == "cols"
        wrong = f"{w}.reshape({n_in}, {n_out}) @ dZ{l}" if cols else f"dZ{l} @ {w}.reshape({n_out}, {n_in})"
        formula = self.formula(arch)
        if len(self.layers) > 1:
            formula = f"{formula} (and alike at layers {', '.join(str(k) for k in self.layers[1:])})"
        return fix_text("reshape_one", layer=l, below=l - 1, formula=formula, wrong=wrong)


@dataclass(frozen=True)
class OtherWeights(_Propagation):
    """The delta of ``layers`` carried through layer ``other``'s weights."""

    other: int = 0

    def propagate(self, p: Pass, l: int, dz: np.ndarray, dW: np.ndarray) -> np.ndarray:
        return dz @ p.net.Ws[self.other - 1].T if l in self.layers else super().propagate(p, l, dz, dW)


@dataclass(frozen=True)
class UpdatedWeights(_Propagation):
    """The delta carried through ``W - lr * dW`` (weights already updated in this step)."""

    lr: float = 0.0

    def propagate(self, p: Pass, l: int, dz: np.ndarray, dW: np.ndarray) -> np.ndarray:
        return dz @ (p.net.Ws[l - 1] - self.lr * dW).T if l in self.layers else super().propagate(p, l, dz, dW)


def candidates(arch: Arch, Ws: list[np.ndarray]) -> Iterator[Mistake]:
    """W for W.T at every square layer together, at the input; then per layer (top first): W for W.T,
    another layer's weights of the same shape."""
    L = len(arch.layers)
    square = tuple(l for l in range(L, 1, -1) if Ws[l - 1].shape[0] == Ws[l - 1].shape[1])
    if len(square) >= 2:
        yield NotTransposed("weights_not_transposed", square,
                            "the deltas were carried back with W instead of its transpose at every square layer "
                            f"({', '.join(arch.layers[l - 1][0] for l in square)})")
    if arch.input is not None and Ws[0].shape[0] == Ws[0].shape[1]:
        yield NotTransposed("weights_not_transposed", (1,), "the input's gradient was computed with W1 instead of its transpose")
    for l in range(L, 1, -1):
        W = Ws[l - 1]
        if W.shape[0] == W.shape[1]:
            yield NotTransposed("weights_not_transposed", (l,),
                                f"the delta of layer {l} was carried into layer {l - 1} with {arch.layers[l - 1][0]} "
                                f"instead of its transpose")
        for k in range(1, L + 1):
            if k != l and Ws[k - 1].shape == W.shape:
                yield OtherWeights("wrong_weights_in_backprop", (l,),
                                   f"the delta of layer {l} was carried into layer {l - 1} with layer {k}'s weights "
                                   f"instead of layer {l}'s", other=k)


def reshapes(arch: Arch, Ws: list[np.ndarray]) -> Iterator[Mistake]:
    """``W.reshape(W.T.shape)`` for ``W.T`` at each layer (top first), then at every such layer together.

    Only where the reshape is neither ``W.T`` (a side of 1) nor ``W`` (a square ``W``: that is
    :class:`NotTransposed`): both sides of 2 or more, and unequal.
    """
    L = len(arch.layers)
    layers = [l for l in range(L, 1, -1) if Ws[l - 1].ndim == 2 and min(Ws[l - 1].shape) >= 2
              and Ws[l - 1].shape[0] != Ws[l - 1].shape[1]]
    for l in layers:
        w = arch.layers[l - 1][0]
        yield ReshapedWeights("reshape_instead_of_transpose", (l,),
                              f"the delta of layer {l} was carried into layer {l - 1} with {w} reshaped to the "
                              f"transposed shape instead of transposed (the elements keep their order)",
                              layout=arch.layout, shape=Ws[l - 1].shape)
    if len(layers) >= 2:
        yield ReshapedWeights("reshape_instead_of_transpose", tuple(layers),
                              "the deltas were carried back with W reshaped to the transposed shape instead of W.T at "
                              f"every layer ({', '.join(arch.layers[l - 1][0] for l in layers)})",
                              layout=arch.layout, shape=Ws[layers[0] - 1].shape)


def updated_weights(arch: Arch) -> Iterator[UpdatedWeights]:
    """Deltas carried back through weights already updated in this step (``lr`` still to be fitted).

    One layer at a time (top first), then every layer updated as soon as its gradient is known.
    """
    L = len(arch.layers)
    for l in range(L, 1, -1):
        yield UpdatedWeights("wrong_weights_in_backprop", (l,),
                             f"the delta of layer {l} was carried into layer {l - 1} through W{l} already updated "
                             f"(W{l} - lr * dW{l}) in this step")
    if L >= 3:
        yield UpdatedWeights("wrong_weights_in_backprop", tuple(range(L, 1, -1)),
                             "every layer's weights were updated (W -= lr * dW) before the delta was carried through them")
