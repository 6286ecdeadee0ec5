"""Plots that read result objects (never a fitter's internals).

Each ``plot_*`` function takes a result, an optional ``ax`` and returns the Axes.
Importing this package changes no matplotlib setting; :func:`style` is opt-in.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import attach
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

__all__ = [  # the keys of _LAZY (tests/test_architecture.py)
    "PALETTE",
    "plot_adjusted_incidence",
    "plot_balance",
    "plot_cumulative_incidence",
    "plot_cure",
    "plot_curve_facets",
    "plot_forest",
    "plot_funnel",
    "plot_hazard_ratios",
    "plot_many",
    "plot_parametric",
    "plot_power",
    "plot_range",
    "plot_reherniation_rates",
    "plot_risk_difference",
    "plot_rob",
    "plot_rob_summary",
    "plot_sample_size",
    "plot_sensitivity",
    "plot_sequential",
    "plot_subgroups",
    "plot_survival",
    "plot_tau_posterior",
    "plot_turnbull",
    "style",
]

__getattr__, _ = attach(__name__, _LAZY, names=__all__)

if TYPE_CHECKING:  # pragma: no cover
    from .absolute import plot_risk_difference
    from .adjusted import plot_adjusted_incidence
    from .balance import plot_balance
    from .bayes import plot_tau_posterior
    from .design import plot_power, plot_sample_size
    from .facets import plot_curve_facets
    from .forest import plot_forest
    from .funnel import plot_funnel
    from .hazard import plot_hazard_ratios
    from .interval import plot_cure, plot_parametric, plot_turnbull
    from .many import plot_many
    from .range import plot_range
    from .rob import plot_rob, plot_rob_summary
    from .sensitivity import plot_sensitivity
    from .sequential import plot_sequential
    from .subgroups import plot_subgroups
    from .survival import plot_cumulative_incidence, plot_reherniation_rates, plot_survival
