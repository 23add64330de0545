"""Tutorial nets that keep their data on ``self``: ``self.input``, ``self.y``, ``feedforward()``
storing ``self.layer1`` and ``self.output``, ``backprop()`` returning the gradients by parameter
name. Examples are rows. The user checks ``net.loss`` and ``net.backprop``, bound methods: the
data is on ``self``."""

from __future__ import annotations

import numpy as np

from . import binary_data, bug, case, regression_data, sigmoid


class NeuralNetwork:
    def __init__(self, x, y, hidden, seed, cost="mse", activation="sigmoid", mistake=None):
        rng = np.random.default_rng(seed)
        self.input, self.y = x, y
        self.weights1 = rng.uniform(-1, 1, (x.shape[1], hidden))
        self.bias1 = rng.uniform(-0.5, 0.5, hidden)
        self.weights2 = rng.uniform(-1, 1, (hidden, 1))
        self.bias2 = rng.uniform(-0.5, 0.5, 1)
        self.cost, self.activation, self.mistake = cost, activation, mistake

    def hidden(self, z):
        return np.tanh(z) if self.activation == "tanh" else sigmoid(z)

    def hidden_derivative(self, a):
        if self.activation == "tanh":
            return 1 - a**2
        if self.mistake == "cache_overwritten":  # computes a * (1 - a) in the cached array itself
            a *= 1 - a
            return a
        return a * (1 - a)

    def feedforward(self):
        self.layer1 = self.hidden(self.input @ self.weights1 + self.bias1)
        self.output = sigmoid(self.layer1 @ self.weights2 + self.bias2)

    def loss(self):
        self.feedforward()
        if self.cost == "bce":
            return float(-np.mean(self.y * np.log(self.output) + (1 - self.y) * np.log(1 - self.output)))
        return float(np.mean((self.output - self.y) ** 2))

    def backprop(self):
        self.feedforward()
        m = self.input.shape[0] if self.mistake != "no_mean" else 1
        if self.cost == "bce":
            d_output = (self.output - self.y) / m * (2 if self.mistake == "factor_two" else 1)
        else:
            error = self.y - self.output if self.mistake == "sign" else self.output - self.y
            d_output = 2 * error * self.output * (1 - self.output) / m
        if self.mistake == "through_gradient":
            d_weights2 = self.layer1.T @ d_output
            d_layer1 = (d_output @ d_weights2.T) * self.hidden_derivative(self.layer1)
        else:
            d_layer1 = (d_output @ self.weights2.T) * self.hidden_derivative(self.layer1)
            d_weights2 = self.layer1.T @ d_output
        return {
            "weights1": self.input.T @ d_layer1,
            "bias1": d_layer1.sum(axis=0),
            "weights2": d_weights2,
            "bias2": d_output.sum(axis=0),
        }

    def parameters(self):
        return {"weights1": self.weights1, "bias1": self.bias1, "weights2": self.weights2, "bias2": self.bias2}


class Perceptron:
    """A logistic unit whose labels are kept as a flat vector of shape (m,)."""

    def __init__(self, x, y, seed):
        rng = np.random.default_rng(seed)
        self.input, self.y = x, y
        self.weights = rng.normal(size=(x.shape[1], 1))
        self.bias = rng.normal(size=1)

    def feedforward(self):
        self.output = sigmoid(self.input @ self.weights + self.bias)

    def loss(self):
        self.feedforward()
        p = self.output[:, 0]
        return float(-np.mean(self.y * np.log(p) + (1 - self.y) * np.log(1 - p)))

    def backprop(self):
        self.feedforward()
        error = self.output - self.y
        return {"weights": self.input.T @ error / len(self.y), "bias": np.array([np.mean(error)])}


def _user(net):
    params = net.parameters() if hasattr(net, "parameters") else {"weights": net.weights, "bias": net.bias}
    return dict(params=params, loss=net.loss, grads=net.backprop, X=net.input, y=net.y)


def _regression(seed, m=6, n=3):
    X, y = regression_data(m, n, 1, seed, dtype=np.float32)
    return X, 1 / (1 + np.exp(-y))  # targets in (0, 1) for the sigmoid output


def _binary(seed, m=8, n=2):
    X, y = binary_data(m, n, seed)
    return X, y[:, None]


ALL = ("weights1", "bias1", "weights2", "bias2")


@case("tutorial_self", "self", (6, 3), (6, 1))
def tutorial_correct_sigmoid_mse():
    return _user(NeuralNetwork(*_regression(21), hidden=4, seed=21))


@case("tutorial_self", "self", (8, 2), (8, 1))
def tutorial_correct_tanh_bce():
    return _user(NeuralNetwork(*_binary(22), hidden=5, seed=22, cost="bce", activation="tanh"))


@case("tutorial_self", "self", (6, 3), (6, 1), bug("missing_batch_mean", *ALL))
def tutorial_sum_instead_of_mean():
    return _user(NeuralNetwork(*_regression(23), hidden=4, seed=23, mistake="no_mean"))


@case("tutorial_self", "self", (7, 3), (7, 1), bug("sign_flipped", *ALL))
def tutorial_y_minus_output():
    return _user(NeuralNetwork(*_regression(24, m=7), hidden=3, seed=24, mistake="sign"))


@case("tutorial_self", "self", (8, 2), (8, 1), bug("constant_factor", *ALL))
def tutorial_bce_factor_two():
    return _user(NeuralNetwork(*_binary(25), hidden=4, seed=25, cost="bce", mistake="factor_two"))


@case("tutorial_self", "self", (6, 3), (6, 1), bug("weight_gradient_wrong_input", "weights2"))
def tutorial_cached_layer_overwritten():
    return _user(NeuralNetwork(*_regression(26), hidden=4, seed=26, mistake="cache_overwritten"))


@case("tutorial_self", "self", (8, 2), (8, 1), bug("wrong_weights_in_backprop", "weights1", "bias1"))
def tutorial_delta_through_weight_gradient():
    return _user(NeuralNetwork(*_binary(27), hidden=4, seed=27, cost="bce", mistake="through_gradient"))


@case("tutorial_self", "self", (9, 3), (9,), bug("target_shape_broadcast", "weights", new_kind=True))
def tutorial_flat_labels_broadcast():
    X, y = binary_data(9, 3, 28)
    return _user(Perceptron(X, y, seed=28))
