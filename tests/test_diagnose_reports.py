"""gradcheck.diagnosis on user-style nets whose mistakes earlier versions named wrongly or not at all."""

from __future__ import annotations

import numpy as np

import gradcheck


def kinds_of(report):
    return [(f.kind, tuple(f.params)) for f in report.findings]


class AccumulatingSoftmaxNet:
    """A relu-softmax net whose gradient buffers are never reset (+= on every call)."""

    def __init__(self, seed: int = 3):
        r = np.random.default_rng(seed)
        self.params = {"W1": r.normal(size=(3, 5)) * 0.5, "b1": np.zeros(5),
                       "W2": r.normal(size=(5, 3)) * 0.5, "b2": np.zeros(3)}
        self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}

    def loss(self, X, y, *, backward=True):
        P = self.params
        z1 = X @ P["W1"] + P["b1"]
        h = np.maximum(z1, 0)
        s = h @ P["W2"] + P["b2"]
        p = np.exp(s - s.max(1, keepdims=True))
        p /= p.sum(1, keepdims=True)
        n = X.shape[0]
        value = float(-np.log(p[np.arange(n), y]).mean())
        if not backward:
            return value, None
        d = p.copy()
        d[np.arange(n), y] -= 1
        d /= n
        self.grads["W2"] += h.T @ d
        self.grads["b2"] += d.sum(0)
        dh = d @ P["W2"].T * (z1 > 0)
        self.grads["W1"] += X.T @ dh
        self.grads["b1"] += dh.sum(0)
        return value, self.grads


def test_accumulating_gradients_are_not_also_a_constant_factor():
    net = AccumulatingSoftmaxNet()
    r = np.random.default_rng(4)
    X, y = r.normal(size=(7, 3)), r.integers(0, 3, 7)
    net.loss(X, y)  # one step before the check: the buffers already hold one gradient
    report = gradcheck.check(net.params, lambda: net.loss(X, y, backward=False)[0], lambda: {k: v.copy() for k, v in net.loss(X, y)[1].items()}, data=(X, y))
    assert [f.kind for f in report.findings] == ["gradient_accumulates"]
    assert set(report.findings[0].params) == {"W1", "b1", "W2", "b2"}


# -- layer objects: the input checked like a parameter, the scalar sum(out * R) --------------


class TanhLayerZ:
    """A tanh layer whose backward pass applies 1 - z^2 to the pre-activation."""

    def __init__(self, n_in, n_out, seed=5):
        r = np.random.default_rng(seed)
        self.W = r.normal(size=(n_in, n_out)) * 0.6
        self.b = r.normal(size=n_out) * 0.1

    def forward(self, x):
        self.x = x
        self.z = x @ self.W + self.b
        return np.tanh(self.z)

    def backward(self, dout):
        dz = dout * (1 - self.z ** 2)
        self.dW = self.x.T @ dz
        self.db = dz.sum(axis=0)
        return dz @ self.W.T


class Linear:
    def __init__(self, n_in, n_out, r):
        self.W = r.normal(size=(n_in, n_out)) * np.sqrt(2.0 / n_in)
        self.b = r.normal(size=n_out) * 0.1

    def forward(self, x):
        self.x = x
        return x @ self.W + self.b

    def backward(self, dout):
        self.dW = self.x.T @ dout
        self.db = dout.sum(axis=0)
        return dout @ self.W.T


class MaskedRelu:
    """A relu whose backward mask is ``mask(out)``."""

    def __init__(self, mask):
        self.mask = mask

    def forward(self, x):
        self.out = np.maximum(x, 0)
        return self.out

    def backward(self, dout):
        return dout * self.mask(self.out)


class Stack:
    def __init__(self, layers):
        self.layers = layers

    def forward(self, x):
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def backward(self, d):
        for layer in reversed(self.layers):
            d = layer.backward(d)
        return d


def _stack(mask, seed=7):
    r = np.random.default_rng(seed)
    return Stack([Linear(3, 5, r), MaskedRelu(mask), Linear(5, 5, r), MaskedRelu(mask), Linear(5, 2, r)])


def check_layer(obj, x):
    from gradcheck.adapters import as_problem

    return gradcheck.check(as_problem(obj, data=x))


def test_layer_tanh_derivative_on_the_pre_activation():
    x = np.random.default_rng(6).normal(size=(6, 4))
    report = check_layer(TanhLayerZ(4, 3), x)
    f = report.findings[0]
    assert f.kind == "activation_derivative_wrong_input"
    assert "W" in f.params and "b" in f.params and f.confidence == "confirmed"


def test_layer_stack_relu_mask_always_true_is_a_missing_derivative():
    x = np.random.default_rng(8).normal(size=(5, 3))
    report = check_layer(_stack(lambda out: out >= 0), x)
    f = report.findings[0]
    assert f.kind == "missing_activation_derivative"
    assert "layers[2].b" in f.params and "layers[4].W" not in f.params


def test_layer_stack_inverted_relu_mask_is_a_wrong_derivative():
    x = np.random.default_rng(9).normal(size=(5, 3))
    report = check_layer(_stack(lambda out: out <= 0), x)
    f = report.findings[0]
    assert f.kind == "wrong_activation_derivative"
    assert "layers[2].W" in f.params


def test_correct_layer_stack_has_no_finding():
    x = np.random.default_rng(10).normal(size=(4, 3))
    report = check_layer(_stack(lambda out: out > 0), x)
    assert report.ok and report.findings == []


# -- a per-example backprop, examples as column vectors ----------------------------------


def _sig(z):
    return 1.0 / (1.0 + np.exp(-z))


class PerExampleNet:
    """Biases and weights as lists, backprop(x, y) per example; ``bug`` picks the mistake."""

    def __init__(self, sizes, bug=None, seed=11):
        r = np.random.default_rng(seed)
        self.sizes = sizes
        self.num_layers = len(sizes)
        self.biases = [r.normal(size=(n, 1)) for n in sizes[1:]]
        self.weights = [r.normal(size=(n, k)) for k, n in zip(sizes[:-1], sizes[1:])]
        self.bug = bug

    def feedforward(self, a):
        for b, w in zip(self.biases, self.weights):
            a = _sig(w @ a + b)
        return a

    def cost_derivative(self, out, y):
        return out - y

    def backprop(self, x, y):
        nb = [np.zeros(b.shape) for b in self.biases]
        nw = [np.zeros(w.shape) for w in self.weights]
        a, acts, zs = x, [x], []
        for b, w in zip(self.biases, self.weights):
            z = w @ a + b
            zs.append(z)
            a = _sig(z)
            acts.append(a)
        sp = lambda z: _sig(z) * (1 - _sig(z))
        delta = self.cost_derivative(acts[-1], y) * sp(zs[-1])
        nb[-1], nw[-1] = delta, delta @ acts[-2].T
        for l in range(2, self.num_layers):
            if self.bug == "no_upstream" and l == 2:
                delta = sp(zs[-l])
            else:
                delta = (self.weights[-l + 1].T @ delta) * sp(zs[-l])
            nb[-l], nw[-l] = delta, delta @ acts[-l - 1].T
        return nb, nw


def _per_example_data(sizes, m, seed=12):
    r = np.random.default_rng(seed)
    return [(r.normal(size=(sizes[0], 1)), r.random(size=(sizes[-1], 1))) for _ in range(m)]


def test_hidden_delta_without_the_delta_from_above_is_missing_upstream_gradient():
    from gradcheck.adapters import as_problem

    sizes = [3, 4, 4, 2]
    net = PerExampleNet(sizes, bug="no_upstream")
    report = gradcheck.check(as_problem(net, data=_per_example_data(sizes, 5)))
    f = report.findings[0]
    assert f.kind == "missing_upstream_gradient", report.kinds()
    assert report.first_wrong in f.params and f.layer == 2


def test_correct_per_example_net_has_no_finding():
    from gradcheck.adapters import as_problem

    sizes = [3, 4, 4, 2]
    report = gradcheck.check(as_problem(PerExampleNet(sizes), data=_per_example_data(sizes, 5)))
    assert report.ok and report.findings == []


# -- two mistakes: a factor on one parameter's own gradient, and a recomputable one below --------


def _two_mistake_net(seed=13):
    r = np.random.default_rng(seed)
    P = {"W1": r.normal(size=(4, 3)), "b1": r.normal(size=(4, 1)) * 0.1, "W2": r.normal(size=(4, 4)),
         "b2": r.normal(size=(4, 1)) * 0.1, "W3": r.normal(size=(1, 4)), "b3": r.normal(size=(1, 1)) * 0.1}
    X = r.normal(size=(3, 10))
    Y = (r.random(size=(1, 10)) > 0.5).astype(float)

    def forward():
        A1 = _sig(P["W1"] @ X + P["b1"])
        A2 = _sig(P["W2"] @ A1 + P["b2"])
        A3 = _sig(P["W3"] @ A2 + P["b3"])
        return A1, A2, A3

    def cost():
        A3 = forward()[2]
        return float(-np.mean(Y * np.log(A3) + (1 - Y) * np.log(1 - A3)))

    def grads():
        m = X.shape[1]
        A1, A2, A3 = forward()
        dZ3 = A3 - Y
        dZ2 = P["W3"].T @ dZ3 * A2 * (1 - A2)
        dZ1 = P["W2"] @ dZ2 * A1 * (1 - A1)  # W2 where W2.T belongs (square)
        return {"W1": dZ1 @ X.T / m, "b1": dZ1.sum(1, keepdims=True) / m,
                "W2": dZ2 @ A1.T,  # no / m
                "b2": dZ2.sum(1, keepdims=True) / m,
                "W3": dZ3 @ A2.T / m, "b3": dZ3.sum(1, keepdims=True) / m}

    return P, cost, grads, (X, Y)


def test_second_mistake_below_a_factor_is_named():
    P, cost, grads, data = _two_mistake_net()
    report = gradcheck.check(P, cost, grads, data=data)
    got = {f.kind: f.params for f in report.findings}
    assert got.get("missing_batch_mean") == ["W2"], report.kinds()
    assert "W1" in got.get("weights_not_transposed", []), report.kinds()
    assert "unknown" not in got


# -- examples as plain 1-D lists -----------------------------------------------------------


class ListNet:
    """Weights (out, in), no biases, sigmoid everywhere, examples given as 1-D lists; the update
    of the output weights leaves out the output sigmoid's derivative."""

    def __init__(self, seed=14):
        r = np.random.default_rng(seed)
        self.wih = r.normal(0.0, 0.5, (5, 4))
        self.who = r.normal(0.0, 0.5, (3, 5))

    def query(self, inputs_list):
        x = np.array(inputs_list, ndmin=2).T
        return _sig(self.who @ _sig(self.wih @ x))

    def gradients(self, inputs_list, targets_list):
        x = np.array(inputs_list, ndmin=2).T
        t = np.array(targets_list, ndmin=2).T
        h = _sig(self.wih @ x)
        o = _sig(self.who @ h)
        err = o - t
        hidden_err = self.who.T @ err
        return {"wih": (hidden_err * h * (1 - h)) @ x.T, "who": err @ h.T}


def test_examples_as_one_dimensional_lists_are_read():
    net = ListNet()
    pairs = [[[0.9, 0.1, 0.5, 0.3], [0.01, 0.99, 0.01]], [[0.2, 0.8, 0.4, 0.6], [0.99, 0.01, 0.01]]]
    P = {"wih": net.wih, "who": net.who}

    def loss():
        return sum(0.5 * float(((net.query(x) - np.array(t, ndmin=2).T) ** 2).sum()) for x, t in pairs)

    def grads():
        gs = [net.gradients(x, t) for x, t in pairs]
        return {k: sum(g[k] for g in gs) for k in P}

    report = gradcheck.check(P, loss, grads, data=pairs)
    f = report.findings[0]
    assert f.kind == "missing_activation_derivative", report.kinds()
    assert "who" in f.params and f.confidence == "confirmed"


class SquareLayer:
    """out = (x @ W)^2 elementwise: no standard activation; backward uses |z| for z."""

    def __init__(self):
        self.W = np.random.default_rng(15).normal(size=(3, 2))

    def forward(self, x):
        self.x = x
        self.z = x @ self.W
        return self.z ** 2

    def backward(self, dout):
        dz = 2 * dout * np.abs(self.z)
        self.dW = self.x.T @ dz
        return dz @ self.W.T


def test_unknown_on_a_layer_check_gives_advice_that_fits_a_layer():
    report = check_layer(SquareLayer(), np.random.default_rng(16).normal(size=(4, 3)))
    f = report.findings
    assert f and f[0].kind == "unknown" and "W" in f[0].params
    assert "data=(X, y)" not in f[0].message and "layer was not recognized" in f[0].message


# -- fix texts written for the mistake at hand ----------------------------------------------


def _cols_net(seed=17, m=9):
    r = np.random.default_rng(seed)
    P = {"W1": r.normal(size=(4, 3)), "b1": r.normal(size=(4, 1)) * 0.1, "W2": r.normal(size=(4, 4)),
         "b2": r.normal(size=(4, 1)) * 0.1, "W3": r.normal(size=(1, 4)), "b3": r.normal(size=(1, 1)) * 0.1}
    X = r.normal(size=(3, m))
    Y = (r.random(size=(1, m)) > 0.5).astype(float)

    def forward():
        A1 = _sig(P["W1"] @ X + P["b1"])
        A2 = _sig(P["W2"] @ A1 + P["b2"])
        return A1, A2, _sig(P["W3"] @ A2 + P["b3"])

    def cost():
        A3 = forward()[2]
        return float(-np.mean(Y * np.log(A3) + (1 - Y) * np.log(1 - A3)))

    return P, X, Y, forward, cost


def test_bias_fix_keeps_the_one_factor_of_m_wherever_it_was_written():
    # the values returned already carry 1/m; whether it sits in dZ or in the db line, the fix keeps it once
    P, X, Y, forward, cost = _cols_net()

    def grads():
        m = X.shape[1]
        A1, A2, A3 = forward()
        dZ3 = (A3 - Y) / m
        dZ2 = P["W3"].T @ dZ3 * A2 * (1 - A2)
        dZ1 = P["W2"].T @ dZ2 * A1 * (1 - A1)
        return {"W1": dZ1 @ X.T, "b1": np.sum(dZ1, axis=1, keepdims=True), "W2": dZ2 @ A1.T,
                "b2": np.sum(dZ2, axis=1, keepdims=True), "W3": dZ3 @ A2.T, "b3": dZ3}  # b3 not summed

    report = gradcheck.check(P, cost, grads, data=(X, Y))
    f = report.findings[0]
    assert f.kind == "bias_not_summed" and f.params == ["b3"]
    assert "db3 = np.sum(dZ, axis=1, keepdims=True) if your dZ already includes the 1/m" in f.fix
    assert "db3 = np.sum(dZ, axis=1, keepdims=True) / m if the 1/m was only in the line that sets db3" in f.fix


def test_extra_derivative_in_hidden_layers_gets_a_hidden_layer_fix():
    P, X, Y, forward, cost = _cols_net()

    def grads():
        m = X.shape[1]
        A1, A2, A3 = forward()
        dZ3 = A3 - Y
        dZ2 = P["W3"].T @ dZ3 * (A2 * (1 - A2)) ** 2  # sigmoid' applied twice
        dZ1 = P["W2"].T @ dZ2 * (A1 * (1 - A1)) ** 2
        return {"W1": dZ1 @ X.T / m, "b1": dZ1.sum(1, keepdims=True) / m, "W2": dZ2 @ A1.T / m,
                "b2": dZ2.sum(1, keepdims=True) / m, "W3": dZ3 @ A2.T / m, "b3": dZ3.sum(1, keepdims=True) / m}

    report = gradcheck.check(P, cost, grads, data=(X, Y))
    f = report.findings[0]
    assert f.kind == "extra_activation_derivative" and "b2" in f.params and "W3" not in f.params
    assert "Layers 1, 2" in f.fix and "A - Y" not in f.fix


def test_output_weight_vector_without_a_checked_bias_is_a_layer():
    r = np.random.default_rng(18)
    P = {"w1": r.normal(size=(3, 4)), "b1": r.normal(size=4) * 0.1, "w2": r.normal(size=4)}
    b2 = 0.0  # a Python float, still at its initial zero: not checked
    X, y = r.normal(size=(6, 3)), r.normal(size=6)

    def loss():
        return float(np.mean((_sig(X @ P["w1"] + P["b1"]) @ P["w2"] + b2 - y) ** 2))

    def grads():
        z = X @ P["w1"] + P["b1"]
        a = _sig(z)
        dout = 2 * (a @ P["w2"] + b2 - y) / len(y)
        dz = np.outer(dout, P["w2"]) * z * (1 - z)  # sigmoid' written on z
        return {"w1": X.T @ dz, "b1": dz.sum(0), "w2": a.T @ dout}

    report = gradcheck.check(P, loss, grads, data=(X, y))
    f = report.findings[0]
    assert f.kind == "activation_derivative_wrong_input", report.kinds()
    assert f.params == ["w1", "b1"]


def test_a_factor_on_all_but_a_few_kink_elements_is_still_a_factor():
    r = np.random.default_rng(19)
    P = {"W1": r.normal(size=(4, 12)), "b1": r.normal(size=12), "W2": r.normal(size=(12, 1)), "b2": np.zeros(1)}
    X, y = r.normal(size=(6, 4)), r.normal(size=(6, 1))
    P["b1"][5] = -(X[0] @ P["W1"][:, 5])  # example 0 sits exactly at unit 5's relu kink
    m = len(X)

    def loss():
        h = np.maximum(X @ P["W1"] + P["b1"], 0)
        return float(0.5 * np.mean(((h @ P["W2"] + P["b2"]) - y) ** 2) * 1)

    def grads():
        z = X @ P["W1"] + P["b1"]
        h = np.maximum(z, 0)
        d = (h @ P["W2"] + P["b2"] - y) / m
        dz = d @ P["W2"].T * (z > 0)
        return {"W1": X.T @ dz * m,  # the 1/m undone on W1 alone
                "b1": dz.sum(0), "W2": h.T @ d, "b2": d.sum(0)}

    report = gradcheck.check(P, loss, grads, data=(X, y))
    f = report.findings[0]
    assert f.kind == "missing_batch_mean", report.kinds()
    assert f.params == ["W1"]


def _dropout_net(seed=20, keep_prob=0.75, bug="no_mask"):
    r = np.random.default_rng(seed)
    P = {"W1": r.normal(size=(5, 3)), "b1": r.normal(size=(5, 1)) * 0.1, "W2": r.normal(size=(1, 5)),
         "b2": np.zeros((1, 1))}
    X = r.normal(size=(3, 12))
    Y = (r.random(size=(1, 12)) > 0.5).astype(float)
    D1 = np.random.default_rng(21).random(size=(5, 12)) < keep_prob  # drawn once: a deterministic loss

    def forward():
        Z1 = P["W1"] @ X + P["b1"]
        A1 = np.maximum(Z1, 0) * D1 / keep_prob
        return Z1, A1, _sig(P["W2"] @ A1 + P["b2"])

    def cost():
        A2 = forward()[2]
        return float(-np.mean(Y * np.log(A2) + (1 - Y) * np.log(1 - A2)))

    def grads():
        m = X.shape[1]
        Z1, A1, A2 = forward()
        dZ2 = A2 - Y
        dA1 = P["W2"].T @ dZ2  # the mask and 1/keep_prob left out ...
        if bug == "no_scale":
            dA1 = dA1 * D1  # ... or only 1/keep_prob
        dZ1 = dA1 * (Z1 > 0)
        return {"W1": dZ1 @ X.T / m, "b1": dZ1.sum(1, keepdims=True) / m, "W2": dZ2 @ A1.T / m,
                "b2": dZ2.sum(1, keepdims=True) / m}

    return P, cost, grads, (X, Y), {"dropout": {1: D1}, "keep_prob": keep_prob}


def test_dropout_mask_left_out_of_the_backward_pass_is_named_without_its_masks():
    P, cost, grads, data, hint = _dropout_net()
    X_before = data[0].copy()
    for hint_given in (None, hint):  # the masks read off the loss, or given
        report = gradcheck.check(P, cost, grads, data=data, hint=hint_given)
        f = report.findings[0]
        assert f.kind == "dropout_backward_wrong", report.kinds()
        assert f.params == ["W1", "b1"]
    assert np.array_equal(data[0], X_before)  # the data moved to read the masks are put back


def test_dropout_scale_left_out_of_the_backward_pass_is_named_without_its_masks():
    P, cost, grads, data, hint = _dropout_net(bug="no_scale")
    report = gradcheck.check(P, cost, grads, data=data)
    f = report.findings[0]
    assert f.kind == "dropout_backward_wrong", report.kinds()
    assert f.params == ["W1", "b1"] and "keep_prob = 0.75" in f.message


def test_correct_dropout_net_has_no_finding():
    P, cost, _, data, _ = _dropout_net()
    X, Y = data
    D1 = np.random.default_rng(21).random(size=(5, 12)) < 0.75

    def grads():
        m = X.shape[1]
        Z1 = P["W1"] @ X + P["b1"]
        A1 = np.maximum(Z1, 0) * D1 / 0.75
        dZ2 = _sig(P["W2"] @ A1 + P["b2"]) - Y
        dZ1 = P["W2"].T @ dZ2 * D1 / 0.75 * (Z1 > 0)
        return {"W1": dZ1 @ X.T / m, "b1": dZ1.sum(1, keepdims=True) / m, "W2": dZ2 @ A1.T / m,
                "b2": dZ2.sum(1, keepdims=True) / m}

    report = gradcheck.check(P, cost, grads, data=data)
    assert report.ok and report.findings == []


def test_unrecognized_net_with_data_says_a_hint_helps_without_dropout_advice():
    r = np.random.default_rng(22)
    P = {"W1": r.normal(size=(3, 4)), "W2": r.normal(size=(4, 1))}
    X, y = r.normal(size=(5, 3)), r.normal(size=(5, 1))

    def loss():
        return float(np.sum(np.sin(X @ P["W1"]) @ P["W2"] - y) ** 2)

    def grads():
        s = np.sin(X @ P["W1"])
        d = 2 * np.sum(s @ P["W2"] - y) * np.ones_like(y)
        return {"W1": X.T @ (d @ P["W2"].T * np.sin(X @ P["W1"])), "W2": s.T @ d}  # sin' written as sin

    report = gradcheck.check(P, loss, grads, data=(X, y))
    f = report.findings[0]
    assert f.kind == "unknown" and "W1" in f.params
    # the net has no dropout: no advice about masks, only where the hint's keys are
    assert "help(gradcheck.diagnosis)" in f.message and "dropout" not in f.message + f.fix


def test_a_factor_that_is_no_mse_two_gets_no_mse_fix():
    r = np.random.default_rng(23)
    P = {"W1": r.normal(size=(3, 4)), "b1": np.zeros(4), "W2": r.normal(size=(4, 3)), "b2": np.zeros(3)}
    X, Y = r.normal(size=(6, 3)), r.normal(size=(6, 3))

    def loss():  # averaged over the examples and the 3 output units
        return float(np.mean((np.tanh(X @ P["W1"] + P["b1"]) @ P["W2"] + P["b2"] - Y) ** 2))

    def grads():  # averaged over the examples only
        h = np.tanh(X @ P["W1"] + P["b1"])
        d = 2 * (h @ P["W2"] + P["b2"] - Y) / len(X)
        dz = d @ P["W2"].T * (1 - h ** 2)
        return {"W1": X.T @ dz, "b1": dz.sum(0), "W2": h.T @ d, "b2": d.sum(0)}

    report = gradcheck.check(P, loss, grads, data=(X, Y))
    f = report.findings[0]
    assert f.kind == "constant_factor" and f.params == ["W1", "b1", "W2", "b2"], report.kinds()
    assert abs(f.evidence["factor"] - 3) < 1e-6
    assert "(a - y)" not in f.fix and "output units" in f.fix


from hypothesis import assume, given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@given(n_in=st.integers(1, 5), n_hidden=st.integers(1, 6), n_out=st.integers(1, 3), m=st.integers(1, 6),
       seed=st.integers(0, 10_000), bug=st.booleans())
def test_layer_stacks_of_any_shape(n_in, n_hidden, n_out, m, seed, bug):
    r = np.random.default_rng(seed)
    mask = (lambda out: out >= 0) if bug else (lambda out: out > 0)
    model = Stack([Linear(n_in, n_hidden, r), MaskedRelu(mask), Linear(n_hidden, n_out, r)])
    x = r.normal(size=(m, n_in))
    alive = (x @ model.layers[0].W + model.layers[0].b) > 0
    report = check_layer(model, x)
    if not bug:
        assert report.findings == []
        return
    assume(not report.ok)
    # R of sum(out * R) is read off the loss only where an example's output moves with its input
    # in every output direction: one output unit and a live hidden unit in every example
    assume(n_out == 1 and alive.any(axis=1).all())
    f = report.findings[0]
    assert f.kind == "missing_activation_derivative", report.kinds()
    assert "layers[0].b" in f.params
