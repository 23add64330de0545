"""Correct factories with the same settings as the buggy ones: no setting may make them fail."""

import numpy as np


def regression(batch_size=1, reg=0.0, n_outputs=1, seed=0):
    """Linear regression: squared error summed over the outputs, averaged over the examples,
    plus 0.5 * reg * |W|^2."""
    rng = np.random.default_rng(seed)
    X, y = rng.normal(size=(batch_size, 3)), rng.normal(size=(batch_size, n_outputs))
    W, b = rng.normal(size=(3, n_outputs)), rng.normal(size=n_outputs)

    def loss():
        return float(np.sum((X @ W + b - y) ** 2) / batch_size + 0.5 * reg * np.sum(W ** 2))

    def grads():
        d = 2 * (X @ W + b - y) / batch_size
        return {"W": X.T @ d + reg * W, "b": d.sum(axis=0)}

    return {"params": {"W": W, "b": b}, "loss": loss, "grads": grads, "data": (X, y)}


def dropout_net(keep_prob=1.0, batch_size=6, seed=0):
    """A tanh hidden layer with inverted dropout (mask drawn once), linear output, mean squared
    error, rows."""
    rng = np.random.default_rng(seed)
    X, y = rng.normal(size=(batch_size, 3)), rng.normal(size=(batch_size, 2))
    p = {"W1": rng.normal(size=(3, 5)), "b1": 0.1 * rng.normal(size=5), "W2": rng.normal(size=(5, 2)), "b2": np.zeros(2)}
    mask = (rng.random((batch_size, 5)) < keep_prob) / keep_prob

    def loss():
        h = np.tanh(X @ p["W1"] + p["b1"]) * mask
        return float(np.mean(np.sum((h @ p["W2"] + p["b2"] - y) ** 2, axis=1)))

    def grads():
        t = np.tanh(X @ p["W1"] + p["b1"])
        h = t * mask
        d = 2 * (h @ p["W2"] + p["b2"] - y) / batch_size
        dz = (d @ p["W2"].T) * mask * (1 - t ** 2)
        return {"W1": X.T @ dz, "b1": dz.sum(axis=0), "W2": h.T @ d, "b2": d.sum(axis=0)}

    return {"params": p, "loss": loss, "grads": grads, "data": (X, y)}


def trained_net(lr=0.0, momentum=0.0, weight_decay=0.0, batch_size=4, seed=0):
    """A tanh - sigmoid net (rows, cross-entropy + 0.5 * weight_decay * |W|^2) after one SGD step
    with momentum; grads() runs a backward pass that updates a copy of the net as it goes but
    carries each delta down before that layer's update, and returns the gradients."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(batch_size, 3))
    y = (rng.random((batch_size, 1)) > 0.5).astype(float)
    p = {"W1": rng.normal(size=(3, 4)), "b1": np.zeros(4), "W2": rng.normal(size=(4, 1)), "b2": np.zeros(1)}
    velocity = {k: np.zeros_like(v) for k, v in p.items()}

    def loss():
        a = 1 / (1 + np.exp(-(np.tanh(X @ p["W1"] + p["b1"]) @ p["W2"] + p["b2"])))
        penalty = 0.5 * weight_decay * (np.sum(p["W1"] ** 2) + np.sum(p["W2"] ** 2))
        return float(-np.mean(y * np.log(a) + (1 - y) * np.log(1 - a)) + penalty)

    def backward(net):
        h = np.tanh(X @ net["W1"] + net["b1"])
        a = 1 / (1 + np.exp(-(h @ net["W2"] + net["b2"])))
        d = (a - y) / batch_size
        g = {"W2": h.T @ d + weight_decay * net["W2"], "b2": d.sum(axis=0)}
        dz = (d @ net["W2"].T) * (1 - h ** 2)
        g.update(W1=X.T @ dz + weight_decay * net["W1"], b1=dz.sum(axis=0))
        for k in ("W2", "b2", "W1", "b1"):
            velocity[k] = momentum * velocity[k] + g[k]
            net[k] = net[k] - lr * velocity[k]
        return g

    new = dict(p)
    backward(new)
    for k in p:
        p[k][...] = new[k]
    return {"params": p, "loss": loss, "grads": lambda: backward(dict(p)), "data": (X, y)}


def leaky_relu_net(widths=(2, 3, 1), seed=0, X=None, center_inputs=False, input_scale=1.0):
    """A leaky-relu hidden layer (slope 0.1), linear output, half squared error; inputs from the
    caller or uniform [0, 1), optionally centred and scaled."""
    rng = np.random.default_rng(seed)
    if X is None:
        X = rng.random((4, widths[0]))
    X = input_scale * (X - 0.5 if center_inputs else X)
    p = {"W1": rng.random((widths[0], widths[1])), "b1": np.zeros(widths[1]),
         "W2": rng.normal(size=(widths[1], widths[-1])), "b2": np.zeros(widths[-1])}
    y = rng.normal(size=(X.shape[0], widths[-1]))
    m = X.shape[0]

    def loss():
        z = X @ p["W1"] + p["b1"]
        return float(0.5 * np.sum((np.where(z > 0, z, 0.1 * z) @ p["W2"] + p["b2"] - y) ** 2) / m)

    def grads():
        z = X @ p["W1"] + p["b1"]
        h = np.where(z > 0, z, 0.1 * z)
        d = (h @ p["W2"] + p["b2"] - y) / m
        dz = (d @ p["W2"].T) * np.where(z > 0, 1.0, 0.1)
        return {"W1": X.T @ dz, "b1": dz.sum(axis=0), "W2": h.T @ d, "b2": d.sum(axis=0)}

    return {"params": p, "loss": loss, "grads": grads, "data": (X, y)}


def softmax_classifier(batch_size=4, n_classes=3, temperature=1.0, label_smoothing=0.0, seed=0):
    """A linear softmax classifier on scores / temperature trained on smoothed targets, rows."""
    rng = np.random.default_rng(seed)
    X, labels = rng.normal(size=(batch_size, 4)), rng.integers(0, n_classes, size=batch_size)
    W, b = 0.5 * rng.normal(size=(4, n_classes)), np.zeros(n_classes)
    target = (1 - label_smoothing) * np.eye(n_classes)[labels] + label_smoothing / n_classes

    def probs():
        s = (X @ W + b) / temperature
        e = np.exp(s - s.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    def loss():
        return float(-np.sum(target * np.log(probs())) / batch_size)

    def grads():
        d = (probs() - target) / (batch_size * temperature)
        return {"W": X.T @ d, "b": d.sum(axis=0)}

    return {"params": {"W": W, "b": b}, "loss": loss, "grads": grads, "data": (X, labels)}


def configurable_net(residual=False, use_bias=False, n_hidden_layers=1, batch_size=4, seed=0):
    """A tanh net of width 3 with n_hidden_layers hidden layers, optional biases and optional skip
    connections around every hidden layer after the first; linear output, mean squared error."""
    rng = np.random.default_rng(seed)
    X, y = rng.normal(size=(batch_size, 3)), rng.normal(size=(batch_size, 1))
    widths = [3] * (n_hidden_layers + 1) + [1]
    L = len(widths) - 1
    p = {}
    for i in range(1, L + 1):
        p[f"W{i}"] = rng.normal(size=(widths[i - 1], widths[i]))
        if use_bias:
            p[f"b{i}"] = 0.1 * rng.normal(size=widths[i])

    def skip(i):
        return residual and 1 < i < L

    def forward():
        a = [X]
        for i in range(1, L):
            h = np.tanh(a[-1] @ p[f"W{i}"] + p.get(f"b{i}", 0.0))
            a.append(h + a[-1] if skip(i) else h)
        a.append(a[-1] @ p[f"W{L}"] + p.get(f"b{L}", 0.0))
        return a

    def loss():
        return float(np.mean((forward()[-1] - y) ** 2))

    def grads():
        a = forward()
        da = 2 * (a[-1] - y) / batch_size
        g = {}
        for i in range(L, 0, -1):
            t = a[i] - a[i - 1] if skip(i) else a[i]
            dz = da if i == L else da * (1 - t ** 2)
            g[f"W{i}"] = a[i - 1].T @ dz
            if use_bias:
                g[f"b{i}"] = dz.sum(axis=0)
            da = dz @ p[f"W{i}"].T + (da if skip(i) else 0)
        return g

    return {"params": p, "loss": loss, "grads": grads, "data": (X, y)}


def rnn(seq_len=1, seed=0):
    """A vanilla tanh RNN over a one-hot sequence, softmax output at every step, cross-entropy
    summed over the steps; back-propagation through time."""
    rng = np.random.default_rng(seed)
    vocab, hidden = 4, 3
    inputs, targets = rng.integers(0, vocab, size=seq_len), rng.integers(0, vocab, size=seq_len)
    p = {"Wxh": 0.5 * rng.normal(size=(hidden, vocab)), "Whh": 0.5 * rng.normal(size=(hidden, hidden)),
         "Why": 0.5 * rng.normal(size=(vocab, hidden)), "bh": np.zeros((hidden, 1)), "by": np.zeros((vocab, 1))}
    h0 = 0.5 * rng.normal(size=(hidden, 1))
    xs = [np.eye(vocab)[:, [i]] for i in inputs]

    def forward():
        hs, ps = [h0], []
        for x in xs:
            hs.append(np.tanh(p["Wxh"] @ x + p["Whh"] @ hs[-1] + p["bh"]))
            s = p["Why"] @ hs[-1] + p["by"]
            ps.append(np.exp(s - s.max()) / np.sum(np.exp(s - s.max())))
        return hs, ps

    def loss():
        ps = forward()[1]
        return float(-sum(np.log(ps[t][targets[t], 0]) for t in range(seq_len)))

    def grads():
        hs, ps = forward()
        g = {k: np.zeros_like(v) for k, v in p.items()}
        dh_next = np.zeros_like(h0)
        for t in reversed(range(seq_len)):
            dy = ps[t].copy()
            dy[targets[t]] -= 1
            g["Why"] += dy @ hs[t + 1].T
            g["by"] += dy
            draw = (1 - hs[t + 1] ** 2) * (p["Why"].T @ dy + dh_next)
            g["bh"] += draw
            g["Wxh"] += draw @ xs[t].T
            g["Whh"] += draw @ hs[t].T
            dh_next = p["Whh"].T @ draw
        return g

    return {"params": p, "loss": loss, "grads": grads}


def robust_losses(scale=0.1, pos_weight=1.0, delta=100.0, batch_size=6, seed=0):
    """A linear model with two heads: logistic regression on cross-entropy with clipped
    probabilities and a weighted positive class, and a regression on the Huber loss."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(batch_size, 3))
    labels = (np.arange(batch_size) % 2).astype(float)
    targets = rng.normal(size=batch_size)
    w, v, b = scale * rng.normal(size=3), rng.normal(size=3), np.zeros(2)

    def loss():
        raw = 1 / (1 + np.exp(-(X @ w + b[0])))
        a = np.clip(raw, 1e-6, 1 - 1e-6)
        ce = -np.mean(pos_weight * labels * np.log(a) + (1 - labels) * np.log(1 - a))
        r = np.abs(X @ v + b[1] - targets)
        return float(ce + np.mean(np.where(r <= delta, 0.5 * r ** 2, delta * (r - 0.5 * delta))))

    def grads():
        a = 1 / (1 + np.exp(-(X @ w + b[0])))
        inside = (a > 1e-6) & (a < 1 - 1e-6)
        dz = (a * (pos_weight * labels + 1 - labels) - pos_weight * labels) * inside / batch_size
        r = X @ v + b[1] - targets
        dr = np.clip(r, -delta, delta) / batch_size
        return {"w": X.T @ dz, "v": X.T @ dr, "b": np.array([dz.sum(), dr.sum()])}

    return {"params": {"w": w, "v": v, "b": b}, "loss": loss, "grads": grads, "data": (X, labels)}
