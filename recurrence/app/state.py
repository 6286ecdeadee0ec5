"""A session's tables and results: loading through the form's options, resolving the
plan, computing a tab once and keeping it until the tables or the plan change."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from ..errors import DataError
from .blocks import COMPUTE_LOCK, Tab, captured
from .mapping import reading_from_form

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["TABS", "find_block", "load_tables", "resolved_plan", "tab_content"]

#: The result tabs: path, label.
TABS = (
    ("summary", "Summary and Table 1"),
    ("curves", "Curves"),
    ("effects", "Effects"),
    ("evidence", "Pooled evidence"),
    ("design", "Design"),
    ("report", "Plan and report"),
)


def _min_cell(form: dict) -> tuple[int | None, list[str]]:
    raw = str(form.get("min_cell", "")).strip()
    if not raw:
        return None, []
    try:
        value = int(raw)
    except ValueError:
        return None, [f"small-cell rule: {raw!r} is not a whole number"]
    if not 2 <= value <= 1000:
        return None, ["small-cell rule: give a whole number of patients from 2 to 1000"]
    return value, []


def load_tables(session, form: dict) -> list[str]:
    """Load the session's cohort and study table with the options of the form. Returns
    the problems, one line each (the loader's own, as :meth:`Problem.describe` words
    them); nothing is kept, and nothing runs, unless there are none."""
    from .. import load_cohort, load_studies

    problems: list[str] = []
    min_cell, bad = _min_cell(form)
    problems += bad
    loaded: dict = {}
    reading: dict = {}
    loaders: dict[str, Callable[..., pd.DataFrame]] = {
        "cohort": load_cohort,
        "studies": load_studies,
    }
    with captured() as seen:
        for role, loader in loaders.items():
            upload = session.uploads.get(role)
            if upload is None:
                loaded[role] = None
                continue
            if upload == "builtin":
                loaded[role] = loader()
                reading[role] = {}
                continue
            kwargs = reading_from_form(form, role)
            reading[role] = kwargs
            try:
                loaded[role] = loader(upload, **kwargs)
            except DataError as exc:
                where = exc.source or upload.name
                problems += [f"{where}: {p.describe()}" for p in exc.problems]
    if problems:
        return problems
    with session.lock:
        session.cohort, session.studies = loaded.get("cohort"), loaded.get("studies")
        session.reading, session.min_cell = reading, min_cell
        session.load_warnings = tuple(seen)
        session.form = dict(form)
        session.forget_results()
        session.plan = {"min_cell": min_cell} if min_cell is not None else {}
    return []


def resolved_plan(session):
    """The session's plan, checked against its tables, defaults filled in."""
    from ..report.plan import resolve_plan

    with COMPUTE_LOCK:
        return resolve_plan(dict(session.plan), session.cohort, session.studies)


def tab_content(session, tab: str) -> Tab:
    """A tab's content, computed once per tables and plan."""
    from .tabs_cohort import curves_tab, effects_tab, summary_tab
    from .tabs_evidence import evidence_tab

    with session.lock:
        if tab in session.cache:
            return session.cache[tab]
        plan = resolved_plan(session)
        mc = session.min_cell
        if tab == "summary":
            content = summary_tab(session.cohort, plan, mc)
        elif tab == "curves":
            content = curves_tab(session.cohort, plan, mc)
        elif tab == "effects":
            content = effects_tab(session.cohort, plan, mc)
        elif tab == "evidence":
            content = evidence_tab(session.studies, plan)
        else:
            raise KeyError(tab)
        session.cache[tab] = content
        return content


def find_block(session, name: str):
    """The block called ``name`` among the tabs computed so far (the design tab too)."""
    for content in list(session.cache.values()):
        block = content.block(name)
        if block is not None:
            return block
    return None
