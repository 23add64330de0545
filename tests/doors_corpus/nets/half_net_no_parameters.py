# An L-layer net (relu hidden layers, sigmoid output) from a course notebook in which the cell
# that initializes the parameters was never written: forward pass, cost and backward pass
# are there, and the data, but no parameters and no layer sizes.
import numpy as np


def L_model_forward(X, parameters):
    caches = []
    A = X
    L = len(parameters) // 2
    for l in range(1, L + 1):
        W, b = parameters["W" + str(l)], parameters["b" + str(l)]
        Z = W @ A + b
        caches.append((A, W, b, Z))
        A = 1 / (1 + np.exp(-Z)) if l == L else np.maximum(0, Z)
    return A, caches


def compute_cost(AL, Y):
    m = Y.shape[1]
    return float(-np.sum(Y * np.log(AL) + (1 - Y) * np.log(1 - AL)) / m)


def L_model_backward(AL, Y, caches):
    grads = {}
    L = len(caches)
    m = AL.shape[1]
    dZ = AL - Y
    for l in reversed(range(L)):
        A_prev, W, b, Z = caches[l]
        if l < L - 1:
            dZ = dA * (Z > 0)
        grads["dW" + str(l + 1)] = dZ @ A_prev.T / m
        grads["db" + str(l + 1)] = np.sum(dZ, axis=1, keepdims=True) / m
        dA = W.T @ dZ
    return grads


np.random.seed(1)
X = np.random.randn(4, 10)
Y = (np.random.rand(1, 10) > 0.5).astype(float)
