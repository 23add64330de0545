"""User-style nets in five conventions, each with one mistake people really make."""

from __future__ import annotations

import numpy as np

CASES = {}


def case(kind, first_wrong):
    def deco(fn):
        CASES[fn.__name__] = (fn, kind, first_wrong)
        return fn

    return deco


def _sig(z):
    return 1 / (1 + np.exp(-z))


def _moons(m, seed, cols):
    rng = np.random.default_rng(seed)
    t = rng.uniform(0, np.pi, m)
    lab = rng.integers(0, 2, m)
    x = np.stack([np.cos(t) + lab, np.sin(t) * (1 - 2 * lab) + 0.3 * lab], 1) + 0.1 * rng.normal(size=(m, 2))
    y = lab.astype(float)
    return (x.T, y[None, :]) if cols else (x, y[:, None])


# -- 1. a class whose layers hold weights; columns are examples (seed-question style) ----------


class Layer:
    def __init__(self, n_out, n_in, rng):
        self.weights = rng.normal(0, 1, (n_out, n_in))
        self.bias = rng.normal(0, 0.5, (n_out, 1))


class SeedStyleNet:
    def __init__(self, sizes, seed, bug):
        rng = np.random.default_rng(seed)
        self.layers = [Layer(sizes[i + 1], sizes[i], rng) for i in range(len(sizes) - 1)]
        self.bug = bug

    def params(self):
        out = {}
        for i, l in enumerate(self.layers, 1):
            out[f"W{i}"] = l.weights
            out[f"b{i}"] = l.bias
        return out

    def cost(self, X, Y):
        a = X
        for l in self.layers:
            a = _sig(l.weights @ a + l.bias)
        m = Y.shape[1]
        return np.squeeze(-1 / m * (Y @ np.log(a).T + (1 - Y) @ np.log(1 - a).T))

    def backprop(self, X, Y):
        acts, zs = [X], []
        for l in self.layers:
            zs.append(l.weights @ acts[-1] + l.bias)
            acts.append(_sig(zs[-1]))
        m = X.shape[1]
        a_out = acts[-1]
        delta = a_out - Y
        if self.bug == "extra_sigmoid_derivative":
            delta = delta * a_out * (1 - a_out)
        grads = {}
        for i in range(len(self.layers), 0, -1):
            dW = delta @ acts[i - 1].T / m
            db = delta.sum(axis=1, keepdims=True) / m
            if self.bug == "missing_mean":
                dW, db = dW * m, db * m
            if self.bug == "bias_not_summed" and i == 2:
                db = delta / m
            grads[f"W{i}"], grads[f"b{i}"] = dW, db
            if i > 1:
                W = self.layers[i - 1].weights
                back = W @ delta if self.bug == "no_transpose" and i == 2 else W.T @ delta
                a = acts[i - 1]
                if self.bug == "derivative_of_z" and i == 2:
                    delta = back * zs[i - 2] * (1 - zs[i - 2])
                else:
                    delta = back * a * (1 - a)
        return grads


def _seed_case(bug, sizes=(2, 5, 5, 1), m=12, seed=0):
    net = SeedStyleNet(sizes, seed, bug)
    X, Y = _moons(m, seed, cols=True)
    p = net.params()
    return dict(params=p, loss=lambda: net.cost(X, Y), grads=lambda: net.backprop(X, Y), data=(X, Y))


@case(None, None)
def seed_correct():
    return _seed_case(None)


@case("missing_batch_mean", "b3")
def seed_missing_mean():
    return _seed_case("missing_mean")


@case("bias_not_summed", "b2")
def seed_bias_not_summed():
    return _seed_case("bias_not_summed")


@case("extra_activation_derivative", "b3")
def seed_extra_sigmoid_derivative():
    return _seed_case("extra_sigmoid_derivative")


@case("activation_derivative_wrong_input", "b1")
def seed_derivative_of_z():
    return _seed_case("derivative_of_z")


@case("weights_not_transposed", "b1")
def seed_no_transpose_square():
    return _seed_case("no_transpose")


# -- 2. cs231n style: rows are examples, a params dict, loss(X, y) -> (loss, grads) ----------


class TwoLayerSoftmax:
    def __init__(self, d, h, c, reg, seed, bug):
        rng = np.random.default_rng(seed)
        self.params = {
            "W1": 0.5 * rng.normal(size=(d, h)),
            "b1": 0.1 * rng.normal(size=h),
            "W2": 0.5 * rng.normal(size=(h, c)),
            "b2": 0.1 * rng.normal(size=c),
        }
        self.reg, self.bug = reg, bug

    def loss(self, X, y):
        p = self.params
        N = X.shape[0]
        h = np.maximum(0, X @ p["W1"] + p["b1"])
        s = h @ p["W2"] + p["b2"]
        s = s - s.max(axis=1, keepdims=True)
        probs = np.exp(s) / np.exp(s).sum(axis=1, keepdims=True)
        data_loss = -np.log(probs[np.arange(N), y]).mean()
        loss = data_loss + 0.5 * self.reg * (np.sum(p["W1"] ** 2) + np.sum(p["W2"] ** 2))
        ds = probs.copy()
        if self.bug != "softmax_no_minus_one":
            ds[np.arange(N), y] -= 1
        ds /= N
        if self.bug == "divide_twice":
            ds /= N
        g = {}
        g["W2"] = h.T @ ds + (0 if self.bug == "no_reg" else self.reg * p["W2"])
        if self.bug == "reg_twice":
            g["W2"] = h.T @ ds + 2 * self.reg * p["W2"]
        g["b2"] = ds.sum(axis=0)
        dh = ds @ p["W2"].T
        dh[h <= 0] = 0
        g["W1"] = X.T @ dh + (0 if self.bug == "no_reg" else self.reg * p["W1"])
        if self.bug == "reg_twice":
            g["W1"] = X.T @ dh + 2 * self.reg * p["W1"]
        g["b1"] = dh.sum(axis=0)
        return loss, g


def _cs231n_case(bug, reg=0.1, N=7, seed=1):
    net = TwoLayerSoftmax(4, 6, 3, reg, seed, bug)
    rng = np.random.default_rng(seed + 10)
    X = rng.normal(size=(N, 4))
    y = rng.integers(0, 3, N)
    return dict(params=net.params, loss=lambda: net.loss(X, y)[0], grads=lambda: net.loss(X, y)[1], data=(X, y))


@case(None, None)
def cs231n_correct():
    return _cs231n_case(None)


@case("softmax_backward_wrong", "b2")
def cs231n_softmax_no_minus_one():
    return _cs231n_case("softmax_no_minus_one")


@case("extra_batch_mean", "b2")
def cs231n_divide_twice():
    return _cs231n_case("divide_twice", reg=0.0)


@case("regularization_missing", "W2")
def cs231n_no_reg():
    return _cs231n_case("no_reg")


@case("regularization_wrong", "W2")
def cs231n_reg_twice():
    return _cs231n_case("reg_twice")


# -- 3. Nielsen style: lists of weights and biases, per-example backprop ----------------------


class Network:
    def __init__(self, sizes, seed, bug):
        rng = np.random.default_rng(seed)
        self.biases = [rng.normal(size=(y, 1)) for y in sizes[1:]]
        self.weights = [rng.normal(size=(y, x)) for x, y in zip(sizes[:-1], sizes[1:])]
        self.bug = bug

    def cost(self, batch):
        total = 0.0
        for x, y in batch:
            a = x
            for b, w in zip(self.biases, self.weights):
                a = _sig(w @ a + b)
            total += 0.5 * np.sum((a - y) ** 2)
        return total / len(batch)

    def backprop(self, x, y):
        nb = [np.zeros(b.shape) for b in self.biases]
        nw = [np.zeros(w.shape) for w in self.weights]
        act, acts, zs = x, [x], []
        for b, w in zip(self.biases, self.weights):
            z = w @ act + b
            zs.append(z)
            act = _sig(z)
            acts.append(act)
        sp = lambda z: _sig(z) * (1 - _sig(z))  # noqa: E731
        if self.bug == "sigmoid_prime_of_activation":
            delta = (acts[-1] - y) * sp(acts[-1])
        elif self.bug == "no_output_derivative":
            delta = acts[-1] - y
        else:
            delta = (acts[-1] - y) * sp(zs[-1])
        nb[-1] = delta
        nw[-1] = delta @ acts[-2].T
        for l in range(2, len(self.weights) + 1):
            if self.bug == "forgot_upstream" and l == 2:
                delta = sp(zs[-l]) * np.ones_like(self.weights[-l + 1].T @ delta)
            else:
                delta = (self.weights[-l + 1].T @ delta) * sp(zs[-l])
            nb[-l] = delta
            nw[-l] = delta @ acts[-l - 1].T
        return nb, nw

    def grads(self, batch):
        nb = [np.zeros(b.shape) for b in self.biases]
        nw = [np.zeros(w.shape) for w in self.weights]
        for x, y in batch:
            db, dw = self.backprop(x, y)
            nb = [a + b for a, b in zip(nb, db)]
            nw = [a + b for a, b in zip(nw, dw)]
        return [w / len(batch) for w in nw], [b / len(batch) for b in nb]


def _nielsen_case(bug, sizes=(3, 4, 2), n=5, seed=2):
    net = Network(list(sizes), seed, bug)
    rng = np.random.default_rng(seed + 5)
    batch = [(rng.normal(size=(sizes[0], 1)), rng.random((sizes[-1], 1))) for _ in range(n)]
    params = {}
    for i, (w, b) in enumerate(zip(net.weights, net.biases), 1):
        params[f"w{i}"], params[f"b{i}"] = w, b

    def grads():
        nw, nb = net.grads(batch)
        out = {}
        for i, (w, b) in enumerate(zip(nw, nb), 1):
            out[f"w{i}"], out[f"b{i}"] = w, b
        return out

    return dict(params=params, loss=lambda: net.cost(batch), grads=grads, data=batch)


@case(None, None)
def nielsen_correct():
    return _nielsen_case(None)


@case("activation_derivative_wrong_input", "b2")
def nielsen_sigmoid_prime_of_activation():
    return _nielsen_case("sigmoid_prime_of_activation")


@case("missing_activation_derivative", "b2")
def nielsen_no_output_derivative():
    return _nielsen_case("no_output_derivative")


@case("missing_upstream_gradient", "b1")
def nielsen_forgot_upstream():
    return _nielsen_case("forgot_upstream")


# -- 4. deeplearning.ai style: a parameters dict, forward with caches, backward ---------------


def dlai_case(bug, layer_dims=(3, 4, 4, 1), m=6, seed=3):
    rng = np.random.default_rng(seed)
    parameters = {}
    for l in range(1, len(layer_dims)):
        parameters["W" + str(l)] = rng.normal(size=(layer_dims[l], layer_dims[l - 1])) * 0.8
        parameters["b" + str(l)] = np.zeros((layer_dims[l], 1)) + 0.1
    X = rng.normal(size=(layer_dims[0], m))
    Y = (rng.random((1, m)) > 0.5).astype(float)
    L = len(layer_dims) - 1

    def forward():
        caches, A = [], X
        for l in range(1, L):
            Z = parameters["W" + str(l)] @ A + parameters["b" + str(l)]
            caches.append((A, Z))
            A = np.tanh(Z)
        Z = parameters["W" + str(L)] @ A + parameters["b" + str(L)]
        caches.append((A, Z))
        return _sig(Z), caches

    def cost():
        AL, _ = forward()
        return float(-np.mean(Y * np.log(AL) + (1 - Y) * np.log(1 - AL)))

    def backward():
        AL, caches = forward()
        grads = {}
        dZ = AL - Y
        for l in range(L, 0, -1):
            A_prev, Z = caches[l - 1]
            grads["dW" + str(l)] = dZ @ A_prev.T / m
            grads["db" + str(l)] = np.sum(dZ, axis=1, keepdims=True) / m
            if bug == "db_wrong_axis" and l == 1:
                grads["db" + str(l)] = np.sum(dZ, axis=0, keepdims=True) / m
            if l > 1:
                W = parameters["W" + str(l)]
                dA_prev = W.T @ dZ
                _, Z_prev = caches[l - 2]
                if bug == "tanh_derivative_of_z" and l == 2:
                    dZ = dA_prev * (1 - Z_prev**2)
                elif bug == "relu_derivative_for_tanh" and l == 3:
                    dZ = dA_prev * (Z_prev > 0)
                else:
                    dZ = dA_prev * (1 - np.tanh(Z_prev) ** 2)
        return grads

    return dict(params=parameters, loss=cost, grads=backward, data=(X, Y))


@case(None, None)
def dlai_correct():
    return dlai_case(None)


@case("activation_derivative_wrong_input", "b1")
def dlai_tanh_derivative_of_z():
    return dlai_case("tanh_derivative_of_z")


@case("wrong_activation_derivative", "b2")
def dlai_relu_derivative_for_tanh():
    return dlai_case("relu_derivative_for_tanh")


@case("wrong_shape", "b1")
def dlai_db_wrong_axis():
    return dlai_case("db_wrong_axis")


# -- 5. plain functions over a params dict -------------------------------------------------


def plain_case(bug, m=8, seed=4):
    rng = np.random.default_rng(seed)
    params = {"W1": rng.normal(size=(2, 3)), "b1": rng.normal(size=(3,)), "W2": rng.normal(size=(3, 1)), "b2": np.zeros(1)}
    X = rng.normal(size=(m, 2))
    y = rng.normal(size=(m, 1))

    def loss_fn(p, X, y):
        h = np.tanh(X @ p["W1"] + p["b1"])
        out = h @ p["W2"] + p["b2"]
        return np.mean((out - y) ** 2)

    def grad_fn(p, X, y):
        h = np.tanh(X @ p["W1"] + p["b1"])
        out = h @ p["W2"] + p["b2"]
        dout = 2 * (out - y) / m
        if bug == "mse_no_two":
            dout = (out - y) / m
        if bug == "sign":
            dout = (y - out) * 2 / m
        g = {"W2": h.T @ dout, "b2": dout.sum(0)}
        dh = dout @ p["W2"].T
        if bug == "tanh_derivative_wrong":
            dz = dh * (1 - h)
        else:
            dz = dh * (1 - h**2)
        g["W1"] = X.T @ dz
        g["b1"] = dz.sum(0)
        if bug == "zero_W1":
            g["W1"] = np.zeros_like(params["W1"])
        return g

    return dict(params=params, loss=lambda: loss_fn(params, X, y), grads=lambda: grad_fn(params, X, y), data=(X, y))


@case(None, None)
def plain_correct():
    return plain_case(None)


@case("constant_factor", "b2")
def plain_mse_no_two():
    return plain_case("mse_no_two")


@case("sign_flipped", "b2")
def plain_sign():
    return plain_case("sign")


@case("wrong_activation_derivative", "b1")
def plain_tanh_derivative_wrong():
    return plain_case("tanh_derivative_wrong")


@case("zero_gradient", "W1")
def plain_zero_W1():
    return plain_case("zero_W1")
