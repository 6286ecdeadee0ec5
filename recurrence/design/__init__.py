"""Trial design: sample size by formula and power by simulation of the planned analysis."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import attach

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

__all__ = [  # the keys of _LAZY (tests/test_architecture.py)
    "PowerResult",
    "SampleSize",
    "analytic_power",
    "events_for_hazard_ratio",
    "power_curve_data",
    "sample_size_proportions",
    "sample_size_survival",
    "simulate_power",
]

__getattr__, _ = attach(__name__, _LAZY, names=__all__)

if TYPE_CHECKING:  # pragma: no cover
    from .analytic import (
        SampleSize,
        events_for_hazard_ratio,
        sample_size_proportions,
        sample_size_survival,
    )
    from .power import PowerResult, analytic_power, power_curve_data, simulate_power
