"""The third verdict: no gradient shown wrong, but elements no finite difference could check.

Through every view of a report: the data, the terminal, JSON (valid against the schema), HTML, the
CLI's exit code, the assertion helper and the pytest plugin.
"""

from __future__ import annotations

import textwrap

import numpy as np
import pytest

import gradcheck
from gradcheck import GradientMismatch, GradientUnverifiable, assert_gradients_match
from gradcheck.cli import EXIT_UNVERIFIABLE, main
from gradcheck.render import report_to_text

from .jsoncheck import parse_valid

# relu(w) at exactly 0 for w[0] and w[1]: their analytic value 0.25 lies between the one-sided slopes
# (0 and 1), which no step tells from a mistake; w[2] is smooth and right
KINKED = """
import numpy as np

def build(factor=1.0):
    w = np.array([0.0, 0.0, 1.5])
    loss = lambda: float(np.maximum(w[:2], 0).sum() + w[2] ** 2)
    grads = lambda: {"w": np.array([0.25, 0.25, factor * 2 * w[2]])}
    return {"params": {"w": w}, "loss": loss, "grads": grads}

def build_wrong():
    return build(factor=-1.0)
"""


def _kinked(factor=1.0):
    w = np.array([0.0, 0.0, 1.5])
    return {"w": w}, lambda: float(np.maximum(w[:2], 0).sum() + w[2] ** 2), {"w": np.array([0.25, 0.25, factor * 3.0])}


@pytest.fixture
def report():
    return gradcheck.check(*_kinked(), diagnose=False)


def test_the_report_is_neither_ok_nor_wrong(report):
    assert report.status == "unverifiable" and not report.ok
    assert report.wrong == [] and report.first_wrong is None and report.unverifiable == ["w"]
    p = report["w"]
    assert p.status == "unverifiable" and not p.ok and not p.wrong
    assert p.n_unverifiable == 2 and list(p.unverifiable) == [True, True, False] and p.n_mismatched == 0
    assert report.headline.startswith("? could not be checked at 2 elements of w")


def test_a_wrong_element_off_the_kinks_makes_it_wrong():
    r = gradcheck.check(*_kinked(factor=-1.0), diagnose=False)
    assert r.status == "wrong" and r.wrong == ["w"] and r["w"].n_mismatched == 1
    assert r["w"].worst_index == (2,) and r["w"].n_unverifiable == 2


def test_the_terminal_shows_the_verdict(report):
    text = report_to_text(report)
    assert text.splitlines()[0].startswith("? could not be checked at 2 elements of w")
    assert "UNVERIFIABLE (2)" in text and "WRONG" not in text and "all gradients match" not in text


def test_json_carries_the_status_and_validates(report):
    doc = parse_valid(report.to_json())
    assert doc["ok"] is False and doc["status"] == "unverifiable" and doc["wrong"] == []
    assert doc["unverifiable"] == ["w"] and doc["n_unverifiable"] == 2
    assert doc["params"][0]["status"] == "unverifiable" and doc["params"][0]["n_unverifiable"] == 2
    ok = parse_valid(gradcheck.check({"w": np.ones(2)}, lambda: 0.0, {"w": np.zeros(2)}).to_json())
    assert ok["status"] == "ok" and ok["n_unverifiable"] == 0


def test_the_schema_refuses_an_unknown_status(report):
    jsonschema = pytest.importorskip("jsonschema")
    doc = report.to_dict()
    doc["status"] = "fine"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(doc, gradcheck.report.json_schema(), cls=jsonschema.Draft202012Validator)


def test_html_shows_the_verdict_in_its_own_colour(report):
    page = report.to_html()
    assert 'class="gc-summary gc-warn"' in page and "could not be checked at 2 elements" in page
    assert 'class="gc-warn">UNVERIFIABLE (2)' in page and "gc-bad" not in page.split("<tbody>")[1]
    assert "<title>gradcheck of 1 parameter (w): could not be checked everywhere</title>" in page
    assert "gc-warn" in report._repr_html_()  # the notebook display


def test_the_assertion_helper_fails_unless_allowed():
    with pytest.raises(GradientUnverifiable) as exc:
        assert_gradients_match(*_kinked())
    assert isinstance(exc.value, GradientMismatch) and isinstance(exc.value, AssertionError)
    assert "could not be checked" in str(exc.value) and "allow_unverifiable=True" in str(exc.value)
    assert exc.value.report.status == "unverifiable"
    assert assert_gradients_match(*_kinked(), allow_unverifiable=True).status == "unverifiable"
    with pytest.raises(GradientMismatch) as wrong:  # allowing it never lets a wrong gradient through
        assert_gradients_match(*_kinked(factor=-1.0), allow_unverifiable=True)
    assert not isinstance(wrong.value, GradientUnverifiable)


def test_the_cli_exits_3_unless_allowed(tmp_path, capsys):
    path = tmp_path / "kinked.py"
    path.write_text(textwrap.dedent(KINKED))
    assert main(["check", f"{path}:build", "--no-color"]) == EXIT_UNVERIFIABLE == 3
    assert "could not be checked at 2 elements" in capsys.readouterr().out
    assert main(["check", f"{path}:build", "--json"]) == 3
    doc = parse_valid(capsys.readouterr().out)
    assert doc["status"] == "unverifiable" and doc["ok"] is False
    assert main(["check", f"{path}:build", "--no-color", "--allow-unverifiable"]) == 0
    capsys.readouterr()
    assert main(["check", f"{path}:build_wrong", "--no-color", "--allow-unverifiable"]) == 1


PLUGIN_TEST = """
import numpy as np
import pytest

def build():
    w = np.array([0.0, 0.0, 1.5])
    return {"params": {"w": w}, "loss": lambda: float(np.maximum(w[:2], 0).sum() + w[2] ** 2),
            "grads": lambda: {"w": np.array([0.25, 0.25, 3.0])}}

def test_default(gradcheck):
    gradcheck(build())

@pytest.mark.gradcheck(allow_unverifiable=True)
def test_marked(gradcheck):
    gradcheck(build())

def test_keyword(gradcheck):
    gradcheck(build(), allow_unverifiable=True)
"""


def test_the_plugin_fails_unless_allowed(pytester):
    pytester.makepyfile(test_user=PLUGIN_TEST)
    result = pytester.runpytest()
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(["*GradientUnverifiable: ? could not be checked at 2 elements of w*"])
    pytester.runpytest("--gradcheck-allow-unverifiable").assert_outcomes(passed=3)
    pytester.makeini("[pytest]\ngradcheck_allow_unverifiable = true\n")
    pytester.runpytest().assert_outcomes(passed=3)

