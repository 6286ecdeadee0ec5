"""The report's own display rules: exported tables under the small-cell rule, ratios,
and a rate's place against the published range. Everything else is formatted by
:mod:`recurrence._format`."""

from __future__ import annotations

import math

import pandas as pd

from .._format import count, pct
from .._privacy import small

__all__ = ["count", "effect_text", "ratio", "suppress_counts", "verdict"]


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


def effect_text(x, measure: str) -> str:
    """A pooled effect for print: a percentage for a risk difference, else a ratio."""
    return pct(x) if measure == "RD" else ratio(x)


def verdict(check) -> str:
    word = {"within": "within", "below": "below", "above": "above"}[check.position]
    if check.overlaps is None:
        return f"{word} 3–27%"
    return f"{word} 3–27%" + (
        "" if check.position == "within" else "; CI overlaps" if check.overlaps else "; CI outside"
    )
