"""Shared fixtures. Tests run with warnings as errors (pyproject.toml)."""

from __future__ import annotations

from pathlib import Path

import matplotlib as mpl
import pandas as pd
import pytest
from helpers import ROOT

mpl.use("Agg")


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture()
def tiny_cohort() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "patient_id": ["a", "b", "c", "d"],
            "closure": [True, False, True, False],
            "time": [3.0, 12.5, 24.0, 6.0],
            "event": [1, 0, 2, 1],
        }
    )
