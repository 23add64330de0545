# A two-hidden-layer dropout net whose keep probability is given once at the top in upper
# case (KEEP_PROB); L_forward and L_backward both take keep_prob, the forward pass draws its
# masks from a fixed seed and returns a list of caches; examples are columns.
import numpy as np

KEEP_PROB = 0.7


def relu(Z):
    return np.maximum(0, Z)


def L_forward(X, parameters, keep_prob):
    np.random.seed(5)
    W1, b1, W2, b2, W3, b3 = (parameters[k] for k in ("W1", "b1", "W2", "b2", "W3", "b3"))
    Z1 = W1 @ X + b1
    A1 = relu(Z1)
    D1 = (np.random.rand(*A1.shape) < keep_prob).astype(float)
    A1 = A1 * D1 / keep_prob
    Z2 = W2 @ A1 + b2
    A2 = relu(Z2)
    D2 = (np.random.rand(*A2.shape) < keep_prob).astype(float)
    A2 = A2 * D2 / keep_prob
    Z3 = W3 @ A2 + b3
    A3 = 1 / (1 + np.exp(-Z3))
    caches = [(X, Z1, D1, A1), (Z2, D2, A2), (Z3, A3)]
    return A3, caches


def cost_function(A3, Y):
    m = Y.shape[1]
    return float(-np.sum(Y * np.log(A3) + (1 - Y) * np.log(1 - A3)) / m)


def L_backward(A3, Y, caches, parameters, keep_prob):
    (X, Z1, D1, A1), (Z2, D2, A2), _ = caches
    m = Y.shape[1]
    dZ3 = A3 - Y
    dW3 = dZ3 @ A2.T / m
    db3 = dZ3.sum(axis=1, keepdims=True) / m
    dA2 = parameters["W3"].T @ dZ3
    dA2 = dA2 * D2 / keep_prob
    dZ2 = dA2 * (Z2 > 0)
    dW2 = dZ2 @ A1.T / m
    db2 = dZ2.sum(axis=1, keepdims=True) / m
    dA1 = parameters["W2"].T @ dZ2
    dA1 = dA1 / keep_prob
    dZ1 = dA1 * (Z1 > 0)
    dW1 = dZ1 @ X.T / m
    db1 = dZ1.sum(axis=1, keepdims=True) / m
    return {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2, "dW3": dW3, "db3": db3}


rng = np.random.default_rng(6)
X = rng.normal(size=(5, 9))
Y = (rng.random((1, 9)) > 0.4).astype(float)
parameters = {
    "W1": rng.normal(0, 0.6, (6, 5)), "b1": rng.normal(0, 0.1, (6, 1)),
    "W2": rng.normal(0, 0.6, (4, 6)), "b2": rng.normal(0, 0.1, (4, 1)),
    "W3": rng.normal(0, 0.6, (1, 4)), "b3": rng.normal(0, 0.1, (1, 1)),
}
