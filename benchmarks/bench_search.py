"""What a property-based search costs: seconds per search and milliseconds per net checked.

Every factory of the sets below is searched with ``gradcheck.search.search`` over several search
seeds, with the default budget (``max_examples`` of the hypothesis profile: 100 outside pytest).
A search checks the nets hypothesis draws, then, when one fails, the probes of its neighbours
and the confirmation of its naming; every one of those is a full gradient check with its own
loss and gradient calls. The table gives, per set, correct and buggy factories apart:

- seconds per search, wall clock and CPU time of this process (median and largest over factories
  and seeds; on a shared machine the wall clock also counts the other processes' turns);
- gradient checks per search (``SearchResult.n_checks``);
- milliseconds per net (the search's time over its checks, median and largest).

Sets: the unit-test factories of ``tests/settings_nets.py`` (one mistake each behind a setting)
and, when present, the held-out factories of ``tests/search_factories``.

Run:  python benchmarks/bench_search.py            (``--seeds 5`` by default, ``--max-examples N``)
"""

from __future__ import annotations

import argparse
import importlib
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import limit_threads, machine, table  # noqa: E402

from gradcheck.search import search  # noqa: E402


def settings_nets() -> list[tuple[str, Callable[..., Any], bool]]:
    from tests.settings_nets import SETTINGS_NETS, scaled_net

    out = []
    for name, (make, _) in sorted(SETTINGS_NETS.items()) + [("scaled", (scaled_net, None))]:
        out += [(f"{name} (buggy)", make("bug"), True), (f"{name} (correct)", make(None), False)]
    return out


def held_out() -> list[tuple[str, Callable[..., Any], bool]] | None:
    """(name, factory, has a mistake) for each factory of tests/search_factories, if it is there."""
    try:
        truth = importlib.import_module("tests.search_factories.TRUTH")
    except ImportError:
        return None
    return [(f.name, f.fn, True) for f in truth.BUGGY] + [(f.name, f.fn, False) for f in truth.CORRECT]


def measure(factories: list[tuple[str, Callable[..., Any], bool]], seeds: int, max_examples: int | None) -> dict:
    """buggy? -> [(wall seconds, CPU seconds, checks)] of every search."""
    rows: dict[bool, list[tuple[float, float, int]]] = {True: [], False: []}
    for _, factory, buggy in factories:
        for seed in range(seeds):
            wall, cpu = time.perf_counter(), time.process_time()
            result = search(factory, seed=seed, max_examples=max_examples)
            rows[buggy].append((time.perf_counter() - wall, time.process_time() - cpu, max(result.n_checks, 1)))
    return rows


def _spread(values: list[float], fmt: str) -> str:
    return f"{statistics.median(values):{fmt}} / {max(values):{fmt}}"


def summary(label: str, runs: list[tuple[float, float, int]]) -> list[Any]:
    if not runs:
        return [label, 0, "-", "-", "-", "-", "-"]
    checks = [n for _, _, n in runs]
    return [
        label, len(runs),
        _spread([w for w, _, _ in runs], ".2f"), _spread([c for _, c, _ in runs], ".2f"),
        f"{statistics.median(checks):.0f} ({min(checks)}-{max(checks)})",
        _spread([1e3 * w / n for w, _, n in runs], ".1f"), _spread([1e3 * c / n for _, c, n in runs], ".1f"),
    ]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5, help="search seeds per factory (default 5)")
    parser.add_argument("--max-examples", type=int, default=None, help="nets per search (default: profile's)")
    parser.add_argument("--threads", type=int, default=1, help="BLAS threads (0: library default)")
    args = parser.parse_args(argv)
    print(limit_threads(args.threads or None))
    print(machine())
    sets = [("tests/settings_nets.py", settings_nets())]
    held = held_out()
    if held is not None:
        sets.append(("tests/search_factories", held))
    else:
        print("tests/search_factories is not there: only the unit-test factories are measured")
    rows = []
    for name, factories in sets:
        runs = measure(factories, args.seeds, args.max_examples)
        rows.append(summary(f"{name}, buggy", runs[True]))
        rows.append(summary(f"{name}, correct", runs[False]))
    headers = ["factories", "searches", "s/search wall (median / max)", "s/search CPU (median / max)",
               "checks/search median (range)", "ms/net wall (median / max)", "ms/net CPU (median / max)"]
    print(table(headers, rows))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
