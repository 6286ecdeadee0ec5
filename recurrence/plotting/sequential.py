"""The trial sequential analysis figure: the cumulative z-curve against the Lan-DeMets
O'Brien-Fleming monitoring boundaries and the conventional ±1.96, with the required
information size as a vertical line. Reads a
:class:`~recurrence.meta.tsa.SequentialResult`; :func:`sequential_data` prepares it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._dist import norm
from .style import PALETTE

__all__ = ["plot_sequential", "sequential_data"]

#: Boundaries above this are drawn at it (the first looks spend almost no α).
CAP = 8.0


def sequential_data(tsa) -> dict:
    """What the figure draws: ``curve`` (participants, z, starting at 0), ``boundary``
    (participants, upper; capped at :data:`CAP`, NaN where infinite), ``conventional``
    (the two-sided z of ``alpha``), ``ris`` and ``accrued``.

    Examples
    --------
    >>> from recurrence.meta import compare, sequential
    >>> from recurrence.meta.datasets import bcg
    >>> b = bcg()
    >>> data = sequential_data(sequential(compare(b.events_closure, b.total_closure,
    ...                                           b.events_control, b.total_control)))
    >>> float(data["curve"]["z"].iloc[0]), round(data["conventional"], 2)
    (0.0, 1.96)
    """
    t = tsa.table
    curve = pd.DataFrame({"participants": np.r_[0.0, t["participants"]], "z": np.r_[0.0, t["z"]]})
    upper = t["boundary"].to_numpy(float)
    boundary = pd.DataFrame(
        {
            "participants": t["participants"].to_numpy(float),
            "upper": np.where(np.isfinite(upper), np.minimum(upper, CAP), np.nan),
        }
    )
    return {
        "curve": curve,
        "boundary": boundary,
        "conventional": float(norm.isf(tsa.alpha / 2)),
        "ris": tsa.ris,
        "accrued": tsa.accrued,
        "labels": t["study"].tolist(),
    }


def plot_sequential(tsa, ax=None, *, labels: bool = False):
    """Draw the z-curve, the boundaries and the required information size; returns the
    Axes. ``labels``: name each study at its point of the curve.

    Parameters
    ----------
    tsa : SequentialResult
        From :func:`recurrence.meta.sequential`.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure when ``None``.
    labels : bool, default False
        Name each study at its point of the curve.

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on.

    Examples
    --------
    >>> from recurrence import load_studies
    >>> from recurrence.meta import compare_studies, sequential
    >>> ax = plot_sequential(sequential(compare_studies(load_studies(), method="MH")))
    >>> ax.get_xlabel()
    'Participants (cumulative)'
    """
    import matplotlib.pyplot as plt

    data = sequential_data(tsa)
    if ax is None:
        _, ax = plt.subplots(figsize=(6.5, 4.0))
    c, b = data["curve"], data["boundary"]
    ax.axhline(0, color="0.6", lw=0.6, gid="tsa:zero")
    for sign in (1, -1):
        ax.axhline(
            sign * data["conventional"], color="0.5", lw=0.8, ls="--", gid="tsa:conventional"
        )
    ax.plot(
        b["participants"],
        b["upper"],
        color=PALETTE["range"],
        lw=1.4,
        marker="o",
        ms=3,
        gid="tsa:boundary_upper",
        label="monitoring boundaries (O'Brien-Fleming)",
    )
    ax.plot(
        b["participants"],
        -b["upper"],
        color=PALETTE["range"],
        lw=1.4,
        marker="o",
        ms=3,
        gid="tsa:boundary_lower",
    )
    ax.plot(
        c["participants"],
        c["z"],
        color=PALETTE["closure"],
        lw=1.8,
        marker="s",
        ms=4,
        gid="tsa:z",
        label="cumulative z",
    )
    if np.isfinite(data["ris"]):
        ax.axvline(
            data["ris"],
            color=PALETTE["pooled"],
            lw=1.0,
            ls=":",
            gid="tsa:ris",
            label=f"required information ({data['ris']:,.0f})",
        )
    if labels:
        for x, y, name in zip(c["participants"][1:], c["z"][1:], data["labels"], strict=True):
            ax.annotate(
                name, (x, y), xytext=(3, 3), textcoords="offset points", fontsize=7, gid="tsa:label"
            )
    top = max(CAP, float(np.nanmax(np.abs(c["z"]))) * 1.1)
    ax.set_ylim(-top, top)
    ax.set_xlim(0, max(data["accrued"], data["ris"] if np.isfinite(data["ris"]) else 0) * 1.05)
    ax.set_xlabel("Participants (cumulative)")
    ax.set_ylabel("Cumulative z (negative favours closure)")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0, fontsize=8)
    return ax
