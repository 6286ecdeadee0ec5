"""The literature-range check: is a reherniation rate within the published 3–27%?

The range is the published recurrence **without** closure after lumbar discectomy:
symptomatic rates of 2–18%, up to 27% with large annular defects (Bouma 2013,
PMC3657060), 27% in Carragee's fragment-defect group (Carragee 2003, JBJS Am 85:102),
quoted as "between 3 and 27%". So:

* a **no-closure** rate outside the range is a question to raise about the data or
  the definitions (outcome, follow-up, population), not a finding;
* a **closure** rate below 3% is what closure aims for, not an error;
* the verdict is about the point estimate; whether the confidence interval overlaps
  the range says how firmly.

Examples
--------
>>> check_range(0.12).position
'within'
>>> import textwrap
>>> print(textwrap.fill(check_range(0.021, ci_low=0.008, ci_high=0.05, arm="closure").sentence))
2.1% (95% CI 0.8% to 5.0%) is below the published 3–27% range of
reherniation without closure, and its interval overlaps the range; for a
closure arm a rate below the range is what closure aims for.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from ._format import pct
from .errors import DataError, Problem
from .results import ResultMixin

__all__ = ["LITERATURE_RANGE", "RangeCheck", "check_range", "check_ranges"]

#: Published reherniation without closure (Bouma 2013; Carragee 2003).
LITERATURE_RANGE = (0.03, 0.27)
RANGE_SOURCES = (
    "Bouma 2013, PMC3657060: 2–18%, up to 27% with large annular defects; "
    "Carragee 2003, JBJS Am 85:102–108: 27% with fragment-defect morphology"
)
_RATIO_MEASURES = {"RR", "OR", "RD", "HR", "SHR"}


@dataclass(frozen=True, repr=False)
class RangeCheck(ResultMixin):
    """The verdict of :func:`check_range`.

    Attributes
    ----------
    estimate, ci_low, ci_high
        The rate and its interval (proportions; the interval may be ``None``).
    low, high
        The range held against.
    position
        ``"within"``, ``"below"`` or ``"above"`` (the point estimate).
    overlaps
        Whether the interval overlaps the range (``None`` without an interval).
    arm
        ``"closure"``, ``"no closure"`` or ``None``: how to read a rate outside the range.
    sentence
        The verdict in plain words.
    """

    estimate: float
    ci_low: float | None
    ci_high: float | None
    low: float
    high: float
    position: str
    overlaps: bool | None
    arm: str | None
    label: str | None
    sentence: str
    remarks: tuple[str, ...] = ()

    title = "Literature-range check"

    @property
    def within(self) -> bool:
        """True when the point estimate lies within the range."""
        return self.position == "within"

    @property
    def table(self) -> pd.DataFrame:
        return pd.DataFrame(
            [
                {
                    "label": self.label,
                    "arm": self.arm,
                    "estimate": self.estimate,
                    "ci_low": self.ci_low,
                    "ci_high": self.ci_high,
                    "low": self.low,
                    "high": self.high,
                    "position": self.position,
                    "overlaps": self.overlaps,
                }
            ]
        )

    def summary_lines(self) -> list[str]:
        return [self.sentence]


def _number(x, name: str) -> float | None:
    if x is None:
        return None
    try:
        value = float(x)
    except (TypeError, ValueError) as exc:
        raise DataError(Problem(f"{name} must be a number, not {x!r}")) from exc
    if math.isnan(value):
        return None
    if not 0.0 <= value <= 1.0:
        raise DataError(
            Problem(
                f"{name} = {value} is not a proportion",
                fix="give rates as proportions between 0 and 1 (12% is 0.12)",
            )
        )
    return value


def check_range(
    x,
    low: float = LITERATURE_RANGE[0],
    high: float = LITERATURE_RANGE[1],
    *,
    ci_low: float | None = None,
    ci_high: float | None = None,
    arm: str | None = None,
    label: str | None = None,
    level: float = 0.95,
) -> RangeCheck:
    """Hold a reherniation rate against the published range (3–27% without closure).

    Parameters
    ----------
    x
        A rate (proportion between 0 and 1), or any result with ``.estimate`` and an
        interval (``.ci_low``/``.ci_high``), such as a pooled proportion.
    low, high
        The range; default the published 3–27%.
    ci_low, ci_high
        The interval of a plain number (ignored when ``x`` carries its own).
    arm
        ``"closure"`` or ``"no closure"``: how a rate outside the range reads.
    label
        What the rate is ("no closure, 24 months"), carried into tables.
    level
        Confidence level of the interval, for the sentence.

    Returns
    -------
    RangeCheck

    Examples
    --------
    >>> r = check_range(0.31, ci_low=0.25, ci_high=0.37, arm="no closure")
    >>> r.position, r.overlaps
    ('above', True)
    """
    if not 0 <= low < high <= 1:
        raise DataError(Problem(f"the range must satisfy 0 ≤ low < high ≤ 1, got {low}, {high}"))
    measure = getattr(x, "measure", None)
    if isinstance(measure, str) and measure.upper() in _RATIO_MEASURES:
        raise DataError(
            Problem(
                f"check_range holds rates, not a {measure}",
                fix="pass a pooled proportion or a cumulative incidence",
            )
        )
    if hasattr(x, "estimate"):
        ci_low, ci_high = getattr(x, "ci_low", None), getattr(x, "ci_high", None)
        level = getattr(x, "level", level)
        label = label or getattr(x, "label", None)
        x = x.estimate
    estimate = _number(x, "the estimate")
    if estimate is None:
        raise DataError(
            Problem("the estimate is missing (NaN)", fix="check that the rate could be estimated")
        )
    lo, hi = _number(ci_low, "ci_low"), _number(ci_high, "ci_high")
    if (lo is None) != (hi is None):
        raise DataError(Problem("give both ends of the interval, or neither"))
    if lo is not None and hi is not None and not lo <= estimate <= hi:
        raise DataError(Problem(f"the interval {lo}–{hi} does not contain the estimate {estimate}"))
    if arm not in (None, "closure", "no closure"):
        raise DataError(Problem(f"arm must be 'closure', 'no closure' or None, not {arm!r}"))

    position = "below" if estimate < low else "above" if estimate > high else "within"
    overlaps = None if lo is None or hi is None else bool(hi >= low and lo <= high)
    text = pct(estimate)
    if lo is not None:
        text += f" ({round(100 * level)}% CI {pct(lo)} to {pct(hi)})"
    rng = f"{100 * low:g}–{100 * high:g}%"
    if position == "within":
        sentence = f"{text} lies within the published {rng} range of reherniation without closure"
        if lo is not None and hi is not None and not (lo >= low and hi <= high):
            sentence += ", though its interval reaches beyond it"
        sentence += "."
    else:
        sentence = f"{text} is {position} the published {rng} range of reherniation without closure"
        if overlaps is not None:
            sentence += (
                ", and its interval overlaps the range"
                if overlaps
                else ", and so is its whole interval"
            )
        sentence += "; " + _reading(position, arm, overlaps)
    return RangeCheck(
        estimate=estimate,
        ci_low=lo,
        ci_high=hi,
        low=low,
        high=high,
        position=position,
        overlaps=overlaps,
        arm=arm,
        label=label,
        sentence=sentence,
    )


def _reading(position: str, arm: str | None, overlaps: bool | None) -> str:
    if arm == "closure" and position == "below":
        return "for a closure arm a rate below the range is what closure aims for."
    if arm == "closure":
        return (
            "a closure arm above the range of no closure deserves a look at the "
            "population and the outcome definition."
        )
    question = (
        "check the outcome definition (symptomatic, radiographic, reoperation), the "
        "follow-up and the population"
        + (" (e.g. large annular defects)" if position == "above" else "")
    )
    if arm == "no closure":
        return f"for discectomy without closure this is a question to raise: {question}."
    return f"if this is a rate without closure, {question}."


def check_ranges(
    table: pd.DataFrame,
    *,
    estimate: str = "estimate",
    ci_low: str = "ci_low",
    ci_high: str = "ci_high",
    arm: str | None = None,
    low: float = LITERATURE_RANGE[0],
    high: float = LITERATURE_RANGE[1],
) -> pd.DataFrame:
    """Add ``position``, ``overlaps`` and ``verdict`` columns to a table of rates.

    ``arm`` names a column holding ``"closure"``/``"no closure"`` per row (or is None).

    Parameters
    ----------
    table : pandas.DataFrame
        One rate per row: proportions reherniated (0-1) and their interval.
    estimate, ci_low, ci_high : str
        Names of the columns holding the rate and its interval bounds (proportions).
    arm : str, optional
        Column holding ``"closure"``/``"no closure"`` per row, or ``None``.
    low, high : float
        The published range of reherniation without closure, as proportions (default
        0.03 to 0.27).

    Returns
    -------
    pandas.DataFrame
        A copy of ``table`` with ``position`` (``below``/``within``/``above``),
        ``overlaps`` (the interval reaches the range) and ``verdict`` (a sentence).

    Examples
    --------
    >>> t = pd.DataFrame({"group": ["no closure", "closure"], "estimate": [0.10, 0.02],
    ...                   "ci_low": [0.08, 0.01], "ci_high": [0.12, 0.04]})
    >>> check_ranges(t, arm="group")["position"].tolist()
    ['within', 'below']
    """
    checks = [
        check_range(
            row[estimate],
            low,
            high,
            ci_low=row.get(ci_low),
            ci_high=row.get(ci_high),
            arm=row[arm] if arm and row[arm] in ("closure", "no closure") else None,
        )
        for _, row in table.iterrows()
    ]
    out = table.copy()
    out["position"] = [c.position for c in checks]
    out["overlaps"] = [c.overlaps for c in checks]
    out["verdict"] = [c.sentence for c in checks]
    return out
