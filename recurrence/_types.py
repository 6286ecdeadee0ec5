"""The type of every column that is not one of the table's fixed columns.

A covariate keeps the type its values have, whatever the source: a column whose
non-empty cells are all numbers is numeric (integers as an integer dtype, nullable where
cells are empty; others float), everything else is text. A CSV file gives every cell as
text and an Excel sheet gives numbers, text and numbers stored as text mixed in one
column; both come back as a DataFrame with the same columns would.

What is never done: reading a column of numbers with a few cells such as ``n/a``,
``unknown`` or ``<5`` as text. A model would then turn every distinct number into a
category (one indicator per value): a plausible but wrong hazard ratio. Those cells are
a problem, with their rows and the fix (leave them empty, or recode them on loading
with ``values=``). A column of codes with leading zeros (``007``) stays text, and
``types={"column": "text"}`` keeps any column as text.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["TEXT_MISSING", "TYPES", "Typed", "as_plain_text", "typed_column"]

#: What ``types=`` accepts for a column.
TYPES = ("text", "number")
#: Spellings of "no value" read as missing in a text column (a problem in numbers).
#: ("none" and "unknown" are not among them: "none" is a device label and "unknown" a
#: category a user may mean.)
TEXT_MISSING = {"n/a", "na", "nan", "null", "#n/a", "."}
#: Cells that stand for a missing or censored number: never a reason to read as text.
_MARKER = re.compile(
    r"^(n/?a|n\.a\.?|nan|none|null|nil|unknown|unk|missing|not (known|done|available|"
    r"recorded|applicable|assessed)|nd|nk|#n/a|#value!|#div/0!|\?+|[-–—.]+|"
    r"[<>≤≥]=?\s*[+-]?\d[\d.,]*|[+-]?inf(inity)?)$",
    re.IGNORECASE,
)
#: A column is "numbers with a few odd cells" when at most this share is not a number.
FEW = 0.10
#: At most this many distinct odd values (beyond them, a column is text).
FEW_DISTINCT = 3
#: Odd values longer than this are not shown in messages: they may be free text.
SHOWN_CHARS = 12


@dataclass(frozen=True)
class Typed:
    """A typed column, and the cells that are a problem (with what to say)."""

    column: pd.Series
    bad: pd.Series | None = None
    message: str = ""
    fix: str = ""
    shown: pd.Series | None = None  # the cells a message may quote


def _text_of(series: pd.Series) -> pd.Series:
    """Cells as stripped text (Arrow-backed), Python numbers as they print, empty as NA."""
    if series.dtype == object:
        series = series.map(_cell_text, na_action="ignore")
    text = series.astype("string[pyarrow]").str.strip()
    return text.mask(text == "")


def _cell_text(value) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value)) if abs(value) < 2**53 else repr(value)
    return str(value)


def as_plain_text(series: pd.Series) -> pd.Series:
    """A text column: stripped strings, ``n/a``-like spellings and empty cells missing
    (numbers from a spreadsheet as they print: 4.0 → "4")."""
    text = _text_of(series)
    return text.mask(text.str.lower().isin(TEXT_MISSING))


def _only(series: pd.Series, kind) -> bool:
    values = series.dropna()
    return len(values) > 0 and bool(values.map(lambda v: isinstance(v, kind)).all())


def typed_column(series: pd.Series, name: str, kind: str | None = None) -> Typed:
    """Type one non-canonical column (``kind``: ``None`` to infer, ``"text"``,
    ``"number"``)."""
    from .schema import coerce_number

    if kind == "text":
        return Typed(as_plain_text(series))
    if pd.api.types.is_bool_dtype(series) or pd.api.types.is_datetime64_any_dtype(series):
        return Typed(series)
    if pd.api.types.is_numeric_dtype(series):
        values = series
        infinite = values.notna() & ~np.isfinite(values.astype("float64"))
        return _numbers(values, infinite)
    if series.dtype == object and kind is None:
        if _only(series, (bool, np.bool_)):
            return Typed(series.astype("boolean"))
        if _only(series, (dt.date, dt.datetime, pd.Timestamp)):
            return Typed(pd.to_datetime(series, errors="coerce"))
    text = _text_of(series)
    values, _ = coerce_number(text)
    filled = text.notna()
    finite = filled & values.notna() & np.isfinite(values)
    odd = filled & ~finite
    if kind is None and (
        not finite.any() or text[finite].str.match(r"^[+-]?0\d").fillna(False).any()
    ):
        return Typed(as_plain_text(series))  # no number at all, or codes such as 007
    n_odd = int(odd.sum())
    if n_odd == 0:
        if text[finite].str.fullmatch(r"[+-]?\d{1,15}").fillna(False).all():
            ints = values.round().astype("Int64")
            return Typed(ints if ints.isna().any() else ints.astype("int64"))
        return Typed(values)
    distinct = text[odd].str.lower().unique()
    markers = all(_MARKER.match(str(v)) for v in distinct)
    if (
        kind is None
        and not markers
        and (n_odd > FEW * int(filled.sum()) or len(distinct) > FEW_DISTINCT)
    ):
        return Typed(as_plain_text(series))
    short = odd & (text.str.len() <= SHOWN_CHARS)
    example = text[short].iloc[0] if short.any() else "n/a"
    categories = not markers and kind is None
    return Typed(
        values.where(finite),
        bad=odd,
        message=(
            "is a column of numbers with a few cells that are not"
            if categories
            else "holds numbers and cells that are not numbers"
        ),
        fix=(
            "leave those cells empty (a missing value), or recode them on loading with "
            f"values={{'{name}': {{'{example}': None}}}}"
            + (f"; if it holds categories, pass types={{'{name}': 'text'}}" if categories else "")
        ),
        shown=text.where(short),
    )


def _numbers(values: pd.Series, infinite: pd.Series) -> Typed:
    if not infinite.any():
        return Typed(values)
    return Typed(
        values.where(~infinite),
        bad=infinite,
        message="is not finite (infinite)",
        fix="give a number, or leave the cell empty",
        shown=values.astype("string"),
    )
