# A one-hidden-layer regression net (tanh hidden layer, linear output, mean squared error)
# whose train() lowers its own learning rate every epoch with a 1 / (1 + decay * epoch)
# schedule; weights are attributes, examples are rows.
import numpy as np


class MLPRegressor:
    def __init__(self, n_in, n_hidden, n_out, lr0=0.3, decay=0.01, seed=0):
        rng = np.random.default_rng(seed)
        self.W1 = rng.normal(0, 1 / np.sqrt(n_in), (n_in, n_hidden))
        self.b1 = np.zeros((1, n_hidden))
        self.W2 = rng.normal(0, 1 / np.sqrt(n_hidden), (n_hidden, n_out))
        self.b2 = np.zeros((1, n_out))
        self.lr0 = lr0
        self.decay = decay
        self.lr = lr0

    def forward(self, X):
        self.H = np.tanh(X @ self.W1 + self.b1)
        return self.H @ self.W2 + self.b2

    def loss(self, X, y):
        return float(np.mean((self.forward(X) - y) ** 2))

    def train(self, X, y, epochs=200):
        for epoch in range(epochs):
            self.lr = self.lr0 / (1 + self.decay * epoch)
            pred = self.forward(X)
            grad_pred = 2 * (pred - y) / pred.size
            grad_W2 = self.H.T @ grad_pred
            grad_b2 = grad_pred.sum(axis=0, keepdims=True)
            grad_H = grad_pred @ self.W2.T * (1 - self.H ** 2)
            grad_W1 = X.T @ grad_H
            grad_b1 = grad_H.sum(axis=0, keepdims=True)
            self.W2 -= self.lr * grad_W2
            self.b2 -= self.lr * grad_b2
            self.W1 -= self.lr * grad_W1
            self.b1 -= self.lr * grad_b1


rng = np.random.default_rng(3)
X = rng.normal(size=(14, 2))
y = np.sin(X[:, :1]) + 0.5 * X[:, 1:]
model = MLPRegressor(2, 7, 1)
