"""The one gradient-name vocabulary shared by the core's intake and the adapters."""

import numpy as np
import pytest

from gradcheck import check
from gradcheck.names import gradient_keys, is_intermediate, lookup, match, param_of


@pytest.mark.parametrize("key", ["dW1", "d_W1", "grad_W1", "gradW1", "W1_grad", "W1grad", "g_W1", "dL_dW1",
                                 "delta_W1", "nabla_W1", "W1_gradient"])
def test_every_common_form_names_its_parameter(key):
    assert match(["W1", "b1"], [key, "db1"]) == {"W1": key, "b1": "db1"}


def test_long_names_take_their_short_letter():
    assert match(["weights1", "biases1"], ["d_weights1", "d_biases1"]) == {"weights1": "d_weights1", "biases1": "d_biases1"}
    assert match(["weights", "bias"], ["dW", "db"]) == {"weights": "dW", "bias": "db"}
    assert match(["weights", "biases"], ["nabla_w", "nabla_b"]) == {"weights": "nabla_w", "biases": "nabla_b"}


def test_case_is_a_fallback_and_exact_names_win():
    assert match(["W1"], ["dw1"]) == {"W1": "dw1"}
    assert match(["W", "w"], ["dW", "dw"]) == {"W": "dW", "w": "dw"}
    assert match(["W1"], ["W1", "dW1"]) == {"W1": "W1"}


def test_a_key_goes_to_one_parameter_and_ambiguity_matches_nothing():
    assert match(["W", "weights"], ["dW"]) == {"W": "dW"}
    assert match(["W1"], ["dW1", "grad_W1"]) == {}


def test_intermediate_gradients_are_not_parameters():
    assert all(is_intermediate(k) for k in ("dA1", "dZ2", "dX", "dA_prev", "d_out", "dscores"))
    assert not any(is_intermediate(k) for k in ("dW1", "db2", "d_weights1", "grad_b"))


def test_param_of_and_lookup():
    assert param_of("W2_grad", ["W1", "W2"]) == "W2"
    assert param_of("dA2", ["W1", "W2"]) is None
    assert lookup({"nabla_W": 3}, "W") == 3
    with pytest.raises(KeyError):
        lookup({"dA": 3}, "W")
    assert gradient_keys("W")[0] == "W"


def test_the_core_reads_every_form():
    w = np.array([1.0, 2.0])
    report = check({"weights1": w}, lambda: float(w @ w), lambda: {"d_weights1": 2 * w})
    assert report.ok and [p.name for p in report.params] == ["weights1"]
