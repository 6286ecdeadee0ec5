"""Groups of the curve estimators from one grouping column or two (``by=["closure",
"approach"]``): one curve per combination, labelled ``"closure · PELD"``, ordered by the
first column's levels (reference first), then the second's."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from .._arms import group_labels
from .._validate import check_cohort
from ..errors import DataError, Problem
from ._data import SurvivalData, prepare

__all__ = ["SEPARATOR", "prepare_groups"]

#: Between the levels of the two columns in a group label.
SEPARATOR = " · "
_COMBINED = "__groups__"


def _order(labels) -> list[str]:
    """Levels as :func:`recurrence.survival._data.prepare` orders them."""
    return sorted(set(labels), key=lambda g: (g != "no closure", str(g)))


def prepare_groups(
    cohort: pd.DataFrame, by, *, strata: str | None = None
) -> tuple[SurvivalData, pd.DataFrame | None]:
    """:func:`~recurrence.survival._data.prepare` for ``by`` a column, ``None``, or a
    list of one or two columns; with two, also a frame with one row per group:
    ``group`` and the level of each column (what a plot needs for colours and line
    styles).

    Examples
    --------
    >>> from recurrence import load_cohort
    >>> data, levels = prepare_groups(load_cohort(), ["closure", "approach"])
    >>> data.groups[:2], list(levels.columns)
    (('no closure · MED', 'no closure · PELD'), ['group', 'closure', 'approach'])
    """
    if by is None or isinstance(by, str):
        return prepare(cohort, by, strata=strata), None
    cols = list(by)
    if len(cols) == 1:
        return prepare(cohort, cols[0], strata=strata), None
    if len(cols) != 2 or len(set(cols)) != 2 or not all(isinstance(c, str) for c in cols):
        raise DataError(
            Problem(
                f"by takes one grouping column or two different ones (got {by!r})",
                fix="e.g. by='closure' or by=['closure', 'approach']",
            )
        )
    check_cohort(cohort, uses=cols)
    absent = [c for c in cols if c not in cohort.columns]
    if absent:
        raise DataError(
            Problem(
                f"grouping column(s) {absent} are not in the cohort",
                fix=f"use some of {list(cohort.columns)}",
            )
        )
    parts = [group_labels(cohort[c], c).where(cohort[c].notna()) for c in cols]
    combined = (parts[0] + SEPARATOR + parts[1]).where(parts[0].notna() & parts[1].notna())
    frame = cohort.drop(columns=[_COMBINED], errors="ignore").assign(**{_COMBINED: combined})
    data = prepare(frame, _COMBINED, strata=strata)
    orders = [_order(p.dropna()) for p in parts]
    split = [g.split(SEPARATOR, 1) for g in data.groups]
    present = sorted(
        range(len(split)),
        key=lambda i: tuple(o.index(v) for o, v in zip(orders, split[i], strict=True)),
    )
    remap = np.empty(len(present), dtype=np.int64)
    remap[present] = np.arange(len(present))
    groups = tuple(data.groups[i] for i in present)
    levels = pd.DataFrame(
        {"group": list(groups), **{c: [split[i][k] for i in present] for k, c in enumerate(cols)}}
    )
    return dataclasses.replace(data, group=remap[data.group], groups=groups), levels
