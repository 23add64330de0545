"""The catalogue of known backpropagation mistakes.

Each :class:`Bug` has a stable ``kind`` id (what ``Finding.kind`` holds), a title, a
one-line explanation a student understands, the ``signature`` the mistake leaves in
the numbers (how gradcheck recognizes it) and the ``fix``.

Fix text comes from here alone: the general ``fix`` of each kind, and the templates
(:data:`FIXES`, filled by :func:`fix_text`) of the fixes written for a net at hand. Every formula
a general fix holds is listed in :data:`FORMULAS` with the net it is right for, and tested on it.

Example:
    >>> from gradcheck.bugs import CATALOGUE, fix_for
    >>> CATALOGUE["missing_batch_mean"].title
    'gradient not divided by the batch size'
    >>> fix_for("bias_not_summed").startswith("Sum")
    True
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["Bug", "CATALOGUE", "FIXES", "FORMULAS", "KINDS", "Formula", "fix_for", "fix_text", "get"]


@dataclass(frozen=True)
class Bug:
    """One known mistake: its id, what it is, how it shows, how to fix it."""

    kind: str
    title: str
    explanation: str
    signature: str
    fix: str


_BUGS = [
    Bug(
        "missing_batch_mean",
        "gradient not divided by the batch size",
        "The loss is averaged over the m examples of the batch, but the gradient is summed over them.",
        "analytic / numeric = m (the batch size) on every element",
        "Divide the gradient by m (e.g. dW = dZ @ A_prev.T / m with examples as columns, dW = A_prev.T @ dZ / m "
        "with examples as rows), or compute the loss as a sum instead of a mean.",
    ),
    Bug(
        "extra_batch_mean",
        "gradient divided by the batch size once too often",
        "The gradient is divided by m twice (e.g. once in dZ and again in dW), or the loss is a sum.",
        "analytic / numeric = 1/m on every element",
        "Divide by m exactly once, where the loss is averaged (usually in the output delta or in each dW, db).",
    ),
    Bug(
        "constant_factor",
        "gradient off by a constant factor",
        "The gradient has the right direction but is scaled by a constant, often 2 from the square in an MSE loss.",
        "analytic / numeric = the same constant c on every element (reported)",
        "Make the loss and its derivative use the same convention: the derivative of np.mean((a - y) ** 2) by a is "
        "2 * (a - y) / m, of 0.5 * np.mean((a - y) ** 2) it is (a - y) / m.",
    ),
    Bug(
        "sign_flipped",
        "gradient with the wrong sign",
        "The gradient points uphill: y - a was used where a - y belongs (or a minus sign was dropped).",
        "analytic / numeric = -1 on every element",
        "Use the prediction minus the target, dA = A - Y (not Y - A), and subtract the gradient in the update: "
        "W -= lr * dW.",
    ),
    Bug(
        "transposed",
        "gradient transposed",
        "The gradient of W has the layout of W.T: the product was taken in the other order.",
        "the analytic gradient equals numeric.T (for a square W the shapes hide it)",
        "Order the product so it has W's shape: dW = dZ @ A_prev.T when W is (n_out, n_in), "
        "dW = A_prev.T @ dZ when W is (n_in, n_out).",
    ),
    Bug(
        "bias_not_summed",
        "bias gradient not summed over the batch",
        "The bias is shared by every example, so its gradient is the sum (or mean) of the per-example deltas; "
        "here the per-example deltas were kept.",
        "the bias gradient has one extra axis of length m; summed over it, it matches up to 1/m",
        "Sum over the batch axis: db = np.sum(dZ, axis=1, keepdims=True) / m when examples are columns, "
        "db = dZ.sum(axis=0) / m when they are rows.",
    ),
    Bug(
        "wrong_shape",
        "gradient of the wrong shape",
        "The gradient array does not have the shape of its parameter, so the update broadcasts silently.",
        "analytic.shape != parameter.shape, and no simple relation (transpose, extra batch axis) explains it",
        "Give each gradient the exact shape of its parameter; assert dW.shape == W.shape after computing it.",
    ),
    Bug(
        "zero_gradient",
        "gradient is zero",
        "The gradient is all zeros where the loss does depend on the parameter: it is never computed or is reset.",
        "analytic == 0 on every element, numeric != 0",
        "Compute the gradient of this parameter (and do not overwrite it with zeros before it is returned).",
    ),
    Bug(
        "activation_derivative_wrong_input",
        "activation derivative evaluated at the wrong quantity",
        "sigmoid'(z) = a (1 - a) needs the activation a = sigmoid(z); computing z (1 - z), or sigmoid'(a) on a value "
        "that already went through the activation, gives the wrong number (tanh alike: 1 - a^2, not 1 - z^2). "
        "Taking it from another layer's values (the relu mask of layer 2 reused in layer 1) is the same mistake.",
        "recomputing backprop with the derivative taken at the other quantity (z instead of a, a instead of z, or "
        "another layer's z or a) reproduces the analytic gradient",
        "Pass the right quantity, of the same layer: dZ = dA * A * (1 - A) with A = sigmoid(Z), or "
        "dZ = dA * sigmoid(Z) * (1 - sigmoid(Z)); a relu layer's mask is its own Z > 0.",
    ),
    Bug(
        "wrong_activation_derivative",
        "derivative of another function",
        "The derivative used is not the derivative of the layer's activation (e.g. tanh' for a sigmoid layer, "
        "a relu mask used for a leaky relu, a wrong leaky slope).",
        "recomputing backprop with another activation's derivative reproduces the analytic gradient",
        "Use the derivative of the activation the forward pass applied: sigmoid: A * (1 - A); tanh: 1 - A ** 2; "
        "relu: Z > 0; leaky relu: np.where(Z > 0, 1, slope).",
    ),
    Bug(
        "missing_activation_derivative",
        "activation derivative left out",
        "The delta was carried through the layer without multiplying by the activation's derivative.",
        "recomputing backprop without f'(z) at that layer reproduces the analytic gradient",
        "Multiply by the activation's derivative dact (A * (1 - A) for a sigmoid): dZ = dA * dact, not dZ = dA.",
    ),
    Bug(
        "extra_activation_derivative",
        "activation derivative applied twice",
        "With sigmoid + cross-entropy (or softmax + cross-entropy) dL/dz is already a - y; multiplying by "
        "sigmoid'(z) again is one derivative too many.",
        "recomputing backprop with f'(z) applied once more reproduces the analytic gradient",
        "Use dZ = A - Y for the output layer of sigmoid + binary cross-entropy (softmax + cross-entropy); "
        "multiply by the activation's derivative only when you start from dA.",
    ),
    Bug(
        "missing_upstream_gradient",
        "local derivative not multiplied by the delta from above",
        "The chain rule multiplies the local derivative f'(z) by the gradient arriving from the next layer; "
        "here the local derivative was used alone.",
        "recomputing backprop with dZ = f'(Z) (no upstream factor) at that layer reproduces the analytic gradient",
        "Multiply the activation's derivative dact by the gradient coming from above: "
        "dZ = (W_next.T @ dZ_next) * dact (examples as columns), dZ = (dZ_next @ W_next.T) * dact (as rows).",
    ),
    Bug(
        "weights_not_transposed",
        "delta propagated with W instead of W.T",
        "Going backwards the delta goes through the transpose of the weights; with a square W the shapes "
        "still fit, so no error is raised.",
        "recomputing backprop with W in place of W.T at that layer reproduces the analytic gradient",
        "Propagate with the transpose: dA_prev = W.T @ dZ (examples as columns), dA_prev = dZ @ W.T (examples as rows).",
    ),
    Bug(
        "reshape_instead_of_transpose",
        "W reshaped where W.T belongs",
        "W.reshape(n_out, n_in) has the shape of W.T but keeps the elements in W's order, so it is not W.T (unless a "
        "side is 1; for a square W it is W itself). Used to carry the delta down, or to give a gradient its "
        "parameter's shape, it mixes the elements up without an error.",
        "recomputing backprop with W.reshape(W.T.shape) in place of W.T at that layer reproduces the analytic "
        "gradient, or the analytic gradient equals numeric.T.reshape(W.shape)",
        "Use W.T, not a reshape: dA_prev = W.T @ dZ (examples as columns), dA_prev = dZ @ W.T (examples as rows); "
        "a gradient computed as the product in the other order gets its parameter's shape with .T, not .reshape.",
    ),
    Bug(
        "wrong_weights_in_backprop",
        "delta propagated with the wrong weights",
        "The delta was carried back through another layer's weights, or through weights already updated in this step.",
        "recomputing backprop with another layer's W (or W - lr dW) at that layer reproduces the analytic gradient",
        "Propagate through the weights of the layer the delta comes from, and update the weights only after "
        "all gradients are computed.",
    ),
    Bug(
        "weight_gradient_wrong_input",
        "weight gradient formed with the wrong activations",
        "dW is the delta times the layer's input (the previous layer's activations); here it was formed with "
        "another array of the same shape: this layer's own output, or another layer's activations.",
        "recomputing backprop with dW = (other activations)^T dZ at that layer reproduces the analytic gradient; "
        "the deltas and biases are right",
        "Use the layer's input: dW = dZ @ A_prev.T (examples as columns) or dW = A_prev.T @ dZ (examples as "
        "rows), where A_prev is what went into the layer in the forward pass.",
    ),
    Bug(
        "regularization_missing",
        "L2 term missing from the gradient",
        "The loss includes an L2 penalty, but the gradient of the weights lacks its term.",
        "analytic - numeric = -lambda * W for the weights, the biases are right",
        "Add the penalty's gradient: dW += lambd * W for a loss term lambd / 2 * np.sum(W ** 2) "
        "(dW += lambd / m * W for lambd / (2 * m) * np.sum(W ** 2)).",
    ),
    Bug(
        "regularization_wrong",
        "L2 term in the gradient does not match the loss",
        "The gradient's L2 term uses another factor than the loss's penalty (2 lambda W, lambda W / m twice), "
        "or is applied to the biases, or is in the gradient while the loss has no penalty.",
        "analytic - numeric = c * W for the weights with c != 0",
        "Derive the term from the loss: the derivative of lambd / 2 * np.sum(W ** 2) by W is lambd * W; "
        "leave the biases out.",
    ),
    Bug(
        "l1_penalty_gradient_wrong",
        "L1 penalty's gradient in the wrong form",
        "An L1 penalty lambd * sum(|W|) adds lambd * sign(W) to the gradient, an L2 penalty lambd / 2 * sum(W ** 2) "
        "adds lambd * W; here the gradient has one where the loss has the other, writes sign(W) as the constant "
        "lambd, or lacks (or adds) the L1 term.",
        "analytic - numeric = c * (sign(W) - W), c * (W - sign(W)), c * (sign(W) - 1) or c * sign(W) on every element "
        "(W of both signs)",
        "Differentiate the penalty the loss has: lambd * np.sum(np.abs(W)) gives dW += lambd * np.sign(W); "
        "lambd / 2 * np.sum(W ** 2) gives dW += lambd * W.",
    ),
    Bug(
        "dropout_backward_wrong",
        "dropout not applied in the backward pass",
        "The backward pass must use the same dropout mask (and the same 1/keep_prob scaling) as the forward pass.",
        "recomputing backprop without the mask or the scaling reproduces the analytic gradient",
        "Store the mask in the forward pass and apply it in the backward: dA = dA * mask / keep_prob.",
    ),
    Bug(
        "batchnorm_backward_incomplete",
        "batch norm backward without its mean and variance paths",
        "Batch normalization subtracts the batch mean and divides by the batch standard deviation, both "
        "functions of every example, so the gradient must flow back through them too; here the backward pass "
        "stops at dxhat / std (or leaves out one of the two paths).",
        "analytic - numeric below the normalization is, feature by feature, a + b * z over the batch (z the values "
        "normalized): what the two paths contribute",
        "Carry the gradient through the batch mean and variance: "
        "dz = (dxhat - dxhat.mean(axis=0) - xhat * (dxhat * xhat).mean(axis=0)) / std with examples as rows "
        "(axis=1, keepdims=True when they are columns).",
    ),
    Bug(
        "layernorm_backward_incomplete",
        "layer norm backward without its mean and variance paths",
        "Layer normalization subtracts each example's mean over its features and divides by their standard "
        "deviation, so the gradient must flow back through both; here the backward pass stops at dxhat / std (or "
        "leaves out one of the two paths).",
        "analytic - numeric below the normalization is, example by example, a + b * z over the features (z the "
        "values normalized): what the two paths contribute",
        "Carry the gradient through each example's mean and variance: dz = (dxhat - dxhat.mean(axis=1, "
        "keepdims=True) - xhat * (dxhat * xhat).mean(axis=1, keepdims=True)) / std with examples as rows (axis=0 "
        "when they are columns).",
    ),
    Bug(
        "softmax_backward_wrong",
        "softmax gradient wrong",
        "For softmax + cross-entropy dL/dz = p - y (y one-hot); subtracting 1 at every class, forgetting to "
        "subtract it, or using only the diagonal of the softmax Jacobian gives a wrong delta.",
        "recomputing backprop with that wrong softmax delta reproduces the analytic gradient",
        "Use dZ = P - Y with Y one-hot (dscores = P.copy(); dscores[range(m), y] -= 1), then divide by m.",
    ),
    Bug(
        "optimizer_state_in_gradient",
        "optimizer state returned with the gradient",
        "The backward pass returns what the optimizer keeps between steps (a momentum velocity momentum * v + dW, "
        "a running average beta * m + (1 - beta) * dW, a previous step's gradient) instead of the gradient of "
        "this call: a term that does not follow the parameters is added.",
        "analytic = a * numeric + s with s fixed when the parameters move (the two gradients taken again at a "
        "second point), s along the gradient",
        "Return the gradient of this call alone (dW), and keep the optimizer's state apart: "
        "v = momentum * v + dW; W -= lr * v.",
    ),
    Bug(
        "gradient_accumulates",
        "gradients accumulate between calls",
        "The gradient buffers are added to (+=) on every call and never reset, so a second call returns more.",
        "grads() differs between two calls at the same parameters (often exactly doubled)",
        "Reset the gradient buffers to zero at the start of each backward pass (or assign with = instead of +=).",
    ),
    Bug(
        "numerically_unstable",
        "NaN or inf in the gradient",
        "The loss is finite but the analytic gradient overflows, e.g. y / a with a rounded to 0, or exp of a big number.",
        "the analytic gradient has NaN or inf where the loss is finite",
        "Use the combined form: dZ = A - Y for sigmoid/softmax + cross-entropy instead of dividing by A and 1 - A; "
        "clip probabilities; subtract the max before exp in softmax.",
    ),
    Bug(
        "nondeterministic_loss",
        "loss changes between calls",
        "loss() returns different values at the same parameters (random dropout masks, batch sampling, state "
        "updated inside the loss), so finite differences are meaningless.",
        "two calls of loss() at the same parameters differ",
        "Fix the random seed (or the dropout mask and the batch) while checking, and keep loss() free of side effects.",
    ),
    Bug(
        "target_shape_broadcast",
        "targets of shape (m,) against an output of shape (m, 1)",
        "With the examples as rows, a - y for an output a of shape (m, 1) and targets y of shape (m,) broadcasts "
        "to an (m, m) matrix: every output is compared with every target, and the output layer's gradients get an "
        "extra axis of length m.",
        "the output layer's gradients have an extra axis of length m; recomputing the output delta with a - y "
        "broadcast to (m, m) reproduces them",
        "Give the targets the output's shape before the loss and its gradient: y = y.reshape(-1, 1) (or y[:, None]).",
    ),
    Bug(
        "gradient_clipped",
        "gradients clipped before they are returned",
        "Clipping (by value or by norm) belongs to the update step; a gradient clipped inside the backward pass is "
        "no longer the loss's gradient, and a check of it fails where the clip bites.",
        "analytic = np.clip(numeric, -t, t) elementwise, or numeric rescaled to one norm t, with one t for all",
        "Return the raw gradients from the backward pass and clip where they are used: "
        "dW_step = np.clip(dW, -t, t); W -= lr * dW_step.",
    ),
    Bug(
        "clip_ignored_in_backward",
        "clip in the loss ignored by the backward pass",
        "The forward pass clips a value on the way to the loss (probabilities before a log, a prediction, a min or "
        "max), so the loss is flat wherever the clip bites; the backward pass differentiates as if nothing were "
        "clipped and returns a gradient there.",
        "the output deltas (dL/dz per example) agree except at outputs beyond a bound, where the loss's is 0 and "
        "the analytic one is not",
        "Multiply by the clip's derivative, 1 inside the bounds and 0 outside: "
        "dA = dA_clipped * ((A > lo) & (A < hi)), or drop the clip from the loss.",
    ),
    Bug(
        "huber_linear_part_ignored",
        "Huber loss differentiated as if it were quadratic everywhere",
        "The Huber loss is 0.5 * r^2 for a residual |r| <= delta and linear, delta * (|r| - delta / 2), beyond; "
        "its derivative is r inside and ±delta outside. The backward pass uses r everywhere.",
        "the output deltas agree where |z - y| <= delta; beyond, the loss's is ±delta (times the mean's 1/m) while "
        "the analytic one is the residual",
        "Clip the residual at the threshold: dZ = np.clip(Z - Y, -delta, delta) / m.",
    ),
    Bug(
        "label_smoothing_ignored_in_backward",
        "label smoothing in the loss, one-hot targets in the gradient",
        "The loss uses smoothed targets (1 - eps) * onehot + eps / k, but the backward pass subtracts the one-hot "
        "targets (P - Y), as if eps were 0.",
        "analytic - numeric output deltas = c * (1/k - onehot) on every example, one c > 0 (eps / m)",
        "Subtract the targets the loss uses: dZ = (P - ((1 - eps) * Y + eps / k)) / m.",
    ),
    Bug(
        "loss_weight_ignored_in_backward",
        "class weight in the loss left out of the gradient",
        "The loss weighs each example by a weight of its target class (pos_weight, class_weight), but the "
        "backward pass computes the unweighted gradient.",
        "analytic / numeric output deltas = one constant per example, the same for every example of a class and "
        "different between classes (1 / the class's weight)",
        "Weigh each example's delta as the loss does: dZ = w[y][:, None] * (P - Y) / m (divide by w[y].sum() "
        "instead of m for a weighted mean).",
    ),
    Bug(
        "missing_recurrent_gradient",
        "hidden-state gradient not carried back through time",
        "In a recurrent net h_t feeds the next step, so the gradient of h_t is the output's gradient at step t plus "
        "the gradient carried back from step t + 1; here the second part is left out (backpropagation through time "
        "truncated to one step).",
        "the analytic gradient equals the recurrent net's gradient recomputed with the gradient from the next step "
        "left out of dh (the net recognized from the parameter shapes, the data and the loss)",
        "Add the gradient carried back from the next step: dh = Why.T @ dy + dhnext at each step, and after it "
        "dhnext = Whh.T @ dhraw for the step before.",
    ),
    Bug(
        "missing_skip_gradient",
        "skip connection left out of the backward pass",
        "A residual block adds its input to its output (out = f(x) + x), so the gradient of its input is the "
        "gradient of its output carried through f plus that gradient itself (the identity path); here the identity "
        "path is left out.",
        "the analytic gradient equals the gradient of the recognized net with a skip connection recomputed without the "
        "gradient through the skip (the layers below the block are wrong, the block and above are right)",
        "Add the block output's gradient to its input's: for A = f(W @ A_prev + b) + A_prev, "
        "dA_prev = W.T @ dZ + dA (dZ = dA * f'(Z)), not W.T @ dZ alone.",
    ),
    Bug(
        "unknown",
        "mismatch of no known kind",
        "The gradient is wrong in a way that fits no catalogued mistake; the localization still says where it starts.",
        "a mismatch that no generic signature and no recomputation explains",
        "Start at the first wrong parameter in backprop order and check that step's formula by hand, "
        "on a batch of one example.",
    ),
]

#: kind id -> :class:`Bug`, in the order above.
CATALOGUE: dict[str, Bug] = {b.kind: b for b in _BUGS}
#: All kind ids.
KINDS: tuple[str, ...] = tuple(CATALOGUE)


def get(kind: str) -> Bug:
    """The catalogue entry of ``kind``; a ``KeyError`` naming the known kinds otherwise."""
    try:
        return CATALOGUE[kind]
    except KeyError:
        raise KeyError(f"unknown mistake kind {kind!r}; known kinds: {', '.join(KINDS)}") from None


def fix_for(kind: str) -> str:
    """The fix hint of ``kind`` (empty string for an unknown kind)."""
    bug = CATALOGUE.get(kind)
    return bug.fix if bug is not None else ""


# -- fixes written for the net at hand -------------------------------------------------------

#: Templates of the fixes written for one finding (its layer, its names, its factor), by key;
#: ``{formula}`` is a Python statement of the right computation, in the net's own names.
FIXES: dict[str, str] = {
    # a derivative at one layer (or several with one activation)
    "derivative": "{layer} ({activation}): {formula}.{note}",
    "derivative_relu_note": " (a relu's mask is Z > 0, or out > 0 on its output; out >= 0 is always true)",
    "derivative_at_input": "{layer}: take {activation}' at the right quantity: {formula} with {quantity}, not {wrong}.",
    "derivative_twice": "{layer} {verb} by {activation}'(Z) twice: use it once, {formula} (look for a derivative "
                        "applied both in an activation's backward and in the layer's).",
    "derivative_combined": "{layer}: the delta of {activation} + {loss} is {formula}, which already includes "
                           "{activation}'(Z); multiply by the derivative nowhere else.",
    "output_delta": "{layer} ({activation} + {loss}): {formula} with Y one-hot (the probabilities minus the targets, "
                    "divided by m once).",
    "weight_input": "Layer {layer}: form the weight gradient with the layer's input, what went into it in the forward "
                    "pass: {formula}, not with {source}.",
    "transposed_layer": "Order the product so it has {name}'s shape: {formula} (examples as {layout}).",
    "missing_upstream": "Layer {layer}: multiply the local derivative by the delta coming from layer {above}: "
                        "{formula}, not dZ{layer} = {derivative}.",
    "not_transposed_input": "Pass the input's gradient through the transpose: {formula} (not {wrong}).",
    "not_transposed_all": "Carry every delta back through the transpose of the weights it came through ({names}): "
                          "{formula} at layer {layer}, and alike at the others.",
    "not_transposed_one": "Carry the delta of layer {layer} into layer {below} through the transpose: {formula}, "
                          "not {wrong}.",
    "reshape_one": "Carry the delta of layer {layer} into layer {below} through the transpose: {formula}, not {wrong} "
                   "(a reshape to the transposed shape keeps the elements in their order; only .T swaps the axes).",
    "reshape_gradient": "Give the gradient its parameter's shape with a transpose: {name} gets (...).T of the "
                        "product computed in the transposed orientation, not (...).reshape({name}.shape).",
    # an L2 term in the wrong form
    "penalty_sum": "The gradient of an L2 penalty is elementwise: dW += lambd / m * W (here {coefficient:.4g} * W), "
                   "not lambd / m * np.sum(W).",
    "penalty_per_tensor": "Differentiate the penalty the loss has, tensor by tensor: lambd / 2 * np.sum(W ** 2) gives "
                          "lambd * W, lambd * np.linalg.norm(W) gives lambd * W / np.linalg.norm(W); or write the "
                          "loss's penalty as lambd / 2 * np.sum(W ** 2) with the strength the gradient uses for each "
                          "weight.",
    # a constant factor
    "batch_mean_layout": "Divide the gradient by m (examples as {layout}: {formula}), or compute the loss as a sum "
                         "instead of a mean.",
    "factor_here": "{general} Here the gradient must be divided by {factor:.4g}.",
    "factor_below_one": "A factor below 1 such as {size:.4g} is often a scaling applied in the forward pass but not in "
                        "the backward one (dropout's 1/keep_prob, a learning rate or a 1/n left in the gradient). "
                        "Divide the gradient by {factor:.4g}{sign}, or find the constant the loss and its gradient "
                        "disagree on.",
    "factor_above_one": "A factor such as {size:.4g} is often a count the loss averages over but the gradient does not "
                        "(examples, output units, time steps), or a scale in one pass only (1/keep_prob of dropout). "
                        "Divide the gradient by {factor:.4g}{sign}, or find the constant the loss and its gradient "
                        "disagree on.",
    "factor_below_one_no_dropout": "A factor below 1 such as {size:.4g} is often a scaling applied in the forward pass "
                                   "but not in the backward one (a learning rate or a 1/n left in the gradient). Divide "
                                   "the gradient by {factor:.4g}{sign}, or find the constant the loss and its gradient "
                                   "disagree on.",
    "factor_above_one_no_dropout": "A factor such as {size:.4g} is often a count the loss averages over but the gradient "
                                   "does not (examples, output units, time steps). Divide the gradient by "
                                   "{factor:.4g}{sign}, or find the constant the loss and its gradient disagree on.",
    "factor_two_no_square": "The {loss} loss has no square, so its gradient holds no factor 2: divide the gradient by "
                            "{factor:.4g} (look for a 2 * copied from an MSE derivative, or a term added twice).",
    "factor_from_above": "{general} The layers above layer {layer} are right, so the factor enters on the way from "
                         "layer {above} into layer {layer} or in layer {layer}'s own dW and db.",
    "sign_output": "Use the prediction minus the target at the output, {formula} (not the target minus the "
                   "prediction), and subtract the gradient in the update: W -= lr * dW.",
    "sign_from_above": "The layers above layer {layer} are right, so the output delta is not the cause: the sign flips "
                       "on the way from layer {above} into layer {layer}. Check that step's signs: the activation's "
                       "derivative (A * (1 - A), not A * (A - 1); 1 - A ** 2, not A ** 2 - 1) and {carry}.",
    # a bias gradient kept per example
    "bias_mean_inside": "Sum over the batch axis (one delta per example). Summed, your values already match the "
                        "numerical gradient, so the 1/m is in them once: {target} = {total} if your dZ already "
                        "includes the 1/m, {target} = {total} / m if the 1/m was only in the line that sets {target}.",
    "bias_average": "Sum over the batch axis (one delta per example) and average: {target} = {total} / m (m = {batch}).",
    # a residual block's skip path
    "skip": "Carry the gradient of layer {target}'s output back through the skip connection too: that output is "
            "f(Z{target}) + A{source}, so {formula}, not dA{source} = {without}.",
    # a recurrent net's backpropagation through time
    "rnn_carry": "Add the gradient carried back from the next step to each step's hidden-state gradient: {dh}, "
                 "then, after the step's own gradients, {carry} (dh_raw = {derivative} * dh).",
    "rnn_previous_state": "Form the recurrent weights' gradient with the previous state, the one {wh} multiplied in "
                          "this step: {dwh} with h_prev = h_(t-1), not the step's own output h_t.",
    "rnn_transpose": "Carry the gradient to the previous step through the transpose of {wh}: {carry}.",
    "bias_factor": "Sum over the batch axis (one delta per example): {target} = {total}; summed, it is {factor:.4g} x "
                   "the numerical gradient, so that factor must go too.",
}


def fix_text(key: str, **values: Any) -> str:
    """The fix template ``key`` of :data:`FIXES` filled with ``values``.

    >>> fix_text("bias_average", target="db2", total="dZ.sum(axis=0)", batch=8)
    'Sum over the batch axis (one delta per example) and average: db2 = dZ.sum(axis=0) / m (m = 8).'
    """
    return FIXES[key].format(**values)


@dataclass(frozen=True)
class Formula:
    """A formula a general fix holds, and the net it is right for.

    ``code`` is Python as it appears in the fix; an expression gives the value of ``target``.
    The names mean: ``X``, ``Y``, ``m`` the batch; ``Z``, ``A``, ``dZ``, ``dA``, ``W``, ``dW``, ``db``
    one layer's pre-activation, activation and gradients; ``A_prev``, ``dA_prev`` the layer below's;
    ``W_next``, ``dZ_next`` the layer above's; ``dact`` the activation's derivative at Z; ``P`` the
    output probabilities; ``y`` the targets of shape (m,), ``t``, ``lr`` a clipping threshold and a learning
    rate. With ``deltas="summed"`` the deltas hold no 1/m (it comes in dW and db),
    with ``"mean"`` they carry it.
    """

    kind: str
    code: str
    layout: str = "cols"
    deltas: str = "mean"
    layer: str = "hidden"          # which layer the names are taken at: "hidden" or "output"
    loss: str = "bce"              # the loss of the net it is right for
    activation: str = "tanh"       # the activation of that layer
    target: str = ""               # for an expression: the name whose value it is
    penalty: str = "lambd"         # "lambd": a penalty lambd / 2 * sum(W ** 2); "lambd/m": lambd / (2 * m) * ...
    net: str = "mlp"               # "mlp": a dense net as above; "batchnorm", "layernorm": a normalization, where
                                   # ``z``, ``xhat``, ``std``, ``dxhat`` are its input, output, deviation, gradient;
                                   # "clip", "huber", "smoothing", "weights": a loss of the outputs Z (rows) of
                                   # that kind, with ``A`` the probabilities before a clip to [lo, hi],
                                   # ``dA_clipped`` the loss's gradient by the clipped ones, ``delta`` Huber's
                                   # threshold, ``eps`` a label smoothing over ``k`` classes, ``w`` class weights
                                   # "rnn": one step t of a vanilla RNN (``Wxh``, ``Whh``, ``Why`` as (out, in)),
                                   # ``dy`` its output's gradient, ``dhraw`` = (1 - h ** 2) * dh, ``dhnext`` the
                                   # gradient carried back from step t + 1 into h_t; "residual": a block
                                   # ``A = tanh(W @ A_prev + b) + A_prev``, ``dA``, ``dZ`` its gradients


#: Every formula in the general fixes, with the net it is right for (a test applies each to it).
FORMULAS: tuple[Formula, ...] = (
    Formula("missing_batch_mean", "dW = dZ @ A_prev.T / m", deltas="summed"),
    Formula("missing_batch_mean", "dW = A_prev.T @ dZ / m", layout="rows", deltas="summed"),
    Formula("constant_factor", "2 * (a - y) / m", layer="output", loss="mse", activation="identity",
            target="d_mean_square"),
    Formula("constant_factor", "(a - y) / m", layer="output", loss="mse", activation="identity",
            target="d_half_mean_square"),
    Formula("sign_flipped", "dA = A - Y", deltas="summed", layer="output", loss="mse", activation="identity"),
    Formula("transposed", "dW = dZ @ A_prev.T"),
    Formula("transposed", "dW = A_prev.T @ dZ", layout="rows"),
    Formula("bias_not_summed", "db = np.sum(dZ, axis=1, keepdims=True) / m", deltas="summed"),
    Formula("bias_not_summed", "db = dZ.sum(axis=0) / m", layout="rows", deltas="summed"),
    Formula("wrong_shape", "assert dW.shape == W.shape"),
    Formula("activation_derivative_wrong_input", "dZ = dA * A * (1 - A)", activation="sigmoid"),
    Formula("activation_derivative_wrong_input", "dZ = dA * sigmoid(Z) * (1 - sigmoid(Z))", activation="sigmoid"),
    Formula("wrong_activation_derivative", "A * (1 - A)", activation="sigmoid", target="dact"),
    Formula("wrong_activation_derivative", "1 - A ** 2", activation="tanh", target="dact"),
    Formula("wrong_activation_derivative", "Z > 0", activation="relu", target="dact"),
    Formula("wrong_activation_derivative", "np.where(Z > 0, 1, slope)", activation="leaky_relu", target="dact"),
    Formula("missing_activation_derivative", "dZ = dA * dact"),
    Formula("extra_activation_derivative", "dZ = A - Y", deltas="summed", layer="output", activation="sigmoid"),
    Formula("missing_upstream_gradient", "dZ = (W_next.T @ dZ_next) * dact"),
    Formula("missing_upstream_gradient", "dZ = (dZ_next @ W_next.T) * dact", layout="rows"),
    Formula("weights_not_transposed", "dA_prev = W.T @ dZ"),
    Formula("weights_not_transposed", "dA_prev = dZ @ W.T", layout="rows"),
    Formula("reshape_instead_of_transpose", "dA_prev = W.T @ dZ"),
    Formula("reshape_instead_of_transpose", "dA_prev = dZ @ W.T", layout="rows"),
    Formula("weight_gradient_wrong_input", "dW = dZ @ A_prev.T"),
    Formula("weight_gradient_wrong_input", "dW = A_prev.T @ dZ", layout="rows"),
    Formula("regularization_missing", "dW += lambd * W"),
    Formula("regularization_missing", "dW += lambd / m * W", penalty="lambd/m"),
    Formula("regularization_wrong", "lambd * W", target="dW_penalty"),
    Formula("l1_penalty_gradient_wrong", "dW += lambd * W"),
    Formula("dropout_backward_wrong", "dA = dA * mask / keep_prob"),
    Formula("softmax_backward_wrong", "dZ = P - Y", deltas="summed", layer="output", loss="softmax_ce",
            activation="softmax"),
    Formula("softmax_backward_wrong", "dscores = P.copy(); dscores[range(m), y] -= 1", layout="rows", deltas="summed",
            layer="output", loss="softmax_ce", activation="softmax", target="dZ"),
    Formula("numerically_unstable", "dZ = A - Y", deltas="summed", layer="output", activation="sigmoid"),
    Formula("batchnorm_backward_incomplete", "dz = (dxhat - dxhat.mean(axis=0) - xhat * (dxhat * xhat).mean(axis=0)) "
            "/ std", layout="rows", net="batchnorm"),
    Formula("layernorm_backward_incomplete", "dz = (dxhat - dxhat.mean(axis=1, keepdims=True) - xhat * (dxhat * "
            "xhat).mean(axis=1, keepdims=True)) / std", layout="rows", net="layernorm"),
    Formula("target_shape_broadcast", "y = y.reshape(-1, 1)", layout="rows", layer="output", loss="mse",
            activation="identity"),
    Formula("target_shape_broadcast", "y[:, None]", layout="rows", layer="output", loss="mse", activation="identity",
            target="y_column"),
    Formula("gradient_clipped", "dW_step = np.clip(dW, -t, t); W -= lr * dW_step"),
    Formula("clip_ignored_in_backward", "dA = dA_clipped * ((A > lo) & (A < hi))", layout="rows", net="clip"),
    Formula("huber_linear_part_ignored", "dZ = np.clip(Z - Y, -delta, delta) / m", layout="rows", net="huber"),
    Formula("label_smoothing_ignored_in_backward", "dZ = (P - ((1 - eps) * Y + eps / k)) / m", layout="rows",
            net="smoothing"),
    Formula("loss_weight_ignored_in_backward", "dZ = w[y][:, None] * (P - Y) / m", layout="rows", net="weights"),
    Formula("optimizer_state_in_gradient", "v = momentum * v + dW; W -= lr * v"),
    Formula("missing_recurrent_gradient", "dh = Why.T @ dy + dhnext", net="rnn"),
    Formula("missing_recurrent_gradient", "dhnext = Whh.T @ dhraw", net="rnn"),
    Formula("missing_skip_gradient", "dA_prev = W.T @ dZ + dA", net="residual"),
)
