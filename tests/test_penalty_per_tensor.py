"""A penalty whose gradient term has one coefficient per tensor: analytic - numeric = c_k * W_k with
c_k differing between the weights, because the loss's penalty is not lambd / 2 * sum(W^2) with the
gradient's strength (a plain norm, or another strength per layer). Named ``regularization_wrong`` on
the weights, on nets of two shapes; a net with per-layer strengths written alike in the loss and the
gradient passes."""

from __future__ import annotations

import numpy as np

import gradcheck

# -- a net of plain functions: tanh layers, an MSE loss, weights in a list ---------------------


def _forward(Ws, bs, X):
    acts = [X]
    for i, (W, b) in enumerate(zip(Ws, bs)):
        z = acts[-1] @ W + b
        acts.append(z if i == len(Ws) - 1 else np.tanh(z))
    return acts


def _penalty(Ws, lambd, form):
    if form == "norm":
        return lambd * sum(np.linalg.norm(W) for W in Ws)
    return sum(0.5 * lam * np.sum(W ** 2) for W, lam in zip(Ws, lambd))


def _backward(Ws, bs, X, Y, grad_lambd):
    acts = _forward(Ws, bs, X)
    m = X.shape[0]
    delta = (acts[-1] - Y) / m
    dWs, dbs = [None] * len(Ws), [None] * len(Ws)
    for i in reversed(range(len(Ws))):
        dWs[i] = acts[i].T @ delta + grad_lambd[i] * Ws[i]
        dbs[i] = delta.sum(axis=0)
        if i:
            delta = (delta @ Ws[i].T) * (1 - acts[i] ** 2)
    return dWs, dbs


def _functions_net(seed, *, loss_lambd, grad_lambd, form="squared"):
    rng = np.random.default_rng(seed)
    sizes = [4, 5, 3, 2]
    Ws = [rng.normal(size=(a, b)) * rng.uniform(0.3, 1.5) for a, b in zip(sizes[:-1], sizes[1:])]
    bs = [rng.normal(size=b) for b in sizes[1:]]
    X, Y = rng.normal(size=(6, 4)), rng.normal(size=(6, 2))
    params = {f"W{i + 1}": W for i, W in enumerate(Ws)} | {f"b{i + 1}": b for i, b in enumerate(bs)}

    def loss():
        out = _forward(Ws, bs, X)[-1]
        return float(0.5 * np.sum((out - Y) ** 2) / X.shape[0] + _penalty(Ws, loss_lambd, form))

    def grads():
        dWs, dbs = _backward(Ws, bs, X, Y, grad_lambd)
        return {f"W{i + 1}": d for i, d in enumerate(dWs)} | {f"b{i + 1}": d for i, d in enumerate(dbs)}

    return params, loss, grads


def _per_tensor(report):
    return [(f.kind, f.params, f.evidence.get("form")) for f in report.findings]


def test_a_norm_penalty_against_an_l2_gradient_term_on_a_functions_net():
    params, loss, grads = _functions_net(0, loss_lambd=0.2, grad_lambd=[0.2] * 3, form="norm")
    report = gradcheck.check(params, loss, grads)
    assert not report.ok and sorted(report.wrong) == ["W1", "W2", "W3"]
    assert _per_tensor(report) == [("regularization_wrong", ["W1", "W2", "W3"], "per_tensor")]
    finding = report.findings[0]
    coefs = finding.evidence["coefficients"]
    norms = {n: float(np.linalg.norm(params[n])) for n in coefs}
    for n, c in coefs.items():  # c_k = 0.2 - 0.2 / ||W_k||: the gradient's term against the norm's
        assert abs(c - (0.2 - 0.2 / norms[n])) <= 1e-5
    assert "the norm, not its square" in finding.message and "0.2 - 0.2 / ||W||" in finding.message
    assert "np.linalg.norm(W)" in finding.fix


def test_another_strength_per_layer_in_the_loss_on_a_functions_net():
    params, loss, grads = _functions_net(1, loss_lambd=[0.1, 0.2, 0.4], grad_lambd=[0.3] * 3)
    report = gradcheck.check(params, loss, grads)
    assert _per_tensor(report) == [("regularization_wrong", ["W1", "W2", "W3"], "per_tensor")]
    coefs = report.findings[0].evidence["coefficients"]
    assert all(abs(coefs[n] - c) <= 1e-5 for n, c in zip(["W1", "W2", "W3"], [0.2, 0.1, -0.1]))
    assert "differs per tensor" in report.findings[0].message


def test_per_layer_strengths_written_alike_in_loss_and_gradient_pass():
    lambd = [0.1, 0.2, 0.4]
    params, loss, grads = _functions_net(2, loss_lambd=lambd, grad_lambd=lambd)
    report = gradcheck.check(params, loss, grads)
    assert report.ok and not report.wrong and report.findings == []


# -- a cs231n-style net: a model dict, one function returning (loss, grads) -------------------


def _two_layer_net(X, model, y, reg, grad_reg):
    W1, b1, W2, b2 = model["W1"], model["b1"], model["W2"], model["b2"]
    h = np.maximum(0, X.dot(W1) + b1)
    scores = h.dot(W2) + b2
    scores = scores - scores.max(axis=1, keepdims=True)
    probs = np.exp(scores) / np.exp(scores).sum(axis=1, keepdims=True)
    N = X.shape[0]
    loss = -np.log(probs[np.arange(N), y]).mean()
    loss += reg * (np.linalg.norm(W1) + np.linalg.norm(W2))  # the norm, where L2 wants its square
    dscores = probs.copy()
    dscores[np.arange(N), y] -= 1
    dscores /= N
    grads = {"W2": h.T.dot(dscores) + grad_reg * W2, "b2": dscores.sum(axis=0)}
    dh = dscores.dot(W2.T) * (h > 0)
    grads["W1"] = X.T.dot(dh) + grad_reg * W1
    grads["b1"] = dh.sum(axis=0)
    return loss, grads


def test_a_norm_penalty_on_a_cs231n_style_dict_net():
    rng = np.random.default_rng(3)
    model = {"W1": rng.normal(size=(5, 8)) * 0.5, "b1": rng.normal(size=8) * 0.1,
             "W2": rng.normal(size=(8, 3)) * 0.9, "b2": rng.normal(size=3) * 0.1}
    X, y = rng.normal(size=(7, 5)), rng.integers(0, 3, size=7)
    report = gradcheck.check(model, lambda: _two_layer_net(X, model, y, 0.05, 0.1)[0],
                             lambda: _two_layer_net(X, model, y, 0.05, 0.1)[1])
    assert sorted(report.wrong) == ["W1", "W2"]
    assert _per_tensor(report) == [("regularization_wrong", ["W1", "W2"], "per_tensor")]
    coefs = report.findings[0].evidence["coefficients"]
    for n, c in coefs.items():
        assert abs(c - (0.1 - 0.05 / np.linalg.norm(model[n]))) <= 1e-5


def test_one_coefficient_shared_by_every_tensor_stays_the_shared_form():
    params, loss, grads = _functions_net(4, loss_lambd=[0.1] * 3, grad_lambd=[0.3] * 3)
    report = gradcheck.check(params, loss, grads)
    [(kind, names, form)] = _per_tensor(report)
    assert (kind, names) == ("regularization_wrong", ["W1", "W2", "W3"]) and form != "per_tensor"
