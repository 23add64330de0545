"""gradcheck.nn: the reference MLP is correct (it passes gradcheck.check) and keeps its API."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import gradcheck
from gradcheck.nn import MLP, activate

CASES = [
    ([2, 5, 5, 1], "sigmoid", "bce"),
    ([3, 4, 2], "tanh", "mse"),
    ([4, 6, 3], "relu", "softmax_ce"),
    ([3, 3, 3, 2], "leaky_relu", "mse"),
    ([2, 4, 1], ["identity", "sigmoid"], "bce"),
    ([3, 4, 3], ["tanh", "softmax"], "mse"),
]


@pytest.mark.parametrize("layout", ["rows", "cols"])
@pytest.mark.parametrize("m", [1, 7])
@pytest.mark.parametrize("widths,acts,loss", CASES)
def test_gradients_pass_check(widths, acts, loss, layout, m):
    net = MLP(widths, activations=acts, loss=loss, layout=layout, seed=3)
    X, y = net.random_data(m, seed=4)
    report = gradcheck.check(net.problem(X, y))
    assert report.ok, str(report)
    assert report.findings == []


@pytest.mark.parametrize("layout", ["rows", "cols"])
def test_l2_is_in_loss_and_gradient(layout):
    net = MLP([3, 4, 2], activations="tanh", loss="mse", l2=0.3, layout=layout, seed=1)
    X, y = net.random_data(5)
    plain = MLP([3, 4, 2], activations="tanh", loss="mse", layout=layout, seed=1)
    penalty = 0.15 * sum(float((net.params[k] ** 2).sum()) for k in ("W1", "W2"))
    assert net.loss(X, y) == pytest.approx(plain.loss(X, y) + penalty)
    assert gradcheck.check(net.problem(X, y)).ok


def test_shapes_by_layout():
    rows = MLP([2, 5, 1], layout="rows")
    cols = MLP([2, 5, 1], layout="cols")
    assert [p.shape for p in rows.params.values()] == [(2, 5), (5,), (5, 1), (1,)]
    assert [p.shape for p in cols.params.values()] == [(5, 2), (5, 1), (1, 5), (1, 1)]
    np.testing.assert_array_equal(rows.params["W1"], cols.params["W1"].T)


def test_layouts_agree():
    rows = MLP([3, 4, 2], activations="relu", loss="softmax_ce", layout="rows", seed=2)
    cols = MLP([3, 4, 2], activations="relu", loss="softmax_ce", layout="cols", seed=2)
    X, y = rows.random_data(6)
    assert rows.loss(X, y) == pytest.approx(cols.loss(X.T, y))
    g_rows, g_cols = rows.gradients(X, y), cols.gradients(X.T, y)
    np.testing.assert_allclose(g_rows["W2"], g_cols["W2"].T)
    np.testing.assert_allclose(g_rows["b1"], g_cols["b1"].ravel())


def test_params_are_the_arrays_in_use():
    net = MLP([2, 3, 1], seed=0)
    X, y = net.random_data(4)
    before = net.loss(X, y)
    net.params["W1"] += 1.0
    assert net.loss(X, y) != before


def test_bce_is_stable_for_saturated_outputs():
    net = MLP([1, 1], activations=["sigmoid"], loss="bce")
    net.params["W1"][...] = 1000.0
    X, y = np.ones((2, 1)), np.array([[0.0], [1.0]])
    value = net.loss(X, y)
    assert np.isfinite(value) and value == pytest.approx(500.0, rel=1e-3)
    assert all(np.isfinite(g).all() for g in net.gradients(X, y).values())


def test_step_decreases_loss():
    net = MLP([2, 5, 5, 1], activations="sigmoid", loss="bce", layout="cols", seed=0)
    X, _ = net.random_data(32, seed=1)
    y = (X[:1] + X[1:] > 0).astype(float)  # a learnable rule
    first = net.loss(X, y)
    for _ in range(300):
        net.step(X, y, lr=2.0)
    assert net.loss(X, y) < first / 2


def test_predict_shapes():
    net = MLP([3, 4, 3], activations="relu", loss="softmax_ce", layout="cols")
    X, _ = net.random_data(5)
    assert net.predict(X).shape == (5,)
    assert set(np.unique(MLP([3, 1]).predict(np.ones((4, 3))))) <= {0, 1}


def test_bad_arguments():
    with pytest.raises(ValueError, match="activations"):
        MLP([2, 3, 1], activations=["relu"])
    with pytest.raises(ValueError, match="loss"):
        MLP([2, 1], loss="hinge")
    with pytest.raises(ValueError, match="softmax"):
        MLP([2, 3, 1], activations=["softmax", "sigmoid"])
    with pytest.raises(ValueError, match="unknown activation"):
        activate("swish", np.zeros(1))


@settings(deadline=None)
@given(
    widths=st.lists(st.integers(1, 5), min_size=2, max_size=4),
    m=st.integers(1, 6),
    seed=st.integers(0, 2**16),
    act=st.sampled_from(["sigmoid", "tanh", "identity", "leaky_relu"]),
    loss=st.sampled_from(["bce", "mse"]),
    layout=st.sampled_from(["rows", "cols"]),
)
def test_any_shape_passes(widths, m, seed, act, loss, layout):
    net = MLP(widths, activations=act, loss=loss, layout=layout, seed=seed)
    X, y = net.random_data(m, seed=seed + 1)
    assert gradcheck.check(net.problem(X, y)).ok
