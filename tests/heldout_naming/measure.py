"""Score gradcheck on the held-out naming cases, called as a user would: ``check(params, loss, grads)``
with no ``data=``.

    python tests/heldout_naming/measure.py          # one row per case, then the summary
    python tests/heldout_naming/measure.py --json   # the same as JSON
    python tests/heldout_naming/measure.py --with-data   # for comparison: also pass data=(X, y)

Per buggy case: flagged (the report is not ok), localized (the wrong parameters are exactly the
true ones), named (each true mistake has a finding of its kind, or an accepted alias, on at least
one of its parameters). Per correct case: a false alarm is a report that is not ok or has findings.
The data line (scored on buggy cases, where the diagnosis runs) is the report's ``data: ... from
...`` line saying where it found the data; it is right when it names the place the loss reads X and
y from and both their shapes.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import gradcheck  # noqa: E402
from tests.heldout_naming import Case, all_cases  # noqa: E402

HOME_WORDS = {"closure": ("closure",), "self": ("self", "attribute"), "globals": ("global",), "partial": ("partial",)}
DATA_LINE = re.compile(r"\bdata:\s[^\n]*\bfrom\b[^\n]*", re.IGNORECASE)  # "data: X (8, 3), y (8, 1) from ..."


def data_line(report: gradcheck.Report) -> str:
    """The report's line about where the data came from, or '' when it has none."""
    for text in [getattr(report, "data_source", ""), *report.notes, *str(report).splitlines()]:
        found = DATA_LINE.search(text)
        if found:
            return found.group(0).strip()
    return ""


def data_line_right(line: str, c: Case) -> bool:
    shapes = (str(c.x_shape), str(c.y_shape))
    return any(w in line for w in HOME_WORDS[c.data_home]) and all(s in line for s in shapes)


def named(report: gradcheck.Report, c: Case) -> bool:
    return all(
        any(f.kind in m.names and m.params & set(f.params) for f in report.findings) for m in c.mistakes
    )


def score(c: Case, with_data: bool = False) -> dict[str, Any]:
    user = c.make()
    extra = {"data": (user["X"], user["y"])} if with_data else {}
    row: dict[str, Any] = {
        "case": c.name, "style": c.style, "truth": [m.kind for m in c.mistakes] or ["correct"],
        "new_kind": any(m.new_kind for m in c.mistakes), "true_wrong": sorted(c.wrong),
    }
    try:
        report = gradcheck.check(user["params"], user["loss"], user["grads"], **extra)
    except Exception as e:  # a crash is scored as nothing found, and shown
        return {**row, "error": f"{type(e).__name__}: {e}", "flagged": False, "wrong": [], "kinds": [],
                "localized": False, "named": False, "false_alarm": c.correct, "data_line": "", "data_right": False}
    line = data_line(report)
    return {
        **row, "error": "", "flagged": not report.ok, "wrong": report.wrong, "kinds": report.kinds(),
        "localized": set(report.wrong) == set(c.wrong) and not c.correct,
        "named": named(report, c) and not c.correct,
        "false_alarm": c.correct and (not report.ok or bool(report.findings)),
        "data_line": line, "data_right": bool(line) and data_line_right(line, c),
    }


def summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    buggy = [r for r in rows if r["truth"] != ["correct"]]
    correct = [r for r in rows if r["truth"] == ["correct"]]
    new = [r for r in buggy if r["new_kind"]]

    def frac(k: int, n: int) -> dict[str, Any]:
        return {"count": k, "of": n, "percent": round(100 * k / n, 1) if n else 0.0}

    return {
        "cases": len(rows), "styles": len({r["style"] for r in rows}),
        "flagged_right": frac(sum(r["flagged"] for r in buggy), len(buggy)),
        "localized_right": frac(sum(r["localized"] for r in buggy), len(buggy)),
        "named_right": frac(sum(r["named"] for r in buggy), len(buggy)),
        "named_right_catalogue_kinds": frac(sum(r["named"] for r in buggy if not r["new_kind"]), len(buggy) - len(new)),
        "named_right_new_kinds": frac(sum(r["named"] for r in new), len(new)),
        "false_alarms": frac(sum(r["false_alarm"] for r in correct), len(correct)),
        "data_line_shown": frac(sum(bool(r["data_line"]) for r in buggy), len(buggy)),
        "data_line_right": frac(sum(r["data_right"] for r in buggy), len(buggy)),
        "errors": sum(bool(r["error"]) for r in rows),
    }


def _row_text(r: dict[str, Any]) -> str:
    got = "error" if r["error"] else ("flagged" if r["flagged"] else "ok")
    where = "-" if r["truth"] == ["correct"] else ("yes" if r["localized"] else f"no {r['wrong']}")
    first = r["kinds"][0] if r["kinds"] else "-"
    mark = "*" if r["new_kind"] else ""
    text = f"{r['case']:<48} {r['style']:<14} {'+'.join(r['truth']) + mark:<52} {got:<7} {where:<10} {first}"
    if r["named"]:
        text += "  (named)"
    if r["error"]:
        text += f"  [{r['error'][:80]}]"
    if r["data_line"]:
        text += f"\n{'':<48} data line{' (right)' if r['data_right'] else ''}: {r['data_line']}"
    return text


def _summary_text(s: dict[str, Any], with_data: bool) -> str:
    call = "with data=(X, y)" if with_data else "without data="
    lines = [f"{s['cases']} cases in {s['styles']} styles, check(params, loss, grads) {call}"]
    for key in ("flagged_right", "localized_right", "named_right", "named_right_catalogue_kinds",
                "named_right_new_kinds", "false_alarms", "data_line_shown", "data_line_right"):
        v = s[key]
        lines.append(f"  {key.replace('_', ' '):<30} {v['count']:>3} / {v['of']:<3} ({v['percent']:.1f}%)")
    lines.append(f"  {'gradcheck errors':<30} {s['errors']:>3}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print rows and summary as JSON")
    parser.add_argument("--with-data", action="store_true", help="also pass data=(X, y), for comparison")
    args = parser.parse_args(argv)
    rows = [score(c, args.with_data) for c in all_cases()]
    s = summary(rows)
    if args.json:
        print(json.dumps({"rows": rows, "summary": s}, indent=1))
    else:
        print(f"{'case':<48} {'style':<14} {'truth (* = proposed new kind)':<52} {'got':<7} {'localized':<10} first kind")
        print("\n".join(_row_text(r) for r in rows))
        print()
        print(_summary_text(s, args.with_data))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
