"""Factories for the minimality of a search's smallest failing net, in two styles of user code.

Each hides one mistake at its defaults behind one setting. Style one is a function with closures
returning ``{"params", "loss", "grads", "data"}``; style two builds layer objects with their own
``forward``/``backward`` and returns a :class:`gradcheck.Problem`. ``REVEAL`` gives, for each, a
configuration at seed 0 and the smallest batch where the mistake shows, so a search has a
failing net at seed 0 to shrink to; ``tests/test_search_minimal.py`` checks that with its own
finite differences, and checks the search's smallest net against them.
"""

from __future__ import annotations

import numpy as np

from gradcheck import Problem

# -- style one: a function and its closures ---------------------------------------------------------


def hardtanh_clip_forgotten(input_scale=0.5, batch_size=4, seed=0):
    """A hardtanh hidden layer (clip to [-1, 1]), linear output, squared error; the backward pass
    lets the gradient through the clipped units. Inputs and weights in [-1, 1] keep |z| <= 0.5 at
    the default scale, so nothing is clipped there."""
    rng = np.random.default_rng(seed)
    X = input_scale * rng.uniform(-1, 1, size=(batch_size, 2))
    y = rng.normal(size=(batch_size, 1))
    p = {"W1": 0.5 * rng.uniform(-1, 1, size=(2, 3)), "W2": rng.normal(size=(3, 1))}

    def loss():
        h = np.clip(X @ p["W1"], -1.0, 1.0)
        return float(np.mean((h @ p["W2"] - y) ** 2))

    def grads():
        z = X @ p["W1"]
        h = np.clip(z, -1.0, 1.0)
        d = 2 * (h @ p["W2"] - y) / batch_size
        return {"W1": X.T @ (d @ p["W2"].T), "W2": h.T @ d}

    return {"params": p, "loss": loss, "grads": grads, "data": (X, y)}


def softmax_temperature_dropped(temperature=1.0, n_samples=3, seed=0):
    """A linear softmax classifier on scores divided by a temperature; the gradient leaves the
    1 / temperature out."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_samples, 3))
    labels = rng.integers(0, 3, size=n_samples)
    W = rng.normal(size=(3, 3))

    def probs():
        s = X @ W / temperature
        e = np.exp(s - s.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    def loss():
        return float(-np.mean(np.log(probs()[np.arange(n_samples), labels])))

    def grads():
        d = probs()
        d[np.arange(n_samples), labels] -= 1
        return {"W": X.T @ d / n_samples}

    return {"params": {"W": W}, "loss": loss, "grads": grads, "data": (X, labels)}


def decay_gradient_halved(weight_decay=0.0, m=2, seed=0):
    """Linear regression with a penalty weight_decay * sum(w ** 2) (no 1/2); the gradient adds
    weight_decay * w, the derivative of the penalty with the 1/2."""
    rng = np.random.default_rng(seed)
    X, y = rng.normal(size=(m, 3)), rng.normal(size=m)
    w = rng.normal(size=3)

    def loss():
        return float(np.mean((X @ w - y) ** 2) + weight_decay * np.sum(w ** 2))

    def grads():
        return {"w": 2 * X.T @ (X @ w - y) / m + weight_decay * w}

    return {"params": {"w": w}, "loss": loss, "grads": grads, "data": (X, y)}


# -- style two: layer objects with forward and backward -------------------------------------------


class Dense:
    def __init__(self, n_in, n_out, rng):
        self.W = rng.normal(size=(n_in, n_out)) / np.sqrt(n_in)
        self.b = np.zeros(n_out)

    def forward(self, x):
        self.x = x
        return x @ self.W + self.b

    def backward(self, dy):
        self.dW, self.db = self.x.T @ dy, dy.sum(axis=0)
        return dy @ self.W.T


class LeakyReLU:
    def __init__(self, slope):
        self.slope = slope

    def forward(self, z):
        self.z = z
        return np.where(z > 0, z, self.slope * z)

    def backward(self, dy):
        return dy * (self.z > 0)  # the slope of the negative side is left out


class HuberLoss:
    """Huber loss, mean over the batch; its backward treats every residual as small."""

    def __init__(self, delta):
        self.delta = delta

    def forward(self, out, y):
        self.r = out - y
        a = np.abs(self.r)
        return float(np.mean(np.where(a <= self.delta, 0.5 * self.r ** 2, self.delta * (a - 0.5 * self.delta))))

    def backward(self):
        return self.r / len(self.r)


class MeanSquaredLoss:
    """Squared error, mean over the batch and the outputs; its backward divides by the batch only."""

    def forward(self, out, y):
        self.r = out - y
        return float(np.mean(self.r ** 2))

    def backward(self):
        return 2 * self.r / len(self.r)


def _problem(layers, head, X, y):
    params = {}
    for i, layer in enumerate(l for l in layers if isinstance(l, Dense)):
        params[f"W{i + 1}"], params[f"b{i + 1}"] = layer.W, layer.b

    def loss():
        out = X
        for layer in layers:
            out = layer.forward(out)
        return head.forward(out, y)

    def grads():
        loss()
        d = head.backward()
        for layer in reversed(layers):
            d = layer.backward(d)
        dense = [l for l in layers if isinstance(l, Dense)]
        return {k: v for i, l in enumerate(dense) for k, v in ((f"W{i + 1}", l.dW), (f"b{i + 1}", l.db))}

    return Problem(params, loss, grads, data=(X, y))


def leaky_net_slope_ignored(slope=0.0, batch=3, seed=0):
    """Dense-LeakyReLU-Dense with a Huber head far above every residual (a squared error); at
    slope 0 it is a relu net, whose backward is right."""
    rng = np.random.default_rng(seed)
    layers = [Dense(2, 4, rng), LeakyReLU(slope), Dense(4, 1, rng)]
    X, y = rng.normal(size=(batch, 2)), rng.normal(size=(batch, 1))
    return _problem(layers, HuberLoss(1e6), X, y)


def huber_net_linear_part_ignored(delta=10.0, batch=3, seed=0):
    """Dense-Dense regression on a Huber loss whose backward ignores the linear part: right while
    every residual stays below delta."""
    rng = np.random.default_rng(seed)
    layers = [Dense(2, 2, rng), Dense(2, 1, rng)]
    X, y = rng.normal(size=(batch, 2)), 3 * rng.normal(size=(batch, 1))
    return _problem(layers, HuberLoss(delta), X, y)


def multi_output_mean_forgotten(n_out=1, batch=3, seed=0):
    """Dense-Dense regression with n_out outputs, squared error averaged over the outputs too;
    the backward divides by the batch only (right at one output)."""
    rng = np.random.default_rng(seed)
    layers = [Dense(2, 3, rng), Dense(3, n_out, rng)]
    X, y = rng.normal(size=(batch, 2)), rng.normal(size=(batch, n_out))
    return _problem(layers, MeanSquaredLoss(), X, y)


#: factory -> a configuration (overriding the defaults) at seed 0 and batch 1 where the mistake shows
REVEAL = {
    hardtanh_clip_forgotten: {"input_scale": 20.0, "batch_size": 1},
    softmax_temperature_dropped: {"temperature": 2.0, "n_samples": 1},
    decay_gradient_halved: {"weight_decay": 1.0, "m": 1},
    leaky_net_slope_ignored: {"slope": 1.0, "batch": 1},
    huber_net_linear_part_ignored: {"delta": 1.0, "batch": 1},
    multi_output_mean_forgotten: {"n_out": 2, "batch": 1},
}
