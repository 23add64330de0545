"""End to end: the installed ``gradcheck`` command on every example in examples/.

Each example runs once in a subprocess with ``--json`` (exit code, ``ok``, per-parameter
results, ``first_wrong``, findings with kind ids); the text view of the buggy ones is checked
in-process (the same code path, without another interpreter start).
"""

from __future__ import annotations

import json
import pathlib
import re
import shutil
import subprocess
import sys

import pytest

from gradcheck.cli import main

ROOT = pathlib.Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"

#: example -> (target suffix, convention, first wrong parameter, kind, wrong parameters); None: correct.
EXPECTED = {
    "train_step_buggy.py": (":net", "train-step", "b1", "weights_not_transposed", ["W1", "b1"]),
    "cs231n_buggy.py": (":net", "cs231n", "W1", "regularization_missing", ["W1"]),
    "nielsen_buggy.py": (":net", "nielsen", "biases[1]", "activation_derivative_wrong_input",
                         ["weights[0]", "biases[0]", "weights[1]", "biases[1]"]),
    "dlai_buggy.py": ("", "dlai", "b3", "missing_batch_mean", ["b1", "b2", "b3"]),
    "functions_buggy.py": ("", "functions", "b1", "missing_activation_derivative", ["W1", "b1"]),
    "layer_buggy.py": (":layer", "layer", "input", "extra_batch_mean", ["input"]),
    "train_step_correct.py": (":net", "train-step", None, None, []),
    "cs231n_correct.py": (":net", "cs231n", None, None, []),
    "nielsen_correct.py": (":net", "nielsen", None, None, []),
    "dlai_correct.py": ("", "dlai", None, None, []),
    "functions_correct.py": ("", "functions", None, None, []),
    "layer_correct.py": (":layer", "layer", None, None, []),
}


def _script() -> list[str]:
    exe = shutil.which("gradcheck")
    return [exe] if exe else [sys.executable, "-m", "gradcheck"]


def test_every_example_is_covered():
    assert sorted(p.name for p in EXAMPLES.glob("*.py")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_example_json_through_the_console_script(name):
    suffix, convention, first_wrong, kind, wrong = EXPECTED[name]
    target = f"examples/{name}{suffix}"
    proc = subprocess.run(_script() + ["check", target, "--json"], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert proc.returncode == (1 if kind else 0), proc.stderr
    data = json.loads(proc.stdout)
    assert data["ok"] is (kind is None)
    assert data["convention"] == convention
    assert data["first_wrong"] == first_wrong
    assert [p["name"] for p in data["params"] if not p["ok"]] == wrong
    kinds = [f["kind"] for f in data["findings"]]
    if kind is None:
        assert kinds == []
    else:
        named = [f for f in data["findings"] if f["kind"] == kind]
        assert named and first_wrong in named[0]["params"], data["findings"]


@pytest.mark.parametrize("name", sorted(n for n, e in EXPECTED.items() if e[3]))
def test_buggy_example_text_names_kind_and_parameter(name, capsys):
    suffix, _, first_wrong, kind, _ = EXPECTED[name]
    assert main(["check", str(EXAMPLES / name) + suffix, "--no-color"]) == 1
    out = capsys.readouterr().out
    assert "recognized:" in out
    row = re.search(rf"^ *{re.escape(first_wrong)} +│.*$", out, re.MULTILINE)
    assert row and "WRONG" in row.group(0) and "◀ first wrong" in row.group(0)
    assert kind in out and "fix:" in out
