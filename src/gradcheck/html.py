"""HTML rendering of a :class:`~gradcheck.report.Report`, for Jupyter and for files.

The layout mirrors the terminal view: a summary line, the per-parameter table (the
first wrong parameter in backprop order marked), the localization sentence, the
findings with their evidence and fix, and the notes. Each table row carries a small
bar of the relative error on a log scale with the tolerance marked, so the rows where
the error jumps stand out without a plot.

The output is self-contained (inline CSS, no scripts, no external assets), every piece
of user text is escaped, and the colours read on light and dark backgrounds (text
inherits the page's colour; dark themes of JupyterLab and VS Code are recognized).
Rendering never computes: everything shown is read off the report.

Example:
    >>> import numpy as np, gradcheck
    >>> from gradcheck.html import report_to_html
    >>> w = np.array([1.0, 2.0])
    >>> report = gradcheck.check({"w": w}, lambda: float(w @ w), {"w": 2 * w})
    >>> fragment = report_to_html(report)
    >>> "all gradients match" in fragment, fragment.startswith("<div")
    (True, True)
    >>> report_to_html(report, full_page=True).startswith("<!DOCTYPE html>")
    True
"""

from __future__ import annotations

import math
from html import escape
from typing import TYPE_CHECKING, Any

import numpy as np

from .render import format_error, row_cells, shape_text

if TYPE_CHECKING:  # annotations only: report imports this module when it is shown
    from .report import Finding, ParamResult, Report

__all__ = ["CSS", "evidence_label", "evidence_text", "report_to_html"]

#: The log10 range of the error bars in the table: 1e-16 .. 1e2.
_BAR_LO, _BAR_HI = -16.0, 2.0

#: CSS class of each ParamResult.status
_VERDICT_CLASS = {"ok": "gc-ok", "mismatch": "gc-bad", "wrong_shape": "gc-bad", "nonfinite": "gc-bad", "not_checked": "gc-muted",
                  "unverifiable": "gc-warn"}
#: CSS class of the summary line for each Report.status
_SUMMARY_CLASS = {"ok": "gc-ok", "wrong": "gc-bad", "unverifiable": "gc-warn"}
#: the page title's verdict for each Report.status
_PAGE_VERDICT = {"ok": "all gradients match", "wrong": "gradients are wrong", "unverifiable": "could not be checked everywhere"}

#: The stylesheet, scoped to ``.gc-report``. Colours are CSS variables so one block of
#: overrides switches them for dark themes.
CSS = """
.gc-report {
  --gc-ok: #1a7f37; --gc-bad: #cf222e; --gc-warn: #9a6700; --gc-accent: #0969da;
  --gc-tint: rgba(127, 127, 127, 0.10); --gc-line: rgba(127, 127, 127, 0.35);
  --gc-bad-tint: rgba(207, 34, 46, 0.08); --gc-warn-tint: rgba(154, 103, 0, 0.08);
  color: inherit; font-family: var(--jp-ui-font-family, system-ui, -apple-system, "Segoe UI", sans-serif);
  font-size: 13px; line-height: 1.45; max-width: 62em; overflow-wrap: break-word;
}
[data-jp-theme-light="false"] .gc-report, body.vscode-dark .gc-report, body.vscode-high-contrast .gc-report,
.gc-report.gc-dark {
  --gc-ok: #4ac26b; --gc-bad: #ff7b72; --gc-warn: #d4a72c; --gc-accent: #58a6ff;
  --gc-bad-tint: rgba(255, 123, 114, 0.10); --gc-warn-tint: rgba(212, 167, 44, 0.10);
}
.gc-report .gc-summary { font-weight: 600; font-size: 14px; margin: 0.2em 0 0.5em 0; }
.gc-report .gc-summary.gc-ok, .gc-report .gc-ok { color: var(--gc-ok); }
.gc-report .gc-summary.gc-bad, .gc-report .gc-bad { color: var(--gc-bad); }
.gc-report .gc-summary.gc-warn, .gc-report .gc-warn { color: var(--gc-warn); }
.gc-report .gc-muted { opacity: 0.7; }
.gc-report table.gc-params { border-collapse: collapse; margin: 0.3em 0 0.6em 0; }
.gc-report table.gc-params th, .gc-report table.gc-params td {
  padding: 0.25em 0.7em; text-align: left; border-bottom: 1px solid var(--gc-line); color: inherit;
  background: transparent; vertical-align: middle;
}
.gc-report table.gc-params th { background: var(--gc-tint); font-weight: 600; }
.gc-report table.gc-params td.gc-num { text-align: right; font-family: var(--jp-code-font-family, monospace); }
.gc-report table.gc-params tr.gc-first td { background: var(--gc-bad-tint); font-weight: 600; }
.gc-report .gc-bar { position: relative; width: 9em; height: 0.75em; background: var(--gc-tint); border-radius: 2px; }
.gc-report .gc-bar .gc-fill { position: absolute; left: 0; top: 0; bottom: 0; border-radius: 2px; }
.gc-report .gc-bar .gc-fill.gc-ok { background: var(--gc-ok); }
.gc-report .gc-bar .gc-fill.gc-bad { background: var(--gc-bad); }
.gc-report .gc-bar .gc-tol { position: absolute; top: -2px; bottom: -2px; width: 0; border-left: 2px dashed currentColor; opacity: 0.6; }
.gc-report .gc-localization { color: var(--gc-warn); margin: 0.4em 0; }
.gc-report .gc-finding {
  border-left: 4px solid var(--gc-warn); background: var(--gc-warn-tint); padding: 0.4em 0.8em; margin: 0.5em 0;
  border-radius: 0 4px 4px 0;
}
.gc-report .gc-finding.gc-confirmed { border-left-color: var(--gc-bad); background: var(--gc-bad-tint); }
.gc-report .gc-finding .gc-kind { font-family: var(--jp-code-font-family, monospace); font-weight: 700; }
.gc-report .gc-finding .gc-fix { margin-top: 0.3em; }
.gc-report .gc-finding dl { margin: 0.3em 0 0 0; display: grid; grid-template-columns: max-content auto; gap: 0 0.8em; }
.gc-report .gc-finding dt { opacity: 0.75; }
.gc-report .gc-finding dd { margin: 0; font-family: var(--jp-code-font-family, monospace); }
.gc-report code { font-family: var(--jp-code-font-family, monospace); background: var(--gc-tint); padding: 0 0.2em; border-radius: 3px; color: inherit; }
.gc-report .gc-note, .gc-report .gc-footer { opacity: 0.7; margin: 0.2em 0; }
.gc-report .gc-title { font-size: 15px; font-weight: 600; margin: 0 0 0.3em 0; overflow-wrap: anywhere; }
.gc-report .gc-nowrap { white-space: nowrap; display: inline-block; }
.gc-report .gc-finding .gc-head { overflow-wrap: anywhere; }
.gc-report .gc-finding .gc-label { font-weight: 600; }
.gc-report .gc-finding details { margin-top: 0.3em; }
.gc-report .gc-finding summary { cursor: pointer; opacity: 0.8; }
.gc-report table.gc-evidence { border-collapse: collapse; margin: 0.2em 0 0.2em 0.5em; }
.gc-report table.gc-evidence th, .gc-report table.gc-evidence td {
  text-align: left; vertical-align: top; padding: 0.1em 0.8em 0.1em 0; border: 0; background: transparent; color: inherit;
}
.gc-report table.gc-evidence th { font-weight: normal; opacity: 0.75; white-space: nowrap; }
.gc-report table.gc-evidence td { overflow-wrap: anywhere; }
.gc-report table.gc-params td:first-child { overflow-wrap: anywhere; min-width: 4em; }
.gc-report .gc-scroll { max-width: 100%; overflow-x: auto; }
@media (max-width: 640px) {
  .gc-report table.gc-params .gc-barcol { display: none; }
  .gc-report table.gc-params th, .gc-report table.gc-params td { padding: 0.25em 0.4em; }
}
"""

_PAGE_CSS = """
body { margin: 2em; background: #ffffff; color: #1f2328; }
@media (prefers-color-scheme: dark) {
  body { background: #0d1117; color: #e6edf3; }
  .gc-report {
    --gc-ok: #4ac26b; --gc-bad: #ff7b72; --gc-warn: #d4a72c; --gc-accent: #58a6ff;
    --gc-bad-tint: rgba(255, 123, 114, 0.10); --gc-warn-tint: rgba(212, 167, 44, 0.10);
  }
}
"""

def report_to_html(report: Report, full_page: bool = False, title: str | None = None) -> str:
    """The report as HTML: a ``<div>`` fragment (for Jupyter) or, with ``full_page``, a whole page.

    ``title`` names what was checked (``net.py:build``); the page opens with it. Without one, the
    page's title line names the parameters.

    Example:
        >>> import numpy as np, gradcheck
        >>> w = np.array([3.0])
        >>> r = gradcheck.check({"w<1>": w}, lambda: float(w[0] ** 2), {"w<1>": 3 * w}, diagnose=False)
        >>> html = report_to_html(r)
        >>> "w&lt;1&gt;" in html and "w<1>" not in html
        True
    """
    body = _fragment(report, _subject(report, title) if full_page or title else None)
    if not full_page:
        return body
    verdict = _PAGE_VERDICT.get(report.status, "gradients are wrong")
    title = f"gradcheck {_subject(report, title)}: {verdict}"
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        f"<meta name=\"color-scheme\" content=\"light dark\">\n<title>{escape(title)}</title>\n"
        f"<style>{CSS}{_PAGE_CSS}</style>\n</head>\n<body>\n{body}\n</body>\n</html>\n"
    )


#: A title line names at most this many parameters of a net checked without a title.
_TITLE_PARAMS = 4


def _subject(report: Report, title: str | None) -> str:
    """What the report is about: the title given, else its parameters (``W1, b1, W2 and 3 more``)."""
    if title:
        return title
    names = [p.name for p in report.params]
    shown = ", ".join(names[:_TITLE_PARAMS]) + (f" and {len(names) - _TITLE_PARAMS} more" if len(names) > _TITLE_PARAMS else "")
    return f"of {len(names)} parameter{'' if len(names) == 1 else 's'} ({shown})"


def _fragment(report: Report, subject: str | None = None) -> str:
    parts = ['<div class="gc-report">', f"<style>{CSS}</style>"]
    if subject is not None:
        parts.append(f'<div class="gc-title">gradcheck {escape(subject)}</div>')
    parts.append(_summary(report))
    parts.append(_table(report))
    if report.data_source:
        parts.append(f'<div class="gc-note">data: {escape(report.data_source)}</div>')
    if report.localization:
        parts.append(f'<div class="gc-localization">{escape(report.localization)}</div>')
    parts.extend(_finding(f) for f in report.findings)
    parts.extend(f'<div class="gc-note">note: {escape(n)}</div>' for n in report.notes)
    if report.rules_out:
        parts.append(f'<div class="gc-note">{escape(report.rules_out)}</div>')
    parts.append(
        f'<div class="gc-footer">{escape(report.method)} differences, {escape(report.mode)} check, '
        f"{report.n_loss_evals:,} loss evaluations, {report.elapsed:.2f} s, seed {escape(str(report.seed))}</div>"
    )
    parts.append("</div>")
    return "\n".join(parts)


def _summary(report: Report) -> str:
    css = _SUMMARY_CLASS.get(report.status, "gc-bad")
    return f'<div class="gc-summary {css}"><strong>{escape(report.headline)}</strong></div>'


def _position(x: float) -> float:
    """Where ``x`` sits on the bar, 0..100 (log scale, clipped)."""
    if x != x:
        return 0.0
    if x <= 0:
        return 0.0
    if math.isinf(x):
        return 100.0
    frac = (math.log10(x) - _BAR_LO) / (_BAR_HI - _BAR_LO)
    return round(100.0 * min(max(frac, 0.0), 1.0), 1)


def _bar(p: ParamResult, rtol: float) -> str:
    if p.status == "not_checked" or p.max_rel_error != p.max_rel_error:
        return '<span class="gc-muted">-</span>'
    width = max(_position(p.max_rel_error), 1.0)
    cls = "gc-ok" if p.ok else _VERDICT_CLASS.get(p.status, "gc-bad")
    tol = _position(rtol) if rtol > 0 else None
    tol_mark = f'<div class="gc-tol" style="left: {tol}%"></div>' if tol is not None else ""
    label = f"max relative error {format_error(p.max_rel_error)}, tolerance {rtol:g}"
    return (
        f'<div class="gc-bar" title="{escape(label)}" role="img" aria-label="{escape(label)}">'
        f'<div class="gc-fill {cls}" style="width: {width}%"></div>{tol_mark}</div>'
    )


def _table(report: Report) -> str:
    first = report.first_wrong
    rows = [
        '<div class="gc-scroll"><table class="gc-params">',
        '<thead><tr><th>parameter</th><th>shape</th><th>max rel. error</th><th class="gc-barcol">'
        f'error (log scale, <span class="gc-nowrap"><span title="tolerance">┆</span> = rtol '
        f'{escape(f"{report.rtol:g}")})</span></th>'
        "<th>checked</th><th>verdict</th></tr></thead>",
        "<tbody>",
    ]
    for p in report.params:
        shape, checked, label = row_cells(p)
        cls = _VERDICT_CLASS.get(p.status, "")
        tag = "strong" if cls in ("gc-bad", "gc-warn") else "span"
        verdict = f'<{tag} class="{cls}">{escape(label)}</{tag}>'
        marker = ' <span class="gc-bad">◀ first wrong in backprop order</span>' if p.name == first else ""
        row_cls = ' class="gc-first"' if p.name == first else ""
        title = f' title="{escape(p.message)}"' if p.message else ""
        rows.append(
            f"<tr{row_cls}{title}><td><code>{escape(p.name)}</code></td><td>{escape(shape)}</td>"
            f'<td class="gc-num">{escape(format_error(p.max_rel_error))}</td><td class="gc-barcol">{_bar(p, report.rtol)}</td>'
            f'<td class="gc-num">{escape(checked)}</td>'
            f"<td>{verdict}{marker}</td></tr>"
        )
    rows.append("</tbody></table></div>")
    return "\n".join(rows)


def _finding(f: Finding) -> str:
    """Kind and parameters, the message, the fix, then the evidence folded away in a small table."""
    cls = "gc-finding gc-confirmed" if f.confidence == "confirmed" else "gc-finding"
    head = f'<strong class="gc-kind">{escape(f.kind)}</strong>'
    if f.params:
        head += " · " + ", ".join(f"<code>{escape(p)}</code>" for p in f.params)
    extra = [escape(f.confidence)] if f.confidence else []
    label = f.layer_label()
    if label is not None:
        extra.append(escape(label))
    if extra:
        head += f' <span class="gc-muted">({", ".join(extra)})</span>'
    parts = [f'<div class="{cls}" data-kind="{escape(f.kind)}">', f'<div class="gc-head">{head}</div>',
             f"<div>{escape(f.message)}</div>"]
    if f.fix:
        parts.append(f'<div class="gc-fix"><span class="gc-label">fix:</span> {escape(f.fix)}</div>')
    if f.evidence:
        rows = "".join(f"<tr><th>{escape(evidence_label(k))}</th><td>{escape(evidence_text(v))}</td></tr>"
                       for k, v in f.evidence.items())
        parts.append(f'<details><summary>evidence ({len(f.evidence)})</summary><table class="gc-evidence">{rows}</table></details>')
    parts.append("</div>")
    return "".join(parts)


#: Evidence keys whose words alone do not read well.
_EVIDENCE_LABELS = {
    "architecture_given": "architecture given (hint=)",
    "l2": "L2 strength",
    "elements_off": "elements off",
    "partial": "only some elements fit",
}


def evidence_label(key: Any) -> str:
    """A readable label for an evidence key: ``batch_size`` -> ``batch size``.

    >>> evidence_label("batch_size"), evidence_label("architecture_given")
    ('batch size', 'architecture given (hint=)')
    """
    key = str(key)
    return _EVIDENCE_LABELS.get(key, key.replace("_", " "))


#: Longest evidence text shown; the JSON has the whole value.
_EVIDENCE_CHARS = 400


def evidence_text(value: Any, limit: int = _EVIDENCE_CHARS) -> str:
    """A compact, readable text of one evidence value: yes/no, floats to 4 significant digits, lists
    joined, arrays summarized; cut only past ``limit`` characters.

    >>> evidence_text(False), evidence_text([1]), evidence_text(0.123456), evidence_text((2, 3))
    ('no', '1', '0.1235', '2, 3')
    """
    if isinstance(value, (bool, np.bool_)):
        text = "yes" if value else "no"
    elif isinstance(value, (float, np.floating)):
        text = f"{float(value):.4g}"
    elif isinstance(value, np.ndarray):
        text = np.array2string(value, precision=4, threshold=12, edgeitems=3, separator=", ")
        text = " ".join(text.split())
        text = f"{text} (shape {shape_text(value.shape)})" if value.size > 12 else text
    elif isinstance(value, (list, tuple)):
        text = ", ".join(evidence_text(v, limit) for v in list(value)[:12]) + (", …" if len(value) > 12 else "")
    elif isinstance(value, dict):
        text = "; ".join(f"{evidence_label(k)}: {evidence_text(v, limit)}" for k, v in value.items())
    elif value is None:
        text = "-"
    else:
        text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"
