"""The HTML view of a report: table, first wrong parameter, findings, escaping, self-containment."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from gradcheck import Finding, check
from gradcheck.html import report_to_html
from tests.core_nets import TwoLayerNet

_VOID = {"meta", "br", "hr", "img", "input", "link"}


class _TagBalance(HTMLParser):
    """Records tags, and fails on a closing tag that does not match the open one."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.errors: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag not in _VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1] if self.stack else 'nothing'}")
        else:
            self.stack.pop()


def _parse(html: str) -> _TagBalance:
    parser = _TagBalance()
    parser.feed(html)
    parser.close()
    assert parser.errors == [] and parser.stack == [], (parser.errors, parser.stack)
    return parser


def _rows(html: str) -> list[str]:
    return re.findall(r"<tr.*?</tr>", html, flags=re.S)


def _report(mistake=None, m=5, **kw):
    net = TwoLayerNet(3, 4, m, mistake=mistake)
    return check(net.params, net.loss, net.grads, diagnose=False, **kw)


def test_passing_report_has_the_table_and_no_wrong_verdict():
    html = report_to_html(_report())
    _parse(html)
    assert "✔ all gradients match (4 parameters" in html
    body = _rows(html)[1:]
    assert [re.search(r"<code>(.*?)</code>", r).group(1) for r in body] == ["W1", "b1", "W2", "b2"]
    assert "WRONG" not in html and "gc-first" not in html.split("</style>", 1)[1]


def test_failing_report_marks_the_first_wrong_parameter():
    report = _report("sigmoid_at_z")
    html = report_to_html(report)
    _parse(html)
    assert "gradients are wrong: W1, b1" in html
    first = [r for r in _rows(html) if 'class="gc-first"' in r]
    assert len(first) == 1 and "<code>b1</code>" in first[0]
    assert "first wrong in backprop order" in first[0]
    w2 = next(r for r in _rows(html) if "<code>W2</code>" in r)
    assert ">ok<" in w2 and "WRONG" not in w2


def test_error_bar_sits_right_of_the_tolerance_only_for_wrong_parameters():
    html = report_to_html(_report("sigmoid_at_z"))
    for row in _rows(html)[1:]:
        name = re.search(r"<code>(.*?)</code>", row).group(1)
        width = float(re.search(r'gc-fill [^"]*" style="width: ([\d.]+)%', row).group(1))
        tol = float(re.search(r'gc-tol" style="left: ([\d.]+)%', row).group(1))
        assert (width > tol) == (name in ("W1", "b1")), (name, width, tol)


def test_wrong_shape_shows_both_shapes():
    html = report_to_html(_report("bias_not_summed", m=6))
    assert "(4, 1) (grad (4, 6))" in html
    assert "WRONG SHAPE" in html


def test_findings_localization_and_notes_are_rendered_and_escaped():
    report = _report("missing_mean")
    report.findings.append(
        Finding(
            "missing_batch_mean",
            ["W1", "b<1>"],
            "analytic / numeric = 5 <script>alert(1)</script>",
            fix="divide by m & retry",
            evidence={"ratio": 5.0000001, "m": 5, "<key>": [1.5, 2.5]},
            layer=1,
            confidence="confirmed",
        )
    )
    report.localization = 'the error starts at "b2" <i>'
    report.notes.append("a <b>note</b>")
    html = report_to_html(report)
    parsed = _parse(html)
    assert "<script" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert 'data-kind="missing_batch_mean"' in html and "<code>b&lt;1&gt;</code>" in html
    assert '<span class="gc-label">fix:</span> divide by m &amp; retry' in html
    assert "<details><summary>evidence (3)</summary>" in html
    assert "<tr><th>ratio</th><td>5</td></tr>" in html and "<tr><th>&lt;key&gt;</th><td>1.5, 2.5</td></tr>" in html
    assert "confirmed, layer 1" in html
    assert "the error starts at &quot;b2&quot; &lt;i&gt;" in html
    assert "note: a &lt;b&gt;note&lt;/b&gt;" in html
    assert not [t for t, _ in parsed.tags if t in ("i", "script")]


def test_parameter_names_and_messages_are_escaped_in_attributes():
    report = _report("sigmoid_at_z")
    report.params[0].message = 'say "hi" <now>'
    html = report_to_html(report)
    rows = [attrs for tag, attrs in _parse(html).tags if tag == "tr" and attrs.get("title")]
    assert rows[0]["title"] == 'say "hi" <now>'


def test_full_page_is_self_contained(tmp_path):
    report = _report("sigmoid_at_z")
    path = tmp_path / "report.html"
    page = report.to_html(path)
    assert path.read_text(encoding="utf-8") == page
    assert page.startswith("<!DOCTYPE html>") and "<meta charset=\"utf-8\">" in page
    _parse(page)
    for external in ("<script", "<link", "src=", "http://", "https://", "@import", "url("):
        assert external not in page, external
    assert "prefers-color-scheme: dark" in page


def test_repr_html_is_the_fragment_with_dark_theme_rules():
    report = _report()
    fragment = report._repr_html_()
    assert fragment == report_to_html(report, full_page=False)
    assert fragment.startswith('<div class="gc-report">') and fragment.rstrip().endswith("</div>")
    assert "<html" not in fragment
    assert '[data-jp-theme-light="false"] .gc-report' in fragment
    # colours come from scoped variables; text inherits the notebook's colour
    css = fragment.split("<style>", 1)[1].split("</style>", 1)[0]
    assert all(sel.strip().startswith((".gc-report", "[data-jp-theme-light", "body.vscode", "@media")) for sel in re.findall(r"}\s*([^{}]+){", "}" + css))


def test_every_class_used_is_styled():
    report = _report("bias_not_summed", m=6)
    report.findings.append(Finding("bias_not_summed", ["b1"], "m", fix="sum", evidence={"m": 6}, confidence="confirmed"))
    report.localization = "starts at b1"
    report.notes.append("n")
    html = report_to_html(report)
    css = html.split("<style>", 1)[1].split("</style>", 1)[0]
    styled = set(re.findall(r"\.(gc-[a-z-]+)", css))
    used = {c for tag, attrs in _parse(html).tags for c in (attrs.get("class") or "").split()}
    assert used and used <= styled, used - styled


def test_fast_check_says_what_was_compared():
    from gradcheck.nn import MLP

    net = MLP([12, 10, 2], activations="tanh", loss="mse", seed=3)
    X, y = net.random_data(6)
    html = report_to_html(check(net.problem(X, y), mode="fast"))
    _parse(html)
    assert html.count('<td class="gc-num">direction</td>') == 4
    assert "fast check" in html


def test_page_title_line_names_the_net_or_its_parameters(tmp_path, capsys):
    from gradcheck.cli import main

    report = _report("sigmoid_at_z")
    untitled = report.to_html()
    names = [p.name for p in report.params]
    assert f'<div class="gc-title">gradcheck of {len(names)} parameters ({", ".join(names[:4])}' in untitled
    assert '<div class="gc-title">gradcheck net.py:build</div>' in report.to_html(title="net.py:build")
    assert 'class="gc-title"' not in report._repr_html_()  # a notebook cell shows its own code above
    page = tmp_path / "out.html"
    target = "gradcheck.examples.seed_net:build"
    assert main(["check", target, "--html", str(page)]) == 1
    html = page.read_text(encoding="utf-8")
    assert f'<div class="gc-title">gradcheck {target}</div>' in html and f"<title>gradcheck {target}: gradients are wrong" in html
    assert main(["check", target, "--html", str(tmp_path / "no" / "such" / "dir.html")]) == 2
    assert "--html" in capsys.readouterr().err


def test_evidence_is_folded_with_readable_labels():
    report = _report("sigmoid_at_z")
    report.findings = [Finding("unknown", ["W1"], "m", evidence={"architecture_given": False, "layers": [1], "batch_size": 4})]
    html = report_to_html(report)
    assert "<details><summary>evidence (3)</summary>" in html
    assert "<tr><th>architecture given (hint=)</th><td>no</td></tr>" in html
    assert "<tr><th>layers</th><td>1</td></tr><tr><th>batch size</th><td>4</td></tr>" in html
