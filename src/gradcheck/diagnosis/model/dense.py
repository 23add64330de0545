"""The one model of the standard dense net: activations, forward pass, loss, backward pass.

Everything is in "rows" form: ``X`` (m, n_in), ``W`` (n_in, n_out), ``b`` (n_out,), targets ``Y``
(m, k). A hidden layer may add an earlier layer's output to its own (a skip connection of a
residual block, ``DenseNet.skips``). :class:`gradcheck.nn.MLP`, the architecture inference
(:mod:`.infer`) and the recomputation of catalogued mistakes (:mod:`gradcheck.diagnosis.mistakes`)
all compute with it.

The backward pass is a :class:`Backprop` object whose methods are its steps (the output delta, a
layer's activation derivative, the weight gradient, the delta carried into the layer below, the
dropout mask, the input's gradient). A catalogued mistake is a subclass that overrides the step it
gets wrong; :func:`backward` runs either.

Losses (the data term, averaged over the m examples; ``scale`` multiplies it):
``bce = -mean(y log a + (1 - y) log(1 - a))`` summed over output units,
``mse = mean over examples of 0.5 * ||a - y||^2``, ``softmax_ce = mean over examples of -log a[true class]``;
``linear = sum(a * Y)`` (a layer checked through ``sum(out * R)``, not averaged).

Example:
    >>> import numpy as np
    >>> net = DenseNet(Ws=[np.ones((2, 3)), np.ones((3, 1))], bs=[np.zeros(3), np.zeros(1)],
    ...                activations=["tanh", "sigmoid"], loss="bce")
    >>> X, Y = np.array([[0.5, -1.0]]), np.array([[1.0]])
    >>> round(loss(net, X, Y), 6)
    1.609484
    >>> [dW.shape for dW, db in backward(net, X, Y)]
    [(2, 3), (3, 1)]
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .families import NAMED, family

__all__ = ["ACTIVATIONS", "CORRECT", "LAYOUTS", "LEAKY_SLOPE", "LOSSES", "Backprop", "DenseNet", "Pass", "activate",
           "activation_derivative", "backward", "base_activation", "combined", "data_loss", "example_losses",
           "forward", "gelu_derivative", "leaky_slope", "loss", "softmax_backward"]

ACTIVATIONS = ("sigmoid", "tanh", "relu", "leaky_relu", "identity", "softmax", "gelu", "gelu_tanh", *NAMED)
LOSSES = ("bce", "mse", "softmax_ce")
LAYOUTS = ("rows", "cols")
#: The slope of ``leaky_relu`` for negative inputs (``"leaky_relu(0.2)"`` names another slope).
LEAKY_SLOPE = 0.01


# -- activations -------------------------------------------------------------------


def leaky_slope(name: str) -> float | None:
    """The negative slope of a leaky relu name (``"leaky_relu"`` or ``"leaky_relu(0.2)"``), else None.

    >>> leaky_slope("leaky_relu(0.2)"), leaky_slope("relu")
    (0.2, None)
    """
    if name == "leaky_relu":
        return LEAKY_SLOPE
    if name.startswith("leaky_relu(") and name.endswith(")"):
        return float(name[len("leaky_relu(") : -1])
    return None


def base_activation(name: str) -> str:
    """``"leaky_relu"`` for a leaky relu of any slope, the name itself otherwise."""
    return "leaky_relu" if leaky_slope(name) is not None else name


def _sigmoid(z: np.ndarray) -> np.ndarray:
    # exp of a non-positive number only: no overflow warning for large |z|
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _softmax(z: np.ndarray, axis: int = -1) -> np.ndarray:
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


_ERF = np.frompyfunc(math.erf, 1, 1)
#: sqrt(2 / pi) and the cubic coefficient of GELU's tanh approximation
_GELU_C, _GELU_K = math.sqrt(2.0 / math.pi), 0.044715


def _phi_cdf(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.asarray(_ERF(np.asarray(z, dtype=np.float64) / math.sqrt(2.0)), dtype=np.float64))


def _gelu_tanh_inner(z: np.ndarray) -> np.ndarray:
    return np.tanh(_GELU_C * (z + _GELU_K * z**3))


def gelu_derivative(z: np.ndarray, tanh_approximation: bool = False) -> np.ndarray:
    """The derivative of GELU (exact: Phi(z) + z phi(z)), or of its tanh approximation.

    >>> float(gelu_derivative(np.zeros(1))[0]), float(gelu_derivative(np.zeros(1), True)[0])
    (0.5, 0.5)
    """
    if tanh_approximation:
        t = _gelu_tanh_inner(z)
        return 0.5 * (1 + t) + 0.5 * z * (1 - t * t) * _GELU_C * (1 + 3 * _GELU_K * z * z)
    return _phi_cdf(z) + z * np.exp(-0.5 * z * z) / math.sqrt(2 * math.pi)


def activate(name: str, z: np.ndarray) -> np.ndarray:
    """The activation ``name`` applied to pre-activations ``z`` (rows: softmax over the last axis).

    >>> activate("relu", np.array([-1.0, 2.0]))
    array([0., 2.])
    """
    slope = leaky_slope(name)
    if slope is not None:
        return np.where(z > 0, z, slope * z)
    member = family(name)
    if member is not None:
        return member.value(z)
    if name == "sigmoid":
        return _sigmoid(z)
    if name == "tanh":
        return np.tanh(z)
    if name == "relu":
        return np.maximum(z, 0.0)
    if name == "identity":
        return z
    if name == "softmax":
        return _softmax(z, axis=-1)
    if name == "gelu":
        return z * _phi_cdf(z)
    if name == "gelu_tanh":
        return 0.5 * z * (1 + _gelu_tanh_inner(z))
    raise ValueError(f"unknown activation {name!r}; expected one of {ACTIVATIONS}")


def activation_derivative(name: str, z: np.ndarray, a: np.ndarray) -> np.ndarray:
    """Elementwise derivative of the activation at ``z`` (``a`` is its output); not for softmax.

    >>> activation_derivative("sigmoid", np.zeros(1), np.full(1, 0.5))
    array([0.25])
    """
    slope = leaky_slope(name)
    if slope is not None:
        return np.where(z > 0, 1.0, slope).astype(z.dtype)
    member = family(name)
    if member is not None:
        return member.derivative(z)
    if name == "sigmoid":
        return a * (1.0 - a)
    if name == "tanh":
        return 1.0 - a * a
    if name == "relu":
        return (z > 0).astype(z.dtype)
    if name == "identity":
        return np.ones_like(z)
    if name in ("gelu", "gelu_tanh"):
        return gelu_derivative(z, tanh_approximation=name == "gelu_tanh")
    raise ValueError(f"activation_derivative: no elementwise derivative for {name!r}")


def softmax_backward(s: np.ndarray, da: np.ndarray) -> np.ndarray:
    """Vector-Jacobian product of the row-wise softmax ``s`` with the upstream ``da`` (rows layout)."""
    return s * (da - (da * s).sum(axis=-1, keepdims=True))


def combined(loss_name: str, output: str) -> bool:
    """True when the loss and the output activation give ``dL/dz = a - y`` together (sigmoid + BCE, softmax + CE)."""
    return (loss_name, output) in (("bce", "sigmoid"), ("softmax_ce", "softmax"))


# -- the net, its forward pass and its loss ---------------------------------------------


@dataclass
class DenseNet:
    """A dense net in rows form: weights, biases (None: no bias), one activation per layer, the loss.

    ``scale`` multiplies the data term, ``l2`` is the strength of a penalty ``l2 / 2 * sum(W ** 2)``;
    ``masks[l]`` (hidden layer l, 1-based) multiplies that layer's activations (dropout's ``D / keep_prob``).
    """

    Ws: list[np.ndarray]
    bs: list[np.ndarray | None]
    activations: list[str]
    loss: str
    scale: float = 1.0
    l2: float = 0.0
    masks: dict[int, np.ndarray] = field(default_factory=dict)
    keep_prob: float = 1.0
    #: the input's gradient is wanted too (a layer check)
    with_input: bool = False
    #: hidden layer j -> the layer i < j whose activations are added to j's (a residual connection:
    #: ``acts[j] = f(z_j) + acts[i]``; 0 is the net's input)
    skips: dict[int, int] = field(default_factory=dict)

    @property
    def depth(self) -> int:
        return len(self.Ws)


def forward(net: DenseNet, X: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """``(zs, acts)`` with ``acts[0] = X``; a hidden layer's activations carry its dropout mask."""
    zs, acts = [], [X]
    a = X
    for l, (W, b, name) in enumerate(zip(net.Ws, net.bs, net.activations), start=1):
        z = a @ W if b is None else a @ W + b
        a = activate(name, z)
        mask = net.masks.get(l)
        if mask is not None:
            a = a * mask
        if l in net.skips:
            a = a + acts[net.skips[l]]
        zs.append(z)
        acts.append(a)
    return zs, acts


def _elementwise(loss_name: str, z: np.ndarray, a: np.ndarray, Y: np.ndarray) -> np.ndarray:
    if loss_name == "linear":
        return a * Y
    if loss_name == "bce":
        # -[y log s(z) + (1-y) log(1-s(z))] = max(z, 0) - z y + log(1 + exp(-|z|)), stable for any z
        return np.maximum(z, 0) - z * Y + np.log1p(np.exp(-np.abs(z)))
    if loss_name == "softmax_ce":
        sh = z - z.max(axis=-1, keepdims=True)
        return -(Y * (sh - np.log(np.exp(sh).sum(axis=-1, keepdims=True))))
    return 0.5 * ((a - Y) ** 2)


def data_loss(loss_name: str, z: np.ndarray, a: np.ndarray, Y: np.ndarray) -> float:
    """The data term at the output's pre-activations ``z`` and activations ``a`` (mean over the rows)."""
    total = _elementwise(loss_name, z, a, Y).sum()
    return float(total) if loss_name == "linear" else float(total / Y.shape[0])


def example_losses(loss_name: str, z: np.ndarray, a: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """Each row's own term of the data loss (not averaged)."""
    return _elementwise(loss_name, z, a, Y).sum(axis=-1)


def loss(net: DenseNet, X: np.ndarray, Y: np.ndarray) -> float:
    """The whole loss: ``scale`` times the data term plus the L2 penalty."""
    zs, acts = forward(net, X)
    value = net.scale * data_loss(net.loss, zs[-1], acts[-1], Y)
    if net.l2:
        value += 0.5 * net.l2 * sum(float((W.astype(np.float64) ** 2).sum()) for W in net.Ws)
    return float(value)


# -- the backward pass, one overridable step at a time ---------------------------------------


@dataclass
class Pass:
    """One backward pass under way: the net, the batch and the forward pass's values."""

    net: DenseNet
    X: np.ndarray
    Y: np.ndarray
    zs: list[np.ndarray]
    acts: list[np.ndarray]

    @property
    def m(self) -> int:
        return self.X.shape[0]

    def unmasked(self, l: int) -> tuple[np.ndarray, np.ndarray]:
        """Layer ``l``'s pre-activation and activation, before its dropout mask (and skip connection)."""
        z, a = self.zs[l - 1], self.acts[l]
        if l in self.net.masks or l in self.net.skips:
            a = activate(self.net.activations[l - 1], z)
        return z, a


class Backprop:
    """The correct backward pass, step by step; a mistake overrides the step it gets wrong."""

    def replaces_derivative(self, l: int) -> bool:
        """True when :meth:`derivative` of layer ``l`` is not the activation's own (the output
        layer then takes the long way, dL/da * f'(z), instead of ``a - y``)."""
        return False

    def derivative(self, p: Pass, l: int) -> np.ndarray:
        """f'(z) of layer ``l``, at its own pre-activation (before any dropout mask)."""
        return activation_derivative(p.net.activations[l - 1], *p.unmasked(l))

    def output_delta(self, p: Pass) -> np.ndarray:
        """dL/dz of the output layer (with the 1/m of the mean and the data term's scale)."""
        net, L = p.net, p.net.depth
        a, Y, s, m = p.acts[L], p.Y, net.scale, p.m
        out = net.activations[-1]
        long_way = self.replaces_derivative(L)
        if net.loss == "linear":
            if out == "softmax" and not long_way:
                return softmax_backward(a, s * Y)
            return s * Y * self.derivative(p, L)
        if combined(net.loss, out) and not long_way:
            return s * (a - Y) / m
        if net.loss == "bce":
            return s * (a - Y) / (a * (1 - a)) / m * self.derivative(p, L)
        if net.loss == "softmax_ce":
            return s * (-Y / a) / m * self.derivative(p, L)
        da = s * (a - Y) / m
        if out == "softmax" and not long_way:
            return softmax_backward(a, da)
        return da * self.derivative(p, L)

    def layer_input(self, p: Pass, l: int) -> np.ndarray:
        """What multiplies the delta in layer ``l``'s weight gradient: the layer's input."""
        return p.acts[l - 1]

    def propagate(self, p: Pass, l: int, dz: np.ndarray, dW: np.ndarray) -> np.ndarray:
        """The gradient of layer ``l - 1``'s activations: the delta of layer ``l`` through ``W_l.T``."""
        return dz @ p.net.Ws[l - 1].T

    def dropout(self, p: Pass, l: int, da: np.ndarray) -> np.ndarray:
        """The gradient of hidden layer ``l``'s activations through its dropout mask."""
        mask = p.net.masks.get(l)
        return da if mask is None else da * mask

    def skip(self, p: Pass, l: int, da: np.ndarray) -> np.ndarray:
        """What the skip connection into hidden layer ``l``'s output carries back to its source's
        activations: the gradient of that output, unchanged (the identity path)."""
        return da

    def local(self, p: Pass, l: int, da: np.ndarray) -> np.ndarray:
        """Layer ``l``'s delta: the upstream gradient times the local derivative."""
        return da * self.derivative(p, l)

    def input_gradient(self, p: Pass, dz: np.ndarray) -> np.ndarray:
        """The gradient of the net's input (a layer check): the first delta through ``W_1.T``."""
        return dz @ p.net.Ws[0].T


CORRECT = Backprop()


def backward(net: DenseNet, X: np.ndarray, Y: np.ndarray, steps: Backprop = CORRECT, *,
             l2: bool = True) -> list[tuple[np.ndarray, np.ndarray | None]]:
    """``[(dW, db), ...]`` per layer, computed by ``steps`` (the correct pass by default).

    ``l2=False`` leaves the penalty's term out. With ``net.with_input``, one more entry ``(dX, None)``
    follows: the input's gradient.
    """
    with np.errstate(all="ignore"):
        zs, acts = forward(net, X)
        p = Pass(net, X, Y, zs, acts)
        dz = steps.output_delta(p)
        grads: list[tuple[np.ndarray, np.ndarray | None]] = []
        skipped: dict[int, np.ndarray] = {}  # layer -> the gradient its activations get through skips
        for l in range(net.depth, 0, -1):
            dW = steps.layer_input(p, l).T @ dz
            if l2 and net.l2:
                dW = dW + net.l2 * net.Ws[l - 1]
            grads.append((dW, dz.sum(axis=0) if net.bs[l - 1] is not None else None))
            if l == 1:
                break
            da = steps.propagate(p, l, dz, dW) + skipped.pop(l - 1, 0.0)
            if l - 1 in net.skips:
                src = net.skips[l - 1]
                skipped[src] = skipped.get(src, 0.0) + steps.skip(p, l - 1, da)
            dz = steps.local(p, l - 1, steps.dropout(p, l - 1, da))
        grads.reverse()
        if net.with_input:
            grads.append((steps.input_gradient(p, dz), None))
    return grads

