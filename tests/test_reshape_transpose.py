"""``W.reshape(W.T.shape)`` where ``W.T`` belongs (``reshape_instead_of_transpose``): the shapes fit, the
elements do not. Named on nets written here in two styles, with the parameters it reaches: a class whose
backward pass carries the delta down with the reshape (examples as columns, the recomputation on the
recognized dense net), and closures whose weight gradient is computed in the transposed orientation and
reshaped to the parameter's shape (any net: read off the numbers alone). The same nets written right pass;
a square W, whose reshape is W itself, is named ``weights_not_transposed``."""

from __future__ import annotations

import numpy as np
import pytest

import gradcheck
from gradcheck.diagnosis.detectors.reshaped import reshaped_ratio

# -- a class, examples as columns, W as (n_out, n_in), sigmoid layers and cross-entropy ----------------


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


class ColumnNet:
    def __init__(self, sizes, reshape_at=(), seed=0, m=7):
        rng = np.random.default_rng(seed)
        self.X = rng.normal(size=(sizes[0], m))
        self.Y = (rng.random((sizes[-1], m)) > 0.5) * 1.0
        self.W = [rng.normal(size=(sizes[i + 1], sizes[i])) for i in range(len(sizes) - 1)]
        self.b = [np.zeros((sizes[i + 1], 1)) for i in range(len(sizes) - 1)]
        self.reshape_at = reshape_at  # 1-based layers whose delta is carried down with the reshape

    def params(self):
        return {**{f"W{i + 1}": W for i, W in enumerate(self.W)}, **{f"b{i + 1}": b for i, b in enumerate(self.b)}}

    def _forward(self):
        A = [self.X]
        for W, b in zip(self.W, self.b):
            A.append(_sigmoid(W @ A[-1] + b))
        return A

    def loss(self):
        out = self._forward()[-1]
        return float(-np.mean(np.sum(self.Y * np.log(out) + (1 - self.Y) * np.log(1 - out), axis=0)))

    def grads(self):
        A = self._forward()
        m = self.X.shape[1]
        dZ = (A[-1] - self.Y) / m
        g = {}
        for l in range(len(self.W), 0, -1):
            g[f"W{l}"], g[f"b{l}"] = dZ @ A[l - 1].T, dZ.sum(axis=1, keepdims=True)
            if l > 1:
                W = self.W[l - 1]
                back = W.reshape(W.shape[1], W.shape[0]) if l in self.reshape_at else W.T
                dZ = (back @ dZ) * A[l - 1] * (1 - A[l - 1])
        return g


def _check(net):
    return gradcheck.check(net.params(), net.loss, net.grads, data=(net.X, net.Y))


def _named(report):
    return [(f.kind, f.params) for f in report.findings]


def test_the_delta_carried_down_with_a_reshape_is_named_at_the_layer_it_reaches():
    report = _check(ColumnNet([3, 4, 2], reshape_at=(2,)))
    assert _named(report) == [("reshape_instead_of_transpose", ["W1", "b1"])]
    assert "W2.T @ dZ2" in report.findings[0].fix and "W2.reshape(4, 2) @ dZ2" in report.findings[0].fix


def test_a_reshape_in_the_middle_of_a_deeper_net():
    report = _check(ColumnNet([2, 5, 3, 1], reshape_at=(2,), seed=1))
    assert _named(report) == [("reshape_instead_of_transpose", ["W1", "b1"])]


def test_a_square_weight_reshaped_is_the_weight_itself():
    report = _check(ColumnNet([3, 4, 4, 1], reshape_at=(2,), seed=2))
    assert _named(report) == [("weights_not_transposed", ["W1", "b1"])]


@pytest.mark.parametrize("sizes", [[3, 4, 2], [2, 5, 3, 1]])
def test_the_column_net_written_right_passes(sizes):
    assert _check(ColumnNet(sizes)).ok


# -- closures: a convolution-free linear map whose weight gradient is reshaped, not transposed -------


def _linear_regression(n_in=5, n_out=3, m=6, reshaped=True, seed=3):
    """Y = X @ W + b (rows), half mean squared error; dW computed as dZ.T @ X (n_out, n_in) and given W's
    shape with .reshape (or .T when written right)."""
    rng = np.random.default_rng(seed)
    X, Y = rng.normal(size=(m, n_in)), rng.normal(size=(m, n_out))
    W, b = rng.normal(size=(n_in, n_out)), np.zeros(n_out)

    def loss():
        return float(0.5 * np.sum((X @ W + b - Y) ** 2) / m)

    def grads():
        dZ = (X @ W + b - Y) / m
        dW_t = dZ.T @ X
        return {"W": dW_t.reshape(W.shape) if reshaped else dW_t.T, "b": dZ.sum(axis=0)}

    return {"W": W, "b": b}, loss, grads


@pytest.mark.parametrize("n_in,n_out", [(5, 3), (2, 4)])
def test_a_weight_gradient_reshaped_instead_of_transposed(n_in, n_out):
    params, loss, grads = _linear_regression(n_in, n_out)
    report = gradcheck.check(params, loss, grads)
    assert _named(report) == [("reshape_instead_of_transpose", ["W"])]
    assert ".reshape" in report.findings[0].message and ".T" in report.findings[0].fix


def test_the_closure_written_right_passes():
    assert gradcheck.check(*_linear_regression(reshaped=False)).ok


def test_no_reshape_reading_where_the_reshape_is_no_mistake():
    n = np.arange(1.0, 7.0)
    assert reshaped_ratio(n.reshape(1, 6), n.reshape(1, 6))[1] == np.inf  # a side of 1: the reshape is .T
    sq = n[:4].reshape(2, 2)
    assert reshaped_ratio(sq.T, sq)[1] == np.inf  # square: the plain transpose's detector names it
