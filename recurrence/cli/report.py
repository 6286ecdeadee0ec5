"""``recurrence report``: the full report of a cohort and/or a study table."""

from __future__ import annotations

import gc
import sys

import click

from ._common import (
    STUDY_KEYS,
    OneLineErrors,
    cohort_options,
    cohort_options_need_a_cohort,
    friendly,
    given_options,
    loader_kwargs,
    shown_warnings,
    study_options,
    study_options_need_studies,
)

__all__ = ["report"]


@click.command(cls=OneLineErrors)
@click.option(
    "--cohort",
    "cohort_path",
    type=click.Path(),
    default=None,
    help="Cohort table (CSV, .xlsx, .parquet), or 'builtin' for the packaged synthetic "
    "cohort. Without --cohort and --studies: the packaged data (a demonstration).",
)
@click.option(
    "--studies",
    "studies_path",
    type=click.Path(),
    default=None,
    help="Study table, or 'builtin'. Alone: a report of the studies alone. "
    "Default with --cohort: the packaged published studies.",
)
@cohort_options
@study_options
@click.option(
    "--plan",
    "plan_path",
    type=click.Path(),
    default=None,
    help="Analysis plan (TOML): adjustment set, Table 1, months, subgroups, pooling. "
    "Write a template with: recurrence plan --init.",
)
@click.option(
    "--horizon",
    type=click.FloatRange(min=0, min_open=True, max=1200),
    default=None,
    help="Months of the headline rate, RMST and cohort-as-study row (default 24, or the plan's).",
)
@click.option("--title", default=None, help="Title of the report.")
@click.option(
    "--min-cell",
    type=click.IntRange(2, 1000),
    default=None,
    help="Small-cell rule: show counts of fewer than N patients as '< N' everywhere.",
)
@click.option(
    "--html", "html_path", type=click.Path(), default=None, help="Also write the HTML version here."
)
@click.option(
    "--tables",
    "tables_path",
    type=click.Path(file_okay=False),
    default=None,
    help="Also write the report's tables as CSV files into this folder.",
)
@click.option(
    "--out",
    "out_path",
    type=click.Path(),
    required=True,
    help="The report to write: .pdf, .docx (Word) or .html, by its extension.",
)
@friendly
def report(
    cohort_path,
    studies_path,
    plan_path,
    horizon,
    title,
    min_cell,
    html_path,
    tables_path,
    out_path,
    **params,
) -> None:
    """Build the full report (PDF, Word or HTML; on the packaged data when no input is
    given)."""
    import shlex

    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from ..report import BUILD_STEPS, build

    ctx = click.get_current_context()
    given = [(p, ctx.params[p.name]) for p in given_options(ctx)]
    command = " ".join(
        ["recurrence report", *(f"{p.opts[0]} {shlex.quote(str(v))}" for p, v in given)]
    )
    cohort_options_need_a_cohort(cohort_path)
    study_options_need_studies(studies_path)
    read_cohort = loader_kwargs(params)
    read_studies = loader_kwargs(params, prefix="study_", keys=STUDY_KEYS)
    with (
        shown_warnings(),
        Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.fields[step]}"),
            TimeElapsedColumn(),
            transient=True,
            disable=not sys.stderr.isatty(),
            # no refresh thread: the figures are drawn in forked workers, and a process with
            # a second thread is not forked (docs/report.md); the bar redraws at each step
            auto_refresh=False,
        ) as bar,
    ):
        task = bar.add_task("report", total=len(BUILD_STEPS), step="")

        def tick(step: str) -> None:
            bar.update(task, advance=1, step=step)
            bar.refresh()

        # What this process holds now (the imported libraries) lives until it exits:
        # out of the collector's sight, each collection during the build scans only what
        # the build makes, and forked workers do not copy pages a collection would touch.
        gc.freeze()
        build(
            cohort_path,
            studies_path,
            out=out_path,
            html=html_path,
            tables=tables_path,
            plan=plan_path,
            horizon=horizon,
            title=title,
            min_cell=min_cell,
            read_cohort=read_cohort,
            read_studies=read_studies,
            progress=tick,
            command=command,
        )
    click.echo(
        f"wrote {out_path}"
        + (f", {html_path}" if html_path else "")
        + (f" and the tables in {tables_path}" if tables_path else "")
    )
