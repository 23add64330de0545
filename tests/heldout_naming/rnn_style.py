"""A small vanilla RNN over one sequence, one step at a time with 1-D vectors:
``h_t = tanh(Wx x_t + Wh h_(t-1) + bh)``, ``y_t = Wy h_t + by``, a squared error summed over the
steps (many-to-many) or on the last step only (many-to-one), backpropagation through time. The
user's loss is ``lambda: rnn.loss(xs, targets)``: the sequence is in its closure."""

from __future__ import annotations

import numpy as np

from . import bug, case

CLIP = 1.0  # the threshold a training loop clips its gradients to


class RNN:
    def __init__(self, n_in, n_hidden, n_out, seed, last_only=False, mistake=None):
        rng = np.random.default_rng(seed)
        self.Wx = rng.normal(0, 0.6, (n_hidden, n_in))
        self.Wh = rng.normal(0, 0.4, (n_hidden, n_hidden))
        self.bh = rng.normal(0, 0.1, n_hidden)
        self.Wy = rng.normal(0, 0.6, (n_out, n_hidden))
        self.by = rng.normal(0, 0.1, n_out)
        self.last_only, self.mistake = last_only, mistake

    def parameters(self):
        return {"Wx": self.Wx, "Wh": self.Wh, "bh": self.bh, "Wy": self.Wy, "by": self.by}

    def run(self, xs):
        hs = [np.zeros(self.Wh.shape[0])]
        for x in xs:
            hs.append(np.tanh(self.Wx @ x + self.Wh @ hs[-1] + self.bh))
        return hs, [self.Wy @ h + self.by for h in hs[1:]]

    def scored_steps(self, n):
        return [n - 1] if self.last_only else range(n)

    def loss(self, xs, targets):
        _, ys = self.run(xs)
        return float(sum(0.5 * np.sum((ys[t] - targets[t]) ** 2) for t in self.scored_steps(len(xs))))

    def backward(self, xs, targets):
        hs, ys = self.run(xs)
        g = {name: np.zeros_like(p) for name, p in self.parameters().items()}
        dh_next = np.zeros_like(self.bh)
        scored = set(self.scored_steps(len(xs)))
        for t in reversed(range(len(xs))):
            dy = ys[t] - targets[t] if t in scored else np.zeros_like(self.by)
            g["Wy"] += np.outer(dy, hs[t + 1])
            g["by"] += dy
            dh = self.Wy.T @ dy if self.mistake == "truncated" else self.Wy.T @ dy + dh_next
            dz = dh * (1 - hs[t + 1] ** 2)
            g["Wx"] += np.outer(dz, xs[t])
            g["bh"] += dz
            h_prev = hs[t + 1] if self.mistake == "wrong_step" else hs[t]
            g["Wh"] += np.outer(dz, h_prev)
            dh_next = self.Wh.T @ dz
        if self.mistake == "clipped":
            g = {name: np.clip(v, -CLIP, CLIP) for name, v in g.items()}
        return g


def _sequence(steps, n_in, n_out, seed):
    rng = np.random.default_rng(seed)
    xs = rng.normal(size=(steps, n_in))
    targets = np.cumsum(xs[:, :n_out], axis=0) * 0.5  # a running sum needs the memory
    return xs, targets


def _user(rnn, xs, targets):
    return dict(
        params=rnn.parameters(), loss=lambda: rnn.loss(xs, targets),
        grads=lambda: rnn.backward(xs, targets), X=xs, y=targets,
    )


@case("rnn", "closure", (6, 2), (6, 2))
def rnn_correct_many_to_many():
    return _user(RNN(2, 4, 2, 71), *_sequence(6, 2, 2, 71))


@case("rnn", "closure", (5, 3), (5, 1))
def rnn_correct_many_to_one():
    return _user(RNN(3, 5, 1, 72, last_only=True), *_sequence(5, 3, 1, 72))


@case("rnn", "closure", (6, 2), (6, 2), bug("missing_recurrent_gradient", "Wx", "Wh", "bh", new_kind=True))
def rnn_hidden_gradient_not_carried_back():
    return _user(RNN(2, 4, 2, 73, mistake="truncated"), *_sequence(6, 2, 2, 73))


@case("rnn", "closure", (7, 2), (7, 1), bug("weight_gradient_wrong_input", "Wh"))
def rnn_previous_hidden_from_wrong_step():
    return _user(RNN(2, 3, 1, 74, last_only=True, mistake="wrong_step"), *_sequence(7, 2, 1, 74))


@case("rnn", "closure", (8, 3), (8, 3), bug("gradient_clipped", "Wx", "bh", "Wy", "by", new_kind=True))
def rnn_gradients_clipped_before_return():
    return _user(RNN(3, 4, 3, 75, mistake="clipped"), *_sequence(8, 3, 3, 75))
