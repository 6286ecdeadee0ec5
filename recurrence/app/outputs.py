"""What the app hands back whole: the report (PDF, DOCX, HTML), the analysis plan
(TOML, for ``recurrence report --plan``) and the data dictionary (TOML, for
``--columns``), so that the same analysis runs again from the command line.

The report is :func:`recurrence.report.build` on the files the user uploaded, with the
reading options of the form, the plan and the small-cell rule; it is written into the
session's own folder, read back and removed.
"""

from __future__ import annotations

import shlex
from pathlib import Path

from .._toml import toml_text

__all__ = [
    "REPORT_FORMATS",
    "command_line",
    "dictionary_toml",
    "plan_from_form",
    "report_bytes",
]

#: Report formats offered, with their media types and the bytes each file starts with.
REPORT_FORMATS = {
    "pdf": ("application/pdf", b"%PDF"),
    "docx": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        b"PK\x03\x04",
    ),
    "html": ("text/html; charset=utf-8", b""),
}
PLAN_METHODS = ("REML", "DL", "PM", "ML", "FE", "MH", "bayes")


def dictionary_toml(reading: dict) -> str:
    """The loader's options of the form as a data dictionary (``--columns FILE``)."""
    head = "# Data dictionary written by `recurrence app`: recurrence report --columns THIS\n"
    return head + toml_text(reading)


def plan_from_form(form: dict, min_cell: int | None) -> dict:
    """The analysis plan (TOML-shaped dict) from the plan form; empty fields are left
    to the defaults, which :func:`recurrence.report.plan.resolve_plan` fills and checks."""
    plan: dict = {}
    title = str(form.get("title", "")).strip()
    if title:
        plan["title"] = title
    for key in ("horizon", "level"):
        raw = str(form.get(key, "")).strip()
        if raw:
            try:
                plan[key] = float(raw)
            except ValueError:
                plan[key] = raw  # resolve_plan says what is wrong with it
    if min_cell is not None:
        plan["min_cell"] = min_cell
    cohort: dict = {}
    times = str(form.get("times", "")).strip()
    if times:
        try:
            cohort["times"] = [float(t) for t in times.replace(";", ",").split(",") if t.strip()]
        except ValueError:
            cohort["times"] = times
    for key in ("covariates", "table_one", "subgroups"):
        if f"{key}.given" in form:  # the checkboxes were shown: what is ticked is the plan
            cohort[key] = list(form.get(key, []))
    if cohort:
        plan["cohort"] = cohort
    studies = {}
    if form.get("measure"):
        studies["measure"] = form["measure"]
    if form.get("method"):
        studies["method"] = form["method"]
    hksj = form.get("hksj", "")
    if hksj:
        studies["hksj"] = {"true": True, "false": False}.get(hksj, hksj)
    if studies:
        plan["studies"] = studies
    return plan


def _source(session, role: str):
    upload = session.uploads.get(role)
    if upload is None:
        return None
    return "builtin" if upload == "builtin" else str(upload)


def command_line(session, plan_name: str = "plan.toml") -> str:
    """The command that builds the same report from the same files."""
    parts = ["recurrence", "report"]
    for role, flag, dict_flag in (
        ("cohort", "--cohort", "--columns"),
        ("studies", "--studies", "--study-columns"),
    ):
        source = _source(session, role)
        if source is None:
            continue
        parts += [flag, source if source == "builtin" else Path(source).name]
        if session.reading.get(role):
            parts += [dict_flag, f"{role}-dictionary.toml"]
    parts += ["--plan", plan_name]
    if session.min_cell is not None:
        parts += ["--min-cell", str(session.min_cell)]
    parts += ["--out", "report.pdf"]
    return shlex.join(parts)


def report_bytes(session, fmt: str) -> bytes:
    """Build the report of the session's files, reading options, plan and small-cell
    rule (:func:`recurrence.report.build`, the extension of ``out`` picking the format);
    return the document's bytes."""
    from ..report import build
    from .blocks import captured

    _, magic = REPORT_FORMATS[fmt]
    folder = session.folder / "report"
    folder.mkdir(mode=0o700, exist_ok=True)
    out = folder / f"report.{fmt}"
    cohort, studies = _source(session, "cohort"), _source(session, "studies")
    kwargs = {
        "read_cohort": session.reading.get("cohort") or None,
        "read_studies": session.reading.get("studies") or None,
        "min_cell": session.min_cell,
        "out": out,
        "plan": dict(session.plan),
        "command": "recurrence app (" + command_line(session) + ")",
    }

    try:
        with captured():  # the report prints its caveats itself
            build(cohort, studies, **kwargs)
        data = out.read_bytes()
    finally:
        out.unlink(missing_ok=True)
    if not data.startswith(magic):  # a format this version would write wrongly
        raise ValueError(f"the .{fmt} report did not come out as a .{fmt} file")
    return data
