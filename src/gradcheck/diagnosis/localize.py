"""Localization: where in backprop order the gradients go wrong, said in one sentence.

Parameters are grouped into layers (weights with their bias); the first wrong layer seen
from the loss, and whether the layers below it are wrong too, say whether the mistake sits
in the step that carries the delta down into that layer or in that layer's own gradient.

Example:
    >>> import numpy as np, gradcheck
    >>> from gradcheck.nn import MLP
    >>> net = MLP([2, 3, 3, 1], layout="cols")
    >>> X, y = net.random_data(4)
    >>> g = net.gradients(X, y)
    >>> g["W2"] = -g["W2"]
    >>> report = gradcheck.check(net.params, lambda: net.loss(X, y), g, diagnose=False)
    >>> from gradcheck.layers import layer_groups
    >>> localize(report, layer_groups([p.name for p in report.params], net.params))[:22]
    'only W2 is wrong; the '
"""

from __future__ import annotations

from ..report import Report
from .findings import join_names

__all__ = ["localize"]


def localize(report: Report, groups: list[list[str]]) -> str:
    """The sentence that says where the mistake sits, from the pattern of right and wrong parameters.

    Layers are numbered 1, 2, ... in forward order, whatever numbers their names carry; the input
    of a layer check (in no group) is the layers' input.
    """
    wrong = set(report.wrong)
    if not wrong:
        return ""
    grouped = {n for g in groups for n in g}
    inputs = [p.name for p in report.params if p.name not in grouped]
    inputs_wrong = [n for n in inputs if n in wrong]
    if not wrong & grouped:
        return _input_only(groups, inputs_wrong)
    gi = max(i for i, g in enumerate(groups) if any(n in wrong for n in g))
    below = [n for g in groups[:gi] for n in g]
    below_wrong = [n for n in below if n in wrong]
    below_right = [n for n in below if n not in wrong]
    first = report.first_wrong if report.first_wrong in grouped else [n for n in groups[gi] if n in wrong][-1]
    msg = _where(groups, gi, wrong, first, below_right, below_wrong, bool(inputs))
    if _weights_only(groups, wrong) and not (below_right and not below_wrong):
        below_wrong = []  # said already: the pattern repeats in every layer
    return msg + _below_and_input(below_right, below_wrong, inputs, inputs_wrong)


def _input_only(groups: list[list[str]], inputs_wrong: list[str]) -> str:
    if not groups:
        return f"the gradient of {join_names(inputs_wrong)} is wrong"
    return (f"only the input's gradient ({join_names(inputs_wrong)}) is wrong; every parameter is right, so the "
            f"deltas are right: the mistake is in the last step, the gradient passed to the input "
            f"(dx = dz @ W.T for a dense layer)")


def _where(groups: list[list[str]], gi: int, wrong: set[str], first: str, below_right: list[str],
           below_wrong: list[str], has_input: bool) -> str:
    """Where the mistake sits, said from the first wrong layer ``gi`` (0-based) and what is below it."""
    here = [n for n in groups[gi] if n in wrong]
    if below_right and not below_wrong:
        return (f"only {join_names(here)} {'is' if len(here) == 1 else 'are'} wrong; the parameters below "
                f"({join_names(below_right)}) are right, so the delta is carried down correctly: the mistake is in the "
                f"own gradient of {join_names(here)} (the product with the layer's input, or the sum over the batch)")
    if _weights_only(groups, wrong):
        weights = [g[0] for g in groups if g[0] in wrong]
        biases = [n for g in groups if g[0] in wrong for n in g[1:]]
        return (f"the weights {join_names(weights)} are wrong while their biases ({join_names(biases)}) are right: "
                f"a bias gradient is its layer's delta summed over the batch, so the deltas are right; the mistake "
                f"is in how each weight gradient is formed from its delta (the product with the layer's input, its "
                f"order or transpose, or a term of the weights alone such as L2)")
    if len(groups) == 1 and has_input:
        return (f"the gradient of the layer's parameters ({join_names(groups[0])}) is wrong, starting at {first}: the "
                f"mistake is in the layer's backward pass (the activation's derivative, or the products with dout)")
    if gi == len(groups) - 1:
        return (f"the gradient is wrong from the output layer, {_layer_label(groups, gi)}, down, starting at {first}: "
                f"the mistake is in the output delta (the derivative of the loss and of the output activation) or in "
                f"the output layer's own gradient")
    return (f"gradients are right down to {_layer_label(groups, gi + 1)} and wrong from {first} down: the mistake is "
            f"in the step that carries the gradient from layer {gi + 2} into layer {gi + 1} ({', '.join(groups[gi])}), "
            f"or in layer {gi + 1}'s own gradient")


def _below_and_input(below_right: list[str], below_wrong: list[str], inputs: list[str], inputs_wrong: list[str]) -> str:
    """What the layers below and the input say besides."""
    out = ""
    if below_right and below_wrong:
        out += f"; further down {join_names(below_right)} {'is' if len(below_right) == 1 else 'are'} right again"
    if inputs_wrong and not below_wrong and below_right:
        out += f"; the input's gradient ({join_names(inputs_wrong)}) is wrong as well"
    elif inputs and not inputs_wrong:
        out += f"; the input's gradient ({join_names(inputs)}) is right"
    return out


def _weights_only(groups: list[list[str]], wrong: set[str]) -> bool:
    """True when two or more layers are wrong and in each of them only the weight (first of the group) is."""
    hit = [g for g in groups if any(n in wrong for n in g)]
    return len(hit) >= 2 and all(len(g) >= 2 and g[0] in wrong and not any(n in wrong for n in g[1:]) for g in hit)


def _layer_label(groups: list[list[str]], i: int) -> str:
    return f"layer {i + 1} ({', '.join(groups[i])})"
