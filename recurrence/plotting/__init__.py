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
    "plot_risk_difference": "recurrence.plotting.absolute",
    "plot_adjusted_incidence": "recurrence.plotting.adjusted",
    "plot_balance": "recurrence.plotting.balance",
    "plot_subgroups": "recurrence.plotting.subgroups",
    "plot_curve_facets": "recurrence.plotting.facets",
    # interval-censored, parametric and cure models
    "plot_turnbull": "recurrence.plotting.interval",
    "plot_parametric": "recurrence.plotting.interval",
    "plot_cure": "recurrence.plotting.interval",
    # meta-analysis
    "plot_forest": "recurrence.plotting.forest",
    "plot_funnel": "recurrence.plotting.funnel",
    "plot_rob": "recurrence.plotting.rob",
    "plot_rob_summary": "recurrence.plotting.rob",
    "plot_sensitivity": "recurrence.plotting.sensitivity",
    "plot_sequential": "recurrence.plotting.sequential",
    "plot_tau_posterior": "recurrence.plotting.bayes",
    "plot_many": "recurrence.plotting.many",
    # literature range
    "plot_range": "recurrence.plotting.range",
    # trial design
    "plot_power": "recurrence.plotting.design",
    "plot_sample_size": "recurrence.plotting.design",
}

__all__ = ["PALETTE", "style", *_LAZY]


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'recurrence.plotting' has no attribute {name!r}")
