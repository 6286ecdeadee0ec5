"""Fine-Gray subdistribution hazards model: covariate effects on the cumulative incidence.

:func:`fine_gray` fits the model of Fine & Gray (1999) exactly as R's ``cmprsk::crr``
does: patients with a competing event stay in the risk set after it, weighted by the
Kaplan-Meier estimate of remaining uncensored (G(t−)/G(tⱼ−)); tied failure times share
one risk set (Breslow); the variance is ``crr``'s sandwich, which also allows for the
estimation of G. A subdistribution hazard ratio (SHR) above 1 means a higher cumulative
incidence of the cause; it is not a hazard ratio among patients still at risk (for that:
:func:`recurrence.survival.cause_specific_cox`).

The numeric core (``_core/finegray.py``) computes every risk-set sum of ``crr`` by
forward-backward cumulative sums (Kawaguchi et al. 2021), O(n log n) instead of
``crr``'s O(n²): there is no maintained Python Fine-Gray to wrap.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .._format import fmt
from .._validate import EVENT_NAMES, as_list, check_event, check_level
from ..errors import ConvergenceWarning, DataError, Problem, StatisticalWarning, warn
from ..results import ResultMixin
from ._core import finegray as core
from ._core.cox import aliased_from_info
from ._data import prepare
from ._reg_common import (
    MIN_EVENTS_PER_COEF,
    RegressionResultMixin,
    coef_table,
    no_event_levels,
    standard_errors,
    warn_divergence,
    why_aliased,
)

__all__ = ["FineGrayResult", "fine_gray"]


@dataclass(frozen=True, repr=False)
class FineGrayResult(RegressionResultMixin, ResultMixin):
    """A fitted Fine-Gray model.

    Attributes
    ----------
    table
        Indexed by term: ``coef`` (log SHR), ``shr``, ``se`` (``crr``'s sandwich),
        ``ci_low``, ``ci_high`` (of the SHR), ``pvalue`` (Wald). A term left out
        (constant, collinear) is NaN.
    loglik, loglik_null
        Log pseudo-likelihood at the estimate and at β = 0 (``crr``'s ``loglik``,
        ``loglik.null``).
    n, events, competing, censored
        Patients used; events of the modelled cause, competing events, censored.
    cov
        Variance-covariance matrix of the coefficients (sandwich).
    """

    table: pd.DataFrame
    loglik: float
    loglik_null: float
    n: int
    events: int
    competing: int
    censored: int
    event: int = 1
    level: float = 0.95
    converged: bool = True
    iterations: int = 0
    cov: pd.DataFrame | None = field(default=None, repr=False)
    remarks: tuple[str, ...] = ()

    title = "Fine-Gray subdistribution hazards model"
    measure = "shr"

    @property
    def label(self) -> str:
        """A short name for legends."""
        return "Fine-Gray" if self.event == 1 else f"Fine-Gray, event {self.event}"

    def summary_lines(self) -> list[str]:
        cause = EVENT_NAMES.get(self.event, f"event {self.event}")
        return [
            f"cumulative incidence of {cause} (event {self.event}): {self.n:,} patients, "
            f"{self.events:,} events, {self.competing:,} competing events, "
            f"{self.censored:,} censored",
            f"log pseudo-likelihood {fmt(self.loglik)} (null {fmt(self.loglik_null)})",
        ]


def _divergence(fit, kterms, empty: dict, cause: str, remarks: list[str]) -> None:
    """Warn (ConvergenceWarning) and remark that a coefficient diverges. When every
    diverging term is a yes/no column without an event at one value (no reherniation in
    the closure arm), say so, and that its SHR is not estimable; otherwise as ``cox``."""
    inf = [int(j) for j in np.flatnonzero(fit.infinite)]
    notes = []
    for j in inf:
        of = "" if kterms[j] == "closure" else f" of {kterms[j]!r}"
        to = "0" if fit.coef[j] < 0 else "∞"
        notes.append(
            f"the subdistribution hazard ratio{of} is not estimable ({kterms[j]!r} appears "
            f"to be infinite: the pseudo-likelihood keeps rising as the SHR goes to {to}); "
            "no standard error, interval or p-value is given for it"
        )
    if inf and all(j in empty for j in inf):
        msg = "; ".join(f"{empty[j]}: {note}" for j, note in zip(inf, notes, strict=True))
        msg += (
            "; compare the cumulative incidence of the groups instead (Gray's test, "
            "cumulative_incidence())"
        )
        warn(msg, ConvergenceWarning)
        remarks.append(msg)
        return
    warn_divergence(
        fit,
        kterms,
        remarks,
        model="Fine-Gray",
        likelihood="pseudo-likelihood",
        cause=cause,
        ratio="SHR",
    )
    remarks.extend(notes)


def _standard_errors(fit, kterms, remarks: list[str]) -> np.ndarray:
    """The sandwich SEs; NaN for a diverging coefficient, so no interval and no p-value:
    the sandwich shrinks as the coefficient runs off (crr reports SE 0.09 and p = 0 for
    a closure arm without reherniation); it is no standard error of anything."""
    se = np.full(len(kterms), np.nan)
    fin = np.flatnonzero(~fit.infinite)
    se[fin] = standard_errors(fit.var[np.ix_(fin, fin)], [kterms[j] for j in fin], remarks)
    return se


def _variance_remark(fg, fit, se, kterms, chosen: str, cause: str) -> str:
    """Which censoring correction the standard errors use, and how much the other one
    (crr's or the corrected) would change them."""
    other = "corrected" if chosen == "crr" else "crr"
    with np.errstate(all="ignore"):
        alt = np.sqrt(np.diag(core.sandwich(fg, fit.coef, fit.info, variance=other)))
        rel = np.abs(alt / se - 1)
    j = int(np.nanargmax(rel)) if np.isfinite(rel).any() else 0
    what = (
        "as crr(cengroup=) (cmprsk 2.2-11), whose correction for estimating each group's "
        f"censoring distribution counts only the {cause} events of that group"
        if chosen == "crr"
        else f"corrected: the correction for estimating each group's censoring "
        f"distribution counts every {cause} event (crr(cengroup=) only the group's own)"
    )
    return (
        f"standard errors {what}; censoring_variance='{other}' changes them by at most "
        f"{100 * rel[j]:.2g}% ('{kterms[j]}')"
    )


def fine_gray(
    cohort: pd.DataFrame,
    covariates=("closure",),
    event: int = 1,
    *,
    level: float = 0.95,
    censoring_groups: str | None = None,
    cluster: str | None = None,
    censoring_variance: str = "crr",
) -> FineGrayResult:
    """Fine-Gray model of the cumulative incidence of ``event`` (``cmprsk::crr``).

    Parameters
    ----------
    cohort
        A cohort table (:func:`recurrence.load_cohort`).
    covariates
        Columns in the model: numbers as given, yes/no as 0/1, categories as indicators
        against their first level (terms ``column[level]``).
    event
        The cause modelled (1 reherniation); every other non-zero code competes.
    level
        Confidence level of the intervals.
    censoring_groups
        Column whose levels get their own censoring distribution (``crr(cengroup=)``),
        e.g. ``"site"`` when follow-up differs between hospitals: a competing event's
        weight in later risk sets is its own group's G(t−)/G(tⱼ−), and the variance
        allows for estimating each group's G.
    censoring_variance
        With ``censoring_groups``: ``"crr"`` (default) gives ``crr(cengroup=)``'s
        standard errors (cmprsk 2.2-11), whose correction for estimating group k's G
        counts only the reherniations of group k; ``"corrected"`` counts every
        reherniation, as the derivative of the estimating equation does (see
        ``docs/survival.md``). Both are the same with one censoring group.
    cluster
        Column of clusters (e.g. ``"site"``, or ``"patient_id"``) for cluster-robust
        standard errors as ``coxph(Surv(fgstart, fgstop, fgstatus) ~ …, weights = fgwt,
        cluster = id)`` on ``finegray()`` data: the score residuals summed within
        clusters, sandwiched by the inverse information. Unlike ``crr``'s variance this
        ignores the estimation of G (the coefficients stay ``crr``'s).

    Returns
    -------
    FineGrayResult
        ``.table`` indexed by term with ``coef``, ``shr``, ``se``, ``ci_low``,
        ``ci_high``, ``pvalue``.

    Examples
    --------
    >>> from recurrence import load_cohort
    >>> fit = fine_gray(load_cohort(), ["closure", "smoker"])
    >>> list(fit.table.columns)
    ['coef', 'shr', 'se', 'ci_low', 'ci_high', 'pvalue']
    >>> bool(fit.table.loc["closure", "shr"] < 1), fit.events, fit.competing
    (True, 210, 145)
    """
    covariates = as_list(covariates)
    if not covariates:
        raise DataError(
            Problem(
                "a Fine-Gray model needs at least one covariate", fix="e.g. covariates=['closure']"
            )
        )
    event = check_event(event)
    check_level(level)
    if censoring_variance not in ("crr", "corrected"):
        raise DataError(
            Problem(
                f"censoring_variance must be 'crr' or 'corrected', not {censoring_variance!r}",
                fix="'crr' (default, as crr(cengroup=)) or 'corrected'",
            )
        )
    data = prepare(cohort, None, covariates=covariates, strata=censoring_groups, cluster=cluster)
    cause = EVENT_NAMES.get(event, f"event {event}")
    status = data.event
    c1 = status == event
    if data.n < 2:
        raise DataError(Problem(f"a Fine-Gray model needs at least 2 patients; {data.n} left"))
    if not c1.any():
        raise DataError(
            Problem(
                f"no patient has event {event} ({cause}) among the {data.n} used",
                column="event",
                fix="check the event coding (0 censored, 1 reherniation, 2 competing event)",
            )
        )
    terms, x = list(data.terms), data.x
    remarks = list(data.remarks)
    fg, order = core.make_data(data.time, status, x, event, data.strata)
    start = core.evaluate(fg, np.zeros(len(terms)))
    drop = aliased_from_info(start[2])
    keep = [j for j in range(len(terms)) if not drop[j]]
    if not keep:
        raise DataError(
            Problem(
                "no covariate is left to estimate: "
                + "; ".join(why_aliased(x, j, None, terms, []) for j in range(len(terms)))
            )
        )
    for j in np.flatnonzero(drop):
        msg = f"{why_aliased(x, j, None, terms, keep)}: it was left out of the model"
        warn(msg, StatisticalWarning)
        remarks.append(msg)
    kterms = [terms[j] for j in keep]
    if drop.any():
        fg, order = core.make_data(data.time, status, x[:, keep], event, data.strata)
        start = None
    clusters = None if data.cluster is None else data.cluster[order]
    fit = core.fit_fine_gray(
        fg, len(keep), start=start, cluster=clusters, variance=censoring_variance
    )
    # a yes/no term without an event at one value diverges whatever the fit reports
    empty = no_event_levels(x[:, keep], c1, kterms, cause)
    fit.infinite[list(empty)] = True
    _divergence(fit, kterms, empty, cause, remarks)
    se = _standard_errors(fit, kterms, remarks)
    table = coef_table(terms, kterms, fit.coef, se, se, level, "shr")
    events, competing = int(c1.sum()), int(((status != 0) & ~c1).sum())
    remarks.append(
        f"subdistribution hazard of {cause}: patients with a competing event stay in "
        "the risk set, weighted by the probability of remaining uncensored; an SHR "
        f"describes the cumulative incidence of {cause}, not its hazard among "
        "patients still at risk"
    )
    if censoring_groups is not None:
        remarks.append(
            f"censoring distribution estimated within each level of {censoring_groups} "
            f"({len(data.strata_labels)} groups), as crr(cengroup=)"
        )
        if len(fg.groups) > 1 and cluster is None:
            remarks.append(_variance_remark(fg, fit, se, kterms, censoring_variance, cause))
    if cluster is not None:
        assert data.cluster is not None  # prepared with the cluster column
        nclus = len(np.unique(data.cluster))
        remarks.append(
            f"cluster-robust standard errors by {cluster} ({nclus} clusters), as coxph("
            "cluster=) on finegray() data: they do not allow for estimating the censoring "
            "distribution"
        )
    if competing == 0:
        remarks.append(
            "no competing events: the model is a Cox model (Breslow ties) with "
            "crr's sandwich variance"
        )
    tied = int((fg.dm > 1).sum())
    if tied:
        remarks.append(
            f"{tied} failure times are shared by several patients (one risk set each, as crr)"
        )
    if events < MIN_EVENTS_PER_COEF * len(keep):
        remarks.append(
            f"only {events} events for {len(keep)} coefficient"
            f"{'s' if len(keep) != 1 else ''} (fewer than {MIN_EVENTS_PER_COEF} per "
            "coefficient): estimates may be unstable"
        )
    return FineGrayResult(
        table=table,
        loglik=fit.loglik,
        loglik_null=fit.loglik_null,
        n=data.n,
        events=events,
        competing=competing,
        censored=int((status == 0).sum()),
        event=event,
        level=level,
        converged=fit.converged and not fit.infinite.any(),
        iterations=fit.iterations,
        cov=pd.DataFrame(fit.var, index=kterms, columns=kterms),
        remarks=tuple(remarks),
    )
