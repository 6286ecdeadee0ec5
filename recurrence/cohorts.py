"""Cohort tables: loading a user's table, or the packaged synthetic cohort."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd

from ._dates import time_from_dates
from ._io import arrow_memory, read_table, source_name
from .errors import DataError, DataWarning, Problem, warn
from .schema import (
    COHORT_COLUMNS,
    MAX_MONTHS,
    YES_NO_EVENT,
    Collector,
    as_ids,
    as_text,
    coerce_bool,
    coerce_event,
    coerce_number,
    looks_like_dates,
    map_columns,
    pandera_problems,
    plain_text,
    positional,
)

__all__ = ["canonical_cohort", "load_cohort"]


def load_cohort(
    source: str | os.PathLike | pd.DataFrame | None = None,
    *,
    columns: dict[str, str] | None = None,
    time_from: tuple[str, str] | None = None,
    date_format: str | None = None,
    sheet: str | int | None = None,
) -> pd.DataFrame:
    """Load a cohort table (one row per patient), validated and canonical.

    Parameters
    ----------
    source
        A path (CSV, Excel ``.xlsx``, Parquet) or a DataFrame. ``None``: the packaged
        synthetic cohort (:func:`recurrence.simulate_cohort` at its default seed).
    columns
        ``{"their_name": "canonical_name"}``, e.g. ``{"FU_months": "time"}``. Names
        that differ from a canonical one only by case, spaces or hyphens are matched
        without a mapping.
    time_from
        ``(start_column, end_column)``: compute ``time`` in months from two date
        columns (surgery date, date of event or last follow-up), at 30.4375 days a month.
    date_format
        The format of those dates when they are not ISO 8601 (YYYY-MM-DD), e.g.
        ``"%d.%m.%Y"`` for 31.03.2021. Without it, a date such as 01.02.2020 is refused
        rather than guessed (day first or month first?).
    sheet
        The Excel sheet to read when the workbook has several.

    Returns
    -------
    pandas.DataFrame
        ``patient_id`` (str), ``closure`` (bool), ``time`` (float, months),
        ``event`` (int: 0 censored, 1 reherniation, 2 competing) and every other column
        as given (known covariates coerced: numbers, yes/no). The input is not modified.

    Raises
    ------
    recurrence.DataError
        Naming the file, columns, rows and fix of every problem found.

    Examples
    --------
    >>> cohort = load_cohort()
    >>> cohort[["patient_id", "closure", "time", "event"]].dtypes.astype(str).tolist()
    ['object', 'bool', 'float64', 'int64']
    >>> import pandas as pd
    >>> mine = pd.DataFrame({"id": ["a", "b"], "closed": ["yes", "no"],
    ...                      "months": ["12,5", "30"], "status": [1, 0]})
    >>> load_cohort(mine, columns={"id": "patient_id", "closed": "closure",
    ...                            "months": "time", "status": "event"}).time.tolist()
    [12.5, 30.0]
    """
    if source is None:
        from .synthetic import simulate_cohort

        frame = simulate_cohort()
        truth = frame.attrs["truth"]
        out = canonical_cohort(frame, source="synthetic cohort")
        out.attrs["truth"] = truth
        return out
    if isinstance(source, pd.DataFrame):
        out = canonical_cohort(
            source,
            source="DataFrame",
            columns=columns,
            time_from=time_from,
            date_format=date_format,
        )
        out.index = source.index
        if "truth" in source.attrs:
            out.attrs["truth"] = source.attrs["truth"]
        return out
    if not isinstance(source, (str, os.PathLike)):
        raise DataError(
            Problem(
                f"expected a file path or a DataFrame, got {type(source).__name__}",
                fix="pass a path to a CSV, Excel or Parquet file",
            )
        )
    # The frame read from the file is this call's alone: the schema consumes it.
    with arrow_memory():
        out = canonical_cohort(
            read_table(source, sheet=sheet),
            source=source_name(source),
            columns=columns,
            time_from=time_from,
            date_format=date_format,
            owned=True,
        )
    out.attrs["path"] = os.fspath(source)
    return out


def canonical_cohort(
    raw: pd.DataFrame,
    *,
    source: str,
    columns: dict | None = None,
    time_from: tuple[str, str] | None = None,
    date_format: str | None = None,
    owned: bool = False,
) -> pd.DataFrame:
    """Map, coerce and validate a cohort table; return the canonical frame.

    ``raw`` is never modified, unless ``owned``: a frame read from a file for this call
    alone is consumed column by column, so that a large table is not held twice.
    Raises :class:`DataError` listing every problem.
    """
    if raw.shape[1] == 0:
        raise DataError(
            Problem("has no columns", fix="export the table with its header"), source=source
        )
    if owned:
        frame = raw
        frame.index = pd.RangeIndex(len(frame))
    else:
        frame = positional(raw)
    del raw
    date_problems, date_bad = [], None
    if time_from is not None:
        frame, date_problems, date_bad = time_from_dates(frame, time_from, date_format, source)
    frame, users = map_columns(frame, COHORT_COLUMNS, columns, source, inplace=owned)
    if time_from is not None:
        users["time"] = f"{time_from[0]} → {time_from[1]}"
    if len(frame) == 0:
        raise DataError(
            Problem("has a header but no patient rows", fix="export the table again with its data"),
            source=source,
        )
    bag = Collector(users)
    bag.problems.extend(date_problems)
    out = pd.DataFrame(index=frame.index)
    bad: dict[str, pd.Series] = {}

    # Each column is taken out of ``frame`` as it is converted (see ``owned``).
    pid = frame.pop("patient_id")
    out["patient_id"] = as_ids(pid)
    bag.add("patient_id", pid.isna(), "patient id is empty", "give every patient an id")

    col = frame.pop("closure")
    closure, bad["closure"] = coerce_bool(col)
    bag.add(
        "closure", bad["closure"], "is not a yes/no value", "use 1/0, yes/no or true/false", col
    )
    bag.add(
        "closure",
        col.isna(),
        "is empty",
        "say for every patient whether the annulus was closed (1/0, yes/no)",
    )
    out["closure"] = closure

    col = frame.pop("time")
    time, bad["time"] = coerce_number(col)
    if date_bad is not None:  # reported on the date columns already
        col = col.where(~date_bad, 1.0)
    if bad["time"].any() and looks_like_dates(col[bad["time"]]):
        bag.add(
            "time",
            bad["time"],
            "holds dates, not months",
            "give months from surgery, or pass time_from=('surgery_date', 'end_date')",
            col,
        )
    else:
        bag.add(
            "time",
            bad["time"],
            "is not a number",
            "times are months from surgery to event or censoring",
            col,
        )
    bag.add("time", col.isna(), "is empty", "give months from surgery to event or last follow-up")
    if date_bad is not None:
        bad["time"] = bad["time"] | date_bad
    out["time"] = time

    col = frame.pop("event")
    event, bad["event"] = coerce_event(col)
    ambiguous = bad["event"] & as_text(col).isin(YES_NO_EVENT)
    bag.add(
        "event",
        ambiguous,
        "yes/no is ambiguous next to the competing-event code 2",
        "use 1 for reherniation and 0 for no event",
        col,
    )
    bag.add(
        "event",
        bad["event"] & ~ambiguous,
        "is not an event code",
        "use 0 censored, 1 reherniation, 2 competing event",
        col,
    )
    bag.add(
        "event", col.isna(), "is empty", "use 0 for patients without an event at last follow-up"
    )
    out["event"] = event

    for spec in COHORT_COLUMNS[4:]:
        if spec.name not in frame.columns:
            continue
        col = frame.pop(spec.name)
        if spec.kind == "number":
            values, bad[spec.name] = coerce_number(col)
            bag.add(
                spec.name,
                bad[spec.name],
                "is not a number",
                f"give {spec.meaning} in {spec.unit}, or leave the cell empty",
                col,
            )
        elif spec.kind == "bool":
            values, bad[spec.name] = coerce_bool(col)
            bag.add(
                spec.name,
                bad[spec.name],
                "is not a yes/no value",
                "use 1/0, yes/no or true/false, or leave the cell empty",
                col,
            )
        else:
            values = col
        out[spec.name] = values
    for name in list(frame.columns):
        out[name] = frame.pop(name)
    del col

    rules = {
        "patient_id": {
            "unique": (
                None,
                "patient id appears more than once",
                "each row is one patient: remove duplicates or fix the ids",
            )
        },
        "time": {
            "finite": (lambda s: np.isfinite(s), "is not finite (inf)", "give a number of months"),
            "positive": (
                lambda s: ~np.isfinite(s) | (s > 0),
                "is 0 or negative",
                "times are months from surgery and must be > 0",
            )
            if time_from is None
            else (
                lambda s: ~np.isfinite(s) | (s > 0),
                "ends on or before the surgery date",
                "check the two dates (swapped? a typo in the year?)",
            ),
            "plausible": (
                lambda s: ~np.isfinite(s) | (s <= MAX_MONTHS),
                f"is over {MAX_MONTHS:.0f} months (100 years)",
                "times are months: check the unit (days? weeks?) and typos",
            )
            if time_from is None
            else (
                lambda s: ~np.isfinite(s) | (s <= MAX_MONTHS),
                f"spans over {MAX_MONTHS:.0f} months (100 years)",
                "check the years of the two dates",
            ),
        },
        "event": {
            "codes": (
                lambda s: s.isin([0, 1, 2]),
                "is not 0, 1 or 2",
                "use 0 censored, 1 reherniation, 2 competing event",
            )
        },
    }
    for name in ("age", "bmi", "defect_width_mm", "disc_height_mm"):
        rules[name] = {"range": (lambda s: s >= 0, "is negative", "check the sign and unit")}
    pandera_problems(out, rules, bad, bag)
    if bag.problems:
        raise DataError(bag.problems, source=source)

    out = plain_text(out.astype({"closure": bool, "time": "float64", "event": "int64"}))
    _warn_cohort(out, source)
    out.attrs = {"source": source, "columns": users}
    return out


def _warn_cohort(out: pd.DataFrame, source: str) -> None:
    covariates = [c for c in out.columns if c not in ("patient_id", "closure", "time", "event")]
    missing = {c: int(out[c].isna().sum()) for c in covariates if out[c].isna().any()}
    if missing:
        listed = ", ".join(f"{c} {n} row{'s' if n != 1 else ''}" for c, n in missing.items())
        warn(
            f"{source}: missing covariate values ({listed}); kept as missing, and an "
            "analysis that uses one of them leaves those patients out and says so",
            DataWarning,
        )
    median = float(out["time"].median())
    if median > 240:
        warn(
            f"{source}: median time is {median:.0f} months ({median / 12:.0f} years); "
            "times must be in months: were they given in days or weeks?",
            DataWarning,
        )


# --------------------------------------------------------------------------- studies
