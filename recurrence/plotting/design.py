"""Figures of the trial-design results: simulated power curves and sample-size curves.

:func:`power_curve_data` prepares what :func:`plot_power` draws (pure, tested); the
colours come from the package palette (:mod:`recurrence.plotting.style`).
``PowerResult.plot()`` and ``SampleSize.plot()`` call these functions.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from ..errors import DataError, Problem
from .style import CYCLE, REFERENCE

if TYPE_CHECKING:
    from ..design.analytic import SampleSize
    from ..design.power import PowerResult

__all__ = ["plot_power", "plot_sample_size", "power_curve_data"]

_POWER_XLABELS = {
    "n_per_arm": "Patients per arm",
    "hr": "Hazard ratio of closure",
    "followup": "Follow-up after last entry (months)",
    "competing_rate": "Competing-event hazard (per month)",
}
_SIZE_XLABELS = {
    "hr": "Hazard ratio of closure",
    "p_closure": "Reherniation with closure (proportion)",
}


def plot_power(
    result: PowerResult,
    ax=None,
    x: str | None = None,
    target: float | None = 0.8,
    analytic: bool = True,
):
    """Power of a simulation against ``x``, with ±1.96·MCSE error bars; returns the Axes.

    One line per combination of the other varying scenario columns; the formula's
    power dashed (``analytic``), the ``target`` power as a grey line.
    """
    import matplotlib.pyplot as plt

    data = power_curve_data(result, x)
    x = data.attrs["x"]
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 3.4))
    for i, (label, part) in enumerate(data.groupby("line", sort=False)):
        color = CYCLE[i % len(CYCLE)]
        ax.errorbar(
            part["x"],
            part["power"],
            yerr=part["half_width"],
            marker="o",
            capsize=3,
            color=color,
            label=label or "simulated",
        )
        if analytic and part["analytic_power"].notna().all():
            ax.plot(
                part["x"],
                part["analytic_power"],
                ls="--",
                color=color,
                label=f"{label}, formula" if label else "formula",
            )
    if target is not None:
        ax.axhline(target, color=REFERENCE, lw=0.8)
    ax.set_xlabel(_POWER_XLABELS.get(x, x))
    ax.set_ylabel("Power")
    ax.set_ylim(0, 1.02)
    ax.legend(fontsize=7)
    return ax


def plot_sample_size(result: SampleSize, ax=None):
    """The sample-size curve: patients needed (log scale) against the effect, the
    chosen design marked; returns the Axes."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(5, 3.2))
    x = result.curve.columns[0]
    ax.plot(result.curve[x], result.curve["n_total"], color=CYCLE[0])
    chosen = result.table.iloc[0]
    ax.plot(chosen[x], result.n_total, "o", color=CYCLE[1], label=f"{result.n_total:,} patients")
    ax.set_xlabel(_SIZE_XLABELS.get(x, x))
    ax.set_ylabel("Patients needed (both arms)")
    ax.set_yscale("log")
    ax.legend()
    return ax


def power_curve_data(result: PowerResult, x: str | None = None) -> pd.DataFrame:
    """What :meth:`PowerResult.plot` draws: ``line`` (label of the other varying
    columns), ``x``, ``power``, ``half_width`` (1.96·MCSE), ``analytic_power``."""
    varying = result.varying()
    x = x or next((c for c in varying if c != "analysis"), "n_per_arm")
    if x not in result.table.columns:
        raise DataError(
            Problem(
                f"x must be a column of the table, not {x!r}",
                fix=f"e.g. one of {varying or ['n_per_arm']}",
            ),
            loading=False,
        )
    others = [c for c in varying if c != x]
    t = result.table
    line = (
        t[others].astype(str).apply(lambda r: ", ".join(f"{k} {v}" for k, v in r.items()), axis=1)
        if others
        else pd.Series("", index=t.index)
    )
    data = pd.DataFrame(
        {
            "line": line,
            "x": t[x],
            "power": t["power"],
            "half_width": 1.96 * t["power_mcse"],
            "analytic_power": t["analytic_power"],
        }
    ).sort_values(["line", "x"], kind="stable")
    data.attrs["x"] = x
    return data.reset_index(drop=True)
