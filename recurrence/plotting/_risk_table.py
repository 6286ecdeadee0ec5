"""The risk table drawn under a curve plot (used by :mod:`recurrence.plotting.survival`):
KMunicate's rows (at risk, cumulative events, censored; competing events under an
incidence) or the numbers at risk alone, as annotations at the x ticks a fixed distance
in points below the axis, so they stay aligned whatever the figure size."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._format import count

if TYPE_CHECKING:
    from .survival import CurvePlotData

#: Gids of the drawn at-risk numbers (``"at_risk:<group>"``) and row labels.
AT_RISK_GID = "at_risk"
AT_RISK_LABEL_GID = "at_risk_label"


def _risk_rows(data: CurvePlotData, kind) -> list[tuple[str, str]]:
    """(column of ``data.risk_table``, row label) of each row drawn per group."""
    if kind in (False, None):
        return []
    if kind == "at_risk" or data.risk_table is None:  # weighted curves: at risk only
        return [("at_risk", "")]
    if kind not in (True, "kmunicate"):
        raise ValueError(f"risk_table must be 'kmunicate', 'at_risk' or False, not {kind!r}")
    rows = [("at_risk", "At risk"), ("cumulative_events", "Events")]
    if data.incidence:
        rows.append(("cumulative_competing", "Competing"))
    rows.append(("cumulative_censored", "Censored"))
    return rows


#: gid prefix of the numbers of each risk-table row.
_ROW_GID = {
    "at_risk": AT_RISK_GID,
    "cumulative_events": "events",
    "cumulative_competing": "competing",
    "cumulative_censored": "censored_n",
}


def _draw_risk_table(ax, data: CurvePlotData, rows, min_cell: int | None = None) -> None:
    """The risk table under the x axis: per group its rows, numbers at the x ticks.
    For Kaplan-Meier the censored row counts competing events too (the estimator
    censors them). ``min_cell``: numbers below it drawn as "<min_cell"."""
    first = 40.0  # points below the axis: tick labels and the x label come first
    step = 11.0
    table = (data.risk_table if data.risk_table is not None else data.at_risk).copy()
    if not data.incidence and "cumulative_competing" in table.columns:
        table["cumulative_censored"] += table["cumulative_competing"]
    widest = max((len(f"{int(n):,}") for n in table["at_risk"]), default=1)
    gap = 4.0 + 3.0 * widest  # clear of the (centred) number at the first tick
    ax.annotate(
        "Number at risk" if len(rows) == 1 else "At risk, cumulative events and censored",
        xy=(0, 0),
        xycoords="axes fraction",
        xytext=(-gap, -first),
        textcoords="offset points",
        ha="left",
        va="top",
        fontsize="small",
        fontweight="bold",
        annotation_clip=False,
        gid=AT_RISK_LABEL_GID,
    )
    line = 0
    for i, g in enumerate(data.groups):
        color, _ = data.style(g, i)
        sub = table[table["group"] == g]
        labelled = len(rows) > 1
        if labelled:  # the group's name on its own line, then its rows
            line += 1
            _label(ax, g, -gap, -(first + step * line), color, bold=True)
        for col, name in rows:
            line += 1
            y = -(first + step * line)
            _label(ax, name if labelled else g, -gap, y, color)
            for t, n in zip(sub["time"], sub[col], strict=True):
                ax.annotate(
                    count(n, min_cell, compact=True),
                    xy=(t, 0),
                    xycoords=("data", "axes fraction"),
                    xytext=(0, y),
                    textcoords="offset points",
                    ha="center",
                    va="top",
                    fontsize="small",
                    color=color,
                    annotation_clip=False,
                    gid=f"{_ROW_GID[col]}:{g}",
                )


def _label(ax, text, x, y, color, bold=False):
    ax.annotate(
        text,
        xy=(0, 0),
        xycoords="axes fraction",
        xytext=(x, y),
        textcoords="offset points",
        ha="right",
        va="top",
        fontsize="small",
        fontweight="bold" if bold else "normal",
        color=color,
        annotation_clip=False,
        gid=AT_RISK_LABEL_GID,
    )
