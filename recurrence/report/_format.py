"""Rounding and small HTML pieces for the report's words and tables (display only)."""

from __future__ import annotations

import html
import math

import pandas as pd
from markupsafe import Markup

from ..results import fmt_p

__all__ = ["ci_text", "html_rows", "is_missing", "p_text", "pct", "ratio", "verdict"]


def pct(x, digits: int = 1) -> str:
    """A proportion as a percentage for print ("–" when missing)."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    return f"{100 * x:.{digits}f}%"


def ratio(x, digits: int = 2) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    return f"{x:.{digits}f}"


def ci_text(lo, hi, f=pct) -> str:
    return f"{f(lo)} to {f(hi)}"


def html_rows(
    frame: pd.DataFrame, caption: str | None = None, *, text_cols=(), wide=False
) -> Markup:
    """An HTML table of already-formatted strings (escaped)."""
    head = "".join(
        f'<th class="{"text" if c in text_cols else ""}">{html.escape(str(c))}</th>'
        for c in frame.columns
    )
    rows = []
    for _, row in frame.iterrows():
        cells = "".join(
            f'<td class="{"text" if c in text_cols else ""}">{html.escape(str(v))}</td>'
            for c, v in row.items()
        )
        rows.append(f"<tr>{cells}</tr>")
    cap = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    cls = ' class="wide"' if wide else ""
    return Markup(f"<table{cls}>{cap}<tr>{head}</tr>{''.join(rows)}</table>")


def verdict(check) -> str:
    word = {"within": "within", "below": "below", "above": "above"}[check.position]
    if check.overlaps is None:
        return f"{word} 3–27%"
    return f"{word} 3–27%" + (
        "" if check.position == "within" else "; CI overlaps" if check.overlaps else "; CI outside"
    )


def p_text(p) -> str:
    s = fmt_p(p)
    return s if s.startswith("<") else f"= {s}"


def is_missing(x) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))
