"""The smallest failing net a search reports is minimal, and a search replays from its seed alone.

Minimal, on the factories of tests/minimal_nets.py (closures returning a mapping, and layer
objects returning a Problem), each judged with finite differences of the test's own: the
reported configuration is wrong; one example fewer, or a size one smaller, is right; the seed is
0 (each factory shows its mistake at seed 0 at the smallest batch); a setting moved off its
default holds a simple value (two significant digits at most), and an integer one step closer
to the default is right (so no far value, such as the 100 a lone far branch kept, is reported
where 7 shows the mistake).
"""

from __future__ import annotations

import random
import sys

import numpy as np
import pytest

from gradcheck.adapters import as_problem
from gradcheck.search import search
from gradcheck.vary import plan_factory
from tests.minimal_nets import REVEAL
from tests.truth_fd import wrong_parameters

#: Search seeds each factory is searched with.
SEARCH_SEEDS = (0, 1)
#: Roles of the keywords that are sizes: one smaller must be right at the smallest failing net.
SIZE_ROLES = ("batch", "size")
#: Roles of the float settings.
FLOAT_ROLES = ("penalty", "keep", "drop", "rate", "momentum", "float")


def _wrong(factory, config) -> bool:
    problem = as_problem(factory(**config))
    return bool(wrong_parameters(problem.params, problem.loss, problem.grads))


def _simple(v: float) -> bool:
    return v == float(f"{v:.2g}")


@pytest.mark.parametrize("factory", list(REVEAL), ids=lambda f: f.__name__)
def test_each_factory_hides_its_mistake_at_its_defaults_and_shows_it_at_seed_0(factory):
    assert not _wrong(factory, {})
    assert _wrong(factory, {**REVEAL[factory], "seed": 0})


def _neighbours(factory, smallest):
    """(what, configuration) for each simpler neighbour of ``smallest`` that must be right."""
    plan = plan_factory(factory)
    for kw in plan.keywords.values():
        v = smallest[kw.name]
        lowest = 0 if kw.role == "size" and kw.default == 0 else 1
        if kw.role in SIZE_ROLES and v > lowest:
            yield f"{kw.name}={v - 1}", {**smallest, kw.name: v - 1}
        if kw.role in FLOAT_ROLES and v != kw.default:
            assert _simple(v), f"{kw.name}={v!r} is not a simple value"
            step = float(np.sign(v - kw.default))
            if v == round(v) and abs(v - kw.default) > 1:
                yield f"{kw.name}={v - step}", {**smallest, kw.name: v - step}


@pytest.mark.parametrize("search_seed", SEARCH_SEEDS)
@pytest.mark.parametrize("factory", list(REVEAL), ids=lambda f: f.__name__)
def test_the_smallest_failing_net_is_minimal(factory, search_seed):
    result = search(factory, seed=search_seed)
    assert result.found, result.explanation
    smallest = result.smallest
    assert _wrong(factory, smallest), f"{smallest} is reported failing but is right"
    assert smallest[plan_factory(factory).seed] == 0, f"seed {smallest} where seed 0 shows the mistake"
    for what, config in _neighbours(factory, smallest):
        assert not _wrong(factory, config), f"{what} shows the mistake too: {smallest} is not minimal"
    for name in REVEAL[factory]:  # a setting that does not reveal it stays at its default, checked elsewhere
        assert name in smallest


# -- replay -------------------------------------------------------------------------------------


def _correct_factory(widths, seed, X, gain=1.0, reg=0.0):
    """A correct tanh net on drawn inputs, with a float setting and a penalty."""
    rng = np.random.default_rng(seed)
    W1, W2 = gain * rng.normal(size=(widths[0], widths[1])), rng.normal(size=(widths[1], widths[-1]))
    y = rng.normal(size=(X.shape[0], widths[-1]))

    def loss():
        out = np.tanh(X @ W1) @ W2
        return float(0.5 * np.sum((out - y) ** 2) + reg * (np.sum(W1 ** 2) + np.sum(W2 ** 2)))

    def grads():
        h = np.tanh(X @ W1)
        d = h @ W2 - y
        return {"W1": X.T @ ((d @ W2.T) * (1 - h ** 2)) + 2 * reg * W1, "W2": h.T @ d + 2 * reg * W2}

    return {"params": {"W1": W1, "W2": W2}, "loss": loss, "grads": grads}


def test_a_search_replays_whatever_local_modules_were_imported(tmp_path, monkeypatch):
    """Hypothesis draws now and then a number read from the local modules imported so far; a
    module of unrelated constants imported between two searches of the same seed changed the
    nets the second one tried. The search leaves those numbers out."""
    first = search(_correct_factory, seed=3, max_examples=60)
    rng = random.Random(0)
    numbers = [round(rng.uniform(-2, 2), 3) for _ in range(300)] + [round(rng.uniform(0, 10), 2) for _ in range(300)]
    (tmp_path / "unrelated_constants.py").write_text(f"NUMBERS = {numbers!r}\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    __import__("unrelated_constants")
    try:
        second = search(_correct_factory, seed=3, max_examples=60)
    finally:
        sys.modules.pop("unrelated_constants", None)
    assert not first.found and not second.found
    assert second.explanation == first.explanation
