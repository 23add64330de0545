"""Auto mode's estimate of a full check against the full check's measured time.

On nets just past auto mode's size limit (more than 20,000 parameters, a full check over 10 s),
auto mode times a few loss evaluations and states how long a full check would take, or states
no number when the evaluations' times disagree by more than 2x. This script runs auto mode,
reads the estimate from its note, then runs the full check it declined and times it.

Run:  python benchmarks/bench_estimate.py [BLAS threads, default 1]     (a minute or two on two cores)
"""

from __future__ import annotations

import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import build, limit_threads, machine, n_params, table  # noqa: E402

import gradcheck  # noqa: E402
from gradcheck.modes import estimate_full  # noqa: E402

#: the nets (widths, batch): 38,281 and 60,331 parameters, a loss of a few tenths of a millisecond
NETS = [([150, 200, 40, 1], 64), ([200, 250, 40, 1], 64)]


def main() -> None:
    threads = int(sys.argv[1]) if len(sys.argv) > 1 else 1
    print(machine())
    print(limit_threads(threads))
    rows = []
    for widths, batch in NETS:
        net, X, y = build(widths, batch=batch)
        loss, grads = (lambda n=net, X=X, y=y: n.loss(X, y)), (lambda n=net, X=X, y=y: n.gradients(X, y))
        auto = gradcheck.check(net.params, loss, grads, diagnose=False)
        note = next((n for n in auto.notes if "full check would take" in n), "")
        said = re.search(r"would take about (\d+) s", note)
        t0 = time.perf_counter()
        full = gradcheck.check(net.params, loss, grads, mode="full", diagnose=False)
        took = time.perf_counter() - t0
        # the same estimate once more, right after: when it moved, the machine's load moved under the check
        after = estimate_full(loss, n_params(net), float("inf"))
        estimate = float(said.group(1)) if said else None
        ratio = f"{estimate / took:.2f}" if estimate else "no number stated"
        rows.append(["-".join(map(str, widths)) + f", m={batch}", f"{n_params(net):,}", auto.mode,
                     f"{estimate:.0f}" if estimate else "-", f"{took:.1f}", ratio,
                     f"{after.seconds:.0f}" + ("" if after.steady else " (unsteady)"), "yes" if full.ok else "no"])
    print(table(["net", "params", "auto chose", "estimate [s]", "full check [s]", "estimate / measured",
                 "estimate after [s]", "ok"], rows))


if __name__ == "__main__":
    main()
