import numpy as np


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


class Net:
    def __init__(self):
        rng = np.random.default_rng(0)
        self.W1 = rng.normal(size=(3, 4))
        self.W2 = rng.normal(size=(4, 1))

    def forward(self, X):
        return sigmoid(sigmoid(X @ self.W1) @ self.W2)

    def cost(self, X, y):
        o = self.forward(X)
        return float(-np.mean(y * np.log(o) + (1 - y) * np.log(1 - o)))

    def train(self, X, y, epochs=5):
        for epoch in range(1, epochs + 1):
            rate = 0.5 / epoch
            h = sigmoid(X @ self.W1)
            o = sigmoid(h @ self.W2)
            d2 = (o - y) / len(X)
            d1 = d2 @ self.W2.T * h * (1 - h)
            self.W2 -= rate * (h.T @ d2)
            self.W1 -= rate * (X.T @ d1)


net = Net()
rng = np.random.default_rng(1)
X = rng.normal(size=(8, 3))
y = (rng.random((8, 1)) > 0.5).astype(float)
