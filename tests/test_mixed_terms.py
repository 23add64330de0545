"""Two mistakes at once: a factor on the data term (a gradient summed over the batch where the loss is
the mean, or divided by m twice) and a penalty term of the weights that the loss does not match (an L2
term the loss lacks, an L1 term, the loss's L2 term left out). Each is named apart, with its own
parameters: the factor on every wrong tensor, the penalty on the weights only. Nets written here in
three styles (closures over a dict with examples as columns, a class with a grads method with examples
as rows, a bias-free model whose factor is fitted with the penalty); the one-mistake versions keep
their single finding and the right versions pass."""

from __future__ import annotations

import numpy as np
import pytest

import gradcheck
from gradcheck.diagnosis.detectors.mixed_terms import joint_factor

# -- closures over a dict, examples as columns, tanh hidden layer, MSE ----------------------------


def _closure_net(m=7, lam=0.03, mean=True, grad_term="w", loss_pen=0.0, skip=False, seed=3):
    """``mean``: the gradient divides the data term by m; ``grad_term``: the penalty term the gradient
    adds ("w": lam * W, "sign": lam * sign(W), "none"); ``loss_pen``: the loss's L2 strength; ``skip``:
    a linear shortcut ``V @ X`` into the output (a net no standard dense net reproduces)."""
    rng = np.random.default_rng(seed)
    X, Y = rng.normal(size=(3, m)), rng.normal(size=(2, m))
    p = {"W1": rng.normal(size=(4, 3)), "b1": rng.normal(size=(4, 1)) * 0.1,
         "W2": rng.normal(size=(2, 4)), "b2": rng.normal(size=(2, 1)) * 0.1}
    if skip:
        p["V"] = rng.normal(size=(2, 3)) * 0.5

    def out(H):
        return p["W2"] @ H + p["b2"] + (p["V"] @ X if skip else 0.0)

    def loss():
        H = np.tanh(p["W1"] @ X + p["b1"])
        pen = 0.5 * loss_pen * sum(np.sum(p[k] ** 2) for k in ("W1", "W2", "V") if k in p)
        return float(0.5 * np.sum((out(H) - Y) ** 2) / m + pen)

    def term(W):
        return {"w": lam * W, "sign": lam * np.sign(W), "none": 0.0, "loss": loss_pen * W}[grad_term]

    def grads():
        H = np.tanh(p["W1"] @ X + p["b1"])
        dZ2 = (out(H) - Y) / (m if mean else 1)
        dZ1 = (p["W2"].T @ dZ2) * (1 - H ** 2)
        g = {"W1": dZ1 @ X.T + term(p["W1"]), "b1": dZ1.sum(axis=1, keepdims=True),
             "W2": dZ2 @ H.T + term(p["W2"]), "b2": dZ2.sum(axis=1, keepdims=True)}
        if skip:
            g["V"] = dZ2 @ X.T + term(p["V"])
        return g

    return p, loss, grads


# -- a class with a grads method, examples as rows, sigmoid / relu hidden layer, cross-entropy ----


class SoftmaxNet:
    """A one-hidden-layer softmax classifier; ``scale`` multiplies the data term of the gradient
    (1: right, m: summed over the batch, 1/m: divided by m twice)."""

    def __init__(self, m=12, act="sigmoid", scale=1.0, lam=0.0, loss_lam=0.0, l1=False, seed=5):
        rng = np.random.default_rng(seed)
        self.X = rng.normal(size=(m, 3))
        self.y = rng.integers(0, 3, size=m)
        self.W1, self.b1 = rng.normal(size=(3, 5)), rng.normal(size=5) * 0.1
        self.W2, self.b2 = rng.normal(size=(5, 3)), rng.normal(size=3) * 0.1
        self.act, self.scale, self.lam, self.loss_lam, self.l1 = act, scale, lam, loss_lam, l1

    @property
    def params(self):
        return {"W1": self.W1, "b1": self.b1, "W2": self.W2, "b2": self.b2}

    def _hidden(self):
        Z = self.X @ self.W1 + self.b1
        return Z, (1 / (1 + np.exp(-Z)) if self.act == "sigmoid" else np.maximum(Z, 0))

    def loss(self):
        _, H = self._hidden()
        S = H @ self.W2 + self.b2
        S = S - S.max(axis=1, keepdims=True)
        logp = S - np.log(np.exp(S).sum(axis=1, keepdims=True))
        pen = 0.5 * self.loss_lam * (np.sum(self.W1 ** 2) + np.sum(self.W2 ** 2))
        return float(-logp[np.arange(len(self.y)), self.y].mean() + pen)

    def grads(self):
        Z, H = self._hidden()
        S = H @ self.W2 + self.b2
        P = np.exp(S - S.max(axis=1, keepdims=True))
        P /= P.sum(axis=1, keepdims=True)
        P[np.arange(len(self.y)), self.y] -= 1
        dS = self.scale * P / len(self.y)
        dZ = (dS @ self.W2.T) * (H * (1 - H) if self.act == "sigmoid" else (Z > 0))
        term = np.sign if self.l1 else (lambda W: W)
        return {"W1": self.X.T @ dZ + self.lam * term(self.W1), "b1": dZ.sum(axis=0),
                "W2": H.T @ dS + self.lam * term(self.W2), "b2": dS.sum(axis=0)}


def _check_class(**kw):
    net = SoftmaxNet(**kw)
    return gradcheck.check(net.params, net.loss, net.grads)


def _kinds(report):
    return {f.kind: f for f in report.findings}


def _assert_two(report, factor_kind, factor, penalty_kind, weights, everything):
    found = _kinds(report)
    assert set(found) == {factor_kind, penalty_kind}, [(f.kind, f.params) for f in report.findings]
    f, pen = found[factor_kind], found[penalty_kind]
    assert sorted(f.params) == sorted(everything)
    assert f.evidence["factor"] == pytest.approx(factor, rel=1e-6)
    assert sorted(pen.params) == sorted(weights)
    return pen


ALL = ["W1", "b1", "W2", "b2"]


@pytest.mark.parametrize("m,lam", [(7, 0.03), (16, 0.2)])
def test_closure_net_summed_gradient_with_an_l2_term_the_loss_lacks(m, lam):
    """A recognized dense net: both confirmed by recomputing the gradient with the two mistakes."""
    report = gradcheck.check(*_closure_net(m=m, lam=lam, mean=False))
    pen = _assert_two(report, "missing_batch_mean", m, "regularization_wrong", ["W1", "W2"], ALL)
    assert pen.evidence["term"] == pytest.approx(lam, rel=1e-4) and pen.evidence["l2"] == 0
    assert {f.confidence for f in report.findings} == {"confirmed"}


@pytest.mark.parametrize("m,lam", [(6, 0.01), (13, 0.5)])
def test_unrecognized_net_summed_gradient_with_an_l2_term_the_loss_lacks(m, lam):
    """With a shortcut no standard dense net has, nothing is recomputed: the joint fit names both."""
    report = gradcheck.check(*_closure_net(m=m, lam=lam, mean=False, skip=True))
    pen = _assert_two(report, "missing_batch_mean", m, "regularization_wrong", ["W1", "W2", "V"], ALL + ["V"])
    assert pen.evidence["term"] == pytest.approx(lam, rel=1e-4)
    assert pen.evidence["factor"] == pytest.approx(m, rel=1e-6)
    assert f"analytic - {m} * numeric = {lam:.4g} * the parameter" in pen.message


def test_unrecognized_net_summed_gradient_missing_the_loss_penalty():
    report = gradcheck.check(*_closure_net(m=8, mean=False, grad_term="none", loss_pen=0.1, skip=True))
    pen = _assert_two(report, "missing_batch_mean", 8, "regularization_missing", ["W1", "W2", "V"], ALL + ["V"])
    assert pen.evidence["term"] == pytest.approx(-0.8, rel=1e-4)
    assert "lambd = 0.1" in pen.message  # the loss's strength: -c / a


def test_closure_net_summed_gradient_with_an_l1_term_the_loss_lacks():
    report = gradcheck.check(*_closure_net(m=9, lam=0.05, mean=False, grad_term="sign"))
    pen = _assert_two(report, "missing_batch_mean", 9, "l1_penalty_gradient_wrong", ["W1", "W2"], ALL)
    assert pen.evidence["coefficients"]["sign"] == pytest.approx(0.05, rel=1e-4)
    assert pen.evidence["found"] == "sign" and pen.evidence["expected"] == "none"


@pytest.mark.parametrize("act", ["sigmoid", "relu"])
def test_class_net_summed_gradient_missing_the_loss_penalty(act):
    """The loss has 0.1 / 2 * sum(W^2), the gradient sums over 12 examples and leaves the term out:
    analytic = 12 * numeric - 1.2 * W on the weights."""
    report = _check_class(act=act, scale=12, lam=0.0, loss_lam=0.1)
    pen = _assert_two(report, "missing_batch_mean", 12, "regularization_missing", ["W1", "W2"], ALL)
    assert pen.evidence["l2"] == pytest.approx(0.1, rel=1e-4)


def test_class_net_divided_by_m_twice_with_an_extra_l2_term():
    report = _check_class(m=8, scale=1 / 8, lam=0.02)
    pen = _assert_two(report, "extra_batch_mean", 1 / 8, "regularization_wrong", ["W1", "W2"], ALL)
    assert pen.evidence["term"] == pytest.approx(0.02, rel=1e-4)


def test_class_net_sign_flipped_with_an_extra_l1_term():
    report = _check_class(m=10, scale=-1, lam=0.07, l1=True)
    pen = _assert_two(report, "sign_flipped", -1, "l1_penalty_gradient_wrong", ["W1", "W2"], ALL)
    assert pen.evidence["coefficients"]["sign"] == pytest.approx(0.07, rel=1e-4)
    assert "analytic + 1 * numeric = 0.07 * sign(p)" in pen.message


# -- no biases: the factor is fitted with the penalty, over every tensor at once -----------------


def _bias_free(m=11, scale=11.0, lam=0.04, seed=2):
    rng = np.random.default_rng(seed)
    X, y = rng.normal(size=(m, 4)), rng.integers(0, 2, size=m).astype(float)
    p = {"W1": rng.normal(size=(4, 3)), "W2": rng.normal(size=(3, 1))}

    def loss():
        a = 1 / (1 + np.exp(-(np.tanh(X @ p["W1"]) @ p["W2"])))
        return float(-np.mean(y[:, None] * np.log(a) + (1 - y[:, None]) * np.log(1 - a)))

    def grads():
        H = np.tanh(X @ p["W1"])
        d = scale * (1 / (1 + np.exp(-(H @ p["W2"]))) - y[:, None]) / m
        return {"W1": X.T @ ((d @ p["W2"].T) * (1 - H ** 2)) + lam * p["W1"], "W2": H.T @ d + lam * p["W2"]}

    return p, loss, grads


def test_bias_free_net_gets_its_factor_from_the_joint_fit():
    report = gradcheck.check(*_bias_free())
    pen = _assert_two(report, "missing_batch_mean", 11, "regularization_wrong", ["W1", "W2"], ["W1", "W2"])
    assert pen.evidence["term"] == pytest.approx(0.04, rel=1e-4)


def test_a_factor_that_tells_nothing_is_not_fitted_without_a_tensor_to_read_it_off():
    rng = np.random.default_rng(0)
    W, n = rng.normal(size=8), rng.normal(size=8)
    assert joint_factor([10 * n + 0.01 * W], [n], [W], batch=10) == pytest.approx(10)
    assert joint_factor([3.7 * n + 0.01 * W], [n], [W], batch=10) is None
    assert joint_factor([10 * n + 0.01 * W + 0.3 * rng.normal(size=8)], [n], [W], batch=10) is None


# -- one mistake: today's single finding; no mistake: nothing ---------------------------------------


def test_only_the_factor_is_one_finding():
    report = gradcheck.check(*_closure_net(m=7, mean=False, grad_term="none"))
    assert [(f.kind, sorted(f.params)) for f in report.findings] == [("missing_batch_mean", sorted(ALL))]
    report = gradcheck.check(*_closure_net(m=7, mean=False, grad_term="none", skip=True))
    assert [(f.kind, sorted(f.params)) for f in report.findings] == [("missing_batch_mean", sorted(ALL + ["V"]))]
    report = _check_class(scale=12)
    assert [f.kind for f in report.findings] == ["missing_batch_mean"]


def test_only_the_penalty_is_one_finding():
    report = gradcheck.check(*_closure_net(m=7, lam=0.03, mean=True))
    assert [(f.kind, sorted(f.params)) for f in report.findings] == [("regularization_wrong", ["W1", "W2"])]
    report = gradcheck.check(*_closure_net(m=7, lam=0.03, mean=True, skip=True))
    assert [(f.kind, sorted(f.params)) for f in report.findings] == [("regularization_wrong", ["V", "W1", "W2"])]
    report = _check_class(lam=0.05, l1=True)
    assert [f.kind for f in report.findings] == ["l1_penalty_gradient_wrong"]


def test_right_nets_pass():
    assert gradcheck.check(*_closure_net(mean=True, grad_term="none")).ok
    assert gradcheck.check(*_closure_net(mean=True, grad_term="loss", loss_pen=0.2)).ok
    assert gradcheck.check(*_closure_net(mean=True, grad_term="loss", loss_pen=0.2, skip=True)).ok
    assert _check_class(lam=0.1, loss_lam=0.1).ok
    assert gradcheck.check(*_bias_free(scale=1.0, lam=0.0)).ok


# -- a class with a train step, through the command line (examples as rows, relu hidden layer) -----

_TRAIN_STEP = """
import numpy as np

class TwoLayer:
    def __init__(self, seed=1):
        rng = np.random.default_rng(seed)
        self.W1, self.b1 = rng.normal(size=(3, 6)), np.full(6, 0.05)
        self.W2, self.b2 = rng.normal(size=(6, 1)), np.zeros(1)

    def loss(self, X, y):
        H = np.maximum(X @ self.W1 + self.b1, 0)
        return float(0.5 * np.mean((H @ self.W2 + self.b2 - y) ** 2))

    def train(self, X, y, lr=0.1, reg=0.05, epochs=1):
        for _ in range(epochs):
            Z = X @ self.W1 + self.b1
            H = np.maximum(Z, 0)
            d = (H @ self.W2 + self.b2 - y){mean}
            dZ = (d @ self.W2.T) * (Z > 0)
            dW2, dW1 = H.T @ d{term2}, X.T @ dZ{term1}
            self.W2 -= lr * dW2
            self.b2 -= lr * d.sum(axis=0)
            self.W1 -= lr * dW1
            self.b1 -= lr * dZ.sum(axis=0)

rng = np.random.default_rng(4)
X = rng.normal(size=({m}, 3))
y = rng.normal(size=({m}, 1))
net = TwoLayer()
"""


def _train_step(tmp_path, capsys, *, m, mean, penalty):
    from gradcheck.cli import main

    from .jsoncheck import parse_valid

    code = _TRAIN_STEP.format(m=m, mean="" if not mean else " / len(X)", term2=" + reg * self.W2" if penalty else "",
                              term1=" + reg * self.W1" if penalty else "")
    f = tmp_path / "net.py"
    f.write_text(code)
    status = main(["check", f"{f}:net", "--json"])
    return status, parse_valid(capsys.readouterr().out)


def test_train_step_summing_over_the_batch_with_a_penalty_the_loss_lacks(tmp_path, capsys):
    status, doc = _train_step(tmp_path, capsys, m=9, mean=False, penalty=True)
    assert status == 1
    found = {f["kind"]: f for f in doc["findings"]}
    assert set(found) == {"missing_batch_mean", "regularization_wrong"}, doc["findings"]
    assert sorted(found["missing_batch_mean"]["params"]) == ["W1", "W2", "b1", "b2"]
    assert found["missing_batch_mean"]["evidence"]["factor"] == pytest.approx(9, rel=1e-6)
    assert sorted(found["regularization_wrong"]["params"]) == ["W1", "W2"]
    assert found["regularization_wrong"]["evidence"]["term"] == pytest.approx(0.05, rel=1e-3)


@pytest.mark.parametrize("mean,penalty,kinds", [(False, False, {"missing_batch_mean"}),
                                                (True, True, {"regularization_wrong"}), (True, False, set())])
def test_train_step_with_one_mistake_or_none(tmp_path, capsys, mean, penalty, kinds):
    status, doc = _train_step(tmp_path, capsys, m=9, mean=mean, penalty=penalty)
    assert status == (1 if kinds else 0)
    assert {f["kind"] for f in doc.get("findings", [])} == kinds
