"""The README's Python session runs as written, and every sample output in README.md and docs/*.md is
what its command prints now (at a fixed width; run times and addresses aside): ``python
tools/update_docs.py`` regenerates them after a change of output."""

from __future__ import annotations

import doctest
import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"


def _update_docs():
    spec = importlib.util.spec_from_file_location("update_docs", ROOT / "tools" / "update_docs.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["update_docs"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


update_docs = _update_docs()
SAMPLES = [s for path in update_docs.documents() for s in update_docs.samples(path)]


def test_readme_session():
    result = doctest.testfile(str(README), module_relative=False, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 5
    assert result.failed == 0


def test_the_docs_have_sample_outputs_under_test():
    assert {s.path.name for s in SAMPLES} >= {"README.md", "testing.md"}
    commands = [s.command for s in SAMPLES]
    assert "gradcheck check examples/train_step_buggy.py:net" in commands


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda s: f"{s.path.name}:{s.command[:40]}")
def test_sample_output_is_what_the_command_prints(sample):
    diff = update_docs.drift(sample)
    assert not diff, f"{diff}\n\nrun `python tools/update_docs.py` to regenerate the samples"


def test_drift_is_caught_and_volatile_parts_are_not(tmp_path):
    sample = next(s for s in SAMPLES if s.command.startswith("gradcheck check"))
    edited = update_docs.Sample(sample.path, sample.command, 0, 0, sample.text.replace("WRONG", "wrong"))
    assert update_docs.drift(edited)
    timed = update_docs.Sample(sample.path, sample.command, 0, 0,
                               sample.text.replace("loss evaluations, 0.", "loss evaluations, 9."))
    assert update_docs.normalize(timed.text) == update_docs.normalize(sample.text)


def test_round_off_digits_are_volatile_and_real_errors_are_not():
    assert update_docs.normalize("W2 │ 8.1e-09 │ ok") == update_docs.normalize("W2 │ 7.5e-09 │ ok")
    assert update_docs.normalize("b1 │ 1.12 │ WRONG") != update_docs.normalize("b1 │ 1.13 │ WRONG")
    assert update_docs.normalize("b1 │ 2.3e-06 │ ok") != update_docs.normalize("b1 │ 4.1e-06 │ ok")
