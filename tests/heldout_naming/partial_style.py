"""Module-level functions ``loss_fn(params, X, y)`` and ``grad_fn(params, X, y)`` bound to the data
with ``functools.partial``, as people do before handing them to an optimizer. Examples are rows:
a softmax classifier over integer labels, and a leaky-ReLU regressor with two square hidden layers."""

from __future__ import annotations

import functools

import numpy as np

from . import bug, case, class_data, regression_data


def softmax_rows(scores):
    e = np.exp(scores - scores.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def classifier_loss(params, X, y):
    hidden = np.tanh(X @ params["W1"] + params["b1"])
    probs = softmax_rows(hidden @ params["W2"] + params["b2"])
    return float(-np.mean(np.log(probs[np.arange(len(y)), y])))


def classifier_grads(params, X, y, mistake=None):
    hidden = np.tanh(X @ params["W1"] + params["b1"])
    scores = hidden @ params["W2"] + params["b2"]
    # the backward recomputes the probabilities; "columns" normalizes down each class instead
    if mistake == "columns":
        e = np.exp(scores - scores.max(axis=0, keepdims=True))
        probs = e / e.sum(axis=0, keepdims=True)
    else:
        probs = softmax_rows(scores)
    d_scores = probs.copy()
    d_scores[np.arange(len(y)), y] -= 1
    d_scores /= len(y)
    d_hidden = d_scores @ params["W2"].T * (1 - hidden**2)
    return {
        "W1": X.T @ d_hidden, "b1": d_hidden.sum(axis=0),
        "W2": hidden.T @ d_scores, "b2": d_scores if mistake == "bias_not_summed" else d_scores.sum(axis=0),
    }


def classifier(m, n, hidden, k, seed, mistake=None, dtype=np.float64):
    X, y = class_data(m, n, k, seed, dtype)
    rng = np.random.default_rng(seed)
    params = {
        "W1": rng.normal(0, 0.6, (n, hidden)), "b1": rng.normal(0, 0.1, hidden),
        "W2": rng.normal(0, 0.6, (hidden, k)), "b2": rng.normal(0, 0.1, k),
    }
    loss = functools.partial(classifier_loss, params, X, y)
    grads = functools.partial(classifier_grads, params, X, y, mistake=mistake)
    return dict(params=params, loss=loss, grads=grads, X=X, y=y)


def leaky(z, slope=0.02):
    return np.where(z > 0, z, slope * z)


def leaky_prime(z, slope=0.02):
    return np.where(z > 0, 1.0, slope)


def regressor_loss(params, X, y):
    a1 = leaky(X @ params["W1"] + params["b1"])
    a2 = leaky(a1 @ params["W2"] + params["b2"])
    return float(0.5 * np.mean((a2 @ params["W3"] + params["b3"] - y) ** 2))


def regressor_grads(params, X, y, mistake=None):
    z1 = X @ params["W1"] + params["b1"]
    a1 = leaky(z1)
    z2 = a1 @ params["W2"] + params["b2"]
    a2 = leaky(z2)
    d3 = (a2 @ params["W3"] + params["b3"] - y) / y.size
    d2 = d3 @ params["W3"].T * leaky_prime(z2)
    back = params["W2"] if mistake == "no_transpose" else params["W2"].T
    d1 = d2 @ back * leaky_prime(z1)
    return {
        "W1": X.T @ d1, "b1": d1.sum(axis=0), "W2": a1.T @ d2, "b2": d2.sum(axis=0),
        "W3": a2.T @ d3, "b3": d3.sum(axis=0),
    }


def regressor(m, n, hidden, seed, mistake=None):
    X, y = regression_data(m, n, 1, seed)
    rng = np.random.default_rng(seed)
    params = {
        "W1": rng.normal(0, 0.7, (n, hidden)), "b1": rng.normal(0, 0.2, hidden),
        "W2": rng.normal(0, 0.7, (hidden, hidden)), "b2": rng.normal(0, 0.2, hidden),
        "W3": rng.normal(0, 0.7, (hidden, 1)), "b3": rng.normal(0, 0.2, 1),
    }
    loss = functools.partial(regressor_loss, params, X, y)
    return dict(params=params, loss=loss, grads=functools.partial(regressor_grads, params, X, y, mistake), X=X, y=y)


@case("partial", "partial", (10, 4), (10,))
def partial_correct_softmax_rows():
    return classifier(10, 4, 5, 3, 51, dtype=np.float32)


@case("partial", "partial", (9, 3), (9,), bug("softmax_backward_wrong", "W1", "b1", "W2", "b2"))
def partial_softmax_normalized_over_examples():
    return classifier(9, 3, 4, 3, 52, mistake="columns")


@case("partial", "partial", (8, 3), (8,), bug("bias_not_summed", "b2"))
def partial_output_bias_not_summed():
    return classifier(8, 3, 4, 4, 53, mistake="bias_not_summed", dtype=np.float32)


@case("partial", "partial", (9, 2), (9, 1))
def partial_correct_leaky_regressor():
    return regressor(9, 2, 4, 54)


@case("partial", "partial", (7, 3), (7, 1), bug("weights_not_transposed", "W1", "b1"))
def partial_leaky_W_not_transposed():
    return regressor(7, 3, 4, 55, mistake="no_transpose")
