"""Confounder-adjusted cumulative incidence curves per arm, with bands and the at-risk
table of the (weighted) pseudo-population under the axis.

Reads an :class:`~recurrence.survival.adjusted.AdjustedIncidenceResult`. The curves,
bands and the at-risk table are drawn by the machinery of the Kaplan-Meier and
Aalen-Johansen plots (:mod:`recurrence.plotting.survival`): :func:`adjusted_plot_data`
turns the result into its :class:`~recurrence.plotting.survival.CurvePlotData`. For IPTW
the numbers at risk are the sums of the weights (rounded), the size of the weighted
pseudo-population; for the G-formula, the patients observed at risk.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .survival import XLABEL, CurvePlotData, _draw_curves

__all__ = ["adjusted_plot_data", "plot_adjusted_incidence"]

_EVENTS = {1: "reherniation", 2: "competing events"}


def adjusted_plot_data(result, *, percent: bool = True) -> CurvePlotData:
    """The curves (from time 0), bands and at-risk numbers of an adjusted result.

    Examples
    --------
    >>> from recurrence import simulate_cohort
    >>> from recurrence.survival import adjusted_incidence
    >>> obs = simulate_cohort(800, seed=5, confounded=True)
    >>> res = adjusted_incidence(obs, ["age", "smoker"], [24], method="iptw")
    >>> data = adjusted_plot_data(res)
    >>> data.ylabel
    'Adjusted incidence of reherniation (%)'
    >>> data.groups
    ('no closure', 'closure')
    """
    scale = 100.0 if percent else 1.0
    cur = result.curves.dropna(subset=["incidence"])
    parts = []
    for g in result.groups:
        c = cur[cur["group"] == g]
        frame = {"group": g, "time": np.concatenate(([0.0], c["time"].to_numpy()))}
        for src, dst in (("incidence", "value"), ("ci_low", "ci_low"), ("ci_high", "ci_high")):
            frame[dst] = scale * np.concatenate(([0.0], c[src].to_numpy()))
        parts.append(pd.DataFrame(frame).drop_duplicates("time", keep="last"))
    risk = result.at_risk.copy()
    risk["at_risk"] = np.round(risk["at_risk"].to_numpy(float)).astype(np.int64)
    unit = "%" if percent else "proportion"
    return CurvePlotData(
        curves=pd.concat(parts, ignore_index=True),
        censored=pd.DataFrame({"group": [], "time": [], "value": []}),
        at_risk=risk[["group", "time", "at_risk"]],
        ticks=np.sort(risk["time"].unique()),
        groups=tuple(result.groups),
        xlabel=XLABEL,
        ylabel=f"Adjusted incidence of {_EVENTS[result.event]} ({unit})",
    )


def plot_adjusted_incidence(
    result,
    ax=None,
    *,
    ci: bool = True,
    risk_table: bool = True,
    percent: bool = True,
    legend: bool = True,
    min_cell: int | None = None,
):
    """Adjusted incidence per arm with bands and the (weighted) at-risk table.

    Parameters
    ----------
    result : AdjustedIncidenceResult
        From :func:`recurrence.survival.adjusted_incidence`.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure when ``None``.
    ci, risk_table, percent, legend : bool, default True
        Draw the interval bands, the (weighted) at-risk table under the x axis; percent or
        proportion; a legend.
    min_cell : int, optional
        The small-cell rule: numbers at risk from 1 to ``min_cell`` − 1 drawn as
        "<min_cell".

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on.

    Examples
    --------
    >>> from recurrence import simulate_cohort
    >>> from recurrence.survival import adjusted_incidence
    >>> obs = simulate_cohort(800, seed=5, confounded=True)
    >>> ax = plot_adjusted_incidence(adjusted_incidence(obs, ["age", "smoker"], [24]))
    >>> ax.get_xlabel()
    'Months since surgery'
    """
    data = adjusted_plot_data(result, percent=percent)
    ax = _draw_curves(
        data,
        ax,
        ci=ci,
        censor_ticks=False,
        risk_table=risk_table,
        legend=legend,
        top=None,
        min_cell=min_cell,
    )
    how = "G-formula" if result.method == "gformula" else "IPTW"
    ax.set_title(f"Adjusted for {', '.join(result.covariates)} ({how})", fontsize="medium")
    if risk_table and result.method == "iptw":
        for text in ax.texts:
            if text.get_text() == "Number at risk":
                text.set_text("Number at risk (weighted)")
    return ax
