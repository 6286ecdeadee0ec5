"""Shared fixtures. Tests run with warnings as errors (pyproject.toml)."""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib as mpl
import pandas as pd
import pytest

mpl.use("Agg")

ROOT = Path(__file__).resolve().parents[1]
R_FIXTURES = ROOT / "tests" / "data" / "r"


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


def r_reference(name: str) -> dict:
    """Load a JSON fixture written by an R script in ``validation/r``."""
    return json.loads((R_FIXTURES / f"{name}.json").read_text())


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
