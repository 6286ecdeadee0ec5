"""The range figure: every rate with its interval against the shaded published range."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..checks import RangeCheck
from .style import PALETTE

__all__ = ["plot_range", "range_plot_data"]


def range_plot_data(checks: Sequence[RangeCheck] | pd.DataFrame) -> pd.DataFrame:
    """One row per rate, top to bottom: label, arm, percentages, colour, position.

    Accepts :class:`~recurrence.checks.RangeCheck` objects, a table from
    :func:`~recurrence.checks.check_ranges` (with ``label``/``arm`` columns if any), or a
    rates table (``ReherniationRates.table`` or ``.verdicts()``: ``group``, ``time``,
    ``incidence``, ``ci_low``, ``ci_high``).

    Examples
    --------
    >>> from recurrence import check_range
    >>> d = range_plot_data([check_range(0.1, ci_low=0.08, ci_high=0.12, label="A", arm="closure")])
    >>> d[["label", "estimate_pct", "ci_low_pct", "color"]].values.tolist()
    [['A', 10.0, 8.0, '#E69F00']]
    """
    if isinstance(checks, pd.DataFrame):
        frame = checks.copy()
        if "estimate" not in frame.columns and "incidence" in frame.columns:
            # a rates table (ReherniationRates.table or .verdicts()): one row per arm × time
            frame = frame.rename(columns={"incidence": "estimate"})
            if "label" not in frame.columns and {"group", "time"} <= set(frame.columns):
                frame["label"] = [
                    f"{g}, {t:g} months" for g, t in zip(frame["group"], frame["time"], strict=True)
                ]
        if "arm" not in frame.columns and "group" in frame.columns:
            frame["arm"] = frame["group"]
        if "position" not in frame.columns:
            from ..checks import check_ranges

            frame = check_ranges(frame)
    else:
        frame = pd.DataFrame(
            [c.table.iloc[0].to_dict() for c in checks],
            columns=[
                "label",
                "arm",
                "estimate",
                "ci_low",
                "ci_high",
                "low",
                "high",
                "position",
                "overlaps",
            ],
        )
    if "label" not in frame.columns:
        frame["label"] = [f"rate {i + 1}" for i in range(len(frame))]
    if "arm" not in frame.columns:
        frame["arm"] = None
    out = pd.DataFrame(
        {
            "label": frame["label"].fillna("").astype(str).to_numpy(),
            "arm": frame["arm"].to_numpy(),
            "estimate_pct": 100 * frame["estimate"].astype(float).to_numpy(),
            "ci_low_pct": 100 * pd.to_numeric(frame["ci_low"], errors="coerce").to_numpy(float),
            "ci_high_pct": 100 * pd.to_numeric(frame["ci_high"], errors="coerce").to_numpy(float),
            "position": frame["position"].to_numpy(),
        }
    )
    out["color"] = [
        PALETTE.get(a, PALETTE["pooled"]) if isinstance(a, str) else PALETTE["pooled"]
        for a in out["arm"]
    ]
    out["y"] = np.arange(len(out))[::-1].astype(float)
    return out


def plot_range(checks, ax=None, *, low: float = 0.03, high: float = 0.27, title: str | None = None):
    """Draw every rate with its interval against the shaded published range.

    Parameters
    ----------
    checks
        :class:`~recurrence.checks.RangeCheck` objects (or a table of them).
    ax
        Axes to draw on; a new figure when ``None``.
    low, high
        The shaded range (proportions).
    title
        Title above the axes (default none).

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> from recurrence import simulate_cohort, check_range
    >>> from recurrence.survival import reherniation_rates
    >>> rates = reherniation_rates(simulate_cohort(500, seed=2), at=(24,)).table
    >>> checks = [check_range(r.incidence, ci_low=r.ci_low, ci_high=r.ci_high, label=r.group)
    ...           for r in rates.itertuples()]
    >>> ax = plot_range(checks)
    >>> ax.get_xlabel()
    'Reherniation rate (%)'
    """
    import matplotlib.pyplot as plt

    data = range_plot_data(checks)
    if ax is None:
        _, ax = plt.subplots(figsize=(6.5, 0.27 * max(len(data), 2) + 1.0))
    ax.axvspan(100 * low, 100 * high, color=PALETTE["range"], alpha=0.12, lw=0)
    for x in (100 * low, 100 * high):
        ax.axvline(x, color=PALETTE["range"], lw=0.8, ls="--")
    for _, row in data.iterrows():
        if np.isfinite(row["ci_low_pct"]):
            ax.plot(
                [row["ci_low_pct"], row["ci_high_pct"]],
                [row["y"], row["y"]],
                color=row["color"],
                lw=1.6,
                solid_capstyle="butt",
            )
        ax.plot(row["estimate_pct"], row["y"], "o", color=row["color"], ms=5)
    ax.set_yticks(data["y"], data["label"])
    ax.set_ylim(-0.7, len(data) - 0.3)
    right = max(
        35.0, float(np.nanmax(data[["estimate_pct", "ci_high_pct"]].to_numpy(), initial=0)) + 3
    )
    ax.set_xlim(0, right)
    ax.set_xlabel("Reherniation rate (%)")
    # The band is named above the axis, where it never covers a rate (a legend inside
    # would sit on some interval; one below would collide with the axis label).
    ax.annotate(
        f"published range without closure, {100 * low:g}–{100 * high:g}%",
        xy=(100 * (low + high) / 2, 1.0),
        xycoords=("data", "axes fraction"),
        xytext=(0, 3),
        textcoords="offset points",
        ha="center",
        va="bottom",
        fontsize=7,
        color=PALETTE["range"],
    )
    if title:
        ax.set_title(title, pad=14)
    return ax
