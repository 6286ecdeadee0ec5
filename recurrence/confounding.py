"""Sensitivity to unmeasured confounding: VanderWeele and Ding's E-value.

The E-value is the minimum strength of association, on the risk-ratio scale, that an
unmeasured confounder would need to have with both closure and reherniation, beyond
the measured covariates, to fully explain away an observed effect (VanderWeele &
Ding, Ann Intern Med 2017;167:268-274). For a risk ratio RR ≥ 1,
E = RR + √(RR·(RR − 1)); an RR below 1 is inverted first. The E-value of the
confidence interval is that of the limit nearer 1, and 1 when the interval includes 1.

Other measures are first turned into (approximate) risk ratios, as the EValue R package
does (VanderWeele 2020, "Optimal approximate conversions of odds ratios and hazard
ratios to risk ratios", Biometrics 76:746-752):

* ``"RR"``: as given;
* ``"HR"`` with ``rare=False`` (the outcome is not rare at the end of follow-up):
  RR ≈ (1 − 0.5^√HR) / (1 − 0.5^√(1/HR)); with ``rare=True``, RR ≈ HR;
* ``"OR"`` with ``rare=False``: RR ≈ √OR; with ``rare=True``, RR ≈ OR.

Reherniation is "rare" in this sense when fewer than about 15% of patients have it by
the end of follow-up (VanderWeele & Ding 2017): most cohorts are near that line, so the
default ``rare=False`` is the conservative choice (it gives the smaller E-value).

Examples
--------
VanderWeele and Ding's worked example (Victora et al.: formula feeding and infant death
from respiratory infection, RR 3.9, 95% CI 1.8 to 8.7):

>>> ev = evalue(3.9, 1.8, 8.7, measure="RR")
>>> round(ev.evalue, 2), round(ev.evalue_ci, 2)
(7.26, 3.0)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ._format import fmt
from .errors import DataError, Problem
from .results import ResultMixin

__all__ = ["EValueResult", "evalue", "evalue_rr", "to_risk_ratio"]

MEASURES = ("HR", "RR", "OR")
#: Columns of a result table that hold a ratio, and the measure each one is.
_RATIO_COLUMNS = {"hr": "HR", "shr": "HR", "rr": "RR", "or": "OR"}


# ---------------------------------------------------------------------------------------
# result
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True, repr=False)
class EValueResult(ResultMixin):
    """E-values of an estimate and of its confidence interval.

    Attributes
    ----------
    evalue
        E-value of the point estimate (1 when the estimate is exactly 1).
    evalue_ci
        E-value of the confidence-interval limit nearer 1; 1 when the interval includes
        1; ``None`` without an interval.
    estimate, ci_low, ci_high
        The effect as given (HR, RR or OR).
    rr, rr_ci_low, rr_ci_high
        The same converted to the risk-ratio scale (see the module notes).
    measure, rare
        The measure and whether the outcome was taken as rare.
    """

    evalue: float
    evalue_ci: float | None
    estimate: float
    ci_low: float | None
    ci_high: float | None
    rr: float
    rr_ci_low: float | None
    rr_ci_high: float | None
    measure: str
    rare: bool
    label: str | None = None
    remarks: tuple[str, ...] = ()

    title = "E-value (sensitivity to unmeasured confounding)"

    @property
    def table(self) -> pd.DataFrame:
        """One row: the effect, its risk-ratio conversion and both E-values."""
        return pd.DataFrame(
            [
                {
                    "measure": self.measure,
                    "estimate": self.estimate,
                    "ci_low": self.ci_low,
                    "ci_high": self.ci_high,
                    "rr": self.rr,
                    "rr_ci_low": self.rr_ci_low,
                    "rr_ci_high": self.rr_ci_high,
                    "evalue": self.evalue,
                    "evalue_ci": self.evalue_ci,
                }
            ],
            index=pd.Index([self.label or "effect"], name="term"),
        )

    @property
    def sentence(self) -> str:
        """The E-values in words, for a report."""
        what = f"the observed {self.measure} of {fmt(self.estimate)}"
        text = (
            f"An unmeasured confounder associated with both closure and the outcome by a "
            f"risk ratio of {fmt(self.evalue)} each, above and beyond the measured "
            f"covariates, could explain away {what}; weaker confounding could not"
        )
        if self.evalue_ci is None:
            return text + "."
        if self.evalue_ci == 1.0:
            return text + "; the confidence interval already includes 1 (E-value 1)."
        return (
            text + f"; to move the confidence interval to include 1 it would need a risk "
            f"ratio of {fmt(self.evalue_ci)} each."
        )

    def summary_lines(self) -> list[str]:
        return [self.sentence]


# ---------------------------------------------------------------------------------------
# public function
# ---------------------------------------------------------------------------------------


def evalue(
    estimate,
    ci_low=None,
    ci_high=None,
    *,
    measure: str = "HR",
    rare: bool = False,
    term: str = "closure",
) -> EValueResult:
    """VanderWeele and Ding's E-value for a ratio estimate and its confidence interval.

    Parameters
    ----------
    estimate
        A hazard ratio, risk ratio or odds ratio (a number), or a result: a model with a
        ``.table`` indexed by term holding ``hr``/``shr``/``rr``/``or`` and ``ci_low``,
        ``ci_high`` (Cox, Fine-Gray, a pooled analysis of imputed data: the row ``term``
        is used), or a result with ``.estimate``, ``.ci_low``, ``.ci_high`` and a
        ``.measure`` (a meta-analysis of RR or OR).
    ci_low, ci_high
        The confidence interval of a number ``estimate`` (either or both may be given).
    measure
        ``"HR"``, ``"RR"`` or ``"OR"``; taken from the result when one is given.
    rare
        Whether the outcome is rare (< about 15% by the end of follow-up): then an HR or
        OR is used as a risk ratio directly; otherwise it is converted (module notes).
    term
        The row of a result's table to use.

    Returns
    -------
    EValueResult
        ``.evalue``, ``.evalue_ci``, ``.table``, ``.sentence``.

    Examples
    --------
    >>> ev = evalue(0.5, 0.35, 0.7, measure="HR")
    >>> round(ev.rr, 4), round(ev.evalue, 3), round(ev.evalue_ci, 3)
    (0.6201, 2.606, 1.879)
    >>> evalue(0.8, 0.6, 1.1, measure="RR").evalue_ci
    1.0
    """
    label = None
    if not isinstance(estimate, (int, float, np.integer, np.floating)) or isinstance(
        estimate, bool
    ):
        if ci_low is not None or ci_high is not None:
            raise DataError(
                Problem(
                    "ci_low and ci_high are read from the result; give them only with a "
                    "number as the estimate"
                )
            )
        estimate, ci_low, ci_high, measure, label = _from_result(estimate, term, measure)
    measure = _check_measure(measure)
    est = _ratio(estimate, "estimate")
    lo = None if ci_low is None else _ratio(ci_low, "ci_low")
    hi = None if ci_high is None else _ratio(ci_high, "ci_high")
    if (lo is not None and lo > est) or (hi is not None and hi < est):
        raise DataError(
            Problem(
                f"the interval ({ci_low}, {ci_high}) does not contain the estimate {estimate}",
                fix="give ci_low ≤ estimate ≤ ci_high",
            )
        )
    rr = to_risk_ratio(est, measure, rare)
    rr_lo, rr_hi = (None if v is None else to_risk_ratio(v, measure, rare) for v in (lo, hi))
    remarks = []
    if measure != "RR":
        how = (
            f"{measure} used as a risk ratio (rare outcome)"
            if rare
            else (
                "HR converted to a risk ratio as (1 − 0.5^√HR)/(1 − 0.5^√(1/HR)) "
                "(common outcome; VanderWeele 2020)"
                if measure == "HR"
                else "OR converted to a risk ratio as √OR (common outcome; VanderWeele 2020)"
            )
        )
        remarks.append(how)
    return EValueResult(
        evalue=evalue_rr(rr),
        evalue_ci=_evalue_ci(rr, rr_lo, rr_hi),
        estimate=est,
        ci_low=lo,
        ci_high=hi,
        rr=rr,
        rr_ci_low=rr_lo,
        rr_ci_high=rr_hi,
        measure=measure,
        rare=bool(rare),
        label=label,
        remarks=tuple(remarks),
    )


def _check_measure(measure) -> str:
    m = str(measure).upper()
    if m == "SHR":
        m = "HR"
    if m not in MEASURES:
        raise DataError(
            Problem(
                f"measure must be one of {list(MEASURES)}, not {measure!r}",
                fix="E-values are defined for ratios; give a hazard, risk or odds ratio",
            )
        )
    return m


def _ratio(x, name: str) -> float:
    try:
        value = float(x)
    except (TypeError, ValueError):
        raise DataError(Problem(f"{name} must be a number, not {x!r}")) from None
    if not (math.isfinite(value) and value > 0):
        raise DataError(
            Problem(
                f"{name} must be a finite ratio > 0, not {x!r}",
                fix="give the ratio itself (e.g. HR 0.5), not its logarithm",
            )
        )
    return value


def _from_result(result, term: str, measure: str):
    """(estimate, ci_low, ci_high, measure, label) of a result object."""
    table = getattr(result, "table", None)
    if isinstance(table, pd.DataFrame):
        ratio = next((c for c in _RATIO_COLUMNS if c in table.columns), None)
        if ratio is not None:
            if term not in table.index:
                raise DataError(
                    Problem(
                        f"the result has no term {term!r}",
                        fix=f"pick one of {list(table.index)} with term=",
                    )
                )
            row = table.loc[term]
            low = row.get(f"{ratio}_ci_low", row.get("ci_low"))
            high = row.get(f"{ratio}_ci_high", row.get("ci_high"))
            return row[ratio], low, high, _RATIO_COLUMNS[ratio], term
    if hasattr(result, "estimate"):
        found = getattr(result, "measure", None) or measure
        return (
            result.estimate,
            getattr(result, "ci_low", None),
            getattr(result, "ci_high", None),
            found,
            getattr(result, "label", None),
        )
    raise DataError(
        Problem(
            f"cannot read a ratio from a {type(result).__name__}",
            fix="give the estimate as a number, or a Cox, Fine-Gray or meta-analysis result",
        )
    )


# ---------------------------------------------------------------------------------------
# formulas
# ---------------------------------------------------------------------------------------


def to_risk_ratio(value: float, measure: str, rare: bool) -> float:
    """An HR or OR on the risk-ratio scale (VanderWeele 2020); an RR as given.

    Parameters
    ----------
    value : float
        The ratio (> 0).
    measure : {"RR", "HR", "OR"}
        What ``value`` is.
    rare : bool
        Reherniation is rare (below about 15% by the end of follow-up): an HR or OR is used
        as an RR directly; otherwise the common-outcome conversions of VanderWeele (2020).

    Returns
    -------
    float
        The ratio on the risk-ratio scale.

    Examples
    --------
    >>> round(to_risk_ratio(2.0, "HR", rare=False), 6), to_risk_ratio(2.0, "HR", rare=True)
    (1.612547, 2.0)
    >>> round(to_risk_ratio(4.0, "OR", rare=False), 6)
    2.0
    """
    if measure == "RR" or rare:
        return float(value)
    if measure == "OR":
        return math.sqrt(value)
    return (1 - 0.5 ** math.sqrt(value)) / (1 - 0.5 ** math.sqrt(1 / value))


def evalue_rr(rr: float) -> float:
    """E-value of a risk ratio: RR + √(RR(RR − 1)), after inverting an RR below 1.

    Parameters
    ----------
    rr : float
        A risk ratio (> 0); below 1 it is inverted first.

    Returns
    -------
    float
        The E-value: the risk ratio an unmeasured confounder would need with both closure
        and reherniation to explain the estimate away (1 for ``rr = 1``).

    Examples
    --------
    >>> round(evalue_rr(3.9), 4), round(evalue_rr(1 / 3.9), 4), evalue_rr(1.0)
    (7.263, 7.263, 1.0)
    """
    r = 1 / rr if rr < 1 else rr
    return float(r + math.sqrt(r * (r - 1)))


def _evalue_ci(rr: float, lo: float | None, hi: float | None) -> float | None:
    """E-value of the limit nearer 1; 1 when the interval includes 1."""
    if lo is None and hi is None:
        return None
    if rr >= 1:
        if lo is None:
            return None
        return 1.0 if lo <= 1 else evalue_rr(lo)
    if hi is None:
        return None
    return 1.0 if hi >= 1 else evalue_rr(hi)
