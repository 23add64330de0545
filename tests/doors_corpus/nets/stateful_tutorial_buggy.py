# A tutorial net that owns its data: the inputs and targets are given to the constructor,
# feedforward() takes no argument and stores self.output, backprop() nudges the two weight
# matrices (no biases, sigmoid everywhere) along the negative gradient of the sum of
# squared errors, with the step size folded in.
import numpy as np


def sigmoid(x):
    return 1.0 / (1 + np.exp(-x))


def sigmoid_derivative(s):
    return s * (1.0 - s)


class NeuralNetwork:
    def __init__(self, x, y):
        self.input = x
        self.weights1 = np.random.rand(self.input.shape[1], 5)
        self.weights2 = np.random.rand(5, 1)
        self.y = y
        self.output = np.zeros(self.y.shape)

    def feedforward(self):
        self.layer1 = sigmoid(np.dot(self.input, self.weights1))
        self.output = sigmoid(np.dot(self.layer1, self.weights2))

    def backprop(self):
        error_term = 2 * (self.y - self.output) * sigmoid_derivative(self.output)
        d_weights2 = np.dot(self.layer1.T, error_term)
        hidden_term = np.dot(error_term, self.weights2.T) * sigmoid_derivative(np.dot(self.input, self.weights1))
        d_weights1 = np.dot(self.input.T, hidden_term)
        self.weights1 += d_weights1
        self.weights2 += d_weights2


np.random.seed(4)
X = np.array([[0, 0, 1], [0, 1, 1], [1, 0, 1], [1, 1, 1], [1, 1, 0]])
y = np.array([[0], [1], [1], [0], [1]])
nn = NeuralNetwork(X, y)
