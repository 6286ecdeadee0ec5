"""Plots of the interval-censored and parametric results: Turnbull curves with their
non-identified intervals, parametric incidence with the extrapolation shaded, cure
models over the nonparametric estimate.

Each plot reads result objects only; its data is prepared by a pure function
(:func:`turnbull_plot_data`, :func:`parametric_plot_data`, :func:`cure_plot_data`),
tested on its own.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .style import color_for
from .survival import XLABEL

__all__ = [
    "TurnbullPlotData",
    "cure_plot_data",
    "parametric_plot_data",
    "plot_cure",
    "plot_parametric",
    "plot_turnbull",
    "turnbull_plot_data",
]

#: Turnbull intervals with less mass than this are not drawn.
MIN_MASS = 1e-6
EXTRAPOLATION_LABEL = "extrapolation\nbeyond follow-up"
BOX_LABEL = "Turnbull interval: the curve drops somewhere inside"
STYLES = {"exponential": ":", "weibull": "-", "lognormal": "--", "loglogistic": "-."}


@dataclass(frozen=True)
class TurnbullPlotData:
    """``steps``: ``group``, ``time``, ``value`` (the level from that time on, identified
    stretches only: NaN rows break the line inside a box); ``boxes``: ``group``,
    ``lower``, ``upper``, ``top``, ``bottom`` (the level before and after the interval);
    ``band``: ``group``, ``time``, ``ci_low``, ``ci_high`` (bootstrap, may be empty)."""

    steps: pd.DataFrame
    boxes: pd.DataFrame
    band: pd.DataFrame
    groups: tuple[str, ...]
    ylabel: str
    max_time: float


def turnbull_plot_data(result, *, percent: bool = True) -> TurnbullPlotData:
    """The data of :func:`plot_turnbull` (pure, no drawing).

    Examples
    --------
    >>> import pandas as pd
    >>> from recurrence.survival import turnbull
    >>> df = pd.DataFrame({"time": [4.0, 6, 12, 12], "event": [1, 1, 0, 0],
    ...                    "time_left": [2.0, 3, None, None]})
    >>> data = turnbull_plot_data(turnbull(df, None, n_boot=0))
    >>> data.boxes[["lower", "upper", "top", "bottom"]].round(1)
       lower  upper    top  bottom
    0    3.0    4.0  100.0    50.0
    """
    scale = 100.0 if percent else 1.0
    steps, boxes, bands = [], [], []
    for g in result.groups:
        b = result.table[result.table["group"] == g]
        keep = b[b["mass"] > MIN_MASS]
        before = 1.0 - np.concatenate(([0.0], np.cumsum(keep["mass"].to_numpy())[:-1]))
        after = before - keep["mass"].to_numpy()
        lo, up = keep["lower"].to_numpy(), keep["upper"].to_numpy()
        end = float(result.overview.loc[result.overview["group"] == g, "max_time"].iloc[0])
        t, v = [0.0], [before[0] if len(before) else 1.0]
        for i in range(len(keep)):
            # level `before[i]` runs up to the interval, breaks, resumes after it
            t += [lo[i], np.nan, up[i]]
            v += [before[i], np.nan, after[i]]
        t.append(end)
        v.append(after[-1] if len(after) else 1.0)
        steps.append(pd.DataFrame({"group": g, "time": t, "value": scale * np.array(v)}))
        boxes.append(
            pd.DataFrame(
                {
                    "group": g,
                    "lower": lo,
                    "upper": up,
                    "top": scale * before,
                    "bottom": scale * after,
                }
            )
        )
        if b["ci_low"].notna().any():
            bands.append(
                pd.DataFrame(
                    {
                        "group": g,
                        "time": np.concatenate(([0.0], b["time"].to_numpy())),
                        "ci_low": scale * np.concatenate(([1.0], b["ci_low"].to_numpy())),
                        "ci_high": scale * np.concatenate(([1.0], b["ci_high"].to_numpy())),
                    }
                )
            )
    unit = " (%)" if percent else " (proportion)"
    return TurnbullPlotData(
        steps=pd.concat(steps, ignore_index=True),
        boxes=pd.concat(boxes, ignore_index=True),
        band=pd.concat(bands, ignore_index=True) if bands else pd.DataFrame(),
        groups=tuple(result.groups),
        ylabel=f"Survival free of reherniation{unit}",
        max_time=result.max_time,
    )


def _axes(ax):
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.0, 3.8))
    fig.subplots_adjust(bottom=0.14)
    return ax


def _draw_turnbull(ax, data: TurnbullPlotData, *, ci: bool, alpha: float = 0.3, suffix=""):
    from matplotlib.patches import Rectangle

    for i, g in enumerate(data.groups):
        color = color_for(g, i)
        st = data.steps[data.steps["group"] == g]
        ax.step(
            st["time"],
            st["value"],
            where="post",
            color=color,
            label=f"{g}{suffix}",
            gid=f"steps:{g}",
        )
        for r in data.boxes[data.boxes["group"] == g].itertuples():
            width = r.upper - r.lower
            if width > 0:
                ax.add_patch(
                    Rectangle(
                        (r.lower, r.bottom),
                        width,
                        r.top - r.bottom,
                        facecolor=color,
                        edgecolor=color,
                        alpha=alpha,
                        linewidth=0.5,
                        gid=f"box:{g}",
                    )
                )
            else:  # an event on a known day: a plain drop
                ax.plot([r.lower, r.lower], [r.top, r.bottom], color=color, gid=f"drop:{g}")
        if ci and len(data.band):
            band = data.band[data.band["group"] == g]
            ax.fill_between(
                band["time"],
                band["ci_low"],
                band["ci_high"],
                step="post",
                color=color,
                alpha=0.12,
                linewidth=0,
                gid=f"band:{g}",
            )


def plot_turnbull(result, ax=None, *, ci: bool = True, percent: bool = True, legend: bool = True):
    """Turnbull curves per group: the level where the curve is identified, a box over
    each Turnbull interval (the curve drops somewhere inside it; which way is not known),
    the bootstrap band when there is one.

    Parameters
    ----------
    result : TurnbullResult
        From :func:`recurrence.survival.turnbull`.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure when ``None``.
    ci, percent, legend : bool, default True
        Draw the bootstrap band (when there is one); percent or proportion; a legend.

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on.

    Examples
    --------
    >>> from recurrence import simulate_cohort
    >>> from recurrence.survival import turnbull
    >>> cohort = simulate_cohort(300, seed=1, visits=(3, 6, 12, 24))
    >>> ax = plot_turnbull(turnbull(cohort, n_boot=0))
    >>> ax.get_ylabel()
    'Survival free of reherniation (%)'
    """
    from matplotlib.patches import Patch

    data = turnbull_plot_data(result, percent=percent)
    ax = _axes(ax)
    _draw_turnbull(ax, data, ci=ci)
    ax.set_xlim(0, data.max_time)
    ax.set_ylim(0, (100.0 if percent else 1.0) * 1.02)
    ax.set_xlabel(XLABEL)
    ax.set_ylabel(data.ylabel)
    if legend:
        handles, _ = ax.get_legend_handles_labels()
        handles.append(Patch(facecolor="0.6", alpha=0.3, label=BOX_LABEL))
        ax.legend(handles=handles, loc="lower left")
    return ax


def parametric_plot_data(result, *, horizon: float | None = None, by: str | None = "closure"):
    """Curves of :func:`plot_parametric`: ``distribution``, ``group``, ``time``,
    ``incidence`` (percent) on a grid from 0 to ``horizon`` (default 120 months or 1.25 ×
    follow-up, whichever is longer), ``extrapolated``; and the last month of follow-up.

    Accepts a :class:`~recurrence.survival.parametric.ParametricResult` or a
    :class:`~recurrence.survival.parametric.ParametricComparison`.

    Examples
    --------
    >>> from recurrence import load_cohort
    >>> from recurrence.survival import parametric
    >>> curves, end = parametric_plot_data(parametric(load_cohort()), horizon=120)
    >>> round(end, 1), bool(curves.loc[curves["time"] > end, "extrapolated"].all())
    (95.9, True)
    """
    fits = getattr(result, "fits", None) or {result.distribution: result}
    end = max(f.max_followup for f in fits.values())
    horizon = float(horizon) if horizon is not None else max(120.0, 1.25 * end)
    grid = np.unique(np.concatenate([np.linspace(0.01, horizon, 241), [end]]))
    parts = []
    for dist, fit in fits.items():
        inc = fit.incidence(grid, by=by)
        inc["incidence"] = 100.0 * inc["incidence"]
        parts.append(inc.assign(distribution=dist))
    curves = pd.concat(parts, ignore_index=True)
    curves = curves[["distribution", "group", "time", "incidence", "extrapolated"]]
    return curves, float(end)


def plot_parametric(result, ax=None, *, horizon=None, by="closure", observed=None, legend=True):
    """Cumulative incidence per group from a parametric fit (or from every fit of a
    comparison, one line style per distribution), the months beyond follow-up shaded and
    labelled as an extrapolation. ``observed``: a Turnbull or Kaplan-Meier result to
    draw underneath (as 1 − survival).

    Parameters
    ----------
    result : ParametricResult or ParametricComparison
        From :func:`recurrence.survival.parametric` or
        :func:`recurrence.survival.compare_distributions`.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure when ``None``.
    horizon : float, optional
        Last month drawn (default: beyond follow-up, to show the projection).
    by : str or None, default "closure"
        Column whose levels get their own curve; ``None`` for the cohort.
    observed : TurnbullResult or KaplanMeierResult, optional
        A nonparametric estimate drawn underneath.
    legend : bool, default True
        Draw a legend.

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on.

    Examples
    --------
    >>> from recurrence import load_cohort
    >>> from recurrence.survival import parametric
    >>> ax = plot_parametric(parametric(load_cohort()))
    >>> [t.get_text() for t in ax.texts]
    ['extrapolation\\nbeyond follow-up']
    """
    from matplotlib.lines import Line2D

    curves, end = parametric_plot_data(result, horizon=horizon, by=by)
    ax = _axes(ax)
    top = ax.get_ylim()[1]
    horizon = float(curves["time"].max())
    ax.axvspan(end, horizon, color="0.85", alpha=0.6, linewidth=0, gid="extrapolation")
    groups = list(dict.fromkeys(curves["group"]))
    several = curves["distribution"].nunique() > 1
    for dist, cur in curves.groupby("distribution", sort=False):
        for i, g in enumerate(groups):
            sel = cur[cur["group"] == g]
            ax.plot(
                sel["time"],
                sel["incidence"],
                color=color_for(g, i),
                linestyle=STYLES.get(dist, "-") if several else "-",
                gid=f"fit:{dist}:{g}",
            )
    handles = [Line2D([], [], color=color_for(g, i), label=g) for i, g in enumerate(groups)]
    if several:
        from ..survival.parametric import LABELS

        handles += [
            Line2D([], [], color="0.3", linestyle=STYLES.get(d, "-"), label=LABELS.get(d, d))
            for d in dict.fromkeys(curves["distribution"])
        ]
    if observed is not None:
        for i, g in enumerate(observed.groups):
            tab = observed.table[observed.table["group"] == g]
            t = np.concatenate(([0.0], tab["time"].to_numpy()))
            v = 100.0 * (1 - np.concatenate(([1.0], tab["survival"].to_numpy())))
            ax.step(
                t,
                v,
                where="post",
                color=color_for(g, i),
                alpha=0.5,
                linewidth=1,
                gid=f"observed:{g}",
            )
    top = max(float(curves["incidence"].max()) * 1.15, 1.0)
    ax.set_ylim(0, top)
    ax.set_xlim(0, horizon)
    ax.text(
        (end + horizon) / 2,
        top * 0.97,
        EXTRAPOLATION_LABEL,
        ha="center",
        va="top",
        fontsize="small",
        color="0.3",
        gid="extrapolation_label",
    )
    ax.set_xlabel(XLABEL)
    ax.set_ylabel("Cumulative incidence of reherniation (%)")
    if legend:
        ax.legend(handles=handles, loc="upper left", fontsize="small")
    return ax


def cure_plot_data(result, *, horizon: float | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Curves of :func:`plot_cure`: the fitted survival (percent) per group on a grid
    from 0 to ``horizon`` (default 1.5 × follow-up), and the cure fractions (percent)
    with their intervals.

    Examples
    --------
    >>> from recurrence import load_cohort
    >>> from recurrence.survival import cure
    >>> curves, plateaus = cure_plot_data(cure(load_cohort()))
    >>> plateaus[["group", "cure_fraction"]].round(1)
            group  cure_fraction
    0  no closure           83.9
    1     closure           92.5
    """
    end = result.observed.max_time
    horizon = float(horizon) if horizon is not None else 1.5 * end
    grid = np.linspace(0.0, horizon, 301)
    curves = result.at(grid)
    curves["survival"] = 100.0 * curves["survival"]
    plateaus = result.table[["group", "cure_fraction", "ci_low", "ci_high"]].copy()
    plateaus[["cure_fraction", "ci_low", "ci_high"]] *= 100.0
    return curves[["group", "time", "survival"]], plateaus


def plot_cure(result, ax=None, *, horizon=None, legend=True):
    """The fitted mixture cure curves over the nonparametric estimate (Turnbull, which is
    Kaplan-Meier without ``time_left``), each group's cure fraction as a dotted line with
    its interval as a band at the right edge.

    Parameters
    ----------
    result : CureResult
        From :func:`recurrence.survival.cure`.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure when ``None``.
    horizon : float, optional
        Last month drawn (default: the end of follow-up).
    legend : bool, default True
        Draw a legend.

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on.

    Examples
    --------
    >>> from recurrence import load_cohort
    >>> from recurrence.survival import cure
    >>> ax = plot_cure(cure(load_cohort()))
    >>> sorted(ln.get_gid() for ln in ax.lines if ln.get_gid().startswith("cure:"))
    ['cure:closure', 'cure:no closure']
    """
    curves, plateaus = cure_plot_data(result, horizon=horizon)
    ax = _axes(ax)
    observed = turnbull_plot_data(result.observed)
    name = "Turnbull" if result.interval_censored else "Kaplan-Meier"
    _draw_turnbull(ax, observed, ci=False, alpha=0.2, suffix=f": {name}")
    horizon = float(curves["time"].max())
    for i, row in enumerate(plateaus.itertuples()):
        color = color_for(row.group, i)
        cur = curves[curves["group"] == row.group]
        ax.plot(
            cur["time"],
            cur["survival"],
            color=color,
            linewidth=2,
            alpha=0.8,
            label=f"{row.group}: cure model",
            gid=f"fit:{row.group}",
        )
        ax.axhline(
            row.cure_fraction, color=color, linestyle=":", linewidth=1, gid=f"cure:{row.group}"
        )
        ax.fill_between(
            [horizon * 0.97, horizon],
            row.ci_low,
            row.ci_high,
            color=color,
            alpha=0.3,
            linewidth=0,
            gid=f"cure_ci:{row.group}",
        )
        ax.annotate(
            f"cured {row.cure_fraction:.0f}%",
            xy=(horizon * 0.96, row.cure_fraction),
            ha="right",
            va="bottom",
            fontsize="small",
            color=color,
            gid=f"cure_label:{row.group}",
        )
    end = result.observed.max_time
    ax.axvspan(end, horizon, color="0.85", alpha=0.6, linewidth=0, gid="extrapolation")
    ax.set_xlim(0, horizon)
    low = float(min(plateaus["ci_low"].min(), curves["survival"].min()))
    bottom = max(0.0, low - 10)
    ax.set_ylim(bottom, 101)
    ax.text(
        (end + horizon) / 2,
        bottom + 0.5,
        EXTRAPOLATION_LABEL,
        ha="center",
        va="bottom",
        fontsize="small",
        color="0.3",
        gid="extrapolation_label",
    )
    ax.set_xlabel(XLABEL)
    ax.set_ylabel("Survival free of reherniation (%)")
    if legend:
        ax.legend(loc="lower left", fontsize="small")
    return ax
