"""The one-pass full check (gradcheck.full) gives what the tensor-by-tensor check gives, element for element."""

from __future__ import annotations

import contextlib
import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import gradcheck
from gradcheck import numeric
from gradcheck.analytic import collect_gradients
from gradcheck.full import central_all, compare_all, fusable
from gradcheck.measure import Settings, compare_settled
from gradcheck.problem import Problem
from tests.core_nets import TwoLayerNet

FIELDS = ("name", "shape", "dtype", "status", "max_rel_error", "n_checked", "n_mismatched", "n_kinks",
          "worst_index", "analytic_at_worst", "numeric_at_worst", "grad_shape", "message")
ARRAYS = ("numeric", "rel_error", "kinks")


def tensor_by_tensor(s, params, analytic):
    out = []
    for name, p in params.items():
        ev = numeric.central(p, s.loss, f0=s.f0, name=name)
        out.append(compare_settled(s, name, p, analytic[name], ev))
    return out


def one_pass(s, params, analytic):
    return compare_all(s, central_all(s, params), analytic)


def assert_same(fused, reference):
    assert len(fused) == len(reference)
    for (r1, extra1), (r2, extra2) in zip(fused, reference):
        assert extra1 == extra2, r1.name
        for f in FIELDS:  # repr: NaN equals NaN, and 0.1 + 2e-17 does not equal 0.1
            assert repr(getattr(r1, f)) == repr(getattr(r2, f)), (r1.name, f, getattr(r1, f), getattr(r2, f))
        for f in ARRAYS:
            a, b = getattr(r1, f), getattr(r2, f)
            if a is None or b is None:
                assert a is None and b is None, (r1.name, f)
                continue
            assert a.shape == b.shape and a.tobytes() == b.tobytes(), (r1.name, f)


def settings_for(net, rtol=None, atol=None):
    dtypes = [p.dtype for p in net.params.values()]
    r, a = gradcheck.compare.tolerances_for(dtypes)
    return Settings(loss=net.loss, f0=net.loss(), rtol=rtol or r, atol=atol or a)


@given(
    seed=st.integers(0, 2**16),
    n_in=st.integers(1, 5),
    n_hidden=st.integers(1, 6),
    m=st.integers(1, 6),
    act=st.sampled_from(["sigmoid", "tanh", "relu"]),
    mistake=st.sampled_from([None, "missing_mean", "transposed", "bias_not_summed", "sign", "sigmoid_at_z"]),
)
def test_same_results_as_tensor_by_tensor(seed, n_in, n_hidden, m, act, mistake):
    net = TwoLayerNet(n_in, n_hidden, m, act=act, seed=seed, mistake=mistake)
    before = {k: v.tobytes() for k, v in net.params.items()}
    analytic = collect_gradients(Problem(net.params, net.loss, net.grads), net.params)
    s = settings_for(net)
    assert_same(one_pass(s, net.params, analytic), tensor_by_tensor(s, net.params, analytic))
    assert {k: v.tobytes() for k, v in net.params.items()} == before


@pytest.mark.parametrize("layout", ["float32", "mixed", "fortran", "transposed_view"])
def test_same_results_for_other_dtypes_and_layouts(layout):
    net = TwoLayerNet(4, 5, 6, act="tanh", seed=3, mistake="missing_mean")
    if layout == "float32":
        net = TwoLayerNet(4, 5, 6, act="tanh", seed=3, mistake="missing_mean", dtype=np.float32)
    elif layout == "mixed":
        net.W2 = net.W2.astype(np.float32)
    elif layout == "fortran":
        net.W1 = np.asfortranarray(net.W1)
    else:
        net.W1 = np.ascontiguousarray(net.W1.T).T  # a transposed view: not C-contiguous
    assert fusable(net.params)
    analytic = collect_gradients(Problem(net.params, net.loss, net.grads), net.params)
    s = settings_for(net)
    assert_same(one_pass(s, net.params, analytic), tensor_by_tensor(s, net.params, analytic))
    correct = TwoLayerNet(4, 5, 6, act="tanh", seed=3)
    for name in net.params:  # and the correct net in the same layout passes through check()
        getattr(correct, name)[...] = getattr(net, name)
    low = pytest.warns(UserWarning, match="float32") if layout in ("float32", "mixed") else contextlib.nullcontext()
    with low:
        report = gradcheck.check(net.params, net.loss, correct.grads, mode="full")
    assert report.ok, report


def test_non_finite_analytic_value_goes_to_the_element_check():
    net = TwoLayerNet(3, 4, 5, seed=1)
    analytic = collect_gradients(Problem(net.params, net.loss, net.grads), net.params)
    analytic["W2"][0, 1] = np.inf
    analytic["b1"][2, 0] = np.nan
    s = settings_for(net)
    fused = one_pass(s, net.params, analytic)
    assert [r.status for r, _ in fused] == ["ok", "nonfinite", "nonfinite", "ok"]
    assert_same(fused, tensor_by_tensor(s, net.params, analytic))


@pytest.mark.skipif(np.dtype(np.longdouble).itemsize <= 8, reason="long double is float64 here")
def test_longdouble_is_checked_tensor_by_tensor():
    w = np.array([0.5, -1.5], dtype=np.longdouble)
    assert not fusable({"w": w})
    report = gradcheck.check({"w": w}, lambda: float((w**2).sum()), {"w": 2 * w}, mode="full")
    assert report.ok and report.n_loss_evals == 3 + 2 * w.size


# -- errors name the parameter and the element, across tensors and flushes ------------


def _net_loss_failing_at(params, target, index, value, sign=+1):
    """A sum-of-squares loss that returns ``value`` while params[target][index] is moved by sign*h."""
    start = float(params[target][index])

    def loss():
        here = float(params[target][index])
        if (here - start) * sign > 0:
            return value
        return float(sum((p.astype(np.float64) ** 2).sum() for p in params.values()))

    return loss


@pytest.mark.parametrize("target,index,sign,shown", [("b", (1,), +1, "+h"), ("V", (30, 7), -1, "-h")])
def test_nan_loss_names_the_parameter_and_element(target, index, sign, shown):
    rng = np.random.default_rng(0)
    params = {"W": rng.normal(size=(20, 20)), "b": rng.normal(size=3), "V": rng.normal(size=(40, 10))}
    before = {k: v.tobytes() for k, v in params.items()}
    loss = _net_loss_failing_at(params, target, index, float("nan"), sign)
    grads = {k: 2 * v for k, v in params.items()}
    expected = re.escape(f"returned nan when element {index} of parameter '{target}' was moved by {shown}")
    with pytest.raises(gradcheck.LossError, match=expected):
        gradcheck.check(params, loss, grads, mode="full")
    assert {k: v.tobytes() for k, v in params.items()} == before


def test_non_scalar_loss_mid_way_names_the_parameter():
    rng = np.random.default_rng(1)
    params = {"W": rng.normal(size=(30, 30)), "b": rng.normal(size=4)}
    inner = _net_loss_failing_at(params, "b", (2,), None)

    def loss():
        v = inner()
        return np.ones(3) if v is None else v

    with pytest.raises(gradcheck.LossError, match=r"shape \(3,\) while perturbing parameter 'b'"):
        gradcheck.check(params, loss, {k: 2 * v for k, v in params.items()}, mode="full")


def test_progress_counts_every_element_once():
    rng = np.random.default_rng(2)
    params = {"W": rng.normal(size=(25, 30)), "b": rng.normal(size=7), "c": rng.normal(size=1)}
    calls = []
    report = gradcheck.check(
        params,
        lambda: float(sum((p**2).sum() for p in params.values())),
        lambda: {k: 2 * v for k, v in params.items()},
        mode="full",
        progress=lambda done, total: calls.append((done, total)),
    )
    assert report.ok
    total = 25 * 30 + 7 + 1
    assert calls[-1] == (total, total)
    assert [d for d, _ in calls] == sorted(d for d, _ in calls) and len(calls) >= 2
