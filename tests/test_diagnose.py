"""gradcheck.diagnosis: every catalogued mistake injected into gradcheck.nn nets is named, on the right parameters."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import gradcheck
from gradcheck.diagnosis import diagnose
from gradcheck.diagnosis.mistakes import backward, mistakes
from gradcheck.diagnosis.mistakes.derivative import OtherLayerDerivative
from gradcheck.diagnosis.mistakes.weight_input import WeightGradientInput
from gradcheck.diagnosis.model.arch import Arch
from gradcheck.diagnosis.model.infer import infer_arch
from gradcheck.layers import structure
from gradcheck.nn import MLP
from gradcheck.problem import Problem


def user_grads(net: MLP, arch: Arch, X, y, mk=None) -> dict[str, np.ndarray]:
    """The gradient under mistake ``mk``, in the net's own layout and shapes."""
    Xr = arch.x_rows(X)
    Y = arch.y_rows(y, Xr.shape[0], net.widths[-1])
    out = {}
    for (w, b), (dW, db) in zip(arch.layers, backward(arch, net.params, Xr, Y, mk)):
        out[w] = (dW.T if net.layout == "cols" else dW).copy()
        out[b] = db.reshape(net.params[b].shape).copy()
    return out


def run(net, X, y, grads, *, data=True, hint=None):
    return gradcheck.check(net.params, lambda: net.loss(X, y), grads, data=(X, y) if data else None, hint=hint)


def finding(report, kind):
    found = [f for f in report.findings if f.kind == kind]
    assert found, f"no {kind} finding; got {report.kinds()}\n{report}"
    return found[0]


NETS = [
    ([2, 5, 5, 1], "sigmoid", "bce", "cols", 8),
    ([3, 4, 2], "tanh", "mse", "rows", 1),
    ([4, 4, 4, 3], "relu", "softmax_ce", "rows", 6),
    ([3, 5, 2], "leaky_relu", "mse", "cols", 5),
    ([2, 3, 3, 1], "tanh", "bce", "rows", 7),
]


@pytest.mark.parametrize("widths,act,loss,layout,m", NETS)
def test_every_injectable_mistake_is_named(widths, act, loss, layout, m):
    net = MLP(widths, activations=act, loss=loss, layout=layout, seed=1)
    X, y = net.random_data(m, seed=2)
    arch = infer_arch(net.params, lambda: net.loss(X, y), (X, y))
    assert arch is not None and arch.layout == layout and arch.loss == loss
    ref = user_grads(net, arch, X, y)
    tried = 0
    seen: list[np.ndarray] = []
    for mk in mistakes(arch, net.params):
        grads = user_grads(net, arch, X, y, mk)
        changed = [n for n in grads if not np.allclose(grads[n], ref[n], rtol=1e-6, atol=1e-12)]
        if not changed:  # e.g. relu' applied twice equals relu' once
            continue
        flat_g = np.concatenate([grads[n].ravel() for n in grads])
        flat_r = np.concatenate([ref[n].ravel() for n in grads])
        c = flat_g @ flat_r / (flat_r @ flat_r)
        if np.allclose(flat_g, c * flat_r, rtol=1e-9, atol=1e-12):
            continue  # a constant multiple of the true gradient: a factor, by the numbers alone
        if any(np.allclose(flat_g, other, rtol=1e-9, atol=1e-12) for other in seen):
            continue  # the same numbers as a mistake listed before it (e.g. a relu mask where every z > 0)
        seen.append(flat_g)
        tried += 1
        report = run(net, X, y, grads)
        assert not report.ok
        f = report.findings[0]
        assert f.kind == mk.kind, f"{mk.detail}: got {report.kinds()}"
        assert report.first_wrong in f.params
        assert f.confidence == "confirmed"
    assert tried >= 3


@pytest.mark.parametrize("layout", ["rows", "cols"])
@pytest.mark.parametrize("m", [1, 6])
def test_seed_style_derivative_at_z(layout, m):
    net = MLP([2, 5, 5, 1], activations="sigmoid", loss="bce", layout=layout, seed=4)
    X, y = net.random_data(m, seed=5)
    arch = infer_arch(net.params, lambda: net.loss(X, y), (X, y))
    mk = next(k for k in mistakes(arch, net.params) if k.kind == "activation_derivative_wrong_input" and k.layers == (2,))
    report = run(net, X, y, user_grads(net, arch, X, y, mk))
    f = finding(report, "activation_derivative_wrong_input")
    assert report.first_wrong == "b2" and "b2" in f.params and "W3" not in f.params
    assert f.layer == 2
    assert "layer 3" in report.localization and "b2" in report.localization


def test_missing_batch_mean_with_data_and_without():
    net = MLP([3, 4, 1], activations="tanh", loss="bce", layout="cols", seed=0)
    X, y = net.random_data(8)
    grads = {k: 8 * v for k, v in net.gradients(X, y).items()}
    f = finding(run(net, X, y, grads), "missing_batch_mean")
    assert f.params == ["W1", "b1", "W2", "b2"] and "8 examples" in f.message
    found = run(net, X, y, grads, data=False)  # the loss's closure holds X, y: found and confirmed
    assert found.data_source == "X (3, 8), y (1, 8) from loss's closure"
    assert finding(found, "missing_batch_mean").params == ["W1", "b1", "W2", "b2"]
    store = [X, y]  # data where no name says what it is: not found, so the factor is not confirmed
    without = gradcheck.check(net.params, lambda: net.loss(store[0], store[1]), grads)
    assert "none confirmed" in without.data_source
    f2 = finding(without, "constant_factor")
    assert "batch size" in f2.message and f2.evidence["factor"] == pytest.approx(8)
    assert "missing_batch_mean" not in without.kinds()


def test_batch_size_from_hint():
    net = MLP([3, 4, 1], activations="tanh", loss="bce", layout="rows", seed=0)
    X, y = net.random_data(5)
    grads = {k: v / 5 for k, v in net.gradients(X, y).items()}
    report = run(net, X, y, grads, data=False, hint={"batch_size": 5})
    assert finding(report, "extra_batch_mean").params == ["W1", "b1", "W2", "b2"]


@pytest.mark.parametrize("data", [True, False])
def test_sign_and_factor_on_one_parameter(data):
    net = MLP([3, 4, 2], activations="sigmoid", loss="mse", layout="rows", seed=3)
    X, y = net.random_data(4)
    grads = net.gradients(X, y)
    grads["W2"] = -grads["W2"]
    grads["b1"] = 2 * grads["b1"]
    report = run(net, X, y, grads, data=data)
    assert finding(report, "sign_flipped").params == ["W2"]
    f = finding(report, "constant_factor")
    assert f.params == ["b1"] and f.evidence["factor"] == pytest.approx(2)
    assert report.first_wrong == "W2"


@pytest.mark.parametrize("layout", ["rows", "cols"])
def test_bias_not_summed(layout):
    net = MLP([2, 5, 5, 1], activations="sigmoid", loss="bce", layout=layout, seed=0)
    m = 6
    X, y = net.random_data(m)
    arch = infer_arch(net.params, lambda: net.loss(X, y), (X, y))
    Xr = arch.x_rows(X)
    grads = net.gradients(X, y)
    # per-example deltas of the output layer, not summed
    zs_a = net._forward_rows(Xr)[1]
    dz = (zs_a[-1] - arch.y_rows(y, m, 1)) / m
    grads["b3"] = dz.T if layout == "cols" else dz
    report = run(net, X, y, grads)
    f = finding(report, "bias_not_summed")
    assert f.params == ["b3"] and f.confidence == "confirmed"
    assert report.first_wrong == "b3"
    assert [x.kind for x in report.findings] == ["bias_not_summed"]


def test_seed_mistakes_together():
    """Not divided by m and biases not summed, as in the seed question."""
    net = MLP([2, 5, 5, 1], activations="sigmoid", loss="bce", layout="cols", seed=0)
    m = 4
    X, y = net.random_data(m, seed=1)
    arch = infer_arch(net.params, lambda: net.loss(X, y), (X, y))
    Xr, Y = arch.x_rows(X), arch.y_rows(y, m, 1)
    zs, acts = net._forward_rows(Xr)
    grads = {}
    dz = acts[-1] - Y
    for i in (3, 2, 1):
        grads[f"W{i}"] = (acts[i - 1].T @ dz).T
        grads[f"b{i}"] = dz.T.copy()  # per example, no 1/m
        if i > 1:
            W = net.params[f"W{i}"].T
            dz = (dz @ W.T) * acts[i - 1] * (1 - acts[i - 1])
    report = run(net, X, y, grads)
    kinds = report.kinds()
    assert "missing_batch_mean" in kinds and "bias_not_summed" in kinds
    assert set(finding(report, "missing_batch_mean").params) >= {"W1", "W2", "W3"}
    assert {p for f in report.findings if f.kind == "bias_not_summed" for p in f.params} == {"b1", "b2", "b3"}


@pytest.mark.parametrize("square", [True, False])
def test_transposed(square):
    widths = [3, 4, 4, 2] if square else [3, 4, 5, 2]
    net = MLP(widths, activations="tanh", loss="mse", layout="rows", seed=2)
    X, y = net.random_data(5)
    grads = net.gradients(X, y)
    grads["W2"] = grads["W2"].T.copy()
    report = run(net, X, y, grads)
    f = finding(report, "transposed")
    assert f.params == ["W2"] and report.first_wrong == "W2"


def test_zero_gradient_and_unstable():
    net = MLP([3, 4, 1], activations="sigmoid", loss="bce", layout="cols", seed=2)
    X, y = net.random_data(5)
    grads = net.gradients(X, y)
    grads["W1"] = np.zeros_like(grads["W1"])
    grads["b2"] = grads["b2"] * np.nan
    report = run(net, X, y, grads)
    assert finding(report, "zero_gradient").params == ["W1"]
    assert finding(report, "numerically_unstable").params == ["b2"]


@pytest.mark.parametrize("layout", ["rows", "cols"])
def test_regularization_missing_and_wrong(layout):
    net = MLP([3, 4, 4, 2], activations="tanh", loss="mse", l2=0.2, layout=layout, seed=1)
    X, y = net.random_data(6)
    grads = net.gradients(X, y)
    grads["W2"] = grads["W2"] - 0.2 * net.params["W2"]  # penalty left out
    grads["W3"] = grads["W3"] + 0.2 * net.params["W3"]  # 2 * lambda * W
    report = run(net, X, y, grads)
    assert finding(report, "regularization_missing").params == ["W2"]
    wrong = finding(report, "regularization_wrong")
    assert wrong.params == ["W3"] and wrong.evidence["term"] == pytest.approx(0.4)


def test_regularization_missing_everywhere_lambda_over_m():
    net = MLP([3, 5, 1], activations="relu", loss="bce", l2=0.5 / 7, layout="cols", seed=1)
    X, y = net.random_data(7)
    grads = net.gradients(X, y)
    for k in ("W1", "W2"):
        grads[k] = grads[k] - net.l2 * net.params[k]
    f = finding(run(net, X, y, grads), "regularization_missing")
    assert f.params == ["W1", "W2"]


def test_gradient_accumulates_is_reported():
    net = MLP([3, 4, 1], activations="sigmoid", loss="bce", seed=1)
    X, y = net.random_data(5)
    acc = {k: np.zeros_like(v) for k, v in net.params.items()}

    def grads():
        for k, v in net.gradients(X, y).items():
            acc[k] += v
        return acc

    report = run(net, X, y, grads)
    assert "gradient_accumulates" in report.kinds()


def test_hint_given_is_said():
    net = MLP([3, 3, 3, 1], activations="tanh", loss="bce", layout="rows", seed=1)
    X, y = net.random_data(5)
    arch = infer_arch(net.params, lambda: net.loss(X, y), (X, y))
    mk = next(k for k in mistakes(arch, net.params) if k.kind == "weights_not_transposed")
    grads = user_grads(net, arch, X, y, mk)
    given = run(net, X, y, grads, hint=net.hint)
    f = finding(given, "weights_not_transposed")
    assert "given as a hint" in f.message and f.params == ["W1", "b1"]
    inferred = finding(run(net, X, y, grads), "weights_not_transposed")
    assert "inferred" in inferred.message


def test_unknown_is_still_localized():
    net = MLP([3, 4, 4, 1], activations="sigmoid", loss="bce", layout="rows", seed=1)
    X, y = net.random_data(5)
    grads = net.gradients(X, y)
    rng = np.random.default_rng(0)
    grads["W2"] = grads["W2"] + rng.normal(size=grads["W2"].shape)
    report = run(net, X, y, grads)
    f = finding(report, "unknown")
    assert f.params == ["W2"] and "W2" in report.localization


def test_diagnosis_never_raises():
    report = gradcheck.check({"w": np.ones(3)}, lambda: 0.0, {"w": np.ones(3)}, diagnose=False)
    bad = Problem(params={"w": np.ones(3)}, loss=lambda: 1 / 0, grads={"w": np.ones(3)}, data=("x", None), hint=42)
    diagnose(report, bad)
    assert report.kinds() in ([], ["unknown"])
    assert all(f.kind in ("unknown",) for f in report.findings)


def test_structure_pairs_layers():
    p = {"b0": np.ones(4), "b1": np.ones(1), "w0": np.ones((4, 3)), "w1": np.ones((1, 4))}
    assert structure(p) == [("w0", "b0"), ("w1", "b1")]
    assert structure({"W": np.ones((3, 4)), "V": np.ones((4, 2))}) == [("W", None), ("V", None)]
    assert structure({"k": np.ones((2, 2, 2))}) is None


@settings(deadline=None)
@given(
    widths=st.lists(st.integers(1, 5), min_size=2, max_size=4),
    m=st.integers(1, 6),
    seed=st.integers(0, 10_000),
    act=st.sampled_from(["sigmoid", "tanh", "relu", "leaky_relu"]),
    loss=st.sampled_from(["bce", "mse"]),
    layout=st.sampled_from(["rows", "cols"]),
)
def test_correct_nets_get_no_finding(widths, m, seed, act, loss, layout):
    net = MLP(widths, activations=act, loss=loss, layout=layout, seed=seed)
    X, y = net.random_data(m, seed=seed + 1)
    report = run(net, X, y, lambda: net.gradients(X, y))
    assert report.ok and report.findings == [] and report.localization == ""


@pytest.mark.parametrize("layers", ["one", "all"])
def test_weights_already_updated(layers):
    net = MLP([3, 4, 4, 2], activations="tanh", loss="mse", layout="cols", seed=6)
    X, y = net.random_data(5)
    arch = infer_arch(net.params, lambda: net.loss(X, y), (X, y))
    from dataclasses import replace

    from gradcheck.diagnosis.mistakes import updated_weights

    mk = [k for k in updated_weights(arch)][0 if layers == "one" else -1]
    grads = user_grads(net, arch, X, y, replace(mk, lr=0.5))
    report = run(net, X, y, grads)
    f = finding(report, "wrong_weights_in_backprop")
    assert report.first_wrong == "b2" and "b2" in f.params and "0.5" in f.message


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("layout", ["rows", "cols"])
def test_float32_net(layout):
    net = MLP([3, 4, 4, 2], activations="tanh", loss="mse", layout=layout, seed=1, dtype=np.float32)
    X, y = net.random_data(5)
    assert run(net, X, y, lambda: net.gradients(X, y)).findings == []
    arch = infer_arch(net.params, lambda: net.loss(X, y), (X, y))
    mk = next(k for k in mistakes(arch, net.params) if k.kind == "missing_upstream_gradient")
    grads = {k: v.astype(np.float32) for k, v in user_grads(net, arch, X, y, mk).items()}
    report = run(net, X, y, grads)
    f = finding(report, "missing_upstream_gradient")
    assert report.first_wrong == "b2" and "b2" in f.params


def test_nielsen_pairs_as_data():
    net = MLP([3, 4, 2], activations="sigmoid", loss="mse", layout="cols", seed=0)
    X, y = net.random_data(4)
    pairs = [(X[:, i : i + 1], y[:, i : i + 1]) for i in range(4)]
    grads = {k: 4 * v for k, v in net.gradients(X, y).items()}
    report = gradcheck.check(net.params, lambda: net.loss(X, y), grads, data=pairs)
    assert finding(report, "missing_batch_mean").params == ["W1", "b1", "W2", "b2"]


@pytest.mark.parametrize("bug,first", [("no_scale", "b2"), ("no_mask", "b1")])
def test_dropout_backward_wrong_with_a_mask_hint(bug, first):
    from tests.corpus.dlai_style import dropout_net

    built = dropout_net(bug)()
    report = gradcheck.check(built["params"], built["loss"], built["grads"], data=built["data"], hint=built["hint"])
    f = finding(report, "dropout_backward_wrong")
    assert report.first_wrong == first and first in f.params
    correct = dropout_net()()
    assert gradcheck.check(correct["params"], correct["loss"], correct["grads"], data=correct["data"],
                           hint=correct["hint"]).findings == []


def _sig(z):
    return 1 / (1 + np.exp(-z))


def test_logistic_regression_with_a_weight_vector():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(6, 3)), (rng.random(6) > 0.5).astype(float)
    w, b = rng.normal(size=3), np.array(0.1)

    def loss():
        a = _sig(X @ w + b)
        return float(-np.mean(y * np.log(a) + (1 - y) * np.log(1 - a)))

    def grads():
        a = _sig(X @ w + b)
        dz = (a - y) * a * (1 - a)  # sigmoid' on top of a - y
        return {"w": X.T @ dz / 6, "b": np.array(dz.mean())}

    report = gradcheck.check({"w": w, "b": b}, loss, grads, data=(X, y))
    f = finding(report, "extra_activation_derivative")
    assert f.params == ["w", "b"] and report.first_wrong == "b"


def test_names_without_numbers_and_row_biases():
    rng = np.random.default_rng(1)
    X, y = rng.normal(size=(5, 3)), rng.normal(size=(5, 2))
    P = {"hidden_w": rng.normal(size=(3, 4)), "hidden_b": rng.normal(size=(1, 4)),
         "out_w": rng.normal(size=(4, 2)), "out_b": rng.normal(size=(1, 2))}

    def fwd():
        h = _sig(X @ P["hidden_w"] + P["hidden_b"])
        return h, h @ P["out_w"] + P["out_b"]

    def loss():
        return float(np.mean((fwd()[1] - y) ** 2))

    def grads():
        h, out = fwd()
        d = 2 * (out - y) / y.size
        dh = d @ P["out_w"].T * h  # forgot (1 - h)
        return {"hidden_w": X.T @ dh, "hidden_b": dh.sum(0, keepdims=True), "out_w": h.T @ d, "out_b": d.sum(0, keepdims=True)}

    report = gradcheck.check(P, loss, grads, data=(X, y))
    f = finding(report, "wrong_activation_derivative")
    assert f.params == ["hidden_w", "hidden_b"] and report.first_wrong == "hidden_b"
    assert "layer 2 (out_w, out_b)" in report.localization


def test_net_without_biases():
    rng = np.random.default_rng(2)
    X, y = rng.normal(size=(4, 3)), (rng.random((4, 1)) > 0.5).astype(float)
    P = {"W1": rng.normal(size=(3, 5)), "W2": rng.normal(size=(5, 1))}

    def loss():
        a = _sig(np.maximum(X @ P["W1"], 0) @ P["W2"])
        return float(-np.mean(y * np.log(a) + (1 - y) * np.log(1 - a)))

    def grads():
        z = X @ P["W1"]
        h = np.maximum(z, 0)
        dz = (_sig(h @ P["W2"]) - y) / 4
        return {"W1": X.T @ (dz @ P["W2"].T), "W2": h.T @ dz}  # relu' left out

    report = gradcheck.check(P, loss, grads, data=(X, y))
    assert finding(report, "missing_activation_derivative").params == ["W1"]


def test_weights_out_by_in_with_examples_as_rows():
    """The PyTorch convention: W is (n_out, n_in), X is (m, n_in), z = X @ W.T + b."""
    rng = np.random.default_rng(3)
    X, labels = rng.normal(size=(7, 4)), rng.integers(0, 3, size=7)
    P = {"fc1.weight": rng.normal(size=(5, 4)) * 0.5, "fc1.bias": np.zeros(5),
         "fc2.weight": rng.normal(size=(3, 5)) * 0.5, "fc2.bias": np.zeros(3)}

    def fwd():
        h = np.tanh(X @ P["fc1.weight"].T + P["fc1.bias"])
        s = h @ P["fc2.weight"].T + P["fc2.bias"]
        p = np.exp(s - s.max(1, keepdims=True))
        return h, p / p.sum(1, keepdims=True)

    def loss():
        return float(-np.log(fwd()[1][np.arange(7), labels]).mean())

    def grads():
        h, p = fwd()
        d = p.copy()
        d[np.arange(7), labels] -= 1
        d /= 7
        dh = d @ P["fc2.weight"] * (1 - X @ P["fc1.weight"].T ** 2)  # tanh' at z, badly: (1 - z^2) misparenthesized
        return {"fc1.weight": dh.T @ X, "fc1.bias": dh.sum(0), "fc2.weight": d.T @ h, "fc2.bias": d.sum(0)}

    report = gradcheck.check(P, loss, grads, data=(X, labels))
    assert report.first_wrong == "fc1.bias"
    assert report.findings[0].params == ["fc1.weight", "fc1.bias"]

    def grads_z():
        h, p = fwd()
        d = p.copy()
        d[np.arange(7), labels] -= 1
        d /= 7
        z = X @ P["fc1.weight"].T + P["fc1.bias"]
        dh = d @ P["fc2.weight"] * (1 - z**2)
        return {"fc1.weight": dh.T @ X, "fc1.bias": dh.sum(0), "fc2.weight": d.T @ h, "fc2.bias": d.sum(0)}

    report = gradcheck.check(P, loss, grads_z, data=(X, labels))
    f = finding(report, "activation_derivative_wrong_input")
    assert f.params == ["fc1.weight", "fc1.bias"] and "W as (n_out, n_in)" in f.message


def test_two_mistakes_the_upper_one_is_named():
    net = MLP([3, 4, 4, 1], activations="sigmoid", loss="bce", layout="cols", seed=1)
    X, y = net.random_data(6)
    arch = infer_arch(net.params, lambda: net.loss(X, y), (X, y))
    mk = next(k for k in mistakes(arch, net.params) if k.kind == "extra_activation_derivative" and k.layers == (3,))
    grads = user_grads(net, arch, X, y, mk)
    grads["W1"] = grads["W1"] * 3  # a second, unrelated mistake lower down
    report = run(net, X, y, grads)
    first = report.findings[0]
    assert first.kind == "extra_activation_derivative" and "b3" in first.params and "W1" not in first.params
    second = finding(report, "constant_factor")
    assert second.params == ["W1"] and second.evidence["factor"] == pytest.approx(3)


@settings(deadline=None)
@given(
    widths=st.lists(st.integers(1, 5), min_size=3, max_size=4),
    m=st.integers(1, 6),
    seed=st.integers(0, 10_000),
    act=st.sampled_from(["sigmoid", "tanh", "relu", "leaky_relu"]),
    loss=st.sampled_from(["bce", "mse", "softmax_ce"]),
    layout=st.sampled_from(["rows", "cols"]),
    pick=st.integers(0, 10_000),
)
def test_any_injected_mistake_is_named(widths, m, seed, act, loss, layout, pick):
    if loss == "softmax_ce" and widths[-1] < 2:
        widths = [*widths[:-1], 2]
    net = MLP(widths, activations=act, loss=loss, layout=layout, seed=seed)
    X, y = net.random_data(m, seed=seed + 1)
    arch = infer_arch(net.params, lambda: net.loss(X, y), (X, y), hint=net.hint)
    ref = user_grads(net, arch, X, y)
    options = []
    for mk in mistakes(arch, net.params):
        g = user_grads(net, arch, X, y, mk)
        # only mistakes that change the gradient clearly (not e.g. a relu mask that is wrong only at 0)
        if all(np.isfinite(v).all() for v in g.values()) and any(
            not np.allclose(g[n], ref[n], rtol=1e-4, atol=1e-8) for n in g
        ):
            options.append((mk, g))
    if not options:
        return
    mk, grads = options[pick % len(options)]
    report = run(net, X, y, grads, hint=net.hint)
    if report.ok:  # the change hides below the check's tolerance
        return
    named = report.findings[0]
    assert report.first_wrong in named.params
    if named.kind != mk.kind:
        # acceptable when the mistake scales every gradient by one constant (e.g. a wrong output
        # delta with one example and one output unit), or another mistake gives the same numbers
        c = named.evidence.get("factor")
        if c is not None and all(np.allclose(grads[n], c * ref[n], rtol=1e-6, atol=1e-12) for n in grads):
            return
        same = [
            other for other, g in options
            if other.kind == named.kind and all(np.allclose(g[n], grads[n], rtol=1e-6, atol=1e-12) for n in g)
        ]
        assert same, f"{mk.detail}: named {named.kind}"


def test_hint_names_are_forgiving_and_a_bad_hint_is_noted():
    net = MLP([3, 4, 1], activations="relu", loss="bce", layout="cols", seed=2)
    X, y = net.random_data(5)
    arch = infer_arch(net.params, lambda: net.loss(X, y), (X, y))
    mk = next(k for k in mistakes(arch, net.params) if k.kind == "missing_activation_derivative" and k.layers == (1,))
    grads = user_grads(net, arch, X, y, mk)
    hint = {"activations": ["ReLU", "Sigmoid"], "loss": "binary_cross_entropy", "layout": "columns"}
    f = finding(run(net, X, y, grads, hint=hint), "missing_activation_derivative")
    assert f.params == ["W1", "b1"] and "given as a hint" in f.message
    report = run(net, X, y, grads, hint="relu net")
    assert any("hint was ignored" in n for n in report.notes)
    assert finding(report, "missing_activation_derivative").params == ["W1", "b1"]


@pytest.mark.parametrize("layout", ["rows", "cols"])
def test_biases_regularized_in_the_gradient_only(layout):
    net = MLP([3, 4, 1], activations="tanh", loss="bce", l2=0.3, layout=layout, seed=5)
    X, y = net.random_data(6)
    grads = net.gradients(X, y)
    for b in ("b1", "b2"):
        grads[b] = grads[b] + 0.3 * net.params[b]
    f = finding(run(net, X, y, grads), "regularization_wrong")
    assert f.params == ["b1", "b2"] and "weights only" in f.message


@pytest.mark.parametrize("act,layout", [("relu", "rows"), ("sigmoid", "cols"), ("tanh", "rows")])
def test_derivative_taken_from_another_layer_of_the_same_width(act, layout):
    net = MLP([3, 5, 5, 1], activations=act, loss="bce", layout=layout, seed=4)
    X, y = net.random_data(8)
    arch = infer_arch(net.params, lambda: net.loss(X, y), (X, y))
    mk = next(k for k in mistakes(arch, net.params) if isinstance(k, OtherLayerDerivative) and k.layers == (1,) and k.other == 2)
    grads = user_grads(net, arch, X, y, mk)
    report = run(net, X, y, grads)
    assert report.wrong == ["W1", "b1"] and report.first_wrong == "b1"
    f = finding(report, "activation_derivative_wrong_input")
    assert f.params == ["W1", "b1"] and "from layer 2's" in f.message


def test_upstream_delta_dropped_together_with_its_one_over_m():
    from tests.corpus.functions_style import regression

    built = regression("forgot_upstream", hidden=(5,))()  # delta = 1 - h**2, the 2/m came with dpred
    report = gradcheck.check(built["params"], built["loss"], built["grads"], data=built["data"])
    assert report.first_wrong == "b1"
    f = finding(report, "missing_upstream_gradient")
    assert f.params == ["W1", "b1"]


@pytest.mark.parametrize("layout", ["rows", "cols"])
def test_weight_gradient_formed_with_the_layers_own_output(layout):
    net = MLP([3, 4, 4, 1], activations="tanh", loss="bce", layout=layout, seed=6)
    X, y = net.random_data(7)
    arch = infer_arch(net.params, lambda: net.loss(X, y), (X, y))
    mk = next(k for k in mistakes(arch, net.params) if isinstance(k, WeightGradientInput) and k.layers == (2,) and k.other == 2)
    grads = user_grads(net, arch, X, y, mk)
    report = run(net, X, y, grads)
    assert report.wrong == ["W2"]
    f = finding(report, "weight_gradient_wrong_input")
    assert f.params == ["W2"] and "layer 2's own output" in f.message


def test_an_l2_term_on_the_biases_missing_from_the_gradient_is_named_without_the_architecture():
    net = MLP([3, 4, 2], activations="tanh", loss="mse", layout="rows", seed=7)
    X, y = net.random_data(6)
    lam = 0.3
    for b in ("b1", "b2"):
        net.params[b][...] = np.random.default_rng(1).normal(size=net.params[b].shape)

    def loss():  # L2 on every parameter, biases included: not a standard dense net's penalty
        return net.loss(X, y) + lam / 2 * sum(float((p ** 2).sum()) for p in net.params.values())

    def grads():  # the weights get their term, the biases do not
        g = net.gradients(X, y)
        return {k: v + lam * net.params[k] if k.startswith("W") else v for k, v in g.items()}

    report = gradcheck.check(net.params, loss, grads, data=(X, y))
    assert report.wrong == ["b1", "b2"] and report.first_wrong == "b2"
    f = finding(report, "regularization_missing")
    assert f.params == ["b1", "b2"] and f"{-lam:.4g} * the parameter" in f.message
