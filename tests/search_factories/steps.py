"""Factories of nets trained step by step whose mistake hides at their default optimizer settings
(learning rate 0, no momentum, no weight decay)."""

import numpy as np


def _two_layer(batch_size, seed):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(batch_size, 3))
    y = (rng.random((batch_size, 1)) > 0.5).astype(float)
    p = {"W1": rng.normal(size=(3, 4)), "b1": np.zeros(4), "W2": rng.normal(size=(4, 1)), "b2": np.zeros(1)}
    return X, y, p


def _cross_entropy(X, y, p):
    a = 1 / (1 + np.exp(-(np.tanh(X @ p["W1"] + p["b1"]) @ p["W2"] + p["b2"])))
    return float(-np.mean(y * np.log(a) + (1 - y) * np.log(1 - a)))


def _backprop(X, y, p):
    h = np.tanh(X @ p["W1"] + p["b1"])
    a = 1 / (1 + np.exp(-(h @ p["W2"] + p["b2"])))
    d = (a - y) / X.shape[0]
    dz = (d @ p["W2"].T) * (1 - h ** 2)
    return {"W1": X.T @ dz, "b1": dz.sum(axis=0), "W2": h.T @ d, "b2": d.sum(axis=0)}


def backward_updates_as_it_goes(lr=0.0, batch_size=4, seed=0):
    """A tanh - sigmoid net (rows, cross-entropy) whose backward pass applies each layer's update
    as soon as it has the layer's gradient, then carries the delta down through the updated
    weights; grads() runs that backward pass on a copy of the net and returns what it computed."""
    X, y, p = _two_layer(batch_size, seed)

    def grads():
        W2 = p["W2"].copy()
        h = np.tanh(X @ p["W1"] + p["b1"])
        a = 1 / (1 + np.exp(-(h @ W2 + p["b2"])))
        d = (a - y) / batch_size
        g = {"W2": h.T @ d, "b2": d.sum(axis=0)}
        W2 -= lr * g["W2"]
        dz = (d @ W2.T) * (1 - h ** 2)
        g.update(W1=X.T @ dz, b1=dz.sum(axis=0))
        return g

    return {"params": p, "loss": lambda: _cross_entropy(X, y, p), "grads": grads, "data": (X, y)}


def gradient_read_from_velocity(momentum=0.0, lr=0.1, batch_size=4, seed=0):
    """A tanh - sigmoid net (rows, cross-entropy) after one step of SGD with momentum; grads()
    returns the optimizer's new velocity momentum * v + dW instead of the gradient dW."""
    X, y, p = _two_layer(batch_size, seed)
    velocity = _backprop(X, y, p)
    for k in p:
        p[k] -= lr * velocity[k]

    def grads():
        g = _backprop(X, y, p)
        return {k: momentum * velocity[k] + g[k] for k in p}

    return {"params": p, "loss": lambda: _cross_entropy(X, y, p), "grads": grads, "data": (X, y)}


def step_decays_without_lr(weight_decay=0.0, lr=0.1, batch_size=4, seed=0):
    """A tanh - sigmoid net (rows) whose loss carries 0.5 * weight_decay * |W|^2; its SGD step
    shrinks the weights by (1 - weight_decay) instead of (1 - lr * weight_decay). grads() is the
    change of one step over the learning rate, (old - new) / lr."""
    if lr <= 0:
        raise ValueError(f"lr={lr}: the gradient is read as (old - new) / lr, which needs lr > 0")
    X, y, p = _two_layer(batch_size, seed)
    weights = ("W1", "W2")

    def loss():
        return _cross_entropy(X, y, p) + 0.5 * weight_decay * sum(np.sum(p[k] ** 2) for k in weights)

    def step():
        g = _backprop(X, y, p)
        return {k: (v * (1 - weight_decay) if k in weights else v) - lr * g[k] for k, v in p.items()}

    def grads():
        new = step()
        return {k: (p[k] - new[k]) / lr for k in p}

    return {"params": p, "loss": loss, "grads": grads, "data": (X, y)}
