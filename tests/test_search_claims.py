"""A search claims to have varied a keyword only when the nets it checked changed with it.

A value drawn and passed is not a value tried when the factory ignores it: a ``**options``
factory that reads nothing, or a factory whose batch and seed are fixed inside, built one net
whatever the search drew. What the check saw of each net (the arrays built, the loss value, the
analytic gradients) tells: a keyword whose values left it unchanged is listed as not varied,
with the reason, and a search in which nothing changed says so instead of a pass.
"""

from __future__ import annotations

import numpy as np

from gradcheck.search import search


def _regression(batch_size=4, seed=0, reg=0.0):
    rng = np.random.default_rng(seed)
    X, y, w = rng.normal(size=(batch_size, 2)), rng.normal(size=batch_size), rng.normal(size=2)
    return {"params": {"w": w}, "loss": lambda: float(((X @ w - y) ** 2).mean() + reg * w @ w),
            "grads": lambda: {"w": 2 * X.T @ (X @ w - y) / batch_size + 2 * reg * w}, "data": (X, y)}


def test_a_catch_all_factory_that_reads_nothing_varied_nothing():
    def build(**options):
        return _regression()

    result = search(build, seed=0, max_examples=20)
    assert not result.found and result.varied == []
    assert result.explanation.startswith("? nothing was varied: build() was checked at 20 configurations that all "
                                         "built the same net")
    for name in ("batch_size", "seed"):
        assert "did not change with it" in result.not_varied[name]
    assert "batch sizes" not in result.explanation


def test_a_batch_and_seed_fixed_inside_are_not_claimed():
    def build(batch_size=3, seed=0, reg=0.0):  # batch and seed ignored, reg used
        return _regression(4, 0, reg)

    result = search(build, seed=0, max_examples=30)
    assert result.varied == ["reg"]
    assert set(result.not_varied) == {"batch_size", "seed"}
    assert "batch sizes" not in result.explanation and "reg: " in result.explanation


def test_keywords_the_factory_reads_are_claimed():
    result = search(_regression, seed=0, max_examples=30)
    assert result.varied == ["batch_size", "seed", "reg"] and result.not_varied == {}
    assert "batch sizes 1-" in result.explanation


def test_a_setting_that_only_changes_the_loss_counts_as_varied():
    def build(batch_size=4, seed=0, scale=1.0):  # scale enters the loss and the gradients only
        problem = _regression(batch_size, seed)
        loss, grads = problem["loss"], problem["grads"]
        problem["loss"] = lambda: scale * loss()
        problem["grads"] = lambda: {"w": scale * grads()["w"]}
        return problem

    assert "scale" in search(build, seed=0, max_examples=30).varied
