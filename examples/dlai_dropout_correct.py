"""A 3-layer deeplearning.ai-style net with dropout on both hidden layers (fixed, seeded masks)."""
import numpy as np

rng = np.random.default_rng(0)
X = rng.standard_normal((3, 8))
Y = (rng.random((1, 8)) > 0.5).astype(float)
keep_prob = 0.7
parameters = {"W1": rng.standard_normal((5, 3)) * 0.5, "b1": np.zeros((5, 1)),
              "W2": rng.standard_normal((4, 5)) * 0.5, "b2": np.zeros((4, 1)),
              "W3": rng.standard_normal((1, 4)) * 0.5, "b3": np.zeros((1, 1))}


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def forward_propagation_with_dropout(X, parameters, keep_prob=0.7):
    r = np.random.default_rng(1)  # a fixed mask: the same every call
    Z1 = parameters["W1"] @ X + parameters["b1"]
    A1 = np.maximum(Z1, 0)
    D1 = (r.random(A1.shape) < keep_prob).astype(float)
    A1 = A1 * D1 / keep_prob
    Z2 = parameters["W2"] @ A1 + parameters["b2"]
    A2 = np.maximum(Z2, 0)
    D2 = (r.random(A2.shape) < keep_prob).astype(float)
    A2 = A2 * D2 / keep_prob
    Z3 = parameters["W3"] @ A2 + parameters["b3"]
    A3 = sigmoid(Z3)
    return A3, (Z1, D1, A1, Z2, D2, A2, Z3, A3)


def compute_cost(A3, Y):
    m = Y.shape[1]
    return float(-np.sum(Y * np.log(A3) + (1 - Y) * np.log(1 - A3)) / m)


def backward_propagation_with_dropout(X, Y, cache, keep_prob=0.7):
    m = X.shape[1]
    Z1, D1, A1, Z2, D2, A2, Z3, A3 = cache
    dZ3 = A3 - Y
    dW3 = dZ3 @ A2.T / m
    db3 = np.sum(dZ3, axis=1, keepdims=True) / m
    dA2 = parameters["W3"].T @ dZ3
    dA2 = dA2 * D2 / keep_prob
    dZ2 = dA2 * (Z2 > 0)
    dW2 = dZ2 @ A1.T / m
    db2 = np.sum(dZ2, axis=1, keepdims=True) / m
    dA1 = parameters["W2"].T @ dZ2
    dA1 = dA1 * D1 / keep_prob
    dZ1 = dA1 * (Z1 > 0)
    dW1 = dZ1 @ X.T / m
    db1 = np.sum(dZ1, axis=1, keepdims=True) / m
    return {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2, "dW3": dW3, "db3": db3}
