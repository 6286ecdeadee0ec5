"""Trial design: sample size by formula and power by simulation of the planned analysis."""

from __future__ import annotations

import importlib

_LAZY = {
    "sample_size_proportions": "recurrence.design.analytic",
    "sample_size_survival": "recurrence.design.analytic",
    "events_for_hazard_ratio": "recurrence.design.analytic",
    "simulate_power": "recurrence.design.power",
    "analytic_power": "recurrence.design.power",
    "power_curve_data": "recurrence.design.power",
    "PowerResult": "recurrence.design.power",
    "SampleSize": "recurrence.design.analytic",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'recurrence.design' has no attribute {name!r}")
