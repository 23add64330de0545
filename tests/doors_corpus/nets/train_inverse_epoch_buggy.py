# A 2-5-5-1 sigmoid net for binary labels made of Layer objects (weights and a bias column
# each), trained by train(inputs, labels, epochs) whose step size shrinks as 1/epoch;
# examples are the columns of the inputs, the cost is binary cross-entropy.
import numpy as np


class Layer():
    def __init__(self, number_of_neurons, number_of_inputs):
        self.weights = np.random.rand(number_of_neurons, number_of_inputs) - 0.5
        self.bias = np.random.rand(number_of_neurons, 1) - 0.5


class NeuralNetwork():
    def __init__(self, layer1, layer2, layer3):
        self.layer1 = layer1
        self.layer2 = layer2
        self.layer3 = layer3

    def sigmoid(self, x):
        return 1 / (1 + np.exp(-x))

    def derivative_sigmoid(self, x):
        return x * (1 - x)

    def forward(self, inputs):
        a1 = self.sigmoid(np.dot(self.layer1.weights, inputs) + self.layer1.bias)
        a2 = self.sigmoid(np.dot(self.layer2.weights, a1) + self.layer2.bias)
        return self.sigmoid(np.dot(self.layer3.weights, a2) + self.layer3.bias)

    def get_cost_value(self, Y_hat, Y):
        m = Y_hat.shape[1]
        cost = -1 / m * (np.dot(Y, np.log(Y_hat).T) + np.dot(1 - Y, np.log(1 - Y_hat).T))
        return np.squeeze(cost)

    def train(self, inputs, labels, epochs):
        m = inputs.shape[1]
        for epoch in range(1, epochs + 1):
            z1 = np.dot(self.layer1.weights, inputs) + self.layer1.bias
            a1 = self.sigmoid(z1)
            z2 = np.dot(self.layer2.weights, a1) + self.layer2.bias
            a2 = self.sigmoid(z2)
            z3 = np.dot(self.layer3.weights, a2) + self.layer3.bias
            a3 = self.sigmoid(z3)
            delta3 = (a3 - labels) / m
            delta2 = np.dot(self.layer3.weights.T, delta3) * self.derivative_sigmoid(z2)
            delta1 = np.dot(self.layer2.weights.T, delta2) * self.derivative_sigmoid(a1)
            lr = 1 / epoch
            self.layer3.weights -= lr * np.dot(delta3, a2.T)
            self.layer3.bias -= lr * np.sum(delta3, axis=1, keepdims=True)
            self.layer2.weights -= lr * np.dot(delta2, a1.T)
            self.layer2.bias -= lr * np.sum(delta2, axis=1, keepdims=True)
            self.layer1.weights -= lr * np.dot(delta1, inputs.T)
            self.layer1.bias -= lr * np.sum(delta1, axis=1, keepdims=True)


np.random.seed(2)
net = NeuralNetwork(Layer(5, 2), Layer(5, 5), Layer(1, 5))
inputs = np.random.randn(2, 20)
labels = (inputs[0:1] * inputs[1:2] > 0).astype(float)
