"""Canonical cohort and study tables: columns, coercion, validation with exact messages.

The two tables are described in README.md ("The cohort table", "The study table") and
docs/your-data.md. This module holds what both tables share:
the canonical columns, the mapping of user column names, the parsing of the usual
spellings (``"yes"``/``"no"``, ``"12,5"`` with a decimal comma, numbers stored as text)
and the collection of *every* problem into one :class:`~recurrence.errors.DataError`.
The rules of each table live beside its loader: :func:`recurrence.cohorts.canonical_cohort`
and :func:`recurrence.studies.canonical_studies`.

Why two steps. Parsing the usual spellings is ours (pandera coerces dtypes, but it
does not know that ``"y"`` is true or that ``"1,5"`` is one and a half). The value
rules after that (times > 0, codes in {0, 1, 2}, unique ids, events ≤ patients) are a
declarative pandera schema validated lazily, whose ``failure_cases`` (column, check,
value, row) become the "column, rows, what is wrong, fix" lines of the error.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ._coerce import (  # noqa: F401 (the spellings and coercions are part of this module's names)
    _PLAIN_NUMBER,
    EVENT_SPELLINGS,
    FALSE_SPELLINGS,
    TRUE_SPELLINGS,
    YES_NO_EVENT,
    _to_float,
    as_text,
    coerce_bool,
    coerce_event,
    coerce_number,
    looks_like_dates,
)
from ._synonyms import SYNONYMS, norm_name, suggest_columns
from .errors import DataError, Problem

__all__ = [
    "COHORT_COLUMNS",
    "STUDY_COLUMNS",
    "SYNONYMS",
    "Collector",
    "ColumnSpec",
    "coerce_bool",
    "coerce_event",
    "coerce_number",
    "listing",
    "map_columns",
    "pandera_problems",
]

#: What norm_name turns into "_" or strips besides whitespace (which str.split drops, as
#: the regex's \s, Unicode spaces included): hyphens, dots, underscores.
_SEPARATOR_CHARS = str.maketrans("", "", "-._")

#: Times above this many months (100 years) cannot be follow-up after surgery.
MAX_MONTHS = 1200.0
#: No study arm holds more patients than this; a larger count is a typo.
MAX_COUNT = 10_000_000
#: Days per month used to turn dates into months (365.25 / 12).
DAYS_PER_MONTH = 30.4375


@dataclass(frozen=True)
class ColumnSpec:
    """One canonical column: its name, kind, unit, meaning."""

    name: str
    kind: str  # id | bool | time | event | number | integer | count | text
    required: bool
    meaning: str
    unit: str = ""


COHORT_COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec("patient_id", "id", True, "unique patient identifier"),
    ColumnSpec("closure", "bool", True, "annulus closed after discectomy (suture or device)"),
    ColumnSpec("time", "time", True, "index surgery to first event or censoring", "months"),
    ColumnSpec(
        "event", "event", True, "0 censored, 1 reherniation (same level), 2 competing event"
    ),
    ColumnSpec("age", "number", False, "age at surgery", "years"),
    ColumnSpec("sex", "text", False, "sex (F/M)"),
    ColumnSpec("bmi", "number", False, "body-mass index", "kg/m²"),
    ColumnSpec("smoker", "bool", False, "current smoker"),
    ColumnSpec("diabetes", "bool", False, "diabetes mellitus"),
    ColumnSpec("defect_width_mm", "number", False, "annular defect width", "mm"),
    ColumnSpec("disc_height_mm", "number", False, "posterior disc height", "mm"),
    ColumnSpec("level", "text", False, "operated level (L3/4, L4/5, L5/S1, …)"),
    ColumnSpec("approach", "text", False, "surgical approach (open, MED, PELD, …)"),
    ColumnSpec("site", "text", False, "hospital or surgeon site"),
    ColumnSpec(
        "time_left", "number", False, "last imaging visit known free of reherniation", "months"
    ),
)

STUDY_COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec("study", "id", True, "study label, unique"),
    ColumnSpec("events_closure", "count", False, "reherniations in the closure arm", "patients"),
    ColumnSpec("total_closure", "count", False, "patients in the closure arm", "patients"),
    ColumnSpec("events_control", "count", False, "reherniations without closure", "patients"),
    ColumnSpec("total_control", "count", False, "patients without closure", "patients"),
    ColumnSpec("year", "integer", False, "publication year"),
    ColumnSpec("design", "text", False, "RCT, prospective cohort, …"),
    ColumnSpec("device", "text", False, "closure device or technique"),
    ColumnSpec("approach", "text", False, "surgical approach"),
    ColumnSpec("followup_months", "number", False, "follow-up of the outcome", "months"),
    ColumnSpec("outcome", "text", False, "outcome definition"),
    ColumnSpec("source", "text", False, "citation or address"),
    ColumnSpec("trial", "text", False, "trial a report belongs to"),
    ColumnSpec("count_basis", "text", False, "exact, or derived from a percentage"),
    ColumnSpec("rob", "text", False, "overall risk of bias (RoB 2 or ROBINS-I)"),
    *(ColumnSpec(f"rob_d{i}", "text", False, f"risk of bias, domain {i}") for i in range(1, 6)),
)
ARMS = (("events_closure", "total_closure"), ("events_control", "total_control"))


# --------------------------------------------------------------------------- mapping


def listing(names, limit: int = 8) -> str:
    """Names for a message, cut with a count: ``'a', 'b', … and 12 more``.

    Parameters
    ----------
    names
        The names (any objects; shown as text, each cut at 40 characters).
    limit
        How many are shown before the count.

    Returns
    -------
    str

    Examples
    --------
    >>> listing(["a", "b", "c"], limit=2)
    "'a', 'b' and 1 more"
    """
    names = [str(n) for n in names]
    shown = ", ".join(f"'{n[:40]}'" for n in names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def map_columns(
    frame: pd.DataFrame, specs, columns: dict | None, source: str, *, inplace: bool = False
):
    """Rename a user's columns to the canonical names; check the required ones are there.

    Parameters
    ----------
    frame
        The user's table, with its own column names.
    specs
        The canonical columns of the table (:data:`COHORT_COLUMNS` or
        :data:`STUDY_COLUMNS`); those with ``required`` must be present after renaming.
    columns
        ``{"their_name": "canonical_name"}``, as given to the loader, or ``None``.
        Names that differ from a canonical one only by case, spaces, dots or hyphens
        are matched without it.
    source
        The table's name in error messages (the file name, ``"DataFrame"``).
    inplace
        Relabel ``frame`` itself (a frame read for this call alone) instead of a shallow
        copy that leaves the input's names as they were.

    Returns
    -------
    frame : pandas.DataFrame
        The table under the canonical names (other columns keep theirs), sharing the
        input's data.
    users : dict
        ``{name in the returned frame: the user's name}`` for every column.

    Raises
    ------
    recurrence.DataError
        Listing every problem: a mapped column that does not exist, two columns mapped
        to one name, a required column missing (with the likeliest candidate to map), a
        header read as one column or a first row that looks like data.

    Examples
    --------
    >>> import pandas as pd
    >>> raw = pd.DataFrame({"Patient ID": ["a", "b"], "Closure": [1, 0],
    ...                     "FU months": [12.0, 24.0], "status": [1, 0]})
    >>> frame, users = map_columns(raw, COHORT_COLUMNS, {"FU months": "time",
    ...                                                  "status": "event"}, "my.csv")
    >>> frame.columns.tolist(), raw.columns.tolist()
    (['patient_id', 'closure', 'time', 'event'], ['Patient ID', 'Closure', 'FU months', 'status'])
    >>> users["time"]
    'FU months'
    >>> map_columns(raw, COHORT_COLUMNS, {"FU months": "time"}, "my.csv")
    Traceback (most recent call last):
    ...
    recurrence.errors.DataError: my.csv: 1 problem, nothing was loaded:
      - column 'event': required column is missing (0 censored, ... Pass columns={'status': 'event'}
    """
    if columns is not None and not isinstance(columns, Mapping):
        what = f"{type(columns).__name__} {columns!r}"[:80]
        raise DataError(
            Problem(
                f"columns= must map their column names to canonical ones, got a {what}",
                fix="e.g. columns={'FU months': 'time'}; a JSON file of that mapping: "
                "columns=json.load(open(path)) (the command line's --columns reads the file)",
            ),
            source=source,
        )
    columns = dict(columns or {})
    problems: list[Problem] = []
    present = [str(c) for c in frame.columns]
    for user, canon in columns.items():
        if user not in present:
            near = difflib.get_close_matches(str(user), present, n=1, cutoff=0.6)
            hint = f"did you mean '{near[0]}'?" if near else f"the columns are {listing(present)}"
            problems.append(
                Problem(
                    f"columns= maps '{user}' → '{canon}', but there is no column '{user}'", fix=hint
                )
            )
    targets = list(columns.values())
    for canon in {t for t in targets if targets.count(t) > 1}:
        mapped = [u for u, c in columns.items() if c == canon]
        problems.append(
            Problem(
                f"columns= maps several columns to '{canon}': {mapped}",
                fix="map exactly one column to each canonical name",
            )
        )
    rename = {u: c for u, c in columns.items() if u in present}
    canonical = {s.name for s in specs}
    # Case, spaces and hyphens do not matter: " Patient ID" is patient_id. A name whose
    # letters (separators dropped) spell no canonical name cannot be one: norm_name's
    # regex runs only on the few that can (a 5,000-column export: 10 ms less)
    could_be = {c.replace("_", "") for c in canonical}
    for col in present:
        if col in rename or col in canonical:
            continue
        if "".join(col.lower().split()).translate(_SEPARATOR_CHARS) not in could_be:
            continue
        norm = norm_name(col)
        if norm in canonical and norm not in rename.values() and norm not in present:
            rename[col] = norm
    out = frame if inplace else frame.copy(deep=False)  # shared data: the input keeps its names
    out.columns = [rename.get(str(c), str(c)) for c in frame.columns]
    dupes = out.columns[out.columns.duplicated()].unique().tolist()
    for d in dupes:
        merged = [c for c in present if rename.get(c, c) == d]
        problems.append(
            Problem(
                f"several columns become '{d}': {merged}",
                fix="keep one of them, or map the others to other names",
            )
        )
    required = [s.name for s in specs if s.required]
    absent = [name for name in required if name not in out.columns]
    taken = set(rename) | {c for c in present if c in canonical}
    hints = suggest_columns(absent, [c for c in present if c not in taken])
    for name in absent:
        spec = next(s for s in specs if s.name == name)
        likely = hints.get(name)
        hint = (
            f"did you mean '{likely}'? Pass columns={{'{likely}': '{name}'}}"
            if likely
            else f"add it, or map yours with columns={{'your_name': '{name}'}}"
        )
        problems.append(
            Problem(f"required column is missing ({spec.meaning})", column=name, fix=hint)
        )
    if problems and len(present) == 1 and re.search(r"[^\w\s]", present[0]):
        problems.append(
            Problem(
                f"the whole header '{present[0]}' was read as one column",
                fix="use a comma, semicolon, tab or | between columns",
            )
        )
    if problems and sum(
        bool(re.fullmatch(r"[+-]?\d+([.,]\d+)?", c.strip())) for c in present
    ) >= max(1, len(present) // 2):
        problems.append(
            Problem(
                "the first row looks like data, not column names",
                fix="add a header row (patient_id, closure, time, event, …)",
            )
        )
    if problems:
        raise DataError(problems, source=source)
    users = {rename.get(c, c): c for c in present}
    return out, users


# --------------------------------------------------------------------------- problems


def values_of(series: pd.Series, mask: pd.Series) -> tuple:
    return tuple(series[mask].head(6).tolist())


def rows_of(mask: pd.Series) -> tuple[int, ...]:
    return tuple(int(i) + 1 for i in np.flatnonzero(np.asarray(mask, dtype=bool)))


class Collector:
    def __init__(self, users: dict[str, str]):
        self.users = users
        self.problems: list[Problem] = []

    def add(self, canon: str | None, mask, message: str, fix: str, raw: pd.Series | None = None):
        mask = pd.Series(np.asarray(mask, dtype=bool))
        if not mask.any():
            return
        vals = values_of(raw.reset_index(drop=True), mask) if raw is not None else ()
        self.problems.append(
            Problem(
                message,
                column=canon,
                rows=rows_of(mask),
                fix=fix,
                values=vals,
                user_column=None if canon is None else self.users.get(canon),
            )
        )


# --------------------------------------------------------------------------- value rules


def pandera_problems(
    frame: pd.DataFrame, rules: dict, skip: dict[str, pd.Series], bag: Collector
) -> None:
    """Validate a canonical table against the value rules, adding each failure to ``bag``.

    The rules become one pandera schema, validated lazily so that every failing cell is
    found in one pass; its failure cases (column, check, row) become problems with the
    rule's message and fix. Missing cells pass the checks given as functions.

    Parameters
    ----------
    frame
        The canonical table, indexed 0..n-1 (row i is the user's row i + 1). Columns
        without rules are not looked at.
    rules
        ``{column: {check_name: (function, message, fix)}}``: ``function`` takes the
        column and returns a boolean Series, true where a value is valid. The check
        name ``"unique"`` (function ``None``) asks for unique values instead.
    skip
        ``{column: mask}`` of cells already reported as unreadable, not reported again.
    bag
        The :class:`Collector` of the table's problems; failures are appended to it.

    Returns
    -------
    None

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"time": [12.0, -1.0, 30.0], "event": [1, 0, 5]})
    >>> rules = {
    ...     "time": {"positive": (lambda s: s > 0, "is 0 or negative", "times must be > 0")},
    ...     "event": {"codes": (lambda s: s.isin([0, 1, 2]), "is not 0, 1 or 2", "use 0, 1 or 2")},
    ... }
    >>> bag = Collector({"time": "fu", "event": "status"})
    >>> pandera_problems(frame, rules, {}, bag)
    >>> [(p.column, p.rows, p.values, p.user_column) for p in bag.problems]
    [('time', (2,), (-1.0,), 'fu'), ('event', (3,), (5,), 'status')]
    """
    frame = frame[[c for c in frame.columns if c in rules]]  # a wide table: only these
    if _all_hold(frame, rules):
        return  # pandera would find no failure case; it is for finding and reporting them
    import pandera.pandas as pa

    columns = {}
    for col, checks in rules.items():
        if col not in frame.columns:
            continue
        columns[col] = pa.Column(
            checks=[
                pa.Check(fn, element_wise=False, error=key, ignore_na=True)
                for key, (fn, _m, _f) in checks.items()
                if key != "unique"
            ],
            nullable=True,
            unique="unique" in checks,
            coerce=False,
        )
    schema = pa.DataFrameSchema(columns, strict=False)
    try:
        schema.validate(frame, lazy=True, inplace=True)  # no copy: nothing is coerced
        return
    except (pa.errors.SchemaErrors, pa.errors.SchemaError) as exc:
        cases = getattr(exc, "failure_cases", None)
    if cases is None or len(cases) == 0:
        return
    for (col, check), grp in cases.groupby(["column", "check"], sort=False):
        key = "unique" if check == "field_uniqueness" else check
        _fn, message, fix = rules[col][key]
        index = pd.to_numeric(grp["index"], errors="coerce").dropna().astype(int)
        mask = pd.Series(False, index=range(len(frame)))
        mask[index.to_numpy()] = True
        if col in skip:
            mask &= ~skip[col].reset_index(drop=True)
        bag.add(col, mask, message, fix, frame[col])


def _all_hold(frame: pd.DataFrame, rules: dict) -> bool:
    """Whether every rule holds on ``frame`` as pandera checks it (each function on the
    column, missing cells passing; no duplicate, missing values counted, where unique).
    Any doubt says no (a function that raises, a scalar, a duplicate missing value):
    then pandera validates and reports. A table that loads without problems skips
    pandera's import and pass (0.2-0.3 s of a report's start here)."""
    try:
        for col, checks in rules.items():
            if col not in frame.columns:
                continue
            s = frame[col]
            missing = s.isna().to_numpy()
            for key, (fn, _message, _fix) in checks.items():
                if key == "unique":
                    if s.duplicated().any():
                        return False
                    continue
                ok = np.asarray(fn(s), dtype=bool)
                if ok.shape != missing.shape or not (ok | missing).all():
                    return False
    except Exception:  # pandera decides, and reports what it finds
        return False
    return True


# --------------------------------------------------------------------------- cohort


def positional(raw: pd.DataFrame) -> pd.DataFrame:
    """A shallow view of ``raw`` indexed 0..n-1 (row i is the user's row i + 1), without
    copying the data (``reset_index`` would) and without touching ``raw``."""
    frame = raw.copy(deep=False)
    frame.index = pd.RangeIndex(len(raw))
    return frame


def as_ids(series: pd.Series) -> pd.Series:
    """Identifiers as stripped Python strings (12.0 → "12"), missing kept missing."""
    if pd.api.types.is_float_dtype(series):
        whole = series.notna() & (series == np.round(series))
        text = series.astype(object).where(~whole, series.round().astype("Int64").astype(str))
        return text.where(series.notna(), None).map(lambda v: v if v is None else str(v))
    text = series.astype("string[pyarrow]").str.strip()
    return text.astype(object).where(text.notna(), None)


def plain_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Text read from files (Arrow-backed strings) back to ordinary object columns, so
    a table looks the same whether it came from a file or a DataFrame."""
    for col, dtype in frame.dtypes.items():
        if isinstance(dtype, pd.StringDtype):
            # Through factorize, equal values share one Python string: a column of a
            # million "Site A"s costs a million pointers, not a million strings.
            codes, uniques = pd.factorize(frame[col])
            values = np.append(np.asarray(uniques, dtype=object), np.nan)
            frame[col] = values[codes]  # code -1 (missing) picks the trailing NaN
    return frame
