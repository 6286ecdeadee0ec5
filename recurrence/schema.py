"""Canonical cohort and study tables: columns, coercion, validation with exact messages.

The two tables are described in ``API.md``. This module turns whatever a user hands
over (any column names, ``"yes"``/``"no"``, ``"12,5"`` with a decimal comma, numbers
stored as text) into the canonical form, and collects *every* problem into one
:class:`~recurrence.errors.DataError`.

Why two steps. Parsing the usual spellings is ours (pandera coerces dtypes, but it
does not know that ``"y"`` is true or that ``"1,5"`` is one and a half). The value
rules after that (times > 0, codes in {0, 1, 2}, unique ids, events ≤ patients) are a
declarative pandera schema validated lazily, whose ``failure_cases`` (column, check,
value, row) become the "column, rows, what is wrong, fix" lines of the error.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .errors import DataError, DataWarning, Problem, warn

__all__ = [
    "COHORT_COLUMNS",
    "STUDY_COLUMNS",
    "ColumnSpec",
    "canonical_cohort",
    "canonical_studies",
]

#: Times above this many months (100 years) cannot be follow-up after surgery.
MAX_MONTHS = 1200.0
#: No study arm holds more patients than this; a larger count is a typo.
MAX_COUNT = 10_000_000
#: Days per month used to turn dates into months (365.25 / 12).
DAYS_PER_MONTH = 30.4375

TRUE_SPELLINGS = {"1", "1.0", "yes", "y", "true", "t", "closed", "closure", "ja", "j"}
FALSE_SPELLINGS = {"0", "0.0", "no", "n", "false", "f", "not closed", "none", "nein"}
YES_NO_EVENT = {"yes", "no", "true", "false", "y", "n", "t", "f", "ja", "nein", "j"}
EVENT_SPELLINGS = {
    "0": 0,
    "0.0": 0,
    "censored": 0,
    "no": 0,
    "false": 0,
    "n": 0,
    "f": 0,
    "1": 1,
    "1.0": 1,
    "reherniation": 1,
    "recurrence": 1,
    "yes": 1,
    "true": 1,
    "y": 1,
    "t": 1,
    "ja": 1,
    "j": 1,
    "nein": 0,
    "2": 2,
    "2.0": 2,
    "competing": 2,
}


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
)
ARMS = (("events_closure", "total_closure"), ("events_control", "total_control"))


# --------------------------------------------------------------------------- mapping


def _norm(name: object) -> str:
    return re.sub(r"[\s\-\.]+", "_", str(name).strip().lower()).strip("_")


def map_columns(
    frame: pd.DataFrame, specs, columns: dict | None, source: str, *, inplace: bool = False
):
    """Rename user columns to canonical names. Returns (frame, {canonical: user_name});
    ``inplace`` relabels ``frame`` itself instead of a shallow copy."""
    columns = dict(columns or {})
    problems: list[Problem] = []
    present = [str(c) for c in frame.columns]
    for user, canon in columns.items():
        if user not in present:
            near = difflib.get_close_matches(str(user), present, n=1, cutoff=0.6)
            hint = f"did you mean '{near[0]}'?" if near else f"the columns are {present[:20]}"
            problems.append(
                Problem(
                    f"columns= maps '{user}' → '{canon}', but there is no column '{user}'", fix=hint
                )
            )
    targets = list(columns.values())
    for canon in {t for t in targets if targets.count(t) > 1}:
        users = [u for u, c in columns.items() if c == canon]
        problems.append(
            Problem(
                f"columns= maps several columns to '{canon}': {users}",
                fix="map exactly one column to each canonical name",
            )
        )
    rename = {u: c for u, c in columns.items() if u in present}
    canonical = {s.name for s in specs}
    # Case, spaces and hyphens do not matter: " Patient ID" is patient_id.
    for col in present:
        if col in rename or col in canonical:
            continue
        norm = _norm(col)
        if norm in canonical and norm not in rename.values() and norm not in present:
            rename[col] = norm
    out = frame if inplace else frame.copy(deep=False)  # shared data: the input keeps its names
    out.columns = [rename.get(str(c), str(c)) for c in frame.columns]
    dupes = out.columns[out.columns.duplicated()].unique().tolist()
    for d in dupes:
        users = [c for c in present if rename.get(c, c) == d]
        problems.append(
            Problem(
                f"several columns become '{d}': {users}",
                fix="keep one of them, or map the others to other names",
            )
        )
    required = [s.name for s in specs if s.required]
    for name in required:
        if name not in out.columns:
            spec = next(s for s in specs if s.name == name)
            unmapped = [c for c in out.columns if c not in canonical]
            near = difflib.get_close_matches(name, unmapped, n=1, cutoff=0.5)
            near = near or [c for c in unmapped if name in _norm(c) or _norm(c) in name][:1]
            hint = (
                f"did you mean '{near[0]}'? Pass columns={{'{near[0]}': '{name}'}}"
                if near
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
    numeric_names = sum(bool(re.fullmatch(r"[+-]?\d+([.,]\d+)?", c.strip())) for c in present)
    if problems and numeric_names >= max(1, len(present) // 2):
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


# --------------------------------------------------------------------------- coercion


def _as_text(series: pd.Series) -> pd.Series:
    """Stripped, lower-case text (pandas string dtype, missing as <NA>), vectorized."""
    return series.astype("string[pyarrow]").str.strip().str.lower()


def coerce_bool(series: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Usual spellings to a nullable boolean. Returns (values, bad mask)."""
    if pd.api.types.is_bool_dtype(series):
        return series.astype("boolean"), pd.Series(False, index=series.index)
    text = _as_text(series)
    out = pd.Series(pd.NA, index=series.index, dtype="boolean")
    out[text.isin(TRUE_SPELLINGS).fillna(False).to_numpy(bool)] = True
    out[text.isin(FALSE_SPELLINGS).fillna(False).to_numpy(bool)] = False
    bad = series.notna() & out.isna()
    return out, bad


def coerce_number(series: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Numbers (also stored as text, with a decimal comma) to float. Returns (values, bad)."""
    if pd.api.types.is_bool_dtype(series):
        return series.astype(float), pd.Series(False, index=series.index)
    if pd.api.types.is_numeric_dtype(series):
        values = series.astype("float64")
        return values, pd.Series(False, index=series.index)
    text = series.astype("string[pyarrow]").str.strip()
    values = _to_float(text)
    failed = (values.isna() & text.notna()).to_numpy(bool)
    if failed.any():  # a decimal comma ("12,5"), only where plain parsing failed
        sub = text[failed]
        comma = sub.str.fullmatch(r"[+-]?\d+,\d+").fillna(False).to_numpy(bool)
        fixed = pd.to_numeric(sub[comma].str.replace(",", ".", regex=False), errors="coerce")
        values.loc[sub.index[comma]] = fixed.astype("float64").to_numpy()
    bad = (series.notna() & values.isna() & ~text.str.lower().isin(["nan"])).fillna(False)
    return values, bad.astype(bool)


_PLAIN_NUMBER = r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$"


def _to_float(text: pd.Series) -> pd.Series:
    """Arrow-backed text to float64, NaN where it is not a number.

    Plain decimal numbers are cast by Arrow compute, in its buffers; only the rest (inf,
    "1,5", words) goes through pandas, which would otherwise turn a whole column into
    Python objects (80 MB more per million rows, measured)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    arr = pa.chunked_array(text.array._pa_array)
    plain = pc.match_substring_regex(arr, _PLAIN_NUMBER)
    values = pc.cast(pc.if_else(plain, arr, pa.scalar(None, pa.string())), pa.float64())
    out = pd.Series(values.to_numpy(zero_copy_only=False), index=text.index, dtype="float64")
    rest = (~plain.fill_null(True).to_numpy(zero_copy_only=False)) & text.notna().to_numpy(bool)
    if rest.any():
        out[rest] = pd.to_numeric(text[rest].astype(object), errors="coerce").astype("float64")
    return out


def coerce_event(series: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Event codes and their spellings to nullable integers. Returns (values, bad)."""
    if pd.api.types.is_bool_dtype(series):
        return series.astype("Int64"), pd.Series(False, index=series.index)
    if pd.api.types.is_numeric_dtype(series):
        values = series.astype("float64")
        whole = values.where(np.isfinite(values) & (values == np.round(values)))
        out = whole.astype("Int64")
        return out, values.notna() & whole.isna()
    text = _as_text(series)
    out = text.map(EVENT_SPELLINGS).astype("Int64")
    numeric = _to_float(text)
    other = (out.isna() & np.isfinite(numeric) & (numeric == np.round(numeric))).to_numpy(bool)
    out[other] = numeric[other].astype("int64")
    bad = series.notna() & out.isna()
    # "yes" means "an event": 1 when only yes/no is used, ambiguous next to code 2.
    yes_no = text.isin(YES_NO_EVENT).fillna(False).to_numpy(bool)
    if yes_no.any() and (out == 2).any():
        bad |= yes_no
        out[yes_no] = pd.NA
    return out, bad


def _looks_like_dates(values: pd.Series) -> bool:
    sample = values.dropna().astype(str).head(20)
    return len(sample) > 0 and bool(
        sample.str.match(r"^\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}").mean() > 0.5
    )


def _values(series: pd.Series, mask: pd.Series) -> tuple:
    return tuple(series[mask].head(6).tolist())


def _rows(mask: pd.Series) -> tuple[int, ...]:
    return tuple(int(i) + 1 for i in np.flatnonzero(np.asarray(mask, dtype=bool)))


class _Collector:
    def __init__(self, users: dict[str, str]):
        self.users = users
        self.problems: list[Problem] = []

    def add(self, canon: str | None, mask, message: str, fix: str, raw: pd.Series | None = None):
        mask = pd.Series(np.asarray(mask, dtype=bool))
        if not mask.any():
            return
        vals = _values(raw.reset_index(drop=True), mask) if raw is not None else ()
        self.problems.append(
            Problem(
                message,
                column=canon,
                rows=_rows(mask),
                fix=fix,
                values=vals,
                user_column=self.users.get(canon),
            )
        )


# --------------------------------------------------------------------------- value rules


def _pandera_problems(
    frame: pd.DataFrame, rules: dict, skip: dict[str, pd.Series], bag: _Collector
) -> None:
    """Validate ``frame`` against pandera checks built from ``rules`` (lazily)."""
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


# --------------------------------------------------------------------------- cohort


def canonical_cohort(
    raw: pd.DataFrame,
    *,
    source: str,
    columns: dict | None = None,
    time_from: tuple[str, str] | None = None,
    date_format: str | None = None,
    owned: bool = False,
) -> pd.DataFrame:
    """Map, coerce and validate a cohort table; return the canonical frame.

    ``raw`` is never modified, unless ``owned``: a frame read from a file for this call
    alone is consumed column by column, so that a large table is not held twice.
    Raises :class:`DataError` listing every problem.
    """
    if raw.shape[1] == 0:
        raise DataError(
            Problem("has no columns", fix="export the table with its header"), source=source
        )
    if owned:
        frame = raw
        frame.index = pd.RangeIndex(len(frame))
    else:
        frame = _positional(raw)
    del raw
    date_problems, date_bad = [], None
    if time_from is not None:
        frame, date_problems, date_bad = _time_from_dates(frame, time_from, date_format, source)
    frame, users = map_columns(frame, COHORT_COLUMNS, columns, source, inplace=owned)
    if time_from is not None:
        users["time"] = f"{time_from[0]} → {time_from[1]}"
    if len(frame) == 0:
        raise DataError(
            Problem("has a header but no patient rows", fix="export the table again with its data"),
            source=source,
        )
    bag = _Collector(users)
    bag.problems.extend(date_problems)
    out = pd.DataFrame(index=frame.index)
    bad: dict[str, pd.Series] = {}

    # Each column is taken out of ``frame`` as it is converted (see ``owned``).
    pid = frame.pop("patient_id")
    out["patient_id"] = _ids(pid)
    bag.add("patient_id", pid.isna(), "patient id is empty", "give every patient an id")

    col = frame.pop("closure")
    closure, bad["closure"] = coerce_bool(col)
    bag.add(
        "closure", bad["closure"], "is not a yes/no value", "use 1/0, yes/no or true/false", col
    )
    bag.add(
        "closure",
        col.isna(),
        "is empty",
        "say for every patient whether the annulus was closed (1/0, yes/no)",
    )
    out["closure"] = closure

    col = frame.pop("time")
    time, bad["time"] = coerce_number(col)
    if date_bad is not None:  # reported on the date columns already
        col = col.where(~date_bad, 1.0)
    if bad["time"].any() and _looks_like_dates(col[bad["time"]]):
        bag.add(
            "time",
            bad["time"],
            "holds dates, not months",
            "give months from surgery, or pass time_from=('surgery_date', 'end_date')",
            col,
        )
    else:
        bag.add(
            "time",
            bad["time"],
            "is not a number",
            "times are months from surgery to event or censoring",
            col,
        )
    bag.add("time", col.isna(), "is empty", "give months from surgery to event or last follow-up")
    if date_bad is not None:
        bad["time"] = bad["time"] | date_bad
    out["time"] = time

    col = frame.pop("event")
    event, bad["event"] = coerce_event(col)
    ambiguous = bad["event"] & _as_text(col).isin(YES_NO_EVENT)
    bag.add(
        "event",
        ambiguous,
        "yes/no is ambiguous next to the competing-event code 2",
        "use 1 for reherniation and 0 for no event",
        col,
    )
    bag.add(
        "event",
        bad["event"] & ~ambiguous,
        "is not an event code",
        "use 0 censored, 1 reherniation, 2 competing event",
        col,
    )
    bag.add(
        "event", col.isna(), "is empty", "use 0 for patients without an event at last follow-up"
    )
    out["event"] = event

    for spec in COHORT_COLUMNS[4:]:
        if spec.name not in frame.columns:
            continue
        col = frame.pop(spec.name)
        if spec.kind == "number":
            values, bad[spec.name] = coerce_number(col)
            bag.add(
                spec.name,
                bad[spec.name],
                "is not a number",
                f"give {spec.meaning} in {spec.unit}, or leave the cell empty",
                col,
            )
        elif spec.kind == "bool":
            values, bad[spec.name] = coerce_bool(col)
            bag.add(
                spec.name,
                bad[spec.name],
                "is not a yes/no value",
                "use 1/0, yes/no or true/false, or leave the cell empty",
                col,
            )
        else:
            values = col
        out[spec.name] = values
    for name in list(frame.columns):
        out[name] = frame.pop(name)
    del col

    rules = {
        "patient_id": {
            "unique": (
                None,
                "patient id appears more than once",
                "each row is one patient: remove duplicates or fix the ids",
            )
        },
        "time": {
            "finite": (lambda s: np.isfinite(s), "is not finite (inf)", "give a number of months"),
            "positive": (
                lambda s: ~np.isfinite(s) | (s > 0),
                "is 0 or negative",
                "times are months from surgery and must be > 0",
            )
            if time_from is None
            else (
                lambda s: ~np.isfinite(s) | (s > 0),
                "ends on or before the surgery date",
                "check the two dates (swapped? a typo in the year?)",
            ),
            "plausible": (
                lambda s: ~np.isfinite(s) | (s <= MAX_MONTHS),
                f"is over {MAX_MONTHS:.0f} months (100 years)",
                "times are months: check the unit (days? weeks?) and typos",
            )
            if time_from is None
            else (
                lambda s: ~np.isfinite(s) | (s <= MAX_MONTHS),
                f"spans over {MAX_MONTHS:.0f} months (100 years)",
                "check the years of the two dates",
            ),
        },
        "event": {
            "codes": (
                lambda s: s.isin([0, 1, 2]),
                "is not 0, 1 or 2",
                "use 0 censored, 1 reherniation, 2 competing event",
            )
        },
    }
    for name in ("age", "bmi", "defect_width_mm", "disc_height_mm"):
        rules[name] = {"range": (lambda s: s >= 0, "is negative", "check the sign and unit")}
    _pandera_problems(out, rules, bad, bag)
    if bag.problems:
        raise DataError(bag.problems, source=source)

    out = _plain_text(out.astype({"closure": bool, "time": "float64", "event": "int64"}))
    _warn_cohort(out, source)
    out.attrs = {"source": source, "columns": users}
    return out


def _positional(raw: pd.DataFrame) -> pd.DataFrame:
    """A shallow view of ``raw`` indexed 0..n-1 (row i is the user's row i + 1), without
    copying the data (``reset_index`` would) and without touching ``raw``."""
    frame = raw.copy(deep=False)
    frame.index = pd.RangeIndex(len(raw))
    return frame


def _ids(series: pd.Series) -> pd.Series:
    """Identifiers as stripped Python strings (12.0 → "12"), missing kept missing."""
    if pd.api.types.is_float_dtype(series):
        whole = series.notna() & (series == np.round(series))
        text = series.astype(object).where(~whole, series.round().astype("Int64").astype(str))
        return text.where(series.notna(), None).map(lambda v: v if v is None else str(v))
    text = series.astype("string[pyarrow]").str.strip()
    return text.astype(object).where(text.notna(), None)


_AMBIGUOUS_DATE = re.compile(r"^\s*\d{1,2}[./-]\d{1,2}[./-]\d{2,4}\s*$")


def _date_format_hint(cells: pd.Series) -> str:
    """Suggest the format from the cells that can only be read one way (a first number
    over 12 is a day; a second number over 12 is a day)."""
    parts = cells.str.extract(r"^\s*(\d{1,2})([./-])(\d{1,2})\2(\d{2,4})\s*$").dropna()
    if len(parts):
        sep = parts[1].mode().iloc[0]
        year = "%Y" if parts[3].str.len().max() == 4 else "%y"
        first, second = parts[0].astype(int), parts[2].astype(int)
        if (first > 12).any() and not (second > 12).any():
            example = cells[(first > 12).reindex(cells.index, fill_value=False)].iloc[0]
            return (
                f"cells such as {example!r} are day first: pass date_format='%d{sep}%m{sep}{year}'"
            )
        if (second > 12).any() and not (first > 12).any():
            example = cells[(second > 12).reindex(cells.index, fill_value=False)].iloc[0]
            return (
                f"cells such as {example!r} are month first: pass "
                f"date_format='%m{sep}%d{sep}{year}'"
            )
    return (
        "pass the format of your export, e.g. date_format='%d.%m.%Y' for 31.03.2021 "
        "or '%m/%d/%Y' for 03/31/2021"
    )


def _parse_dates(series: pd.Series, date_format: str | None) -> pd.Series:
    """Dates from a column: datetimes as they are; text in ``date_format``, or ISO 8601
    (YYYY-MM-DD) when no format is given. Unparsable cells come back as NaT."""
    if pd.api.types.is_datetime64_any_dtype(series):
        return series
    if series.map(lambda v: isinstance(v, (pd.Timestamp, dt.date)), na_action="ignore").all():
        return pd.to_datetime(series, errors="coerce")  # Excel cells are dates already
    text = series.astype("string[pyarrow]").str.strip()
    fmt = date_format or "ISO8601"
    return pd.to_datetime(text, errors="coerce", format=fmt)


def _time_from_dates(
    frame: pd.DataFrame, time_from: tuple[str, str], date_format: str | None, source: str
) -> tuple[pd.DataFrame, list[Problem], pd.Series]:
    """``time`` in months from two date columns. Returns the frame with ``time``, the
    date problems (reported with every other problem) and the rows they concern."""
    start, end = time_from
    missing = [c for c in (start, end) if c not in frame.columns]
    if missing:
        raise DataError(
            Problem(
                f"time_from names columns that are not there: {missing}",
                fix=f"the columns are {list(frame.columns)[:20]}",
            ),
            source=source,
        )
    if "time" in frame.columns:
        raise DataError(
            Problem(
                "has a 'time' column and time_from was also given",
                column="time",
                fix="use one or the other",
            ),
            source=source,
        )
    problems, parsed = [], {}
    bad = pd.Series(False, index=frame.index)
    for col in (start, end):
        values = _parse_dates(frame[col], date_format)
        wrong = (frame[col].notna() & values.isna()).to_numpy(bool)
        if wrong.any():
            cells = frame[col][wrong].astype(str)
            if date_format is None and cells.str.match(_AMBIGUOUS_DATE).any():
                message = (
                    "is not an ISO date (YYYY-MM-DD), and day-first or month-first is ambiguous"
                )
                fix = _date_format_hint(cells)
            else:
                message = "is not a date" + (
                    f" in the format {date_format!r}" if date_format else ""
                )
                fix = "check the cell (a typo such as 31.04.?)"
            problems.append(
                Problem(
                    message,
                    column=col,
                    rows=_rows(wrong),
                    values=_values(frame[col], pd.Series(wrong)),
                    fix=fix,
                )
            )
        empty = frame[col].isna().to_numpy(bool)
        if empty.any():
            problems.append(
                Problem(
                    "date is empty",
                    column=col,
                    rows=_rows(empty),
                    fix="give the date for every patient",
                )
            )
        bad |= wrong | empty
        parsed[col] = values
    out = frame.copy(deep=False)
    out["time"] = (parsed[end] - parsed[start]).dt.days / DAYS_PER_MONTH
    for col in (start, end):  # kept, as the dates they are
        out[col] = parsed[col]
    return out, problems, bad


def _warn_cohort(out: pd.DataFrame, source: str) -> None:
    covariates = [c for c in out.columns if c not in ("patient_id", "closure", "time", "event")]
    missing = {c: int(out[c].isna().sum()) for c in covariates if out[c].isna().any()}
    if missing:
        listed = ", ".join(f"{c} {n} row{'s' if n != 1 else ''}" for c, n in missing.items())
        warn(
            f"{source}: missing covariate values ({listed}); kept as missing, and an "
            "analysis that uses one of them leaves those patients out and says so",
            DataWarning,
        )
    median = float(out["time"].median())
    if median > 240:
        warn(
            f"{source}: median time is {median:.0f} months ({median / 12:.0f} years); "
            "times must be in months: were they given in days or weeks?",
            DataWarning,
        )


# --------------------------------------------------------------------------- studies


def canonical_studies(
    raw: pd.DataFrame, *, source: str, columns: dict | None = None
) -> pd.DataFrame:
    """Map, coerce and validate a study table; return the canonical frame."""
    if raw.shape[1] == 0:
        raise DataError(
            Problem("has no columns", fix="export the table with its header"), source=source
        )
    frame, users = map_columns(_positional(raw), STUDY_COLUMNS, columns, source)
    arm_cols = [c for pair in ARMS for c in pair]
    if not any(c in frame.columns for c in arm_cols):
        raise DataError(
            Problem(
                "has no arm columns",
                fix="add events_closure/total_closure and/or "
                "events_control/total_control (or map yours with columns=)",
            ),
            source=source,
        )
    if len(frame) == 0:
        raise DataError(
            Problem("has a header but no study rows", fix="export the table again with its data"),
            source=source,
        )
    bag = _Collector(users)
    out = pd.DataFrame(index=frame.index)
    out["study"] = _ids(frame["study"])
    bag.add("study", frame["study"].isna(), "study label is empty", "give every study a label")
    bad: dict[str, pd.Series] = {}
    for col in arm_cols:
        if col not in frame.columns:
            out[col] = pd.Series(pd.NA, index=frame.index, dtype="Int64")
            continue
        values, bad[col] = coerce_number(frame[col])
        bag.add(col, bad[col], "is not a number", "give a whole number of patients", frame[col])
        fractional = values.notna() & np.isfinite(values) & (values != np.round(values))
        bag.add(
            col,
            fractional,
            "is not a whole number",
            "counts are numbers of patients; "
            "if derived from a percentage, round and set count_basis='derived'",
            frame[col],
        )
        bad[col] = bad[col] | fractional
        bag.add(
            col,
            values.notna() & ~np.isfinite(values),
            "is not finite",
            "give a whole number of patients",
            frame[col],
        )
        huge = np.isfinite(values) & (values.abs() > MAX_COUNT)
        bag.add(
            col,
            huge,
            f"is implausibly large (over {MAX_COUNT:,.0f} patients)",
            "check the number (a misplaced digit or a pasted id?)",
            frame[col],
        )
        bad[col] = bad[col] | huge
        clean = values.where(np.isfinite(values) & ~fractional & ~huge)
        out[col] = clean.round().astype("Int64")
    for spec in STUDY_COLUMNS[5:]:
        if spec.name not in frame.columns:
            continue
        if spec.kind in ("number", "integer"):
            values, bad[spec.name] = coerce_number(frame[spec.name])
            bag.add(
                spec.name,
                bad[spec.name],
                "is not a number",
                f"give {spec.meaning}{' in ' + spec.unit if spec.unit else ''}",
                frame[spec.name],
            )
            out[spec.name] = values.round().astype("Int64") if spec.kind == "integer" else values
        else:
            out[spec.name] = frame[spec.name]
    for col in frame.columns:
        if col not in out.columns:
            out[col] = frame[col]

    for events, total in ARMS:
        e, n = out[events], out[total]
        arm = events.split("_")[1]
        half = (e.isna() & ~bad.get(events, False)) != (n.isna() & ~bad.get(total, False))
        bag.add(
            events if e.isna().any() else total,
            half & (e.isna() | n.isna()),
            f"the {arm} arm has events without patients or patients without events",
            f"give both {events} and {total}, or leave both empty",
        )
        over = (e > n).fillna(False)
        bag.add(
            events,
            over,
            f"more events than patients ({events} > {total})",
            "check the two counts (swapped? percentage?)",
            out[events].astype(object) if over.any() else None,
        )
    neither = out[["total_closure", "total_control"]].isna().all(axis=1)
    broken = pd.Series(False, index=out.index)
    for col in bad:
        if col in arm_cols:
            broken |= bad[col]
    bag.add(
        None,
        neither & ~broken,
        "a study with neither arm (no closure and no control counts)",
        "give the counts of at least one arm, or remove the row",
    )
    rules = {
        "study": {
            "unique": (
                None,
                "study label appears more than once",
                "labels must be unique: add the year or a suffix",
            )
        }
    }
    for col in arm_cols:
        rules[col] = {
            "nonneg": (
                lambda s: s.astype("float64") >= 0,
                "is negative",
                "counts cannot be negative",
            )
        }
    for col in ("total_closure", "total_control"):
        rules[col]["nonzero"] = (
            lambda s: s.astype("float64") != 0,
            "is 0 patients",
            "leave an arm without patients empty",
        )
    _pandera_problems(out, rules, bad, bag)
    if bag.problems:
        raise DataError(bag.problems, source=source)
    out = _plain_text(out)
    out.attrs = {"source": source, "columns": users}
    return out


def _plain_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Text read from files (Arrow-backed strings) back to ordinary object columns, so
    a table looks the same whether it came from a file or a DataFrame."""
    for col in frame.columns:
        if isinstance(frame[col].dtype, pd.StringDtype):
            # Through factorize, equal values share one Python string: a column of a
            # million "Site A"s costs a million pointers, not a million strings.
            codes, uniques = pd.factorize(frame[col])
            values = np.append(np.asarray(uniques, dtype=object), np.nan)
            frame[col] = values[codes]  # code -1 (missing) picks the trailing NaN
    return frame
