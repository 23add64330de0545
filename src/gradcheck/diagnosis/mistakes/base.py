"""The base of every catalogued mistake: a wrong step of the dense net's backward pass.

A mistake is a :class:`~gradcheck.diagnosis.model.dense.Backprop` that overrides the step it gets
wrong, with its ``kind`` (a catalogue id), the ``layers`` it acts at (1-based), a ``detail`` that
says what was done, and a ``fix`` written for the net it is found in.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..model.arch import Arch
from ..model.dense import Backprop

__all__ = ["Mistake"]


@dataclass(frozen=True)
class Mistake(Backprop):
    """One injected mistake. ``layer`` is the layer whose parameters it reaches first (what the user sees first)."""

    kind: str
    layers: tuple[int, ...]
    detail: str

    @property
    def layer(self) -> int:
        return max(self.layers)

    def formula(self, arch: Arch) -> str | None:
        """The right computation where the mistake sits, as a Python statement in ``arch``'s layout and
        names (see :mod:`.text`); None when the fix holds no formula of its own."""
        return None

    def fix(self, arch: Arch) -> str | None:
        """A fix written for this mistake in ``arch``'s layout and names; None: the catalogue's general one."""
        return None
