"""A custom layer checked on its own: a dense layer with a built-in tanh, ``forward(x)`` and
``backward(dout)`` returning the gradient of its input, parameters in ``self.params`` and their
gradients in ``self.grads`` (examples as rows).

One mistake: the input gradient is divided by the batch size; dout already carries the 1/m
of the loss, so the layer must not average again.

    gradcheck check examples/layer_buggy.py:layer
"""

import numpy as np


class DenseTanh:
    def __init__(self, n_in, n_out, seed=0):
        rng = np.random.default_rng(seed)
        self.params = {"W": rng.normal(size=(n_in, n_out)) / np.sqrt(n_in), "b": np.zeros(n_out)}
        self.grads = {}

    def forward(self, x):
        self.x = x
        self.out = np.tanh(x @ self.params["W"] + self.params["b"])
        return self.out

    def backward(self, dout):
        dz = dout * (1 - self.out ** 2)
        self.grads["W"] = self.x.T @ dz
        self.grads["b"] = dz.sum(axis=0)
        return dz @ self.params["W"].T / self.x.shape[0]      # no / m here


layer = DenseTanh(4, 3)
x = np.random.default_rng(5).normal(size=(3, 4))
