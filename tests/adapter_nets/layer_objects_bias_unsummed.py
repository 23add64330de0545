import numpy as np
class Layer:
    def __init__(self, n_out, n_in, rng):
        self.weights = rng.normal(size=(n_out, n_in)); self.bias = np.zeros((n_out, 1))
def sigmoid(z): return 1 / (1 + np.exp(-z))
class Network:
    def __init__(self):
        rng = np.random.default_rng(0)
        self.layer1 = Layer(5, 2, rng); self.layer2 = Layer(5, 5, rng); self.layer3 = Layer(1, 5, rng)
    def forward(self, X):
        self.a0 = X
        self.a1 = sigmoid(self.layer1.weights @ X + self.layer1.bias)
        self.a2 = sigmoid(self.layer2.weights @ self.a1 + self.layer2.bias)
        self.a3 = sigmoid(self.layer3.weights @ self.a2 + self.layer3.bias)
        return self.a3
    def cost(self, X, Y):
        A = self.forward(X); m = Y.shape[1]
        return float(-np.sum(Y * np.log(A) + (1 - Y) * np.log(1 - A)) / m)
    def backward(self, X, Y):
        self.forward(X); m = Y.shape[1]
        dZ3 = self.a3 - Y
        dW3 = dZ3 @ self.a2.T / m; db3 = dZ3 / m           # BUG: not summed
        dZ2 = self.layer3.weights.T @ dZ3 * self.a2 * (1 - self.a2)
        dW2 = dZ2 @ self.a1.T / m; db2 = dZ2.sum(1, keepdims=True) / m
        dZ1 = self.layer2.weights.T @ dZ2 * self.a1 * (1 - self.a1)
        dW1 = dZ1 @ X.T / m; db1 = dZ1.sum(1, keepdims=True) / m
        return {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2, "dW3": dW3, "db3": db3}
net = Network()
rng = np.random.default_rng(1)
X = rng.normal(size=(2, 8)); Y = (rng.random((1, 8)) > 0.5).astype(float)
