"""The catalogue of known backpropagation mistakes (placeholder until the diagnosis lands)."""

from __future__ import annotations


def fix_for(kind: str) -> str:
    return ""
