# A deep net driven by a layer list given once at the top (NN_LAYERS, upper case), with a
# forward pass and a backward pass that both take the list as an argument, a memory dict
# between them, a cost named after its loss, and a train() that builds its own parameters
# from the list; examples are columns.
import numpy as np

NN_LAYERS = [
    {"n_in": 3, "n_out": 6, "act": "tanh"},
    {"n_in": 6, "n_out": 4, "act": "tanh"},
    {"n_in": 4, "n_out": 1, "act": "sigmoid"},
]


def init_network(nn_layers, seed=2):
    rng = np.random.default_rng(seed)
    values = {}
    for i, layer in enumerate(nn_layers, start=1):
        values["W%d" % i] = rng.normal(0, 0.5, (layer["n_out"], layer["n_in"]))
        values["b%d" % i] = rng.normal(0, 0.1, (layer["n_out"], 1))
    return values


def activate(Z, name):
    return np.tanh(Z) if name == "tanh" else 1 / (1 + np.exp(-Z))


def activation_slope(A, name):
    return 1 - A ** 2 if name == "tanh" else A * (1 - A)


def model_forward(X, param_values, nn_layers):
    memory = {"A0": X}
    A = X
    for i, layer in enumerate(nn_layers, start=1):
        Z = param_values["W%d" % i] @ A + param_values["b%d" % i]
        A = activate(Z, layer["act"])
        memory["A%d" % i] = A
    return A, memory


def binary_cross_entropy(Y_hat, Y):
    m = Y.shape[1]
    return float(-np.sum(Y * np.log(Y_hat) + (1 - Y) * np.log(1 - Y_hat)) / m)


def model_backward(Y_hat, Y, memory, param_values, nn_layers):
    grads = {}
    m = Y.shape[1]
    dA = -(Y / Y_hat - (1 - Y) / (1 - Y_hat))
    for i in range(len(nn_layers), 0, -1):
        dZ = dA * activation_slope(memory["A%d" % i], nn_layers[i - 1]["act"])
        grads["dW%d" % i] = dZ @ memory["A%d" % (i - 1)].T / m
        grads["db%d" % i] = np.sum(dZ, axis=1, keepdims=True) / m
        dA = param_values["W%d" % i].T @ dZ
    return grads


def train(X, Y, nn_layers, epochs, learning_rate):
    param_values = init_network(nn_layers)
    for _ in range(epochs):
        Y_hat, memory = model_forward(X, param_values, nn_layers)
        grads = model_backward(Y_hat, Y, memory, param_values, nn_layers)
        for key in param_values:
            param_values[key] -= learning_rate * grads["d" + key]
    return param_values


rng = np.random.default_rng(0)
X = rng.normal(size=(3, 12))
Y = (rng.random((1, 12)) > 0.5).astype(float)
param_values = init_network(NN_LAYERS)
