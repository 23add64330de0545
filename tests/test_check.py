"""gradcheck.check: verdicts, localization, methods and modes on hand-written nets."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest

import gradcheck
from gradcheck import check
from tests.core_nets import TwoLayerNet


def run(net, **kw):
    return check(net.params, net.loss, net.grads, diagnose=False, **kw)


@pytest.mark.parametrize("act", ["sigmoid", "tanh", "relu"])
@pytest.mark.parametrize("shape", [(3, 4, 5), (2, 5, 1), (4, 4, 7), (1, 1, 1), (6, 2, 3)])
def test_correct_nets_pass(act, shape):
    n_in, n_hidden, m = shape
    net = TwoLayerNet(n_in, n_hidden, m, act=act, seed=sum(shape))
    report = run(net)
    assert report.ok, str(report)
    assert report.first_wrong is None
    assert [p.name for p in report.params] == ["W1", "b1", "W2", "b2"]
    assert all(p.max_rel_error < 1e-6 for p in report.params)


@pytest.mark.parametrize(
    "mistake, wrong",
    [
        ("missing_mean", ["W1", "b1", "W2", "b2"]),
        ("sign", ["W1", "b1", "W2", "b2"]),
        ("sigmoid_at_z", ["W1", "b1"]),
        ("bias_not_summed", ["b1"]),
        ("transposed", ["W1"]),
    ],
)
def test_mistakes_flag_exactly_the_wrong_parameters(mistake, wrong):
    net = TwoLayerNet(4, 4, 5, mistake=mistake, seed=3)
    report = run(net)
    assert not report.ok
    assert report.wrong == wrong
    assert report.first_wrong == wrong[-1]
    for p in report.params:
        assert p.ok == (p.name not in wrong)


def test_missing_mean_is_invisible_at_batch_size_one():
    # a missing 1/m cannot be seen with one example: that is why batch sizes are varied
    assert run(TwoLayerNet(3, 4, 1, mistake="missing_mean")).ok


def test_bias_not_summed_shows_as_wrong_shape():
    report = run(TwoLayerNet(3, 4, 6, mistake="bias_not_summed"))
    b1 = report["b1"]
    assert b1.status == "wrong_shape"
    assert b1.grad_shape == (4, 6) and b1.shape == (4, 1)
    assert not np.isnan(b1.numeric).any()


def test_transposed_non_square_is_wrong_shape_and_square_is_mismatch():
    assert run(TwoLayerNet(3, 4, 5, mistake="transposed"))["W1"].status == "wrong_shape"
    assert run(TwoLayerNet(4, 4, 5, mistake="transposed"))["W1"].status == "mismatch"


def test_worst_element_reported():
    net = TwoLayerNet(3, 4, 5, mistake="sign")
    p = run(net)["W2"]
    assert p.worst_index is not None and len(p.worst_index) == 2
    assert p.analytic_at_worst == pytest.approx(-p.numeric_at_worst, rel=1e-5)


@pytest.mark.parametrize("method", ["central", "richardson"])
def test_methods_agree(method):
    net = TwoLayerNet(3, 4, 5)
    report = run(net, method=method)
    assert report.ok
    assert report.method == method
    exact = net.grads()
    for p in report.params:
        np.testing.assert_allclose(p.numeric, exact[p.name], rtol=1e-6, atol=1e-9)


def test_complex_step_on_a_loss_that_reads_the_dict():
    rng = np.random.default_rng(1)
    X, y = rng.normal(size=(5, 3)), rng.normal(size=(5, 1))
    params = {"W": rng.normal(size=(3, 1)), "b": rng.normal(size=(1,))}

    def loss():
        r = np.tanh(X @ params["W"] + params["b"]) - y
        return (r * r).sum() / 2

    def grads():
        t = np.tanh(X @ params["W"] + params["b"])
        d = (t - y) * (1 - t**2)
        return {"W": X.T @ d, "b": d.sum(0)}

    W_before = params["W"]
    report = check(params, loss, grads, method="complex", diagnose=False)
    assert report.ok, str(report)
    assert params["W"] is W_before
    np.testing.assert_allclose(report["W"].numeric, grads()["W"], rtol=1e-12)


def test_complex_step_refused_when_loss_drops_the_imaginary_part():
    w = np.array([1.0, 2.0])
    with pytest.raises(gradcheck.UnsupportedMethodError, match="real value"):
        check({"w": w}, lambda: float((w**2).sum()), {"w": 2 * w}, method="complex")


def test_sampled_mode_checks_k_elements():
    net = TwoLayerNet(6, 8, 5, mistake="sign")
    report = run(net, mode="sampled", sample=3, seed=7)
    assert report.mode == "sampled"
    assert report["W1"].n_checked == 3
    assert np.isfinite(report["W1"].numeric).sum() == 3
    assert not report.ok and report.first_wrong == "b2"


def test_fast_mode_localizes():
    net = TwoLayerNet(5, 6, 4, mistake="sigmoid_at_z")
    report = run(net, mode="fast")
    assert report.mode == "fast"
    assert report.wrong == ["W1", "b1"]
    assert run(TwoLayerNet(5, 6, 4), mode="fast").ok


def test_same_seed_same_sample():
    a = run(TwoLayerNet(6, 8, 5), mode="sampled", sample=4, seed=11)
    b = run(TwoLayerNet(6, 8, 5), mode="sampled", sample=4, seed=11)
    assert np.array_equal(np.isfinite(a["W1"].numeric), np.isfinite(b["W1"].numeric))


def test_relu_at_a_kink_is_not_a_mismatch():
    # one hidden pre-activation sits exactly at 0 for one example
    rng = np.random.default_rng(0)
    X = rng.normal(size=(2, 4))
    W = rng.normal(size=(3, 2))
    b = rng.normal(size=(3, 1))
    b[0, 0] = -(W[0] @ X[:, 0])  # z[0, 0] is (numerically) zero
    v = rng.normal(size=(1, 3))

    def loss():
        return float((v @ np.maximum(W @ X + b, 0)).sum())

    def grads():
        z = W @ X + b
        dz = v.T * (z > 0)
        return {"W": dz @ X.T, "b": dz.sum(1, keepdims=True)}

    assert abs((W @ X + b)[0, 0]) < 1e-15
    report = check({"W": W, "b": b}, loss, grads, diagnose=False)
    assert report.ok, str(report)
    assert report["b"].n_kinks + report["W"].n_kinks >= 1


def test_kink_detection_does_not_hide_a_real_mistake():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(2, 4))
    W = rng.normal(size=(3, 2))
    b = np.full((3, 1), 5.0)  # every unit active ...
    b[0, 0] = -(W[0] @ X[:, 0])  # ... but one example of unit 0 sits on the kink

    def loss():
        return float(np.maximum(W @ X + b, 0).sum())

    def grads():
        dz = (W @ X + b > 0) * 3.0  # factor 3 everywhere
        return {"W": dz @ X.T, "b": dz.sum(1, keepdims=True)}

    report = check({"W": W, "b": b}, loss, grads, diagnose=False)
    assert report.wrong == ["W", "b"]


def test_float32_passes_with_looser_tolerances_and_warns():
    net = TwoLayerNet(3, 4, 5, dtype=np.float32)
    with pytest.warns(UserWarning, match="float32"):
        report = run(net)
    assert report.ok, str(report)
    assert report.rtol > 1e-4
    assert any("float32" in n for n in report.notes)


def test_float32_mistake_still_caught():
    net = TwoLayerNet(3, 4, 5, dtype=np.float32, mistake="sigmoid_at_z")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report = run(net)
    assert report.wrong == ["W1", "b1"]


def test_upcast_checks_float32_in_float64():
    rng = np.random.default_rng(0)
    params = {"w": rng.normal(size=5).astype(np.float32)}
    w32 = params["w"]
    loss = lambda: float(np.sum(np.sin(params["w"]) ** 2))  # noqa: E731
    grads = lambda: {"w": np.sin(2 * params["w"].astype(np.float64))}  # noqa: E731
    report = check(params, loss, grads, upcast=True, diagnose=False)
    assert report.ok
    assert report.rtol == 1e-5
    assert params["w"] is w32 and params["w"].dtype == np.float32


def test_upcast_refused_when_loss_reads_elsewhere():
    w = np.ones(3, dtype=np.float32)
    with pytest.raises(gradcheck.UnsupportedMethodError, match="reads them"):
        check({"w": w}, lambda: float(w.sum()), {"w": np.ones(3)}, upcast=True)


def test_grads_as_mapping_or_sequence_and_aliases():
    w = np.array([1.0, 2.0])
    assert check({"w": w}, lambda: float(w @ w), {"w": 2 * w}).ok
    assert check({"w": w}, lambda: float(w @ w), lambda: [2 * w]).ok
    assert check({"W1": w}, lambda: float(w @ w), lambda: {"dW1": 2 * w}).ok


def test_report_to_dict_is_json():
    report = run(TwoLayerNet(3, 4, 5, mistake="bias_not_summed"))
    data = json.loads(json.dumps(report.to_dict(), allow_nan=False))
    assert data["ok"] is False and data["first_wrong"] == "b1"
    assert data["schema_version"] == gradcheck.report.SCHEMA_VERSION
    assert [p["name"] for p in data["params"]] == ["W1", "b1", "W2", "b2"]
    assert data["params"][1]["status"] == "wrong_shape"
    assert data["params"][1]["max_rel_error"] is None  # JSON has no infinity: null, and the reason beside it
    assert data["params"][1]["nonfinite"] == {"max_rel_error": "inf"}


def test_loss_that_ignores_the_params_is_noted():
    w = np.array([1.0, 2.0])
    cached = float(w @ w)
    report = check({"w": w}, lambda: cached, {"w": 2 * w}, diagnose=False)
    assert not report.ok
    assert any("did not change" in n for n in report.notes)


def test_progress_callback_reaches_total():
    seen = []
    run(TwoLayerNet(3, 4, 5), progress=lambda done, total: seen.append((done, total)))
    assert seen and seen[-1][0] == seen[-1][1] == 3 * 4 + 4 + 4 + 1


def test_check_accepts_a_problem():
    net = TwoLayerNet(3, 4, 5, mistake="sign")
    problem = gradcheck.Problem(net.params, net.loss, net.grads, data=(net.X, net.y))
    report = check(problem, diagnose=False)
    assert report.first_wrong == "b2"


def test_non_contiguous_parameter():
    base = np.random.default_rng(0).normal(size=(4, 3))
    W = base.T  # a transposed view: not C-contiguous
    x = np.arange(4.0)
    report = check({"W": W}, lambda: float(np.sum((W @ x) ** 2)), lambda: {"W": 2 * np.outer(W @ x, x)}, diagnose=False)
    assert report.ok


def test_first_wrong_follows_layer_numbers_when_params_are_grouped_by_kind():
    net = TwoLayerNet(3, 4, 5, mistake="sigmoid_at_z")
    p = net.params
    grouped = {"W1": p["W1"], "W2": p["W2"], "b1": p["b1"], "b2": p["b2"]}
    report = check(grouped, net.loss, net.grads, diagnose=False)
    assert report.wrong == ["W1", "b1"]
    assert report.first_wrong == "b1"


def test_scalar_gradient_for_a_one_element_parameter_is_accepted():
    b = np.array([[0.5]])
    report = check({"b": b}, lambda: float((b**2).sum()), lambda: {"b": float(2 * b.sum())}, diagnose=False)
    assert report.ok and report["b"].grad_shape == (1, 1)


def test_nan_gradients_are_not_mistaken_for_accumulation():
    w = np.ones(2)
    report = check({"w": w}, lambda: float(w.sum()), lambda: {"w": np.array([np.nan, 1.0])}, diagnose=False)
    assert "gradient_accumulates" not in report.kinds()
    assert report["w"].status == "nonfinite"


def _relu_softmax_net(dtype, mistake=None, seed=5):
    rng = np.random.default_rng(seed)
    W1, b1 = rng.normal(0, 0.5, (6, 20)).astype(dtype), rng.normal(0, 0.1, 20).astype(dtype)
    W2, b2 = rng.normal(0, 0.5, (20, 4)).astype(dtype), np.zeros(4, dtype)
    X, y = rng.normal(size=(50, 6)).astype(dtype), rng.integers(0, 4, 50)

    def forward():
        h = np.maximum(0, X @ W1 + b1)
        s = h @ W2 + b2
        e = np.exp(s - s.max(axis=1, keepdims=True))
        return h, e / e.sum(axis=1, keepdims=True)

    def loss():
        return float(-np.log(forward()[1][np.arange(50), y]).mean())

    def grads():
        h, p = forward()
        ds = p.copy()
        ds[np.arange(50), y] -= 1
        ds /= 1 if mistake == "missing_mean" else 50
        dh = ds @ W2.T
        dh[h <= 0] = 0
        return {"W1": X.T @ dh, "b1": dh.sum(0), "W2": h.T @ ds, "b2": ds.sum(0)}

    return {"W1": W1, "b1": b1, "W2": W2, "b2": b2}, loss, grads


def test_correct_float32_relu_net_with_many_kinks_within_the_step_passes():
    params, loss, grads = _relu_softmax_net(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report = check(params, loss, grads, diagnose=False)
    assert report.ok, str(report)


def test_float32_relu_net_with_a_mistake_still_fails():
    params, loss, grads = _relu_softmax_net(np.float32, mistake="missing_mean")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report = check(params, loss, grads, diagnose=False)
    assert report.wrong == ["W1", "b1", "W2", "b2"]


def test_a_smaller_step_settles_suspects_and_is_counted(monkeypatch):
    params, loss, grads = _relu_softmax_net(np.float32)
    calls = [0]

    def counted():
        calls[0] += 1
        return loss()

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report = check(params, counted, grads, diagnose=False)
    assert report.n_loss_evals == calls[0]
    assert report.n_loss_evals > 2 + 2 * sum(p.size for p in params.values())  # the refinement ran


@pytest.mark.parametrize(
    "p_shape, g_shape, accepted",
    [((1, 5), (5,), True), ((1, 1), (), True), ((1, 1), (1,), True), ((5, 1), (5,), False), ((5,), (1, 5), False)],
)
def test_gradient_shapes_that_an_update_would_broadcast_element_for_element(p_shape, g_shape, accepted):
    b = np.linspace(0.1, 0.5, int(np.prod(p_shape))).reshape(p_shape)
    report = check({"b": b}, lambda: float((b**2).sum()), lambda: {"b": (2 * b).reshape(g_shape)}, diagnose=False)
    assert report.ok == accepted
    assert (report["b"].status == "wrong_shape") == (not accepted)
