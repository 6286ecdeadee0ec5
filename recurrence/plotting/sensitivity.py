"""The pooled effect by method (:func:`recurrence.meta.sensitivity`): one row per
method, its estimate and interval, the line of no effect; credible intervals of the
Bayesian rows drawn as open markers. :func:`sensitivity_data` prepares it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._format import effect_ci
from ._ticks import ratio_axis
from .style import PALETTE

__all__ = ["plot_sensitivity", "sensitivity_data"]


def sensitivity_data(sens) -> pd.DataFrame:
    """One row per method, top to bottom: ``y``, ``method``, ``estimate``, ``ci_low``,
    ``ci_high``, ``bayes`` and ``text`` ("0.44 [0.33, 0.59]").

    Examples
    --------
    >>> from recurrence.meta import sensitivity
    >>> from recurrence.meta.datasets import bcg
    >>> rows = sensitivity_data(sensitivity(bcg(), measure="RR"))
    >>> rows["method"].iloc[0], bool(rows["y"].iloc[0] > rows["y"].iloc[-1])
    ('FE', True)
    """
    t = sens.table.reset_index(drop=True)
    pct = sens.measure == "proportion"

    def text(e, lo, hi):
        return effect_ci(e, lo, hi, percent=pct)

    return pd.DataFrame(
        {
            "y": np.arange(len(t))[::-1].astype(float),
            "method": t["method"],
            "estimate": t["estimate"],
            "ci_low": t["ci_low"],
            "ci_high": t["ci_high"],
            "bayes": t["interval"].eq("CrI"),
            "text": [
                text(*r) for r in t[["estimate", "ci_low", "ci_high"]].itertuples(index=False)
            ],
        }
    )


def plot_sensitivity(sens, ax=None):
    """Draw the estimates by method; returns the Axes.

    Parameters
    ----------
    sens : SensitivityResult
        From :func:`recurrence.meta.sensitivity`: one pooled estimate per method.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure when ``None``.

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on.

    Examples
    --------
    >>> from recurrence import load_studies
    >>> from recurrence.meta import sensitivity
    >>> ax = plot_sensitivity(sensitivity(load_studies(), measure="RR"))
    >>> len([ln for ln in ax.lines if ln.get_gid() == "sensitivity:null"])
    1
    """
    import matplotlib.pyplot as plt
    from matplotlib import ticker

    rows = sensitivity_data(sens)
    if ax is None:
        _, ax = plt.subplots(figsize=(6.0, 0.32 * len(rows) + 1.0))
    ratio = sens.measure in ("RR", "OR", "HR")
    for r in rows.itertuples():
        color = PALETTE["cohort"] if r.bayes else PALETTE["pooled"]
        ax.plot([r.ci_low, r.ci_high], [r.y, r.y], color=color, lw=1.2, gid="sensitivity:ci")
        ax.plot(
            [r.estimate],
            [r.y],
            marker="D",
            ms=5,
            color=color,
            mfc="white" if r.bayes else color,
            gid="sensitivity:estimate",
        )
        ax.annotate(
            r.text,
            xy=(1.02, r.y),
            xycoords=("axes fraction", "data"),
            va="center",
            fontsize=8,
            gid="sensitivity:text",
            annotation_clip=False,
        )
    if ratio:
        ax.set_xscale("log")
        ax.axvline(1.0, color="0.4", lw=0.8, gid="sensitivity:null")
        ratio_axis(ax.xaxis, *ax.get_xlim())
    elif sens.measure == "RD":
        ax.axvline(0.0, color="0.4", lw=0.8, gid="sensitivity:null")
    elif sens.measure == "proportion":
        ax.xaxis.set_major_formatter(ticker.PercentFormatter(xmax=1, decimals=0))
    ax.set_yticks(rows["y"], rows["method"])
    ax.set_ylim(-0.7, len(rows) - 0.3)
    label = {
        "RR": "Risk ratio",
        "OR": "Odds ratio",
        "RD": "Risk difference",
        "proportion": "Proportion",
    }[sens.measure]
    ax.set_xlabel(f"{label} ({100 * sens.level:g}% CI; open: credible interval)")
    for side in ("right", "top"):
        ax.spines[side].set_visible(False)
    return ax
