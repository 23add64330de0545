"""A small, correct numpy multilayer perceptron: the reference every check can trust.

Dense layers, activations ``sigmoid``, ``tanh``, ``relu``, ``leaky_relu`` (slope
:data:`LEAKY_SLOPE`), ``identity`` and ``softmax`` (output layer), losses ``bce``,
``mse`` and ``softmax_ce``, optional L2, forward, backward and an SGD step.

Conventions (the same for both layouts):

- layout ``"rows"`` (examples are rows, as in cs231n): ``X`` is (m, n_in), ``W`` is
  (n_in, n_out), ``b`` is (n_out,); layout ``"cols"`` (examples are columns, as in
  the deeplearning.ai notes): ``X`` is (n_in, m), ``W`` is (n_out, n_in), ``b`` is (n_out, 1).
- every loss is averaged over the batch of m examples:
  ``bce = -mean(y log a + (1 - y) log(1 - a))`` (summed over output units),
  ``mse = mean over examples of 0.5 * ||a - y||^2``,
  ``softmax_ce = mean over examples of -log a[true class]`` (``y`` as integer labels or one-hot);
- L2 adds ``l2 / 2 * sum(W ** 2)`` over the weight matrices (not the biases), not divided by m.
  A course's ``lambd / (2 m) * sum(W ** 2)`` is ``l2 = lambd / m``.

A single activation name applies to the hidden layers; the output layer then gets
``sigmoid`` for ``bce``, ``softmax`` for ``softmax_ce`` and ``identity`` for ``mse``.
Pass a list (one name per layer) to choose every layer.

Example:
    >>> import numpy as np, gradcheck
    >>> from gradcheck.nn import MLP
    >>> net = MLP([2, 5, 5, 1], activations="sigmoid", loss="bce", layout="cols")
    >>> X, y = net.random_data(8, seed=1)
    >>> X.shape, y.shape, list(net.params)
    ((2, 8), (1, 8), ['W1', 'b1', 'W2', 'b2', 'W3', 'b3'])
    >>> gradcheck.check(net.problem(X, y)).ok
    True
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .diagnosis.model.dense import (
    ACTIVATIONS,
    LAYOUTS,
    LEAKY_SLOPE,
    LOSSES,
    DenseNet,
    activate,
    activation_derivative,
    backward,
    forward,
)
from .diagnosis.model.dense import loss as net_loss
from .problem import Problem

__all__ = [
    "ACTIVATIONS",
    "LAYOUTS",
    "LEAKY_SLOPE",
    "LOSSES",
    "MLP",
    "activate",
    "activation_derivative",
]

_DEFAULT_OUTPUT = {"bce": "sigmoid", "softmax_ce": "softmax", "mse": "identity"}


class MLP:
    """A dense feed-forward net with a correct forward pass, backward pass and SGD step.

    Args:
        widths: layer widths, input first, e.g. ``[2, 5, 5, 1]``.
        activations: one name for the hidden layers, or a list with one name per layer.
        loss: ``"bce"``, ``"mse"`` or ``"softmax_ce"`` (averaged over the batch).
        l2: L2 strength; the loss gains ``l2 / 2 * sum(W ** 2)``.
        layout: ``"rows"`` (X is (m, n_in)) or ``"cols"`` (X is (n_in, m)).
        seed: seeds the initial weights (normal, scaled by 1/sqrt(n_in)) and biases.
        dtype: the parameters' dtype.

    ``net.params`` holds ``W1, b1, W2, b2, ...`` in forward order: the very arrays the
    net computes with, so ``gradcheck.check(net.params, ...)`` perturbs what it uses.
    """

    def __init__(
        self,
        widths: Sequence[int],
        *,
        activations: str | Sequence[str] = "sigmoid",
        loss: str = "bce",
        l2: float = 0.0,
        layout: str = "rows",
        seed: int = 0,
        dtype: Any = np.float64,
    ) -> None:
        widths = [int(w) for w in widths]
        if len(widths) < 2 or any(w < 1 for w in widths):
            raise ValueError(f"widths must list at least two positive layer sizes, got {widths}")
        if loss not in LOSSES:
            raise ValueError(f"loss must be one of {LOSSES}, got {loss!r}")
        if layout not in LAYOUTS:
            raise ValueError(f"layout must be one of {LAYOUTS}, got {layout!r}")
        n_layers = len(widths) - 1
        if isinstance(activations, str):
            acts = [activations] * (n_layers - 1) + [_DEFAULT_OUTPUT[loss]]
        else:
            acts = list(activations)
        if len(acts) != n_layers:
            raise ValueError(f"{n_layers} layers need {n_layers} activations, got {len(acts)}: {acts}")
        for i, a in enumerate(acts):
            if a not in ACTIVATIONS:
                raise ValueError(f"unknown activation {a!r} for layer {i + 1}; expected one of {ACTIVATIONS}")
            if a == "softmax" and i != n_layers - 1:
                raise ValueError("softmax is supported on the output layer only")
        if loss == "softmax_ce" and acts[-1] != "softmax":
            raise ValueError("loss 'softmax_ce' needs a 'softmax' output activation")
        if loss == "bce" and acts[-1] not in ("sigmoid",):
            raise ValueError("loss 'bce' needs a 'sigmoid' output activation")
        self.widths = widths
        self.activations = acts
        self.loss_name = loss
        self.l2 = float(l2)
        self.layout = layout
        self.dtype = np.dtype(dtype)
        rng = np.random.default_rng(seed)
        self.params: dict[str, np.ndarray] = {}
        for i, (n_in, n_out) in enumerate(zip(widths[:-1], widths[1:]), start=1):
            W = rng.normal(0.0, 1.0 / np.sqrt(n_in), size=(n_in, n_out))
            b = rng.normal(0.0, 0.1, size=n_out)
            if layout == "cols":
                W, b = W.T.copy(), b.reshape(n_out, 1)
            self.params[f"W{i}"] = W.astype(self.dtype)
            self.params[f"b{i}"] = b.astype(self.dtype)

    # -- helpers -------------------------------------------------------------
    @property
    def n_layers(self) -> int:
        return len(self.widths) - 1

    @property
    def hint(self) -> dict[str, Any]:
        """The architecture hint the diagnosis understands (see :mod:`gradcheck.diagnosis`)."""
        return {"layout": self.layout, "activations": list(self.activations), "loss": self.loss_name, "l2": self.l2}

    def _rows_params(self) -> list[tuple[np.ndarray, np.ndarray]]:
        out = []
        for i in range(1, self.n_layers + 1):
            W, b = self.params[f"W{i}"], self.params[f"b{i}"]
            if self.layout == "cols":
                W, b = W.T, b.reshape(-1)
            out.append((W, b))
        return out

    def _rows_X(self, X: Any) -> np.ndarray:
        X = np.asarray(X)
        if X.ndim == 1:
            X = X.reshape(1, -1) if self.layout == "rows" else X.reshape(-1, 1)
        return X.T if self.layout == "cols" else X

    def _rows_y(self, y: Any, m: int) -> np.ndarray:
        """Targets as (m, n_out) floats (one-hot for softmax_ce)."""
        y = np.asarray(y)
        k = self.widths[-1]
        if self.loss_name == "softmax_ce" and (y.ndim == 1 or 1 in y.shape) and y.size == m and k > 1:
            labels = y.reshape(-1).astype(int)
            out = np.zeros((m, k), dtype=self.dtype)
            out[np.arange(m), labels] = 1.0
            return out
        if self.layout == "cols" and y.ndim == 2:
            y = y.T
        return y.reshape(m, k).astype(self.dtype, copy=False)

    def random_data(self, m: int, *, seed: int | None = 0) -> tuple[np.ndarray, np.ndarray]:
        """A batch ``(X, y)`` of m examples in this net's layout (labels for bce / softmax_ce)."""
        rng = np.random.default_rng(seed)
        n_in, k = self.widths[0], self.widths[-1]
        X = rng.normal(size=(m, n_in)).astype(self.dtype)
        if self.loss_name == "bce":
            y = (rng.random((m, k)) > 0.5).astype(self.dtype)
        elif self.loss_name == "softmax_ce":
            y = rng.integers(0, k, size=m)
            return (X.T.copy() if self.layout == "cols" else X), y
        else:
            y = rng.normal(size=(m, k)).astype(self.dtype)
        if self.layout == "cols":
            return X.T.copy(), y.T.copy()
        return X, y

    # -- forward -------------------------------------------------------------
    def _net(self) -> DenseNet:
        """This net in the rows form of :mod:`gradcheck.diagnosis.model.dense`, on the very arrays of ``params``."""
        Ws, bs = zip(*self._rows_params())
        return DenseNet(Ws=list(Ws), bs=list(bs), activations=list(self.activations), loss=self.loss_name, l2=self.l2)

    def _forward_rows(self, X: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
        return forward(self._net(), X)

    def forward(self, X: Any) -> np.ndarray:
        """The output activations, in this net's layout."""
        _, acts = self._forward_rows(self._rows_X(X))
        return acts[-1].T if self.layout == "cols" else acts[-1]

    def predict(self, X: Any) -> np.ndarray:
        """Class predictions for ``bce`` (0/1) and ``softmax_ce`` (labels), outputs for ``mse``."""
        out = self.forward(X)
        if self.loss_name == "bce":
            return (out > 0.5).astype(int)
        if self.loss_name == "softmax_ce":
            return out.argmax(axis=0 if self.layout == "cols" else 1)
        return out

    def loss(self, X: Any, y: Any) -> float:
        """The batch-averaged loss (plus the L2 penalty)."""
        Xr = self._rows_X(X)
        return net_loss(self._net(), Xr, self._rows_y(y, Xr.shape[0]))

    # -- backward ------------------------------------------------------------
    def gradients(self, X: Any, y: Any) -> dict[str, np.ndarray]:
        """The exact gradient of :meth:`loss`, by the names of ``params`` and in their shapes."""
        Xr = self._rows_X(X)
        grads: dict[str, np.ndarray] = {}
        for i, (dW, db) in enumerate(backward(self._net(), Xr, self._rows_y(y, Xr.shape[0])), start=1):
            if self.layout == "cols":
                dW, db = dW.T, db.reshape(-1, 1)  # type: ignore[union-attr]
            grads[f"W{i}"] = np.ascontiguousarray(dW, dtype=self.dtype)
            grads[f"b{i}"] = np.ascontiguousarray(db, dtype=self.dtype)
        return {name: grads[name] for name in self.params}

    def step(self, X: Any, y: Any, lr: float) -> float:
        """One SGD step in place; returns the loss before the step."""
        value = self.loss(X, y)
        for name, g in self.gradients(X, y).items():
            self.params[name] -= lr * g
        return value

    def problem(self, X: Any, y: Any) -> Problem:
        """A :class:`gradcheck.Problem` for this net on the batch ``(X, y)``, with data and hint."""
        return Problem(
            params=self.params,
            loss=lambda: self.loss(X, y),
            grads=lambda: self.gradients(X, y),
            data=(X, y),
            hint=self.hint,
            name=f"MLP{self.widths}",
        )
