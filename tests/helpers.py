"""Helpers the tests import (``from helpers import ROOT, r_reference``); fixtures live
in ``conftest.py``, which pytest loads by itself and a test never imports."""

from __future__ import annotations

import json
from pathlib import Path

__all__ = ["ROOT", "R_FIXTURES", "r_reference"]

ROOT = Path(__file__).resolve().parents[1]
R_FIXTURES = ROOT / "tests" / "data" / "r"


def r_reference(name: str) -> dict:
    """Load a JSON fixture written by an R script in ``validation/r``."""
    return json.loads((R_FIXTURES / f"{name}.json").read_text())
