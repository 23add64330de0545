"""Watching the loss during a check: it must give the same value at the same point, and leave the parameters alone.

Two calls at the start (in :func:`gradcheck.check`) catch a loss that changes at once. A loss that
changes later (a hidden call counter, a cache that fills, a running average, a write into a
parameter after its tenth call) would spoil every finite difference after that point without a
word. :class:`Watch` re-evaluates the loss at the starting point every :data:`PROBE_EVERY_EVALS`
evaluations of a long check and once at the end, and compares the value bit for bit with the
first; at the end it also compares every parameter with its saved copy. The probes run between
chunks of the element loop, when every element holds its starting value, so they cost nothing
per element.

Example:
    >>> import numpy as np
    >>> w = np.array([1.0])
    >>> calls = []
    >>> def loss():
    ...     calls.append(1)
    ...     return float(w @ w) + (1e-9 if len(calls) > 3 else 0.0)   # drifts after 3 calls
    >>> watch = Watch(loss, loss(), {"w": w}, {"w": w.copy()})
    >>> loss(), loss()
    (1.0, 1.0)
    >>> try:
    ...     watch.finish()
    ... except RuntimeError as e:
    ...     print(type(e).__name__)
    NondeterministicLossError
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from .errors import InvalidParameterError, NondeterministicLossError
from .problem import same_bits

__all__ = ["PROBE_EVERY_EVALS", "Watch"]

#: a long check re-evaluates the loss at the starting point after about this many evaluations:
#: a drift is caught within seconds of a fast loss, at a cost of 1 evaluation in 20,000
PROBE_EVERY_EVALS = 20_000


class Watch:
    """Counts the work of a check (and reports it to ``progress``) and probes the loss as it goes.

    Args:
        loss: the user's loss; ``f0`` its value at the starting point.
        arrays: the arrays the check perturbs; ``reference``: their bits at the start.
        progress: ``tick(k)`` to forward element counts to, or None.
        per_element: loss evaluations per element of the method (2 for central).
        probing: False where a probe cannot be compared (complex step holds a complex copy).
    """

    def __init__(
        self,
        loss: Callable[[], Any],
        f0: float,
        arrays: Mapping[str, np.ndarray],
        reference: Mapping[str, np.ndarray],
        progress: Callable[[float], None] | None = None,
        *,
        per_element: int = 2,
        probing: bool = True,
    ) -> None:
        self.loss = loss
        self.f0 = f0
        self.arrays = arrays
        self.reference = reference
        self.progress = progress
        self.per_element = per_element
        self.probing = probing
        self.since = 0.0
        self.evaluations = 0.0
        self.n_probes = 0

    def tick(self, k: float) -> None:
        """``k`` more elements are done and every element holds its starting value again."""
        if self.progress is not None:
            self.progress(k)
        self.since += k * self.per_element
        if self.probing and self.since >= PROBE_EVERY_EVALS:
            self.probe("during the check")

    def probe(self, when: str) -> None:
        """Evaluate the loss at the starting point; raise when it is not the first value, bit for bit."""
        self.evaluations += self.since
        self.since = 0.0
        self.n_probes += 1
        value = self.loss()
        try:
            f = float(np.asarray(value).reshape(()))
        except (TypeError, ValueError):
            f = math.nan
        if f == self.f0 and math.copysign(1.0, f) == math.copysign(1.0, self.f0):
            return
        raise NondeterministicLossError(
            f"loss() returned {self.f0!r} at the starting parameters, and {value!r} there again {when} (after about "
            f"{int(self.evaluations):,} evaluations): the loss changes as it is called (a hidden call counter, a "
            f"cache that fills, a running average, a random draw), so the finite differences measure that change, "
            f"not the gradient. Make loss() a pure function of the parameters."
        )

    def finish(self) -> None:
        """At the end: no parameter written to, and the loss still gives its first value."""
        changed = [n for n, p in self.arrays.items() if not same_bits(p, self.reference[n])]
        if changed:
            raise InvalidParameterError(
                f"parameter {changed[0]!r} changed during the check, after the first calls of loss() and grads(): "
                f"your loss writes into the parameters (a training step, an in-place update after some calls). "
                f"It must only read them; for a net whose gradient lives in its training step, use "
                f"gradcheck.adapters.from_train_step."
            )
        self.probe("at the end of the check")
