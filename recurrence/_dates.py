"""Follow-up time from two date columns (surgery, and event or last contact).

Dates are read as ISO 8601 (YYYY-MM-DD) unless a format is given: a date such as
01.02.2020 is refused rather than guessed (1 February or 2 January?), with a hint when
some cells can only be read one way.
"""

from __future__ import annotations

import datetime as dt
import re

import pandas as pd

from .errors import DataError, Problem
from .schema import DAYS_PER_MONTH, listing, rows_of, values_of

__all__ = ["time_from_dates"]


_AMBIGUOUS_DATE = re.compile(r"^\s*\d{1,2}[./-]\d{1,2}[./-]\d{2,4}\s*$")


def _date_format_hint(cells: pd.Series) -> str:
    """Suggest the format from the cells that can only be read one way (a first number
    over 12 is a day; a second number over 12 is a day)."""
    parts = cells.str.extract(r"^\s*(\d{1,2})([./-])(\d{1,2})\2(\d{2,4})\s*$").dropna()
    if len(parts):
        sep = parts[1].mode().iloc[0]
        year = "%Y" if parts[3].str.len().max() == 4 else "%y"
        first, second = parts[0].astype(int), parts[2].astype(int)
        if (first > 12).any() and not (second > 12).any():
            example = cells[(first > 12).reindex(cells.index, fill_value=False)].iloc[0]
            return (
                f"cells such as {example!r} are day first: pass date_format='%d{sep}%m{sep}{year}'"
            )
        if (second > 12).any() and not (first > 12).any():
            example = cells[(second > 12).reindex(cells.index, fill_value=False)].iloc[0]
            return (
                f"cells such as {example!r} are month first: pass "
                f"date_format='%m{sep}%d{sep}{year}'"
            )
    return (
        "pass the format of your export, e.g. date_format='%d.%m.%Y' for 31.03.2021 "
        "or '%m/%d/%Y' for 03/31/2021"
    )


def _parse_dates(series: pd.Series, date_format: str | None) -> pd.Series:
    """Dates from a column: datetimes as they are; text in ``date_format``, or ISO 8601
    (YYYY-MM-DD) when no format is given. Unparsable cells come back as NaT."""
    if pd.api.types.is_datetime64_any_dtype(series):
        return series
    if series.map(lambda v: isinstance(v, (pd.Timestamp, dt.date)), na_action="ignore").all():
        return pd.to_datetime(series, errors="coerce")  # Excel cells are dates already
    text = series.astype("string[pyarrow]").str.strip()
    fmt = date_format or "ISO8601"
    return pd.to_datetime(text, errors="coerce", format=fmt)


def time_from_dates(
    frame: pd.DataFrame,
    time_from: tuple[str, str],
    date_format: str | None,
    source: str,
    *,
    target: str = "time",
    required: bool = True,
) -> tuple[pd.DataFrame, list[Problem], pd.Series]:
    """``target`` (``time``) in months from two date columns. Returns the frame with
    it, the date problems (reported with every other problem) and the rows they
    concern. With ``required=False`` an empty end date gives an empty ``target``."""
    option = "time_from" if target == "time" else f"{target}_from"
    if (
        isinstance(time_from, str)
        or not isinstance(time_from, (tuple, list))
        or len(time_from) != 2
    ):
        raise DataError(
            Problem(
                f"{option} must name two date columns, got {time_from!r}",
                fix=f"e.g. {option}=('surgery_date', 'last_visit')",
            ),
            source=source,
        )
    start, end = time_from
    missing = [c for c in (start, end) if c not in frame.columns]
    if missing:
        raise DataError(
            Problem(
                f"{option} names columns that are not there: {missing}",
                fix=f"the columns are {listing(frame.columns)}",
            ),
            source=source,
        )
    if target in frame.columns:
        raise DataError(
            Problem(
                f"has a '{target}' column and {option} was also given",
                column=target,
                fix="use one or the other",
            ),
            source=source,
        )
    problems, parsed = [], {}
    bad = pd.Series(False, index=frame.index)
    for col in (start, end):
        values = _parse_dates(frame[col], date_format)
        wrong = (frame[col].notna() & values.isna()).to_numpy(bool)
        if wrong.any():
            cells = frame[col][wrong].astype(str)
            if date_format is None and cells.str.match(_AMBIGUOUS_DATE).any():
                message = (
                    "is not an ISO date (YYYY-MM-DD), and day-first or month-first is ambiguous"
                )
                fix = _date_format_hint(cells)
            else:
                message = "is not a date" + (
                    f" in the format {date_format!r}" if date_format else ""
                )
                fix = "check the cell (a typo such as 31.04.?)"
            problems.append(
                Problem(
                    message,
                    column=col,
                    rows=rows_of(wrong),
                    values=values_of(frame[col], pd.Series(wrong)),
                    fix=fix,
                )
            )
        empty = frame[col].isna().to_numpy(bool)
        if empty.any() and (required or col == start):
            problems.append(
                Problem(
                    "date is empty",
                    column=col,
                    rows=rows_of(empty),
                    fix="give the date for every patient",
                )
            )
        bad |= wrong | (empty if (required or col == start) else False)
        parsed[col] = values
    out = frame.copy(deep=False)
    out[target] = (parsed[end] - parsed[start]).dt.days / DAYS_PER_MONTH
    for col in (start, end):  # kept, as the dates they are
        out[col] = parsed[col]
    return out, problems, bad
