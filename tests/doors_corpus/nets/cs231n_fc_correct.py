# A fully-connected net of any depth (affine - tanh hidden layers, softmax output) in the
# style of the cs231n FullyConnectedNet: the strength of the L2 penalty is given to the
# constructor, parameters are W1, b1, W2, b2, ... in self.params, examples are rows.
import numpy as np


class FullyConnectedNet(object):
    def __init__(self, hidden_dims, input_dim=4, num_classes=3, reg=0.0, weight_scale=0.3, seed=0):
        rng = np.random.RandomState(seed)
        self.reg = reg
        self.num_layers = 1 + len(hidden_dims)
        dims = [input_dim] + list(hidden_dims) + [num_classes]
        self.params = {}
        for i in range(self.num_layers):
            self.params["W%d" % (i + 1)] = weight_scale * rng.randn(dims[i], dims[i + 1])
            self.params["b%d" % (i + 1)] = np.zeros(dims[i + 1])

    def loss(self, X, y=None):
        caches = []
        out = X
        for i in range(1, self.num_layers + 1):
            W, b = self.params["W%d" % i], self.params["b%d" % i]
            caches.append(out)
            out = out.dot(W) + b
            if i < self.num_layers:
                out = np.tanh(out)
        scores = out
        if y is None:
            return scores
        N = X.shape[0]
        shifted = scores - np.max(scores, axis=1, keepdims=True)
        log_probs = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
        loss = -np.sum(log_probs[np.arange(N), y]) / N
        for i in range(1, self.num_layers + 1):
            loss += 0.5 * self.reg * np.sum(self.params["W%d" % i] ** 2)

        grads = {}
        dout = np.exp(log_probs)
        dout[np.arange(N), y] -= 1
        dout /= N
        for i in range(self.num_layers, 0, -1):
            W = self.params["W%d" % i]
            x_in = caches[i - 1]
            grads["W%d" % i] = x_in.T.dot(dout) + self.reg * W
            grads["b%d" % i] = np.sum(dout, axis=0)
            if i > 1:
                dout = dout.dot(W.T) * (1 - x_in ** 2)
        return loss, grads


model = FullyConnectedNet([6, 5], input_dim=4, num_classes=3, reg=0.3)
np.random.seed(2)
X = np.random.randn(7, 4)
y = np.random.randint(3, size=7)
