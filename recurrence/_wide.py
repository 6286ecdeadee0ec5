"""Reading a wide CSV file (a REDCap or questionnaire export, thousands of columns) in
time linear in its cells.

pandas' C parser with Arrow-backed text costs about 0.17 ms a column whatever the
number of rows (one Arrow array, one extension array and one block per column), and
every later step on such a frame pays per column again: 5,000 columns × 30 rows took
2 s where 30 columns × 5,000 rows took 0.1 s. Here pyarrow's CSV reader, which is
columnar and has no per-column cost to speak of, reads every cell as text, and the cells
come back as **one** block of Python strings (``None`` where empty), the frame a user
would hand to :func:`recurrence.canonical_cohort` themselves. A wide file has few rows
by nature, so Python strings cost little memory here (the long files keep Arrow text).

The result must be what pandas would have read, cell for cell, so this path is taken only
when it certainly is: the same column names, in order, from the header row already
parsed; anything pyarrow refuses or reads differently (a short row, which pandas fills
with empty cells; a quoted line break in the header) falls back to pandas, whose
messages then say what is wrong. ``tests/test_wide.py`` reads the loader's own awkward
files both ways and holds the frames equal.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["WIDE_COLUMNS", "read_wide_csv"]

#: From this many columns on, a CSV file is read by :func:`read_wide_csv`.
WIDE_COLUMNS = 200


def read_wide_csv(
    path: Path,
    *,
    delimiter: str,
    encoding: str,
    skip: int,
    header: list[str],
    na_values: list[str],
) -> pd.DataFrame | None:
    """The cells of ``path`` below its header row (``skip`` lines above it) as text, in
    one object block, or ``None`` when pandas must read the file instead."""
    import pyarrow as pa
    import pyarrow.csv as pcsv

    if any(not name.strip() for name in header):
        return None  # pandas names a blank header "Unnamed: 3": let it
    try:
        table = pcsv.read_csv(
            path,
            # one thread: a file of few rows is one block, and a pool costs more than it gives
            read_options=pcsv.ReadOptions(skip_rows=skip, encoding=encoding, use_threads=False),
            parse_options=pcsv.ParseOptions(
                delimiter=delimiter, newlines_in_values=True, ignore_empty_lines=True
            ),
            convert_options=pcsv.ConvertOptions(
                column_types={name: pa.large_string() for name in header},
                null_values=na_values,
                strings_can_be_null=True,
                quoted_strings_can_be_null=True,
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowKeyError, UnicodeDecodeError, LookupError):
        return None
    if table.column_names != header:
        return None
    rows, cols = table.num_rows, table.num_columns
    chunks = [chunk for column in table.columns for chunk in column.chunks]
    if rows and chunks:
        cells = pa.chunked_array(chunks, pa.large_string()).to_numpy(zero_copy_only=False)
    else:
        cells = np.empty(0, dtype=object)
    # column-major text, transposed into the (rows × columns) block without a copy
    return pd.DataFrame(
        cells.reshape(cols, rows).T, columns=pd.Index(header), dtype=object, copy=False
    )
