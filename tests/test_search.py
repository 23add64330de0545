"""The search for the smallest failing net: it finds the mistakes that the usual hand test hides.

Each factory below builds a user-style net (rows layout, MSE loss, biases of shape (1, n))
with one deliberate mistake, and takes the keywords the search varies.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from gradcheck.errors import AdapterError, TargetError
from gradcheck.nn import MLP
from gradcheck.search import SearchResult, describe_config, search
from gradcheck.strategies import layer_widths


def make_net(mistake=None):
    """A factory ``build(widths, batch_size, seed, X=None)`` of a tanh (or relu) net with ``mistake``."""
    relu = mistake in ("relu_mask", "relu_correct")

    def build(widths, batch_size, seed, X=None):
        rng = np.random.default_rng(seed)
        params = {}
        for i, (n_in, n_out) in enumerate(zip(widths[:-1], widths[1:]), start=1):
            if relu:  # the common beginner init: uniform [0, 1) weights, zero biases
                params[f"W{i}"], params[f"b{i}"] = rng.random((n_in, n_out)), np.zeros((1, n_out))
            else:
                params[f"W{i}"] = rng.normal(size=(n_in, n_out)) / np.sqrt(n_in)
                params[f"b{i}"] = rng.normal(size=(1, n_out)) * 0.1
        X = rng.normal(size=(batch_size, widths[0])) if X is None else X
        y = rng.normal(size=(X.shape[0], widths[-1]))
        m, n_layers = X.shape[0], len(widths) - 1

        def forward():
            a, zs, acts = X, [], [X]
            for i in range(1, n_layers + 1):
                z = a @ params[f"W{i}"] + params[f"b{i}"]
                a = z if i == n_layers else (np.maximum(z, 0) if relu else np.tanh(z))
                zs.append(z)
                acts.append(a)
            return zs, acts

        def loss():
            return float(0.5 * ((forward()[1][-1] - y) ** 2).sum() / m)

        def grads():
            zs, acts = forward()
            dz = acts[-1] - y if mistake == "missing_mean" else (acts[-1] - y) / m
            out = {}
            for i in range(n_layers, 0, -1):
                W = params[f"W{i}"]
                out[f"W{i}"] = dz.T @ acts[i - 1] if mistake == "transposed" else acts[i - 1].T @ dz
                if mistake == "not_square" and W.shape[0] != W.shape[1]:
                    out[f"W{i}"] = 1.5 * out[f"W{i}"]
                out[f"b{i}"] = dz if mistake == "bias_not_summed" else dz.sum(axis=0, keepdims=True)
                if i > 1:
                    if relu:  # the mask lets negative pre-activations through
                        mask = zs[i - 2] != 0 if mistake == "relu_mask" else zs[i - 2] > 0
                    else:
                        mask = 1 - acts[i - 1] ** 2
                    dz = (dz @ W.T) * mask
            return out

        return {"params": params, "loss": loss, "grads": grads}

    return build


def mlp_factory(widths, batch_size, seed):
    net = MLP(widths, activations="tanh", loss="mse", seed=seed)
    X, y = net.random_data(batch_size, seed=seed)
    return net.problem(X, y)


# -- the four mistakes that a small hand test hides ---------------------------------------------


def test_missing_mean_shows_from_batch_size_two():
    result = search(make_net("missing_mean"), seed=3)
    assert result.found
    assert result.smallest["batch_size"] == 2
    assert any("passes for every net with batch size 1" in f and "fails from batch size 2" in f for f in result.facts)
    assert any("missing 1/m" in i for i in result.implications)
    assert set(result.report.wrong) == {f"{k}{i}" for i in range(1, len(result.smallest["widths"])) for k in "Wb"}
    # the factory gives no data, yet the search knows the batch size it drew: the kind is named
    assert "missing_batch_mean" in result.report.kinds()


def test_unsummed_bias_shows_from_batch_size_two():
    result = search(make_net("bias_not_summed"), seed=3)
    assert result.found
    assert result.smallest["batch_size"] == 2
    assert any("passes for every net with batch size 1" in f for f in result.facts)
    assert any("bias gradient is not summed over the batch" in i for i in result.implications)
    assert "bias_not_summed" in result.report.kinds()
    assert all(name.startswith("b") for name in result.report.wrong)


def test_transposed_weight_gradient_shows_on_a_non_square_layer():
    result = search(make_net("transposed"), seed=3)
    assert result.found
    widths = result.smallest["widths"]
    assert any(a != b for a, b in zip(widths[:-1], widths[1:]))
    finding = next(f for f in result.report.findings if f.kind == "transposed")
    assert finding.params and all(p.startswith("W") for p in finding.params)
    assert any("passes on every net built with 1x1 weight matrices only" in f for f in result.facts)


def test_relu_mask_wrong_for_negative_inputs_shows_with_a_negative_input():
    result = search(make_net("relu_mask"), seed=3)
    assert result.found
    assert (result.smallest["X"] < 0).any()
    assert any("passes while every input is positive" in f for f in result.facts)
    assert any("negative pre-activations" in i for i in result.implications)
    assert result.report.first_wrong in ("W1", "b1")


def test_a_mistake_hidden_by_square_weights_is_explained_as_such():
    result = search(make_net("not_square"), seed=3)
    assert result.found
    assert any("passes on every net built with square weight matrices only" in f for f in result.facts)


@pytest.mark.parametrize("factory", [make_net(None), make_net("relu_correct"), mlp_factory])
def test_correct_nets_pass(factory):
    result = search(factory, seed=3)
    assert not result.found
    assert result.smallest is None and result.report is None
    assert result.n_examples > 0
    assert "gradients match" in result.explanation


# -- replay, budget, bad input -------------------------------------------------------------------


def test_the_same_seed_replays_the_same_search():
    first = search(make_net("bias_not_summed"), seed=11, max_examples=15)
    again = search(make_net("bias_not_summed"), seed=11, max_examples=15)
    assert first.explanation == again.explanation
    assert first.n_examples == again.n_examples


def test_without_a_seed_one_is_drawn_and_reported():
    result = search(make_net(None), max_examples=5)
    assert isinstance(result.seed, int)
    assert f"search seed {result.seed}" in result.explanation


def test_max_examples_bounds_the_search():
    result = search(make_net(None), seed=0, max_examples=7)
    assert 1 <= result.n_examples <= 7


def test_fixed_values_narrow_the_search():
    result = search(make_net("missing_mean"), seed=0, widths=[3, 2], batch_sizes=4, max_examples=5)
    assert result.smallest["widths"] == [3, 2] and result.smallest["batch_size"] == 4


def test_configurations_the_factory_cannot_build_are_skipped():
    def two_layers_only(widths, batch_size, seed):
        if len(widths) != 3:
            raise ValueError("this net has exactly one hidden layer")
        return make_net("bias_not_summed")(widths, batch_size, seed)

    result = search(two_layers_only, seed=3)
    assert result.found and len(result.smallest["widths"]) == 3 and result.smallest["batch_size"] == 2
    assert result.n_skipped > 0 and "skipped" in result.explanation


def test_a_factory_that_always_raises_is_a_clear_error():
    def broken(widths, seed):
        raise KeyError("W1")

    with pytest.raises(TargetError, match="could not build or evaluate any net tried"):
        search(broken, seed=0, max_examples=5)


def test_a_factory_returning_something_else_is_an_adapter_error():
    with pytest.raises(AdapterError):
        search(lambda seed: 42, seed=0, max_examples=5)


def test_a_crash_in_the_users_gradient_is_a_failure():
    def crashing(widths, seed):
        problem = make_net(None)(widths, 2, seed)
        if widths[0] > 1:
            problem["grads"] = lambda: {}["W1"]
        return problem

    result = search(crashing, seed=0, widths=layer_widths(max_layers=1))
    assert result.found and result.smallest["widths"][0] == 2
    assert result.report is None and result.error.startswith("KeyError")
    assert "the check raised KeyError" in result.explanation


@pytest.mark.parametrize(
    "kwargs", [{"max_examples": 0}, {"max_examples": True}, {"max_examples": 2.5}, {"seed": -1}, {"seed": 1.5}]
)
def test_bad_budget_or_seed_is_a_value_error(kwargs):
    with pytest.raises(ValueError):
        search(make_net(None), **{"seed": 0, "max_examples": 1, **kwargs})


# -- views ---------------------------------------------------------------------------------------


def test_result_to_dict_is_json():
    result = search(make_net("relu_mask"), seed=3)
    data = json.loads(json.dumps(result.to_dict()))
    assert data["found"] is True and data["seed"] == 3
    assert isinstance(data["smallest"]["X"], list)
    assert data["report"]["ok"] is False and data["facts"] == result.facts


def test_result_renders_with_rich():
    import io

    from rich.console import Console

    result = search(make_net("bias_not_summed"), seed=3)
    buf = io.StringIO()
    Console(file=buf, width=100, color_system=None).print(result)
    text = buf.getvalue()
    assert "smallest failing net" in text and "bias_not_summed" in text
    assert isinstance(result, SearchResult) and str(result).startswith("✘ smallest failing net")


def test_describe_config_abbreviates_inputs():
    text = describe_config({"widths": [1, 2], "X": np.full((30, 2), -0.5)})
    assert text.startswith("widths [1, 2], X [[-0.5") and "..." in text and "\n" not in text


def test_the_batch_size_of_a_factory_taking_only_inputs_comes_from_x():
    def build(widths, seed, X):
        return make_net("bias_not_summed")(widths, X.shape[0], seed, X=X)

    result = search(build, seed=3)
    assert result.found and "batch_size" not in result.smallest
    assert result.smallest["X"].shape[0] == 2
    assert any("fails from batch size 2" in f for f in result.facts)
