"""Argument and table checks: the one home of what an analysis accepts.

Every public function checks its arguments and the columns it reads here, so an
argument or a table is refused the same way, with the same words, wherever it goes.
A cohort table that was not read by :func:`recurrence.load_cohort` is checked by
:func:`check_cohort` before any survival analysis, so ``time`` −1, ``event`` 5 or a
``closure`` of "yes"/"no" stop every estimator with one :class:`~recurrence.DataError`
naming the column and the rows (the loaders apply the stricter rules of
:mod:`recurrence.schema` on top: ``time`` > 0, unique ids, …).

Arguments are checked against declarative :class:`Rule` values (a test, the rule in
words and an example), as PyMARE's constraints or scikit-survival's single
``check_y_survival`` do::

    HR = Rule(lambda v: is_number(v) and v > 0, "a hazard ratio > 0", "hr=0.5")
    check("hr", hr, HR)   # DataError: "hr must be a hazard ratio > 0 (got -1). Fix: e.g. hr=0.5"

Messages read ``<name> must be <rule> (got <value>)``, followed by the fix.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .errors import DataError, Problem

__all__ = [
    "EVENT_NAMES",
    "LEVEL",
    "Rule",
    "as_list",
    "between",
    "check",
    "check_cohort",
    "check_each",
    "check_event",
    "check_level",
    "check_times",
    "is_number",
    "one_of",
    "optional",
    "problem",
    "two_groups_or_error",
    "whole",
]

#: How the ``event`` argument reads: the cause of interest, or both causes together.
EVENT_NAMES = {1: "reherniation", 2: "competing event", "any": "reherniation or competing event"}

#: The codes of the cohort's ``event`` column.
EVENT_CODES = (0, 1, 2)

#: How many row numbers and values a table problem keeps.
_ROWS_KEPT, _VALUES_KEPT = 50, 5


# ---------------------------------------------------------------------------------------
# rules
# ---------------------------------------------------------------------------------------


def is_number(value) -> bool:
    """A real number: int or float (NumPy's too), not a bool, not a string.

    Examples
    --------
    >>> is_number(0.95), is_number(np.int64(3)), is_number(True), is_number("0.95")
    (True, True, False, False)
    """
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(
        value, (bool, np.bool_)
    )


@dataclass(frozen=True)
class Rule:
    """What an argument must be: a test, the rule in words, an example of a good value.

    Parameters
    ----------
    test
        Returns true for an acceptable value (an exception counts as false).
    words
        The rule as it completes "<name> must be …".
    example
        A good value, shown as the fix ("e.g. …"); ``None`` for none.

    Examples
    --------
    >>> positive = Rule(lambda v: is_number(v) and v > 0, "> 0", "ratio=1")
    >>> positive(2), positive(-1), positive("2")
    (True, False, False)
    """

    test: Callable[[Any], bool]
    words: str
    example: str | None = None

    def __call__(self, value) -> bool:
        try:
            return bool(self.test(value))
        except (TypeError, ValueError, OverflowError):
            return False


def between(
    low: float = -math.inf,
    high: float = math.inf,
    *,
    low_closed: bool = False,
    high_closed: bool = False,
    words: str | None = None,
    example: str | None = None,
) -> Rule:
    """A number in an interval (open unless said closed).

    Examples
    --------
    >>> between(0, 1)(0.5), between(0, 1)(1), between(0, low_closed=True)(0)
    (True, False, True)
    >>> between(0, 1).words, between(0, low_closed=True).words
    ('in (0, 1)', '≥ 0')
    """

    def test(v):
        above = low <= v if low_closed else low < v
        below = v <= high if high_closed else v < high
        return is_number(v) and not math.isnan(v) and above and below

    if words is None:
        if math.isinf(high):
            words = f"{'≥' if low_closed else '>'} {low:g}"
        elif math.isinf(low):
            words = f"{'≤' if high_closed else '<'} {high:g}"
        else:
            words = f"in {'[' if low_closed else '('}{low:g}, {high:g}{']' if high_closed else ')'}"
    return Rule(test, words, example)


def whole(low: int = 0, *, words: str | None = None, example: str | None = None) -> Rule:
    """A whole number ≥ ``low`` (1.0 counts, 1.5 and True do not).

    Examples
    --------
    >>> whole(1)(3), whole(1)(3.0), whole(1)(0), whole(1)(1.5)
    (True, True, False, False)
    """
    return Rule(
        lambda v: is_number(v) and math.isfinite(v) and v == int(v) and v >= low,
        words or f"a whole number ≥ {low}",
        example,
    )


def one_of(values: Iterable, *, example: str | None = None) -> Rule:
    """One of the given values (a bool never counts as 0 or 1).

    Examples
    --------
    >>> sides = one_of((1, 2))
    >>> sides(2), sides(True), sides.words
    (True, False, 'one of [1, 2]')
    """
    allowed = tuple(values)
    return Rule(
        lambda v: not isinstance(v, (bool, np.bool_)) and any(v == a for a in allowed),
        f"one of {list(allowed)}",
        example,
    )


def optional(rule: Rule) -> Rule:
    """``None`` or what ``rule`` accepts.

    Examples
    --------
    >>> seed = optional(whole(0))
    >>> seed(None), seed(7), seed.words
    (True, True, 'a whole number ≥ 0 or None')
    """
    return Rule(lambda v: v is None or rule(v), f"{rule.words} or None", rule.example)


def problem(name: str, value, rule: Rule, fix: str | None = None) -> Problem:
    """The :class:`~recurrence.errors.Problem` of ``value`` breaking ``rule``, for a
    check that collects every problem before it raises.

    Examples
    --------
    >>> problem("ci_level", 95, LEVEL).describe()
    'ci_level must be between 0 and 1 (got 95). Fix: e.g. level=0.95 for 95% intervals'
    """
    return Problem(
        f"{name} must be {rule.words} (got {value!r})",
        fix=fix or (rule.example and f"e.g. {rule.example}"),
    )


def check(name: str, value, rule: Rule, *, fix: str | None = None):
    """``value`` if it follows ``rule``, else a :class:`~recurrence.DataError`.

    Parameters
    ----------
    name
        The argument's name, as the user typed it.
    value
        What was given.
    rule
        The :class:`Rule`.
    fix
        What to do instead (default: the rule's example).

    Returns
    -------
    object
        ``value`` unchanged.

    Examples
    --------
    >>> check("sides", 2, one_of((1, 2)))
    2
    >>> check("sides", 3, one_of((1, 2)))
    Traceback (most recent call last):
    ...
    recurrence.errors.DataError: input: sides must be one of [1, 2] (got 3)
    """
    if not rule(value):
        raise DataError(problem(name, value, rule, fix), loading=False)
    return value


def check_each(name: str, values: list, rule: Rule) -> list:
    """Every value of a (non-empty) list follows ``rule``; the first that does not is
    named.

    Examples
    --------
    >>> check_each("n_per_arm", [100, 200], whole(2))
    [100, 200]
    >>> check_each("n_per_arm", [], whole(2))
    Traceback (most recent call last):
    ...
    recurrence.errors.DataError: input: n_per_arm is empty. Fix: give at least one value
    """
    if not values:
        raise DataError(Problem(f"{name} is empty", fix="give at least one value"), loading=False)
    for v in values:
        check(name, v, rule)
    return values


def as_list(values) -> list:
    """Column names as a list: ``None`` is none, one name may be given as a string.

    Examples
    --------
    >>> as_list("age"), as_list(("age", "bmi")), as_list(None)
    (['age'], ['age', 'bmi'], [])
    """
    if values is None:
        return []
    if isinstance(values, str):
        return [values]
    return list(values)


# ---------------------------------------------------------------------------------------
# arguments every analysis shares
# ---------------------------------------------------------------------------------------

#: A confidence level.
LEVEL = Rule(
    lambda v: is_number(v) and 0 < v < 1, "between 0 and 1", "level=0.95 for 95% intervals"
)


def check_level(level, name: str = "level") -> float:
    """The confidence level as a float in (0, 1), or a DataError (also for ``True`` and
    for the string ``"0.95"``).

    Examples
    --------
    >>> check_level(0.9)
    0.9
    >>> check_level(95)
    Traceback (most recent call last):
    ...
    recurrence.errors.DataError: input: level must be between 0 and 1 (got 95).
    Fix: e.g. level=0.95 for 95% intervals
    """
    return float(check(name, level, LEVEL))


def check_event(event, allowed=(1, 2)):
    """The event of interest (1 reherniation, 2 the competing event, where allowed
    ``"any"``), or a DataError listing the allowed values.

    Examples
    --------
    >>> check_event(2), check_event("any", allowed=(1, 2, "any"))
    (2, 'any')
    >>> check_event(1.0)
    Traceback (most recent call last):
    ...
    recurrence.errors.DataError: input: event must be one of [1, 2] (got 1.0).
    Fix: 1 is reherniation, 2 the competing event
    """
    ok = (isinstance(event, str) and event in allowed) or (
        isinstance(event, (int, np.integer))
        and not isinstance(event, (bool, np.bool_))
        and int(event) in allowed
    )
    if not ok:
        fix = "1 is reherniation, 2 the competing event" + (
            ", 'any' either" if "any" in allowed else ""
        )
        raise DataError(
            Problem(f"event must be one of {list(allowed)} (got {event!r})", fix=fix),
            loading=False,
        )
    return event if isinstance(event, str) else int(event)


def check_times(times, name: str = "times") -> np.ndarray:
    """Evaluation times as a 1-D float array of finite values ≥ 0, or a DataError.

    Examples
    --------
    >>> check_times(12).tolist(), check_times([12, 24]).tolist()
    ([12.0], [12.0, 24.0])
    """
    try:
        arr = np.atleast_1d(np.asarray(times, dtype=float))
    except (TypeError, ValueError):
        raise DataError(
            Problem(f"{name} must be numbers of months (got {times!r})"), loading=False
        ) from None
    if arr.ndim != 1 or arr.size == 0 or not np.all(np.isfinite(arr)) or np.any(arr < 0):
        raise DataError(
            Problem(
                f"{name} must be finite numbers of months ≥ 0 (got {times!r})",
                fix="e.g. times=[12, 24, 60]",
            ),
            loading=False,
        )
    return arr


# ---------------------------------------------------------------------------------------
# the cohort table
# ---------------------------------------------------------------------------------------


def _numeric(s: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)


def _rows(bad: np.ndarray) -> tuple[int, ...]:
    return tuple(int(i) + 1 for i in np.flatnonzero(bad)[:_ROWS_KEPT])


def _values(series: pd.Series, bad: np.ndarray) -> tuple:
    return tuple(series[bad].head(_VALUES_KEPT).tolist())


def _time_problem(time: pd.Series) -> Problem | None:
    if not _numeric(time):
        return Problem(
            "is not numeric", column="time", fix="load the cohort with recurrence.load_cohort()"
        )
    values = time.to_numpy(dtype=float, na_value=np.nan)
    bad = ~np.isfinite(values) | (values < 0)
    if not bad.any():
        return None
    return Problem(
        "must be a finite number of months ≥ 0",
        column="time",
        rows=_rows(bad),
        values=tuple(values[bad][:_VALUES_KEPT].tolist()),
        fix="times are months from surgery to event or censoring",
    )


def _event_problem(event: pd.Series) -> Problem | None:
    ok = event.isin(EVENT_CODES).to_numpy(bool) if _numeric(event) else np.zeros(len(event), bool)
    if ok.all():
        return None
    return Problem(
        "is not 0 (censored), 1 (reherniation) or 2 (competing event)",
        column="event",
        rows=_rows(~ok),
        values=_values(event, ~ok),
    )


def _closure_problem(closure: pd.Series) -> Problem | None:
    if pd.api.types.is_bool_dtype(closure):
        return None
    given = closure.notna().to_numpy(bool)
    is_bool = np.fromiter(
        (isinstance(v, (bool, np.bool_)) for v in closure), dtype=bool, count=len(closure)
    )
    bad = given & ~is_bool
    if not bad.any():
        return None
    return Problem(
        "must be True (closed) or False (not closed)",
        column="closure",
        rows=_rows(bad),
        values=_values(closure, bad),
        fix="load the cohort with recurrence.load_cohort(), which reads 0/1, yes/no, "
        "true/false (and values={'closure': {...}} for other spellings)",
    )


def check_cohort(cohort, *, uses=()) -> None:
    """A DataError unless ``cohort`` is a cohort table a survival analysis can read.

    Checks what every analysis needs (a DataFrame with rows, ``time`` finite and ≥ 0,
    ``event`` 0, 1 or 2) and, when the analysis reads it (``uses``), that ``closure``
    holds True/False (missing values are left out by the analysis, and said so). All
    problems are reported at once, each with its column, rows and values.

    Parameters
    ----------
    cohort
        The table.
    uses
        Further columns the analysis reads (``closure`` is checked when among them).

    Returns
    -------
    None

    Examples
    --------
    >>> bad = pd.DataFrame({"closure": [True, False], "time": [-1.0, 12.0], "event": [1, 5]})
    >>> try:
    ...     check_cohort(bad)
    ... except DataError as err:
    ...     print(err)
    cohort: 2 problems:
      - column 'time', row 1: must be a finite number of months ≥ 0 (found -1.0).
        Fix: times are months from surgery to event or censoring
      - column 'event', row 2: is not 0 (censored), 1 (reherniation) or 2
        (competing event) (found 5)
    """
    if not isinstance(cohort, pd.DataFrame):
        raise DataError(
            Problem(
                f"expected a cohort DataFrame, got {type(cohort).__name__}",
                fix="load it with recurrence.load_cohort()",
            ),
            loading=False,
        )
    missing = [c for c in ("time", "event") if c not in cohort.columns]
    if missing:
        raise DataError(
            Problem(
                f"the cohort has no column(s) {missing}",
                fix="load it with recurrence.load_cohort(), which maps and checks the columns",
            ),
            loading=False,
        )
    if len(cohort) == 0:
        raise DataError(Problem("the cohort has no rows"), loading=False)
    found = [_time_problem(cohort["time"]), _event_problem(cohort["event"])]
    if "closure" in uses and "closure" in cohort.columns:
        found.append(_closure_problem(cohort["closure"]))
    problems = [p for p in found if p is not None]
    if problems:
        raise DataError(problems, source="cohort", loading=False)


def two_groups_or_error(groups: tuple[str, ...], by: str | None, what: str) -> None:
    """A DataError unless there are at least two groups to compare."""
    if by is None:
        raise DataError(
            Problem(
                f"{what} compares groups, and by=None gives one group",
                fix="name the grouping column, e.g. by='closure'",
            )
        )
    if len(groups) < 2:
        raise DataError(
            Problem(
                f"{what} needs at least two groups; column '{by}' has only {groups[0]!r}",
                column=by,
                fix="compare a column with two or more values",
            )
        )
