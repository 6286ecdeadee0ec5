"""Shared fixtures. Tests run with warnings as errors (pyproject.toml)."""

from __future__ import annotations

import os

# One BLAS thread per process, set before numpy is first imported (pytest loads this
# file before collecting, and xdist's workers inherit the environment). The suite runs
# as two xdist workers on two cores: OpenBLAS's own threads would then spin against
# each other and the other worker, which made small least-squares fits (the
# imputation models) 8× slower in CPU time on a loaded machine. Results do not depend
# on it (every test compares with a tolerance or within one process).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

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
