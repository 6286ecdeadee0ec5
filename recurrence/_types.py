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


def typed_columns(cols: dict[str, pd.Series], users: dict[str, str], kinds: dict) -> dict:
    """:func:`typed_column` for many columns at once, ``{name: Typed}``.

    A wide export (a REDCap table has thousands of columns) is typed in one pass: the
    text columns of a CSV file are joined into one Arrow array, parsed once, and only the
    columns that are neither plain numbers nor plain text (a column with ``n/a`` cells)
    go through :func:`typed_column` one by one. Linear in the number of cells, with a
    small cost per column.
    """
    batch = [
        name
        for name, col in cols.items()
        if kinds.get(name) is None and getattr(col.dtype, "storage", None) == "pyarrow"
    ]
    out = {}
    if batch:
        out.update(_typed_text_batch({name: cols[name] for name in batch}))
    for name, col in cols.items():
        if name not in out:
            out[name] = typed_column(col, users.get(name, name), kinds.get(name))
    return {name: out[name] for name in cols}


_INT = r"^[+-]?\d{1,15}$"
_COMMA = r"^[+-]?\d+,\d+$"
_LEADING_ZERO = r"^[+-]?0\d"


def _typed_text_batch(cols: dict[str, pd.Series]) -> dict[str, Typed]:
    """The plain columns of ``cols`` (all numbers, or no number), typed together; the
    others are left out of the result (the caller types them one by one)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from .schema import _PLAIN_NUMBER

    names = list(cols)
    n = len(next(iter(cols.values())))
    index = next(iter(cols.values())).index
    chunks = [c for name in names for c in cols[name].array._pa_array.chunks]
    arr = pa.chunked_array(chunks, type=pa.large_string()) if chunks else None
    if arr is None or n == 0:
        return {}
    text = pc.utf8_trim_whitespace(arr)
    text = pc.if_else(pc.equal(text, ""), pa.scalar(None, text.type), text)
    plain = pc.match_substring_regex(text, _PLAIN_NUMBER).fill_null(False)
    values = pc.cast(pc.if_else(plain, text, pa.scalar(None, text.type)), pa.float64())
    comma = pc.match_substring_regex(text, _COMMA).fill_null(False)
    if pc.any(comma).as_py():
        fixed = pc.cast(
            pc.if_else(comma, pc.replace_substring(text, ",", "."), pa.scalar(None, text.type)),
            pa.float64(),
        )
        values = pc.if_else(comma, fixed, values)
    shape = (len(names), n)
    filled = text.is_valid().to_numpy(zero_copy_only=False).reshape(shape)
    number = plain.to_numpy(zero_copy_only=False) | comma.to_numpy(zero_copy_only=False)
    number = number.reshape(shape)
    zeros = pc.match_substring_regex(text, _LEADING_ZERO).fill_null(False)
    zeros = zeros.to_numpy(zero_copy_only=False).reshape(shape)
    ints = pc.match_substring_regex(text, _INT).fill_null(False)
    ints = ints.to_numpy(zero_copy_only=False).reshape(shape)
    floats = values.to_numpy(zero_copy_only=False).reshape(shape)
    lower = pc.utf8_lower(text)
    missing = pc.is_in(lower, value_set=pa.array(sorted(TEXT_MISSING), pa.large_string()))
    plain_text = pc.if_else(missing.fill_null(False), pa.scalar(None, text.type), text)
    out: dict[str, Typed] = {}
    for i, name in enumerate(names):
        any_number = number[i].any()
        odd = filled[i] & ~number[i]
        if not any_number or zeros[i][number[i]].any():
            column = plain_text.slice(i * n, n)
            out[name] = Typed(pd.Series(pd.arrays.ArrowStringArray(column), index=index))
        elif not odd.any():
            if ints[i][number[i]].all():
                whole = np.rint(np.where(filled[i], floats[i], 0.0)).astype(np.int64)
                column = (
                    whole
                    if filled[i].all()
                    else pd.arrays.IntegerArray(whole, mask=~filled[i].copy())
                )
                out[name] = Typed(pd.Series(column, index=index))
            else:
                out[name] = Typed(pd.Series(floats[i], index=index))
    return out
