"""An L1 penalty's gradient in the wrong form (``l1_penalty_gradient_wrong``): analytic - numeric is a
function of the parameter alone, ``c * sign(W)`` against ``c * W`` (one where the loss has the other),
the constant ``c`` for ``c * sign(W)``, or ``c * sign(W)`` alone (the L1 term missing). Named with the
term found and the term expected, on nets written here in two styles (a class with a backward method,
a closure over a dict); the same nets with the gradient written right pass."""

from __future__ import annotations

import numpy as np
import pytest

import gradcheck

# -- a class-based lasso regression (one weight vector, a scalar bias) ---------------------------


class Lasso:
    """Linear regression with a penalty on w: ``penalty`` is what the loss has ("l1": lam * sum|w|,
    "l2": lam / 2 * sum w^2), ``grad_term`` what the backward pass adds ("sign", "w", "one", "none")."""

    def __init__(self, n_features=6, m=9, lam=0.2, penalty="l1", grad_term="sign", seed=0):
        rng = np.random.default_rng(seed)
        self.X, self.y = rng.normal(size=(m, n_features)), rng.normal(size=m)
        self.w, self.b = rng.normal(size=n_features), np.array([0.3])
        self.lam, self.penalty, self.grad_term = lam, penalty, grad_term

    def loss(self):
        r = self.X @ self.w + self.b - self.y
        pen = self.lam * np.abs(self.w).sum() if self.penalty == "l1" else 0.5 * self.lam * (self.w ** 2).sum()
        return float(0.5 * np.mean(r ** 2) + pen)

    def backward(self):
        r = (self.X @ self.w + self.b - self.y) / len(self.y)
        term = {"sign": np.sign(self.w), "w": self.w, "one": np.ones_like(self.w), "none": 0.0}[self.grad_term]
        return {"w": self.X.T @ r + self.lam * term, "b": np.array([r.sum()])}


def _check_lasso(**kw):
    net = Lasso(**kw)
    return gradcheck.check({"w": net.w, "b": net.b}, net.loss, net.backward)


# -- a two-layer net written as closures over a dict (examples as columns) -------------------------


def _closure_net(penalty="l1", grad_term="sign", lam=0.05, seed=1):
    rng = np.random.default_rng(seed)
    X, Y = rng.normal(size=(3, 7)), rng.normal(size=(2, 7))
    p = {"W1": rng.normal(size=(5, 3)), "b1": np.zeros((5, 1)), "W2": rng.normal(size=(2, 5)), "b2": np.zeros((2, 1))}
    m = X.shape[1]

    def pen(W):
        return lam * np.abs(W).sum() if penalty == "l1" else 0.5 * lam * (W ** 2).sum()

    def term(W):
        return {"sign": np.sign(W), "w": W, "one": np.ones_like(W), "none": 0.0}[grad_term]

    def loss():
        H = np.tanh(p["W1"] @ X + p["b1"])
        return float(0.5 * np.sum((p["W2"] @ H + p["b2"] - Y) ** 2) / m + pen(p["W1"]) + pen(p["W2"]))

    def grads():
        H = np.tanh(p["W1"] @ X + p["b1"])
        dZ2 = (p["W2"] @ H + p["b2"] - Y) / m
        dZ1 = (p["W2"].T @ dZ2) * (1 - H ** 2)
        return {"W1": dZ1 @ X.T + lam * term(p["W1"]), "b1": dZ1.sum(axis=1, keepdims=True),
                "W2": dZ2 @ H.T + lam * term(p["W2"]), "b2": dZ2.sum(axis=1, keepdims=True)}

    return p, loss, grads


def _named(report):
    return [(f.kind, f.params, f.evidence.get("found"), f.evidence.get("expected")) for f in report.findings]


@pytest.mark.parametrize("penalty,grad_term,found,expected", [
    ("l1", "w", "p", "sign"),        # lasso whose backward uses W
    ("l2", "sign", "sign", "p"),     # ridge whose backward uses sign(W)
    ("l1", "one", "one", "sign"),    # d|w|/dw written as 1
    ("l1", "none", "none", "sign"),  # the L1 term left out
])
def test_the_lasso_class_names_the_penalty_form_found_and_expected(penalty, grad_term, found, expected):
    report = _check_lasso(penalty=penalty, grad_term=grad_term)
    assert not report.ok
    assert _named(report) == [("l1_penalty_gradient_wrong", ["w"], found, expected)]
    assert report.findings[0].fix == gradcheck.bugs.fix_for("l1_penalty_gradient_wrong")


@pytest.mark.parametrize("penalty,grad_term,found,expected", [
    ("l1", "w", "p", "sign"),
    ("l2", "sign", "sign", "p"),
    ("l1", "none", "none", "sign"),
])
def test_the_closure_net_names_both_weights(penalty, grad_term, found, expected):
    p, loss, grads = _closure_net(penalty=penalty, grad_term=grad_term)
    report = gradcheck.check(p, loss, grads)
    assert _named(report) == [("l1_penalty_gradient_wrong", ["W1", "W2"], found, expected)]
    assert "0.05" in report.findings[0].message


@pytest.mark.parametrize("penalty,grad_term", [("l1", "sign"), ("l2", "w")])
def test_the_penalty_written_right_passes(penalty, grad_term):
    assert _check_lasso(penalty=penalty, grad_term=grad_term).ok
    assert gradcheck.check(*_closure_net(penalty=penalty, grad_term=grad_term)).ok


def test_weights_of_one_sign_are_not_read_as_an_l1_term():
    """While every weight is positive, sign(W) is the constant 1: a constant offset is no L1 reading."""
    net = Lasso(penalty="l1", grad_term="sign")
    net.w[:] = np.abs(net.w) + 0.1

    def offset():
        g = net.backward()
        return {"w": g["w"] + 0.25, "b": g["b"]}

    report = gradcheck.check({"w": net.w, "b": net.b}, net.loss, offset)
    assert not report.ok and "l1_penalty_gradient_wrong" not in report.kinds()
