"""The diagnosis on user-style nets in five conventions (tests/corpus): the expected mistake is
named for at least 80% of the buggy nets, the first wrong parameter found for at least 95%,
and no correct net gets a finding."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import gradcheck
from tests.corpus import all_cases

CASES = all_cases()
BUGGY = [c for c in CASES if c.kind is not None]
CORRECT = [c for c in CASES if c.kind is None]


def run(case):
    built = case.make()
    before = {k: v.copy() for k, v in built["params"].items()}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        report = gradcheck.check(built["params"], built["loss"], built["grads"], data=built.get("data"),
                                 hint=built.get("hint", case.hint))
    for k, v in built["params"].items():
        assert np.array_equal(v, before[k]), f"{case.name}: {k} not restored"
    return report


def test_corpus_is_large_and_varied():
    assert len(BUGGY) >= 35 and len(CORRECT) >= 5
    assert len({c.convention for c in CASES}) == 5


@pytest.mark.parametrize("case", CORRECT, ids=lambda c: c.name)
def test_correct_nets_get_no_finding(case):
    report = run(case)
    assert report.ok and report.findings == [], str(report)


def test_buggy_nets_are_named_and_localized():
    misses, named, located = [], 0, 0
    for case in BUGGY:
        report = run(case)
        assert not report.ok, f"{case.name}: not flagged"
        hit = [f for f in report.findings if f.kind == case.kind]
        kind_ok = bool(hit) and (case.first_wrong is None or any(case.first_wrong in f.params for f in hit))
        where_ok = case.first_wrong is None or report.first_wrong == case.first_wrong
        named += kind_ok
        located += where_ok
        if not (kind_ok and where_ok):
            misses.append((case.name, case.kind, case.first_wrong, report.kinds(), report.first_wrong))
    if misses:
        print("\nmisses (case | expected kind, first wrong | got kinds, first wrong):")
        for name, kind, first, kinds, got in misses:
            print(f"  {name} | {kind}, {first} | {kinds}, {got}")
    n = len(BUGGY)
    print(f"\nkinds named {named}/{n}, first wrong found {located}/{n}")
    assert named / n >= 0.80
    assert located / n >= 0.95


@pytest.mark.parametrize("mistake,kind,first", [
    ("z_instead_of_a", "activation_derivative_wrong_input", "layer3.bias"),
    ("no_transpose", "weights_not_transposed", "layer1.bias"),
    ("update_early", "wrong_weights_in_backprop", "layer2.bias"),
])
def test_seed_style_through_the_train_step_adapter(mistake, kind, first):
    from gradcheck.adapters import as_problem
    from tests.corpus import seed_style

    rng = np.random.default_rng(0)
    net = seed_style.NeuralNetwork(seed_style.Layer(5, 2, rng), seed_style.Layer(5, 5, rng),
                                   seed_style.Layer(1, 5, rng), mistake=mistake)
    X = rng.standard_normal((2, 6))
    Y = (X[0:1] * X[1:2] > 0).astype(float)
    report = gradcheck.check(as_problem(net, data=(X, Y)))
    assert report.first_wrong == first
    assert any(f.kind == kind and first in f.params for f in report.findings), report.kinds()
