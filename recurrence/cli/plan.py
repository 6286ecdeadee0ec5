"""``recurrence plan --init``: a template of the analysis plan, with the defaults the
data would get."""

from __future__ import annotations

import click

from ._common import (
    STUDY_KEYS,
    OneLineErrors,
    cohort_options,
    cohort_options_need_a_cohort,
    fail,
    friendly,
    loader_kwargs,
    shown_warnings,
    study_options,
    study_options_need_studies,
)

__all__ = ["plan"]


@click.command(cls=OneLineErrors)
@click.option("--init", "init", is_flag=True, help="Write a plan template (TOML).")
@click.option(
    "--cohort",
    "cohort_path",
    type=click.Path(),
    default=None,
    help="Fill the template's defaults from this cohort (default: the packaged one).",
)
@click.option("--studies", "studies_path", type=click.Path(), default=None, help="Study table.")
@cohort_options
@study_options
@click.option(
    "--out",
    "out_path",
    type=click.Path(),
    default="plan.toml",
    show_default=True,
    help="Where to write the template.",
)
@click.option("--force", is_flag=True, help="Replace an existing file at --out.")
@friendly
def plan(init, cohort_path, studies_path, out_path, force, **params) -> None:
    """Write an analysis plan template for recurrence report --plan."""
    from pathlib import Path

    from .. import load_cohort, load_studies
    from .._outputs import Outputs
    from ..report.plan import template

    cohort_options_need_a_cohort(cohort_path)
    study_options_need_studies(studies_path)
    if not init:
        fail("say what to do: recurrence plan --init [--out plan.toml]")
    if Path(out_path).exists() and not force:
        # a plan is written by hand before the data are seen: a template never
        # replaces one unasked
        fail(
            f"{out_path} exists (an analysis plan, perhaps already edited): nothing was "
            f"written. Give another --out, or --force to replace it"
        )
    with shown_warnings():
        cohort = load_cohort(cohort_path, **loader_kwargs(params)) if cohort_path else load_cohort()
        read_studies = loader_kwargs(params, prefix="study_", keys=STUDY_KEYS)
        studies = load_studies(studies_path, **read_studies) if studies_path else load_studies()
    out = Outputs([p for p in (cohort_path, studies_path) if p])
    out.add(out_path, template(cohort, studies), role="plan")
    out.commit()
    click.echo(
        f"wrote {out_path}: edit it, then recurrence report --plan {out_path} --out report.pdf"
    )
