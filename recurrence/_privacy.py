"""What is never printed: free text, and (with ``min_cell``) small counts.

Free text. A value that reads like a note or personal data (a name with a title, a
date, an e-mail address, a telephone number, four words or more, over 40 characters)
is never printed: not in a table, a report, an export or an error message. A text
column holding such a value, or more than :data:`MAX_LEVELS` distinct values, is left
out of every table (named as left out, never shown), whoever chose it. A category held
by a single patient is pooled with the other rare ones as "other": its label alone
could point at that patient.

Small cells. With ``min_cell=N``, counts of patients from 1 to N − 1 are shown as
"< N", with the percentages that would reveal them; where one count of a variable is
suppressed, the next smallest is too (its group total would give it away). Zero is
shown: it reveals no one. The rule applies to counts of the cohort's patients, not to
the published studies' aggregate counts.
"""

from __future__ import annotations

import re

import pandas as pd

__all__ = [
    "MAX_LEVELS",
    "OTHER",
    "free_text_reason",
    "looks_like_free_text",
    "shown_value",
    "small",
]

#: A text column with more distinct values than this is not a category.
MAX_LEVELS = 20
#: The label of the pooled rare categories.
OTHER = "other"

_FREE_TEXT = re.compile(
    r"(\b\d{1,4}[./-]\d{1,2}[./-]\d{1,4}\b"  # a date
    r"|\S+@\S+\.\w+"  # an e-mail address
    r"|\d[\d ()/-]{6,}\d"  # a telephone or record number
    r"|\b(mr|mrs|ms|miss|dr|prof|dob|born|tel|phone|patient|pt|name)\b\.?)",  # titles
    re.IGNORECASE,
)


def looks_like_free_text(value) -> bool:
    """Whether a text value reads like a note or personal data.

    Examples
    --------
    >>> looks_like_free_text("Mrs Jane Doe DOB 1961-04-02"), looks_like_free_text("L5/S1")
    (True, False)
    >>> looks_like_free_text("University Hospital Bern")
    False
    """
    if not isinstance(value, str):
        return False
    text = value.strip()
    return len(text) > 40 or len(text.split()) >= 4 or bool(_FREE_TEXT.search(text))


def free_text_reason(series: pd.Series) -> str | None:
    """Why a text column is free text (``None`` when it is a category)."""
    if pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
        return None
    # the distinct values first, then their text: a text per patient (5M patients: 4 s
    # over the report's calls) for what is a few distinct values in a category
    values = pd.unique(series.to_numpy(dtype=object))
    distinct = {str(v) for v in values if not (pd.api.types.is_scalar(v) and pd.isna(v))}
    if not distinct:
        return None
    if len(distinct) > MAX_LEVELS:
        return f"{len(distinct)} distinct values (free text or an identifier?)"
    if any(looks_like_free_text(v) for v in distinct):
        return "it holds free text (notes, names or dates)"
    return None


def shown_value(value):
    """A value as an error message may show it: free text replaced by its length (a
    bare date or number is shown: "holds dates, not months (found '2021-03-04')").

    Examples
    --------
    >>> shown_value("2021-03-04"), shown_value("Mrs Jane Doe DOB 1961-04-02")
    ('2021-03-04', '<a text of 27 characters>')
    """
    if not isinstance(value, str):
        return value
    bare = re.fullmatch(r"[\d\s./:T+-]{1,24}", value.strip()) is not None
    if not bare and (looks_like_free_text(value) or len(value) > 24):
        return f"<a text of {len(value)} characters>"
    return value


def small(count, min_cell: int | None) -> bool:
    """Whether a count is a small cell (1 … ``min_cell`` − 1)."""
    if min_cell is None or count is None or pd.isna(count):
        return False
    return 0 < float(count) < min_cell
