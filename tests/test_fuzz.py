"""A fuzz of check() as a hostile or careless user would drive it: odd arrays, option values, losses that
drift, raise, write, go NaN or freeze a parameter, gradients that are wrong in many ways.

For every case drawn, whatever happens:
- every parameter holds exactly its old bytes afterwards;
- a wrong gradient is never reported ok (where the mode promises to see it);
- bad input raises an error deriving from GradcheckError; the only other exception that may come
  out is the user's own, unchanged;
- the check ends within a bound (an alarm fails the case instead of hanging the suite);
- a right gradient of a smooth loss with the default tolerances passes (so the fuzz is not vacuous).
"""

from __future__ import annotations

import math
import signal
import threading
from dataclasses import dataclass

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gradcheck import check
from gradcheck.errors import GradcheckError, InvalidOptionError
from gradcheck.parallel import fork_available

#: seconds one case may take before it counts as a hang
HANG_BOUND = 60


class UserBoom(Exception):
    """The user's own exception, raised from their loss: it must come out of check() unchanged."""


class Hang(BaseException):
    pass


FUNCS = {  # name: (f, f')
    "square": (lambda x: x * x, lambda x: 2 * x),
    "tanh": (np.tanh, lambda x: 1 - np.tanh(x) ** 2),
    "sin": (np.sin, np.cos),
    "cube": (lambda x: x**3, lambda x: 3 * x**2),
    "relu": (lambda x: np.maximum(x, 0), lambda x: (x > 0).astype(float)),
}


@st.composite
def arrays(draw):
    """One parameter: a shape of up to 3 dims, float64 or float32, in C, Fortran, transposed or strided layout."""
    shape = tuple(draw(st.lists(st.integers(1, 4), min_size=0, max_size=3)))
    dtype = draw(st.sampled_from([np.float64, np.float64, np.float32]))
    seed = draw(st.integers(0, 2**16))
    values = np.asarray(np.clip(np.random.default_rng(seed).normal(scale=0.6, size=shape), -1, 1), dtype=dtype)
    layout = draw(st.sampled_from(["C", "F", "T", "strided"]))
    if layout == "F":
        return np.asfortranarray(values)
    if layout == "T" and values.ndim >= 2:
        return np.ascontiguousarray(values.T).T  # a transposed view with the values of `values`
    if layout == "strided" and values.ndim >= 1:
        base = np.zeros((2 * values.shape[0],) + values.shape[1:], dtype=dtype)
        base[::2] = values
        return base[::2]
    return np.array(values)  # an array even of shape ()


@dataclass
class Case:
    params: dict
    funcs: list
    coefs: list
    loss_kind: str
    trigger: int
    grads_kind: str
    target: int
    factor: float
    options: dict
    bad_option: bool


VALID = {
    "rtol": [None, 1e-7, 1e-3, 0.1],
    "atol": [None, 0.0, 1e-9, 1e-5],
    "rel_step": [None, 1e-7, 1e-4, 1e-2],
    "sample": [None, 1, 3, 50],
    "seed": [0, 1, 2**31],
    "mode": ["auto", "full", "full", "sampled", "fast"],
    "method": ["central", "central", "richardson"],
    "workers": [None] * 6 + [2],
}
INVALID = {
    "rtol": [0.0, -1e-5, math.nan, math.inf, 0.5, "1e-5", True],
    "atol": [-1.0, math.nan, math.inf, "0"],
    "rel_step": [0.0, -1e-6, math.nan, 1.0, 1e-30, "h"],
    "sample": [0, -2, 2.5, True],
    "seed": [-1, 0.5, None],
    "mode": ["quick", None],
    "method": ["forward", 3],
    "workers": [0, -1, 2.0, 10**6],
    "progress": [3, "yes"],
}


@st.composite
def cases(draw):
    n = draw(st.integers(1, 3))
    params = {f"p{k}": draw(arrays()) for k in range(n)}
    funcs = [draw(st.sampled_from(sorted(FUNCS))) for _ in range(n)]
    coefs = [draw(st.floats(0.5, 2.0)) for _ in range(n)]
    options = {}
    for name, values in VALID.items():
        if draw(st.booleans()):
            options[name] = draw(st.sampled_from(values))
    if not fork_available():
        options.pop("workers", None)
    bad_option = draw(st.integers(0, 5)) == 0
    if bad_option:
        name = draw(st.sampled_from(sorted(INVALID)))
        options[name] = draw(st.sampled_from(INVALID[name]))
    return Case(
        params=params,
        funcs=funcs,
        coefs=coefs,
        loss_kind=draw(st.sampled_from(["normal"] * 4 + ["drift", "raise", "write", "nan", "freeze", "reshape"])),
        trigger=draw(st.integers(1, 60)),
        grads_kind=draw(
            st.sampled_from(["correct"] * 3 + ["factor", "element", "shape", "nan", "complex", "missing"])
        ),
        target=draw(st.integers(0, n - 1)),
        factor=draw(st.sampled_from([1.5, -1.0, 0.0, 2.0, 0.5])),
        options=options,
        bad_option=bad_option,
    )


def build(case: Case):
    """The user's loss and grads for a case, with the drawn misbehaviour."""
    params, names = case.params, list(case.params)
    calls = [0]

    def clean_loss():
        return float(sum(c * FUNCS[f][0](params[n].astype(np.float64)).sum() for n, f, c in zip(names, case.funcs, case.coefs)))

    def loss():
        calls[0] += 1
        k, target = case.loss_kind, params[names[case.target]]
        if calls[0] > case.trigger:
            if k == "drift":
                return clean_loss() + 1e-9 * calls[0]
            if k == "raise":
                raise UserBoom("the user's loss failed")
            if k == "nan":
                return math.nan
            if k == "write" and calls[0] == case.trigger + 1:
                target.reshape(-1)[0] += 0.25 if target.flags.c_contiguous else 0.0
            if k == "freeze":
                target.flags.writeable = False
                raise UserBoom("froze a parameter, then failed")
            if k == "reshape" and target.flags.c_contiguous and target.flags.owndata and target.ndim:
                target.shape = (target.size,) + (1,) * target.ndim
                raise UserBoom("reshaped a parameter, then failed")
        return clean_loss()

    def exact():
        return {n: np.array(c * FUNCS[f][1](params[n].astype(np.float64))) for n, f, c in zip(names, case.funcs, case.coefs)}

    def grads():
        g = exact()
        t, k = names[case.target], case.grads_kind
        if k == "factor":
            g[t] = case.factor * g[t] + (1.0 if case.factor == 0.0 else 0.0)  # 0 x a zero gradient is still 0
        elif k == "element":  # one element off by half the tensor's largest gradient, plus a half
            g[t] = g[t].copy()
            g[t].reshape(-1)[g[t].size // 2] += 0.5 * (1 + float(np.abs(g[t]).max()))
        elif k == "shape":
            g[t] = np.append(g[t].reshape(-1), 0.0)
        elif k == "nan":
            g[t] = g[t].copy()
            g[t].reshape(-1)[0] = np.nan
        elif k == "complex":
            g[t] = g[t] + 1j
        elif k == "missing":
            del g[t]
        return g

    return loss, grads, exact


def differs_size(case):
    return case.params[f"p{case.target}"].size


def snapshot(params):
    return {n: (p, p.tobytes() if p.flags.c_contiguous else np.ascontiguousarray(p).tobytes()) for n, p in params.items()}


def restored(params, snap):
    for n, (p, before) in snap.items():
        assert params[n] is p, n
        now = p.tobytes() if p.flags.c_contiguous else np.ascontiguousarray(p).tobytes()
        assert now == before, f"parameter {n} not restored bit for bit"


def _alarm(signum, frame):
    raise Hang(f"check() ran past {HANG_BOUND} s")


@pytest.mark.skipif(threading.current_thread() is not threading.main_thread(), reason="the hang bound needs SIGALRM")
@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large], deadline=None)
@given(case=cases())
def test_fuzz_check(case):
    loss, grads, exact = build(case)
    t = f"p{case.target}"
    if case.grads_kind in ("factor", "element"):
        # which elements the injected gradient gets wrong (a factor of a zero gradient changes nothing)
        right, wrong = exact()[t], grads()[t]
        differs = np.abs(wrong - right) > 0.1 * np.abs(right) + 1e-6
    else:
        differs = np.ones(case.params[t].shape, dtype=bool) if case.grads_kind in ("shape", "nan") else None
    snap = snapshot(case.params)
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, HANG_BOUND)
    try:
        report = check(case.params, loss, grads, diagnose=False, **case.options)
        raised = None
    except (GradcheckError, UserBoom) as e:
        report, raised = None, e
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    restored(case.params, snap)

    if case.bad_option:
        assert isinstance(raised, InvalidOptionError), raised
        return
    if isinstance(raised, UserBoom):
        assert case.loss_kind in ("raise", "freeze", "reshape"), raised
        return
    if case.grads_kind in ("complex", "missing"):
        assert raised is not None  # GradientSpecError
        return
    if report is None:
        return  # a clear GradcheckError: a drifting, NaN or writing loss, an unusable option for this net

    opts = case.options
    mode = opts.get("mode", "auto")
    sees_every_element = mode in ("auto", "full") or (mode == "sampled" and (opts.get("sample") or 32) >= differs_size(case))
    if differs is not None and (differs.all() or (differs.any() and sees_every_element)):
        assert not report.ok, f"a wrong gradient ({case.grads_kind}) was reported ok in {report.mode} mode"
    smooth = all(f != "relu" for f in case.funcs)
    defaults = not {"rtol", "atol", "rel_step"} & {k for k, v in opts.items() if v is not None}
    if case.grads_kind == "correct" and case.loss_kind == "normal" and smooth and defaults:
        assert report.ok, [p.message for p in report.params if not p.ok]
