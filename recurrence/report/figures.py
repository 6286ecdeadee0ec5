"""Drawing the report's figures from result objects (nothing here computes a statistic).

Each :class:`~recurrence.report.document.Figure` holds a ``draw()`` that calls the
public plotting function of its result inside the house style. :func:`render` draws
them all as SVG: with text as paths for HTML (a browser shows an SVG image with its own
fonts, which may not be matplotlib's), or with text kept as text for the PDF (Typst is
given matplotlib's own DejaVu fonts, :func:`font_dirs`: half the drawing time of the paths,
a smaller PDF, the same page); PNG too for Word, which has no SVG. Each SVG is cropped to
what is drawn (``bbox_inches="tight"`` without its second layout pass, :func:`_svg`).
Artists of many small marks (the censoring
ticks and the interval bands of the survival curves) are rasterized inside the SVG: one
image instead of a vector mark per tick, which is what makes a curve of a large cohort
cheap to draw and to typeset; lines, text and the other marks stay vectors.

With several figures and cores, this process and worker processes forked from it (which
inherit the analyses and the imported matplotlib, so nothing is pickled but the
drawings) take the figures one at a time from a shared counter until none is left; the
parent draws its share instead of waiting. Measured on the default report (14 figures,
2 shared cores, loaded machine): ``docs/report.md``.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from pathlib import Path

from .._fork import NOTHING, cores, fork_call
from .document import Document, Figure

__all__ = ["PAGE_WIDTH", "RASTERIZED", "draw_figure", "font_dirs", "render"]

#: Width of the text block of an A4 page with the report's margins, in inches.
PAGE_WIDTH = 7.0
#: Below this many figures, workers cost more than they save.
MIN_PARALLEL = 4
#: Dots per inch of the PNG copies (Word).
PNG_DPI = 200
#: Artists (by the start of their ``gid``) drawn as an image inside the SVG.
RASTERIZED = ("censored:", "band:")


def draw_figure(
    draw: Callable, width: float, png: bool, text: bool = False
) -> tuple[str, bytes | None]:
    """Run ``draw()`` (returns an Axes) in the house style; its figure as SVG text and,
    with ``png``, PNG bytes. The figure is scaled to at most ``width`` inches. ``text``:
    the SVG's text stays text (in matplotlib's fonts, :func:`font_dirs`), else it is drawn
    as glyph paths."""
    import matplotlib as mpl
    import matplotlib.pyplot as plt

    from ..plotting import style

    with style():
        mpl.rcParams["svg.fonttype"] = "none" if text else "path"
        ax = draw()
        fig = ax.figure
        w, h = fig.get_size_inches()
        if w > width:
            fig.set_size_inches(width, h * width / w)
        for artist in fig.findobj(lambda a: (a.get_gid() or "").startswith(RASTERIZED)):
            artist.set_rasterized(True)
        svg = _svg(fig)
        data = None
        if png:
            raw = io.BytesIO()
            fig.savefig(raw, format="png", dpi=PNG_DPI, bbox_inches="tight")
            data = raw.getvalue()
        plt.close(fig)
    return svg, data


#: The root element of matplotlib's SVG: its size in points and its viewBox.
_ROOT = re.compile(r'<svg ([^>]*?)width="[^"]*" height="[^"]*" viewBox="[^"]*"')


def _svg(fig) -> str:
    """``fig`` as SVG cropped to what it draws plus ``savefig.pad_inches``, as
    ``bbox_inches="tight"`` crops it, from one drawing: "tight" lays the whole figure
    out once to measure it and again to write it (with text kept as text that second
    pass was a third of each figure's time), where the crop only moves the SVG's
    viewBox. The box is measured at the end of the SVG's own drawing, with its renderer
    (matplotlib's ``draw_event``): the text extents it has just computed are reused
    (from its cache), and they are those of the glyph outlines the SVG and Typst set,
    where a measure by the screen renderer takes hinted widths, a few points wider.
    Measured against "tight" on the default report: ``docs/report.md``."""
    import matplotlib as mpl

    buf = io.StringIO()
    boxes: list = []
    cid = fig.canvas.mpl_connect(
        "draw_event", lambda event: boxes.append(fig.get_tightbbox(event.renderer))
    )
    try:
        fig.savefig(buf, format="svg")
    finally:
        fig.canvas.mpl_disconnect(cid)
    svg = buf.getvalue()
    box = boxes[-1].padded(mpl.rcParams["savefig.pad_inches"])
    height = fig.get_size_inches()[1]
    x0, y0 = 72 * box.x0, 72 * (height - box.y1)  # SVG's y axis points down
    w, h = 72 * box.width, 72 * box.height
    size = f'width="{w:.2f}pt" height="{h:.2f}pt" viewBox="{x0:.2f} {y0:.2f} {w:.2f} {h:.2f}"'
    return _ROOT.sub(lambda m: f"<svg {m.group(1)}{size}", svg, count=1)


def font_dirs() -> list[str]:
    """The folder of the fonts that the SVG text of :func:`draw_figure` (``text=True``)
    names: matplotlib's own (DejaVu Sans), so Typst sets the figures' text in the font
    matplotlib measured it in, on every machine."""
    import matplotlib as mpl

    return [str(Path(mpl.get_data_path()) / "fonts" / "ttf")]


def render(
    doc: Document, *, png: bool = False, text: bool = False, jobs: int | None = None
) -> None:
    """Draw every figure of ``doc`` (in place: ``figure.svg`` with text as paths, or
    ``figure.svg_text`` with ``text=True``; ``figure.png`` with ``png=True``)."""
    figures = [f for f in doc.figures if _missing(f, png, text)]
    if not figures:
        return
    import matplotlib.pyplot as plt  # noqa: F401  (imported once, inherited by the workers)

    jobs = jobs if jobs is not None else min(cores(), 4)
    if jobs > 1 and len(figures) >= MIN_PARALLEL:
        _render_forked(figures, png, text, jobs)
    for f in figures:  # serially, or what a worker did not return
        if _missing(f, png, text):
            _store(f, text, *draw_figure(f.draw, f.width * PAGE_WIDTH, png, text))


def _missing(f: Figure, png: bool, text: bool) -> bool:
    return (f.svg_text if text else f.svg) is None or (png and f.png is None)


def _store(f: Figure, text: bool, svg: str, png: bytes | None) -> None:
    if text:
        f.svg_text = svg
    else:
        f.svg = svg
    f.png = png if png is not None else f.png


def _render_forked(figures: list[Figure], png: bool, text: bool, jobs: int) -> None:
    """This process and ``jobs - 1`` forked workers (:func:`recurrence._fork.fork_call`)
    draw the figures, each taking the next undrawn one from a shared counter. A worker
    sends its drawings back when the counter runs out; the figures of a worker that
    failed are left to :func:`render`, which draws them here (and raises here what went
    wrong)."""
    import multiprocessing

    counter = multiprocessing.get_context("fork").Value("i", 0)

    def claimed():
        while True:
            with counter.get_lock():
                i = counter.value
                counter.value += 1
            if i >= len(figures):
                return
            yield i

    def draw(i):
        f = figures[i]
        return (i, *draw_figure(f.draw, f.width * PAGE_WIDTH, png, text))

    workers = [fork_call(lambda: [draw(i) for i in claimed()]) for _ in range(jobs - 1)]
    try:
        done = [draw(i) for i in claimed()]
        for worker in workers:
            sent = worker.result() if worker is not None else NOTHING
            if sent is not NOTHING:  # else: render() draws that worker's figures
                done += sent
    finally:
        for worker in workers:
            if worker is not None:
                worker.close()
    for i, svg, data in done:
        _store(figures[i], text, svg, data)
