"""Small nets written as plain functions over module-level arrays, examples as rows:
``forward``, ``loss``, ``gradients`` -- a regression with tanh hidden layers and a mean
squared error, a leaky-relu net, a sigmoid classifier."""

from __future__ import annotations

import numpy as np

from . import Case


def regression(bug=None, n_in=3, hidden=(5,), m=6, seed=0):
    def build():
        rng = np.random.default_rng(seed)
        sizes = [n_in, *hidden, 1]
        Ws = [rng.normal(size=(a, b)) / np.sqrt(a) for a, b in zip(sizes[:-1], sizes[1:])]
        bs = [rng.normal(size=b) * 0.1 for b in sizes[1:]]
        X = rng.normal(size=(m, n_in))
        y = np.sin(X.sum(axis=1, keepdims=True))
        acc = {}

        def forward():
            hs = [X]
            for W, b in zip(Ws[:-1], bs[:-1]):
                hs.append(np.tanh(hs[-1] @ W + b))
            return hs, hs[-1] @ Ws[-1] + bs[-1]

        def loss():
            _, pred = forward()
            return float(np.mean((pred - y) ** 2))

        def gradients():
            hs, pred = forward()
            if bug == "no_two":
                dpred = (pred - y) / len(X)
            else:
                dpred = 2 * (pred - y) / len(X)
            g = {}
            delta = dpred
            for i in range(len(Ws) - 1, -1, -1):
                g[f"W{i + 1}"] = hs[i].T @ delta
                g[f"b{i + 1}"] = delta.sum(axis=0)
                if i == 0:
                    break
                if bug == "no_transpose" and i == len(Ws) - 2:
                    dh = delta @ Ws[i]
                else:
                    dh = delta @ Ws[i].T
                h = hs[i]
                if bug == "one_minus_h" and i == 1:
                    delta = dh * (1 - h)
                elif bug == "forgot_upstream" and i == 1:
                    delta = 1 - h**2
                else:
                    delta = dh * (1 - h**2)
            if bug == "accumulate":
                for k, v in g.items():
                    acc[k] = acc.get(k, 0) + v
                return acc
            return g

        params = {}
        for i, (W, b) in enumerate(zip(Ws, bs), start=1):
            params[f"W{i}"] = W
            params[f"b{i}"] = b
        return {"params": params, "loss": loss, "grads": gradients, "data": (X, y)}

    return build


def leaky(bug=None, m=5, seed=1, slope=0.01):
    def build():
        rng = np.random.default_rng(seed)
        W1, b1 = rng.normal(size=(4, 6)) * 0.5, np.zeros(6)
        W2, b2 = rng.normal(size=(6, 2)) * 0.5, np.zeros(2)
        X = rng.normal(size=(m, 4))
        Y = rng.normal(size=(m, 2))

        def loss():
            z1 = X @ W1 + b1
            h = np.where(z1 > 0, z1, slope * z1)
            out = h @ W2 + b2
            return float(0.5 * np.sum((out - Y) ** 2) / m)

        def grads():
            z1 = X @ W1 + b1
            h = np.where(z1 > 0, z1, slope * z1)
            out = h @ W2 + b2
            dout = (out - Y) / m
            dW2 = h.T @ dout
            db2 = dout.sum(0)
            dh = dout @ W2.T
            if bug == "relu_mask":
                dz1 = dh * (z1 > 0)
            else:
                dz1 = dh * np.where(z1 > 0, 1.0, slope)
            if bug == "sum_over_features":
                db1 = dz1.sum(1)
            else:
                db1 = dz1.sum(0)
            return {"W1": X.T @ dz1, "b1": db1, "W2": dW2, "b2": db2}

        return {"params": {"W1": W1, "b1": b1, "W2": W2, "b2": b2}, "loss": loss, "grads": grads, "data": (X, Y)}

    return build


def classifier(bug=None, m=6, seed=2):
    def build():
        rng = np.random.default_rng(seed)
        W1, b1 = rng.normal(size=(2, 4)), rng.normal(size=4) * 0.1
        W2, b2 = rng.normal(size=(4, 1)), np.zeros(1)
        if bug == "saturated":
            W2 *= 400.0
        X = rng.normal(size=(m, 2))
        y = (X[:, :1] > 0).astype(float)

        def sigmoid(z):
            return 1 / (1 + np.exp(-z))

        def loss():
            a = sigmoid(sigmoid(X @ W1 + b1) @ W2 + b2)
            a = np.clip(a, 1e-12, 1 - 1e-12)
            return float(-np.mean(y * np.log(a) + (1 - y) * np.log(1 - a)))

        def grads():
            h = sigmoid(X @ W1 + b1)
            a = sigmoid(h @ W2 + b2)
            if bug == "saturated":
                da = (-(y / a) + (1 - y) / (1 - a)) / m
                dz2 = da * a * (1 - a)
            elif bug == "forgot_minus_y":
                dz2 = a / m
            else:
                dz2 = (a - y) / m
            dh = dz2 @ W2.T
            if bug == "zero_W1":
                dW1 = np.zeros_like(W1)
            else:
                dW1 = X.T @ (dh * h * (1 - h))
            return {"W1": dW1, "b1": (dh * h * (1 - h)).sum(0), "W2": h.T @ dz2, "b2": dz2.sum(0)}

        return {"params": {"W1": W1, "b1": b1, "W2": W2, "b2": b2}, "loss": loss, "grads": grads, "data": (X, y)}

    return build


C = "plain functions"
CASES = [
    Case("functions: correct regression", C, None, None, regression()),
    Case("functions: correct deep regression, one example", C, None, None, regression(hidden=(4, 4), m=1)),
    Case("functions: correct leaky relu", C, None, None, leaky()),
    Case("functions: MSE gradient without the 2", C, "constant_factor", "b2", regression("no_two")),
    Case("functions: tanh' as 1 - h", C, "wrong_activation_derivative", "b1", regression("one_minus_h")),
    Case("functions: tanh' without the upstream delta", C, "missing_upstream_gradient", "b1", regression("forgot_upstream", hidden=(5,))),
    Case("functions: square hidden W not transposed", C, "weights_not_transposed", "b1", regression("no_transpose", hidden=(4, 4))),
    Case("functions: gradients accumulate", C, "gradient_accumulates", None, regression("accumulate")),
    Case("functions: relu mask for a leaky relu", C, "wrong_activation_derivative", "b1", leaky("relu_mask")),
    Case("functions: correct leaky relu, slope 0.2", C, None, None, leaky(slope=0.2, seed=4)),
    Case("functions: relu mask for a leaky relu of slope 0.2", C, "wrong_activation_derivative", "b1",
         leaky("relu_mask", slope=0.2, seed=4)),
    Case("functions: db1 summed over features", C, "wrong_shape", "b1", leaky("sum_over_features")),
    Case("functions: y / a on a saturated sigmoid", C, "numerically_unstable", "b2", classifier("saturated")),
    Case("functions: a instead of a - y", C, "unknown", "b2", classifier("forgot_minus_y")),
    Case("functions: dW1 left at zero", C, "zero_gradient", "W1", classifier("zero_W1")),
]
