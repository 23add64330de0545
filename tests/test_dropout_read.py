"""Reading a dropout mask off the loss tolerates a few values read across a relu kink; too many,
and no mask is read."""

from __future__ import annotations

import numpy as np

from gradcheck.diagnosis.model.dropout import MAX_UNREAD_SHARE, _keep_prob  # noqa: PLC2701 - the unit under test


def _masks(rng, unread):
    kept = rng.random((10, 6)) < 0.75
    masks = kept / 0.75
    idx = rng.choice(masks.size, size=unread, replace=False)
    masks.flat[idx] = rng.uniform(0.6, 0.9, size=unread)  # between 0 and 1/keep_prob: a kink's blur
    return kept, masks


def test_a_few_unreadable_values_are_rounded_and_keep_prob_read():
    kept, masks = _masks(np.random.default_rng(0), 3)
    found = _keep_prob(masks)
    assert found is not None and found[1] == 0.75


def test_many_unreadable_values_read_no_mask():
    _, masks = _masks(np.random.default_rng(1), int(MAX_UNREAD_SHARE * 60) + 3)
    assert _keep_prob(masks) is None
