"""Parametric (accelerated failure time) models of the time to reherniation, for the
questions beyond follow-up: what will the rate be at 5 and 10 years?

``log T = x'β + σ·W``: W standard extreme value (Weibull; exponential with σ = 1),
normal (log-normal) or logistic (log-logistic). The numbers are those of R's
``survreg(Surv(...) ~ x, dist = )``: coefficients on the log-time scale (a coefficient
of 0.3 stretches time to reherniation by e^0.3 = 1.35: a *time ratio*), ``Log(scale)``
= log σ, the observed-information standard errors, the log-likelihood on the time scale
and AIC = −2·loglik + 2·(parameters). With a ``time_left`` column the model is fitted to
the intervals (``Surv(time_left, time, type = "interval2")``): a reherniation found at
a scan happened after the last clean one.

The fits are lifelines' (``_lifelines.py``, which sets the tolerances that make them
agree with survreg and converts the parameterisation). A parametric curve goes on past
the last follow-up, where no patient informs it: :meth:`ParametricResult.incidence`
flags those times (``extrapolated``), the plot shades them, and the four distributions
can disagree there while fitting the observed years alike (:func:`compare_distributions`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
import pandas as pd

from .._arms import group_labels
from .._format import fmt
from .._validate import as_list, check_cohort, check_level, check_times
from ..errors import DataError, Problem, StatisticalWarning, warn
from ..results import ResultMixin
from ._intervals import RIGHT, interval_data
from ._lifelines import DISTRIBUTIONS, fit_aft
from ._np_parametric import survival
from ._reg_common import MIN_EVENTS_PER_COEF, coef_table, standard_errors
from ._terms import yes_no_as_float

__all__ = [
    "ParametricComparison",
    "ParametricResult",
    "compare_distributions",
    "parametric",
]

LABELS = {
    "exponential": "Exponential",
    "weibull": "Weibull",
    "lognormal": "Log-normal",
    "loglogistic": "Log-logistic",
}


def check_distribution(distribution) -> str:
    """One of :data:`DISTRIBUTIONS`, or a DataError naming them."""
    if distribution not in DISTRIBUTIONS:
        raise DataError(
            Problem(
                f"distribution must be one of {list(DISTRIBUTIONS)} (got {distribution!r})",
                fix="e.g. distribution='weibull'",
            ),
            loading=False,
        )
    return distribution


def check_positive_times(cohort: pd.DataFrame) -> None:
    """A parametric model works on log time: every ``time`` must be > 0."""
    time = np.asarray(cohort["time"], dtype=float)
    bad = ~(time > 0)
    if bad.any():
        raise DataError(
            Problem(
                "must be > 0 for a parametric model (it models log time)",
                column="time",
                rows=tuple(int(i) + 1 for i in np.flatnonzero(bad)[:50]),
                fix="a patient with no follow-up carries no information: leave the row out",
            ),
            source="cohort",
            loading=False,
        )


def design_for(data: pd.DataFrame, covariates, terms) -> np.ndarray:
    """The design matrix of new rows, coded as the fitted model's ``terms`` (numbers and
    yes/no as they are, a category as indicators ``column[level]``)."""
    cols = []
    for term in terms:
        name, _, level = term.partition("[")
        if name not in data.columns:
            raise DataError(
                Problem(f"covariate '{name}' is not in the data", fix=f"give a '{name}' column"),
                loading=False,
            )
        s = data[name]
        if level:
            col = (s.astype(str) == level[:-1]).astype(float).where(s.notna())
        else:
            col = yes_no_as_float(s) if pd.api.types.is_bool_dtype(s) else s
        cols.append(np.asarray(col, dtype=float))
    return np.column_stack(cols) if cols else np.zeros((len(data), 0))


@dataclass(frozen=True, repr=False)
class ParametricResult(ResultMixin):
    """A fitted accelerated-failure-time model, on survreg's scale.

    Attributes
    ----------
    table
        Indexed by term (``intercept``, the covariates, ``log_scale``): ``coef`` (log
        time ratio; log σ in the ``log_scale`` row), ``time_ratio`` = e^coef with its
        interval ``ci_low``, ``ci_high``, ``se`` and the Wald ``pvalue``. The exponential
        model's ``log_scale`` is fixed at 0 (no standard error).
    loglik, aic
        Log-likelihood (time scale, as survreg) and −2·loglik + 2·parameters.
    n, events, max_followup
        Patients, reherniations (exact or interval-censored), the last month with
        information (curves beyond it are extrapolations).
    distribution, interval_censored, covariates, terms, level
        The model fitted.
    cov
        Covariance of the coefficients and log σ.
    """

    table: pd.DataFrame
    loglik: float
    aic: float
    n: int
    events: int
    max_followup: float
    distribution: str
    interval_censored: bool
    covariates: tuple[str, ...]
    terms: tuple[str, ...]
    level: float = 0.95
    cov: pd.DataFrame | None = field(default=None, repr=False)
    data: pd.DataFrame | None = field(default=None, repr=False)
    remarks: tuple[str, ...] = ()

    title: ClassVar[str] = "Parametric survival model (accelerated failure time)"

    @property
    def scale(self) -> float:
        """σ, survreg's ``scale`` (1 for the exponential)."""
        return float(np.exp(self.table.loc["log_scale", "coef"]))

    @property
    def label(self) -> str:
        return LABELS[self.distribution]

    def summary_lines(self) -> list[str]:
        kind = "interval-censored" if self.interval_censored else "right-censored"
        return [
            f"{self.label} AFT model, {kind}: {self.n:,} patients, {self.events:,} "
            f"reherniations; log-likelihood {fmt(self.loglik)}, AIC {fmt(self.aic)}; "
            f"follow-up to {fmt(self.max_followup)} months"
        ]

    def predict(self, times, data: pd.DataFrame | None = None) -> pd.DataFrame:
        """Survival at ``times`` (months) for each row of ``data`` (default: the
        patients the model was fitted to).

        Returns a DataFrame indexed like ``data``, one column per time (named by the
        time in months). Times after :attr:`max_followup` are extrapolations.
        """
        times = check_times(times)
        data = self.data if data is None else data
        assert data is not None  # parametric() keeps the patients it fitted
        x = design_for(data, self.covariates, self.terms)
        coef = self.table["coef"].to_numpy()
        eta = coef[0] + x @ coef[1:-1]
        with np.errstate(divide="ignore"):
            z = (np.log(times)[None, :] - eta[:, None]) / self.scale
        values = survival(self.distribution, z)
        return pd.DataFrame(values, index=data.index, columns=pd.Index(times, name="time"))

    def incidence(self, times, by: str | None = "closure") -> pd.DataFrame:
        """Cumulative incidence 1 − S(t) per group, averaged over the fitted patients
        with ``by`` set to each group's value (a standardised curve; with ``by`` the only
        covariate, simply the model's curve of each arm).

        Columns ``group``, ``time``, ``survival``, ``incidence``, ``extrapolated``
        (``time`` after the last follow-up).
        """
        times = check_times(times)
        parts = []
        if by is not None and by in self.covariates:
            fitted = self.data
            assert fitted is not None  # parametric() keeps the patients it fitted
            values = sorted(fitted[by].dropna().unique(), key=lambda v: (str(v) != "False", v))
            labels = group_labels(pd.Series(values), by).tolist()
            for value, label in zip(values, labels, strict=True):
                s = self.predict(times, fitted.assign(**{by: value})).mean(axis=0).to_numpy()
                parts.append((label, s))
        else:
            parts.append(("all patients", self.predict(times).mean(axis=0).to_numpy()))
        frames = [
            pd.DataFrame(
                {
                    "group": g,
                    "time": times,
                    "survival": s,
                    "incidence": 1 - s,
                    "extrapolated": times > self.max_followup,
                }
            )
            for g, s in parts
        ]
        return pd.concat(frames, ignore_index=True)

    def plot(self, ax=None, **kwargs):
        """Cumulative incidence per arm, the extrapolation beyond follow-up shaded and
        labelled; see :func:`recurrence.plotting.plot_parametric`."""
        from ..plotting.interval import plot_parametric

        return plot_parametric(self, ax=ax, **kwargs)


def parametric(
    cohort: pd.DataFrame,
    covariates=("closure",),
    *,
    distribution: str = "weibull",
    level: float = 0.95,
) -> ParametricResult:
    """Fit an accelerated-failure-time model, as R's ``survreg``.

    Parameters
    ----------
    cohort
        A cohort table (:func:`recurrence.load_cohort`). Competing events (event 2) are
        censored at their date. With a ``time_left`` column, reherniations with a
        ``time_left`` are interval-censored in (``time_left``, ``time``].
    covariates
        Columns of x (numbers, yes/no, categories as indicators against their first
        level).
    distribution
        ``"exponential"``, ``"weibull"``, ``"lognormal"`` or ``"loglogistic"``.
    level
        Confidence level of the time-ratio intervals.

    Returns
    -------
    ParametricResult
        ``.table`` (by term, survreg's scale), ``.loglik``, ``.aic``,
        ``.predict(times, data)``, ``.incidence(times)``, ``.plot()``.

    Examples
    --------
    >>> from recurrence import load_cohort
    >>> fit = parametric(load_cohort(), ["closure"], distribution="weibull")
    >>> fit.table[["coef", "se"]].round(4)
                 coef      se
    term
    intercept  7.8981  0.3116
    closure    1.7027  0.3251
    log_scale  0.7336  0.0661
    >>> round(fit.loglik, 2), round(fit.aic, 2)
    (-1428.29, 2862.58)
    """
    distribution = check_distribution(distribution)
    level = check_level(level)
    covariates = as_list(covariates)
    check_cohort(cohort)
    check_positive_times(cohort)
    data = interval_data(cohort, None, covariates)
    remarks = list(data.remarks)
    for j, term in enumerate(data.terms):
        if np.ptp(data.x[:, j]) == 0:
            raise DataError(
                Problem(
                    f"'{term}' is the same for every patient: its coefficient cannot be estimated",
                    column=term.partition("[")[0],
                    fix="leave it out of the covariates",
                ),
                loading=False,
            )
    if not (data.kind != RIGHT).any():
        raise DataError(
            Problem(
                "no reherniation (event 1) in the patients used: a parametric model has "
                "nothing to fit",
                column="event",
            ),
            loading=False,
        )
    try:
        fit = fit_aft(data.left, data.right, data.kind, data.x, distribution)
    except RuntimeError as err:
        raise DataError(
            Problem(
                f"the {LABELS[distribution]} model cannot be fitted to these data ({err})",
                fix="too few reherniations, or times that are all equal; try the "
                "exponential model or fewer covariates",
            ),
            source="cohort",
            loading=False,
        ) from None
    names = ["intercept", *data.terms]
    cov_names = names + (["log_scale"] if distribution != "exponential" else [])
    se = standard_errors(fit.cov, cov_names, remarks)
    table = coef_table(
        names, names, fit.coef, se[: len(names)], se[: len(names)], level, "time_ratio"
    )
    scale_se = se[-1] if distribution != "exponential" else np.nan
    from .._dist import norm

    log_scale = pd.DataFrame(
        {
            "coef": [fit.log_scale],
            "time_ratio": [np.nan],
            "se": [scale_se],
            "ci_low": [np.nan],
            "ci_high": [np.nan],
            "pvalue": [2 * norm.sf(abs(fit.log_scale / scale_se)) if scale_se > 0 else np.nan],
        },
        index=pd.Index(["log_scale"], name="term"),
    )
    table = pd.concat([table, log_scale])
    table.index.name = "term"
    k = len(names) + (distribution != "exponential")
    events = int((data.kind != RIGHT).sum())
    if distribution == "exponential":
        remarks.append("exponential model: scale fixed at 1 (a constant hazard)")
    if data.interval_censored:
        remarks.append(
            f"{int((data.kind == 3).sum()):,} reherniations known only between two scans: "
            "fitted as interval-censored"
        )
    if "event" in cohort.columns and (np.asarray(cohort["event"]) == 2).any():
        remarks.append("competing events (event 2) censored at their date")
    if events < MIN_EVENTS_PER_COEF * k:
        msg = f"{events} reherniations for {k} parameters: estimates may be unstable"
        warn(msg, StatisticalWarning)
        remarks.append(msg)
    remarks += [f"lifelines: {m}" for m in fit.messages]
    finite = np.concatenate([data.left, data.right[np.isfinite(data.right)]])
    used = cohort.loc[_used_rows(cohort, covariates), covariates]
    return ParametricResult(
        table=table,
        loglik=fit.loglik,
        aic=-2 * fit.loglik + 2 * k,
        n=data.n,
        events=events,
        max_followup=float(finite.max()),
        distribution=distribution,
        interval_censored=data.interval_censored,
        covariates=tuple(covariates),
        terms=data.terms,
        level=level,
        cov=pd.DataFrame(fit.cov, index=cov_names, columns=cov_names),
        data=used,
        remarks=tuple(remarks),
    )


def _used_rows(cohort: pd.DataFrame, covariates) -> np.ndarray:
    from ._data import design_matrix

    if not covariates:
        return np.ones(len(cohort), dtype=bool)
    return design_matrix(cohort, covariates)[0].notna().all(axis=1).to_numpy()


@dataclass(frozen=True, repr=False)
class ParametricComparison(ResultMixin):
    """The four distributions side by side.

    Attributes
    ----------
    table
        One row per distribution: ``distribution``, ``parameters``, ``loglik``,
        ``aic``, ``delta_aic`` (from the smallest AIC).
    projections
        ``distribution``, ``group``, ``time``, ``incidence``, ``extrapolated``.
    fits
        The :class:`ParametricResult` of each distribution.
    """

    table: pd.DataFrame
    projections: pd.DataFrame
    fits: dict = field(default_factory=dict, repr=False)
    remarks: tuple[str, ...] = ()

    title: ClassVar[str] = "Parametric models compared (AIC)"

    def summary_lines(self) -> list[str]:
        best = self.table.loc[self.table["delta_aic"].idxmin(), "distribution"]
        return [f"smallest AIC: {LABELS[best]}"]

    def plot(self, ax=None, **kwargs):
        """The incidence curves of every distribution per arm, extrapolation shaded;
        see :func:`recurrence.plotting.plot_parametric`."""
        from ..plotting.interval import plot_parametric

        return plot_parametric(self, ax=ax, **kwargs)


def compare_distributions(
    cohort: pd.DataFrame,
    covariates=("closure",),
    *,
    distributions=DISTRIBUTIONS,
    times=(60, 120),
    by: str | None = "closure",
) -> ParametricComparison:
    """Fit every distribution and compare AIC and the projected incidence.

    Parameters
    ----------
    cohort : pandas.DataFrame
        A cohort table (:func:`recurrence.load_cohort`); a ``time_left`` column makes the
        reherniations interval-censored.
    covariates : sequence of str, default ("closure",)
        Columns of the accelerated-failure-time model.
    distributions : sequence of str
        Any of ``"exponential"``, ``"weibull"``, ``"lognormal"``, ``"loglogistic"`` (default
        all four).
    times : sequence of float, default (60, 120)
        Months at which the incidence is projected (beyond follow-up: extrapolated).
    by : str or None, default "closure"
        Column whose levels get their own projected incidence; ``None`` for the cohort.

    Returns
    -------
    ParametricComparison
        ``table`` (one row per distribution: ``parameters``, ``loglik``, ``aic``,
        ``delta_aic``), ``projections`` (incidence per distribution, group and month, with
        ``extrapolated``) and ``fits``.

    Examples
    --------
    >>> from recurrence import load_cohort
    >>> cmp = compare_distributions(load_cohort(), times=[120])
    >>> cmp.table[["distribution", "aic"]].round(1)
      distribution     aic
    0  exponential  3023.6
    1      weibull  2862.6
    2    lognormal  2847.1
    3  loglogistic  2859.4
    """
    times = check_times(times)
    fits = {
        d: parametric(cohort, covariates, distribution=check_distribution(d)) for d in distributions
    }
    rows = []
    for d, f in fits.items():
        assert f.cov is not None  # parametric() keeps the covariance of its fit
        rows.append({"distribution": d, "parameters": len(f.cov), "loglik": f.loglik, "aic": f.aic})
    table = pd.DataFrame(rows)
    table["delta_aic"] = table["aic"] - table["aic"].min()
    proj = pd.concat(
        [f.incidence(times, by=by).assign(distribution=d) for d, f in fits.items()],
        ignore_index=True,
    )[["distribution", "group", "time", "incidence", "extrapolated"]]
    remarks = []
    if proj["extrapolated"].any():
        spread = proj[proj["extrapolated"]].groupby(["group", "time"])["incidence"]
        widest = (spread.max() - spread.min()).max()
        remarks.append(
            f"beyond follow-up the distributions differ by up to {100 * widest:.1f} "
            "percentage points: an extrapolation rests on the shape assumed, not on data"
        )
    return ParametricComparison(table=table, projections=proj, fits=fits, remarks=tuple(remarks))
