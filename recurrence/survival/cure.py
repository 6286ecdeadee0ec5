"""Mixture cure model: what fraction of patients will never reherniate?

Per group, S(t) = π + (1 − π)·S_u(t): a fraction π is "cured" (never reherniates), the
others reherniate after a time from a parametric latency distribution S_u (Weibull by
default; exponential, log-normal, log-logistic as in :func:`recurrence.survival.parametric`,
on survreg's log-time scale). With a ``time_left`` column the reherniations found at a
scan are interval-censored.

The likelihood is maximised on the logit scale of π (``_np_parametric.py``), and the
interval of π is the likelihood-ratio (profile) interval, {π : 2(ℓ̂ − ℓ_p(π)) ≤
χ²₁(level)}, which stays inside [0, 1] and exists when π̂ sits on the boundary 0 (no
plateau in the data), where a Wald interval does not. Why this is not lifelines'
``MixtureCureFitter`` is in ``_lifelines.py``. The reference is the same likelihood
written and maximised in R (``validation/r/interval.R``), since flexsurvcure is not
available.

A cure fraction is a statement about times after follow-up: it is identified by the
plateau the curve reaches within follow-up, and it assumes that plateau lasts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
import pandas as pd
from scipy import special

from .._dist import chi2
from .._format import fmt
from .._validate import check_level, check_times
from ..errors import ConvergenceWarning, StatisticalWarning, warn
from ..results import ResultMixin
from ._data import prepare
from ._intervals import RIGHT, interval_data
from ._np_parametric import (
    cure_gradient,
    fit_cure,
    hessian,
    profile_interval,
    survival,
)
from .parametric import LABELS, check_distribution, check_positive_times

__all__ = ["CureResult", "cure"]


@dataclass(frozen=True, repr=False)
class CureResult(ResultMixin):
    """Mixture cure fractions per group.

    Attributes
    ----------
    table
        One row per group: ``group``, ``cure_fraction`` (π̂), ``ci_low``, ``ci_high``
        (profile-likelihood interval), ``n``, ``events``, ``loglik``, ``at_boundary``
        (π̂ = 0: no plateau).
    parameters
        ``group``, ``term`` (``logit_cure``, ``intercept`` = μ, ``log_scale`` = log σ
        of the latency), ``coef``, ``se`` (observed information; NaN at the boundary
        for ``logit_cure``).
    loglik
        The total log-likelihood (sum over groups).
    observed
        The nonparametric estimate the curves are drawn over (Turnbull, which is
        Kaplan-Meier without ``time_left``).
    """

    table: pd.DataFrame
    parameters: pd.DataFrame
    loglik: float
    distribution: str
    level: float
    by: str | None
    interval_censored: bool
    observed: object = field(default=None, repr=False)
    remarks: tuple[str, ...] = ()

    title: ClassVar[str] = "Mixture cure model"

    def summary_lines(self) -> list[str]:
        kind = "interval-censored" if self.interval_censored else "right-censored"
        return [
            f"{LABELS[self.distribution]} latency, {kind}, {self.level:.0%} profile-likelihood "
            f"interval; log-likelihood {fmt(self.loglik)}"
        ]

    def at(self, times) -> pd.DataFrame:
        """The fitted curve: ``group``, ``time``, ``survival`` = π + (1 − π)·S_u(t),
        ``incidence``."""
        times = check_times(times)
        parts = []
        for row in self.table.itertuples():
            p = self.parameters[self.parameters["group"] == row.group].set_index("term")["coef"]
            mu = p["intercept"]
            sigma = np.exp(p.get("log_scale", 0.0))
            with np.errstate(divide="ignore"):
                su = survival(self.distribution, (np.log(times) - mu) / sigma)
            s = row.cure_fraction + (1 - row.cure_fraction) * su
            parts.append(
                pd.DataFrame({"group": row.group, "time": times, "survival": s, "incidence": 1 - s})
            )
        return pd.concat(parts, ignore_index=True)

    def plot(self, ax=None, **kwargs):
        """The fitted curves over the nonparametric estimate, with the cure fractions
        marked; see :func:`recurrence.plotting.plot_cure`."""
        from ..plotting.interval import plot_cure

        return plot_cure(self, ax=ax, **kwargs)


def cure(
    cohort: pd.DataFrame,
    by: str | None = "closure",
    *,
    distribution: str = "weibull",
    level: float = 0.95,
) -> CureResult:
    """Fit a mixture cure model per group.

    Parameters
    ----------
    cohort
        A cohort table (:func:`recurrence.load_cohort`); competing events are censored
        at their date; with ``time_left``, interval-censored.
    by
        Grouping column (default ``"closure"``), ``None`` for the whole cohort.
    distribution
        Latency distribution: ``"weibull"`` (default), ``"exponential"``,
        ``"lognormal"`` or ``"loglogistic"``.
    level
        Level of the profile-likelihood interval of the cure fraction.

    Returns
    -------
    CureResult
        ``.table`` (``group``, ``cure_fraction``, ``ci_low``, ``ci_high``, …),
        ``.loglik``, ``.parameters``, ``.at(times)``, ``.plot()``.

    Examples
    --------
    >>> from recurrence import simulate_cohort
    >>> cohort = simulate_cohort(3000, seed=8, cure_fraction=0.8, competing_rate=0,
    ...                          hr={"large_defect": 1, "smoker": 1, "diabetes": 1},
    ...                          site_sd=0, study_months=240, accrual_months=24)
    >>> cure(cohort).table[["group", "cure_fraction", "ci_low", "ci_high"]].round(3)
            group  cure_fraction  ci_low  ci_high
    0  no closure          0.792   0.771    0.813
    1     closure          0.801   0.777    0.823
    """
    from .turnbull import turnbull

    distribution = check_distribution(distribution)
    level = check_level(level)
    prepare(cohort, by)
    check_positive_times(cohort)
    data = interval_data(cohort, by)
    crit = float(chi2.ppf(level, 1))
    remarks = list(data.remarks)
    rows, params = [], []
    for g, name in enumerate(data.groups):
        sel = data.group == g
        kind = data.kind[sel]
        with np.errstate(divide="ignore"):
            logl = np.log(data.left[sel])
            logr = np.log(data.right[sel])
        events = int((kind != RIGHT).sum())
        terms = ["logit_cure", "intercept"] + (
            [] if distribution == "exponential" else ["log_scale"]
        )
        if events == 0:
            msg = (
                f"no reherniation in the {name} group: no cure model (every patient is event-free)"
            )
            warn(msg, StatisticalWarning)
            remarks.append(msg)
            rows.append(_row(name, np.nan, np.nan, np.nan, len(kind), 0, np.nan, False))
            params += [{"group": name, "term": t, "coef": np.nan, "se": np.nan} for t in terms]
            continue
        ends = np.column_stack([data.left[sel], data.right[sel]])[kind != RIGHT]
        distinct = len(np.unique(ends, axis=0))
        try:
            if distinct < 2 and distribution != "exponential":
                raise ArithmeticError("all reherniations at the same time: no latency spread")
            theta, ll, ok, boundary = fit_cure(distribution, logl, logr, kind)
            low, high = profile_interval(distribution, logl, logr, kind, theta, ll, boundary, crit)
            se = _standard_errors(theta, boundary, distribution, logl, logr, kind)
        except (ArithmeticError, ValueError, np.linalg.LinAlgError) as err:
            msg = (
                f"the cure model of the {name} group cannot be fitted ({err}); "
                "too few reherniations or too few distinct times"
            )
            warn(msg, ConvergenceWarning)
            remarks.append(msg)
            rows.append(_row(name, np.nan, np.nan, np.nan, len(kind), events, np.nan, False))
            params += [{"group": name, "term": t, "coef": np.nan, "se": np.nan} for t in terms]
            continue
        if not ok:
            msg = f"the cure model of the {name} group did not converge"
            warn(msg, ConvergenceWarning)
            remarks.append(msg)
        pi = 0.0 if boundary else float(special.expit(theta[0]))
        if boundary:
            remarks.append(
                f"{name}: the cure fraction is at its boundary 0 (no plateau in the data); "
                "the interval is one-sided from 0"
            )
        rows.append(_row(name, pi, low, high, len(kind), events, ll, boundary))
        params += [
            {"group": name, "term": t, "coef": float(c), "se": float(s)}
            for t, c, s in zip(terms, theta, se, strict=True)
        ]
    table = pd.DataFrame(rows)
    remarks.append(
        "a cure fraction is read from the plateau within follow-up and assumes it lasts: "
        "it is an extrapolation"
    )
    observed = turnbull(cohort, by, n_boot=0)
    return CureResult(
        table=table,
        parameters=pd.DataFrame(params),
        loglik=float(np.nansum(table["loglik"])),
        distribution=distribution,
        level=level,
        by=by,
        interval_censored=data.interval_censored,
        observed=observed,
        remarks=tuple(remarks),
    )


def _row(group, pi, low, high, n, events, ll, boundary) -> dict:
    return {
        "group": group,
        "cure_fraction": pi,
        "ci_low": low,
        "ci_high": high,
        "n": int(n),
        "events": int(events),
        "loglik": ll,
        "at_boundary": bool(boundary),
    }


def _standard_errors(theta, boundary, dist, logl, logr, kind) -> np.ndarray:
    """Observed-information standard errors; at the boundary those of the latency alone
    (the cure fraction's is undefined there)."""
    if boundary:
        latency = theta[1:]

        def grad(t):
            return cure_gradient(np.concatenate(([-np.inf], t)), dist, logl, logr, kind)[1:]

        h = hessian(grad, latency)
        out = np.full(len(theta), np.nan)
        out[1:] = _sqrt_diag(h)
        return out

    def full(t):
        return cure_gradient(t, dist, logl, logr, kind)

    return _sqrt_diag(hessian(full, theta))


def _sqrt_diag(h: np.ndarray) -> np.ndarray:
    try:
        var = np.diag(np.linalg.inv(-h))
    except np.linalg.LinAlgError:
        return np.full(len(h), np.nan)
    return np.sqrt(np.where(var > 0, var, np.nan))
