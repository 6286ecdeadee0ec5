"""The ``recurrence`` command.

Heavy modules are imported inside the commands, so ``recurrence --help`` is quick.
A bad input ends with a one-line message naming the file and the problem, and exit
status 2; ``--debug`` shows the traceback instead.
"""

from __future__ import annotations

import functools
import json
import sys

import click

EXIT_DATA = 2


class _State:
    debug = False


def _friendly(fn):
    """Turn DataError (and unreadable files) into one line on stderr and exit status 2."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        from .errors import DataError

        try:
            return fn(*args, **kwargs)
        except DataError as exc:
            if _State.debug:
                raise
            click.echo(f"recurrence: error: {exc.one_line()}", err=True)
            sys.exit(EXIT_DATA)
        except KeyboardInterrupt:
            click.echo("recurrence: interrupted; nothing was written", err=True)
            sys.exit(130)

    return wrapper


def _mapping(path: str | None) -> dict | None:
    """Read a column mapping file: JSON ``{"their_name": "canonical"}`` or CSV two columns."""
    if path is None:
        return None
    from pathlib import Path

    from .errors import DataError, Problem

    text = Path(path).read_text(encoding="utf-8-sig")
    try:
        if path.lower().endswith(".json"):
            mapping = json.loads(text)
        else:
            mapping = dict(line.split(",", 1) for line in text.splitlines() if "," in line)
            mapping = {k.strip(): v.strip() for k, v in mapping.items()}
            mapping.pop("their_name", None)
    except (ValueError, json.JSONDecodeError) as exc:
        raise DataError(
            Problem(
                f"is not a column mapping ({exc})",
                fix='use JSON {"their_name": "time", ...} or a CSV of two columns',
            ),
            source=Path(path).name,
        ) from exc
    if not isinstance(mapping, dict) or not all(isinstance(v, str) for v in mapping.values()):
        raise DataError(
            Problem("is not a column mapping", fix='use JSON {"their_name": "time", ...}'),
            source=Path(path).name,
        )
    return mapping


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--debug", is_flag=True, help="Show full tracebacks instead of one-line errors.")
@click.version_option(package_name="recurrence")
def main(debug: bool) -> None:
    """recurrence: reherniation after lumbar discectomy, with and without annulus closure.

    Reherniation rates over time per arm, the effect of closure, pooled published
    evidence, and a PDF report. With no input files every command uses the packaged
    synthetic cohort and the packaged table of published studies.
    """
    _State.debug = debug


@main.command()
@click.option(
    "--cohort",
    "cohort_path",
    type=click.Path(dir_okay=True),
    default=None,
    help="Cohort table (CSV, .xlsx, .parquet). Default: the packaged synthetic cohort.",
)
@click.option(
    "--columns",
    "columns_path",
    type=click.Path(),
    default=None,
    help='Column mapping file (JSON {"their_name": "canonical"}).',
)
@click.option("--sheet", default=None, help="Excel sheet to read.")
@_friendly
def describe(cohort_path: str | None, columns_path: str | None, sheet: str | None) -> None:
    """Summarise a cohort: patients and events per arm, follow-up, table one."""
    import warnings

    from . import load_cohort
    from .errors import DataWarning
    from .tableone import table_one

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", DataWarning)
        cohort = load_cohort(cohort_path, columns=_mapping(columns_path), sheet=sheet)
    for w in caught:
        click.echo(click.style("warning: ", fg="yellow") + str(w.message), err=True)
    name = cohort.attrs.get("source", "cohort")
    click.echo(click.style(f"{name}: {len(cohort):,} patients", bold=True))
    click.echo(_events_table(cohort).to_string())
    click.echo()
    click.echo(table_one(cohort).summary())


@main.command()
@click.option(
    "--cohort",
    "cohort_path",
    type=click.Path(),
    default=None,
    help="Cohort table (CSV, .xlsx, .parquet). Default: the packaged synthetic cohort.",
)
@click.option(
    "--studies",
    "studies_path",
    type=click.Path(),
    default=None,
    help="Study table. Default: the packaged published studies.",
)
@click.option(
    "--columns",
    "columns_path",
    type=click.Path(),
    default=None,
    help='Column mapping of the cohort (JSON {"their_name": "canonical"}).',
)
@click.option(
    "--study-columns",
    "study_columns_path",
    type=click.Path(),
    default=None,
    help="Column mapping of the study table.",
)
@click.option("--sheet", default=None, help="Excel sheet of the cohort to read.")
@click.option(
    "--horizon",
    type=click.FloatRange(min=0, min_open=True),
    default=24.0,
    show_default=True,
    help="Months of the headline rate, RMST and cohort-as-study row.",
)
@click.option("--title", default=None, help="Title of the report.")
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
@click.option("--out", "out_path", type=click.Path(), required=True, help="The PDF to write.")
@_friendly
def report(
    cohort_path,
    studies_path,
    columns_path,
    study_columns_path,
    sheet,
    horizon,
    title,
    html_path,
    tables_path,
    out_path,
) -> None:
    """Build the full PDF report (on the packaged data when no input is given)."""
    import shlex

    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from .report import BUILD_STEPS, build

    ctx = click.get_current_context()
    given = [
        (p, ctx.params[p.name])
        for p in ctx.command.params
        if ctx.get_parameter_source(p.name) == click.core.ParameterSource.COMMANDLINE
    ]
    command = " ".join(
        ["recurrence report", *(f"{p.opts[0]} {shlex.quote(str(v))}" for p, v in given)]
    )
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.fields[step]}"),
        TimeElapsedColumn(),
        transient=True,
        disable=not sys.stderr.isatty(),
    ) as bar:
        task = bar.add_task("report", total=len(BUILD_STEPS), step="")

        def tick(step: str) -> None:
            bar.update(task, advance=1, step=step)

        build(
            cohort_path,
            studies_path,
            out=out_path,
            html=html_path,
            tables=tables_path,
            horizon=horizon,
            title=title,
            columns=_mapping(columns_path),
            study_columns=_mapping(study_columns_path),
            sheet=sheet,
            progress=tick,
            command=command,
        )
    click.echo(
        f"wrote {out_path}"
        + (f", {html_path}" if html_path else "")
        + (f" and the tables in {tables_path}" if tables_path else "")
    )


def _events_table(cohort):
    """Patients, events and follow-up per arm (plain pandas: no survival estimate here)."""
    import pandas as pd

    from .tableone import group_labels

    arm = group_labels(cohort["closure"], "closure")
    rows = {}
    for label in ["no closure", "closure"]:
        sub = cohort[arm == label]
        rows[label] = {
            "patients": len(sub),
            "reherniations": int((sub["event"] == 1).sum()),
            "competing events": int((sub["event"] == 2).sum()),
            "censored": int((sub["event"] == 0).sum()),
            "median time, months": round(float(sub["time"].median()), 1) if len(sub) else None,
            "max time, months": round(float(sub["time"].max()), 1) if len(sub) else None,
        }
    return pd.DataFrame({k: pd.Series(v, dtype=object) for k, v in rows.items()})


def _register() -> None:
    from .design.cli import design  # imports only click: --help stays quick

    main.add_command(design)


_register()

if __name__ == "__main__":  # pragma: no cover
    main()
