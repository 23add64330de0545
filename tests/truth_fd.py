"""Finite differences of our own, for the ground truth of the held-out material (no gradcheck)."""

from __future__ import annotations

import numpy as np

#: Step of the central differences: the nets are float64 and smooth away from relu kinks.
EPS = 1e-6
#: Relative error (norm of the difference over the sum of the norms) under which a gradient is right.
RIGHT = 1e-6
#: Relative error above which a gradient is wrong; between the two the test refuses to decide.
WRONG = 1e-3


def numeric_gradient(array, loss):
    grad = np.zeros_like(array)
    for idx in np.ndindex(array.shape):
        old = array[idx]
        array[idx] = old + EPS
        up = loss()
        array[idx] = old - EPS
        down = loss()
        array[idx] = old
        grad[idx] = (up - down) / (2 * EPS)
    return grad


def relative_error(analytic, numeric):
    analytic = np.asarray(analytic, dtype=float)
    if analytic.shape != numeric.shape:
        return np.inf
    scale = np.linalg.norm(analytic) + np.linalg.norm(numeric)
    return 0.0 if scale == 0 else float(np.linalg.norm(analytic - numeric) / scale)


def wrong_parameters(params, loss, grads):
    """The names whose gradient is wrong; fails the test on an undecidable one."""
    before = {k: v.copy() for k, v in params.items()}
    analytic = grads()
    assert set(analytic) >= set(params), f"gradients missing for {set(params) - set(analytic)}"
    wrong = set()
    for name, array in params.items():
        err = relative_error(analytic[name], numeric_gradient(array, loss))
        assert err < RIGHT or err > WRONG, f"{name}: relative error {err:.2e} is neither right nor wrong"
        if err > WRONG:
            wrong.add(name)
    for name, array in params.items():
        np.testing.assert_array_equal(array, before[name], err_msg=f"{name} not put back")
    return wrong
