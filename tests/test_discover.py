"""Finding the data a loss reads when check() is given none (gradcheck.diagnosis.discover): where it is
found (closure, globals, a bound self, a partial, one level down), how it is confirmed, what the
report says, and that a wrong guess never changes a verdict or the user's arrays."""

from __future__ import annotations

import functools
import json
from types import SimpleNamespace

import numpy as np
import pytest

import gradcheck
from gradcheck.diagnosis.discover import NOT_FOUND, discover_data, reachable


def _sig(z):
    return 1.0 / (1.0 + np.exp(-z))


def _tanh_mse_rows(rng, m=12, n_in=3, n_hidden=5):
    """A rows-layout tanh net with an MSE loss: X (m, n_in), y (m, 1)."""
    X, y = rng.normal(size=(m, n_in)), rng.normal(size=(m, 1))
    p = {"W1": rng.normal(size=(n_in, n_hidden)), "b1": rng.normal(size=n_hidden),
         "W2": rng.normal(size=(n_hidden, 1)), "b2": rng.normal(size=1)}
    return X, y, p


def _rows_loss(p, X, y):
    h = np.tanh(X @ p["W1"] + p["b1"])
    return float(0.5 * ((h @ p["W2"] + p["b2"] - y) ** 2).mean())


def _rows_grads(p, X, y, *, per_m=True):
    m = X.shape[0]
    h = np.tanh(X @ p["W1"] + p["b1"])
    d = (h @ p["W2"] + p["b2"] - y) / m
    dh = d @ p["W2"].T * (1 - h**2)
    g = {"W1": X.T @ dh, "b1": dh.sum(0), "W2": h.T @ d, "b2": d.sum(0)}
    if not per_m:
        g["W1"] = g["W1"] * m  # a missing 1/m on W1 only
    return g


def test_closure_cells_are_found_and_confirmed_by_the_loss():
    def make(rng):
        X, y, p = _tanh_mse_rows(rng)
        return p, lambda: _rows_loss(p, X, y), lambda: _rows_grads(p, X, y, per_m=False)

    p, loss, grads = make(np.random.default_rng(1))
    report = gradcheck.check(p, loss, grads)
    assert report.data_source == "X (12, 3), y (12, 1) from loss's closure"
    assert [(f.kind, f.params) for f in report.findings] == [("missing_batch_mean", ["W1"])]


class _ColsNet:
    """A tutorial-style sigmoid net keeping its data on self, examples as columns, BCE loss."""

    def __init__(self, rng, m=10):
        self.inputs = rng.normal(size=(3, m))
        self.labels = (rng.random((1, m)) > 0.5).astype(float)
        self.W1, self.b1 = rng.normal(size=(4, 3)), np.zeros((4, 1))
        self.W2, self.b2 = rng.normal(size=(1, 4)), np.zeros((1, 1))

    def params(self):
        return {"W1": self.W1, "b1": self.b1, "W2": self.W2, "b2": self.b2}

    def _forward(self):
        a1 = _sig(self.W1 @ self.inputs + self.b1)
        return a1, _sig(self.W2 @ a1 + self.b2)

    def cost(self):
        _, a2 = self._forward()
        y = self.labels
        return float(-np.mean(y * np.log(a2) + (1 - y) * np.log(1 - a2)))

    def backward(self):
        a1, a2 = self._forward()
        m = self.inputs.shape[1]
        dz2 = (a2 - self.labels) / m
        dz1 = self.W2.T @ dz2 * a1 * (1 - a1)
        return {"W1": dz1 @ self.inputs.T, "b1": dz1.sum(1, keepdims=True),
                "W2": dz2 @ a1.T, "b2": dz2}  # b2 not summed over the batch


def test_a_bound_self_is_searched_and_named_by_its_path():
    net = _ColsNet(np.random.default_rng(2))
    report = gradcheck.check(net.params(), net.cost, net.backward)
    assert report.data_source == "self.inputs (3, 10), self.labels (1, 10) from the bound self (_ColsNet)"
    assert "bias_not_summed" in report.kinds()
    assert report.findings[0].params == ["b2"]


def test_a_partial_and_an_object_one_level_down():
    rng = np.random.default_rng(3)
    X, y, p = _tanh_mse_rows(rng, m=9)
    loss = functools.partial(_rows_loss, p, X, y)
    found = discover_data(p, loss)
    assert found is not None and found.line == "X (9, 3), y (9, 1) from the partial's arguments"

    holder = SimpleNamespace(features=X, targets=y)
    found = discover_data(p, lambda: _rows_loss(p, holder.features, holder.targets))
    assert found.line == "holder.features (9, 3), holder.targets (9, 1) from loss's closure"

    batch = {"inp": X, "out": y}  # names that say nothing: the shapes pair them, the loss confirms it
    found = discover_data(p, lambda: _rows_loss(p, batch["inp"], batch["out"]))
    assert found.line == "batch['inp'] (9, 3), batch['out'] (9, 1) from loss's closure"
    assert found.confirmed == "reproduced"


def test_a_pair_the_loss_does_not_reproduce_is_not_taken():
    rng = np.random.default_rng(4)
    X, y, p = _tanh_mse_rows(rng, m=8)
    other_X, other_y = X + 1.0, y.copy()
    X_cut, y_cut = X[:6], y[:6]  # the loss reads a slice: no pair of whole arrays reproduces it

    def loss():
        _ = (other_X, other_y)  # named, but not what the loss is computed on
        return _rows_loss(p, X_cut[:5], y_cut[:5])

    assert discover_data(p, loss) is None
    report = gradcheck.check(p, loss, lambda: {k: 3 * v for k, v in _rows_grads(p, X[:5], y[:5]).items()})
    assert report.data_source == NOT_FOUND
    assert not report.ok


def _conv_net(rng, m=6):
    """A 1-d convolution net (not a dense net): the loss reads x and t, the batch size is 6."""
    x, t = rng.normal(size=(m, 10)), rng.normal(size=(m, 8))
    p = {"k": rng.normal(size=3), "c": rng.normal(size=1)}

    def out():
        return np.stack([np.convolve(row, p["k"][::-1], mode="valid") for row in x]) + p["c"]

    def loss():
        return float(0.5 * ((out() - t) ** 2).sum() / m)

    def grads():
        r = out() - t  # the 1/m forgotten
        dk = np.array([(r * x[:, i:i + 8]).sum() for i in range(3)])
        return {"k": dk, "c": np.array([r.sum()])}

    return p, loss, grads, (x, t)


def test_a_net_no_dense_net_reproduces_gives_its_batch_size_when_the_loss_reads_the_pair():
    p, loss, grads, (x, t) = _conv_net(np.random.default_rng(5))
    found = discover_data(p, loss)
    assert found is not None and found.confirmed == "read" and found.data[0] is x and found.data[1] is t
    report = gradcheck.check(p, loss, grads)
    assert report.data_source.startswith("x (6, 10), t (6, 8) from loss's closure (the loss reads them, each of their 6 targets")
    assert [(f.kind, f.params) for f in report.findings] == [("missing_batch_mean", ["k", "c"])]


def test_arrays_the_loss_does_not_read_are_not_taken_as_read():
    rng = np.random.default_rng(6)
    p, loss, grads, (x, t) = _conv_net(rng)
    X, y = x.copy(), t.copy()  # telling names, same shapes, but the loss reads x and t only

    def loss2():
        _ = (X, y)
        return loss()

    found = discover_data(p, loss2)
    assert found is not None and (found.data[0] is x and found.data[1] is t)


def test_per_example_list_of_pairs():
    rng = np.random.default_rng(7)
    W = rng.normal(size=(2, 3))
    b = rng.normal(size=(2, 1))
    training_data = [(rng.normal(size=(3, 1)), rng.normal(size=(2, 1))) for _ in range(5)]

    def loss():
        return float(sum(0.5 * ((_sig(W @ x + b) - t) ** 2).sum() for x, t in training_data) / len(training_data))

    found = discover_data({"W": W, "b": b}, loss)
    assert found is not None and found.line == "training_data (5 (x, y) examples) from loss's closure"


def test_data_and_parameters_keep_their_bits_and_the_verdict_does_not_change():
    p, loss, grads, (x, t) = _conv_net(np.random.default_rng(8))
    before = [a.tobytes() for a in (*p.values(), x, t)]
    with_search = gradcheck.check(p, loss, grads)
    without = gradcheck.check(p, loss, grads, diagnose=False)
    assert [a.tobytes() for a in (*p.values(), x, t)] == before
    assert (with_search.ok, with_search.wrong) == (without.ok, without.wrong)


def test_no_search_when_the_gradients_are_right_or_data_is_given():
    rng = np.random.default_rng(9)
    X, y, p = _tanh_mse_rows(rng)
    ok = gradcheck.check(p, lambda: _rows_loss(p, X, y), lambda: _rows_grads(p, X, y))
    assert ok.ok and ok.data_source == ""
    given = gradcheck.check(p, lambda: _rows_loss(p, X, y), lambda: _rows_grads(p, X, y, per_m=False), data=(X, y))
    assert given.data_source == ""


def test_the_line_is_in_every_view():
    net = _ColsNet(np.random.default_rng(10))
    report = gradcheck.check(net.params(), net.cost, net.backward)
    line = "data: self.inputs (3, 10), self.labels (1, 10) from the bound self (_ColsNet)"
    assert line in str(report)
    assert json.loads(report.to_json())["data_source"] == line[len("data: "):]
    assert line in report.to_html()


@pytest.mark.parametrize("where", ["closure", "globals", "self"])
def test_reachable_lists_each_kind_of_namespace(where):
    arr = np.ones((2, 2))
    if where == "closure":
        ns = reachable((lambda a: lambda: a.sum())(arr))
    elif where == "globals":
        ns = reachable(_reads_global)
    else:
        ns = reachable(_Holder(arr).loss)
    assert any(any(v is arr or v is _GLOBAL for v in n.values()) for _, n in ns)


_GLOBAL = np.ones((2, 2))


class _Holder:
    def __init__(self, a):
        self.A = a

    def loss(self):
        return float(self.A.sum())


def _reads_global():
    return float(_GLOBAL.sum())
