# A small regression net made of Dense layer objects kept in a list: relu hidden layer,
# linear output, mean squared error; examples are rows. backward(X, y) returns the
# gradients named after the layers (dW1, db1, dW2, db2).
import numpy as np


class Dense:
    def __init__(self, n_inputs, n_neurons):
        self.W = 0.5 * np.random.randn(n_inputs, n_neurons)
        self.b = np.zeros((1, n_neurons))


class Regressor:
    def __init__(self, n_in, n_hidden, n_out):
        self.layers = [Dense(n_in, n_hidden), Dense(n_hidden, n_out)]

    def forward(self, X):
        self.z1 = X @ self.layers[0].W + self.layers[0].b
        self.h1 = np.maximum(self.z1, 0)
        return self.h1 @ self.layers[1].W + self.layers[1].b

    def loss(self, X, y):
        return np.mean((self.forward(X) - y) ** 2)

    def backward(self, X, y):
        n = X.shape[0]
        pred = self.forward(X)
        d_pred = 2 * (pred - y) / (n * y.shape[1])
        dW2 = self.h1.T @ d_pred
        db2 = d_pred.sum(axis=0, keepdims=True)
        d_z1 = (d_pred @ self.layers[1].W.T) * (self.z1 > 0)
        dW1 = X.T @ d_z1
        db1 = d_z1.sum(axis=0, keepdims=True)
        return {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2}


np.random.seed(11)
model = Regressor(3, 8, 2)
X = np.random.randn(10, 3)
y = np.random.randn(10, 2)
