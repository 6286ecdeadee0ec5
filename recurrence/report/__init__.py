"""The PDF report: one document from a cohort table and a study table.

:func:`build` loads the inputs (the packaged synthetic cohort and published studies by
default), runs every analysis once (:mod:`.analyses`), draws the figures from the
result objects (:mod:`.figures`), writes the words (:mod:`.content`), renders one HTML
document (Jinja2 template ``templates/report.html.j2``) and turns it into a PDF with
WeasyPrint. The same HTML previews in a notebook. Files are written whole or not at all.

Examples
--------
>>> from recurrence import report
>>> doc = report.build()                                  # doctest: +SKIP
>>> doc.write("reherniation-report.pdf")                  # doctest: +SKIP
"""

from __future__ import annotations

import datetime as dt
import html as _html
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import pandas as pd

from .._outputs import Outputs
from ..errors import DataError, Problem
from .analyses import MAX_STUDIES, STEPS, Analyses, Options, run_analyses

__all__ = ["Options", "Report", "build"]

DEFAULT_TITLE = "Reherniation after lumbar discectomy, with and without annulus closure"
BUILD_STEPS = ("loading", *STEPS, "figures", "document")


@dataclass(frozen=True, repr=False)
class Report:
    """A built report: the HTML document, the analyses behind it, and its PDF."""

    html: str = field(repr=False)
    analyses: Analyses = field(repr=False)
    title: str = DEFAULT_TITLE
    inputs: tuple = field(default=(), repr=False)  # files read: never written over

    def pdf(self) -> bytes:
        """The report as PDF bytes (WeasyPrint)."""
        from ._weasyprint import html_to_pdf

        return html_to_pdf(self.html)

    def write(self, path: str | os.PathLike) -> Path:
        """Write the PDF (``.pdf``) or the HTML (``.html``), whole or not at all."""
        out = Outputs(self.inputs)
        self.stage(out, path)
        return out.commit()[0]

    def stage(self, outputs: Outputs, path: str | os.PathLike) -> None:
        """Add the document to ``outputs`` (a transaction of several files): HTML for
        ``.html``/``.htm``, PDF otherwise, rendered now, before anything is written."""
        path = Path(path)
        outputs.target(path, "report")  # checked before the PDF is rendered
        if path.suffix.lower() in (".html", ".htm"):
            outputs.add(path, self.html, role="report")
        else:
            outputs.add(path, self.pdf(), role="report")

    def tables(self) -> dict[str, pd.DataFrame]:
        """The report's tables, unrounded, for a spreadsheet."""
        from ._format import suppress_counts

        a = self.analyses
        mc = a.options.min_cell
        out: dict[str, pd.DataFrame] = {}
        if a.has_cohort:
            out["rates"] = suppress_counts(
                a.rates.verdicts(), ("at_risk", "events", "competing"), mc
            )
            out["table_one"] = suppress_counts(a.table_one.table, ("n", "missing", "count"), mc)
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
        if a.ranges:
            out["range_checks"] = pd.concat([c.table for c in a.ranges], ignore_index=True)
        for name, res in (
            ("pooled_rate_without_closure", a.pooled_control),
            ("pooled_rate_with_closure", a.pooled_closure),
            ("risk_ratio", a.effect_rr),
            ("odds_ratio", a.effect_or),
            ("with_this_cohort", a.with_cohort),
        ):
            if res is not None:
                table = res.table
                if name == "with_this_cohort":  # the cohort's own counts are patients
                    cols = ("events_closure", "total_closure", "events_control", "total_control")
                    table = suppress_counts(table, cols, mc)
                out[f"studies_{name}"] = table
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


#: What ``cohort=`` / ``studies=`` (``--cohort builtin``) call the packaged data.
BUILTIN = "builtin"


def build(
    cohort=None,
    studies=None,
    *,
    out: str | os.PathLike | None = None,
    html: str | os.PathLike | None = None,
    tables: str | os.PathLike | None = None,
    horizon: float = 24.0,
    title: str | None = None,
    columns: dict | None = None,
    study_columns: dict | None = None,
    sheet: str | int | None = None,
    read_cohort: dict | None = None,
    read_studies: dict | None = None,
    min_cell: int | None = None,
    options: Options | None = None,
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
    out, html
        Write the PDF to ``out`` and/or the HTML to ``html`` (each whole or not at all).
    tables
        A folder to write the report's tables to, as CSV (see :meth:`Report.write_tables`).
    horizon
        Months of the headline rate, the RMST and the cohort-as-a-study row.
    title
        Title of the document.
    columns, study_columns, sheet
        Column mappings for the cohort and the study table, and the cohort's Excel sheet
        (shorthands for ``read_cohort``/``read_studies``).
    read_cohort, read_studies
        Every other argument of :func:`recurrence.load_cohort` / :func:`recurrence.load_studies`
        (``values``, ``time_unit``, ``header_row``, ``time_from``, …).
    min_cell
        The small-cell rule: counts of fewer than ``min_cell`` patients (and the
        percentages that would reveal them) are shown as "< min_cell" in every table of
        the report and its exports, and the report states the rule
        (``docs/data-protection.md``).
    options
        Every other analysis option (:class:`Options`); ``horizon`` overrides its horizon.
    progress
        ``True`` for a progress bar, a callable ``f(step)``, or ``None``.
    command
        The command line, for the reproducibility appendix.

    Returns
    -------
    Report
    """
    from .. import load_cohort, load_studies
    from .content import context
    from .figures import figures
    from .provenance import provenance

    if not horizon > 0:
        raise DataError(Problem(f"horizon must be > 0 months, got {horizon}"))
    inputs = tuple(p for p in (_file(cohort), _file(studies)) if p is not None)
    outputs = Outputs(inputs)  # every output checked now, before the analyses run
    for path, role in ((out, "report"), (html, "HTML report")):
        if path is not None:
            outputs.target(path, role)
    if tables is not None:
        outputs.folder(tables)
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
    if demo or _builtin(cohort):
        cohort_frame = load_cohort()
    elif cohort is not None:
        cohort_frame = load_cohort(cohort, **read_cohort)
    packaged_studies = studies is None or _builtin(studies)
    study_frame = load_studies() if packaged_studies else load_studies(studies, **read_studies)
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
    if min_cell is not None and (
        isinstance(min_cell, bool) or not isinstance(min_cell, int) or not 2 <= min_cell <= 1000
    ):
        raise DataError(
            Problem(
                f"min_cell must be a whole number of patients from 2 to 1000, got {min_cell!r}",
                fix="ethics boards usually ask for 5 or 10",
            )
        )
    opts = options or Options()
    opts = Options(
        **{
            **opts.__dict__,
            "horizon": float(horizon),
            "min_cell": min_cell if min_cell is not None else opts.min_cell,
        }
    )
    synthetic = cohort_frame is not None and (demo or _builtin(cohort))
    cohort_name = (
        None
        if cohort_frame is None
        else ("packaged synthetic cohort" if synthetic else _name(cohort, "cohort"))
    )
    studies_name = "packaged published studies" if packaged_studies else _name(studies, "studies")
    analyses = run_analyses(
        cohort_frame,
        study_frame,
        opts,
        cohort_name=cohort_name,
        studies_name=studies_name,
        synthetic=synthetic,
        packaged_studies=packaged_studies,
        progress=tick,
    )
    tick("figures")
    figs = figures(analyses)
    tick("document")
    truth = (cohort_frame.attrs.get("truth") if cohort_frame is not None else None) or {}
    inputs = {"studies": None if packaged_studies else _path(studies)}
    if cohort_frame is not None:
        inputs = {"cohort": None if synthetic else _path(cohort), **inputs}
    repro = provenance(
        inputs,
        seed=truth.get("seed") if synthetic else None,
        command=command or "recurrence.report.build()",
        options={
            "horizon (months)": f"{opts.horizon:g}",
            "rate times (months)": ", ".join(f"{t:g}" for t in opts.times),
            "confidence level": f"{opts.level:g}",
            "proportion transform": opts.transform,
            "tau² estimator": opts.method,
            "HKSJ": str(opts.hksj),
            "effect measure": opts.measure,
            "small-cell rule": f"counts < {opts.min_cell} suppressed" if opts.min_cell else "none",
            **_reading(cohort_frame, "cohort"),
            **_reading(study_frame, "studies"),
        },
    )
    from .. import __version__

    today = dt.date.today().isoformat()
    ctx = context(
        analyses,
        study_frame,
        figs,
        title=title or DEFAULT_TITLE,
        subtitle=" · ".join(n for n in (cohort_name, studies_name, today) if n),
        version=__version__,
        css=_read("report.css"),
        repro=repro,
    )
    document = _template().render(**ctx)
    if cohort_frame is not None:
        _no_identifiers(document, cohort_frame)
    report = Report(html=document, analyses=analyses, title=title or DEFAULT_TITLE, inputs=inputs)
    # One transaction: the PDF, the HTML and the tables all appear, or none of them.
    if out is not None:
        report.stage(outputs, out)
    if html is not None:
        report.stage(outputs, Path(html).with_suffix(".html") if Path(html).suffix == "" else html)
    if tables is not None:
        report.stage_tables(outputs, tables)
    outputs.commit()
    return report


def _file(source):
    """The path of an input file (not a DataFrame, not the packaged data)."""
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


def _read(name: str) -> str:
    return (resources.files("recurrence.report") / "templates" / name).read_text(encoding="utf-8")


def _template():
    import jinja2

    env = jinja2.Environment(
        autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True
    )
    return env.from_string(_read("report.html.j2"))


_DATA_URI = re.compile(r'src="data:[^"]*"')


def _no_identifiers(document: str, cohort: pd.DataFrame) -> None:
    """Refuse to produce a report that prints a patient identifier or free text.

    Identifiers made only of digits cannot be told from counts, so only identifiers
    with a non-digit character are checked; free text is every value of a text column
    that reads like a note or personal data (``_privacy.looks_like_free_text``).
    Embedded figures are skipped: their text is drawn as paths and their base64 would
    give false alarms. A hit is a bug (the tables leave such values out): nothing is
    written.
    """
    from .._privacy import looks_like_free_text

    text = _html.unescape(_DATA_URI.sub("", document))
    leaked = 0
    if "patient_id" in cohort.columns:
        words = set(re.findall(r"[\w\-./]+", text))
        ids = cohort["patient_id"].dropna().astype(str)
        leaked += int((ids.isin(words) & ~ids.str.fullmatch(r"\d+")).sum())
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
