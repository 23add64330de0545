"""The loss-side kinds: a clip, a Huber loss's linear part, label smoothing or a class weight that the
backward pass leaves out, named from the output deltas on nets written for these tests
(tests/loss_nets.py: classes with examples as columns, functions over closures with examples as rows)."""

from __future__ import annotations

import numpy as np
import pytest

import gradcheck
from gradcheck.diagnosis.detectors import loss_backward, ratio
from gradcheck.diagnosis.model.output_delta import solve_deltas
from gradcheck.diagnosis.pipeline import DETECTORS

from .loss_nets import LARGE_BATCH, NETS, ClippedRegression, HuberRegressor, clipped_logistic

ALL = {**NETS, **LARGE_BATCH}

#: The amount each net's finding must name, read off the net itself.
EXPECTED = {
    "huber_regressor": ("delta", 2.0),
    "smoothed_classifier": ("smoothing", 0.15),
    "smoothed_logistic": ("smoothing", 0.2),
    "weighted_softmax": ("class_weights", {"0": 1.0, "1": 2.5, "2": 0.4}),
    "positive_weighted_bce": ("class_weights", {"0": 1.0, "1": 3.0}),
}


def _check(build, buggy):
    params, loss, grads, data = build(buggy)
    return params, gradcheck.check(params, loss, grads, data=data)


@pytest.mark.parametrize("name", sorted(ALL))
def test_the_mistake_is_named_with_its_parameters(name):
    """Small batches are read example by example; large ones (LARGE_BATCH) through models of the deltas."""
    build, kind = ALL[name]
    params, report = _check(build, True)
    assert not report.ok
    assert [f.kind for f in report.findings] == [kind], [f.message for f in report.findings]
    f = report.findings[0]
    assert f.params == [n for n in params if n in report.wrong] and f.params  # every wrong one, in order
    base = name.rstrip("0123456789").rstrip("_")
    if base in EXPECTED:
        key, want = EXPECTED[base]
        got = f.evidence[key]
        if isinstance(want, dict):
            assert set(got) == set(want) and all(np.isclose(got[c], w, rtol=1e-4) for c, w in want.items()), got
        else:
            assert np.isclose(got, want, rtol=1e-4), got


@pytest.mark.parametrize("name", sorted(NETS))
def test_the_finding_is_valid_json(name):
    from .jsoncheck import parse_valid

    _, report = _check(NETS[name][0], True)
    doc = parse_valid(report.to_json())
    assert [f["kind"] for f in doc["findings"]] == [NETS[name][1]]


@pytest.mark.parametrize("name", sorted(ALL))
def test_the_correct_net_passes(name):
    _, report = _check(ALL[name][0], False)
    assert report.ok and not report.findings


def test_the_clipped_examples_are_the_ones_beyond_the_bounds():
    net = ClippedRegression(True)
    z = net.forward()[1].ravel()
    report = gradcheck.check(*net.problem()[:3], data=net.problem()[3])
    assert report.findings[0].evidence["examples"] == [i for i in range(z.size) if abs(z[i]) > 1]
    params, loss, grads, (X, y) = clipped_logistic(True)
    p = 1 / (1 + np.exp(-(X @ params["theta"] + params["bias"])))
    report = gradcheck.check(params, loss, grads, data=(X, y))
    assert report.findings[0].evidence["examples"] == [i for i in range(p.size) if p[i] <= 0.02 or p[i] >= 0.98]


def test_huber_names_a_threshold_only_where_some_residual_is_below_it_or_the_loss_is_linear():
    net = HuberRegressor(True)
    r = np.abs(net.residuals())
    assert (r < net.delta).any() and (r > net.delta).any()  # the net shows both sides of the threshold


def test_one_example_with_a_doubled_squared_error_gradient_stays_a_constant_factor():
    """One output whose delta is twice the loss's: a Huber threshold at half the residual reads the
    same numbers, but the loss is quadratic there (its second difference is not 0)."""
    rng = np.random.default_rng(0)
    X, y, w, b = rng.normal(size=(1, 3)), np.array([2.0]), rng.normal(size=3), np.zeros(1)

    def loss():
        return float(0.5 * np.mean((X @ w + b - y) ** 2))

    def grads():
        r = 2 * (X @ w + b - y)
        return {"w": X.T @ r, "b": r.sum(keepdims=True)}

    report = gradcheck.check({"w": w, "b": b}, loss, grads, data=(X, y))
    assert [f.kind for f in report.findings] == ["constant_factor"]


@pytest.mark.parametrize("m", [1, 30])
def test_a_doubled_squared_error_gradient_stays_a_constant_factor_on_any_batch(m):
    """The residual's derivative times 2 where the loss is 0.5 * r^2: no Huber threshold (m = 1: the
    loss is quadratic there; m = 30: no split of the residuals fits), a constant factor."""
    rng = np.random.default_rng(3)
    X, y, w, b = rng.normal(size=(m, 3)), rng.normal(size=m), rng.normal(size=3), np.zeros(1)

    def loss():
        return float(0.5 * np.mean((X @ w + b - y) ** 2))

    def grads():
        r = 2 * (X @ w + b - y) / m
        return {"w": X.T @ r, "b": r.sum(keepdims=True)}

    report = gradcheck.check({"w": w, "b": b}, loss, grads, data=(X, y))
    assert [f.kind for f in report.findings] == ["constant_factor"]


def test_deltas_are_read_only_where_the_gradients_tell_examples_apart():
    rng = np.random.default_rng(1)
    H, D = rng.normal(size=(3, 2)), rng.normal(size=(3, 1))
    assert np.allclose(solve_deltas(H, H.T @ D, D.sum(axis=0)), D)  # 3 examples, 2 inputs + a bias
    H4, D4 = rng.normal(size=(4, 2)), rng.normal(size=(4, 1))
    assert solve_deltas(H4, H4.T @ D4, D4.sum(axis=0)) is None  # 4 examples: many deltas fit
    H2 = rng.normal(size=(2, 3))  # 2 examples, 3 inputs + a bias: 4 numbers from 2 deltas
    assert solve_deltas(H2, rng.normal(size=(3, 1)), rng.normal(size=1)) is None  # no function of the outputs


def test_the_detector_runs_before_the_constant_ratio():
    assert DETECTORS.index(loss_backward.detect) < DETECTORS.index(ratio.detect)
