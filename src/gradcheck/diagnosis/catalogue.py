"""The catalogue of known backpropagation mistakes.

Each :class:`Bug` has a stable ``kind`` id (what ``Finding.kind`` holds), a title, a
one-line explanation a student understands, the ``signature`` the mistake leaves in
the numbers (how gradcheck recognizes it) and the ``fix``.

Example:
    >>> from gradcheck.bugs import CATALOGUE, fix_for
    >>> CATALOGUE["missing_batch_mean"].title
    'gradient not divided by the batch size'
    >>> fix_for("bias_not_summed").startswith("Sum")
    True
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Bug", "CATALOGUE", "KINDS", "fix_for", "get"]


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
        "Divide the gradient by m (e.g. dW = dZ @ A_prev.T / m), or compute the loss as a sum instead of a mean.",
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
        "Make the loss and its derivative use the same convention: d/da of mean((a - y)^2) is 2 (a - y) / m, "
        "of 0.5 * mean((a - y)^2) it is (a - y) / m.",
    ),
    Bug(
        "sign_flipped",
        "gradient with the wrong sign",
        "The gradient points uphill: y - a was used where a - y belongs (or a minus sign was dropped).",
        "analytic / numeric = -1 on every element",
        "Use dL/da = a - y (prediction minus target) and subtract the gradient in the update: W -= lr * dW.",
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
        "Use the derivative of the activation the forward pass applied: sigmoid: a (1 - a); tanh: 1 - a^2; "
        "relu: (z > 0); leaky relu: 1 where z > 0, the slope elsewhere.",
    ),
    Bug(
        "missing_activation_derivative",
        "activation derivative left out",
        "The delta was carried through the layer without multiplying by the activation's derivative.",
        "recomputing backprop without f'(z) at that layer reproduces the analytic gradient",
        "Multiply by the derivative: dZ = dA * f'(Z), not dZ = dA.",
    ),
    Bug(
        "extra_activation_derivative",
        "activation derivative applied twice",
        "With sigmoid + cross-entropy (or softmax + cross-entropy) dL/dz is already a - y; multiplying by "
        "sigmoid'(z) again is one derivative too many.",
        "recomputing backprop with f'(z) applied once more reproduces the analytic gradient",
        "Use dZ = A - Y for the output layer of sigmoid + binary cross-entropy (softmax + cross-entropy); "
        "multiply by f'(Z) only when you start from dL/dA.",
    ),
    Bug(
        "missing_upstream_gradient",
        "local derivative not multiplied by the delta from above",
        "The chain rule multiplies the local derivative f'(z) by the gradient arriving from the next layer; "
        "here the local derivative was used alone.",
        "recomputing backprop with dZ = f'(Z) (no upstream factor) at that layer reproduces the analytic gradient",
        "Multiply by the upstream gradient: dZ = (W_next.T @ dZ_next) * f'(Z).",
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
        "Add the penalty's gradient: dW += lambd * W (for a loss term lambd / 2 * sum(W^2)); "
        "lambd / m * W for lambd / (2 m) * sum(W^2).",
    ),
    Bug(
        "regularization_wrong",
        "L2 term in the gradient does not match the loss",
        "The gradient's L2 term uses another factor than the loss's penalty (2 lambda W, lambda W / m twice), "
        "or is applied to the biases, or is in the gradient while the loss has no penalty.",
        "analytic - numeric = c * W for the weights with c != 0",
        "Derive the term from the loss: d/dW of lambd / 2 * sum(W^2) is lambd * W; leave the biases out.",
    ),
    Bug(
        "dropout_backward_wrong",
        "dropout not applied in the backward pass",
        "The backward pass must use the same dropout mask (and the same 1/keep_prob scaling) as the forward pass.",
        "recomputing backprop without the mask or the scaling reproduces the analytic gradient",
        "Store the mask in the forward pass and apply it in the backward: dA = dA * mask / keep_prob.",
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
