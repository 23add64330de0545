"""Accuracy and mechanics of the finite-difference methods in gradcheck.numeric."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from gradcheck import numeric
from gradcheck.errors import LossError, UnsupportedMethodError

# smooth test functions with exact gradients: name -> (loss of w, gradient of w)
SMOOTH = {
    "sin": (lambda w: np.sin(w).sum(), lambda w: np.cos(w)),
    "exp": (lambda w: np.exp(0.5 * w).sum(), lambda w: 0.5 * np.exp(0.5 * w)),
    "cubic": (lambda w: (w**3 - 2 * w).sum(), lambda w: 3 * w**2 - 2),
    "logsumexp": (
        lambda w: np.log(np.exp(w).sum()),
        lambda w: np.exp(w) / np.exp(w).sum(),
    ),
    "product": (lambda w: np.prod(1 + 0.1 * w), lambda w: 0.1 * np.prod(1 + 0.1 * w) / (1 + 0.1 * w)),
}

# relative error each method must reach on these functions (float64)
ACCURACY = {"central": 1e-8, "richardson": 5e-11, "complex": 1e-14}


def _rel(a, b):
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-3)))


def _run(method, w, f):
    if method == "complex":
        params = {"w": w}
        return numeric.complex_step(params, "w", lambda: f(params["w"]))
    fn = numeric.central if method == "central" else numeric.richardson
    return fn(w, lambda: float(f(w)))


@pytest.mark.parametrize("fname", sorted(SMOOTH))
@pytest.mark.parametrize("method", ["central", "richardson", "complex"])
def test_each_method_reaches_its_accuracy_on_smooth_functions(method, fname):
    f, df = SMOOTH[fname]
    w = np.random.default_rng(1).normal(size=(3, 4))
    before = w.copy()
    res = _run(method, w, f)
    assert _rel(res.grad, df(before)) < ACCURACY[method]
    assert np.array_equal(w, before)
    assert res.n_evals == {"central": 2, "richardson": 4}.get(method, 1) * w.size + (method == "complex")


def test_richardson_beats_central_and_complex_beats_both():
    f, df = SMOOTH["exp"]
    w = np.linspace(-2, 2, 50)
    errs = {m: _rel(_run(m, w, f).grad, df(w)) for m in ("central", "richardson", "complex")}
    assert errs["complex"] < errs["richardson"] < errs["central"]


def test_step_scales_with_magnitude():
    w = np.array([1e-3, 1.0, 1e4])
    res = numeric.central(w, lambda: float((w**2).sum()))
    rel = numeric.default_rel_step(np.float64)
    assert np.allclose(res.step / 2, rel * np.array([1.0, 1.0, 1e4]), rtol=1e-6)
    assert res.grad[2] == pytest.approx(2e4, rel=1e-8)


@pytest.mark.parametrize(
    "make",
    [
        lambda base: base.T,  # Fortran-ordered view
        lambda base: base[:, ::2],  # strided view
        lambda base: np.asfortranarray(base),
    ],
    ids=["transposed", "strided", "fortran"],
)
@pytest.mark.parametrize("method", ["central", "richardson"])
def test_non_contiguous_arrays_are_perturbed_in_place_and_restored(make, method):
    base = np.random.default_rng(2).normal(size=(4, 6))
    w = make(base)
    assert not w.flags.c_contiguous
    snapshot, base_snapshot = w.copy(), base.copy()
    A = np.random.default_rng(3).normal(size=w.shape)
    fn = numeric.central if method == "central" else numeric.richardson
    res = fn(w, lambda: float((A * np.sin(w)).sum()))
    assert _rel(res.grad, A * np.cos(snapshot)) < 1e-8
    assert np.array_equal(w, snapshot) and np.array_equal(base, base_snapshot)


def test_float32_parameters_use_the_realised_step():
    w = np.random.default_rng(4).normal(size=20).astype(np.float32)
    res = numeric.central(w, lambda: float(np.sum(w.astype(np.float64) ** 3)))
    exact = 3 * w.astype(np.float64) ** 2
    # for a cubic the central difference is exactly 3x^2 + h^2 with the realised half-step h
    assert np.allclose(res.grad, exact + (res.step / 2) ** 2, rtol=1e-9, atol=1e-9)
    # the step is what float32 could represent, not the nominal one
    x = w.astype(np.float64)
    h = numeric.default_rel_step(np.float32) * np.maximum(np.abs(x), 1)
    realised = (x + h).astype(np.float32).astype(np.float64) - (x - h).astype(np.float32).astype(np.float64)
    assert np.array_equal(res.step, realised)
    assert w.dtype == np.float32


def test_indices_evaluate_only_those_elements():
    w = np.arange(10.0)
    calls = []

    def loss():
        calls.append(1)
        return float((w**2).sum())

    res = numeric.central(w, loss, indices=np.array([7, 2]))
    assert len(calls) == 4 == res.n_evals
    assert np.isnan(res.grad[[0, 1, 3, 4, 5, 6, 8, 9]]).all()
    assert res.grad[2] == pytest.approx(4.0) and res.grad[7] == pytest.approx(14.0)


def test_indices_out_of_range_are_refused():
    w = np.zeros(3)
    with pytest.raises(IndexError):
        numeric.central(w, lambda: 0.0, indices=np.array([3]))


def test_chunks_cover_every_element_and_report_progress(monkeypatch):
    monkeypatch.setattr(numeric, "CHUNK", 7)
    w = np.random.default_rng(5).normal(size=(5, 5))
    seen: list[int] = []
    res = numeric.central(w, lambda: float(np.sin(w).sum()), progress=seen.append)
    assert seen == [7, 7, 7, 4]
    assert _rel(res.grad, np.cos(w)) < 1e-8


def test_non_scalar_loss_is_a_loss_error():
    w = np.ones(3)
    with pytest.raises(LossError, match="one scalar"):
        numeric.central(w, lambda: w * 2)
    assert np.array_equal(w, np.ones(3))


def test_nonfinite_loss_names_the_element():
    w = np.array([0.5, 1.0, 0.5])
    with pytest.raises(LossError, match=r"element \(1,\).*'w'"):
        numeric.central(w, lambda: float(np.log(2.0 - w).sum() + (np.inf if w[1] != 1.0 else 0.0)), name="w")


def test_one_sided_derivatives_split_at_a_kink():
    w = np.array([0.0, 2.0])
    res = numeric.central(w, lambda: float(np.abs(w).sum()), f0=2.0)
    assert res.forward[0] == pytest.approx(1.0) and res.backward[0] == pytest.approx(-1.0)
    assert res.forward[1] == pytest.approx(res.backward[1])


def test_complex_step_refuses_a_loss_that_drops_the_imaginary_part():
    params = {"w": np.ones(2)}
    with pytest.raises(UnsupportedMethodError, match="real value"):
        numeric.complex_step(params, "w", lambda: float(np.real(params["w"]).sum()))
    assert params["w"].dtype == np.float64


def test_directional_derivative_matches_the_projection():
    rng = np.random.default_rng(6)
    w = rng.normal(size=(30, 20))
    v = rng.normal(size=w.shape)
    v /= np.linalg.norm(v)
    snapshot = w.copy()
    r = numeric.directional_derivative(w, lambda: float(np.sin(w).sum()), v, f0=float(np.sin(w).sum()))
    assert r.derivative == pytest.approx(float(np.sum(np.cos(snapshot) * r.realised)), rel=1e-8)
    assert r.forward == pytest.approx(r.derivative, rel=1e-4)
    assert np.array_equal(w, snapshot)


def test_directional_derivative_on_a_subset_moves_only_that_subset():
    w = np.arange(12.0).reshape(3, 4)
    snapshot = w.copy()
    idx = np.array([1, 5, 10])
    moved = []

    def loss():
        moved.append(np.flatnonzero(w.reshape(-1) != snapshot.reshape(-1)).tolist())
        return float((w**2).sum())

    r = numeric.directional_derivative(w, loss, np.array([1.0, 0.0, 0.0]), indices=idx)
    assert moved == [[1], [1]]
    assert r.derivative == pytest.approx(2.0, rel=1e-8)
    assert np.array_equal(w, snapshot)


def test_directional_derivative_restores_after_an_exception():
    w = np.ones(4)

    def loss():
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        numeric.directional_derivative(w, loss, np.full(4, 0.5))
    assert np.array_equal(w, np.ones(4))


@given(
    n=st.integers(1, 6),
    seed=st.integers(0, 2**32 - 1),
    scale=st.sampled_from([1e-3, 1.0, 1e3]),
)
def test_central_is_exact_on_quadratics_up_to_roundoff(n, seed, scale):
    rng = np.random.default_rng(seed)
    A = rng.normal(size=(n, n))
    b = rng.normal(size=n)
    w = scale * rng.normal(size=n)
    exact = 0.5 * (A + A.T) @ w + b
    res = numeric.central(w, lambda: float(0.5 * w @ A @ w + b @ w))
    # a central difference of a quadratic has no truncation error: only rounding of the loss
    f = abs(0.5 * w @ A @ w) + abs(b @ w) + 1.0
    tol = 20 * np.finfo(float).eps * f / (res.step / 2) + 1e-9 * np.abs(exact)
    assert np.all(np.abs(res.grad - exact) <= tol)


def test_richardson_one_sided_derivatives_are_extrapolated_near_a_kink():
    # a kink 1e-5 to the right of w: both of Richardson's steps (~7e-4 and ~4e-4) cross it
    w = np.array([0.3])
    c = 0.3 + 1e-5

    def loss():
        return float(2 * max(w[0] - c, 0.0) + w[0] ** 3)

    res = numeric.richardson(w, loss, f0=loss())
    left = 3 * 0.3**2  # the derivative on the side the steps did not cross
    assert abs(res.backward[0] - left) < 1e-6  # a plain one-sided difference is ~7e-4 off
    assert res.forward[0] > left + 1.0  # the right side sees the kink


def test_richardson_near_a_kink_is_a_kink_not_a_mismatch():
    import gradcheck

    w = np.array([0.3, -0.4])
    c = np.array([0.3 + 1e-5, 5.0])

    def loss():
        return float((2 * np.maximum(w - c, 0.0) + w**3).sum())

    r = gradcheck.check({"w": w}, loss, {"w": 3 * w**2}, method="richardson", diagnose=False)
    assert r.ok and r["w"].n_kinks == 1 and r["w"].kinks[0]
