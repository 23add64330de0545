"""Fully-connected ReLU nets whose pre-activations sit within a finite-difference step of a kink.

``relu_net`` is a cs231n-style net (examples as rows, affine-relu layers, softmax loss) with the
gradient written by hand. Small weights in a deep net put many pre-activations near 0; input rows
of zeros put the first layer's pre-activations at the biases, so biases of +-1e-9 (or exactly 0)
put them within a step of the kink (or on it). ``mistake`` breaks the gradient: "sign" flips every
tensor's, "scale" doubles it, "b1_sign" (any "<name>_sign") flips that tensor's only.
"""

from __future__ import annotations

import numpy as np


def relu_net(hidden, *, n_in=15, n_out=10, batch=5, weight_scale=5e-2, seed=0, zero_rows=0, bias=None,
             mistake=None):
    """(params, loss, grads) of a softmax net with ReLU hidden layers of the given widths."""
    rng = np.random.default_rng(seed)
    dims = [n_in, *hidden, n_out]
    params = {}
    for i, (a, b) in enumerate(zip(dims[:-1], dims[1:]), start=1):
        params[f"W{i}"] = weight_scale * rng.standard_normal((a, b))
        params[f"b{i}"] = np.zeros(b) if bias is None else bias * rng.choice([-1.0, 1.0], size=b)
    X = rng.standard_normal((batch, n_in))
    X[:zero_rows] = 0.0
    y = rng.integers(n_out, size=batch)
    depth = len(dims) - 1

    def forward():
        h, cache = X, []
        for i in range(1, depth + 1):
            z = h @ params[f"W{i}"] + params[f"b{i}"]
            cache.append((h, z))
            h = np.maximum(z, 0) if i < depth else z
        return h, cache

    def loss():
        s, _ = forward()
        s = s - s.max(axis=1, keepdims=True)
        logp = s - np.log(np.exp(s).sum(axis=1, keepdims=True))
        return float(-logp[np.arange(batch), y].mean())

    def grads():
        s, cache = forward()
        p = np.exp(s - s.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        d = p
        d[np.arange(batch), y] -= 1
        d /= batch
        out = {}
        for i in range(depth, 0, -1):
            h, z = cache[i - 1]
            if i < depth:
                d = d * (z > 0)
            out[f"W{i}"], out[f"b{i}"] = h.T @ d, d.sum(axis=0)
            d = d @ params[f"W{i}"].T
        if mistake == "sign":
            return {k: -v for k, v in out.items()}
        if mistake == "scale":
            return {k: 2 * v for k, v in out.items()}
        if mistake is not None and mistake.endswith("_sign") and mistake != "sign":
            name = mistake.removesuffix("_sign")
            out[name] = -out[name]
        return out

    loss.data = (X, y)  # for peers that rebuild the net (benchmarks/bench_kinks.py)
    return params, loss, grads
