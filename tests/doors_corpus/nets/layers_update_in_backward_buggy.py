# A from-scratch layer library: each layer has forward(input) and backward(output_error,
# learning_rate), the dense layer updating its own weights in backward; a Network chains
# them (dense - sigmoid - dense - sigmoid) under a mean squared error; examples are rows.
import numpy as np


class DenseLayer:
    def __init__(self, input_size, output_size):
        self.weights = np.random.rand(input_size, output_size) - 0.5
        self.bias = np.random.rand(1, output_size) - 0.5

    def forward(self, input_data):
        self.input = input_data
        return np.dot(self.input, self.weights) + self.bias

    def backward(self, output_error, learning_rate):
        grad_weights = np.dot(self.input.T, output_error)
        grad_bias = np.sum(output_error, axis=0, keepdims=True)
        self.weights -= learning_rate * grad_weights
        self.bias -= learning_rate * grad_bias
        return np.dot(output_error, self.weights.T)


class SigmoidLayer:
    def forward(self, input_data):
        self.output = 1 / (1 + np.exp(-input_data))
        return self.output

    def backward(self, output_error, learning_rate):
        return output_error * self.output * (1 - self.output)


def mse(y_true, y_pred):
    return np.mean(np.power(y_true - y_pred, 2))


def mse_derivative(y_true, y_pred):
    return 2 * (y_pred - y_true) / y_true.size


class Network:
    def __init__(self, layers):
        self.layers = layers

    def predict(self, x):
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def loss(self, x, y):
        return mse(y, self.predict(x))

    def train_step(self, x, y, learning_rate=0.1):
        error = mse_derivative(y, self.predict(x))
        for layer in reversed(self.layers):
            error = layer.backward(error, learning_rate)


np.random.seed(8)
net = Network([DenseLayer(3, 6), SigmoidLayer(), DenseLayer(6, 2), SigmoidLayer()])
x_train = np.random.randn(9, 3)
y_train = np.random.rand(9, 2)
