"""The house style for figures, opt-in: ``with recurrence.plotting.style(): ...``.

Colours: the no-closure arm is grey-blue, the closure arm orange (colour-blind safe,
Okabe-Ito), so an arm has the same colour in every figure of a report.
"""

from __future__ import annotations

import contextlib

PALETTE = {
    "no closure": "#0072B2",
    "closure": "#E69F00",
    "all patients": "#333333",
    "pooled": "#000000",
    "range": "#009E73",
    "cohort": "#CC79A7",
}
#: Colours for further groups, in order.
CYCLE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]
#: Grey of reference lines (a target, a threshold).
REFERENCE = "0.6"

RC = {
    "figure.dpi": 110,
    "savefig.dpi": 200,
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.labelsize": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "legend.frameon": False,
    "legend.fontsize": 8,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "svg.fonttype": "path",  # WeasyPrint collapses spaces with "none" (docs/report.md)
}


def color_for(group: str, index: int = 0) -> str:
    """The colour of a group: fixed for the arms, from :data:`CYCLE` otherwise."""
    return PALETTE.get(group, CYCLE[index % len(CYCLE)])


@contextlib.contextmanager
def style():
    """Apply the house style inside a ``with`` block; restore everything after.

    Yields
    ------
    None
        Inside the block matplotlib draws in the house style (fonts, sizes, grid); the
        settings before it are restored on leaving, also after an error.

    Examples
    --------
    >>> import matplotlib as mpl
    >>> before = mpl.rcParams["axes.spines.top"]
    >>> with style():
    ...     inside = mpl.rcParams["axes.spines.top"]
    >>> inside, mpl.rcParams["axes.spines.top"] == before
    (False, True)
    """
    import matplotlib as mpl

    with mpl.rc_context(RC):
        yield
