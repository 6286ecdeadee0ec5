"""Which row of a file holds the column names, and whether those names can be used.

Registry and spreadsheet exports often open with a title ("Lumbar disc registry, export
of 2024-03-01") and a blank line before the header. Such a file is never read with the
title as its header: without ``header_row`` the loader stops with a short error that
names the option and the row that looks like the header.
"""

from __future__ import annotations

import re
from collections import Counter

from .errors import DataError, Problem

__all__ = ["check_header", "pick_header_row"]

#: How many rows after the first non-empty one are looked at to find the table's width.
LOOKAHEAD = 12
#: A title is shown in a message at most this long (it names a file, never a patient).
TITLE_CHARS = 60


#: A header cell that is a number (the file has no header row: its first row is data).
_NUMBER = re.compile(r"[+-]?\d+([.,]\d+)?")


def _filled(row: list[str]) -> int:
    # map, not a generator: a 5,000-column export's rows are counted a dozen times
    return sum(map(bool, map(str.strip, map(str, row))))


def pick_header_row(rows: list[list[str]], header_row: int | None, name: str) -> int:
    """The 0-based index in ``rows`` (the first rows of a sheet or file, one list of
    cells per row, blank rows as empty lists) of the row holding the column names.

    ``header_row`` is 1-based, as a spreadsheet numbers its rows. Without it, the first
    non-empty row is the header, unless it looks like a title (one filled cell where the
    table below has three or more): then a :class:`DataError` names ``header_row``.
    """
    if header_row is not None:
        if isinstance(header_row, bool) or not isinstance(header_row, int) or header_row < 1:
            raise DataError(
                Problem(
                    f"header_row must be a row number from 1, got {header_row!r}",
                    fix="give the row (as the spreadsheet numbers it) that holds the column names",
                ),
                source=name,
            )
        index = header_row - 1
        if index >= len(rows) or not _filled(rows[index]):
            where = "is empty" if index < len(rows) else f"is past the end ({len(rows)} rows)"
            raise DataError(
                Problem(
                    f"header_row={header_row}: that row {where}",
                    fix="give the row that holds the column names",
                ),
                source=name,
            )
        return index
    first = next((i for i, r in enumerate(rows) if _filled(r)), None)
    if first is None:
        return 0
    filled = [_filled(r) for r in rows[first : first + LOOKAHEAD]]
    widest = max(filled)
    if widest >= 3 and filled[0] <= max(1, widest // 3):
        header = first + next(
            (i for i in range(1, len(filled)) if filled[i] >= 0.6 * widest),
            1,
        )
        title = " ".join(str(c).strip() for c in rows[first] if str(c).strip())
        if len(title) > TITLE_CHARS:
            title = title[: TITLE_CHARS - 1] + "…"
        raise DataError(
            Problem(
                f"row {first + 1} looks like a title ({title!r}), not column names",
                fix=f"say which row holds the column names: header_row={header + 1} "
                f"(--header-row {header + 1})",
            ),
            source=name,
        )
    return first


def check_header(header: list[str], name: str) -> None:
    """Refuse a header that is empty, that is data, or that repeats a name."""
    cleaned = [str(h).strip() for h in header]
    if not any(cleaned):
        raise DataError(
            Problem(
                "has no column names in its first row",
                fix="export the table again with its header row",
            ),
            source=name,
        )
    numeric = sum(map(bool, map(_NUMBER.fullmatch, cleaned)))
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
            for d in dupes[:5]
        ) + (f" and {len(dupes) - 5} more" if len(dupes) > 5 else "")
        raise DataError(
            Problem(
                f"has duplicated column names: {where}", fix="give every column a distinct name"
            ),
            source=name,
        )
