"""Survival and cumulative-incidence curves by arm, with interval bands, censoring ticks
and a risk table under the x axis, and the headline rates.

The risk table is KMunicate's by default (Morris et al., BMJ Open 2019;9:e030215): per
arm the patients at risk, the cumulative events and the cumulative censored (for the
incidence also the cumulative competing events) at each x tick; ``risk_table="at_risk"``
draws the numbers at risk alone. With two grouping columns (``by=["closure",
"approach"]``) each level of the first gets a colour and each level of the second a
line style.

Each plot reads a result object only. The data of a plot is prepared by a pure function
(:func:`curve_plot_data`, :func:`rates_plot_data`), tested on its own; the ``plot_*``
functions only draw it. The at-risk table is drawn in the same Axes as annotations
placed at the x ticks (data coordinates) and a fixed distance in points below the axis,
so it stays aligned whatever the figure size.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ._risk_table import _draw_risk_table, _risk_rows
from .style import color_for

__all__ = [
    "CurvePlotData",
    "curve_plot_data",
    "plot_cumulative_incidence",
    "plot_reherniation_rates",
    "plot_survival",
    "rates_plot_data",
]

XLABEL = "Months since surgery"
_EVENT_WORDS = {1: "reherniation", 2: "competing events", "any": "reherniation or competing event"}


@dataclass(frozen=True)
class CurvePlotData:
    """What a curve plot draws.

    ``curves``: ``group``, ``time``, ``value``, ``ci_low``, ``ci_high`` as step points
    (right-continuous, starting at time 0), in percent when ``percent``; ``censored``:
    ``group``, ``time``, ``value`` of the censoring ticks; ``at_risk``: ``group``,
    ``time``, ``at_risk`` at the x ticks; ``risk_table``: the KMunicate counts at the x
    ticks (``result.risk_table_at(ticks)``); ``styles``: group → (colour, line style);
    ``ticks``; axis labels.
    """

    curves: pd.DataFrame
    censored: pd.DataFrame
    at_risk: pd.DataFrame
    ticks: np.ndarray
    groups: tuple[str, ...]
    xlabel: str
    ylabel: str
    risk_table: pd.DataFrame | None = None
    styles: dict | None = None
    incidence: bool = False

    def style(self, group: str, index: int) -> tuple[str, str]:
        """(colour, line style) of a group."""
        if self.styles and group in self.styles:
            return self.styles[group]
        return color_for(group, index), "-"


#: Line styles of the levels of a second grouping column.
LINESTYLES = ("-", "--", ":", "-.")


def group_styles(result) -> dict | None:
    """Colour per level of the first grouping column, line style per level of the
    second (``None`` with one grouping column).

    Examples
    --------
    >>> from recurrence import load_cohort
    >>> from recurrence.survival import kaplan_meier
    >>> styles = group_styles(kaplan_meier(load_cohort(), by=["closure", "approach"]))
    >>> styles["closure · PELD"]
    ('#E69F00', '--')
    """
    levels = getattr(result, "by_levels", None)
    if levels is None:
        return None
    first, second = levels.columns[1], levels.columns[2]
    colours = {v: color_for(v, i) for i, v in enumerate(dict.fromkeys(levels[first]))}
    lines = {
        v: LINESTYLES[i % len(LINESTYLES)] for i, v in enumerate(dict.fromkeys(levels[second]))
    }
    return {
        r.group: (colours[getattr(r, first)], lines[getattr(r, second)])
        for r in levels.itertuples(index=False)
    }


def curve_plot_data(result, *, times=None, percent: bool = True) -> CurvePlotData:
    """The data of a Kaplan-Meier or cumulative-incidence plot (pure, no drawing).

    Parameters
    ----------
    result
        A :class:`~recurrence.survival.km.KaplanMeierResult` or
        :class:`~recurrence.survival.competing.CumulativeIncidenceResult`.
    times
        The x ticks, where the at-risk table is counted; default readable ticks from 0.
    percent
        Values in percent (default) or as proportions.

    Examples
    --------
    >>> from recurrence import load_cohort
    >>> from recurrence.survival import kaplan_meier
    >>> data = curve_plot_data(kaplan_meier(load_cohort()), times=[0, 24, 48])
    >>> data.at_risk.query("group == 'closure'")["at_risk"].tolist()
    [1006, 868, 785]
    >>> data.ylabel
    'Survival free of reherniation (%)'
    """
    from .._validate import check_times
    from ._ticks import default_ticks

    value = result.value_columns[0]
    scale = 100.0 if percent else 1.0
    unit = " (%)" if percent else " (proportion)"
    if value == "survival":
        ylabel = f"Survival free of {_EVENT_WORDS[result.event]}{unit}"
    else:
        ylabel = f"Cumulative incidence of {_EVENT_WORDS[result.event]}{unit}"
    ticks = default_ticks(result.max_time) if times is None else np.sort(check_times(times))
    start = dict(zip(result.value_columns, result.start_values, strict=True))
    curves, censored = [], []
    table = result.table
    for g in result.groups:
        b = table[table["group"] == g]
        t = np.concatenate(([0.0], b["time"].to_numpy()))
        frame = {"group": g, "time": t}
        for src, dst in ((value, "value"), ("ci_low", "ci_low"), ("ci_high", "ci_high")):
            frame[dst] = scale * np.concatenate(([start[src]], b[src].to_numpy()))
        curves.append(pd.DataFrame(frame))
        cens = b[b["censored"] > 0]
        censored.append(
            pd.DataFrame(
                {
                    "group": g,
                    "time": cens["time"].to_numpy(),
                    "value": scale * cens[value].to_numpy(),
                }
            )
        )
    risk = result.at_risk(ticks)[["group", "time", "at_risk"]]
    return CurvePlotData(
        curves=pd.concat(curves, ignore_index=True),
        censored=pd.concat(censored, ignore_index=True),
        at_risk=risk,
        ticks=ticks,
        groups=tuple(result.groups),
        xlabel=XLABEL,
        ylabel=ylabel,
        risk_table=result.risk_table_at(ticks),
        styles=group_styles(result),
        incidence=value != "survival",
    )


def plot_survival(
    result,
    ax=None,
    *,
    times=None,
    ci: bool = True,
    censor_ticks: bool = True,
    risk_table: bool | str = "kmunicate",
    percent: bool = True,
    legend: bool = True,
    min_cell: int | None = None,
):
    """Kaplan-Meier curves per arm with interval bands, censoring ticks and a risk
    table under the x axis.

    Parameters
    ----------
    result
        From :func:`recurrence.survival.kaplan_meier`.
    ax
        Axes to draw in; a new figure when ``None``.
    times
        x ticks (months) where the at-risk numbers are shown.
    ci, censor_ticks, percent, legend
        Draw the interval bands, the censoring ticks; percent or proportion; a legend.
    risk_table
        ``"kmunicate"`` (default, or ``True``): at risk, cumulative events and
        cumulative censored per arm (competing events count as censored for
        Kaplan-Meier, and get their own row under an incidence); ``"at_risk"``: the
        numbers at risk only; ``False``: none.
    min_cell
        The small-cell rule: numbers of patients from 1 to ``min_cell`` − 1 in the risk
        table are drawn as "<min_cell".

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> from recurrence import load_cohort
    >>> from recurrence.survival import kaplan_meier
    >>> ax = plot_survival(kaplan_meier(load_cohort()))
    >>> ax.get_xlabel()
    'Months since surgery'
    """
    data = curve_plot_data(result, times=times, percent=percent)
    return _draw_curves(
        data,
        ax,
        ci=ci,
        censor_ticks=censor_ticks,
        risk_table=risk_table,
        legend=legend,
        top=100.0 if percent else 1.0,
        min_cell=min_cell,
    )


def plot_cumulative_incidence(
    result,
    ax=None,
    *,
    times=None,
    ci: bool = True,
    censor_ticks: bool = False,
    risk_table: bool | str = "kmunicate",
    percent: bool = True,
    legend: bool = True,
    min_cell: int | None = None,
):
    """Aalen-Johansen cumulative incidence per arm with interval bands and an at-risk
    table under the x axis.

    Parameters are those of :func:`plot_survival` (censoring ticks off by default).

    Parameters
    ----------
    result : CumulativeIncidenceResult
        From :func:`recurrence.survival.cumulative_incidence`.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure when ``None``.
    times : sequence of float, optional
        x ticks (months) where the at-risk numbers are shown.
    ci, censor_ticks, percent, legend : bool
        Draw the interval bands, the censoring ticks (off by default); percent or
        proportion; a legend.
    risk_table : bool or {"kmunicate", "at_risk"}, default "kmunicate"
        At risk, cumulative events, competing events and censored per arm; the numbers at
        risk only; or none (``False``).
    min_cell : int, optional
        The small-cell rule: numbers from 1 to ``min_cell`` − 1 drawn as "<min_cell".

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on.

    Examples
    --------
    >>> from recurrence import load_cohort
    >>> from recurrence.survival import cumulative_incidence
    >>> ax = plot_cumulative_incidence(cumulative_incidence(load_cohort()))
    >>> ax.get_ylabel()
    'Cumulative incidence of reherniation (%)'
    """
    data = curve_plot_data(result, times=times, percent=percent)
    return _draw_curves(
        data,
        ax,
        ci=ci,
        censor_ticks=censor_ticks,
        risk_table=risk_table,
        legend=legend,
        top=None,
        min_cell=min_cell,
    )


def _new_axes(n_rows: int):
    import matplotlib.pyplot as plt

    height = 3.6 + 0.18 * n_rows
    fig, ax = plt.subplots(figsize=(6.0, height))
    # room under the axis for tick labels, the x label and the at-risk rows
    fig.subplots_adjust(bottom=(60 + 12 * n_rows) / (72 * height), left=0.22)
    return ax


def _draw_curves(
    data: CurvePlotData, ax, *, ci, censor_ticks, risk_table, legend, top, min_cell=None
):
    rows = _risk_rows(data, risk_table)
    if ax is None:
        per = len(rows) + (len(rows) > 1)
        ax = _new_axes(len(data.groups) * per + 1 if rows else 0)
    for i, g in enumerate(data.groups):
        color, line = data.style(g, i)
        cur = data.curves[data.curves["group"] == g]
        ax.step(
            cur["time"],
            cur["value"],
            where="post",
            color=color,
            linestyle=line,
            label=g,
            gid=f"curve:{g}",
        )
        if ci:
            ax.fill_between(
                cur["time"],
                cur["ci_low"],
                cur["ci_high"],
                step="post",
                color=color,
                alpha=0.18,
                linewidth=0,
                gid=f"band:{g}",
            )
        if censor_ticks:
            cen = data.censored[data.censored["group"] == g]
            ax.plot(
                cen["time"],
                cen["value"],
                linestyle="none",
                marker="|",
                markersize=5,
                color=color,
                gid=f"censored:{g}",
            )
    ax.set_xlim(0, max(data.ticks[-1], data.curves["time"].max()) if len(data.ticks) else None)
    ax.set_xticks(data.ticks)
    ax.set_xlabel(XLABEL)
    ax.set_ylabel(data.ylabel)
    ax.set_ylim(0, top * 1.02 if top else None)
    if legend:
        ax.legend(loc="best")
    if rows:
        _draw_risk_table(ax, data, rows, min_cell)
    return ax


# ---------------------------------------------------------------------------------------
# headline rates
# ---------------------------------------------------------------------------------------


def rates_plot_data(result, *, percent: bool = True) -> pd.DataFrame:
    """Points of :func:`plot_reherniation_rates`: one row per arm, horizon and estimator
    (``"Aalen-Johansen"``, ``"1 − Kaplan-Meier"``) with ``x`` (position), ``value``,
    ``ci_low``, ``ci_high`` (percent by default).

    Examples
    --------
    >>> from recurrence import load_cohort
    >>> from recurrence.survival import reherniation_rates
    >>> pts = rates_plot_data(reherniation_rates(load_cohort(), at=[24]))
    >>> pts[["group", "estimator", "value"]].round(1)
            group         estimator  value
    0  no closure    Aalen-Johansen   11.9
    1  no closure  1 − Kaplan-Meier   12.1
    2     closure    Aalen-Johansen    5.3
    3     closure  1 − Kaplan-Meier    5.3
    """
    scale = 100.0 if percent else 1.0
    tab = result.table
    horizons = list(dict.fromkeys(tab["time"]))
    groups = list(result.groups)
    width = 0.8 / (2 * len(groups))
    rows = []
    for h_i, h in enumerate(horizons):
        for g_i, g in enumerate(groups):
            r = tab[(tab["time"] == h) & (tab["group"] == g)].iloc[0]
            for e_i, (name, v, lo, hi) in enumerate(
                (
                    ("Aalen-Johansen", r["incidence"], r["ci_low"], r["ci_high"]),
                    ("1 − Kaplan-Meier", r["one_minus_km"], r["km_ci_low"], r["km_ci_high"]),
                )
            ):
                slot = 2 * g_i + e_i
                rows.append(
                    {
                        "group": g,
                        "time": h,
                        "estimator": name,
                        "x": h_i - 0.4 + width * (slot + 0.5),
                        "value": scale * v,
                        "ci_low": scale * lo,
                        "ci_high": scale * hi,
                    }
                )
    return pd.DataFrame(rows)


def plot_reherniation_rates(result, ax=None, *, percent: bool = True):
    """Cumulative incidence (filled) and 1 − Kaplan-Meier (open) per arm at each horizon,
    with intervals.

    Parameters
    ----------
    result : ReherniationRates
        From :func:`recurrence.survival.reherniation_rates`.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure when ``None``.
    percent : bool, default True
        Percent rather than proportions on the y axis.

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on.

    Examples
    --------
    >>> from recurrence import load_cohort
    >>> from recurrence.survival import reherniation_rates
    >>> ax = plot_reherniation_rates(reherniation_rates(load_cohort()))
    >>> [t.get_text() for t in ax.get_xticklabels()]
    ['12', '24', '60']
    """
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    pts = rates_plot_data(result, percent=percent)
    if ax is None:
        fig, ax = plt.subplots(figsize=(6.0, 3.6))
        fig.subplots_adjust(bottom=0.15)
    for i, g in enumerate(result.groups):
        color = color_for(g, i)
        for name, face in (("Aalen-Johansen", color), ("1 − Kaplan-Meier", "white")):
            sel = pts[(pts["group"] == g) & (pts["estimator"] == name)]
            err = np.vstack([sel["value"] - sel["ci_low"], sel["ci_high"] - sel["value"]])
            ax.errorbar(
                sel["x"],
                sel["value"],
                yerr=err,
                fmt="o" if face != "white" else "s",
                color=color,
                markerfacecolor=face,
                capsize=2,
                linewidth=1,
                gid=f"rates:{g}:{name}",
            )
    horizons = list(dict.fromkeys(result.table["time"]))
    ax.set_xticks(range(len(horizons)))
    ax.set_xticklabels([f"{h:g}" for h in horizons])
    ax.set_xlabel(XLABEL)
    ax.set_ylabel("Reherniation (%)" if percent else "Reherniation (proportion)")
    ax.set_ylim(bottom=0)
    handles = [
        Line2D([], [], color=color_for(g, i), marker="o", linestyle="none", label=g)
        for i, g in enumerate(result.groups)
    ]
    handles += [
        Line2D([], [], color="0.3", marker="o", linestyle="none", label="Aalen-Johansen"),
        Line2D(
            [],
            [],
            color="0.3",
            marker="s",
            markerfacecolor="white",
            linestyle="none",
            label="1 − Kaplan-Meier",
        ),
    ]
    ax.legend(handles=handles, loc="upper left")
    return ax
