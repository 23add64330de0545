# A small numpy layer library in the style of the numpy-ml project: every layer keeps a
# `parameters` dict, a `gradients` dict of the same keys and a cache; backward(dLdy)
# fills the gradients and returns the gradient of its input. A Sequential model chains a
# dense - tanh - dense stack; examples are rows.
import numpy as np


class FullyConnected:
    def __init__(self, n_in, n_out, rng):
        self.parameters = {"W": rng.standard_normal((n_in, n_out)) / np.sqrt(n_in), "b": np.zeros((1, n_out))}
        self.gradients = {"W": np.zeros((n_in, n_out)), "b": np.zeros((1, n_out))}
        self.cache = {}

    def forward(self, X):
        self.cache["X"] = X
        return X @ self.parameters["W"] + self.parameters["b"]

    def backward(self, dLdy):
        X = self.cache["X"]
        self.gradients["W"] = X.T @ dLdy
        self.gradients["b"] = dLdy.sum(axis=0, keepdims=True)
        return dLdy @ self.parameters["W"].T


class Tanh:
    def __init__(self):
        self.parameters, self.gradients, self.cache = {}, {}, {}

    def forward(self, X):
        self.cache["X"] = X
        self.cache["Y"] = np.tanh(X)
        return self.cache["Y"]

    def backward(self, dLdy):
        return dLdy * (1 - self.cache["X"] ** 2)


class Sequential:
    def __init__(self, layers):
        self.layers = layers

    def forward(self, X):
        for layer in self.layers:
            X = layer.forward(X)
        return X

    def backward(self, dLdy):
        for layer in reversed(self.layers):
            dLdy = layer.backward(dLdy)
        return dLdy


rng = np.random.default_rng(9)
model = Sequential([FullyConnected(4, 6, rng), Tanh(), FullyConnected(6, 2, rng)])
X = rng.standard_normal((5, 4))
