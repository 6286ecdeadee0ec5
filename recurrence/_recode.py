"""What a user says about a table's values before it is validated: which labels mean
what (``values=``), the unit of the times (``time_unit=``), which columns are text
(``types=``).

``values={"closure": {"Closure": True, "Standard": False}, "event": {"recurrence": 1,
"death": 2, "alive": 0, "9": 0}}`` recodes cells before validation. Labels match
whatever their case and surrounding spaces, and numbers match however the file wrote
them (``9``, ``"9"``, ``9.0``); ``None`` (or ``""``, for TOML files, which have no null)
makes a cell missing. Cells a mapping does not
name are left as they are, so the usual spellings (yes/no, 0/1) still apply to them.
"""

from __future__ import annotations

import pandas as pd

from ._types import TYPES
from .errors import DataError, Problem

__all__ = ["TIME_UNITS", "check_types", "months_per", "recode"]

#: Months in one unit of ``time_unit`` (30.4375 days a month, 12 months a year).
TIME_UNITS = {"days": 1 / 30.4375, "weeks": 7 / 30.4375, "months": 1.0, "years": 12.0}


def months_per(time_unit: str, source: str) -> float:
    """Months in one ``time_unit``; a clear error for anything else."""
    if not isinstance(time_unit, str) or time_unit.strip().lower() not in TIME_UNITS:
        raise DataError(
            Problem(
                f"time_unit must be one of {list(TIME_UNITS)}, got {time_unit!r}",
                fix="give the unit the times of the file are in",
            ),
            source=source,
            loading=True,
        )
    return TIME_UNITS[time_unit.strip().lower()]


def _key(value) -> str:
    """How a cell or a mapping label is compared: stripped, case-folded text, whole
    numbers without a decimal part (9, "9", 9.0 and "9.0" all match)."""
    if isinstance(value, bool):
        return str(value).casefold()
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip().casefold()
    if text.endswith(".0") and text[:-2].lstrip("+-").isdigit():
        text = text[:-2]
    return text


def _column_of(name: str, frame: pd.DataFrame, users: dict[str, str]) -> str | None:
    if name in frame.columns:
        return name
    return next((canon for canon, user in users.items() if user == name), None)


def recode(
    frame: pd.DataFrame, values: dict | None, users: dict[str, str], source: str
) -> tuple[pd.DataFrame, dict[str, dict]]:
    """Apply ``values=`` to ``frame`` (mapped to canonical names). Returns the frame
    (recoded columns replaced, the others shared) and the mappings applied, by
    canonical column."""
    if not values:
        return frame, {}
    if not isinstance(values, dict) or not all(isinstance(m, dict) for m in values.values()):
        raise DataError(
            Problem(
                "values= must map a column to {its label: the value it means}",
                fix="e.g. values={'closure': {'Closure': True, 'Standard': False}}",
            ),
            source=source,
        )
    problems, applied = [], {}
    for name, mapping in values.items():
        col = _column_of(str(name), frame, users)
        if col is None:
            problems.append(
                Problem(
                    f"values= recodes column '{name}', which is not in the table",
                    fix="use a column name of the file (or its canonical name)",
                )
            )
            continue
        # None, or "" (TOML has no null), makes a cell missing
        keys = {_key(k): (None if v == "" else v) for k, v in mapping.items()}
        series = frame[col]
        # Each distinct cell is compared once: a million rows hold a handful of labels.
        codes, uniques = pd.factorize(series)
        matched = [_key(u) in keys for u in uniques]
        hit_codes = [i for i, m in enumerate(matched) if m]
        if not hit_codes:
            continue
        hit = pd.Series(codes).isin(hit_codes).to_numpy(bool)
        new = pd.Series(
            [keys[_key(u)] if m else u for u, m in zip(uniques, matched, strict=True)], dtype=object
        )
        out = series.astype(object).copy()
        out[hit] = new.to_numpy(object)[codes[hit]]
        frame = frame.assign(**{col: out})
        applied[col] = dict(mapping)
    if problems:
        raise DataError(problems, source=source)
    return frame, applied


def check_types(types: dict | None, frame: pd.DataFrame, users, source: str) -> dict[str, str]:
    """``types={"column": "text"|"number"}`` by canonical column name."""
    if not types:
        return {}
    out, problems = {}, []
    for name, kind in dict(types).items():
        col = _column_of(str(name), frame, users)
        if col is None:
            problems.append(Problem(f"types= names column '{name}', which is not in the table"))
        elif kind not in TYPES:
            problems.append(
                Problem(f"types= gives '{name}' the type {kind!r}", fix=f"use one of {TYPES}")
            )
        else:
            out[col] = kind
    if problems:
        raise DataError(problems, source=source)
    return out
