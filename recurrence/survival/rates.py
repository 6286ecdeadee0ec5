"""The headline table: how many patients reherniate by month t, with and without closure.

Per arm and horizon: the Aalen-Johansen cumulative incidence with its interval (the
honest answer with competing events), 1 − Kaplan-Meier with its interval beside it (the
number often published, which treats competing events as censored and so overstates
the incidence), and the patients still at risk.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
import pandas as pd

from .._validate import check_level, check_times
from ..errors import DataError, Problem
from ..results import ResultMixin
from .competing import CumulativeIncidenceResult, cumulative_incidence
from .km import KaplanMeierResult, kaplan_meier

__all__ = ["ReherniationRates", "reherniation_rates"]


@dataclass(frozen=True, repr=False)
class ReherniationRates(ResultMixin):
    """Reherniation rates per arm and horizon.

    Attributes
    ----------
    table
        ``group``, ``time`` (months), ``incidence``, ``ci_low``, ``ci_high``
        (Aalen-Johansen), ``one_minus_km``, ``km_ci_low``, ``km_ci_high`` (1 − Kaplan-Meier,
        competing events censored), ``at_risk``, ``events`` and ``competing`` (before
        the horizon), ``excess`` (1 − KM minus the incidence).
    incidence, kaplan_meier
        The full results the table was read from.
    """

    table: pd.DataFrame
    level: float
    groups: tuple[str, ...]
    incidence: CumulativeIncidenceResult = field(repr=False)
    kaplan_meier: KaplanMeierResult = field(repr=False)
    remarks: tuple[str, ...] = ()

    title: ClassVar[str] = "Reherniation rates"

    def summary_lines(self) -> list[str]:
        return [
            f"Cumulative incidence (Aalen-Johansen) and 1 − Kaplan-Meier, "
            f"{self.level:.0%} log(-log) intervals"
        ]

    def verdicts(self, low: float = 0.03, high: float = 0.27) -> pd.DataFrame:
        """The table with each incidence held against the published range
        (:func:`recurrence.checks.check_ranges`): ``position``, ``overlaps``, ``verdict``.

        Examples
        --------
        >>> from recurrence import load_cohort
        >>> reherniation_rates(load_cohort(), at=[24]).verdicts()["position"].tolist()
        ['within', 'within']
        """
        from ..checks import check_ranges

        return check_ranges(self.table, estimate="incidence", arm="group", low=low, high=high)

    def plot(self, ax=None, **kwargs):
        """Incidence and 1 − KM per arm and horizon; see
        :func:`recurrence.plotting.survival.plot_reherniation_rates`."""
        from ..plotting.survival import plot_reherniation_rates

        return plot_reherniation_rates(self, ax=ax, **kwargs)


def reherniation_rates(
    cohort: pd.DataFrame, at=(12, 24, 60), by: str | None = "closure", *, level: float = 0.95
) -> ReherniationRates:
    """Cumulative incidence of reherniation per arm at the horizons ``at`` (months).

    Parameters
    ----------
    cohort
        A cohort table (:func:`recurrence.load_cohort`).
    at
        Horizons in months.
    by
        Grouping column (default the closure arms), ``None`` for the whole cohort.
    level
        Confidence level of the intervals.

    Returns
    -------
    ReherniationRates
        ``.table`` (one row per arm and horizon), ``.plot()``.

    Examples
    --------
    >>> from recurrence import load_cohort
    >>> rates = reherniation_rates(load_cohort(), at=[24])
    >>> rates.table[["group", "time", "incidence", "one_minus_km", "at_risk"]].round(3)
            group  time  incidence  one_minus_km  at_risk
    0  no closure  24.0      0.119         0.121      776
    1     closure  24.0      0.053         0.053      868
    """
    level = check_level(level)
    times = check_times(at, "at")
    if np.any(times <= 0):
        raise DataError(
            Problem(f"horizons must be > 0 months (got {list(at)})", fix="e.g. at=(12, 24, 60)")
        )
    ci = cumulative_incidence(cohort, by=by, event=1, level=level)
    km = kaplan_meier(cohort, by=by, level=level, event=1)
    a, k = ci.at(times), km.at(times)
    table = pd.DataFrame(
        {
            "group": a["group"],
            "time": a["time"],
            "incidence": a["incidence"],
            "ci_low": a["ci_low"],
            "ci_high": a["ci_high"],
            "one_minus_km": 1 - k["survival"],
            "km_ci_low": 1 - k["ci_high"],
            "km_ci_high": 1 - k["ci_low"],
            "at_risk": a["at_risk"],
        }
    )
    counts = _counts_before(ci, times)
    table = table.merge(counts, on=["group", "time"], how="left", sort=False)
    table["excess"] = table["one_minus_km"] - table["incidence"]
    remarks = list(ci.remarks)
    remarks += [r for r in km.remarks if r not in remarks]
    beyond = table[table["incidence"].isna()]
    for g, sub in beyond.groupby("group", sort=False):
        remarks.append(
            f"{g}: no estimate at {', '.join(f'{t:g}' for t in sub['time'])} months "
            "(beyond the last follow-up)"
        )
    worst = table["excess"].max()
    # Without competing events the two agree (up to rounding): no remark then; and one
    # that would print "0.0 percentage points" says nothing.
    if np.isfinite(worst) and worst >= 0.0005:
        row = table.loc[table["excess"].idxmax()]
        remarks.append(
            f"1 − Kaplan-Meier exceeds the Aalen-Johansen incidence by up to "
            f"{100 * worst:.1f} percentage points ({row['group']}, "
            f"{row['time']:g} months) because it censors competing events"
        )
    return ReherniationRates(
        table=table,
        level=level,
        groups=ci.groups,
        incidence=ci,
        kaplan_meier=km,
        remarks=tuple(remarks),
    )


def _counts_before(ci: CumulativeIncidenceResult, times: np.ndarray) -> pd.DataFrame:
    """Reherniations and competing events up to and including each horizon."""
    parts = []
    for g in ci.groups:
        b = ci._block(g)
        upto = np.searchsorted(b["time"], times, side="right")
        ev = np.concatenate(([0], np.cumsum(b["events"])))[upto]
        co = np.concatenate(([0], np.cumsum(b["competing"])))[upto]
        parts.append(
            pd.DataFrame(
                {
                    "group": g,
                    "time": times,
                    "events": ev.astype(np.int64),
                    "competing": co.astype(np.int64),
                }
            )
        )
    return pd.concat(parts, ignore_index=True)
