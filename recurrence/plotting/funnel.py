"""Contour-enhanced funnel plots (Peters et al. 2008).

Each study's effect (model scale: log ratio, RD, transformed proportion) against its
standard error, the y axis inverted so large studies are at the top. Shaded contours
mark where a study's own two-sided p-value against no effect would fall between 0.10
and 0.05, 0.05 and 0.01, or below 0.01: if the missing corner of an asymmetric funnel
lies in the white (non-significant) area, publication bias is a plausible cause. The
dashed lines are the pseudo 95% limits around the pooled estimate. Studies filled by
trim and fill are open circles.

The data come from :func:`funnel_data` (pure, tested); this
module only draws. Artists carry ``gid``s (``funnel:study``, ``funnel:contour:0.95``, …).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._dist import norm
from ..errors import DataError, Problem
from ..meta.results import MetaResult

__all__ = ["funnel_data", "plot_funnel"]

#: Grey of the region beyond the widest contour (p below its level).
_OUTSIDE = "0.62"
_XLABELS = {
    "RR": "Risk ratio",
    "OR": "Odds ratio",
    "RD": "Risk difference",
    "HR": "Hazard ratio",
    "MD": "Mean difference",
}


def _shade(level, levels):
    grey = np.linspace(0.88, 0.74, max(len(levels) - 1, 1) + 1)
    if level == levels[0]:
        return "white"
    return str(round(float(grey[list(levels).index(level)]), 2))


def plot_funnel(result, ax=None, *, contours=(0.90, 0.95, 0.99), legend: bool = True):
    """Draw a contour-enhanced funnel plot of a meta-analysis result; returns the Axes.

    Parameters
    ----------
    result
        A result of :func:`~recurrence.meta.proportions`, :func:`~recurrence.meta.compare`
        or :func:`~recurrence.meta.trim_and_fill` (also ``result.plot_funnel()``).
    ax
        Axes to draw on; a new figure (with room for the legend) when ``None``.
    contours
        Confidence levels whose significance contours are shaded (around no effect: 0
        on the model scale; for proportions the contours are left out, as a proportion
        has no "no effect").
    legend
        Show the legend of the shades. It sits outside the panel, right of it: every
        corner of a contour-enhanced funnel is shaded and may hold a study, so no place
        inside is free. A new figure leaves room for it (constrained layout).

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on.

    Examples
    --------
    >>> from recurrence import load_studies
    >>> from recurrence.meta import compare_studies
    >>> ax = plot_funnel(compare_studies(load_studies(), measure="RR", method="MH"))
    >>> bool(ax.yaxis_inverted())   # standard error 0 at the top
    True
    """
    import matplotlib.pyplot as plt
    from matplotlib import ticker
    from matplotlib.patches import Patch

    data = funnel_data(result, contours=contours)
    kind = getattr(result, "kind", "compare")
    if ax is None:
        width = 6.4 if legend and kind != "proportion" else 5.0
        _, ax = plt.subplots(figsize=(width, 4.2), layout="constrained")
    se_max = data["se_max"]
    studies = data["studies"]
    handles = []
    if kind != "proportion":
        levels = data["levels"]
        # widest region first, narrower ones on top
        outer = max(np.abs(studies["yi"]).max(), abs(data["estimate"])) * 1.2 + 1e-9
        ax.set_facecolor("white")
        for level in reversed(levels):
            region = data["contours"][level]
            colour = _shade(level, levels)
            ax.fill_betweenx(
                region["sei"],
                region["low"],
                region["high"],
                color=colour,
                lw=0,
                zorder=0,
                gid=f"funnel:contour:{level:g}",
            )
        labels = {0: f"p > {1 - levels[0]:.2f}"}
        for i, level in enumerate(levels[1:], 1):
            labels[i] = f"{1 - level:.2f} < p < {1 - levels[i - 1]:.2f}"
        for i, level in enumerate(levels):
            handles.append(Patch(facecolor=_shade(level, levels), edgecolor="0.5", label=labels[i]))
        handles.append(
            Patch(facecolor=_OUTSIDE, edgecolor="0.5", label=f"p < {1 - levels[-1]:.2f}")
        )
        ax.fill_betweenx(
            [0, se_max],
            -outer * 10,
            outer * 10,
            color=_OUTSIDE,
            lw=0,
            zorder=-1,
            gid="funnel:background",
        )
        ax.axvline(0.0, color="0.3", lw=0.8, zorder=1, gid="funnel:null")
    f = data["funnel"]
    ax.plot(f["low"], f["sei"], ls="--", color="0.2", lw=0.8, zorder=2, gid="funnel:limits")
    ax.plot(f["high"], f["sei"], ls="--", color="0.2", lw=0.8, zorder=2, gid="funnel:limits")
    ax.axvline(data["estimate"], color="0.2", lw=0.8, zorder=2, gid="funnel:estimate")
    obs = studies[~studies["filled"]]
    ax.scatter(
        obs["yi"], obs["sei"], s=28, color="black", zorder=4, gid="funnel:study", label="studies"
    )
    filled = studies[studies["filled"]]
    if len(filled):
        ax.scatter(
            filled["yi"],
            filled["sei"],
            s=28,
            facecolors="white",
            edgecolors="black",
            zorder=4,
            gid="funnel:filled",
            label="filled (trim and fill)",
        )
    ax.set_ylim(se_max, 0)
    span = max(float(np.abs(studies["yi"] - data["estimate"]).max()), 1.96 * se_max) * 1.1
    ax.set_xlim(data["estimate"] - span, data["estimate"] + span)
    ax.set_ylabel("Standard error")
    measure = getattr(result, "measure", "")
    if measure in ("RR", "OR", "HR"):
        lo, hi = ax.get_xlim()
        nice = np.array([0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100])
        shown = nice[(np.log(nice) >= lo) & (np.log(nice) <= hi)]
        ax.xaxis.set_major_locator(ticker.FixedLocator(np.log(shown)))
        ax.xaxis.set_major_formatter(ticker.FuncFormatter(lambda v, _: f"{np.exp(v):.3g}"))
        ax.set_xlabel(f"{_XLABELS[measure]} (log scale)")
    elif measure in ("RD", "MD"):
        ax.set_xlabel(_XLABELS[measure])
    else:
        ax.set_xlabel(f"Proportion, {getattr(result, 'scale', '')} scale")
    if legend and handles:
        ax.legend(
            handles=handles,
            loc="upper left",
            bbox_to_anchor=(1.02, 1.0),
            borderaxespad=0.0,
            fontsize="small",
            title="Study's own p-value",
            title_fontsize="small",
            frameon=False,
        )
    return ax


def funnel_data(
    result: MetaResult, *, contours=(0.90, 0.95, 0.99), null: float = 0.0, points: int = 50
) -> dict:
    """What a contour-enhanced funnel plot draws, on the model scale.

    Returns a dict: ``studies`` (DataFrame: ``study``, ``yi``, ``sei``, ``filled``),
    ``estimate`` (pooled, model scale), ``se_max``, ``funnel`` (DataFrame: ``sei``,
    ``low``, ``high``: the pseudo 95% limits around the estimate), ``contours`` (one
    DataFrame per significance level: ``sei``, ``low``, ``high``: the two-sided
    p = 1 − level boundaries around ``null``), ``levels``.

    Examples
    --------
    >>> from recurrence.meta import compare
    >>> from recurrence.plotting.funnel import funnel_data
    >>> res = compare([1, 0, 1, 33], [30, 30, 12, 272], [6, 3, 6, 64], [30, 46, 41, 253],
    ...               method="FE")
    >>> data = funnel_data(res)
    >>> len(data["studies"]), sorted(data["contours"])
    (4, [0.9, 0.95, 0.99])
    """
    if not isinstance(result, MetaResult):
        raise DataError(
            Problem(f"expected a result of proportions() or compare(), got {type(result).__name__}")
        )
    yi, vi = np.asarray(result.yi, float), np.asarray(result.vi, float)
    sei = np.sqrt(vi)
    filled = (
        result.table["filled"].to_numpy(bool)
        if "filled" in result.table
        else np.zeros(yi.size, bool)
    )
    studies = pd.DataFrame(
        {
            "study": result.studies
            if "filled" not in result.table
            else result.table["study"].tolist(),
            "yi": yi,
            "sei": sei,
            "filled": filled[: yi.size],
        }
    )
    se_max = float(sei.max()) * 1.05
    grid = np.linspace(0, se_max, points)
    est = float(result.estimate_model)
    if np.isnan(est):
        est = float(np.average(yi, weights=1 / vi))
    z95 = norm.ppf(0.975)
    funnel = pd.DataFrame({"sei": grid, "low": est - z95 * grid, "high": est + z95 * grid})
    regions = {}
    for level in sorted(contours):
        z = norm.ppf(0.5 + level / 2)
        regions[level] = pd.DataFrame(
            {"sei": grid, "low": null - z * grid, "high": null + z * grid}
        )
    return {
        "studies": studies,
        "estimate": est,
        "se_max": se_max,
        "funnel": funnel,
        "contours": regions,
        "levels": tuple(sorted(contours)),
        "null": null,
    }
