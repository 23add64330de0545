"""The dropout mask is read off a squared-error loss under any of its usual conventions.

A loss that sums its squared errors over the outputs without the 0.5, or averages them over the
outputs too, is the model's term times 2, 1/k or 2/k; the mask read under the model's own scale
was off by that factor and fit no example, so a backward pass that forgets the 1/keep_prob was
named only as a constant factor. An example that keeps a single unit has a mask whose
sign-flipped reading nearly fits too (the squared error's mirror): it is read right.
"""

from __future__ import annotations

import numpy as np
import pytest

import gradcheck


def _rows_net(keep_prob, m, *, k, convention, rescale_backward, mask=None, seed=0):
    """tanh hidden layer (5 units) with inverted dropout, linear output of k units, examples as rows."""
    rng = np.random.default_rng(seed)
    X, Y = rng.normal(size=(m, 3)), rng.normal(size=(m, k))
    p = {"W1": rng.normal(size=(3, 5)), "b1": 0.1 * rng.normal(size=5), "W2": rng.normal(size=(5, k)),
         "b2": np.zeros(k)}
    D = (rng.random((m, 5)) < keep_prob) if mask is None else mask
    c = {"sum_no_half": 1.0, "mean_all": 1.0 / k, "half_sum": 0.5}[convention]  # loss = c * sum(r ** 2) / m

    def loss():
        h = np.tanh(X @ p["W1"] + p["b1"]) * D / keep_prob
        return float(c * np.sum((h @ p["W2"] + p["b2"] - Y) ** 2) / m)

    def grads():
        t = np.tanh(X @ p["W1"] + p["b1"])
        h = t * D / keep_prob
        d = 2 * c * (h @ p["W2"] + p["b2"] - Y) / m
        dh = (d @ p["W2"].T) * D / (keep_prob if rescale_backward else 1.0)
        dz = dh * (1 - t ** 2)
        return {"W1": X.T @ dz, "b1": dz.sum(axis=0), "W2": h.T @ d, "b2": d.sum(axis=0)}

    return gradcheck.Problem(p, loss, grads, data=(X, Y))


@pytest.mark.parametrize("convention,k", [("sum_no_half", 2), ("mean_all", 3), ("half_sum", 2), ("sum_no_half", 1)])
@pytest.mark.parametrize("keep_prob,m", [(0.5, 1), (0.7, 3), (0.3, 4)])
def test_an_unscaled_dropout_backward_is_named_under_each_convention(convention, k, keep_prob, m):
    report = gradcheck.check(_rows_net(keep_prob, m, k=k, convention=convention, rescale_backward=False))
    assert [(f.kind, f.params) for f in report.findings] == [("dropout_backward_wrong", ["W1", "b1"])]
    assert f"keep_prob = {keep_prob:g}" in report.findings[0].message
    assert f"dropout on layer 1 (keep_prob {keep_prob:g})" in report.findings[0].message


@pytest.mark.parametrize("convention,k", [("sum_no_half", 2), ("mean_all", 3)])
def test_the_same_nets_with_the_rescale_pass(convention, k):
    assert gradcheck.check(_rows_net(0.5, 4, k=k, convention=convention, rescale_backward=True)).ok


def test_an_example_that_keeps_one_unit_is_read_right():
    mask = np.array([[1, 1, 1, 0, 1], [0, 1, 0, 1, 1], [0, 0, 1, 0, 1], [0, 0, 0, 1, 0]], dtype=bool)
    report = gradcheck.check(_rows_net(0.5, 4, k=2, convention="sum_no_half", rescale_backward=False, mask=mask))
    assert [(f.kind, f.params) for f in report.findings] == [("dropout_backward_wrong", ["W1", "b1"])]
    assert "dropout on layer 1 (keep_prob 0.5)" in report.findings[0].message
