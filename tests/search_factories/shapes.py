"""Factories whose mistake hides at some width, number of outputs or depth."""

import numpy as np


def reshape_for_transpose(widths=(3, 4, 1), batch_size=4, seed=0):
    """A tanh - linear net (rows, half mean squared error) that carries the delta down through
    W2.reshape(n_out, n_hidden) where W2.T belongs."""
    rng = np.random.default_rng(seed)
    n_in, n_hidden, n_out = widths[0], widths[1], widths[-1]
    X, y = rng.normal(size=(batch_size, n_in)), rng.normal(size=(batch_size, n_out))
    p = {"W1": rng.normal(size=(n_in, n_hidden)), "b1": np.zeros(n_hidden),
         "W2": rng.normal(size=(n_hidden, n_out)), "b2": np.zeros(n_out)}

    def loss():
        h = np.tanh(X @ p["W1"] + p["b1"])
        return float(0.5 * np.sum((h @ p["W2"] + p["b2"] - y) ** 2) / batch_size)

    def grads():
        h = np.tanh(X @ p["W1"] + p["b1"])
        d = (h @ p["W2"] + p["b2"] - y) / batch_size
        dz = (d @ p["W2"].reshape(n_out, n_hidden)) * (1 - h ** 2)
        return {"W1": X.T @ dz, "b1": dz.sum(axis=0), "W2": h.T @ d, "b2": d.sum(axis=0)}

    return {"params": p, "loss": loss, "grads": grads, "data": (X, y)}


def equal_width_net_not_transposed(width=1, batch_size=3, seed=0):
    """A three-layer tanh net whose layers all have the same width (rows, z = a @ W + b), half
    squared error; the delta is carried down with W instead of W.T."""
    rng = np.random.default_rng(seed)
    X, y = rng.normal(size=(batch_size, width)), rng.normal(size=(batch_size, width))
    p = {}
    for i in (1, 2, 3):
        p[f"W{i}"] = rng.normal(size=(width, width))
        p[f"b{i}"] = 0.1 * rng.normal(size=width)

    def forward():
        a = [X]
        for i in (1, 2):
            a.append(np.tanh(a[-1] @ p[f"W{i}"] + p[f"b{i}"]))
        a.append(a[-1] @ p["W3"] + p["b3"])
        return a

    def loss():
        return float(0.5 * np.sum((forward()[-1] - y) ** 2) / batch_size)

    def grads():
        a = forward()
        dz = (a[-1] - y) / batch_size
        g = {}
        for i in (3, 2, 1):
            g[f"W{i}"], g[f"b{i}"] = a[i - 1].T @ dz, dz.sum(axis=0)
            if i > 1:
                dz = (dz @ p[f"W{i}"]) * (1 - a[i - 1] ** 2)
        return g

    return {"params": p, "loss": loss, "grads": grads, "data": (X, y)}


def regression_mean_over_outputs(n_outputs=1, batch_size=4, seed=0):
    """A linear regression with n_outputs targets whose loss is the squared error summed over the
    outputs and averaged over the examples; the gradient divides by every element (pred.size)."""
    rng = np.random.default_rng(seed)
    X, y = rng.normal(size=(batch_size, 3)), rng.normal(size=(batch_size, n_outputs))
    W, b = rng.normal(size=(3, n_outputs)), np.zeros(n_outputs)

    def loss():
        return float(np.sum((X @ W + b - y) ** 2) / batch_size)

    def grads():
        pred = X @ W + b
        d = 2 * (pred - y) / pred.size
        return {"W": X.T @ d, "b": d.sum(axis=0)}

    return {"params": {"W": W, "b": b}, "loss": loss, "grads": grads, "data": (X, y)}


def deep_net_hidden_derivative_left_out(n_hidden_layers=0, batch_size=4, seed=0):
    """A sigmoid-output net with n_hidden_layers tanh layers of width 3 (rows, cross-entropy);
    the delta carried into a hidden layer is not multiplied by tanh'(z)."""
    rng = np.random.default_rng(seed)
    widths = [2] + [3] * n_hidden_layers + [1]
    X = rng.normal(size=(batch_size, 2))
    y = (rng.random((batch_size, 1)) > 0.5).astype(float)
    p = {}
    for i in range(1, len(widths)):
        p[f"W{i}"] = rng.normal(size=(widths[i - 1], widths[i]))
        p[f"b{i}"] = 0.1 * rng.normal(size=widths[i])
    L = len(widths) - 1

    def forward():
        a = [X]
        for i in range(1, L):
            a.append(np.tanh(a[-1] @ p[f"W{i}"] + p[f"b{i}"]))
        a.append(1 / (1 + np.exp(-(a[-1] @ p[f"W{L}"] + p[f"b{L}"]))))
        return a

    def loss():
        out = forward()[-1]
        return float(-np.mean(y * np.log(out) + (1 - y) * np.log(1 - out)))

    def grads():
        a = forward()
        dz = (a[-1] - y) / batch_size
        g = {}
        for i in range(L, 0, -1):
            g[f"W{i}"], g[f"b{i}"] = a[i - 1].T @ dz, dz.sum(axis=0)
            dz = dz @ p[f"W{i}"].T
        return g

    return {"params": p, "loss": loss, "grads": grads, "data": (X, y)}
