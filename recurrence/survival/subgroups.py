"""The closure effect within subgroups of patients, and the test of interaction.

For each variable (approach, level, sex, a number split at a cut-point) and each of its
levels, :func:`subgroups` fits the model of closure (plus ``covariates``) to the
patients of that level, as R's ``coxph(Surv(time, event == 1) ~ closure + …,
subset = v == level)`` (or ``cmprsk::crr``). The interaction p-value per variable is the
likelihood-ratio test of ``closure * v`` against ``closure + v``, both with
``covariates``, on the same patients (``anova(fit0, fit1)``); for Fine-Gray, whose
pseudo-likelihood supports no likelihood-ratio test, the Wald test of the interaction
coefficients with ``crr``'s sandwich variance. A number is split at its median unless
``cuts`` gives the cut-point; the levels read ``< cut`` and ``≥ cut``, and the table
says the cut.

Subgroup effects are for display beside the interaction test: a subgroup's interval
excluding 1 while another's does not is no evidence of a different effect.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
import pandas as pd

from .._dist import chi2
from .._format import fmt
from .._validate import as_list, check_cohort
from ..errors import DataError, Problem
from ..results import ResultMixin
from ._data import time_order
from ._terms import term_variables

__all__ = ["SubgroupsResult", "subgroups"]

_WORK = "subgroup__"  # the column holding a variable's levels in the working copy


@dataclass(frozen=True, repr=False)
class SubgroupsResult(ResultMixin):
    """Closure effects by subgroup.

    Attributes
    ----------
    table
        One row per variable and level: ``variable``, ``level``, ``n``, ``events``,
        ``hr`` (the SHR with ``model="fine_gray"``), ``ci_low``, ``ci_high``,
        ``pvalue``, ``interaction_pvalue``, then ``n_closure``, ``events_closure``,
        ``n_control``, ``events_control``, ``cut`` (the cut-point of a number, NaN for
        categories), ``interaction_test`` (``"LRT"`` or ``"Wald"``), ``interaction_df``.
    overall
        The same columns for all patients (no interaction test).
    model, covariates, level
        ``"cox"`` or ``"fine_gray"``, the adjustment covariates, the confidence level.
    """

    table: pd.DataFrame
    overall: pd.DataFrame
    model: str
    covariates: tuple[str, ...]
    level: float
    remarks: tuple[str, ...] = ()
    #: the models behind the table (Cox fits without concordance and PH test)
    fits: dict = field(default_factory=dict, repr=False)

    title: ClassVar[str] = "Closure effect by subgroup"

    def summary_lines(self) -> list[str]:
        what = "hazard ratio (Cox)" if self.model == "cox" else "SHR (Fine-Gray)"
        adj = f", adjusted for {', '.join(self.covariates)}" if self.covariates else ""
        o = self.overall.iloc[0]
        two = [fmt(x) if np.isnan(x) else f"{x:.2f}" for x in (o.hr, o.ci_low, o.ci_high)]
        return [
            f"closure {what}{adj}; all patients: {two[0]} [{two[1]}, {two[2]}], "
            f"{int(o.n):,} patients, {int(o.events):,} events"
        ]

    def plot(self, ax=None, **kwargs):
        """Subgroup forest plot; see :func:`recurrence.plotting.plot_subgroups`."""
        from ..plotting.subgroups import plot_subgroups

        return plot_subgroups(self, ax=ax, **kwargs)


def _cox_estimates(cohort: pd.DataFrame, covariates, *, level: float):
    """:func:`~recurrence.survival.cox` for the table, which reads only coefficients: the
    same fit, table, log-likelihood and covariance, without the concordance (NaN) and
    the proportional-hazards test (an empty ``.ph_test``), a quarter to a third of each
    of the three or more fits per variable on a large cohort."""
    from .cox import _fit

    return _fit(cohort, covariates, event=1, level=level, diagnostics=False)


def _fitter(model: str):
    from .finegray import fine_gray

    if model == "cox":
        return _cox_estimates
    if model == "fine_gray":
        return fine_gray
    raise DataError(Problem(f"model must be 'cox' or 'fine_gray', not {model!r}"))


def _levels(s: pd.Series, name: str, cuts: dict) -> tuple[pd.Series, list[str], float]:
    """The subgroup labels of a variable, their order, and the cut-point (or NaN)."""
    if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
        if s.dropna().nunique() > 2 or name in cuts:
            x = s.astype("float64")  # nullable integers (Int64 with empty cells) too
            cut = float(cuts.get(name, x.median()))
            labels = [f"< {cut:g}", f"≥ {cut:g}"]
            # categories, not a text per patient (5M patients: 300 MB of strings)
            codes = np.where(x.isna(), -1, (x >= cut).astype(np.int8))
            out = pd.Series(pd.Categorical.from_codes(codes, labels), index=s.index)
            return out, labels, cut
    # categories too: the comparisons per level and each model's design matrix read
    # codes, not a text per patient (1M patients: 0.6 s of object comparisons alone)
    if pd.api.types.is_bool_dtype(s):
        yes = s.to_numpy(dtype=float, na_value=np.nan)
        codes = np.where(np.isnan(yes), -1, yes).astype(np.int64)
        printed = np.array(["no", "yes"], dtype=object)
    else:
        codes, uniques = pd.factorize(s)  # missing: -1
        printed = np.array([str(u) for u in uniques], dtype=object)
    present = np.unique(codes[codes >= 0])
    order = sorted(set(printed[present]))  # values that print alike are one level
    at = {label: i for i, label in enumerate(order)}
    remap = np.array([at.get(label, -1) for label in printed] + [-1], dtype=np.int64)
    out = pd.Series(pd.Categorical.from_codes(remap[codes], order), index=s.index)
    return out, order, float("nan")


def _row(fit, data: pd.DataFrame, ratio: str) -> dict:
    arm = data["closure"].astype(bool)
    dead = data["event"] == 1
    if "closure" in fit.table.index:
        r = fit.table.loc["closure"]
        est = dict(hr=r[ratio], ci_low=r["ci_low"], ci_high=r["ci_high"], pvalue=r["pvalue"])
    else:
        est = dict(hr=np.nan, ci_low=np.nan, ci_high=np.nan, pvalue=np.nan)
    return {
        "n": len(data),
        "events": int(dead.sum()),
        **est,
        "n_closure": int(arm.sum()),
        "events_closure": int((dead & arm).sum()),
        "n_control": int((~arm).sum()),
        "events_control": int((dead & ~arm).sum()),
    }


def _not_converged(where: str, row) -> str:
    """Why a subgroup's model did not converge, in words."""
    if not row["events_closure"] or not row["events_control"]:
        arm = "the closure arm" if not row["events_closure"] else "the arm without closure"
        return f"{where}: no reherniation in {arm}: the closure effect is not estimable"
    return f"{where}: the model did not converge (too few events)"


def _interaction(fit_main, fit_int, model: str) -> tuple[float, int]:
    """p-value and df of the interaction (LRT for Cox, Wald for Fine-Gray)."""
    extra = [t for t in fit_int.table.index if ":" in t and not np.isnan(fit_int.coef[t])]
    df = len(extra)
    if df == 0:
        return float("nan"), 0
    if model == "cox":  # the LRT stands when a coefficient diverges (its loglik converges)
        stat = 2 * (fit_int.loglik - fit_main.loglik)
    elif not fit_int.converged:  # a Wald test of a diverging coefficient means nothing
        return float("nan"), df
    else:
        b = fit_int.coef[extra].to_numpy()
        v = fit_int.cov.loc[extra, extra].to_numpy()
        stat = float(b @ np.linalg.solve(v, b))
    return float(chi2.sf(stat, df)), df


def subgroups(
    cohort: pd.DataFrame,
    variables,
    *,
    covariates=(),
    model: str = "cox",
    cuts: dict | None = None,
    level: float = 0.95,
) -> SubgroupsResult:
    """The closure effect within each level of each variable, with the interaction test.

    Parameters
    ----------
    cohort
        A cohort table (:func:`recurrence.load_cohort`).
    variables
        Column(s) defining subgroups, e.g. ``["approach", "sex", "defect_width_mm"]``.
        A number with more than two values is split at its median (or ``cuts``).
    covariates
        Adjustment covariates in every model (a subgroup variable is left out of its
        own subgroups' models, where it is constant).
    model
        ``"cox"`` (cause-specific hazard of reherniation) or ``"fine_gray"``.
    cuts
        ``{column: cut-point}`` for numbers, e.g. ``{"defect_width_mm": 6}``.
    level
        Confidence level.

    Returns
    -------
    SubgroupsResult
        ``.table``, ``.overall``, ``.plot()`` (forest plot).

    Examples
    --------
    >>> from recurrence import load_cohort
    >>> res = subgroups(load_cohort(), ["approach", "defect_width_mm"])
    >>> res.table[["variable", "level", "n", "events"]]
              variable  level     n  events
    0         approach    MED   530      56
    1         approach   PELD   545      58
    2         approach   open   925      96
    3  defect_width_mm  < 5.7   976      64
    4  defect_width_mm  ≥ 5.7  1024     146
    >>> bool(res.table["interaction_pvalue"].between(0, 1).all())
    True
    """
    spec = checked(cohort, variables, covariates=covariates, model=model, cuts=cuts, level=level)
    return combine(spec, [fit_part(cohort, spec, spec.variables, overall=True)])


@dataclass(frozen=True)
class Spec:
    """The checked arguments of :func:`subgroups`."""

    variables: tuple[str, ...]
    covariates: tuple[str, ...]
    model: str
    cuts: dict
    level: float


@dataclass(frozen=True)
class Part:
    """The models of some subgroup variables (:func:`fit_part`): per variable its table
    rows, remarks and fits; ``overall`` the all-patients row, fit and remarks."""

    variables: dict
    overall: tuple | None = None


def checked(cohort, variables, *, covariates=(), model="cox", cuts=None, level=0.95) -> Spec:
    """:func:`subgroups`' arguments checked against ``cohort`` (a DataError says what
    is wrong), and the cohort's own rows checked in the user's order (a problem names
    the rows of their table, not of the time-ordered copy the models read)."""
    _fitter(model)
    variables = tuple(as_list(variables))
    covariates = tuple(as_list(covariates))
    cuts = dict(cuts or {})
    if not variables:
        raise DataError(Problem("subgroups needs at least one variable", fix="e.g. ['approach']"))
    needed = ["time", "event", "closure", *variables, *term_variables(covariates)]
    absent = [c for c in dict.fromkeys(needed) if c not in cohort.columns]
    if absent:
        raise DataError(
            Problem(
                f"column(s) {absent} are not in the cohort",
                fix=f"use some of {list(cohort.columns)}",
            )
        )
    if "closure" in variables:
        raise DataError(Problem("closure is the effect estimated; it cannot define subgroups"))
    if unknown := sorted(set(cuts) - set(variables)):
        raise DataError(Problem(f"cuts names columns that are not subgroup variables: {unknown}"))
    check_cohort(cohort, uses=["closure", *term_variables(covariates)])
    return Spec(variables, covariates, model, cuts, level)


def fit_part(cohort: pd.DataFrame, spec: Spec, variables, *, overall: bool) -> Part:
    """The models of ``variables`` (some of ``spec.variables``), and those of all
    patients with ``overall``: what :func:`combine` puts together."""
    fit = _fitter(spec.model)
    ratio = "hr" if spec.model == "cox" else "shr"
    covariates, level = spec.covariates, spec.level
    used_cov = list(term_variables(covariates))
    # Only the columns the models read (each variable's work table is a copy), in time
    # order (1M patients, four variables: 21 → 16 s; :func:`._data.time_order`); a table
    # in time order already (the report's) is not reordered again.
    by_time = time_order(cohort)
    cohort_used = cohort[list(dict.fromkeys(["time", "event", "closure", *used_cov]))]
    if by_time is not None:
        cohort_used = cohort_used.iloc[by_time]
    # the patients every model can use, for dropna(subset=...) without its copies
    complete = cohort_used[["closure", *used_cov]].notna().all(axis=1).to_numpy()
    whole = None
    if overall:
        base = cohort_used if complete.all() else cohort_used[complete]
        overall_fit = fit(base, ["closure", *covariates], level=level)
        row = {"variable": "all patients", "level": "all patients"}
        row.update(_row(overall_fit, base, ratio))
        whole = (
            row,
            overall_fit,
            [] if overall_fit.converged else [_not_converged(row["level"], row)],
        )
    out = {}
    for v in variables:
        rows, remarks, fits = [], [], {}
        column = cohort[v] if by_time is None else cohort[v].iloc[by_time]
        labels, order, cut = _levels(column, v, spec.cuts)
        own = [c for c in covariates if v not in term_variables([c])]
        work = cohort_used.assign(**{_WORK: labels})
        keep = complete & labels.notna().to_numpy()
        if not keep.all():
            work = work[keep]
        fit0 = fit(work, ["closure", _WORK, *own], level=level)
        fit1 = fit(work, [f"closure*{_WORK}", *own], level=level)
        p_int, df = _interaction(fit0, fit1, spec.model)
        fits[v] = {"main": fit0, "interaction": fit1}
        if df and np.isnan(p_int):
            remarks.append(
                f"{v}: no interaction test: the Fine-Gray model with closure × {v} did not "
                "converge (a coefficient diverges, e.g. no reherniation in one arm of a "
                "subgroup), and a Wald test of a diverging coefficient means nothing"
            )
        if not np.isnan(cut):
            source = "given" if v in spec.cuts else "the median"
            remarks.append(f"{v} split at {cut:g} ({source})")
        for lev in order:
            sub = work[work[_WORK] == lev]
            f = fit(sub, ["closure", *own], level=level)
            fits[(v, lev)] = f
            rows.append(
                {
                    "variable": v,
                    "level": lev,
                    **_row(f, sub, ratio),
                    "cut": cut,
                    "interaction_pvalue": p_int,
                    "interaction_df": df,
                }
            )
            if not f.converged:
                remarks.append(_not_converged(f"{v} = {lev}", rows[-1]))
        out[v] = (rows, remarks, fits)
    return Part(out, whole)


_COLUMNS = [
    "variable",
    "level",
    "n",
    "events",
    "hr",
    "ci_low",
    "ci_high",
    "pvalue",
    "interaction_pvalue",
    "n_closure",
    "events_closure",
    "n_control",
    "events_control",
    "cut",
    "interaction_test",
    "interaction_df",
]


def combine(spec: Spec, parts) -> SubgroupsResult:
    """One result from parts that together hold every variable of ``spec`` and, once,
    all patients (the same result as one :func:`fit_part` of everything)."""
    got = {v: block for p in parts for v, block in p.variables.items()}
    [(row, overall_fit, remarks)] = [p.overall for p in parts if p.overall is not None]
    remarks = list(remarks)
    rows: list[dict] = []
    fits: dict[str | tuple[str, object], object] = {"overall": overall_fit}
    for v in spec.variables:
        v_rows, v_remarks, v_fits = got[v]
        rows += v_rows
        remarks += v_remarks
        fits.update(v_fits)
    table = pd.DataFrame(rows)
    table["interaction_test"] = "LRT" if spec.model == "cox" else "Wald"
    overall = pd.DataFrame([row]).assign(
        interaction_pvalue=np.nan, cut=np.nan, interaction_test="", interaction_df=0
    )
    test = (
        "likelihood-ratio test of closure × variable against closure + variable"
        if spec.model == "cox"
        else "Wald test of the closure × variable coefficients (crr's sandwich variance)"
    )
    remarks.insert(
        0,
        f"interaction p-values: {test}"
        + (f", both adjusted for {', '.join(spec.covariates)}" if spec.covariates else ""),
    )
    return SubgroupsResult(
        table=table[_COLUMNS].reset_index(drop=True),
        overall=overall[_COLUMNS],
        model=spec.model,
        covariates=spec.covariates,
        level=spec.level,
        remarks=tuple(remarks),
        fits=fits,
    )
