"""Reliability under hostile or careless use: threads, option values, drifting losses, dying workers,
restores that fail half way, odd inputs. Each test is a regression test for one way a check used to
lose data, hang, or pass a wrong gradient."""

from __future__ import annotations

import os
import signal
import threading
import time

import numpy as np
import pytest

import gradcheck
from gradcheck import check
from gradcheck.errors import (
    GradcheckError,
    GradientSpecError,
    InvalidOptionError,
    InvalidParameterError,
    NondeterministicLossError,
    OptionTypeError,
    RestoreError,
    WorkerError,
)
from gradcheck.parallel import fork_available
from gradcheck.problem import protected, sigint_deferred


def quadratic(n=6, seed=0, factor=1.0):
    """w -> sum(c * w**2): gradient 2 c w; ``factor`` scales the analytic gradient (1.0 is right)."""
    rng = np.random.default_rng(seed)
    w = rng.normal(size=n)
    c = rng.uniform(0.5, 2.0, size=n)
    return {"w": w}, (lambda: float((c * w**2).sum())), (lambda: {"w": factor * 2 * c * w})


def bits(params):
    return {k: v.tobytes() for k, v in params.items()}


# -- 1. threads -------------------------------------------------------------------------------


def test_the_same_arrays_checked_from_two_threads_are_serialized_and_keep_their_bits():
    params, loss, grads = quadratic(n=400, seed=1)
    before = bits(params)
    reports, errors = [], []

    def run():
        try:
            reports.append(check(params, loss, grads, mode="full", diagnose=False))
        except Exception as e:  # noqa: BLE001 - collected and asserted on below
            errors.append(e)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors and len(reports) == 4
    assert all(r.ok for r in reports)  # no thread saw another's perturbation
    assert bits(params) == before


def test_independent_nets_in_threads_run_at_once_and_each_is_right():
    nets = [quadratic(n=50, seed=s, factor=1.0 if s % 2 else 1.5) for s in range(4)]
    befores = [bits(p) for p, _, _ in nets]
    out: dict[int, bool] = {}

    def run(k):
        p, loss, grads = nets[k]
        out[k] = check(p, loss, grads, diagnose=False).ok

    threads = [threading.Thread(target=run, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert out == {0: False, 1: True, 2: False, 3: True}
    assert [bits(p) for p, _, _ in nets] == befores


def test_a_check_nested_in_the_same_thread_goes_through():
    params, loss, grads = quadratic()
    inner = []

    def grads_that_check():
        if not inner:
            inner.append(check(params, loss, grads, diagnose=False).ok)
        return grads()

    assert check(params, loss, grads_that_check, diagnose=False).ok and inner == [True]


# -- 2. options ----------------------------------------------------------------------------------

BAD_VALUES = [
    ("rtol", 0.0), ("rtol", float("nan")), ("rtol", -1e-5), ("rtol", float("inf")), ("rtol", 0.5),
    ("atol", float("nan")), ("atol", -1.0), ("atol", float("inf")),
    ("rel_step", 0.0), ("rel_step", float("nan")), ("rel_step", -1e-6), ("rel_step", 1.0), ("rel_step", 1e-30),
    ("sample", 0), ("sample", -3), ("seed", -1), ("workers", 0), ("workers", 10**6),
    ("method", "forward"), ("mode", "quick"),
]
BAD_TYPES = [
    ("rtol", "1e-5"), ("rtol", True), ("atol", [1e-8]), ("rel_step", "small"), ("sample", 2.5), ("sample", True),
    ("seed", 1.5), ("seed", None), ("workers", 2.0), ("progress", 3), ("method", 1), ("mode", None),
    ("diagnose", "yes"), ("upcast", 1),
]


@pytest.mark.parametrize("mode", ["full", "fast"])
@pytest.mark.parametrize(("option", "value"), BAD_VALUES)
def test_an_option_out_of_range_is_a_value_error_naming_it(option, value, mode):
    params, loss, grads = quadratic(factor=1.5)
    before = bits(params)
    kwargs = {"mode": mode, option: value}
    with pytest.raises(InvalidOptionError, match=option) as info:
        check(params, loss, grads, **kwargs)
    assert isinstance(info.value, ValueError) and isinstance(info.value, GradcheckError)
    assert bits(params) == before


@pytest.mark.parametrize(("option", "value"), BAD_TYPES)
def test_an_option_of_the_wrong_type_is_a_type_error_naming_it(option, value):
    params, loss, grads = quadratic()
    with pytest.raises(OptionTypeError, match=option) as info:
        check(params, loss, grads, **{option: value})
    assert isinstance(info.value, TypeError) and isinstance(info.value, GradcheckError)


@pytest.mark.parametrize("mode", ["full", "sampled", "fast"])
@pytest.mark.parametrize(
    "options",
    [{"rtol": 0.1}, {"rtol": 1e-12}, {"atol": 0.0}, {"rel_step": 0.1}, {"rel_step": 1e-15}, {"sample": 1}, {"seed": 7}],
)
def test_no_valid_option_lets_a_gradient_off_by_half_pass(options, mode):
    params, loss, grads = quadratic(n=8, factor=1.5)
    try:
        ok = check(params, loss, grads, mode=mode, diagnose=False, **options).ok
    except InvalidOptionError as e:  # a step so small that round-off swamps the gradient: refused
        assert "rel_step" in str(e)
        ok = False
    assert not ok


def test_a_numerical_derivative_that_is_not_finite_is_never_a_match():
    w = np.array([1.0])

    def loss():  # finite values whose difference overflows: (1e308 - -1e308) is inf
        return 1.7e308 if w[0] > 1.0 else (-1.7e308 if w[0] < 1.0 else 0.0)

    report = check({"w": w}, loss, {"w": np.array([1.0])}, diagnose=False)
    assert not report.ok


# -- 3. a loss that drifts or starts writing -------------------------------------------------------


def drifting(after, amount=1e-9):
    params, loss, _ = quadratic(n=30, seed=2)
    calls = [0]

    def drifting_loss():
        calls[0] += 1
        return loss() + (amount * calls[0] if calls[0] > after else 0.0)

    return params, drifting_loss


@pytest.mark.parametrize("mode", ["full", "sampled", "fast"])
def test_a_loss_that_drifts_after_its_first_calls_is_refused(mode):
    params, loss = drifting(after=10)
    w = params["w"]
    before = bits(params)
    flipped = lambda: {"w": -2 * w}  # noqa: E731 - a sign error must never pass as "on a kink"
    with pytest.raises(NondeterministicLossError, match="changes as it is called"):
        check(params, loss, flipped, mode=mode, diagnose=False)
    assert bits(params) == before


def test_a_long_check_probes_the_loss_on_the_way(monkeypatch):
    from gradcheck import watch

    monkeypatch.setattr(watch, "PROBE_EVERY_EVALS", 100)
    w = np.random.default_rng(7).normal(size=2000)
    calls = []

    def drifts():
        calls.append(1)
        return float(w @ w) + (1e-9 * len(calls) if len(calls) > 50 else 0.0)

    with pytest.raises(NondeterministicLossError, match="during the check"):
        check({"w": w}, drifts, {"w": 2 * w}, mode="full", diagnose=False)
    # stopped at a probe soon after the drift began, not at the end of the check
    assert len(calls) < 2 * w.size


def test_a_loss_that_starts_writing_into_a_parameter_after_call_n_is_refused():
    params, loss, grads = quadratic(n=20, seed=3)
    w = params["w"]
    before = bits(params)
    calls = [0]

    def writes_later():
        calls[0] += 1
        if calls[0] == 11:
            w[0] += 1e-3  # an element the loop has already measured and put back
        return loss()

    with pytest.raises(InvalidParameterError, match="changed during the check"):
        check(params, writes_later, grads, mode="full", diagnose=False)
    assert bits(params) == before


def test_kinks_on_most_of_a_tensor_are_re_measured_and_a_noisy_loss_is_not_a_kink():
    rng = np.random.default_rng(4)
    w = rng.normal(size=12)
    noise = np.random.default_rng(5)
    calls = [0]

    def noisy():  # the same value at the start point every time, noise elsewhere
        calls[0] += 1
        base = float((w**2).sum())
        return base if calls[0] <= 2 or not calls[0] % 3 else base + 1e-7 * noise.standard_normal()

    try:
        report = check({"w": w}, noisy, {"w": -2 * w}, mode="full", diagnose=False)
    except NondeterministicLossError:
        return  # refused outright: fine
    assert not report.ok


def test_a_relu_kink_at_every_element_stays_a_kink():
    b = np.zeros(6)  # relu(b) at exactly 0 for every element: each sits on a kink
    report = check({"b": b}, lambda: float(np.maximum(b, 0).sum()), {"b": (b > 0).astype(float)}, diagnose=False)
    assert report.ok and report["b"].n_kinks == 6


# -- 4. workers ------------------------------------------------------------------------------------

needs_fork = pytest.mark.skipif(not fork_available(), reason="needs fork")


def dying_loss(how):
    params, loss, grads = quadratic(n=64, seed=6)
    w = params["w"]
    parent = os.getpid()

    def loss_that_dies():
        if os.getpid() != parent and w[40] != params_start[40]:
            if how == "exit":
                os._exit(3)
            if how == "sysexit":
                raise SystemExit(0)
            if how == "segv":
                os.kill(os.getpid(), signal.SIGSEGV)
            if how == "unpicklable":
                raise type("Local", (Exception,), {})("a class no other process can import")
        return loss()

    params_start = w.copy()
    return params, loss_that_dies, grads


@needs_fork
@pytest.mark.parametrize("how", ["exit", "segv"])
def test_a_worker_that_dies_is_an_error_naming_its_elements_within_seconds(how):
    params, loss, grads = dying_loss(how)
    before = bits(params)
    t0 = time.monotonic()
    with pytest.raises(WorkerError, match=r"worker process died.*parameter 'w' elements \d+\.\.\d+"):
        check(params, loss, grads, mode="full", workers=2, diagnose=False)
    assert time.monotonic() - t0 < 30
    assert bits(params) == before


@needs_fork
def test_sys_exit_in_a_worker_is_an_error_not_an_exit():
    params, loss, grads = dying_loss("sysexit")
    with pytest.raises(WorkerError, match=r"sys.exit\(0\).*parameter 'w' elements"):
        check(params, loss, grads, mode="full", workers=2, diagnose=False)


@needs_fork
def test_an_exception_that_cannot_be_pickled_comes_back_as_a_clear_error():
    params, loss, grads = dying_loss("unpicklable")
    with pytest.raises(WorkerError, match="Local: a class no other process can import.*could not be sent back"):
        check(params, loss, grads, mode="full", workers=2, diagnose=False)


@needs_fork
def test_a_loss_that_drifts_in_the_workers_is_refused():
    params, loss = drifting(after=20)
    with pytest.raises(NondeterministicLossError, match="worker process"):
        check(params, loss, lambda: {"w": np.zeros(30)}, mode="full", workers=2, diagnose=False)


# -- 5. restoration that stops half way -------------------------------------------------------------


def test_a_parameter_made_read_only_is_restored_and_the_users_exception_kept():
    params = {f"p{k}": np.arange(3.0) + k for k in range(3)}
    before = bits(params)

    def loss():
        params["p1"].flags.writeable = False
        raise ZeroDivisionError("user's own error")

    with pytest.raises(ZeroDivisionError, match="user's own error"):
        with protected(params):
            params["p0"] += 1
            params["p2"] += 1
            loss()
    assert bits(params) == before
    assert not params["p1"].flags.writeable  # the user's choice is kept


def test_a_reshaped_parameter_is_named_and_the_others_restored():
    params = {"a": np.arange(4.0), "b": np.arange(6.0), "c": np.arange(2.0)}
    before = bits(params)
    with pytest.raises(RestoreError, match=r"'b'.*shape changed") as info:
        with protected(params):
            params["a"] += 1
            params["c"] += 1
            params["b"].shape = (2, 3)
            raise KeyError("user's")
    assert info.value.names == ["b"]
    assert isinstance(info.value.__cause__, KeyError)
    assert params["a"].tobytes() == before["a"] and params["c"].tobytes() == before["c"]
    assert params["b"].tobytes() == before["b"]  # its bytes came back, its new shape stays as the user set it


def test_a_check_whose_loss_makes_a_parameter_read_only_restores_it():
    params, loss, grads = quadratic(n=10)
    w = params["w"]
    before = bits(params)
    calls = [0]

    def freezes():
        calls[0] += 1
        if calls[0] == 7:  # mid-check, with one element perturbed
            w.flags.writeable = False
            raise RuntimeError("the user's own error")
        return loss()

    with pytest.raises(RuntimeError, match="the user's own error"):
        check(params, freezes, grads, mode="full", diagnose=False)
    assert bits(params) == before and not w.flags.writeable


@pytest.fixture
def ctrl_c_raises():
    """Python's own SIGINT handler, also where the test runner was started with SIGINT ignored (a background job)."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


@pytest.mark.skipif(threading.current_thread() is not threading.main_thread(), reason="signals need the main thread")
def test_ctrl_c_during_the_restore_waits_until_it_is_done(ctrl_c_raises):
    seen = []
    with pytest.raises(KeyboardInterrupt):
        with sigint_deferred():
            os.kill(os.getpid(), signal.SIGINT)
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.05)
            seen.append("restore finished")
    assert seen == ["restore finished"]


@pytest.mark.skipif(threading.current_thread() is not threading.main_thread(), reason="signals need the main thread")
def test_two_quick_ctrl_c_leave_every_array_restored(ctrl_c_raises):
    params = {f"p{k}": np.random.default_rng(k).normal(size=2000) for k in range(300)}
    before = bits(params)
    first = params["p0"]
    calls = [0]

    def loss():
        calls[0] += 1
        if calls[0] == 5:
            os.kill(os.getpid(), signal.SIGINT)
            os.kill(os.getpid(), signal.SIGINT)
        return float(first[0])

    with pytest.raises(KeyboardInterrupt):
        check(params, loss, {k: np.zeros(2000) for k in params}, mode="full", diagnose=False)
    assert bits(params) == before


# -- 7. inputs accepted without a word ---------------------------------------------------------------


@pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")
def test_np_matrix_parameters_are_refused_clearly():
    W = np.matrix([[1.0, 2.0], [3.0, 4.0]])
    with pytest.raises(InvalidParameterError, match="np.matrix"):
        check({"W": W}, lambda: float(W.sum()), {"W": np.ones((2, 2))})


def test_complex_gradient_values_are_an_error():
    w = np.array([1.0, -2.0])
    loss = lambda: float(w @ w)  # noqa: E731
    with pytest.raises(GradientSpecError, match="complex"):
        check({"w": w}, loss, {"w": (2 * w).astype(complex) + 1e-3j})
    # a complex dtype whose imaginary parts are all 0 is just the real gradient
    assert check({"w": w}, loss, {"w": (2 * w).astype(complex)}).ok


@pytest.mark.parametrize(
    "make",
    [
        lambda a: {"W": a, "W_again": a},
        lambda a: {"W": a, "row": a[1]},
        lambda a: {"W": a, "WT": a.T},
        lambda a: {"left": a[:, :2], "right": a[:, 1:]},
    ],
    ids=["same array", "a view of a row", "the transpose", "overlapping column slices"],
)
def test_one_buffer_under_two_names_is_an_error_naming_both(make):
    a = np.arange(9.0).reshape(3, 3)
    params = make(a)
    names = list(params)
    with pytest.raises(InvalidParameterError, match=rf"{names[0]!r} and {names[1]!r}|{names[1]!r} and {names[0]!r}"):
        check(params, lambda: float(a.sum()), {k: np.ones(v.shape) for k, v in params.items()})


def test_interleaved_views_that_share_no_element_are_fine():
    a = np.arange(8.0)
    params = {"even": a[::2], "odd": a[1::2]}
    assert check(params, lambda: float((a**2).sum()), lambda: {"even": 2 * a[::2], "odd": 2 * a[1::2]}).ok


def test_every_new_error_derives_from_gradcheck_error_and_a_builtin():
    for cls, builtin in [
        (InvalidOptionError, ValueError), (OptionTypeError, TypeError), (RestoreError, RuntimeError), (WorkerError, RuntimeError),
    ]:
        assert issubclass(cls, GradcheckError) and issubclass(cls, builtin)
    assert gradcheck.InvalidOptionError is InvalidOptionError
