# A small layer framework: each layer adds its gradients into buffers (`self.gW += ...`) that the
# training loop zeroes; the last layer applies the softmax and its backward takes the combined
# softmax-and-cross-entropy delta (probs - y) as it is. The net's cost function returns the loss
# and that delta; `forward_pass(x)` and `backward_pass(delta)` run the layers. Examples are rows.
import numpy as np


class Dense:
    def __init__(self, n_in, n_out, rng):
        self.W = rng.standard_normal((n_in, n_out)) * 0.5
        self.bias = np.zeros((1, n_out))
        self.gW = np.zeros_like(self.W)
        self.gbias = np.zeros_like(self.bias)

    def forward(self, x_in):
        self.x_in = x_in
        self.z = x_in @ self.W + self.bias
        return self.activate(self.z)

    def activate(self, z):
        return 1.0 / (1.0 + np.exp(-z))

    def local_grad(self, delta_next):
        s = self.activate(self.z)
        return delta_next  # the sigmoid derivative s * (1 - s) left out

    def backward(self, delta_next):
        d = self.local_grad(delta_next)
        self.gW += self.x_in.T @ d
        self.gbias += d.sum(axis=0, keepdims=True)
        return d @ self.W.T


class SoftmaxDense(Dense):
    def activate(self, z):
        e = np.exp(z - z.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    def local_grad(self, delta_next):
        return delta_next  # already probs - y: the softmax and the cross-entropy together


def cross_entropy(probs, y_onehot):
    m = y_onehot.shape[0]
    return -np.sum(y_onehot * np.log(probs)) / m, (probs - y_onehot) / m


class Net:
    def __init__(self, rng):
        self.layers = [Dense(4, 5, rng), SoftmaxDense(5, 3, rng)]
        self.cost_function = cross_entropy

    def forward_pass(self, x):
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def backward_pass(self, delta):
        for layer in reversed(self.layers):
            delta = layer.backward(delta)

    def zero_grad(self):
        for layer in self.layers:
            layer.gW[:] = 0
            layer.gbias[:] = 0


rng = np.random.default_rng(13)
net = Net(rng)
X = rng.standard_normal((7, 4))
Y = np.eye(3)[rng.integers(0, 3, 7)]
