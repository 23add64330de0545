"""The cost model: how many loss evaluations each mode makes, counted, not timed.

Every check calls ``loss()`` twice at the starting point (the second call catches a
non-deterministic loss). On top of that:

- full central: 2 per scalar parameter; Richardson: 4; complex step: 1, plus one probe per tensor;
- sampled: 2 per sampled element (``min(sample, size)`` per tensor);
- fast: 2 per tensor whose direction agrees; a failing tensor adds its drill-down only.

``report.n_loss_evals`` must equal the number of calls the loss really received.
"""

from __future__ import annotations

import numpy as np
import pytest

import gradcheck
from gradcheck import fast
from gradcheck.nn import MLP

BASE = 3  # calls at the starting point: two at the start, one at the end (the loss has not drifted)


class Counted:
    """A loss that counts its calls."""

    def __init__(self, fn):
        self.fn = fn
        self.calls = 0

    def __call__(self):
        self.calls += 1
        return self.fn()


def _net(widths=(5, 7, 3), seed=0):
    net = MLP(list(widths), activations="tanh", loss="mse", seed=seed)
    X, y = net.random_data(6)
    return net, X, y


def _run(net, X, y, grads=None, **kw):
    loss = Counted(lambda: net.loss(X, y))
    r = gradcheck.check(net.params, loss, grads or (lambda: net.gradients(X, y)), diagnose=False, **kw)
    assert r.n_loss_evals == loss.calls, "n_loss_evals must be the calls the loss received"
    return r, loss.calls


def _size(net):
    return sum(p.size for p in net.params.values())


@pytest.mark.parametrize(("method", "per_element"), [("central", 2), ("richardson", 4)])
def test_full_check_costs_a_fixed_number_per_parameter(method, per_element):
    net, X, y = _net()
    r, calls = _run(net, X, y, mode="full", method=method)
    assert r.ok
    assert calls == per_element * _size(net) + BASE


def test_complex_step_costs_one_per_parameter_and_a_probe_per_tensor():
    rng = np.random.default_rng(0)
    params = {"W": rng.normal(size=(4, 3)), "b": rng.normal(size=3)}
    X = rng.normal(size=(5, 4))

    def raw():
        return np.tanh(X @ params["W"] + params["b"]).sum()

    loss = Counted(lambda: raw() if np.iscomplexobj(params["W"]) or np.iscomplexobj(params["b"]) else float(raw()))

    def grads():
        d = 1 - np.tanh(X @ params["W"] + params["b"]) ** 2
        return {"W": X.T @ d, "b": d.sum(axis=0)}

    r = gradcheck.check(params, loss, grads, method="complex", mode="full", diagnose=False)
    assert r.ok
    assert loss.calls == r.n_loss_evals == 15 + len(params) + BASE


@pytest.mark.parametrize("k", [1, 4, 9])
def test_sampled_check_costs_two_per_sampled_element(k):
    net, X, y = _net()
    r, calls = _run(net, X, y, mode="sampled", sample=k)
    assert calls == sum(2 * min(k, p.size) for p in net.params.values()) + BASE
    assert [p.n_checked for p in r.params] == [min(k, p.size) for p in net.params.values()]


def test_fast_check_of_a_correct_net_costs_two_per_tensor():
    net, X, y = _net((40, 60, 30, 2))
    r, calls = _run(net, X, y, mode="fast")
    assert r.ok
    assert calls == 2 * len(net.params) + BASE


def test_fast_check_drills_down_only_into_the_failing_tensor():
    net, X, y = _net((40, 60, 30, 2))

    def grads():
        g = net.gradients(X, y)
        g["b2"] = 3 * g["b2"]
        return g

    r, calls = _run(net, X, y, grads=grads, mode="fast")
    assert [p.name for p in r.params if not p.ok] == ["b2"]
    # b2 is small: its drill-down is a full check of its 30 elements, each mismatch then confirmed
    _assert_confirmed(r["b2"], calls - (2 * len(net.params) + 2 * net.params["b2"].size + BASE))


def test_fast_check_samples_a_big_failing_tensor():
    net, X, y = _net((100, 80, 2))
    assert net.params["W1"].size > fast.FAST_FULL_DRILLDOWN_MAX

    def grads():
        g = net.gradients(X, y)
        g["W1"] = 2 * g["W1"]
        return g

    r, calls = _run(net, X, y, grads=grads, mode="fast", sample=10)
    assert [p.name for p in r.params if not p.ok] == ["W1"]
    _assert_confirmed(r["W1"], calls - (2 * len(net.params) + 2 * 10 + BASE))


def test_fast_check_cost_grows_with_tensors_not_parameters():
    small, Xs, ys = _net((10, 10, 2))
    large, Xl, yl = _net((200, 300, 2))
    assert _size(large) > 100 * _size(small)
    (_, c_small), (_, c_large) = _run(small, Xs, ys, mode="fast"), _run(large, Xl, yl, mode="fast")
    assert c_small == c_large == 2 * 4 + BASE
    deep, Xd, yd = _net((10, 10, 10, 10, 2))
    assert _run(deep, Xd, yd, mode="fast")[1] == 2 * 8 + BASE


def test_auto_mode_picks_full_for_small_nets_and_says_nothing():
    net, X, y = _net()
    r, calls = _run(net, X, y)
    assert r.mode == "full" and calls == 2 * _size(net) + BASE
    assert not any("fast check" in n for n in r.notes)


def test_auto_mode_picks_fast_for_large_nets_and_says_so(monkeypatch):
    import importlib

    check_module = importlib.import_module("gradcheck.modes")
    monkeypatch.setattr(check_module, "AUTO_FULL_MAX_PARAMS", 100)
    monkeypatch.setattr(check_module, "AUTO_FULL_MAX_SECONDS", 0.0)
    net, X, y = _net((20, 20, 2))
    r, calls = _run(net, X, y)
    assert r.mode == "fast"
    assert calls == r.n_loss_evals > 2 * len(net.params) + BASE  # and some timed to estimate a full check
    assert any("fast check" in n and "mode='full'" in n for n in r.notes)


def test_fast_check_samples_a_small_failing_tensor_when_its_full_check_would_be_slow(monkeypatch):
    net, X, y = _net((40, 60, 30, 2))
    monkeypatch.setattr(fast, "FAST_FULL_DRILLDOWN_SECONDS", 0.0)

    def grads():
        g = net.gradients(X, y)
        g["b2"] = 3 * g["b2"]
        return g

    r, calls = _run(net, X, y, grads=grads, mode="fast", sample=5)
    assert [p.name for p in r.params if not p.ok] == ["b2"]
    assert r["b2"].n_checked == 5
    _assert_confirmed(r["b2"], calls - (2 * len(net.params) + 2 * 5 + BASE))


def _assert_confirmed(res, extra):
    """Each mismatched element is re-measured with a smaller step or two (gradcheck.kinks) before it counts."""
    assert res.n_mismatched > 0
    assert 2 * res.n_mismatched <= extra <= 2 * 2 * res.n_mismatched


def _peak_over_params(net, loss, grads, **kw):
    import tracemalloc

    nbytes = sum(p.nbytes for p in net.params.values())
    gradcheck.check(net.params, loss, grads, diagnose=False, **kw)  # imports and caches outside the count
    tracemalloc.start()
    try:
        base, _ = tracemalloc.get_traced_memory()
        gradcheck.check(net.params, loss, grads, diagnose=False, **kw)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return (peak - base) / nbytes


@pytest.mark.parametrize(("widths", "mode", "bound"), [((60, 120, 60, 1), "full", 16), ((300, 300, 50, 1), "fast", 10)])
def test_peak_memory_is_a_small_multiple_of_the_parameters(widths, mode, bound):
    # no Jacobian, no copy of the parameters per evaluation: the peak stays a constant times the net
    net, X, y = _net(widths)
    ratio = _peak_over_params(net, lambda: net.loss(X, y), lambda: net.gradients(X, y), mode=mode)
    assert ratio < bound


def _clock(durations):
    """A clock read twice per evaluation when evaluations are timed one by one: evaluation i lasts durations[i]."""
    ticks = iter([t for d in durations for t in (0.0, d)])
    now = [0.0]

    def clock():
        now[0] += next(ticks)
        return now[0]

    return clock


def test_auto_estimate_is_timed_on_batches_of_evaluations_and_stated_only_when_they_agree(monkeypatch):
    import importlib

    modes = importlib.import_module("gradcheck.modes")
    monkeypatch.setattr(modes, "TIMING_BATCH_SECONDS", 0.0)  # one evaluation per batch: durations as listed
    calls = []
    steady = modes.estimate_full(lambda: calls.append(1), total=100_000, t_eval=0.3, clock=_clock([0.01, 0.012, 0.011, 0.01, 0.013]))
    # timed after the start's two (0.3 s each: first-call costs), 2 * P * the median time per evaluation
    assert len(calls) == steady.n_evals == modes.TIMING_BATCHES and steady.steady
    assert steady.seconds == pytest.approx(2 * 100_000 * 0.011)
    notes: list[str] = []
    assert modes.choose_mode("auto", "central", total=100_000, t_eval=0.3, sample=None, seed=0, notes=notes,
                             estimate=steady).name == "fast"
    assert "a full check would take about 2200 s" in notes[0]
    # batches whose times differ by more than 2x: no number that could be that far off
    jumpy = modes.estimate_full(lambda: None, total=100_000, t_eval=0.3, clock=_clock([0.01, 0.03, 0.01, 0.03, 0.01]))
    assert not jumpy.steady
    notes = []
    modes.choose_mode("auto", "central", total=100_000, t_eval=0.3, sample=None, seed=0, notes=notes, estimate=jumpy)
    assert "would take long (200,000 loss evaluations; timed ones took 0.01 to 0.03 s each)" in notes[0]
    assert "about" not in notes[0]
    # a slow loss: timing stops at the budget, one evaluation at least, compared with the start's
    slow = modes.estimate_full(lambda: None, total=100_000, t_eval=3.0, clock=_clock([2.5, 2.5]))
    assert slow.n_evals == 1 and slow.seconds == pytest.approx(2 * 100_000 * 2.5) and slow.steady
    # a small net costs no extra evaluation
    assert modes.estimate_full(lambda: calls.append(1), total=50, t_eval=0.3).n_evals == 0


def test_a_batch_runs_the_loss_until_it_spans_the_batch_time():
    import importlib

    modes = importlib.import_module("gradcheck.modes")
    calls = []
    est = modes.estimate_full(lambda: calls.append(1), total=100_000, t_eval=0.3,
                              clock=_clock([modes.TIMING_BATCH_SECONDS / 4] * 10_000))
    # each reading advances the clock; a batch stops once its readings pass TIMING_BATCH_SECONDS
    assert est.n_evals == len(calls) > modes.TIMING_BATCHES and est.steady
