"""Forked workers give the serial results, bit for bit, and never touch the parent's arrays."""

from __future__ import annotations

import numpy as np
import pytest

from gradcheck import numeric
from gradcheck.errors import LossError
from gradcheck.nn import MLP
from gradcheck.parallel import WorkerPool, fork_available

pytestmark = pytest.mark.skipif(not fork_available(), reason="needs fork")


@pytest.fixture
def net():
    net = MLP([6, 9, 3], activations="tanh", loss="mse", seed=4)
    X, y = net.random_data(5)
    return net, (lambda: net.loss(X, y))


@pytest.mark.parametrize("method", ["central", "richardson"])
@pytest.mark.parametrize("chunk", [None, 5])
def test_workers_match_the_serial_loop_bit_for_bit(net, method, chunk):
    net, loss = net
    serial = {n: getattr(numeric, method)(p, loss, f0=loss()) for n, p in net.params.items()}
    before = {n: p.copy() for n, p in net.params.items()}
    seen = []

    def untouched(_k):
        # called in this process while the workers run: the parent's arrays never move
        seen.append(all(np.array_equal(net.params[n], before[n]) for n in before))

    with WorkerPool(net.params, loss, workers=2, chunk=chunk) as pool:
        par = {n: getattr(pool, method)(n, f0=loss(), progress=untouched) for n in net.params}
    for n in serial:
        assert np.array_equal(serial[n].grad, par[n].grad)
        assert np.array_equal(serial[n].forward, par[n].forward)
        assert serial[n].n_evals == par[n].n_evals
        assert np.array_equal(net.params[n], before[n])
    assert seen and all(seen)


def test_indices_and_progress(net):
    net, loss = net
    done = []
    with WorkerPool(net.params, loss, workers=2, chunk=4) as pool:
        res = pool.central("W1", indices=np.array([0, 7, 20, 53]), progress=done.append)
    assert sum(done) == 4
    assert np.isnan(res.grad.reshape(-1)[1])
    assert np.isfinite(res.grad.reshape(-1)[[0, 7, 20, 53]]).all()


def test_a_nonfinite_loss_in_a_worker_names_the_element():
    w = np.array([0.5, 1.0, 2.0])

    def loss():
        return float(np.log(w).sum()) if w[1] == 1.0 else float("nan")

    with WorkerPool({"w": w}, loss, workers=2, chunk=1) as pool:
        with pytest.raises(LossError, match=r"element \(1,\)"):
            pool.central("w")
    assert np.array_equal(w, [0.5, 1.0, 2.0])


def test_an_exception_in_a_worker_reaches_the_caller():
    w = np.ones(4)

    def loss():
        if w[2] != 1.0:
            raise ZeroDivisionError("boom")
        return float(w.sum())

    with pytest.raises(ZeroDivisionError, match="boom"):
        with WorkerPool({"w": w}, loss, workers=2) as pool:
            pool.central("w")
    assert np.array_equal(w, np.ones(4))


def test_bad_worker_count_and_closed_pool():
    with pytest.raises(ValueError, match="workers"):
        WorkerPool({"w": np.ones(2)}, lambda: 0.0, workers=0)
    pool = WorkerPool({"w": np.ones(2)}, lambda: 0.0, workers=1)
    with pytest.raises(RuntimeError, match="not open"):
        pool.central("w")


@pytest.mark.skipif(
    "workers" not in __import__("inspect").signature(__import__("gradcheck").check).parameters,
    reason="check() has no workers= option yet",
)
def test_check_with_workers_gives_the_serial_report(net):
    import gradcheck

    net, loss = net
    X, y = net.random_data(5)
    before = {n: p.copy() for n, p in net.params.items()}

    def grads():
        g = net.gradients(X, y)
        g["b1"] = 2 * g["b1"]
        return g

    serial = gradcheck.check(net.params, loss, grads, mode="full", diagnose=False)
    par = gradcheck.check(net.params, loss, grads, mode="full", diagnose=False, workers=2)
    assert par.first_wrong == serial.first_wrong == "b1"
    # each worker evaluates the loss at the start once as it starts and once after each chunk (>= 16 elements,
    # about 4 per worker per tensor)
    chunks = sum(-(-p.size // max(16, -(-p.size // 8))) for p in net.params.values())
    assert par.n_loss_evals == serial.n_loss_evals + 2 + chunks
    assert [p.max_rel_error for p in par.params] == [p.max_rel_error for p in serial.params]
    assert any("worker" in n for n in par.notes)
    assert all(np.array_equal(net.params[n], before[n]) for n in before)
