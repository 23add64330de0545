"""Factories whose mistake hides while the strength of a penalty is 0 (reg, lambd, weight_decay, l1)."""

import numpy as np


def _softmax_probs(X, W, b):
    s = X @ W + b
    e = np.exp(s - s.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def softmax_l2_missing(reg=0.0, batch_size=4, seed=0):
    """A linear softmax classifier (examples as rows) with reg * sum(W * W) in the loss; the
    gradient of W leaves the penalty out."""
    rng = np.random.default_rng(seed)
    X, y = rng.normal(size=(batch_size, 4)), rng.integers(0, 3, size=batch_size)
    W, b = 0.5 * rng.normal(size=(4, 3)), 0.1 * rng.normal(size=3)

    def loss():
        p = _softmax_probs(X, W, b)
        return float(-np.log(p[np.arange(batch_size), y]).mean() + reg * np.sum(W * W))

    def grads():
        d = _softmax_probs(X, W, b)
        d[np.arange(batch_size), y] -= 1
        d /= batch_size
        return {"W": X.T @ d, "b": d.sum(axis=0)}

    return {"params": {"W": W, "b": b}, "loss": loss, "grads": grads, "data": (X, y)}


def tanh_net_l2_not_over_m(lambd=0.0, n_samples=8, seed=0):
    """A one-hidden-layer tanh net with a sigmoid output and cross-entropy, examples as columns,
    cost + lambd / (2 m) * sum of the squared weights; the gradient adds lambd * W (no 1/m)."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(2, n_samples))
    Y = (rng.random((1, n_samples)) > 0.5).astype(float)
    p = {"W1": rng.normal(size=(4, 2)), "b1": np.zeros((4, 1)), "W2": rng.normal(size=(1, 4)), "b2": np.zeros((1, 1))}
    m = n_samples

    def forward():
        A1 = np.tanh(p["W1"] @ X + p["b1"])
        return A1, 1 / (1 + np.exp(-(p["W2"] @ A1 + p["b2"])))

    def loss():
        _, A2 = forward()
        cross_entropy = -np.sum(Y * np.log(A2) + (1 - Y) * np.log(1 - A2)) / m
        return float(cross_entropy + lambd / (2 * m) * (np.sum(p["W1"] ** 2) + np.sum(p["W2"] ** 2)))

    def grads():
        A1, A2 = forward()
        dZ2 = A2 - Y
        dZ1 = (p["W2"].T @ dZ2) * (1 - A1 ** 2)
        return {"W2": dZ2 @ A1.T / m + lambd * p["W2"], "b2": dZ2.sum(axis=1, keepdims=True) / m,
                "W1": dZ1 @ X.T / m + lambd * p["W1"], "b1": dZ1.sum(axis=1, keepdims=True) / m}

    return {"params": p, "loss": loss, "grads": grads, "data": (X, Y)}


def regression_decay_on_biases(weight_decay=0.0, batch_size=5, seed=0):
    """A two-layer relu regression net (rows) with 0.5 * weight_decay * |W|^2 on the weights in
    the loss; the gradient decays the biases too."""
    rng = np.random.default_rng(seed)
    X, y = rng.normal(size=(batch_size, 3)), rng.normal(size=(batch_size, 1))
    p = {"W1": rng.normal(size=(3, 4)), "b1": rng.normal(size=4), "W2": rng.normal(size=(4, 1)), "b2": rng.normal(size=1)}

    def loss():
        h = np.maximum(X @ p["W1"] + p["b1"], 0)
        mse = 0.5 * np.mean((h @ p["W2"] + p["b2"] - y) ** 2)
        return float(mse + 0.5 * weight_decay * (np.sum(p["W1"] ** 2) + np.sum(p["W2"] ** 2)))

    def grads():
        z = X @ p["W1"] + p["b1"]
        h = np.maximum(z, 0)
        d = (h @ p["W2"] + p["b2"] - y) / batch_size
        dz = (d @ p["W2"].T) * (z > 0)
        g = {"W1": X.T @ dz, "b1": dz.sum(axis=0), "W2": h.T @ d, "b2": d.sum(axis=0)}
        return {k: v + weight_decay * p[k] for k, v in g.items()}

    return {"params": p, "loss": loss, "grads": grads, "data": (X, y)}


def regression_l1_as_l2(l1=0.0, batch_size=5, seed=0):
    """Linear regression with an L1 penalty l1 * sum |w| (lasso); the gradient of the penalty is
    written l1 * w, the L2 one."""
    rng = np.random.default_rng(seed)
    X, y = rng.normal(size=(batch_size, 4)), rng.normal(size=batch_size)
    w, b = rng.normal(size=4), np.zeros(1)

    def loss():
        return float(0.5 * np.mean((X @ w + b - y) ** 2) + l1 * np.sum(np.abs(w)))

    def grads():
        r = (X @ w + b - y) / batch_size
        return {"w": X.T @ r + l1 * w, "b": r.sum(keepdims=True)}

    return {"params": {"w": w, "b": b}, "loss": loss, "grads": grads, "data": (X, y)}
