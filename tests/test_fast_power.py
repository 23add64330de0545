"""Fast mode's power: a directional check held to its measured noise, and what an "ok" rules out."""

from __future__ import annotations

import importlib
import json
import re
import warnings

import numpy as np
import pytest

import gradcheck
from gradcheck import dirnoise, fast
from gradcheck.modes import Estimate
from gradcheck.nn import MLP

from .jsoncheck import parse_valid

check_module = importlib.import_module("gradcheck.check")  # the module, which the function of that name hides

WIDTHS = [150, 150, 10, 1]  # 24,321 parameters; W1 (22,500) is sampled and bisected, not checked in full


def _net(activation="tanh", loss="mse", dtype=np.float64, seed=0, widths=WIDTHS):
    net = MLP(widths, activations=activation, loss=loss, seed=seed, dtype=dtype)
    X, y = net.random_data(8, seed=seed)
    return net, X, y


def _check(net, X, y, grads, **kw):
    before = {k: v.copy() for k, v in net.params.items()}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # float32: the loosened tolerances are announced
        r = gradcheck.check(net.params, lambda: net.loss(X, y), grads, diagnose=False, **kw)
    assert all(np.array_equal(before[k], net.params[k]) for k in before)
    return r


def _below_relative_tolerance(net, X, y, seed, fraction):
    """An element of W1 and an error there that moves W1's directional derivative by ``fraction`` of the
    least tolerance a relative comparison allows (rtol times the gradient's rms element, or atol)."""
    g = net.gradients(X, y)["W1"].reshape(-1)
    v = np.random.default_rng(seed).standard_normal(g.size)  # W1 is the first tensor: its direction
    v /= np.linalg.norm(v)
    k = int(np.argmax(np.abs(v)))  # any element would do; this one keeps the error small
    rtol, atol = 1e-5, 1e-8  # the float64 defaults
    least = max(rtol * float(np.sqrt(np.mean(g ** 2))), atol)
    return k, fraction * least / abs(v[k])


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_single_element_error_below_the_relative_tolerance_is_found(seed, monkeypatch):
    net, X, y = _net(seed=seed)
    k, err = _below_relative_tolerance(net, X, y, seed, fraction=0.3)

    def grads():
        g = net.gradients(X, y)
        g["W1"].flat[k] += err
        return g

    # held to the relative tolerance alone (no noise-based tolerance), the direction agrees: the error passes
    monkeypatch.setattr(dirnoise, "NOISE_SAFETY", float("inf"))
    assert _check(net, X, y, grads, mode="fast", seed=seed).ok
    monkeypatch.undo()
    # held to its measured noise, the direction disagrees, and the bisection finds the element
    r = _check(net, X, y, grads, mode="fast", seed=seed)
    assert not r.ok and r.wrong == ["W1"]
    assert r["W1"].worst_index == np.unravel_index(k, net.params["W1"].shape)
    assert "above its tolerance" in r["W1"].message


@pytest.mark.parametrize("activation, loss", [("sigmoid", "bce"), ("tanh", "mse"), ("relu", "softmax_ce")])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_correct_nets_stay_ok(activation, loss, dtype, seed):
    widths = WIDTHS[:-1] + [1 if loss == "bce" else 3]
    net, X, y = _net(activation, loss, dtype, seed, widths)
    r = _check(net, X, y, lambda: net.gradients(X, y), mode="fast", seed=seed)
    assert r.ok, [p.message for p in r.params if not p.ok]
    smooth = activation != "relu"
    if smooth:  # no kink to cross: every direction agrees at once, without a drill-down
        assert all(p.n_checked == 0 for p in r.params), [p.message for p in r.params]
    # each direction costs 2 evaluations, 4 when its noise is measured at half the step
    assert r.n_loss_evals <= 3 + 4 * len(net.params) or not smooth


def test_the_tolerance_is_never_looser_than_the_relative_one():
    net, X, y = _net()
    g = net.gradients(X, y)["W1"]
    p = net.params["W1"]
    s = gradcheck.measure.Settings(lambda: net.loss(X, y), net.loss(X, y), rtol=1e-5, atol=1e-8)
    for seed in range(5):
        v = np.random.default_rng(seed).standard_normal(p.shape)
        v /= np.linalg.norm(v)
        d = gradcheck.numeric.directional_derivative(p, s.loss, v, f0=s.f0)
        for wrong in (g, g * (1 + 1e-3), g + 1e-4):
            j = dirnoise.judge(s, p, wrong.reshape(-1), d, v)
            dd_an = float(np.dot(wrong.reshape(-1), d.realised.reshape(-1)))
            assert j.tol <= s.rtol * dirnoise.relative_scale(dd_an, d, wrong.reshape(-1), p.dtype, s.rtol, s.atol)
            assert j.disagrees == (j.error > j.tol)
            assert j.n_evals in (0, 2)


def _auto_fast(monkeypatch):
    """Auto mode as on a net whose full check would take long: it falls back to the fast check."""
    monkeypatch.setattr(check_module, "estimate_full", lambda loss, total, t_eval: Estimate(1e6, True))


def _threshold(line):
    return float(re.search(r"above ~([0-9.e+-]+)", line).group(1))


def test_auto_mode_says_what_a_fast_ok_rules_out(monkeypatch):
    _auto_fast(monkeypatch)
    net, X, y = _net()
    r = _check(net, X, y, lambda: net.gradients(X, y))
    assert r.ok and r.mode == "fast"
    line = r.rules_out
    assert line.startswith("fast check: its 'ok' rules out a single-element error above ~")
    assert "errors that cancel along the directions are not ruled out" in line
    assert _threshold(line) > 0
    assert line in " ".join(str(r).split())  # the terminal view (joined across its wrapped lines)
    doc = parse_valid(r.to_json())
    assert doc["rules_out"] == line
    assert line in r.to_html().replace("&#x27;", "'")
    full = _check(net, X, y, lambda: net.gradients(X, y), mode="full")
    assert full.rules_out == "" and json.loads(full.to_json())["rules_out"] == ""


def test_what_an_ok_rules_out_follows_the_measured_noise(monkeypatch):
    """The stated size scales with the loss (the gradient and the noise with it): it is measured, not fixed."""
    _auto_fast(monkeypatch)
    sizes = []
    for scale in (1.0, 1e3):
        net, X, y = _net()
        grads = {k: scale * v for k, v in net.gradients(X, y).items()}
        r = gradcheck.check(net.params, lambda net=net, X=X, y=y, scale=scale: scale * net.loss(X, y), grads, diagnose=False)
        assert r.ok and r.mode == "fast"
        sizes.append(_threshold(r.rules_out))
    assert sizes[1] / sizes[0] == pytest.approx(1e3, rel=0.1)


def test_an_error_above_the_stated_size_is_found(monkeypatch):
    """The claim holds: an error a few times the stated size, at an element the direction moves, is found."""
    _auto_fast(monkeypatch)
    net, X, y = _net(seed=4)
    ok = _check(net, X, y, lambda: net.gradients(X, y), seed=4)
    stated = _threshold(ok.rules_out)
    g = net.gradients(X, y)
    v = np.abs(np.random.default_rng(4).standard_normal(g["W1"].size))  # W1's direction: the first one drawn
    k = int(np.argsort(v)[v.size // 2])  # an element of median |v_k|, above the 10th percentile the line speaks of
    g["W1"].flat[k] += 2 * stated
    r = _check(net, X, y, g, seed=4)
    assert not r.ok and r.wrong == ["W1"]


def test_a_tensor_checked_in_full_or_unresolved_is_named_in_the_line():
    reach = [fast.Reach("W1", 1e-6, 1e-3), fast.Reach("b1", None, 1e-3, in_full=True),
             fast.Reach("W2", None, 1e-3)]
    line = fast.rules_out(reach)
    assert "above ~1.1e-06" not in line and "above ~1e-06" in line
    assert "b1: checked element by element" in line
    assert "W2: the direction disagreed" in line
    assert fast.rules_out([]) == ""
