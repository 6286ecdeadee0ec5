"""Rounding for the report's words and tables (display only)."""

from __future__ import annotations

import math

import pandas as pd

from .._privacy import small
from ..results import fmt_p

__all__ = [
    "ci_text",
    "count",
    "is_missing",
    "p_text",
    "pct",
    "ratio",
    "suppress_counts",
    "verdict",
]


def pct(x, digits: int = 1) -> str:
    """A proportion as a percentage for print ("–" when missing)."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    return f"{100 * x:.{digits}f}%"


def count(n, min_cell: int | None = None) -> str:
    """A count of patients for print: "1,234", or "< N" under the small-cell rule.

    Examples
    --------
    >>> count(1234), count(3, 5), count(0, 5)
    ('1,234', '< 5', '0')
    """
    if is_missing(n):
        return "–"
    return f"< {min_cell}" if small(n, min_cell) else f"{round(float(n)):,}"


def suppress_counts(frame: pd.DataFrame, columns, min_cell: int | None) -> pd.DataFrame:
    """An exported table with its small counts (and the percentages beside them)
    replaced by "< N"."""
    if min_cell is None:
        return frame
    out = frame.copy()
    hidden = pd.Series(False, index=out.index)
    for col in columns:
        if col in out.columns:
            mask = out[col].map(lambda v: small(v, min_cell)).astype(bool)
            hidden |= mask
            out[col] = out[col].astype(object).where(~mask, f"< {min_cell}")
    for col in ("percent",):
        if col in out.columns:
            out[col] = out[col].astype(object).where(~hidden, "suppressed")
    return out


def ratio(x, digits: int = 2) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    return f"{x:.{digits}f}"


def ci_text(lo, hi, f=pct) -> str:
    return f"{f(lo)} to {f(hi)}"


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
