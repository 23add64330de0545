"""gradcheck.bugs: the catalogue lists every kind the diagnosis can produce, with usable text."""

from __future__ import annotations

import dataclasses

import pytest

from gradcheck.bugs import CATALOGUE, KINDS, Bug, fix_for, get
from gradcheck.errors import NondeterministicLossError

REQUIRED = """missing_batch_mean extra_batch_mean constant_factor sign_flipped transposed bias_not_summed
wrong_shape zero_gradient activation_derivative_wrong_input wrong_activation_derivative
missing_activation_derivative extra_activation_derivative missing_upstream_gradient weights_not_transposed
wrong_weights_in_backprop reshape_instead_of_transpose weight_gradient_wrong_input regularization_missing regularization_wrong l1_penalty_gradient_wrong dropout_backward_wrong
softmax_backward_wrong batchnorm_backward_incomplete layernorm_backward_incomplete gradient_accumulates
numerically_unstable nondeterministic_loss target_shape_broadcast gradient_clipped unknown""".split()
REQUIRED += """clip_ignored_in_backward huber_linear_part_ignored label_smoothing_ignored_in_backward
loss_weight_ignored_in_backward""".split()
REQUIRED += ["optimizer_state_in_gradient"]
REQUIRED += ["missing_recurrent_gradient", "missing_skip_gradient"]


def test_every_required_kind_is_catalogued():
    assert sorted(REQUIRED) == sorted(KINDS)


@pytest.mark.parametrize("kind", REQUIRED)
def test_entries_are_complete(kind):
    bug = CATALOGUE[kind]
    assert bug.kind == kind
    for text in (bug.title, bug.explanation, bug.signature, bug.fix):
        assert text.strip() and "\n" not in text
    assert fix_for(kind) == bug.fix


def test_bug_is_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        CATALOGUE["sign_flipped"].fix = "x"  # type: ignore[misc]
    assert isinstance(get("transposed"), Bug)


def test_unknown_kind():
    assert fix_for("no_such_kind") == ""
    with pytest.raises(KeyError, match="known kinds"):
        get("no_such_kind")


def test_error_kinds_are_catalogued():
    assert NondeterministicLossError.kind in CATALOGUE


def test_bugs_finds_mistakes_by_the_words_of_their_text(capsys):
    from gradcheck.bugsearch import find_bugs
    from gradcheck.cli import main

    from .jsoncheck import parse_valid

    sigmoid = [b.kind for b in find_bugs("sigmoid")]
    assert sigmoid[0] == "activation_derivative_wrong_input" and "sign_flipped" not in sigmoid
    assert {"wrong_activation_derivative", "extra_activation_derivative"} <= set(sigmoid)
    assert [b.kind for b in find_bugs("batch size")][:2] == ["missing_batch_mean", "extra_batch_mean"]
    assert [b.kind for b in find_bugs("transpose")][:2] == ["transposed", "weights_not_transposed"]
    assert find_bugs("dropout")[0].kind == "dropout_backward_wrong"
    assert find_bugs("xyzzy plugh") == []
    assert main(["bugs", "sigmoid", "--no-color"]) == 0
    out = capsys.readouterr().out
    assert "mistakes that mention 'sigmoid'" in out and "activation_derivative_wrong_input" in out
    assert "sign_flipped" not in out
    assert main(["bugs", "batch", "size", "--json"]) == 0
    doc = parse_valid(capsys.readouterr().out)
    assert doc["query"] == "batch size" and doc["bugs"][0]["kind"] == "missing_batch_mean"
    assert main(["bugs", "sign_flipped", "--no-color"]) == 0  # an id still shows that one in full
    assert capsys.readouterr().out.startswith("sign_flipped: ")
    assert main(["bugs", "xyzzy"]) == 2
    assert "no mistake named 'xyzzy' or mentioning 'xyzzy'" in capsys.readouterr().err
