"""Axis ticks shared by the figures (and by the tables that print a curve at the
figure's ticks)."""

from __future__ import annotations

import numpy as np

__all__ = ["default_ticks"]


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
