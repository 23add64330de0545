# A 2-5-5-1 sigmoid net for binary labels built from Layer objects that each hold a weight
# matrix and a bias column; examples are the columns of the inputs, the cost is binary
# cross-entropy, and backward() returns the gradients of all three layers in a dict.
import numpy as np


class Layer():
    def __init__(self, number_of_neurons, number_of_inputs):
        self.weights = np.random.randn(number_of_neurons, number_of_inputs) * 0.8
        self.bias = np.random.randn(number_of_neurons, 1) * 0.1


class NeuralNetwork():
    def __init__(self, layer1, layer2, layer3):
        self.layer1 = layer1
        self.layer2 = layer2
        self.layer3 = layer3

    def sigmoid(self, x):
        return 1 / (1 + np.exp(-x))

    def derivative_sigmoid(self, a):
        return a * (1 - a)

    def forward(self, inputs):
        self.a1 = self.sigmoid(np.dot(self.layer1.weights, inputs) + self.layer1.bias)
        self.a2 = self.sigmoid(np.dot(self.layer2.weights, self.a1) + self.layer2.bias)
        self.a3 = self.sigmoid(np.dot(self.layer3.weights, self.a2) + self.layer3.bias)
        return self.a3

    def get_cost_value(self, Y_hat, Y):
        m = Y_hat.shape[1]
        cost = -1 / m * (np.dot(Y, np.log(Y_hat).T) + np.dot(1 - Y, np.log(1 - Y_hat).T))
        return np.squeeze(cost)

    def backward(self, inputs, labels):
        m = inputs.shape[1]
        a3 = self.forward(inputs)
        delta3 = (a3 - labels) / m
        delta2 = np.dot(self.layer3.weights.T, delta3) * self.derivative_sigmoid(self.a2)
        delta1 = np.dot(self.layer2.weights.T, delta2) * self.derivative_sigmoid(self.a1)
        return {
            "dW1": np.dot(delta1, inputs.T), "db1": np.sum(delta1, axis=1, keepdims=True),
            "dW2": np.dot(delta2, self.a1.T), "db2": np.sum(delta2, axis=1, keepdims=True),
            "dW3": np.dot(delta3, self.a2.T), "db3": np.sum(delta3, axis=1, keepdims=True),
        }


np.random.seed(7)
net = NeuralNetwork(Layer(5, 2), Layer(5, 5), Layer(1, 5))
inputs = np.random.randn(2, 16)
labels = (inputs[0:1] + inputs[1:2] > 0).astype(float)
