"""A leaky relu of a slope no candidate names is fitted by the inference, so mistakes on such nets
are recomputed and named."""

from __future__ import annotations

import numpy as np

import gradcheck
from gradcheck.diagnosis.model.infer import infer_arch

SLOPE = 0.07


def _leaky(z):
    return np.where(z > 0, z, SLOPE * z)


def _net(rng, m=9):
    X, Y = rng.normal(size=(3, m)), rng.random((1, m))
    p = {"W1": rng.normal(size=(5, 3)), "b1": rng.normal(size=(5, 1)), "W2": rng.normal(size=(4, 5)),
         "b2": rng.normal(size=(4, 1)), "W3": rng.normal(size=(1, 4)), "b3": rng.normal(size=(1, 1))}

    def forward():
        Z1 = p["W1"] @ X + p["b1"]
        Z2 = p["W2"] @ _leaky(Z1) + p["b2"]
        return Z1, Z2, 1 / (1 + np.exp(-(p["W3"] @ _leaky(Z2) + p["b3"])))

    def loss():
        return float(0.5 * ((forward()[2] - Y) ** 2).sum() / m)

    def grads():
        Z1, Z2, A3 = forward()
        dZ3 = (A3 - Y) * A3 * (1 - A3) / m
        dZ2 = p["W3"].T @ dZ3 * np.where(Z2 > 0, 1.0, SLOPE)
        dZ1 = p["W2"].T @ dZ2 * (Z1 > 0)  # the relu derivative: the leaky slope left out
        return {"W1": dZ1 @ X.T, "b1": dZ1.sum(1, keepdims=True), "W2": dZ2 @ _leaky(Z1).T,
                "b2": dZ2.sum(1, keepdims=True), "W3": dZ3 @ _leaky(Z2).T, "b3": dZ3.sum(1, keepdims=True)}

    return p, loss, grads, (X, Y)


def test_the_slope_is_fitted():
    p, loss, _, data = _net(np.random.default_rng(0))
    arch = infer_arch(p, loss, data)
    assert arch is not None and arch.activations == [f"leaky_relu({SLOPE:g})"] * 2 + ["sigmoid"]
    assert (arch.layout, arch.loss) == ("cols", "mse")


def test_a_mistake_on_a_net_of_that_slope_is_named():
    p, loss, grads, _ = _net(np.random.default_rng(1))
    report = gradcheck.check(p, loss, grads)
    assert [(f.kind, f.params) for f in report.findings] == [("wrong_activation_derivative", ["W1", "b1"])]
