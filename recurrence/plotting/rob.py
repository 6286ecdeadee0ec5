"""Risk-of-bias figures, as robvis draws them (McGuinness and Higgins 2021, Res Synth
Methods 12:55): the traffic-light plot (one row per study, one circle per domain and
overall) and the summary plot (per domain, the share of studies, or of weight, at
each judgement). They read a study table (or a result fitted from one) with the
``rob``, ``rob_d1`` … ``rob_d5`` columns of :mod:`recurrence.meta.rob`;
:func:`rob_data` prepares both.
"""

from __future__ import annotations

import pandas as pd

__all__ = ["ROB_COLOURS", "ROB_SYMBOLS", "plot_rob", "plot_rob_summary", "rob_data", "rob_symbols"]

#: robvis' colours of the judgements.
ROB_COLOURS = {
    "low": "#02C100",
    "some concerns": "#E2DF07",
    "moderate": "#E2DF07",
    "high": "#BF0000",
    "serious": "#BF0000",
    "critical": "#820000",
    "no information": "#4EA1F7",
}
#: Symbols in the circles (also the forest plot's risk-of-bias column).
ROB_SYMBOLS = {
    "low": "+",
    "some concerns": "–",
    "moderate": "–",
    "high": "×",
    "serious": "×",
    "critical": "!",
    "no information": "?",
}


def _table(studies):
    from ..meta.results import MetaResult

    if isinstance(studies, MetaResult):
        data = getattr(studies.spec, "data", None)
        if data is None:
            raise ValueError("the result has no study table to take risk-of-bias columns from")
        data = data.assign(study=list(studies.spec.labels))
        return data
    if not isinstance(studies, pd.DataFrame):
        raise TypeError(f"plot_rob needs a study table or a result, got {type(studies).__name__}")
    return studies


def rob_data(studies) -> dict:
    """``cells``: one row per study × judged column (``study``, ``column``, ``domain``,
    ``judgement``, ``x``, ``y``, ``colour``, ``symbol``); ``summary``: per column the
    share of studies at each judgement (``column``, ``domain``, ``judgement``,
    ``share``); ``columns``: the judged columns in order.

    Examples
    --------
    >>> table = pd.DataFrame({"study": ["A", "B"], "rob_d1": ["low", "high"],
    ...                       "rob": ["low", "High"]})
    >>> data = rob_data(table)
    >>> data["cells"][["study", "column", "symbol"]].values.tolist()
    [['A', 'rob_d1', '+'], ['A', 'rob', '+'], ['B', 'rob_d1', '×'], ['B', 'rob', '×']]
    >>> data["summary"].query("column == 'rob'")["share"].tolist()
    [0.5, 0.5]
    """
    from ..meta.rob import DOMAINS, LABELS, ROB_COLUMNS, check_rob

    table = check_rob(_table(studies))
    columns = [c for c in (*ROB_COLUMNS[1:], "rob") if c in table and table[c].notna().any()]
    if not columns:
        raise ValueError(
            "the study table has no risk-of-bias judgements (columns rob, rob_d1 … rob_d5)"
        )
    rows = []
    names = table["study"].astype(str).tolist()
    for i, name in enumerate(names):
        for x, col in enumerate(columns):
            value = table[col].iloc[i]
            if value is pd.NA or value is None:
                continue
            rows.append(
                {
                    "study": name,
                    "column": col,
                    "domain": DOMAINS[col],
                    "judgement": value,
                    "x": float(x),
                    "y": float(len(names) - 1 - i),
                    "colour": ROB_COLOURS[value],
                    "symbol": ROB_SYMBOLS[value],
                }
            )
    cells = pd.DataFrame(rows)
    summary = []
    for col in columns:
        counts = cells.loc[cells["column"] == col, "judgement"].value_counts()
        total = counts.sum()
        for label in LABELS:
            if label in counts:
                summary.append(
                    {
                        "column": col,
                        "domain": DOMAINS[col],
                        "judgement": label,
                        "share": counts[label] / total,
                    }
                )
    return {"cells": cells, "summary": pd.DataFrame(summary), "columns": columns, "studies": names}


def plot_rob(studies, ax=None, *, kind: str = "traffic"):
    """Traffic-light plot (``kind="traffic"``) or summary bars (``kind="summary"``) of the
    risk-of-bias judgements; returns the Axes.

    Parameters
    ----------
    studies : pandas.DataFrame
        A study table with ``rob`` (overall) and/or ``rob_d1`` … ``rob_d5`` judgements.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure when ``None``.
    kind : {"traffic", "summary"}
        One circle per study and domain, or the stacked shares of :func:`plot_rob_summary`.

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on.

    Examples
    --------
    >>> table = pd.DataFrame({"study": ["A", "B"], "rob_d1": ["low", "high"],
    ...                       "rob": ["low", "high"]})
    >>> ax = plot_rob(table)
    >>> [t.get_text() for t in ax.get_yticklabels()][::-1]  # top to bottom
    ['A', 'B']
    """
    if kind == "summary":
        return plot_rob_summary(studies, ax=ax)
    if kind != "traffic":
        raise ValueError(f"kind={kind!r}: use 'traffic' or 'summary'")
    import matplotlib.pyplot as plt

    data = rob_data(studies)
    cells, cols, names = data["cells"], data["columns"], data["studies"]
    if ax is None:
        _, ax = plt.subplots(figsize=(0.55 * len(cols) + 2.6, 0.38 * len(names) + 1.2))
    ax.scatter(
        cells["x"],
        cells["y"],
        s=260,
        c=list(cells["colour"]),
        edgecolors="0.3",
        linewidths=0.5,
        zorder=2,
        gid="rob:circle",
    )
    for r in cells.itertuples():
        ax.text(
            r.x,
            r.y,
            r.symbol,
            ha="center",
            va="center",
            fontsize=10,
            color="white",
            fontweight="bold",
            zorder=3,
            gid="rob:symbol",
        )
    ax.set_xticks(
        range(len(cols)), [c.replace("rob_d", "D").replace("rob", "Overall") for c in cols]
    )
    ax.xaxis.tick_top()
    ax.set_yticks(range(len(names)), names[::-1])
    ax.set_xlim(-0.6, len(cols) - 0.4)
    ax.set_ylim(-0.6, len(names) - 0.4)
    for side in ("left", "right", "top", "bottom"):
        ax.spines[side].set_visible(False)
    ax.tick_params(length=0)
    seen = list(dict.fromkeys(cells["judgement"]))
    handles = [
        plt.Line2D(
            [],
            [],
            marker="o",
            ls="",
            ms=9,
            mfc=ROB_COLOURS[j],
            mec="0.3",
            label=f"{ROB_SYMBOLS[j]} {j}",
        )
        for j in seen
    ]
    ax.legend(
        handles=handles,
        loc="upper left",
        bbox_to_anchor=(1.02, 1.0),
        fontsize=8,
        title="Judgement",
        title_fontsize=8,
    )
    return ax


def plot_rob_summary(studies, ax=None):
    """Per domain, the share of studies at each judgement (stacked bars); returns the Axes.

    Parameters
    ----------
    studies : pandas.DataFrame
        A study table with ``rob`` and/or ``rob_d1`` … ``rob_d5`` judgements.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure when ``None``.

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on.

    Examples
    --------
    >>> table = pd.DataFrame({"study": ["A", "B"], "rob_d1": ["low", "high"],
    ...                       "rob": ["low", "high"]})
    >>> ax = plot_rob_summary(table)
    >>> ax.get_xlabel()
    'Studies'
    """
    import matplotlib.pyplot as plt
    from matplotlib import ticker

    data = rob_data(studies)
    summary, cols = data["summary"], data["columns"]
    if ax is None:
        _, ax = plt.subplots(figsize=(6.5, 0.4 * len(cols) + 1.2))
    for y, col in enumerate(reversed(cols)):
        left = 0.0
        for r in summary[summary["column"] == col].itertuples():
            ax.barh(
                y,
                r.share,
                left=left,
                color=ROB_COLOURS[r.judgement],
                edgecolor="0.3",
                lw=0.5,
                gid="rob:bar",
                label=r.judgement,
            )
            left += r.share
    from ..meta.rob import DOMAINS

    ax.set_yticks(range(len(cols)), [DOMAINS[c] for c in reversed(cols)])
    ax.set_xlim(0, 1)
    ax.xaxis.set_major_formatter(ticker.PercentFormatter(xmax=1, decimals=0))
    ax.set_xlabel("Studies")
    handles, labels = ax.get_legend_handles_labels()
    unique = dict(zip(labels, handles, strict=True))
    ax.legend(
        unique.values(), unique.keys(), loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=8
    )
    for side in ("right", "top"):
        ax.spines[side].set_visible(False)
    return ax


def rob_symbols(result) -> dict:
    """Study label → symbol of its overall judgement, from the study tables a result
    (or a subgroup result) was fitted to: the forest plot's risk-of-bias column."""
    from ..meta.rob import normalize_rob

    out = {}
    for res in [result, getattr(result, "overall", None), *getattr(result, "results", {}).values()]:
        data = getattr(getattr(res, "spec", None), "data", None)
        if data is None or "rob" not in data:
            continue
        for label, value in zip(res.spec.labels, normalize_rob(data["rob"]), strict=True):
            if isinstance(value, str):
                out[str(label)] = ROB_SYMBOLS[value]
    return out
