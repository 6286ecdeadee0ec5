"""Exceptions and warnings raised by :mod:`recurrence`.

Every input problem is a :class:`DataError` (a :class:`ValueError`) that names the
source (file or "DataFrame"), the column, the rows (1-based data rows, as a user
counts them in a spreadsheet below the header) and what to do about it.  One error
lists every problem found, so a user fixes a file once, not once per problem.
"""

from __future__ import annotations

import os
import sys
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from types import FrameType

__all__ = [
    "ConvergenceWarning",
    "DataError",
    "DataWarning",
    "Problem",
    "RecurrenceWarning",
    "StatisticalWarning",
    "format_rows",
    "warn",
]

#: How many row numbers a message shows before it says "and N more".
MAX_ROWS_SHOWN = 10


def format_rows(rows: Sequence[int], limit: int = MAX_ROWS_SHOWN) -> str:
    """Format 1-based row numbers for a message.

    Parameters
    ----------
    rows : sequence of int
        1-based row numbers (as the user counts them in the file).
    limit : int, default 10
        Rows named before "and N more".

    Returns
    -------
    str
        ``"row 3"``, ``"rows 3, 17"`` or a shortened list.

    Examples
    --------
    >>> format_rows([3])
    'row 3'
    >>> format_rows([3, 17])
    'rows 3, 17'
    >>> format_rows(range(1, 15))
    'rows 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 and 4 more'
    """
    rows = sorted({int(r) for r in rows})
    if not rows:
        return "no rows"
    shown = ", ".join(str(r) for r in rows[:limit])
    more = len(rows) - limit
    word = "row" if len(rows) == 1 else "rows"
    return f"{word} {shown}" + (f" and {more} more" if more > 0 else "")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input table.

    Parameters
    ----------
    message
        What is wrong, in plain words ("is 0 or negative").
    column
        The column concerned (canonical name, or the user's name if it differs),
        or ``None`` for a table-wide problem.
    rows
        1-based data-row numbers (the first row under the header is row 1).
    fix
        What the user can do about it.
    values
        A few offending values, shown to help find them.
    user_column
        The user's name of the column when it was mapped to ``column``.
    """

    message: str
    column: str | None = None
    rows: tuple[int, ...] = ()
    fix: str | None = None
    values: tuple[object, ...] = field(default=())
    user_column: str | None = None

    def describe(self) -> str:
        """One line: column, rows, what is wrong and the fix."""
        parts = []
        if self.column is not None:
            mapped = self.user_column not in (None, self.column)
            parts.append(
                f"column '{self.user_column}' (mapped to '{self.column}')"
                if mapped
                else f"column '{self.column}'"
            )
        if self.rows:
            parts.append(format_rows(self.rows))
        head = ", ".join(parts)
        text = f"{head}: {self.message}" if head else self.message
        if self.values:
            from ._privacy import shown_value  # free text is never printed, not even here

            shown = ", ".join(
                repr(round(v, 2) if isinstance(v, float) else shown_value(v))
                for v in self.values[:5]
            )
            text += f" (found {shown}{', …' if len(self.values) > 5 else ''})"
        if self.fix:
            text += f". Fix: {self.fix}"
        return text


class DataError(ValueError):
    """An input table (or argument) that cannot be used, with every problem found.

    Parameters
    ----------
    problems
        One or more :class:`Problem` (or plain strings).
    source
        Where the data came from: a file name, or ``"DataFrame"``.
    loading
        Whether the error stops a table from loading (the message then says that
        nothing was loaded); ``False`` for arguments of an analysis.

    Examples
    --------
    >>> err = DataError([Problem("is 0 or negative", column="time", rows=(3, 17),
    ...                          fix="times are months and must be > 0")],
    ...                 source="cohort.csv")
    >>> print(err)
    cohort.csv: 1 problem, nothing was loaded:
      - column 'time', rows 3, 17: is 0 or negative. Fix: times are months and must be > 0
    """

    def __init__(
        self,
        problems: Iterable[Problem | str] | Problem | str,
        *,
        source: str | None = None,
        loading: bool = True,
    ):
        if isinstance(problems, (Problem, str)):
            problems = [problems]
        self.problems: tuple[Problem, ...] = tuple(
            p if isinstance(p, Problem) else Problem(str(p)) for p in problems
        )
        self.source = source
        self.loading = loading
        super().__init__(self._message())

    def _message(self) -> str:
        where = self.source or "input"
        if len(self.problems) == 1 and not (self.problems[0].column or self.problems[0].rows):
            return f"{where}: {self.problems[0].describe()}"
        n = len(self.problems)
        head = f"{where}: {n} problem{'s' if n != 1 else ''}" + (
            ", nothing was loaded:" if self.loading else ":"
        )
        return "\n".join([head, *(f"  - {p.describe()}" for p in self.problems)])

    def one_line(self) -> str:
        """The whole message on one line (for the command line)."""
        where = self.source or "input"
        return f"{where}: " + "; ".join(p.describe() for p in self.problems)


class RecurrenceWarning(UserWarning):
    """Base class of the warnings of :mod:`recurrence`."""


class DataWarning(RecurrenceWarning):
    """The data are usable but something should be looked at (e.g. missing covariates)."""


class StatisticalWarning(RecurrenceWarning):
    """An estimate exists but rests on a weak basis (no events, one study, boundary τ²…)."""


class ConvergenceWarning(StatisticalWarning):
    """An iterative estimator did not converge; the message says what was done instead."""


_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


def warn(message: str, category: type[Warning]) -> None:
    """Warn, attributing the warning to the first caller outside this package (so a
    notebook shows the user's line, not ours, whatever the depth of the call).

    Parameters
    ----------
    message : str
        The warning, one sentence saying what happened and what to do.
    category : type of Warning
        One of the named warning classes of this module (:class:`DataWarning`,
        :class:`StatisticalWarning`, :class:`ConvergenceWarning`).

    Returns
    -------
    None

    Examples
    --------
    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     warn("3 patients have no operation date: left out", DataWarning)
    >>> caught[0].category.__name__, str(caught[0].message)
    ('DataWarning', '3 patients have no operation date: left out')
    """
    level = 2  # stacklevel 2: the caller of warn()
    frame: FrameType | None = sys._getframe(1)
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(_PACKAGE_DIR):
        frame = frame.f_back
        level += 1
    warnings.warn(message, category, stacklevel=level)
