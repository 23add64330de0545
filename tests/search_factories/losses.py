"""Factories whose mistake hides at the neutral value of a loss setting (label smoothing 0,
temperature 1, a Huber threshold above every residual, a positive-class weight of 1)."""

import numpy as np


def _data(batch_size, seed, n_classes=3):
    rng = np.random.default_rng(seed)
    X, labels = rng.normal(size=(batch_size, 4)), rng.integers(0, n_classes, size=batch_size)
    return rng, X, labels


def softmax_smoothing_ignored(label_smoothing=0.0, batch_size=4, seed=0):
    """A linear softmax classifier (rows, 3 classes) trained on smoothed targets
    (1 - eps) * onehot + eps / k; the gradient is p - onehot."""
    rng, X, labels = _data(batch_size, seed)
    W, b = 0.5 * rng.normal(size=(4, 3)), np.zeros(3)
    onehot = np.eye(3)[labels]
    target = (1 - label_smoothing) * onehot + label_smoothing / 3

    def probs():
        s = X @ W + b
        e = np.exp(s - s.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    def loss():
        return float(-np.sum(target * np.log(probs())) / batch_size)

    def grads():
        d = (probs() - onehot) / batch_size
        return {"W": X.T @ d, "b": d.sum(axis=0)}

    return {"params": {"W": W, "b": b}, "loss": loss, "grads": grads, "data": (X, labels)}


def softmax_temperature_forgotten(temperature=1.0, batch_size=4, seed=0):
    """A linear softmax classifier (rows, 3 classes) on scores divided by a temperature; the
    gradient leaves out the 1 / temperature."""
    rng, X, labels = _data(batch_size, seed)
    W, b = 0.5 * rng.normal(size=(4, 3)), np.zeros(3)

    def probs():
        s = (X @ W + b) / temperature
        e = np.exp(s - s.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    def loss():
        return float(-np.log(probs()[np.arange(batch_size), labels]).mean())

    def grads():
        d = probs()
        d[np.arange(batch_size), labels] -= 1
        d /= batch_size
        return {"W": X.T @ d, "b": d.sum(axis=0)}

    return {"params": {"W": W, "b": b}, "loss": loss, "grads": grads, "data": (X, labels)}


def huber_linear_part_forgotten(delta=100.0, batch_size=5, seed=0):
    """Linear regression on the Huber loss (quadratic below delta, linear above); the gradient
    is the residual everywhere, as if no residual were above delta."""
    rng = np.random.default_rng(seed)
    X, y = rng.normal(size=(batch_size, 3)), rng.normal(size=batch_size)
    w, b = rng.normal(size=3), np.zeros(1)

    def loss():
        r = np.abs(X @ w + b - y)
        return float(np.mean(np.where(r <= delta, 0.5 * r ** 2, delta * (r - 0.5 * delta))))

    def grads():
        r = (X @ w + b - y) / batch_size
        return {"w": X.T @ r, "b": r.sum(keepdims=True)}

    return {"params": {"w": w, "b": b}, "loss": loss, "grads": grads, "data": (X, y)}


def weighted_cross_entropy_weight_ignored(pos_weight=1.0, batch_size=6, seed=0):
    """Logistic regression on cross-entropy with the positive class weighted by pos_weight; the
    gradient is p - y, unweighted."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(batch_size, 3))
    y = (np.arange(batch_size) % 2).astype(float)
    w, b = rng.normal(size=3), np.zeros(1)

    def prob():
        return 1 / (1 + np.exp(-(X @ w + b)))

    def loss():
        a = prob()
        return float(-np.mean(pos_weight * y * np.log(a) + (1 - y) * np.log(1 - a)))

    def grads():
        d = (prob() - y) / batch_size
        return {"w": X.T @ d, "b": d.sum(keepdims=True)}

    return {"params": {"w": w, "b": b}, "loss": loss, "grads": grads, "data": (X, y)}
