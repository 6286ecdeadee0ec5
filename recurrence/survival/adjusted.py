"""Confounder-adjusted cumulative incidence per arm: the G-formula and IPTW.

Both estimate what the incidence of reherniation would be if *every* patient of the
cohort had closure, and if none had (the average treatment effect on the risk scale).

``method="gformula"`` (standardization) fits a cause-specific Cox model for every cause
(:func:`~recurrence.survival.cause_specific_cox`, Efron ties, on closure and the
covariates), predicts each patient's cumulative incidence with closure set to yes and to
no (product-limit, as ``predict.CauseSpecificCox``), and averages over the cohort: the
estimator of ``riskRegression::ate(CSC(Hist(time, event) ~ closure + …), treatment =
"closure", cause = 1)``. Standard errors from its influence function, which includes the
uncertainty of both Cox models (coefficients and baseline hazards) and of the covariate
distribution (:mod:`recurrence.survival._reg_gformula`; the two conventions it offers are
explained there).

``method="iptw"`` weights the Aalen-Johansen estimator by stabilized ATE weights from a
logistic propensity model of closure on the covariates
(:func:`~recurrence.survival.iptw_weights`). Standard errors from the influence function
of the whole procedure: the weighted estimator's own (the infinitesimal jackknife, as
``survfit(..., weights = w)``) plus the share of the fitted propensity model (M-estimation;
:mod:`recurrence.survival._np_weighted`). Influence functions rather than a bootstrap:
they are exact for the estimator (no Monte Carlo error, no seed), take milliseconds,
and the propensity term accounts for the weights being estimated, which a bootstrap
would only approximate at hundreds of refits. Treating the weights as known instead
(``propensity_variance=False``) gives the usually wider interval of ``survfit``.

Intervals are Wald on the probability scale (estimate ± z·se), as ``ate``'s default
(``meanRisk.transform = "none"``); the difference is closure − no closure.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
import pandas as pd

from .._dist import norm
from .._format import html_table
from .._validate import EVENT_NAMES, as_list, check_cohort, check_event, check_level, check_times
from ..errors import DataError, Problem
from ..plotting._ticks import default_ticks
from ..results import ResultMixin
from ._core.nonparametric import z_value
from ._data import design_matrix, prepare

__all__ = ["AdjustedIncidenceResult", "adjusted_incidence"]

METHODS = ("gformula", "iptw")
#: Points of the curve drawn by ``.plot()`` (the requested times are added). The
#: G-formula's influence function costs O(patients × event times × points).
CURVE_POINTS = 61


@dataclass(frozen=True, repr=False)
class AdjustedIncidenceResult(ResultMixin):
    """Standardized cumulative incidence per arm, and its difference.

    Attributes
    ----------
    table
        One row per arm and time: ``time``, ``group``, ``incidence``, ``ci_low``,
        ``ci_high``, ``se``.
    difference
        One row per time: ``time``, ``difference`` (closure − no closure), ``ci_low``,
        ``ci_high``, ``se``, ``pvalue``.
    curves
        ``table`` on a fine grid of months (for plots).
    at_risk
        ``group``, ``time``, ``at_risk`` at readable ticks: patients at risk (the
        weighted pseudo-population for IPTW).
    method, covariates, event, level, groups, n
    iptw
        The propensity model and balance (``method="iptw"``).
    models
        The cause-specific Cox models (``method="gformula"``).
    """

    table: pd.DataFrame
    difference: pd.DataFrame
    curves: pd.DataFrame = field(repr=False)
    at_risk: pd.DataFrame = field(repr=False)
    method: str = "gformula"
    covariates: tuple[str, ...] = ()
    event: int = 1
    level: float = 0.95
    groups: tuple[str, str] = ("no closure", "closure")
    n: int = 0
    iptw: object | None = field(default=None, repr=False)
    models: tuple = field(default=(), repr=False)
    remarks: tuple[str, ...] = ()

    title: ClassVar[str] = "Adjusted cumulative incidence"

    def summary_lines(self) -> list[str]:
        how = (
            "G-formula over cause-specific Cox models"
            if self.method == "gformula"
            else "Aalen-Johansen weighted by stabilized IPT weights"
        )
        lines = [
            f"{how}; adjusted for {', '.join(self.covariates)}; {self.n:,} patients; "
            f"{self.level:.0%} Wald intervals (influence function)"
        ]
        for r in self.difference.itertuples():
            lines.append(
                f"{r.time:g} months: {self.groups[1]} − {self.groups[0]} = "
                f"{100 * r.difference:.1f} percentage points "
                f"({100 * r.ci_low:.1f} to {100 * r.ci_high:.1f})"
            )
        return lines

    def _repr_html_(self) -> str:
        base = super()._repr_html_()
        return base[: -len("</div>")] + html_table(self.difference, index=False) + "</div>"

    def plot(self, ax=None, **kwargs):
        """Adjusted curves with bands and the at-risk table; see
        :func:`recurrence.plotting.plot_adjusted_incidence`."""
        from ..plotting.adjusted import plot_adjusted_incidence

        return plot_adjusted_incidence(self, ax=ax, **kwargs)

    def plot_balance(self, ax=None, **kwargs):
        """Covariate balance before and after weighting (``method="iptw"``); see
        :func:`recurrence.plotting.plot_balance`."""
        from ..plotting.balance import plot_balance

        if self.iptw is None:
            raise DataError(Problem("balance is shown for method='iptw' only"))
        return plot_balance(self.iptw, ax=ax, **kwargs)


def adjusted_incidence(
    cohort: pd.DataFrame,
    covariates,
    times,
    *,
    method: str = "gformula",
    event: int = 1,
    level: float = 0.95,
    treatment: str = "closure",
    convention: str = "ate",
    propensity_variance: bool = True,
    curve_points: int = CURVE_POINTS,
) -> AdjustedIncidenceResult:
    """Confounder-adjusted (standardized) cumulative incidence per arm, and the difference.

    Parameters
    ----------
    cohort
        A cohort table (:func:`recurrence.load_cohort`).
    covariates
        The confounders (not the treatment): in the Cox models (``"gformula"``) or the
        propensity model (``"iptw"``).
    times
        Months at which to report.
    method
        ``"gformula"`` (as ``riskRegression::ate``) or ``"iptw"``.
    event
        1 (reherniation) or 2 (competing event).
    level
        Confidence level.
    treatment
        The yes/no column compared (closure).
    convention
        ``"gformula"`` only: ``"ate"`` reproduces riskRegression's influence function,
        ``"exact"`` uses ``coxph``'s with tied times and the exact product-limit
        derivative (module :mod:`recurrence.survival._reg_gformula`).
    propensity_variance
        ``"iptw"`` only: include the uncertainty of the estimated propensities.
    curve_points
        Evenly spaced months (from 0 to the last follow-up) at which ``.curves`` (what
        ``.plot()`` draws) is computed besides ``times``; 0 for none (faster).

    Returns
    -------
    AdjustedIncidenceResult
        ``.table``, ``.difference``, ``.plot()``, ``.plot_balance()`` (IPTW).

    Examples
    --------
    >>> from recurrence import simulate_cohort
    >>> obs = simulate_cohort(1500, seed=3, confounded=True)
    >>> adj = adjusted_incidence(obs, ["age", "smoker", "defect_width_mm"], [24])
    >>> adj.table[["time", "group", "incidence"]].round(3)
       time       group  incidence
    0  24.0  no closure      0.095
    1  24.0     closure      0.052
    >>> list(adj.difference.columns[:4])
    ['time', 'difference', 'ci_low', 'ci_high']
    """
    check_cohort(cohort, uses=["closure"])
    if method not in METHODS:
        raise DataError(Problem(f"method must be one of {list(METHODS)}, not {method!r}"))
    if convention not in ("ate", "exact"):
        raise DataError(Problem(f"convention must be 'ate' or 'exact', not {convention!r}"))
    event = check_event(event)
    level = check_level(level)
    times = check_times(times)
    covariates = as_list(covariates)
    if treatment in covariates:
        raise DataError(
            Problem(
                f"'{treatment}' is the treatment compared; leave it out of covariates",
                fix=f"covariates are the confounders of {treatment}",
            )
        )
    if not covariates:
        raise DataError(Problem("name the confounders to adjust for", fix="e.g. ['age', 'smoker']"))
    sub, remarks = _complete_rows(cohort, [treatment, *covariates])
    arm = sub[treatment].astype(bool).to_numpy()
    if arm.all() or not arm.any():
        raise DataError(
            Problem("every patient is in the same arm: nothing to compare", column=treatment)
        )
    groups = ("no closure", "closure") if treatment == "closure" else (f"no {treatment}", treatment)
    last = float(sub["time"].max())
    grid = np.unique(np.concatenate([times, np.linspace(0, last, max(int(curve_points), 0))]))
    if method == "gformula":
        est, iid, extra = _gformula(sub, treatment, covariates, grid, event, convention, remarks)
    else:
        est, iid, extra = _iptw(
            sub, arm, treatment, covariates, grid, event, propensity_variance, remarks
        )
    z = z_value(level)
    se = np.sqrt((iid**2).sum(axis=1))  # (2, grid)
    d_iid = iid[1] - iid[0]
    d = est[1] - est[0]
    d_se = np.sqrt((d_iid**2).sum(axis=0))
    beyond = grid > last
    curves = _arm_table(grid, est, se, groups, z, beyond)
    pick = np.searchsorted(grid, times)
    table = _arm_table(times, est[:, pick], se[:, pick], groups, z, beyond[pick])
    with np.errstate(divide="ignore", invalid="ignore"):
        p = 2 * norm.sf(np.abs(d / d_se))
    diff = pd.DataFrame(
        {
            "time": times,
            "difference": d[pick],
            "ci_low": d[pick] - z * d_se[pick],
            "ci_high": d[pick] + z * d_se[pick],
            "se": d_se[pick],
            "pvalue": np.where(d_se[pick] > 0, p[pick], np.nan),
        }
    )
    diff.loc[beyond[pick], ["difference", "ci_low", "ci_high", "se", "pvalue"]] = np.nan
    if beyond[pick].any():
        remarks.append(f"months beyond the last follow-up ({last:.1f}) are not estimable (NaN)")
    return AdjustedIncidenceResult(
        table=table,
        difference=diff,
        curves=curves,
        at_risk=_at_risk(sub, arm, extra.get("weights"), groups),
        method=method,
        covariates=tuple(covariates),
        event=event,
        level=level,
        groups=groups,
        n=len(sub),
        iptw=extra.get("iptw"),
        models=tuple(extra.get("models", ())),
        remarks=tuple(remarks),
    )


def _complete_rows(cohort, needed):
    from .iptw import _treatment

    check_cohort(cohort, uses=["closure"])
    absent = [c for c in needed if c not in cohort.columns]
    if absent:
        raise DataError(
            Problem(
                f"column(s) {absent} are not in the cohort",
                fix=f"use some of {list(cohort.columns)}",
            )
        )
    _treatment(cohort, needed[0])
    keep = cohort[needed].notna().all(axis=1)
    remarks = []
    if not keep.all():
        k = int((~keep).sum())
        remarks.append(
            f"{k} patient{'s' if k != 1 else ''} left out for missing values (complete cases; "
            "see recurrence.impute)"
        )
    sub = cohort.loc[keep]
    if len(sub) == 0:
        raise DataError(Problem("no patient is left after leaving out missing values"))
    return sub, remarks


def _arm_table(times, est, se, groups, z, beyond) -> pd.DataFrame:
    """Rows by time, then arm (reference first)."""
    f = np.where(beyond[None, :], np.nan, est).T.ravel()
    s = np.where(beyond[None, :], np.nan, se).T.ravel()
    return pd.DataFrame(
        {
            "time": np.repeat(np.asarray(times, float), 2),
            "group": np.tile(np.asarray(groups, dtype=object), len(times)),
            "incidence": f,
            "ci_low": f - z * s,
            "ci_high": f + z * s,
            "se": s,
        }
    )


def _gformula(sub, treatment, covariates, grid, event, convention, remarks):
    from ._core import cox as core
    from ._reg_gformula import CauseModel, gformula
    from .cox import cause_specific_cox, timefix

    terms = [treatment, *covariates]
    data = prepare(sub, None, covariates=terms)
    time = timefix(data.time)
    treat = data.terms.index(treatment)
    causes = [event] + [c for c in (1, 2) if c != event and (data.event == c).any()]
    if len(causes) == 1:
        remarks.append(f"no {EVENT_NAMES[3 - event]}: one cause-specific model")
    models, fits = [], []
    for cause in causes:
        fit = cause_specific_cox(sub, terms, event=cause)
        fits.append(fit)
        coef = fit.table["coef"]
        kept = [j for j, t in enumerate(data.terms) if not np.isnan(coef.iloc[j])]
        if treat not in kept:
            raise DataError(
                Problem(
                    f"the Cox model of event {cause} could not estimate the effect of {treatment}"
                )
            )
        beta = np.zeros(len(data.terms))
        beta[kept] = coef.iloc[kept].to_numpy()
        var = np.zeros((len(beta), len(beta)))
        var[np.ix_(kept, kept)] = fit.cov.to_numpy()
        dead = data.event == cause
        st = core.make_strata(time, dead, data.x[:, kept], np.ones(data.n), None, "efron")
        jt, jh = core.baseline_hazard(st, beta[kept], time)
        beta_iid = None
        if convention == "exact":
            beta_iid = np.zeros((data.n, len(beta)))
            beta_iid[:, kept] = core.score_residuals(st, beta[kept], data.n) @ fit.cov.to_numpy()
        models.append(
            CauseModel(beta=beta, var=var, dead=dead, jump_times=jt, jumps=jh, beta_iid=beta_iid)
        )
        label = f"cause-specific Cox model of {EVENT_NAMES[cause]}"
        remarks += [f"{label}: {r}" for r in fit.remarks if "other events" not in r]
    out = gformula(time, data.x, treat, models, grid, convention=convention)
    return out["estimate"], out["iid"], {"models": fits}


def _iptw(sub, arm, treatment, covariates, grid, event, propensity_variance, remarks):
    from ._np_weighted import propensity_term, weighted_aalen_johansen
    from .iptw import iptw_weights

    iptw = iptw_weights(sub, covariates, treatment=treatment)
    w = iptw.weights
    time = sub["time"].to_numpy(float)
    event_ = sub["event"].to_numpy(np.int64)
    n, m = len(sub), len(grid)
    est, iid, deriv_all = np.zeros((2, m)), np.zeros((2, n, m)), np.zeros((2, n, m))
    for g, in_arm in enumerate((~arm, arm)):
        f, deriv, _, _ = weighted_aalen_johansen(
            time[in_arm], event_[in_arm], w[in_arm], grid, event
        )
        est[g] = f
        deriv_all[g][in_arm] = deriv
        iid[g][in_arm] = w[in_arm, None] * deriv
    if propensity_variance:
        xframe, _ = design_matrix(sub, covariates)
        x = np.column_stack([np.ones(n), xframe.to_numpy(float)])
        for g in (0, 1):
            iid[g] += propensity_term(deriv_all[g], w, arm, x, iptw.propensity)
    remarks += list(iptw.remarks)
    return est, iid, {"iptw": iptw, "weights": w}


def _at_risk(sub, arm, weights, groups) -> pd.DataFrame:
    time = sub["time"].to_numpy(float)
    w = np.ones(len(sub)) if weights is None else weights
    ticks = default_ticks(time.max())
    rows = []
    for g, in_arm in enumerate((~arm, arm)):
        at = [(w[in_arm] * (time[in_arm] >= t)).sum() for t in ticks]
        rows.append(pd.DataFrame({"group": groups[g], "time": ticks, "at_risk": at}))
    return pd.concat(rows, ignore_index=True)
