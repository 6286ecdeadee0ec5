"""Axis ticks shared by the figures (and by the tables that print a curve at the
figure's ticks)."""

from __future__ import annotations

import numpy as np

__all__ = ["default_ticks", "ratio_axis"]


def default_ticks(max_time: float, max_ticks: int = 9) -> np.ndarray:
    """Readable month ticks from 0: a step of 1, 2, 3, 6, 12, 24, 60 or 120 months.

    Examples
    --------
    >>> from recurrence.plotting._ticks import default_ticks
    >>> default_ticks(96).tolist()
    [0.0, 12.0, 24.0, 36.0, 48.0, 60.0, 72.0, 84.0, 96.0]
    >>> default_ticks(30).tolist()
    [0.0, 6.0, 12.0, 18.0, 24.0, 30.0]
    """
    max_time = float(max_time) if np.isfinite(max_time) and max_time > 0 else 1.0
    for step in (1, 2, 3, 6, 12, 24, 60, 120, 240, 600):
        if max_time / step <= max_ticks - 1:
            break
    return np.arange(0, np.floor(max_time / step) * step + step / 2, step, dtype=float)


def ratio_axis(axis, lo: float, hi: float) -> None:
    """A log axis of ratios (HR, RR, OR) from ``lo`` to ``hi`` labelled with plain
    numbers: at 1-2-5 steps up to about one and a half decades (0.5, 1, 2 on an axis
    from 0.32 to 3.2, where decades alone would label only the 1), at decades beyond.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> from recurrence.plotting._ticks import ratio_axis
    >>> fig, ax = plt.subplots()
    >>> ax.set_xscale("log"); ax.set_xlim(10**-0.5, 10**0.5)
    (0.31622776601683794, 3.1622776601683795)
    >>> lo, hi = ax.get_xlim()
    >>> ratio_axis(ax.xaxis, lo, hi)
    >>> [f"{v:g}" for v in ax.xaxis.get_majorticklocs() if lo <= v <= hi]
    ['0.5', '1', '2']
    >>> ratio_axis(ax.xaxis, 0.1, 10.0)
    >>> [f"{v:g}" for v in ax.xaxis.get_majorticklocs() if 0.1 <= v <= 10]
    ['0.1', '1', '10']
    >>> plt.close(fig)
    """
    from matplotlib import ticker

    decades = np.log10(hi / lo) if lo > 0 and hi > lo else 0.0
    subs = (1.0, 2.0, 5.0) if decades <= 1.55 else (1.0,)
    axis.set_major_locator(ticker.LogLocator(base=10, subs=subs))
    axis.set_major_formatter(ticker.FuncFormatter(lambda v, _: f"{v:g}"))
    axis.set_minor_formatter(ticker.NullFormatter())
