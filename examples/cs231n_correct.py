"""A two-layer classifier written like the cs231n assignments: ``self.params``, examples as rows,
ReLU, softmax, L2 regularization, ``loss(X, y)`` returning ``(loss, grads)``.

Its gradients are right.

    gradcheck check examples/cs231n_correct.py:net
"""

import numpy as np


class TwoLayerNet:
    def __init__(self, input_size, hidden_size, output_size, std=0.5, reg=0.1, seed=0):
        rng = np.random.RandomState(seed)
        self.params = {
            "W1": std * rng.randn(input_size, hidden_size),
            "b1": 0.1 * rng.randn(hidden_size),
            "W2": std * rng.randn(hidden_size, output_size),
            "b2": 0.1 * rng.randn(output_size),
        }
        self.reg = reg

    def loss(self, X, y=None):
        W1, b1, W2, b2 = self.params["W1"], self.params["b1"], self.params["W2"], self.params["b2"]
        N = X.shape[0]
        h = np.maximum(0, X.dot(W1) + b1)
        scores = h.dot(W2) + b2
        if y is None:
            return scores
        shifted = scores - scores.max(axis=1, keepdims=True)
        probs = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
        loss = -np.log(probs[np.arange(N), y]).mean() + 0.5 * self.reg * (np.sum(W1 * W1) + np.sum(W2 * W2))

        grads = {}
        dscores = probs.copy()
        dscores[np.arange(N), y] -= 1
        dscores /= N
        grads["W2"] = h.T.dot(dscores) + self.reg * W2
        grads["b2"] = dscores.sum(axis=0)
        dh = dscores.dot(W2.T)
        dh[h <= 0] = 0
        grads["W1"] = X.T.dot(dh) + self.reg * W1
        grads["b1"] = dh.sum(axis=0)
        return loss, grads


rng = np.random.RandomState(1)
X = rng.randn(5, 4)
y = np.array([0, 1, 2, 2, 1])
net = TwoLayerNet(4, 10, 3)
