"""Small user-style factories whose mistake hides at their default settings (for the search tests).

Each factory builds a one-hidden-layer tanh (or relu) net, examples as rows, and takes the
keyword that hides its mistake with the author's usual value as its default. ``mistake=None``
gives the correct net. Not the project's held-out material: these are the unit-test nets.
"""

from __future__ import annotations

import numpy as np


def _net(batch_size, seed, n_in=3, n_hidden=4, n_out=1, scale=0.5, x_low=-1.0):
    rng = np.random.default_rng(seed)
    params = {
        "W1": rng.normal(size=(n_in, n_hidden)) * scale,
        "b1": rng.normal(size=n_hidden) * 0.1 * min(scale, 1.0),
        "W2": rng.normal(size=(n_hidden, n_out)) * scale,
        "b2": rng.normal(size=n_out) * 0.1,
    }
    X = rng.uniform(x_low, 1.0, size=(batch_size, n_in))
    Y = rng.normal(size=(batch_size, n_out))
    return rng, params, X, Y


def penalty_net(mistake=None):
    """L2 penalty reg/2 * sum(W**2); the mistake leaves its gradient out."""

    def build(batch_size=4, reg=0.0, seed=0):
        _, p, X, Y = _net(batch_size, seed)
        m = X.shape[0]

        def loss():
            h = np.tanh(X @ p["W1"] + p["b1"])
            out = h @ p["W2"] + p["b2"]
            return float(0.5 * ((out - Y) ** 2).sum() / m + reg / 2 * ((p["W1"] ** 2).sum() + (p["W2"] ** 2).sum()))

        def grads():
            h = np.tanh(X @ p["W1"] + p["b1"])
            d = (h @ p["W2"] + p["b2"] - Y) / m
            dz = (d @ p["W2"].T) * (1 - h**2)
            g = {"W1": X.T @ dz, "b1": dz.sum(0), "W2": h.T @ d, "b2": d.sum(0)}
            if mistake is None:
                g["W1"] = g["W1"] + reg * p["W1"]
                g["W2"] = g["W2"] + reg * p["W2"]
            return g

        return {"params": p, "loss": loss, "grads": grads, "data": (X, Y)}

    return build


def dropout_net(mistake=None):
    """Inverted dropout on the hidden layer with a fixed mask; the mistake forgets 1/keep_prob in backward."""

    def build(batch_size=4, keep_prob=1.0, seed=0):
        rng, p, X, Y = _net(batch_size, seed)
        D = (rng.random((batch_size, 4)) < keep_prob).astype(float)
        m = X.shape[0]

        def loss():
            h = np.tanh(X @ p["W1"] + p["b1"]) * D / keep_prob
            return float(0.5 * ((h @ p["W2"] + p["b2"] - Y) ** 2).sum() / m)

        def grads():
            a = np.tanh(X @ p["W1"] + p["b1"])
            h = a * D / keep_prob
            d = (h @ p["W2"] + p["b2"] - Y) / m
            dh = (d @ p["W2"].T) * D
            if mistake is None:
                dh = dh / keep_prob
            dz = dh * (1 - a**2)
            return {"W1": X.T @ dz, "b1": dz.sum(0), "W2": h.T @ d, "b2": d.sum(0)}

        return {"params": p, "loss": loss, "grads": grads}

    return build


def step_net(mistake=None):
    """grads() of a training step; the mistake sends the delta down through the already updated W2."""

    def build(batch_size=4, lr=0.0, seed=0):
        _, p, X, Y = _net(batch_size, seed)
        m = X.shape[0]

        def loss():
            h = np.tanh(X @ p["W1"] + p["b1"])
            return float(0.5 * ((h @ p["W2"] + p["b2"] - Y) ** 2).sum() / m)

        def grads():
            h = np.tanh(X @ p["W1"] + p["b1"])
            d = (h @ p["W2"] + p["b2"] - Y) / m
            dW2 = h.T @ d
            W2 = p["W2"] - lr * dW2 if mistake else p["W2"]
            dz = (d @ W2.T) * (1 - h**2)
            return {"W1": X.T @ dz, "b1": dz.sum(0), "W2": dW2, "b2": d.sum(0)}

        return {"params": p, "loss": loss, "grads": grads}

    return build


def outputs_net(mistake=None):
    """Loss: the mean over the batch and the outputs; the mistake divides by m only."""

    def build(batch_size=4, n_out=1, seed=0):
        _, p, X, Y = _net(batch_size, seed, n_out=n_out)
        m = X.shape[0]

        def loss():
            h = np.tanh(X @ p["W1"] + p["b1"])
            return float(((h @ p["W2"] + p["b2"] - Y) ** 2).mean())

        def grads():
            h = np.tanh(X @ p["W1"] + p["b1"])
            d = 2 * (h @ p["W2"] + p["b2"] - Y) / m
            if mistake is None:
                d = d / n_out
            dz = (d @ p["W2"].T) * (1 - h**2)
            return {"W1": X.T @ dz, "b1": dz.sum(0), "W2": h.T @ d, "b2": d.sum(0)}

        return {"params": p, "loss": loss, "grads": grads}

    return build


def saturation_net(mistake=None):
    """Small initial weights keep tanh near 0; the mistake takes tanh' at the pre-activation (1 - z**2)."""

    def build(batch_size=4, scale=0.001, seed=0):
        _, p, X, Y = _net(batch_size, seed, scale=scale)
        m = X.shape[0]

        def loss():
            h = np.tanh(X @ p["W1"] + p["b1"])
            return float(0.5 * ((h @ p["W2"] + p["b2"] - Y) ** 2).sum() / m)

        def grads():
            z = X @ p["W1"] + p["b1"]
            h = np.tanh(z)
            d = (h @ p["W2"] + p["b2"] - Y) / m
            dz = (d @ p["W2"].T) * ((1 - z**2) if mistake else (1 - h**2))
            return {"W1": X.T @ dz, "b1": dz.sum(0), "W2": h.T @ d, "b2": d.sum(0)}

        return {"params": p, "loss": loss, "grads": grads}

    return build


def flag_net(mistake=None):
    """An optional output bias; the mistake flips the sign of its gradient."""

    def build(batch_size=4, use_bias=False, seed=0):
        _, p, X, Y = _net(batch_size, seed)
        m = X.shape[0]
        on = 1.0 if use_bias else 0.0

        def loss():
            h = np.tanh(X @ p["W1"] + p["b1"])
            return float(0.5 * ((h @ p["W2"] + on * p["b2"] - Y) ** 2).sum() / m)

        def grads():
            h = np.tanh(X @ p["W1"] + p["b1"])
            d = (h @ p["W2"] + on * p["b2"] - Y) / m
            dz = (d @ p["W2"].T) * (1 - h**2)
            db2 = on * d.sum(0) * (-1 if mistake else 1)
            return {"W1": X.T @ dz, "b1": dz.sum(0), "W2": h.T @ d, "b2": db2}

        return {"params": p, "loss": loss, "grads": grads}

    return build


def sign_net(mistake=None, with_data=False):
    """A relu net on inputs drawn from [x_low, 1); the mistake's relu mask is z != 0."""

    def build(batch_size=4, x_low=0.0, seed=0):
        rng, p, X, Y = _net(batch_size, seed, x_low=x_low)
        p["W1"], p["b1"] = np.abs(p["W1"]), np.zeros(4)  # positive inputs keep every unit on

        def loss():
            h = np.maximum(X @ p["W1"] + p["b1"], 0)
            return float(0.5 * ((h @ p["W2"] + p["b2"] - Y) ** 2).sum() / X.shape[0])

        def grads():
            z = X @ p["W1"] + p["b1"]
            h = np.maximum(z, 0)
            d = (h @ p["W2"] + p["b2"] - Y) / X.shape[0]
            dz = (d @ p["W2"].T) * ((z != 0) if mistake else (z > 0))
            return {"W1": X.T @ dz, "b1": dz.sum(0), "W2": h.T @ d, "b2": d.sum(0)}

        return {"params": p, "loss": loss, "grads": grads, **({"data": (X, Y)} if with_data else {})}

    return build


#: name -> (factory maker, the keyword that hides the mistake at its default)
SETTINGS_NETS = {
    "penalty": (penalty_net, "reg"),
    "dropout": (dropout_net, "keep_prob"),
    "step": (step_net, "lr"),
    "outputs": (outputs_net, "n_out"),
    "saturation": (saturation_net, "scale"),
    "flag": (flag_net, "use_bias"),
    "sign": (sign_net, "x_low"),
}


def scaled_net(mistake=None):
    """Not a dense net: loss mean(cos(X @ (w * D / keep_prob))), which no architecture explains, so
    only the ratio analytic / numeric names the mistake; the mistake forgets the 1/keep_prob."""

    def build(batch_size=3, keep_prob=1.0, seed=0):
        rng = np.random.default_rng(seed)
        X, w = rng.normal(size=(batch_size, 3)), rng.normal(size=3)
        D = np.array([1.0, 0.0, 1.0]) if keep_prob < 1 else np.ones(3)

        def loss():
            return float(np.cos(X @ (w * D / keep_prob)).mean())

        def grads():
            z = X @ (w * D / keep_prob)
            g = X.T @ (-np.sin(z)) / X.shape[0] * D
            return {"w": g if mistake else g / keep_prob}

        return {"params": {"w": w}, "loss": loss, "grads": grads}

    return build
