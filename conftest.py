"""Fixtures for everything pytest collects from the repository's root: the tests, the
doctests of ``recurrence/`` and the notebooks (``tests/conftest.py`` serves the tests
alone)."""

from __future__ import annotations

import sys

import pytest


@pytest.fixture(autouse=True)
def _close_figures():
    """Close the figures a test or a docstring example drew. A worker that runs many
    plotting doctests would otherwise pass matplotlib's 20 open figures and fail on its
    RuntimeWarning (warnings are errors)."""
    yield
    plt = sys.modules.get("matplotlib.pyplot")
    if plt is not None:
        plt.close("all")
