# A tanh / softmax classifier with its weights and biases in lists (self.W[i], self.b[i]),
# a calculate_loss(X, y) of integer labels, and a train() whose pass count is num_passes and
# whose learning rate is called epsilon, both keyword arguments with large defaults; each
# layer is updated in place as soon as its delta below is formed; examples are rows.
import numpy as np


class Model:
    def __init__(self, dims, seed=0):
        rng = np.random.default_rng(seed)
        self.W = [rng.normal(0, 1 / np.sqrt(a), (a, b)) for a, b in zip(dims, dims[1:])]
        self.b = [rng.normal(0, 0.1, (1, b)) for b in dims[1:]]

    def _forward(self, X):
        acts = [X]
        for i, (W, b) in enumerate(zip(self.W, self.b)):
            z = acts[-1] @ W + b
            acts.append(np.tanh(z) if i < len(self.W) - 1 else z)
        return acts

    def _probs(self, z):
        e = np.exp(z - z.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    def calculate_loss(self, X, y):
        probs = self._probs(self._forward(X)[-1])
        return float(-np.log(probs[np.arange(len(y)), y]).mean())

    def train(self, X, y, num_passes=20000, epsilon=0.01, print_loss=False):
        m = len(y)
        for it in range(num_passes):
            acts = self._forward(X)
            delta = self._probs(acts[-1])
            delta[np.arange(m), y] -= 1
            delta /= m
            for i in range(len(self.W) - 1, -1, -1):
                dW = acts[i].T @ delta
                db = delta.sum(axis=0, keepdims=True)
                if i > 0:
                    delta = (delta @ self.W[i].T) * (1 - acts[i] ** 2)
                self.W[i] += -epsilon * dW
                self.b[i] += -epsilon * db
            if print_loss and it % 1000 == 0:
                print(it, self.calculate_loss(X, y))


rng = np.random.default_rng(7)
X = rng.normal(size=(11, 3))
y = rng.integers(0, 2, 11)
model = Model([3, 5, 2])
