"""Finding the data a net is checked on, beside it: ``X, y``, ``inputs, labels``,
``training_data``, ``init_toy_data()``; large data sets are cut to their first examples.

Example:
    >>> import numpy as np
    >>> from gradcheck.adapters._access import Source
    >>> (X, y), where = find_data(Source({"training_inputs": np.ones((100, 2)), "training_outputs": np.ones((100, 1))}))
    >>> X.shape, where
    ((64, 2), 'training_inputs, training_outputs (the first 64 of 100 examples)')
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..diagnosis.discover import candidate_pairs
from ._access import Source

__all__ = ["MAX_EXAMPLES", "find_data"]

#: Discovered data sets larger than this are cut to their first examples (a check needs few).
MAX_EXAMPLES = 64


def find_data(src: Source, limit: int | None = None) -> tuple[tuple[Any, Any] | None, str]:
    """``((X, y), "where it came from")`` from conventional names, or ``(None, "")``.

    The names are :func:`gradcheck.diagnosis.discover.candidate_pairs`' (the rules that also find the
    data a loss reads). Data sets larger than ``limit`` (default :data:`MAX_EXAMPLES`) are cut
    to their first examples (and the description says so).
    """
    limit = MAX_EXAMPLES if limit is None else int(limit)
    for data, names in candidate_pairs(src):
        return _cut(data, names, limit)
    return None, ""


def _cut(data: Any, where: str, limit: int = MAX_EXAMPLES) -> tuple[Any, str]:
    if isinstance(data, list):
        if len(data) > limit:
            return data[:limit], f"{where} (the first {limit} of {len(data)} examples)"
        return data, where
    X, y = data
    if not (isinstance(X, np.ndarray) and isinstance(y, np.ndarray)) or X.ndim < 2:
        return data, where
    if y.ndim >= 1 and y.shape[0] == X.shape[0] and X.shape[0] > limit:
        return (X[:limit], y[:limit]), f"{where} (the first {limit} of {X.shape[0]} examples)"
    if y.ndim >= 1 and y.shape[-1] == X.shape[-1] and X.shape[-1] > limit and y.shape[0] != X.shape[0]:
        return (X[..., :limit], y[..., :limit]), f"{where} (the first {limit} of {X.shape[-1]} examples)"
    return data, where
