"""Cohort rows as censoring intervals: what Turnbull, the parametric and the cure models
read.

A reherniation seen on imaging lies between the last clean scan and the scan that found
it: the optional column ``time_left`` (months) holds the last clean scan, and a row with
``event == 1`` and ``time_left`` given says the event lies in (``time_left``, ``time``].
``event == 1`` without ``time_left`` is an event observed on its day; anything else is
right-censored at ``time`` (a competing event, event 2, censors as in Kaplan-Meier).
The column is checked here as well as by the loader, because a DataFrame may reach the
estimators without passing through :func:`recurrence.load_cohort`.

Every row becomes a ``(left, right, kind)`` triple with R's codes of ``Surv(type =
"interval")``: kind 0 right-censored (``left`` = time, ``right`` = inf), 1 exact
(``left`` = ``right`` = time), 3 interval-censored (``left`` = time_left, ``right`` =
time; ``left`` may be 0: before the first scan).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import DataError, Problem
from ._data import design_matrix, prepare

__all__ = ["EXACT", "INTERVAL", "RIGHT", "IntervalData", "interval_data"]

RIGHT, EXACT, INTERVAL = 0, 1, 3
#: How many offending rows a message lists.
ROWS_SHOWN = 50


@dataclass(frozen=True)
class IntervalData:
    """Censoring intervals of the rows used, in the cohort's order (not sorted)."""

    left: np.ndarray
    right: np.ndarray
    kind: np.ndarray
    group: np.ndarray
    groups: tuple[str, ...]
    x: np.ndarray
    terms: tuple[str, ...]
    dropped: int
    remarks: tuple[str, ...]

    @property
    def n(self) -> int:
        return len(self.kind)

    @property
    def interval_censored(self) -> bool:
        """Whether any row is interval-censored."""
        return bool((self.kind == INTERVAL).any())

    def subset(self, rows) -> IntervalData:
        """The rows ``rows`` (an index or mask) only."""
        return IntervalData(
            left=self.left[rows],
            right=self.right[rows],
            kind=self.kind[rows],
            group=self.group[rows],
            groups=self.groups,
            x=self.x[rows],
            terms=self.terms,
            dropped=self.dropped,
            remarks=self.remarks,
        )


def _rows(mask: np.ndarray) -> tuple[int, ...]:
    return tuple(int(i) + 1 for i in np.flatnonzero(mask)[:ROWS_SHOWN])


def _number(value) -> float:
    """A number from text ("12.5", "12,5"), NaN if it is not one. ``float`` rounds
    correctly (pandas' fast text parser may miss the last bit)."""
    if value is None or value is pd.NA:
        return np.nan
    try:
        return float(str(value).strip().replace(",", "."))
    except ValueError:
        return np.nan


def checked_time_left(cohort: pd.DataFrame) -> np.ndarray | None:
    """The ``time_left`` column as floats (NaN where empty), checked against ``time`` and
    ``event``; ``None`` when the cohort has no such column. Every problem is reported at
    once in a :class:`~recurrence.DataError`.

    Examples
    --------
    >>> df = pd.DataFrame({"time": [6.0, 12.0, 3.0], "event": [1, 0, 1],
    ...                    "time_left": [3.0, None, 3.0]})
    >>> checked_time_left(df.iloc[:2]).tolist()
    [3.0, nan]
    >>> try:
    ...     checked_time_left(df)
    ... except DataError as err:
    ...     print(err.problems[0].describe())
    column 'time_left', row 3: must be before time (the scan that found the reherniation) \
(found 3.0). Fix: time_left is the last scan without reherniation; leave it empty if the \
day of the event is known
    """
    if "time_left" not in cohort.columns:
        return None
    raw = cohort["time_left"]
    if pd.api.types.is_bool_dtype(raw):
        values = pd.Series(np.nan, index=raw.index)
        unreadable = raw.notna().to_numpy()
    elif pd.api.types.is_numeric_dtype(raw):
        values = raw.astype(float)
        unreadable = np.zeros(len(raw), dtype=bool)
    else:  # text (a file read before the loader knew the column): Python's exact parser
        values = raw.map(_number)
        unreadable = (values.isna() & raw.notna() & (raw.astype(str).str.strip() != "")).to_numpy()
    left = values.to_numpy(dtype=float, na_value=np.nan)
    time = np.asarray(cohort["time"], dtype=float)
    event = np.asarray(cohort["event"])
    given = ~np.isnan(left)
    problems = []

    def flag(mask, message, values, fix):
        if mask.any():
            problems.append(
                Problem(
                    message,
                    column="time_left",
                    rows=_rows(mask),
                    values=tuple(values[mask][:5].tolist()),
                    fix=fix,
                )
            )

    flag(
        unreadable,
        "is not a number of months",
        raw.to_numpy(dtype=object),
        "time_left is the last scan without reherniation, in months after surgery",
    )
    flag(
        given & (~np.isfinite(left) | (left < 0)),
        "must be a finite number of months ≥ 0",
        left,
        "0 means the reherniation was found at the first scan",
    )
    flag(
        given & (event != 1),
        "is given for a patient without reherniation (event is not 1)",
        event,
        "leave time_left empty for censored patients and competing events: "
        "time is then the last follow-up",
    )
    flag(
        given & np.isfinite(left) & (left >= 0) & (left >= time),
        "must be before time (the scan that found the reherniation)",
        left,
        "time_left is the last scan without reherniation; leave it empty if "
        "the day of the event is known",
    )
    if problems:
        raise DataError(problems, source="cohort", loading=False)
    return left


def interval_data(cohort: pd.DataFrame, by: str | None = None, covariates=()) -> IntervalData:
    """Censoring intervals, groups and covariates of the rows an analysis can use.

    Rows with a missing ``by`` or covariate value are left out (a remark says how many),
    as everywhere in :mod:`recurrence.survival`.

    Examples
    --------
    >>> df = pd.DataFrame({"closure": [True, False, True], "time": [6.0, 12.0, 4.0],
    ...                    "event": [1, 0, 1], "time_left": [3.0, None, None]})
    >>> d = interval_data(df, "closure")
    >>> d.left.tolist(), d.right.tolist(), d.kind.tolist()
    ([3.0, 12.0, 4.0], [6.0, inf, 4.0], [3, 0, 1])
    """
    covariates = list(covariates)
    data = prepare(cohort, by)  # checks time and event
    if covariates:
        data = prepare(cohort, by, covariates=covariates)
    left_all = checked_time_left(cohort)
    # the rows prepare() kept, in the same order
    keep = np.ones(len(cohort), dtype=bool)
    if by is not None:
        keep &= cohort[by].notna().to_numpy()
    if covariates:
        keep &= design_matrix(cohort, covariates)[0].notna().all(axis=1).to_numpy()
    time = np.asarray(cohort["time"], dtype=float)[keep]
    event = np.asarray(cohort["event"])[keep]
    tl = np.full(len(time), np.nan) if left_all is None else left_all[keep]
    interval = (event == 1) & ~np.isnan(tl)
    exact = (event == 1) & ~interval
    kind = np.where(interval, INTERVAL, np.where(exact, EXACT, RIGHT)).astype(np.int64)
    return IntervalData(
        left=np.where(interval, tl, time),
        right=np.where(kind == RIGHT, np.inf, time),
        kind=kind,
        group=data.group,
        groups=data.groups,
        x=data.x,
        terms=data.terms,
        dropped=data.dropped,
        remarks=data.remarks,
    )
