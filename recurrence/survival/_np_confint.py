"""Pure array functions for the intervals and quantiles of a Kaplan-Meier curve, as
survival 3.5-3 computes them: ``survfit(conf.type = "log-log" | "log" | "plain")``
(``survfit_confint``, with ``ulimit = TRUE``) and ``quantile.survfit`` (its helper
``findq``), which also gives the median event-free time and its interval that
``print(survfit)`` shows.
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import DataError, Problem

__all__ = ["CONF_TYPES", "check_conf_type", "quantile_time", "survival_interval"]

#: R's ``conf.type`` values, and what each transforms.
CONF_TYPES = {
    "log-log": "log(-log)",
    "log": "log",
    "plain": "plain (linear)",
}


def check_conf_type(conf_type) -> str:
    """The interval type, or a DataError naming the three allowed."""
    if not isinstance(conf_type, str) or conf_type not in CONF_TYPES:
        raise DataError(
            Problem(
                f"conf_type must be one of {list(CONF_TYPES)} (got {conf_type!r})",
                fix="'log-log' (default) keeps the interval within (0, 1); 'log' is R's "
                "survfit default; 'plain' is S ± z·se, cut at 0 and 1",
            )
        )
    return conf_type


def survival_interval(
    p: np.ndarray, se_log: np.ndarray, z: float, conf_type: str = "log-log"
) -> tuple[np.ndarray, np.ndarray]:
    """The pointwise interval of a survival probability ``p`` as ``survfit_confint``.

    ``se_log`` is the standard error of log(p) (for Kaplan-Meier, √Greenwood, R's
    ``std.err``):

    * ``"log-log"``: ``exp(-exp(log(-log p) ∓ z·se_log/log p))``;
    * ``"log"``: ``exp(log p ∓ z·se_log)``, the upper limit cut at 1;
    * ``"plain"``: ``p ∓ z·se_log·p``, cut at 0 and 1.

    At p = 0 the interval is undefined (NaN, R's ``NA``). At p = 1 it is [1, 1] (R
    agrees for ``"log"`` and ``"plain"``; its ``"log-log"`` gives ``NA`` there).

    Examples
    --------
    >>> p, se = np.array([1.0, 0.75, 0.375, 0.0]), np.array([0.0, 0.2886751, 0.7637626, np.inf])
    >>> [np.round(v, 4).tolist() for v in survival_interval(p, se, 1.959964, "log")]
    [[1.0, 0.4259, 0.0839, nan], [1.0, 1.0, 1.0, nan]]
    >>> [np.round(v, 4).tolist() for v in survival_interval(p, se, 1.959964, "plain")]
    [[1.0, 0.3257, 0.0, nan], [1.0, 1.0, 0.9364, nan]]
    """
    p = np.asarray(p, float)
    se_log = np.asarray(se_log, float)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if conf_type == "plain":
            half = z * se_log * p
            low, high = np.maximum(p - half, 0.0), np.minimum(p + half, 1.0)
        elif conf_type == "log":
            lx = np.log(np.where(p > 0, p, np.nan))
            low, high = np.exp(lx - z * se_log), np.minimum(np.exp(lx + z * se_log), 1.0)
        else:
            lx = np.log(np.where((p > 0) & (p < 1), p, np.nan))
            se2 = z * se_log / lx
            low = np.exp(-np.exp(np.log(-lx) - se2))
            high = np.exp(-np.exp(np.log(-lx) + se2))
    zero = p == 0
    one = p == 1
    low = np.where(zero, np.nan, np.where(one, 1.0, low))
    high = np.where(zero, np.nan, np.where(one, 1.0, high))
    return low, high


def quantile_time(time: np.ndarray, surv: np.ndarray, prob: float) -> float:
    """The time at which a survival curve reaches 1 − ``prob`` (``findq``).

    ``time``, ``surv``: the steps of the curve (right-continuous, all its times, NaN
    where undefined: those steps are skipped, as R's ``approx`` drops ``NA``). The
    first time at which 1 − S ≥ ``prob``; when the curve sits at 1 − ``prob`` (within
    √ε) over an interval, its midpoint, or the midpoint between the start of that
    flat stretch and the last time when it is the last step. NaN when never reached.
    Applied to the lower and upper confidence curves it gives the interval of the
    quantile (``quantile(survfit)``'s ``lower``, ``upper``); at 0.5 it is the median
    and its interval of ``print(survfit)``.

    Examples
    --------
    >>> t = np.array([1., 2, 3, 4]); s = np.array([0.75, 0.5, 0.5, 0.25])
    >>> quantile_time(t, s, 0.5), quantile_time(t, s, 0.25), quantile_time(t, s, 0.9)
    (3.0, 1.5, nan)
    >>> quantile_time(np.array([1., 2]), np.array([0.8, 0.5]), 0.5)   # flat to the end
    2.0
    """
    tol = math.sqrt(np.finfo(float).eps)
    x = np.concatenate(([0.0], np.asarray(time, float)))
    y = np.concatenate(([0.0], 1.0 - np.asarray(surv, float)))
    xmax = x[-1]
    if not np.any(np.isfinite(y)) or np.nanmax(y) < prob:
        return float("nan")
    # duplicated(y): keep the first of each value (NaN counts as a value, as in R)
    _, first = np.unique(np.where(np.isnan(y), np.inf, y), return_index=True)
    keep = np.sort(first)
    x, y = x[keep], y[keep]
    y_last = y[-1]
    if prob == 0:
        return float(x[0])
    ok = np.flatnonzero(~np.isnan(y))  # approx(na.rm = TRUE)

    def first_at_least(shift):
        # approx(y + shift, 1:n, prob, "constant", f = 1): approx sorts its nodes and
        # returns the index of the first node ≥ prob (NA outside their range)
        order = ok[np.argsort(y[ok], kind="stable")]
        nodes = y[order] + shift
        if prob < nodes[0] or prob > nodes[-1]:
            return None
        return int(order[np.searchsorted(nodes, prob, side="left")])

    i1, i2 = first_at_least(tol), first_at_least(-tol)
    if not np.isnan(y_last) and abs(prob - y_last) < tol:
        return float((x[i1] + xmax) / 2) if i1 is not None else float("nan")
    if i1 is None or i2 is None:
        return float("nan")
    return float((x[i1] + x[i2]) / 2)
