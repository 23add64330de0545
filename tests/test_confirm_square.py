"""The search's confirmation step moves a net off square weight matrices, where W, W.T and
W.reshape(W.T.shape) coincide, before it names a transpose-family mistake."""

from __future__ import annotations

import numpy as np

from gradcheck import search


def column_net_reshaped(widths=(2, 2, 2), m=3, seed=0):
    """Examples as columns, sigmoid hidden layers, linear output, half squared error; every delta is
    carried down with W.reshape(W.T.shape) where W.T belongs."""
    rng = np.random.default_rng(seed)
    X, Y = rng.normal(size=(widths[0], m)), rng.normal(size=(widths[-1], m))
    p = {}
    for i, (a, b) in enumerate(zip(widths[:-1], widths[1:]), start=1):
        p[f"W{i}"], p[f"b{i}"] = rng.normal(size=(b, a)), 0.1 * rng.normal(size=(b, 1))
    n = len(widths) - 1

    def forward():
        acts = [X]
        for i in range(1, n + 1):
            z = p[f"W{i}"] @ acts[-1] + p[f"b{i}"]
            acts.append(z if i == n else 1 / (1 + np.exp(-z)))
        return acts

    def loss():
        return float(0.5 * np.sum((forward()[-1] - Y) ** 2) / m)

    def grads():
        acts = forward()
        dz, g = (acts[-1] - Y) / m, {}
        for i in range(n, 0, -1):
            g[f"W{i}"], g[f"b{i}"] = dz @ acts[i - 1].T, dz.sum(axis=1, keepdims=True)
            if i > 1:
                W = p[f"W{i}"]
                dz = (W.reshape(W.shape[::-1]) @ dz) * acts[i - 1] * (1 - acts[i - 1])
        return g

    return {"params": p, "loss": loss, "grads": grads, "data": (X, Y)}


def test_a_reshape_for_transpose_is_named_off_the_square_net():
    result = search(column_net_reshaped, seed=0)
    assert result.found
    assert result.kinds == ["reshape_instead_of_transpose"]
    assert result.named_at is not None
    built = column_net_reshaped(**result.named_at)["params"]
    squares = [k for k, v in built.items() if k.startswith("W") and v.shape[0] == v.shape[1] >= 2]
    assert not squares, f"named at {result.named_at}, where {squares} are square"
    assert result.report is not None and set(result.report.wrong) >= {"W1", "b1"}
