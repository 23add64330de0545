"""Terminal rendering of a :class:`~gradcheck.report.Report` with rich.

Rendering never computes: everything shown is read off the report.

Example:
    >>> import numpy as np, gradcheck
    >>> from gradcheck.render import report_to_text
    >>> w = np.array([1.0, 2.0])
    >>> text = report_to_text(gradcheck.check({"w": w}, lambda: float(w @ w), {"w": 2 * w}))
    >>> "all gradients match" in text
    True
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from typing import IO, TYPE_CHECKING, Any

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

if TYPE_CHECKING:  # annotations only: report imports this module when it is shown
    from .report import ParamResult, Report

__all__ = ["VERDICT_LABELS", "TrailingSpaceStripper", "format_error", "render_report", "report_to_text", "row_cells",
           "shape_text", "strip_trailing_spaces"]

_VERDICT_STYLE = {"ok": "green", "mismatch": "bold red", "wrong_shape": "bold red", "nonfinite": "bold red", "not_checked": "dim",
                  "unverifiable": "bold yellow"}
#: the headline's style for each Report.status
_HEADLINE_STYLE = {"ok": "bold green", "wrong": "bold red", "unverifiable": "bold yellow"}


def format_error(x: float | None) -> str:
    """A relative error as people read it: 3.2e-11, 0.5, inf."""
    if x is None:
        return "-"
    if x != x:
        return "nan"
    if x == float("inf"):
        return "inf"
    if x == 0:
        return "0"
    return f"{x:.1e}" if x < 0.01 else f"{x:.3g}"


#: the verdict word shown for each ParamResult.status
VERDICT_LABELS = {
    "ok": "ok",
    "mismatch": "WRONG",
    "wrong_shape": "WRONG SHAPE",
    "nonfinite": "NaN/inf",
    "not_checked": "not checked",
    "unverifiable": "UNVERIFIABLE",
}


def shape_text(shape: tuple[int, ...] | None) -> str:
    """``(3,)``, ``(4, 2)``; ``-`` for no shape."""
    if shape is None:
        return "-"
    return "(" + ", ".join(str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"


def row_cells(p: ParamResult) -> tuple[str, str, str]:
    """The shape, checked and verdict cells of a parameter's row as plain text (terminal and HTML)."""
    shape = shape_text(p.shape)
    if p.grad_shape is not None and p.grad_shape != p.shape:
        shape += f" (grad {shape_text(p.grad_shape)})"
    if p.n_checked == 0:
        checked = "direction"
    else:
        checked = f"{p.n_checked}/{p.size}" if p.n_checked < p.size else f"{p.size}"
    verdict = VERDICT_LABELS.get(p.status, p.status)
    if p.status == "ok" and p.n_kinks:
        verdict += f" ({p.n_kinks} on a kink)"
    elif p.n_unverifiable:
        verdict += f" ({p.n_unverifiable} unverifiable)" if p.status != "unverifiable" else f" ({p.n_unverifiable})"
    return shape, checked, verdict


def _verdict(p: ParamResult, first_wrong: str | None) -> Text:
    label = row_cells(p)[2]
    if p.name == first_wrong:
        label += "  ◀ first wrong"
    return Text(label, style=_VERDICT_STYLE.get(p.status, ""))


#: A name longer than this is cut (with …) in a panel title, which must fit one line; the body has it whole.
TITLE_NAME_CHARS = 32


def _short_name(name: str, most: int = TITLE_NAME_CHARS) -> str:
    return name if len(name) <= most else name[: most - 1] + "…"


def _names(names: list[str], most: int = 3) -> str:
    """``W1, b1`` or, for a long list, ``W1, b1 and 4 more`` (a panel title must fit one line)."""
    if len(names) <= most:
        return ", ".join(_short_name(n) for n in names)
    return f"{', '.join(_short_name(n) for n in names[: most - 1])} and {len(names) - most + 1} more"


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}" if n == 1 else f"{n:,} {noun}s"


def params_table(report: Report) -> Table:
    """The per-parameter table: name, shape, max relative error, elements checked, verdict."""
    # every column but the name keeps its width; a name too long for the terminal folds onto more lines
    table = Table(title=None, show_edge=False, header_style="bold")
    table.add_column("parameter", overflow="fold")
    table.add_column("shape", no_wrap=True)
    table.add_column("max rel. error", justify="right", no_wrap=True)
    table.add_column("checked", justify="right", no_wrap=True)
    table.add_column("verdict", no_wrap=True)
    first = report.first_wrong
    for p in report.params:
        shape, checked, _ = row_cells(p)
        style = "bold" if p.name == first else ""
        table.add_row(Text(p.name, style=style), shape, format_error(p.max_rel_error), checked, _verdict(p, first))
    return table


def render_report(report: Report) -> Group:
    """A rich renderable: summary line, table, localization, findings, notes."""
    parts: list[Any] = []
    parts.append(Text(report.headline, style=_HEADLINE_STYLE.get(report.status, "bold red")))
    parts.append(params_table(report))
    if report.data_source:
        parts.append(Text(f"data: {report.data_source}", style="dim"))
    if report.localization:
        parts.append(Text(report.localization, style="yellow"))
    for f in report.findings:
        body = Text()
        if len(f.params) > 3:
            body.append("parameters: ", style="bold")
            body.append(", ".join(f.params) + "\n")
        body.append(f.message)
        if f.fix:
            body.append("\nfix: ", style="bold")
            body.append(f.fix)
        title = Text(f.kind, style="bold")  # Text, not markup: names such as W[/] are shown as written
        if f.params:
            title.append(f" · {_names(f.params)}")
        parts.append(Panel(body, title=title, title_align="left", border_style="red" if f.confidence == "confirmed" else "yellow"))
    for note in report.notes:
        parts.append(Text(f"note: {note}", style="dim"))
    if report.rules_out:
        parts.append(Text(report.rules_out, style="dim"))
    parts.append(
        Text(
            f"{report.method} differences, {report.mode} check, {_count(report.n_loss_evals, 'loss evaluation')}, "
            f"{report.elapsed:.2f} s, seed {report.seed}",
            style="dim",
        )
    )
    return Group(*parts)


def report_to_text(report: Report, width: int = 100, color: bool = False) -> str:
    """The terminal view as a string (no colour by default), no line ending in spaces."""
    buf = io.StringIO()
    console = Console(file=buf, width=width, color_system="standard" if color else None, force_terminal=color)
    console.print(render_report(report))
    return strip_trailing_spaces(buf.getvalue())


#: A colour code at the end of a text (rich pads styled cells: ``WRONG   \x1b[0m\x1b[1m \x1b[0m``).
_ESCAPE_AT_END = re.compile(r"\x1b\[[0-9;]*m\Z")
#: The longest colour code looked for at the end of a line.
_ESCAPE_CHARS = 24


def _strip_line(line: str) -> str:
    """``line`` without the spaces at its end, keeping the colour codes among them (linear time)."""
    end, codes = len(line), []
    while end:
        if line[end - 1] in " \t":
            end -= 1
            continue
        code = _ESCAPE_AT_END.search(line, max(0, end - _ESCAPE_CHARS), end)
        if code is None:
            break
        codes.append(code.group())
        end = code.start()
    return line[:end] + "".join(reversed(codes))


def strip_trailing_spaces(text: str) -> str:
    r"""``text`` with no line ending in spaces (rich pads table cells; the colour codes there are kept).

    >>> strip_trailing_spaces("a   \nb \x1b[0m\nc \x1b[0m\x1b[1m \x1b[0m\n")
    'a\nb\x1b[0m\nc\x1b[0m\x1b[1m\x1b[0m\n'
    """
    return "\n".join(_strip_line(line) for line in text.split("\n"))


class TrailingSpaceStripper:
    r"""A text stream for a rich ``Console`` that writes whole lines, without trailing spaces, to
    ``target()`` (looked up at each write, so ``contextlib.redirect_stdout`` applies); the terminal
    queries (``isatty``, ``fileno``) are the target's.

    >>> import io
    >>> out = io.StringIO()
    >>> stream = TrailingSpaceStripper(lambda: out)
    >>> _ = stream.write("a  \nb"); _ = stream.write("  \n"); stream.flush()
    >>> out.getvalue()
    'a\nb\n'
    """

    def __init__(self, target: Callable[[], IO[str]]) -> None:
        self._target = target
        self._pending = ""

    def write(self, text: str) -> int:
        head, newline, rest = (self._pending + text).rpartition("\n")
        if newline:
            self._target().write(strip_trailing_spaces(head + newline))
        self._pending = rest
        return len(text)

    def flush(self) -> None:
        if self._pending:
            self._target().write(self._pending)
            self._pending = ""
        self._target().flush()

    def isatty(self) -> bool:
        return bool(getattr(self._target(), "isatty", lambda: False)())

    def fileno(self) -> int:
        return int(self._target().fileno())

    @property
    def encoding(self) -> str:
        return str(getattr(self._target(), "encoding", None) or "utf-8")
