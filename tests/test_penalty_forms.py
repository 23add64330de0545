"""The penalty detector fits analytic - numeric to a function of the parameter alone: an L2 term
missing, one in the wrong form (np.sum(W) for W, sign(W) for W and the reverse), on nets whose architecture is
not inferred too; a constant offset is not taken for a penalty."""

from __future__ import annotations

import numpy as np

import gradcheck


def _conv(rng, *, penalty="l2", grad_form="l2", lambd=0.3, m=5):
    """A 1-d convolution (kernel k, bias c) with an MSE loss and a penalty on k."""
    x, t = rng.normal(size=(m, 9)), rng.normal(size=(m, 7))
    p = {"k": rng.normal(size=3), "c": rng.normal(size=1)}

    def out():
        return np.stack([np.convolve(row, p["k"][::-1], mode="valid") for row in x]) + p["c"]

    def loss():
        pen = 0.5 * lambd * (p["k"] ** 2).sum() if penalty == "l2" else lambd * np.abs(p["k"]).sum()
        return float(0.5 * ((out() - t) ** 2).sum() / m + pen)

    def grads():
        r = (out() - t) / m
        dk = np.array([(r * x[:, i:i + 7]).sum() for i in range(3)])
        term = {"l2": lambd * p["k"], "sum": lambd * np.sum(p["k"]), "sign": lambd * np.sign(p["k"])}[grad_form]
        return {"k": dk + term, "c": np.array([r.sum()])}

    return p, loss, grads


def _kinds(report):
    return [(f.kind, f.params, f.evidence.get("form")) for f in report.findings]


def test_l2_gradient_written_with_the_sum_of_the_weights_on_a_conv_net():
    p, loss, grads = _conv(np.random.default_rng(0), grad_form="sum")
    report = gradcheck.check(p, loss, grads)
    assert _kinds(report) == [("regularization_wrong", ["k"], "sum")]
    assert "np.sum" in report.findings[0].message and "0.3 * W" in report.findings[0].fix


def test_l1_gradient_where_the_loss_has_l2_and_the_reverse():
    p, loss, grads = _conv(np.random.default_rng(1), penalty="l2", grad_form="sign")
    report = gradcheck.check(p, loss, grads)
    assert _kinds(report) == [("l1_penalty_gradient_wrong", ["k"], "sign")]
    assert (report.findings[0].evidence["found"], report.findings[0].evidence["expected"]) == ("sign", "p")
    p, loss, grads = _conv(np.random.default_rng(2), penalty="l1", grad_form="l2")
    report = gradcheck.check(p, loss, grads)
    assert _kinds(report) == [("l1_penalty_gradient_wrong", ["k"], "sign")]
    assert "L1 penalty" in report.findings[0].message
    assert (report.findings[0].evidence["found"], report.findings[0].evidence["expected"]) == ("p", "sign")


def test_missing_l2_on_a_dense_net_written_in_columns():
    rng = np.random.default_rng(3)
    X, Y = rng.normal(size=(3, 6)), rng.normal(size=(2, 6))
    W, b = rng.normal(size=(2, 3)), rng.normal(size=(2, 1))
    lambd = 0.7

    def loss():
        return float(0.5 * ((np.tanh(W @ X + b) - Y) ** 2).sum() / 6 + 0.5 * lambd * (W ** 2).sum())

    def grads():
        a = np.tanh(W @ X + b)
        dz = (a - Y) * (1 - a ** 2) / 6
        return {"W": dz @ X.T, "b": dz.sum(1, keepdims=True)}  # lambd * W left out

    report = gradcheck.check({"W": W, "b": b}, loss, grads)
    assert [(f.kind, f.params) for f in report.findings] == [("regularization_missing", ["W"])]


def test_a_constant_offset_is_not_a_penalty():
    p, loss, grads = _conv(np.random.default_rng(4))

    def offset():
        g = grads()
        return {"k": g["k"] + 0.25, "c": g["c"]}  # the same number added to every element

    report = gradcheck.check(p, loss, offset)
    assert not report.ok and not any(k.startswith("regularization") for k in report.kinds())
