"""Cohort tables: loading a user's table, or the packaged synthetic cohort."""

from __future__ import annotations

import os

import pandas as pd

from ._io import arrow_memory, read_table, source_name
from .errors import DataError, Problem
from .schema import canonical_cohort

__all__ = ["load_cohort"]


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
