"""Deep nets written like the deeplearning.ai course: a ``parameters`` dict, examples as
columns, forward caches, ``L_model_backward`` returning ``grads["dW1"]`` ..., ReLU hidden
layers and a sigmoid output with cross-entropy, optional L2 ``lambd / (2 m) * sum ||W||^2``."""

from __future__ import annotations

import numpy as np

from . import Case


def initialize_parameters_deep(layer_dims, seed=1):
    np.random.seed(seed)
    parameters = {}
    for l in range(1, len(layer_dims)):
        parameters["W" + str(l)] = np.random.randn(layer_dims[l], layer_dims[l - 1]) / np.sqrt(layer_dims[l - 1])
        parameters["b" + str(l)] = np.random.randn(layer_dims[l], 1) * 0.1
    return parameters


def sigmoid(Z):
    return 1 / (1 + np.exp(-Z)), Z


def relu(Z):
    return np.maximum(0, Z), Z


def tanh(Z):
    return np.tanh(Z), Z


def linear_activation_forward(A_prev, W, b, activation):
    Z = np.dot(W, A_prev) + b
    linear_cache = (A_prev, W, b)
    if activation == "sigmoid":
        A, activation_cache = sigmoid(Z)
    elif activation == "tanh":
        A, activation_cache = tanh(Z)
    else:
        A, activation_cache = relu(Z)
    return A, (linear_cache, activation_cache)


def L_model_forward(X, parameters, hidden="relu"):
    caches = []
    A = X
    L = len(parameters) // 2
    for l in range(1, L):
        A, cache = linear_activation_forward(A, parameters["W" + str(l)], parameters["b" + str(l)], hidden)
        caches.append(cache)
    AL, cache = linear_activation_forward(A, parameters["W" + str(L)], parameters["b" + str(L)], "sigmoid")
    caches.append(cache)
    return AL, caches


def compute_cost(AL, Y, parameters=None, lambd=0.0):
    m = Y.shape[1]
    cost = -np.sum(Y * np.log(AL) + (1 - Y) * np.log(1 - AL)) / m
    if lambd:
        L = len(parameters) // 2
        cost += lambd / (2 * m) * sum(np.sum(np.square(parameters["W" + str(l)])) for l in range(1, L + 1))
    return float(np.squeeze(cost))


class Backward:
    """The backward helpers, with the one mistake a student made switched on by ``bug``."""

    def __init__(self, bug=None, lambd=0.0):
        self.bug = bug
        self.lambd = lambd

    def relu_backward(self, dA, cache):
        Z = cache
        dZ = np.array(dA, copy=True)
        dZ[Z <= 0] = 0
        return dZ

    def sigmoid_backward(self, dA, cache):
        Z = cache
        if self.bug == "sigmoid_of_A":
            Z = 1 / (1 + np.exp(-Z))  # the cache already held A in the student's version
        s = 1 / (1 + np.exp(-Z))
        return dA * s * (1 - s)

    def tanh_backward(self, dA, cache):
        Z = cache
        if self.bug == "tanh_of_Z":
            return dA * (1 - np.power(Z, 2))
        return dA * (1 - np.power(np.tanh(Z), 2))

    def linear_backward(self, dZ, cache):
        A_prev, W, b = cache
        m = A_prev.shape[1]
        if self.bug == "dW_no_mean":
            dW = np.dot(dZ, A_prev.T)
        else:
            dW = 1.0 / m * np.dot(dZ, A_prev.T)
        if self.lambd and self.bug == "reg_no_m":
            dW = dW + self.lambd * W
        elif self.lambd and self.bug != "reg_forgotten":
            dW = dW + self.lambd / m * W
        if self.bug == "db_sum_all":
            db = 1.0 / m * np.sum(dZ)
        else:
            db = 1.0 / m * np.sum(dZ, axis=1, keepdims=True)
        if self.bug == "dA_prev_W":
            dA_prev = np.dot(W, dZ)
        else:
            dA_prev = np.dot(W.T, dZ)
        return dA_prev, dW, db

    def linear_activation_backward(self, dA, cache, activation):
        linear_cache, activation_cache = cache
        if activation == "relu":
            dZ = self.relu_backward(dA, activation_cache)
        elif activation == "tanh":
            dZ = self.tanh_backward(dA, activation_cache)
        else:
            dZ = self.sigmoid_backward(dA, activation_cache)
        return self.linear_backward(dZ, linear_cache)

    def L_model_backward(self, AL, Y, caches, hidden="relu"):
        grads = {}
        L = len(caches)
        Y = Y.reshape(AL.shape)
        if self.bug == "dAL_sign":
            dAL = np.divide(Y, AL) - np.divide(1 - Y, 1 - AL)
        else:
            dAL = -(np.divide(Y, AL) - np.divide(1 - Y, 1 - AL))
        current_cache = caches[L - 1]
        grads["dA" + str(L - 1)], grads["dW" + str(L)], grads["db" + str(L)] = self.linear_activation_backward(
            dAL, current_cache, "sigmoid")
        for l in reversed(range(L - 1)):
            current_cache = caches[l]
            dA_prev_temp, dW_temp, db_temp = self.linear_activation_backward(grads["dA" + str(l + 1)], current_cache, hidden)
            grads["dA" + str(l)] = dA_prev_temp
            grads["dW" + str(l + 1)] = dW_temp
            grads["db" + str(l + 1)] = db_temp
        return {k: v for k, v in grads.items() if not k.startswith("dA")}


def make(bug=None, layer_dims=(4, 5, 3, 1), m=8, lambd=0.0, hidden="relu", seed=1):
    def build():
        parameters = initialize_parameters_deep(list(layer_dims), seed=seed)
        rng = np.random.RandomState(seed + 7)
        X = rng.randn(layer_dims[0], m)
        Y = (rng.rand(layer_dims[-1], m) > 0.5).astype(float)
        backward = Backward(bug, lambd)

        def cost():
            AL, _ = L_model_forward(X, parameters, hidden)
            return compute_cost(AL, Y, parameters, lambd)

        def grads():
            AL, caches = L_model_forward(X, parameters, hidden)
            return backward.L_model_backward(AL, Y, caches, hidden)

        return {"params": parameters, "loss": cost, "grads": grads, "data": (X, Y)}

    return build


C = "deeplearning.ai dicts"
CASES = [
    Case("dlai: correct", C, None, None, make()),
    Case("dlai: correct with L2", C, None, None, make(lambd=0.7, m=5)),
    Case("dlai: db summed over every axis", C, "wrong_shape", "b2", make("db_sum_all")),
    Case("dlai: sigmoid backward on A", C, "activation_derivative_wrong_input", "b3", make("sigmoid_of_A")),
    Case("dlai: L2 forgotten in backward", C, "regularization_missing", "W3", make("reg_forgotten", lambd=0.7)),
    Case("dlai: L2 gradient lambd * W", C, "regularization_wrong", "W3", make("reg_no_m", lambd=0.7)),
    Case("dlai: dW without 1/m", C, "missing_batch_mean", "W3", make("dW_no_mean")),
    Case("dlai: dA_prev with W", C, "weights_not_transposed", "b2", make("dA_prev_W", layer_dims=(4, 4, 4, 4))),
    Case("dlai: tanh backward on Z", C, "activation_derivative_wrong_input", "b2", make("tanh_of_Z", hidden="tanh")),
    Case("dlai: dAL sign", C, "sign_flipped", "b3", make("dAL_sign", m=3)),
]


def dropout_net(bug=None, m=6, keep_prob=0.8, seed=3):
    """A 3-layer relu / relu / sigmoid net with inverted dropout on both hidden layers."""

    def build():
        np.random.seed(seed)
        parameters = initialize_parameters_deep([3, 5, 4, 1], seed=seed)
        X = np.random.randn(3, m)
        Y = (np.random.rand(1, m) > 0.5).astype(float)
        D1 = (np.random.rand(5, m) < keep_prob).astype(float)
        D2 = (np.random.rand(4, m) < keep_prob).astype(float)

        def forward_propagation_with_dropout():
            W1, b1, W2, b2, W3, b3 = (parameters[k] for k in ("W1", "b1", "W2", "b2", "W3", "b3"))
            Z1 = np.dot(W1, X) + b1
            A1 = np.maximum(0, Z1)
            A1 = A1 * D1 / keep_prob
            Z2 = np.dot(W2, A1) + b2
            A2 = np.maximum(0, Z2)
            A2 = A2 * D2 / keep_prob
            Z3 = np.dot(W3, A2) + b3
            A3 = 1 / (1 + np.exp(-Z3))
            return A3, (Z1, A1, W1, b1, Z2, A2, W2, b2, Z3, A3, W3, b3)

        def cost():
            A3, _ = forward_propagation_with_dropout()
            return compute_cost(A3, Y)

        def backward_propagation_with_dropout():
            A3, cache = forward_propagation_with_dropout()
            (Z1, A1, W1, b1, Z2, A2, W2, b2, Z3, A3, W3, b3) = cache
            dZ3 = A3 - Y
            dW3 = 1.0 / m * np.dot(dZ3, A2.T)
            db3 = 1.0 / m * np.sum(dZ3, axis=1, keepdims=True)
            dA2 = np.dot(W3.T, dZ3)
            if bug == "no_scale":
                dA2 = dA2 * D2
            else:
                dA2 = dA2 * D2 / keep_prob
            dZ2 = np.multiply(dA2, np.int64(A2 > 0))
            dW2 = 1.0 / m * np.dot(dZ2, A1.T)
            db2 = 1.0 / m * np.sum(dZ2, axis=1, keepdims=True)
            dA1 = np.dot(W2.T, dZ2)
            if bug != "no_mask":
                dA1 = dA1 * D1 / keep_prob
            dZ1 = np.multiply(dA1, np.int64(A1 > 0))
            dW1 = 1.0 / m * np.dot(dZ1, X.T)
            db1 = 1.0 / m * np.sum(dZ1, axis=1, keepdims=True)
            return {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2, "dW3": dW3, "db3": db3}

        return {"params": parameters, "loss": cost, "grads": backward_propagation_with_dropout, "data": (X, Y),
                "hint": {"dropout": {1: D1, 2: D2}, "keep_prob": keep_prob}}

    return build


CASES += [
    Case("dlai: correct with dropout", C, None, None, dropout_net()),
    Case("dlai: dropout mask not scaled in backward", C, "dropout_backward_wrong", "b2", dropout_net("no_scale")),
    Case("dlai: dropout mask missing in backward", C, "dropout_backward_wrong", "b1", dropout_net("no_mask")),
]
