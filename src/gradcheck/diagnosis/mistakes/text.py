"""Pieces of fix text shared by the mistakes: how a layer, its derivative and its delta are written."""

from __future__ import annotations

from ..model.arch import Arch
from ..model.dense import leaky_slope

__all__ = ["delta_from_above", "derivative_text", "layers_label"]


def derivative_text(name: str) -> str:
    """The correct derivative of activation ``name`` as a numpy expression of Z and A."""
    slope = leaky_slope(name)
    if slope is not None:
        return f"np.where(Z > 0, 1, {slope:g})"
    return {"sigmoid": "A * (1 - A)", "tanh": "1 - A ** 2", "relu": "(Z > 0)", "identity": "1"}.get(name, f"{name}'(Z)")


def layers_label(arch: Arch, layers: tuple[int, ...]) -> str:
    """``Layer 2``, ``Layers 1, 2``, or ``The layer`` for a layer check of one layer."""
    if arch.input is not None and len(arch.layers) == 1:
        return "The layer"
    where = ", ".join(str(l) for l in layers)
    return f"Layer {where}" if len(layers) == 1 else f"Layers {where}"


def delta_from_above(arch: Arch, l: int) -> str:
    """How the delta of layer ``l + 1`` reaches layer ``l``, in the net's layout."""
    w = arch.layers[l][0] if l < len(arch.layers) else "W_next"
    return f"{w}.T @ dZ{l + 1}" if arch.layout == "cols" else f"dZ{l + 1} @ {w}.T"
