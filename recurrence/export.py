"""Writing tables for people: CSV and Excel exports that are safe to open.

* Written whole or not at all (a temporary file renamed into place).
* Formula injection neutralized: a text cell starting with ``=``, ``+``, ``-``, ``@``,
  tab or carriage return would run as a formula in Excel or LibreOffice; it is written
  with a leading apostrophe (OWASP's advice). Numbers are left alone.
"""

from __future__ import annotations

import os

import pandas as pd

from ._io import atomic_write

__all__ = ["neutralize", "to_csv", "to_excel"]

_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def _safe(value):
    if isinstance(value, str) and value.startswith(_TRIGGERS):
        return "'" + value
    return value


def neutralize(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy with every formula-like text cell (and column name) prefixed by ``'``.

    Examples
    --------
    >>> neutralize(pd.DataFrame({"a": ["=1+1", "ok", -3]}))["a"].tolist()
    ["'=1+1", 'ok', -3]
    """
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(_safe)
    out.columns = [_safe(str(c)) if isinstance(c, str) else c for c in out.columns]
    return out


def to_csv(frame: pd.DataFrame, path: str | os.PathLike, *, index: bool = False) -> None:
    """Write a CSV safely (neutralized, atomic)."""
    with atomic_write(path, "w") as fh:
        neutralize(frame).to_csv(fh, index=index, lineterminator="\n")


def to_excel(
    frame: pd.DataFrame, path: str | os.PathLike, *, index: bool = False, sheet: str = "table"
) -> None:
    """Write an .xlsx safely (neutralized, atomic)."""
    with atomic_write(path, "wb") as fh:
        neutralize(frame).to_excel(fh, index=index, sheet_name=sheet, engine="openpyxl")
