"""gradcheck.localize: the sentence that says where the mistake sits."""

from __future__ import annotations

import numpy as np
import pytest

import gradcheck
from gradcheck.localize import layer_groups, localize
from gradcheck.nn import MLP


def report_with(wrong: list[str], layout: str = "cols"):
    net = MLP([2, 3, 3, 1], activations="tanh", loss="bce", layout=layout, seed=0)
    X, y = net.random_data(4)
    g = net.gradients(X, y)
    for name in wrong:
        g[name] = -g[name] + 0.1
    report = gradcheck.check(net.params, lambda: net.loss(X, y), g, diagnose=False)
    assert report.wrong == [n for n in net.params if n in wrong]
    return report, layer_groups(report, net.params, None)


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


def test_correct_net_has_no_sentence():
    report, groups = report_with([])
    assert localize(report, groups) == ""


def test_groups_without_names_fall_back_to_one_parameter_each():
    a, b = np.ones(3), np.ones((2, 2, 2))
    report = gradcheck.check({"a": a, "k": b}, lambda: float((a**2).sum() + (b**2).sum()),
                             {"a": 2 * a, "k": 2 * b}, diagnose=False)
    assert layer_groups(report, {"a": a, "k": b}, None) == [["a"], ["k"]]
