"""assert_gradients_match: passes quietly, fails with the findings, leaves the arrays alone."""

from __future__ import annotations

import numpy as np
import pytest

import gradcheck
from gradcheck import GradientMismatch, Problem
from gradcheck.assertions import assert_gradients_match, mismatch_message
from gradcheck.errors import AdapterError, GradientSpecError
from gradcheck.nn import MLP


def linear_regression(*, mistake=None, m=6, seed=0):
    """Rows-layout linear model with MSE; ``mistake`` in (None, "missing_mean", "bias_not_summed")."""
    rng = np.random.default_rng(seed)
    X, y = rng.normal(size=(m, 3)), rng.normal(size=(m, 2))
    W, b = rng.normal(size=(3, 2)), rng.normal(size=(2,))
    params = {"W": W, "b": b}

    def loss():
        return float(0.5 * ((X @ W + b - y) ** 2).sum() / m)

    def grads():
        d = X @ W + b - y
        if mistake != "missing_mean":
            d = d / m
        return {"W": X.T @ d, "b": d if mistake == "bias_not_summed" else d.sum(axis=0)}

    return params, loss, grads, (X, y)


def test_returns_the_report_when_gradients_match():
    params, loss, grads, _ = linear_regression()
    report = assert_gradients_match(params, loss, grads)
    assert report.ok and [p.name for p in report] == ["W", "b"]


def test_accepts_a_problem_and_a_mapping():
    net = MLP([2, 3, 1], seed=1)
    X, y = net.random_data(5, seed=2)
    assert assert_gradients_match(net.problem(X, y)).ok
    params, loss, grads, _ = linear_regression()
    assert assert_gradients_match({"params": params, "loss": loss, "grads": grads}).ok


def test_failure_is_an_assertion_error_with_the_findings():
    params, loss, grads, _ = linear_regression(mistake="bias_not_summed")
    with pytest.raises(AssertionError) as info:
        assert_gradients_match(params, loss, grads)
    err = info.value
    assert isinstance(err, GradientMismatch)
    assert err.report is not None and err.report.wrong == ["b"]
    text = str(err)
    assert text.splitlines()[0] == "✘ gradients are wrong: b"
    assert "bias_not_summed · b" in text
    assert "fix:" in text
    assert "array(" not in text  # the findings, not a dump of arrays


def test_check_options_are_passed_on():
    params, loss, grads, data = linear_regression(mistake="missing_mean")
    with pytest.raises(GradientMismatch) as info:
        assert_gradients_match(params, loss, grads, data=data, method="richardson")
    assert info.value.report.method == "richardson"
    assert "missing_batch_mean" in info.value.report.kinds()
    # a tolerance that would let a factor of m through is refused by the check: the option reached it
    with pytest.raises(gradcheck.InvalidOptionError, match="rtol"):
        assert_gradients_match(params, loss, grads, rtol=10.0, diagnose=False)


def test_arrays_keep_their_bits_after_a_failure():
    params, loss, grads, _ = linear_regression(mistake="bias_not_summed")
    before = {k: v.copy() for k, v in params.items()}
    with pytest.raises(GradientMismatch):
        assert_gradients_match(params, loss, grads)
    for k, v in params.items():
        assert v.tobytes() == before[k].tobytes()


def test_bad_input_is_a_gradcheck_error_not_a_mismatch():
    params, loss, _, _ = linear_regression()
    with pytest.raises(GradientSpecError, match="'b'"):
        assert_gradients_match(params, loss, lambda: {"W": np.zeros((3, 2))})
    with pytest.raises(AdapterError):
        assert_gradients_match([1, 2, 3])


def test_mismatch_message_is_the_rendered_report_without_colour():
    params, loss, grads, _ = linear_regression(mistake="bias_not_summed")
    problem = Problem(params, loss, grads)
    with pytest.raises(GradientMismatch) as info:
        assert_gradients_match(problem)
    message = mismatch_message(info.value.report)
    assert message == str(info.value)
    assert "\x1b[" not in message
