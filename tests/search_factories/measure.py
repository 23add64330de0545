"""Run gradcheck.search on every factory of this folder and compare with TRUTH.py.

    python tests/search_factories/measure.py [--max-examples N] [--seed S] [--only SUBSTRING]

One row per search: found or not, the smallest failing configuration it reports (the expected
revealing one beside it), the kinds named there (expected beside them), the nets tried and
the time. A buggy factory is searched once (search seed S); a correct one with five search
seeds (S .. S+4), where every search must find nothing. Then a summary.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from gradcheck.search import search  # noqa: E402
from tests.search_factories.TRUTH import BUGGY, CORRECT, Factory  # noqa: E402

#: Search seeds per correct factory: the issue's "no false alarm over 5 seeds".
N_CORRECT_SEEDS = 5


def show(config: dict | None) -> str:
    if config is None:
        return "-"
    parts = []
    for k, v in config.items():
        v = np.asarray(v).tolist() if isinstance(v, np.ndarray) else v
        parts.append(f"{k}={v}")
    return ", ".join(parts)


def run(factory: Factory, seed: int, max_examples: int) -> dict:
    start = time.perf_counter()
    try:
        result = search(factory.fn, seed=seed, max_examples=max_examples)
    except Exception as exc:  # a search that raises is a row, not the end of the measurement
        return {"found": None, "error": f"{type(exc).__name__}: {exc}"[:200], "time": time.perf_counter() - start,
                "smallest": None, "kinds": [], "n": 0}
    kinds = sorted(result.report.kinds()) if result.report is not None else []
    return {"found": result.found, "error": result.error, "time": time.perf_counter() - start,
            "smallest": result.smallest, "kinds": kinds, "n": result.n_examples}


def buggy_row(factory: Factory, got: dict) -> tuple[str, dict[str, bool]]:
    kind = (factory.kind or "").removeprefix("new:")
    varied = got["smallest"] is not None and all(k in got["smallest"] for k in factory.keywords)
    verdict = {"found": got["found"] is True, "varied": varied, "kind": got["found"] is True and kind in got["kinds"]}
    mark = "PASS" if all(verdict.values()) else "FAIL"
    line = (f"{mark} {factory.name:52} [{factory.setting}] found {got['found']}  at {show(got['smallest'])}"
            f"  (expected e.g. {show(factory.reveal)})  kind {','.join(got['kinds']) or '-'} (expected {factory.kind})"
            f"  {got['n']} nets, {got['time']:.1f}s")
    if got["error"]:
        line += f"\n     error: {got['error']}"
    return line, verdict


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-examples", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--only", default="")
    args = parser.parse_args(argv)
    buggy, correct_runs = [], []
    for factory in BUGGY:
        if args.only in factory.name:
            got = run(factory, args.seed, args.max_examples)
            line, verdict = buggy_row(factory, got)
            buggy.append((factory, got, verdict))
            print(line, flush=True)
    for factory in CORRECT:
        if args.only not in factory.name:
            continue
        for seed in range(args.seed, args.seed + N_CORRECT_SEEDS):
            got = run(factory, seed, args.max_examples)
            correct_runs.append((factory, got))
            mark = "PASS" if got["found"] is False else "FAIL"
            print(f"{mark} {factory.name:52} search seed {seed}: found {got['found']}"
                  f"{' at ' + show(got['smallest']) if got['found'] else ''}  {got['n']} nets, {got['time']:.1f}s"
                  + (f"\n     error: {got['error']}" if got["error"] else ""), flush=True)
    print()
    n = len(buggy)
    times = [g["time"] for _, g, _ in buggy] + [g["time"] for _, g in correct_runs]
    print(f"buggy factories: {n}; found: {sum(v['found'] for _, _, v in buggy)}/{n}; "
          f"smallest configuration varies the revealing keywords: {sum(v['varied'] for _, _, v in buggy)}/{n}; "
          f"expected kind named there: {sum(v['kind'] for _, _, v in buggy)}/{n} "
          f"(of which {sum(f.kind.startswith('new:') for f, _, _ in buggy)} expect a kind the catalogue lacks)")
    print(f"correct factories: {len({f.name for f, _ in correct_runs})}, searches: {len(correct_runs)}; "
          f"false alarms: {sum(g['found'] is True for _, g in correct_runs)}; "
          f"errors: {sum(g['found'] is None for _, g in correct_runs)}")
    if times:
        print(f"time per search: median {np.median(times):.1f} s, max {max(times):.1f} s, total {sum(times):.0f} s "
              f"(max_examples={args.max_examples}, search seed {args.seed})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
