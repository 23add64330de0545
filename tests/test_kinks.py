"""Kinks within the finite-difference step: correct ReLU nets pass, wrong gradients on them still fail."""

from __future__ import annotations

import numpy as np
import pytest

import gradcheck
from gradcheck import kinks, numeric
from gradcheck.measure import Settings, compare

from .kink_nets import relu_net

NEAR_KINK = [
    pytest.param(dict(hidden=[16] * 7, batch=3), id="deep-small-weights"),
    pytest.param(dict(hidden=[10, 10], batch=6, zero_rows=3, bias=1e-9), id="zero-rows-bias-1e-9"),
    pytest.param(dict(hidden=[10, 10], batch=6, zero_rows=3, bias=0.0), id="zero-rows-bias-0"),
]


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("net", NEAR_KINK)
def test_a_correct_relu_net_near_its_kinks_passes(net, seed):
    params, loss, grads = relu_net(seed=seed, **net)
    r = gradcheck.check(params, loss, grads, diagnose=False)
    assert r.ok, str(r)
    assert sum(p.n_kinks for p in r.params) > 0  # the kinks were there, and said so
    assert any("kink" in p.message for p in r.params)


@pytest.mark.parametrize("method", ["central", "richardson"])
def test_the_bias_case_passes_with_either_method(method):
    params, loss, grads = relu_net(hidden=[50, 50], batch=10, zero_rows=5, bias=1e-9, seed=1)
    r = gradcheck.check(params, loss, grads, method=method, diagnose=False)
    assert r.ok, str(r)
    assert r["b1"].n_kinks > 0


@pytest.mark.parametrize("mistake", ["sign", "scale"])
@pytest.mark.parametrize("net", NEAR_KINK)
def test_a_wrong_gradient_on_a_kinked_net_still_fails_on_every_tensor(net, mistake):
    params, loss, grads = relu_net(seed=0, mistake=mistake, **net)
    r = gradcheck.check(params, loss, grads, diagnose=False)
    exact = relu_net(seed=0, **net)[2]()
    # every tensor whose gradient is above the absolute tolerance is caught
    measurable = [n for n, g in exact.items() if np.abs(g).max() > 100 * r.atol]
    assert measurable and set(measurable) <= set(r.wrong), str(r)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_sign_flip_on_the_tensor_that_sits_on_the_kinks_is_never_ok(seed):
    # every element of b1 sits within 1e-9 of a kink: a step that avoids it leaves round-off at ~6% of the
    # gradient, too much for a wrong verdict (DECISIVE) but not for doubt: b1 is wrong or unverifiable, never ok
    params, loss, grads = relu_net(hidden=[10, 10], batch=6, zero_rows=3, bias=1e-9, seed=seed, mistake="b1_sign")
    r = gradcheck.check(params, loss, grads, diagnose=False)
    assert not r.ok and r.status in ("wrong", "unverifiable"), str(r)
    assert set(r.wrong) <= {"b1"} and not r["b1"].ok, str(r)
    assert r["b1"].n_mismatched + r["b1"].n_unverifiable > r["b1"].n_checked // 2


DEEP_SMALL = dict(hidden=[20] * 7, batch=2, weight_scale=1e-2)  # cs231n style: pre-activations ~1e-11 deep down


@pytest.mark.parametrize("seed", range(5))
def test_a_correct_deep_net_with_small_weights_is_never_called_wrong(seed):
    params, loss, grads = relu_net(seed=seed, **DEEP_SMALL)
    r = gradcheck.check(params, loss, grads, mode="full", diagnose=False)
    assert r.wrong == [] and not r.findings, str(r)
    # its last biases sit on kinks closer than any step above round-off: said so, not passed
    assert r.status == "unverifiable" and not r.ok and r.n_unverifiable > 0
    assert set(r.unverifiable) <= {f"b{i}" for i in range(1, 8)}
    for p in r.params:
        assert p.n_unverifiable == (0 if p.unverifiable is None else int(p.unverifiable.sum()))
        assert p.n_mismatched == 0
    assert "unverifiable" in r["b7"].message or r["b7"].ok


@pytest.mark.parametrize("mistake, wrong", [("sign", {"b7", "b8"}), ("scale", {"b7", "b8"}), ("b7_sign", {"b7"})])
def test_a_wrong_gradient_on_the_deep_small_weight_net_is_still_wrong_where_it_is(mistake, wrong):
    params, loss, grads = relu_net(seed=0, mistake=mistake, **DEEP_SMALL)
    r = gradcheck.check(params, loss, grads, mode="full", diagnose=False)
    assert r.status == "wrong" and not r.ok, str(r)
    assert wrong <= set(r.wrong), str(r)
    if mistake == "b7_sign":
        assert r.wrong == ["b7"]  # the right tensor, and no other: the unverifiable ones are not blamed


def test_a_tensor_whose_every_element_sits_on_a_kink_is_not_ok():
    # relu at exactly 0 everywhere, the analytic value between the one-sided slopes 0 and 1: no step checks it
    w = np.zeros(6)
    res, _ = _one(w, np.full(6, 0.25), lambda: float(np.maximum(w, 0).sum()))
    assert res.status == "unverifiable" and not res.ok and not res.wrong and res.n_unverifiable == 6


def test_a_wrong_value_outside_both_slopes_at_a_kink_is_wrong_not_unverifiable():
    w = np.zeros(4)
    res, _ = _one(w, np.full(4, -1.0), lambda: float(np.maximum(w, 0).sum()))
    assert res.status == "mismatch" and res.wrong and res.n_mismatched == 4


def _one(w, g, loss):
    s = Settings(loss=loss, f0=loss())
    ev = numeric.central(w, loss, f0=s.f0)
    return kinks.settle(s, "w", w, g, ev, compare("w", w, g, ev, s.rtol, s.atol))


def test_a_kink_at_the_point_is_excused_when_the_analytic_value_is_one_sided_slope():
    w = np.array([0.0, 1.5, -0.7])
    res, extra = _one(w, (w > 0).astype(float), lambda: float(np.maximum(w, 0).sum()))
    assert res.ok and res.n_kinks == 1 and res.kinks[0] and extra > 0


def test_a_kink_at_the_point_does_not_excuse_a_value_outside_both_slopes():
    w = np.array([0.0, 1.5, -0.7])
    res, _ = _one(w, np.array([-1.0, 1.0, 0.0]), lambda: float(np.maximum(w, 0).sum()))
    assert not res.ok and res.worst_index == (0,)


def test_a_kink_within_the_step_is_excused_by_a_step_that_does_not_cross_it():
    w = np.array([3e-9, 2.0])  # 3e-9 from relu's kink: inside the 6e-6 step, outside a 1e-10 one
    loss = lambda: float(max(w[0], 0.0) + w[1] ** 2)  # noqa: E731
    res, _ = _one(w, np.array([1.0, 4.0]), loss)
    assert res.ok and res.n_kinks == 1
    assert "does not cross it agrees" in res.message
    res, _ = _one(w, np.array([0.5, 4.0]), loss)  # the average of the two slopes is not the derivative
    assert not res.ok


def test_a_subgradient_between_the_slopes_is_unverifiable():
    def slopes(v):  # slope 1 right of 0, -0.5 left of it: 0.5 at 0 is a subgradient, not a side
        return np.where(v > 0, 1.0, np.where(v < 0, -0.5, 0.5))

    w = np.array([0.0, 1.0, -2.0, 0.5, 3.0])
    res, _ = _one(w, slopes(w), lambda: float((np.maximum(w, 0) + 0.5 * np.maximum(-w, 0)).sum()))
    # a value between the slopes may be a subgradient or a mistake: unverifiable, neither ok nor wrong
    assert res.status == "unverifiable" and res.n_unverifiable == 1 and res.unverifiable[0] and res.n_mismatched == 0
    z = np.zeros(4)
    res, _ = _one(z, slopes(z), lambda: float((np.maximum(z, 0) + 0.5 * np.maximum(-z, 0)).sum()))
    assert not res.ok and res.status == "unverifiable" and res.n_unverifiable == 4


def test_one_sided_slopes_that_never_settle_do_not_excuse_a_sign_flip():
    # a loss that drifts by a little every call: the one-sided differences disagree at every step
    w = np.array([0.3, -0.2, 0.9, 0.4])
    calls = [0]

    def loss():
        calls[0] += 1
        return float((w**2).sum() + 1e-9 * calls[0])

    res, _ = _one(w, -2 * w, loss)
    assert not res.ok


def test_the_user_arrays_hold_their_bits_after_the_re_measurements():
    params, loss, grads = relu_net(hidden=[10, 10], batch=6, zero_rows=3, bias=1e-9, seed=0)
    before = {k: v.copy() for k, v in params.items()}
    gradcheck.check(params, loss, grads, diagnose=False)
    assert all(np.array_equal(before[k], params[k]) and before[k].tobytes() == params[k].tobytes() for k in params)
