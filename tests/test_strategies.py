"""The hypothesis strategies: what they draw, how they shrink, and eager validation."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import find, given
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from gradcheck import Problem
from gradcheck import strategies as gst
from gradcheck.errors import AdapterError


def _quadratic(widths=(2, 1), batch_size=1, seed=0):
    w = np.random.default_rng(seed).normal(size=widths[0] * batch_size)
    return {"params": {"w": w}, "loss": lambda: float(w @ w), "grads": lambda: {"w": 2 * w}}


# -- widths and batch sizes -------------------------------------------------------------------


@given(gst.layer_widths(min_layers=2, max_layers=3, min_width=2, max_width=5))
def test_layer_widths_respect_bounds(widths):
    assert 3 <= len(widths) <= 4
    assert all(2 <= w <= 5 for w in widths)


@given(gst.layer_widths(max_layers=3, n_in=7, n_out=2))
def test_layer_widths_fix_input_and_output(widths):
    assert widths[0] == 7 and widths[-1] == 2


def test_layer_widths_shrink_to_the_smallest_net():
    assert find(gst.layer_widths(max_layers=3), lambda w: len(w) == 4) == [1, 1, 1, 1]
    assert find(gst.layer_widths(), lambda w: w[0] != w[1]) in ([1, 2], [2, 1])


@given(gst.batch_sizes(min_size=2, max_size=3))
def test_batch_sizes_respect_bounds(m):
    assert m in (2, 3)


def test_batch_sizes_shrink_to_one():
    assert find(gst.batch_sizes(), lambda m: True) == 1


@pytest.mark.parametrize(
    "make",
    [
        lambda: gst.layer_widths(min_layers=0),
        lambda: gst.layer_widths(min_layers=3, max_layers=2),
        lambda: gst.layer_widths(min_width=0),
        lambda: gst.layer_widths(max_width=2.5),
        lambda: gst.layer_widths(n_in=0),
        lambda: gst.batch_sizes(min_size=0),
        lambda: gst.batch_sizes(min_size=4, max_size=2),
        lambda: gst.batch_sizes(max_size=True),
        lambda: gst.seeds(max_seed=-1),
    ],
)
def test_bad_arguments_are_rejected_at_call_time(make):
    with pytest.raises(InvalidArgument):
        make()


# -- inputs and parameters ---------------------------------------------------------------------


@given(gst.input_batches(n_features=3, batch_size=st.integers(1, 4)))
def test_inputs_are_finite_normal_floats_of_the_right_shape(X):
    assert X.ndim == 2 and X.shape[1] == 3 and 1 <= X.shape[0] <= 4
    assert X.dtype == np.float64
    assert np.isfinite(X).all()
    tiny = np.finfo(np.float64).tiny
    assert not ((X != 0) & (np.abs(X) < tiny)).any()  # no subnormals
    assert (np.abs(X) <= 2.0).all()


@given(gst.input_batches(n_features=2, batch_size=5, layout="cols", dtype=np.float32))
def test_inputs_in_cols_layout_and_float32(X):
    assert X.shape == (2, 5) and X.dtype == np.float32


@given(gst.input_batches(n_features=4, batch_size=3, allow_negative=False))
def test_inputs_can_be_kept_non_negative(X):
    assert (X >= 0).all()


@given(gst.input_batches(n_features=4, batch_size=3, kink_margin=0.1, kinks=(0.0, 1.0)))
def test_inputs_are_kept_away_from_kinks(X):
    assert (np.abs(X) >= 0.1).all()
    assert (np.abs(X - 1.0) >= 0.1).all()
    assert (np.abs(X) <= 2.0).all()


def test_inputs_shrink_to_a_negative_value_at_the_kink_margin():
    X = find(gst.input_batches(n_features=1, batch_size=1, kink_margin=0.05), lambda X: (X < 0).any())
    assert X.shape == (1, 1) and X[0, 0] < 0


@pytest.mark.parametrize(
    "kwargs",
    [
        {"n_features": 0, "batch_size": 1},
        {"n_features": 1, "batch_size": 1, "layout": "columns"},
        {"n_features": 1, "batch_size": 1, "min_value": 1.0, "max_value": -1.0},
        {"n_features": 1, "batch_size": 1, "max_value": float("inf")},
        {"n_features": 1, "batch_size": 1, "kink_margin": -0.1},
        {"n_features": 1, "batch_size": 1, "kink_margin": 5.0},
        {"n_features": 1, "batch_size": 1, "dtype": np.int64},
        {"n_features": 1, "batch_size": 1, "allow_negative": False, "max_value": -1.0},
    ],
)
def test_input_batches_validate_eagerly(kwargs):
    with pytest.raises(InvalidArgument):
        gst.input_batches(**kwargs)


@given(gst.parameter_sets(widths=gst.layer_widths(max_layers=3)))
def test_parameter_sets_follow_the_architecture(params):
    names = list(params)
    n_layers = len(names) // 2
    assert names == [n for i in range(1, n_layers + 1) for n in (f"W{i}", f"b{i}")]
    for i in range(1, n_layers):
        assert params[f"W{i}"].shape[1] == params[f"W{i + 1}"].shape[0]
    for i in range(1, n_layers + 1):
        assert params[f"b{i}"].shape == (params[f"W{i}"].shape[1],)
        assert np.isfinite(params[f"W{i}"]).all() and (np.abs(params[f"W{i}"]) <= 1.0).all()


@given(gst.parameter_sets(widths=[3, 2], layout="cols", bias_shape="matrix", scale=0.5))
def test_parameter_sets_in_cols_layout(params):
    assert params["W1"].shape == (2, 3) and params["b1"].shape == (2, 1)
    assert (np.abs(params["W1"]) <= 0.5).all()


@pytest.mark.parametrize(
    "kwargs",
    [{"widths": [3]}, {"widths": [3, 0]}, {"widths": [2, 1], "bias_shape": "row"}, {"widths": [2, 1], "scale": 0}],
)
def test_parameter_sets_validate_eagerly(kwargs):
    with pytest.raises(InvalidArgument):
        gst.parameter_sets(**kwargs)


# -- problems from a factory --------------------------------------------------------------------


def test_factory_keywords_reads_the_signature():
    assert gst.factory_keywords(lambda widths, batch_size, seed: None) == ("widths", "batch_size", "seed")
    assert gst.factory_keywords(lambda seed=0: None) == ("seed",)
    assert gst.factory_keywords(lambda widths, inputs: None) == ("widths", "inputs")
    assert gst.factory_keywords(lambda **kw: None) == ("widths", "batch_size", "seed")
    assert gst.factory_keywords(lambda: None) == ()
    assert gst.factory_keywords(lambda m, lr=0.1, act="relu", flag=True: None) == ("m", "lr", "flag")


def test_a_factory_that_takes_nothing_to_vary_is_rejected():
    with pytest.raises(InvalidArgument, match="nothing to vary"):
        gst.problems(lambda: None)
    with pytest.raises(InvalidArgument, match="not callable"):
        gst.problems(42)


@given(gst.configs(lambda X, seed, n_in=2: None))
def test_a_factory_taking_inputs_without_widths_gets_as_many_features_as_its_size_keyword(cfg):
    assert cfg["X"].shape[1] == cfg["n_in"] and 1 <= cfg["n_in"] <= 4


@given(gst.configs(lambda seed, batch_size: None, batch_sizes=3))
def test_configs_draw_only_what_the_factory_accepts(cfg):
    assert sorted(cfg) == ["batch_size", "seed"] and cfg["batch_size"] == 3


@given(gst.configs(lambda widths, batch_size, x: None, widths=[2, 4], layout="cols", inputs={"allow_negative": False}))
def test_configs_draw_inputs_that_fit_widths_and_batch(cfg):
    assert cfg["x"].shape == (2, cfg["batch_size"])
    assert (cfg["x"] >= 0).all()


@given(gst.problems(_quadratic, widths=gst.layer_widths(max_width=3)))
def test_problems_are_problems_with_their_config(problem):
    assert isinstance(problem, Problem)
    cfg = problem.meta["config"]
    assert problem.params["w"].shape == (cfg["widths"][0] * cfg["batch_size"],)


def test_call_factory_renames_the_input_keyword():
    seen = {}

    def build(widths, inputs):
        seen["inputs"] = inputs
        return _quadratic(widths)

    X = np.ones((2, 3))
    problem = gst.call_factory(build, {"widths": [3, 1], "X": X})
    assert seen["inputs"] is X and problem.meta["config"]["X"] is X


def test_call_factory_rejects_what_is_not_a_problem():
    with pytest.raises(AdapterError):
        gst.call_factory(lambda seed: [1, 2, 3], {"seed": 0})


# -- hypothesis settings -------------------------------------------------------------------------


def test_gradient_settings_drop_the_deadline_and_keep_the_profile():
    from hypothesis import HealthCheck, settings

    s = gst.gradient_settings()
    assert s.deadline is None
    assert s.max_examples == settings.default.max_examples
    assert HealthCheck.too_slow in s.suppress_health_check
    assert gst.gradient_settings(max_examples=3).max_examples == 3


def test_the_gradcheck_profile_is_registered_on_import():
    from hypothesis import settings

    profile = settings.get_profile(gst.HYPOTHESIS_PROFILE)
    assert profile.deadline is None and profile.max_examples == 50


def test_gradient_settings_leave_out_the_explain_phase():
    from hypothesis import Phase, settings

    assert Phase.explain not in gst.gradient_settings().phases
    assert Phase.explain not in settings.get_profile(gst.HYPOTHESIS_PROFILE).phases
    assert Phase.shrink in gst.gradient_settings().phases
