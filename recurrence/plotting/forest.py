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
    return (
        f"Heterogeneity: {tau2}I² = {res.i2:.0f}%, Q = {res.q:.2f} (df = {res.q_df}), "
        f"p {_fmt_p(res.q_pvalue)}"
    )


#: ``design`` of the study-table row made by :func:`recurrence.meta.cohort_as_study`.
OWN_COHORT = "own cohort"


def _marked(frame) -> set[str]:
    """Studies a study table marks: ``design`` "own cohort" or a true ``highlight``."""
    if not isinstance(frame, pd.DataFrame) or "study" not in frame:
        return set()
    design = frame["design"] if "design" in frame else pd.Series(pd.NA, index=frame.index)
    mark = design.astype("string").str.strip().str.casefold().eq(OWN_COHORT).fillna(False)
    if "highlight" in frame:
        mark |= frame["highlight"].fillna(False).astype(bool)
    return set(frame.loc[mark.astype(bool), "study"].astype(str))


def _highlight_labels(result, highlight) -> set[str]:
    """The studies to highlight: as given, or as marked in the study table the result
    was fitted to (``result.spec.data``, as meta-regression reads it) or its ``table``."""
    if highlight is False:
        return set()
    if highlight is None or highlight is True:
        found = set()
        for res in [
            result,
            getattr(result, "overall", None),
            *getattr(result, "results", {}).values(),
        ]:
            found |= _marked(getattr(res, "table", None))
            found |= _marked(getattr(getattr(res, "spec", None), "data", None))
        return found
    wanted = {highlight} if isinstance(highlight, str) else {str(x) for x in highlight}
    known = set(getattr(result, "overall", result).table["study"].astype(str))
    if unknown := sorted(wanted - known):
        raise ValueError(
            f"highlight={unknown} names no study of the result; its studies are {sorted(known)}"
        )
    return wanted


def _line(kind, label, group=None):
    """A line of text only (a heading, heterogeneity, a test)."""
    return {
        "kind": kind,
        "label": label,
        "estimate": np.nan,
        "ci_low": np.nan,
        "ci_high": np.nan,
        "weight": np.nan,
        "filled": False,
        "group": group,
        "effect": "",
        "weight_text": "",
    }


def _study_rows(res, percent, digits, group=None, marked=frozenset()):
    rows = []
    t = res.table
    filled = t["filled"].to_numpy(bool) if "filled" in t else np.zeros(len(t), bool)
    for i, r in enumerate(t.itertuples(index=False)):
        row = {
            "kind": "study",
            "label": str(r.study),
            "estimate": np.nan,
            "ci_low": np.nan,
            "ci_high": np.nan,
            "weight": 0.0,
            "filled": bool(filled[i]),
            "group": group,
            "highlight": not filled[i] and str(r.study) in marked,
        }
        if bool(r.included):
            row.update(
                estimate=float(r.estimate),
                ci_low=float(r.ci_low),
                ci_high=float(r.ci_high),
                weight=float(r.weight),
            )
        if res.kind == "proportion":
            row["events"] = (
                ""
                if filled[i]
                else _fmt_count(getattr(r, "events", None), getattr(r, "total", None))
            )
        else:
            row["closure"] = (
                ""
                if filled[i]
                else _fmt_count(
                    getattr(r, "events_closure", None), getattr(r, "total_closure", None)
                )
            )
            row["control"] = (
                ""
                if filled[i]
                else _fmt_count(
                    getattr(r, "events_control", None), getattr(r, "total_control", None)
                )
            )
        row["effect"] = (
            _fmt_effect(row["estimate"], row["ci_low"], row["ci_high"], percent, digits)
            if bool(r.included)
            else "not estimable"
        )
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
        total["events"] = (
            _fmt_count(res.table.loc[inc, "events"].sum(), res.table.loc[inc, "total"].sum())
            if "events" in res.table and res.table["events"].notna().all()
            else ""
        )
    elif "events_closure" in res.table:
        inc = res.table["included"]
        total["closure"] = _fmt_count(
            res.table.loc[inc, "events_closure"].sum(), res.table.loc[inc, "total_closure"].sum()
        )
        total["control"] = _fmt_count(
            res.table.loc[inc, "events_control"].sum(), res.table.loc[inc, "total_control"].sum()
        )
    if show_common:
        c = res.common
        name = {
            "MH": "Common effect model (Mantel-Haenszel)",
            "PETO": "Common effect model (Peto)",
        }.get(res.method, _MODEL_LABELS["common"])
        rows.append(
            {
                "kind": "common",
                "label": prefix + name,
                "estimate": c["estimate"],
                "ci_low": c["ci_low"],
                "ci_high": c["ci_high"],
                "weight": 100.0 if fixed else np.nan,
                "filled": False,
                "group": group,
                "effect": _fmt_effect(c["estimate"], c["ci_low"], c["ci_high"], percent, digits),
                "weight_text": "100.0%" if fixed else "",
                **total,
            }
        )
        total = {}
    if not fixed:
        hk = ", HKSJ" if res.hksj else ""
        rows.append(
            {
                "kind": "random",
                "label": f"{prefix}{_MODEL_LABELS['random']} ({res.method}{hk})",
                "estimate": res.estimate,
                "ci_low": res.ci_low,
                "ci_high": res.ci_high,
                "weight": 100.0,
                "filled": False,
                "group": group,
                "effect": _fmt_effect(res.estimate, res.ci_low, res.ci_high, percent, digits),
                "weight_text": "100.0%",
                **total,
            }
        )
        if res.pi_low is not None:
            rows.append(
                {
                    "kind": "prediction",
                    "label": prefix + "Prediction interval",
                    "estimate": np.nan,
                    "ci_low": res.pi_low,
                    "ci_high": res.pi_high,
                    "weight": np.nan,
                    "filled": False,
                    "group": group,
                    "effect": _fmt_effect(
                        res.estimate, res.pi_low, res.pi_high, percent, digits
                    ).split(" ", 1)[1],
                    "weight_text": "",
                }
            )
    rows.append(_line("heterogeneity", _het_text(res), group))
    return rows


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
                f"p {_fmt_p(result.pvalue_between)}",
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


# ---------------------------------------------------------------------------------------
# layout: measured text columns, inches from the panel

#: Smallest font of any text in a new figure, in points (readable in print).
MIN_FONT = 7.0
_GAP = 0.16  # between two text columns, inches
_PAD = 0.12  # between the panel and the nearest text column
_MARGIN = 0.06  # figure edge
_PANEL = 3.0  # panel width when there is room
_MIN_PANEL = 2.2
_LAST_PANEL = 1.2  # narrowest panel, when nothing else gives way
_SLACK = 1.05  # measured widths are padded: hinting makes screen text a little wider
_SPAN = ("heterogeneity", "test")  # one text running across the plot


def _text_width(text: str, size: float, bold: bool = False) -> float:
    """Width of ``text`` in inches, as drawn (no mathtext), from the font's metrics."""
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import text_to_path

    if not text:
        return 0.0
    prop = FontProperties(size=size, weight="bold" if bold else "normal")
    width, _, _ = text_to_path.get_text_width_height_descent(text, prop, ismath=False)
    return _SLACK * width / 72


@dataclass(frozen=True)
class _Layout:
    size: float  # font of the rows, points
    small: float  # font of the heterogeneity lines and notes
    x: dict  # column -> (panel edge, offset from it in inches, ha)
    labels: list  # row labels, study labels shortened where they had to be
    ends: list  # where each row's label must end, inches from the panel
    left: float  # inches left of the panel taken by text
    right: float  # inches right of the panel
    panel: float
    span: float  # widest line spanning the plot (heterogeneity), inches


def _bold(kind, key, highlight):
    """Bold: the labels of headings, pooled lines and one's own cohort; the numbers of
    the pooled lines (not their counts)."""
    if key == "label":
        return kind in ("header", "common", "random") or bool(highlight)
    return key in ("effect", "weight_text") and kind in ("common", "random")


def _label_widths(data, labels, size):
    rows = data.rows
    return [
        _text_width(t, size, _bold(k, "label", h))
        for t, k, h in zip(labels, rows["kind"], rows["highlight"], strict=True)
    ]


def _arrange(data, labels, size, panel):
    """Columns from the panel outwards, each as wide as its widest text or header. A
    row's label ends a gap before the first count of its row, or before the panel when
    the row has no counts (a pooled line without totals may run across them)."""
    rows = data.rows
    body = ~rows["kind"].isin(_SPAN).to_numpy()
    w = {}
    for key, header in [*data.left[1:], *data.right]:
        texts = [
            _text_width(str(t), size, _bold(k, key, h))
            for t, k, h in zip(rows[key], rows["kind"], rows["highlight"], strict=True)
        ]
        w[key] = max([_text_width(header, size, True), *np.asarray(texts)[body]])
    x, cursor = {}, -_PAD
    counts = [key for key, _ in data.left[1:]]  # the outermost (leftmost) first
    starts = {}
    for key in reversed(counts):  # right-aligned
        x[key] = ("left", cursor, "right")
        starts[key] = cursor - w[key] - _GAP
        cursor = starts[key]
    filled = rows[counts].astype(str).ne("").to_numpy() if counts else np.zeros((len(rows), 0))
    ends = [
        None if not b else starts[counts[f.argmax()]] if f.any() else -_PAD
        for b, f in zip(body, filled, strict=True)
    ]
    header_end = starts[counts[0]] if counts else -_PAD
    widths = _label_widths(data, labels, size)
    left = max(
        [
            _text_width(dict(data.left)["label"], size, True) - header_end,
            *(wl - e for wl, e in zip(widths, ends, strict=True) if e is not None),
        ]
    )
    x["label"] = ("left", -left, "left")
    (effect, _), (weight, _) = data.right
    x[effect] = ("right", _PAD, "left")
    right = _PAD + w[effect] + _GAP + w[weight]
    x[weight] = ("right", right, "right")
    small = max(MIN_FONT, round(0.85 * size, 1))
    span = max((_text_width(s, small) for s in rows.loc[~body, "label"]), default=0.0)
    return _Layout(
        size=size,
        small=small,
        x=x,
        labels=labels,
        ends=ends,
        left=left,
        right=right,
        panel=panel,
        span=span,
    )


def _shorten(text, size, bold, room):
    """``text`` cut to fit ``room`` inches, ending in "…"."""
    if _text_width(text, size, bold) <= room:
        return text
    lo, hi = 0, len(text)
    while lo < hi:  # longest prefix that fits with the ellipsis
        mid = (lo + hi + 1) // 2
        if _text_width(text[:mid].rstrip() + "…", size, bold) <= room:
            lo = mid
        else:
            hi = mid - 1
    return text[:lo].rstrip() + "…"


def _layout(data, size, max_width=None):
    """Column positions; with ``max_width`` (a new figure), fitted into that width:
    the panel narrows, then the font, then long study labels are shortened."""
    labels = data.rows["label"].astype(str).tolist()
    lay = _arrange(data, labels, size, _PANEL)
    if max_width is None:
        return lay
    room = max_width - 2 * _MARGIN
    if lay.left + lay.panel + lay.right <= room:
        return lay
    panel = max(_MIN_PANEL, room - lay.left - lay.right)
    lay = _arrange(data, labels, size, panel)
    while lay.left + panel + lay.right > room and size > MIN_FONT:
        size = max(MIN_FONT, size - 0.5)
        lay = _arrange(data, labels, size, panel)
    over = lay.left + panel + lay.right - room
    if over > 0:
        start = lay.left - over
        labels = [
            _shorten(t, size, _bold(k, "label", h), max(start + end, 0.6))
            if k in ("study", "header")
            else t
            for t, end, k, h in zip(
                labels, lay.ends, data.rows["kind"], data.rows["highlight"], strict=True
            )
        ]
        lay = _arrange(data, labels, size, panel)
    # the model lines are never shortened: if they still do not fit, the panel gives way
    panel = max(_LAST_PANEL, min(panel, room - lay.left - lay.right))
    return _arrange(data, labels, size, panel)


def _panel_locator(left, right, bottom, top):
    """Place the panel ``left``/``right``/``bottom``/``top`` inches from the figure's
    edges whatever the figure's size (the text columns keep their widths)."""
    from matplotlib.transforms import Bbox

    def locate(ax, renderer):
        w, h = ax.figure.get_size_inches()
        x0, y0 = left / w, bottom / h
        return Bbox.from_bounds(x0, y0, max(1 - x0 - right / w, 0.05), max(1 - y0 - top / h, 0.05))

    return locate


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
    color
        Colour of the squares (default black).
    highlight
        Study label(s) to highlight; by default one's own cohort (see :func:`forest_data`).
    fontsize
        Font of the rows in points (default ``rcParams["font.size"]``).
    max_width
        Widest a new figure may be, inches: the panel, then the font (down to 7 pt),
        then overlong study labels give way.
    """
    import matplotlib as mpl
    import matplotlib.pyplot as plt
    from matplotlib import ticker, transforms
    from matplotlib.patches import Polygon, Rectangle

    data = forest_data(result, common=common, digits=digits, title=title, highlight=highlight)
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
        ax = fig.add_axes([0, 0, 1, 1])
        ax.set_axes_locator(
            _panel_locator(_MARGIN + lay.left, width - _MARGIN - lay.left - lay.panel, below, above)
        )
    fig = ax.figure
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
    if len(random) and not isinstance(getattr(result, "results", None), dict):
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
