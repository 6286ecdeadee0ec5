"""The common face of result objects: a readable repr, an HTML table, caveats.

Every estimator returns a small frozen dataclass that mixes in :class:`ResultMixin`.
The dataclass holds the numbers (unrounded, in a tidy ``.table``) and a tuple of
``remarks``: the caveats a reader must see ("2 studies with zero events: 0.5 added").
Rounding happens only when displaying (:mod:`recurrence._format`).
"""

from __future__ import annotations

import html
from typing import ClassVar

import pandas as pd

from ._format import display_frame, html_table
from ._format import fmt_p as fmt_p  # still imported from here by recurrence/report/

__all__ = ["ResultMixin"]


class ResultMixin:
    """Shared display for result dataclasses.

    A subclass defines ``table`` (a DataFrame) and ``remarks`` (tuple of str), and may
    override :meth:`summary_lines` (the headline, one line each) and ``title``.
    """

    title: ClassVar[str] = "Result"
    # provided by each subclass (a frozen dataclass field or a property)
    table: pd.DataFrame
    remarks: tuple[str, ...]

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
            parts.append(display_frame(table).to_string())
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
