"""The catalogued mistakes of a dense net's backward pass, each one small unit.

A mistake is a :class:`~.base.Mistake`: a :class:`~gradcheck.diagnosis.model.dense.Backprop` that
overrides the one step it gets wrong, with its kind (a catalogue id), the layers it acts at, what
was done (``detail``) and a fix written for the net (``fix(arch)``). :func:`mistakes` lists every
mistake that applies to a net, in the order the diagnosis tries them (the first that reproduces the
user's gradient is named); :func:`backward` recomputes the gradient with one injected.

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

from collections.abc import Iterator, Mapping

import numpy as np

from ..model.arch import Arch
from ..model.dense import CORRECT
from ..model.dense import backward as net_backward
from . import (
    derivative,
    dropout,
    overwritten_input,
    propagation,
    skip,
    softmax,
    softmax_axis,
    through_gradient,
    upstream,
    weight_input,
)
from .base import Mistake
from .propagation import updated_weights

__all__ = ["Mistake", "backward", "mistakes", "updated_weights"]


def mistakes(arch: Arch, params: Mapping[str, np.ndarray]) -> Iterator[Mistake]:
    """Every catalogued mistake that can be injected into ``arch``, in the order they are tried:
    each layer's own step top down, then the mistakes that span layers."""
    Ws = arch.weights(params)
    for l in range(len(arch.layers), 0, -1):
        yield from derivative.at_layer(arch, l)      # another function's derivative, at the wrong quantity, ...
        yield from softmax.at_layer(arch, l)         # the softmax output's delta
        yield from softmax_axis.at_layer(arch, l)    # the softmax backward along the examples axis
        yield from upstream.at_layer(arch, l)        # the local derivative without the delta from above
        yield from derivative.other_layer(arch, Ws, l)  # the derivative taken from another layer
    yield from dropout.candidates(arch)              # the mask or its scaling left out
    yield from skip.candidates(arch)                 # a residual block's skip path left out
    yield from derivative.groups(arch)               # one derivative mistake at every layer of an activation
    yield from weight_input.candidates(arch, Ws)     # dW formed with the wrong activations
    yield from overwritten_input.candidates(arch)    # dW formed with a cache its derivative overwrote
    yield from propagation.candidates(arch, Ws)      # W for W.T, another layer's weights
    yield from propagation.reshapes(arch, Ws)        # W.reshape(W.T.shape) for W.T
    yield from through_gradient.candidates(arch)     # the delta carried down through dW instead of W


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
    return net_backward(arch.net(params), X, Y, mistake or CORRECT, l2=l2)
