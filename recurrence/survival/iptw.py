"""Inverse probability of treatment weighting (IPTW) for observational cohorts.

The propensity of closure is a logistic regression (statsmodels, through
``_statsmodels.py``) on named baseline covariates. Weights target the average treatment
effect: 1/e for closed patients, 1/(1 − e) for the others; stabilized weights multiply
by the marginal probability of the arm received (Robins et al. 2000), which keeps their
mean near 1 without changing the weighted estimate. Balance is judged by standardized
mean differences (SMD) before and after weighting: the unweighted ones are those of
:func:`recurrence.table_one`; the weighted ones use weighted means, proportions and
variances (Austin & Stuart 2015). ``|SMD| < 0.1`` is the usual mark of balance.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .._arms import smd_categorical
from .._format import fmt
from .._validate import check_cohort
from ..errors import DataError, Problem, StatisticalWarning, warn
from ..results import ResultMixin
from ._data import design_matrix

__all__ = ["IPTW", "iptw_weights", "weighted_smd"]

#: Stabilized weights above this (or unstabilized weights above this many times their
#: mean) are called extreme.
EXTREME_WEIGHT = 10.0
#: Balance threshold for the remark on residual imbalance.
SMD_BALANCED = 0.1


@dataclass(frozen=True, repr=False)
class IPTW(ResultMixin):
    """Propensity model, weights and balance.

    Attributes
    ----------
    table
        Balance: one row per covariate (index ``covariate``) with ``smd_before`` and
        ``smd_after`` (weighted).
    weights
        One weight per patient used, in the order of ``index``.
    propensity
        Estimated probability of closure per patient.
    index
        Cohort index labels of the patients used (rows with missing values left out).
    model
        The logistic propensity model: ``coef`` (log-odds), ``se``, ``pvalue`` per term.
    effective_n
        Kish's effective sample size per arm, (Σw)²/Σw².
    """

    table: pd.DataFrame
    weights: np.ndarray = field(repr=False)
    propensity: np.ndarray = field(repr=False)
    index: pd.Index = field(repr=False)
    model: pd.DataFrame = field(repr=False)
    treatment: str = "closure"
    stabilized: bool = True
    effective_n: dict = field(default_factory=dict)
    remarks: tuple[str, ...] = ()

    title = "Inverse probability of treatment weighting"

    @property
    def balance(self) -> pd.DataFrame:
        """The balance table (same as ``table``)."""
        return self.table

    def summary_lines(self) -> list[str]:
        kind = "stabilized" if self.stabilized else "unstabilized"
        ess = ", ".join(f"{k}: {fmt(v)}" for k, v in self.effective_n.items())
        return [
            f"propensity of {self.treatment}: logistic regression on {', '.join(self.table.index)}",
            f"{kind} weights {fmt(self.weights.min())} to {fmt(self.weights.max())}; "
            f"effective sample size {ess}",
        ]


def _wmean_var(x, w):
    sw = w.sum()
    m = (w @ x) / sw
    denom = sw**2 - (w @ w)
    v = sw / denom * (w @ (x - m) ** 2) if denom > 0 else float("nan")
    return m, v


def weighted_smd(x, treated, w=None, kind: str = "continuous") -> float:
    """Standardized mean difference, treated minus untreated, optionally weighted.

    ``kind``: ``"continuous"`` ((m1 − m0)/√((s1² + s0²)/2) with weighted means and
    variances), or ``"categorical"`` (``x`` holds labels; Yang & Dalton's SMD of the
    weighted level proportions; two levels give the usual SMD of a proportion).
    Unweighted, these are the SMDs of :func:`recurrence.table_one`.

    Examples
    --------
    >>> x = np.array([1., 2, 3, 2, 3, 4])
    >>> t = np.array([True, True, True, False, False, False])
    >>> round(weighted_smd(x, t), 6)
    -1.0
    >>> round(weighted_smd(x, t, np.array([1., 1, 1, 3, 1, 1])), 3)
    -0.58
    """
    treated = np.asarray(treated, bool)
    w = np.ones(len(treated)) if w is None else np.asarray(w, float)
    if kind == "categorical":
        labels = pd.Series(x).astype(str).to_numpy()
        levels = sorted(set(labels))
        if len(levels) < 2:
            return 0.0
        props = []
        for arm in (treated, ~treated):
            ww = w[arm]
            props.append(np.array([ww[labels[arm] == lv].sum() for lv in levels]) / ww.sum())
        return smd_categorical(props[0], props[1])
    x = np.asarray(x, float)
    m1, v1 = _wmean_var(x[treated], w[treated])
    m0, v0 = _wmean_var(x[~treated], w[~treated])
    pooled = np.sqrt((v1 + v0) / 2)
    if not np.isfinite(pooled):
        return float("nan")
    return float((m1 - m0) / pooled) if pooled > 0 else 0.0


def _treatment(cohort, treatment):
    if treatment not in cohort.columns:
        raise DataError(
            Problem(
                f"treatment column '{treatment}' is not in the cohort",
                fix="IPTW weights the arms of a yes/no column (closure)",
            )
        )
    s = cohort[treatment]
    values = set(pd.unique(s.dropna()))
    if not values <= {False, True}:  # 0 == False, 1 == True
        raise DataError(
            Problem(
                "must be yes/no (True/False or 1/0) to weight by the propensity of receiving it",
                column=treatment,
                values=tuple(sorted(map(str, values)))[:5],
            )
        )
    return s


def iptw_weights(
    cohort: pd.DataFrame, covariates, *, treatment: str = "closure", stabilized: bool = True
) -> IPTW:
    """Propensity-score weights for the closure and no-closure arms, with balance.

    Parameters
    ----------
    cohort
        A cohort table.
    covariates
        Baseline covariates of the propensity model (confounders: what made surgeons
        close the annulus and also affects reherniation).
    treatment
        The yes/no column whose propensity is modelled.
    stabilized
        Multiply the weights by the share of the arm received (mean weight near 1).

    Returns
    -------
    IPTW
        ``.weights``, ``.propensity``, ``.table`` (SMD before and after), ``.model``.

    Examples
    --------
    >>> from recurrence import simulate_cohort
    >>> cohort = simulate_cohort(600, seed=3, confounded=True)
    >>> w = iptw_weights(cohort, ["age", "smoker", "defect_width_mm"])
    >>> bool(w.table["smd_after"].abs().max() < w.table["smd_before"].abs().max())
    True
    """
    check_cohort(cohort, uses=[treatment])
    if isinstance(covariates, str):
        covariates = [covariates]
    covariates = list(covariates)
    if not covariates:
        raise DataError(
            Problem(
                "IPTW needs at least one propensity covariate",
                fix="name the confounders, e.g. propensity=['age', 'smoker']",
            )
        )
    if treatment in covariates:
        raise DataError(
            Problem(
                f"'{treatment}' cannot predict itself in the propensity model",
                fix=f"leave '{treatment}' out of the propensity covariates",
            )
        )
    s = _treatment(cohort, treatment)
    xframe, terms = design_matrix(cohort, covariates)
    keep = s.notna() & xframe.notna().all(axis=1)
    for c in covariates:
        keep &= cohort[c].notna()
    sub = cohort.loc[keep]
    remarks = []
    if (~keep).any():
        k = int((~keep).sum())
        remarks.append(
            f"{k} patient{'s' if k != 1 else ''} left out of the propensity model "
            "for missing values"
        )
    t = sub[treatment].astype(bool).to_numpy()
    if t.all() or not t.any():
        raise DataError(
            Problem(
                f"every patient is in the same arm ({t[0]!s}); there is nothing to weight",
                column=treatment,
            )
        )
    from ._statsmodels import fit_logistic

    fit = fit_logistic(t.astype(float), xframe.loc[keep].to_numpy(float), terms)
    ps = np.clip(fit.fitted, 1e-12, 1 - 1e-12)
    w = np.where(t, 1 / ps, 1 / (1 - ps))
    if stabilized:
        w = w * np.where(t, t.mean(), 1 - t.mean())
    if fit.separation:
        names = ", ".join(f"'{n}'" for n in fit.separating)
        msg = (
            f"propensity model: {treatment} is (almost) perfectly predicted by {names} "
            "(separation); some propensities are 0 or 1 and the weights are unreliable. "
            "Leave that covariate out, or compare only patients who could have had either "
            "treatment"
        )
        warn(msg, StatisticalWarning)
        remarks.append(msg)
    limit = EXTREME_WEIGHT if stabilized else EXTREME_WEIGHT * w.mean()
    extreme = w > limit
    if extreme.any():
        msg = (
            f"{int(extreme.sum())} patient{'s have' if extreme.sum() != 1 else ' has'} an "
            f"extreme weight (above {fmt(limit)}, largest {fmt(w.max())}): few patients "
            "carry the weighted comparison; check the overlap of propensities between arms "
            "or trim the weights"
        )
        warn(msg, StatisticalWarning)
        remarks.append(msg)
    rows = []
    for c in covariates:
        col = sub[c]
        kind = (
            "continuous"
            if pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col)
            else "categorical"
        )
        values = col.to_numpy(float) if kind == "continuous" else col.astype(str).to_numpy()
        rows.append(
            {
                "covariate": c,
                "smd_before": weighted_smd(values, t, None, kind),
                "smd_after": weighted_smd(values, t, w, kind),
            }
        )
    table = pd.DataFrame(rows).set_index("covariate")
    worst = table["smd_after"].abs()
    if (worst > SMD_BALANCED).any():
        names = ", ".join(f"{c} ({fmt(v)})" for c, v in worst[worst > SMD_BALANCED].items())
        remarks.append(f"imbalance remains after weighting (|SMD| > {SMD_BALANCED}): {names}")
    ess = {}
    labels = ("closure", "no closure") if treatment == "closure" else (treatment, f"no {treatment}")
    for label, arm in zip(labels, (t, ~t), strict=True):
        ww = w[arm]
        ess[label] = float(ww.sum() ** 2 / (ww @ ww))
    return IPTW(
        table=table,
        weights=w,
        propensity=fit.fitted,
        index=sub.index,
        model=fit.table,
        treatment=treatment,
        stabilized=stabilized,
        effective_n=ess,
        remarks=tuple(remarks),
    )
