"""Gradients clipped inside the backward pass are named gradient_clipped (by value, by norm per
tensor, by global norm) with the threshold; other mistakes are not taken for a clip."""

from __future__ import annotations

import numpy as np
import pytest

import gradcheck
from gradcheck.diagnosis.detectors.clipped import clip_threshold


def _net(rng, clip):
    """A rows tanh regressor whose gradients go through ``clip`` before they are returned."""
    X, y = rng.normal(size=(6, 3)) * 3, rng.normal(size=(6, 2)) * 4
    p = {"W1": rng.normal(size=(3, 5)), "b1": rng.normal(size=5), "W2": rng.normal(size=(5, 2)), "b2": rng.normal(size=2)}

    def loss():
        return float(((np.tanh(X @ p["W1"] + p["b1"]) @ p["W2"] + p["b2"] - y) ** 2).sum())

    def grads():
        h = np.tanh(X @ p["W1"] + p["b1"])
        d = 2 * (h @ p["W2"] + p["b2"] - y)
        dh = d @ p["W2"].T * (1 - h**2)
        return clip({"W1": X.T @ dh, "b1": dh.sum(0), "W2": h.T @ d, "b2": d.sum(0)})

    return p, loss, grads


def _by_value(g):
    return {k: np.clip(v, -5.0, 5.0) for k, v in g.items()}


def _by_norm(g):
    return {k: v * min(1.0, 3.0 / np.linalg.norm(v)) for k, v in g.items()}


def _by_global_norm(g):
    total = np.sqrt(sum((v**2).sum() for v in g.values()))
    return {k: v * 2.5 / total for k, v in g.items()}


@pytest.mark.parametrize("clip,form,t", [(_by_value, "value", 5.0), (_by_norm, "norm", 3.0),
                                         (_by_global_norm, "global norm", 2.5)])
def test_a_clip_is_named_with_its_threshold(clip, form, t):
    p, loss, grads = _net(np.random.default_rng(0), clip)
    report = gradcheck.check(p, loss, grads)
    assert report.kinds() == ["gradient_clipped"]
    f = report.findings[0]
    assert set(f.params) == set(report.wrong) and f.evidence["form"] == form
    assert f.evidence["threshold"] == pytest.approx(t)


def test_a_factor_or_a_sign_is_no_clip():
    rng = np.random.default_rng(1)
    n = [rng.normal(size=(4, 3)), rng.normal(size=3)]
    assert clip_threshold([2 * v for v in n], n) is None
    assert clip_threshold([-v for v in n], n) is None
    assert clip_threshold([v + 0.1 for v in n], n) is None
    assert clip_threshold([0 * v for v in n], n) is None  # zeros have one norm, 0: no clip
