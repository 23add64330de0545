import numpy as np
def sigmoid(z): return 1 / (1 + np.exp(-z))
class Net:
    def __init__(self):
        rng = np.random.default_rng(0)
        self.W1 = rng.normal(size=(3, 4)); self.b1 = np.zeros((1, 4)); self.W2 = rng.normal(size=(4, 1)); self.b2 = np.zeros((1, 1))
        self.lr = 0.5
    def forward(self, X):
        self.X = X; self.h = sigmoid(X @ self.W1 + self.b1); self.out = sigmoid(self.h @ self.W2 + self.b2); return self.out
    def loss(self, X, y):
        o = self.forward(X); return float(-np.mean(y * np.log(o) + (1 - y) * np.log(1 - o)))
    def backward(self, X, y):
        o = self.forward(X); m = len(X)
        d2 = (o - y) / m
        dW2 = self.h.T @ d2; db2 = d2.sum(0, keepdims=True)
        self.W2 -= self.lr * dW2; self.b2 -= self.lr * db2          # updated before propagating
        d1 = d2 @ self.W2.T * self.h * (1 - self.h)
        dW1 = X.T @ d1; db1 = d1.sum(0, keepdims=True)
        self.W1 -= self.lr * dW1; self.b1 -= self.lr * db1
        return {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}
net = Net()
rng = np.random.default_rng(1)
X = rng.normal(size=(8, 3)); y = (rng.random((8, 1)) > 0.5).astype(float)
