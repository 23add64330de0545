"""The truth of every held-out naming case, checked without gradcheck: a plain central difference
on every element says which gradients are right, and the data is where the case says it is."""

from __future__ import annotations

import functools

import numpy as np
import pytest

from tests.heldout_naming import Case, all_cases

CASES = all_cases()
STEP = 1e-6  # central difference step: truncation ~1e-12, roundoff ~1e-10 on losses of order 1
AGREE = 1e-6  # a right gradient agrees with the central difference to this relative error
DISAGREE = 1e-4  # a wrong one is off by more than this (the smallest mistake here, GELU's tanh
#                  approximation of the derivative, is off by ~5e-4 of the gradient)


def central_difference(params: dict[str, np.ndarray], loss) -> dict[str, np.ndarray]:
    """d loss / d p for every element of every parameter, each restored after its two evaluations."""
    out = {}
    for name, p in params.items():
        g = np.zeros_like(p)
        flat, gflat = p.reshape(-1), g.reshape(-1)
        for i in range(flat.size):
            old = flat[i]
            try:
                flat[i] = old + STEP
                up = float(loss())
                flat[i] = old - STEP
                down = float(loss())
            finally:
                flat[i] = old
            gflat[i] = (up - down) / (2 * STEP)
        out[name] = g
    return out


def analytic(params: dict[str, np.ndarray], grads) -> dict[str, np.ndarray]:
    """The user's gradients, found under ``W1``, ``dW1``, ``grad_W1`` or ``W1_grad``."""
    given = dict(grads() if callable(grads) else grads)
    found = {}
    for name in params:
        key = next(k for k in (name, "d" + name, "grad_" + name, name + "_grad") if k in given)
        found[name] = np.asarray(given[key], dtype=float)
    return found


def relative_error(a: np.ndarray, n: np.ndarray) -> float:
    """Worst element difference relative to the larger gradient; inf when the shapes differ."""
    if a.shape != n.shape:
        return float("inf")
    scale = max(float(np.max(np.abs(a))), float(np.max(np.abs(n))), 1e-12)
    return float(np.max(np.abs(a - n))) / scale


@pytest.fixture(scope="module")
def errors():
    out = {}
    for c in CASES:
        user = c.make()
        before = {k: v.tobytes() for k, v in user["params"].items()}
        numeric = central_difference(user["params"], user["loss"])
        assert {k: v.tobytes() for k, v in user["params"].items()} == before, c.name
        given = analytic(user["params"], user["grads"])
        out[c.name] = {k: relative_error(given[k], numeric[k]) for k in numeric}
    return out


def test_enough_cases_styles_and_correct_nets():
    assert len(CASES) >= 36
    assert len({c.style for c in CASES}) >= 5
    assert sum(c.correct for c in CASES) >= 8
    assert len({c.name for c in CASES}) == len(CASES)


@pytest.mark.parametrize("c", CASES, ids=[c.name for c in CASES])
def test_wrong_exactly_on_the_listed_parameters(c: Case, errors):
    err = errors[c.name]
    assert c.wrong <= set(err), f"unknown parameter in the truth of {c.name}"
    for name, e in err.items():
        if name in c.wrong:
            assert e > DISAGREE, f"{name} should be wrong, relative error {e:.2e}"
        else:
            assert e < AGREE, f"{name} should be right, relative error {e:.2e}"


@pytest.mark.parametrize("c", CASES, ids=[c.name for c in CASES])
def test_the_data_lives_where_the_truth_says(c: Case):
    user = c.make()
    X, y = user["X"], user["y"]
    assert (X.shape, y.shape) == (c.x_shape, c.y_shape)
    reachable = _arrays_reachable_from(user["loss"], c.data_home)
    assert any(a is X for a in reachable) and any(a is y for a in reachable), c.data_home
    assert all(p.dtype == np.float64 for p in user["params"].values())


def _arrays_reachable_from(loss, home: str) -> list:
    if home == "closure":
        return [cell.cell_contents for cell in (loss.__closure__ or ())]
    if home == "self":
        return list(vars(loss.__self__).values())
    if home == "globals":
        return [loss.__globals__[n] for n in loss.__code__.co_names if n in loss.__globals__]
    if home == "partial":
        assert isinstance(loss, functools.partial)
        return [*loss.args, *loss.keywords.values()]
    raise AssertionError(f"unknown data home {home}")
