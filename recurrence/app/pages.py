"""The pages: the data (upload or the built-in example), the mapping form, the result
tabs, the design tab and the plan. Each function returns the page's HTML (Jinja2
templates in ``templates/``, autoescaped: every value from a file is text, never markup).
"""

from __future__ import annotations

import functools

from .mapping import (
    CLOSURE_CHOICES,
    EVENT_CHOICES,
    TIME_UNITS,
    inspect_file,
    label_choices,
    labels_of,
    propose,
    roles,
    unit_of,
)
from .state import TABS, load_tables, resolved_plan, tab_content

__all__ = [
    "design_page",
    "home_page",
    "map_form",
    "map_page",
    "post_design",
    "post_map",
    "post_plan",
    "progress_fragment",
    "report_error_page",
    "results_page",
    "upload",
]

ROLES = {"cohort": "Cohort (one row per patient)", "studies": "Study table (one row per study)"}
SUFFIXES = (".csv", ".txt", ".tsv", ".xlsx", ".xlsm", ".parquet", ".pq")


@functools.cache
def _env():
    import jinja2

    return jinja2.Environment(
        loader=jinja2.PackageLoader("recurrence.app", "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render(name: str, **context) -> str:
    from .. import __version__

    return _env().get_template(name).render(version=__version__, tabs=TABS, **context)


def home_page(session, problems=None) -> str:
    return render("home.html.j2", session=session, problems=problems or [], roles=ROLES)


async def upload(session, form, limit: int) -> list[str]:
    """Keep the uploaded files (or "builtin") in the session's folder."""
    problems = []
    chosen = {}
    for role in ROLES:
        file = form.get(f"{role}_file")
        builtin = form.get(f"{role}_builtin") == "on"
        if file is not None and getattr(file, "filename", None):
            name = file.filename
            if not name.lower().endswith(SUFFIXES):
                problems.append(f"{name}: not a CSV, Excel (.xlsx) or Parquet file")
                continue
            target = session.upload_path(role, name)
            size = 0
            with target.open("wb") as out:
                while chunk := await file.read(1 << 20):
                    size += len(chunk)
                    if size > limit:
                        break
                    out.write(chunk)
            if size > limit:
                target.unlink()
                problems.append(f"{name}: larger than {limit >> 20} MB")
                continue
            chosen[role] = target
        elif builtin:
            chosen[role] = "builtin"
    if not chosen and not problems:
        problems.append("choose a cohort or a study table, or the built-in example")
    if problems:
        return problems
    with session.lock:
        session.uploads = chosen
        session.cohort = session.studies = None
        session.form = {}
        session.forget_results()
    return []


def _section(session, role: str, form: dict | None) -> dict | None:
    """What the mapping form shows of one uploaded table."""
    upload = session.uploads.get(role)
    if upload is None:
        return None
    if upload == "builtin":
        return {"role": role, "title": ROLES[role], "builtin": True}
    form = form or {}
    header = form.get(f"{role}.header_row", "")
    sheet = form.get(f"{role}.sheet", "") or None
    header_row = int(header) if str(header).strip().isdigit() and int(header) > 0 else None
    seen = inspect_file(upload, header_row=header_row, sheet=sheet)
    notes = []
    if seen.header_hint is not None and header_row is None:
        notes = [*seen.problems, f"The column names below are read from row {seen.header_hint}."]
        header_row = seen.header_hint
        seen = inspect_file(upload, header_row=header_row, sheet=sheet)
    proposed = propose(seen.columns, role)
    chosen = {}
    for spec in roles(role):
        key = f"{role}.col.{spec.name}"
        chosen[spec.name] = form[key] if key in form else proposed.get(spec.name, "")
        if chosen[spec.name] not in seen.columns:
            chosen[spec.name] = ""
    pickers = {}
    if role == "cohort" and seen.frame is not None:
        for col_role, options in (("closure", CLOSURE_CHOICES), ("event", EVENT_CHOICES)):
            column = chosen.get(col_role)
            if not column:
                continue
            labels, hidden = labels_of(seen.frame, column)
            rows = []
            for i, label in enumerate(labels):
                key = f"{role}.label.{col_role}.{i}"
                same = form.get(f"{role}.labeltext.{col_role}.{i}") == label
                pick = form[key] if same and key in form else label_choices(label, col_role)
                rows.append({"i": i, "label": label, "pick": pick})
            pickers[col_role] = {
                "column": column,
                "rows": rows,
                "options": options,
                "hidden": hidden,
                "too_many": not labels and hidden > 0,
            }
    # a study table without its four counts compares nothing: they lead the form
    needed = [s for s in roles(role) if s.required or s.kind == "count"]
    optional = [s for s in roles(role) if s not in needed]
    return {
        "role": role,
        "title": ROLES[role],
        "builtin": False,
        "file": upload.name,
        "seen": seen,
        "notes": notes,
        "header_row": header_row or "",
        "sheet": sheet or "",
        "time_unit": form.get(f"{role}.time_unit") or unit_of(chosen.get("time", "")),
        "chosen": chosen,
        "required": needed,
        "optional": optional,
        "pickers": pickers,
    }


def _sections(session, form):
    return [s for s in (_section(session, r, form) for r in ROLES) if s is not None]


def map_form(session, form: dict | None, problems=None) -> str:
    return render(
        "map_form.html.j2",
        sections=_sections(session, form),
        problems=problems or [],
        units=TIME_UNITS,
        min_cell=(form or session.form or {}).get("min_cell", ""),
    )


def map_page(session, form: dict | None, problems=None) -> str:
    form = form if form is not None else (session.form or None)
    return render(
        "map.html.j2", session=session, form_html=map_form(session, form, problems), step="map"
    )


def post_map(session, form: dict) -> tuple[str, bool]:
    problems = load_tables(session, form)
    if problems:
        return map_page(session, form, problems), False
    return "", True


def _page(session, tab: str, content, **extra) -> str:
    return render(
        "results.html.j2",
        session=session,
        tab=tab,
        content=content,
        step="results",
        load_warnings=session.load_warnings,
        **extra,
    )


def results_page(session, tab: str, problems=None) -> str | None:
    if tab == "report":
        return report_page(session, problems)
    if tab not in {t for t, _ in TABS}:
        return None
    return _page(session, tab, tab_content(session, tab))


def report_page(session, problems=None, form=None) -> str:
    from ..errors import DataError
    from .outputs import REPORT_FORMATS, command_line

    plan, plan_problems = None, list(problems or [])
    try:
        plan = resolved_plan(session)
    except DataError as exc:
        plan_problems += [p.describe() for p in exc.problems]
    cohort = session.cohort
    columns = [
        c
        for c in (cohort.columns if cohort is not None else [])
        if c not in ("patient_id", "closure", "time", "event", "time_left")
    ]
    return _page(
        session,
        "report",
        None,
        plan=plan,
        plan_problems=plan_problems,
        columns=columns,
        formats=list(REPORT_FORMATS),
        command=command_line(session),
        toml=plan.to_toml() if plan is not None else "",
    )


def post_plan(session, form: dict) -> tuple[str, bool]:
    from ..errors import DataError
    from ..report.plan import resolve_plan
    from .outputs import plan_from_form

    plan = plan_from_form(form, session.min_cell)
    try:
        resolve_plan(plan, session.cohort, session.studies)
    except DataError as exc:
        return report_page(session, [p.describe() for p in exc.problems]), False
    with session.lock:
        session.plan = plan
        session.forget_results()
    return "", True


def report_error_page(session, exc) -> str:
    problems = getattr(exc, "problems", None)
    lines = [p.describe() for p in problems] if problems else [str(exc)]
    return report_page(session, lines)


def design_page(session, form: dict | None) -> str:
    from .tabs_evidence import design_form, design_tab

    form = form if form is not None else session.design
    values, problems = design_form(form)
    job = session.jobs.get("power")
    content = design_tab(values, problems, job)
    with session.lock:
        session.cache["design"] = content  # its figures and tables download
    return _page(session, "design", content, design=values, job=job, raw=form or {})


def post_design(session, form: dict) -> str:
    from .tabs_evidence import design_form, start_power

    with session.lock:
        session.design = form
    values, problems = design_form(form)
    if form.get("action") == "simulate" and not problems:
        old = session.jobs.get("power")
        if old is None or not old.running:
            session.jobs["power"] = start_power(values)
    return design_page(session, form)


def progress_fragment(session) -> tuple[str, bool]:
    job = session.jobs.get("power")
    if job is None:
        return "", False
    return render("progress.html.j2", job=job), not job.running
