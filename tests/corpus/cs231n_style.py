"""Classifiers written like the cs231n assignments: ``self.params`` dict, examples as rows,
``loss(X, y)`` returning ``(loss, grads)``, ReLU hidden layers, softmax + cross-entropy,
``reg * sum(W * W)`` regularization."""

from __future__ import annotations

import numpy as np

from . import Case


class TwoLayerNet:
    def __init__(self, input_size, hidden_size, output_size, std=0.5, seed=0, bug=None):
        rng = np.random.RandomState(seed)
        self.params = {}
        self.params["W1"] = std * rng.randn(input_size, hidden_size)
        self.params["b1"] = 0.1 * rng.randn(hidden_size)
        self.params["W2"] = std * rng.randn(hidden_size, output_size)
        self.params["b2"] = 0.1 * rng.randn(output_size)
        self.bug = bug

    def loss(self, X, y=None, reg=0.05):
        W1, b1 = self.params["W1"], self.params["b1"]
        W2, b2 = self.params["W2"], self.params["b2"]
        N, D = X.shape

        hidden = np.maximum(0, X.dot(W1) + b1)
        scores = hidden.dot(W2) + b2
        if y is None:
            return scores

        scores -= np.max(scores, axis=1, keepdims=True)
        probs = np.exp(scores) / np.sum(np.exp(scores), axis=1, keepdims=True)
        loss = -np.sum(np.log(probs[np.arange(N), y])) / N
        loss += reg * (np.sum(W1 * W1) + np.sum(W2 * W2))

        grads = {}
        dscores = probs.copy()
        if self.bug == "minus_one_everywhere":
            dscores -= 1
        else:
            dscores[np.arange(N), y] -= 1
        if self.bug != "no_divide":
            dscores /= N

        grads["W2"] = hidden.T.dot(dscores)
        if self.bug == "db_not_summed":
            grads["b2"] = dscores
        else:
            grads["b2"] = np.sum(dscores, axis=0)

        dhidden = dscores.dot(W2.T)
        if self.bug == "relu_value":
            dhidden = dhidden * hidden
        elif self.bug != "no_relu_backward":
            dhidden[hidden <= 0] = 0
        if self.bug == "dW1_transposed":
            grads["W1"] = dhidden.T.dot(X)
        else:
            grads["W1"] = X.T.dot(dhidden)
        grads["b1"] = np.sum(dhidden, axis=0)

        if self.bug == "reg_missing" or reg == 0:
            pass
        elif self.bug == "reg_half":
            grads["W2"] += reg * W2
            grads["W1"] += reg * W1
        else:
            grads["W2"] += 2 * reg * W2
            grads["W1"] += 2 * reg * W1
        return loss, grads


class ThreeLayerNet:
    """affine - relu - affine - relu - affine - softmax, with two hidden layers of one size."""

    def __init__(self, input_dim=5, hidden_dim=6, num_classes=3, seed=0, bug=None):
        rng = np.random.RandomState(seed)
        self.params = {
            "W1": rng.randn(input_dim, hidden_dim) / np.sqrt(input_dim),
            "b1": np.full(hidden_dim, 0.05),
            "W2": rng.randn(hidden_dim, hidden_dim) / np.sqrt(hidden_dim),
            "b2": np.full(hidden_dim, 0.05),
            "W3": rng.randn(hidden_dim, num_classes) / np.sqrt(hidden_dim),
            "b3": np.zeros(num_classes),
        }
        self.bug = bug

    def loss(self, X, y):
        p = self.params
        h1 = np.maximum(0, X @ p["W1"] + p["b1"])
        h2 = np.maximum(0, h1 @ p["W2"] + p["b2"])
        scores = h2 @ p["W3"] + p["b3"]
        shifted = scores - scores.max(axis=1, keepdims=True)
        log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        N = X.shape[0]
        loss = -log_probs[np.arange(N), y].mean()
        dscores = np.exp(log_probs)
        dscores[np.arange(N), y] -= 1
        dscores /= N
        grads = {"W3": h2.T @ dscores, "b3": dscores.sum(axis=0)}
        dh2 = dscores @ p["W3"].T
        dh2[h2 <= 0] = 0
        grads["W2"] = h1.T @ dh2
        grads["b2"] = dh2.sum(axis=0)
        if self.bug == "W2_not_transposed":
            dh1 = dh2 @ p["W2"]
        else:
            dh1 = dh2 @ p["W2"].T
        if self.bug == "mask_flipped":
            dh1[h1 > 0] = 0
        elif self.bug == "mask_of_layer_2":
            dh1[h2 <= 0] = 0  # the second hidden layer's mask reused for the first
        else:
            dh1[h1 <= 0] = 0
        grads["W1"] = X.T @ dh1
        grads["b1"] = dh1.sum(axis=0)
        return loss, grads


def make(bug=None, N=7, three=False, seed=1, reg=0.05):
    def build():
        rng = np.random.RandomState(seed + 10)
        if three:
            net = ThreeLayerNet(seed=seed, bug=bug)
            X = rng.randn(N, 5)
        else:
            net = TwoLayerNet(4, 6, 3, seed=seed, bug=bug)
            X = rng.randn(N, 4)
        y = rng.randint(0, 3, size=N)
        return {
            "params": net.params,
            "loss": lambda: net.loss(X, y)[0] if three else net.loss(X, y, reg=reg)[0],
            "grads": lambda: net.loss(X, y)[1] if three else net.loss(X, y, reg=reg)[1],
            "data": (X, y),
        }

    return build


C = "cs231n params dict"
CASES = [
    Case("cs231n: correct", C, None, None, make()),
    Case("cs231n: correct, three layers", C, None, None, make(three=True)),
    Case("cs231n: dscores not divided by N", C, "missing_batch_mean", "b2", make("no_divide")),
    Case("cs231n: reg gradient reg * W", C, "regularization_wrong", "W2", make("reg_half")),
    Case("cs231n: reg gradient missing", C, "regularization_missing", "W2", make("reg_missing")),
    Case("cs231n: relu backward missing", C, "missing_activation_derivative", "b1", make("no_relu_backward")),
    Case("cs231n: relu backward by value", C, "wrong_activation_derivative", "b1", make("relu_value")),
    Case("cs231n: 1 subtracted everywhere", C, "softmax_backward_wrong", "b2", make("minus_one_everywhere")),
    Case("cs231n: db2 not summed", C, "bias_not_summed", "b2", make("db_not_summed")),
    Case("cs231n: dW1 transposed", C, "transposed", "W1", make("dW1_transposed", N=1, reg=0.0)),
    Case("cs231n: W2 not transposed", C, "weights_not_transposed", "b1", make("W2_not_transposed", three=True)),
    Case("cs231n: relu mask flipped", C, "wrong_activation_derivative", "b1", make("mask_flipped", three=True, N=5)),
    Case("cs231n: relu mask of the other layer", C, "activation_derivative_wrong_input", "b1",
         make("mask_of_layer_2", three=True, N=6)),
]
