# A digit-classifier-style net trained one example at a time on a mean squared error: a
# params dict that also keeps the activations of the last forward pass (A0, Z1, A1, Z2,
# A2), forward_pass(x) on one example, sigmoid hidden layer, softmax output, and
# backward_pass(y, output) returning the change of every weight and bias.
import numpy as np


class DeepNeuralNetwork:
    def __init__(self, sizes):
        self.sizes = sizes
        input_layer, hidden, output_layer = sizes
        self.params = {
            "W1": np.random.randn(hidden, input_layer) * np.sqrt(1.0 / hidden),
            "b1": np.random.randn(hidden) * 0.1,
            "W2": np.random.randn(output_layer, hidden) * np.sqrt(1.0 / output_layer),
            "b2": np.random.randn(output_layer) * 0.1,
        }

    def sigmoid(self, x, derivative=False):
        if derivative:
            return np.exp(-x) / (np.exp(-x) + 1) ** 2
        return 1 / (1 + np.exp(-x))

    def softmax(self, x, derivative=False):
        exps = np.exp(x - x.max())
        if derivative:
            return exps / np.sum(exps, axis=0) * (1 - exps / np.sum(exps, axis=0))
        return exps / np.sum(exps, axis=0)

    def forward_pass(self, x):
        params = self.params
        params["A0"] = x
        params["Z1"] = np.dot(params["W1"], params["A0"]) + params["b1"]
        params["A1"] = self.sigmoid(params["Z1"])
        params["Z2"] = np.dot(params["W2"], params["A1"]) + params["b2"]
        params["A2"] = self.softmax(params["Z2"])
        return params["A2"]

    def backward_pass(self, y, output):
        params = self.params
        change_w = {}
        error = 2 * (output - y) / output.shape[0] * self.softmax(params["Z2"], derivative=True)
        change_w["W2"] = np.outer(error, params["A1"])
        change_w["b2"] = error
        error = np.dot(params["W2"].T, error) * self.sigmoid(params["Z1"], derivative=True)
        change_w["W1"] = np.outer(error, params["A0"])
        change_w["b1"] = error
        return change_w


np.random.seed(12)
dnn = DeepNeuralNetwork(sizes=[6, 5, 3])
x_train = np.random.rand(20, 6)
y_train = np.eye(3)[np.random.randint(3, size=20)]
