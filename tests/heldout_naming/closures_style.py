"""Plain functions: ``forward(p, X)`` returns the output and a cache, ``backward(p, cache, Y)`` the
gradients, and a small ``problem(X, Y)`` wraps them into the ``loss()`` and ``grads()`` closures
the user passes on. Softmax classifiers with examples as columns, regressions and classifiers with
examples as rows, L2 penalties, and dropout whose mask lives only in the forward pass's cache."""

from __future__ import annotations

import numpy as np

from . import binary_data, bug, case, class_data, regression_data, sigmoid


def _problem(p, X, Y, cost, gradients):
    return dict(params=p, loss=lambda: cost(p, X, Y), grads=lambda: gradients(p, X, Y), X=X, y=Y)


# -- a softmax classifier, examples as columns, the softmax backward written out ------------------


def softmax_columns(p, X):
    A1 = np.tanh(p["W1"] @ X + p["b1"])
    Z2 = p["W2"] @ A1 + p["b2"]
    E = np.exp(Z2 - Z2.max(axis=0, keepdims=True))
    return E / E.sum(axis=0, keepdims=True), A1


def softmax_columns_cost(p, X, Y):
    P, _ = softmax_columns(p, X)
    return float(-np.sum(Y * np.log(P)) / X.shape[1])


def softmax_columns_grads(p, X, Y, axis=0):
    P, A1 = softmax_columns(p, X)
    dP = -Y / P / X.shape[1]
    dZ2 = P * (dP - np.sum(P * dP, axis=axis, keepdims=True))  # softmax Jacobian times dP
    dZ1 = (p["W2"].T @ dZ2) * (1 - A1**2)
    return {
        "dW1": dZ1 @ X.T, "db1": dZ1.sum(axis=1, keepdims=True),
        "dW2": dZ2 @ A1.T, "db2": dZ2.sum(axis=1, keepdims=True),
    }


def softmax_columns_problem(m, n, hidden, k, seed, axis=0):
    X, labels = class_data(m, n, k, seed)
    Y = np.eye(k)[labels].T
    rng = np.random.default_rng(seed)
    p = {
        "W1": rng.normal(0, 0.7, (hidden, n)), "b1": rng.normal(0, 0.1, (hidden, 1)),
        "W2": rng.normal(0, 0.7, (k, hidden)), "b2": rng.normal(0, 0.1, (k, 1)),
    }
    return _problem(p, X.T, Y, softmax_columns_cost, lambda p, X, Y: softmax_columns_grads(p, X, Y, axis))


@case("closures", "closure", (4, 9), (3, 9))
def closures_correct_softmax_columns():
    return softmax_columns_problem(9, 4, 5, 3, 41)


@case("closures", "closure", (3, 10), (4, 10), bug("softmax_backward_wrong", "W1", "b1", "W2", "b2"))
def closures_softmax_backward_wrong_axis():
    return softmax_columns_problem(10, 3, 4, 4, 42, axis=1)


# -- a regression with examples as rows, an L2 penalty ---------------------------------------------


def regression_problem(m, sizes, seed, lambd, activation="tanh", mistake=None):
    X, Y = regression_data(m, sizes[0], sizes[-1], seed)
    rng = np.random.default_rng(seed)
    p = {}
    for i in range(1, len(sizes)):
        p[f"W{i}"] = rng.normal(0, 1 / np.sqrt(sizes[i - 1]), (sizes[i - 1], sizes[i]))
        p[f"b{i}"] = rng.normal(0, 0.2, (1, sizes[i]))
    act = {"tanh": (np.tanh, lambda a: 1 - a**2), "relu": (lambda z: np.maximum(z, 0), lambda a: (a > 0) * 1.0)}
    f, f_prime = act[activation]
    L = len(sizes) - 1

    def forward(p, X):
        A = [X]
        for i in range(1, L + 1):
            Z = A[-1] @ p[f"W{i}"] + p[f"b{i}"]
            A.append(Z if i == L else f(Z))
        return A

    def cost(p, X, Y):
        penalty = sum(np.sum(p[f"W{i}"] ** 2) for i in range(1, L + 1))
        return float(np.mean(np.sum((forward(p, X)[-1] - Y) ** 2, axis=1)) + lambd / (2 * len(X)) * penalty)

    def gradients(p, X, Y):
        A, m = forward(p, X), len(X)
        dZ, g = 2 * (A[-1] - Y) / m, {}
        for i in range(L, 0, -1):
            l2 = lambd / m * (np.sum(p[f"W{i}"]) if mistake == "l2_summed" else p[f"W{i}"])
            g[f"dW{i}"] = A[i - 1].T @ dZ + l2
            g[f"db{i}"] = dZ.sum(axis=0, keepdims=True)
            if i > 1:
                upstream = 1.0 if mistake == "no_upstream" and i == 2 else dZ @ p[f"W{i}"].T
                dZ = upstream * f_prime(A[i - 1])
        return g

    return _problem(p, X, Y, cost, gradients)


@case("closures", "closure", (10, 3), (10, 1))
def closures_correct_relu_l2():
    return regression_problem(10, (3, 6, 4, 1), 43, lambd=0.3, activation="relu")


@case("closures", "closure", (8, 4), (8, 2), bug("regularization_wrong", "W1", "W2"))
def closures_l2_gradient_summed():
    return regression_problem(8, (4, 5, 2), 44, lambd=0.5, mistake="l2_summed")


@case("closures", "closure", (9, 2), (9, 1), bug("missing_upstream_gradient", "W1", "b1"))
def closures_local_derivative_without_upstream():
    return regression_problem(9, (2, 4, 1), 45, lambd=0.0, mistake="no_upstream")


# -- a linear regression whose targets are a flat vector (m,) against predictions (m, 1) ----------


def flat_target_problem(m, n, seed):
    X, Y = regression_data(m, n, 1, seed)
    y = Y[:, 0]
    rng = np.random.default_rng(seed)
    p = {"w": rng.normal(size=(n, 1)), "b": np.zeros(1) + 0.1}

    def cost(p, X, y):
        return float(np.mean(((X @ p["w"] + p["b"]).ravel() - y) ** 2))

    def gradients(p, X, y):
        error = X @ p["w"] + p["b"] - y  # (m, 1) - (m,) is (m, m)
        return {"w": 2 * X.T @ error / len(y), "b": 2 * error.sum(axis=0) / len(y)}

    return _problem(p, X, y, cost, gradients)


@case("closures", "closure", (7, 3), (7,), bug("target_shape_broadcast", "w", "b", new_kind=True))
def closures_flat_target_broadcast():
    return flat_target_problem(7, 3, 46)


# -- dropout whose mask exists only inside the forward pass's cache ---------------------------------


def dropout_problem(m, n, hidden, seed, keep_prob, mistake=None):
    X, y = binary_data(m, n, seed)
    Y = y[:, None]
    rng = np.random.default_rng(seed)
    p = {
        "W1": rng.normal(0, 0.8, (n, hidden)), "b1": rng.normal(0, 0.1, hidden),
        "W2": rng.normal(0, 0.8, (hidden, 1)), "b2": rng.normal(0, 0.1, 1),
    }

    def forward(p, X):
        A1 = np.tanh(X @ p["W1"] + p["b1"])
        mask = np.random.default_rng(1234).random(A1.shape) < keep_prob  # the same mask on every call
        D1 = A1 * mask / keep_prob
        return sigmoid(D1 @ p["W2"] + p["b2"]), (A1, mask, D1)

    def cost(p, X, Y):
        A2, _ = forward(p, X)
        return float(-np.mean(Y * np.log(A2) + (1 - Y) * np.log(1 - A2)))

    def gradients(p, X, Y):
        A2, (A1, mask, D1) = forward(p, X)
        dZ2 = (A2 - Y) / len(X)
        dD1 = dZ2 @ p["W2"].T
        if mistake == "no_mask":
            dA1 = dD1 / keep_prob
        elif mistake == "no_scale":
            dA1 = dD1 * mask
        else:
            dA1 = dD1 * mask / keep_prob
        dZ1 = dA1 * (1 - A1**2)
        return {"W1": X.T @ dZ1, "b1": dZ1.sum(axis=0), "W2": D1.T @ dZ2, "b2": dZ2.sum(axis=0)}

    return _problem(p, X, Y, cost, gradients)


@case("closures", "closure", (12, 3), (12, 1))
def closures_correct_dropout_in_cache():
    return dropout_problem(12, 3, 6, 47, keep_prob=0.7)


@case("closures", "closure", (10, 4), (10, 1), bug("dropout_backward_wrong", "W1", "b1"))
def closures_dropout_cache_scale_without_mask():
    return dropout_problem(10, 4, 5, 48, keep_prob=0.6, mistake="no_mask")


@case("closures", "closure", (11, 2), (11, 1), bug("dropout_backward_wrong", "W1", "b1"))
def closures_dropout_cache_mask_without_scale():
    return dropout_problem(11, 2, 6, 49, keep_prob=0.8, mistake="no_scale")
