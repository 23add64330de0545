"""Factories whose mistake hides at batch size 1 (the batch size is named batch_size, N or m)."""

import numpy as np


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def regression_no_mean(batch_size=1, seed=0):
    """Linear regression on the mean squared error; the gradient leaves out the 1/m of the mean."""
    rng = np.random.default_rng(seed)
    X, y = rng.normal(size=(batch_size, 3)), rng.normal(size=(batch_size, 1))
    W, b = rng.normal(size=(3, 1)), rng.normal(size=1)

    def loss():
        return float(np.mean((X @ W + b - y) ** 2))

    def grads():
        r = X @ W + b - y
        return {"W": 2 * X.T @ r, "b": 2 * r.sum(axis=0)}

    return {"params": {"W": W, "b": b}, "loss": loss, "grads": grads, "data": (X, y)}


def sigmoid_net_bias_per_example(widths=(2, 3, 1), batch_size=1, seed=0):
    """A sigmoid net with binary cross-entropy, examples as columns; the bias gradients keep one
    column per example."""
    rng = np.random.default_rng(seed)
    params = {}
    for i, (n_in, n_out) in enumerate(zip(widths[:-1], widths[1:]), start=1):
        params[f"W{i}"] = rng.normal(size=(n_out, n_in))
        params[f"b{i}"] = rng.normal(size=(n_out, 1))
    X = rng.normal(size=(widths[0], batch_size))
    Y = (rng.random((widths[-1], batch_size)) > 0.5).astype(float)
    L = len(widths) - 1

    def forward():
        A = [X]
        for i in range(1, L + 1):
            A.append(sigmoid(params[f"W{i}"] @ A[-1] + params[f"b{i}"]))
        return A

    def loss():
        P = forward()[-1]
        return float(-np.sum(Y * np.log(P) + (1 - Y) * np.log(1 - P)) / batch_size)

    def grads():
        A = forward()
        dZ = (A[-1] - Y) / batch_size
        g = {}
        for i in range(L, 0, -1):
            g[f"W{i}"] = dZ @ A[i - 1].T
            g[f"b{i}"] = dZ
            dZ = (params[f"W{i}"].T @ dZ) * A[i - 1] * (1 - A[i - 1])
        return g

    return {"params": params, "loss": loss, "grads": grads, "data": (X, Y)}


def softmax_divided_twice(N=1, seed=0):
    """A linear softmax classifier (cs231n style, examples as rows, N of them); the scores'
    gradient is divided by N, and the weight gradient once more."""
    rng = np.random.default_rng(seed)
    X, y = rng.normal(size=(N, 4)), rng.integers(0, 3, size=N)
    W, b = 0.5 * rng.normal(size=(4, 3)), 0.1 * rng.normal(size=3)

    def probs():
        s = X @ W + b
        e = np.exp(s - s.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    def loss():
        return float(-np.log(probs()[np.arange(N), y]).mean())

    def grads():
        d = probs()
        d[np.arange(N), y] -= 1
        d /= N
        return {"W": X.T @ d / N, "b": d.sum(axis=0)}

    return {"params": {"W": W, "b": b}, "loss": loss, "grads": grads, "data": (X, y)}
