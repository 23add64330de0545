"""The doors take real nets: one value per hyper-parameter, gradients matched by name and position,
gradient methods that also step, training steps that set their own rate, nets no convention takes.

Every net here is a user-style file in tests/adapter_nets, checked through the CLI in-process.
"""

from __future__ import annotations

import json
import os

import pytest

from gradcheck.cli import main

NETS = os.path.join(os.path.dirname(__file__), "adapter_nets")


def run(capsys, target: str, *flags: str) -> tuple[int, dict]:
    code = main(["check", os.path.join(NETS, target), "--json", *flags])
    out = capsys.readouterr().out
    return code, json.loads(out)


def kinds(report: dict) -> dict[str, list[str]]:
    return {f["kind"]: f["params"] for f in report.get("findings", [])}


def wrong(report: dict) -> list[str]:
    return [p["name"] for p in report["params"] if not p["ok"]]


def test_a_module_value_is_used_by_every_function_that_takes_the_name(capsys):
    code, rep = run(capsys, "dropout_module_keep_prob.py")
    assert code == 0, rep
    assert rep["values"]["keep_prob"] == {"value": 0.86, "from": "module variable"}
    assert "keep_prob = 0.86 (module variable)" in rep["recognized"]


def test_set_overrides_the_module_value_everywhere(capsys):
    code, rep = run(capsys, "dropout_module_keep_prob.py", "--set", "keep_prob=0.7")
    assert code == 0, rep
    assert rep["values"]["keep_prob"] == {"value": 0.7, "from": "--set"}


def test_a_regularization_default_of_zero_is_checked_at_a_nonzero_strength(capsys):
    code, rep = run(capsys, "cs231n_reg_default_zero.py")
    assert code == 1
    assert wrong(rep) == ["W2"]
    assert kinds(rep).get("regularization_missing") == ["W2"]
    assert rep["values"]["reg"]["value"] == 0.1


def test_regularization_given_as_zero_on_the_command_line_passes_the_missing_term(capsys):
    code, rep = run(capsys, "cs231n_reg_default_zero.py", "--set", "reg=0")
    assert code == 0, rep


def test_gradients_are_matched_to_layer_objects_by_position_not_shape(capsys):
    code, rep = run(capsys, "layer_objects_bias_unsummed.py")
    assert code == 1
    assert wrong(rep) == ["layer3.bias"]
    assert kinds(rep).get("bias_not_summed") == ["layer3.bias"]


def test_a_gradient_method_that_also_updates_is_read_as_a_step(capsys):
    code, rep = run(capsys, "backward_updates_first.py")
    assert code == 1
    assert "also updates the weights" in rep["recognized"]
    assert wrong(rep) == ["W1", "b1"]
    assert kinds(rep).get("wrong_weights_in_backprop") == ["W1", "b1"]


@pytest.mark.parametrize("item", ["reg", "reg=", "1x=2"])
def test_set_needs_name_equals_value(capsys, item):
    code = main(["check", os.path.join(NETS, "cs231n_reg_default_zero.py"), "--set", item])
    assert code == 2
    assert "expected NAME=VALUE" in capsys.readouterr().err


def test_every_bundled_example_has_json_values(capsys):
    """Shared defaults (seed=0 in several functions) are values too; the JSON stays valid."""
    root = os.path.dirname(NETS)
    examples = os.path.join(os.path.dirname(root), "examples")
    for name in sorted(os.listdir(examples)):
        if name.endswith(".py"):
            code = main(["check", os.path.join(examples, name), "--json"])
            out = json.loads(capsys.readouterr().out)
            assert code in (0, 1), (name, out)
