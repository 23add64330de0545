"""The search varies every keyword a factory takes, says what it varied, and names only what holds.

The nets are in tests/settings_nets.py: each hides its mistake behind a setting at its default
(a penalty of 0, a keep probability of 1, a learning rate of 0, one output, small weights, no
bias, positive inputs).
"""

from __future__ import annotations

import sys
import types

import numpy as np
import pytest
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

import gradcheck
from gradcheck import strategies as gst
from gradcheck.search import search
from gradcheck.vary import plan_factory

from .settings_nets import SETTINGS_NETS, _net, dropout_net, outputs_net, penalty_net, scaled_net, sign_net


@pytest.mark.parametrize("name", sorted(SETTINGS_NETS))
def test_a_mistake_hidden_at_a_default_setting_is_found_there(name):
    make, keyword = SETTINGS_NETS[name]
    build = make("bug")
    default = plan_factory(build).keywords[keyword].default
    assert gradcheck.check(build()).ok  # hidden at the author's configuration
    result = search(build, seed=0, max_examples=50)
    assert result.found and result.smallest[keyword] != default
    assert keyword in result.varied
    assert any(f.startswith(f"passes at the default {keyword}=") for f in result.facts)
    assert result.smallest["batch_size"] == 1  # nothing else grew: only the setting matters
    assert result.kinds and result.kinds == sorted(result.report.kinds())


@pytest.mark.parametrize("name", sorted(SETTINGS_NETS))
def test_the_correct_nets_raise_no_alarm(name):
    result = search(SETTINGS_NETS[name][0](None), seed=0, max_examples=40)
    assert not result.found and result.explanation.startswith("✔")
    keyword = SETTINGS_NETS[name][1]
    if name == "step":  # the right step never reads lr (only its mistake updates W2 first): not claimed as varied
        assert keyword not in result.varied and "did not change with it" in result.not_varied[keyword]
    else:
        assert keyword in result.varied


def test_a_penalty_left_out_of_the_gradient_is_named_as_such():
    result = search(penalty_net("bug"), seed=0)
    assert result.kinds == ["regularization_missing"] and result.confirmed
    assert set(result.report.wrong) == {"W1", "W2"}


def test_keep_prob_one_half_at_batch_size_two_is_not_named_a_batch_mean():
    # shrinking lands on keep_prob = 0.5 = 1/m: the factor 1/2 reads as an extra 1/m there
    result = search(scaled_net("bug"), seed=0, batch_sizes=st.integers(2, 6))
    assert result.smallest["batch_size"] == 2 and result.smallest["keep_prob"] == 0.5
    assert result.smallest_report.kinds() == ["extra_batch_mean"]  # what the check alone says at the smallest net
    assert not result.confirmed and result.kinds == ["constant_factor", "dropout_backward_wrong"]
    assert result.named_at != result.smallest and result.named_at["keep_prob"] != 0.5
    # the factor follows keep_prob, which the search varied: the dropout scaling of the backward pass
    assert result.report.kinds() == ["dropout_backward_wrong", "constant_factor"]
    assert result.report.findings[0].params == ["w"] and "follows keep_prob" in result.report.findings[0].message
    text = result.explanation
    assert "keep_prob=0.5 = 1/batch_size" in text and "smallest configuration whose naming is unambiguous" in text
    assert "analytic / numeric equals keep_prob" in text


def test_the_dropout_net_is_named_where_no_value_coincides():
    result = search(dropout_net("bug"), seed=0, batch_sizes=st.integers(2, 6))
    assert result.found and result.smallest["keep_prob"] != 1.0
    assert result.kinds and "extra_batch_mean" not in result.kinds
    assert sorted(result.report.kinds()) == result.kinds


def test_a_mean_over_two_outputs_is_not_named_after_a_batch_of_two():
    result = search(outputs_net("bug"), seed=0, batch_sizes=st.integers(2, 6))
    assert result.smallest["n_out"] == 2 and result.smallest["batch_size"] == 2
    assert result.kinds == ["constant_factor"] and not result.confirmed
    assert "analytic / numeric equals n_out" in result.explanation


def test_a_naming_without_coincidence_is_confirmed_at_a_moved_configuration():
    result = search(penalty_net("bug"), seed=0)
    assert result.confirmed and result.named_at == result.smallest
    assert "where no drawn value coincides" in result.explanation


def test_negative_inputs_are_read_from_the_data_the_factory_returns():
    result = search(sign_net("bug", with_data=True), seed=0)
    assert result.found and result.smallest["x_low"] < 0
    fact = next(f for f in result.facts if f.startswith("passes on every net whose data had no negative input"))
    assert "fails with" in fact
    assert any("relu mask" in i for i in result.implications)


# -- what is varied, and what could not be -----------------------------------------------------


def test_the_batch_size_goes_by_its_usual_names():
    for name in ("m", "N", "n_samples", "batch"):
        assert plan_factory(eval(f"lambda {name}, seed=0: None")).batch == name


def test_keywords_that_cannot_be_drawn_are_listed_with_the_reason():
    def build(batch_size=2, activation="tanh", init=None, **options):
        return penalty_net(None)(batch_size)

    result = search(build, seed=0, max_examples=10)
    assert "activation" in result.not_varied and "str default" in result.not_varied["activation"]
    assert "init" in result.not_varied and "options" in result.not_varied
    assert "not varied: " in result.explanation and "activation (" in result.explanation


def test_a_search_that_varied_nothing_does_not_say_it_passed():
    result = search(penalty_net(None), seed=0, max_examples=10, batch_sizes=2,
                    strategies={"reg": 0.0, "seed": 0})
    assert not result.found and result.varied == []
    assert result.explanation.startswith("? nothing was varied") and "✔" not in result.explanation


def test_widths_the_factory_ignores_are_not_claimed():
    def build(widths, batch_size=2, seed=0):  # always builds 3-4-1, whatever widths says
        return penalty_net(None)(batch_size, 0.0, seed)

    result = search(build, seed=0, max_examples=15)
    assert "widths" not in result.varied and "same parameter shapes" in result.not_varied["widths"]
    assert "nets built: 2-2 weight matrices, dimensions 1-4" in result.explanation


def test_a_width_claim_needs_nets_of_that_width_built():
    def build(widths, batch_size=2, seed=0):  # a fixed 3-wide input: only the hidden width follows widths
        hidden = widths[1] if len(widths) > 2 else widths[-1]
        _, p, X, Y = _net(batch_size, seed, n_hidden=hidden)

        def loss():
            h = np.tanh(X @ p["W1"] + p["b1"])
            return float(0.5 * ((h @ p["W2"] + p["b2"] - Y) ** 2).sum() / batch_size)

        def grads():
            h = np.tanh(X @ p["W1"] + p["b1"])
            d = (h @ p["W2"] + p["b2"] - Y) / batch_size
            dz = (d @ p["W2"].T) * (1 - h**2)
            dz_w = dz.sum(axis=1, keepdims=True) * np.ones_like(dz)  # summed over the hidden units
            return {"W1": X.T @ dz_w, "b1": dz.sum(0), "W2": h.T @ d, "b2": d.sum(0)}

        return {"params": p, "loss": loss, "grads": grads}

    result = search(build, seed=0)
    assert result.found and result.report.wrong == ["W1"]
    # no net with 1x1 weights was ever built (W1 is always 3 rows), so none is claimed
    assert not any("1x1" in f for f in result.facts)


# -- declared strategies -------------------------------------------------------------------------


def test_a_strategy_given_as_an_argument_wins():
    result = search(dropout_net("bug"), seed=0, strategies={"keep_prob": st.just(0.8)}, max_examples=10)
    assert result.found and result.smallest["keep_prob"] == 0.8


def test_a_decorated_factory_declares_its_strategies():
    build = gst.with_strategies(keep_prob=st.sampled_from([1.0]))(dropout_net("bug"))
    result = search(build, seed=0, max_examples=10)
    assert not result.found and "keep_prob" not in result.varied


def test_a_module_mapping_declares_strategies_for_its_factories():
    module = types.ModuleType("user_nets_for_search")
    module.GRADCHECK_STRATEGIES = {"build": {"reg": st.just(0.25)}}
    build = penalty_net("bug")
    build.__module__ = module.__name__
    sys.modules[module.__name__] = module
    try:
        result = search(build, seed=0, max_examples=10)
    finally:
        del sys.modules[module.__name__]
    assert result.found and result.smallest["reg"] == 0.25


def test_a_strategy_for_a_keyword_the_factory_does_not_take_is_rejected():
    with pytest.raises(InvalidArgument, match="does not take"):
        gst.configs(penalty_net(None), strategies={"lr": 0.1})


def test_a_required_keyword_that_cannot_be_drawn_is_a_clear_error():
    with pytest.raises(InvalidArgument, match="without a default"):
        search(lambda activation, seed=0: None, seed=0)


# -- output: labels, check of a factory's mapping, the fixture --------------------------------------


def test_check_takes_the_mapping_a_factory_returns_with_its_data():
    problem = penalty_net("bug")(batch_size=4, reg=0.5)
    report = gradcheck.check(problem)
    assert not report.ok and report.kinds() == ["regularization_missing"]
    w = problem["params"]["W1"].copy()
    gradcheck.check(problem)
    assert np.array_equal(problem["params"]["W1"], w)


def test_the_fixture_varies_settings_and_takes_strategies(gradcheck):
    from gradcheck.errors import GradientMismatch

    with pytest.raises(GradientMismatch, match=r"smallest failing net: build\(batch_size=1, reg="):
        gradcheck(penalty_net("bug"))
    result = gradcheck(penalty_net("bug"), strategies={"reg": 0.0})
    assert not result.found and "reg" not in result.varied


def test_a_failing_property_shows_the_call_that_rebuilds_the_net(pytester):
    pytester.makepyfile(
        usernets=open(__file__.replace("test_search_settings.py", "settings_nets.py")).read(),
        test_user="""
from hypothesis import given
from gradcheck import strategies as gst
from usernets import penalty_net

build = penalty_net("bug")


@gst.gradient_settings(max_examples=30, database=None)
@given(gst.problems(build))
def test_property(gradcheck, problem):
    gradcheck(problem)
""",
    )
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*problem=build(batch_size=1, reg=1.0, seed=0),"])


def test_a_small_but_real_mistake_survives_the_second_look():
    # a near miss is measured again with Richardson extrapolation: a wrong gradient stays wrong
    def build(batch_size=3, scale=1.0, seed=0):
        rng = np.random.default_rng(seed)
        X, w = rng.normal(size=(batch_size, 3)), scale * rng.normal(size=3)

        def grads():
            g = X.T @ np.tanh(X @ w) / batch_size
            return {"w": g * (1 + 1e-4 * (scale != 1.0))}  # off by 1e-4, away from the default scale

        return {"params": {"w": w}, "loss": lambda: float(np.log(np.cosh(X @ w)).mean()), "grads": grads}

    result = search(build, seed=0, max_examples=30)
    assert result.found and result.smallest["scale"] != 1.0
    assert 0 < result.smallest_report[result.smallest_report.wrong[0]].max_rel_error < 1e-2
