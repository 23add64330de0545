# A two-layer sigmoid classifier in progress: parameters, a forward pass and a cost exist,
# the backward pass is not written yet. Examples are the columns of X.
import numpy as np


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def forward(X, params):
    A1 = sigmoid(params["W1"] @ X + params["b1"])
    return sigmoid(params["W2"] @ A1 + params["b2"])


def cost(A2, Y):
    m = Y.shape[1]
    return float(-np.sum(Y * np.log(A2) + (1 - Y) * np.log(1 - A2)) / m)


np.random.seed(0)
params = {"W1": np.random.randn(3, 2), "b1": np.zeros((3, 1)), "W2": np.random.randn(1, 3), "b2": np.zeros((1, 1))}
X = np.random.randn(2, 8)
Y = (X[0:1] > 0).astype(float)
