"""Reading user tables from disk, and writing outputs whole or not at all.

Reading: CSV (delimiter sniffed; UTF-8, UTF-8 with BOM, Windows-1252/Latin-1; any
line endings), Excel ``.xlsx``/``.xlsm`` and Parquet. Nothing is ever unpickled or
evaluated: JSON, pickle, zip and other formats are refused with a message that says
which formats are read. Every failure is a :class:`~recurrence.errors.DataError`
naming the file.

CSV cells are read as text so that the schema, not pandas' type guessing, decides
what a value means (``"yes"``, ``"1"``, ``"12,5"``), and so that no cell is silently
turned into something else.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
import os
import re
import tempfile
from collections import Counter
from pathlib import Path

import pandas as pd

from .errors import DataError, Problem

__all__ = ["arrow_memory", "atomic_write", "read_table", "source_name"]

CSV_SUFFIXES = {".csv", ".tsv", ".txt", ".tab"}
EXCEL_SUFFIXES = {".xlsx", ".xlsm"}
PARQUET_SUFFIXES = {".parquet", ".pq"}
#: Spellings read as a missing value in text files.
NA_STRINGS = ["", "NA", "N/A", "n/a", "na", "NaN", "nan", "NULL", "null", "None", "#N/A", "."]
_REFUSED = {
    ".json": "is JSON, which is not read",
    ".pkl": "is a Python pickle: never loaded, because unpickling can run code",
    ".pickle": "is a Python pickle: never loaded, because unpickling can run code",
    ".zip": "is a zip archive, which is not read",
    ".gz": "is a compressed file, which is not read",
    ".xls": "is an old Excel 97-2003 file, which is not read",
    ".sav": "is an SPSS file, which is not read",
    ".dta": "is a Stata file, which is not read",
    ".rds": "is an R data file, which is not read",
    ".sas7bdat": "is a SAS file, which is not read",
}


def source_name(source: object) -> str:
    """How messages name a source: the file name, or ``"DataFrame"``."""
    if isinstance(source, (str, os.PathLike)):
        return Path(source).name or str(source)
    return "DataFrame"


def read_table(source: str | os.PathLike, *, sheet: str | int | None = None) -> pd.DataFrame:
    """Read a CSV, Excel or Parquet file into a DataFrame with a fresh RangeIndex.

    CSV cells come back as strings (missing cells as ``NaN``); Excel and Parquet keep
    their stored types. Raises :class:`DataError` naming the file on every failure.
    """
    path = Path(source)
    name = path.name or str(path)
    if not path.exists():
        raise DataError(Problem("file not found", fix=f"check the path ({path})"), source=name)
    if path.is_dir():
        raise DataError(
            Problem("is a directory, not a file", fix="give the path of a table file"), source=name
        )
    if not os.access(path, os.R_OK):
        raise DataError(
            Problem("cannot be read (permission denied)", fix="check the file's permissions"),
            source=name,
        )
    suffix = path.suffix.lower()
    if suffix in _REFUSED:
        raise DataError(
            Problem(_REFUSED[suffix], fix="save the table as CSV, Excel (.xlsx) or Parquet"),
            source=name,
        )
    try:
        with path.open("rb") as fh:
            head = fh.read(8)
    except OSError as exc:
        raise DataError(Problem(f"cannot be read ({exc.strerror or exc})"), source=name) from exc
    try:
        if suffix in EXCEL_SUFFIXES:
            frame = _read_excel(path, name, sheet)
        elif suffix in PARQUET_SUFFIXES or head.startswith(b"PAR1"):
            frame = _read_parquet(path, name)
        elif head.startswith(b"PK\x03\x04"):
            # A zip container: an .xlsx saved under another name, or a real archive.
            raise DataError(
                Problem(
                    "is a zip archive or an Excel file with the wrong extension",
                    fix="rename an Excel file to .xlsx, or unzip the archive",
                ),
                source=name,
            )
        elif suffix in CSV_SUFFIXES or suffix == "":
            frame = _read_csv(path, name)
        else:
            raise DataError(
                Problem(
                    f"has an unknown file type '{suffix}'",
                    fix="save the table as CSV, Excel (.xlsx) or Parquet",
                ),
                source=name,
            )
    except OSError as exc:  # permission, I/O error while reading
        raise DataError(Problem(f"cannot be read ({exc.strerror or exc})"), source=name) from exc
    except MemoryError as exc:
        raise DataError(
            Problem(
                "is too large to load in memory",
                fix="save it as Parquet, or load the columns you need",
            ),
            source=name,
        ) from exc
    if frame.shape[1] == 0 or (
        frame.shape[0] == 0 and frame.shape[1] <= 1 and not len(frame.columns)
    ):
        raise DataError(
            Problem(
                "is empty (no header, no rows)", fix="export the table again with its header row"
            ),
            source=name,
        )
    return frame.reset_index(drop=True)


def _scan(path: Path, name: str) -> str:
    """One pass over the file in blocks (no second copy in memory): refuse binary data
    (NUL bytes), and pick the encoding: UTF-8 (with or without BOM) if the whole file
    decodes, else Windows-1252, else Latin-1 (which decodes every byte)."""
    candidates = {enc: codecs.getincrementaldecoder(enc)() for enc in ("utf-8-sig", "cp1252")}
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 22), b""):
            if b"\x00" in block:
                raise DataError(
                    Problem(
                        "is not a text table (it contains binary data)",
                        fix="save the table as CSV, Excel (.xlsx) or Parquet",
                    ),
                    source=name,
                )
            for enc in list(candidates):
                try:
                    candidates[enc].decode(block)
                except UnicodeDecodeError:
                    del candidates[enc]
    for enc, decoder in candidates.items():
        try:
            decoder.decode(b"", final=True)
            return enc
        except UnicodeDecodeError:
            continue
    return "latin-1"


def _sniff_delimiter(text: str) -> str:
    sample = "\n".join(text.splitlines()[:50])
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        first = sample.splitlines()[0] if sample else ""
        counts = {d: first.count(d) for d in ",;\t|"}
        best = max(counts, key=counts.get)
        return best if counts[best] else ","


def _read_csv(path: Path, name: str) -> pd.DataFrame:
    encoding = _scan(path, name)
    with path.open("rb") as fh:
        head = fh.read(65536)
    text = head.decode(encoding, errors="ignore").replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise DataError(
            Problem(
                "is empty (no header, no rows)", fix="export the table again with its header row"
            ),
            source=name,
        )
    if text.lstrip()[:1] in "{[":
        raise DataError(
            Problem(
                "looks like JSON, not a table",
                fix="save the table as CSV, Excel (.xlsx) or Parquet",
            ),
            source=name,
        )
    delimiter = _sniff_delimiter(text)
    header = next(csv.reader(io.StringIO(text.lstrip("\n")), delimiter=delimiter))
    _check_header(header, name)
    try:
        # Cells as text, stored by Arrow (a fraction of the memory of Python strings),
        # so the schema, not pandas' type guessing, decides what a value means.
        frame = pd.read_csv(
            path,
            sep=delimiter,
            encoding=encoding,
            dtype="string[pyarrow]",
            keep_default_na=False,
            na_values=NA_STRINGS,
            skip_blank_lines=True,
            engine="c",
        )
    except (pd.errors.ParserError, ValueError, UnicodeDecodeError) as exc:
        raise DataError(
            Problem(
                f"cannot be read as a table ({_first_line(exc)})",
                fix="check that every row has as many cells as the header",
            ),
            source=name,
        ) from exc
    frame.attrs["encoding"] = encoding
    frame.attrs["delimiter"] = delimiter
    return frame


def _check_header(header: list[str], name: str) -> None:
    cleaned = [h.strip() for h in header]
    if not any(cleaned):
        raise DataError(
            Problem(
                "has no column names in its first row",
                fix="export the table again with its header row",
            ),
            source=name,
        )
    numeric = sum(bool(re.fullmatch(r"[+-]?\d+([.,]\d+)?", h)) for h in cleaned)
    if numeric and numeric >= len(cleaned) / 2:
        raise DataError(
            Problem(
                f"the first row looks like data, not column names ({header[:4]})",
                fix="add a header row (patient_id, closure, time, event, …)",
            ),
            source=name,
        )
    dupes = [h for h, c in Counter(cleaned).items() if c > 1 and h]
    if dupes:
        where = ", ".join(
            f"'{d}' (columns {', '.join(str(i + 1) for i, h in enumerate(cleaned) if h == d)})"
            for d in dupes
        )
        raise DataError(
            Problem(
                f"has duplicated column names: {where}", fix="give every column a distinct name"
            ),
            source=name,
        )


def _read_excel(path: Path, name: str, sheet: str | int | None) -> pd.DataFrame:
    try:
        sheets = pd.read_excel(path, sheet_name=None, engine="openpyxl", dtype=object)
    except Exception as exc:  # openpyxl raises many types for corrupt files
        raise DataError(
            Problem(
                f"cannot be read as an Excel workbook ({_first_line(exc)})",
                fix="open it in Excel and save it again as .xlsx, or export CSV",
            ),
            source=name,
        ) from exc
    names = list(sheets)
    non_empty = [k for k, v in sheets.items() if v.shape != (0, 0)]
    if sheet is not None:
        key = names[sheet] if isinstance(sheet, int) and 0 <= sheet < len(names) else sheet
        if key not in sheets:
            raise DataError(
                Problem(
                    f"has no sheet {sheet!r}; its sheets are {names}",
                    fix="pass one of those sheet names",
                ),
                source=name,
            )
    elif len(non_empty) > 1:
        raise DataError(
            Problem(
                f"has {len(non_empty)} sheets with data: {non_empty}",
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
    frame = sheets[key]
    _check_header([str(c) for c in frame.columns if not str(c).startswith("Unnamed:")], name)
    _check_formulas(path, name, key)
    frame.attrs["sheet"] = key
    return frame


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
                    missing.append(f"{cell.coordinate} {cell.value!r}")
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


def _read_parquet(path: Path, name: str) -> pd.DataFrame:
    try:
        return pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises ArrowInvalid, OSError, ...
        raise DataError(
            Problem(
                f"cannot be read as Parquet ({_first_line(exc)})",
                fix="write the file again, or export CSV",
            ),
            source=name,
        ) from exc


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def arrow_memory():
    """Use pyarrow's jemalloc (or the system) allocator inside the block, then restore
    the previous one. The text of a file is held in Arrow buffers; pyarrow's default
    mimalloc pool keeps freed memory, and loading a 1M-row cohort peaked at 830 MiB with
    it against 650 MiB with jemalloc (measured; ``benchmarks/README.md``)."""
    import pyarrow as pa

    previous = pa.default_memory_pool()
    try:
        pool = pa.jemalloc_memory_pool()
    except (NotImplementedError, AttributeError):  # a pyarrow built without jemalloc
        pool = pa.system_memory_pool()
    pa.set_memory_pool(pool)
    try:
        yield
    finally:
        pa.set_memory_pool(previous)


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike, mode: str = "wb"):
    """Open a temporary file beside ``path``; rename it into place only on success.

    An interrupted write (an exception, Ctrl-C) leaves any existing file untouched and
    no partial file behind.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "out.txt"
    >>> with atomic_write(target, "w") as fh:
    ...     _ = fh.write("whole")
    >>> target.read_text()
    'whole'
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, mode) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        # mkstemp makes the file private (0600); give it the permissions any new file gets
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
