"""The catalogue of known backpropagation mistakes (``gradcheck bugs`` lists it).

The catalogue lives with the diagnosis, in :mod:`gradcheck.diagnosis.catalogue`; this module is
its public name.

Example:
    >>> from gradcheck.bugs import CATALOGUE, fix_for
    >>> CATALOGUE["missing_batch_mean"].title
    'gradient not divided by the batch size'
"""

from __future__ import annotations

from .diagnosis.catalogue import CATALOGUE, KINDS, Bug, fix_for, get

__all__ = ["Bug", "CATALOGUE", "KINDS", "fix_for", "get"]
