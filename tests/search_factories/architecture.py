"""Factories whose mistake hides while an optional part of the net is off or short
(a residual connection, the biases, a sequence of length 1)."""

import numpy as np


def residual_skip_gradient_forgotten(residual=False, batch_size=4, seed=0):
    """A tanh net of width 3 with an optional skip connection around its second layer
    (h2 = tanh(h1 W2 + b2) + h1), linear output, half squared error, rows; the backward pass
    forgets the gradient that flows through the skip."""
    rng = np.random.default_rng(seed)
    X, y = rng.normal(size=(batch_size, 2)), rng.normal(size=(batch_size, 1))
    p = {"W1": rng.normal(size=(2, 3)), "b1": np.zeros(3), "W2": rng.normal(size=(3, 3)), "b2": np.zeros(3),
         "W3": rng.normal(size=(3, 1)), "b3": np.zeros(1)}

    def forward():
        h1 = np.tanh(X @ p["W1"] + p["b1"])
        t = np.tanh(h1 @ p["W2"] + p["b2"])
        h2 = t + h1 if residual else t
        return h1, t, h2, h2 @ p["W3"] + p["b3"]

    def loss():
        return float(0.5 * np.sum((forward()[3] - y) ** 2) / batch_size)

    def grads():
        h1, t, h2, out = forward()
        d = (out - y) / batch_size
        dh2 = d @ p["W3"].T
        dz2 = dh2 * (1 - t ** 2)
        dz1 = (dz2 @ p["W2"].T) * (1 - h1 ** 2)
        return {"W1": X.T @ dz1, "b1": dz1.sum(axis=0), "W2": h1.T @ dz2, "b2": dz2.sum(axis=0),
                "W3": h2.T @ d, "b3": d.sum(axis=0)}

    return {"params": p, "loss": loss, "grads": grads, "data": (X, y)}


def optional_bias_averaged(use_bias=False, batch_size=4, seed=0):
    """A tanh - linear regression net (rows, mean squared error) with optional biases; the bias
    gradients are averaged over the batch although the delta already holds the 1/m."""
    rng = np.random.default_rng(seed)
    X, y = rng.normal(size=(batch_size, 3)), rng.normal(size=(batch_size, 1))
    p = {"W1": rng.normal(size=(3, 4)), "W2": rng.normal(size=(4, 1))}
    if use_bias:
        p.update(b1=0.1 * rng.normal(size=4), b2=np.zeros(1))

    def forward():
        h = np.tanh(X @ p["W1"] + p.get("b1", 0.0))
        return h, h @ p["W2"] + p.get("b2", 0.0)

    def loss():
        return float(np.mean((forward()[1] - y) ** 2))

    def grads():
        h, out = forward()
        d = 2 * (out - y) / batch_size
        dz = (d @ p["W2"].T) * (1 - h ** 2)
        g = {"W1": X.T @ dz, "W2": h.T @ d}
        if use_bias:
            g.update(b1=dz.mean(axis=0), b2=d.mean(axis=0))
        return g

    return {"params": p, "loss": loss, "grads": grads, "data": (X, y)}


def rnn_hidden_gradient_not_carried(seq_len=1, seed=0):
    """A vanilla tanh RNN over a one-hot sequence with a softmax output at every step
    (cross-entropy summed over the steps); back-propagation through time never adds the
    gradient carried from the next step into dh."""
    rng = np.random.default_rng(seed)
    vocab, hidden = 4, 3
    inputs, targets = rng.integers(0, vocab, size=seq_len), rng.integers(0, vocab, size=seq_len)
    p = {"Wxh": 0.5 * rng.normal(size=(hidden, vocab)), "Whh": 0.5 * rng.normal(size=(hidden, hidden)),
         "Why": 0.5 * rng.normal(size=(vocab, hidden)), "bh": np.zeros((hidden, 1)), "by": np.zeros((vocab, 1))}
    h0 = 0.5 * rng.normal(size=(hidden, 1))

    def forward():
        hs, ps = [h0], []
        for t in range(seq_len):
            x = np.eye(vocab)[:, [inputs[t]]]
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
        for t in reversed(range(seq_len)):
            dy = ps[t].copy()
            dy[targets[t]] -= 1
            g["Why"] += dy @ hs[t + 1].T
            g["by"] += dy
            dh = p["Why"].T @ dy
            draw = (1 - hs[t + 1] ** 2) * dh
            g["bh"] += draw
            g["Wxh"] += draw @ np.eye(vocab)[:, [inputs[t]]].T
            g["Whh"] += draw @ hs[t].T
        return g

    return {"params": p, "loss": loss, "grads": grads}
