"""Per-example nets: the forward pass takes one example as a 1-D vector, the loss averages over a
Python loop, and the gradients are accumulated over the same loop. ``make_problem(X, Y)`` returns
``loss`` and ``grads`` as closures over the data."""

from __future__ import annotations

import numpy as np

from . import bug, case, class_data, regression_data


def make_tanh_regressor(X, Y, hidden, seed, mistake=None):
    rng = np.random.default_rng(seed)
    n, k = X.shape[1], Y.shape[1]
    p = {
        "W1": rng.normal(0, 0.8, (hidden, n)),
        "b1": rng.normal(0, 0.2, hidden),
        "W2": rng.normal(0, 0.8, (k, hidden)),
        "b2": rng.normal(0, 0.2, k),
    }

    def example_loss(x, y):
        h = np.tanh(p["W1"] @ x + p["b1"])
        return 0.5 * np.sum((p["W2"] @ h + p["b2"] - y) ** 2)

    def loss():
        return sum(example_loss(x, y) for x, y in zip(X, Y)) / len(X)

    def grads():
        total = {name: np.zeros_like(value) for name, value in p.items()}
        for x, y in zip(X, Y):
            z = p["W1"] @ x + p["b1"]
            h = np.tanh(z)
            d_out = p["W2"] @ h + p["b2"] - y
            if mistake == "divide_inside":
                d_out = d_out / len(X)
            total["W2"] += np.outer(d_out, h)
            total["b2"] += d_out
            if mistake == "no_upstream":
                d_z = 1 - h**2
            elif mistake == "derivative_of_z":
                d_z = (p["W2"].T @ d_out) * (1 - z**2)
            else:
                d_z = (p["W2"].T @ d_out) * (1 - h**2)
            total["W1"] += np.outer(d_z, x)
            total["b1"] += d_z
        if mistake == "no_mean":
            return total
        return {name: g / len(X) for name, g in total.items()}

    return dict(params=p, loss=loss, grads=grads, X=X, y=Y)


def make_softmax_classifier(X, labels, k, seed):
    rng = np.random.default_rng(seed)
    p = {"W": rng.normal(0, 0.5, (k, X.shape[1])), "b": np.zeros(k) + rng.normal(0, 0.1, k)}

    def probabilities(x):
        s = p["W"] @ x + p["b"]
        e = np.exp(s - s.max())
        return e / e.sum()

    def loss():
        return -sum(np.log(probabilities(x)[c]) for x, c in zip(X, labels)) / len(X)

    def grads():
        dW, db = np.zeros_like(p["W"]), np.zeros_like(p["b"])
        for x, c in zip(X, labels):
            d = probabilities(x)
            d[c] -= 1
            dW += np.outer(d, x)
            db += d
        return {"W": dW / len(X), "b": db / len(X)}

    return dict(params=p, loss=loss, grads=grads, X=X, y=labels)


ALL = ("W1", "b1", "W2", "b2")


@case("per_example", "closure", (7, 3), (7, 2))
def per_example_correct_tanh_mse():
    return make_tanh_regressor(*regression_data(7, 3, 2, 31), hidden=4, seed=31)


@case("per_example", "closure", (12, 4), (12,))
def per_example_correct_softmax():
    return make_softmax_classifier(*class_data(12, 4, 3, 32, dtype=np.float32), k=3, seed=32)


@case("per_example", "closure", (6, 2), (6, 1), bug("missing_batch_mean", *ALL))
def per_example_sum_not_averaged():
    return make_tanh_regressor(*regression_data(6, 2, 1, 33), hidden=5, seed=33, mistake="no_mean")


@case("per_example", "closure", (8, 3), (8, 1), bug("extra_batch_mean", *ALL))
def per_example_divided_twice():
    return make_tanh_regressor(*regression_data(8, 3, 1, 34), hidden=3, seed=34, mistake="divide_inside")


@case("per_example", "closure", (5, 3), (5, 2), bug("activation_derivative_wrong_input", "W1", "b1"))
def per_example_tanh_derivative_of_z():
    return make_tanh_regressor(*regression_data(5, 3, 2, 35), hidden=4, seed=35, mistake="derivative_of_z")


@case("per_example", "closure", (6, 3), (6, 1), bug("missing_upstream_gradient", "W1", "b1"))
def per_example_local_derivative_only():
    return make_tanh_regressor(*regression_data(6, 3, 1, 36), hidden=4, seed=36, mistake="no_upstream")
