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


def test_a_step_that_sets_its_own_rate_attribute_is_read_at_that_rate(capsys):
    code, rep = run(capsys, "train_sets_own_rate.py")
    assert code == 0, rep
    assert "read from .lr after the call" in rep["recognized"]


def test_a_step_with_a_local_rate_is_read_at_the_rate_it_computed(capsys):
    code, rep = run(capsys, "train_local_rate.py")
    assert code == 0, rep  # rate = 0.5 / epoch is 0.5 at the first epoch: checked at 1 it would be a factor 2
    assert "lr = 0.5 read from the local rate of train()" in rep["recognized"]


def test_a_net_that_holds_its_data_is_its_own_training_step(capsys):
    code, rep = run(capsys, "holds_its_data.py", "--loss", "sse")
    assert code == 0, rep
    assert "feedforward(); backprop()" in rep["recognized"] and "output read from .output" in rep["recognized"]


def test_a_per_example_net_averages_its_examples_and_leaves_the_caches_out(capsys):
    from gradcheck.targets import load_target

    code, rep = run(capsys, "one_example_at_a_time.py", "--loss", "half-sse")
    assert code == 0, rep
    assert [p["name"] for p in rep["params"]] == ["W1", "b1", "W2", "b2"]
    net = load_target(os.path.join(NETS, "one_example_at_a_time.py") + ":net").obj
    assert set(net.params) == {"W1", "b1", "W2", "b2"}  # no cache left behind by the check's passes


def test_a_loss_returning_its_gradients_is_matched_by_the_names_it_returns(capsys):
    code, rep = run(capsys, "module_rnn_loss.py")
    assert code == 0, rep
    assert [p["name"] for p in rep["params"]] == ["Wx", "Wh", "Wy"]  # h0 is an argument: data
    assert "matched by name" in rep["recognized"] and "h0 read from the module as data" in rep["recognized"]


def test_a_number_is_described_in_plain_words_once(tmp_path, capsys):
    f = tmp_path / "f.py"
    f.write_text("def hello():\n    return 1\n")
    assert main(["check", f"{f}:hello"]) == 2
    err = capsys.readouterr().err
    assert "the number 1, not a net" in err and "denominator" not in err and err.count("not a net") == 1


def test_a_half_net_is_told_what_the_nearest_convention_misses(tmp_path, capsys):
    f = tmp_path / "half.py"
    f.write_text("def L_model_forward(X, parameters): ...\ndef compute_cost(AL, Y): ...\n"
                 "def L_model_backward(AL, Y, caches): ...\n")
    assert main(["check", str(f)]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "nearest convention: deeplearning.ai style; found L_model_forward, compute_cost, L_model_backward" in err
    assert "missing a parameters dict" in err


def test_messages_name_arguments_without_type_hints(tmp_path, capsys):
    f = tmp_path / "typed.py"
    f.write_text("import numpy as np\nparams = {'W': np.ones((2, 2))}\nX, y = np.ones((3, 2)), np.ones((3, 2))\n"
                 "def loss_fn(params: dict, X: np.ndarray, y: np.ndarray, mystery: 'np.ndarray') -> float: ...\n"
                 "def grad_fn(params, X, y): ...\n")
    assert main(["check", str(f)]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "loss_fn(params, X, y, mystery)" in err and "ndarray" not in err


def test_a_syntax_error_in_an_imported_sibling_names_that_file(tmp_path, capsys):
    (tmp_path / "sib.py").write_text('print "old"\n')
    (tmp_path / "top.py").write_text("import sib\n")
    assert main(["check", str(tmp_path / "top.py")]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "sib.py (imported by" in err and "line 1" in err


def test_a_gradient_method_that_returns_nothing_is_the_training_step(tmp_path, capsys):
    f = tmp_path / "net.py"
    f.write_text(
        "import numpy as np\n"
        "class Net:\n"
        "    def __init__(self):\n"
        "        self.W = np.array([[0.5], [-0.25]]); self.lr = 0.3\n"
        "    def loss(self, X, y):\n"
        "        return float(0.5 * np.mean((X @ self.W - y) ** 2))\n"
        "    def backward(self, X, y):\n"
        "        self.W -= self.lr * X.T @ (X @ self.W - y) / len(X)\n"
        "net = Net()\n"
        "X = np.arange(8.0).reshape(4, 2) / 8\n"
        "y = np.ones((4, 1))\n")
    code = main(["check", f"{f}:net", "--json"])
    rep = json.loads(capsys.readouterr().out)
    assert code == 0, rep
    assert rep["convention"] == "train-step" and "backward() returns no gradients" in rep["recognized"]
    assert "also fits" not in rep["recognized"]
