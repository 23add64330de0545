"""gradcheck.diagnose on user-style nets whose mistakes earlier versions named wrongly or not at all."""

from __future__ import annotations

import numpy as np

import gradcheck


def kinds_of(report):
    return [(f.kind, tuple(f.params)) for f in report.findings]


class AccumulatingSoftmaxNet:
    """A relu-softmax net whose gradient buffers are never reset (+= on every call)."""

    def __init__(self, seed: int = 3):
        r = np.random.default_rng(seed)
        self.params = {"W1": r.normal(size=(3, 5)) * 0.5, "b1": np.zeros(5),
                       "W2": r.normal(size=(5, 3)) * 0.5, "b2": np.zeros(3)}
        self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}

    def loss(self, X, y, *, backward=True):
        P = self.params
        z1 = X @ P["W1"] + P["b1"]
        h = np.maximum(z1, 0)
        s = h @ P["W2"] + P["b2"]
        p = np.exp(s - s.max(1, keepdims=True))
        p /= p.sum(1, keepdims=True)
        n = X.shape[0]
        value = float(-np.log(p[np.arange(n), y]).mean())
        if not backward:
            return value, None
        d = p.copy()
        d[np.arange(n), y] -= 1
        d /= n
        self.grads["W2"] += h.T @ d
        self.grads["b2"] += d.sum(0)
        dh = d @ P["W2"].T * (z1 > 0)
        self.grads["W1"] += X.T @ dh
        self.grads["b1"] += dh.sum(0)
        return value, self.grads


def test_accumulating_gradients_are_not_also_a_constant_factor():
    net = AccumulatingSoftmaxNet()
    r = np.random.default_rng(4)
    X, y = r.normal(size=(7, 3)), r.integers(0, 3, 7)
    net.loss(X, y)  # one step before the check: the buffers already hold one gradient
    report = gradcheck.check(net.params, lambda: net.loss(X, y, backward=False)[0], lambda: {k: v.copy() for k, v in net.loss(X, y)[1].items()}, data=(X, y))
    assert [f.kind for f in report.findings] == ["gradient_accumulates"]
    assert set(report.findings[0].params) == {"W1", "b1", "W2", "b2"}


# -- layer objects: the input checked like a parameter, the scalar sum(out * R) --------------


class TanhLayerZ:
    """A tanh layer whose backward pass applies 1 - z^2 to the pre-activation."""

    def __init__(self, n_in, n_out, seed=5):
        r = np.random.default_rng(seed)
        self.W = r.normal(size=(n_in, n_out)) * 0.6
        self.b = r.normal(size=n_out) * 0.1

    def forward(self, x):
        self.x = x
        self.z = x @ self.W + self.b
        return np.tanh(self.z)

    def backward(self, dout):
        dz = dout * (1 - self.z ** 2)
        self.dW = self.x.T @ dz
        self.db = dz.sum(axis=0)
        return dz @ self.W.T


class Linear:
    def __init__(self, n_in, n_out, r):
        self.W = r.normal(size=(n_in, n_out)) * np.sqrt(2.0 / n_in)
        self.b = r.normal(size=n_out) * 0.1

    def forward(self, x):
        self.x = x
        return x @ self.W + self.b

    def backward(self, dout):
        self.dW = self.x.T @ dout
        self.db = dout.sum(axis=0)
        return dout @ self.W.T


class MaskedRelu:
    """A relu whose backward mask is ``mask(out)``."""

    def __init__(self, mask):
        self.mask = mask

    def forward(self, x):
        self.out = np.maximum(x, 0)
        return self.out

    def backward(self, dout):
        return dout * self.mask(self.out)


class Stack:
    def __init__(self, layers):
        self.layers = layers

    def forward(self, x):
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def backward(self, d):
        for layer in reversed(self.layers):
            d = layer.backward(d)
        return d


def _stack(mask, seed=7):
    r = np.random.default_rng(seed)
    return Stack([Linear(3, 5, r), MaskedRelu(mask), Linear(5, 5, r), MaskedRelu(mask), Linear(5, 2, r)])


def check_layer(obj, x):
    from gradcheck.adapters import as_problem

    return gradcheck.check(as_problem(obj, data=x))


def test_layer_tanh_derivative_on_the_pre_activation():
    x = np.random.default_rng(6).normal(size=(6, 4))
    report = check_layer(TanhLayerZ(4, 3), x)
    f = report.findings[0]
    assert f.kind == "activation_derivative_wrong_input"
    assert "W" in f.params and "b" in f.params and f.confidence == "confirmed"


def test_layer_stack_relu_mask_always_true_is_a_missing_derivative():
    x = np.random.default_rng(8).normal(size=(5, 3))
    report = check_layer(_stack(lambda out: out >= 0), x)
    f = report.findings[0]
    assert f.kind == "missing_activation_derivative"
    assert "layers[2].b" in f.params and "layers[4].W" not in f.params


def test_layer_stack_inverted_relu_mask_is_a_wrong_derivative():
    x = np.random.default_rng(9).normal(size=(5, 3))
    report = check_layer(_stack(lambda out: out <= 0), x)
    f = report.findings[0]
    assert f.kind == "wrong_activation_derivative"
    assert "layers[2].W" in f.params


def test_correct_layer_stack_has_no_finding():
    x = np.random.default_rng(10).normal(size=(4, 3))
    report = check_layer(_stack(lambda out: out > 0), x)
    assert report.ok and report.findings == []
