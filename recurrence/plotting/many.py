"""Many analyses at once (:func:`recurrence.meta.pool_many`): each analysis' pooled
estimate and interval on one row, labelled. :func:`many_data` prepares it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["many_data", "plot_many"]


def many_data(batch, limit: int = 60) -> pd.DataFrame:
    """The first ``limit`` analyses, top to bottom: ``y``, ``label``, ``estimate``,
    ``ci_low``, ``ci_high`` (model scale).

    Examples
    --------
    >>> from recurrence.meta import pool_many
    >>> b = pool_many([[0.1, 0.3, 0.2], [0.5, 0.4, 0.6]], [[0.02] * 3] * 2, method="DL",
    ...               labels=["first", "second"])
    >>> many_data(b)["label"].tolist()
    ['first', 'second']
    """
    frame = batch.to_frame().head(limit)
    return pd.DataFrame(
        {
            "y": np.arange(len(frame))[::-1].astype(float),
            "label": frame["analysis"],
            "estimate": frame["estimate"],
            "ci_low": frame["ci_low"],
            "ci_high": frame["ci_high"],
        }
    )


def plot_many(batch, ax=None, *, limit: int = 60, null: float | None = 0.0):
    """One row per analysis (model scale); returns the Axes.

    Parameters
    ----------
    batch : BatchPooled
        From :func:`recurrence.meta.pool_many`.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure when ``None``.
    limit : int, default 60
        Most analyses drawn (the first ``limit``).
    null : float or None, default 0
        Position of the no-effect line on the model scale; ``None`` for none.

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on.

    Examples
    --------
    >>> from recurrence.meta import pool_many
    >>> b = pool_many([[0.1, 0.3, 0.2], [0.5, 0.4, 0.6]], [[0.02] * 3] * 2, method="DL",
    ...               labels=["device A", "device B"])
    >>> ax = plot_many(b)
    >>> [t.get_text() for t in ax.get_yticklabels()]
    ['device A', 'device B']
    """
    import matplotlib.pyplot as plt

    rows = many_data(batch, limit)
    if ax is None:
        _, ax = plt.subplots(figsize=(5.5, 0.25 * len(rows) + 1.0))
    ax.hlines(rows["y"], rows["ci_low"], rows["ci_high"], color="0.2", lw=1.0, gid="many:ci")
    ax.plot(rows["estimate"], rows["y"], "s", color="0.1", ms=4, gid="many:estimate")
    if null is not None:
        ax.axvline(null, color="0.5", lw=0.8, gid="many:null")
    ax.set_yticks(rows["y"], rows["label"])
    what = "posterior median, credible interval" if batch.method == "bayes" else "estimate, CI"
    ax.set_xlabel(f"Pooled effect, model scale ({what}; {batch.method})")
    for side in ("right", "top"):
        ax.spines[side].set_visible(False)
    return ax
