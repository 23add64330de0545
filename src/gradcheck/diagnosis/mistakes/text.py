"""How a fix names the quantities of a layer: its derivative, its delta, its weights.

Formulas are Python in the net's own layout, with the layers' quantities numbered: ``Z2``, ``A2``
(pre-activation and activation of layer 2, ``A0`` the input), ``dZ2``, ``dA2`` (their gradients,
with the 1/m of a mean loss), the weights by the parameter's own name when it is a Python name
(else ``W2``).

Example:
    >>> from gradcheck.diagnosis.model.arch import Arch
    >>> arch = Arch(layers=[("W1", "b1"), ("W2", "b2")], layout="cols", activations=["tanh", "sigmoid"], loss="bce")
    >>> derivative_text(arch, 1), delta_from_above(arch, 1), output_delta(arch)
    ('(1 - A1 ** 2)', 'W2.T @ dZ2', '(A2 - Y) / m')
    >>> weight_gradient(arch, 2), weight_gradient(arch, 1)
    ('dW2 = dZ2 @ A1.T', 'dW1 = dZ1 @ X.T')
"""

from __future__ import annotations

from ..model.arch import Arch
from ..model.dense import combined, leaky_slope
from ..model.families import family

__all__ = ["delta_from_above", "derivative_text", "layers_label", "output_delta", "output_gradient", "weight_gradient",
           "weight_name"]


def derivative_text(arch: Arch, l: int) -> str:
    """The correct derivative of layer ``l``'s activation, as a Python factor of ``Z{l}`` and ``A{l}``."""
    name = arch.activations[l - 1]
    slope = leaky_slope(name)
    if slope is not None:
        return f"np.where(Z{l} > 0, 1, {slope:g})"
    member = family(name)
    if member is not None:
        return member.text(f"Z{l}")
    return {"sigmoid": f"A{l} * (1 - A{l})", "tanh": f"(1 - A{l} ** 2)", "relu": f"(Z{l} > 0)",
            "identity": "1"}.get(name, f"{name}_derivative(Z{l})")


def weight_name(arch: Arch, l: int) -> str:
    """Layer ``l``'s weights as a Python name: the parameter's own name, or ``W{l}``."""
    name = arch.layers[l - 1][0]
    return name if name.isidentifier() else f"W{l}"


def layers_label(arch: Arch, layers: tuple[int, ...]) -> str:
    """``Layer 2``, ``Layers 1, 2``, or ``The layer`` for a layer check of one layer."""
    if arch.input is not None and len(arch.layers) == 1:
        return "The layer"
    where = ", ".join(str(l) for l in layers)
    return f"Layer {where}" if len(layers) == 1 else f"Layers {where}"


def delta_from_above(arch: Arch, l: int) -> str:
    """The gradient of layer ``l``'s activations: the delta of layer ``l + 1`` through its weights."""
    w = weight_name(arch, l + 1)
    return f"{w}.T @ dZ{l + 1}" if arch.layout == "cols" else f"dZ{l + 1} @ {w}.T"


def output_delta(arch: Arch) -> str:
    """The output delta of sigmoid + BCE or softmax + cross-entropy, with the loss's own scale."""
    L = len(arch.layers)
    if arch.scale == 1.0:
        return f"(A{L} - Y) / m"
    return f"{arch.scale:g} * (A{L} - Y) / m"


def weight_gradient(arch: Arch, l: int) -> str | None:
    """Layer ``l``'s weight gradient, the delta times the layer's input (``X`` for the first layer), in
    the net's layout: ``dW2 = dZ2 @ A1.T`` for W of shape (n_out, n_in), ``dW2 = A1.T @ dZ2`` for
    (n_in, n_out); None when the examples lie the other way from the weights (the product then
    depends on how the user transposes, which the net does not say)."""
    if arch.x_layout and arch.x_layout != arch.layout:
        return None
    inp = (arch.input if arch.input is not None and arch.input.isidentifier() else "X") if l == 1 else f"A{l - 1}"
    product = f"dZ{l} @ {inp}.T" if arch.layout == "cols" else f"{inp}.T @ dZ{l}"
    return f"d{weight_name(arch, l)} = {product}"


def output_gradient(arch: Arch) -> str | None:
    """The output layer's gradient as a statement: ``dZ{L}`` for sigmoid + BCE and softmax + cross-entropy
    (the loss and its activation together), ``dA{L}`` for an MSE loss; None for other losses.

    >>> output_gradient(Arch(layers=[("W1", "b1")], layout="rows", activations=["identity"], loss="mse"))
    'dA1 = (A1 - Y) / m'
    """
    L = len(arch.layers)
    if combined(arch.loss, arch.activations[-1]):
        return f"dZ{L} = {output_delta(arch)}"
    return f"dA{L} = {output_delta(arch)}" if arch.loss == "mse" else None
