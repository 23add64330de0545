"""A residual block whose backward pass drops the skip path, named on nets written here in two styles.

Style A: plain functions with closures, examples as rows, a relu layer, then a one-layer block
``h2 = h1 + tanh(h1 @ W2 + b2)``, a sigmoid output and cross-entropy. Style B: a class with
``forward``/``backward`` keeping its data on ``self``, examples as columns (``W @ X``), a block of
two layers ``h2 = h1 + W3 @ sigmoid(W2 @ h1 + b2) + b3`` and a softmax output. Each mistake is
checked on its kind AND the parameters named; each correct net stays "ok" with no finding.
"""

from __future__ import annotations

import numpy as np
import pytest

import gradcheck
from gradcheck.diagnosis.model.infer import infer_arch


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


# -- style A: closures, rows ----------------------------------------------------------------------------------


def closure_net(m, n_in, width, seed, drop_skip=False):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(m, n_in))
    y = (rng.random((m, 1)) < 0.5).astype(float)
    p = {"W1": rng.normal(0, 0.7, (n_in, width)), "b1": rng.normal(0, 0.3, width),
         "W2": rng.normal(0, 0.7, (width, width)), "b2": rng.normal(0, 0.1, width),
         "W3": rng.normal(0, 0.7, (width, 1)), "b3": np.zeros(1)}

    def forward():
        h1 = np.maximum(X @ p["W1"] + p["b1"], 0)
        t = np.tanh(h1 @ p["W2"] + p["b2"])
        h2 = h1 + t
        return h1, t, h2, _sigmoid(h2 @ p["W3"] + p["b3"])

    def loss():
        a = forward()[3]
        return float(-np.mean(y * np.log(a) + (1 - y) * np.log(1 - a)))

    def grads():
        h1, t, h2, a = forward()
        dz3 = (a - y) / m
        dh2 = dz3 @ p["W3"].T
        dz2 = dh2 * (1 - t**2)
        dh1 = dz2 @ p["W2"].T if drop_skip else dz2 @ p["W2"].T + dh2
        dz1 = dh1 * (h1 > 0)
        return {"W1": X.T @ dz1, "b1": dz1.sum(axis=0), "W2": h1.T @ dz2, "b2": dz2.sum(axis=0),
                "W3": h2.T @ dz3, "b3": dz3.sum(axis=0)}

    return p, loss, grads


# -- style B: a class, columns, a two-layer block ---------------------------------------------------------------


class BlockNet:
    def __init__(self, m, n_in, width, inner, n_classes, seed, drop_skip=False):
        rng = np.random.default_rng(seed)
        self.X = rng.normal(size=(n_in, m))
        self.labels = rng.integers(0, n_classes, size=m)
        self.W_a, self.b_a = rng.normal(0, 0.6, (width, n_in)), rng.normal(0, 0.2, (width, 1))
        self.W_b, self.b_b = rng.normal(0, 0.6, (inner, width)), rng.normal(0, 0.2, (inner, 1))
        self.W_c, self.b_c = rng.normal(0, 0.6, (width, inner)), rng.normal(0, 0.2, (width, 1))
        self.W_d, self.b_d = rng.normal(0, 0.6, (n_classes, width)), np.zeros((n_classes, 1))
        self.drop_skip = drop_skip

    def params(self):
        return {k: getattr(self, k) for k in ("W_a", "b_a", "W_b", "b_b", "W_c", "b_c", "W_d", "b_d")}

    def forward(self):
        h1 = np.tanh(self.W_a @ self.X + self.b_a)
        u = _sigmoid(self.W_b @ h1 + self.b_b)
        h2 = h1 + self.W_c @ u + self.b_c
        s = self.W_d @ h2 + self.b_d
        e = np.exp(s - s.max(axis=0))
        return h1, u, h2, e / e.sum(axis=0)

    def loss(self):
        P = self.forward()[3]
        return float(-np.mean(np.log(P[self.labels, np.arange(P.shape[1])])))

    def backward(self):
        h1, u, h2, P = self.forward()
        m = P.shape[1]
        ds = P.copy()
        ds[self.labels, np.arange(m)] -= 1
        ds /= m
        dh2 = self.W_d.T @ ds
        du = self.W_c.T @ dh2 * u * (1 - u)
        dh1 = self.W_b.T @ du + (0 if self.drop_skip else dh2)
        dz1 = dh1 * (1 - h1**2)
        return {"W_a": dz1 @ self.X.T, "b_a": dz1.sum(axis=1, keepdims=True), "W_b": du @ h1.T,
                "b_b": du.sum(axis=1, keepdims=True), "W_c": dh2 @ u.T, "b_c": dh2.sum(axis=1, keepdims=True),
                "W_d": ds @ h2.T, "b_d": ds.sum(axis=1, keepdims=True)}


def class_net(*args, drop_skip=False):
    net = BlockNet(*args, drop_skip=drop_skip)
    return net.params(), net.loss, net.backward


CORRECT = [
    ("closures, rows", lambda: closure_net(9, 3, 4, 1)),
    ("class, cols", lambda: class_net(8, 2, 3, 5, 3, 2)),
]


@pytest.mark.parametrize("what,make", CORRECT, ids=[c[0] for c in CORRECT])
def test_a_correct_residual_net_passes_with_no_finding(what, make):
    report = gradcheck.check(*make())
    assert report.ok and not report.findings


DROPPED = [
    ("closures, rows", lambda: closure_net(10, 3, 5, 11, drop_skip=True), ["W1", "b1"]),
    ("closures, rows, other sizes", lambda: closure_net(7, 4, 3, 12, drop_skip=True), ["W1", "b1"]),
    ("class, cols", lambda: class_net(9, 3, 4, 2, 3, 13, drop_skip=True), ["W_a", "b_a"]),
]


@pytest.mark.parametrize("what,make,wrong", DROPPED, ids=[c[0] for c in DROPPED])
def test_the_skip_path_dropped_in_backward_is_named(what, make, wrong):
    report = gradcheck.check(*make())
    assert sorted(report.wrong) == sorted(wrong)
    assert report.kinds() == ["missing_skip_gradient"]
    assert sorted(report.findings[0].params) == sorted(wrong)
    assert "skip" in report.findings[0].message


def test_the_block_is_recognized_with_its_skip_and_a_plain_net_without_one():
    from gradcheck.diagnosis.discover import discover_data
    from gradcheck.nn import MLP

    params, loss, _ = closure_net(9, 3, 4, 1)
    found = discover_data(params, loss)
    assert found is not None and found.names == "X, y" and found.confirmed == "reproduced"
    arch = infer_arch(params, loss, found.data)
    assert arch.skips == {2: 1} and arch.activations == ["relu", "tanh", "sigmoid"] and arch.loss == "bce"
    assert "skip" in arch.describe()
    net = MLP([3, 4, 4, 1], activations=["relu", "tanh", "sigmoid"], loss="bce", layout="rows", seed=1)
    X, y = net.random_data(6)
    arch = infer_arch(net.params, lambda: net.loss(X, y), (X, y))
    assert arch is not None and arch.skips == {}
