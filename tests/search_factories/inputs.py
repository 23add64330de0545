"""Factories whose mistake hides while the inputs are positive or the units unsaturated."""

import numpy as np


def abs_net_derivative_left_out(widths=(2, 3, 1), seed=0, X=None):
    """A net with |z| as hidden activation (uniform [0, 1) weights, zero biases), linear output,
    half squared error, examples as rows; the backward pass leaves out the derivative of |z|."""
    rng = np.random.default_rng(seed)
    if X is None:
        X = rng.random((4, widths[0]))
    W1, b1 = rng.random((widths[0], widths[1])), np.zeros(widths[1])
    W2, b2 = rng.normal(size=(widths[1], widths[-1])), np.zeros(widths[-1])
    y = rng.normal(size=(X.shape[0], widths[-1]))
    m = X.shape[0]

    def loss():
        return float(0.5 * np.sum((np.abs(X @ W1 + b1) @ W2 + b2 - y) ** 2) / m)

    def grads():
        h = np.abs(X @ W1 + b1)
        d = (h @ W2 + b2 - y) / m
        dz = d @ W2.T
        return {"W1": X.T @ dz, "b1": dz.sum(axis=0), "W2": h.T @ d, "b2": d.sum(axis=0)}

    return {"params": {"W1": W1, "b1": b1, "W2": W2, "b2": b2}, "loss": loss, "grads": grads, "data": (X, y)}


def leaky_relu_with_relu_backward(center_inputs=False, batch_size=5, seed=0):
    """A leaky-relu hidden layer (slope 0.1) on inputs in [0, 1) (in [-0.5, 0.5) centred), positive
    initial weights, linear output, mean squared error; the backward pass uses the relu mask
    (slope 0 for negative pre-activations)."""
    rng = np.random.default_rng(seed)
    X = rng.random((batch_size, 3))
    if center_inputs:
        X = X - 0.5
    y = rng.normal(size=(batch_size, 1))
    p = {"W1": rng.random((3, 4)), "b1": np.zeros(4), "W2": rng.normal(size=(4, 1)), "b2": np.zeros(1)}

    def forward():
        z = X @ p["W1"] + p["b1"]
        h = np.where(z > 0, z, 0.1 * z)
        return z, h, h @ p["W2"] + p["b2"]

    def loss():
        return float(np.mean((forward()[2] - y) ** 2))

    def grads():
        z, h, out = forward()
        d = 2 * (out - y) / batch_size
        dz = (d @ p["W2"].T) * np.where(z > 0, 1.0, 0.0)
        return {"W1": X.T @ dz, "b1": dz.sum(axis=0), "W2": h.T @ d, "b2": d.sum(axis=0)}

    return {"params": p, "loss": loss, "grads": grads, "data": (X, y)}


def logistic_clipped_probabilities(scale=0.1, batch_size=6, seed=0):
    """Logistic regression whose loss clips the probabilities to [1e-6, 1 - 1e-6] before the log
    (weights drawn with the given scale); the gradient is p - y, as if nothing were clipped."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(batch_size, 3))
    y = (rng.random(batch_size) > 0.5).astype(float)
    w, b = scale * rng.normal(size=3), np.zeros(1)

    def prob():
        return np.clip(1 / (1 + np.exp(-(X @ w + b))), 1e-6, 1 - 1e-6)

    def loss():
        a = prob()
        return float(-np.mean(y * np.log(a) + (1 - y) * np.log(1 - a)))

    def grads():
        d = (1 / (1 + np.exp(-(X @ w + b))) - y) / batch_size
        return {"w": X.T @ d, "b": d.sum(keepdims=True)}

    return {"params": {"w": w, "b": b}, "loss": loss, "grads": grads, "data": (X, y)}


def relu6_upper_clip_forgotten(input_scale=1.0, batch_size=5, seed=0):
    """A relu6 hidden layer, min(max(z, 0), 6), linear output, mean squared error, inputs drawn
    at the given scale; the backward pass masks z > 0 only, forgetting the flat part above 6."""
    rng = np.random.default_rng(seed)
    X = input_scale * rng.normal(size=(batch_size, 3))
    y = rng.normal(size=(batch_size, 1))
    p = {"W1": 0.5 * rng.normal(size=(3, 4)), "b1": 0.1 * rng.normal(size=4),
         "W2": rng.normal(size=(4, 1)), "b2": np.zeros(1)}

    def forward():
        z = X @ p["W1"] + p["b1"]
        h = np.minimum(np.maximum(z, 0), 6)
        return z, h, h @ p["W2"] + p["b2"]

    def loss():
        return float(np.mean((forward()[2] - y) ** 2))

    def grads():
        z, h, out = forward()
        d = 2 * (out - y) / batch_size
        dz = (d @ p["W2"].T) * (z > 0)
        return {"W1": X.T @ dz, "b1": dz.sum(axis=0), "W2": h.T @ d, "b2": d.sum(axis=0)}

    return {"params": p, "loss": loss, "grads": grads, "data": (X, y)}
