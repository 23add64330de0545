"""The user's arrays keep their bits, and bad input gets a clear error that names what is wrong."""

from __future__ import annotations

import numpy as np
import pytest

import gradcheck
from gradcheck import check
from tests.core_nets import TwoLayerNet


def bits(params):
    return {k: v.tobytes() for k, v in params.items()}


class Boom(Exception):
    pass


def failing_after(loss, n, exc):
    calls = [0]

    def wrapped():
        calls[0] += 1
        if calls[0] > n:
            raise exc
        return loss()

    return wrapped


@pytest.mark.parametrize("method", ["central", "richardson"])
@pytest.mark.parametrize("n", [3, 10, 27])
@pytest.mark.parametrize("exc", [Boom("user code failed"), KeyboardInterrupt()])
def test_restored_bit_exactly_when_the_loss_raises(method, n, exc):
    net = TwoLayerNet(3, 4, 5, seed=n)
    net.W1[0, 0] = -0.0  # a negative zero must come back as a negative zero
    net.W1[0, 1] = 1e-300
    before = bits(net.params)
    with pytest.raises(type(exc)):
        check(net.params, failing_after(net.loss, n, exc), net.grads, method=method)
    assert bits(net.params) == before


def test_restored_when_grads_raise():
    net = TwoLayerNet()
    before = bits(net.params)

    def grads():
        raise Boom("in backward")

    with pytest.raises(Boom):
        check(net.params, net.loss, grads)
    assert bits(net.params) == before


def test_restored_after_a_normal_check():
    net = TwoLayerNet(5, 5, 3, act="relu", mistake="transposed")
    before = bits(net.params)
    for method in ("central", "richardson"):
        for mode in ("full", "sampled", "fast"):
            check(net.params, net.loss, net.grads, method=method, mode=mode)
            assert bits(net.params) == before


def test_restored_when_complex_step_fails_midway():
    params = {"w": np.linspace(-1, 1, 7)}
    before = bits(params)
    w_obj = params["w"]
    calls = [0]

    def loss():
        calls[0] += 1
        if calls[0] > 5:
            raise KeyboardInterrupt
        return np.sum(params["w"] ** 2)

    with pytest.raises(KeyboardInterrupt):
        check(params, loss, lambda: {"w": 2 * params["w"]}, method="complex")
    assert params["w"] is w_obj
    assert bits(params) == before


# -- bad input ----------------------------------------------------------------------


def test_integer_array():
    with pytest.raises(gradcheck.InvalidParameterError, match=r"'W'.*int") as e:
        check({"W": np.arange(4).reshape(2, 2)}, lambda: 0.0, {"W": np.zeros((2, 2))})
    assert isinstance(e.value, TypeError)


def test_read_only_array():
    w = np.ones(3)
    w.flags.writeable = False
    with pytest.raises(gradcheck.InvalidParameterError, match="'w' is read-only"):
        check({"w": w}, lambda: 0.0, {"w": np.zeros(3)})


def test_zero_size_array():
    with pytest.raises(gradcheck.InvalidParameterError, match="'b' is empty"):
        check({"b": np.zeros((0,))}, lambda: 0.0, {"b": np.zeros(0)})


def test_not_an_array():
    with pytest.raises(gradcheck.InvalidParameterError, match="'w' is a list"):
        check({"w": [1.0, 2.0]}, lambda: 0.0, {"w": [0.0, 0.0]})


def test_empty_params_and_not_a_mapping():
    with pytest.raises(gradcheck.InvalidParameterError, match="empty"):
        check({}, lambda: 0.0, {})
    with pytest.raises(gradcheck.InvalidParameterError, match="mapping"):
        check([np.ones(2)], lambda: 0.0, {})


def test_nonfinite_parameter():
    w = np.array([1.0, np.nan])
    with pytest.raises(gradcheck.InvalidParameterError, match=r"'w'.*\(1,\)"):
        check({"w": w}, lambda: 0.0, {"w": np.zeros(2)})


def test_non_scalar_loss():
    w = np.ones((2, 3))
    with pytest.raises(gradcheck.LossError, match=r"shape \(3,\).*one scalar"):
        check({"w": w}, lambda: w.sum(axis=0), {"w": np.ones((2, 3))})


def test_one_by_one_array_loss_is_accepted():
    w = np.array([[1.0, 2.0]])
    assert check({"w": w}, lambda: w @ w.T, lambda: {"w": 2 * w}).ok


def test_nan_loss_at_start():
    w = np.ones(2)
    with pytest.raises(gradcheck.LossError, match="starting parameters") as e, np.errstate(divide="ignore"):
        check({"w": w}, lambda: float(np.log(w - 1).sum()), {"w": np.ones(2)})
    assert isinstance(e.value, ValueError)


def test_nan_loss_after_perturbation_names_the_element():
    w = np.array([0.5, 0.0, 0.3])

    def loss():
        return float(np.sqrt(w[1]) + w[0] + w[2])  # sqrt of a negative number at w[1] - h

    with pytest.raises(gradcheck.LossError, match=r"element \(1,\) of parameter 'w'"):
        with np.errstate(invalid="ignore"):
            check({"w": w}, loss, {"w": np.ones(3)})
    assert w.tolist() == [0.5, 0.0, 0.3]


def test_missing_gradient_name():
    net = TwoLayerNet()
    g = net.grads()
    del g["b2"]
    with pytest.raises(gradcheck.GradientSpecError, match=r"\['b2'\]") as e:
        check(net.params, net.loss, g)
    assert isinstance(e.value, KeyError)
    assert "['b2']" in str(e.value)


def test_extra_gradient_name():
    net = TwoLayerNet()
    g = dict(net.grads(), dX=np.zeros(3))
    with pytest.raises(gradcheck.GradientSpecError, match=r"\['dX'\].*not parameters"):
        check(net.params, net.loss, g)


def test_none_gradient():
    w = np.ones(2)
    with pytest.raises(gradcheck.GradientSpecError, match="'w' is None"):
        check({"w": w}, lambda: float(w.sum()), {"w": None})


def test_grads_not_a_mapping():
    w = np.ones(2)
    with pytest.raises(gradcheck.GradientSpecError, match="mapping"):
        check({"w": w}, lambda: float(w.sum()), lambda: 3.0)


def test_wrong_shape_gradient_is_a_finding_not_a_crash():
    w = np.ones((2, 3))
    report = check({"w": w}, lambda: float(w.sum()), {"w": np.ones((3, 2))}, diagnose=False)
    assert report["w"].status == "wrong_shape"
    assert not report.ok and report.first_wrong == "w"


def test_nan_in_analytic_gradient():
    w = np.ones(3)
    report = check({"w": w}, lambda: float(w.sum()), {"w": np.array([1.0, np.nan, 1.0])}, diagnose=False)
    assert report["w"].status == "nonfinite"
    assert not report.ok


def test_nondeterministic_loss():
    w = np.ones(3)
    rng = np.random.default_rng(0)
    with pytest.raises(gradcheck.NondeterministicLossError, match="same parameters") as e:
        check({"w": w}, lambda: float((w * (rng.random(3) > 0.5)).sum()), {"w": np.ones(3)})
    assert e.value.kind == "nondeterministic_loss"


def test_loss_that_updates_the_parameters():
    w = np.ones(3)
    before = w.tobytes()

    def loss():
        w[...] -= 0.1  # a training step hidden in the loss
        return float(w.sum())

    with pytest.raises(gradcheck.InvalidParameterError, match="loss\\(\\) changed parameter 'w'"):
        check({"w": w}, loss, {"w": np.ones(3)})
    assert w.tobytes() == before


def test_grads_that_update_the_parameters_are_named():
    w, b = np.ones(3), np.zeros(2)
    before = bits({"w": w, "b": b})

    def grads():
        g = {"w": 2 * w, "b": np.zeros(2)}
        b[...] -= 0.5 * g["b"] + 0.1  # the training step hidden in the backward pass
        return g

    with pytest.raises(gradcheck.InvalidParameterError, match="grads\\(\\) changed parameter 'b'"):
        check({"w": w, "b": b}, lambda: float(w @ w + b.sum()), grads)
    assert bits({"w": w, "b": b}) == before


def test_a_write_that_does_not_repeat_is_still_reported():
    w = np.ones(2)
    calls = [0]

    def loss():
        calls[0] += 1
        if calls[0] == 1:
            w[0] = -0.0 if w[0] == 0 else w[0] * 1.5  # only on the very first call
        return float(w @ w)

    with pytest.raises(gradcheck.InvalidParameterError, match="loss\\(\\) or grads\\(\\) changed parameter 'w'"):
        check({"w": w}, loss, lambda: {"w": 2 * w})
    assert w.tolist() == [1.0, 1.0]


def test_accumulating_gradients_are_a_finding():
    w = np.array([1.0, -2.0])
    buf = {"w": np.zeros(2)}

    def grads():
        buf["w"] += 2 * w  # never reset
        return buf

    report = check({"w": w}, lambda: float(w @ w), grads, diagnose=False)
    assert "gradient_accumulates" in report.kinds()
    assert report.findings[0].params == ["w"]
    assert not report.ok


def test_bad_method_and_mode():
    w = np.ones(2)
    with pytest.raises(ValueError, match="method"):
        check({"w": w}, lambda: 0.0, {"w": w}, method="forward")
    with pytest.raises(ValueError, match="mode"):
        check({"w": w}, lambda: 0.0, {"w": w}, mode="quick")
    with pytest.raises(ValueError, match="sample"):
        check({"w": w}, lambda: 0.0, {"w": w}, sample=0)


def test_loss_not_callable():
    with pytest.raises(TypeError, match="loss must be"):
        check({"w": np.ones(2)}, 3.0, {"w": np.ones(2)})


def test_loss_and_grads_that_take_arguments_get_a_clear_error():
    params = {"w": np.ones(3)}

    def loss_fn(params, X, y):
        return float(params["w"].sum())

    with pytest.raises(TypeError, match=r"loss must be callable with no arguments.*\(params, X, y\)"):
        check(params, loss_fn, {"w": np.ones(3)})
    with pytest.raises(TypeError, match=r"grads must be callable with no arguments"):
        check(params, lambda: 0.0, lambda params: {"w": np.ones(3)})
    # optional arguments are fine
    assert check(params, lambda scale=1.0: float(params["w"].sum()) * scale, {"w": np.ones(3)}).ok


def test_grads_that_differ_only_by_round_off_between_calls_do_not_accumulate():
    w = np.array([0.3, -1.2, 2.0])
    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, 3))

    def grads():  # sums the examples in a new order each call: the last bits move
        order = rng.permutation(len(X))
        return {"w": sum(2 * X[i] * (X[i] @ w) for i in order) / len(X)}

    report = check({"w": w}, lambda: float(np.mean((X @ w) ** 2)), grads)
    assert report.ok and "gradient_accumulates" not in report.kinds()
