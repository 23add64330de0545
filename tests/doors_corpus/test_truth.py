"""The ground truth of TRUTH.py, checked with finite differences of our own (no gradcheck).

Every buggy net's gradient is wrong on exactly the parameters TRUTH names and right on the
others; every correct net's gradient is right on all of them; the files that are not nets
have nothing a gradient check could take.
"""

from __future__ import annotations

import numpy as np
import pytest

from tests.doors_corpus.glue import glue_for
from tests.doors_corpus.loader import NETS, load
from tests.doors_corpus.TRUTH import CASES
from tests.truth_fd import wrong_parameters

NET_FILES = sorted({c.file: c for c in CASES if c.exit != 2}.values(), key=lambda c: c.file)


def test_every_file_has_a_truth():
    files = {p.name for p in NETS.glob("*.py")}
    assert files == {c.file for c in CASES}
    assert len(files) >= 30


def test_targets_of_one_file_agree():
    by_file = {}
    for c in CASES:
        by_file.setdefault(c.file, set()).add((c.exit, c.wrong, c.kind))
    assert all(len(v) == 1 for v in by_file.values()), by_file


@pytest.mark.parametrize("case", NET_FILES, ids=lambda c: c.file)
def test_gradients_are_wrong_exactly_where_truth_says(case):
    glue = glue_for(case.file)
    assert glue is not None, f"no glue for {case.file}"
    checks = glue(load(case.file))
    assert checks
    for params, loss, grads in checks:
        assert set(case.wrong) <= set(params), f"TRUTH names {set(case.wrong) - set(params)}, not parameters"
        assert wrong_parameters(params, loss, grads) == set(case.wrong)


def _float_arrays(obj):
    return [v for v in vars(obj).values() if isinstance(v, np.ndarray) and v.dtype.kind == "f"]


def test_a_function_returning_one_is_not_a_net():
    mod = load("not_a_net_function.py")
    assert mod.main() == 1
    assert not _float_arrays(mod)
    assert load("not_a_net_factory.py").build(seed=0) == 1


def test_half_net_without_parameters_has_none():
    mod = load("half_net_no_parameters.py")
    assert {"L_model_forward", "compute_cost", "L_model_backward"} <= set(vars(mod))
    assert not any(isinstance(v, dict) for k, v in vars(mod).items() if not k.startswith("__"))
    assert not any(k.startswith("initialize") for k in vars(mod))
    assert [a.shape for a in _float_arrays(mod)] == [(4, 10), (1, 10)]  # X and Y only


def test_half_net_without_backward_has_no_gradient():
    mod = load("half_net_forward_cost_only.py")
    functions = {k for k, v in vars(mod).items() if callable(v) and not k.startswith("__")}
    assert functions == {"sigmoid", "forward", "cost"}
    assert 0 < mod.cost(mod.forward(mod.X, mod.params), mod.Y) < np.inf
