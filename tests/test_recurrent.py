"""Mistakes of backpropagation through time, named on vanilla RNNs written here in two styles.

Style A: plain functions over a token sequence with a closure (``x @ W`` layout, softmax
cross-entropy over the vocabulary at every step or the mean over the steps, a non-zero starting
state in the closure). Style B: a class with ``forward``/``backward`` over a list of column
vectors (``W @ x``, squared error, on every step or only the last). Style C: a minibatch of
sequences as one array, (N, T, D) or (T, N, D), squared error averaged over the batch. Each mistake is checked on
its kind AND the parameters named; each correct net gets no finding and stays "ok".
"""

from __future__ import annotations

import numpy as np
import pytest

import gradcheck
from gradcheck.diagnosis.model.rnn import infer_rnn

# -- style A: plain functions, tokens, rows layout ---------------------------------------------------------


def token_rnn(vocab, hidden, steps, seed, mistake=None, mean=False, last_only=False):
    rng = np.random.default_rng(seed)
    p = {"U": rng.normal(0, 0.5, (vocab, hidden)), "W": rng.normal(0, 0.5, (hidden, hidden)),
         "b": rng.normal(0, 0.1, hidden), "V": rng.normal(0, 0.5, (hidden, vocab)), "c": rng.normal(0, 0.1, vocab)}
    tokens = rng.integers(0, vocab, size=steps + 1)
    seq_in, seq_out = tokens[:-1], tokens[1:]
    state0 = rng.normal(0, 0.5, hidden)
    denom = steps if mean else 1

    def run():
        hs, probs = [state0], []
        for tok in seq_in:
            hs.append(np.tanh(p["U"][tok] + hs[-1] @ p["W"] + p["b"]))
            s = hs[-1] @ p["V"] + p["c"]
            e = np.exp(s - s.max())
            probs.append(e / e.sum())
        return hs, probs

    def scored():
        return [steps - 1] if last_only else range(steps)

    def loss():
        probs = run()[1]
        return float(-sum(np.log(probs[t][seq_out[t]]) for t in scored()) / denom)

    def grads():
        hs, probs = run()
        g = {k: np.zeros_like(v) for k, v in p.items()}
        carried = np.zeros(hidden)
        for t in reversed(range(steps)):
            ds = probs[t].copy()
            ds[seq_out[t]] -= 1
            ds = ds / denom if t in scored() else np.zeros(vocab)
            g["V"] += np.outer(hs[t + 1], ds)
            g["c"] += ds
            dh = ds @ p["V"].T
            if mistake != "truncated":
                dh = dh + carried
            draw = dh * (1 - hs[t + 1] ** 2)
            g["U"][seq_in[t]] += draw
            g["b"] += draw
            g["W"] += np.outer(hs[t + 1] if mistake == "own_state" else hs[t], draw)
            carried = draw @ p["W"] if mistake == "no_transpose" else draw @ p["W"].T
        return g

    return p, loss, grads


# -- style B: a class, column vectors, cols layout ----------------------------------------------------------


ACTS = {"tanh": (np.tanh, lambda h: 1 - h**2), "relu": (lambda z: np.maximum(z, 0), lambda h: (h > 0) * 1.0),
        "sigmoid": (lambda z: 1 / (1 + np.exp(-z)), lambda h: h * (1 - h))}


class Recurrent:
    def __init__(self, n_in, n_hidden, n_out, seed, mistake=None, last_only=False, act="tanh"):
        rng = np.random.default_rng(seed)
        self.W_in = rng.normal(0, 0.6, (n_hidden, n_in))
        self.W_rec = rng.normal(0, 0.4, (n_hidden, n_hidden))
        self.bias = rng.normal(0, 0.1, (n_hidden, 1))
        self.W_out = rng.normal(0, 0.6, (n_out, n_hidden))
        self.b_out = rng.normal(0, 0.1, (n_out, 1))
        self.mistake, self.last_only = mistake, last_only
        self.f, self.df = ACTS[act]

    def params(self):
        return {"W_in": self.W_in, "W_rec": self.W_rec, "bias": self.bias, "W_out": self.W_out, "b_out": self.b_out}

    def forward(self, inputs):
        states = [np.zeros_like(self.bias)]
        for x in inputs:
            states.append(self.f(self.W_in @ x + self.W_rec @ states[-1] + self.bias))
        return states, [self.W_out @ h + self.b_out for h in states[1:]]

    def cost(self, inputs, outputs):
        _, preds = self.forward(inputs)
        steps = [len(inputs) - 1] if self.last_only else range(len(inputs))
        return float(sum(np.sum((preds[t] - outputs[t]) ** 2) for t in steps))

    def backward(self, inputs, outputs):
        states, preds = self.forward(inputs)
        g = {k: np.zeros_like(v) for k, v in self.params().items()}
        dnext = np.zeros_like(self.bias)
        for t in reversed(range(len(inputs))):
            scored = not self.last_only or t == len(inputs) - 1
            dy = 2 * (preds[t] - outputs[t]) if scored else np.zeros_like(self.b_out)
            g["W_out"] += dy @ states[t + 1].T
            g["b_out"] += dy
            dh = self.W_out.T @ dy + (0 if self.mistake == "truncated" else dnext)
            dz = dh * self.df(states[t + 1])
            g["W_in"] += dz @ inputs[t].T
            g["W_rec"] += dz @ (states[t + 1] if self.mistake == "own_state" else states[t]).T
            g["bias"] += dz
            dnext = (self.W_rec if self.mistake == "no_transpose" else self.W_rec.T) @ dz
        return g


def class_net(n_in, n_hidden, n_out, steps, seed, mistake=None, last_only=False, act="tanh"):
    net = Recurrent(n_in, n_hidden, n_out, seed, mistake, last_only, act)
    rng = np.random.default_rng(seed + 100)
    inputs = [rng.normal(size=(n_in, 1)) for _ in range(steps)]
    outputs = [rng.normal(size=(n_out, 1)) for _ in range(steps)]
    return net.params(), lambda: net.cost(inputs, outputs), lambda: net.backward(inputs, outputs)


# -- style C: a minibatch of sequences (N, T, D), rows layout, mean over the batch -----------------------------


def batch_net(n, steps, n_in, hidden, n_out, seed, mistake=None, time_first=False):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(steps, n, n_in) if time_first else (n, steps, n_in))
    Y = rng.normal(size=(steps, n, n_out) if time_first else (n, steps, n_out))
    w = {"Wxh": rng.normal(0, 0.5, (n_in, hidden)), "Whh": rng.normal(0, 0.4, (hidden, hidden)),
         "bh": rng.normal(0, 0.1, hidden), "Why": rng.normal(0, 0.5, (hidden, n_out)), "by": np.zeros(n_out)}

    def step_input(t):
        return X[t] if time_first else X[:, t]

    def step_target(t):
        return Y[t] if time_first else Y[:, t]

    def states():
        hs = [np.zeros((n, hidden))]
        for t in range(steps):
            hs.append(np.tanh(step_input(t) @ w["Wxh"] + hs[-1] @ w["Whh"] + w["bh"]))
        return hs

    def loss():
        hs = states()
        return float(sum(np.sum((hs[t + 1] @ w["Why"] + w["by"] - step_target(t)) ** 2) for t in range(steps)) / n)

    def grads():
        hs = states()
        g = {k: np.zeros_like(v) for k, v in w.items()}
        dnext = np.zeros((n, hidden))
        for t in reversed(range(steps)):
            dout = 2 * (hs[t + 1] @ w["Why"] + w["by"] - step_target(t)) / n
            g["Why"] += hs[t + 1].T @ dout
            g["by"] += dout.sum(axis=0)
            dh = dout @ w["Why"].T + (0 if mistake == "truncated" else dnext)
            dz = dh * (1 - hs[t + 1] ** 2)
            g["Wxh"] += step_input(t).T @ dz
            g["Whh"] += (hs[t + 1] if mistake == "own_state" else hs[t]).T @ dz
            g["bh"] += dz.sum(axis=0)
            dnext = dz @ w["Whh"].T
        return g

    return w, loss, grads


@pytest.mark.parametrize("time_first", [False, True])
def test_a_minibatch_of_sequences_is_read_and_its_mistakes_named(time_first):
    report = gradcheck.check(*batch_net(4, 5, 3, 4, 2, 51, time_first=time_first))
    assert report.ok and not report.findings
    report = gradcheck.check(*batch_net(3, 6, 2, 5, 2, 52, "truncated", time_first=time_first))
    assert sorted(report.wrong) == ["Whh", "Wxh", "bh"]
    assert report.kinds() == ["missing_recurrent_gradient"] and sorted(report.findings[0].params) == ["Whh", "Wxh", "bh"]
    assert "a batch of sequences" in report.findings[0].message
    assert "dh = dy @ Why.T + dh_next" in report.findings[0].fix
    report = gradcheck.check(*batch_net(5, 4, 2, 3, 1, 53, "own_state", time_first=time_first))
    assert report.wrong == ["Whh"] and report.kinds() == ["weight_gradient_wrong_input"]


def _named(report, kind):
    return [f.params for f in report.findings if f.kind == kind]


CORRECT = [
    ("tokens, every step", lambda: token_rnn(5, 4, 6, 1)),
    ("tokens, mean over steps", lambda: token_rnn(4, 3, 5, 2, mean=True)),
    ("tokens, last step", lambda: token_rnn(6, 5, 4, 3, last_only=True)),
    ("class, every step", lambda: class_net(2, 4, 3, 5, 4)),
    ("class, last step", lambda: class_net(3, 3, 1, 7, 5, last_only=True)),
]


@pytest.mark.parametrize("what,make", CORRECT, ids=[c[0] for c in CORRECT])
def test_a_correct_recurrent_net_passes_with_no_finding(what, make):
    params, loss, grads = make()
    report = gradcheck.check(params, loss, grads)
    assert report.ok and not report.findings


TRUNCATED = [
    ("tokens, every step", lambda: token_rnn(5, 4, 6, 11, "truncated"), ["U", "W", "b"]),
    ("tokens, mean over steps", lambda: token_rnn(4, 6, 3, 12, "truncated", mean=True), ["U", "W", "b"]),
    ("class, every step", lambda: class_net(2, 4, 3, 5, 13, "truncated"), ["W_in", "W_rec", "bias"]),
    ("class, last step", lambda: class_net(3, 5, 2, 8, 14, "truncated", last_only=True), ["W_in", "W_rec", "bias"]),
]


@pytest.mark.parametrize("what,make,wrong", TRUNCATED, ids=[c[0] for c in TRUNCATED])
def test_the_hidden_gradient_not_carried_back_is_named(what, make, wrong):
    params, loss, grads = make()
    report = gradcheck.check(params, loss, grads)
    assert sorted(report.wrong) == sorted(wrong)
    assert report.kinds() == ["missing_recurrent_gradient"]
    assert sorted(_named(report, "missing_recurrent_gradient")[0]) == sorted(wrong)
    finding = report.findings[0]
    compile(finding.fix.split(": ", 1)[1].split(", then")[0], "<fix>", "exec")
    assert "dh_next" in finding.fix and "data:" not in finding.message
    assert "from loss's closure" in report.data_source


@pytest.mark.parametrize("make,wh", [(lambda: token_rnn(4, 5, 5, 21, "own_state"), "W"),
                                     (lambda: class_net(2, 3, 2, 6, 22, "own_state"), "W_rec")])
def test_the_recurrent_weights_gradient_from_the_wrong_step_is_named_on_them(make, wh):
    params, loss, grads = make()
    report = gradcheck.check(params, loss, grads)
    assert report.wrong == [wh]
    assert report.kinds() == ["weight_gradient_wrong_input"] and report.findings[0].params == [wh]
    assert f"d{wh} += np.outer(" in report.findings[0].fix


@pytest.mark.parametrize("make,wrong", [(lambda: token_rnn(4, 3, 5, 31, "no_transpose"), ["U", "W", "b"]),
                                        (lambda: class_net(2, 4, 2, 5, 32, "no_transpose"), ["W_in", "W_rec", "bias"])])
def test_the_recurrent_weights_not_transposed_are_named(make, wrong):
    params, loss, grads = make()
    report = gradcheck.check(params, loss, grads)
    assert sorted(report.wrong) == sorted(wrong)
    assert report.kinds() == ["weights_not_transposed"]
    assert sorted(report.findings[0].params) == sorted(wrong)


def test_the_net_is_read_with_its_starting_state_and_layout():
    params, loss, _ = token_rnn(5, 4, 6, 41)
    from gradcheck.diagnosis.discover import discover_data, loss_states

    found = discover_data(params, loss)
    assert found is not None and found.confirmed == "reproduced"
    net = infer_rnn(params, loss, found.data, states=loss_states(params, loss))
    assert (net.wx, net.wh, net.bh, net.wy, net.by, net.layout, net.head) == ("U", "W", "b", "V", "c", "rows",
                                                                               "softmax_ce")
    assert net.h0_name == "state0"
    assert infer_rnn(params, loss, found.data) is None  # without its starting state the loss is not reproduced


def test_a_dense_net_is_no_recurrent_net():
    from gradcheck.nn import MLP

    net = MLP([3, 3, 3, 1], activations="tanh", loss="mse", layout="cols", seed=0)
    params = {k: v for k, v in net.params.items() if k != "b1"}
    X, y = net.random_data(6)
    assert infer_rnn(params, lambda: net.loss(X, y), (X, y)) is None


@pytest.mark.parametrize("act,derivative", [("relu", "(h > 0)"), ("sigmoid", "h * (1 - h)")])
def test_other_activations_of_the_hidden_state_are_read(act, derivative):
    report = gradcheck.check(*class_net(3, 4, 2, 6, 61, act=act))
    assert report.ok and not report.findings
    report = gradcheck.check(*class_net(2, 5, 2, 5, 62, "truncated", act=act))
    assert sorted(report.wrong) == ["W_in", "W_rec", "bias"] and report.kinds() == ["missing_recurrent_gradient"]
    assert f"h_t = {act}(W_in @ x_t" in report.findings[0].message
    assert f"(dh_raw = {derivative} * dh)" in report.findings[0].fix
    compile(f"dh_raw = {derivative} * dh", "<fix>", "exec")
    report = gradcheck.check(*class_net(2, 3, 1, 6, 63, "own_state", act=act))
    assert report.wrong == ["W_rec"] and report.kinds() == ["weight_gradient_wrong_input"]
