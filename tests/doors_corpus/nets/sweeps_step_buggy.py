# A tanh / sigmoid binary classifier with weights as attributes whose train() names its pass
# count sweeps and its learning rate step (train(X, Y, sweeps=300, step=0.5)); the loss is
# mean binary cross-entropy; examples are columns.
import numpy as np


class Classifier:
    def __init__(self, n_in, n_hidden, seed=4):
        rng = np.random.default_rng(seed)
        self.W1 = rng.normal(0, 0.5, (n_hidden, n_in))
        self.b1 = rng.normal(0, 0.1, (n_hidden, 1))
        self.W2 = rng.normal(0, 0.5, (1, n_hidden))
        self.b2 = np.zeros((1, 1))

    def forward(self, X):
        self.H = np.tanh(self.W1 @ X + self.b1)
        return 1 / (1 + np.exp(-(self.W2 @ self.H + self.b2)))

    def cost(self, X, Y):
        P = self.forward(X)
        return float(-np.mean(Y * np.log(P) + (1 - Y) * np.log(1 - P)))

    def train(self, X, Y, sweeps=300, step=0.5):
        m = X.shape[1]
        for _ in range(sweeps):
            P = self.forward(X)
            dZ2 = (P - Y) / m
            dW2 = 2 * dZ2 @ self.H.T
            db2 = dZ2.sum(axis=1, keepdims=True)
            dZ1 = (self.W2.T @ dZ2) * (1 - self.H ** 2)
            dW1 = dZ1 @ X.T
            db1 = dZ1.sum(axis=1, keepdims=True)
            self.W1 -= step * dW1
            self.b1 -= step * db1
            self.W2 -= step * dW2
            self.b2 -= step * db2


rng = np.random.default_rng(9)
X = rng.normal(size=(3, 10))
Y = (X[:1] * X[1:2] > 0).astype(float)
net = Classifier(3, 4)
