"""Mistakes recomputed on the dense model, each on hand-written nets (without data=): the delta
carried down through dW, a cache overwritten in place by its derivative before dW reads it, the
softmax backward along the examples axis. Each test checks the kind and the parameters named."""

from __future__ import annotations

import numpy as np
import pytest

import gradcheck


def _softmax(z, axis):
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _named(report):
    return [(f.kind, f.params) for f in report.findings]


def test_delta_through_the_weight_gradient_in_a_rows_relu_net():
    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(10, 3)), rng.normal(size=(10, 2))
    p = {"W1": rng.normal(size=(3, 4)), "b1": rng.normal(size=4), "W2": rng.normal(size=(4, 4)),
         "b2": rng.normal(size=4), "W3": rng.normal(size=(4, 2)), "b3": rng.normal(size=2)}

    def forward():
        z1 = X @ p["W1"] + p["b1"]
        a1 = np.maximum(z1, 0)
        z2 = a1 @ p["W2"] + p["b2"]
        a2 = np.maximum(z2, 0)
        return z1, a1, z2, a2, a2 @ p["W3"] + p["b3"]

    def loss():
        return float(((forward()[-1] - Y) ** 2).sum() / (2 * len(X)))

    def grads():
        z1, a1, z2, a2, out = forward()
        d3 = (out - Y) / len(X)
        dW3 = a2.T @ d3
        d2 = d3 @ dW3.T * (z2 > 0)  # dW3 where W3 belongs
        dW2 = a1.T @ d2
        d1 = d2 @ p["W2"].T * (z1 > 0)
        return {"W1": X.T @ d1, "b1": d1.sum(0), "W2": dW2, "b2": d2.sum(0), "W3": dW3, "b3": d3.sum(0)}

    report = gradcheck.check(p, loss, grads)
    assert _named(report) == [("wrong_weights_in_backprop", ["W1", "b1", "W2", "b2"])]
    assert "dZ3 @ W3.T, not dZ3 @ dW3.T" in report.findings[0].fix


def test_cache_overwritten_by_the_first_step_of_tanh_derivative_in_a_cols_net():
    rng = np.random.default_rng(1)
    X, Y = rng.normal(size=(2, 7)), (rng.random((1, 7)) > 0.5).astype(float)
    p = {"W1": rng.normal(size=(5, 2)), "b1": rng.normal(size=(5, 1)),
         "W2": rng.normal(size=(1, 5)), "b2": rng.normal(size=(1, 1))}

    def forward():
        A1 = np.tanh(p["W1"] @ X + p["b1"])
        return A1, 1 / (1 + np.exp(-(p["W2"] @ A1 + p["b2"])))

    def loss():
        _, A2 = forward()
        return float(-np.mean(Y * np.log(A2) + (1 - Y) * np.log(1 - A2)))

    def grads():
        A1, A2 = forward()
        dZ2 = (A2 - Y) / 7
        dA1 = p["W2"].T @ dZ2
        deriv = A1
        deriv **= 2  # in place: A1 now holds A1 ** 2
        dZ1 = dA1 * (1 - deriv)
        return {"W1": dZ1 @ X.T, "b1": dZ1.sum(1, keepdims=True), "W2": dZ2 @ A1.T, "b2": dZ2.sum(1, keepdims=True)}

    report = gradcheck.check(p, loss, grads)
    assert _named(report) == [("weight_gradient_wrong_input", ["W2"])]
    assert "A ** 2" in report.findings[0].message


@pytest.mark.parametrize("how", ["jacobian", "probabilities"])
def test_softmax_backward_along_the_examples_axis(how):
    rng = np.random.default_rng(2)
    m, k = 9, 3
    X = rng.normal(size=(m, 4))
    Y = np.eye(k)[rng.integers(0, k, m)]
    p = {"W1": rng.normal(size=(4, 6)), "b1": rng.normal(size=6), "W2": rng.normal(size=(6, k)), "b2": rng.normal(size=k)}

    def forward():
        h = 1 / (1 + np.exp(-(X @ p["W1"] + p["b1"])))
        return h, h @ p["W2"] + p["b2"]

    def loss():
        return float(-np.sum(Y * np.log(_softmax(forward()[1], axis=1))) / m)

    def grads():
        h, z = forward()
        if how == "probabilities":
            dz = (_softmax(z, axis=0) - Y) / m  # normalized over the examples
        else:
            P = _softmax(z, axis=1)
            dP = -Y / P / m
            dz = P * (dP - np.sum(P * dP, axis=0, keepdims=True))  # the Jacobian's sum over the examples
        dh = dz @ p["W2"].T * h * (1 - h)
        return {"W1": X.T @ dh, "b1": dh.sum(0), "W2": h.T @ dz, "b2": dz.sum(0)}

    report = gradcheck.check(p, loss, grads)
    assert _named(report) == [("softmax_backward_wrong", ["W1", "b1", "W2", "b2"])]
    assert "axis=1" in report.findings[0].fix


def test_a_factor_two_on_a_bce_net_is_not_blamed_on_a_square():
    rng = np.random.default_rng(3)
    X, Y = rng.normal(size=(7, 3)), (rng.random((7, 1)) > 0.5).astype(float)
    p = {"W": rng.normal(size=(3, 1)), "b": rng.normal(size=1)}

    def loss():
        a = 1 / (1 + np.exp(-(X @ p["W"] + p["b"])))
        return float(-np.mean(Y * np.log(a) + (1 - Y) * np.log(1 - a)))

    def grads():
        a = 1 / (1 + np.exp(-(X @ p["W"] + p["b"])))
        dz = 2 * (a - Y) / 7  # a 2 copied from an MSE derivative
        return {"W": X.T @ dz, "b": dz.sum(0)}

    report = gradcheck.check(p, loss, grads)
    f = report.findings[0]
    assert (f.kind, f.params) == ("constant_factor", ["W", "b"])
    assert "MSE loss and a 0.5" not in f.message and "bce" in f.message
    assert "bce loss has no square" in f.fix and "(a - y) / m" not in f.fix


def test_no_dropout_advice_for_a_factor_on_a_net_without_dropout():
    rng = np.random.default_rng(4)
    X, Y = rng.normal(size=(6, 3)), rng.normal(size=(6, 2))
    p = {"W": rng.normal(size=(3, 2)), "b": rng.normal(size=2)}

    def loss():
        return float(0.5 * ((np.tanh(X @ p["W"] + p["b"]) - Y) ** 2).sum() / 6)

    def grads():
        a = np.tanh(X @ p["W"] + p["b"])
        dz = 3 * (a - Y) * (1 - a**2) / 6  # an odd factor of 3
        return {"W": X.T @ dz, "b": dz.sum(0)}

    f = gradcheck.check(p, loss, grads).findings[0]
    assert (f.kind, f.params) == ("constant_factor", ["W", "b"])
    assert "dropout" not in f.fix and "keep_prob" not in f.fix
