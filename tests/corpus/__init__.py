"""User-style nets, correct and buggy, in five conventions, for evaluating the diagnosis.

Each case builds ``params``, ``loss``, ``grads`` (and ``data``) the way a user would hand
them to ``gradcheck.check``, and says which mistake it holds (``kind``) and the first wrong
parameter in backprop order (``first_wrong``); ``kind=None`` marks a correct net.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass
class Case:
    name: str
    convention: str
    kind: str | None
    first_wrong: str | None
    make: Callable[[], dict[str, Any]]
    hint: dict[str, Any] | None = field(default=None)


def grads_from_step(params: dict[str, np.ndarray], step: Callable[[], None], lr: float) -> dict[str, np.ndarray]:
    """The gradient a training step applied, ``(old - new) / lr``; the parameters are put back."""
    old = {k: v.copy() for k, v in params.items()}
    try:
        step()
        return {k: (old[k] - params[k]) / lr for k in params}
    finally:
        for k, v in params.items():
            np.copyto(v, old[k])


def all_cases() -> list[Case]:
    from . import cs231n_style, dlai_style, functions_style, nielsen_style, seed_style

    cases: list[Case] = []
    for mod in (seed_style, cs231n_style, nielsen_style, dlai_style, functions_style):
        cases.extend(mod.CASES)
    return cases
