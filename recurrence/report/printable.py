"""What of the cohort the report may print: free-text columns are neither covariates
nor subgroups, and rare categories are pooled (docs/data-protection.md); and the
cohort in the order its analyses read it (by time)."""

from __future__ import annotations

import pandas as pd

from .plan import Plan

__all__ = ["as_given", "in_time_order", "printable"]


def printable(cohort, plan: Plan, notes: list):
    """The cohort and plan as the report may print them: a free-text column is neither
    a covariate nor a subgroup (its values would be printed as model terms and levels),
    and a category held by fewer than max(2, min_cell) patients is pooled as "other"."""
    from dataclasses import replace

    from .._privacy import OTHER, free_text_reason

    pool = max(2, plan.min_cell or 0)
    keep = {}
    changed = {}
    for key in ("covariates", "subgroups"):
        names = []
        for col in getattr(plan, key) or ():
            if col in cohort.columns and free_text_reason(cohort[col]) is not None:
                notes.append(f"'{col}' holds free text: left out of the {key}; never printed.")
                continue
            names.append(col)
        keep[key] = tuple(names)
    for col in set(keep["covariates"]) | set(keep["subgroups"]):
        s = cohort[col]
        if pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s):
            continue
        counts = s.value_counts()
        rare = counts.index[counts < pool]
        if len(rare):
            changed[col] = s.where(~s.isin(rare), OTHER)
            notes.append(
                f"{col}: {len(rare)} categor{'y' if len(rare) == 1 else 'ies'} held by fewer "
                f"than {pool} patients pooled as '{OTHER}' in the models and subgroups."
            )
    if changed:
        cohort = cohort.assign(**changed)
    return cohort, replace(plan, covariates=keep["covariates"], subgroups=keep["subgroups"])


def in_time_order(cohort: pd.DataFrame) -> pd.DataFrame:
    """The patients sorted by time (stable; the index keeps each patient's row label).

    Every survival analysis of the report sorts its patients by time, many more than
    once (Kaplan-Meier, Cox, Fine-Gray, concordance, the subgroups' models: 53 sorts of
    a 5M cohort took 12.8 s): sorted once here (:func:`recurrence.survival._data.
    time_order`). The numbers are those of the unsorted table but for sums taken in
    another order (1e-15), except where a seeded draw picks patients by position (the
    bootstrap, multiple imputation): those read :func:`as_given`.
    """
    from ..survival._data import time_order

    order = time_order(cohort)
    return cohort if order is None else cohort.take(order)


def as_given(cohort: pd.DataFrame) -> pd.DataFrame:
    """The patients back in the table's own order (the loader's row labels 0..n-1), for
    the analyses whose seeded draws pick patients by position: Turnbull's bootstrap and
    multiple imputation give the report the numbers the same call gives on the table."""
    return cohort if cohort.index.is_monotonic_increasing else cohort.sort_index()
