"""A 2-4-4-1 sigmoid net for binary classification whose gradient lives only in train().

Examples are columns. One mistake: the delta of layer 1 is propagated with W2 instead of W2.T; the
shapes cannot show it, because W2 is square (4 x 4).

    gradcheck check examples/train_step_buggy.py:net
"""

import numpy as np

rng = np.random.default_rng(7)
X = rng.normal(size=(2, 6))
y = (X[0:1] + X[1:2] > 0).astype(float)


class Network:
    def __init__(self, sizes, seed=0):
        r = np.random.default_rng(seed)
        self.W1, self.b1 = r.normal(size=(sizes[1], sizes[0])), np.zeros((sizes[1], 1))
        self.W2, self.b2 = r.normal(size=(sizes[2], sizes[1])), np.zeros((sizes[2], 1))
        self.W3, self.b3 = r.normal(size=(sizes[3], sizes[2])), np.zeros((sizes[3], 1))

    @staticmethod
    def sigmoid(z):
        return 1.0 / (1.0 + np.exp(-z))

    def forward(self, X):
        a1 = self.sigmoid(self.W1 @ X + self.b1)
        a2 = self.sigmoid(self.W2 @ a1 + self.b2)
        return self.sigmoid(self.W3 @ a2 + self.b3)

    def cost(self, X, y):
        p = self.forward(X)
        return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))

    def train(self, X, y, epochs=100, learning_rate=0.5):
        m = X.shape[1]
        for _ in range(epochs):
            a1 = self.sigmoid(self.W1 @ X + self.b1)
            a2 = self.sigmoid(self.W2 @ a1 + self.b2)
            a3 = self.sigmoid(self.W3 @ a2 + self.b3)
            d3 = (a3 - y) / m
            d2 = (self.W3.T @ d3) * a2 * (1 - a2)
            d1 = (self.W2 @ d2) * a1 * (1 - a1)          # should be self.W2.T @ d2
            self.W3 -= learning_rate * d3 @ a2.T
            self.b3 -= learning_rate * d3.sum(axis=1, keepdims=True)
            self.W2 -= learning_rate * d2 @ a1.T
            self.b2 -= learning_rate * d2.sum(axis=1, keepdims=True)
            self.W1 -= learning_rate * d1 @ X.T
            self.b1 -= learning_rate * d1.sum(axis=1, keepdims=True)


net = Network([2, 4, 4, 1])

if __name__ == "__main__":
    net.train(X, y, epochs=1000)
    print("cost after training:", net.cost(X, y))
