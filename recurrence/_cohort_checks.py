"""What a valid cohort table is, beyond each column's spellings: the value rules that
:func:`recurrence.schema.pandera_problems` checks (times > 0 and plausible, event codes,
unique ids, covariates not negative), the checks across columns (``time_left`` before
``time`` and only with a reherniation, R's 1/2 event coding) and the warnings given after
a table has loaded (hidden Excel rows, missing covariates, times that look like days).

Used by :func:`recurrence.cohorts.canonical_cohort`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._excel import warn_hidden_rows
from .errors import DataWarning, warn
from .schema import MAX_MONTHS, Collector, as_text

__all__ = ["r_style_codes", "time_left_problems", "value_rules", "warn_cohort"]


def r_style_codes(raw: pd.Series, bag: Collector) -> None:
    """Numeric codes 1 and 2 with nobody censored is R's ``Surv()`` coding (1 censored,
    2 event) far more often than a cohort without one censored patient: say so."""
    codes = set(as_text(raw).dropna().unique().tolist())
    if codes and codes <= {"1", "2", "1.0", "2.0"} and len({c[0] for c in codes}) == 2:
        bag.add(
            "event",
            raw.notna(),
            "has codes 1 and 2 only (nobody censored): R's Surv() codes 1 = censored, 2 = event",
            "if so, values={'event': {1: 0, 2: 1}} (--values); if 1 is reherniation and 2 a "
            "competing event, confirm with values={'event': {1: 1, 2: 2}}",
        )


def value_rules(from_dates: bool, factor: float) -> dict:
    """The rules of :func:`recurrence.schema.pandera_problems` for a cohort,
    ``{column: {check: (function, message, fix)}}``; the messages say whether ``time``
    came from dates (``from_dates``) and was converted to months (``factor`` ≠ 1)."""
    unit = "" if factor == 1.0 else " (after converting to months)"
    rules = {
        "patient_id": {
            "unique": (
                None,
                "patient id appears more than once",
                "each row is one patient: remove duplicates or fix the ids",
            )
        },
        "time": {
            "finite": (lambda s: np.isfinite(s), "is not finite (inf)", "give a number of months"),
            "positive": (
                lambda s: ~np.isfinite(s) | (s > 0),
                "is 0 or negative",
                "times are months from surgery and must be > 0",
            )
            if not from_dates
            else (
                lambda s: ~np.isfinite(s) | (s > 0),
                "ends on or before the surgery date",
                "check the two dates (swapped? a typo in the year?)",
            ),
            "plausible": (
                lambda s: ~np.isfinite(s) | (s <= MAX_MONTHS),
                f"is over {MAX_MONTHS:.0f} months (100 years){unit}",
                "times are months: check the unit (days? weeks? pass time_unit='days') and typos",
            )
            if not from_dates
            else (
                lambda s: ~np.isfinite(s) | (s <= MAX_MONTHS),
                f"spans over {MAX_MONTHS:.0f} months (100 years)",
                "check the years of the two dates",
            ),
        },
        "event": {
            "codes": (
                lambda s: s.isin([0, 1, 2]),
                "is not 0, 1 or 2",
                "use 0 censored, 1 reherniation, 2 competing event",
            )
        },
    }
    for name in ("age", "bmi", "defect_width_mm", "disc_height_mm"):
        rules[name] = {"range": (lambda s: s >= 0, "is negative", "check the sign and unit")}
    return rules


def time_left_problems(out: pd.DataFrame, bad: dict, bag: Collector) -> None:
    """``time_left``: the last visit known free of reherniation, before the event."""
    left, time, event = out["time_left"], out["time"], out["event"]
    given = left.notna() & ~bad.get("time_left", False)
    bag.add(
        "time_left",
        given & (left < 0),
        "is negative",
        "time_left is months from surgery to the last visit free of reherniation",
        left,
    )
    bag.add(
        "time_left",
        given & (left >= 0) & (left >= time),
        "is not before time",
        "the event lies between time_left (last clean visit) and time (the visit that "
        "found it): time_left < time",
        left,
    )
    bag.add(
        "time_left",
        given & (event != 1),
        "is given for a patient without a reherniation (event is not 1)",
        "leave time_left empty unless the event is a reherniation found at a visit",
        left,
    )


def warn_cohort(
    out: pd.DataFrame, source: str, time_unit: str, hidden=(), quiet=("time_left",)
) -> None:
    """Warn about what loaded but may be wrong: rows hidden in Excel (``hidden``),
    missing covariate values (columns in ``quiet`` aside), a median time that looks like
    days or weeks read as months."""
    warn_hidden_rows(source, hidden)
    covariates = [c for c in out.columns if c not in ("patient_id", "closure", "time", "event")]
    counts = out[covariates].isna().sum()  # one pass, not one per column
    missing = {c: int(n) for c, n in counts.items() if n and c not in quiet}
    if missing:
        listed = ", ".join(f"{c} {n} row{'s' if n != 1 else ''}" for c, n in missing.items())
        if len(listed) > 150:
            listed = listed[:150].rsplit(", ", 1)[0] + f" and {len(missing)} columns in all"
        warn(
            f"{source}: missing covariate values ({listed}); kept as missing, and an "
            "analysis that uses one of them leaves those patients out and says so",
            DataWarning,
        )
    median = float(out["time"].median())
    if median > 240:
        hint = (
            "pass time_unit='days' (or 'weeks')"
            if time_unit == "months"
            else f"time_unit={time_unit!r} was given: check it"
        )
        warn(
            f"{source}: median time is {median:.0f} months ({median / 12:.0f} years); "
            f"were the times given in days or weeks? {hint}",
            DataWarning,
        )
