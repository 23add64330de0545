"""gradcheck.diagnosis.localize: the sentence that says where the mistake sits."""

from __future__ import annotations

import numpy as np
import pytest

import gradcheck
from gradcheck.diagnosis.localize import localize
from gradcheck.layers import layer_groups
from gradcheck.nn import MLP


def report_with(wrong: list[str], layout: str = "cols"):
    net = MLP([2, 3, 3, 1], activations="tanh", loss="bce", layout=layout, seed=0)
    X, y = net.random_data(4)
    g = net.gradients(X, y)
    for name in wrong:
        g[name] = -g[name] + 0.1
    report = gradcheck.check(net.params, lambda: net.loss(X, y), g, diagnose=False)
    assert report.wrong == [n for n in net.params if n in wrong]
    return report, layer_groups([p.name for p in report.params], net.params, None)


def test_groups_pair_weights_and_biases():
    _, groups = report_with(["W1"])
    assert groups == [["W1", "b1"], ["W2", "b2"], ["W3", "b3"]]


def test_wrong_from_a_middle_layer_down():
    report, groups = report_with(["W1", "b1", "W2", "b2"])
    text = localize(report, groups)
    assert text.startswith("gradients are right down to layer 3 (W3, b3) and wrong from b2 down")
    assert "from layer 3 into layer 2" in text


def test_wrong_from_the_output_down():
    report, groups = report_with(["W1", "b1", "W2", "b2", "W3", "b3"])
    assert localize(report, groups).startswith("the gradient is wrong from the output layer")


@pytest.mark.parametrize("wrong", [["W2"], ["W3", "b3"]])
def test_an_isolated_mistake_is_in_the_parameters_own_gradient(wrong):
    report, groups = report_with(wrong)
    text = localize(report, groups)
    assert text.startswith("only ") and "own gradient" in text


def test_right_again_further_down():
    report, groups = report_with(["W1", "W2", "b2"])
    text = localize(report, groups)
    assert "from b2 down" in text and "b1 is right again" in text


def test_weights_wrong_in_every_layer_with_right_biases_means_right_deltas():
    report, groups = report_with(["W1", "W2", "W3"])
    text = localize(report, groups)
    assert text.startswith("the weights W1, W2 and W3 are wrong while their biases (b1, b2 and b3) are right")
    assert "the deltas are right" in text and "right again" not in text


def test_one_wrong_bias_breaks_the_weights_only_pattern():
    report, groups = report_with(["W1", "W2", "b2"])
    assert "deltas are right" not in localize(report, groups)


def test_correct_net_has_no_sentence():
    report, groups = report_with([])
    assert localize(report, groups) == ""


def test_groups_without_names_fall_back_to_one_parameter_each():
    a, b = np.ones(3), np.ones((2, 2, 2))
    report = gradcheck.check({"a": a, "k": b}, lambda: float((a**2).sum() + (b**2).sum()),
                             {"a": 2 * a, "k": 2 * b}, diagnose=False)
    assert layer_groups([p.name for p in report.params], {"a": a, "k": b}, None) == [["a"], ["k"]]


def test_the_input_of_a_layer_check_is_no_layer():
    from tests.test_diagnose_reports import TanhLayerZ, check_layer

    report = check_layer(TanhLayerZ(4, 3), np.random.default_rng(6).normal(size=(6, 4)))
    assert layer_groups([p.name for p in report.params], {p.name: np.zeros(p.shape) for p in report.params}, None) == [["W", "b"]]
    assert "layer 2" not in report.localization and "output layer" not in report.localization
    assert report.localization.startswith("the gradient of the layer's parameters (W and b)")


def test_layers_are_numbered_in_forward_order_whatever_their_names():
    from tests.test_diagnose_reports import _stack, check_layer

    report = check_layer(_stack(lambda out: out >= 0), np.random.default_rng(8).normal(size=(5, 3)))
    text = report.localization
    assert text.startswith("gradients are right down to layer 3 (layers[4].W, layers[4].b)")
    assert "from layer 3 into layer 2 (layers[2].W, layers[2].b)" in text


def test_unnumbered_parameters_go_with_the_next_numbered_layer():
    r = np.random.default_rng(0)
    P = {"W1": r.normal(size=(3, 4)), "b1": r.normal(size=4), "gamma": r.normal(size=4), "beta": r.normal(size=4),
         "W2": r.normal(size=(4, 2)), "b2": r.normal(size=2)}
    X = r.normal(size=(5, 3))

    def loss():
        h = np.tanh((X @ P["W1"] + P["b1"]) * P["gamma"] + P["beta"])
        return float(((h @ P["W2"] + P["b2"]) ** 2).sum())

    def grads():
        z = X @ P["W1"] + P["b1"]
        h = np.tanh(z * P["gamma"] + P["beta"])
        dout = 2 * (h @ P["W2"] + P["b2"])
        dpre = dout @ P["W2"].T * (1 - h ** 2)
        dz = dpre  # gamma's factor left out
        return {"W1": X.T @ dz, "b1": dz.sum(0), "gamma": (dpre * z).sum(0), "beta": dpre.sum(0),
                "W2": h.T @ dout, "b2": dout.sum(0)}

    report = gradcheck.check(P, loss, grads)
    assert layer_groups([p.name for p in report.params], P, None) == [["W1", "b1"], ["gamma", "beta", "W2", "b2"]]
    assert report.localization.startswith("gradients are right down to layer 2 (gamma, beta, W2, b2) and wrong from b1")
