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
    # cells that are all Python strings already are their own text: the per-cell map
    # (2 s for 500,000 cells) only for columns that hold numbers or other objects
    if series.dtype == object and pd.api.types.infer_dtype(series, skipna=True) != "string":
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


def typed_columns(
    frame: pd.DataFrame, users: dict[str, str], kinds: dict
) -> tuple[pd.DataFrame, dict[str, Typed]]:
    """:func:`typed_column` for every column of ``frame`` at once: the typed columns as
    one frame (in ``frame``'s order and index), and ``{name: Typed}`` for the columns
    with cells that are a problem.

    A wide export (a REDCap table has thousands of columns) is typed in one pass: its
    text columns are joined into one Arrow array, parsed once, and the plain numbers come
    back as one 2-D block per type; only the columns that are neither plain numbers nor
    plain text (a column with ``n/a`` cells) go through :func:`typed_column` one by one.
    Linear in the number of cells, with a small cost per column.
    """
    order = list(frame.columns)
    parts: list[pd.DataFrame] = []
    single: dict[str, object] = {}
    text = _text_cells(frame, kinds)
    if text is not None:
        blocks, single = _typed_text_batch(*text)
        # a block is (columns × rows): its transpose is a frame of one block, no copy
        parts = [pd.DataFrame(b.T, columns=names, copy=False) for names, b in blocks]
    done = set(single).union(*(part.columns for part in parts))
    problems: dict[str, Typed] = {}
    for name in order:
        if name not in done:
            typed = typed_column(frame[name], users.get(name, name), kinds.get(name))
            single[name] = typed.column
            if typed.bad is not None:
                problems[name] = typed
    if single:
        parts.append(pd.DataFrame({k: _bare(v) for k, v in single.items()}, copy=False))
    if not parts:
        return pd.DataFrame(index=frame.index), problems
    out = parts[0] if len(parts) == 1 else pd.concat(parts, axis=1, copy=False)
    if list(out.columns) != order:
        out = out[order]
    out.index = frame.index
    return out, problems


def _bare(column):
    """A column's values without its index (the typed frame takes the source's)."""
    return column.array if isinstance(column, pd.Series) else column


def _text_cells(frame: pd.DataFrame, kinds: dict):
    """``(names, cells)``: the columns of ``frame`` that hold text as a file gives it
    (Arrow-backed strings, or Python strings and nothing else), and their cells, column
    after column, as one Arrow array; ``None`` when there are none."""
    import pyarrow as pa

    names, chunks = [], []
    dtypes = frame.dtypes
    typed = {n for n in kinds if kinds[n] is not None}
    objects = [n for n in dtypes.index[(dtypes == np.dtype(object)).to_numpy()] if n not in typed]
    if objects and len(frame):
        block = (frame if len(objects) == frame.shape[1] else frame[objects]).to_numpy()
        try:  # one conversion; a column holding anything but strings refuses it
            chunks.append(pa.array(block.T.ravel(), pa.large_string(), from_pandas=True))
            names.extend(objects)
        except (pa.ArrowTypeError, pa.ArrowInvalid):
            for i, name in enumerate(objects):
                if pd.api.types.infer_dtype(block[:, i], skipna=True) == "string":
                    chunks.append(pa.array(block[:, i], pa.large_string(), from_pandas=True))
                    names.append(name)
    for name, dtype in dtypes.items():
        if name not in typed and getattr(dtype, "storage", None) == "pyarrow":
            chunks.extend(frame[name].array._pa_array.chunks)
            names.append(name)
    if not names or not len(frame):
        return None
    # one contiguous array: Arrow's kernels pay per chunk, and there would be a chunk
    # per column
    return names, pa.chunked_array(chunks, pa.large_string()).combine_chunks()


_INT = r"^[+-]?\d{1,15}$"
_COMMA = r"^[+-]?\d+,\d+$"
_LEADING_ZERO = r"^[+-]?0\d"


def _typed_text_batch(names: list[str], arr) -> tuple[list, dict[str, object]]:
    """The plain columns among ``names`` (all numbers, or no number), typed together
    from their cells ``arr`` (column after column): ``[(names, block)]``, the complete
    integer and the float columns as (columns × rows) blocks, and ``{name: array}`` for
    the text and the integer columns with empty cells. The other columns are left out
    (the caller types them one by one)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from .schema import _PLAIN_NUMBER

    n = len(arr) // len(names)
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
    whole = pc.match_substring_regex(text, _INT).fill_null(False)
    whole = whole.to_numpy(zero_copy_only=False).reshape(shape)
    floats = values.to_numpy(zero_copy_only=False).reshape(shape)
    lower = pc.utf8_lower(text)
    missing = pc.is_in(lower, value_set=pa.array(sorted(TEXT_MISSING), pa.large_string()))
    plain_text = pc.if_else(missing.fill_null(False), pa.scalar(None, text.type), text)
    # per column, on the (columns × rows) masks at once
    any_number = number.any(axis=1)
    odd = (filled & ~number).any(axis=1)
    coded = (zeros & number).any(axis=1)
    integer = (whole | ~number).all(axis=1)
    full = filled.all(axis=1)
    text_like = ~any_number | coded
    numeric = ~text_like & ~odd
    whole_rows = np.flatnonzero(numeric & integer)
    rounded = np.rint(np.where(number[whole_rows], floats[whole_rows], 0.0)).astype(np.int64)
    out: dict[str, object] = {}
    for i in np.flatnonzero(text_like):
        out[names[i]] = pd.arrays.ArrowStringArray(plain_text.slice(i * n, n))
    for j, i in enumerate(whole_rows):
        if not full[i]:
            out[names[i]] = pd.arrays.IntegerArray(rounded[j], ~filled[i])
    blocks = []
    complete = full[whole_rows]
    if complete.any():
        blocks.append(([names[i] for i in whole_rows[complete]], rounded[complete]))
    real = np.flatnonzero(numeric & ~integer)
    if len(real):
        blocks.append(([names[i] for i in real], floats[real]))
    return blocks, out
