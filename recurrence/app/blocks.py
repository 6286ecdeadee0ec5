"""What a tab shows, and how each piece of it downloads.

A tab is a list of :class:`Block`: a heading, some HTML (a rounded table, a headline),
and, where there is one, the unrounded table (downloads as CSV and xlsx) and the figure
(downloads as PNG and SVG). Figures are drawn from result objects by the package's own
plotting functions, inside its house style, when they are asked for.

Computing and drawing hold one lock: matplotlib's pyplot and the warnings filters are
process-wide, and the app serves one person (several tabs of one browser at most).
"""

from __future__ import annotations

import contextlib
import html
import io
import threading
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from matplotlib.axes import Axes

from .._format import MISSING, display_frame, fmt

__all__ = [
    "COMPUTE_LOCK",
    "Block",
    "Tab",
    "captured",
    "figure_bytes",
    "headline",
    "table_bytes",
]

#: Held while anything is computed or drawn (see the module docstring).
COMPUTE_LOCK = threading.RLock()

FIGURE_FORMATS = {"png": "image/png", "svg": "image/svg+xml"}
TABLE_FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@dataclass
class Block:
    """One piece of a tab. ``name`` keys its downloads (``/table/NAME.csv``,
    ``/figure/NAME.png``)."""

    name: str
    title: str
    html: str = ""
    table: pd.DataFrame | None = field(default=None, repr=False)
    figure: Callable[[], Axes] | None = field(default=None, repr=False)
    notes: tuple[str, ...] = ()
    alt: str = ""


@dataclass
class Tab:
    """A tab's blocks, the caveats raised while computing them, and a message when
    the tab has nothing to show (no cohort loaded, too few studies)."""

    blocks: list[Block] = field(default_factory=list)
    warnings: tuple[str, ...] = ()
    empty: str | None = None

    def block(self, name: str) -> Block | None:
        return next((b for b in self.blocks if b.name == name), None)


@contextlib.contextmanager
def captured():
    """Hold the lock and collect the package's warnings as text (shown on the page
    instead of being lost in a terminal). Yields the list they are added to."""
    from ..errors import RecurrenceWarning

    seen: list[str] = []
    with COMPUTE_LOCK, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", RecurrenceWarning)
        try:
            yield seen
        finally:
            seen.extend(dict.fromkeys(str(w.message) for w in caught))


#: Column headings on the page (the downloads keep the tidy names). Months are the
#: package's unit of time; "CI" is the interval at the plan's level.
HEADINGS = {
    "time": "month",
    "term": "term",
    "coef": "coefficient (log)",
    "se": "SE",
    "hr": "HR",
    "shr": "SHR",
    "ci_low": "CI from",
    "ci_high": "CI to",
    "pvalue": "p",
    "incidence": "cumulative incidence",
    "one_minus_km": "1 − Kaplan-Meier",
    "km_ci_low": "1 − KM, CI from",
    "km_ci_high": "1 − KM, CI to",
    "at_risk": "at risk",
    "events": "events",
    "competing": "competing events",
    "risk_closure": "risk, closure",
    "risk_control": "risk, no closure",
    "difference": "difference",
    "nnt_label": "NNT (treat) / NNH (harm)",
    "at_risk_closure": "at risk, closure",
    "at_risk_control": "at risk, no closure",
    "events_closure": "events, closure",
    "total_closure": "patients, closure",
    "events_control": "events, no closure",
    "total_control": "patients, no closure",
    "weight": "weight (%)",
    "tau2": "τ²",
    "pi_low": "prediction from",
    "pi_high": "prediction to",
    "relative": "relative effect",
    "assumed_per_1000": "without closure, per 1,000",
    "corresponding_per_1000": "with closure, per 1,000",
    "corresponding_low": "with closure, from",
    "corresponding_high": "with closure, to",
    "control_incidence": "reherniation without closure by the horizon",
    "horizon": "horizon (months)",
    "accrual": "recruitment (months)",
    "followup": "follow-up after the last patient (months)",
    "alpha": "α (two-sided)",
    "ratio": "allocation closure : no closure",
    "n_closure": "patients, closure",
    "n_control": "patients, no closure",
    "n_total": "patients in total",
    "n_per_arm": "patients without closure",
    "replicates": "simulated trials",
    "power_mcse": "power, Monte Carlo SE",
    "analytic_power": "power by formula",
    "failed": "failed fits",
}


def rounded(frame: pd.DataFrame, *, index: bool = False, shown=None) -> str:
    """A table as HTML, rounded for display (the package's own rounding), with the
    columns ``shown`` (all by default) under readable headings (:data:`HEADINGS`)."""
    if shown is not None:
        frame = frame[[c for c in shown if c in frame.columns]]
    out = display_frame(frame).rename(columns=lambda c: HEADINGS.get(c, str(c)))
    return out.to_html(
        index=index, border=0, classes="recurrence-table", na_rep=MISSING, escape=True
    )


def headline(items: Sequence[tuple[str, str, float | None, str]], shown=fmt) -> str:
    """Headline numbers as a definition list. Each item: (key, label, value, text);
    ``shown`` formats the value (:func:`recurrence._format.fmt`, or ``pct`` for a
    proportion). The exact value rides along in ``data-exact`` (what the browser tests
    compare)."""
    rows = []
    for key, label, value, text in items:
        exact = "" if value is None else repr(float(value))
        rows.append(
            f"<dt>{html.escape(label)}</dt><dd><span class='value' data-key='{html.escape(key)}'"
            f" data-exact='{exact}'>{html.escape(shown(value) if value is not None else MISSING)}"
            f"</span> {html.escape(text)}</dd>"
        )
    return "<dl class='headline'>" + "".join(rows) + "</dl>"


def figure_bytes(block: Block, fmt_: str) -> bytes:
    """The block's figure as PNG or SVG bytes."""
    import matplotlib.pyplot as plt
    from matplotlib.figure import Figure

    from ..plotting import style

    with COMPUTE_LOCK, style(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # drawing repeats what computing already said
        assert block.figure is not None  # get_figure answers 404 for a block without one
        ax = block.figure()
        fig = ax.figure
        assert isinstance(fig, Figure)  # the tabs' plots draw on a figure of their own
        buf = io.BytesIO()
        try:
            fig.savefig(buf, format=fmt_, dpi=150, bbox_inches="tight")
        finally:
            plt.close(fig)
    return buf.getvalue()


def table_bytes(block: Block, fmt_: str) -> bytes:
    """The block's table as CSV (formula-safe text) or xlsx (neutralized cells)."""
    from ..export import csv_text, neutralize

    frame = block.table
    if fmt_ == "csv":
        return csv_text(frame).encode("utf-8")
    buf = io.BytesIO()
    neutralize(frame).to_excel(buf, index=False, sheet_name=block.name[:31], engine="openpyxl")
    return buf.getvalue()
