"""Arguments the doors fill by name and by probing: forward / backward functions taking a layer list,
a dict of activations or keep_prob given once at the top (in upper case too, or in a file beside the
target); training steps whose pass count and learning rate have other names (``num_passes``,
``sweeps``; ``epsilon``, ``step``), found by running the step.

The held-out nets are in tests/doors_corpus/nets (group 7); the small nets here are written inline.
"""

from __future__ import annotations

import json
import textwrap

import numpy as np

from gradcheck.adapters._step_args import float_keywords, int_keywords, pass_counts, rate_argument
from gradcheck.cli import main
from tests.doors_corpus.loader import NETS


def run(capsys, target: str, *flags: str) -> tuple[int, dict]:
    code = main(["check", target, "--json", *flags])
    return code, json.loads(capsys.readouterr().out)


def kinds(report: dict) -> set[str]:
    return {f["kind"] for f in report.get("findings", [])}


# -- module settings for functions that take extra arguments ----------------------------------------


def test_an_upper_case_layer_list_fills_the_argument_of_that_name_and_is_said(capsys):
    code, rep = run(capsys, str(NETS / "arch_functions_correct.py"))
    assert code == 0, rep.get("error")
    # the forward / cost / backward trio is checked, not the train() beside it that builds its own parameters
    assert rep["convention"] == "dlai"
    assert "model_forward()" in rep["recognized"] and "binary_cross_entropy(AL, Y)" in rep["recognized"]
    assert "values: nn_layers = NN_LAYERS (module variable)" in rep["recognized"]
    assert rep["values"]["nn_layers"]["from"] == "module variable NN_LAYERS"
    assert rep["values"]["nn_layers"]["value"][0] == {"n_in": 3, "n_out": 6, "act": "tanh"}


def test_the_same_net_with_a_wrong_derivative_is_named(capsys):
    code, rep = run(capsys, str(NETS / "arch_functions_buggy.py"))
    assert code == 1
    assert sorted(p["name"] for p in rep["params"] if not p["ok"]) == ["W1", "W2", "b1", "b2"]
    assert "activation_derivative_wrong_input" in kinds(rep)


def test_an_argument_named_like_the_output_takes_the_module_setting_of_its_name(capsys):
    # backprop(probs, Y, store, params_dict, activations): probs is the output, activations the module's dict
    code, rep = run(capsys, str(NETS / "activations_dict_correct.py"))
    assert code == 0, rep.get("error")
    assert "values: activations = ACTIVATIONS (module variable)" in rep["recognized"]
    assert "params_dict [W1, b1, W2, b2]" in rep["recognized"]


def test_an_upper_case_keep_probability_is_used_by_both_passes(capsys):
    code, rep = run(capsys, str(NETS / "keep_prob_upper_correct.py"))
    assert code == 0, rep.get("error")
    assert rep["values"]["keep_prob"] == {"value": 0.7, "from": "module variable KEEP_PROB"}
    code, rep = run(capsys, str(NETS / "keep_prob_upper_buggy.py"))
    assert code == 1 and "dropout_backward_wrong" in kinds(rep)


def test_functions_imported_from_a_file_beside_the_target_get_their_arguments(tmp_path, capsys):
    (tmp_path / "net_utils.py").write_text(textwrap.dedent("""
        import numpy as np
        LAYERS = [{"units": 3}, {"units": 1}]
        def full_forward_pass(X, params_values, layers):
            H = np.tanh(params_values["W1"] @ X)
            return params_values["W2"] @ H, {"X": X, "H": H}
        def get_cost_value(Y_hat, Y):
            return float(0.5 * np.sum((Y_hat - Y) ** 2) / Y.shape[1])
        def full_backward_pass(Y_hat, Y, memory, params_values, layers):
            m = Y.shape[1]
            dZ2 = (Y_hat - Y) / m
            dH = params_values["W2"].T @ dZ2 * (1 - memory["H"] ** 2)
            return {"dW2": dZ2 @ memory["H"].T, "dW1": dH @ memory["X"].T}
    """))
    (tmp_path / "run.py").write_text(textwrap.dedent("""
        import numpy as np
        from net_utils import *
        rng = np.random.default_rng(0)
        X = rng.normal(size=(2, 5)); Y = rng.normal(size=(1, 5))
        params_values = {"W1": rng.normal(size=(3, 2)), "W2": rng.normal(size=(1, 3))}
    """))
    code, rep = run(capsys, str(tmp_path / "run.py"))
    assert code == 0, rep.get("error")
    assert "full_forward_pass()" in rep["recognized"] and "full_backward_pass()" in rep["recognized"]
    assert "layers = LAYERS (module variable)" in rep["recognized"]


def test_a_random_generator_beside_a_half_net_is_not_taken_for_a_net(tmp_path, capsys):
    (tmp_path / "half.py").write_text(
        "import numpy as np\nrng = np.random.default_rng(0)\nparameters = {'W1': rng.normal(size=(2, 2))}\n")
    code, rep = run(capsys, str(tmp_path / "half.py"))
    assert code == 2
    assert "dfnum" not in rep["error"]["message"] and "Generator" not in rep["error"]["message"]


# -- training steps: pass counts and learning rates by probing ------------------------------------------


def test_a_rate_named_epsilon_is_found_by_probing_and_the_pass_count_set_to_one(capsys):
    code, rep = run(capsys, str(NETS / "train_passes_epsilon_correct.py") + ":model")
    assert code == 0, rep.get("error")
    assert "lr = 1 passed as epsilon (halving epsilon halves the step" in rep["recognized"]
    assert "num_passes = 1 (its pass count; default 20000)" in rep["recognized"]
    code, rep = run(capsys, str(NETS / "train_passes_epsilon_buggy.py") + ":model")
    assert code == 1 and "missing_batch_mean" in kinds(rep)


def test_a_rate_given_with_set_is_passed_as_that_argument(capsys):
    code, rep = run(capsys, str(NETS / "train_passes_epsilon_correct.py") + ":model", "--set", "epsilon=0.05")
    assert code == 0, rep.get("error")
    assert "lr = 0.05 passed as epsilon" in rep["recognized"]


def test_a_pass_count_and_a_rate_of_no_known_name_are_both_probed(capsys):
    code, rep = run(capsys, str(NETS / "sweeps_step_correct.py") + ":net")
    assert code == 0, rep.get("error")
    assert "sweeps = 1 (train() with sweeps = 2 moves the weights otherwise" in rep["recognized"]
    assert "passed as step" in rep["recognized"]
    code, rep = run(capsys, str(NETS / "sweeps_step_buggy.py") + ":net")
    assert code == 1 and [p["name"] for p in rep["params"] if not p["ok"]] == ["W2"]


_FOLDED = """
import numpy as np
class Net:
    def __init__(self):
        self.W = np.array([[0.5], [-0.25]])
    def loss(self, X, y):
        return float(0.5 * np.mean((X @ self.W - y) ** 2))
    def train(self, X, y, {args}tol=1e-3, print_every=10):
        for _ in range({loops}):
            self.W -= {rate} * X.T @ (X @ self.W - y) / len(X)
net = Net()
X = np.arange(8.0).reshape(4, 2) / 8
y = np.ones((4, 1))
"""


def test_float_arguments_that_are_not_a_rate_are_said_when_no_rate_is_found(tmp_path, capsys):
    f = tmp_path / "net.py"
    f.write_text(_FOLDED.replace("{loops}", "1").replace("{args}", "").replace("{rate}", "0.5"))
    code, rep = run(capsys, f"{f}:net", "--lr", "0.5")
    assert code == 0, rep.get("error")
    assert "no learning rate among" not in rep["recognized"]  # the user said it
    code, rep = run(capsys, f"{f}:net")
    assert "no learning rate among train()'s float arguments (tol: none moves the step in proportion)" in (
        rep["recognized"])


def test_a_step_with_a_loop_it_cannot_set_to_one_pass_is_refused_naming_the_keyword_to_set(tmp_path, capsys):
    f = tmp_path / "net.py"
    f.write_text(_FOLDED.replace("{loops}", "5").replace("{args}", "lr=0.5, ").replace("{rate}", "lr"))
    code, rep = run(capsys, f"{f}:net")
    assert code == 2
    message = rep["error"]["message"]
    assert "changes with the learning rate" in message and "--set print_every=1" in message


# -- the probes themselves ----------------------------------------------------------------------------


def _mover(W, train, defaults):
    def move(over):
        old = W.copy()
        train(**{**defaults, **over})
        out = {"W": old - W}
        W[...] = old
        return out
    return move


def test_an_l2_strength_and_a_tolerance_are_not_taken_for_the_rate():
    W = np.array([1.0, -2.0, 0.5])

    def train(passes_total=50, gain=0.1, shrink=0.01, tol=1e-4):
        for _ in range(passes_total):
            W[...] -= gain * (W + shrink * np.sign(W))  # shrink: an L1-like term inside the step, scaled by gain

    defaults = {"passes_total": 1, "gain": 0.1, "shrink": 0.01, "tol": 1e-4}
    move = _mover(W, train, defaults)
    assert rate_argument(train, move) == ("gain", ["shrink", "tol"])
    assert pass_counts(train, _mover(W, train, {**defaults, "passes_total": 50})) == ["passes_total"]
    assert W.tolist() == [1.0, -2.0, 0.5]


def test_two_arguments_that_both_scale_the_step_leave_the_rate_unknown():
    W = np.array([1.0, 2.0])

    def train(k1=0.1, k2=0.2):
        W[...] -= k1 * k2 * W

    assert rate_argument(train, _mover(W, train, {"k1": 0.1, "k2": 0.2})) == (None, [])


def test_known_names_are_not_probed():
    def step(X, y, lr=0.1, reg_lambda=0.01, keep_prob=0.8, momentum=0.9, seed=3, epochs=10, n_hidden=4, tol=1e-3):
        ...

    assert [n for n, _ in float_keywords(step)] == ["tol"]
    assert int_keywords(step) == ["n_hidden"]


def test_a_train_that_builds_its_own_parameters_is_refused_as_a_step_not_called_wrong(capsys):
    # arch_functions' train() calls init_network() and updates those arrays, never the module's param_values
    code, rep = run(capsys, str(NETS / "arch_functions_correct.py"), "--convention", "train-step")
    assert code == 2
    assert "train() moved none of the parameters gradcheck found" in rep["error"]["message"]
