"""Run the door on every net of nets/ and compare with TRUTH.py.

    python tests/doors_corpus/measure.py [--gradcheck PATH] [--only SUBSTRING]

Each target is run as ``gradcheck check nets/FILE[:target] ARGS --json`` in a subprocess
(by default the ``gradcheck`` beside this Python). One row per target: the exit code,
the wrong parameters and the kinds named, expected vs got; then a summary.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.doors_corpus.TRUTH import CASES, Case  # noqa: E402

NETS = Path(__file__).parent / "nets"
#: Seconds one check may take before it counts as a hang (the nets are tiny: ~1 s is usual).
TIMEOUT_S = 120


def normalize(name: str) -> str:
    """A parameter name without quotes and a leading ``self.`` / ``net.`` (spelling only)."""
    name = name.replace('"', "").replace("'", "")
    for prefix in ("self.", "net."):
        if name.startswith(prefix):
            name = name[len(prefix):]
    return name


def run(case: Case, gradcheck: str) -> dict:
    target = str(NETS / case.file) + ("" if case.target is None else f":{case.target}")
    cmd = [gradcheck, "check", target, *case.args, "--json"]
    start = time.perf_counter()
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        return {"exit": "timeout", "wrong": [], "kinds": [], "error": "timeout", "traceback": False,
                "time": TIMEOUT_S}
    elapsed = time.perf_counter() - start
    try:
        data = json.loads(proc.stdout)
    except json.JSONDecodeError:
        data = {"error": {"message": (proc.stderr or proc.stdout).strip()[-300:]}}
    error = data.get("error")
    return {
        "exit": proc.returncode,
        "wrong": sorted(normalize(n) for n in data.get("wrong", [])),
        "kinds": sorted({f["kind"] for f in data.get("findings", [])}),
        "recognized": data.get("recognized", ""),
        "error": error.get("message", "") if isinstance(error, dict) else "",
        "traceback": "Traceback (most recent call last)" in proc.stderr,
        "time": elapsed,
    }


def judge(case: Case, got: dict) -> dict[str, bool]:
    exit_ok = got["exit"] == case.exit and not got["traceback"]
    wrong_ok = case.exit != 1 or sorted(normalize(n) for n in case.wrong) == got["wrong"]
    kind = (case.kind or "").removeprefix("new:")
    kind_ok = case.exit != 1 or kind in got["kinds"]
    return {"exit": exit_ok, "wrong": exit_ok and wrong_ok, "kind": exit_ok and kind_ok}


def row(case: Case, got: dict, verdict: dict[str, bool]) -> str:
    mark = "PASS" if all(verdict.values()) else "FAIL"
    exp_wrong = ",".join(normalize(n) for n in case.wrong) or "-"
    got_wrong = ",".join(got["wrong"]) or "-"
    line = (f"{mark} {case.spec:52} {' '.join(case.args):10} exit {case.exit}/{got['exit']}"
            f"  wrong {exp_wrong} / {got_wrong}  kind {case.kind or '-'} / {','.join(got['kinds']) or '-'}"
            f"  {got['time']:.1f}s")
    if got["traceback"]:
        line += "\n     a traceback was printed"
    if got["error"] and case.exit != 2:
        line += f"\n     error: {got['error'][:200]}"
    return line


def summary(results: list[tuple[Case, dict, dict]]) -> str:
    n = len(results)
    correct = [r for r in results if r[0].exit == 0]
    buggy = [r for r in results if r[0].exit == 1]
    others = [r for r in results if r[0].exit == 2]
    lines = [
        f"targets: {n} ({len(correct)} correct nets, {len(buggy)} buggy nets, {len(others)} not nets)",
        f"exit code as expected: {sum(v['exit'] for _, _, v in results)}/{n}",
        f"correct nets passed (exit 0): {sum(g['exit'] == 0 for _, g, _ in correct)}/{len(correct)}"
        f"; false alarms (exit 1): {sum(g['exit'] == 1 for _, g, _ in correct)}"
        f"; refused (exit 2): {sum(g['exit'] == 2 for _, g, _ in correct)}",
        f"buggy nets flagged (exit 1): {sum(g['exit'] == 1 for _, g, _ in buggy)}/{len(buggy)}"
        f"; passed as right (exit 0): {sum(g['exit'] == 0 for _, g, _ in buggy)}"
        f"; refused (exit 2): {sum(g['exit'] == 2 for _, g, _ in buggy)}",
        f"buggy nets with exactly the wrong parameters: {sum(v['wrong'] for _, _, v in buggy)}/{len(buggy)}",
        f"buggy nets with the expected kind named: {sum(v['kind'] for _, _, v in buggy)}/{len(buggy)}"
        f" (of which {sum(c.kind.startswith('new:') for c, _, _ in buggy)} expect a kind the catalogue lacks)",
        f"not-nets refused (exit 2): {sum(g['exit'] == 2 for _, g, _ in others)}/{len(others)}",
        f"runs that printed a traceback: {sum(g['traceback'] for _, g, _ in results)}",
        f"all as expected: {sum(all(v.values()) for _, _, v in results)}/{n}",
        f"time: {sum(g['time'] for _, g, _ in results):.1f} s",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gradcheck", default=str(Path(sys.executable).parent / "gradcheck"))
    parser.add_argument("--only", default="", help="run only the targets whose spec contains this")
    args = parser.parse_args(argv)
    results = []
    for case in CASES:
        if args.only not in case.spec:
            continue
        got = run(case, args.gradcheck)
        verdict = judge(case, got)
        results.append((case, got, verdict))
        print(row(case, got, verdict), flush=True)
    print()
    print(summary(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
