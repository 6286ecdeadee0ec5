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

    Parameters
    ----------
    result
        A result of :func:`recurrence.design.simulate_power`.
    ax
        Axes to draw on (a new figure when ``None``).
    x
        The scenario column on the horizontal axis (default: the first one that varies,
        else ``n_per_arm``).
    target
        Power drawn as a reference line (``None``: none).
    analytic
        Also draw the formula's power, dashed.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> from recurrence.design import simulate_power
    >>> r = simulate_power([100, 200], 0.5, replicates=50, seed=1, backend="serial")
    >>> ax = plot_power(r)
    >>> ax.get_xlabel(), ax.get_ylabel()
    ('Patients per arm', 'Power')
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
    chosen design marked; returns the Axes.

    Parameters
    ----------
    result
        A result of :func:`recurrence.design.sample_size_survival` or
        :func:`recurrence.design.sample_size_proportions`.
    ax
        Axes to draw on (a new figure when ``None``).

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> from recurrence.design import sample_size_survival
    >>> ax = plot_sample_size(sample_size_survival(0.5, control_incidence=0.25))
    >>> ax.get_xlabel(), ax.get_yscale()
    ('Hazard ratio of closure', 'log')
    """
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
    """What :meth:`PowerResult.plot` draws, as a table.

    Parameters
    ----------
    result
        A result of :func:`recurrence.design.simulate_power`.
    x
        The scenario column on the horizontal axis (default: the first one that varies,
        else ``n_per_arm``).

    Returns
    -------
    pandas.DataFrame
        ``line`` (label of the other varying columns), ``x``, ``power`` (proportion of
        trials rejecting), ``half_width`` (1.96·MCSE) and ``analytic_power``, sorted;
        ``attrs["x"]`` names the column used.

    Examples
    --------
    >>> from recurrence.design import simulate_power
    >>> r = simulate_power([100, 200], 0.5, replicates=50, seed=1, backend="serial")
    >>> power_curve_data(r)[["x", "power"]].round(2)
         x  power
    0  100   0.68
    1  200   0.90
    """
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
