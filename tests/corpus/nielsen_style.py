"""Nets written like "Neural Networks and Deep Learning": lists of weights and biases,
one example at a time as a column vector, ``backprop(x, y) -> (nabla_b, nabla_w)``,
the mini-batch gradient as the average of the per-example ones."""

from __future__ import annotations

import numpy as np

from . import Case


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def sigmoid_prime(z):
    return sigmoid(z) * (1 - sigmoid(z))


class Network:
    def __init__(self, sizes, seed=0, bug=None, cost="quadratic"):
        rng = np.random.RandomState(seed)
        self.num_layers = len(sizes)
        self.sizes = sizes
        self.biases = [rng.randn(y, 1) for y in sizes[1:]]
        self.weights = [rng.randn(y, x) / np.sqrt(x) for x, y in zip(sizes[:-1], sizes[1:])]
        self.bug = bug
        self.cost = cost

    def feedforward(self, a):
        for b, w in zip(self.biases, self.weights):
            a = sigmoid(np.dot(w, a) + b)
        return a

    def total_cost(self, data):
        total = 0.0
        for x, y in data:
            a = self.feedforward(x)
            if self.cost == "quadratic":
                total += 0.5 * np.linalg.norm(a - y) ** 2
            else:
                total += np.sum(np.nan_to_num(-y * np.log(a) - (1 - y) * np.log(1 - a)))
        return total / len(data)

    def batch_gradient(self, mini_batch):
        nabla_b = [np.zeros(b.shape) for b in self.biases]
        nabla_w = [np.zeros(w.shape) for w in self.weights]
        for x, y in mini_batch:
            delta_nabla_b, delta_nabla_w = self.backprop(x, y)
            nabla_b = [nb + dnb for nb, dnb in zip(nabla_b, delta_nabla_b)]
            nabla_w = [nw + dnw for nw, dnw in zip(nabla_w, delta_nabla_w)]
        if self.bug != "sum_not_mean":
            nabla_b = [nb / len(mini_batch) for nb in nabla_b]
            nabla_w = [nw / len(mini_batch) for nw in nabla_w]
        return nabla_b, nabla_w

    def backprop(self, x, y):
        nabla_b = [np.zeros(b.shape) for b in self.biases]
        nabla_w = [np.zeros(w.shape) for w in self.weights]
        activation = x
        activations = [x]
        zs = []
        for b, w in zip(self.biases, self.weights):
            z = np.dot(w, activation) + b
            zs.append(z)
            activation = sigmoid(z)
            activations.append(activation)
        if self.cost == "cross_entropy":
            # cross-entropy: the sigmoid' cancels, delta = a - y ...
            delta = activations[-1] - y
            if self.bug == "ce_times_prime":
                delta = delta * sigmoid_prime(zs[-1])
        elif self.bug == "prime_of_activation":
            delta = self.cost_derivative(activations[-1], y) * sigmoid_prime(activations[-1])
        elif self.bug == "no_prime":
            delta = self.cost_derivative(activations[-1], y)
        else:
            delta = self.cost_derivative(activations[-1], y) * sigmoid_prime(zs[-1])
        nabla_b[-1] = delta
        nabla_w[-1] = np.dot(delta, activations[-2].transpose())
        for l in range(2, self.num_layers):
            z = zs[-l]
            sp = sigmoid_prime(z)
            if self.bug == "no_transpose":
                delta = np.dot(self.weights[-l + 1], delta) * sp
            elif self.bug == "prime_of_activation":
                delta = np.dot(self.weights[-l + 1].transpose(), delta) * sigmoid_prime(activations[-l])
            else:
                delta = np.dot(self.weights[-l + 1].transpose(), delta) * sp
            nabla_b[-l] = delta
            nabla_w[-l] = np.dot(delta, activations[-l - 1].transpose())
        return (nabla_b, nabla_w)

    def cost_derivative(self, output_activations, y):
        if self.bug == "y_minus_a":
            return y - output_activations
        return output_activations - y


def make(bug=None, sizes=(3, 4, 4, 2), m=5, seed=0, cost="quadratic"):
    def build():
        net = Network(list(sizes), seed=seed, bug=bug, cost=cost)
        rng = np.random.RandomState(seed + 1)
        batch = []
        for _ in range(m):
            x = rng.randn(sizes[0], 1)
            y = np.zeros((sizes[-1], 1))
            y[rng.randint(sizes[-1])] = 1.0
            batch.append((x, y))
        params = {}
        for i, (w, b) in enumerate(zip(net.weights, net.biases)):
            params[f"w{i}"] = w
            params[f"b{i}"] = b

        def grads():
            nabla_b, nabla_w = net.batch_gradient(batch)
            out = {}
            for i, (nw, nb) in enumerate(zip(nabla_w, nabla_b)):
                out[f"w{i}"] = nw
                out[f"b{i}"] = nb
            return out

        # the data as Nielsen's code holds them: a list of (x, y) column-vector pairs
        return {"params": params, "loss": lambda: net.total_cost(batch), "grads": grads, "data": batch}

    return build


C = "Nielsen lists"
CASES = [
    Case("nielsen: correct", C, None, None, make()),
    Case("nielsen: correct, cross-entropy", C, None, None, make(cost="cross_entropy", sizes=(2, 3, 1))),
    Case("nielsen: sigmoid' of the activation", C, "activation_derivative_wrong_input", "b2", make("prime_of_activation")),
    Case("nielsen: output sigmoid' left out", C, "missing_activation_derivative", "b2", make("no_prime")),
    Case("nielsen: weights not transposed", C, "weights_not_transposed", "b1", make("no_transpose", sizes=(4, 4, 4, 4))),
    Case("nielsen: summed over the mini-batch", C, "missing_batch_mean", "b2", make("sum_not_mean", m=10)),
    Case("nielsen: y - a", C, "sign_flipped", "b2", make("y_minus_a", m=1)),
    Case("nielsen: cross-entropy delta times sigmoid'", C, "extra_activation_derivative", "b1",
         make("ce_times_prime", cost="cross_entropy", sizes=(2, 3, 1), m=6)),
]
