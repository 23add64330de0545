"""Piecewise-linear activations of two families, clip (relu6, hard tanh, a relu capped elsewhere) and
sign (|z|): the diagnosis recognizes the net and names a derivative mistake in them
(``wrong_activation_derivative``: a bound of the clip forgotten, a relu mask for |z|;
``missing_activation_derivative``: the derivative left out) with the parameters it reaches, on nets
written here in two styles (layer objects with forward / backward, and closures over a list of
arrays); the same nets written right pass."""

from __future__ import annotations

import numpy as np
import pytest

import gradcheck
from gradcheck.diagnosis.model.families import family

# -- layer objects (examples as rows), a linear output and a half mean squared error ---------------


class Dense:
    def __init__(self, rng, n_in, n_out, scale=1.0):
        self.W = scale * rng.normal(size=(n_in, n_out))
        self.b = 0.1 * rng.normal(size=n_out)

    def forward(self, x):
        self.x = x
        return x @ self.W + self.b

    def backward(self, dout):
        self.dW, self.db = self.x.T @ dout, dout.sum(axis=0)
        return dout @ self.W.T


class Piecewise:
    """An activation layer whose backward pass uses ``backward_mask(z)`` as the derivative."""

    def __init__(self, fn, backward_mask):
        self.fn, self.backward_mask = fn, backward_mask

    def forward(self, z):
        self.z = z
        return self.fn(z)

    def backward(self, dout):
        return dout * self.backward_mask(self.z)


class LayerNet:
    def __init__(self, widths, act, mask, input_scale=1.0, seed=0):
        rng = np.random.default_rng(seed)
        self.X = input_scale * rng.normal(size=(6, widths[0]))
        self.Y = rng.normal(size=(6, widths[-1]))
        self.layers = []
        for i in range(len(widths) - 1):
            self.layers.append(Dense(rng, widths[i], widths[i + 1]))
            if i < len(widths) - 2:
                self.layers.append(Piecewise(act, mask))

    def params(self):
        dense = [layer for layer in self.layers if isinstance(layer, Dense)]
        return {f"{k}{i}": getattr(d, k) for i, d in enumerate(dense, start=1) for k in ("W", "b")}

    def loss(self):
        out = self.X
        for layer in self.layers:
            out = layer.forward(out)
        return float(0.5 * np.sum((out - self.Y) ** 2) / len(self.X))

    def grads(self):
        out = self.X
        for layer in self.layers:
            out = layer.forward(out)
        d = (out - self.Y) / len(self.X)
        for layer in reversed(self.layers):
            d = layer.backward(d)
        dense = [layer for layer in self.layers if isinstance(layer, Dense)]
        return {f"{k}{i}": getattr(d, f"d{k}") for i, d in enumerate(dense, start=1) for k in ("W", "b")}


def relu6(z):
    return np.minimum(np.maximum(z, 0.0), 6.0)


def _check_layers(widths, act, mask, **kw):
    net = LayerNet(widths, act, mask, **kw)
    return gradcheck.check(net.params(), net.loss, net.grads, data=(net.X, net.Y))


def _named(report):
    return [(f.kind, f.params) for f in report.findings]


def test_relu6_whose_backward_forgets_the_upper_clip():
    report = _check_layers([3, 5, 2], relu6, lambda z: (z > 0) * 1.0, input_scale=6.0)
    assert _named(report) == [("wrong_activation_derivative", ["W1", "b1"])]
    assert "above 6" in report.findings[0].message
    assert "((Z1 > 0) & (Z1 < 6))" in report.findings[0].fix


def test_relu6_in_two_hidden_layers_with_the_derivative_left_out():
    report = _check_layers([2, 4, 4, 1], relu6, np.ones_like, input_scale=5.0, seed=3)
    assert _named(report) == [("missing_activation_derivative", ["W1", "b1", "W2", "b2"])]


def test_abs_with_a_relu_mask_in_the_backward_pass():
    report = _check_layers([4, 3, 1], np.abs, lambda z: (z > 0) * 1.0, seed=1)
    assert _named(report) == [("wrong_activation_derivative", ["W1", "b1"])]
    assert "np.sign(Z1)" in report.findings[0].fix


def test_hardtanh_with_its_derivative_left_out():
    report = _check_layers([3, 6, 2], lambda z: np.clip(z, -1.0, 1.0), np.ones_like, input_scale=2.0, seed=2)
    assert _named(report) == [("missing_activation_derivative", ["W1", "b1"])]
    assert "hardtanh" in report.findings[0].fix


@pytest.mark.parametrize("act,mask,scale", [
    (relu6, lambda z: ((z > 0) & (z < 6)) * 1.0, 6.0),
    (np.abs, np.sign, 1.0),
    (lambda z: np.clip(z, -1.0, 1.0), lambda z: (np.abs(z) < 1) * 1.0, 2.0),
])
def test_the_layer_nets_written_right_pass(act, mask, scale):
    assert _check_layers([3, 5, 2], act, mask, input_scale=scale).ok


# -- closures over a list of arrays (examples as columns), sigmoid output, cross-entropy -------------


def _closure_net(hidden="abs", backward="none", seed=4, m=8):
    """A 2-3-1 net, ``hidden`` by family name; ``backward`` is the derivative its backward pass uses:
    "right", "none" (left out) or "relu" (the mask z > 0)."""
    rng = np.random.default_rng(seed)
    X, Y = 3 * rng.normal(size=(2, m)), (rng.random((1, m)) > 0.5) * 1.0
    params = [rng.normal(size=(3, 2)), np.zeros((3, 1)), rng.normal(size=(1, 3)), np.zeros((1, 1))]
    act = family(hidden)
    deriv = {"right": act.derivative, "none": np.ones_like, "relu": lambda z: (z > 0) * 1.0}[backward]

    def forward():
        W1, b1, W2, b2 = params
        Z1 = W1 @ X + b1
        return Z1, act.value(Z1), 1 / (1 + np.exp(-(W2 @ act.value(Z1) + b2)))

    def loss():
        _, _, A2 = forward()
        return float(-np.mean(Y * np.log(A2) + (1 - Y) * np.log(1 - A2)))

    def grads():
        Z1, A1, A2 = forward()
        dZ2 = (A2 - Y) / m
        dZ1 = (params[2].T @ dZ2) * deriv(Z1)
        return [dZ1 @ X.T, dZ1.sum(axis=1, keepdims=True), dZ2 @ A1.T, dZ2.sum(axis=1, keepdims=True)]

    names = ["W1", "b1", "W2", "b2"]
    return dict(zip(names, params)), loss, lambda: dict(zip(names, grads())), (X, Y)


@pytest.mark.parametrize("hidden,backward,kind", [
    ("abs", "none", "missing_activation_derivative"),
    ("abs", "relu", "wrong_activation_derivative"),
    ("clip(0,2)", "relu", "wrong_activation_derivative"),  # a relu capped at 2, its cap forgotten
    ("relu6", "none", "missing_activation_derivative"),
])
def test_the_closure_net_names_the_derivative_mistake(hidden, backward, kind):
    params, loss, grads, data = _closure_net(hidden, backward)
    report = gradcheck.check(params, loss, grads, data=data, hint=None if "(" not in hidden else {"activations": [hidden, "sigmoid"], "loss": "bce"})
    assert _named(report) == [(kind, ["W1", "b1"])]


@pytest.mark.parametrize("hidden", ["abs", "relu6", "hardtanh", "clip(0,2)"])
def test_the_closure_nets_written_right_pass(hidden):
    params, loss, grads, data = _closure_net(hidden, "right")
    assert gradcheck.check(params, loss, grads, data=data).ok
