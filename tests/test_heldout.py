"""Held-out user-style nets (tests/heldout): every buggy net flagged with the right first wrong
parameter, every correct net passing, parameters restored; and the diagnosis scored on them."""

from __future__ import annotations

import pytest

import gradcheck
from tests.heldout.cases import CASES

NAMES = sorted(CASES)


@pytest.mark.parametrize("name", NAMES)
def test_verdict_and_first_wrong(name):
    make, kind, first_wrong = CASES[name]
    case = make()
    before = {k: v.tobytes() for k, v in case["params"].items()}
    report = gradcheck.check(case["params"], case["loss"], case["grads"], diagnose=False)
    assert {k: v.tobytes() for k, v in case["params"].items()} == before
    if kind is None:
        assert report.ok, str(report)
    else:
        assert not report.ok
        assert report.first_wrong == first_wrong, str(report)


def test_diagnosis_names_the_mistakes():
    named, located, misses = 0, 0, []
    buggy = [n for n in NAMES if CASES[n][1] is not None]
    for name in NAMES:
        make, kind, first_wrong = CASES[name]
        case = make()
        report = gradcheck.check(case["params"], case["loss"], case["grads"], data=case["data"])
        if kind is None:
            assert report.findings == [], f"{name}: {report.kinds()}"
            continue
        located += report.first_wrong == first_wrong
        if kind in report.kinds():
            named += 1
        else:
            misses.append(f"{name}: expected {kind}, got {report.kinds()}")
    print("\n".join(misses))
    assert located == len(buggy)
    assert named >= 0.8 * len(buggy), "\n".join(misses)
