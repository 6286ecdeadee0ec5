"""Forest plots of meta-analyses, as a journal prints them.

Left of the panel: the study labels and events/total per arm; in the panel: each
study's estimate (a square, area ∝ weight) and interval, the pooled estimates as
diamonds (common effect and random effects), the prediction interval as a bar; right
of the panel: "estimate [interval]" and the weight. Subgroups get a heading, their own
diamonds and a line of heterogeneity; the test for subgroup differences closes the
plot. Ratios are drawn on a log axis with "Favours closure" / "Favours no closure"
under it; proportions in percent. A hospital's own cohort, added to the study table
by :func:`recurrence.meta.cohort_as_study` (``design`` = ``"own cohort"``), is
highlighted: bold label, square and interval in ``PALETTE["cohort"]``.

:func:`forest_data` prepares everything (pure, tested); :func:`plot_forest` only draws.
Each text column is as wide as its widest text (measured from the font) and sits at a
fixed distance in inches from the panel, so columns never overlap whatever the labels.
A new figure is sized to its content, at most ``max_width`` (7 in, the report's text
width): the panel narrows first, then the font (not below 7 pt), then long study labels
are shortened with "…". Artists carry ``gid``s (``forest:square``, ``forest:label``,
``forest:diamond:random``, …) so tests can find what was drawn.

The code: the text of the rows is made in :mod:`._forest_rows`, the columns are measured
and placed in :mod:`._forest_layout`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ._forest_layout import _MARGIN, _SPAN, MIN_FONT, _bold, _layout, _panel_locator
from ._forest_rows import OWN_COHORT as OWN_COHORT
from ._forest_rows import _highlight_labels, _line, _p_forest, _pooled_rows, _study_rows
from ._ticks import ratio_axis
from .style import PALETTE

__all__ = ["ForestData", "draw_forest", "forest_data", "plot_forest"]

_MEASURE_LABELS = {
    "RR": "Risk ratio",
    "OR": "Odds ratio",
    "RD": "Risk difference",
    "HR": "Hazard ratio",
    "MD": "Mean difference",
}


@dataclass(frozen=True)
class ForestData:
    """What a forest plot draws.

    ``rows``: one row per line of the plot, top to bottom, with ``y`` (decreasing),
    ``kind`` (``header``, ``study``, ``common``, ``random``, ``prediction``,
    ``heterogeneity``, ``test``), ``label``, ``estimate``, ``ci_low``, ``ci_high``
    (natural scale; NaN where nothing is drawn), ``weight`` (percent), ``filled``,
    ``highlight`` (the row of one's own cohort) and one column per text column.
    ``left``/``right``: (column, header) pairs of the text columns; ``log``: log x axis;
    ``percent``: proportions shown in percent; ``null``: the line of no effect (or
    ``None``); ``favours``: the two labels under the axis.
    """

    rows: pd.DataFrame
    left: list[tuple[str, str]]
    right: list[tuple[str, str]]
    xlabel: str
    log: bool
    percent: bool
    null: float | None
    favours: tuple[str, str] | None
    xlim: tuple[float, float]
    title: str | None = None
    notes: list[str] = field(default_factory=list)


def forest_data(
    result, *, common: bool = True, digits: int = 2, title: str | None = None, highlight=None
) -> ForestData:
    """Prepare a forest plot of a :class:`~recurrence.meta.results.MetaResult` (or a
    trim-and-fill or subgroup result). Pure: no drawing.

    Parameters
    ----------
    common
        Show the common-effect diamond beside the random-effects one.
    digits
        Decimals of ratios and differences (proportions are shown in percent, 1 decimal).
    highlight
        Study label(s) to highlight; by default (``None``) the rows whose study-table
        ``design`` is ``"own cohort"`` (:func:`recurrence.meta.cohort_as_study`) or
        whose ``highlight`` column is true; ``False`` for none.

    Examples
    --------
    >>> from recurrence.meta import compare
    >>> res = compare([1, 30, 5, 60], [100, 100, 50, 80], [20, 10, 25, 20], [100, 100, 50, 80],
    ...               method="DL", labels=["A", "B", "C", "D"])
    >>> data = forest_data(res)
    >>> data.rows["kind"].tolist()
    ['study', 'study', 'study', 'study', 'common', 'random', 'prediction', 'heterogeneity']
    >>> data.rows.loc[0, ["label", "closure", "control", "effect"]].tolist()
    ['A', '1/100', '20/100', '0.05 [0.01, 0.37]']
    >>> data.log, data.favours
    (True, ('Favours closure', 'Favours no closure'))
    """
    from ..meta.results import MetaResult, SubgroupResult

    if isinstance(result, SubgroupResult):
        base = result.overall
    elif isinstance(result, MetaResult):
        base = result
    else:
        raise TypeError(f"plot_forest needs a meta-analysis result, got {type(result).__name__}")
    percent = base.kind == "proportion"
    marked = frozenset(_highlight_labels(result, highlight))
    rows: list[dict] = []
    notes = []
    if isinstance(result, SubgroupResult):
        for name, sub in result.results.items():
            rows.append(_line("header", f"{result.by}: {name}", name))
            rows += _study_rows(sub, percent, digits, group=name, marked=marked)
            rows += _pooled_rows(sub, percent, digits, common, group=name)
        rows += _pooled_rows(base, percent, digits, common, prefix="Overall: ")
        rows.append(
            _line(
                "test",
                f"Test for subgroup differences: χ² = "
                f"{result.q_between:.2f} (df = {result.df_between}), "
                f"p {_p_forest(result.pvalue_between)}",
            )
        )
    else:
        rows += _study_rows(base, percent, digits, marked=marked)
        rows += _pooled_rows(base, percent, digits, common)
    frame = pd.DataFrame(rows)
    for col in ("events", "closure", "control"):
        if col in frame:
            frame[col] = frame[col].fillna("")
    frame["highlight"] = frame["highlight"].astype("boolean").fillna(False).astype(bool)
    # y positions: one unit per line, an extra half line before each pooled block
    y, ys, prev = 0.0, [], None
    for kind in frame["kind"]:
        if prev in ("study", "heterogeneity") and kind in ("common", "random"):
            y -= 0.4
        if kind == "header" and prev is not None:
            y -= 0.6
        ys.append(y)
        y -= 1.0
        prev = kind
    frame["y"] = ys
    if percent:
        left = [("label", "Study"), ("events", "Events/Total")]
        xlabel = "Reherniation rate (%)"
        null, favours = None, None
    else:
        left = [("label", "Study"), ("closure", "Closure"), ("control", "No closure")]
        xlabel = f"{_MEASURE_LABELS[base.measure]} (closure vs no closure)"
        null = 1.0 if base.is_ratio else 0.0
        favours = ("Favours closure", "Favours no closure")
    from .rob import rob_symbols

    symbols = rob_symbols(result)  # risk of bias, when the study table has judgements
    if symbols:
        frame["rob"] = [
            symbols.get(str(lab), "") if kind == "study" else ""
            for lab, kind in zip(frame["label"], frame["kind"], strict=True)
        ]
        left.append(("rob", "RoB"))
        notes.append(
            "RoB: + low, – some concerns/moderate, × high/serious, ! critical, ? no information"
        )
    right = [
        ("effect", f"{'Rate (%)' if percent else base.measure} [{100 * base.level:g}% CI]"),
        ("weight_text", "Weight"),
    ]
    if "filled" in base.table and base.table["filled"].any():
        notes.append("open squares: studies filled by trim and fill")
    lo = frame[["ci_low", "estimate"]].min(axis=1).to_numpy(float)
    hi = frame[["ci_high", "estimate"]].max(axis=1).to_numpy(float)
    xlim = _xlim(
        np.nanmin(lo) if np.isfinite(lo).any() else 0.0,
        np.nanmax(hi) if np.isfinite(hi).any() else 1.0,
        base.is_ratio,
        percent,
        null,
    )
    return ForestData(
        rows=frame,
        left=left,
        right=right,
        xlabel=xlabel,
        log=base.is_ratio,
        percent=percent,
        null=null,
        favours=favours,
        xlim=xlim,
        title=title,
        notes=notes,
    )


def _xlim(lo, hi, log, percent, null):
    if log:
        lo, hi = max(lo, 1e-3), min(hi, 1e3)
        lo, hi = min(lo, 1.0), max(hi, 1.0)
        return (
            float(10 ** (np.floor(np.log10(lo) * 2) / 2)),
            float(10 ** (np.ceil(np.log10(hi) * 2) / 2)),
        )
    if percent:
        return (0.0, float(min(1.0, np.ceil(hi * 20) / 20 + 0.05)))
    if null is not None:
        lo, hi = min(lo, null), max(hi, null)
    pad = 0.05 * (hi - lo or 1.0)
    return (lo - pad, hi + pad)


def plot_forest(
    result,
    ax=None,
    *,
    common: bool = True,
    digits: int = 2,
    title: str | None = None,
    color: str | None = None,
    highlight=None,
    fontsize: float | None = None,
    max_width: float = 7.0,
):
    """Draw a forest plot of a meta-analysis result; returns the Axes.

    Parameters
    ----------
    result
        :func:`~recurrence.meta.proportions`, :func:`~recurrence.meta.compare`,
        :func:`~recurrence.meta.trim_and_fill` or :func:`~recurrence.meta.subgroups`
        result (also ``result.plot()``).
    ax
        Axes to draw in (the panel); the text columns are drawn outside it, left and
        right, so leave room. By default a new figure sized to the content.
    common
        Show the common-effect diamond beside the random-effects one.
    digits
        Decimals of ratios and differences.
    title
        Title above the plot (default none).
    color
        Colour of the squares (default black).
    highlight
        Study label(s) to highlight; by default one's own cohort (see :func:`forest_data`).
    fontsize
        Font of the rows in points (default ``rcParams["font.size"]``).
    max_width
        Widest a new figure may be, inches: the panel, then the font (down to 7 pt),
        then overlong study labels give way.

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on.

    Examples
    --------
    >>> from recurrence import load_studies
    >>> from recurrence.meta import compare_studies
    >>> res = compare_studies(load_studies(), measure="RR", method="MH")
    >>> ax = plot_forest(res)
    >>> res.k, ax.get_xscale()
    (7, 'log')
    """
    data = forest_data(result, common=common, digits=digits, title=title, highlight=highlight)
    pooled_line = not isinstance(getattr(result, "results", None), dict)
    return draw_forest(
        data, ax, color=color, fontsize=fontsize, max_width=max_width, pooled_line=pooled_line
    )


def draw_forest(
    data: ForestData,
    ax=None,
    *,
    color: str | None = None,
    fontsize: float | None = None,
    max_width: float = 7.0,
    pooled_line: bool = True,
):
    """Draw prepared :class:`ForestData` (the layout of every forest plot: also the
    subgroup forest of :func:`recurrence.plotting.plot_subgroups`); returns the Axes."""
    import matplotlib as mpl
    import matplotlib.pyplot as plt
    from matplotlib import ticker, transforms
    from matplotlib.patches import Polygon, Rectangle

    rows = data.rows
    size = float(
        fontsize
        or mpl.font_manager.FontProperties(size=mpl.rcParams["font.size"]).get_size_in_points()
    )
    lay = _layout(data, size, max_width if ax is None else None)
    top = rows["y"].max() + 1.4
    bottom = rows["y"].min() - 0.6
    tick = max(
        MIN_FONT,
        min(
            lay.size,
            mpl.font_manager.FontProperties(
                size=mpl.rcParams["xtick.labelsize"]
            ).get_size_in_points(),
        ),
    )
    tick_pt = mpl.rcParams["xtick.major.size"] + mpl.rcParams["xtick.major.pad"] + 1.3 * tick
    favours_pt = 1.3 * lay.small + 4 if data.favours is not None else 0.0
    xlabel_pt = favours_pt + 1.35 * lay.size
    notes_pt = 1.4 * lay.small if data.notes else 0.0
    if ax is None:
        row_h = max(0.17, 1.75 * lay.size / 72)
        below = (tick_pt + xlabel_pt + notes_pt + 8) / 72
        above = 0.06 + (1.8 * lay.size / 72 if data.title else 0.0)
        width = 2 * _MARGIN + max(
            lay.left + lay.panel + lay.right, min(lay.span, max_width - 2 * _MARGIN)
        )
        fig = plt.figure(figsize=(width, below + above + row_h * (top - bottom)))
        ax = fig.add_axes((0, 0, 1, 1))
        ax.set_axes_locator(
            _panel_locator(_MARGIN + lay.left, width - _MARGIN - lay.left - lay.panel, below, above)
        )
    fig = ax.figure
    ax.set_ylim(bottom, top)
    ax.set_xlim(*data.xlim)
    if data.log:
        ax.set_xscale("log")
        ratio_axis(ax.xaxis, *data.xlim)
    elif data.percent:
        ax.xaxis.set_major_formatter(ticker.PercentFormatter(xmax=1, decimals=0))
    for side in ("left", "right", "top"):
        ax.spines[side].set_visible(False)
    ax.set_yticks([])
    ax.set_xlabel(data.xlabel, fontsize=lay.size, labelpad=favours_pt + 2)
    # vertical lines from the first row to the last pooled line (not through the text
    # of the heterogeneity lines, which runs into the panel)
    drawn = rows.loc[~rows["kind"].isin(_SPAN), "y"]
    y_lines = [drawn.min() - 0.5, rows["y"].max() + 0.5]
    if data.null is not None:
        ax.plot([data.null] * 2, y_lines, color="0.4", lw=0.8, zorder=1, gid="forest:null")
    square_color = color or PALETTE["pooled"]
    studies = rows[(rows["kind"] == "study") & rows["estimate"].notna()]
    wmax = float(studies["weight"].max()) if len(studies) else 1.0
    lo_x, hi_x = data.xlim
    for r in studies.itertuples():
        lo, hi = max(r.ci_low, lo_x), min(r.ci_high, hi_x)
        line = PALETTE["cohort"] if r.highlight else "0.2"
        ax.plot(
            [lo, hi],
            [r.y, r.y],
            color=line,
            lw=1.3 if r.highlight else 0.9,
            zorder=2,
            gid="forest:ci",
        )
        if r.ci_low < lo_x:
            ax.plot([lo], [r.y], marker="<", color=line, ms=4, zorder=2, gid="forest:arrow")
        if r.ci_high > hi_x:
            ax.plot([hi], [r.y], marker=">", color=line, ms=4, zorder=2, gid="forest:arrow")
    if len(studies):
        sizes = 12 + 110 * studies["weight"].to_numpy(float) / (wmax or 1.0)
        edge = np.where(studies["highlight"].to_numpy(bool), PALETTE["cohort"], square_color)
        face = np.where(studies["filled"].to_numpy(bool), "white", edge)
        ax.scatter(
            studies["estimate"],
            studies["y"],
            s=sizes,
            marker="s",
            c=list(face),
            edgecolors=list(edge),
            zorder=3,
            gid="forest:square",
        )
    for r in rows[rows["kind"].isin(["common", "random"])].itertuples():
        h = 0.32
        shade = "0.55" if r.kind == "common" else PALETTE["pooled"]
        ax.add_patch(
            Polygon(
                [(r.ci_low, r.y), (r.estimate, r.y + h), (r.ci_high, r.y), (r.estimate, r.y - h)],
                closed=True,
                facecolor=shade,
                edgecolor=shade,
                zorder=3,
                gid=f"forest:diamond:{r.kind}",
            )
        )
    for r in rows[rows["kind"] == "prediction"].itertuples():
        lo, hi = max(r.ci_low, lo_x), min(r.ci_high, hi_x)
        ax.add_patch(
            Rectangle(
                (lo, r.y - 0.12),
                hi - lo,
                0.24,
                facecolor="0.85",
                edgecolor="0.3",
                lw=0.8,
                zorder=3,
                gid="forest:prediction",
            )
        )
    random = rows[rows["kind"] == "random"]
    if len(random) and pooled_line:
        ax.plot(
            [float(random["estimate"].iloc[0])] * 2,
            y_lines,
            color="0.5",
            lw=0.7,
            ls=":",
            zorder=1,
            gid="forest:pooled_line",
        )

    # text columns, at fixed distances (inches) from the panel's edges
    def place(key):
        side, offset, ha = lay.x[key]
        shift = transforms.ScaledTranslation(offset, 0, fig.dpi_scale_trans)
        trans = transforms.blended_transform_factory(ax.transAxes + shift, ax.transData)
        return (0.0 if side == "left" else 1.0), trans, ha

    labels = dict(zip(rows.index, lay.labels, strict=True))
    for key, header in [*data.left, *data.right]:
        x, trans, ha = place(key)
        ax.text(
            x,
            top - 0.55,
            header,
            transform=trans,
            ha=ha,
            va="center",
            fontweight="bold",
            fontsize=lay.size,
            gid="forest:header",
            clip_on=False,
            parse_math=False,
        )
        for r in rows.itertuples():
            text = labels[r.Index] if key == "label" else str(getattr(r, key, "") or "")
            if not text or (r.kind in _SPAN and key != "label"):
                continue
            span = r.kind in _SPAN
            # a line running into the panel hides the vertical lines behind it
            box = (
                {"facecolor": "white", "edgecolor": "none", "pad": 0.5}
                if span or r.kind == "header"
                else None
            )
            ax.text(
                x,
                r.y,
                text,
                transform=trans,
                ha=ha,
                va="center",
                fontweight="bold" if _bold(r.kind, key, r.highlight) else "normal",
                fontsize=lay.small if span else lay.size,
                gid=f"forest:{key}",
                clip_on=False,
                parse_math=False,
                bbox=box,
                zorder=4,
            )
    if data.favours is not None:
        for text, ha, pad in (
            (f"← {data.favours[0]}", "right", -6),
            (f"{data.favours[1]} →", "left", 6),
        ):
            ax.annotate(
                text,
                xy=(data.null, 0),
                xycoords=("data", "axes fraction"),
                xytext=(pad, -tick_pt),
                textcoords="offset points",
                ha=ha,
                va="top",
                fontsize=lay.small,
                gid="forest:favours",
                annotation_clip=False,
            )
    ax.tick_params(axis="x", labelsize=tick)
    if data.title:
        ax.set_title(data.title, fontsize=lay.size + 1)
    if data.notes:
        ax.annotate(
            "; ".join(data.notes),
            xy=(0, 0),
            xycoords="axes fraction",
            xytext=(0, -(tick_pt + xlabel_pt + 4)),
            textcoords="offset points",
            fontsize=lay.small,
            va="top",
            gid="forest:note",
            annotation_clip=False,
        )
    return ax
