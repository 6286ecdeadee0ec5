"""What of the cohort the report may print: free-text columns are neither covariates
nor subgroups, and rare categories are pooled (docs/data-protection.md)."""

from __future__ import annotations

import pandas as pd

from .plan import Plan

__all__ = ["printable"]


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
