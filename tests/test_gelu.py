"""GELU (exact and tanh approximation) layers are inferred, and the other variant's derivative in
the backward pass is named wrong_activation_derivative."""

from __future__ import annotations

import math

import numpy as np

import gradcheck
from gradcheck.diagnosis.model.dense import activate, gelu_derivative

C = math.sqrt(2 / math.pi)


def _gelu_tanh(z):
    return 0.5 * z * (1 + np.tanh(C * (z + 0.044715 * z**3)))


def test_the_derivatives_match_finite_differences():
    z = np.linspace(-3, 3, 13)
    h = 1e-6
    for name, approx in (("gelu", False), ("gelu_tanh", True)):
        fd = (activate(name, z + h) - activate(name, z - h)) / (2 * h)
        assert np.allclose(gelu_derivative(z, approx), fd, atol=1e-8)


def test_the_exact_derivative_in_a_tanh_approximation_net_is_named():
    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(3, 8)), rng.normal(size=(2, 8))   # examples as columns
    p = {"W1": rng.normal(size=(4, 3)), "b1": rng.normal(size=(4, 1)), "W2": rng.normal(size=(4, 4)),
         "b2": rng.normal(size=(4, 1)), "W3": rng.normal(size=(2, 4)), "b3": rng.normal(size=(2, 1))}

    def forward():
        Z1 = p["W1"] @ X + p["b1"]
        Z2 = p["W2"] @ _gelu_tanh(Z1) + p["b2"]
        return Z1, Z2, p["W3"] @ _gelu_tanh(Z2) + p["b3"]

    def loss():
        return float(0.5 * ((forward()[2] - Y) ** 2).sum() / 8)

    def grads():
        Z1, Z2, out = forward()
        dZ3 = (out - Y) / 8
        dZ2 = p["W3"].T @ dZ3 * gelu_derivative(Z2)       # the exact GELU's derivative: not this net's
        dZ1 = p["W2"].T @ dZ2 * gelu_derivative(Z1, True)
        return {"W1": dZ1 @ X.T, "b1": dZ1.sum(1, keepdims=True), "W2": dZ2 @ _gelu_tanh(Z1).T,
                "b2": dZ2.sum(1, keepdims=True), "W3": dZ3 @ _gelu_tanh(Z2).T, "b3": dZ3.sum(1, keepdims=True)}

    report = gradcheck.check(p, loss, grads)
    assert [(f.kind, f.params) for f in report.findings] == [("wrong_activation_derivative", ["W1", "b1", "W2", "b2"])]
    assert "tanh approximation" in report.findings[0].message
