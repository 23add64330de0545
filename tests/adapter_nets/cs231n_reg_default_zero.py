import numpy as np
class TwoLayerNet:
    def __init__(self):
        rng = np.random.default_rng(0)
        self.params = {"W1": rng.normal(size=(4, 5)) * 0.5, "b1": np.zeros(5), "W2": rng.normal(size=(5, 3)) * 0.5, "b2": np.zeros(3)}
    def loss(self, X, y=None, reg=0.0):
        W1, b1, W2, b2 = (self.params[k] for k in ("W1", "b1", "W2", "b2"))
        h = np.maximum(0, X @ W1 + b1); s = h @ W2 + b2
        s = s - s.max(1, keepdims=True); p = np.exp(s); p /= p.sum(1, keepdims=True)
        N = len(X)
        loss = -np.log(p[np.arange(N), y]).mean() + 0.5 * reg * (np.sum(W1 * W1) + np.sum(W2 * W2))
        ds = p.copy(); ds[np.arange(N), y] -= 1; ds /= N
        grads = {"W2": h.T @ ds, "b2": ds.sum(0)}   # BUG: no reg * W2
        dh = ds @ W2.T * (h > 0)
        grads["W1"] = X.T @ dh + reg * W1; grads["b1"] = dh.sum(0)
        return loss, grads
net = TwoLayerNet()
rng = np.random.default_rng(1)
X = rng.normal(size=(6, 4)); y = rng.integers(0, 3, 6)
