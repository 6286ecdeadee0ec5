"""Adapter to statsmodels: the logistic propensity model of IPTW, in one place.

statsmodels reports perfect separation as a ``PerfectSeparationWarning`` (and numpy
overflow warnings) and then returns a "converged" fit with huge coefficients; here the
warnings are caught and turned into a flag and the names of the terms responsible, so
the caller can say what happened in its own words.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["LogisticFit", "fit_logistic"]

#: A coefficient this large per standard deviation of its covariate (odds × e¹⁰) is
#: taken as a sign of separation.
SEPARATION_STD_COEF = 10.0
#: Fitted probabilities this close to 0 or 1 count as perfect prediction.
PERFECT_PREDICTION = 1e-8


@dataclass(frozen=True)
class LogisticFit:
    table: pd.DataFrame  # index: "intercept", terms; columns coef, se, pvalue
    fitted: np.ndarray  # P(y = 1 | x)
    converged: bool
    separation: bool
    separating: tuple[str, ...]  # terms that look responsible


def fit_logistic(y: np.ndarray, x: np.ndarray, terms) -> LogisticFit:
    """Maximum-likelihood logistic regression of ``y`` (0/1) on ``x`` with an intercept.

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> x = rng.normal(size=(200, 1))
    >>> y = (rng.random(200) < 1 / (1 + np.exp(-x[:, 0]))).astype(float)
    >>> fit = fit_logistic(y, x, ["x"])
    >>> list(fit.table.index), fit.separation
    (['intercept', 'x'], False)
    """
    import statsmodels.api as sm
    from statsmodels.tools.sm_exceptions import PerfectSeparationWarning

    design = np.column_stack([np.ones(len(y)), x])
    flagged = False
    with warnings.catch_warnings(record=True) as caught, np.errstate(over="ignore"):
        warnings.simplefilter("always")
        result = sm.GLM(y, design, family=sm.families.Binomial()).fit()
    flagged = any(issubclass(w.category, PerfectSeparationWarning) for w in caught)
    coef = np.asarray(result.params, float)
    se = np.asarray(result.bse, float)
    fitted = np.asarray(result.fittedvalues, float)
    perfect = bool(np.any((fitted < PERFECT_PREDICTION) | (fitted > 1 - PERFECT_PREDICTION)))
    sd = x.std(axis=0) if len(x) else np.zeros(x.shape[1])
    big = np.abs(coef[1:]) * sd > SEPARATION_STD_COEF
    separation = flagged or perfect or bool(big.any())
    names = ["intercept", *terms]
    separating = tuple(t for t, b in zip(terms, big, strict=True) if b)
    if separation and not separating:
        separating = tuple(terms)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = coef / se
    from .._dist import norm

    table = pd.DataFrame(
        {"coef": coef, "se": se, "pvalue": 2 * norm.sf(np.abs(z))},
        index=pd.Index(names, name="term"),
    )
    return LogisticFit(
        table=table,
        fitted=fitted,
        converged=bool(result.converged),
        separation=separation,
        separating=separating,
    )
