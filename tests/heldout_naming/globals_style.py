"""A script-like net: the training data, the parameters and the dropout mask are module globals, and
``compute_loss()`` / ``compute_grads()`` take no arguments. Examples are rows, a ReLU hidden layer
with inverted dropout (its mask drawn once, as a global), a sigmoid output with cross-entropy."""

from __future__ import annotations

import numpy as np

from . import binary_data, bug, case, sigmoid

X_TRAIN = np.zeros((0, 0))
Y_TRAIN = np.zeros((0, 1))
PARAMS: dict[str, np.ndarray] = {}
KEEP_PROB = 0.75
MASK = np.zeros((0, 0), dtype=bool)
MISTAKE = None


def predict(X):
    hidden = np.maximum(X @ PARAMS["W1"] + PARAMS["b1"], 0) * MASK / KEEP_PROB
    return sigmoid(hidden @ PARAMS["W2"] + PARAMS["b2"])


def compute_loss():
    p = predict(X_TRAIN)
    return float(-np.mean(Y_TRAIN * np.log(p) + (1 - Y_TRAIN) * np.log(1 - p)))


def compute_grads():
    z1 = X_TRAIN @ PARAMS["W1"] + PARAMS["b1"]
    dropped = np.maximum(z1, 0) * MASK / KEEP_PROB
    p = sigmoid(dropped @ PARAMS["W2"] + PARAMS["b2"])
    dz2 = (p - Y_TRAIN) / len(X_TRAIN)
    if MISTAKE == "sigmoid_twice":
        dz2 = dz2 * p * (1 - p)
    d_dropped = dz2 @ PARAMS["W2"].T
    if MISTAKE == "no_scale":
        d_hidden = d_dropped * MASK
    elif MISTAKE == "no_mask":
        d_hidden = d_dropped / KEEP_PROB
    else:
        d_hidden = d_dropped * MASK / KEEP_PROB
    dz1 = d_hidden * (z1 > 0)
    return {"W1": X_TRAIN.T @ dz1, "b1": dz1.sum(axis=0), "W2": dropped.T @ dz2, "b2": dz2.sum(axis=0)}


def setup(m, n, hidden, seed, mistake=None):
    """Set the globals as a script would at its top, and hand over what the user would."""
    global X_TRAIN, Y_TRAIN, MASK, MISTAKE
    X, y = binary_data(m, n, seed)
    X_TRAIN, Y_TRAIN, MISTAKE = X, y[:, None], mistake
    rng = np.random.default_rng(seed)
    PARAMS.clear()
    PARAMS.update(
        W1=rng.normal(0, 0.5, (n, hidden)), b1=rng.normal(0.3, 0.1, hidden),
        W2=rng.normal(0, 0.5, (hidden, 1)), b2=rng.normal(0, 0.1, 1),
    )
    MASK = rng.random((m, hidden)) < KEEP_PROB
    return dict(params=PARAMS, loss=compute_loss, grads=compute_grads, X=X_TRAIN, y=Y_TRAIN)


@case("globals", "globals", (12, 3), (12, 1))
def globals_correct_relu_dropout():
    return setup(12, 3, 6, 61)


@case("globals", "globals", (10, 4), (10, 1), bug("dropout_backward_wrong", "W1", "b1"))
def globals_dropout_mask_without_scale():
    return setup(10, 4, 5, 62, mistake="no_scale")


@case("globals", "globals", (11, 3), (11, 1), bug("dropout_backward_wrong", "W1", "b1"))
def globals_dropout_scale_without_mask():
    return setup(11, 3, 6, 63, mistake="no_mask")


@case("globals", "globals", (9, 2), (9, 1), bug("extra_activation_derivative", "W1", "b1", "W2", "b2"))
def globals_sigmoid_derivative_twice():
    return setup(9, 2, 4, 64, mistake="sigmoid_twice")
