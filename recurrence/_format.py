"""Numbers for display: the one place that rounds (returned tables never are).

Results, plots and messages format through these functions, so that a p-value, a
percentage or an interval reads the same in a notebook repr, a figure and the report.

======================  ==========================================  ==========================
function                what                                        reads
======================  ==========================================  ==========================
:func:`fmt`             any number, ``digits`` significant          ``0.123``, ``12.3``, ``1,234``
:func:`fmt_setting`     an argument value (4 significant digits)    ``0.0012``, ``24``
:func:`fmt_p`           a p-value in a table                        ``0.043``, ``<0.001``
:func:`p_text`          a p-value in a sentence                     ``p = 0.043``, ``p < 0.001``
:func:`p_relation`      a p-value after a statistic (plots)         ``= 0.043``, ``< 0.001``
:func:`pct`             a proportion as a percentage                ``8.5%``
:func:`ci_text`         an interval in words                        ``3.9% to 17.2%``
:func:`effect_ci`       an estimate with its interval (plots)       ``0.52 [0.31, 0.88]``
:func:`count`           a count of patients (small-cell rule)       ``1,234``, ``< 5``
:func:`events_of`       events of a total                           ``3/30``
:func:`plural`          a count with its noun                       ``1 patient``, ``3 patients``
:func:`display_frame`   a tidy table rounded for display
:func:`html_table`      the same as an HTML table
======================  ==========================================  ==========================

Missing values (``None``, NaN, ``pd.NA``) read "–" unless a function says otherwise.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ._privacy import small

__all__ = [
    "MISSING",
    "ci_text",
    "count",
    "display_frame",
    "effect_ci",
    "events_of",
    "fixed",
    "fmt",
    "fmt_p",
    "fmt_setting",
    "html_table",
    "is_missing",
    "p_relation",
    "p_text",
    "pct",
    "plural",
]

#: What a missing number reads.
MISSING = "–"


def is_missing(x) -> bool:
    """``None``, NaN or ``pd.NA``.

    Examples
    --------
    >>> is_missing(None), is_missing(float("nan")), is_missing(pd.NA), is_missing(0)
    (True, True, True, False)
    """
    if x is None or x is pd.NA:
        return True
    return isinstance(x, (float, np.floating)) and math.isnan(x)


def _not_finite(x) -> bool:
    return is_missing(x) or not np.isfinite(x)


def fmt(x, digits: int = 3) -> str:
    """Format a number for display (never used inside returned tables).

    Floats get ``digits`` significant digits (no exponent from 0.001 up, thousands
    separators from ``10**digits`` up), integers thousands separators.

    Parameters
    ----------
    x
        A number (int, float, NumPy scalar, bool), ``None`` or any object (shown with
        ``str``).
    digits
        Significant digits of a float.

    Returns
    -------
    str
        The number as text; "–" when missing.

    Examples
    --------
    >>> fmt(0.123456), fmt(12.3456), fmt(None), fmt(float("nan"))
    ('0.123', '12.3', '–', '–')
    >>> fmt(123456.7), fmt(0.0000123), fmt(12345), fmt(float("inf"))
    ('123,457', '1.23e-05', '12,345', '∞')
    """
    if is_missing(x):
        return MISSING
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


def fixed(x, places: int = 2) -> str:
    """A number with a fixed count of decimals and a typographic minus, as journals
    print standardized differences and coefficients.

    Parameters
    ----------
    x
        The number.
    places
        Decimals shown.

    Returns
    -------
    str
        "–" when missing.

    Examples
    --------
    >>> fixed(0.00864), fixed(-0.0592), fixed(0.1094, 3), fixed(None)
    ('0.01', '−0.06', '0.109', '–')
    """
    if _not_finite(x):
        return MISSING
    return f"{float(x):.{places}f}".replace("-", "−")


def fmt_setting(v) -> str:
    """An argument value for display: floats with 4 significant digits, the rest as
    :func:`fmt`.

    Examples
    --------
    >>> fmt_setting(0.0012), fmt_setting(24.0), fmt_setting(200), fmt_setting("large_defect")
    ('0.0012', '24', '200', 'large_defect')
    """
    if isinstance(v, (float, np.floating)):
        return f"{float(v):.4g}"
    return fmt(v)


def fmt_p(p, *, two_decimals_from: float | None = None, missing: str = MISSING) -> str:
    """Format a p-value: ``<0.001`` below a thousandth, three decimals otherwise.

    Parameters
    ----------
    p
        The p-value.
    two_decimals_from
        From this value up, two decimals (forest plots: 0.1; subgroup plots: 0.01).
    missing
        What a missing or non-finite p-value reads.

    Returns
    -------
    str

    Examples
    --------
    >>> fmt_p(0.04321), fmt_p(1e-9), fmt_p(None)
    ('0.043', '<0.001', '–')
    >>> fmt_p(0.4321, two_decimals_from=0.1), fmt_p(0.04321, two_decimals_from=0.1)
    ('0.43', '0.043')
    """
    if _not_finite(p):
        return missing
    if p < 0.001:
        return "<0.001"
    if two_decimals_from is not None and p >= two_decimals_from:
        return f"{p:.2f}"
    return f"{p:.3f}"


def p_text(p) -> str:
    """A p-value in a sentence: ``"p = 0.012"`` or ``"p < 0.001"`` (``"p = –"`` when
    missing).

    Examples
    --------
    >>> p_text(0.01234), p_text(1e-5), p_text(None)
    ('p = 0.012', 'p < 0.001', 'p = –')
    """
    return "p " + p_relation(p, missing=f"= {MISSING}")


def p_relation(p, *, two_decimals_from: float | None = None, missing: str = MISSING) -> str:
    """A p-value after its statistic ("Q = 3.2, p = 0.04"): ``"= 0.012"`` or ``"< 0.001"``.

    Parameters
    ----------
    p
        The p-value.
    two_decimals_from
        As in :func:`fmt_p` (forest plots use 0.1).
    missing
        What a missing p-value reads.

    Returns
    -------
    str

    Examples
    --------
    >>> p_relation(0.01234), p_relation(1e-5), p_relation(0.4321, two_decimals_from=0.1)
    ('= 0.012', '< 0.001', '= 0.43')
    >>> p_relation(None)
    '–'
    """
    if _not_finite(p):
        return missing
    shown = fmt_p(p, two_decimals_from=two_decimals_from)
    return f"< {shown[1:]}" if shown.startswith("<") else f"= {shown}"


def pct(x, digits: int = 1) -> str:
    """A proportion as a percentage.

    Parameters
    ----------
    x
        A proportion (0.085 reads 8.5%).
    digits
        Decimals of the percentage.

    Returns
    -------
    str
        "–" when missing.

    Examples
    --------
    >>> pct(0.0846), pct(0.5, 0), pct(None)
    ('8.5%', '50%', '–')
    """
    if is_missing(x):
        return MISSING
    return f"{100 * x:.{digits}f}%"


def ci_text(lo, hi, f=pct) -> str:
    """An interval in words, each limit formatted by ``f``.

    Examples
    --------
    >>> ci_text(0.039, 0.172)
    '3.9% to 17.2%'
    >>> ci_text(0.31, 0.88, fmt)
    '0.310 to 0.880'
    """
    return f"{f(lo)} to {f(hi)}"


def effect_ci(est, lo, hi, *, percent: bool = False, digits: int = 2) -> str:
    """An estimate with its interval in brackets, as forest plots print it.

    Parameters
    ----------
    est, lo, hi
        The estimate and its interval.
    percent
        Proportions as percentages with one decimal (without the % sign).
    digits
        Decimals otherwise; minus signs are typographic (−).

    Returns
    -------
    str
        "not estimable" when the estimate is missing or infinite.

    Examples
    --------
    >>> effect_ci(0.5213, 0.3101, 0.8765)
    '0.52 [0.31, 0.88]'
    >>> effect_ci(0.0846, 0.0395, 0.1717, percent=True)
    '8.5 [4.0, 17.2]'
    >>> effect_ci(-0.02, -0.051, 0.011, digits=3)
    '−0.020 [−0.051, 0.011]'
    >>> effect_ci(float("nan"), 0, 1)
    'not estimable'
    """
    if _not_finite(est):
        return "not estimable"
    if percent:
        return f"{100 * est:.1f} [{100 * lo:.1f}, {100 * hi:.1f}]"
    return f"{est:.{digits}f} [{lo:.{digits}f}, {hi:.{digits}f}]".replace("-", "−")


def count(n, min_cell: int | None = None, *, compact: bool = False) -> str:
    """A count of patients: "1,234", or "< N" under the small-cell rule
    (:mod:`recurrence._privacy`).

    Parameters
    ----------
    n
        The count.
    min_cell
        Counts from 1 to ``min_cell`` − 1 read "< min_cell"; ``None``: all shown.
    compact
        "<5" instead of "< 5" (figures, where space is short).

    Returns
    -------
    str
        "–" when missing.

    Examples
    --------
    >>> count(1234), count(3, 5), count(0, 5), count(3, 5, compact=True)
    ('1,234', '< 5', '0', '<5')
    """
    if is_missing(n):
        return MISSING
    if small(n, min_cell):
        return f"<{min_cell}" if compact else f"< {min_cell}"
    return f"{round(float(n)):,}"


def events_of(events, total) -> str:
    """``"events/total"`` with thousands separators, or "" when either is missing.

    Examples
    --------
    >>> events_of(3, 30), events_of(None, 30), events_of(171285, 2499214)
    ('3/30', '', '171,285/2,499,214')
    """
    if is_missing(events) or is_missing(total):
        return ""
    return f"{int(events):,}/{int(total):,}"


def plural(n: int, word: str, many: str | None = None) -> str:
    """``"1 patient"``, ``"3 patients"``, ``"1,200 studies"`` (with ``many``).

    Examples
    --------
    >>> plural(1, "patient"), plural(1200, "study", "studies")
    ('1 patient', '1,200 studies')
    """
    return f"{n:,} {word if n == 1 else (many or word + 's')}"


def _is_p_column(col) -> bool:
    return col in ("pvalue", "q_pvalue", "p") or str(col).endswith("pvalue")


def display_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of a tidy table for display: p-value columns by :func:`fmt_p`, other
    float columns by :func:`fmt`.

    Examples
    --------
    >>> display_frame(pd.DataFrame({"hr": [0.51234], "pvalue": [0.0001]}))
          hr  pvalue
    0  0.512  <0.001
    """
    out = frame.copy()
    for col in out.columns:
        if _is_p_column(col):
            out[col] = out[col].map(fmt_p)
        elif pd.api.types.is_float_dtype(out[col]):
            out[col] = out[col].map(fmt)
    return out


def html_table(frame: pd.DataFrame, index: bool = True) -> str:
    """A DataFrame as an HTML table rounded by :func:`display_frame`.

    Examples
    --------
    >>> html_table(pd.DataFrame({"hr": [0.51234]}), index=False).count("<td>0.512</td>")
    1
    """
    return display_frame(frame).to_html(
        index=index, border=0, classes="recurrence-table", na_rep=MISSING, escape=True
    )
