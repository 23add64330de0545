"""Mistakes in an activation's derivative: another function's, at the wrong quantity, left out,
applied twice, or taken from another layer."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from ..catalogue import fix_text
from ..model.arch import Arch
from ..model.dense import Pass, activation_derivative, base_activation, combined, gelu_derivative, leaky_slope
from ..model.families import family
from ..model.families import mistakes as family_mistakes
from .base import Mistake
from .text import delta_from_above, derivative_text, layers_label, output_delta

__all__ = ["DERIVATIVE_MISTAKES", "OtherLayerDerivative", "WrongDerivative", "at_layer", "derivative_mistakes",
           "groups", "other_layer"]

Deriv = Callable[[np.ndarray, np.ndarray], np.ndarray]


def _sig(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


# activation -> [(kind, derivative(z, a), what was done)]
DERIVATIVE_MISTAKES: dict[str, list[tuple[str, Deriv, str]]] = {
    "sigmoid": [
        ("activation_derivative_wrong_input", lambda z, a: z * (1 - z),
         "sigmoid' computed as z * (1 - z) on the pre-activation z (the formula a * (1 - a) needs a = sigmoid(z))"),
        ("activation_derivative_wrong_input", lambda z, a: _sig(a) * (1 - _sig(a)),
         "sigmoid' evaluated at a = sigmoid(z) instead of at z (the activation applied twice)"),
        ("wrong_activation_derivative", lambda z, a: 1 - a * a, "tanh's derivative 1 - a^2 used for a sigmoid layer"),
        ("wrong_activation_derivative", lambda z, a: a, "sigmoid' taken as a instead of a * (1 - a)"),
        ("wrong_activation_derivative", lambda z, a: 1 - a, "sigmoid' taken as 1 - a instead of a * (1 - a)"),
        ("missing_activation_derivative", lambda z, a: np.ones_like(z), "sigmoid' left out"),
        ("extra_activation_derivative", lambda z, a: (a * (1 - a)) ** 2, "sigmoid' applied twice"),
        ("wrong_activation_derivative", lambda z, a: (z > 0).astype(float), "a relu mask (z > 0) used for a sigmoid layer"),
    ],
    "tanh": [
        ("activation_derivative_wrong_input", lambda z, a: 1 - z * z,
         "tanh' computed as 1 - z^2 on the pre-activation z (the formula 1 - a^2 needs a = tanh(z))"),
        ("activation_derivative_wrong_input", lambda z, a: 1 - np.tanh(a) ** 2,
         "tanh' evaluated at a = tanh(z) instead of at z (the activation applied twice)"),
        ("wrong_activation_derivative", lambda z, a: a * (1 - a), "sigmoid's derivative a * (1 - a) used for a tanh layer"),
        ("wrong_activation_derivative", lambda z, a: 1 - a, "tanh' taken as 1 - a instead of 1 - a^2"),
        ("wrong_activation_derivative", lambda z, a: 1 / np.cosh(z), "tanh' taken as sech(z) instead of sech(z)^2"),
        ("missing_activation_derivative", lambda z, a: np.ones_like(z), "tanh' left out"),
        ("extra_activation_derivative", lambda z, a: (1 - a * a) ** 2, "tanh' applied twice"),
        ("wrong_activation_derivative", lambda z, a: (z > 0).astype(float), "a relu mask (z > 0) used for a tanh layer"),
    ],
    "relu": [
        ("wrong_activation_derivative", lambda z, a: a, "relu' taken as the activation a = max(z, 0) instead of the mask (z > 0)"),
        ("wrong_activation_derivative", lambda z, a: np.where(z > 0, 1.0, 0.01), "a leaky mask (slope 0.01) used for a relu layer"),
        # left out before inverted: where every z <= 0 the two give the same numbers, and leaving it out is commoner
        ("missing_activation_derivative", lambda z, a: np.ones_like(z), "relu' (the mask z > 0) left out"),
        ("wrong_activation_derivative", lambda z, a: (z <= 0).astype(float), "relu' mask inverted: (z <= 0) instead of (z > 0)"),
        ("wrong_activation_derivative", lambda z, a: a * (1 - a), "sigmoid's derivative a * (1 - a) used for a relu layer"),
        ("wrong_activation_derivative", lambda z, a: 1 - a * a, "tanh's derivative 1 - a^2 used for a relu layer"),
    ],
    "identity": [
        ("wrong_activation_derivative", lambda z, a: (z > 0).astype(float), "a relu mask used for a linear (identity) layer"),
        ("wrong_activation_derivative", lambda z, a: a * (1 - a), "sigmoid's derivative used for a linear (identity) layer"),
    ],
    "softmax": [],
    "gelu": [
        ("wrong_activation_derivative", lambda z, a: gelu_derivative(z, tanh_approximation=True),
         "the derivative of GELU's tanh approximation used for an exact (erf) GELU layer"),
        ("wrong_activation_derivative", lambda z, a: (z > 0).astype(float), "a relu mask (z > 0) used for a GELU layer"),
        ("missing_activation_derivative", lambda z, a: np.ones_like(z), "GELU' left out"),
    ],
    "gelu_tanh": [
        ("wrong_activation_derivative", lambda z, a: gelu_derivative(z),
         "the exact (erf) GELU's derivative used for a layer computing GELU's tanh approximation"),
        ("wrong_activation_derivative", lambda z, a: (z > 0).astype(float), "a relu mask (z > 0) used for a GELU layer"),
        ("missing_activation_derivative", lambda z, a: np.ones_like(z), "GELU' left out"),
    ],
}


def _leaky_mistakes(slope: float) -> list[tuple[str, Deriv, str]]:
    other = 0.01 if slope != 0.01 else 0.1
    return [
        ("wrong_activation_derivative", lambda z, a: (z > 0).astype(float), "a plain relu mask (slope 0) used for a leaky relu layer"),
        ("wrong_activation_derivative", lambda z, a: np.where(z > 0, 1.0, other),
         f"a leaky slope of {other:g} used in the backward pass, {slope:g} in the forward"),
        ("wrong_activation_derivative", lambda z, a: a, "the activation a used as its own derivative"),
        ("missing_activation_derivative", lambda z, a: np.ones_like(z), "leaky relu' left out"),
    ]


def derivative_mistakes(name: str) -> list[tuple[str, Deriv, str]]:
    """The catalogued wrong derivatives of activation ``name``: ``(kind, derivative(z, a), what was done)``."""
    slope = leaky_slope(name)
    if slope is not None:
        return _leaky_mistakes(slope)
    member = family(name)
    if member is not None:
        return family_mistakes(member)
    return DERIVATIVE_MISTAKES.get(base_activation(name), [])


def derivative_formula(kind: str, layers: tuple[int, ...], arch: Arch) -> str | None:
    """The right computation where a derivative mistake of ``kind`` sits, as a Python statement."""
    L = len(arch.layers)
    first = layers[0]
    if layers == (L,) and combined(arch.loss, arch.activations[-1]):
        return f"dZ{L} = {output_delta(arch)}"  # the loss and its activation together
    if base_activation(arch.activations[first - 1]) == "softmax" or (kind == "extra_activation_derivative" and L in layers):
        return None  # the output's delta of another loss: the catalogue's general fix
    d = derivative_text(arch, first)
    if kind == "extra_activation_derivative" and len(layers) == 1:
        return f"dZ{first} = ({delta_from_above(arch, first)}) * {d}"
    return f"dZ{first} = dA{first} * {d}"


def derivative_fix(kind: str, layers: tuple[int, ...], arch: Arch) -> str | None:
    """The fix of a derivative mistake of ``kind`` at ``layers``, in the net's names."""
    formula = derivative_formula(kind, layers, arch)
    if formula is None:
        return None
    first = layers[0]
    if len(layers) > 1:
        formula += f" (and alike at layer{'s' if len(layers) > 2 else ''} {', '.join(str(l) for l in layers[1:])})"
    layer = layers_label(arch, layers)
    name = base_activation(arch.activations[first - 1])
    if kind == "extra_activation_derivative" and layers == (len(arch.layers),):  # the loss's delta includes it
        return fix_text("derivative_combined", layer=layer, activation=name, loss=arch.loss, formula=formula)
    if kind == "extra_activation_derivative":
        return fix_text("derivative_twice", layer=layer, verb="multiplies" if len(layers) == 1 else "multiply",
                        activation=name, formula=formula)
    if kind == "activation_derivative_wrong_input" and name in ("tanh", "sigmoid"):
        f = "np.tanh" if name == "tanh" else "sigmoid"
        wrong = (f"1 - Z{first} ** 2 and not 1 - np.tanh(A{first}) ** 2" if name == "tanh"
                 else f"Z{first} * (1 - Z{first}) and not sigmoid'(A{first})")
        return fix_text("derivative_at_input", layer=layer, activation=name, formula=formula,
                        quantity=f"A{first} = {f}(Z{first})", wrong=wrong)
    note = fix_text("derivative_relu_note") if name == "relu" else ""
    return fix_text("derivative", layer=layer, activation=arch.activations[first - 1], formula=formula, note=note)


@dataclass(frozen=True)
class WrongDerivative(Mistake):
    """The derivative of ``layers``' activation replaced by ``fn(z, a)``."""

    fn: Deriv | None = None

    def replaces_derivative(self, l: int) -> bool:
        return l in self.layers

    def derivative(self, p: Pass, l: int) -> np.ndarray:
        if l in self.layers and self.fn is not None:
            return self.fn(*p.unmasked(l))
        return super().derivative(p, l)

    def formula(self, arch: Arch) -> str | None:
        if self.kind == "softmax_backward_wrong":
            return None
        return derivative_formula(self.kind, self.layers, arch)

    def fix(self, arch: Arch) -> str | None:
        if self.kind == "softmax_backward_wrong":
            return None
        return derivative_fix(self.kind, self.layers, arch)


@dataclass(frozen=True)
class OtherLayerDerivative(Mistake):
    """A layer's derivative computed from layer ``other``'s pre-activation and activation."""

    other: int = 0

    def derivative(self, p: Pass, l: int) -> np.ndarray:
        if l in self.layers:
            return activation_derivative(p.net.activations[l - 1], p.zs[self.other - 1], p.acts[self.other])
        return super().derivative(p, l)

    def formula(self, arch: Arch) -> str | None:
        return derivative_formula(self.kind, self.layers, arch)

    def fix(self, arch: Arch) -> str | None:
        return derivative_fix(self.kind, self.layers, arch)


def at_layer(arch: Arch, l: int) -> Iterator[Mistake]:
    """The wrong derivatives of layer ``l`` alone."""
    acts = arch.activations
    is_combined = combined(arch.loss, acts[-1])
    for kind, fn, detail in derivative_mistakes(acts[l - 1]):
        if l == len(acts) and is_combined and kind == "extra_activation_derivative":
            detail = f"{acts[-1]}' multiplied on top of a - y, which already includes it"
        yield WrongDerivative(kind, (l,), f"layer {l}: {detail}", fn=fn)


def other_layer(arch: Arch, Ws: list[np.ndarray], l: int) -> Iterator[Mistake]:
    """Hidden layer ``l``'s derivative (a relu mask, a * (1 - a)) taken from another layer of the same width."""
    L = len(arch.layers)
    if l >= L:
        return
    for k in range(L, 0, -1):
        if k != l and Ws[k - 1].shape[-1] == Ws[l - 1].shape[-1] and arch.activations[l - 1] != "softmax":
            yield OtherLayerDerivative("activation_derivative_wrong_input", (l,),
                                       f"layer {l}: {base_activation(arch.activations[l - 1])}' computed from layer "
                                       f"{k}'s pre-activation and activation instead of layer {l}'s own", other=k)


def _same_activation(acts: list[str]) -> list[tuple[int, ...]]:
    """Groups of two or more layers sharing an activation: its hidden layers, then all its layers."""
    L = len(acts)
    out: list[tuple[int, ...]] = []
    for name in dict.fromkeys(acts):
        hidden = tuple(l for l in range(1, L) if acts[l - 1] == name)
        every = tuple(l for l in range(1, L + 1) if acts[l - 1] == name)
        for g in (hidden, every):
            if len(g) >= 2 and g not in out:
                out.append(g)
    return out


def groups(arch: Arch) -> Iterator[Mistake]:
    """The same derivative mistake at every layer with that activation."""
    for group in _same_activation(arch.activations):
        for kind, fn, detail in derivative_mistakes(arch.activations[group[0] - 1]):
            names = ", ".join(str(g) for g in group)
            yield WrongDerivative(kind, group, f"layers {names}: {detail}", fn=fn)
