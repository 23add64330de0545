"""The terminal view of a report (rich), rendered to text without a terminal."""

from __future__ import annotations

import io

from rich.console import Console

from gradcheck import Finding, check
from gradcheck.render import format_error, report_to_text, strip_trailing_spaces
from tests.core_nets import TwoLayerNet


def test_passing_report_text():
    net = TwoLayerNet()
    text = report_to_text(check(net.params, net.loss, net.grads, diagnose=False))
    assert "all gradients match" in text
    for name in ("W1", "b1", "W2", "b2"):
        assert name in text
    assert "WRONG" not in text


def test_failing_report_marks_the_first_wrong_parameter():
    net = TwoLayerNet(3, 4, 5, mistake="sigmoid_at_z")
    report = check(net.params, net.loss, net.grads, diagnose=False)
    text = report_to_text(report, width=120)
    assert "gradients are wrong: W1, b1" in text
    line = next(ln for ln in text.splitlines() if "first wrong" in ln)
    assert line.split()[0] == "b1"


def test_wrong_shape_shows_both_shapes():
    net = TwoLayerNet(3, 4, 6, mistake="bias_not_summed")
    text = report_to_text(check(net.params, net.loss, net.grads, diagnose=False), width=140)
    assert "(4, 1) (grad (4, 6))" in text
    assert "WRONG SHAPE" in text


def test_findings_and_notes_are_rendered():
    net = TwoLayerNet()
    report = check(net.params, net.loss, net.grads, diagnose=False)
    report.findings.append(Finding("constant_factor", ["W2"], "analytic / numeric = 2.000", fix="divide by 2"))
    report.notes.append("a note for the reader")
    text = report_to_text(report, width=120)
    assert "constant_factor" in text and "analytic / numeric = 2.000" in text and "fix: divide by 2" in text
    assert "note: a note for the reader" in text


def test_report_is_a_rich_renderable_and_str():
    net = TwoLayerNet()
    report = check(net.params, net.loss, net.grads, diagnose=False)
    buf = io.StringIO()
    Console(file=buf, width=100, color_system=None).print(report)
    assert strip_trailing_spaces(buf.getvalue()) == str(report)
    assert " \n" not in str(report)


def test_format_error():
    assert format_error(0.0) == "0"
    assert format_error(float("inf")) == "inf"
    assert format_error(3.2e-11) == "3.2e-11"
    assert format_error(0.5) == "0.5"
    assert format_error(None) == "-"


def test_repr_is_short():
    net = TwoLayerNet(3, 4, 6, mistake="bias_not_summed")
    r = repr(check(net.params, net.loss, net.grads, diagnose=False))
    assert r.startswith("<Report ok=False first_wrong='b1'") and len(r) < 200


def test_headline_when_only_a_repeat_call_finding_fails_the_check():
    import numpy as np

    import gradcheck

    w, buf = np.array([1.0, -2.0]), {"w": np.zeros(2)}

    def grads():
        buf["w"] += 2 * w
        return buf

    report = gradcheck.check({"w": w}, lambda: float(w @ w), grads)
    assert not report.ok and report.wrong == []
    assert report.headline == "✘ the gradients match the loss, but a problem was found: gradient_accumulates (see below)"
    assert report_to_text(report, width=200).splitlines()[0] == report.headline
