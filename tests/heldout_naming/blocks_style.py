"""Model classes built around one block: a residual block, batch normalization, layer normalization,
a 1-D convolution with an L2 penalty. Each keeps its data as ``self.inputs`` and ``self.targets``
(examples as rows) and the user checks the bound methods ``model.loss`` and ``model.gradients``."""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from . import NORM_ALIASES, binary_data, bug, case, regression_data, sigmoid

EPS = 1e-5  # the variance floor of the normalization layers


class Model:
    """What the four models share: data on self, parameters as attributes named in ``names``."""

    names: tuple[str, ...] = ()

    def __init__(self, X, y, mistake=None):
        self.inputs, self.targets, self.mistake = X, y, mistake

    def parameters(self):
        return {name: getattr(self, name) for name in self.names}


class ResidualRegressor(Model):
    names = ("W_in", "b_in", "W1", "b1", "W2", "b2", "W_out", "b_out")

    def __init__(self, X, y, width, seed, mistake=None):
        super().__init__(X, y, mistake)
        rng = np.random.default_rng(seed)
        shapes = [(X.shape[1], width), (width,), (width, width), (width,), (width, width), (width,), (width, 1), (1,)]
        for name, shape in zip(self.names, shapes):
            setattr(self, name, rng.normal(0, 0.5 if len(shape) == 2 else 0.1, shape))

    def forward(self):
        h0 = np.tanh(self.inputs @ self.W_in + self.b_in)
        a1 = np.tanh(h0 @ self.W1 + self.b1)
        h1 = h0 + a1 @ self.W2 + self.b2  # the skip connection
        return h0, a1, h1, h1 @ self.W_out + self.b_out

    def loss(self):
        return float(np.mean((self.forward()[-1] - self.targets) ** 2))

    def gradients(self):
        h0, a1, h1, out = self.forward()
        d_out = 2 * (out - self.targets) / len(self.targets)
        d_h1 = d_out @ self.W_out.T
        dz1 = d_h1 @ self.W2.T * (1 - a1**2)
        d_h0 = dz1 @ self.W1.T if self.mistake == "skip_dropped" else dz1 @ self.W1.T + d_h1
        dz0 = d_h0 * (1 - h0**2)
        return {
            "W_in": self.inputs.T @ dz0, "b_in": dz0.sum(axis=0), "W1": h0.T @ dz1, "b1": dz1.sum(axis=0),
            "W2": a1.T @ d_h1, "b2": d_h1.sum(axis=0), "W_out": h1.T @ d_out, "b_out": d_out.sum(axis=0),
        }


def normalize_backward(dxhat, xhat, std, axis, mistake):
    """The gradient through (z - mean) / std along ``axis``, or one of the usual shortcuts."""
    n = dxhat.shape[axis]
    if mistake == "mean_and_variance_missing":
        return dxhat / std
    if mistake == "variance_missing":
        return (dxhat - dxhat.mean(axis=axis, keepdims=True)) / std
    return (n * dxhat - dxhat.sum(axis=axis, keepdims=True) - xhat * (dxhat * xhat).sum(axis=axis, keepdims=True)) / (
        n * std
    )


class BatchNormClassifier(Model):
    """Dense (no bias) -> batch norm over the examples -> tanh -> sigmoid output, cross-entropy."""

    names = ("W1", "gamma", "beta", "W2", "b2")

    def __init__(self, X, y, hidden, seed, mistake=None):
        super().__init__(X, y, mistake)
        rng = np.random.default_rng(seed)
        self.W1 = rng.normal(0, 0.7, (X.shape[1], hidden))
        self.gamma, self.beta = rng.uniform(0.5, 1.5, hidden), rng.normal(0, 0.2, hidden)
        self.W2, self.b2 = rng.normal(0, 0.7, (hidden, 1)), rng.normal(0, 0.1, 1)

    def forward(self):
        z = self.inputs @ self.W1
        std = np.sqrt(z.var(axis=0) + EPS)
        xhat = (z - z.mean(axis=0)) / std
        a = np.tanh(self.gamma * xhat + self.beta)
        return xhat, std, a, sigmoid(a @ self.W2 + self.b2)

    def loss(self):
        p = self.forward()[-1]
        return float(-np.mean(self.targets * np.log(p) + (1 - self.targets) * np.log(1 - p)))

    def gradients(self):
        xhat, std, a, p = self.forward()
        d_logit = (p - self.targets) / len(self.targets)
        d_bn = d_logit @ self.W2.T * (1 - a**2)
        dz = normalize_backward(d_bn * self.gamma, xhat, std, 0, self.mistake)
        return {
            "W1": self.inputs.T @ dz, "gamma": (d_bn * xhat).sum(axis=0), "beta": d_bn.sum(axis=0),
            "W2": a.T @ d_logit, "b2": d_logit.sum(axis=0),
        }


class LayerNormRegressor(Model):
    """Dense -> layer norm over each example's features -> tanh -> dense, mean squared error."""

    names = ("W1", "b1", "gamma", "beta", "W2", "b2")

    def __init__(self, X, y, hidden, seed, mistake=None):
        super().__init__(X, y, mistake)
        rng = np.random.default_rng(seed)
        self.W1, self.b1 = rng.normal(0, 0.7, (X.shape[1], hidden)), rng.normal(0, 0.3, hidden)
        self.gamma, self.beta = rng.uniform(0.5, 1.5, hidden), rng.normal(0, 0.2, hidden)
        self.W2, self.b2 = rng.normal(0, 0.7, (hidden, y.shape[1])), rng.normal(0, 0.1, y.shape[1])

    def forward(self):
        z = self.inputs @ self.W1 + self.b1
        std = np.sqrt(z.var(axis=1, keepdims=True) + EPS)
        xhat = (z - z.mean(axis=1, keepdims=True)) / std
        a = np.tanh(self.gamma * xhat + self.beta)
        return xhat, std, a, a @ self.W2 + self.b2

    def loss(self):
        return float(np.mean(np.sum((self.forward()[-1] - self.targets) ** 2, axis=1)))

    def gradients(self):
        xhat, std, a, out = self.forward()
        d_out = 2 * (out - self.targets) / len(self.targets)
        d_ln = d_out @ self.W2.T * (1 - a**2)
        dz = normalize_backward(d_ln * self.gamma, xhat, std, 1, self.mistake)
        return {
            "W1": self.inputs.T @ dz, "b1": dz.sum(axis=0), "gamma": (d_ln * xhat).sum(axis=0),
            "beta": d_ln.sum(axis=0), "W2": a.T @ d_out, "b2": d_out.sum(axis=0),
        }


class ConvRegressor(Model):
    """A 1-D valid convolution of each signal with one kernel -> tanh -> dense, MSE + L2 on kernel and w."""

    names = ("kernel", "c", "w", "b")

    def __init__(self, X, y, width, seed, lambd, mistake=None):
        super().__init__(X, y, mistake)
        rng = np.random.default_rng(seed)
        self.kernel, self.c = rng.normal(0, 0.6, width), rng.normal(0, 0.1, 1)
        self.w, self.b = rng.normal(0, 0.5, (X.shape[1] - width + 1, 1)), rng.normal(0, 0.1, 1)
        self.lambd = lambd

    def forward(self):
        windows = sliding_window_view(self.inputs, len(self.kernel), axis=1)  # (m, positions, width)
        a = np.tanh(windows @ self.kernel + self.c)
        return windows, a, a @ self.w + self.b

    def loss(self):
        m = len(self.targets)
        penalty = np.sum(self.kernel**2) + np.sum(self.w**2)
        return float(np.mean((self.forward()[-1] - self.targets) ** 2) + self.lambd / (2 * m) * penalty)

    def gradients(self):
        windows, a, out = self.forward()
        m = len(self.targets)
        scale = {"l2_missing": 0.0, "l2_not_divided_by_m": self.lambd}.get(self.mistake, self.lambd / m)
        d_out = 2 * (out - self.targets) / m
        d_pre = d_out @ self.w.T * (1 - a**2)
        return {
            "kernel": np.einsum("mpk,mp->k", windows, d_pre) + scale * self.kernel,
            "c": np.array([d_pre.sum()]), "w": a.T @ d_out + scale * self.w, "b": d_out.sum(axis=0),
        }


def _user(model):
    return dict(params=model.parameters(), loss=model.loss, grads=model.gradients, X=model.inputs, y=model.targets)


def _signals(m, length, seed):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(m, length)).cumsum(axis=1) * 0.3
    return X, (np.abs(np.diff(X, axis=1)).mean(axis=1, keepdims=True) - 0.25) * 4


@case("blocks", "self", (8, 3), (8, 1))
def blocks_correct_residual():
    return _user(ResidualRegressor(*regression_data(8, 3, 1, 81), width=4, seed=81))


@case("blocks", "self", (9, 2), (9, 1), bug("missing_skip_gradient", "W_in", "b_in", new_kind=True))
def blocks_residual_skip_dropped_in_backward():
    return _user(ResidualRegressor(*regression_data(9, 2, 1, 82), width=3, seed=82, mistake="skip_dropped"))


def _binary(m, n, seed):
    X, y = binary_data(m, n, seed)
    return X, y[:, None]


@case("blocks", "self", (10, 3), (10, 1))
def blocks_correct_batchnorm():
    return _user(BatchNormClassifier(*_binary(10, 3, 83), hidden=4, seed=83))


BN_INCOMPLETE = bug("batchnorm_backward_incomplete", "W1", new_kind=True, aliases=NORM_ALIASES)


@case("blocks", "self", (8, 3), (8, 1), BN_INCOMPLETE)
def blocks_batchnorm_mean_and_variance_paths_missing():
    return _user(BatchNormClassifier(*_binary(8, 3, 84), hidden=5, seed=84, mistake="mean_and_variance_missing"))


@case("blocks", "self", (12, 4), (12, 1), BN_INCOMPLETE)
def blocks_batchnorm_variance_path_missing():
    return _user(BatchNormClassifier(*_binary(12, 4, 85), hidden=3, seed=85, mistake="variance_missing"))


@case("blocks", "self", (7, 3), (7, 2))
def blocks_correct_layernorm():
    return _user(LayerNormRegressor(*regression_data(7, 3, 2, 86), hidden=5, seed=86))


@case(
    "blocks", "self", (6, 4), (6, 2),
    bug("layernorm_backward_incomplete", "W1", "b1", new_kind=True, aliases=("batchnorm_backward_incomplete", *NORM_ALIASES)),
)
def blocks_layernorm_mean_and_variance_paths_missing():
    return _user(LayerNormRegressor(*regression_data(6, 4, 2, 87), hidden=4, seed=87, mistake="mean_and_variance_missing"))


@case("blocks", "self", (9, 8), (9, 1))
def blocks_correct_conv_l2():
    return _user(ConvRegressor(*_signals(9, 8, 88), width=3, seed=88, lambd=0.4))


@case("blocks", "self", (8, 10), (8, 1), bug("regularization_missing", "kernel", "w"))
def blocks_conv_l2_missing_from_gradient():
    return _user(ConvRegressor(*_signals(8, 10, 89), width=4, seed=89, lambd=0.5, mistake="l2_missing"))


@case("blocks", "self", (10, 7), (10, 1), bug("regularization_wrong", "kernel", "w"))
def blocks_conv_l2_not_divided_by_m():
    return _user(ConvRegressor(*_signals(10, 7, 90), width=3, seed=90, lambd=0.3, mistake="l2_not_divided_by_m"))
