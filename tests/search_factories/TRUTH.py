"""What each factory of this folder really does, decided by hand and verified by test_truth.py.

A buggy factory has one mistake that hides at its default configuration (its keywords'
defaults): ``keywords`` are those whose value reveals it, ``reveal`` a smallest configuration
(overrides of the defaults) at which the gradient is wrong, ``kind`` the kind of mistake (a
kind of ``gradcheck bugs``, or ``new:<name>`` for one the catalogue lacks), ``setting`` the
kind of setting it hides behind. A correct factory has ``kind`` None and ``space``: values of
its keywords from which test_truth.py draws random configurations, all of which must pass.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from tests.search_factories import architecture, batch, correct, dropout, inputs, losses, regularization, shapes, steps


class Factory(NamedTuple):
    fn: Any
    setting: str
    keywords: tuple[str, ...] = ()
    reveal: dict | None = None
    kind: str | None = None
    space: dict | None = None

    @property
    def name(self) -> str:
        return f"{self.fn.__module__.rsplit('.', 1)[-1]}.{self.fn.__name__}"


def _bug(fn, setting, reveal, kind):
    return Factory(fn, setting, tuple(reveal), dict(reveal), kind)


def _ok(fn, space):
    return Factory(fn, "none", space=space)


BUGGY: list[Factory] = [
    _bug(batch.regression_no_mean, "batch size", {"batch_size": 2}, "missing_batch_mean"),
    _bug(batch.sigmoid_net_bias_per_example, "batch size", {"batch_size": 2}, "bias_not_summed"),
    _bug(batch.softmax_divided_twice, "batch size (N)", {"N": 2}, "extra_batch_mean"),
    _bug(regularization.softmax_l2_missing, "regularization strength", {"reg": 0.1}, "regularization_missing"),
    _bug(regularization.tanh_net_l2_not_over_m, "regularization strength (and batch size)",
         {"lambd": 0.1, "n_samples": 2}, "regularization_wrong"),
    _bug(regularization.regression_decay_on_biases, "weight decay", {"weight_decay": 0.1}, "regularization_wrong"),
    _bug(regularization.regression_l1_as_l2, "L1 strength", {"l1": 0.1}, "l1_penalty_gradient_wrong"),
    _bug(dropout.dropout_net_no_rescale, "dropout keep probability", {"keep_prob": 0.5}, "dropout_backward_wrong"),
    _bug(dropout.dropout_net_mask_forgotten, "dropout probability", {"p": 0.5}, "dropout_backward_wrong"),
    _bug(steps.backward_updates_as_it_goes, "learning rate", {"lr": 0.5}, "wrong_weights_in_backprop"),
    _bug(steps.gradient_read_from_velocity, "momentum", {"momentum": 0.5}, "optimizer_state_in_gradient"),
    _bug(steps.step_decays_without_lr, "weight decay in the step", {"weight_decay": 0.1}, "regularization_wrong"),
    _bug(inputs.abs_net_derivative_left_out, "input sign (X)", {"widths": [1, 1, 1], "X": np.array([[-1.0]])},
         "missing_activation_derivative"),
    _bug(inputs.leaky_relu_with_relu_backward, "input sign (centring)", {"center_inputs": True},
         "wrong_activation_derivative"),
    _bug(inputs.logistic_clipped_probabilities, "saturation (weight scale)", {"scale": 100.0},
         "clip_ignored_in_backward"),
    _bug(inputs.relu6_upper_clip_forgotten, "saturation (input scale)", {"input_scale": 20.0},
         "wrong_activation_derivative"),
    # at widths [1, 2, 2] W2 is square and W2.reshape(2, 2) is W2 itself: the mistake there is W2 for W2.T
    _bug(shapes.reshape_for_transpose, "layer widths", {"widths": [1, 2, 3]}, "reshape_instead_of_transpose"),
    _bug(shapes.equal_width_net_not_transposed, "layer width", {"width": 2}, "weights_not_transposed"),
    _bug(shapes.regression_mean_over_outputs, "number of outputs", {"n_outputs": 2}, "constant_factor"),
    _bug(shapes.deep_net_hidden_derivative_left_out, "depth", {"n_hidden_layers": 1}, "missing_activation_derivative"),
    _bug(losses.softmax_smoothing_ignored, "label smoothing", {"label_smoothing": 0.1},
         "label_smoothing_ignored_in_backward"),
    _bug(losses.softmax_temperature_forgotten, "softmax temperature", {"temperature": 2.0}, "constant_factor"),
    _bug(losses.huber_linear_part_forgotten, "Huber threshold", {"delta": 0.1}, "huber_linear_part_ignored"),
    _bug(losses.weighted_cross_entropy_weight_ignored, "class weight", {"pos_weight": 2.0, "batch_size": 2},
         "loss_weight_ignored_in_backward"),
    _bug(architecture.residual_skip_gradient_forgotten, "skip connection (boolean)", {"residual": True},
         "missing_skip_gradient"),
    _bug(architecture.optional_bias_averaged, "optional biases (boolean, and batch size)",
         {"use_bias": True, "batch_size": 2}, "extra_batch_mean"),
    _bug(architecture.rnn_hidden_gradient_not_carried, "sequence length", {"seq_len": 2},
         "missing_recurrent_gradient"),
]

CORRECT: list[Factory] = [
    _ok(correct.regression, {"batch_size": [1, 2, 3, 7], "reg": [0.0, 0.1, 1.0, 5.0], "n_outputs": [1, 2, 4],
                             "seed": [0, 1, 2, 3]}),
    _ok(correct.dropout_net, {"keep_prob": [1.0, 0.8, 0.5, 0.2], "batch_size": [1, 2, 6], "seed": [0, 1, 2]}),
    _ok(correct.trained_net, {"lr": [0.0, 0.1, 0.5, 1.0], "momentum": [0.0, 0.5, 0.9],
                              "weight_decay": [0.0, 0.1, 1.0], "batch_size": [1, 3, 4], "seed": [0, 1, 2]}),
    _ok(correct.leaky_relu_net, {"widths": [(2, 3, 1), (1, 1, 1), (3, 2, 2)], "center_inputs": [False, True],
                                 "input_scale": [1.0, 0.1, 20.0], "seed": [0, 1, 2]}),
    _ok(correct.softmax_classifier, {"batch_size": [1, 2, 5], "n_classes": [1, 2, 3, 5],
                                     "temperature": [1.0, 0.5, 3.0], "label_smoothing": [0.0, 0.1, 0.5],
                                     "seed": [0, 1, 2]}),
    _ok(correct.configurable_net, {"residual": [False, True], "use_bias": [False, True],
                                   "n_hidden_layers": [0, 1, 2, 3], "batch_size": [1, 2, 4], "seed": [0, 1]}),
    _ok(correct.rnn, {"seq_len": [1, 2, 3, 6], "seed": [0, 1, 2, 3]}),
    _ok(correct.robust_losses, {"scale": [0.1, 1.0, 100.0], "pos_weight": [1.0, 2.0, 0.3],
                                "delta": [100.0, 1.0, 0.1], "batch_size": [2, 6], "seed": [0, 1]}),
]
