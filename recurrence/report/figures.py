"""Drawing the report's figures from result objects (nothing here computes a statistic).

Each :class:`~recurrence.report.document.Figure` holds a ``draw()`` that calls the
public plotting function of its result inside the house style. :func:`render` draws
them all as SVG (text as paths: identical on every machine, and what Typst and browsers
embed; PNG too for Word, which has no SVG). Artists of many small marks (the censoring
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
import os
from collections.abc import Callable

from .document import Document, Figure

__all__ = ["PAGE_WIDTH", "RASTERIZED", "draw_figure", "render"]

#: Width of the text block of an A4 page with the report's margins, in inches.
PAGE_WIDTH = 7.0
#: Below this many figures, workers cost more than they save.
MIN_PARALLEL = 4
#: Dots per inch of the PNG copies (Word).
PNG_DPI = 200
#: Artists (by the start of their ``gid``) drawn as an image inside the SVG.
RASTERIZED = ("censored:", "band:")


def draw_figure(draw: Callable, width: float, png: bool) -> tuple[str, bytes | None]:
    """Run ``draw()`` (returns an Axes) in the house style; its figure as SVG text and,
    with ``png``, PNG bytes. The figure is scaled to at most ``width`` inches."""
    import matplotlib.pyplot as plt

    from ..plotting import style

    with style():
        ax = draw()
        fig = ax.figure
        w, h = fig.get_size_inches()
        if w > width:
            fig.set_size_inches(width, h * width / w)
        for artist in fig.findobj(lambda a: (a.get_gid() or "").startswith(RASTERIZED)):
            artist.set_rasterized(True)
        buf = io.StringIO()
        fig.savefig(buf, format="svg", bbox_inches="tight")
        data = None
        if png:
            raw = io.BytesIO()
            fig.savefig(raw, format="png", dpi=PNG_DPI, bbox_inches="tight")
            data = raw.getvalue()
        plt.close(fig)
    return buf.getvalue(), data


def render(doc: Document, *, png: bool = False, jobs: int | None = None) -> None:
    """Draw every figure of ``doc`` (in place: ``figure.svg``, ``figure.png``)."""
    figures = [f for f in doc.figures if f.svg is None or (png and f.png is None)]
    if not figures:
        return
    import matplotlib.pyplot as plt  # noqa: F401  (imported once, inherited by the workers)

    jobs = jobs if jobs is not None else min(cores(), 4)
    if jobs > 1 and len(figures) >= MIN_PARALLEL and can_fork():
        _render_forked(figures, png, jobs)
    for f in figures:  # serially, or what a worker did not return
        if f.svg is None or (png and f.png is None):
            f.svg, f.png = draw_figure(f.draw, f.width * PAGE_WIDTH, png)


def _render_forked(figures: list[Figure], png: bool, jobs: int) -> None:
    """This process and ``jobs - 1`` forked workers draw the figures, each taking the
    next undrawn one from a shared counter. A worker sends its drawings back when the
    counter runs out; the figures of a worker that failed are left to :func:`render`,
    which draws them here (and raises here what went wrong)."""
    import multiprocessing

    ctx = multiprocessing.get_context("fork")
    counter = ctx.Value("i", 0)

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
        return (i, *draw_figure(f.draw, f.width * PAGE_WIDTH, png))

    def work(conn) -> None:
        quiet_worker()
        try:
            conn.send([draw(i) for i in claimed()])
        except BaseException:  # nothing sent: the parent draws what this one claimed
            pass
        finally:
            conn.close()
            os._exit(0)

    workers = []
    for _ in range(jobs - 1):
        parent_end, child_end = ctx.Pipe(duplex=False)
        proc = ctx.Process(target=work, args=(child_end,), daemon=True)
        proc.start()
        child_end.close()
        workers.append((proc, parent_end))
    try:
        done = [draw(i) for i in claimed()]
        for _proc, conn in workers:
            try:
                done += conn.recv()
            except (EOFError, OSError):  # a worker failed: render() draws its figures
                continue
    finally:
        for proc, conn in workers:
            conn.close()
            proc.join(timeout=5)
            if proc.is_alive():
                proc.terminate()
    for i, svg, data in done:
        figures[i].svg, figures[i].png = svg, data


def cores() -> int:
    """Cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not Linux
        return os.cpu_count() or 1


def can_fork() -> bool:
    """Fork is cheap and safe here only on POSIX, from the main thread (a forked copy of
    a multi-threaded process may deadlock)."""
    import threading

    return os.name == "posix" and threading.active_count() == 1


def quiet_worker() -> None:
    """A forked worker ends quietly when it is ended: not through the command's own
    SIGTERM handler (which would print a traceback for a clean shutdown)."""
    import signal

    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
