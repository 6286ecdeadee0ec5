"""Pooling what papers report: an effect with its standard error, its confidence
interval or its p-value (the usual case for time-to-event outcomes: hazard ratios with
a 95% CI; Tierney et al. 2007, Trials 8:16).

:func:`generic` turns each study's report into the effect on the analysis scale and its
variance, then pools it like :func:`~recurrence.meta.compare` (same result type, forest
and funnel plots, bias tests, sensitivity analyses):

* ``HR``, ``RR``, ``OR``: on the log scale; a CI gives
  se = (log(ci_high) − log(ci_low)) / (2 · z), z the normal quantile of the CI's level;
* ``RD``, ``MD``: as given; se = (ci_high − ci_low) / (2 · z);
* a two-sided p-value gives se = |y| / z(1 − p/2) (y the effect on the analysis scale).

A standard error, when given, is on the analysis scale (the SE of log HR for a hazard
ratio). ``metafor::rma(yi, sei = se)`` with ``yi`` the log effect is the reference.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._dist import norm
from .._validate import LEVEL, check_level, problem
from ..errors import DataError, Problem
from ._fit import fit
from ._model_spec import Spec
from .bayes import DEFAULT_PRIOR, parse_prior
from .models import _aligned, _emit, _labels
from .pooling import check_hksj
from .results import MetaResult
from .tau2 import METHODS

__all__ = ["REPORTED_MEASURES", "generic", "reported_effects"]

#: Measures :func:`generic` pools: ratios on the log scale, differences as given.
REPORTED_MEASURES = ("HR", "RR", "OR", "RD", "MD")
_RATIOS = ("HR", "RR", "OR")


def _column(values, name, k):
    if values is None:
        return np.full(k, np.nan)
    try:
        arr = np.asarray(
            pd.to_numeric(pd.Series(list(np.atleast_1d(values))), errors="raise"), float
        )
    except (TypeError, ValueError):
        raise DataError(
            Problem(
                f"{name} must be numbers", column=name, fix="pass one number (or None) per study"
            )
        ) from None
    if arr.size != k:
        raise DataError(
            Problem(
                f"{name} has {arr.size} values for {k} studies", column=name, fix="one per study"
            )
        )
    return arr


def reported_effects(
    estimates,
    *,
    se=None,
    ci_low=None,
    ci_high=None,
    pvalue=None,
    measure: str = "HR",
    ci_level: float = 0.95,
    labels=None,
):
    """The effects on the analysis scale (``yi``) and their variances (``vi``).

    Each study needs a standard error, a CI or a p-value (in that order of preference).
    Problems name the studies (1-based rows) and the fix.

    Examples
    --------
    >>> yi, vi, source = reported_effects([0.5, 0.8], ci_low=[0.3, None], ci_high=[0.83, None],
    ...                                   pvalue=[None, 0.04])
    >>> yi.round(4).tolist(), vi.round(5).tolist(), source
    ([-0.6931, -0.2231], [0.0674, 0.01181], ['ci', 'p'])
    """
    if measure not in REPORTED_MEASURES:
        raise DataError(
            Problem(
                f"measure={measure!r} is not known",
                fix=f"use one of {', '.join(REPORTED_MEASURES)}",
            )
        )
    est = np.atleast_1d(np.asarray(estimates, dtype=float)).ravel()
    k = est.size
    if k == 0:
        raise DataError(Problem("no studies were given", fix="pass at least one estimate"))
    sev, lo, hi, p = (
        _column(x, n, k)
        for x, n in ((se, "se"), (ci_low, "ci_low"), (ci_high, "ci_high"), (pvalue, "pvalue"))
    )
    problems = []

    def flag(mask, message, column, fix):
        if mask.any():
            rows = tuple(int(i) + 1 for i in np.flatnonzero(mask))
            problems.append(Problem(message, column=column, rows=rows, fix=fix))

    ratio = measure in _RATIOS
    flag(~np.isfinite(est), "is missing", "estimates", "give every study's effect")
    if ratio:
        flag(np.isfinite(est) & (est <= 0), "is 0 or negative", "estimates", f"a {measure} is > 0")
        flag(np.isfinite(lo) & (lo <= 0), "is 0 or negative", "ci_low", f"a {measure} is > 0")
    flag(np.isfinite(sev) & (sev <= 0), "is 0 or negative", "se", "a standard error is > 0")
    has_ci = np.isfinite(lo) & np.isfinite(hi)
    flag(has_ci & (lo >= hi), "is not below ci_high", "ci_low", "check the interval")
    flag(
        has_ci & np.isfinite(est) & ((est < lo) | (est > hi)),
        "lies outside its interval",
        "estimates",
        "check the estimate and its interval",
    )
    flag(
        np.isfinite(p) & ((p <= 0) | (p >= 1)),
        "must lie in (0, 1)",
        "pvalue",
        "a two-sided p-value",
    )
    none = ~np.isfinite(sev) & ~has_ci & ~np.isfinite(p)
    flag(
        none,
        "has no standard error, interval or p-value",
        "estimates",
        "give se, ci_low and ci_high, or pvalue",
    )
    if not LEVEL(ci_level):
        problems.append(problem("ci_level", ci_level, LEVEL, fix="e.g. ci_level=0.95"))
    if problems:
        raise DataError(problems, source="reported effects", loading=False)
    f = np.log if ratio else (lambda x: x)
    with np.errstate(divide="ignore", invalid="ignore"):
        yi = f(est)
        z = norm.ppf(0.5 + ci_level / 2)
        se_ci = (f(hi) - f(lo)) / (2 * z)
        se_p = np.abs(yi) / norm.isf(p / 2)
    source = np.where(np.isfinite(sev), "se", np.where(has_ci, "ci", "p"))
    s = np.where(source == "se", sev, np.where(source == "ci", se_ci, se_p))
    bad = ~np.isfinite(s) | (s <= 0)
    if bad.any():
        rows = tuple(int(i) + 1 for i in np.flatnonzero(bad))
        raise DataError(
            Problem(
                "gives no usable standard error (a p-value of an effect of exactly 0 or 1)",
                column="pvalue",
                rows=rows,
                fix="give the interval or the standard error",
            ),
            source="reported effects",
            loading=False,
        )
    return yi, s * s, source.tolist()


def generic(
    estimates,
    *,
    se=None,
    ci_low=None,
    ci_high=None,
    measure: str = "HR",
    method: str = "REML",
    hksj: bool | str = False,
    level: float = 0.95,
    labels=None,
    pvalue=None,
    ci_level: float = 0.95,
    data: pd.DataFrame | None = None,
    tau_prior: str = DEFAULT_PRIOR,
) -> MetaResult:
    """Pool reported effects (generic inverse variance), e.g. hazard ratios with CIs.

    Parameters
    ----------
    estimates
        Each study's effect on the natural scale (a HR, RR or OR; or an RD or MD).
    se
        Standard errors on the analysis scale (of log HR for ratios), or ``None``.
    ci_low, ci_high
        The reported interval (natural scale) at ``ci_level``.
    measure
        ``"HR"``, ``"RR"``, ``"OR"`` (pooled on the log scale), ``"RD"``, ``"MD"``.
    method, hksj, level, labels, data, tau_prior
        As in :func:`~recurrence.meta.compare` (no Mantel-Haenszel, Peto or GLMM:
        those need counts).
    pvalue
        Two-sided p-values, used for studies with neither SE nor CI.
    ci_level
        Level of the reported intervals (default 95%, whatever ``level``).

    Returns
    -------
    MetaResult
        As :func:`~recurrence.meta.compare`; ``table`` has ``study``, ``estimate``,
        ``ci_low``, ``ci_high`` (Wald, from the standard error), ``weight``, ``yi``,
        ``vi`` and ``se_from`` (``se``, ``ci`` or ``p``).

    Examples
    --------
    >>> res = generic([0.62, 0.95, 0.38], ci_low=[0.41, 0.70, 0.22], ci_high=[0.94, 1.29, 0.66],
    ...               measure="HR", method="DL", labels=["A", "B", "C"])
    >>> round(res.estimate, 3), round(res.ci_low, 3), round(res.ci_high, 3), res.k
    (0.632, 0.382, 1.047, 3)
    """
    check_level(level)
    if method not in (*METHODS, "bayes"):
        fix = f"use one of {', '.join(METHODS)}, bayes"
        if method in ("MH", "PETO", "GLMM"):
            fix += f" ({method} needs 2×2 counts: use compare())"
        raise DataError(
            Problem(f"method={method!r} is not available for reported effects", fix=fix)
        )
    hksj = check_hksj(hksj)
    prior = str(parse_prior(tau_prior))
    yi, vi, source = reported_effects(
        estimates,
        se=se,
        ci_low=ci_low,
        ci_high=ci_high,
        pvalue=pvalue,
        measure=measure,
        ci_level=ci_level,
    )
    spec = Spec(
        "effects",
        (yi, vi, np.asarray(source, dtype=object)),
        _labels(labels, yi.size),
        measure,
        method,
        hksj,
        float(level),
        "wald",
        _aligned(data, yi.size),
        measure=measure,
        extra_names=("se_from",),
        tau_prior=prior,
    )
    result, alerts = fit(spec)
    _emit(alerts)
    return result
