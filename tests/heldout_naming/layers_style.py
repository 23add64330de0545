"""Nets built from layer objects that each have forward() and backward(). Examples are columns,
a dense layer holds ``self.weights`` (n_out, n_in) and ``self.bias`` (n_out, 1) as in the question
of a 2-5-5-1 sigmoid net that "does not learn", and the net's backward() returns
``{"dW1": ..., "db1": ...}``. The user's loss is ``lambda: net.cost(X, Y)``: the data is in its
closure."""

from __future__ import annotations

from math import erf

import numpy as np

from . import binary_data, bug, case, regression_data, sigmoid

_erf = np.vectorize(erf)


class Dense:
    def __init__(self, n_in, n_out, rng, mistake=None):
        self.weights = rng.normal(0.0, 1.0 / np.sqrt(n_in), (n_out, n_in))
        self.bias = rng.normal(0.0, 0.3, (n_out, 1))
        self.mistake = mistake

    def forward(self, a):
        self.a_in = a
        return self.weights @ a + self.bias

    def backward(self, dz):
        self.dW = dz @ self.a_in.T
        if self.mistake == "bias_not_summed":
            self.db = dz
        else:
            self.db = np.sum(dz, axis=1, keepdims=True)
        if self.mistake == "no_transpose":
            return self.weights @ dz
        return self.weights.T @ dz


class Sigmoid:
    def __init__(self, mistake=None):
        self.mistake = mistake

    def forward(self, z):
        self.z, self.a = z, sigmoid(z)
        return self.a

    def backward(self, da):
        s = self.z if self.mistake == "derivative_of_z" else self.a
        return da * s * (1 - s)


class Tanh:
    def forward(self, z):
        self.a = np.tanh(z)
        return self.a

    def backward(self, da):
        return da * (1 - self.a**2)


class LeakyReLU:
    def __init__(self, slope=0.1, mistake=None):
        self.slope, self.mistake = slope, mistake

    def forward(self, z):
        self.z = z
        return np.where(z > 0, z, self.slope * z)

    def backward(self, da):
        negative_side = 0.0 if self.mistake == "slope_missing" else self.slope
        return da * np.where(self.z > 0, 1.0, negative_side)


class GELU:
    """The exact GELU, z * Phi(z)."""

    def __init__(self, mistake=None):
        self.mistake = mistake

    def forward(self, z):
        self.z = z
        return z * 0.5 * (1 + _erf(z / np.sqrt(2)))

    def backward(self, da):
        z = self.z
        if self.mistake == "tanh_approximation":  # derivative of 0.5 z (1 + tanh(c (z + 0.044715 z^3)))
            c = np.sqrt(2 / np.pi)
            t = np.tanh(c * (z + 0.044715 * z**3))
            return da * (0.5 * (1 + t) + 0.5 * z * (1 - t**2) * c * (1 + 3 * 0.044715 * z**2))
        cdf = 0.5 * (1 + _erf(z / np.sqrt(2)))
        pdf = np.exp(-0.5 * z**2) / np.sqrt(2 * np.pi)
        return da * (cdf + z * pdf)


class Identity:
    def forward(self, z):
        return z

    def backward(self, da):
        return da


class BinaryCrossEntropy:
    def __init__(self, mistake=None):
        self.mistake = mistake

    def value(self, A, Y):
        m = Y.shape[1]
        return float(-np.sum(Y * np.log(A) + (1 - Y) * np.log(1 - A)) / m)

    def derivative(self, A, Y):
        d = -(Y / A - (1 - Y) / (1 - A))
        return d if self.mistake == "no_mean" else d / Y.shape[1]


class MeanSquaredError:
    def value(self, A, Y):
        return float(np.sum((A - Y) ** 2) / Y.shape[1])

    def derivative(self, A, Y):
        return 2 * (A - Y) / Y.shape[1]


class Network:
    def __init__(self, layers, cost_function):
        self.layers, self.cost_function = layers, cost_function
        self.dense = [layer for layer in layers if isinstance(layer, Dense)]

    def forward(self, X):
        a = X
        for layer in self.layers:
            a = layer.forward(a)
        return a

    def cost(self, X, Y):
        return self.cost_function.value(self.forward(X), Y)

    def backward(self, X, Y):
        d = self.cost_function.derivative(self.forward(X), Y)
        for layer in reversed(self.layers):
            d = layer.backward(d)
        grads = {}
        for i, layer in enumerate(self.dense, 1):
            grads[f"dW{i}"], grads[f"db{i}"] = layer.dW, layer.db
        return grads

    def parameters(self):
        params = {}
        for i, layer in enumerate(self.dense, 1):
            params[f"W{i}"], params[f"b{i}"] = layer.weights, layer.bias
        return params


def _dense_stack(sizes, activations, seed, dense_mistakes=None):
    rng = np.random.default_rng(seed)
    dense_mistakes = dense_mistakes or {}
    layers = []
    for i, activation in enumerate(activations):
        layers += [Dense(sizes[i], sizes[i + 1], rng, dense_mistakes.get(i + 1)), activation]
    return layers


def _user(net, X, Y):
    return dict(params=net.parameters(), loss=lambda: net.cost(X, Y), grads=lambda: net.backward(X, Y), X=X, y=Y)


def _binary(m, n, seed):
    X, y = binary_data(m, n, seed)
    return X.T, y[None, :]


@case("layer_objects", "closure", (3, 10), (1, 10))
def layers_correct_sigmoid_bce():
    X, Y = _binary(10, 3, 11)
    net = Network(_dense_stack((3, 6, 4, 1), [Sigmoid(), Sigmoid(), Sigmoid()], 11), BinaryCrossEntropy())
    return _user(net, X, Y)


@case(
    "layer_objects", "closure", (2, 12), (1, 12),
    bug("missing_batch_mean", "W1", "W2", "W3"),
    bug("bias_not_summed", "b1", "b2", "b3"),
)
def layers_seed_bias_unsummed_and_no_mean():
    X, Y = _binary(12, 2, 12)
    every_dense = {1: "bias_not_summed", 2: "bias_not_summed", 3: "bias_not_summed"}
    layers = _dense_stack((2, 5, 5, 1), [Sigmoid(), Sigmoid(), Sigmoid()], 12, every_dense)
    return _user(Network(layers, BinaryCrossEntropy("no_mean")), X, Y)


@case("layer_objects", "closure", (2, 9), (1, 9), bug("activation_derivative_wrong_input", "W1", "b1", "W2", "b2"))
def layers_sigmoid_derivative_of_z():
    X, Y = _binary(9, 2, 13)
    acts = [Sigmoid(), Sigmoid("derivative_of_z"), Sigmoid()]
    return _user(Network(_dense_stack((2, 4, 3, 1), acts, 13), BinaryCrossEntropy()), X, Y)


@case("layer_objects", "closure", (3, 8), (2, 8), bug("weights_not_transposed", "W1", "b1"))
def layers_tanh_mse_W_not_transposed():
    X, Y = regression_data(8, 3, 2, 14)
    layers = _dense_stack((3, 4, 4, 2), [Tanh(), Tanh(), Identity()], 14, {2: "no_transpose"})
    return _user(Network(layers, MeanSquaredError()), X.T, Y.T)


@case("layer_objects", "closure", (4, 7), (1, 7), bug("wrong_activation_derivative", "W1", "b1"))
def layers_gelu_tanh_approximation_derivative():
    X, Y = regression_data(7, 4, 1, 15)
    layers = _dense_stack((4, 8, 1), [GELU("tanh_approximation"), Identity()], 15)
    return _user(Network(layers, MeanSquaredError()), X.T, Y.T)


@case("layer_objects", "closure", (3, 10), (1, 10), bug("wrong_activation_derivative", "W1", "b1", "W2", "b2"))
def layers_leaky_relu_slope_missing():
    X, Y = regression_data(10, 3, 1, 16)
    acts = [LeakyReLU(), LeakyReLU(mistake="slope_missing"), Identity()]
    return _user(Network(_dense_stack((3, 5, 5, 1), acts, 16), MeanSquaredError()), X.T, Y.T)


@case("layer_objects", "closure", (3, 11), (1, 11))
def layers_correct_leaky_gelu_bce():
    X, Y = _binary(11, 3, 17)
    acts = [LeakyReLU(0.05), GELU(), Sigmoid()]
    return _user(Network(_dense_stack((3, 5, 4, 1), acts, 17), BinaryCrossEntropy()), X, Y)

