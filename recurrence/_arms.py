"""The arms of a cohort: how its groups are labelled, and how different they are.

Used by the survival analyses (group labels, the covariate balance of IPTW) and by
:mod:`recurrence.tableone`, so that neither imports the other.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["group_labels", "smd_categorical", "smd_continuous"]


def group_labels(values: pd.Series, by: str) -> pd.Series:
    """Readable group labels: ``closure``/``no closure`` for the closure column (bool,
    or True/False held as objects), the values as text otherwise.

    Parameters
    ----------
    values : pandas.Series
        The grouping column, one value per patient.
    by : str
        Its name: ``"closure"`` gets the ``closure``/``no closure`` labels.

    Returns
    -------
    pandas.Series
        Text labels, same index as ``values``.

    Examples
    --------
    >>> group_labels(pd.Series([True, False]), "closure").tolist()
    ['closure', 'no closure']
    >>> group_labels(pd.Series(["MED", "PELD"]), "approach").tolist()
    ['MED', 'PELD']
    """
    if by == "closure" and (
        pd.api.types.is_bool_dtype(values)
        or all(isinstance(v, (bool, np.bool_)) for v in values.dropna())
    ):
        return values.map({True: "closure", False: "no closure"})
    return values.astype(str)


def smd_continuous(x1: np.ndarray, x0: np.ndarray) -> float:
    """SMD of a continuous covariate: (m1 − m0) / √((s1² + s0²)/2).

    Parameters
    ----------
    x1, x0 : numpy.ndarray
        Values of the covariate (e.g. age in years) in the closure and the no-closure arm.

    Returns
    -------
    float
        The standardized mean difference, in pooled standard deviations.

    Examples
    --------
    >>> round(smd_continuous(np.array([1., 2, 3]), np.array([2., 3, 4])), 6)
    -1.0
    """
    x1, x0 = x1[~np.isnan(x1)], x0[~np.isnan(x0)]
    if len(x1) < 2 or len(x0) < 2:
        return float("nan")
    pooled = np.sqrt((x1.var(ddof=1) + x0.var(ddof=1)) / 2)
    return float((x1.mean() - x0.mean()) / pooled) if pooled > 0 else 0.0


def smd_categorical(p1: np.ndarray, p0: np.ndarray) -> float:
    """SMD of a categorical covariate from level proportions (Yang & Dalton 2012).

    With two levels this is the usual (p1 − p0)/√((p1(1−p1) + p0(1−p0))/2).

    Parameters
    ----------
    p1, p0 : numpy.ndarray
        Proportion of patients at each level (each sums to 1), in the closure and the
        no-closure arm.

    Returns
    -------
    float
        The standardized mean difference (multivariate Mahalanobis form; signed with two
        levels).

    Examples
    --------
    >>> round(smd_categorical(np.array([0.5, 0.5]), np.array([0.3, 0.7])), 3)
    -0.417
    """
    t, c = np.asarray(p1, float)[1:], np.asarray(p0, float)[1:]
    cov = lambda p: np.diag(p) - np.outer(p, p)  # noqa: E731
    s = (cov(t) + cov(c)) / 2
    d = t - c
    if not np.any(d):
        return 0.0
    value = float(d @ np.linalg.pinv(s) @ d)
    sign = np.sign(d[0]) if len(d) == 1 else 1.0
    return float(sign * np.sqrt(max(value, 0.0)))
