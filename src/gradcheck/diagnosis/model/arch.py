"""The record of a standard dense net behind a user's arrays: :class:`Arch`.

It says how the user's arrays are laid out (examples as rows or columns, ``W`` as (n_in, n_out)
or (n_out, n_in)), which parameters form each layer, the activations and the loss; it converts
the user's arrays to the rows form of :mod:`.dense` and back.

Example:
    >>> import numpy as np
    >>> arch = Arch(layers=[("W1", "b1")], layout="cols", activations=["sigmoid"], loss="bce")
    >>> arch.net({"W1": np.ones((1, 3)), "b1": np.zeros((1, 1))}).Ws[0].shape
    (3, 1)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .dense import LAYOUTS, DenseNet

__all__ = ["Arch", "layouts", "matrix_shape"]


@dataclass
class Arch:
    """A standard dense net: how to read the user's arrays and what the loss is.

    ``scale`` multiplies the data term of :class:`gradcheck.nn.MLP`'s loss (1: mean over the
    batch; m: sum over the batch; 2: no 0.5 in an MSE), ``l2`` is the strength of a penalty
    ``l2 / 2 * sum(W ** 2)``. ``given`` says whether it came from a hint.
    """

    layers: list[tuple[str, str | None]]
    layout: str
    activations: list[str]
    loss: str
    scale: float = 1.0
    l2: float = 0.0
    given: bool = False
    notes: list[str] = field(default_factory=list)
    #: hidden layer (1-based) -> dropout mask in the user's layout; activations are
    #: multiplied by ``mask / keep_prob`` in the forward pass
    dropout: dict[int, np.ndarray] = field(default_factory=dict)
    keep_prob: float = 1.0
    #: "rows" or "cols" when the data hold the examples the other way than the weights
    #: (e.g. W as (n_out, n_in) with X as (m, n_in), the PyTorch convention); "" otherwise
    x_layout: str = ""
    #: a layer check: the parameter that is the layers' input (its gradient is checked too) ...
    input: str | None = None
    #: ... and the fixed weights ``R`` of the scalar ``sum(output * R)``, rows form (loss ``"linear"``)
    targets: np.ndarray | None = None
    #: hidden layer j -> the layer i < j whose output is added to j's (a residual connection; 0: the input)
    skips: dict[int, int] = field(default_factory=dict)

    def net(self, params: Mapping[str, np.ndarray]) -> DenseNet:
        """The net in rows form at the current values of ``params``."""
        masks = {l: m for l in self.dropout if (m := self.mask_rows(l)) is not None}
        return DenseNet(Ws=self.weights(params), bs=self.biases(params), activations=list(self.activations),
                        loss=self.loss, scale=self.scale, l2=self.l2, masks=masks, keep_prob=self.keep_prob,
                        with_input=self.input is not None, skips=dict(self.skips))

    def mask_rows(self, layer: int) -> np.ndarray | None:
        """The dropout factor ``mask / keep_prob`` of ``layer`` in rows form, or None."""
        mask = self.dropout.get(layer)
        if mask is None:
            return None
        mask = np.asarray(mask, dtype=np.float64)
        if mask.ndim == 2 and self.examples == "cols":
            mask = mask.T
        return mask / self.keep_prob

    # -- conversions to and from the rows form ---------------------------------
    def weights(self, params: Mapping[str, np.ndarray]) -> list[np.ndarray]:
        out = []
        for w, _ in self.layers:
            W = np.asarray(params[w], dtype=np.float64)
            if W.ndim == 1:
                out.append(W.reshape(-1, 1))
                continue
            out.append(W.T if self.layout == "cols" else W)
        return out

    def biases(self, params: Mapping[str, np.ndarray]) -> list[np.ndarray | None]:
        return [None if b is None else np.asarray(params[b], dtype=np.float64).reshape(-1) for _, b in self.layers]

    def to_rows(self, name: str, g: np.ndarray) -> np.ndarray:
        """A user's gradient of parameter ``name`` in rows form."""
        if name == self.input:
            return self.x_rows(g)
        if any(name == b for _, b in self.layers):
            return np.asarray(g, dtype=np.float64).reshape(-1)
        g = np.asarray(g, dtype=np.float64)
        if g.ndim == 1:
            return g.reshape(-1, 1)
        return g.T if self.layout == "cols" else g

    @property
    def examples(self) -> str:
        """How the data hold the examples: ``"rows"`` or ``"cols"`` (usually the weights' layout)."""
        return self.x_layout or self.layout

    def x_rows(self, X: Any) -> np.ndarray:
        X = np.asarray(X, dtype=np.float64)
        if X.ndim == 1:
            X = X.reshape(1, -1) if self.examples == "rows" else X.reshape(-1, 1)
        return X.T if self.examples == "cols" else X

    def y_rows(self, y: Any, m: int, k: int) -> np.ndarray:
        y = np.asarray(y)
        if self.loss == "softmax_ce" and k > 1 and y.size == m:
            labels = y.reshape(-1)
            if not np.allclose(labels, np.round(labels)) or labels.min() < 0 or labels.max() >= k:
                raise ValueError("labels out of range")
            Y = np.zeros((m, k))
            Y[np.arange(m), labels.astype(int)] = 1.0
            return Y
        y = y.astype(np.float64)
        if y.size != m * k:
            raise ValueError("targets do not match the output")
        if y.ndim == 2 and y.shape == (m, k) and (self.examples == "rows" or k != m):
            return y
        if y.ndim == 2 and y.shape == (k, m):
            return y.T.copy()
        if k == 1 or m == 1:
            return y.reshape(m, k)
        raise ValueError("cannot read the targets")

    def describe(self) -> str:
        acts = ", ".join(self.activations)
        if self.loss == "linear":
            what = "a dense layer" if len(self.layers) == 1 else f"a stack of {len(self.layers)} dense layers"
            return (f"{what} ({acts}; examples as {self.examples}), recognized from the layers' output "
                    f"through sum(output * R)")
        extra = ""
        if self.scale != 1.0:
            extra += f", data term x{self.scale:g}"
        if self.l2:
            extra += f", L2 {self.l2:g}"
        for j, i in sorted(self.skips.items()):
            extra += f", a skip connection adding {'the input' if i == 0 else f'layer {i} output'} to layer {j} output"
        if self.dropout:
            extra += f", dropout on layer {', '.join(str(l) for l in sorted(self.dropout))} (keep_prob {self.keep_prob:g})"
        src = "given as a hint" if self.given else "inferred from the parameter shapes, the data and the loss"
        where = f"examples as {self.examples}"
        if self.examples != self.layout:
            where += ", W as (n_out, n_in)" if self.layout == "cols" else ", W as (n_in, n_out)"
        return f"a dense net ({acts}; {self.loss} loss; {where}{extra}), {src}"


def layouts(layers, params, X) -> list[tuple[str, str]]:
    """(weight layout, example layout) pairs the shapes allow; matching layouts first."""
    X = np.asarray(X)
    out: list[tuple[str, str]] = []
    mixed: list[tuple[str, str]] = []
    for layout in LAYOUTS:
        shapes = [matrix_shape(np.shape(params[w]), layout) for w, _ in layers]
        ins = [s[0] if layout == "rows" else s[1] for s in shapes]
        outs = [s[1] if layout == "rows" else s[0] for s in shapes]
        if any(o != i for o, i in zip(outs[:-1], ins[1:])):
            continue
        if X.ndim == 2:
            orientations = [xl for xl in (layout, "cols" if layout == "rows" else "rows")
                            if (X.shape[1] if xl == "rows" else X.shape[0]) == ins[0]]
        elif X.ndim == 1 and X.shape[0] == ins[0]:
            orientations = [layout]
        else:
            continue
        if not orientations:
            continue
        ok = True
        for (_w, b), n in zip(layers, outs):
            if b is None:
                continue
            bs = tuple(np.shape(params[b]))
            if int(np.prod(bs)) != n:
                ok = False
        if ok:
            for xl in orientations:
                (out if xl == layout else mixed).append((layout, xl))
    return out + mixed


def matrix_shape(shape: tuple[int, ...], layout: str) -> tuple[int, int]:
    if len(shape) == 1:
        return (shape[0], 1) if layout == "rows" else (1, shape[0])
    return shape  # type: ignore[return-value]
