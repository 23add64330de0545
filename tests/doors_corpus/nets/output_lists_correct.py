# A net object whose loss and backward pass take the output of its forward pass and the
# labels (`loss(y_pred, y)`, `backward(y_pred, y)` after `forward(X)`), with its weights and
# biases in two lists and the gradients returned as two lists in the same order. Examples are
# rows; a tanh hidden layer and a sigmoid output with the mean binary cross-entropy.
import numpy as np


class TinyNet:
    def __init__(self, sizes, seed=0):
        rng = np.random.default_rng(seed)
        self.weights = [rng.standard_normal((a, b)) * 0.5 for a, b in zip(sizes, sizes[1:])]
        self.biases = [np.zeros(b) for b in sizes[1:]]

    def forward(self, X):
        self.acts = [X]
        for i, (W, b) in enumerate(zip(self.weights, self.biases)):
            z = self.acts[-1] @ W + b
            self.acts.append(np.tanh(z) if i < len(self.weights) - 1 else 1.0 / (1.0 + np.exp(-z)))
        return self.acts[-1]

    def loss(self, y_pred, y):
        return float(-np.mean(y * np.log(y_pred) + (1 - y) * np.log(1 - y_pred)))

    def backward(self, y_pred, y):
        m = y.shape[0]
        delta = (y_pred - y) / m
        grad_w, grad_b = [], []
        for i in reversed(range(len(self.weights))):
            grad_w.insert(0, self.acts[i].T @ delta)
            grad_b.insert(0, delta.sum(axis=0))
            if i > 0:
                delta = (delta @ self.weights[i].T) * (1 - self.acts[i] ** 2)
        return grad_w, grad_b


rng = np.random.default_rng(5)
X = rng.standard_normal((8, 3))
y = (rng.random((8, 1)) < 0.5).astype(float)
net = TinyNet([3, 4, 1])
