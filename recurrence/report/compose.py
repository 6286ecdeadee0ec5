"""The report's document: its title, first line and summary, then the cohort's, the
studies' and the closing sections, in a reviewer's order."""

from __future__ import annotations

import datetime as dt

from .analyses import Analyses
from .document import Document

__all__ = ["DEFAULT_TITLE", "compose"]

DEFAULT_TITLE = "Reherniation after lumbar discectomy, with and without annulus closure"


def compose(a: Analyses, repro: dict) -> Document:
    """The document of the analyses: front, cohort, studies, range, back."""
    from .. import __version__
    from .sections_cohort import cohort_sections, cohort_summary
    from .sections_end import back_sections
    from .sections_studies import range_section, study_sections, study_summary

    today = dt.date.today().isoformat()
    doc = Document(
        title=a.plan.title or DEFAULT_TITLE,
        subtitle=" · ".join(n for n in (a.cohort_name, a.studies_name, today) if n),
        version=__version__,
    )
    doc.paragraph(_opening(a), "opening")
    doc.heading("Summary", level=2, label="sec:summary")
    summary = (cohort_summary(a) if a.has_cohort else "") + study_summary(a)
    doc.paragraph(summary.strip(), "lead")
    if a.has_cohort:
        cohort_sections(doc, a)
    study_sections(doc, a)
    range_section(doc, a)
    back_sections(doc, a, repro)
    return doc


def _opening(a: Analyses) -> str:
    """The report's first line: what was analysed, and whether any of it is synthetic."""
    from ._format import count

    mc = a.plan.min_cell
    studies = (
        f"the packaged table of {a.k_studies} published studies"
        if a.packaged_studies
        else f"{a.k_studies} studies from {a.studies_name}"
    )
    rule = (
        f" Counts of fewer than {mc} patients are shown as '< {mc}' (small-cell rule)."
        if mc
        else ""
    )
    if not a.has_cohort:
        return f"A report of a study table alone: {studies}. No patient-level cohort was given."
    if a.synthetic:
        return (
            f"Demonstration on synthetic data: the cohort of {count(a.n, mc)} patients is "
            f"simulated (recurrence.simulate_cohort), not real patients; beside it, {studies}."
            + rule
        )
    return f"Cohort: {a.cohort_name}, {count(a.n, mc)} patients; beside it, {studies}." + rule
