"""Batch-norm and layer-norm backward passes without their mean and variance paths: named, on the
parameters below the normalization, in a layer check and in whole nets with data; the fix's
formula is the right gradient; other mistakes in such nets are not taken for it."""

from __future__ import annotations

import ast
import warnings

import numpy as np
import pytest

import gradcheck
from gradcheck.diagnosis.catalogue import CATALOGUE

EPS = 1e-5


def norm_forward(z, gamma, beta, axis):
    mu = z.mean(axis=axis, keepdims=True)
    std = np.sqrt(z.var(axis=axis, keepdims=True) + EPS)
    xhat = (z - mu) / std
    return gamma * xhat + beta, xhat, std


def norm_backward(dout, xhat, std, gamma, axis, missing=None):
    """dz of a normalization along ``axis``; ``missing``: the paths left out ("both", "variance", "mean")."""
    dxhat = dout * gamma
    if missing == "both":
        return dxhat / std
    mean = dxhat.mean(axis=axis, keepdims=True)
    var = xhat * (dxhat * xhat).mean(axis=axis, keepdims=True)
    if missing == "variance":
        return (dxhat - mean) / std
    if missing == "mean":
        return (dxhat - var) / std
    return (dxhat - mean - var) / std


def check(params, loss, grads, data=None):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return gradcheck.check(params, loss, grads, data=data)


# -- a layer check, as in cs231n: batchnorm_backward checked through sum(out * dout) ----------


def layer_check(missing, seed=0, m=6, n=4):
    rng = np.random.default_rng(seed)
    x, dout = rng.normal(1.0, 2.0, (m, n)), rng.normal(size=(m, n))
    gamma, beta = rng.uniform(0.5, 1.5, n), rng.normal(0, 0.3, n)
    params = {"x": x, "gamma": gamma, "beta": beta}

    def loss():
        return float((norm_forward(x, gamma, beta, 0)[0] * dout).sum())

    def grads():
        _, xhat, std = norm_forward(x, gamma, beta, 0)
        return {"x": norm_backward(dout, xhat, std, gamma, 0, missing), "gamma": (dout * xhat).sum(0),
                "beta": dout.sum(0)}

    return params, loss, grads


@pytest.mark.parametrize("missing,paths", [("both", "mean and variance"), ("variance", "variance"),
                                           ("mean", "mean")])
def test_a_batchnorm_layer_check_names_the_missing_paths(missing, paths):
    report = check(*layer_check(missing))
    assert not report.ok and report.first_wrong == "x"
    f = report.findings[0]
    assert f.kind == "batchnorm_backward_incomplete" and f.params == ["x"]
    assert f.evidence["missing"] == paths


def test_a_correct_batchnorm_layer_check_passes():
    report = check(*layer_check(None))
    assert report.ok and report.findings == []


# -- whole nets with data: dense -> norm -> activation -> dense ----------------------------------


def dlai_bn_net(missing, seed=1, m=10, n_in=3, n=5):
    """Examples as columns: W1 (n, n_in), b1 (n, 1), gamma1/beta1 (n, 1), relu, sigmoid output, BCE."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_in, m))
    Y = (X[0:1] + X[1:2] > 0).astype(float)
    p = {"W1": rng.normal(0, 0.8, (n, n_in)), "b1": rng.normal(0, 0.2, (n, 1)), "gamma1": rng.uniform(0.5, 1.5, (n, 1)),
         "beta1": rng.normal(0, 0.2, (n, 1)) + 0.3, "W2": rng.normal(0, 0.8, (1, n)), "b2": np.zeros((1, 1))}

    def forward():
        Z1 = p["W1"] @ X + p["b1"]
        U, xhat, std = norm_forward(Z1, p["gamma1"], p["beta1"], 1)  # over the batch: axis 1 here
        A1 = np.maximum(U, 0)
        A2 = 1 / (1 + np.exp(-(p["W2"] @ A1 + p["b2"])))
        return xhat, std, U, A1, A2

    def loss():
        A2 = forward()[-1]
        return float(-np.mean(Y * np.log(A2) + (1 - Y) * np.log(1 - A2)))

    def grads():
        xhat, std, U, A1, A2 = forward()
        dZ2 = (A2 - Y) / m
        dU = (p["W2"].T @ dZ2) * (U > 0)
        dZ1 = norm_backward(dU, xhat, std, p["gamma1"], 1, missing)
        return {"W1": dZ1 @ X.T, "b1": dZ1.sum(1, keepdims=True), "gamma1": (dU * xhat).sum(1, keepdims=True),
                "beta1": dU.sum(1, keepdims=True), "W2": dZ2 @ A1.T, "b2": dZ2.sum(1, keepdims=True)}

    return p, loss, grads, (X, Y)


def ln_regressor(missing, seed=2, m=5, n_in=4, n=6):
    """Examples as rows; layer norm over each example's features, named like torch modules (ln1.weight)."""
    rng = np.random.default_rng(seed)
    X, Y = rng.normal(size=(m, n_in)), rng.normal(size=(m, 2))
    p = {"fc1.weight": rng.normal(0, 0.7, (n_in, n)), "fc1.bias": rng.normal(0, 0.3, n),
         "ln1.weight": rng.uniform(0.5, 1.5, n), "ln1.bias": rng.normal(0, 0.2, n),
         "fc2.weight": rng.normal(0, 0.7, (n, 2)), "fc2.bias": np.zeros(2)}

    def forward():
        Z = X @ p["fc1.weight"] + p["fc1.bias"]
        U, xhat, std = norm_forward(Z, p["ln1.weight"], p["ln1.bias"], 1)
        A = np.tanh(U)
        return xhat, std, A, A @ p["fc2.weight"] + p["fc2.bias"]

    def loss():
        return float(0.5 * ((forward()[-1] - Y) ** 2).sum() / m)

    def grads():
        xhat, std, A, out = forward()
        d = (out - Y) / m
        dU = (d @ p["fc2.weight"].T) * (1 - A**2)
        dZ = norm_backward(dU, xhat, std, p["ln1.weight"], 1, missing)
        return {"fc1.weight": X.T @ dZ, "fc1.bias": dZ.sum(0), "ln1.weight": (dU * xhat).sum(0),
                "ln1.bias": dU.sum(0), "fc2.weight": A.T @ d, "fc2.bias": d.sum(0)}

    return p, loss, grads, (X, Y)


def test_a_batchnorm_net_with_examples_as_columns_names_the_layer_below():
    report = check(*dlai_bn_net("both"))
    assert not report.ok
    f = next(f for f in report.findings if f.kind == "batchnorm_backward_incomplete")
    # the bias below a batch norm has no effect (its true gradient is 0); the user's is not 0
    assert f.params == ["W1", "b1"] and "gamma1" not in f.params and report.first_wrong == "b1"


def test_a_layernorm_net_named_like_torch_modules_is_named():
    report = check(*ln_regressor("both"))
    f = next(f for f in report.findings if f.kind == "layernorm_backward_incomplete")
    assert f.params == ["fc1.weight", "fc1.bias"] and f.evidence["missing"] == "mean and variance"


@pytest.mark.parametrize("make", [dlai_bn_net, ln_regressor])
def test_correct_normalized_nets_pass(make):
    params, loss, grads, data = make(None)
    report = check(params, loss, grads, data)
    assert report.ok and report.findings == []


def test_another_mistake_below_a_batchnorm_is_not_taken_for_it():
    params, loss, grads, data = dlai_bn_net(None)
    wrong = lambda: {k: (2 * v if k == "W1" else v) for k, v in grads().items()}  # noqa: E731
    report = check(params, loss, wrong, data)
    assert not report.ok
    assert "batchnorm_backward_incomplete" not in report.kinds()
    assert report.kinds() == ["constant_factor"]


# -- the fix's formula -----------------------------------------------------------------------------


@pytest.mark.parametrize("kind,axis", [("batchnorm_backward_incomplete", 0), ("layernorm_backward_incomplete", 1)])
def test_the_fix_formula_is_the_gradient_through_the_normalization(kind, axis):
    fix = CATALOGUE[kind].fix
    start = fix.index("dz = ")
    code = fix[start: fix.index(" with examples as rows")]
    ast.parse(code)
    rng = np.random.default_rng(3)
    z, dout = rng.normal(size=(6, 4)), rng.normal(size=(6, 4))
    gamma, beta = rng.uniform(0.5, 1.5, 4), rng.normal(size=4)
    _, xhat, std = norm_forward(z, gamma, beta, axis)
    ns = {"dxhat": dout * gamma, "xhat": xhat, "std": std}
    exec(code, ns)  # noqa: S102
    # central differences of sum(out * dout) by z
    numeric = np.zeros_like(z)
    for idx in np.ndindex(*z.shape):
        zp, zm = z.copy(), z.copy()
        zp[idx] += 1e-6
        zm[idx] -= 1e-6
        numeric[idx] = ((norm_forward(zp, gamma, beta, axis)[0] - norm_forward(zm, gamma, beta, axis)[0]) * dout).sum() / 2e-6
    assert np.allclose(ns["dz"], numeric, atol=1e-7)
