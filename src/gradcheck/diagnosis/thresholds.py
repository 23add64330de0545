"""The diagnosis's thresholds, each with the reason for its value.

Every "close enough" of the diagnosis is one of these; no detector writes its own literal.

Example:
    >>> near(8.004, 8), near(8.1, 8)
    (True, False)
"""

from __future__ import annotations

__all__ = ["DELTA_RTOL", "DIFFERENCE_RTOL", "DIFFERS", "EXACT", "FACTOR_RTOL", "FIT_RTOL", "LOSS_RTOL", "LOW_PRECISION", "MAX_DELTA_CONDITION", "MIN_FACTOR", "PENALTY_RTOL",
           "RECOMPUTE_RTOL", "ROBUST_MIN_COUNT", "ROBUST_RTOL", "ROBUST_SHARE", "fit_rtol", "near", "recompute_rtol"]

#: A ratio analytic / numeric is "constant" when the least-squares fit leaves at most this relative
#: residual. Central differences in float64 are good to about 1e-8 relative, so a true constant
#: leaves ~1e-8; 1e-5 keeps three orders of margin and is still far below any real mismatch.
FIT_RTOL = 1e-5

#: How much looser every tolerance is for parameters below float64 (float32 differences are good to
#: about 1e-4, not 1e-8: 100x).
LOW_PRECISION = 100.0

#: A fitted factor ``c`` *is* a telling constant ``t`` (the batch size m, 1/m, -1, 2, 1/2, 1) when
#: ``|c - t| <= FACTOR_RTOL * |t|``. The fits it comes from leave at most FIT_RTOL (1e-3 in float32),
#: so a true constant is inside; two neighbouring batch sizes (m and m + 1) stay apart up to m = 1000.
FACTOR_RTOL = 1e-3

#: Factors smaller than this (relative to 1) are no factor at all: a gradient of zeros "fits" c = 0.
MIN_FACTOR = 1e-9

#: A constant shared by all but a few elements (finite differences across a relu kink are off on
#: their own elements) counts when at least ROBUST_SHARE of ROBUST_MIN_COUNT or more elements agree
#: with the median ratio within ROBUST_RTOL (10 elements: one kink in ten is already unusual).
ROBUST_SHARE = 0.9
ROBUST_MIN_COUNT = 10
ROBUST_RTOL = 1e-4

#: How closely a recomputed gradient (the exact one, or one under a catalogued mistake) must
#: reproduce the user's: both are computed in float64 from the same arrays, so only rounding
#: separates them (~1e-12); 1e-6 leaves room for a user's float64 code written another way.
RECOMPUTE_RTOL = 1e-6

#: A recomputed factor that is exactly 1 (or a penalty that is exactly the loss's): the recomputation
#: is exact, so this is only rounding.
EXACT = 1e-6

#: Two recomputed gradients differ when they are more than DIFFERS x RECOMPUTE_RTOL apart (a mistake
#: "reaches" a parameter only when it changes it by more than the tolerance of the fit).
DIFFERS = 10.0

#: A model of ``analytic - numeric`` (an L2 term ``c * param``, what a normalization's mean and
#: variance paths contribute) fits within this relative residual: the difference is measured against
#: finite differences, so it gets FIT_RTOL's margin times 100 for being smaller than the gradients.
DIFFERENCE_RTOL = 1e-3
PENALTY_RTOL = DIFFERENCE_RTOL

#: The output deltas (dL/dZ per example, :mod:`.model.output_delta`) are solved from the last layer's
#: gradients, so the finite differences' ~1e-8 relative error comes back amplified by the condition
#: number of that solve (at most MAX_DELTA_CONDITION = 1e4: ~1e-4); two deltas agree, and a delta is
#: zero, within DELTA_RTOL of the largest delta, ten times that.
DELTA_RTOL = 1e-3
MAX_DELTA_CONDITION = 1e4

#: How closely a candidate net's loss must equal the user's loss to be taken as the net behind it:
#: the same float64 formula written another way agrees to ~1e-12; 1e-6 tolerates a clipped log.
LOSS_RTOL = 1e-6


def fit_rtol(dtype: str) -> float:
    """:data:`FIT_RTOL` for a parameter of ``dtype`` (a name such as ``"float64"``)."""
    return FIT_RTOL if dtype == "float64" else LOW_PRECISION * FIT_RTOL


def recompute_rtol(low_precision: bool) -> float:
    """:data:`RECOMPUTE_RTOL`, looser for nets whose parameters are below float64."""
    return LOW_PRECISION * RECOMPUTE_RTOL if low_precision else RECOMPUTE_RTOL


def near(c: float, t: float) -> bool:
    """``c`` is the constant ``t`` (see :data:`FACTOR_RTOL`; around 0, within FACTOR_RTOL * 1e-3)."""
    return abs(c - t) <= FACTOR_RTOL * max(abs(t), 1e-3)
