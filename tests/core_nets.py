"""Small hand-written nets for the core tests, with switchable mistakes.

Written the way people write them by hand (columns are examples, as in most course
notes): ``W`` is (n_out, n_in), ``b`` is (n_out, 1), ``X`` is (n_in, m).
"""

from __future__ import annotations

import numpy as np


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


class TwoLayerNet:
    """n_in -> hidden (sigmoid/tanh/relu) -> 1 (sigmoid) with binary cross-entropy, mean over the batch."""

    def __init__(self, n_in=3, n_hidden=4, m=5, act="sigmoid", seed=0, mistake=None, dtype=np.float64):
        rng = np.random.default_rng(seed)
        self.W1 = rng.normal(0, 0.8, (n_hidden, n_in)).astype(dtype)
        self.b1 = rng.normal(0, 0.3, (n_hidden, 1)).astype(dtype)
        self.W2 = rng.normal(0, 0.8, (1, n_hidden)).astype(dtype)
        self.b2 = rng.normal(0, 0.3, (1, 1)).astype(dtype)
        self.X = rng.normal(size=(n_in, m)).astype(dtype)
        self.y = (rng.random((1, m)) > 0.5).astype(dtype)
        self.act = act
        self.mistake = mistake

    @property
    def params(self):
        return {"W1": self.W1, "b1": self.b1, "W2": self.W2, "b2": self.b2}

    def _act(self, z):
        if self.act == "sigmoid":
            return sigmoid(z)
        if self.act == "tanh":
            return np.tanh(z)
        return np.maximum(z, 0)

    def _dact(self, z, a):
        if self.act == "sigmoid":
            return a * (1 - a)
        if self.act == "tanh":
            return 1 - a**2
        return (z > 0).astype(z.dtype)

    def forward(self):
        z1 = self.W1 @ self.X + self.b1
        a1 = self._act(z1)
        z2 = self.W2 @ a1 + self.b2
        a2 = sigmoid(z2)
        return z1, a1, z2, a2

    def loss(self):
        *_, a2 = self.forward()
        y, m = self.y, self.y.shape[1]
        return float(-(y * np.log(a2) + (1 - y) * np.log(1 - a2)).sum() / m)

    def grads(self):
        z1, a1, z2, a2 = self.forward()
        m = self.X.shape[1]
        mk = self.mistake
        dz2 = a2 - self.y
        if mk == "sign":
            dz2 = -dz2
        scale = 1.0 if mk == "missing_mean" else 1.0 / m
        dW2 = scale * dz2 @ a1.T
        db2 = scale * dz2.sum(axis=1, keepdims=True)
        da1 = self.W2.T @ dz2
        if mk == "sigmoid_at_z":
            dz1 = da1 * z1 * (1 - z1)
        else:
            dz1 = da1 * self._dact(z1, a1)
        dW1 = scale * dz1 @ self.X.T
        db1 = scale * dz1 if mk == "bias_not_summed" else scale * dz1.sum(axis=1, keepdims=True)
        if mk == "transposed":
            dW1 = dW1.T.copy()
        return {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}
