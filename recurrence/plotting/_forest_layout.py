"""The layout of a forest plot: text columns measured from the font and placed at fixed
distances in inches from the panel, and a new figure fitted into a maximum width (the
panel narrows, then the font, then long study labels are shortened). Used by
:func:`recurrence.plotting.forest.plot_forest`.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

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
    import matplotlib as mpl

    if not text:
        return 0.0
    fonts = tuple(mpl.rcParams["font.family"]), tuple(mpl.rcParams["font.sans-serif"])
    return _measured(text, float(size), bool(bold), fonts)


@functools.lru_cache(maxsize=8192)
def _measured(text: str, size: float, bold: bool, fonts: tuple) -> float:
    """:func:`_text_width`, remembered: the layout measures the same labels and numbers
    at each font size it tries (a forest plot: about 370 measurements of 60 texts), and
    FreeType's layout of a string is most of a forest plot's drawing time. ``fonts``
    (the families in force) is part of the key; FontProperties reads them."""
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import text_to_path

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
