"""Fast mode on correct nets: wrong verdicts, directions that disagree, and loss evaluations.

Tanh, sigmoid and ReLU MLPs with mse, bce and softmax cross-entropy losses, in float64 and float32,
at about 2e4 and 1e5 parameters, each checked with ``mode="fast"`` under several seeds (the seed
draws the weights, the data and the check's directions). Every gradient is correct: a wrong
verdict is a false alarm, and so is a direction that disagrees (it costs a drill-down, though only
element evidence can make a tensor wrong).

Run:  python benchmarks/bench_fast_false_alarms.py            (--seeds 6)
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import gradcheck  # noqa: E402
from gradcheck.nn import MLP  # noqa: E402

CASES = [("sigmoid", "bce"), ("tanh", "mse"), ("relu", "softmax_ce"), ("tanh", "softmax_ce"), ("relu", "mse")]
WIDTHS = {"2e4": [100, 150, 30, 10], "1e5": [300, 300, 30, 10]}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=6)
    args = ap.parse_args(argv)
    warnings.simplefilter("ignore")  # float32: the loosened tolerances are announced on every check
    print("| net | dtype | params | checks | wrong verdicts | tensors whose direction disagreed | loss evals (mean) |")
    print("|---|---|---|---|---|---|---|")
    for act, loss in CASES:
        for dtype in (np.float64, np.float32):
            for widths in WIDTHS.values():
                widths = widths[:-1] + [1] if loss == "bce" else widths
                wrong = disagreed = evals = tensors = 0
                for seed in range(args.seeds):
                    net = MLP(widths, activations=act, loss=loss, seed=seed, dtype=dtype)
                    X, y = net.random_data(16, seed=seed)
                    r = gradcheck.check(net.problem(X, y), mode="fast", seed=seed, diagnose=False)
                    tensors += len(r.params)
                    wrong += not r.ok
                    disagreed += sum("disagrees" in p.message for p in r.params)
                    evals += r.n_loss_evals
                size = sum(p.size for p in net.params.values())
                print(f"| {act}/{loss} | {np.dtype(dtype).name} | {size:,} | {args.seeds} | {wrong} | "
                      f"{disagreed} of {tensors} | {evals / args.seeds:.1f} |", flush=True)


if __name__ == "__main__":
    main()
