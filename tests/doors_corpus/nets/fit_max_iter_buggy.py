# A small regression net (sigmoid hidden layer, linear output, half mean squared error) with
# weights as attributes and a scikit-learn-like fit(X, y, max_iter=..., step_size=..., tol=...,
# verbose=...) that stops early when the loss stops falling; examples are rows.
import numpy as np


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


class TinyRegressor:
    def __init__(self, n_in, n_hidden, seed=3):
        rng = np.random.default_rng(seed)
        self.W1 = rng.normal(0, 0.7, (n_in, n_hidden))
        self.b1 = np.zeros((1, n_hidden))
        self.W2 = rng.normal(0, 0.7, (n_hidden, 1))
        self.b2 = np.zeros((1, 1))

    def predict(self, X):
        return sigmoid(X @ self.W1 + self.b1) @ self.W2 + self.b2

    def loss(self, X, y):
        return float(0.5 * np.mean((self.predict(X) - y) ** 2))

    def fit(self, X, y, max_iter=500, step_size=0.2, tol=1e-7, verbose=False):
        previous = np.inf
        m = X.shape[0]
        for it in range(max_iter):
            Z1 = X @ self.W1 + self.b1
            A1 = sigmoid(Z1)
            err = (A1 @ self.W2 + self.b2 - y) / m
            dW2 = A1.T @ err
            db2 = err.sum(axis=0, keepdims=True)
            dZ1 = (err @ self.W2.T) * Z1 * (1 - Z1)
            dW1 = X.T @ dZ1
            db1 = dZ1.sum(axis=0, keepdims=True)
            self.W1 -= step_size * dW1
            self.b1 -= step_size * db1
            self.W2 -= step_size * dW2
            self.b2 -= step_size * db2
            current = self.loss(X, y)
            if verbose:
                print(it, current)
            if previous - current < tol:
                break
            previous = current
        return self


rng = np.random.default_rng(8)
X = rng.normal(size=(13, 2))
y = np.cos(X[:, :1]) - X[:, 1:] ** 2
model = TinyRegressor(2, 6)
