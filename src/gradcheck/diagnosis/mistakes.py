"""Backward passes of a standard dense net with one catalogued mistake injected.

:func:`backward` is the correct backward pass of an :class:`~gradcheck.diagnosis.model.infer.Arch` in
rows form, with an optional :class:`Mistake`: a wrong activation derivative at some
layers, a delta propagated with ``W`` instead of ``W.T`` or with another layer's
weights, a local derivative not multiplied by the upstream delta, a wrong softmax
delta. :func:`mistakes` lists every mistake that applies to a net, so the diagnosis can
recompute the gradient under each and name the one that reproduces the user's numbers.

Example:
    >>> from gradcheck.nn import MLP
    >>> from gradcheck.diagnosis.model.infer import infer_arch
    >>> net = MLP([2, 3, 1], activations="sigmoid", loss="bce", layout="cols")
    >>> X, y = net.random_data(4)
    >>> arch = infer_arch(net.params, lambda: net.loss(X, y), (X, y))
    >>> [mk.kind for mk in mistakes(arch, net.params)][:3]
    ['activation_derivative_wrong_input', 'activation_derivative_wrong_input', 'wrong_activation_derivative']
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass

import numpy as np

from .model.infer import Arch, act, base_activation, dact, forward_rows, leaky_slope
from ..nn import softmax_backward

__all__ = ["Mistake", "backward", "mistakes", "updated_weights"]

Deriv = Callable[[np.ndarray, np.ndarray], np.ndarray]


def _sig(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


# activation -> [(kind, derivative(z, a), what was done)]
DERIVATIVE_MISTAKES: dict[str, list[tuple[str, Deriv, str]]] = {
    "sigmoid": [
        ("activation_derivative_wrong_input", lambda z, a: z * (1 - z),
         "sigmoid' computed as z * (1 - z) on the pre-activation z (the formula a * (1 - a) needs a = sigmoid(z))"),
        ("activation_derivative_wrong_input", lambda z, a: _sig(a) * (1 - _sig(a)),
         "sigmoid' evaluated at a = sigmoid(z) instead of at z (the activation applied twice)"),
        ("wrong_activation_derivative", lambda z, a: 1 - a * a, "tanh's derivative 1 - a^2 used for a sigmoid layer"),
        ("wrong_activation_derivative", lambda z, a: a, "sigmoid' taken as a instead of a * (1 - a)"),
        ("wrong_activation_derivative", lambda z, a: 1 - a, "sigmoid' taken as 1 - a instead of a * (1 - a)"),
        ("missing_activation_derivative", lambda z, a: np.ones_like(z), "sigmoid' left out"),
        ("extra_activation_derivative", lambda z, a: (a * (1 - a)) ** 2, "sigmoid' applied twice"),
        ("wrong_activation_derivative", lambda z, a: (z > 0).astype(float), "a relu mask (z > 0) used for a sigmoid layer"),
    ],
    "tanh": [
        ("activation_derivative_wrong_input", lambda z, a: 1 - z * z,
         "tanh' computed as 1 - z^2 on the pre-activation z (the formula 1 - a^2 needs a = tanh(z))"),
        ("activation_derivative_wrong_input", lambda z, a: 1 - np.tanh(a) ** 2,
         "tanh' evaluated at a = tanh(z) instead of at z (the activation applied twice)"),
        ("wrong_activation_derivative", lambda z, a: a * (1 - a), "sigmoid's derivative a * (1 - a) used for a tanh layer"),
        ("wrong_activation_derivative", lambda z, a: 1 - a, "tanh' taken as 1 - a instead of 1 - a^2"),
        ("wrong_activation_derivative", lambda z, a: 1 / np.cosh(z), "tanh' taken as sech(z) instead of sech(z)^2"),
        ("missing_activation_derivative", lambda z, a: np.ones_like(z), "tanh' left out"),
        ("extra_activation_derivative", lambda z, a: (1 - a * a) ** 2, "tanh' applied twice"),
        ("wrong_activation_derivative", lambda z, a: (z > 0).astype(float), "a relu mask (z > 0) used for a tanh layer"),
    ],
    "relu": [
        ("wrong_activation_derivative", lambda z, a: a, "relu' taken as the activation a = max(z, 0) instead of the mask (z > 0)"),
        ("wrong_activation_derivative", lambda z, a: np.where(z > 0, 1.0, 0.01), "a leaky mask (slope 0.01) used for a relu layer"),
        # left out before inverted: where every z <= 0 the two give the same numbers, and leaving it out is commoner
        ("missing_activation_derivative", lambda z, a: np.ones_like(z), "relu' (the mask z > 0) left out"),
        ("wrong_activation_derivative", lambda z, a: (z <= 0).astype(float), "relu' mask inverted: (z <= 0) instead of (z > 0)"),
        ("wrong_activation_derivative", lambda z, a: a * (1 - a), "sigmoid's derivative a * (1 - a) used for a relu layer"),
        ("wrong_activation_derivative", lambda z, a: 1 - a * a, "tanh's derivative 1 - a^2 used for a relu layer"),
    ],
    "identity": [
        ("wrong_activation_derivative", lambda z, a: (z > 0).astype(float), "a relu mask used for a linear (identity) layer"),
        ("wrong_activation_derivative", lambda z, a: a * (1 - a), "sigmoid's derivative used for a linear (identity) layer"),
    ],
    "softmax": [],
}


def _leaky_mistakes(slope: float) -> list[tuple[str, Deriv, str]]:
    other = 0.01 if slope != 0.01 else 0.1
    return [
        ("wrong_activation_derivative", lambda z, a: (z > 0).astype(float), "a plain relu mask (slope 0) used for a leaky relu layer"),
        ("wrong_activation_derivative", lambda z, a: np.where(z > 0, 1.0, other),
         f"a leaky slope of {other:g} used in the backward pass, {slope:g} in the forward"),
        ("wrong_activation_derivative", lambda z, a: a, "the activation a used as its own derivative"),
        ("missing_activation_derivative", lambda z, a: np.ones_like(z), "leaky relu' left out"),
    ]


def derivative_mistakes(name: str) -> list[tuple[str, Deriv, str]]:
    """The catalogued wrong derivatives of activation ``name``: ``(kind, derivative(z, a), what was done)``."""
    slope = leaky_slope(name)
    if slope is not None:
        return _leaky_mistakes(slope)
    return DERIVATIVE_MISTAKES.get(base_activation(name), [])


@dataclass(frozen=True)
class Mistake:
    """One injected mistake: ``op`` says where it acts, ``layers`` at which layers (1-based).

    ``layer`` is the layer whose parameters it reaches first (what the user sees first).
    """

    kind: str
    op: str  # "deriv", "deriv_other", "upstream", "w_not_t", "w_other", "out", ...
    layers: tuple[int, ...]
    detail: str
    deriv: Deriv | None = None
    other: int = 0
    out_fn: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None
    lr: float = 0.0

    @property
    def layer(self) -> int:
        if self.op in ("w_not_t", "w_other", "w_updated"):
            return self.layers[0] - 1
        return max(self.layers)


def _softmax_ce_outs() -> list[tuple[str, Callable[[np.ndarray, np.ndarray], np.ndarray], str]]:
    return [
        ("softmax_backward_wrong", lambda a, Y: a - 1.0, "1 subtracted from every class's probability, not only the true class's"),
        ("softmax_backward_wrong", lambda a, Y: a, "the 1 of the true class never subtracted (dz = p instead of p - y)"),
        ("softmax_backward_wrong", lambda a, Y: -Y * (1 - a), "only the diagonal of the softmax Jacobian used: dz = dL/dp * p (1 - p)"),
        ("extra_activation_derivative", lambda a, Y: (a - Y) * a * (1 - a), "p (1 - p) multiplied on top of p - y, which already includes the softmax"),
    ]


def mistakes(arch: Arch, params: Mapping[str, np.ndarray]) -> Iterator[Mistake]:
    """Every catalogued mistake that can be injected into ``arch`` (top layers first)."""
    L = len(arch.layers)
    acts = arch.activations
    Ws = arch.weights(params)
    combined = (arch.loss, acts[-1]) in (("bce", "sigmoid"), ("softmax_ce", "softmax"))
    # derivative mistakes at one layer, top down
    for l in range(L, 0, -1):
        for kind, fn, detail in derivative_mistakes(acts[l - 1]):
            if l == L and combined and kind == "extra_activation_derivative":
                detail = f"{acts[-1]}' multiplied on top of a - y, which already includes it"
            yield Mistake(kind, "deriv", (l,), f"layer {l}: {detail}", fn)
        if l == L and acts[-1] == "softmax":
            if arch.loss == "softmax_ce":
                for kind, fn, detail in _softmax_ce_outs():
                    yield Mistake(kind, "out", (L,), f"output layer: {detail}", out_fn=fn)
            else:
                yield Mistake("softmax_backward_wrong", "deriv", (L,),
                              "output layer: only the diagonal p (1 - p) of the softmax Jacobian used",
                              lambda z, a: a * (1 - a))
        if l < L:
            yield Mistake("missing_upstream_gradient", "upstream", (l,),
                          f"layer {l}: dz = f'(z) without the delta coming from layer {l + 1}")
            yield Mistake("missing_upstream_gradient", "upstream_raw", (l,),
                          f"layer {l}: dz = f'(z) without the delta coming from layer {l + 1} (nor its 1/m)")
            # the derivative (a relu mask, a * (1 - a)) taken from another layer of the same width
            for k in range(L, 0, -1):
                if k != l and Ws[k - 1].shape[-1] == Ws[l - 1].shape[-1] and acts[l - 1] != "softmax":
                    yield Mistake("activation_derivative_wrong_input", "deriv_other", (l,),
                                  f"layer {l}: {base_activation(acts[l - 1])}' computed from layer {k}'s "
                                  f"pre-activation and activation instead of layer {l}'s own", other=k)
    # dropout: the mask (or its scaling) left out of the backward pass
    dropped = tuple(sorted((l for l in arch.dropout if 1 <= l < L), reverse=True))
    for group in [(l,) for l in dropped] + ([dropped] if len(dropped) >= 2 else []):
        names = ", ".join(str(g) for g in group)
        yield Mistake("dropout_backward_wrong", "drop_missing", group,
                      f"layer {names}: the dropout mask was not applied to the gradient in the backward pass")
        if arch.keep_prob != 1.0:
            yield Mistake("dropout_backward_wrong", "drop_unscaled", group,
                          f"layer {names}: the gradient was multiplied by the dropout mask but not divided by "
                          f"keep_prob = {arch.keep_prob:g}")
            yield Mistake("dropout_backward_wrong", "drop_unmasked", group,
                          f"layer {names}: the gradient was divided by keep_prob = {arch.keep_prob:g} but not "
                          f"multiplied by the dropout mask")
    # the same derivative mistake at every layer with that activation
    for group in _layer_groups(acts, L, combined):
        for kind, fn, detail in derivative_mistakes(acts[group[0] - 1]):
            names = ", ".join(str(g) for g in group)
            yield Mistake(kind, "deriv", group, f"layers {names}: {detail}", fn)
    # a weight gradient formed with other activations of the input's shape (this layer's output, another layer's)
    for l in range(L, 0, -1):
        for k in range(L, -1, -1):
            if k != l - 1 and Ws[l - 1].shape[0] == (Ws[k - 1].shape[-1] if k >= 1 else Ws[0].shape[0]):
                src = "the net's input X" if k == 0 else (f"layer {k}'s own output" if k == l else f"layer {k}'s activations")
                yield Mistake("weight_gradient_wrong_input", "dw_input", (l,),
                              f"layer {l}: dW formed with {src} instead of the layer's input "
                              f"({'X' if l == 1 else f'layer {l - 1} activations'})", other=k)
    # propagation through the wrong weights
    square = tuple(l for l in range(L, 1, -1) if Ws[l - 1].shape[0] == Ws[l - 1].shape[1])
    if len(square) >= 2:
        yield Mistake("weights_not_transposed", "w_not_t", square,
                      "the deltas were carried back with W instead of its transpose at every square layer "
                      f"({', '.join(arch.layers[l - 1][0] for l in square)})")
    if arch.input is not None and Ws[0].shape[0] == Ws[0].shape[1]:
        yield Mistake("weights_not_transposed", "w_not_t", (1,),
                      "the input's gradient was computed with W1 instead of its transpose")
    for l in range(L, 1, -1):
        W = Ws[l - 1]
        if W.shape[0] == W.shape[1]:
            yield Mistake("weights_not_transposed", "w_not_t", (l,),
                          f"the delta of layer {l} was carried into layer {l - 1} with {arch.layers[l - 1][0]} instead "
                          f"of its transpose")
        for k in range(1, L + 1):
            if k != l and Ws[k - 1].shape == W.shape:
                yield Mistake("wrong_weights_in_backprop", "w_other", (l,),
                              f"the delta of layer {l} was carried into layer {l - 1} with layer {k}'s weights "
                              f"instead of layer {l}'s", other=k)


def _layer_groups(acts: list[str], L: int, combined: bool) -> list[tuple[int, ...]]:
    groups: list[tuple[int, ...]] = []
    for name in dict.fromkeys(acts):
        hidden = tuple(l for l in range(1, L) if acts[l - 1] == name)
        every = tuple(l for l in range(1, L + 1) if acts[l - 1] == name)
        for g in (hidden, every):
            if len(g) >= 2 and g not in groups:
                groups.append(g)
    return groups


def backward(
    arch: Arch,
    params: Mapping[str, np.ndarray],
    X: np.ndarray,
    Y: np.ndarray,
    mistake: Mistake | None = None,
    *,
    l2: bool = True,
) -> list[tuple[np.ndarray, np.ndarray | None]]:
    """``[(dW, db), ...]`` per layer in rows form, with ``mistake`` injected (None: the true gradient).

    For a layer check (``arch.input`` set) one more entry ``(dX, None)`` follows: the input's gradient.
    """
    Ws, bs = arch.weights(params), arch.biases(params)
    L = len(Ws)
    m = X.shape[0]
    s = arch.scale
    mk = mistake
    with np.errstate(all="ignore"):
        zs, acts = forward_rows(arch, Ws, bs, X)

        def deriv(l: int) -> np.ndarray:
            z, a = zs[l - 1], acts[l]
            if l in arch.dropout:
                a = act(arch.activations[l - 1], z)  # before the mask
            if mk is not None and mk.op == "deriv" and l in mk.layers and mk.deriv is not None:
                return mk.deriv(z, a)
            if mk is not None and mk.op == "deriv_other" and l in mk.layers:
                return dact(arch.activations[l - 1], zs[mk.other - 1], acts[mk.other])
            return dact(arch.activations[l - 1], z, a)

        a = acts[L]
        out = arch.activations[-1]
        combined = (arch.loss, out) in (("bce", "sigmoid"), ("softmax_ce", "softmax"))
        if arch.loss == "linear":
            # a layer check: the scalar is sum(output * Y), not averaged
            if out == "softmax" and not (mk is not None and mk.op == "deriv" and L in mk.layers):
                dz = softmax_backward(a, s * Y)
            else:
                dz = s * Y * deriv(L)
        elif mk is not None and mk.op == "out":
            dz = s * mk.out_fn(a, Y) / m  # type: ignore[misc]
        elif combined and not (mk is not None and mk.op == "deriv" and L in mk.layers):
            dz = s * (a - Y) / m
        elif arch.loss == "bce":
            dz = s * (a - Y) / (a * (1 - a)) / m * deriv(L)
        elif arch.loss == "softmax_ce":
            dz = s * (-Y / a) / m * deriv(L)
        else:
            da = s * (a - Y) / m
            if out == "softmax" and not (mk is not None and mk.op == "deriv" and L in mk.layers):
                dz = softmax_backward(a, da)
            else:
                dz = da * deriv(L)
        grads: list[tuple[np.ndarray, np.ndarray | None]] = [None] * L  # type: ignore[list-item]
        for l in range(L, 0, -1):
            W = Ws[l - 1]
            if mk is not None and mk.op == "dw_input" and l in mk.layers:
                dW = acts[mk.other].T @ dz
            else:
                dW = acts[l - 1].T @ dz
            if l2 and arch.l2:
                dW = dW + arch.l2 * W
            grads[l - 1] = (dW, dz.sum(axis=0) if bs[l - 1] is not None else None)
            if l == 1:
                if arch.input is not None:
                    # a layer check: the input's gradient comes last, (dX, None)
                    dX = dz @ W if mk is not None and mk.op == "w_not_t" and 1 in mk.layers else dz @ W.T
                    grads.append((dX, None))
                break
            if mk is not None and mk.op == "w_not_t" and l in mk.layers:
                da = dz @ W
            elif mk is not None and mk.op == "w_other" and l in mk.layers:
                da = dz @ Ws[mk.other - 1].T
            elif mk is not None and mk.op == "w_updated" and l in mk.layers:
                da = dz @ (W - mk.lr * dW).T
            else:
                da = dz @ W.T
            drop = arch.mask_rows(l - 1)
            if drop is not None:
                if mk is not None and mk.op == "drop_missing" and (l - 1) in mk.layers:
                    pass
                elif mk is not None and mk.op == "drop_unscaled" and (l - 1) in mk.layers:
                    da = da * drop * arch.keep_prob
                elif mk is not None and mk.op == "drop_unmasked" and (l - 1) in mk.layers:
                    da = da / arch.keep_prob
                else:
                    da = da * drop
            d = deriv(l - 1)
            if mk is not None and mk.op in ("upstream", "upstream_raw") and (l - 1) in mk.layers:
                # the local derivative alone, under the batch convention of the rest of the pass
                # (divided by m where the loss is a mean: Nielsen's update and dW = dZ @ A.T / m both do),
                # or with no factor at all when the 1/m came with the upstream delta that was dropped
                dz = d * np.ones_like(da) * (s / m if mk.op == "upstream" else 1.0)
            else:
                dz = da * d
    return grads


def updated_weights(arch: Arch, L: int) -> Iterator[Mistake]:
    """Deltas carried back through weights already updated in this step (``lr`` still to be fitted).

    One layer at a time (top first), then every layer updated as soon as its gradient is known.
    """
    for l in range(L, 1, -1):
        yield Mistake("wrong_weights_in_backprop", "w_updated", (l,),
                      f"the delta of layer {l} was carried into layer {l - 1} through W{l} already updated "
                      f"(W{l} - lr * dW{l}) in this step")
    if L >= 3:
        yield Mistake("wrong_weights_in_backprop", "w_updated", tuple(range(L, 1, -1)),
                      "every layer's weights were updated (W -= lr * dW) before the delta was carried through them")


def _derivative_text(name: str) -> str:
    """The correct derivative of activation ``name`` as a numpy expression of Z and A."""
    slope = leaky_slope(name)
    if slope is not None:
        return f"np.where(Z > 0, 1, {slope:g})"
    return {"sigmoid": "A * (1 - A)", "tanh": "1 - A ** 2", "relu": "(Z > 0)", "identity": "1"}.get(name, f"{name}'(Z)")


def fix_for_mistake(mk: Mistake, arch: Arch) -> str | None:
    """A fix hint written for this mistake at its layers, in the net's own layout and names; None
    when the catalogue's general hint is as good.

    >>> from gradcheck.diagnosis.model.infer import Arch
    >>> arch = Arch(layers=[("W1", "b1"), ("W2", "b2")], layout="cols", activations=["tanh", "sigmoid"], loss="bce")
    >>> print(fix_for_mistake(Mistake("extra_activation_derivative", "deriv", (1,), ""), arch)[:36])
    Layer 1 multiplies by tanh'(Z) twice
    """
    L = len(arch.layers)
    cols = arch.layout == "cols"
    acts = arch.activations
    where = ", ".join(str(l) for l in mk.layers)
    layer = f"Layer {where}" if len(mk.layers) == 1 else f"Layers {where}"
    if arch.input is not None and L == 1:
        layer = "The layer"
    first = mk.layers[0]
    act_name = base_activation(acts[first - 1])
    deriv = _derivative_text(acts[first - 1])
    dA = "dA" if len(mk.layers) > 1 else f"dA{first}"

    def prop(l: int) -> str:
        """How the delta of layer l + 1 reaches layer l."""
        w = arch.layers[l][0] if l < L else "W_next"
        return f"{w}.T @ dZ{l + 1}" if cols else f"dZ{l + 1} @ {w}.T"

    if mk.kind == "extra_activation_derivative":
        if L not in mk.layers:
            verb = "multiplies" if len(mk.layers) == 1 else "multiply"
            return (f"{layer} {verb} by {act_name}'(Z) twice: use it once, dZ = {dA} * {deriv} with "
                    f"{dA} = {prop(first) if len(mk.layers) == 1 else 'the gradient coming from the layer above'} "
                    f"(look for a derivative applied both in an activation's backward and in the layer's).")
        return None  # the output case: the catalogue's dZ = A - Y hint is the one
    if mk.kind in ("activation_derivative_wrong_input", "wrong_activation_derivative", "missing_activation_derivative"):
        if act_name == "softmax":
            return None
        if act_name == "tanh" and mk.kind == "activation_derivative_wrong_input":
            return (f"{layer}: take tanh' at the right quantity: dZ = {dA} * (1 - A ** 2) with A = tanh(Z) "
                    f"(or 1 - np.tanh(Z) ** 2), not 1 - Z ** 2 and not 1 - tanh(A) ** 2.")
        if act_name == "sigmoid" and mk.kind == "activation_derivative_wrong_input":
            return (f"{layer}: take sigmoid' at the right quantity: dZ = {dA} * A * (1 - A) with A = sigmoid(Z) "
                    f"(or sigmoid(Z) * (1 - sigmoid(Z))), not Z * (1 - Z) and not sigmoid'(A).")
        extra = " (a relu's mask is Z > 0, or out > 0 on its output; out >= 0 is always true)" if act_name == "relu" else ""
        return f"{layer} ({acts[first - 1]}): dZ = {dA} * {deriv}{extra}."
    if mk.kind == "missing_upstream_gradient":
        return (f"Layer {first}: multiply the local derivative by the delta coming from layer {first + 1}: "
                f"dZ{first} = ({prop(first)}) * {deriv}, not dZ{first} = {deriv}.")
    if mk.kind == "weights_not_transposed":
        if mk.op == "w_not_t" and mk.layers == (1,) and arch.input is not None:
            w = arch.layers[0][0]
            return f"Pass the input's gradient through the transpose: dx = dout @ {w}.T (not dout @ {w})."
        if len(mk.layers) > 1:
            names = ", ".join(arch.layers[l - 1][0] for l in mk.layers)
            return (f"Carry every delta back through the transpose of the weights it came through ({names}): "
                    + ("dA_prev = W.T @ dZ, not W @ dZ." if cols else "dA_prev = dZ @ W.T, not dZ @ W."))
        if len(mk.layers) == 1:
            l = mk.layers[0]
            w = arch.layers[l - 1][0]
            good = f"{w}.T @ dZ{l}" if cols else f"dZ{l} @ {w}.T"
            bad = f"{w} @ dZ{l}" if cols else f"dZ{l} @ {w}"
            return f"Carry the delta of layer {l} into layer {l - 1} through the transpose: dA{l - 1} = {good}, not {bad}."
    return None
