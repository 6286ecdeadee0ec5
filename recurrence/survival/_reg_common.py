"""Pieces shared by the regression models (Cox, Fine-Gray): the coefficient table,
the names of left-out terms, divergence warnings (argument checks are in
:mod:`recurrence._validate`)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._dist import chi2, norm
from ..errors import ConvergenceWarning, StatisticalWarning, warn

__all__ = [
    "MIN_EVENTS_PER_COEF",
    "coef_table",
    "no_event_levels",
    "term_groups",
    "why_aliased",
]

#: Fewer events per coefficient than this earns a remark.
MIN_EVENTS_PER_COEF = 10


class RegressionResultMixin:
    """What Cox and Fine-Gray results share: log ratios by term, the likelihood-ratio
    test and the forest plot of the ratios."""

    # provided by each subclass (frozen dataclass fields); annotations only, no defaults
    table: pd.DataFrame
    loglik: float
    loglik_null: float

    @property
    def coef(self) -> pd.Series:
        """Log (subdistribution) hazard ratios by term."""
        return self.table["coef"]

    @property
    def lr_test(self) -> tuple[float, int, float]:
        """(Pseudo-)likelihood-ratio test of all coefficients: (statistic, df, p-value).
        For Fine-Gray the Wald test with the sandwich variance is the valid one; this is
        for reference."""
        df = int(self.table["coef"].notna().sum())
        stat = 2 * (self.loglik - self.loglik_null)
        return float(stat), df, float(chi2.sf(stat, df)) if df else float("nan")

    def plot(self, ax=None, **kwargs):
        """Forest plot of the ratios (:func:`recurrence.plotting.plot_hazard_ratios`)."""
        from ..plotting.hazard import plot_hazard_ratios

        return plot_hazard_ratios(self, ax=ax, **kwargs)


def warn_divergence(
    fit, kterms, remarks: list[str], *, model: str, likelihood: str, cause: str, ratio: str
) -> None:
    """Say, once, that an iterative fit did not converge or that a coefficient diverged
    (monotone likelihood), naming the terms."""
    if not (fit.infinite.any() or not fit.converged):
        return
    names = ", ".join(f"'{kterms[j]}'" for j in np.flatnonzero(fit.infinite)) or "a coefficient"
    msg = (
        f"the {model} model did not converge in {fit.iterations} iterations"
        if not fit.converged
        else f"the {likelihood} converged before the coefficients"
    )
    msg += (
        f": {names} appears to be infinite (monotone likelihood, e.g. no {cause} in one group "
        f"or complete separation); its {ratio} and interval are meaningless"
    )
    warn(msg, ConvergenceWarning)
    remarks.append(msg)


def no_event_levels(x, dead, terms, cause: str) -> dict[int, str]:
    """Yes/no design columns (0/1) with no event of the cause at one of their values, in
    words: the (pseudo-)likelihood then increases without bound as the column's ratio
    goes to 0 (no event at 1) or ∞ (none at 0), whatever the other coefficients: the
    ratio is not estimable."""
    out = {}
    for j, term in enumerate(terms):
        col = x[:, j]
        if not np.isin(col, (0.0, 1.0)).all():
            continue
        for value, side in ((1.0, "with"), (0.0, "without")):
            if (col == value).any() and not (dead & (col == value)).any():
                if term == "closure":
                    arm = "the closure arm" if value else "the arm without closure"
                    out[j] = f"no {cause} in {arm}"
                else:
                    out[j] = f"no {cause} among patients {side} '{term}'"
    return out


def standard_errors(var: np.ndarray, terms: list[str], remarks: list[str]) -> np.ndarray:
    """Square roots of the variances; a variance that is not positive (a numerically
    singular information matrix, e.g. after divergence) gives NaN, named in a warning."""
    diag = np.diag(np.asarray(var, dtype=float))
    bad = ~(diag >= 0)
    se = np.sqrt(np.where(bad, np.nan, diag))
    if bad.any():
        names = ", ".join(f"'{terms[j]}'" for j in np.flatnonzero(bad))
        msg = (
            f"the standard error of {names} cannot be estimated (the information matrix is "
            "singular: too few events for the covariates)"
        )
        warn(msg, StatisticalWarning)
        remarks.append(msg)
    return se


def coef_table(terms, kept, coef, se, inference_se, level, ratio: str) -> pd.DataFrame:
    """Tidy table indexed by term: coef, <ratio>, se, ci_low, ci_high, pvalue; terms left
    out of the model are NaN. Intervals and p-values use ``inference_se``."""
    z = norm.ppf(0.5 + level / 2)
    pos = {t: i for i, t in enumerate(terms)}
    at = np.array([pos[t] for t in kept], dtype=int)
    cols = {}
    for name, values in (("coef", coef), ("se", se), ("inf", inference_se)):
        full = np.full(len(terms), np.nan)
        full[at] = values
        cols[name] = full
    b, s = cols["coef"], cols["inf"]
    s = np.where(s > 0, s, np.nan)  # a zero SE (degenerate fit) supports no inference
    with np.errstate(over="ignore"):  # a diverging coefficient: an infinite bound is honest
        data = {
            "coef": b,
            ratio: np.exp(b),
            "se": cols["se"],
            "ci_low": np.exp(b - z * s),
            "ci_high": np.exp(b + z * s),
            "pvalue": 2 * norm.sf(np.abs(b / s)),
        }
    return pd.DataFrame(data, index=pd.Index(list(terms), name="term"))


def term_groups(covariates, terms) -> dict[str, list[int]]:
    """Term label → indices of its design columns (a category gives several; an
    interaction such as ``closure:approach`` its products), in R's term order."""
    from ._terms import column_term, parse_terms, term_label

    out = {}
    for term in parse_terms(covariates):
        label = term_label(term)
        cols = [j for j, t in enumerate(terms) if t == label or column_term(t) == label]
        if cols:
            out[label] = cols
    return out


def why_aliased(x, j, strata, terms, keep) -> str:
    """Why design column ``j`` carries no information, in words."""
    col = x[:, j]
    if np.ptp(col) == 0:
        return f"'{terms[j]}' is the same for every patient"
    if strata is not None and all(np.ptp(col[strata == s]) == 0 for s in np.unique(strata)):
        return f"'{terms[j]}' does not vary within any stratum"
    if keep:
        return (
            f"'{terms[j]}' carries no information beyond "
            f"{', '.join(repr(terms[k]) for k in keep)} (collinear, or it varies only "
            "among patients not at risk at any event time)"
        )
    return f"'{terms[j]}' does not vary among patients at risk at the event times"
