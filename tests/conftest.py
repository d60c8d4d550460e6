"""Shared fixtures: a seeded generator and small float64 problems for gradient checks.

Property-based tests draw their examples deterministically (the profile below), so the
suite gives the same verdict on every run and every machine: a red CI means a change
broke something, never that Hypothesis found a new corner this time. To search for new
corners on purpose, run `HYPOTHESIS_PROFILE=explore pytest tests`, and turn what it
finds into a pinned test.
"""

import os

import numpy as np
import pytest
from hypothesis import settings

settings.register_profile("deterministic", derandomize=True, database=None, print_blob=True)
settings.register_profile("explore", derandomize=False, database=None, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "deterministic"))


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(1234)
