"""Writing tables for people: CSV and Excel exports that are safe to open.

* Written whole or not at all (:class:`recurrence._outputs.Outputs`).
* Formula injection neutralized: a text cell starting with ``=``, ``+``, ``-``, ``@``,
  tab or carriage return would run as a formula in Excel or LibreOffice; it is written
  with a leading apostrophe (OWASP's advice). The same after every line break inside a
  cell (a spreadsheet that splits the cell there would start a new cell with it), and
  in the index and the column names. Numbers are left alone.
* Cells holding a line break (LF or CR) are quoted, so that no cell ever reads back as
  the start of a row.
"""

from __future__ import annotations

import csv
import io
import os
import re

import pandas as pd

__all__ = ["csv_text", "neutralize", "to_csv", "to_excel"]

_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_AFTER_BREAK = re.compile(r"([\r\n]+)([=+\-@\t])")


def _safe(value):
    if not isinstance(value, str):
        return value
    value = _AFTER_BREAK.sub(r"\1'\2", value)
    return "'" + value if value.startswith(_TRIGGERS) else value


def neutralize(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy with every formula-like text cell, column name and index label prefixed
    by ``'`` (also after a line break inside a cell).

    Parameters
    ----------
    frame : pandas.DataFrame
        The table to export (not modified).

    Returns
    -------
    pandas.DataFrame
        A copy safe to open in a spreadsheet; numbers unchanged.

    Examples
    --------
    >>> neutralize(pd.DataFrame({"a": ["=1+1", "ok", -3, "x\\r=cmd"]}))["a"].tolist()
    ["'=1+1", 'ok', -3, "x\\r'=cmd"]
    """
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(_safe)
    out.columns = [_safe(c) for c in out.columns]
    if out.index.dtype == object or pd.api.types.is_string_dtype(out.index):
        out.index = out.index.map(_safe)
    return out


def csv_text(frame: pd.DataFrame, *, index: bool = False) -> str:
    """The CSV text of a neutralized ``frame``; every cell holding a CR or LF is quoted.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table to export.
    index : bool, default False
        Write the index as the first column.

    Returns
    -------
    str
        The CSV, CRLF line ends (RFC 4180), formula-like cells neutralized.

    Examples
    --------
    >>> csv_text(pd.DataFrame({"study": ["Smith 2019\\r=cmd"]}))
    'study\\r\\n"Smith 2019\\r\\'=cmd"\\r\\n'
    """
    buf = io.StringIO()
    # The csv module quotes a cell that holds a character of the line terminator: with
    # RFC 4180's "\r\n" both CR and LF count.
    neutralize(frame).to_csv(buf, index=index, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    return buf.getvalue()


def to_csv(frame: pd.DataFrame, path: str | os.PathLike, *, index: bool = False) -> None:
    """Write a CSV safely (neutralized, quoted, whole or not at all).

    Parameters
    ----------
    frame : pandas.DataFrame
        The table to write.
    path : str or os.PathLike
        The file; replaced only once the whole text is written.
    index : bool, default False
        Write the index as the first column.

    Returns
    -------
    None

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from recurrence import simulate_cohort
    >>> from recurrence.survival import reherniation_rates
    >>> rates = reherniation_rates(simulate_cohort(300, seed=1), at=(24,)).table
    >>> with tempfile.TemporaryDirectory() as d:
    ...     to_csv(rates, pathlib.Path(d, "rates.csv"))
    ...     print(pathlib.Path(d, "rates.csv").read_text().splitlines()[0][:30])
    group,time,...
    """
    from ._outputs import Outputs

    out = Outputs()
    out.add(path, csv_text(frame, index=index), role="table")
    out.commit()


def to_excel(
    frame: pd.DataFrame, path: str | os.PathLike, *, index: bool = False, sheet: str = "table"
) -> None:
    """Write an .xlsx safely (neutralized, whole or not at all).

    Parameters
    ----------
    frame : pandas.DataFrame
        The table to write.
    path : str or os.PathLike
        The ``.xlsx`` file; replaced only once the whole workbook is written.
    index : bool, default False
        Write the index as the first column.
    sheet : str, default "table"
        Name of the worksheet.

    Returns
    -------
    None

    Examples
    --------
    >>> import tempfile, pathlib
    >>> table = pd.DataFrame({"study": ["=HYPERLINK()"], "events": [3]})
    >>> with tempfile.TemporaryDirectory() as d:
    ...     to_excel(table, pathlib.Path(d, "t.xlsx"))
    ...     pd.read_excel(pathlib.Path(d, "t.xlsx"))["study"].tolist()
    ["'=HYPERLINK()"]
    """
    from ._outputs import Outputs

    buf = io.BytesIO()
    neutralize(frame).to_excel(buf, index=index, sheet_name=sheet, engine="openpyxl")
    out = Outputs()
    out.add(path, buf.getvalue(), role="table")
    out.commit()
