# A relu / softmax classifier whose activations are given per layer in a dict at the top
# (ACTIVATIONS = {1: "relu", 2: "softmax"}); forward_pass and backprop take that dict, the
# parameters travel as params_dict, the intermediate values in a store dict; labels one-hot,
# examples are columns.
import numpy as np

LAYER_SIZES = [4, 7, 3]
ACTIVATIONS = {1: "relu", 2: "softmax"}


def initialize(layer_sizes, seed=1):
    rng = np.random.default_rng(seed)
    out = {}
    for l in range(1, len(layer_sizes)):
        out["W" + str(l)] = rng.normal(0, 1 / np.sqrt(layer_sizes[l - 1]), (layer_sizes[l], layer_sizes[l - 1]))
        out["b" + str(l)] = rng.normal(0, 0.1, (layer_sizes[l], 1))
    return out


def apply(Z, kind):
    if kind == "relu":
        return np.maximum(0, Z)
    e = np.exp(Z - Z.max(axis=0, keepdims=True))
    return e / e.sum(axis=0, keepdims=True)


def forward_pass(X, params_dict, activations):
    store = {"A0": X}
    A = X
    for l in range(1, len(activations) + 1):
        Z = params_dict["W" + str(l)] @ A + params_dict["b" + str(l)]
        A = apply(Z, activations[l])
        store["Z" + str(l)], store["A" + str(l)] = Z, A
    return A, store


def compute_loss(probs, Y):
    return float(-np.sum(Y * np.log(probs)) / Y.shape[1])


def backprop(probs, Y, store, params_dict, activations):
    m = Y.shape[1]
    L = len(activations)
    grads = {}
    dZ = probs - Y
    for l in range(L, 0, -1):
        grads["dW" + str(l)] = dZ @ store["A" + str(l - 1)].T / m
        grads["db" + str(l)] = dZ.sum(axis=1, keepdims=True) / m
        if l > 1:
            dA = params_dict["W" + str(l)].T @ dZ
            dZ = dA * (store["A" + str(l - 1)] >= 0)
    return grads


rng = np.random.default_rng(4)
X = rng.normal(size=(4, 10))
Y = np.eye(3)[:, rng.integers(0, 3, 10)]
params_dict = initialize(LAYER_SIZES)
