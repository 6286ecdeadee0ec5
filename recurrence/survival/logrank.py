"""Log-rank test of equal hazards of reherniation across groups, optionally stratified.

The statistic is R's
``survdiff(Surv(time, event == 1) ~ group + strata(s), rho = rho)``:
observed and expected events and the hypergeometric covariance summed over the
distinct event times (and over strata), each time weighted by S(t−)^rho with S the
Kaplan-Meier estimate of the pooled groups within the stratum (Fleming-Harrington
G(rho): rho = 0 the log-rank test, rho = 1 the Peto-Peto modification of the
Gehan-Wilcoxon test, which weighs early differences more), chi-square =
(O − E)ᵀ V⁻¹ (O − E) on the groups with expected events > 0 less one, which is also
the degrees of freedom. Competing
events are censored (the cause-specific hazard is compared; Gray's test in
:func:`recurrence.survival.cumulative_incidence` compares the incidence itself).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
import pandas as pd

from .._dist import chi2
from .._format import fmt, p_text, plural
from .._validate import EVENT_NAMES, check_event, two_groups_or_error
from ..errors import DataError, Problem, StatisticalWarning, warn
from ..results import ResultMixin
from ._core.nonparametric import event_counts, logrank_sums, quadratic_form, risk_table
from ._data import prepare

__all__ = ["LogrankResult", "logrank"]


@dataclass(frozen=True, repr=False)
class LogrankResult(ResultMixin):
    """A (stratified) k-group log-rank test.

    Attributes
    ----------
    statistic, df, pvalue
        Chi-square statistic, its degrees of freedom and p-value (NaN when the test is
        not possible, with a remark saying why).
    table
        Per group: ``group``, ``n``, ``observed`` (events), ``expected`` (log-rank),
        ``o_minus_e``, ``variance`` (diagonal of V). With rho ≠ 0 the test uses the
        weighted sums, ``weighted_observed`` and ``weighted_expected`` (R's ``obs``
        and ``exp``), and ``o_minus_e`` and ``variance`` are theirs.
    variance
        The full covariance matrix of O − E (groups × groups).
    groups, strata, event
        Groups (reference first), the stratifying column, the event compared.
    """

    statistic: float
    df: int
    pvalue: float
    table: pd.DataFrame
    groups: tuple[str, ...]
    strata: str | None = None
    event: int | str = 1
    variance: np.ndarray | None = field(default=None, repr=False)
    remarks: tuple[str, ...] = ()
    rho: float = 0.0

    title: ClassVar[str] = "Log-rank test"

    def summary_lines(self) -> list[str]:
        strat = f", stratified by {self.strata}" if self.strata else ""
        weights = f"Fleming-Harrington G(rho = {self.rho:g}) weights; " if self.rho else ""
        return [
            f"{weights}chi-square = {fmt(self.statistic)} on {self.df} df, {p_text(self.pvalue)}"
            f"{strat} ({EVENT_NAMES[self.event]})"
        ]


def logrank(
    cohort: pd.DataFrame,
    by: str = "closure",
    strata: str | None = None,
    *,
    event: int | str = 1,
    rho: float = 0,
) -> LogrankResult:
    """Log-rank test across the groups of ``by``, as R's ``survdiff``.

    Parameters
    ----------
    cohort
        A cohort table (:func:`recurrence.load_cohort`).
    by
        Grouping column (two or more groups).
    strata
        Optional stratifying column (e.g. ``"site"`` or ``"approach"``): observed,
        expected and variance are summed over strata.
    event
        Event compared: 1 (reherniation, default; competing events censored), 2, or
        ``"any"``.
    rho
        Fleming-Harrington power of the weights S(t−)^rho, as ``survdiff(rho=)``: 0
        (default) the log-rank test, 1 the Peto-Peto (Gehan-Wilcoxon-like) test.

    Returns
    -------
    LogrankResult
        ``.statistic``, ``.df``, ``.pvalue``, ``.table``.

    Raises
    ------
    recurrence.DataError
        With fewer than two groups.

    Examples
    --------
    >>> from recurrence import load_cohort
    >>> lr = logrank(load_cohort())
    >>> round(lr.statistic, 3), lr.df, lr.pvalue < 0.001
    (31.648, 1, True)
    >>> round(logrank(load_cohort(), rho=1).statistic, 3)
    31.512
    """
    event = check_event(event, allowed=(1, 2, "any"))
    rho = _check_rho(rho)
    data = prepare(cohort, by, strata=strata)
    two_groups_or_error(data.groups, by, "the log-rank test")
    k = len(data.groups)
    remarks = list(data.remarks)
    if data.strata is None:
        parts = [np.ones(data.n, bool)]
    else:
        parts = [data.strata == s for s in range(len(data.strata_labels))]
    obs, exp, var = np.zeros(k), np.zeros(k), np.zeros((k, k))
    events, plain_exp = np.zeros(k), np.zeros(k)
    for rows in parts:
        rt = risk_table(data.time[rows], data.event[rows], data.group[rows], k)
        _, d, _ = event_counts(rt.counts, event)
        weights = None
        if rho != 0:
            # pooled Kaplan-Meier of the stratum, left-continuous (survdiff2.c)
            nn, dd = rt.at_risk.sum(axis=1), d.sum(axis=1)
            km = np.cumprod(np.where(nn > 0, (nn - dd) / np.maximum(nn, 1), 1.0))
            weights = np.concatenate(([1.0], km[:-1])) ** rho
            o0, e0, _ = logrank_sums(rt.at_risk, d)
            events, plain_exp = events + o0, plain_exp + e0
        o, e, v = logrank_sums(rt.at_risk, d, weights)
        obs, exp, var = obs + o, exp + e, var + v
    if rho == 0:
        events, plain_exp = obs, exp
    n = np.bincount(data.group, minlength=k)
    used = np.flatnonzero(exp > 0)
    df = len(used) - 1
    stat = pvalue = float("nan")
    if events.sum() == 0:
        _warn(remarks, f"no {EVENT_NAMES[event]} in any group: the log-rank test is not possible")
    else:
        if len(used) < k:
            left = [data.groups[i] for i in range(k) if exp[i] == 0]
            remarks.append(
                f"left out of the test (no patient at risk at any event time, as "
                f"survdiff does): {', '.join(left)}"
            )
        sub = used[1:]
        stat = quadratic_form((obs - exp)[sub], var[np.ix_(sub, sub)])
        if np.isnan(stat):
            _warn(
                remarks,
                "the variance of the log-rank statistic is singular (e.g. every "
                "patient at risk had the event at one tied time): no test",
            )
        else:
            pvalue = float(chi2.sf(stat, df))
    for i, g in enumerate(data.groups):
        if events[i] == 0 and events.sum() > 0:
            remarks.append(f"no {EVENT_NAMES[event]} in the {g} group")
    if data.strata is not None:
        count = plural(len(data.strata_labels), "stratum", "strata")
        remarks.append(f"stratified by {strata}: {count}")
    table = pd.DataFrame(
        {
            "group": list(data.groups),
            "n": n.astype(np.int64),
            "observed": np.rint(events).astype(np.int64),
            "expected": plain_exp,
            **({"weighted_observed": obs, "weighted_expected": exp} if rho else {}),
            "o_minus_e": obs - exp,
            "variance": np.diag(var).copy(),
        }
    )
    if rho:
        remarks.append(
            f"Fleming-Harrington weights S(t−)^{rho:g} (pooled Kaplan-Meier"
            + (" within each stratum" if data.strata is not None else "")
            + "): differences early in follow-up count more"
            if rho > 0
            else f"Fleming-Harrington weights S(t−)^{rho:g}: differences late in "
            "follow-up count more"
        )
    return LogrankResult(
        statistic=stat,
        df=int(df),
        pvalue=pvalue,
        table=table,
        groups=data.groups,
        strata=strata,
        event=event,
        variance=var,
        remarks=tuple(remarks),
        rho=rho,
    )


def _check_rho(rho) -> float:
    try:
        value = float(rho)
    except (TypeError, ValueError):
        value = float("nan")
    if isinstance(rho, bool) or not np.isfinite(value):
        raise DataError(
            Problem(
                f"rho must be a finite number (got {rho!r})",
                fix="rho=0 is the log-rank test, rho=1 the Peto-Peto test",
            )
        )
    return value


def _warn(remarks: list[str], message: str) -> None:
    remarks.append(message)
    warn(message, StatisticalWarning)
