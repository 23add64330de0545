"""A 2-5-5-1 sigmoid net with binary cross-entropy, its gradients right.

Written the way a first hand-written net often is: a ``Layer`` holding weights and a bias,
a ``Network`` whose gradient exists only inside ``train()`` (``W -= lr * dW``), examples as
columns (``inputs`` is ``(2, m)``, ``labels`` is ``(1, m)``), a learning rate of ``1 / epoch``.
The two mistakes of :mod:`gradcheck.examples.seed_net` are fixed: the gradients are averaged
over the batch, and the slope of the first sigmoid is taken at its output ``a1``.
"""

import numpy as np


def make_data(m=8, seed=0):
    """m points in the plane, labelled 1 when both coordinates have the same sign."""
    rng = np.random.default_rng(seed)
    inputs = rng.uniform(-1, 1, size=(2, m))
    labels = (inputs[0:1] * inputs[1:2] > 0).astype(float)
    return inputs, labels


class Layer:
    def __init__(self, n_neurons, n_inputs, rng):
        self.weights = rng.normal(0, 1, size=(n_neurons, n_inputs))
        self.bias = rng.normal(0, 0.5, size=(n_neurons, 1))


class Network:
    def __init__(self, layer1, layer2, layer3):
        self.layer1 = layer1
        self.layer2 = layer2
        self.layer3 = layer3

    def sigmoid(self, z):
        return 1 / (1 + np.exp(-z))

    def sigmoid_slope(self, a):
        # the slope of the sigmoid, written in terms of its output a = sigmoid(z)
        return a * (1 - a)

    def cost(self, Y_hat, Y):
        m = Y.shape[1]
        return float(-np.sum(Y * np.log(Y_hat) + (1 - Y) * np.log(1 - Y_hat)) / m)

    def cost_slope(self, Y_hat, Y):
        return -(Y / Y_hat - (1 - Y) / (1 - Y_hat))

    def train(self, inputs, labels, epochs):
        for epoch in range(1, epochs + 1):
            z1 = self.layer1.weights @ inputs + self.layer1.bias
            a1 = self.sigmoid(z1)
            z2 = self.layer2.weights @ a1 + self.layer2.bias
            a2 = self.sigmoid(z2)
            z3 = self.layer3.weights @ a2 + self.layer3.bias
            a3 = self.sigmoid(z3)

            delta3 = self.cost_slope(a3, labels) * self.sigmoid_slope(a3)
            m = inputs.shape[1]
            dW3 = delta3 @ a2.T / m
            db3 = delta3.sum(axis=1, keepdims=True) / m
            delta2 = (self.layer3.weights.T @ delta3) * self.sigmoid_slope(a2)
            dW2 = delta2 @ a1.T / m
            db2 = delta2.sum(axis=1, keepdims=True) / m
            delta1 = (self.layer2.weights.T @ delta2) * self.sigmoid_slope(a1)
            dW1 = delta1 @ inputs.T / m
            db1 = delta1.sum(axis=1, keepdims=True) / m

            lr = 1 / epoch
            self.layer1.weights -= lr * dW1
            self.layer2.weights -= lr * dW2
            self.layer3.weights -= lr * dW3
            self.layer1.bias -= lr * db1
            self.layer2.bias -= lr * db2
            self.layer3.bias -= lr * db3


def build(seed=0, batch_size=8):
    """The net and a batch of data: ``(net, inputs, labels)``."""
    rng = np.random.default_rng(seed)
    net = Network(Layer(5, 2, rng), Layer(5, 5, rng), Layer(1, 5, rng))
    inputs, labels = make_data(batch_size, seed=seed + 1)
    return net, inputs, labels
