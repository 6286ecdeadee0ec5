"""The report: one document from a cohort table and a study table, in three faces:
PDF (typeset by Typst), Word (.docx) and HTML, the same words and numbers in each.

:func:`build` loads the inputs, resolves the analysis plan (:mod:`.plan`), runs every
analysis once (:mod:`.analyses`), writes the sections into a format-free document
(:mod:`.document`; :mod:`.sections_cohort`, :mod:`.sections_studies`,
:mod:`.sections_end`), draws the figures from the result objects (:mod:`.figures`) and
renders the format the output's extension asks for. Files are written whole or not at
all, all of one command together (:mod:`recurrence._outputs`).

Examples
--------
>>> from recurrence import report
>>> doc = report.build()                                  # doctest: +SKIP
>>> doc.write("reherniation-report.docx")                 # doctest: +SKIP
"""

from __future__ import annotations

import html as _html
import os
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .._outputs import Outputs
from ..errors import DataError, Problem, RecurrenceWarning, warn
from .analyses import MAX_STUDIES, STEPS, Analyses, run_analyses
from .compose import compose
from .document import Document
from .plan import Plan, resolve_plan, template
from .printable import in_time_order

__all__ = ["BUILD_STEPS", "FORMATS", "Plan", "Report", "build", "template"]

BUILD_STEPS = ("loading", *STEPS, "figures", "document")
#: Output formats by extension.
FORMATS = {".pdf": "pdf", ".docx": "docx", ".html": "html", ".htm": "html"}
#: What ``cohort=`` / ``studies=`` (``--cohort builtin``) call the packaged data.
BUILTIN = "builtin"


def _output_format(path) -> str:
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise DataError(
            Problem(
                f"the report's extension '{suffix or '(none)'}' is not a format it writes",
                fix="end the file name in .pdf, .docx or .html",
            ),
            source=Path(path).name,
        )
    return FORMATS[suffix]


@dataclass(repr=False)
class Report:
    """A built report: the document, the analyses behind it, and its three faces."""

    document: Document = field(repr=False)
    analyses: Analyses = field(repr=False)
    inputs: tuple = field(default=(), repr=False)  # files read: never written over

    @property
    def title(self) -> str:
        return self.document.title

    def _figures(self, png: bool = False, text: bool = False) -> None:
        from .figures import render

        render(self.document, png=png, text=text)

    @property
    def html(self) -> str:
        """The report as one self-contained HTML document."""
        from .render_html import render_html

        self._figures()
        return render_html(self.document)

    def pdf(self) -> bytes:
        """The report as PDF bytes (Typst)."""
        from .render_typst import render_pdf

        self._figures(text=True)
        return render_pdf(self.document)

    def docx(self) -> bytes:
        """The report as Word (.docx) bytes."""
        from .render_docx import render_docx

        self._figures(png=True)
        return render_docx(self.document)

    def text(self) -> str:
        """Every word of the report, in order (the same in each format)."""
        return self.document.text()

    def render(self, fmt: str) -> bytes:
        """The report in ``fmt`` (``"pdf"``, ``"docx"`` or ``"html"``) as bytes."""
        if fmt == "html":
            return self.html.encode("utf-8")
        return self.pdf() if fmt == "pdf" else self.docx()

    def write(self, path: str | os.PathLike) -> Path:
        """Write the report in the format of ``path``'s extension, whole or not at all."""
        out = Outputs(self.inputs)
        self.stage(out, path)
        return out.commit()[0]

    def stage(self, outputs: Outputs, path: str | os.PathLike) -> None:
        """Add the document to ``outputs`` (a transaction of several files), rendered now,
        before anything is written."""
        outputs.target(path, "report")  # checked before the document is rendered
        fmt = _output_format(path)
        outputs.add(path, self.render(fmt), role="report")

    def tables(self) -> dict[str, pd.DataFrame]:
        """The report's tables, unrounded, for a spreadsheet (small cells suppressed
        under the plan's ``min_cell``)."""
        from ._format import suppress_counts

        a = self.analyses
        mc = a.plan.min_cell
        out: dict[str, pd.DataFrame] = {}
        if a.has_cohort:
            assert a.rates is not None and a.table_one is not None  # analysed with the cohort
            out["rates"] = suppress_counts(
                a.rates.verdicts(), ("at_risk", "events", "competing"), mc
            )
            out["table_one"] = suppress_counts(a.table_one.table, ("n", "missing", "count"), mc)
            if a.rmst is not None:
                out["rmst"] = a.rmst.table
            models = {
                "cox": a.cox,
                "cox_adjusted": a.cox_adjusted,
                "fine_gray": a.fine_gray,
                "fine_gray_adjusted": a.fine_gray_adjusted,
            }
            out["models"] = (
                pd.concat(
                    [m.table.assign(model=name) for name, m in models.items() if m is not None]
                )
                .rename_axis("term")
                .reset_index()
            )
            if a.risk_difference is not None:
                out["risk_difference"] = a.risk_difference.table
            if a.subgroups is not None:
                cols = ("n", "events", "n_closure", "events_closure", "n_control", "events_control")
                out["subgroups"] = suppress_counts(a.subgroups.table, cols, mc)
        if a.ranges:
            out["range_checks"] = pd.concat([c.table for c in a.ranges], ignore_index=True)
        for name, res in (
            ("pooled_rate_without_closure", a.pooled_control),
            ("pooled_rate_with_closure", a.pooled_closure),
            ("effect", a.effect),
            ("effect_other_measure", a.effect_other),
            ("effect_bayesian", a.bayes),
            ("with_this_cohort", a.with_cohort),
        ):
            if res is not None:
                table = res.table
                if name == "with_this_cohort":  # the cohort's own counts are patients
                    arms = ("events_closure", "total_closure", "events_control", "total_control")
                    table = suppress_counts(table, arms, mc)
                out[f"studies_{name}"] = table
        if a.sensitivity is not None:
            out["studies_sensitivity"] = a.sensitivity.table
        if a.findings is not None:
            out["studies_summary_of_findings"] = a.findings.table
        return out

    def write_tables(self, folder: str | os.PathLike) -> list[Path]:
        """Write :meth:`tables` as CSV files into ``folder``: all of them or none, cells
        that a spreadsheet would run as formulas neutralized."""
        out = Outputs(self.inputs)
        self.stage_tables(out, folder)
        return out.commit()

    def stage_tables(self, outputs: Outputs, folder: str | os.PathLike) -> None:
        """Add the tables' CSV files to ``outputs``."""
        from ..export import csv_text

        folder = outputs.folder(folder)
        for name, frame in self.tables().items():
            outputs.add(folder / f"{name}.csv", csv_text(frame), role="table")

    def __repr__(self) -> str:
        a = self.analyses
        what = f"{a.n:,} patients" if a.has_cohort else "studies only"
        return f"<Report {self.title!r}: {what}>"

    def _repr_html_(self) -> str:
        # An iframe keeps the report's page CSS from restyling the notebook.
        return (
            f'<iframe srcdoc="{_html.escape(self.html, quote=True)}" '
            'style="width:100%;height:900px;border:1px solid #ccc"></iframe>'
        )


def _progress(progress) -> Callable[[str], None]:
    if progress is None or progress is False:
        return lambda step: None
    if callable(progress):
        return progress
    from tqdm.auto import tqdm

    bar = tqdm(total=len(BUILD_STEPS), desc="report", unit="step")

    def tick(step: str) -> None:
        bar.set_postfix_str(step)
        bar.update(1)
        if bar.n >= bar.total:
            bar.close()

    return tick


def build(
    cohort=None,
    studies=None,
    *,
    plan=None,
    min_cell: int | None = None,
    out: str | os.PathLike | None = None,
    html: str | os.PathLike | None = None,
    tables: str | os.PathLike | None = None,
    horizon: float | None = None,
    title: str | None = None,
    columns: dict | None = None,
    study_columns: dict | None = None,
    sheet: str | int | None = None,
    read_cohort: dict | None = None,
    read_studies: dict | None = None,
    progress=None,
    command: str | None = None,
) -> Report:
    """Build the report from what it is given, and only that.

    Parameters
    ----------
    cohort, studies
        Paths (CSV, Excel, Parquet), DataFrames, or ``"builtin"`` for the packaged data.
        With neither, the packaged synthetic cohort and published studies (a
        demonstration, said so in the report's first line). ``studies`` alone: a report
        of the studies alone (no cohort sections, no cohort pooled with them).
        ``cohort`` alone: the cohort sections and, beside them, the packaged published
        studies, labelled as such.
    plan
        The analysis plan: a TOML file or a dict (:mod:`recurrence.report.plan`): the
        adjustment set, Table 1's variables, the months, the subgroups, the pooling.
        Every key optional; the defaults use what the data have.
    min_cell
        The small-cell rule: counts of fewer than ``min_cell`` patients (and the
        percentages that would reveal them) are shown as "< min_cell" in every table of
        the report and its exports, and the report states the rule
        (``docs/data-protection.md``). Overrides the plan's.
    out
        The report to write; its extension picks the format: ``.pdf``, ``.docx`` or
        ``.html``.
    html
        Also write the HTML version here.
    tables
        A folder to write the report's tables to, as CSV (see :meth:`Report.write_tables`).
    horizon, title
        Months of the headline rate, RMST and cohort-as-a-study row; the document's title
        (both override the plan's).
    columns, study_columns, sheet
        Column mappings for the cohort and the study table, and the cohort's Excel sheet
        (shorthands for ``read_cohort``/``read_studies``).
    read_cohort, read_studies
        Every other argument of :func:`recurrence.load_cohort` / :func:`recurrence.load_studies`
        (``values``, ``time_unit``, ``header_row``, ``time_from``, …).
    progress
        ``True`` for a progress bar, a callable ``f(step)``, or ``None``.
    command
        The command line, for the reproducibility appendix.

    Returns
    -------
    Report

    Examples
    --------
    >>> from recurrence import report
    >>> doc = report.build(studies="builtin")
    >>> doc.analyses.has_cohort, "A report of a study table alone" in doc.text()
    (False, True)
    """
    from .. import load_cohort, load_studies

    inputs = tuple(p for p in (_file(cohort), _file(studies), _file(plan)) if p is not None)
    outputs = Outputs(inputs)  # every output checked now, before the analyses run
    for path, role in ((out, "report"), (html, "HTML report")):
        if path is not None:
            outputs.target(path, role)
            _output_format(path)
    if tables is not None:
        outputs.folder(tables)
    _check_min_cell(min_cell)
    tick = _progress(progress)
    tick("loading")
    demo = cohort is None and studies is None
    read_cohort = {**(read_cohort or {})}
    read_studies = {**(read_studies or {})}
    for key, value in (("columns", columns), ("sheet", sheet)):
        if value is not None:
            read_cohort[key] = value
    if study_columns is not None:
        read_studies["columns"] = study_columns
    cohort_frame = None
    synthetic = demo or _builtin(cohort)
    packaged_studies = studies is None or _builtin(studies)
    with warnings.catch_warnings(record=True) as loading:  # also caveats of the report
        warnings.simplefilter("always", RecurrenceWarning)
        if synthetic:
            cohort_frame = load_cohort()
        elif cohort is not None:
            cohort_frame = load_cohort(cohort, **read_cohort)
        study_frame = load_studies() if packaged_studies else load_studies(studies, **read_studies)
    for w in loading:  # the caller still sees them
        warn(str(w.message), w.category)
    if cohort_frame is not None:  # in the order the analyses read it; ours, not the caller's
        cohort_frame = in_time_order(cohort_frame)
    if study_frame.empty:
        raise DataError(
            Problem("the study table has no study to analyse"), source=_name(studies, "studies")
        )
    if len(study_frame) > MAX_STUDIES:
        raise DataError(
            Problem(
                f"has {len(study_frame):,} studies; the report analyses at most {MAX_STUDIES:,}",
                fix="a study table has one row per published study: are these patient rows? "
                "(a cohort is given with --cohort)",
            ),
            source=_name(studies, "studies"),
        )
    resolved = resolve_plan(plan, cohort_frame, study_frame)
    overrides = {
        k: v
        for k, v in (("min_cell", min_cell), ("horizon", horizon), ("title", title))
        if v is not None
    }
    if overrides.get("horizon") is not None and not 0 < float(overrides["horizon"]) <= 1200:
        raise DataError(Problem(f"horizon must be > 0 months, got {horizon}"))
    resolved = Plan(**{**resolved.__dict__, **overrides})
    cohort_name = (
        None
        if cohort_frame is None
        else ("packaged synthetic cohort" if synthetic else _name(cohort, "cohort"))
    )
    studies_name = "packaged published studies" if packaged_studies else _name(studies, "studies")
    analyses = run_analyses(
        cohort_frame,
        study_frame,
        resolved,
        cohort_name=cohort_name,
        studies_name=studies_name,
        synthetic=synthetic,
        packaged_studies=packaged_studies,
        progress=tick,
        warnings_before=tuple(str(w.message) for w in loading),
        meanwhile=_drawing_imports if out is not None or html is not None else None,
    )
    tick("figures")
    from .provenance import provenance

    truth = (cohort_frame.attrs.get("truth") if cohort_frame is not None else None) or {}
    files = {"studies": None if packaged_studies else _path(studies)}
    if cohort_frame is not None:
        files = {"cohort": None if synthetic else _path(cohort), **files}
    if _file(plan) is not None:
        files["plan"] = _path(plan)
    repro = provenance(
        files,
        seed=truth.get("seed") if synthetic else None,
        command=command or "recurrence.report.build()",
        options={**_reading(cohort_frame, "cohort"), **_reading(study_frame, "studies")},
    )
    document = compose(analyses, repro)
    tick("document")
    if cohort_frame is not None:
        _no_identifiers(document.text(), cohort_frame)
    report = Report(document=document, analyses=analyses, inputs=inputs)
    # One transaction: the report, the HTML and the tables all appear, or none of them.
    if out is not None:
        report.stage(outputs, out)
    if html is not None:
        report.stage(outputs, Path(html).with_suffix(".html") if Path(html).suffix == "" else html)
    if tables is not None:
        report.stage_tables(outputs, tables)
    outputs.commit()
    return report


def _drawing_imports() -> None:
    """Import what drawing the figures needs (matplotlib: 0.3-0.4 s), called while the
    forked copy of the study analyses runs: time this process would spend waiting."""
    import matplotlib.pyplot as plt  # noqa: F401

    from . import figures  # noqa: F401


def _check_min_cell(min_cell) -> None:
    if min_cell is not None and (
        isinstance(min_cell, bool) or not isinstance(min_cell, int) or not 2 <= min_cell <= 1000
    ):
        raise DataError(
            Problem(
                f"min_cell must be a whole number of patients from 2 to 1000, got {min_cell!r}",
                fix="ethics boards usually ask for 5 or 10",
            )
        )


def _file(source):
    """The path of an input file (not a DataFrame, a dict, or the packaged data)."""
    if isinstance(source, (str, os.PathLike)) and not _builtin(source):
        return Path(source)
    return None


def _builtin(source) -> bool:
    return isinstance(source, str) and source.strip().lower() == BUILTIN


def _reading(frame, role: str) -> dict:
    """How a table was read, for the appendix: its unit and the labels recoded."""
    if frame is None:
        return {}
    out = {}
    unit = frame.attrs.get("time_unit")
    if unit and unit != "months":
        out[f"{role}: time unit of the file"] = f"{unit} (converted to months)"
    for col, mapping in (frame.attrs.get("values") or {}).items():
        shown = ", ".join(f"{k!s} → {v!s}" for k, v in list(mapping.items())[:8])
        out[f"{role}: labels of {col}"] = shown
    return out


def _name(source, default: str) -> str:
    if source is None:
        return default
    if isinstance(source, pd.DataFrame):
        return "DataFrame"
    return Path(source).name


def _path(source):
    return None if source is None else ("DataFrame" if isinstance(source, pd.DataFrame) else source)


def _no_identifiers(text: str, cohort: pd.DataFrame) -> None:
    """Refuse to produce a report that prints a patient identifier or free text.

    Identifiers made only of digits cannot be told from counts, so only identifiers
    with a non-digit character are checked; free text is every value of a text column
    that reads like a note or personal data (``_privacy.looks_like_free_text``). The
    document's words are checked (the figures draw only what their results hold). A hit
    is a bug (the tables leave such values out): nothing is written.
    """
    from .._privacy import looks_like_free_text

    leaked = 0
    if "patient_id" in cohort.columns:
        words = set(re.findall(r"[\w\-./]+", text))
        ids = cohort["patient_id"].dropna().astype(str)
        named = ids[ids.isin(words).to_numpy()]  # the digits test on those alone (5M: 2 s)
        leaked += int((~named.str.fullmatch(r"\d+")).sum())
    for col in cohort.columns:
        if col == "patient_id" or cohort[col].dtype != object:
            continue
        values = [v for v in cohort[col].dropna().unique() if looks_like_free_text(v)]
        leaked += sum(str(v).strip() in text for v in values)
    if leaked:
        raise RuntimeError(
            f"the report would print {leaked} patient identifier(s) or free-text value(s); "
            "nothing was written (please report this as a bug)"
        )
