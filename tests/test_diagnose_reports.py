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
