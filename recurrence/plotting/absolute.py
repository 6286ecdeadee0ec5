"""The difference in cumulative incidence between arms over follow-up, with its band.

Reads a :class:`~recurrence.survival.absolute.RiskDifferenceResult` (or the difference
of an :class:`~recurrence.survival.adjusted.AdjustedIncidenceResult`): the step curve of
closure − control in percentage points, its Wald band, a line at 0, and the requested
months as points with their intervals. :func:`risk_difference_plot_data` prepares it
(pure, tested); :func:`plot_risk_difference` draws.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._ticks import default_ticks
from .style import CYCLE
from .survival import XLABEL

__all__ = ["plot_risk_difference", "risk_difference_plot_data"]

COLOR = CYCLE[5]


def risk_difference_plot_data(result, *, percent: bool = True) -> dict:
    """``curve`` (``time``, ``value``, ``ci_low``, ``ci_high``, from time 0) and ``points``
    (the table's months) in percentage points by default; ``ylabel``.

    Examples
    --------
    >>> from recurrence import load_cohort
    >>> from recurrence.survival import risk_difference
    >>> data = risk_difference_plot_data(risk_difference(load_cohort(), [24]))
    >>> data["ylabel"]
    'closure − no closure (percentage points)'
    >>> data["points"].round(1).to_dict("records")
    [{'time': 24.0, 'value': -6.7, 'ci_low': -9.1, 'ci_high': -4.2}]
    """
    scale = 100.0 if percent else 1.0
    curve = result.curve
    table = result.table if "risk_closure" in result.table else result.difference
    points = table[["time", "difference", "ci_low", "ci_high"]].rename(
        columns={"difference": "value"}
    )
    curve = curve.rename(columns={"difference": "value"})
    for frame in (curve, points):
        frame[["value", "ci_low", "ci_high"]] = frame[["value", "ci_low", "ci_high"]] * scale
    a, b = result.groups[1], result.groups[0]
    unit = "percentage points" if percent else "proportion"
    return {
        "curve": curve.reset_index(drop=True),
        "points": points.reset_index(drop=True),
        "ylabel": f"{a} − {b} ({unit})",
        "title": "Difference in cumulative incidence",
    }


def plot_risk_difference(result, ax=None, *, percent: bool = True):
    """Closure − control difference in cumulative incidence over time, with its band.

    Parameters
    ----------
    result : RiskDifferenceResult
        From :func:`recurrence.survival.risk_difference`.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure when ``None``.
    percent : bool, default True
        Percentage points rather than proportions on the y axis.

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on.

    Examples
    --------
    >>> from recurrence import load_cohort
    >>> from recurrence.survival import risk_difference
    >>> ax = plot_risk_difference(risk_difference(load_cohort(), [12, 24, 60]))
    >>> ax.get_xlabel()
    'Months since surgery'
    """
    import matplotlib.pyplot as plt

    data = risk_difference_plot_data(result, percent=percent)
    if ax is None:
        _, ax = plt.subplots(figsize=(6.0, 3.6))
    cur, pts = data["curve"], data["points"]
    ax.step(cur["time"], cur["value"], where="post", color=COLOR, gid="difference")
    ax.fill_between(
        cur["time"],
        cur["ci_low"],
        cur["ci_high"],
        step="post",
        color=COLOR,
        alpha=0.18,
        linewidth=0,
        gid="band",
    )
    err = np.vstack([pts["value"] - pts["ci_low"], pts["ci_high"] - pts["value"]])
    ax.errorbar(pts["time"], pts["value"], yerr=err, fmt="o", color=COLOR, capsize=3, gid="points")
    ax.axhline(0, color="0.4", linewidth=0.8, gid="zero")
    ax.set_xlabel(XLABEL)
    ax.set_ylabel(data["ylabel"])
    last = float(pd.concat([cur["time"], pts["time"]]).max())
    ax.set_xlim(0, last)
    ax.set_xticks(default_ticks(last))
    ax.set_title(data["title"])
    return ax
