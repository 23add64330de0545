"""Nets whose loss has a clip, a Huber threshold, smoothed targets or class weights, written two ways:
classes with a forward and a backward method (examples as columns, a hidden layer), and plain
functions over closures (examples as rows). With ``buggy=True`` the backward pass leaves that part
of the loss out; with ``buggy=False`` it is right. Each returns ``(params, loss, grads, data)``.
"""

from __future__ import annotations

import numpy as np

# -- classes, examples as columns -------------------------------------------------------------


class HuberRegressor:
    """tanh hidden layer, one output, Huber loss (mean over the batch) with threshold ``delta``."""

    def __init__(self, buggy: bool, delta: float = 2.0, m: int = 4, seed: int = 0):
        rng = np.random.default_rng(seed)
        self.X, self.y = rng.normal(size=(3, m)), 2.0 * rng.normal(size=(1, m))
        self.params = {"W1": 0.7 * rng.normal(size=(5, 3)), "b1": np.zeros((5, 1)),
                       "W2": 0.7 * rng.normal(size=(1, 5)), "b2": np.zeros((1, 1))}
        self.delta, self.buggy, self.m = delta, buggy, m

    def forward(self):
        p = self.params
        h = np.tanh(p["W1"] @ self.X + p["b1"])
        return h, p["W2"] @ h + p["b2"]

    def residuals(self):
        return self.forward()[1] - self.y

    def loss(self):
        r = np.abs(self.residuals())
        d = self.delta
        return float(np.mean(np.where(r <= d, 0.5 * r * r, d * (r - 0.5 * d))))

    def backward(self):
        p = self.params
        h, out = self.forward()
        r = out - self.y
        dout = (r if self.buggy else np.clip(r, -self.delta, self.delta)) / self.m
        dh = (p["W2"].T @ dout) * (1 - h * h)
        return {"W1": dh @ self.X.T, "b1": dh.sum(axis=1, keepdims=True),
                "W2": dout @ h.T, "b2": dout.sum(axis=1, keepdims=True)}

    def problem(self):
        return self.params, self.loss, self.backward, (self.X, self.y)


class WeightedSoftmax:
    """relu hidden layer, softmax over 3 classes, cross-entropy weighted per class and normalized by
    the weights' sum (``sum(w[y] * ce) / sum(w[y])``)."""

    def __init__(self, buggy: bool, weights=(1.0, 2.5, 0.4), m: int = 5, seed: int = 1):
        rng = np.random.default_rng(seed)
        self.X, self.y = rng.normal(size=(4, m)), np.arange(m) % 3
        self.params = {"W1": 0.6 * rng.normal(size=(6, 4)), "b1": 0.1 * np.ones((6, 1)),
                       "W2": 0.6 * rng.normal(size=(3, 6)), "b2": np.zeros((3, 1))}
        self.w, self.buggy, self.m = np.asarray(weights), buggy, m

    def forward(self):
        p = self.params
        h = np.maximum(p["W1"] @ self.X + p["b1"], 0)
        s = p["W2"] @ h + p["b2"]
        e = np.exp(s - s.max(axis=0, keepdims=True))
        return h, e / e.sum(axis=0, keepdims=True)

    def loss(self):
        P = self.forward()[1]
        ce = -np.log(P[self.y, np.arange(self.m)])
        wy = self.w[self.y]
        return float((wy * ce).sum() / wy.sum())

    def backward(self):
        p = self.params
        h, P = self.forward()
        ds = P.copy()
        ds[self.y, np.arange(self.m)] -= 1
        wy = self.w[self.y]
        ds = ds / self.m if self.buggy else ds * wy / wy.sum()
        dh = (p["W2"].T @ ds) * (h > 0)
        return {"W1": dh @ self.X.T, "b1": dh.sum(axis=1, keepdims=True),
                "W2": ds @ h.T, "b2": ds.sum(axis=1, keepdims=True)}

    def problem(self):
        return self.params, self.loss, self.backward, (self.X, self.y)


class ClippedRegression:
    """tanh hidden layer, prediction clipped to [-1, 1], squared error summed over the batch."""

    def __init__(self, buggy: bool, m: int = 4, seed: int = 2):
        rng = np.random.default_rng(seed)
        self.X, self.y = rng.normal(size=(3, m)), rng.uniform(-0.5, 0.5, size=(1, m))
        self.params = {"W1": rng.normal(size=(4, 3)), "b1": np.zeros((4, 1)),
                       "W2": 1.5 * rng.normal(size=(1, 4)), "b2": np.zeros((1, 1))}
        self.buggy = buggy

    def forward(self):
        p = self.params
        h = np.tanh(p["W1"] @ self.X + p["b1"])
        return h, p["W2"] @ h + p["b2"]

    def loss(self):
        return float(0.5 * np.sum((np.clip(self.forward()[1], -1, 1) - self.y) ** 2))

    def backward(self):
        p = self.params
        h, z = self.forward()
        dz = np.clip(z, -1, 1) - self.y
        if not self.buggy:
            dz = dz * ((z > -1) & (z < 1))
        dh = (p["W2"].T @ dz) * (1 - h * h)
        return {"W1": dh @ self.X.T, "b1": dh.sum(axis=1, keepdims=True),
                "W2": dz @ h.T, "b2": dz.sum(axis=1, keepdims=True)}

    def problem(self):
        return self.params, self.loss, self.backward, (self.X, self.y)


# -- functions over closures, examples as rows ------------------------------------------------------


def smoothed_classifier(buggy: bool, eps: float = 0.15, m: int = 3, k: int = 5, seed: int = 3):
    """sigmoid hidden layer, softmax over k classes, cross-entropy with smoothed targets summed (not
    averaged) over the batch."""
    rng = np.random.default_rng(seed)
    X, labels = rng.normal(size=(m, 4)), rng.integers(0, k, size=m)
    W1, c1, W2, c2 = rng.normal(size=(4, 6)), np.zeros(6), rng.normal(size=(6, k)), np.zeros(k)
    onehot = np.eye(k)[labels]
    target = (1 - eps) * onehot + eps / k

    def forward():
        a = 1 / (1 + np.exp(-(X @ W1 + c1)))
        s = a @ W2 + c2
        e = np.exp(s - s.max(axis=1, keepdims=True))
        return a, e / e.sum(axis=1, keepdims=True)

    def loss():
        return float(-np.sum(target * np.log(forward()[1])))

    def grads():
        a, P = forward()
        ds = P - (onehot if buggy else target)
        da = ds @ W2.T * a * (1 - a)
        return {"W1": X.T @ da, "c1": da.sum(0), "W2": a.T @ ds, "c2": ds.sum(0)}

    return {"W1": W1, "c1": c1, "W2": W2, "c2": c2}, loss, grads, (X, labels)


def clipped_logistic(buggy: bool, m: int = 5, seed: int = 4):
    """Logistic regression on 6 features whose loss clips the probabilities to [0.02, 0.98]; large
    weights, so some examples sit beyond the clip."""
    rng = np.random.default_rng(seed)
    X, y = rng.normal(size=(m, 6)), (rng.random(m) > 0.5).astype(float)
    theta, bias = 3.0 * rng.normal(size=6), np.array([0.2])

    def prob():
        return 1 / (1 + np.exp(-(X @ theta + bias)))

    def loss():
        a = np.clip(prob(), 0.02, 0.98)
        return float(-np.mean(y * np.log(a) + (1 - y) * np.log(1 - a)))

    def grads():
        a = prob()
        d = (a - y) / m
        if not buggy:
            d = d * ((a > 0.02) & (a < 0.98))
        return {"theta": X.T @ d, "bias": np.array([d.sum()])}

    return {"theta": theta, "bias": bias}, loss, grads, (X, y)


def positive_weighted_bce(buggy: bool, pos_weight: float = 3.0, m: int = 4, seed: int = 5):
    """tanh hidden layer, one sigmoid output, binary cross-entropy with the positive examples
    weighted by pos_weight (mean over the batch)."""
    rng = np.random.default_rng(seed)
    X, y = rng.normal(size=(m, 3)), (np.arange(m) + 1.0) % 2
    U, u, V, v = rng.normal(size=(3, 5)), np.zeros(5), rng.normal(size=(5, 1)), np.zeros(1)
    Y = y.reshape(-1, 1)

    def forward():
        h = np.tanh(X @ U + u)
        return h, 1 / (1 + np.exp(-(h @ V + v)))

    def loss():
        a = forward()[1]
        return float(-np.mean(pos_weight * Y * np.log(a) + (1 - Y) * np.log(1 - a)))

    def grads():
        h, a = forward()
        dz = (a - Y) / m if buggy else (pos_weight * Y * (a - 1) + (1 - Y) * a) / m
        dh = dz @ V.T * (1 - h * h)
        return {"U": X.T @ dh, "u": dh.sum(0), "V": h.T @ dz, "v": dz.sum(0)}

    return {"U": U, "u": u, "V": V, "v": v}, loss, grads, (X, y)


def softmax_clipped_target_probability(buggy: bool, m: int = 3, seed: int = 2):
    """Softmax regression (3 classes) whose loss is -log(clip(p[target], 0.01, 1)); large weights, so
    some examples' target probability is below the clip."""
    rng = np.random.default_rng(seed)
    X, labels = rng.normal(size=(m, 4)), np.array([0, 2, 1, 1][:m])
    W, c = 3 * rng.normal(size=(4, 3)), np.zeros(3)

    def probs():
        s = X @ W + c
        e = np.exp(s - s.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    def loss():
        return float(-np.mean(np.log(np.clip(probs()[np.arange(m), labels], 0.01, 1))))

    def grads():
        D = probs()
        kept = D[np.arange(m), labels] > 0.01
        D[np.arange(m), labels] -= 1
        D /= m
        if not buggy:
            D *= kept[:, None]
        return {"W": X.T @ D, "c": D.sum(0)}

    return {"W": W, "c": c}, loss, grads, (X, labels)


def smoothed_logistic(buggy: bool, eps: float = 0.2, m: int = 3, seed: int = 8):
    """Logistic regression on binary cross-entropy with targets smoothed to y (1 - eps) + eps / 2."""
    rng = np.random.default_rng(seed)
    X, y = rng.normal(size=(m, 4)), (np.arange(m) + 1.0) % 2
    w, b = rng.normal(size=4), np.zeros(1)
    ys = y * (1 - eps) + eps / 2

    def prob():
        return 1 / (1 + np.exp(-(X @ w + b)))

    def loss():
        a = prob()
        return float(-np.mean(ys * np.log(a) + (1 - ys) * np.log(1 - a)))

    def grads():
        d = (prob() - (y if buggy else ys)) / m
        return {"w": X.T @ d, "b": np.array([d.sum()])}

    return {"w": w, "b": b}, loss, grads, (X, y)


#: name -> (builder taking ``buggy``, the kind its mistake is)
NETS = {
    "huber_regressor": (lambda buggy: HuberRegressor(buggy).problem(), "huber_linear_part_ignored"),
    "weighted_softmax": (lambda buggy: WeightedSoftmax(buggy).problem(), "loss_weight_ignored_in_backward"),
    "clipped_regression": (lambda buggy: ClippedRegression(buggy).problem(), "clip_ignored_in_backward"),
    "smoothed_classifier": (smoothed_classifier, "label_smoothing_ignored_in_backward"),
    "clipped_logistic": (clipped_logistic, "clip_ignored_in_backward"),
    "positive_weighted_bce": (positive_weighted_bce, "loss_weight_ignored_in_backward"),
    "softmax_clipped_target_probability": (softmax_clipped_target_probability, "clip_ignored_in_backward"),
    "smoothed_logistic": (smoothed_logistic, "label_smoothing_ignored_in_backward"),
}

#: The same mistakes on batches larger than the last layer's inputs (its gradients cannot tell the
#: examples apart): name -> (builder taking ``buggy``, the kind).
LARGE_BATCH = {
    "huber_regressor_40": (lambda buggy: HuberRegressor(buggy, m=40).problem(), "huber_linear_part_ignored"),
    "weighted_softmax_30": (lambda buggy: WeightedSoftmax(buggy, m=30).problem(), "loss_weight_ignored_in_backward"),
    "smoothed_classifier_20": (lambda buggy: smoothed_classifier(buggy, m=20), "label_smoothing_ignored_in_backward"),
    "positive_weighted_bce_25": (lambda buggy: positive_weighted_bce(buggy, m=25), "loss_weight_ignored_in_backward"),
    "smoothed_logistic_30": (lambda buggy: smoothed_logistic(buggy, m=30), "label_smoothing_ignored_in_backward"),
    "clipped_logistic_40": (lambda buggy: clipped_logistic(buggy, m=40), "clip_ignored_in_backward"),
}
