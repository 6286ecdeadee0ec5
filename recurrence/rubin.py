"""Pooling an analysis over imputed cohorts by Rubin's rules, as ``mice::pool``.

:func:`pool` takes the same analysis of each of the ``m`` completed cohorts (any result
whose ``.table`` has ``coef`` and ``se``, or ``difference`` and ``se``) and combines them
with :func:`recurrence._mice.rubin`: Barnard-Rubin degrees of freedom, with the
complete-data degrees of freedom of ``mice`` (events − coefficients for a Cox model,
patients − coefficients otherwise), and the fraction of missing information.
:meth:`recurrence.imputation.Imputation.fit` calls it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from . import _mice
from ._format import fmt
from .errors import DataError, Problem
from .results import ResultMixin

__all__ = ["PooledResult", "pool"]


@dataclass(frozen=True, repr=False)
class PooledResult(ResultMixin):
    """An analysis pooled over imputations by Rubin's rules.

    Attributes
    ----------
    table
        Indexed by term (as the analysis' table): ``coef`` (the pooled estimate),
        ``se``, ``ci_low``, ``ci_high`` (of ``coef``, t with ``df`` degrees of freedom,
        as ``summary(pool(fit), conf.int = TRUE)``), ``pvalue``, ``df`` (Barnard-Rubin),
        ``fmi`` (fraction of missing information), ``riv`` (relative increase in
        variance), ``lambda``, ``ubar`` (within-imputation variance), ``b`` (between);
        for a ratio model also the ratio and its interval (``hr``, ``hr_ci_low``,
        ``hr_ci_high``; ``shr`` … for Fine-Gray).
    m, dfcom
        Number of imputations; complete-data degrees of freedom.
    fits
        The ``m`` analyses.
    """

    table: pd.DataFrame
    m: int
    dfcom: float
    level: float
    analysis: str
    measure: str | None = None
    fits: tuple = field(default=(), repr=False)
    remarks: tuple[str, ...] = ()

    title = "Pooled over imputations (Rubin's rules)"

    def summary_lines(self) -> list[str]:
        return [
            f"{self.analysis} on each of {self.m} imputed cohorts, pooled by Rubin's rules; "
            f"Barnard-Rubin df (complete-data df {fmt(self.dfcom)})"
        ]


def pool(results, *, dfcom: float | None = None, analysis: str = "analysis") -> PooledResult:
    """Pool the same analysis of ``m`` imputed cohorts by Rubin's rules (``mice::pool``).

    Each result needs a ``.table`` with ``coef`` and ``se`` (``robust_se`` is used when
    present, as ``mice`` uses ``robust.se``), or ``difference`` and ``se``.

    Parameters
    ----------
    results
        The analyses, one per imputed cohort.
    dfcom
        Complete-data degrees of freedom; default as ``mice``: events − coefficients for
        a Cox model, patients − coefficients for other models with ``.n``, else ∞.
    analysis
        Name of the analysis in the summary line (e.g. ``"Cox"``).

    Returns
    -------
    PooledResult

    Examples
    --------
    >>> from recurrence import simulate_cohort
    >>> from recurrence.survival import cox
    >>> fits = [cox(simulate_cohort(400, seed=s), ["closure"]) for s in (1, 2, 3)]
    >>> res = pool(fits)
    >>> res.m, res.dfcom == fits[0].events - 1
    (3, True)
    >>> bool(res.table.loc["closure", "se"] > max(f.table.loc["closure", "se"] for f in fits))
    True
    """
    results = list(results)
    if len(results) < 2:
        raise DataError(
            Problem(
                f"pooling needs at least 2 imputations, got {len(results)}",
                fix="impute with m ≥ 2 (20 or more is usual)",
            )
        )
    parts = [_estimates(r) for r in results]
    index = parts[0][0].index
    if any(not p[0].index.equals(index) for p in parts):
        raise DataError(Problem("the analyses do not all have the same terms; cannot pool"))
    est = np.vstack([p[0].to_numpy(float) for p in parts])
    var = np.vstack([p[1].to_numpy(float) ** 2 for p in parts])
    if dfcom is None:
        dfcom = _dfcom(results[0], len(index))
    level = float(getattr(results[0], "level", 0.95))
    out = _mice.rubin(est, var, dfcom, level)
    table = pd.DataFrame(
        {
            "coef": out["estimate"],
            "se": out["se"],
            "ci_low": out["ci_low"],
            "ci_high": out["ci_high"],
            "pvalue": out["pvalue"],
            "df": out["df"],
            "fmi": out["fmi"],
            "riv": out["riv"],
            "lambda": out["lambda"],
            "ubar": out["ubar"],
            "b": out["b"],
        },
        index=index,
    )
    measure = parts[0][2]
    if measure:
        table[measure] = np.exp(table["coef"])
        table[f"{measure}_ci_low"] = np.exp(table["ci_low"])
        table[f"{measure}_ci_high"] = np.exp(table["ci_high"])
    remarks = []
    high = table["fmi"] > 0.5
    if high.any():
        names = ", ".join(f"{t} ({fmt(v)})" for t, v in table.loc[high, "fmi"].items())
        remarks.append(
            f"more than half of the information is missing for {names}: the pooled "
            "estimate leans on the imputation model"
        )
    return PooledResult(
        table=table,
        m=len(results),
        dfcom=float(dfcom),
        level=level,
        analysis=analysis,
        measure=measure,
        fits=tuple(results),
        remarks=tuple(remarks),
    )


def _estimates(result):
    """(estimates, standard errors, ratio name or None) of one analysis."""
    table = getattr(result, "table", None)
    if not isinstance(table, pd.DataFrame):
        raise DataError(Problem(f"a {type(result).__name__} has no table to pool"))
    if "coef" in table.columns:
        se = table["se"]
        if "robust_se" in table.columns and table["robust_se"].notna().any():
            se = table["robust_se"]
        return table["coef"], se, getattr(result, "measure", None)
    if {"difference", "se"} <= set(table.columns):
        index = table["time"] if "time" in table.columns else table.index
        return (
            pd.Series(table["difference"].to_numpy(), index=index),
            pd.Series(table["se"].to_numpy(), index=index),
            None,
        )
    raise DataError(
        Problem(
            f"a {type(result).__name__}'s table has neither coef/se nor difference/se",
            fix="pool an analysis that reports estimates with standard errors",
        )
    )


def _dfcom(result, p: int) -> float:
    if type(result).__name__ == "CoxResult":
        return float(max(result.events - p, 1))
    if hasattr(result, "n"):
        return float(max(result.n - p, 1))
    return float("inf")
