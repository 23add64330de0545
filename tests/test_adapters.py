"""Adapters: each convention turned into a Problem, verdicts on correct and buggy nets,
what was recognized, bit-exact restoration, and the errors for what nothing recognizes."""

from __future__ import annotations

import numpy as np
import pytest

import gradcheck
from gradcheck.adapters import CONVENTIONS, as_problem, from_layer, from_train_step, recognize
from gradcheck.errors import AdapterError


def _bits(arrays):
    return [a.tobytes() for a in arrays]


# -- a Problem and a mapping ----------------------------------------------------------------


def test_problem_passes_through_and_says_so():
    w = np.array([1.0, 2.0])
    p = gradcheck.Problem(params={"w": w}, loss=lambda: float(w @ w), grads=lambda: {"w": 2 * w})
    assert as_problem(p) is p
    assert p.meta["recognized"] == "a gradcheck.Problem"


def test_mapping_with_zero_argument_loss_and_grads():
    w = np.array([1.0, 2.0])
    p = as_problem({"params": {"w": w}, "loss": lambda: float(w @ w), "grads": lambda: {"w": 3 * w}, "data": (1, 2)})
    assert p.data == (1, 2)
    assert gradcheck.check(p).first_wrong == "w"


def test_tuple_brings_its_data():
    net = _Cs231n()
    X, y = _rows_data()
    p = as_problem((net, X, y))
    assert p.data[0] is X and p.meta["convention"] == "cs231n"
    assert as_problem((net, (X, y))).data[1] is y


# -- plain functions --------------------------------------------------------------------------


def _functions(bug=False):
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(5, 3)), rng.normal(size=(5, 1))
    params = {"W": rng.normal(size=(3, 1)), "b": np.zeros(1)}

    def loss_fn(params, X, y):
        return float(np.mean((X @ params["W"] + params["b"] - y) ** 2))

    def grad_fn(params, X, y):
        r = X @ params["W"] + params["b"] - y
        scale = 2.0 if not bug else 1.0
        return {"dW": scale * X.T @ r / len(X), "db": scale * r.sum(0) / len(X)}

    return {"params": params, "loss_fn": loss_fn, "grad_fn": grad_fn, "X": X, "y": y}


def test_functions_correct_and_buggy():
    ok = as_problem(_functions())
    assert ok.meta["convention"] == "functions"
    assert "loss_fn(params, X, y)" in ok.meta["recognized"] and "data from X, y" in ok.meta["recognized"]
    assert gradcheck.check(ok).ok
    report = gradcheck.check(as_problem(_functions(bug=True)))
    assert report.wrong == ["W", "b"] and report.first_wrong == "b"


def test_functions_loss_returning_loss_and_grads():
    ns = _functions()
    full = ns.pop("grad_fn")
    loss_only = ns["loss_fn"]
    ns["loss_fn"] = lambda params, X, y: (loss_only(params, X, y), full(params, X, y))
    p = as_problem(ns)
    assert "returning (loss, grads)" in p.meta["recognized"]
    assert gradcheck.check(p).ok


# -- cs231n -------------------------------------------------------------------------------------


class _Cs231n:
    def __init__(self, bug=None):
        rng = np.random.RandomState(0)
        self.params = {"W1": rng.randn(4, 5) * 0.5, "b1": 0.1 * rng.randn(5), "W2": rng.randn(5, 3) * 0.5, "b2": np.zeros(3)}
        self.bug = bug

    def loss(self, X, y=None, reg=0.0):
        p = self.params
        h = np.maximum(0, X @ p["W1"] + p["b1"])
        s = h @ p["W2"] + p["b2"]
        if y is None:
            return s
        e = np.exp(s - s.max(1, keepdims=True))
        probs = e / e.sum(1, keepdims=True)
        N = len(X)
        loss = -np.log(probs[np.arange(N), y]).mean()
        d = probs.copy()
        d[np.arange(N), y] -= 1
        if self.bug != "no_divide":
            d /= N
        dh = d @ p["W2"].T
        dh[h <= 0] = 0
        return loss, {"dW1": X.T @ dh, "db1": dh.sum(0), "dW2": h.T @ d, "db2": d.sum(0)}


def _rows_data():
    rng = np.random.RandomState(1)
    return rng.randn(6, 4), rng.randint(0, 3, size=6)


def test_cs231n_dW_names_and_verdicts():
    X, y = _rows_data()
    p = as_problem(_Cs231n(), data=(X, y))
    assert p.meta["recognized"].startswith("cs231n style: _Cs231n.params [W1, b1, W2, b2]")
    assert gradcheck.check(p).ok
    report = gradcheck.check(as_problem(_Cs231n("no_divide"), data=(X, y)))
    assert report.first_wrong == "b2"
    assert "missing_batch_mean" in report.kinds()


def test_cs231n_loss_returning_a_float_is_explained():
    class Net(_Cs231n):
        def loss(self, X, y=None):
            return 1.0

    X, y = _rows_data()
    with pytest.raises(AdapterError, match=r"returned a float.*\(loss, grads\)"):
        gradcheck.check(as_problem(Net(), data=(X, y)))


# -- Nielsen -------------------------------------------------------------------------------------


def _sig(z):
    return 1 / (1 + np.exp(-z))


class _Nielsen:
    def __init__(self, sizes=(3, 4, 2), bug=None, summed=False):
        rng = np.random.RandomState(0)
        self.biases = [rng.randn(n, 1) for n in sizes[1:]]
        self.weights = [rng.randn(n, k) for k, n in zip(sizes[:-1], sizes[1:])]
        self.bug, self.summed = bug, summed

    def feedforward(self, a):
        for b, w in zip(self.biases, self.weights):
            a = _sig(w @ a + b)
        return a

    def update_mini_batch(self, mini_batch, eta):
        nb = [np.zeros(b.shape) for b in self.biases]
        nw = [np.zeros(w.shape) for w in self.weights]
        for x, y in mini_batch:
            db, dw = self.backprop(x, y)
            nb = [a + d for a, d in zip(nb, db)]
            nw = [a + d for a, d in zip(nw, dw)]
        k = eta if self.summed else eta / len(mini_batch)
        self.weights = [w - k * d for w, d in zip(self.weights, nw)]
        self.biases = [b - k * d for b, d in zip(self.biases, nb)]

    def backprop(self, x, y):
        acts, zs, a = [x], [], x
        for b, w in zip(self.biases, self.weights):
            zs.append(w @ a + b)
            a = _sig(zs[-1])
            acts.append(a)
        delta = (acts[-1] - y) * _sig(zs[-1]) * (1 - _sig(zs[-1]))
        if self.bug == "sign":
            delta = -delta
        nb, nw = [None, delta], [None, delta @ acts[-2].T]
        delta = (self.weights[1].T @ delta) * _sig(zs[0]) * (1 - _sig(zs[0]))
        nb[0], nw[0] = delta, delta @ acts[0].T
        return nb, nw


def _nielsen_data(n=4):
    rng = np.random.RandomState(3)
    return [(rng.randn(3, 1), rng.rand(2, 1)) for _ in range(n)]


@pytest.mark.parametrize("summed", [False, True])
def test_nielsen_follows_the_update_reduction(summed):
    net = _Nielsen(summed=summed)
    before = _bits(net.weights + net.biases)
    lists = (net.weights, net.biases)
    p = as_problem(net, data=_nielsen_data())
    assert ("summed" if summed else "averaged") in p.meta["recognized"]
    assert list(p.params) == ["weights[0]", "biases[0]", "weights[1]", "biases[1]"]
    assert gradcheck.check(p).ok
    # update_mini_batch rebinds the lists: the net got its own lists and bits back
    assert (net.weights, net.biases) == lists and net.weights is lists[0]
    assert _bits(net.weights + net.biases) == before


def test_nielsen_sign_bug_and_rows_data():
    net = _Nielsen(bug="sign")
    X = np.stack([x.ravel() for x, _ in _nielsen_data()])
    Y = np.stack([y.ravel() for _, y in _nielsen_data()])
    report = gradcheck.check(as_problem(net, data=(X, Y)))
    assert report.first_wrong == "biases[1]"
    assert "sign_flipped" in report.kinds()


# -- deeplearning.ai -------------------------------------------------------------------------------


def _dlai(bug=False):
    rng = np.random.RandomState(2)
    parameters = {"W1": rng.randn(4, 3) * 0.5, "b1": np.zeros((4, 1)), "W2": rng.randn(1, 4) * 0.5, "b2": np.zeros((1, 1))}

    def forward_propagation(X, parameters):
        Z1 = parameters["W1"] @ X + parameters["b1"]
        A1 = np.tanh(Z1)
        A2 = _sig(parameters["W2"] @ A1 + parameters["b2"])
        return A2, {"A1": A1, "A2": A2}

    def compute_cost(A2, Y):
        m = Y.shape[1]
        return float(-np.sum(Y * np.log(A2) + (1 - Y) * np.log(1 - A2)) / m)

    def backward_propagation(parameters, cache, X, Y):
        m = X.shape[1]
        dZ2 = cache["A2"] - Y
        dW2 = dZ2 @ cache["A1"].T / m
        db2 = dZ2.sum(1, keepdims=True) / m
        dZ1 = (parameters["W2"].T @ dZ2) * (1 - cache["A1"] ** 2 if not bug else 1 - cache["A1"])
        return {"dW1": dZ1 @ X.T / m, "db1": dZ1.sum(1, keepdims=True) / m, "dW2": dW2, "db2": db2, "dZ1": dZ1}

    X = rng.randn(3, 5)
    Y = (rng.rand(1, 5) > 0.5).astype(float)
    return {"parameters": parameters, "forward_propagation": forward_propagation, "compute_cost": compute_cost,
            "backward_propagation": backward_propagation, "X": X, "Y": Y}


def test_dlai_extra_grads_dropped_and_verdicts():
    p = as_problem(_dlai())
    assert p.meta["convention"] == "dlai" and "data from X, Y" in p.meta["recognized"]
    assert gradcheck.check(p).ok
    report = gradcheck.check(as_problem(_dlai(bug=True)))
    assert report.wrong == ["W1", "b1"] and report.first_wrong == "b1"


def test_dlai_without_cost_function_says_what_is_missing():
    ns = _dlai()
    del ns["compute_cost"]
    with pytest.raises(AdapterError, match="no cost function"):
        as_problem(ns)


def _dlai_l2(backward_has_l2: bool, plain_backward_too: bool = False):
    """The course's regularization exercise: a plain cost and one with L2, a backward pass taking lambd."""
    ns = _dlai()
    plain_backward = ns.pop("backward_propagation")

    def compute_cost_with_regularization(A2, Y, parameters, lambd):
        m = Y.shape[1]
        l2 = lambd / (2 * m) * sum(np.sum(parameters[w] ** 2) for w in ("W1", "W2"))
        return ns["compute_cost"](A2, Y) + l2

    def backward_propagation_with_regularization(X, Y, cache, lambd):
        grads = plain_backward(ns["parameters"], cache, X, Y)
        m = X.shape[1]
        for w in ("W1", "W2"):
            grads["d" + w] = grads["d" + w] + (lambd / m * ns["parameters"][w] if backward_has_l2 else 0)
        return grads

    ns.update(lambd=0.7, compute_cost_with_regularization=compute_cost_with_regularization,
              backward_propagation_with_regularization=backward_propagation_with_regularization)
    if plain_backward_too:
        ns["backward_propagation"] = plain_backward
    return ns


def test_dlai_regularized_backward_is_checked_against_the_regularized_cost():
    p = as_problem(_dlai_l2(backward_has_l2=True))
    assert "compute_cost_with_regularization(AL, Y)" in p.meta["recognized"]
    assert gradcheck.check(p).ok  # checked against the plain cost, its L2 term would be a false alarm
    report = gradcheck.check(as_problem(_dlai_l2(backward_has_l2=False)))
    assert report.wrong == ["W1", "W2"] and "regularization_missing" in report.kinds()
    assert report.findings[0].params == ["W1", "W2"]


def test_dlai_plain_pair_stays_together_and_the_other_is_mentioned():
    p = as_problem(_dlai_l2(backward_has_l2=False, plain_backward_too=True))
    assert "compute_cost(AL, Y), backward_propagation() -> grads" in p.meta["recognized"]
    assert "also defines backward_propagation_with_regularization()" in p.meta["recognized"]
    assert gradcheck.check(p).ok


def test_dlai_the_backward_pass_pointed_at_is_checked():
    ns = _dlai_l2(backward_has_l2=False, plain_backward_too=True)
    p = as_problem(ns, prefer="backward_propagation_with_regularization")
    assert "compute_cost_with_regularization(AL, Y), backward_propagation_with_regularization()" in p.meta["recognized"]
    report = gradcheck.check(p)
    assert "regularization_missing" in report.kinds() and report.findings[0].params == ["W1", "W2"]


# -- layers ---------------------------------------------------------------------------------------


class _Dense:
    def __init__(self, bug=None):
        rng = np.random.default_rng(0)
        self.W = rng.normal(size=(4, 3))
        self.b = np.zeros(3)
        self.bug = bug

    def forward(self, x):
        self.x = x
        return x @ self.W + self.b

    def backward(self, dout):
        self.dW = self.x.T @ dout
        self.db = dout.sum(0) if self.bug != "bias" else dout
        return dout @ self.W.T if self.bug != "input" else dout @ self.W.T * 2


def test_single_layer_checks_its_input_like_a_parameter():
    p = from_layer(_Dense(), x=np.ones((2, 4)))
    assert list(p.params) == ["input", "W", "b"]
    assert gradcheck.check(p).ok
    report = gradcheck.check(from_layer(_Dense("input"), x=np.ones((2, 4))))
    assert report.wrong == ["input"]


def test_layer_input_shape_guessed_from_the_weights():
    layer = _Dense("bias")
    report = gradcheck.check(as_problem(layer))
    assert report["input"].shape == (4, 4) and report.wrong == ["b"]


class _SelfUpdating:
    """A layer whose backward(dout, learning_rate) updates its own weights."""

    def __init__(self):
        self.weights = np.random.default_rng(1).normal(size=(3, 2))

    def forward(self, x):
        self.x = x
        return x @ self.weights

    def backward(self, output_gradient, learning_rate):
        dx = output_gradient @ self.weights.T
        self.weights = self.weights - learning_rate * self.x.T @ output_gradient
        return dx


def test_layer_whose_backward_updates_is_put_back():
    layer = _SelfUpdating()
    w = layer.weights
    before = w.tobytes()
    p = as_problem(layer, data=np.ones((2, 3)))
    assert "backward updates the weights" in p.meta["recognized"]
    assert gradcheck.check(p).ok
    assert layer.weights is w and w.tobytes() == before


def test_layers_list_checked_as_a_stack():
    class Seq:
        def __init__(self):
            self.layers = [_Dense(), _Dense()]
            self.layers[1].W = np.random.default_rng(2).normal(size=(3, 3))
            self.layers[1].b = np.zeros(3)

    p = as_problem(Seq(), data=np.ones((2, 4)))
    assert list(p.params) == ["input", "layers[0].W", "layers[0].b", "layers[1].W", "layers[1].b"]
    assert gradcheck.check(p).ok


class _Relu:
    def forward(self, x):
        self.mask = x > 0
        return x * self.mask

    def backward(self, dout):
        return dout * self.mask


class _SoftmaxLoss:
    def __init__(self, bug):
        self.bug = bug

    def forward(self, scores, y):
        e = np.exp(scores - scores.max(axis=1, keepdims=True))
        self.p, self.y = e / e.sum(axis=1, keepdims=True), y
        return float(-np.log(self.p[np.arange(len(y)), y]).mean())

    def backward(self):
        d = self.p.copy()
        if self.bug != "no_minus_one":
            d[np.arange(len(self.y)), self.y] -= 1
        return d / len(self.y)


class _Model:
    """Dense - ReLU - Dense layers and a softmax loss layer: model.loss(x, y), then model.backward()."""

    def __init__(self, bug=None):
        rng = np.random.default_rng(5)
        self.layers = [_Dense(), _Relu(), _Dense()]
        self.layers[0].W, self.layers[0].b = rng.normal(size=(4, 5)), rng.normal(size=5) * 0.1
        self.layers[2].W, self.layers[2].b = rng.normal(size=(5, 3)), np.zeros(3)
        self.loss_layer = _SoftmaxLoss(bug)

    def loss(self, x, y):
        for layer in self.layers:
            x = layer.forward(x)
        return self.loss_layer.forward(x, y)

    def backward(self):
        d = self.loss_layer.backward()
        for layer in reversed(self.layers):
            d = layer.backward(d)
        return d


def _model_data():
    rng = np.random.default_rng(6)
    return rng.normal(size=(9, 4)), rng.integers(0, 3, size=9)


def test_layers_model_with_its_own_loss_layer_is_checked_through_it():
    p = as_problem(_Model(), data=_model_data())
    assert "with the model's own loss: _Model.loss(X, y), then backward()" in p.meta["recognized"]
    assert list(p.params) == ["layers[0].W", "layers[0].b", "layers[2].W", "layers[2].b"]
    assert gradcheck.check(p).ok
    # a mistake in the loss layer's backward: invisible through sum(out * R), named through the loss
    report = gradcheck.check(as_problem(_Model("no_minus_one"), data=_model_data()))
    assert report.first_wrong == "layers[2].b"
    f = next(f for f in report.findings if f.kind == "softmax_backward_wrong")
    assert "layers[2].b" in f.params


def test_layers_model_without_labels_keeps_the_stack_check():
    p = as_problem(_Model(), data=_model_data()[0])
    assert "through sum(out * R)" in p.meta["recognized"] and "input" in p.params


# -- training steps -------------------------------------------------------------------------------


class _Seedish:
    """Columns are examples; the gradient exists only in train(); lr = 1 / epoch."""

    def __init__(self, bug=None, rebind=False):
        rng = np.random.default_rng(0)
        self.W1, self.b1 = rng.normal(size=(3, 2)), rng.normal(size=(3, 1))
        self.W2, self.b2 = rng.normal(size=(1, 3)), rng.normal(size=(1, 1))
        self.bug, self.rebind = bug, rebind
        self.steps = 0

    def sigmoid(self, z):
        return 1 / (1 + np.exp(-z))

    def get_cost_value(self, Y_hat, Y):
        return float(-np.mean(Y * np.log(Y_hat) + (1 - Y) * np.log(1 - Y_hat)))

    def train(self, inputs, labels, epochs):
        for epoch in range(1, epochs + 1):
            a1 = self.sigmoid(self.W1 @ inputs + self.b1)
            a2 = self.sigmoid(self.W2 @ a1 + self.b2)
            m = inputs.shape[1] if self.bug != "no_mean" else 1
            d2 = (a2 - labels) / m
            d1 = (self.W2.T @ d2) * a1 * (1 - a1)
            lr = 1 / epoch
            self.steps += 1
            if self.rebind:
                self.W2 = self.W2 - lr * d2 @ a1.T
            else:
                self.W2 -= lr * d2 @ a1.T
            self.b2 -= lr * d2.sum(1, keepdims=True)
            self.W1 -= lr * d1 @ inputs.T
            self.b1 -= lr * d1.sum(1, keepdims=True)


def _cols_data():
    rng = np.random.default_rng(5)
    X = rng.normal(size=(2, 6))
    return X, (X[0:1] > 0).astype(float)


@pytest.mark.parametrize("rebind", [False, True])
def test_train_step_recovers_the_gradient_and_restores_bits(rebind):
    net = _Seedish(rebind=rebind)
    arrays = [net.W1, net.b1, net.W2, net.b2]
    before = _bits(arrays)
    p = from_train_step(net, data=_cols_data())
    rec = p.meta["recognized"]
    assert "lr = 1 read from the local lr of train()" in rec and "forward pass built by gradcheck" in rec
    assert gradcheck.check(p).ok
    assert [net.W1, net.b1, net.W2, net.b2] == arrays or all(a is b for a, b in zip([net.W1, net.b1, net.W2, net.b2], arrays))
    assert _bits([net.W1, net.b1, net.W2, net.b2]) == before
    assert net.steps == 0  # the step counter was put back too


def test_train_step_that_backpropagates_through_updated_weights_is_checked_and_named():
    p = from_train_step(_ForwardReturnsEveryLayer(bug="updated_first"), data=_cols_data())
    assert any("uses weights it has already updated" in n for n in p.meta["notes"])
    report = gradcheck.check(p)
    assert report.wrong == ["W1", "b1"] and report.first_wrong == "b1"
    f = next(f for f in report.findings if f.kind == "wrong_weights_in_backprop")
    assert f.params == ["W1", "b1"] and "already updated" in f.message


def test_train_step_missing_mean_named():
    report = gradcheck.check(from_train_step(_Seedish("no_mean"), data=_cols_data()))
    assert report.first_wrong == "b2"
    assert "missing_batch_mean" in report.kinds()


class _ForwardReturnsEveryLayer:
    """forward(X) -> (A1, A2): the output is the last; train() flips the sign of layer 1's delta."""

    def __init__(self, bug=False):
        rng = np.random.default_rng(3)
        self.W1, self.b1 = rng.normal(size=(3, 2)), np.zeros((3, 1))
        self.W2, self.b2 = rng.normal(size=(1, 3)), np.zeros((1, 1))
        self.bug = bug

    def forward(self, X):
        A1 = np.tanh(self.W1 @ X + self.b1)
        return A1, 1 / (1 + np.exp(-(self.W2 @ A1 + self.b2)))

    def compute_cost(self, AL, Y):
        return float(-np.mean(Y * np.log(AL) + (1 - Y) * np.log(1 - AL)))

    def train(self, X, Y, epochs=1, learning_rate=0.1):
        for _ in range(epochs):
            A1, A2 = self.forward(X)
            m = X.shape[1]
            dZ2 = (A2 - Y) / m
            if self.bug == "updated_first":  # W2 moves before the delta goes through it
                self.W2 -= learning_rate * dZ2 @ A1.T
            dZ1 = (self.W2.T @ dZ2) * ((A1 ** 2 - 1) if self.bug is True else (1 - A1 ** 2))
            if self.bug != "updated_first":
                self.W2 -= learning_rate * dZ2 @ A1.T
            self.b2 -= learning_rate * dZ2.sum(1, keepdims=True)
            self.W1 -= learning_rate * dZ1 @ X.T
            self.b1 -= learning_rate * dZ1.sum(1, keepdims=True)


def test_train_step_forward_returning_every_layer_is_costed_on_its_output():
    p = from_train_step(_ForwardReturnsEveryLayer(), data=_cols_data())
    assert "compute_cost of forward(X)[1]" in p.meta["recognized"]
    assert gradcheck.check(p).ok
    report = gradcheck.check(from_train_step(_ForwardReturnsEveryLayer(bug=True), data=_cols_data()))
    assert report.wrong == ["W1", "b1"] and report.first_wrong == "b1"
    f = next(f for f in report.findings if f.kind == "sign_flipped")
    assert f.params == ["W1", "b1"] and "the sign flips on the way from layer 2 into layer 1" in f.fix


def test_train_step_wrong_lr_shows_as_a_factor():
    report = gradcheck.check(from_train_step(_Seedish(), data=_cols_data(), lr=0.5))
    assert not report.ok


def test_train_step_restores_on_exception():
    class Boom(_Seedish):
        def train(self, inputs, labels, epochs):
            self.W1 -= 1.0
            raise RuntimeError("diverged")

    net = Boom()
    before = _bits([net.W1])
    p = from_train_step(net, data=_cols_data())
    with pytest.raises(RuntimeError):
        p.grads()
    assert _bits([net.W1]) == before


def test_module_level_train_step_function():
    rng = np.random.default_rng(3)
    X, y = rng.normal(size=(5, 2)), rng.normal(size=(5, 1))
    params = {"W": rng.normal(size=(2, 1))}

    def loss(params, X, y):
        return float(0.5 * np.mean((X @ params["W"] - y) ** 2))

    def train_step(params, X, y, lr):
        params["W"] -= lr * X.T @ (X @ params["W"] - y) / len(X)

    ns = {"params": params, "loss": loss, "train_step": train_step, "X": X, "y": y}
    p = as_problem(ns, convention="train-step")
    assert gradcheck.check(p).ok


# -- recognition, ambiguity, errors ------------------------------------------------------------------


def test_conventions_listed_and_recognize():
    assert set(CONVENTIONS) >= {"problem", "mapping", "functions", "cs231n", "nielsen", "dlai", "layer", "train-step"}
    assert recognize(_Cs231n()) == ["cs231n"]
    assert recognize(_Seedish()) == ["train-step"]


def test_ambiguous_object_is_noted_and_can_be_forced():
    class Both(_Cs231n):
        def train(self, X, y, lr):
            _, g = self.loss(X, y)
            for k in self.params:
                self.params[k] -= lr * g["d" + k]

    X, y = _rows_data()
    p = as_problem(Both(), data=(X, y))
    assert p.meta["convention"] == "cs231n" and "also fits train-step" in p.meta["recognized"]
    forced = as_problem(Both(), data=(X, y), convention="train")
    assert forced.meta["convention"] == "train-step"
    assert gradcheck.check(forced).ok


def test_unrecognized_object_names_expectations_and_close_names():
    class Net:
        def __init__(self):
            self.parms = {"W": np.ones((2, 2))}

        def los(self, X, y):
            return 0.0

    with pytest.raises(AdapterError) as exc:
        as_problem(Net())
    msg = str(exc.value)
    assert "does not recognize a Net object" in msg
    assert "docs/adapters.md" in msg and "cs231n" in msg and "train-step" in msg
    assert "parms" in msg and "los" in msg


def test_wrong_forced_convention_and_unknown_convention():
    with pytest.raises(AdapterError, match="convention 'nielsen': expected weights and biases"):
        as_problem(_Cs231n(), convention="nielsen")
    with pytest.raises(AdapterError, match="did you mean 'nielsen'"):
        as_problem(_Cs231n(), convention="nielson")


def test_a_forced_convention_that_does_not_fit_lists_what_the_object_has():
    with pytest.raises(AdapterError, match=r"found a _Model object with methods backward\(\), loss\(x, y\)") as e:
        as_problem(_Model(), data=_model_data(), convention="methods")
    assert "attributes layers, loss_layer" in str(e.value)


def test_adapter_error_is_a_type_error():
    with pytest.raises(TypeError):
        as_problem(3.0)


# -- harder training steps: what tutorials write --------------------------------------------------


class _BiasPerExample(_Seedish):
    """db = delta (one column per example): ``b -= lr * db`` cannot broadcast in place."""

    def train(self, inputs, labels, epochs):
        for _epoch in range(1, epochs + 1):
            a1 = self.sigmoid(self.W1 @ inputs + self.b1)
            a2 = self.sigmoid(self.W2 @ a1 + self.b2)
            d2 = (a2 - labels) / inputs.shape[1]
            d1 = (self.W2.T @ d2) * a1 * (1 - a1)
            self.W2 -= d2 @ a1.T
            self.W1 -= d1 @ inputs.T
            self.b2 -= d2
            self.b1 -= d1


def test_train_step_update_that_cannot_broadcast_is_recorded():
    net = _BiasPerExample()
    before = _bits([net.W1, net.b1, net.W2, net.b2])
    p = from_train_step(net, data=_cols_data())
    report = gradcheck.check(p)
    assert report.wrong == ["b1", "b2"] and report["b2"].status == "wrong_shape"
    assert "bias_not_summed" in report.kinds()
    assert any("could not apply its update to b2" in n for n in p.meta["notes"])
    assert _bits([net.W1, net.b1, net.W2, net.b2]) == before
    assert type(net.b1) is np.ndarray  # the recording views were taken out again


class _FitStoresData:
    """fit(X, y) stores the data on the net; the forward pass takes no arguments; the loss is
    a method of (y, yhat); the bias becomes (1, n) by broadcasting in the update."""

    def __init__(self, iterations=50):
        rng = np.random.default_rng(2)
        self.params = {"W1": rng.normal(size=(3, 4)), "b1": np.zeros(4), "W2": rng.normal(size=(4, 1)), "b2": np.zeros(1)}
        self.learning_rate, self.iterations = 0.1, iterations

    def entropy_loss(self, y, yhat):
        return float(-np.mean(y * np.log(yhat) + (1 - y) * np.log(1 - yhat)))

    def forward_propagation(self):
        h = np.tanh(self.X @ self.params["W1"] + self.params["b1"])
        self.params["A1"] = h
        return 1 / (1 + np.exp(-(h @ self.params["W2"] + self.params["b2"]))), None

    def fit(self, X, y):
        self.X, self.y = X, y
        for _ in range(self.iterations):
            yhat, _ = self.forward_propagation()
            dz2 = (yhat - self.y) / len(self.y)
            dh = dz2 @ self.params["W2"].T * (1 - self.params["A1"] ** 2)
            self.params["W2"] = self.params["W2"] - self.learning_rate * self.params["A1"].T @ dz2
            self.params["b2"] = self.params["b2"] - self.learning_rate * dz2.sum(0, keepdims=True)
            self.params["W1"] = self.params["W1"] - self.learning_rate * self.X.T @ dh
            self.params["b1"] = self.params["b1"] - self.learning_rate * dh.sum(0, keepdims=True)


def test_fit_storing_data_and_rebinding_a_params_dict():
    net = _FitStoresData()
    rng = np.random.default_rng(0)
    X = rng.normal(size=(6, 3))
    y = (X[:, :1] > 0).astype(float)
    arrays = dict(net.params)
    p = as_problem(net, data=(X, y))
    rec = p.meta["recognized"]
    assert "lr = 0.1 read from .learning_rate" in rec and "entropy_loss of forward_propagation()" in rec
    assert list(p.params) == ["W1", "b1", "W2", "b2"]
    assert gradcheck.check(p).ok
    assert any("changed the shape of b1" in n for n in p.meta["notes"])
    assert net.params == arrays and not hasattr(net, "X") and net.iterations == 50


def test_standard_loss_for_a_net_without_one():
    class Spencer:
        def __init__(self):
            self.synaptic_weights = np.random.default_rng(1).normal(size=(3, 1))

        def think(self, inputs):
            return 1 / (1 + np.exp(-(inputs @ self.synaptic_weights)))

        def train(self, training_inputs, training_outputs, training_iterations):
            for _ in range(training_iterations):
                out = self.think(training_inputs)
                self.synaptic_weights += training_inputs.T @ ((training_outputs - out) * out * (1 - out))

    ns = {"net": Spencer(), "training_inputs": np.eye(3)[[0, 1, 2, 0] * 20], "training_outputs": np.array([[0, 1, 1, 0] * 20]).T}
    with pytest.raises(AdapterError, match="--loss"):
        as_problem(ns["net"], context=ns)
    p = as_problem(ns["net"], context=ns, loss="half-sse")
    assert "first 64 of 80 examples" in p.meta["recognized"] and "think(X)" in p.meta["recognized"]
    assert gradcheck.check(p).ok
    assert not gradcheck.check(as_problem(ns["net"], context=ns, loss="sse")).ok  # the factor 2 shows


def test_dlai_parameters_from_the_modules_initializer():
    ns = _dlai()
    params = ns.pop("parameters")

    def initialize_parameters(n_x, n_h, n_y):
        return {k: v.copy() for k, v in params.items()} if (n_x, n_h, n_y) == (3, 4, 1) else None

    ns.update(initialize_parameters=initialize_parameters, n_h=4)
    p = as_problem(ns)
    assert "parameters from initialize_parameters(n_x, n_h, n_y)" in p.meta["recognized"]
    assert gradcheck.check(p).ok


def test_argument_roles_through_prefixes_and_suffixes():
    from gradcheck.adapters._access import role_of

    assert [role_of(n) for n in ("inputs_list", "targets_list", "training_outputs", "num_iterations", "Y_hat", "A3")] == [
        "X", "y", "y", "epochs", "output", "output"]
    assert role_of("hidden_size") is None


@pytest.mark.parametrize(
    "module",
    ["_access", "_data", "_losses", "_net_loss", "_optimizer", "_params", "_state", "cs231n", "dlai", "functions", "layer",
     "methods", "nielsen", "train_step"],
)
def test_adapter_docstring_examples(module):
    import doctest
    import importlib

    mod = importlib.import_module(f"gradcheck.adapters.{module}")
    result = doctest.testmod(mod, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


class _PerExampleSGD:
    """train() updates once per example: the batch gradient cannot be read off one call."""

    def __init__(self):
        r = np.random.default_rng(1)
        self.W1, self.b1, self.W2, self.b2 = r.normal(size=(2, 4)), np.zeros(4), r.normal(size=(4, 1)), np.zeros(1)

    def forward(self, X):
        self.h = np.tanh(X @ self.W1 + self.b1)
        return 1 / (1 + np.exp(-(self.h @ self.W2 + self.b2)))

    def loss(self, X, y):
        p = self.forward(X)
        return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))

    def train(self, X, y, epochs=10, lr=0.1):
        for _ in range(epochs):
            for xi, yi in zip(X, y):
                xi, yi = xi[None, :], yi[None, :]
                d2 = self.forward(xi) - yi
                dh = d2 @ self.W2.T * (1 - self.h ** 2)
                self.W2 -= lr * self.h.T @ d2
                self.b2 -= lr * d2.sum(0)
                self.W1 -= lr * xi.T @ dh
                self.b1 -= lr * dh.sum(0)


def test_per_example_updates_are_rerun_on_one_example():
    rng = np.random.default_rng(0)
    ns = {"net": _PerExampleSGD(), "X": rng.normal(size=(10, 2))}
    ns["y"] = (ns["X"][:, :1] > 0).astype(float)
    W1 = ns["net"].W1.copy()
    p = as_problem(ns["net"], context=ns)
    assert "rerun on the first example alone" in p.meta["recognized"]
    assert p.data[0].shape == (1, 2)
    assert gradcheck.check(p).ok
    assert np.array_equal(ns["net"].W1, W1)
    one = as_problem(ns["net"], context=ns, batch_size=1)
    assert "the first 1 of 10 examples" in one.meta["recognized"]
    assert "rerun" not in one.meta["recognized"]
    assert gradcheck.check(one).ok and not one.meta["notes"]


class _PerExampleTanhZ:
    """Per-example SGD whose tanh derivative is taken on the pre-activation (1 - z**2)."""

    def __init__(self, correct):
        r = np.random.RandomState(40)
        self.correct = correct
        self.w1, self.b1, self.w2 = r.randn(2, 3) * 0.5, np.zeros(3), r.randn(3) * 0.5

    def loss(self, X, y):
        return np.mean((np.tanh(X @ self.w1 + self.b1) @ self.w2 - y) ** 2)

    def train(self, X, y, epochs=10, lr=0.01):
        for _ in range(epochs):
            for xi, yi in zip(X, y):
                z1 = xi @ self.w1 + self.b1
                a1 = np.tanh(z1)
                dout = 2 * (a1 @ self.w2 - yi)
                dz1 = dout * self.w2 * (1 - (a1 if self.correct else z1) ** 2)
                self.w1 -= lr * np.outer(xi, dz1)
                self.b1 -= lr * dz1
                self.w2 -= lr * a1 * dout


@pytest.mark.parametrize("correct", [True, False])
def test_per_example_sgd_verdict_is_right_without_batch_size(correct):
    r = np.random.RandomState(41)
    X = r.randn(10, 2)
    ns = {"X": X, "y": X[:, 0] - 0.5 * X[:, 1]}
    with np.errstate(all="ignore"):
        report = gradcheck.check(as_problem(_PerExampleTanhZ(correct), context=ns))
    assert report.ok is correct
    if not correct:
        assert report.first_wrong == "b1" and "w2" not in report.wrong


class _HardLoopStep:
    """train() loops ten times over the data with no argument to say so: never one update."""

    def __init__(self):
        self.W = np.array([[0.5, -0.5]])

    def loss(self, X, y):
        return float(0.5 * ((self.W @ X - y) ** 2).sum())

    def train(self, X, y, lr):
        for _ in range(10):
            self.W -= lr * (self.W @ X - y) @ X.T


def test_step_never_linear_in_lr_is_an_input_error_not_a_wrong_gradient():
    net = _HardLoopStep()
    with pytest.raises(AdapterError, match="changes with the learning rate even on one example"):
        as_problem(net, data=(np.array([[1.0, 2.0], [0.5, -1.0]]), np.array([[1.0, 0.0]])))
    assert np.array_equal(net.W, [[0.5, -0.5]])


# -- a net with a loss method and a gradient method -------------------------------------------------


class _LayerOnly:
    def __init__(self, n_out, n_in, rng):
        self.weights = rng.normal(size=(n_out, n_in))
        self.bias = rng.normal(size=(n_out, 1))


class _Methods:
    """Layers hold the weights; cost(X, Y) and backprop(X, Y) -> {"W1": ..., "b1": ...}."""

    def __init__(self, bug=None, tuple_grads=False):
        rng = np.random.default_rng(4)
        self.layers = [_LayerOnly(4, 2, rng), _LayerOnly(1, 4, rng)]
        self.bug, self.tuple_grads = bug, tuple_grads

    def forward(self, X):
        self.acts = [X]
        for layer in self.layers:
            self.acts.append(_sig(layer.weights @ self.acts[-1] + layer.bias))
        return self.acts[-1]

    def cost(self, X, Y):
        a = self.forward(X)
        return float(-np.mean(Y * np.log(a) + (1 - Y) * np.log(1 - a)))

    def backprop(self, X, Y):
        self.forward(X)
        m = X.shape[1]
        d2 = self.acts[2] - Y
        d1 = (self.layers[1].weights.T @ d2) * self.acts[1] * (1 - self.acts[1])
        if self.bug == "no_transpose":
            d1 = (self.layers[1].weights.reshape(4, 1) @ d2) * self.acts[1]
        g = (d1 @ X.T / m, d1.sum(1, keepdims=True) / m, d2 @ self.acts[1].T / m, d2.sum(1, keepdims=True) / m)
        return g if self.tuple_grads else dict(zip(["W1", "b1", "W2", "b2"], g))


@pytest.mark.parametrize("tuple_grads", [False, True])
def test_methods_net_with_layer_weights(tuple_grads):
    net = _Methods(tuple_grads=tuple_grads)
    p = as_problem(net, data=_cols_data())
    assert p.meta["convention"] == "methods"
    assert list(p.params) == ["layers[0].weights", "layers[0].bias", "layers[1].weights", "layers[1].bias"]
    assert "cost(X, y)" in p.meta["recognized"] and "backprop(X, y)" in p.meta["recognized"]
    assert gradcheck.check(p).ok
    report = gradcheck.check(as_problem(_Methods("no_transpose", tuple_grads), data=_cols_data()))
    assert report.wrong == ["layers[0].weights", "layers[0].bias"]


def test_methods_reference_mlp_and_params_method():
    from gradcheck.nn import MLP

    net = MLP([3, 4, 2], activations="tanh", loss="mse", layout="rows")
    p = as_problem(net, data=net.random_data(5))
    assert p.meta["convention"] == "methods" and gradcheck.check(p).ok

    class WithParamsMethod(_Methods):
        def params(self):
            return {"W1": self.layers[0].weights, "b1": self.layers[0].bias,
                    "W2": self.layers[1].weights, "b2": self.layers[1].bias}

    p = as_problem(WithParamsMethod(), data=_cols_data())
    assert list(p.params) == ["W1", "b1", "W2", "b2"] and gradcheck.check(p).ok


def test_methods_gradient_after_forward():
    class Stateful(_Methods):
        def backward(self, Y):
            m = Y.shape[1]
            d2 = self.acts[2] - Y
            d1 = (self.layers[1].weights.T @ d2) * self.acts[1] * (1 - self.acts[1])
            return (d1 @ self.acts[0].T / m, d1.sum(1, keepdims=True) / m,
                    d2 @ self.acts[1].T / m, d2.sum(1, keepdims=True) / m)

    Stateful.backprop = None
    p = as_problem(Stateful(), data=_cols_data())
    assert "backward(y) after forward(X)" in p.meta["recognized"]
    assert gradcheck.check(p).ok


class _OutputLists:
    """forward(X), loss(y_hat, y) and backward(y_hat, y) -> one list of gradients per list of parameters."""

    def __init__(self, swap=False, bug=None):
        rng = np.random.default_rng(3)
        self.weights = [rng.normal(size=(3, 4)), rng.normal(size=(4, 2))]
        self.biases = [np.zeros(4), np.zeros(2)]
        self.swap, self.bug = swap, bug

    def forward(self, X):
        self.acts = [X, np.tanh(X @ self.weights[0] + self.biases[0])]
        self.acts.append(self.acts[1] @ self.weights[1] + self.biases[1])
        return self.acts[-1]

    def loss(self, y_hat, y):
        return float(np.mean((y_hat - y) ** 2) / 2)

    def backward(self, y_hat, y):
        d2 = (y_hat - y) / y.size
        d1 = (d2 @ self.weights[1].T) * (1 - self.acts[1] ** 2)
        gw = [self.acts[0].T @ d1, self.acts[1].T @ d2]
        gb = [d1.sum(0), d2.sum(0) * (2.0 if self.bug == "b1" else 1.0)]
        return (gb, gw) if self.swap else (gw, gb)


@pytest.mark.parametrize("swap", [False, True])
def test_methods_gradient_of_the_output_as_lists(swap):
    rng = np.random.default_rng(8)
    data = (rng.normal(size=(5, 3)), rng.normal(size=(5, 2)))
    p = as_problem(_OutputLists(swap=swap), data=data)
    assert "backward(output, y) after forward(X)" in p.meta["recognized"]
    assert list(p.params) == ["weights[0]", "weights[1]", "biases[0]", "biases[1]"]
    assert gradcheck.check(p).ok
    report = gradcheck.check(as_problem(_OutputLists(swap=swap, bug="b1"), data=data))
    assert report.wrong == ["biases[1]"]


def test_layer_backward_argument_no_name_explains():
    class Scale:
        def __init__(self):
            self.W = np.array([[1.5, -0.5], [0.25, 2.0]])

        def forward(self, inp):
            self.inp = inp
            return inp @ self.W

        def backward(self, from_above):
            self.dW = self.inp.T @ from_above
            return from_above @ self.W.T

    class Stack:
        layers = [Scale(), Scale()]

    p = as_problem(Stack(), data=(np.random.default_rng(2).normal(size=(3, 2)), None))
    assert sorted(p.params) == ["input", "layers[0].W", "layers[1].W"]
    assert gradcheck.check(p).ok


class _Accumulating:
    """A dense layer adding into its gradient buffers (``self.gW += ...``) and a softmax layer whose backward
    takes the combined delta ``probs - y``."""

    def __init__(self, n_in, n_out, rng, softmax=False, bug=False):
        self.W, self.b = rng.normal(size=(n_in, n_out)), np.zeros((1, n_out))
        self.gW, self.gb = np.full((n_in, n_out), 7.0), np.full((1, n_out), 7.0)  # stale sums from earlier passes
        self.softmax, self.bug = softmax, bug

    def forward(self, inp):
        self.inp, z = inp, inp @ self.W + self.b
        if self.softmax:
            e = np.exp(z - z.max(1, keepdims=True))
            self.out = e / e.sum(1, keepdims=True)
        else:
            self.out = np.tanh(z)
        return self.out

    def backward(self, delta_next):
        d = delta_next if self.softmax else delta_next * ((1 - self.out) if self.bug else (1 - self.out ** 2))
        self.gW += self.inp.T @ d
        self.gb += d.sum(0, keepdims=True)
        return d @ self.W.T


def _delta_net(bug=False):
    rng = np.random.default_rng(6)

    class Net:
        layers = [_Accumulating(3, 4, rng, bug=bug), _Accumulating(4, 3, rng, softmax=True)]

        def forward_pass(self, x):
            for layer in self.layers:
                x = layer.forward(x)
            return x

        def backward_pass(self, delta):
            for layer in reversed(self.layers):
                delta = layer.backward(delta)

        def cost_function(self, probs, y):
            return -np.sum(y * np.log(probs)) / len(y), (probs - y) / len(y)

    X = rng.normal(size=(5, 3))
    return Net(), (X, np.eye(3)[[0, 2, 1, 1, 0]])


def test_layers_with_a_cost_returning_its_delta_and_accumulated_gradients():
    net, data = _delta_net()
    buffers = [b for layer in net.layers for b in (layer.gW, layer.gb)]
    before = _bits(buffers)
    p = as_problem(net, data=data)
    assert "cost_function(forward_pass(X), y) -> (loss, delta), then backward_pass(delta)" in p.meta["recognized"]
    assert gradcheck.check(p).ok
    assert _bits(buffers) == before  # the stale sums are put back bit for bit
    bad, data = _delta_net(bug=True)
    assert gradcheck.check(as_problem(bad, data=data)).wrong == ["layers[0].W", "layers[0].b"]


def test_accumulated_gradients_through_the_random_projection():
    rng = np.random.default_rng(1)

    class Stack:
        layers = [_Accumulating(3, 4, rng), _Accumulating(4, 2, rng)]

    p = as_problem(Stack(), data=(rng.normal(size=(5, 3)), None))
    assert gradcheck.check(p).ok


def test_nielsen_net_with_a_batch_cost_and_no_feedforward():
    class Net(_Nielsen):
        feedforward = None

        def cost(self, data):
            total = 0.0
            for x, y in data:
                a = x
                for b, w in zip(self.biases, self.weights):
                    a = _sig(w @ a + b)
                total += 0.5 * np.sum((a - y) ** 2)
            return total / len(data)

    p = as_problem(Net(), data=_nielsen_data())
    assert "the net's own cost(data)" in p.meta["recognized"]
    assert gradcheck.check(p).ok
    assert gradcheck.check(as_problem(Net(bug="sign"), data=_nielsen_data())).first_wrong == "biases[1]"


def test_functions_over_one_parameter_array():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(20, 3))
    ns = {"X": X, "y": (X[:, 0] > 0).astype(float), "theta": rng.normal(size=3)}

    def cost(theta, X, y):
        h = _sig(X @ theta)
        return -np.mean(y * np.log(h) + (1 - y) * np.log(1 - h))

    def gradient(w, X, y):                        # any name for the parameter argument
        return X.T @ (_sig(X @ w) - y)            # the 1/m is missing

    ns.update(cost=cost, gradient=gradient)
    p = as_problem(ns)
    assert p.meta["convention"] == "functions" and list(p.params) == ["theta"]
    report = gradcheck.check(p)
    assert report.first_wrong == "theta" and "missing_batch_mean" in report.kinds()


def test_dlai_forward_returning_the_cost():
    ns = _dlai()
    fwd, cost = ns.pop("forward_propagation"), ns.pop("compute_cost")
    back = ns.pop("backward_propagation")

    def forward_propagation_n(X, Y, parameters):
        A2, cache = fwd(X, parameters)
        return cost(A2, Y), cache

    def backward_propagation_n(X, Y, cache):
        return back(ns["parameters"], cache, X, Y)

    ns.update(forward_propagation_n=forward_propagation_n, backward_propagation_n=backward_propagation_n)
    p = as_problem(ns)
    assert "forward_propagation_n() -> (cost, cache)" in p.meta["recognized"]
    assert gradcheck.check(p).ok


def test_layer_backward_returning_its_parameter_gradients():
    class Affine:
        def __init__(self, bug=False):
            rng = np.random.default_rng(3)
            self.w, self.b, self.bug = rng.normal(size=(3, 2)), rng.normal(size=2), bug

        def forward(self, x):
            self.cache = x
            return x @ self.w + self.b

        def backward(self, dout):
            x = self.cache
            dw = x.T @ dout if not self.bug else x.T @ dout / len(x)
            return dout @ self.w.T, dw, dout.sum(axis=0)

    p = from_layer(Affine(), x=np.ones((4, 3)))
    assert list(p.params) == ["input", "w", "b"] and "as returned by backward" in p.meta["recognized"]
    assert gradcheck.check(p).ok
    report = gradcheck.check(from_layer(Affine(bug=True), x=np.ones((4, 3))))
    assert report.wrong == ["w"] and "extra_batch_mean" in report.kinds()


class _FloatBias:
    """A train() net whose output bias is a Python float (``self.b2 = 0.0``)."""

    def __init__(self):
        r = np.random.RandomState(40)
        self.w1, self.b1, self.w2, self.b2 = r.randn(2, 3) * 0.5, np.zeros(3), r.randn(3) * 0.5, 0.0
        self.beta1 = 0.9  # an optimizer setting, not a weight

    def loss(self, X, y):
        return float(np.mean((np.tanh(X @ self.w1 + self.b1) @ self.w2 + self.b2 - y) ** 2))

    def train(self, X, y, lr=0.01):
        a1 = np.tanh(X @ self.w1 + self.b1)
        dout = 2 * (a1 @ self.w2 + self.b2 - y) / len(X)
        dz1 = np.outer(dout, self.w2) * (1 - a1 ** 2)
        self.w1 -= lr * X.T @ dz1
        self.b1 -= lr * dz1.sum(0)
        self.w2 -= lr * a1.T @ dout
        self.b2 -= lr * dout.sum()


def test_a_float_bias_is_noted_as_not_checked():
    X = np.random.RandomState(41).randn(6, 2)
    net = _FloatBias()
    p = as_problem(net, data=(X, X[:, 0] - X[:, 1]))
    assert list(p.params) == ["w1", "b1", "w2"]
    report = gradcheck.check(p)
    assert report.ok
    notes = p.meta["notes"]
    assert len(notes) == 1 and notes[0].startswith("b2 is a number, not an array: not checked")
    assert net.b2 == 0.0 and "beta1" not in notes[0]


def test_dlai_dropout_masks_from_cache_name_the_missing_mask():
    import importlib

    import gradcheck
    from gradcheck.adapters import as_problem

    src = DLAI_DROPOUT_NET
    right = type(importlib)("dlai_dropout_right")
    exec(compile(src, "dlai_dropout_right", "exec"), right.__dict__)
    assert not gradcheck.check(as_problem(right, data=(right.X, right.Y))).findings
    for layer in (1, 2):
        buggy = src.replace(f"    dA{layer} = dA{layer} * D{layer} / keep_prob\n", "")
        assert buggy != src
        mod = type(importlib)("dlai_dropout_net")
        exec(compile(buggy, "dlai_dropout_net", "exec"), mod.__dict__)
        problem = as_problem(mod, data=(mod.X, mod.Y))
        assert set(problem.hint["dropout"]) == {1, 2} and problem.hint["keep_prob"] == 0.7
        report = gradcheck.check(problem)
        kinds = {(f.kind, p) for f in report.findings for p in f.params}
        assert ("dropout_backward_wrong", f"W{layer}") in kinds


DLAI_DROPOUT_NET = '"""A 3-layer deeplearning.ai-style net with dropout on both hidden layers (fixed, seeded masks)."""\nimport numpy as np\n\nrng = np.random.default_rng(0)\nX = rng.standard_normal((3, 8))\nY = (rng.random((1, 8)) > 0.5).astype(float)\nkeep_prob = 0.7\nparameters = {"W1": rng.standard_normal((5, 3)) * 0.5, "b1": np.zeros((5, 1)),\n              "W2": rng.standard_normal((4, 5)) * 0.5, "b2": np.zeros((4, 1)),\n              "W3": rng.standard_normal((1, 4)) * 0.5, "b3": np.zeros((1, 1))}\n\n\ndef sigmoid(z):\n    return 1 / (1 + np.exp(-z))\n\n\ndef forward_propagation_with_dropout(X, parameters, keep_prob=0.7):\n    r = np.random.default_rng(1)  # a fixed mask: the same every call\n    Z1 = parameters["W1"] @ X + parameters["b1"]\n    A1 = np.maximum(Z1, 0)\n    D1 = (r.random(A1.shape) < keep_prob).astype(float)\n    A1 = A1 * D1 / keep_prob\n    Z2 = parameters["W2"] @ A1 + parameters["b2"]\n    A2 = np.maximum(Z2, 0)\n    D2 = (r.random(A2.shape) < keep_prob).astype(float)\n    A2 = A2 * D2 / keep_prob\n    Z3 = parameters["W3"] @ A2 + parameters["b3"]\n    A3 = sigmoid(Z3)\n    return A3, (Z1, D1, A1, Z2, D2, A2, Z3, A3)\n\n\ndef compute_cost(A3, Y):\n    m = Y.shape[1]\n    return float(-np.sum(Y * np.log(A3) + (1 - Y) * np.log(1 - A3)) / m)\n\n\ndef backward_propagation_with_dropout(X, Y, cache, keep_prob=0.7):\n    m = X.shape[1]\n    Z1, D1, A1, Z2, D2, A2, Z3, A3 = cache\n    dZ3 = A3 - Y\n    dW3 = dZ3 @ A2.T / m\n    db3 = np.sum(dZ3, axis=1, keepdims=True) / m\n    dA2 = parameters["W3"].T @ dZ3\n    dA2 = dA2 * D2 / keep_prob\n    dZ2 = dA2 * (Z2 > 0)\n    dW2 = dZ2 @ A1.T / m\n    db2 = np.sum(dZ2, axis=1, keepdims=True) / m\n    dA1 = parameters["W2"].T @ dZ2\n    dA1 = dA1 * D1 / keep_prob\n    dZ1 = dA1 * (Z1 > 0)\n    dW1 = dZ1 @ X.T / m\n    db1 = np.sum(dZ1, axis=1, keepdims=True) / m\n    return {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2, "dW3": dW3, "db3": db3}\n'


@pytest.mark.parametrize("layer", [1, 2])
def test_dlai_dropout_scaled_but_not_masked_is_named(layer):
    import importlib

    buggy = DLAI_DROPOUT_NET.replace(f"dA{layer} = dA{layer} * D{layer} / keep_prob", f"dA{layer} = dA{layer} / keep_prob")
    assert buggy != DLAI_DROPOUT_NET
    mod = type(importlib)("dlai_dropout_unmasked")
    exec(compile(buggy, "dlai_dropout_unmasked", "exec"), mod.__dict__)
    report = gradcheck.check(as_problem(mod, data=(mod.X, mod.Y)))
    f = next(f for f in report.findings if f.kind == "dropout_backward_wrong")
    assert f"W{layer}" in f.params and "not multiplied by the dropout mask" in f.message
    assert report.first_wrong == f"b{layer}"


class _MomentumNet:
    """train() with momentum: the velocity dict persists between calls, beta an argument or an attribute."""

    def __init__(self, as_attribute=False, bug=None, adam=False):
        rng = np.random.default_rng(8)
        self.W1, self.b1 = rng.normal(size=(3, 2)), np.zeros((3, 1))
        self.W2, self.b2 = rng.normal(size=(1, 3)), np.zeros((1, 1))
        self.v = {k: np.zeros_like(getattr(self, k)) for k in ("W1", "b1", "W2", "b2")}
        if adam:
            self.m = {k: np.zeros_like(getattr(self, k)) for k in ("W1", "b1", "W2", "b2")}
        if as_attribute:
            self.momentum = 0.9
        self.as_attribute, self.bug, self.adam = as_attribute, bug, adam

    def forward(self, X):
        A1 = np.tanh(self.W1 @ X + self.b1)
        return 1 / (1 + np.exp(-(self.W2 @ A1 + self.b2))), A1

    def cost(self, X, Y):
        A2, _ = self.forward(X)
        return float(-np.mean(Y * np.log(A2) + (1 - Y) * np.log(1 - A2)))

    def train(self, X, Y, epochs=1, lr=0.1, beta=0.9):
        beta = self.momentum if self.as_attribute else beta
        for _ in range(epochs):
            A2, A1 = self.forward(X)
            m = 1 if self.bug == "no_mean" else X.shape[1]
            dZ2 = (A2 - Y) / m
            dZ1 = (self.W2.T @ dZ2) * (1 - A1 ** 2)
            g = {"W2": dZ2 @ A1.T, "b2": dZ2.sum(1, keepdims=True), "W1": dZ1 @ X.T, "b1": dZ1.sum(1, keepdims=True)}
            for k in g:
                if self.adam:
                    self.m[k] = 0.9 * self.m[k] + 0.1 * g[k]
                    self.v[k] = 0.999 * self.v[k] + 0.001 * g[k] ** 2
                    setattr(self, k, getattr(self, k) - lr * self.m[k] / (np.sqrt(self.v[k]) + 1e-8))
                else:
                    self.v[k] = beta * self.v[k] + (1 - beta) * g[k]
                    setattr(self, k, getattr(self, k) - lr * self.v[k])


@pytest.mark.parametrize("as_attribute", [False, True])
def test_momentum_is_turned_off_for_the_step_and_its_state_is_no_parameter(as_attribute):
    net = _MomentumNet(as_attribute)
    p = from_train_step(net, data=_cols_data())
    assert list(p.params) == ["W1", "b1", "W2", "b2"]
    assert "momentum off for the step" in p.meta["recognized"]
    assert gradcheck.check(p).ok  # without it, the first step applies (1 - beta) g: a false factor 0.1
    assert all(not v.any() for v in net.v.values()) and (not as_attribute or net.momentum == 0.9)
    report = gradcheck.check(from_train_step(_MomentumNet(as_attribute, bug="no_mean"), data=_cols_data()))
    assert "missing_batch_mean" in report.kinds() and report.first_wrong == "b2"


def test_an_adaptive_step_is_refused_with_the_reason():
    with pytest.raises(AdapterError, match="adaptive step .*Adam, RMSprop"):
        from_train_step(_MomentumNet(adam=True), data=_cols_data())


class _ShuffledBatches:
    """train(X, y, epochs, batch_size) shuffles with its own generator; biases (1, n), examples as rows."""

    def __init__(self, bug=None):
        rng = np.random.default_rng(3)
        self.W1, self.b1 = rng.normal(size=(2, 4)), np.zeros((1, 4))
        self.W2, self.b2 = rng.normal(size=(4, 1)), np.zeros((1, 1))
        self.learning_rate, self.bug = 0.5, bug
        self.rng = np.random.default_rng(9)

    def loss(self, X, y):
        a1 = np.tanh(X @ self.W1 + self.b1)
        a2 = 1 / (1 + np.exp(-(a1 @ self.W2 + self.b2)))
        return float(-np.mean(y * np.log(a2) + (1 - y) * np.log(1 - a2)))

    def train(self, X, y, epochs, batch_size):
        for _ in range(epochs):
            perm = self.rng.permutation(len(X))
            for i in range(0, len(X), batch_size):
                xb, yb = X[perm][i:i + batch_size], y[perm][i:i + batch_size]
                a1 = np.tanh(xb @ self.W1 + self.b1)
                a2 = 1 / (1 + np.exp(-(a1 @ self.W2 + self.b2)))
                dz2 = (a2 - yb) / len(xb)
                dz1 = (dz2 @ self.W2.T) * (1 - a1 ** 2)
                db2 = dz2 if self.bug == "bias_not_summed" else dz2.sum(0, keepdims=True)
                self.W2 = self.W2 - self.learning_rate * a1.T @ dz2
                self.b2 = self.b2 - self.learning_rate * db2
                self.W1 = self.W1 - self.learning_rate * xb.T @ dz1
                self.b1 = self.b1 - self.learning_rate * dz1.sum(0, keepdims=True)


def _shuffle_data():
    rng = np.random.default_rng(4)
    X = rng.normal(size=(12, 2))
    return X, (X[:, :1] * X[:, 1:] > 0).astype(float)


def test_a_step_that_shuffles_draws_the_same_shuffle_every_time_it_is_run():
    net = _ShuffledBatches()
    state = net.rng.bit_generator.state
    report = gradcheck.check(from_train_step(net, data=_shuffle_data()))
    assert report.ok and not report.findings  # no "accumulation" from two different shuffles
    assert net.rng.bit_generator.state == state
    buggy = gradcheck.check(from_train_step(_ShuffledBatches("bias_not_summed"), data=_shuffle_data()))
    assert buggy.first_wrong == "b2" and "bias_not_summed" in buggy.kinds()


def test_rmsprop_state_is_refused_with_the_reason():
    class _Rms(_MomentumNet):
        def __init__(self):
            super().__init__()
            del self.v
            self.cache, self.rho = {k: 0.0 for k in ("W1", "b1", "W2", "b2")}, 0.9

    with pytest.raises(AdapterError, match=r"optimizer state \(cache\) of the kind an adaptive step uses"):
        from_train_step(_Rms(), data=_cols_data())
