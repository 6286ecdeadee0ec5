"""Reading an Excel ``.xlsx`` sheet as a user sees it (openpyxl through pandas).

The sheet is read as a grid without a header, so that the loader decides which row
holds the column names (``header_row``, a title row above the table), sees the names as
written (pandas would rename a repeated ``age`` to ``age.1``), and can say which rows
are hidden in Excel (hidden by hand or filtered out: they are loaded, and a user who
filtered them away should know). Formulas are never computed: a formula whose value
Excel never stored is refused.
"""

from __future__ import annotations

import posixpath
import zipfile
from pathlib import Path
from xml.etree import ElementTree as ET

import pandas as pd

from ._header import check_header, pick_header_row
from ._io import first_line
from .errors import DataError, DataWarning, Problem, format_rows, warn

__all__ = ["read_excel", "warn_hidden_rows"]


def warn_hidden_rows(source: str, hidden) -> None:
    """Warn that rows hidden in the sheet (``hidden``, counted below the header; see
    :func:`read_excel`) were loaded: the cohort's and the study table's loaders alike."""
    if hidden:
        warn(
            f"{source}: {format_rows(hidden)} (counted below the header) are hidden in Excel "
            "(hidden or filtered out) and were loaded; delete them from the sheet if they "
            "should not be analysed",
            DataWarning,
        )


_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG = "{http://schemas.openxmlformats.org/package/2006/relationships}"


def read_excel(
    path: Path, name: str, sheet: str | int | None, header_row: int | None = None
) -> pd.DataFrame:
    """One sheet as a DataFrame of the cells' stored values (numbers, text, dates),
    with the header taken from ``header_row`` (1-based) or the first non-empty row.

    ``attrs``: ``sheet``, ``header_row`` (1-based), ``hidden_rows`` (data-row numbers,
    1-based below the header, of rows hidden in Excel).
    """
    try:
        sheets = pd.read_excel(path, sheet_name=None, engine="openpyxl", dtype=object, header=None)
    except Exception as exc:  # openpyxl raises many types for corrupt files
        raise DataError(
            Problem(
                f"cannot be read as an Excel workbook ({first_line(exc)})",
                fix="open it in Excel and save it again as .xlsx, or export CSV",
            ),
            source=name,
        ) from exc
    names = list(sheets)
    non_empty = [k for k, v in sheets.items() if v.notna().any().any()]
    if sheet is not None:
        key = names[sheet] if isinstance(sheet, int) and 0 <= sheet < len(names) else sheet
        if key not in sheets:
            raise DataError(
                Problem(
                    f"has no sheet {sheet!r}; its sheets are {names[:10]}",
                    fix="pass one of those sheet names",
                ),
                source=name,
            )
    elif len(non_empty) > 1:
        raise DataError(
            Problem(
                f"has {len(non_empty)} sheets with data: {non_empty[:10]}",
                fix="say which one to read (sheet=... or --sheet)",
            ),
            source=name,
        )
    elif non_empty:
        key = non_empty[0]
    else:
        raise DataError(
            Problem("is an empty workbook", fix="put the table on the first sheet"), source=name
        )
    assert isinstance(key, str)  # a key of sheets: openpyxl's sheet names are text
    grid = sheets.pop(key)
    del sheets
    head_rows = [
        ["" if pd.isna(v) else str(v) for v in row]
        for row in grid.head(pick_limit(header_row)).itertuples(index=False)
    ]
    h = pick_header_row(head_rows, header_row, name)
    header = ["" if pd.isna(v) else str(v).strip() for v in grid.iloc[h]]
    body = grid.iloc[h + 1 :]
    # Columns with neither a name nor a value are the sheet's margin, not data.
    used = [bool(header[j]) or body.iloc[:, j].notna().any() for j in range(len(header))]
    header = [
        c if c else f"Unnamed: {j}" for j, (c, u) in enumerate(zip(header, used, strict=True)) if u
    ]
    check_header([c for c in header if not c.startswith("Unnamed:")], name)
    body = body.loc[:, used]
    body.columns = header
    filled = body.notna().any(axis=1).to_numpy()
    sheet_rows = body.index.to_numpy()[filled] + 1  # 1-based sheet rows of the data rows
    frame = body.loc[filled].reset_index(drop=True)
    _check_formulas(path, name, key)
    hidden = _hidden_rows(path, key)
    frame.attrs["sheet"] = key
    frame.attrs["header_row"] = h + 1
    frame.attrs["hidden_rows"] = tuple(
        int(i) + 1 for i, r in enumerate(sheet_rows) if int(r) in hidden
    )
    return frame


def pick_limit(header_row: int | None) -> int:
    """How many rows of the sheet the header search looks at."""
    return max(30, (header_row or 0) + 1)


def _sheet_part(zf: zipfile.ZipFile, sheet: str) -> str | None:
    """The zip member holding ``sheet`` (workbook.xml names it, its rels locate it)."""
    book = ET.fromstring(zf.read("xl/workbook.xml"))
    rid = next(
        (s.get(f"{_REL}id") for s in book.iter(f"{_MAIN}sheet") if s.get("name") == sheet), None
    )
    rels = ET.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
    target = next(r.get("Target") for r in rels.iter(f"{_PKG}Relationship") if r.get("Id") == rid)
    if target is None:
        return None
    return target.lstrip("/") if target.startswith("/") else posixpath.normpath("xl/" + target)


def _hidden_rows(path: Path, sheet: str) -> set[int]:
    """1-based sheet rows marked hidden (hidden by hand, or filtered out)."""
    try:
        with zipfile.ZipFile(path) as zf:
            part = _sheet_part(zf, sheet)
            if part is None:
                return set()
            hidden = set()
            with zf.open(part) as fh:
                for _event, el in ET.iterparse(fh):
                    if el.tag == f"{_MAIN}row":
                        if el.get("hidden") in ("1", "true"):
                            hidden.add(int(el.get("r", 0)))
                        el.clear()
            return hidden
    except (KeyError, StopIteration, ET.ParseError, zipfile.BadZipFile, ValueError):
        return set()  # a workbook laid out otherwise: nothing known to be hidden


def _check_formulas(path: Path, name: str, sheet: str) -> None:
    """Formulas whose value Excel never computed (files written by scripts) read as
    empty cells: say so instead of reporting empty values."""
    import openpyxl

    missing = []
    # The files are opened here, not by openpyxl: its read-only workbooks (≤ 3.1.2) leave
    # their file open after close().
    with path.open("rb") as formulas_fh, path.open("rb") as values_fh:
        wb = openpyxl.load_workbook(formulas_fh, read_only=True, data_only=False)
        values = openpyxl.load_workbook(values_fh, read_only=True, data_only=True)
        ws, cached = wb[sheet], values[sheet]
        for row, row_cached in zip(ws.iter_rows(), cached.iter_rows(), strict=False):
            for cell, value in zip(row, row_cached, strict=False):
                if (
                    isinstance(cell.value, str)
                    and cell.value.startswith("=")
                    and value.value is None
                ):
                    missing.append(f"{cell.coordinate} {cell.value[:30]!r}")
        wb.close()
        values.close()
    if missing:
        shown = ", ".join(missing[:5]) + (
            f" and {len(missing) - 5} more" if len(missing) > 5 else ""
        )
        raise DataError(
            Problem(
                f"has formulas whose values were never computed: {shown}",
                fix="open and save the file in Excel, or paste values only",
            ),
            source=name,
        )
