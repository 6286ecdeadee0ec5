"""The mapping form: what an uploaded file holds, what the app proposes, and the
loader's keyword arguments built from what the user chose.

Nothing here decides what a column means: the proposals come from the loader's own
"did you mean" logic (:func:`recurrence._synonyms.suggest_columns`,
:data:`~recurrence.schema.SYNONYMS` and the case-insensitive matching of
:func:`~recurrence.schema.map_columns`), and the
file is loaded by :func:`recurrence.load_cohort` / :func:`recurrence.load_studies`
with the options of the form (``columns=``, ``values=``, ``time_unit=``,
``header_row=``, ``sheet=``), whose problems are shown as they are.

What is shown of a file: its column names and, for the closure and event columns
only, their distinct labels (at most :data:`recurrence._privacy.MAX_LEVELS`; a label
that reads like free text is counted, never shown). Never a row.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .._privacy import MAX_LEVELS, looks_like_free_text
from .._synonyms import norm_name, suggest_columns
from ..errors import DataError
from ..schema import (
    COHORT_COLUMNS,
    EVENT_SPELLINGS,
    FALSE_SPELLINGS,
    STUDY_COLUMNS,
    TRUE_SPELLINGS,
)

__all__ = [
    "CLOSURE_CHOICES",
    "EVENT_CHOICES",
    "Inspection",
    "inspect_file",
    "label_choices",
    "reading_from_form",
    "roles",
    "unit_of",
]

#: What a closure label can mean (form value, shown text, value given to ``values=``).
CLOSURE_CHOICES = (
    ("", "— as written —", None),
    ("true", "closure", True),
    ("false", "no closure", False),
    ("missing", "missing", None),
)
#: What an event label can mean.
EVENT_CHOICES = (
    ("", "— as written —", None),
    ("0", "censored (no event)", 0),
    ("1", "reherniation", 1),
    ("2", "competing event", 2),
    ("missing", "missing", None),
)
#: Words of labels that the usual spellings do not cover, for the proposal only.
_CLOSURE_WORDS = {
    True: ("clos", "sutur", "barricaid", "device", "repair", "anchor"),
    False: ("standard", "control", "discectomy", "no clos", "without", "usual"),
}
_EVENT_WORDS = {
    0: ("alive", "censor", "no event", "lost", "event-free", "free", "none"),
    1: ("rehern", "recur", "relapse", "re-hern"),
    2: ("death", "died", "dead", "fusion", "compet", "other level"),
}
TIME_UNITS = ("months", "days", "weeks", "years")


def roles(kind: str) -> tuple:
    """The canonical columns of a cohort (``kind="cohort"``) or study table."""
    return COHORT_COLUMNS if kind == "cohort" else STUDY_COLUMNS


@dataclass
class Inspection:
    """What the form shows of a file: column names, sheets, a proposed header row,
    the labels of the closure and event columns, and the problems of reading it."""

    columns: list[str] = field(default_factory=list)
    sheets: list[str] = field(default_factory=list)
    header_hint: int | None = None
    problems: list[str] = field(default_factory=list)
    labels: dict[str, list[str]] = field(default_factory=dict)
    hidden: dict[str, int] = field(default_factory=dict)
    frame: pd.DataFrame | None = field(default=None, repr=False)


def _sheets(path: Path) -> list[str]:
    if path.suffix.lower() not in (".xlsx", ".xlsm"):
        return []
    try:
        import openpyxl

        book = openpyxl.load_workbook(path, read_only=True)
        try:
            return list(book.sheetnames)
        finally:
            book.close()
    except Exception:  # a broken workbook: read_table says what is wrong with it
        return []


def inspect_file(path: Path, *, header_row: int | None = None, sheet: str | None = None):
    """Read the file as the loader reads it (:func:`recurrence._io.read_table`) and say
    what the form needs. A file that cannot be read gives its problems; a title row
    gives the header row the loader proposes."""
    from .._io import read_table

    out = Inspection(sheets=_sheets(path))
    try:
        frame = read_table(path, sheet=sheet or None, header_row=header_row)
    except DataError as exc:
        out.problems = [p.describe() for p in exc.problems]
        for p in exc.problems:
            hint = re.search(r"header_row=(\d+)", p.fix or "")
            if hint and header_row is None:
                out.header_hint = int(hint.group(1))
        return out
    out.frame = frame
    out.columns = [str(c) for c in frame.columns]
    return out


def propose(columns: list[str], kind: str) -> dict[str, str]:
    """The column proposed for each canonical role: the same name up to case, spaces,
    dots and hyphens (as the loader matches it), then the loader's suggestion by
    meaning and spelling among the columns left."""
    specs = roles(kind)
    out: dict[str, str] = {}
    for spec in specs:
        same = [c for c in columns if norm_name(c) == spec.name]
        if same:
            out[spec.name] = same[0]
    left = [c for c in columns if c not in out.values()]
    missing = [s.name for s in specs if s.name not in out and (s.required or kind == "cohort")]
    for canon, col in suggest_columns(missing, left).items():
        spec = next(s for s in specs if s.name == canon)
        # optional columns are proposed by meaning only, not by a loose spelling match
        if spec.required or _bare(col) in {canon, *_synonyms(canon)}:
            out[canon] = col
    return out


def _bare(column: str) -> str:
    """A column's name without the unit an export puts after it.

    Examples
    --------
    >>> _bare("Age (years)"), _bare("BMI [kg/m2]"), _bare("age")
    ('age', 'bmi', 'age')
    """
    return norm_name(re.sub(r"\s*[(\[][^()\[\]]*[)\]]\s*$", "", str(column)))


def _synonyms(canon: str) -> set[str]:
    from ..schema import SYNONYMS

    return set(SYNONYMS.get(canon, ()))


def labels_of(frame: pd.DataFrame, column: str) -> tuple[list[str], int]:
    """The distinct labels of a column that the form may show, and how many were
    held back (free text). ``([], n)`` when the column holds more than
    :data:`~recurrence._privacy.MAX_LEVELS` distinct values: those are not labels."""
    if column not in frame.columns:
        return [], 0
    values = frame[column].dropna()
    distinct = list(dict.fromkeys(_label(v) for v in values))
    distinct = [v for v in distinct if v != ""]
    if len(distinct) > MAX_LEVELS:
        return [], len(distinct)
    shown = [v for v in distinct if not looks_like_free_text(v)]
    return sorted(shown, key=_sort_key), len(distinct) - len(shown)


def _label(value) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _sort_key(label: str):
    return (0, float(label), "") if re.fullmatch(r"-?\d+(\.\d+)?", label) else (1, 0.0, label)


def label_choices(label: str, role: str) -> str:
    """The form value proposed for a label of the closure or event column: the usual
    spellings the loader reads, then a few words of exports (proposed, never applied
    without the user's submit)."""
    key = label.strip().casefold()
    if role == "closure":
        if key in TRUE_SPELLINGS:
            return "true"
        if key in FALSE_SPELLINGS:
            return "false"
        for meaning in (False, True):  # "no closure" before "closure"
            if any(w in key for w in _CLOSURE_WORDS[meaning]):
                return "true" if meaning else "false"
        return ""
    if key in EVENT_SPELLINGS:
        return str(EVENT_SPELLINGS[key])
    for code in (0, 2, 1):
        if any(w in key for w in _EVENT_WORDS[code]):
            return str(code)
    return ""


def unit_of(column: str) -> str:
    """The time unit a column's name gives away (``FU (days)``), else months.

    Examples
    --------
    >>> unit_of("FU (days)"), unit_of("follow_up_weeks"), unit_of("FU")
    ('days', 'weeks', 'months')
    """
    words = set(re.split(r"[^a-z]+", str(column).lower()))
    for unit in ("days", "weeks", "years"):
        if words & {unit, unit[:-1]}:
            return unit
    return "months"


def _int(value) -> int | None:
    try:
        n = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return n if n >= 1 else None


def reading_from_form(form: dict, kind: str) -> dict:
    """The loader's keyword arguments from the submitted form (``kind``: ``"cohort"``
    or ``"studies"``): ``columns``, ``values``, ``time_unit``, ``header_row``,
    ``sheet``. Only what differs from the loader's defaults is given."""
    out: dict = {}
    columns = {}
    for spec in roles(kind):
        chosen = form.get(f"{kind}.col.{spec.name}", "")
        if chosen and chosen != spec.name:
            columns[chosen] = spec.name
    if columns:
        out["columns"] = columns
    if kind == "cohort":
        values: dict = {}
        choices = {"closure": CLOSURE_CHOICES, "event": EVENT_CHOICES}
        for role, options in choices.items():
            meaning = {value: given for value, _text, given in options}
            picked = {}
            i = 0
            while f"{kind}.labeltext.{role}.{i}" in form:
                label = form[f"{kind}.labeltext.{role}.{i}"]
                choice = form.get(f"{kind}.label.{role}.{i}", "")
                if choice:
                    picked[label] = meaning.get(choice)
                i += 1
            if picked:
                values[role] = picked
        if values:
            out["values"] = values
        unit = form.get(f"{kind}.time_unit", "months")
        if unit in TIME_UNITS and unit != "months":
            out["time_unit"] = unit
    header = _int(form.get(f"{kind}.header_row"))
    if header is not None:
        out["header_row"] = header
    sheet = str(form.get(f"{kind}.sheet", "") or "").strip()
    if sheet:
        out["sheet"] = sheet
    return out
