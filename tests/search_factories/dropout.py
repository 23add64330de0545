"""Factories whose mistake hides while nothing is dropped (keep_prob = 1, p = 0)."""

import numpy as np


def dropout_net_no_rescale(keep_prob=1.0, batch_size=6, seed=0):
    """A tanh hidden layer with inverted dropout (mask drawn once, so the loss is a function),
    linear output, mean squared error, examples as rows; the backward pass applies the mask
    but not the 1 / keep_prob."""
    rng = np.random.default_rng(seed)
    X, y = rng.normal(size=(batch_size, 3)), rng.normal(size=(batch_size, 2))
    p = {"W1": rng.normal(size=(3, 5)), "b1": 0.1 * rng.normal(size=5), "W2": rng.normal(size=(5, 2)), "b2": np.zeros(2)}
    mask = rng.random((batch_size, 5)) < keep_prob

    def loss():
        h = np.tanh(X @ p["W1"] + p["b1"]) * mask / keep_prob
        return float(np.mean(np.sum((h @ p["W2"] + p["b2"] - y) ** 2, axis=1)))

    def grads():
        t = np.tanh(X @ p["W1"] + p["b1"])
        h = t * mask / keep_prob
        d = 2 * (h @ p["W2"] + p["b2"] - y) / batch_size
        dt = (d @ p["W2"].T) * mask
        dz = dt * (1 - t ** 2)
        return {"W1": X.T @ dz, "b1": dz.sum(axis=0), "W2": h.T @ d, "b2": d.sum(axis=0)}

    return {"params": p, "loss": loss, "grads": grads, "data": (X, y)}


def dropout_net_mask_forgotten(p=0.0, batch_size=6, seed=0):
    """A relu hidden layer with dropout of probability p (mask drawn once), sigmoid output and
    cross-entropy, examples as rows; the backward pass rescales by 1 / (1 - p) but never
    applies the mask."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(batch_size, 3))
    y = (rng.random((batch_size, 1)) > 0.5).astype(float)
    params = {"W1": rng.normal(size=(3, 5)), "b1": 0.1 * rng.normal(size=5),
              "W2": rng.normal(size=(5, 1)), "b2": np.zeros(1)}
    keep = rng.random((batch_size, 5)) >= p

    def forward():
        z = X @ params["W1"] + params["b1"]
        h = np.maximum(z, 0) * keep / (1 - p)
        return z, h, 1 / (1 + np.exp(-(h @ params["W2"] + params["b2"])))

    def loss():
        a = forward()[2]
        return float(-np.mean(y * np.log(a) + (1 - y) * np.log(1 - a)))

    def grads():
        z, h, a = forward()
        d = (a - y) / batch_size
        dz = (d @ params["W2"].T) / (1 - p) * (z > 0)
        return {"W1": X.T @ dz, "b1": dz.sum(axis=0), "W2": h.T @ d, "b2": d.sum(axis=0)}

    return {"params": params, "loss": loss, "grads": grads, "data": (X, y)}
