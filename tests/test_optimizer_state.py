"""An optimizer's state returned with the gradient (``optimizer_state_in_gradient``): a momentum velocity
or a running average in place of the gradient of this call. Named, with every parameter it reaches, on
nets written here in two styles (a class whose trainer keeps an Adam-like first moment, closures over a
momentum SGD loop); the same nets returning the plain gradient pass; a constant typed into the backward
pass is not taken for state; the parameters hold their old bits after the probe."""

from __future__ import annotations

import numpy as np
import pytest

import gradcheck

# -- a class: a relu regression net trained a few steps with an Adam-like first moment ---------------


class Regressor:
    """X (m, 4) -> relu(5) -> 2, half mean squared error. ``train`` keeps the first moment
    ``m = beta * m + (1 - beta) * g`` of every parameter; ``gradient`` returns it when ``leak`` is set."""

    def __init__(self, leak=True, beta=0.9, steps=3, seed=0):
        rng = np.random.default_rng(seed)
        self.X, self.Y = rng.normal(size=(9, 4)), rng.normal(size=(9, 2))
        self.p = {"W1": rng.normal(size=(4, 5)), "b1": 0.1 * rng.normal(size=5),
                  "W2": rng.normal(size=(5, 2)), "b2": np.zeros(2)}
        self.moment = {k: np.zeros_like(v) for k, v in self.p.items()}
        self.leak, self.beta = leak, beta
        for _ in range(steps):
            g = self._backprop()
            for k in self.p:
                self.moment[k] = beta * self.moment[k] + (1 - beta) * g[k]
                self.p[k] -= 0.05 * self.moment[k]

    def loss(self):
        h = np.maximum(self.X @ self.p["W1"] + self.p["b1"], 0)
        return float(0.5 * np.sum((h @ self.p["W2"] + self.p["b2"] - self.Y) ** 2) / len(self.X))

    def _backprop(self):
        z = self.X @ self.p["W1"] + self.p["b1"]
        h = np.maximum(z, 0)
        d = (h @ self.p["W2"] + self.p["b2"] - self.Y) / len(self.X)
        dz = (d @ self.p["W2"].T) * (z > 0)
        return {"W1": self.X.T @ dz, "b1": dz.sum(axis=0), "W2": h.T @ d, "b2": d.sum(axis=0)}

    def gradient(self):
        g = self._backprop()
        if not self.leak:
            return g
        return {k: self.beta * self.moment[k] + (1 - self.beta) * g[k] for k in g}  # the moment, not g


def test_the_first_moment_returned_as_the_gradient_is_named_on_every_parameter():
    net = Regressor()
    report = gradcheck.check(net.p, net.loss, net.gradient, data=(net.X, net.Y))
    assert [(f.kind, f.params) for f in report.findings] == [("optimizer_state_in_gradient", ["W1", "b1", "W2", "b2"])]
    assert abs(report.findings[0].evidence["slope"] - 0.1) < 1e-3  # (1 - beta) x the gradient, plus the stored term


def test_the_regressor_returning_its_gradient_passes():
    net = Regressor(leak=False)
    assert gradcheck.check(net.p, net.loss, net.gradient, data=(net.X, net.Y)).ok


# -- closures: a tanh classifier (examples as columns) after a few steps of momentum SGD ---------------


def _momentum_net(returns="velocity", momentum=0.8, steps=4, seed=1):
    rng = np.random.default_rng(seed)
    X, Y = rng.normal(size=(3, 12)), (rng.random((1, 12)) > 0.5) * 1.0
    W1, b1, W2, b2 = rng.normal(size=(6, 3)), np.zeros((6, 1)), rng.normal(size=(1, 6)), np.zeros((1, 1))
    params = {"W1": W1, "b1": b1, "W2": W2, "b2": b2}
    velocity = {k: np.zeros_like(v) for k, v in params.items()}

    def loss():
        A2 = 1 / (1 + np.exp(-(W2 @ np.tanh(W1 @ X + b1) + b2)))
        return float(-np.mean(Y * np.log(A2) + (1 - Y) * np.log(1 - A2)))

    def backprop():
        A1 = np.tanh(W1 @ X + b1)
        dZ2 = (1 / (1 + np.exp(-(W2 @ A1 + b2))) - Y) / X.shape[1]
        dZ1 = (W2.T @ dZ2) * (1 - A1 ** 2)
        return {"W1": dZ1 @ X.T, "b1": dZ1.sum(axis=1, keepdims=True), "W2": dZ2 @ A1.T,
                "b2": dZ2.sum(axis=1, keepdims=True)}

    for _ in range(steps):
        g = backprop()
        for k, p in params.items():
            velocity[k] = momentum * velocity[k] + g[k]
            p -= 0.1 * velocity[k]
    last = g  # the gradient of the last step, taken before it

    def grads():
        g = backprop()
        if returns == "gradient":
            return g
        if returns == "stale":  # the previous step's gradient alone: it does not follow the parameters at all
            return last
        if returns == "offset":  # a constant typed into the backward pass, not a stored gradient
            return {k: v - 0.3 for k, v in g.items()}
        return {k: momentum * velocity[k] + g[k] for k in g}

    return params, loss, grads, (X, Y)


def test_the_momentum_velocity_returned_as_the_gradient_is_named():
    params, loss, grads, data = _momentum_net()
    before = {k: v.copy() for k, v in params.items()}
    report = gradcheck.check(params, loss, grads, data=data)
    assert [(f.kind, f.params) for f in report.findings] == [("optimizer_state_in_gradient", ["W1", "b1", "W2", "b2"])]
    assert abs(report.findings[0].evidence["slope"] - 1.0) < 1e-3 and report.findings[0].evidence["cosine"] > 0.5
    assert all(np.array_equal(before[k], params[k]) for k in params)  # the probe moved them and put them back


@pytest.mark.parametrize("momentum", [0.5, 0.95])
def test_the_velocity_is_named_at_other_momenta(momentum):
    params, loss, grads, data = _momentum_net(momentum=momentum, seed=2)
    assert gradcheck.check(params, loss, grads, data=data).kinds() == ["optimizer_state_in_gradient"]


def test_the_momentum_net_returning_its_gradient_passes():
    params, loss, grads, data = _momentum_net(returns="gradient")
    assert gradcheck.check(params, loss, grads, data=data).ok


def test_a_constant_typed_into_the_backward_pass_is_not_state():
    params, loss, grads, data = _momentum_net(returns="offset")
    report = gradcheck.check(params, loss, grads, data=data)
    assert not report.ok and "optimizer_state_in_gradient" not in report.kinds()


def test_a_stale_gradient_is_not_state_added_to_the_gradient():
    params, loss, grads, data = _momentum_net(returns="stale")
    report = gradcheck.check(params, loss, grads, data=data)
    assert not report.ok and "optimizer_state_in_gradient" not in report.kinds()
