"""The ground truth of TRUTH.py, checked with finite differences of our own (no gradcheck).

Each buggy factory is right at its default configuration and wrong at its revealing one;
each correct factory is right at five random configurations of its keywords.
"""

from __future__ import annotations

import inspect

import numpy as np
import pytest

from tests.search_factories.TRUTH import BUGGY, CORRECT
from tests.truth_fd import wrong_parameters

#: Random configurations tried per correct factory.
N_CONFIGS = 5


def _wrong_at(factory, **config):
    made = factory(**config)
    assert set(made) >= {"params", "loss", "grads"}
    return wrong_parameters(made["params"], made["loss"], made["grads"])


def test_enough_factories_each_behind_its_own_setting():
    assert len(BUGGY) >= 22 and len(CORRECT) >= 5
    assert len({f.setting for f in BUGGY}) >= 20


@pytest.mark.parametrize("factory", BUGGY, ids=lambda f: f.name)
def test_buggy_factory_hides_at_its_default_and_shows_at_its_reveal(factory):
    accepted = inspect.signature(factory.fn).parameters
    assert set(factory.keywords) <= set(accepted)
    assert all(p.default is not inspect.Parameter.empty for p in accepted.values())
    assert _wrong_at(factory.fn) == set(), "the mistake shows at the default configuration"
    assert _wrong_at(factory.fn, **factory.reveal), f"the mistake does not show at {factory.reveal}"


#: Keywords naming a batch size: the smallest batch (1) hides what a mean over the batch gets wrong.
BATCH_KEYWORDS = ("batch_size", "n_samples", "N", "m")


@pytest.mark.parametrize("factory", BUGGY, ids=lambda f: f.name)
def test_each_revealing_keyword_is_needed(factory):
    """Any one keyword of the revealing configuration put back where it hides (its default,
    or 1 for a batch size) hides the mistake again."""
    defaults = {k: p.default for k, p in inspect.signature(factory.fn).parameters.items()}
    for key in factory.keywords:
        if key == "X" or (key == "widths" and "X" in factory.reveal):
            continue
        config = {**factory.reveal, key: 1 if key in BATCH_KEYWORDS else defaults[key]}
        assert _wrong_at(factory.fn, **config) == set(), f"{factory.name} still wrong at {config}"


@pytest.mark.parametrize("factory", CORRECT, ids=lambda f: f.name)
def test_correct_factory_is_right_at_random_configurations(factory):
    rng = np.random.default_rng(0)
    for _ in range(N_CONFIGS):
        config = {k: values[rng.integers(len(values))] for k, values in factory.space.items()}
        assert _wrong_at(factory.fn, **config) == set(), f"{factory.name} wrong at {config}"
