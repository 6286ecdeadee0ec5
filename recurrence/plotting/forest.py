"""Forest plots of meta-analyses, as a journal prints them.

Left of the panel: the study labels and events/total per arm; in the panel: each
study's estimate (a square, area ∝ weight) and interval, the pooled estimates as
diamonds (common effect and random effects), the prediction interval as a bar; right
of the panel: "estimate [interval]" and the weight. Subgroups get a heading, their own
diamonds and a line of heterogeneity; the test for subgroup differences closes the
plot. Ratios are drawn on a log axis with "Favours closure" / "Favours no closure"
under it; proportions in percent.

:func:`forest_data` prepares everything (pure, tested); :func:`plot_forest` only draws.
Text columns are placed at fixed distances in inches from the panel, so they stay
aligned whatever the figure; artists carry ``gid``s (``forest:square``,
``forest:diamond:random``, …) so tests can find what was drawn.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .style import PALETTE

__all__ = ["ForestData", "forest_data", "plot_forest"]

_MEASURE_LABELS = {"RR": "Risk ratio", "OR": "Odds ratio", "RD": "Risk difference"}
_MODEL_LABELS = {"common": "Common effect model", "random": "Random effects model"}


@dataclass(frozen=True)
class ForestData:
    """What a forest plot draws.

    ``rows``: one row per line of the plot, top to bottom, with ``y`` (decreasing),
    ``kind`` (``header``, ``study``, ``common``, ``random``, ``prediction``,
    ``heterogeneity``, ``test``), ``label``, ``estimate``, ``ci_low``, ``ci_high``
    (natural scale; NaN where nothing is drawn), ``weight`` (percent), ``filled`` and
    one column per text column. ``left``/``right``: (column, header) pairs of the text
    columns; ``log``: log x axis; ``percent``: proportions shown in percent; ``null``:
    the line of no effect (or ``None``); ``favours``: the two labels under the axis.
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


def _fmt_effect(est, lo, hi, percent, digits):
    if est is None or not np.isfinite(est):
        return "not estimable"
    if percent:
        return f"{100 * est:.1f} [{100 * lo:.1f}, {100 * hi:.1f}]"
    return f"{est:.{digits}f} [{lo:.{digits}f}, {hi:.{digits}f}]".replace("-", "−")


def _fmt_count(e, n):
    if e is None or n is None or pd.isna(e) or pd.isna(n):
        return ""
    return f"{int(e)}/{int(n)}"


def _fmt_p(p):
    if p is None or not np.isfinite(p):
        return "–"
    return "< 0.001" if p < 0.001 else f"= {p:.3f}" if p < 0.1 else f"= {p:.2f}"


def _het_text(res) -> str:
    if res.k < 2:
        return "Heterogeneity: not applicable (one study)"
    tau2 = f"τ² = {res.tau2:.3g}, " if res.method not in ("FE", "MH", "PETO") else ""
    return (f"Heterogeneity: {tau2}I² = {res.i2:.0f}%, Q = {res.q:.2f} (df = {res.q_df}), "
            f"p {_fmt_p(res.q_pvalue)}")


def _study_rows(res, percent, digits, group=None):
    rows = []
    t = res.table
    filled = t["filled"].to_numpy(bool) if "filled" in t else np.zeros(len(t), bool)
    for i, r in enumerate(t.itertuples(index=False)):
        row = {"kind": "study", "label": str(r.study), "estimate": np.nan, "ci_low": np.nan,
               "ci_high": np.nan, "weight": 0.0, "filled": bool(filled[i]), "group": group}
        if bool(r.included):
            row.update(estimate=float(r.estimate), ci_low=float(r.ci_low),
                       ci_high=float(r.ci_high), weight=float(r.weight))
        if res.kind == "proportion":
            row["events"] = "" if filled[i] else _fmt_count(getattr(r, "events", None),
                                                            getattr(r, "total", None))
        else:
            row["closure"] = "" if filled[i] else _fmt_count(
                getattr(r, "events_closure", None), getattr(r, "total_closure", None))
            row["control"] = "" if filled[i] else _fmt_count(
                getattr(r, "events_control", None), getattr(r, "total_control", None))
        row["effect"] = _fmt_effect(row["estimate"], row["ci_low"], row["ci_high"], percent,
                                    digits) if bool(r.included) else "not estimable"
        row["weight_text"] = f"{row['weight']:.1f}%" if bool(r.included) else ""
        rows.append(row)
    return rows


def _pooled_rows(res, percent, digits, common, prefix="", group=None):
    rows = []
    fixed = res.method in ("FE", "MH", "PETO") or res.k < 2
    show_common = fixed or common
    total = {}
    if res.kind == "proportion":
        inc = res.table["included"]
        total["events"] = _fmt_count(res.table.loc[inc, "events"].sum(),
                                     res.table.loc[inc, "total"].sum()) \
            if "events" in res.table and res.table["events"].notna().all() else ""
    elif "events_closure" in res.table:
        inc = res.table["included"]
        total["closure"] = _fmt_count(res.table.loc[inc, "events_closure"].sum(),
                                      res.table.loc[inc, "total_closure"].sum())
        total["control"] = _fmt_count(res.table.loc[inc, "events_control"].sum(),
                                      res.table.loc[inc, "total_control"].sum())
    if show_common:
        c = res.common
        name = {"MH": "Common effect model (Mantel-Haenszel)",
                "PETO": "Common effect model (Peto)"}.get(res.method, _MODEL_LABELS["common"])
        rows.append({"kind": "common", "label": prefix + name, "estimate": c["estimate"],
                     "ci_low": c["ci_low"], "ci_high": c["ci_high"],
                     "weight": 100.0 if fixed else np.nan, "filled": False, "group": group,
                     "effect": _fmt_effect(c["estimate"], c["ci_low"], c["ci_high"], percent,
                                           digits),
                     "weight_text": "100.0%" if fixed else "", **total})
        total = {}
    if not fixed:
        hk = ", HKSJ" if res.hksj else ""
        rows.append({"kind": "random", "label": f"{prefix}{_MODEL_LABELS['random']} "
                     f"({res.method}{hk})", "estimate": res.estimate, "ci_low": res.ci_low,
                     "ci_high": res.ci_high, "weight": 100.0, "filled": False, "group": group,
                     "effect": _fmt_effect(res.estimate, res.ci_low, res.ci_high, percent,
                                           digits), "weight_text": "100.0%", **total})
        if res.pi_low is not None:
            rows.append({"kind": "prediction", "label": prefix + "Prediction interval",
                         "estimate": np.nan, "ci_low": res.pi_low, "ci_high": res.pi_high,
                         "weight": np.nan, "filled": False, "group": group,
                         "effect": _fmt_effect(res.estimate, res.pi_low, res.pi_high, percent,
                                               digits).split(" ", 1)[1], "weight_text": ""})
    rows.append({"kind": "heterogeneity", "label": _het_text(res), "estimate": np.nan,
                 "ci_low": np.nan, "ci_high": np.nan, "weight": np.nan, "filled": False,
                 "group": group, "effect": "", "weight_text": ""})
    return rows


def forest_data(result, *, common: bool = True, digits: int = 2,
                title: str | None = None) -> ForestData:
    """Prepare a forest plot of a :class:`~recurrence.meta.results.MetaResult` (or a
    trim-and-fill or subgroup result). Pure: no drawing.

    Parameters
    ----------
    common
        Show the common-effect diamond beside the random-effects one.
    digits
        Decimals of ratios and differences (proportions are shown in percent, 1 decimal).

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
    rows: list[dict] = []
    notes = []
    if isinstance(result, SubgroupResult):
        for name, sub in result.results.items():
            rows.append({"kind": "header", "label": f"{result.by}: {name}", "estimate": np.nan,
                         "ci_low": np.nan, "ci_high": np.nan, "weight": np.nan,
                         "filled": False, "group": name, "effect": "", "weight_text": ""})
            rows += _study_rows(sub, percent, digits, group=name)
            rows += _pooled_rows(sub, percent, digits, common, group=name)
        rows += _pooled_rows(base, percent, digits, common, prefix="Overall: ")
        rows.append({"kind": "test", "label": f"Test for subgroup differences: "
                     f"χ² = {result.q_between:.2f} (df = {result.df_between}), "
                     f"p {_fmt_p(result.pvalue_between)}", "estimate": np.nan,
                     "ci_low": np.nan, "ci_high": np.nan, "weight": np.nan, "filled": False,
                     "group": None, "effect": "", "weight_text": ""})
    else:
        rows += _study_rows(base, percent, digits)
        rows += _pooled_rows(base, percent, digits, common)
    frame = pd.DataFrame(rows)
    for col in ("events", "closure", "control"):
        if col in frame:
            frame[col] = frame[col].fillna("")
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
    right = [("effect", f"{'Rate (%)' if percent else base.measure} [{100 * base.level:g}% CI]"),
             ("weight_text", "Weight")]
    if "filled" in base.table and base.table["filled"].any():
        notes.append("open squares: studies filled by trim and fill")
    lo = frame[["ci_low", "estimate"]].min(axis=1).to_numpy(float)
    hi = frame[["ci_high", "estimate"]].max(axis=1).to_numpy(float)
    xlim = _xlim(np.nanmin(lo) if np.isfinite(lo).any() else 0.0,
                 np.nanmax(hi) if np.isfinite(hi).any() else 1.0, base.is_ratio, percent, null)
    return ForestData(rows=frame, left=left, right=right, xlabel=xlabel, log=base.is_ratio,
                      percent=percent, null=null, favours=favours, xlim=xlim, title=title,
                      notes=notes)


def _xlim(lo, hi, log, percent, null):
    if log:
        lo, hi = max(lo, 1e-3), min(hi, 1e3)
        lo, hi = min(lo, 1.0), max(hi, 1.0)
        return (float(10 ** (np.floor(np.log10(lo) * 2) / 2)),
                float(10 ** (np.ceil(np.log10(hi) * 2) / 2)))
    if percent:
        return (0.0, float(min(1.0, np.ceil(hi * 20) / 20 + 0.05)))
    if null is not None:
        lo, hi = min(lo, null), max(hi, null)
    pad = 0.05 * (hi - lo or 1.0)
    return (lo - pad, hi + pad)


def _inches_to_axes(ax, inches):
    fig = ax.figure
    width = ax.get_position().width * fig.get_figwidth()
    return inches / width


def plot_forest(result, ax=None, *, common: bool = True, digits: int = 2,
                title: str | None = None, color: str | None = None):
    """Draw a forest plot of a meta-analysis result; returns the Axes.

    Parameters
    ----------
    result
        :func:`~recurrence.meta.proportions`, :func:`~recurrence.meta.compare`,
        :func:`~recurrence.meta.trim_and_fill` or :func:`~recurrence.meta.subgroups`
        result (also ``result.plot()``).
    ax
        Axes to draw in; by default a new figure sized to the number of rows, with room
        for the text columns on both sides.
    common
        Show the common-effect diamond beside the random-effects one.
    digits
        Decimals of ratios and differences.
    color
        Colour of the squares (default: the house colour of the closure arm for
        proportions of that arm, black otherwise).
    """
    import matplotlib.pyplot as plt
    from matplotlib import ticker, transforms
    from matplotlib.patches import Polygon, Rectangle

    data = forest_data(result, common=common, digits=digits, title=title)
    rows = data.rows
    n = len(rows)
    # column layout in inches from the panel's edges
    study_labels = rows.loc[rows["kind"].isin(["study", "header", "common", "random",
                                               "prediction"]), "label"]
    label_w = 0.08 * max((len(str(x)) for x in study_labels), default=10)
    counts = [k for k, _ in data.left if k != "label"]
    left_pos = {"control": -0.2, "events": -0.2, "closure": -1.2}
    left_pos["label"] = -(0.2 + 0.95 * len(counts) + 0.25 + label_w)
    right_pos = {"effect": 0.15, "weight_text": 2.8}
    if ax is None:
        panel = 3.2
        width = -left_pos["label"] + panel + right_pos["weight_text"] + 0.5
        height = 1.3 + 0.24 * (n + 2)
        fig = plt.figure(figsize=(width, height))
        ax = fig.add_axes([(0.2 - left_pos["label"]) / width, 1.0 / height, panel / width,
                           1 - 1.5 / height])
    top = rows["y"].max() + 1.4
    bottom = rows["y"].min() - 0.6
    ax.set_ylim(bottom, top)
    ax.set_xlim(*data.xlim)
    if data.log:
        ax.set_xscale("log")
        ax.xaxis.set_major_formatter(ticker.FuncFormatter(lambda v, _: f"{v:g}"))
        ax.xaxis.set_minor_formatter(ticker.NullFormatter())
    elif data.percent:
        ax.xaxis.set_major_formatter(ticker.PercentFormatter(xmax=1, decimals=0))
    for side in ("left", "right", "top"):
        ax.spines[side].set_visible(False)
    ax.set_yticks([])
    ax.set_xlabel(data.xlabel)
    if data.null is not None:
        ax.axvline(data.null, color="0.4", lw=0.8, zorder=1, gid="forest:null")
    square_color = color or PALETTE["pooled"]
    studies = rows[(rows["kind"] == "study") & rows["estimate"].notna()]
    wmax = float(studies["weight"].max()) if len(studies) else 1.0
    lo_x, hi_x = data.xlim
    for r in studies.itertuples():
        lo, hi = max(r.ci_low, lo_x), min(r.ci_high, hi_x)
        ax.plot([lo, hi], [r.y, r.y], color="0.2", lw=0.9, zorder=2, gid="forest:ci")
        if r.ci_low < lo_x:
            ax.plot([lo], [r.y], marker="<", color="0.2", ms=4, zorder=2, gid="forest:arrow")
        if r.ci_high > hi_x:
            ax.plot([hi], [r.y], marker=">", color="0.2", ms=4, zorder=2, gid="forest:arrow")
    if len(studies):
        sizes = 12 + 110 * studies["weight"].to_numpy(float) / (wmax or 1.0)
        face = np.where(studies["filled"].to_numpy(bool), "white", square_color)
        ax.scatter(studies["estimate"], studies["y"], s=sizes, marker="s", c=list(face),
                   edgecolors=square_color, zorder=3, gid="forest:square")
    for r in rows[rows["kind"].isin(["common", "random"])].itertuples():
        h = 0.32
        shade = "0.55" if r.kind == "common" else PALETTE["pooled"]
        ax.add_patch(Polygon([(r.ci_low, r.y), (r.estimate, r.y + h), (r.ci_high, r.y),
                              (r.estimate, r.y - h)], closed=True, facecolor=shade,
                             edgecolor=shade, zorder=3, gid=f"forest:diamond:{r.kind}"))
    for r in rows[rows["kind"] == "prediction"].itertuples():
        lo, hi = max(r.ci_low, lo_x), min(r.ci_high, hi_x)
        ax.add_patch(Rectangle((lo, r.y - 0.12), hi - lo, 0.24, facecolor="0.85",
                               edgecolor="0.3", lw=0.8, zorder=3, gid="forest:prediction"))
    random = rows[rows["kind"] == "random"]
    if len(random) and not isinstance(getattr(result, "results", None), dict):
        ax.axvline(float(random["estimate"].iloc[0]), color="0.5", lw=0.7, ls=":", zorder=1,
                   gid="forest:pooled_line")
    # text columns, at fixed distances (inches) from the panel
    trans = transforms.blended_transform_factory(ax.transAxes, ax.transData)
    bold = {"header", "common", "random"}
    for key, header in data.left:
        x = _inches_to_axes(ax, left_pos[key])
        ha = "left" if key == "label" else "right"
        ax.text(x, top - 0.55, header, transform=trans, ha=ha, va="center", fontweight="bold",
                gid="forest:header", clip_on=False)
        for r in rows.itertuples():
            text = str(getattr(r, key, "") or "")
            if not text:
                continue
            weight = "bold" if r.kind in bold and key == "label" else "normal"
            size = "small" if r.kind in ("heterogeneity", "test") else None
            ax.text(x, r.y, text, transform=trans, ha=ha, va="center", fontweight=weight,
                    fontsize=size, gid=f"forest:{key}", clip_on=False)
    for key, header in data.right:
        x = 1 + _inches_to_axes(ax, right_pos[key])
        ha = "left" if key == "effect" else "right"
        ax.text(x, top - 0.55, header, transform=trans, ha=ha, va="center", fontweight="bold",
                gid="forest:header", clip_on=False)
        for r in rows.itertuples():
            text = str(getattr(r, key, "") or "")
            if text:
                ax.text(x, r.y, text, transform=trans, ha=ha, va="center",
                        fontweight="bold" if r.kind in ("common", "random") else "normal",
                        gid=f"forest:{key}", clip_on=False)
    if data.favours is not None:
        ax.set_xlabel(data.xlabel, labelpad=16)
        for text, ha, pad in ((f"← {data.favours[0]}", "right", -6),
                              (f"{data.favours[1]} →", "left", 6)):
            ax.annotate(text, xy=(data.null, 0), xycoords=("data", "axes fraction"),
                        xytext=(pad, -22), textcoords="offset points", ha=ha, va="top",
                        fontsize="small", gid="forest:favours", annotation_clip=False)
    if data.title:
        ax.set_title(data.title)
    if data.notes:
        ax.annotate("; ".join(data.notes), xy=(0, 0), xycoords="axes fraction",
                    xytext=(0, -48), textcoords="offset points", fontsize="x-small", va="top",
                    gid="forest:note", annotation_clip=False)
    return ax
