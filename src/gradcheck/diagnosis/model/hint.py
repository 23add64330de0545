"""The architecture hint (a dict, see :mod:`gradcheck.diagnosis`) with canonical names.

Example:
    >>> normalize_hint({"loss": "log_loss", "activations": "ReLU"})
    {'loss': 'bce', 'activations': 'relu'}
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

__all__ = ["dropout_hint", "normalize_hint"]


def dropout_hint(hint: Mapping[str, Any]) -> tuple[dict[int, np.ndarray], float]:
    raw = hint.get("dropout")
    if not raw:
        return {}, 1.0
    if isinstance(raw, Mapping):
        masks = {int(k): np.asarray(v) for k, v in raw.items()}
    else:
        masks = {i: np.asarray(v) for i, v in enumerate(raw, start=1) if v is not None}
    return masks, float(hint.get("keep_prob", 1.0))


_LOSS_ALIASES = {
    "bce": "bce", "binary_cross_entropy": "bce", "binary_crossentropy": "bce", "log_loss": "bce",
    "logloss": "bce", "cross_entropy_binary": "bce",
    "mse": "mse", "mean_squared_error": "mse", "quadratic": "mse", "l2": "mse", "squared_error": "mse",
    "softmax_ce": "softmax_ce", "ce": "softmax_ce", "cross_entropy": "softmax_ce",
    "categorical_cross_entropy": "softmax_ce", "categorical_crossentropy": "softmax_ce",
    "softmax_cross_entropy": "softmax_ce", "nll": "softmax_ce",
}
_ACT_ALIASES = {"linear": "identity", "none": "identity", "logistic": "sigmoid", "leaky": "leaky_relu",
                "leakyrelu": "leaky_relu", "lrelu": "leaky_relu", "hard_tanh": "hardtanh", "absolute": "abs"}


def normalize_hint(hint: Any) -> dict[str, Any]:
    """The hint as a dict with canonical names (``"ReLU"`` -> ``"relu"``, ``"cross_entropy"`` -> ``"softmax_ce"``).

    >>> normalize_hint({"activations": ["ReLU", "Sigmoid"], "loss": "binary_cross_entropy", "layout": "Cols"})
    {'activations': ['relu', 'sigmoid'], 'loss': 'bce', 'layout': 'cols'}
    """
    if not isinstance(hint, Mapping):
        return {}
    out = dict(hint)

    def one(name: Any) -> Any:
        if not isinstance(name, str):
            return name
        key = name.strip().lower().replace("-", "_").replace(" ", "_")
        return _ACT_ALIASES.get(key, key)

    acts = out.get("activations")
    if isinstance(acts, str):
        out["activations"] = one(acts)
    elif isinstance(acts, (list, tuple)):
        out["activations"] = [one(a) for a in acts]
    loss = out.get("loss")
    if isinstance(loss, str):
        key = loss.strip().lower().replace("-", "_").replace(" ", "_")
        out["loss"] = _LOSS_ALIASES.get(key, key)
    layout = out.get("layout")
    if isinstance(layout, str):
        key = layout.strip().lower()
        out["layout"] = {"row": "rows", "columns": "cols", "col": "cols", "column": "cols"}.get(key, key)
    return out
