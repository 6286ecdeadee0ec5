"""Plots that read result objects (never a fitter's internals).

Each ``plot_*`` function takes a result, an optional ``ax`` and returns the Axes.
Importing this package changes no matplotlib setting; :func:`style` is opt-in.
"""

from __future__ import annotations

import importlib

from .style import PALETTE, style

_LAZY = {
    # survival
    "plot_cumulative_incidence": "recurrence.plotting.survival",
    "plot_survival": "recurrence.plotting.survival",
    "plot_reherniation_rates": "recurrence.plotting.survival",
    "plot_hazard_ratios": "recurrence.plotting.hazard",
    # interval-censored, parametric and cure models
    "plot_turnbull": "recurrence.plotting.interval",
    "plot_parametric": "recurrence.plotting.interval",
    "plot_cure": "recurrence.plotting.interval",
    # meta-analysis
    "plot_forest": "recurrence.plotting.forest",
    "plot_funnel": "recurrence.plotting.funnel",
    # literature range
    "plot_range": "recurrence.plotting.range",
}

__all__ = ["PALETTE", "style", *_LAZY]


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'recurrence.plotting' has no attribute {name!r}")
