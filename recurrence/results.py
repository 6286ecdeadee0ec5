"""The common face of result objects: a readable repr, an HTML table, caveats.

Every estimator returns a small frozen dataclass that mixes in :class:`ResultMixin`.
The dataclass holds the numbers (unrounded, in a tidy ``.table``) and a tuple of
``remarks``: the caveats a reader must see ("2 studies with zero events: 0.5 added").
Rounding happens only here, when displaying.
"""

from __future__ import annotations

import html
import math
from typing import ClassVar

import numpy as np
import pandas as pd

__all__ = ["ResultMixin", "fmt", "fmt_p", "html_table"]


def fmt(x, digits: int = 3) -> str:
    """Format a number for display (never used inside returned tables).

    Examples
    --------
    >>> fmt(0.123456), fmt(12.3456), fmt(None), fmt(float("nan"))
    ('0.123', '12.3', '–', '–')
    """
    if x is None or (isinstance(x, float) and math.isnan(x)) or x is pd.NA:
        return "–"
    if isinstance(x, (bool, np.bool_)):
        return str(bool(x))
    if isinstance(x, (int, np.integer)):
        return f"{int(x):,}"
    if isinstance(x, (float, np.floating)):
        x = float(x)
        if math.isinf(x):
            return "∞" if x > 0 else "−∞"
        ax = abs(x)
        if ax == 0:
            return "0"
        if ax < 1e-3:
            return f"{x:.{digits - 1}e}"
        if ax >= 10**digits:
            return f"{x:,.0f}"
        decimals = max(digits - 1 - math.floor(math.log10(ax)), 0)
        return f"{x:.{decimals}f}"
    return str(x)


def fmt_p(p) -> str:
    """Format a p-value: ``<0.001`` below a thousandth, three decimals otherwise.

    Examples
    --------
    >>> fmt_p(0.04321), fmt_p(1e-9), fmt_p(None)
    ('0.043', '<0.001', '–')
    """
    if p is None or (isinstance(p, float) and math.isnan(p)):
        return "–"
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def _display(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for col in out.columns:
        if col in ("pvalue", "q_pvalue", "p") or str(col).endswith("pvalue"):
            out[col] = out[col].map(fmt_p)
        elif pd.api.types.is_float_dtype(out[col]):
            out[col] = out[col].map(fmt)
    return out


def html_table(frame: pd.DataFrame, index: bool = True) -> str:
    """A DataFrame as an HTML table with display rounding."""
    return _display(frame).to_html(
        index=index, border=0, classes="recurrence-table", na_rep="–", escape=True
    )


class ResultMixin:
    """Shared display for result dataclasses.

    A subclass defines ``table`` (a DataFrame) and ``remarks`` (tuple of str), and may
    override :meth:`summary_lines` (the headline, one line each) and ``title``.
    """

    title: ClassVar[str] = "Result"

    def summary_lines(self) -> list[str]:
        """Headline lines shown above the table."""
        return []

    def to_frame(self) -> pd.DataFrame:
        """The tidy table (unrounded)."""
        return self.table.copy()

    def summary(self) -> str:
        """A plain-text summary: title, headline, rounded table, numbered remarks."""
        parts = [self.title, *self.summary_lines()]
        table = getattr(self, "table", None)
        if isinstance(table, pd.DataFrame) and not table.empty:
            parts.append(_display(table).to_string())
        remarks = getattr(self, "remarks", ())
        parts += [f"[{i}] {r}" for i, r in enumerate(remarks, 1)]
        return "\n".join(parts)

    def __repr__(self) -> str:
        return self.summary()

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        lines = "".join(f"<div>{html.escape(x)}</div>" for x in self.summary_lines())
        table = getattr(self, "table", None)
        body = html_table(table) if isinstance(table, pd.DataFrame) and not table.empty else ""
        remarks = getattr(self, "remarks", ())
        notes = (
            (
                "<ol class='remarks'>"
                + "".join(f"<li>{html.escape(r)}</li>" for r in remarks)
                + "</ol>"
            )
            if remarks
            else ""
        )
        return f"<div><strong>{html.escape(self.title)}</strong>{lines}{body}{notes}</div>"
