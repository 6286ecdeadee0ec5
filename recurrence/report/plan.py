"""The analysis plan of a report: what it adjusts for, which variables Table 1 shows,
the months of the rates, the subgroups, and how the studies are pooled.

A plan is written before the data are seen (a statistical analysis plan), as a TOML
file (``recurrence report --plan PLAN.toml``) or a dict (``report.build(plan=...)``).
Every key is optional; a key that is not known, a value of the wrong kind, or a column
the data do not have is an error with the fix. Without a key, the default uses what the
data have, and the report says which defaults it took (never "adjusted for age" when
there is no age).

```toml
title = "Reherniation after MED with annular suture"
[cohort]
covariates = ["age", "smoker", "defect_width_mm"]   # adjustment set of Cox and Fine-Gray
table_one = ["age", "sex", "bmi", "smoker", "level"]
times = [12, 24, 60]                                # months of the rates and risk differences
subgroups = ["approach", "level"]                   # closure effect per level, interaction test
[studies]
measure = "RR"
method = "REML"
hksj = true
subgroups = ["design"]
```
"""

from __future__ import annotations

import difflib
import os
from dataclasses import dataclass, field, replace
from typing import Any

import pandas as pd

from .._toml import toml_text, toml_value
from ..errors import DataError, Problem

__all__ = ["DEFAULT_TIMES", "Plan", "read_plan", "resolve_plan", "template"]

#: Months of the rates when the plan does not say.
DEFAULT_TIMES = (12.0, 24.0, 60.0)
#: The adjustment set by default: those of these the cohort has (known risk factors of
#: reherniation: smoking, diabetes, defect width; and age).
DEFAULT_COVARIATES = ("age", "smoker", "diabetes", "defect_width_mm")
#: Cohort subgroups by default: those of these the cohort has, with two levels or more.
DEFAULT_SUBGROUPS = ("approach", "level", "sex", "defect_width_mm")
#: Study subgroups by default.
DEFAULT_STUDY_SUBGROUPS = ("device", "approach", "design")
MEASURES = ("RR", "OR", "RD")
METHODS = ("FE", "DL", "REML", "PM", "ML", "EB", "HE", "SJ", "MH", "PETO", "bayes")
CORE = ("patient_id", "closure", "time", "event", "time_left")

_KEYS = {
    "": {"title", "horizon", "level", "min_cell", "cohort", "studies"},
    "cohort": {"covariates", "table_one", "times", "subgroups"},
    "studies": {"measure", "method", "hksj", "subgroups"},
}


@dataclass(frozen=True)
class Plan:
    """A report's analysis plan (see the module docstring). ``None`` means "the
    default": :func:`resolve_plan` fills it from the data and records which keys were
    defaults in ``defaults``."""

    title: str | None = None
    horizon: float = 24.0
    level: float = 0.95
    min_cell: int | None = None
    covariates: tuple[str, ...] | None = None
    table_one: tuple[str, ...] | None = None
    times: tuple[float, ...] | None = None
    subgroups: tuple[str, ...] | None = None
    measure: str = "RR"
    method: str = "REML"
    hksj: bool | str = True
    study_subgroups: tuple[str, ...] | None = None
    defaults: tuple[str, ...] = field(default=())
    source: str = "defaults"

    def as_dict(self) -> dict:
        """The plan as a TOML-shaped dict (what the report prints in its appendix)."""
        out: dict = {}
        if self.title:
            out["title"] = self.title
        out["horizon"] = self.horizon
        out["level"] = self.level
        if self.min_cell is not None:
            out["min_cell"] = self.min_cell
        out["cohort"] = {
            k: list(v)
            for k, v in (
                ("covariates", self.covariates),
                ("table_one", self.table_one),
                ("times", self.times),
                ("subgroups", self.subgroups),
            )
            if v is not None
        }
        out["studies"] = {
            "measure": self.measure,
            "method": self.method,
            "hksj": self.hksj,
            **(
                {"subgroups": list(self.study_subgroups)}
                if self.study_subgroups is not None
                else {}
            ),
        }
        return out

    def to_toml(self) -> str:
        """The plan as TOML text (it reads back to the same plan)."""
        return toml_text(self.as_dict())


def read_plan(plan) -> tuple[dict, str]:
    """A plan from a dict, a TOML file, or ``None``: (the dict, where it came from)."""
    if plan is None:
        return {}, "defaults"
    if isinstance(plan, Plan):
        return plan.as_dict(), plan.source
    if isinstance(plan, dict):
        return plan, "dict"
    if isinstance(plan, (str, os.PathLike)):
        import tomllib

        from .._outputs import check_input

        path = check_input(plan)
        try:
            return tomllib.loads(path.read_text(encoding="utf-8-sig")), path.name
        except (UnicodeDecodeError, ValueError) as exc:
            first = str(exc).splitlines()[0][:120]
            raise DataError(
                Problem(f"is not a TOML analysis plan ({first})", fix="see recurrence plan --init"),
                source=path.name,
            ) from exc
    raise DataError(Problem(f"plan must be a TOML file or a dict, got {type(plan).__name__}"))


def _unknown(keys, known, where: str) -> list[Problem]:
    problems = []
    for key in keys:
        if key not in known:
            near = difflib.get_close_matches(str(key), sorted(known), n=1, cutoff=0.6)
            problems.append(
                Problem(
                    f"the plan has an unknown key '{where}{key}'",
                    fix=(f"did you mean '{where}{near[0]}'? " if near else "")
                    + f"the keys{' of [' + where.rstrip('.') + ']' if where else ''} are "
                    + ", ".join(sorted(known)),
                )
            )
    return problems


def _names(value, key: str, problems: list) -> tuple[str, ...] | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        problems.append(Problem(f"plan key '{key}' must be a list of column names"))
        return None
    return tuple(value)


def _columns_exist(names, frame, key: str, problems: list) -> None:
    if names is None or frame is None:
        return
    for name in names:
        if name not in frame.columns:
            near = difflib.get_close_matches(name, [str(c) for c in frame.columns], n=1)
            problems.append(
                Problem(
                    f"plan key '{key}' names column '{name}', which the table does not have",
                    fix=(f"did you mean '{near[0]}'? " if near else "")
                    + "use the column names of the loaded table (canonical names after "
                    "mapping)",
                )
            )


def resolve_plan(plan, cohort: pd.DataFrame | None, studies: pd.DataFrame | None) -> Plan:
    """Check a plan against the data and fill its defaults from what the data have."""
    raw, source = read_plan(plan)
    problems = _unknown(raw, _KEYS[""], "")
    cohort_raw = raw.get("cohort", {}) or {}
    study_raw = raw.get("studies", {}) or {}
    for name, part in (("cohort", cohort_raw), ("studies", study_raw)):
        if not isinstance(part, dict):
            problems.append(Problem(f"plan key '{name}' must be a table ([{name}] in TOML)"))
            raise DataError(problems, source=source)
    problems += _unknown(cohort_raw, _KEYS["cohort"], "cohort.")
    problems += _unknown(study_raw, _KEYS["studies"], "studies.")
    p = Plan(source=source)
    changes: dict = {}
    if "title" in raw:
        changes["title"] = str(raw["title"])
    for key, kind in (("horizon", float), ("level", float)):
        if key in raw:
            try:
                changes[key] = kind(raw[key])
            except (TypeError, ValueError):
                problems.append(Problem(f"plan key '{key}' must be a number, got {raw[key]!r}"))
    if "horizon" in changes and not 0 < changes["horizon"] <= 1200:
        problems.append(Problem("plan key 'horizon' must be months between 0 and 1200"))
    if "level" in changes and not 0 < changes["level"] < 1:
        problems.append(Problem("plan key 'level' must lie between 0 and 1, e.g. 0.95"))
    if "min_cell" in raw:
        mc = raw["min_cell"]
        if isinstance(mc, bool) or not isinstance(mc, int) or not 2 <= mc <= 1000:
            problems.append(Problem("plan key 'min_cell' must be a whole number from 2 to 1000"))
        else:
            changes["min_cell"] = mc
    for key in ("covariates", "table_one", "subgroups"):
        names = _names(cohort_raw.get(key), f"cohort.{key}", problems)
        _columns_exist(names, cohort, f"cohort.{key}", problems)
        if names is not None:
            changes[key] = names
    if "times" in cohort_raw:
        times = cohort_raw["times"]
        times = [times] if isinstance(times, (int, float)) else times
        try:
            values = tuple(sorted({float(t) for t in times}))
            if not values or any(not 0 < t <= 1200 for t in values):
                raise ValueError
            changes["times"] = values
        except (TypeError, ValueError):
            problems.append(
                Problem(
                    "plan key 'cohort.times' must be months between 0 and 1200",
                    fix="e.g. times = [12, 24, 60]",
                )
            )
    if "measure" in study_raw:
        if study_raw["measure"] not in MEASURES:
            problems.append(
                Problem(f"plan key 'studies.measure' must be one of {', '.join(MEASURES)}")
            )
        else:
            changes["measure"] = study_raw["measure"]
    if "method" in study_raw:
        if study_raw["method"] not in METHODS:
            problems.append(
                Problem(f"plan key 'studies.method' must be one of {', '.join(METHODS)}")
            )
        else:
            changes["method"] = study_raw["method"]
    if "hksj" in study_raw:
        if study_raw["hksj"] not in (True, False, "adhoc"):
            problems.append(Problem("plan key 'studies.hksj' must be true, false or \"adhoc\""))
        else:
            changes["hksj"] = study_raw["hksj"]
    names = _names(study_raw.get("subgroups"), "studies.subgroups", problems)
    _columns_exist(names, studies, "studies.subgroups", problems)
    if names is not None:
        changes["study_subgroups"] = names
    if problems:
        raise DataError(problems, source=source)
    p = replace(p, **changes)
    return _defaults(p, cohort, studies)


def _levels(frame: pd.DataFrame, col: str) -> int:
    return int(frame[col].nunique(dropna=True))


def _defaults(p: Plan, cohort, studies) -> Plan:
    """Fill what the plan leaves open from what the data have; note which keys."""
    defaults: list[str] = []
    changes: dict[str, Any] = {}  # Plan fields, each of its own type
    if cohort is not None:
        if p.covariates is None:
            changes["covariates"] = tuple(c for c in DEFAULT_COVARIATES if c in cohort.columns)
            defaults.append("cohort.covariates")
        if p.table_one is None:
            changes["table_one"] = tuple(
                c
                for c in cohort.columns
                if c not in CORE and not pd.api.types.is_datetime64_any_dtype(cohort[c])
            )
            defaults.append("cohort.table_one")
        if p.times is None:
            # only months the follow-up reaches: a row of dashes is no default
            longest = float(cohort["time"].max()) if len(cohort) else 0.0
            within = tuple(t for t in DEFAULT_TIMES if t <= longest)
            changes["times"] = within or (float(max(1, int(longest))),)
            defaults.append("cohort.times")
        if p.subgroups is None:
            changes["subgroups"] = tuple(
                c for c in DEFAULT_SUBGROUPS if c in cohort.columns and _levels(cohort, c) > 1
            )
            defaults.append("cohort.subgroups")
    if studies is not None and p.study_subgroups is None:
        changes["study_subgroups"] = tuple(
            c for c in DEFAULT_STUDY_SUBGROUPS if c in studies.columns and _levels(studies, c) > 1
        )
        defaults.append("studies.subgroups")
    return replace(p, **changes, defaults=tuple(defaults))


def template(cohort: pd.DataFrame | None = None, studies: pd.DataFrame | None = None) -> str:
    """A plan template (TOML with comments), its values the defaults for the data.

    Parameters
    ----------
    cohort : pandas.DataFrame, optional
        The cohort the plan is for: its columns propose the covariates, Table 1 variables
        and subgroups.
    studies : pandas.DataFrame, optional
        The study table: its columns propose the study subgroups.

    Returns
    -------
    str
        The TOML text, every key commented, values the defaults for these data.

    Examples
    --------
    >>> from recurrence import simulate_cohort
    >>> text = template(simulate_cohort(200, seed=1))
    >>> print(text.splitlines()[0])
    # Analysis plan of `recurrence report --plan` (every key optional; see
    >>> "horizon = 24" in text
    True
    """
    p = _defaults(Plan(), cohort, studies)
    lines = [
        "# Analysis plan of `recurrence report --plan` (every key optional; see",
        "# docs/report.md). Write it before the data are seen.",
        "",
        '# title = "Reherniation after discectomy with annular closure"',
        "horizon = 24          # months of the headline rate, RMST and cohort-as-a-study row",
        "level = 0.95          # confidence level",
        "# min_cell = 5        # small-cell rule: counts below it shown as '< 5'",
        "",
        "[cohort]",
        "# adjustment set of Cox and Fine-Gray",
        f"covariates = {toml_value(list(p.covariates or ()))}",
        f"table_one = {toml_value(list(p.table_one or ()))}",
        "# months of the rates and risk-difference tables",
        f"times = {toml_value(list(p.times or DEFAULT_TIMES))}",
        "# closure effect within each level, with the interaction test",
        f"subgroups = {toml_value(list(p.subgroups or ()))}",
        "",
        "[studies]",
        'measure = "RR"        # RR, OR or RD',
        'method = "REML"       # FE, DL, REML, PM, ML, MH, PETO, bayes',
        'hksj = true           # Hartung-Knapp-Sidik-Jonkman (or "adhoc")',
        f"subgroups = {toml_value(list(p.study_subgroups or ()))}",
    ]
    return "\n".join(lines) + "\n"
