"""Cohort tables: loading a user's table, or the packaged synthetic cohort."""

from __future__ import annotations

import gc
import os
from typing import TypedDict

import numpy as np
import pandas as pd

from ._cohort_checks import r_style_codes, time_left_problems, value_rules, warn_cohort
from ._dates import time_from_dates
from ._io import arrow_memory, read_table, source_name
from ._recode import check_types, months_per, recode
from ._types import as_plain_text, typed_columns
from .errors import DataError, Problem
from .schema import (
    COHORT_COLUMNS,
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


class _Options(TypedDict):
    """The options of :func:`load_cohort` that :func:`canonical_cohort` applies."""

    columns: dict[str, str] | None
    values: dict[str, dict] | None
    time_unit: str
    time_from: tuple[str, str] | None
    date_format: str | None
    types: dict[str, str] | None
    time_left_from: tuple[str, str] | None


def load_cohort(
    source: str | os.PathLike | pd.DataFrame | None = None,
    *,
    columns: dict[str, str] | None = None,
    values: dict[str, dict] | None = None,
    time_unit: str = "months",
    header_row: int | None = None,
    sheet: str | int | None = None,
    time_from: tuple[str, str] | None = None,
    date_format: str | None = None,
    types: dict[str, str] | None = None,
    time_left_from: tuple[str, str] | None = None,
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
    values
        ``{column: {their_label: canonical_value}}``, applied before validation, e.g.
        ``{"closure": {"Closure": True, "Standard": False}, "event": {"recurrence": 1,
        "death": 2, "alive": 0, "9": 0}}``. Labels match whatever their case; ``None``
        makes a cell missing. The column is named by its canonical or its own name.
    time_unit
        The unit of ``time`` (and ``time_left``) in the source: ``"days"``, ``"weeks"``,
        ``"months"`` or ``"years"``; ``time`` comes back in months (30.4375 days a
        month, 12 months a year).
    header_row
        The row (1-based, as a spreadsheet numbers it) that holds the column names; rows
        above it (a title, a blank line) are ignored. Without it, a file whose first row
        is a title is refused with a message naming this option.
    sheet
        The Excel sheet to read when the workbook has several.
    time_from
        ``(start_column, end_column)``: compute ``time`` in months from two date
        columns (surgery date, date of event or last follow-up), at 30.4375 days a month.
    date_format
        The format of those dates when they are not ISO 8601 (YYYY-MM-DD), e.g.
        ``"%d.%m.%Y"`` for 31.03.2021. Without it, a date such as 01.02.2020 is refused
        rather than guessed (day first or month first?).
    types
        ``{column: "text"}`` keeps a column of codes as text (``"number"`` insists on
        numbers); every other column keeps the type its values have.
    time_left_from
        ``(start_column, date_column)``: compute ``time_left`` (months to the last
        imaging visit known free of reherniation) from two date columns.

    Returns
    -------
    pandas.DataFrame
        ``patient_id`` (str), ``closure`` (bool), ``time`` (float, months),
        ``event`` (int: 0 censored, 1 reherniation, 2 competing); ``age``, ``bmi``,
        ``defect_width_mm``, ``disc_height_mm`` and ``time_left`` numeric, ``smoker`` and
        ``diabetes`` boolean, ``sex``, ``level``, ``approach``, ``site`` text; every
        other column numeric when all its cells are numbers, else text. The input is not
        modified. ``attrs``: ``source``, ``columns`` (canonical → the user's name),
        ``values`` (the recodings applied), ``time_unit``.

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
    >>> mine = pd.DataFrame({"id": ["a", "b"], "arm": ["Barricaid", "none"],
    ...                      "days": ["365", "730.5"], "status": ["recurrence", "alive"],
    ...                      "nodes": ["3", "12"]})
    >>> c = load_cohort(mine, columns={"id": "patient_id", "arm": "closure",
    ...                                "days": "time", "status": "event"},
    ...                 values={"closure": {"Barricaid": True, "none": False},
    ...                         "event": {"recurrence": 1, "alive": 0}},
    ...                 time_unit="days")
    >>> c.time.round(2).tolist(), c.closure.tolist(), c.nodes.dtype.name
    ([11.99, 24.0], [True, False], 'int64')
    """
    options: _Options = {
        "columns": columns,
        "values": values,
        "time_unit": time_unit,
        "time_from": time_from,
        "date_format": date_format,
        "types": types,
        "time_left_from": time_left_from,
    }
    if source is None:
        from .synthetic import simulate_cohort

        frame = simulate_cohort()
        truth = frame.attrs["truth"]
        out = canonical_cohort(frame, source="synthetic cohort")
        out.attrs["truth"] = truth
        return out
    if isinstance(source, pd.DataFrame):
        if header_row is not None:
            raise DataError(
                Problem(
                    "header_row applies to files, not to a DataFrame",
                    fix="pass the DataFrame with its column names set",
                ),
                source="DataFrame",
            )
        out = canonical_cohort(source, source="DataFrame", **options)
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
            read_table(source, sheet=sheet, header_row=header_row),
            source=source_name(source),
            owned=True,
            **options,
        )
    out.attrs["path"] = os.fspath(source)
    return out


def canonical_cohort(
    raw: pd.DataFrame,
    *,
    source: str,
    columns: dict | None = None,
    values: dict | None = None,
    time_unit: str = "months",
    time_from: tuple[str, str] | None = None,
    date_format: str | None = None,
    types: dict | None = None,
    time_left_from: tuple[str, str] | None = None,
    owned: bool = False,
) -> pd.DataFrame:
    """Map, recode, coerce and validate a cohort table; return the canonical frame.

    The step of :func:`load_cohort` after the table is read: the options are those of
    :func:`load_cohort`, with the source already a DataFrame.

    Parameters
    ----------
    raw
        The user's table as read, one row per patient. Never modified, unless
        ``owned``.
    source
        The table's name in messages and in ``attrs["source"]`` (the file name,
        ``"DataFrame"``).
    columns
        ``{"their_name": "canonical_name"}`` (:func:`recurrence.schema.map_columns`).
    values
        ``{column: {their_label: canonical_value}}``, applied before validation.
    time_unit
        The unit of ``time`` and ``time_left`` in ``raw``: ``"days"``, ``"weeks"``,
        ``"months"`` or ``"years"``; they come back in months.
    time_from
        ``(start_column, end_column)``: ``time`` computed from two date columns.
    date_format
        The format of those dates when they are not ISO 8601.
    types
        ``{column: "text"}`` keeps a column of codes as text (``"number"`` insists on
        numbers).
    time_left_from
        ``(start_column, date_column)``: ``time_left`` computed from two date columns.
    owned
        ``raw`` was read from a file for this call alone: it is consumed column by
        column (its ``attrs`` and index are reset), so that a large table is not held
        twice.

    Returns
    -------
    pandas.DataFrame
        The canonical cohort, indexed 0..n-1, as :func:`load_cohort` describes it;
        ``attrs``: ``source``, ``columns``, ``values``, ``time_unit``.

    Raises
    ------
    recurrence.DataError
        Listing every problem found (columns, rows, values and fix).

    Examples
    --------
    >>> import pandas as pd
    >>> raw = pd.DataFrame({"patient_id": [1, 2], "closure": ["yes", "no"],
    ...                     "time": ["12,5", "24"], "event": [1, 0]})
    >>> cohort = canonical_cohort(raw, source="DataFrame")
    >>> cohort
      patient_id  closure  time  event
    0          1     True  12.5      1
    1          2    False  24.0      0
    >>> cohort.dtypes.astype(str).tolist(), raw["time"].tolist()
    (['object', 'bool', 'float64', 'int64'], ['12,5', '24'])
    >>> canonical_cohort(raw.assign(time=[12, -3]), source="mine.csv")
    Traceback (most recent call last):
    ...
    recurrence.errors.DataError: mine.csv: 1 problem, nothing was loaded:
      - column 'time', row 2: is 0 or negative (found -3.0). Fix: times are months ...
    """
    if raw.shape[1] == 0:
        raise DataError(
            Problem("has no columns", fix="export the table with its header"), source=source
        )
    factor = months_per(time_unit, source)
    if time_from is not None and factor != 1.0:
        raise DataError(
            Problem(
                f"time_unit={time_unit!r} and time_from were both given",
                fix="time_from computes months from dates: leave time_unit out",
            ),
            source=source,
        )
    hidden = raw.attrs.get("hidden_rows", ())
    if owned:
        raw.attrs = {}  # pandas deep-copies attrs into every column it hands out
        frame = raw
        frame.index = pd.RangeIndex(len(frame))
    else:
        frame = positional(raw)
    del raw
    date_problems: list[Problem] = []
    date_bad: pd.Series | None = None
    if time_from is not None:
        frame, date_problems, date_bad = time_from_dates(frame, time_from, date_format, source)
    if time_left_from is not None:
        frame, more, _ = time_from_dates(
            frame, time_left_from, date_format, source, target="time_left", required=False
        )
        date_problems += more
    frame, users = map_columns(frame, COHORT_COLUMNS, columns, source, inplace=owned)
    if time_from is not None:
        users["time"] = f"{time_from[0]} → {time_from[1]}"
    if time_left_from is not None:
        users["time_left"] = f"{time_left_from[0]} → {time_left_from[1]}"
    if len(frame) == 0:
        raise DataError(
            Problem("has a header but no patient rows", fix="export the table again with its data"),
            source=source,
        )
    frame, recoded = recode(frame, values, users, source)
    kinds = check_types(types, frame, users, source)
    bag = Collector(users)
    bag.problems.extend(date_problems)
    index = frame.index
    # Each column is taken out as it is converted (see ``owned``), and the canonical
    # frame is built once at the end: inserting columns one by one is quadratic in their
    # number (a REDCap export has thousands).
    fixed = [spec.name for spec in COHORT_COLUMNS if spec.name in frame.columns]
    source_cols = {name: frame[name] for name in fixed}
    others = frame.drop(columns=fixed)
    del frame
    converted: dict[str, pd.Series] = {}
    bad: dict[str, pd.Series] = {}

    pid = source_cols.pop("patient_id")
    converted["patient_id"] = as_ids(pid)
    bag.add("patient_id", pid.isna(), "patient id is empty", "give every patient an id")

    col = source_cols.pop("closure")
    closure, bad["closure"] = coerce_bool(col)
    bag.add(
        "closure",
        bad["closure"],
        "is not a yes/no value",
        "use 1/0, yes/no or true/false, or say what your labels mean: "
        "values={'closure': {'Closure': True, 'Standard': False}}",
        col,
    )
    bag.add(
        "closure",
        col.isna(),
        "is empty",
        "say for every patient whether the annulus was closed (1/0, yes/no)",
    )
    converted["closure"] = closure

    col = source_cols.pop("time")
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
    converted["time"] = time * factor if factor != 1.0 else time

    col = source_cols.pop("event")
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
        "use 0 censored, 1 reherniation, 2 competing event, or say what your codes mean: "
        "values={'event': {'recurrence': 1, 'death': 2, 'alive': 0}}",
        col,
    )
    bag.add(
        "event", col.isna(), "is empty", "use 0 for patients without an event at last follow-up"
    )
    if "event" not in recoded:
        r_style_codes(col, bag)
    converted["event"] = event

    for spec in COHORT_COLUMNS[4:]:
        if spec.name in source_cols:
            col = source_cols.pop(spec.name)
            converted[spec.name] = _known_covariate(spec, col, kinds.get(spec.name), bad, bag)
    if "time_left" in converted and factor != 1.0:
        converted["time_left"] = converted["time_left"] * factor
    del col, source_cols
    typed, problems = typed_columns(others, users, kinds)
    del others
    for name, column in problems.items():
        bad[name] = column.bad
        bag.add(name, column.bad, column.message, column.fix, column.shown)
    out = pd.DataFrame(converted, index=index, copy=False)
    del converted  # the frame holds the columns now
    if typed.shape[1]:
        out = pd.concat([out, typed], axis=1, copy=False)
    del typed

    pandera_problems(out, value_rules(time_from is not None, factor), bad, bag)
    if "time_left" in out.columns:
        time_left_problems(out, bad, bag)
    if bag.problems:
        raise DataError(bag.problems, source=source)

    for name, dtype in (("closure", bool), ("time", "float64"), ("event", "int64")):
        out[name] = out[name].astype(dtype)  # the three columns only: a wide frame is not copied
    out = plain_text(out)
    quiet = ("time_left", *(time_left_from or ()))  # empty unless an event was imaged
    warn_cohort(out, source, time_unit, hidden, quiet)
    out.attrs = {"source": source, "columns": users, "values": recoded, "time_unit": time_unit}
    release_cycles(out)
    return out


#: From this many cells on, a loaded cohort is followed by a garbage collection.
COLLECT_CELLS = 5_000_000


def release_cycles(frame: pd.DataFrame) -> None:
    """Free what only reference cycles keep: pandas' ``.str`` accessor caches itself on
    its Series and refers back to it, so every temporary text Series of the checks (and
    its Arrow buffers) outlives them until Python's cyclic collector runs, which a few
    large allocations do not trigger. At 5,000,000 patients that was 390 MiB after
    loading (1,492 → 1,105 MiB resident, measured). A table of ``COLLECT_CELLS`` cells or
    more is followed by one collection (tens of milliseconds against seconds of loading)."""
    if frame.size >= COLLECT_CELLS:
        gc.collect()


def _known_covariate(spec, col: pd.Series, kind: str | None, bad: dict, bag: Collector):
    """An optional canonical column: numbers, yes/no or text, whatever the source gives."""
    if spec.kind == "number":
        values, bad[spec.name] = coerce_number(col)
        bag.add(
            spec.name,
            bad[spec.name],
            "is not a number",
            f"give {spec.meaning} in {spec.unit}, or leave the cell empty",
            col,
        )
        infinite = values.notna() & ~np.isfinite(values)
        bag.add(spec.name, infinite, "is not finite (infinite)", "give a number", col)
        bad[spec.name] |= infinite
        return values.where(~infinite)
    if spec.kind == "bool":
        values, bad[spec.name] = coerce_bool(col)
        bag.add(
            spec.name,
            bad[spec.name],
            "is not a yes/no value",
            "use 1/0, yes/no or true/false, or leave the cell empty",
            col,
        )
        return values
    return as_plain_text(col)
