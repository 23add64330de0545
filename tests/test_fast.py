"""Fast mode: a direction per tensor, element evidence before a verdict, localization at scale."""

from __future__ import annotations

import numpy as np
import pytest

import gradcheck
from gradcheck import fast
from gradcheck.measure import KINK_RECHECK
from gradcheck.nn import MLP

WIDTHS = [300, 300, 50, 1]  # 105,401 parameters in 6 tensors


@pytest.fixture(scope="module")
def big():
    net = MLP(WIDTHS, activations="tanh", loss="mse", seed=1)
    X, y = net.random_data(8)
    return net, X, y


def _grads_with(net, X, y, edit):
    def grads():
        g = net.gradients(X, y)
        edit(g)
        return g

    return grads


def _check(net, X, y, grads, **kw):
    before = {k: v.copy() for k, v in net.params.items()}
    r = gradcheck.check(net.params, lambda: net.loss(X, y), grads, mode="fast", diagnose=False, **kw)
    assert all(np.array_equal(before[k], net.params[k]) for k in before)
    return r


def test_correct_big_net_passes_with_two_evaluations_per_tensor(big):
    net, X, y = big
    assert sum(p.size for p in net.params.values()) > 100_000
    r = _check(net, X, y, lambda: net.gradients(X, y))
    assert r.ok and r.mode == "fast"
    assert r.n_loss_evals == 3 + 2 * len(net.params)


def test_dense_mistake_in_a_small_tensor_is_localized_by_a_full_drill_down(big, monkeypatch):
    # the drill-down is full when the tensor is small and its full check is estimated quick: this test
    # is about the first condition, so the time estimate (machine load) is taken out of it
    monkeypatch.setattr(fast, "FAST_FULL_DRILLDOWN_SECONDS", float("inf"))
    net, X, y = big

    def edit(g):
        g["b2"] = 2 * g["b2"]

    r = _check(net, X, y, _grads_with(net, X, y, edit))
    assert [p.name for p in r.params if not p.ok] == ["b2"]
    assert r.first_wrong == "b2"
    assert r["b2"].n_checked == net.params["b2"].size
    # the drill-down, then a smaller step or two per mismatched element that confirm it (no kink explains it)
    confirm = r.n_loss_evals - (3 + 2 * len(net.params) + 2 * net.params["b2"].size)
    assert 2 * r["b2"].n_mismatched <= confirm <= 2 * 2 * r["b2"].n_mismatched


def test_dense_mistake_in_a_big_tensor_is_found_by_the_sample(big):
    net, X, y = big

    def edit(g):
        g["W1"] = -g["W1"]

    r = _check(net, X, y, _grads_with(net, X, y, edit), sample=16)
    assert [p.name for p in r.params if not p.ok] == ["W1"]
    assert r["W1"].n_checked == 16 and r["W1"].n_mismatched > 0
    # the sample, then a smaller step or two per mismatched element that confirm it (no kink explains it)
    confirm = r.n_loss_evals - (3 + 2 * len(net.params) + 2 * 16)
    assert 2 * r["W1"].n_mismatched <= confirm <= 2 * 2 * r["W1"].n_mismatched


@pytest.mark.parametrize("flat_index", [0, 12_345, 89_999])
def test_a_single_wrong_element_is_found_by_bisection(big, flat_index):
    net, X, y = big

    def edit(g):
        g["W1"].flat[flat_index] += 10 * np.abs(g["W1"]).max()

    r = _check(net, X, y, _grads_with(net, X, y, edit))
    res = r["W1"]
    assert not res.ok and r.first_wrong == "W1"
    assert res.worst_index == np.unravel_index(flat_index, net.params["W1"].shape)
    assert "bisect" in res.message
    assert [p.name for p in r.params if not p.ok] == ["W1"]
    # bounded by tensors and log2(size), nowhere near 2 per parameter
    assert r.n_loss_evals < PER_DIRECTION * len(net.params) + 2 + 64 + _bisection_bound(net.params["W1"].size)


#: loss evaluations of one directional check: 2, and 2 more when its error is measured again at half the step
PER_DIRECTION = 4


def _bisection_bound(n):
    levels = int(np.ceil(np.log2(n)))
    return PER_DIRECTION * 2 * fast.BISECT_WIDTH * levels + 2 * fast.BISECT_WIDTH * fast.BISECT_LEAF


def test_one_wrong_row_is_found(big):
    net, X, y = big

    def edit(g):
        g["W2"][7] *= 2.0

    r = _check(net, X, y, _grads_with(net, X, y, edit))
    res = r["W2"]
    assert not res.ok and res.worst_index[0] == 7
    assert [p.name for p in r.params if not p.ok] == ["W2"]


def test_wrong_shape_is_reported_in_fast_mode(big):
    net, X, y = big

    def edit(g):
        g["W2"] = g["W2"].T

    r = _check(net, X, y, _grads_with(net, X, y, edit))
    assert r["W2"].status == "wrong_shape" and r.first_wrong == "W2"


def test_count_does_not_grow_with_parameters():
    counts = []
    for widths in ([30, 30, 5, 1], [300, 300, 50, 1]):
        net = MLP(widths, activations="tanh", loss="mse", seed=2)
        X, y = net.random_data(4)
        r = _check(net, X, y, lambda net=net, X=X, y=y: net.gradients(X, y))
        counts.append(r.n_loss_evals)
    assert counts[0] == counts[1] == 3 + 2 * 6


class KinkNet:
    """L = sum(relu(w)) + 0.5 |u|^2 with a fraction ``at_kink`` of w exactly 0.

    The analytic gradient uses relu'(0) = 0, so a direction through the zeros disagrees
    with a central difference while each zero element sits on a kink: no element is wrong.
    """

    def __init__(self, n=6000, wrong=None, at_kink=1.0, seed=3):
        rng = np.random.default_rng(seed)
        w = rng.normal(size=n)
        w[rng.random(n) < at_kink] = 0.0
        self.params = {"w": w, "u": rng.normal(size=50)}
        self.wrong = wrong

    def loss(self):
        return float(np.maximum(self.params["w"], 0).sum() + 0.5 * (self.params["u"] ** 2).sum())

    def grads(self):
        gw = (self.params["w"] > 0).astype(float)
        if self.wrong is not None:
            gw[self.wrong] += 3.0
        return {"w": gw, "u": self.params["u"].copy()}


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_direction_across_kinks_is_not_reported_wrong_without_element_evidence(seed):
    net = KinkNet()
    assert net.params["w"].size > fast.FAST_FULL_DRILLDOWN_MAX
    r = gradcheck.check(net.params, net.loss, net.grads, mode="fast", diagnose=False, seed=seed)
    assert r.ok, r["w"].message
    assert r["w"].n_kinks > 0
    assert "kink" in r["w"].message
    assert np.array_equal(net.params["w"], np.zeros(6000))
    # the search for a wrong element stays bounded: a few bisections, not 2 per element
    per_bisection = _bisection_bound(6000)
    # per element on a kink: one or two smaller steps settle its one-sided slopes, one finer step checks them
    # (2 evaluations each, not one per level down to MAX_LEVELS); a few kink elements replay
    verify = 6 * r["w"].n_checked + 2 * KINK_RECHECK
    assert r.n_loss_evals <= 2 + PER_DIRECTION * 2 + 2 * 32 + fast.BISECT_ATTEMPTS * per_bisection + verify


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_a_wrong_element_among_kinks_is_still_found(seed):
    net = KinkNet(at_kink=0.01, seed=seed)
    wrong = int(np.flatnonzero(net.params["w"])[1234])
    net.wrong = wrong
    r = gradcheck.check(net.params, net.loss, net.grads, mode="fast", diagnose=False, seed=seed + 100)
    assert not r.ok and r.first_wrong == "w"
    assert r["w"].worst_index == (wrong,)
    assert r["u"].ok


def test_fast_mode_on_a_small_kinked_tensor_checks_every_element():
    net = KinkNet(n=100)
    r = gradcheck.check(net.params, net.loss, net.grads, mode="fast", diagnose=False)
    assert r.ok
    assert r["w"].n_checked in (0, 100)  # 0 when the direction happened to agree
