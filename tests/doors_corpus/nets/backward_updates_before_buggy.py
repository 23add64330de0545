# A one-hidden-layer binary classifier (tanh hidden, sigmoid output, cross-entropy) whose
# backward() both computes the gradients and applies them with the net's learning rate;
# examples are rows.
import numpy as np


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


class TwoLayerNet:
    def __init__(self, n_in, n_hidden, n_out, learning_rate=0.5):
        self.learning_rate = learning_rate
        self.W1 = np.random.randn(n_in, n_hidden) * 0.7
        self.b1 = np.zeros(n_hidden)
        self.W2 = np.random.randn(n_hidden, n_out) * 0.7
        self.b2 = np.zeros(n_out)

    def forward(self, X):
        self.h = np.tanh(X @ self.W1 + self.b1)
        self.out = sigmoid(self.h @ self.W2 + self.b2)
        return self.out

    def loss(self, X, y):
        p = self.forward(X)
        return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))

    def backward(self, X, y):
        m = X.shape[0]
        out = self.forward(X)
        d_out = (out - y) / m
        dW2 = self.h.T @ d_out
        db2 = d_out.sum(axis=0)
        self.W2 -= self.learning_rate * dW2
        self.b2 -= self.learning_rate * db2
        d_h = (d_out @ self.W2.T) * (1 - self.h ** 2)
        dW1 = X.T @ d_h
        db1 = d_h.sum(axis=0)
        self.W1 -= self.learning_rate * dW1
        self.b1 -= self.learning_rate * db1


np.random.seed(21)
net = TwoLayerNet(3, 6, 1)
X = np.random.randn(12, 3)
y = (X[:, :1] - X[:, 1:2] > 0).astype(float)
