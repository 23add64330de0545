"""A 2-5-5-1 sigmoid net with binary cross-entropy, written as a class with train(): examples
are columns, the gradient lives only in the training step."""

from __future__ import annotations

import numpy as np

from . import Case, grads_from_step


class Layer:
    def __init__(self, number_of_neurons, number_of_inputs, rng):
        self.weights = rng.standard_normal((number_of_neurons, number_of_inputs)) * 0.7
        self.bias = rng.standard_normal((number_of_neurons, 1)) * 0.3


class NeuralNetwork:
    def __init__(self, layer1, layer2, layer3, mistake=None):
        self.layer1 = layer1
        self.layer2 = layer2
        self.layer3 = layer3
        self.mistake = mistake

    def sigmoid(self, x):
        return 1 / (1 + np.exp(-x))

    def derivative_sigmoid(self, x):
        if self.mistake == "derivative_of_z":
            # the textbook formula, but the caller passes a = sigmoid(z)
            return self.sigmoid(x) * (1 - self.sigmoid(x))
        return x * (1 - x)

    def get_cost_value(self, Y_hat, Y):
        m = Y_hat.shape[1]
        cost = -1 / m * (np.dot(Y, np.log(Y_hat).T) + np.dot(1 - Y, np.log(1 - Y_hat).T))
        return np.squeeze(cost)

    def get_cost_derivative(self, Y_hat, Y):
        if self.mistake == "sign":
            return np.divide(Y, Y_hat) - np.divide(1 - Y, 1 - Y_hat)
        return -(np.divide(Y, Y_hat) - np.divide(1 - Y, 1 - Y_hat))

    def cost(self, inputs, labels):
        a1 = self.sigmoid(np.dot(self.layer1.weights, inputs) + self.layer1.bias)
        a2 = self.sigmoid(np.dot(self.layer2.weights, a1) + self.layer2.bias)
        a3 = self.sigmoid(np.dot(self.layer3.weights, a2) + self.layer3.bias)
        return float(self.get_cost_value(a3, labels))

    def train(self, inputs, labels, epocs):
        m = inputs.shape[1]
        for epoc in range(1, epocs + 1):
            z1 = np.dot(self.layer1.weights, inputs) + self.layer1.bias
            a1 = self.sigmoid(z1)
            z2 = np.dot(self.layer2.weights, a1) + self.layer2.bias
            a2 = self.sigmoid(z2)
            z3 = np.dot(self.layer3.weights, a2) + self.layer3.bias
            a3 = self.sigmoid(z3)
            lr = 1 / epoc
            scale = 1 if self.mistake == "no_mean" else 1 / m

            if self.mistake == "times_sigmoid_prime":
                layer3_delta = (a3 - labels) * self.derivative_sigmoid(a3)
            elif self.mistake == "z_instead_of_a":
                layer3_delta = self.derivative_sigmoid(z3) * self.get_cost_derivative(a3, labels)
            else:
                layer3_delta = self.derivative_sigmoid(a3) * self.get_cost_derivative(a3, labels)
            Dw_layer3 = scale * np.dot(layer3_delta, a2.T)
            Db_layer3 = scale * np.sum(layer3_delta, axis=1, keepdims=True)
            if self.mistake == "update_early":
                self.layer3.weights -= lr * Dw_layer3

            if self.mistake == "z_instead_of_a":
                layer2_delta = np.dot(self.layer3.weights.T, layer3_delta) * self.derivative_sigmoid(z2)
            else:
                layer2_delta = np.dot(self.layer3.weights.T, layer3_delta) * self.derivative_sigmoid(a2)
            if self.mistake == "dW2_with_a2":  # the layer's own output where its input a1 belongs (5x5: fits)
                Dw_layer2 = scale * np.dot(layer2_delta, a2.T)
            else:
                Dw_layer2 = scale * np.dot(layer2_delta, a1.T)
            Db_layer2 = scale * np.sum(layer2_delta, axis=1, keepdims=True)
            if self.mistake == "update_early":
                self.layer2.weights -= lr * Dw_layer2

            if self.mistake == "no_transpose":
                layer1_delta = np.dot(self.layer2.weights, layer2_delta) * self.derivative_sigmoid(a1)
            elif self.mistake == "z_instead_of_a":
                layer1_delta = np.dot(self.layer2.weights.T, layer2_delta) * self.derivative_sigmoid(z1)
            else:
                layer1_delta = np.dot(self.layer2.weights.T, layer2_delta) * self.derivative_sigmoid(a1)
            Dw_layer1 = scale * np.dot(layer1_delta, inputs.T)
            Db_layer1 = scale * np.sum(layer1_delta, axis=1, keepdims=True)

            self.layer1.weights -= lr * Dw_layer1
            if self.mistake != "update_early":
                self.layer2.weights -= lr * Dw_layer2
                self.layer3.weights -= lr * Dw_layer3
            self.layer1.bias -= lr * Db_layer1
            self.layer2.bias -= lr * Db_layer2
            self.layer3.bias -= lr * Db_layer3


def make(mistake=None, m=6, seed=0):
    def build():
        rng = np.random.default_rng(seed)
        net = NeuralNetwork(Layer(5, 2, rng), Layer(5, 5, rng), Layer(1, 5, rng), mistake=mistake)
        inputs = rng.standard_normal((2, m))
        labels = (inputs[0:1] * inputs[1:2] > 0).astype(float)
        params = {
            "W1": net.layer1.weights, "b1": net.layer1.bias,
            "W2": net.layer2.weights, "b2": net.layer2.bias,
            "W3": net.layer3.weights, "b3": net.layer3.bias,
        }
        return {
            "params": params,
            "loss": lambda: net.cost(inputs, labels),
            "grads": lambda: grads_from_step(params, lambda: net.train(inputs, labels, 1), lr=1.0),
            "data": (inputs, labels),
        }

    return build


C = "class with train()"
CASES = [
    Case("seed: correct", C, None, None, make()),
    Case("seed: correct, one example", C, None, None, make(m=1, seed=3)),
    Case("seed: not divided by m", C, "missing_batch_mean", "b3", make("no_mean")),
    Case("seed: sigmoid' taken at z", C, "activation_derivative_wrong_input", "b3", make("z_instead_of_a")),
    Case("seed: sigmoid' of a", C, "activation_derivative_wrong_input", "b3", make("derivative_of_z", m=1)),
    Case("seed: sigmoid' on top of a - y", C, "extra_activation_derivative", "b3", make("times_sigmoid_prime")),
    Case("seed: W2 not transposed", C, "weights_not_transposed", "b1", make("no_transpose", m=4)),
    Case("seed: weights updated before the delta", C, "wrong_weights_in_backprop", "b2", make("update_early")),
    Case("seed: cost derivative sign", C, "sign_flipped", "b3", make("sign", seed=2)),
    Case("seed: dW2 formed with a2", C, "weight_gradient_wrong_input", "W2", make("dW2_with_a2")),
]
