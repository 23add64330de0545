"""Flat targets (m,) against an (m, 1) output: the broadcast is recomputed and named on the output
layer's parameters; a bias kept per example on a net with flat targets is still bias_not_summed."""

from __future__ import annotations

import numpy as np

import gradcheck


class _Logistic:
    """A rows logistic regression keeping flat labels on self."""

    def __init__(self, rng, m=8, broadcast=True):
        self.X = rng.normal(size=(m, 4))
        self.labels = (rng.random(m) > 0.5).astype(float)
        self.W, self.c = rng.normal(size=(4, 1)), rng.normal(size=(1, 1))
        self.broadcast = broadcast

    def cost(self):
        a = 1 / (1 + np.exp(-(self.X @ self.W + self.c)))
        y = self.labels[:, None]
        return float(-np.mean(y * np.log(a) + (1 - y) * np.log(1 - a)))

    def gradients(self):
        a = 1 / (1 + np.exp(-(self.X @ self.W + self.c)))
        m = len(self.X)
        if self.broadcast:
            dz = (a - self.labels) / m  # (m, 1) - (m,) -> (m, m)
            return {"W": self.X.T @ dz, "c": dz.sum(axis=0, keepdims=True)}
        dz = (a - self.labels[:, None]) / m
        return {"W": self.X.T @ dz, "c": dz}  # correct W; c kept per example


def test_both_output_parameters_broadcast():
    net = _Logistic(np.random.default_rng(0))
    report = gradcheck.check({"W": net.W, "c": net.c}, net.cost, net.gradients)
    assert [(f.kind, f.params) for f in report.findings] == [("target_shape_broadcast", ["W", "c"])]
    assert "reshape(-1, 1)" in report.findings[0].fix
    assert report.data_source.startswith("self.X (8, 4), self.labels (8,) from the bound self")


def test_a_bias_kept_per_example_with_flat_targets_is_not_the_broadcast():
    net = _Logistic(np.random.default_rng(1), broadcast=False)
    report = gradcheck.check({"W": net.W, "c": net.c}, net.cost, net.gradients)
    assert report.kinds() == ["bias_not_summed"] and report.findings[0].params == ["c"]
