"""Advice that fits the net: two mistakes at once named apart, each with its own parameters; a finding
labelled with every layer it spans; no dropout advice the net does not back."""

from __future__ import annotations

import numpy as np
import pytest

import gradcheck
from gradcheck.nn import MLP

WEIGHTS_PER_EXAMPLE = "one delta per example"


def _by_kind(report: gradcheck.Report) -> dict[str, list[list[str]]]:
    out: dict[str, list[list[str]]] = {}
    for f in report.findings:
        out.setdefault(f.kind, []).append(list(f.params))
    return out


def _rows_relu_mse(m: int, seed: int) -> tuple[dict[str, np.ndarray], object, object, tuple[np.ndarray, np.ndarray]]:
    """Plain functions over a params dict, examples as rows: relu, then a linear output, mean squared error.
    Its backward pass leaves out the 1/m and keeps the bias gradients per example."""
    rng = np.random.default_rng(seed)
    X, Y = rng.normal(size=(m, 4)), rng.normal(size=(m, 2))
    p = {"W1": rng.normal(size=(4, 3)) * 0.5, "b1": rng.normal(size=3) * 0.1,
         "W2": rng.normal(size=(3, 2)) * 0.5, "b2": rng.normal(size=2) * 0.1}

    def forward() -> tuple[np.ndarray, np.ndarray]:
        h = np.maximum(0, X @ p["W1"] + p["b1"])
        return h, h @ p["W2"] + p["b2"]

    def loss() -> float:
        return float(0.5 * np.sum((forward()[1] - Y) ** 2) / m)

    def grads() -> dict[str, np.ndarray]:
        h, out = forward()
        dout = out - Y  # the 1/m of the mean is left out
        dh = dout @ p["W2"].T * (h > 0)
        return {"W1": X.T @ dh, "b1": dh, "W2": h.T @ dout, "b2": dout}  # the biases keep one delta per example

    return p, loss, grads, (X, Y)


class _ColsTanhNet:
    """A net object, examples as columns: tanh, then a sigmoid output with binary cross-entropy. Its
    backward pass sums the bias deltas but forgets the 1/m in both layers' weights and biases, and keeps
    the first layer's bias gradient per example."""

    def __init__(self, m: int, seed: int) -> None:
        rng = np.random.default_rng(seed)
        self.X = rng.normal(size=(3, m))
        self.Y = (rng.random((1, m)) > 0.5).astype(float)
        self.params = {"W1": rng.normal(size=(4, 3)) * 0.7, "b1": rng.normal(size=(4, 1)) * 0.1,
                       "W2": rng.normal(size=(1, 4)) * 0.7, "b2": rng.normal(size=(1, 1)) * 0.1}

    def _forward(self) -> tuple[np.ndarray, np.ndarray]:
        p = self.params
        a1 = np.tanh(p["W1"] @ self.X + p["b1"])
        return a1, 1 / (1 + np.exp(-(p["W2"] @ a1 + p["b2"])))

    def cost(self) -> float:
        _, a2 = self._forward()
        return float(-np.mean(self.Y * np.log(a2) + (1 - self.Y) * np.log(1 - a2)))

    def gradients(self) -> dict[str, np.ndarray]:
        a1, a2 = self._forward()
        dz2 = a2 - self.Y  # no 1/m
        dz1 = self.params["W2"].T @ dz2 * (1 - a1**2)
        return {"W1": dz1 @ self.X.T, "b1": dz1, "W2": dz2 @ a1.T, "b2": dz2.sum(axis=1, keepdims=True)}


@pytest.mark.parametrize("with_data", [True, False])
def test_a_bias_not_summed_and_a_missing_batch_mean_are_two_findings(with_data: bool) -> None:
    m = 6
    p, loss, grads, data = _rows_relu_mse(m, seed=11)
    report = gradcheck.check(p, loss, grads, data=data if with_data else None)
    assert _by_kind(report) == {"bias_not_summed": [["b2"], ["b1"]], "missing_batch_mean": [["W1", "b1", "W2", "b2"]]}
    for f in report.findings:
        assert f.evidence["factor"] == pytest.approx(m, rel=1e-6)
        if f.kind == "bias_not_summed":
            assert f.layer == int(f.params[0][1]) and f"db{f.params[0][1]} = np.sum(dZ, axis=0) / m" in f.fix
        # the weights are never said to keep one delta per example: only the biases do
        text = f.message + f.fix
        assert not any(w in text for w in ("W1", "W2")) or WEIGHTS_PER_EXAMPLE not in text


def test_two_mistakes_on_a_net_object_with_examples_as_columns() -> None:
    m = 5
    net = _ColsTanhNet(m, seed=2)
    report = gradcheck.check(net.params, net.cost, net.gradients, data=(net.X, net.Y))
    assert _by_kind(report) == {"bias_not_summed": [["b1"]], "missing_batch_mean": [["W1", "b1", "W2", "b2"]]}
    (bias,) = [f for f in report.findings if f.kind == "bias_not_summed"]
    assert bias.evidence["factor"] == pytest.approx(m, rel=1e-6)
    assert "db1 = np.sum(dZ, axis=1, keepdims=True) / m" in bias.fix
    for f in report.findings:
        text = f.message + f.fix
        assert not any(w in text for w in ("W1", "W2")) or WEIGHTS_PER_EXAMPLE not in text


def test_a_finding_over_three_layers_is_labelled_with_all_three() -> None:
    net = MLP([3, 4, 4, 1], loss="bce", layout="cols")
    X, y = net.random_data(8)
    g = {k: 8 * v for k, v in net.gradients(X, y).items()}
    report = gradcheck.check(net.params, lambda: net.loss(X, y), g, data=(X, y))
    (f,) = report.findings
    assert (f.kind, f.params) == ("missing_batch_mean", ["W1", "b1", "W2", "b2", "W3", "b3"])
    assert f.layers == [1, 2, 3] and f.layer_label() == "layers 1-3"
    assert report.to_dict()["findings"][0]["layers"] == [1, 2, 3]
    html = report.to_html()
    assert "layers 1-3" in html and "layer 3)" not in html


def test_a_finding_on_one_layer_keeps_its_single_label() -> None:
    net = MLP([3, 4, 1], loss="bce", layout="cols")
    X, y = net.random_data(8)
    g = net.gradients(X, y)
    g["W1"] = g["W1"] * 3.0
    report = gradcheck.check(net.params, lambda: net.loss(X, y), g, data=(X, y))
    f = report.findings[0]
    assert f.params == ["W1"] and f.layers == [1] and f.layer_label() == "layer 1"


def _softplus_net(factor: float, seed: int = 5) -> tuple[dict[str, np.ndarray], object, object, tuple]:
    """Softplus hidden units (an activation the standard dense model does not have), so no net is recognized;
    the backward pass multiplies every gradient by ``factor``."""
    rng = np.random.default_rng(seed)
    X, Y = rng.normal(size=(7, 3)), rng.normal(size=(7, 1))
    p = {"W1": rng.normal(size=(3, 4)), "b1": rng.normal(size=4), "W2": rng.normal(size=(4, 1)), "b2": rng.normal(size=1)}

    def forward() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        z = X @ p["W1"] + p["b1"]
        h = np.logaddexp(0, z)
        return z, h, h @ p["W2"] + p["b2"]

    def loss() -> float:
        return float(np.mean((forward()[2] - Y) ** 2))

    def grads() -> dict[str, np.ndarray]:
        z, h, out = forward()
        dout = 2 * (out - Y) / 7
        dz = dout @ p["W2"].T / (1 + np.exp(-z))
        g = {"W1": X.T @ dz, "b1": dz.sum(0), "W2": h.T @ dout, "b2": dout.sum(0)}
        return {k: factor * v for k, v in g.items()}

    return p, loss, grads, (X, Y)


@pytest.mark.parametrize("factor", [3.0, 0.3])
def test_no_dropout_advice_when_no_net_is_recognized(factor: float) -> None:
    p, loss, grads, data = _softplus_net(factor)
    report = gradcheck.check(p, loss, grads, data=data)
    (f,) = report.findings
    assert (f.kind, f.params) == ("constant_factor", ["W1", "b1", "W2", "b2"])
    assert f.evidence["factor"] == pytest.approx(factor, rel=1e-6)
    text = f.message + f.fix
    assert "dropout" not in text and "keep_prob" not in text
    assert f"{factor:.4g}" in f.fix


def test_no_dropout_advice_for_an_unknown_mistake_on_an_unrecognized_net() -> None:
    p, loss, grads, data = _softplus_net(1.0)

    def wrong() -> dict[str, np.ndarray]:
        g = grads()
        g["W1"] = g["W1"] + 0.3 * np.sign(p["W1"]) * p["W1"] ** 2  # no constant ratio, no pattern
        return g

    report = gradcheck.check(p, loss, wrong, data=data)
    (f,) = report.findings
    assert (f.kind, f.params) == ("unknown", ["W1"])
    assert "not recognized" in f.message
    assert "dropout" not in f.message + f.fix and "keep_prob" not in f.message + f.fix
