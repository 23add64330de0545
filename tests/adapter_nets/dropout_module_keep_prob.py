import numpy as np
keep_prob = 0.86  # the backward pass takes it without a default; the forward pass has 0.5
rng = np.random.default_rng(0)
X = rng.normal(size=(3, 6)); Y = (rng.random((1, 6)) > 0.5).astype(float)
parameters = {"W1": rng.normal(size=(4, 3)), "b1": np.zeros((4, 1)), "W2": rng.normal(size=(1, 4)), "b2": np.zeros((1, 1))}
def sigmoid(z): return 1 / (1 + np.exp(-z))
def forward_propagation_with_dropout(X, parameters, keep_prob=0.5):
    np.random.seed(1)
    Z1 = parameters["W1"] @ X + parameters["b1"]; A1 = np.maximum(0, Z1)
    D1 = (np.random.rand(*A1.shape) < keep_prob).astype(float)
    A1 = A1 * D1 / keep_prob
    Z2 = parameters["W2"] @ A1 + parameters["b2"]; A2 = sigmoid(Z2)
    return A2, (Z1, D1, A1, Z2, A2)
def compute_cost(A2, Y):
    m = Y.shape[1]
    return float(-np.sum(Y * np.log(A2) + (1 - Y) * np.log(1 - A2)) / m)
def backward_propagation_with_dropout(X, Y, cache, keep_prob):
    Z1, D1, A1, Z2, A2 = cache
    m = X.shape[1]
    dZ2 = A2 - Y
    dW2 = dZ2 @ A1.T / m; db2 = dZ2.sum(1, keepdims=True) / m
    dA1 = parameters["W2"].T @ dZ2 * D1 / keep_prob
    dZ1 = dA1 * (Z1 > 0)
    return {"dW1": dZ1 @ X.T / m, "db1": dZ1.sum(1, keepdims=True) / m, "dW2": dW2, "db2": db2}
