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
import os
import tempfile
from pathlib import Path

import pandas as pd

from ._header import check_header, pick_header_row
from ._wide import WIDE_COLUMNS, read_wide_csv
from .errors import DataError, Problem

__all__ = ["arrow_memory", "atomic_write", "read_table", "source_name"]

CSV_SUFFIXES = {".csv", ".tsv", ".txt", ".tab"}
EXCEL_SUFFIXES = {".xlsx", ".xlsm"}
PARQUET_SUFFIXES = {".parquet", ".pq"}
#: Cells read as missing in every column of a text file: empty, and R's ``NA``. Other
#: spellings of "no value" (``n/a``, ``unknown``, ``NaN``, ``.``) are missing in a text
#: column but a problem in a column of numbers or yes/no values (``_types.py``).
NA_STRINGS = ["", "NA"]
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


def read_table(
    source: str | os.PathLike,
    *,
    sheet: str | int | None = None,
    header_row: int | None = None,
) -> pd.DataFrame:
    """Read a CSV, Excel or Parquet file into a DataFrame with a fresh RangeIndex.

    CSV cells come back as strings (missing cells as ``NaN``); Excel and Parquet keep
    their stored types, Parquet's text as Arrow-backed strings, as a CSV's.
    ``header_row`` (1-based, as a spreadsheet numbers rows) names the row holding the
    column names; rows above it are ignored. Raises :class:`DataError` naming the file
    on every failure.
    """
    from ._outputs import check_input

    path = Path(source)
    name = path.name or str(path)
    check_input(path)  # FIFOs, devices, directories and link loops, before opening
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
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) and suffix not in (
        EXCEL_SUFFIXES | PARQUET_SUFFIXES
    ):
        raise DataError(
            Problem(
                'is UTF-16 text (as Excel\'s "Unicode text" export writes it)',
                fix="save it as UTF-8 (in Excel: CSV UTF-8) and load that file",
            ),
            source=name,
        )
    is_parquet = suffix in PARQUET_SUFFIXES or head.startswith(b"PAR1")
    if header_row is not None and is_parquet:
        raise DataError(
            Problem(
                "header_row does not apply to a Parquet file (its column names are stored)",
                fix="leave header_row out",
            ),
            source=name,
        )
    try:
        if suffix in EXCEL_SUFFIXES:
            from ._excel import read_excel

            frame = read_excel(path, name, sheet, header_row)
        elif is_parquet:
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
            frame = _read_csv(path, name, header_row)
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


#: The sniffer reads at most 50 lines and, beyond the first, at most this many characters
#: (csv.Sniffer counts every character of the sample 127 times: a wide export's 64 KB
#: head took 19 ms).
SNIFF_CHARS = 16_384


def _sniff_delimiter(text: str) -> str:
    lines: list[str] = []
    size = 0
    for line in text.splitlines()[:50]:
        if lines and size + len(line) > SNIFF_CHARS:
            break
        lines.append(line)
        size += len(line) + 1
    sample = "\n".join(lines)
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        first = sample.splitlines()[0] if sample else ""
        counts = {d: first.count(d) for d in ",;\t|"}
        best = max(counts, key=counts.__getitem__)
        return best if counts[best] else ","


def _read_csv(path: Path, name: str, header_row: int | None = None) -> pd.DataFrame:
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
    lines = text.split("\n")[: max(50, (header_row or 0) + 50)]
    # Sniffed from the header row on (a title above it is one line among many: the
    # sniffer's consistency test outvotes it).
    first = (header_row - 1) if isinstance(header_row, int) and header_row >= 1 else 0
    delimiter = _sniff_delimiter("\n".join(line for line in lines[first:] if line.strip()))
    rows = [next(csv.reader([line], delimiter=delimiter), []) for line in lines]
    h = pick_header_row(rows, header_row, name)
    check_header(rows[h], name)
    if len(rows[h]) >= WIDE_COLUMNS:
        wide = read_wide_csv(
            path,
            delimiter=delimiter,
            encoding=encoding,
            skip=h,
            header=rows[h],
            na_values=NA_STRINGS,
        )
        if wide is not None:
            return _read_from(wide, encoding, delimiter, h)
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
            skiprows=h,
            engine="c",
        )
    except (pd.errors.ParserError, ValueError, UnicodeDecodeError) as exc:
        raise DataError(
            Problem(
                f"cannot be read as a table ({first_line(exc)})",
                fix="check that every row has as many cells as the header",
            ),
            source=name,
        ) from exc
    return _read_from(frame, encoding, delimiter, h)


def _read_from(frame: pd.DataFrame, encoding: str, delimiter: str, h: int) -> pd.DataFrame:
    frame.attrs["encoding"] = encoding
    frame.attrs["delimiter"] = delimiter
    frame.attrs["header_row"] = h + 1
    return frame


def _arrow_text(kind):
    """pandas' Arrow-backed strings for Parquet text, as :func:`read_table` reads a
    CSV's cells: ``pd.read_parquet`` makes a Python string of every cell (a 5M-patient
    cohort's five text columns: 25M strings, a 2.5 GiB peak to read a 150 MB file)."""
    import pyarrow as pa

    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return pd.StringDtype("pyarrow")
    return None


def _read_parquet(path: Path, name: str) -> pd.DataFrame:
    try:
        import pyarrow.parquet as pq

        return pq.read_table(path).to_pandas(types_mapper=_arrow_text)
    except Exception as exc:  # pyarrow raises ArrowInvalid, OSError, ...
        raise DataError(
            Problem(
                f"cannot be read as Parquet ({first_line(exc)})",
                fix="write the file again, or export CSV",
            ),
            source=name,
        ) from exc


def first_line(exc: BaseException, limit: int = 100) -> str:
    """The first line of a library's error, cut to ``limit`` characters."""
    text = str(exc).strip().splitlines()
    line = text[0] if text else type(exc).__name__
    return line if len(line) <= limit else line[: limit - 1] + "…"


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
