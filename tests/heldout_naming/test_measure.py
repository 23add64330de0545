"""The scoring script of the held-out naming set: its data-line and naming rules, and a full run."""

from __future__ import annotations

import json

import numpy as np

import gradcheck
from tests.heldout_naming import CASES, all_cases, measure

all_cases()


def test_data_line_is_right_only_with_the_place_and_both_shapes():
    c = CASES["layers_correct_sigmoid_bce"]  # X (3, 10), y (1, 10) in the loss's closure
    assert measure.data_line_right("data: X (3, 10), y (1, 10) from loss's closure", c)
    assert not measure.data_line_right("data: X (3, 10), y (10, 1) from loss's closure", c)
    assert not measure.data_line_right("data: X (3, 10), y (1, 10) from module globals", c)
    line = measure.data_line(gradcheck.Report(params=[], notes=["data: X (3, 10), y (1, 10) from loss's closure"]))
    assert line.startswith("data: X (3, 10)")
    assert measure.data_line(gradcheck.Report(params=[], notes=["inferred from the data and the loss"])) == ""


def test_a_mistake_is_named_only_with_its_kind_on_its_parameters():
    c = CASES["layers_seed_bias_unsummed_and_no_mean"]

    def report(*findings):
        return gradcheck.Report(params=[], findings=[gradcheck.Finding(k, ps, "") for k, ps in findings])

    both = report(("bias_not_summed", ["b3"]), ("missing_batch_mean", ["W1", "W2"]))
    assert measure.named(both, c)
    assert not measure.named(report(("bias_not_summed", ["b3"])), c)
    assert not measure.named(report(("bias_not_summed", ["b3"]), ("missing_batch_mean", ["b3"])), c)


def test_a_full_run_scores_every_case(capsys):
    assert measure.main(["--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert [r["case"] for r in out["rows"]] == list(CASES)
    s = out["summary"]
    assert s["cases"] == len(CASES) and s["errors"] == 0
    assert s["flagged_right"]["of"] + s["false_alarms"]["of"] == len(CASES)
    assert all(np.isfinite(v["percent"]) for v in s.values() if isinstance(v, dict))
