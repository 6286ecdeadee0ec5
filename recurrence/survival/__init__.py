"""Survival analysis of a cohort table: Kaplan-Meier, log-rank, Cox, competing risks
(Aalen-Johansen, Gray, Fine-Gray), RMST and the headline reherniation rates.

Every function takes a cohort table (see :func:`recurrence.load_cohort`); ``by`` names
a grouping column (default ``"closure"``, ``None`` for the whole cohort); times are in
months. Submodules are imported on first use.
"""

from __future__ import annotations

import importlib

_LAZY = {
    "kaplan_meier": "recurrence.survival.km",
    "logrank": "recurrence.survival.logrank",
    "cumulative_incidence": "recurrence.survival.competing",
    "rmst": "recurrence.survival.rmst",
    "reherniation_rates": "recurrence.survival.rates",
    "cox": "recurrence.survival.cox",
    "cause_specific_cox": "recurrence.survival.cox",
    "fine_gray": "recurrence.survival.finegray",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str):
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'recurrence.survival' has no attribute {name!r}")


def __dir__():
    return __all__
