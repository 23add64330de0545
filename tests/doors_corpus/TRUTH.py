"""What each net in nets/ really does, decided by hand and verified by test_truth.py.

One entry per (file, target): the command line that checks it (``gradcheck check
nets/FILE[:target] ARGS``; ARGS only ``--loss`` where the net has no loss of its own),
the exit code a correct tool gives (0 every gradient right, 1 a gradient wrong, 2 not a
net), the parameters whose gradients are wrong as the user names them in the file, and
the kind of mistake: a kind of ``gradcheck bugs``, or ``new:<name>`` for a kind the
catalogue lacks. ``group`` is the class of door problem the net exercises:

1 a value such as keep_prob, lambd, reg, lmbda given once for the whole net;
2 gradients matched to layer objects by name, one of them of the wrong shape;
3 a backward pass that also updates the weights;
4 a training step that sets its own learning rate;
5 a net no standard convention takes (stateful, per-example, recurrent, layer library,
  whole exported notebook);
6 not a net, or half a net;
7 forward / backward functions that take extra arguments (a layer list, a dict of activations,
  keep_prob) given once at the top in upper case, and training steps whose pass count and
  learning rate have other names (num_passes, max_iter, sweeps; epsilon, step_size, step);
8 a layer's backward pass whose argument no name explains (``backward(next_grad)``); a loss and a
  backward pass of the forward pass's output (``backward(y_pred, y)``) returning one list of
  gradients per list of parameters; a cost function returning the loss and its delta, fed to a
  backward pass of layers that add into their gradient buffers.
"""

from __future__ import annotations

from typing import NamedTuple


class Case(NamedTuple):
    file: str
    target: str | None
    args: tuple[str, ...]
    exit: int
    wrong: tuple[str, ...]
    kind: str | None
    group: int

    @property
    def spec(self) -> str:
        return self.file if self.target is None else f"{self.file}:{self.target}"


def _c(file, target=None, args=(), exit=0, wrong=(), kind=None, group=0):
    return Case(file, target, tuple(args), exit, tuple(wrong), kind, group)


CASES: list[Case] = [
    # 1. one value per name across the net
    _c("dlai_dropout_correct.py", group=1),
    _c("dlai_dropout_buggy.py", exit=1, wrong=["W1", "b1"], kind="dropout_backward_wrong", group=1),
    _c("dlai_l2_correct.py", group=1),
    _c("dlai_l2_buggy.py", exit=1, wrong=["W3"], kind="regularization_missing", group=1),
    _c("cs231n_reg_correct.py", "net", group=1),
    _c("cs231n_reg_buggy.py", "net", exit=1, wrong=["W2"], kind="regularization_missing", group=1),
    _c("cs231n_fc_correct.py", "model", group=1),
    _c("cs231n_fc_buggy.py", "model", exit=1, wrong=["W1", "W2", "W3"], kind="regularization_wrong", group=1),
    _c("nielsen_l2_correct.py", "net", group=1),
    _c("nielsen_l2_cost_buggy.py", "net", exit=1, wrong=["weights[0]", "weights[1]"],
       kind="regularization_wrong", group=1),
    _c("nielsen_l2_update_buggy.py", "net", exit=1, wrong=["weights[0]", "weights[1]"],
       kind="regularization_missing", group=1),
    # 2. layer objects, gradients by name, one of the wrong shape
    _c("layer_objects_cols_correct.py", "net", group=2),
    _c("layer_objects_cols_buggy.py", "net", exit=1, wrong=["layer2.bias"], kind="bias_not_summed", group=2),
    _c("layer_objects_rows_correct.py", "model", group=2),
    _c("layer_objects_rows_buggy.py", "model", exit=1, wrong=["layers[0].b"], kind="bias_not_summed", group=2),
    # 3. backward() that updates the weights
    _c("backward_updates_after_correct.py", "net", group=3),
    _c("backward_updates_before_buggy.py", "net", exit=1, wrong=["W1", "b1"],
       kind="wrong_weights_in_backprop", group=3),
    _c("layers_update_in_backward_correct.py", "net", group=3),
    _c("layers_update_in_backward_buggy.py", "net", exit=1, wrong=["layers[0].weights", "layers[0].bias"],
       kind="wrong_weights_in_backprop", group=3),
    # 4. a training step that sets its own learning rate
    _c("train_inverse_epoch_correct.py", "net", group=4),
    _c("train_inverse_epoch_buggy.py", "net", exit=1,
       wrong=["layer1.weights", "layer1.bias", "layer2.weights", "layer2.bias"],
       kind="activation_derivative_wrong_input", group=4),
    _c("train_decay_correct.py", "model", group=4),
    _c("train_decay_buggy.py", "model", exit=1, wrong=["W1", "b1", "W2", "b2"], kind="missing_batch_mean", group=4),
    # 5. nets no convention takes
    _c("stateful_tutorial_correct.py", "nn", args=["--loss", "sse"], group=5),
    _c("stateful_tutorial_buggy.py", "nn", args=["--loss", "sse"], exit=1, wrong=["weights1"],
       kind="activation_derivative_wrong_input", group=5),
    _c("per_example_correct.py", "dnn", args=["--loss", "ce"], group=5),
    _c("per_example_mse_buggy.py", "dnn", args=["--loss", "mse"], exit=1, wrong=["W1", "b1", "W2", "b2"],
       kind="softmax_backward_wrong", group=5),
    _c("char_rnn_correct.py", group=5),
    _c("char_rnn_correct.py", "lossFun", group=5),
    _c("char_rnn_buggy.py", "lossFun", exit=1, wrong=["Wxh", "Whh", "bh"], kind="missing_recurrent_gradient",
       group=5),
    _c("layer_library_correct.py", "model", group=5),
    _c("layer_library_buggy.py", "model", exit=1,
       wrong=['layers[0].parameters["W"]', 'layers[0].parameters["b"]', "input"],
       kind="activation_derivative_wrong_input", group=5),
    _c("notebook_gradcheck_correct.py", group=5),
    _c("notebook_gradcheck_correct.py", "backward_propagation_n", group=5),
    _c("notebook_gradcheck_correct.py", "forward_propagation_n", group=5),
    _c("notebook_gradcheck_buggy.py", exit=1, wrong=["W2", "b1"], kind="constant_factor", group=5),
    _c("notebook_gradcheck_buggy.py", "backward_propagation_n", exit=1, wrong=["W2", "b1"],
       kind="constant_factor", group=5),
    _c("notebook_gradcheck_buggy.py", "forward_propagation_n", exit=1, wrong=["W2", "b1"],
       kind="constant_factor", group=5),
    # 6. not a net, half a net
    _c("not_a_net_function.py", "main", exit=2, group=6),
    _c("not_a_net_function.py", exit=2, group=6),
    _c("not_a_net_factory.py", "build", exit=2, group=6),
    _c("half_net_no_parameters.py", exit=2, group=6),
    _c("half_net_forward_cost_only.py", exit=2, group=6),
    # 7. extra arguments of forward / backward functions; pass counts and rates by other names
    _c("arch_functions_correct.py", group=7),
    _c("arch_functions_buggy.py", exit=1, wrong=["W1", "b1", "W2", "b2"],
       kind="activation_derivative_wrong_input", group=7),
    _c("activations_dict_correct.py", group=7),
    _c("activations_dict_buggy.py", exit=1, wrong=["W1", "b1"], kind="missing_activation_derivative", group=7),
    _c("keep_prob_upper_correct.py", group=7),
    _c("keep_prob_upper_buggy.py", exit=1, wrong=["W1", "b1"], kind="dropout_backward_wrong", group=7),
    _c("train_passes_epsilon_correct.py", "model", group=7),
    _c("train_passes_epsilon_buggy.py", "model", exit=1, wrong=["W[0]", "W[1]", "b[0]", "b[1]"],
       kind="missing_batch_mean", group=7),
    _c("fit_max_iter_correct.py", "model", group=7),
    _c("fit_max_iter_buggy.py", "model", exit=1, wrong=["W1", "b1"], kind="activation_derivative_wrong_input",
       group=7),
    _c("sweeps_step_correct.py", "net", group=7),
    _c("sweeps_step_buggy.py", "net", exit=1, wrong=["W2"], kind="constant_factor", group=7),
    # 8. arguments named in the user's own words; gradients as lists parallel to the parameter lists
    _c("layer_unnamed_arg_correct.py", "net", group=8),
    _c("layer_unnamed_arg_buggy.py", "net", exit=1, wrong=["layers[0].W", "layers[0].b", "input"],
       kind="wrong_activation_derivative", group=8),
    _c("output_lists_correct.py", "net", group=8),
    _c("output_lists_buggy.py", "net", exit=1, wrong=["weights[0]", "weights[1]", "biases[0]", "biases[1]"],
       kind="missing_batch_mean", group=8),
    _c("loss_delta_layers_correct.py", "net", group=8),
    _c("loss_delta_layers_buggy.py", "net", exit=1, wrong=["layers[0].W", "layers[0].bias"],
       kind="missing_activation_derivative", group=8),
]
