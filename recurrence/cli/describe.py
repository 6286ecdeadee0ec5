"""``recurrence describe``: patients, events and follow-up per arm, and table one."""

from __future__ import annotations

import click

from ._common import (
    OneLineErrors,
    cohort_options,
    cohort_options_need_a_cohort,
    friendly,
    loader_kwargs,
    shown_warnings,
)

__all__ = ["describe"]


@click.command(cls=OneLineErrors)
@click.option(
    "--cohort",
    "cohort_path",
    type=click.Path(dir_okay=True),
    default=None,
    help="Cohort table (CSV, .xlsx, .parquet). Default: the packaged synthetic cohort.",
)
@cohort_options
@friendly
def describe(cohort_path: str | None, **params) -> None:
    """Summarise a cohort: patients and events per arm, follow-up, table one."""
    from .. import load_cohort
    from ..tableone import table_one

    cohort_options_need_a_cohort(cohort_path)
    kwargs = loader_kwargs(params)
    with shown_warnings():
        cohort = load_cohort(cohort_path, **kwargs)
    name = cohort.attrs.get("source", "cohort")
    click.echo(click.style(f"{name}: {len(cohort):,} patients", bold=True))
    click.echo(events_table(cohort).to_string())
    click.echo()
    click.echo(table_one(cohort).summary())


def events_table(cohort):
    """Patients, events and follow-up per arm (plain pandas: no survival estimate here)."""
    import pandas as pd

    from ..tableone import group_labels

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
