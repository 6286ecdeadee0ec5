"""Absolute effects: the difference in cumulative incidence between arms, and the
number needed to treat (NNT).

Per arm, the Aalen-Johansen cumulative incidence F(t) with Gray's variance exactly as
``cmprsk::cuminc`` (read with ``timepoints()``), from
:func:`~recurrence.survival.cumulative_incidence`. The difference is closure − control
(the second group minus the reference group), with a Wald interval that adds the two
arms' variances (independent samples): d ± z·√(v₁ + v₀).

NNT = 1/|d|. Following Altman (BMJ 1998;317:1309-1312) it is named by its direction:
**NNTB** (number needed to treat to benefit: one fewer event per NNTB patients closed)
when d < 0, **NNTH** (to harm: one more event) when d > 0. Its interval is the
reciprocal of the interval of d:

* when the interval of d excludes 0, NNT runs from 1/|far limit| to 1/|near limit|,
  of the same kind as the estimate: ``nnt_ci_low``, ``nnt_ci_high``;
* when it includes 0, the interval of the NNT passes through infinity (no difference
  means "treat infinitely many to change one outcome"): it covers the estimate's kind
  from ``nnt_ci_low`` to ∞ (``nnt_ci_high = inf``), and the *other* kind from
  ``nnt_ci_other`` to ∞. Altman's notation, in ``nnt_label``: "NNTB 10.0 (NNTH 21.9 to ∞
  to NNTB 4.5)", limits in the order of the absolute risk reduction's interval.

A difference of exactly 0 (e.g. before the first event) has NNT = ∞ and no kind.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
import pandas as pd

from .._validate import EVENT_NAMES, check_level, check_times
from ..errors import DataError, Problem
from ..results import ResultMixin
from ._core.nonparametric import z_value
from .competing import CumulativeIncidenceResult, cumulative_incidence

__all__ = ["RiskDifferenceResult", "nnt_interval", "risk_difference"]

TABLE_COLUMNS = [
    "time",
    "risk_closure",
    "risk_control",
    "difference",
    "ci_low",
    "ci_high",
    "nnt",
    "nnt_ci_low",
    "nnt_ci_high",
    "nnt_ci_other",
    "nnt_kind",
    "nnt_label",
    "se",
    "se_closure",
    "se_control",
    "at_risk_closure",
    "at_risk_control",
]
_PLURAL = {1: "reherniations", 2: "competing events"}


@dataclass(frozen=True, repr=False)
class RiskDifferenceResult(ResultMixin):
    """Difference in cumulative incidence between two arms at chosen months, with NNT.

    Attributes
    ----------
    table
        One row per time: ``time`` (months), ``risk_closure``, ``risk_control``
        (Aalen-Johansen incidence of the compared and the reference arm),
        ``difference`` (closure − control), ``ci_low``, ``ci_high`` (Wald), ``nnt``
        (1/|difference|), ``nnt_ci_low``, ``nnt_ci_high``, ``nnt_ci_other`` (Altman's
        convention, module notes), ``nnt_kind`` (``"NNTB"``, ``"NNTH"`` or ``""``),
        ``nnt_label``, the standard errors ``se`` (of the difference), ``se_closure``,
        ``se_control``, and the patients at risk per arm.
    groups
        (reference, compared): ``("no closure", "closure")`` for ``by="closure"``.
    incidence
        The cumulative-incidence result the table was read from.
    """

    table: pd.DataFrame
    groups: tuple[str, str]
    level: float
    event: int
    by: str
    incidence: CumulativeIncidenceResult = field(repr=False)
    remarks: tuple[str, ...] = ()

    title: ClassVar[str] = "Risk difference and number needed to treat"

    def sentence(self, time: float | None = None) -> str:
        """The effect at ``time`` (default: the last time of the table) in words.

        Examples
        --------
        >>> from recurrence import load_cohort
        >>> print(risk_difference(load_cohort(), [24]).sentence())  # doctest: +ELLIPSIS
        By 24 months, closing the annulus in 100 patients prevents about 6.7 reherniations
        (95% CI 4.2 to 9.1); NNTB 15.0 (95% CI 10.9 to 23.9).
        """
        rows = self.table
        if time is None:
            row = rows.iloc[-1]
        else:
            hit = rows[np.isclose(rows["time"], float(time))]
            if hit.empty:
                raise DataError(
                    Problem(f"no row for month {time:g}", fix=f"use one of {rows['time'].tolist()}")
                )
            row = hit.iloc[0]
        return _sentence(row, self.groups, self.by, self.event, self.level)

    def summary_lines(self) -> list[str]:
        head = (
            f"{self.groups[1]} − {self.groups[0]}: difference in cumulative incidence of "
            f"{EVENT_NAMES[self.event]} (Aalen-Johansen, competing events accounted for); "
            f"{self.level:.0%} Wald interval; NNT as Altman (BMJ 1998)"
        )
        return [head, *(self.sentence(t) for t in self.table["time"])]

    @property
    def curve(self) -> pd.DataFrame:
        """The difference over the whole follow-up: one row per time at which either
        arm's incidence changes (``time``, ``difference``, ``ci_low``, ``ci_high``)."""
        times = np.unique(np.concatenate([[0.0], self.incidence.table["time"].to_numpy()]))
        frame = _difference(self.incidence, times, self.groups, z_value(self.level))
        return frame[["time", "difference", "ci_low", "ci_high"]].dropna().reset_index(drop=True)

    def plot(self, ax=None, **kwargs):
        """The difference over time with its interval band; see
        :func:`recurrence.plotting.plot_risk_difference`."""
        from ..plotting.absolute import plot_risk_difference

        return plot_risk_difference(self, ax=ax, **kwargs)


def risk_difference(
    cohort: pd.DataFrame,
    times,
    by: str = "closure",
    event: int = 1,
    level: float = 0.95,
) -> RiskDifferenceResult:
    """Difference in the cumulative incidence between two arms, with NNT (Altman).

    Parameters
    ----------
    cohort
        A cohort table (:func:`recurrence.load_cohort`).
    times
        Months at which to compare (e.g. ``[12, 24, 60]``).
    by
        A column with two groups; the difference is the second group (``"closure"``)
        minus the reference (``"no closure"``).
    event
        1 (reherniation) or 2 (competing event); the other cause competes.
    level
        Confidence level of the Wald interval.

    Returns
    -------
    RiskDifferenceResult
        ``.table`` (one row per time), ``.sentence(t)``, ``.curve``, ``.plot()``.

    Examples
    --------
    >>> from recurrence import load_cohort
    >>> rd = risk_difference(load_cohort(), [12, 24])
    >>> rd.table[["time", "risk_closure", "risk_control", "difference", "nnt"]].round(4)
       time  risk_closure  risk_control  difference      nnt
    0  12.0        0.0402        0.0787     -0.0385  25.9510
    1  24.0        0.0527        0.1193     -0.0666  15.0129
    >>> rd.table.loc[1, "nnt_label"]
    'NNTB 15.0 (10.9 to 23.9)'
    """
    if by is None:
        raise DataError(
            Problem(
                "a risk difference compares two groups, and by=None gives one",
                fix="name the grouping column, e.g. by='closure'",
            )
        )
    level = check_level(level)
    times = check_times(times)
    inc = cumulative_incidence(cohort, by=by, event=event, level=level)
    if len(inc.groups) != 2:
        raise DataError(
            Problem(
                f"a risk difference compares exactly two groups; column '{by}' has "
                f"{len(inc.groups)}: {list(inc.groups)}",
                column=by,
                fix="compare a yes/no column, or a subset of the cohort with two groups",
            )
        )
    groups = (inc.groups[0], inc.groups[1])
    table = _difference(inc, times, groups, z_value(level))
    remarks = list(inc.remarks)
    for arm, key in ((groups[1], "closure"), (groups[0], "control")):
        zero = (table[f"risk_{key}"] == 0) & (table[f"se_{key}"] == 0)
        if zero.any():
            shown = ", ".join(f"{t:g}" for t in table.loc[zero, "time"])
            remarks.append(
                f"no {EVENT_NAMES[event]} in the {arm} group by month(s) {shown}: its "
                "incidence 0 has standard error 0, so the Wald interval of the difference "
                "(and of the NNT) allows only for the uncertainty of the other group and "
                "is too narrow"
            )
    beyond = table["difference"].isna()
    if beyond.any():
        shown = ", ".join(f"{t:g}" for t in table.loc[beyond, "time"])
        remarks.append(
            f"month(s) {shown} lie beyond the last follow-up of an arm: not estimable (NaN)"
        )
    return RiskDifferenceResult(
        table=table[TABLE_COLUMNS],
        groups=groups,
        level=level,
        event=event,
        by=by,
        incidence=inc,
        remarks=tuple(remarks),
    )


def _difference(inc, times, groups, z) -> pd.DataFrame:
    at = inc.at(times)
    ref = at[at["group"] == groups[0]].reset_index(drop=True)
    trt = at[at["group"] == groups[1]].reset_index(drop=True)
    d = trt["incidence"].to_numpy() - ref["incidence"].to_numpy()
    se = np.sqrt(trt["se"].to_numpy() ** 2 + ref["se"].to_numpy() ** 2)
    low, high = d - z * se, d + z * se
    nnt = [nnt_interval(*v) for v in zip(d, low, high, strict=True)]
    frame = pd.DataFrame(
        {
            "time": np.asarray(times, float),
            "risk_closure": trt["incidence"].to_numpy(),
            "risk_control": ref["incidence"].to_numpy(),
            "difference": d,
            "ci_low": low,
            "ci_high": high,
            "se": se,
            "se_closure": trt["se"].to_numpy(),
            "se_control": ref["se"].to_numpy(),
            "at_risk_closure": trt["at_risk"].to_numpy(),
            "at_risk_control": ref["at_risk"].to_numpy(),
        }
    )
    for i, key in enumerate(("nnt", "nnt_ci_low", "nnt_ci_high", "nnt_ci_other", "nnt_kind")):
        frame[key] = [v[i] for v in nnt]
    frame["nnt_label"] = [v[5] for v in nnt]
    return frame


def _sentence(row, groups, by, event, level) -> str:
    things = _PLURAL[event]
    pct = f"{level:.0%}"
    if math.isnan(row["difference"]):
        return f"By {row['time']:g} months, the difference is not estimable (beyond follow-up)."
    fewer = -100 * row["difference"]
    lo, hi = -100 * row["ci_high"], -100 * row["ci_low"]  # interval of "fewer per 100"
    who = (
        "closing the annulus in 100 patients"
        if by == "closure" and groups == ("no closure", "closure")
        else f"treating 100 patients as '{groups[1]}' rather than '{groups[0]}'"
    )

    def amount(x):
        return f"{abs(x):.1f} {'fewer' if x > 0 else 'more'}"

    if fewer >= 0:
        head = f"prevents about {fewer:.1f} {things}"
        ci = f"{lo:.1f} to {hi:.1f}" if lo >= 0 else f"{amount(lo)} to {amount(hi)}"
    else:
        head = f"leads to about {-fewer:.1f} more {things}"
        ci = f"{-hi:.1f} to {-lo:.1f} more" if hi <= 0 else f"{amount(lo)} to {amount(hi)}"
    text = f"By {row['time']:g} months, {who} {head} ({pct} CI {ci})"
    label = row["nnt_label"]
    if row["nnt_kind"]:
        kind, rest = label.split(" ", 1)
        rest = rest.replace("(", f"({pct} CI ", 1)
        text += f"; {kind} {rest}"
    return text + "."


# ---------------------------------------------------------------------------------------
# the NNT interval (pure)
# ---------------------------------------------------------------------------------------


def nnt_interval(d: float, low: float, high: float):
    """NNT of a risk difference ``d`` (treated − control) with Altman's interval.

    Returns ``(nnt, nnt_ci_low, nnt_ci_high, nnt_ci_other, kind, label)``; see the module
    notes for the convention.

    Examples
    --------
    >>> nnt_interval(-0.10, -0.15, -0.05)[:5]
    (10.0, 6.666666666666667, 20.0, nan, 'NNTB')
    >>> nnt_interval(-0.10, -0.22, 0.045)[5]
    'NNTB 10.0 (NNTH 22.2 to ∞ to NNTB 4.5)'
    >>> nnt_interval(0.02, 0.01, 0.03)[5]
    'NNTH 50.0 (33.3 to 100.0)'
    """
    nan = float("nan")
    if any(math.isnan(v) for v in (d, low, high)):
        return nan, nan, nan, nan, "", ""
    inv = {
        k: (1 / abs(v) if v != 0 else math.inf) for k, v in (("d", d), ("lo", low), ("hi", high))
    }
    if d == 0:
        if low == high == 0:
            return math.inf, math.inf, math.inf, nan, "", "NNT ∞ (no difference)"
        return (
            math.inf,
            inv["lo"],
            math.inf,
            inv["hi"],
            "",
            f"NNT ∞ (NNTH {inv['hi']:.1f} to ∞ to NNTB {inv['lo']:.1f})",
        )
    kind = "NNTB" if d < 0 else "NNTH"
    if high < 0 or low > 0:  # the interval excludes 0: one kind throughout
        a, b = sorted((inv["lo"], inv["hi"]))
        return inv["d"], a, b, nan, kind, f"{kind} {inv['d']:.1f} ({a:.1f} to {b:.1f})"
    # through infinity: NNTB down to 1/|low| on one side, NNTH down to 1/high on the other
    nntb, nnth = inv["lo"], inv["hi"]
    same, other = (nntb, nnth) if kind == "NNTB" else (nnth, nntb)
    label = f"{kind} {inv['d']:.1f} (NNTH {nnth:.1f} to ∞ to NNTB {nntb:.1f})"
    return inv["d"], same, math.inf, other, kind, label
