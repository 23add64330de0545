"""A one-hidden-layer tanh regression net written as plain functions over a params dict:
``loss_fn(params, X, y)`` and ``grad_fn(params, X, y)``, examples as rows.

One mistake: grad_fn forgets the derivative of tanh in the hidden layer.

    gradcheck check examples/functions_buggy.py
"""

import numpy as np

rng = np.random.default_rng(4)
X = rng.normal(size=(6, 3))
y = rng.normal(size=(6, 1))
params = {
    "W1": rng.normal(size=(3, 5)) * 0.5,
    "b1": np.zeros(5),
    "W2": rng.normal(size=(5, 1)) * 0.5,
    "b2": np.zeros(1),
}


def loss_fn(params, X, y):
    h = np.tanh(X @ params["W1"] + params["b1"])
    pred = h @ params["W2"] + params["b2"]
    return float(0.5 * np.mean(np.sum((pred - y) ** 2, axis=1)))


def grad_fn(params, X, y):
    m = X.shape[0]
    h = np.tanh(X @ params["W1"] + params["b1"])
    pred = h @ params["W2"] + params["b2"]
    dpred = (pred - y) / m
    dh = dpred @ params["W2"].T            # missing: * (1 - h ** 2)
    return {
        "W1": X.T @ dh,
        "b1": dh.sum(axis=0),
        "W2": h.T @ dpred,
        "b2": dpred.sum(axis=0),
    }
