"""Kaplan-Meier estimate of survival free of reherniation, per group.

Competing events (event 2) are censored, so 1 − Kaplan-Meier is the incidence in a world
without competing events and overstates the real one; the honest incidence is
:func:`recurrence.survival.cumulative_incidence` (Aalen-Johansen). The variance is
Greenwood's, the interval log(−log) by default, as R's
``survfit(Surv(time, event == 1) ~ group, conf.type = "log-log")`` (``conf_type="log"``,
R's own default, and ``"plain"`` as well). The median event-free time and its interval
are those of ``print(survfit)`` / ``quantile(survfit)``; median follow-up is the median
of the reverse Kaplan-Meier curve (censoring as the event, any event as censoring), per
group.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pandas as pd

from .._format import plural
from .._validate import EVENT_NAMES, check_event, check_level
from ._core.nonparametric import event_counts, greenwood_km, median_time, risk_table, z_value
from ._groups import prepare_groups
from ._np_confint import CONF_TYPES, check_conf_type, quantile_time, survival_interval
from .results_nonparametric import CurveResultMixin, curve_frame, curve_table

__all__ = ["KaplanMeierResult", "kaplan_meier"]


@dataclass(frozen=True, repr=False)
class KaplanMeierResult(CurveResultMixin):
    """Kaplan-Meier curves per group.

    Attributes
    ----------
    table
        One row per group and distinct time with an exit in that group: ``group``,
        ``time`` (months), ``at_risk``, ``events`` (of interest), ``competing`` (other
        events, censored here), ``censored``, ``survival``, ``se`` (Greenwood standard
        error of the survival), ``ci_low``, ``ci_high`` (interval of ``conf_type``) and
        ``cumhaz_se`` (R's ``std.err``: the standard error of −log S).
    overview
        Per group: ``n``, ``events``, ``competing``, ``censored``,
        ``median_followup`` and ``max_followup`` (months).
    groups, level, event, by, conf_type
        The groups (reference first), the confidence level, the event of interest
        (1, 2 or ``"any"``), the grouping column(s) and the interval type.
    by_levels
        With two grouping columns, one row per group with its level of each column.
    remarks
        Caveats: competing events censored, groups without events, curves reaching 0.
    """

    table: pd.DataFrame
    overview: pd.DataFrame
    groups: tuple[str, ...]
    level: float
    event: int | str
    by: str | None
    remarks: tuple[str, ...] = ()
    conf_type: str = "log-log"
    by_levels: pd.DataFrame | None = None

    title: ClassVar[str] = "Kaplan-Meier estimate"
    value_columns: ClassVar[tuple[str, ...]] = ("survival", "se", "ci_low", "ci_high")
    start_values: ClassVar[tuple[float, ...]] = (1.0, 0.0, 1.0, 1.0)

    @property
    def median_followup(self) -> pd.Series:
        """Median follow-up per group by reverse Kaplan-Meier (months)."""
        return self.overview.set_index("group")["median_followup"]

    def _is_final(self, block) -> bool:
        # a curve that has reached 0 stays there (R: summary(..., extend = TRUE))
        return len(block["survival"]) > 0 and block["survival"][-1] == 0

    def quantile(self, probs=(0.25, 0.5, 0.75)) -> pd.DataFrame:
        """Quantiles of the event-free time with their interval, as ``quantile(survfit)``.

        The ``prob`` quantile is the first time at which 1 − S reaches ``prob`` (the
        midpoint of a flat stretch exactly at it); ``ci_low``/``ci_high`` are the same
        for the lower/upper confidence curves (NaN when a curve never gets there).
        Columns ``group``, ``prob``, ``time``, ``ci_low``, ``ci_high``.
        """
        probs = np.atleast_1d(np.asarray(probs, dtype=float))
        if probs.ndim != 1 or not np.all((probs >= 0) & (probs <= 1)):
            from ..errors import DataError, Problem

            raise DataError(Problem(f"probs must lie in [0, 1] (got {probs.tolist()})"))
        rows = []
        for g in self.groups:
            b = self._block(g)
            for p in probs:
                rows.append(
                    {
                        "group": g,
                        "prob": float(p),
                        "time": quantile_time(b["time"], b["survival"], p),
                        "ci_low": quantile_time(b["time"], b["ci_low"], p),
                        "ci_high": quantile_time(b["time"], b["ci_high"], p),
                    }
                )
        return pd.DataFrame(rows)

    @property
    def median(self) -> pd.DataFrame:
        """Median event-free time per group with its interval (``print(survfit)``'s
        ``median``, ``0.95LCL``, ``0.95UCL``): ``group``, ``median``, ``ci_low``,
        ``ci_high`` (months; NaN when the curve, or its bound, never reaches 0.5)."""
        q = self.quantile([0.5]).drop(columns="prob")
        return q.rename(columns={"time": "median"})

    def summary_lines(self) -> list[str]:
        what = EVENT_NAMES[self.event]
        return [
            f"Survival free of {what}, {self.level:.0%} {CONF_TYPES[self.conf_type]} "
            "interval; "
            + "; ".join(
                f"{r.group}: {r.n:,} patients, {r.events:,} events"
                for r in self.overview.itertuples()
            )
        ]

    def plot(self, ax=None, **kwargs):
        """Survival curves with bands, censoring ticks and an at-risk table; see
        :func:`recurrence.plotting.plot_survival`."""
        from ..plotting.survival import plot_survival

        return plot_survival(self, ax=ax, **kwargs)


def kaplan_meier(
    cohort: pd.DataFrame,
    by: str | None = "closure",
    level: float = 0.95,
    *,
    event: int | str = 1,
    conf_type: str = "log-log",
) -> KaplanMeierResult:
    """Kaplan-Meier estimate per group, competing events censored.

    Parameters
    ----------
    cohort
        A cohort table (:func:`recurrence.load_cohort`): ``time`` in months, ``event``
        0 censored, 1 reherniation, 2 competing event.
    by
        Grouping column (``"closure"`` gives "no closure" and "closure"); ``None`` for
        the whole cohort; or two columns, e.g. ``["closure", "approach"]``: one curve
        per combination (``"closure · PELD"``), drawn with one colour per level of the
        first and one line style per level of the second.
    level
        Confidence level of the interval.
    event
        The event of interest: 1 (reherniation, default; event 2 censored), 2, or
        ``"any"`` (either event ends event-free survival).
    conf_type
        The pointwise interval, as R's ``survfit(conf.type=)``: ``"log-log"``
        (default), ``"log"`` (R's default) or ``"plain"``.

    Returns
    -------
    KaplanMeierResult
        ``.at(times)``, ``.at_risk(times)``, ``.risk_table`` (KMunicate: at risk,
        cumulative events and censored), ``.median`` and ``.quantile()`` (with
        intervals), ``.table``, ``.overview``, ``.median_followup``, ``.plot()``.

    Examples
    --------
    >>> from recurrence import load_cohort
    >>> km = kaplan_meier(load_cohort())
    >>> km.at([24]).round(3)[["group", "time", "survival", "ci_low", "ci_high", "at_risk"]]
            group  time  survival  ci_low  ci_high  at_risk
    0  no closure  24.0     0.879   0.856    0.898      776
    1     closure  24.0     0.947   0.931    0.959      868
    >>> kaplan_meier(load_cohort(), conf_type="log").at([24]).round(3)["ci_high"].tolist()
    [0.9, 0.961]
    """
    level = check_level(level)
    event = check_event(event, allowed=(1, 2, "any"))
    conf_type = check_conf_type(conf_type)
    data, by_levels = prepare_groups(cohort, by)
    rt = risk_table(data.time, data.event, data.group, len(data.groups))
    z = z_value(level)
    blocks, rows, remarks = [], [], list(data.remarks)
    for g, name in enumerate(data.groups):
        idx = rt.group_rows(g)
        n = rt.at_risk[idx, g]
        cens, d, other = event_counts(rt.counts[idx, g, :], event)
        surv, gw = greenwood_km(n, d)
        se_log = np.sqrt(gw)
        with np.errstate(invalid="ignore"):
            se = surv * se_log
        low, high = survival_interval(surv, se_log, z, conf_type)
        blocks.append(
            curve_frame(
                name,
                rt.time[idx],
                {"at_risk": n, "events": d, "competing": other, "censored": cens},
                {"survival": surv, "se": se, "ci_low": low, "ci_high": high, "cumhaz_se": se_log},
            )
        )
        # reverse Kaplan-Meier: censoring is the event, every event censors follow-up
        rev, _ = greenwood_km(n, cens)
        rows.append(
            {
                "group": name,
                "n": int(n[0]),
                "events": int(d.sum()),
                "competing": int(other.sum()),
                "censored": int(cens.sum()),
                "median_followup": median_time(rt.time[idx], rev),
                "max_followup": float(rt.time[idx][-1]),
            }
        )
        if d.sum() == 0:
            remarks.append(f"no {EVENT_NAMES[event]} in the {name} group: its curve stays at 1")
        elif surv[-1] == 0:
            t0 = float(rt.time[idx][np.argmax(surv == 0)])
            remarks.append(
                # to the hundredth of a month (days / 30.4375 printed 59.9918)
                f"the {name} curve reaches 0 at {round(t0, 2):g} months (the last patient at "
                "risk had the event): 0 from there on, without an interval"
            )
    overview = pd.DataFrame(rows)
    n_other = int(overview["competing"].sum())
    if event != "any" and n_other:
        other_name = EVENT_NAMES[2 if event == 1 else 1]
        remarks.insert(
            0,
            f"{plural(n_other, other_name)} (event {2 if event == 1 else 1}) "
            "treated as censored: 1 − Kaplan-Meier overstates the incidence; "
            "cumulative_incidence() gives the Aalen-Johansen estimate",
        )
    if overview["events"].sum() == 0 and len(data.groups) > 1:
        remarks.append(f"no {EVENT_NAMES[event]} in any group")
    return KaplanMeierResult(
        table=curve_table(data.groups, blocks),
        overview=overview,
        groups=data.groups,
        level=level,
        event=event,
        by=by,
        remarks=tuple(remarks),
        conf_type=conf_type,
        by_levels=by_levels,
    )
