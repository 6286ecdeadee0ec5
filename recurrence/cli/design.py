"""``recurrence design``: sample size by formula, or power by simulating the trial.

Registered on the ``recurrence`` group; usable alone too. Only click is imported
here: the statistics load inside the command, so ``recurrence --help`` stays quick.
A bad argument ends with one line on stderr and exit status 2 (click's usage errors
included); ``recurrence --debug design ...`` shows the traceback of a statistical error
instead.
"""

from __future__ import annotations

import sys

import click

from ._common import OneLineErrors, debugging, fail

__all__ = ["design"]

ANALYSES = ("logrank", "cox", "gray", "finegray")
PROPORTION = click.FloatRange(0, 1, min_open=True, max_open=True)
# Bounds of a plausible design: anything outside is a typo, and would otherwise end in a
# 300-digit sample size, a memory error or an hour of simulation.
RATIO = click.FloatRange(0.01, 100)  # a hazard ratio, a risk ratio, an allocation ratio
MONTHS = click.FloatRange(0, 1200, min_open=True)  # up to 100 years
ACCRUAL = click.FloatRange(0, 1200)
HAZARD = click.FloatRange(0, 1)  # a monthly hazard (1: everybody within a month)
#: The most simulated trials per scenario, and patients per arm, a command accepts.
MAX_REPLICATES = 1_000_000
MAX_PER_ARM = 1_000_000
#: A design needing more patients than this is reported as not feasible, not printed.
MAX_TRIAL = 10_000_000


def _explicit(ctx: click.Context, name: str) -> bool:
    return ctx.get_parameter_source(name) == click.core.ParameterSource.COMMANDLINE


@click.command(cls=OneLineErrors, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--hr",
    type=RATIO,
    default=0.5,
    show_default=True,
    help="Hazard ratio of closure to detect (time-to-event design).",
)
@click.option(
    "--p-closure",
    type=PROPORTION,
    default=None,
    help="Compare proportions at the horizon instead: reherniation with closure.",
)
@click.option(
    "--rr",
    type=RATIO,
    default=None,
    help="Compare proportions, given as the risk ratio closure / no closure.",
)
@click.option(
    "--control-incidence",
    type=PROPORTION,
    default=0.25,
    show_default=True,
    help="Reherniation without closure by the horizon (0.25: Thomé 2018, large defects, 2 years).",
)
@click.option(
    "--horizon",
    type=MONTHS,
    default=24.0,
    show_default=True,
    help="Months at which --control-incidence holds.",
)
@click.option(
    "--accrual",
    type=ACCRUAL,
    default=24.0,
    show_default=True,
    help="Months of uniform recruitment.",
)
@click.option(
    "--followup",
    type=MONTHS,
    default=24.0,
    show_default=True,
    help="Months of follow-up after the last patient enters.",
)
@click.option(
    "--loss-rate",
    type=HAZARD,
    default=0.0,
    show_default=True,
    help="Monthly hazard of loss to follow-up.",
)
@click.option(
    "--competing-rate",
    type=HAZARD,
    default=0.0,
    show_default=True,
    help="Monthly hazard of a competing event (fusion, other-level surgery, death).",
)
@click.option("--alpha", type=PROPORTION, default=0.05, show_default=True, help="Type I error.")
@click.option("--power", type=PROPORTION, default=0.8, show_default=True, help="Power wanted.")
@click.option(
    "--ratio",
    type=RATIO,
    default=1.0,
    show_default=True,
    help="Allocation closure : no closure.",
)
@click.option(
    "--sides",
    type=click.IntRange(1, 2),
    default=2,
    show_default=True,
    help="One- or two-sided test.",
)
@click.option(
    "--method",
    type=click.Choice(["schoenfeld", "freedman"]),
    default="schoenfeld",
    show_default=True,
    help="Events formula (time-to-event).",
)
@click.option("--continuity", is_flag=True, help="Continuity correction (proportions).")
@click.option(
    "--simulate",
    is_flag=True,
    help="Also simulate the trial and its planned analysis (Monte Carlo power).",
)
@click.option(
    "--replicates",
    type=click.IntRange(1, MAX_REPLICATES),
    default=1000,
    show_default=True,
    help=f"Simulated trials per scenario (at most {MAX_REPLICATES:,}: beyond that the Monte "
    "Carlo error is far below any other uncertainty of a design).",
)
@click.option(
    "--seed",
    type=click.IntRange(min=0),
    default=20261124,
    show_default=True,
    help="Root seed of the simulation.",
)
@click.option(
    "--analysis",
    type=click.Choice(ANALYSES),
    multiple=True,
    help="Planned analysis; repeat for several (default logrank).",
)
@click.option(
    "--n-per-arm",
    type=click.IntRange(2, MAX_PER_ARM),
    multiple=True,
    help="Patients without closure per trial; repeat for several (default: the formula's answer).",
)
@click.option(
    "--hazard",
    type=click.Choice(["cohort", "exponential"]),
    default="cohort",
    show_default=True,
    help="Falling hazard of the synthetic cohort, or constant.",
)
@click.option(
    "--population",
    type=click.Choice(["large_defect", "general"]),
    default="large_defect",
    show_default=True,
    help="Synthetic population (cohort hazard).",
)
@click.option(
    "--backend",
    type=click.Choice(["auto", "serial", "processes", "dask"]),
    default="auto",
    show_default=True,
    help="Where the simulation runs.",
)
@click.option(
    "--scheduler",
    metavar="ADDRESS",
    default=None,
    help="Dask scheduler to run on, e.g. tcp://10.0.0.5:8786.",
)
@click.option(
    "--timeout",
    type=click.FloatRange(1, 86400),
    default=60.0,
    show_default=True,
    help="Seconds any wait on a Dask cluster may last (a worker to join, the next result).",
)
@click.option(
    "--jobs",
    type=click.IntRange(1, 256),
    default=None,
    help="Workers for local processes or a local Dask cluster (default: all cores).",
)
@click.pass_context
def design(ctx: click.Context, **params) -> None:
    """Sample size of a closure trial by formula; with --simulate, its power by simulation.

    By default a time-to-event design (Schoenfeld or Freedman events for --hr, turned
    into patients with --control-incidence, --accrual, --followup and the loss and
    competing hazards). With --p-closure or --rr, two proportions at the horizon.
    """
    from ..errors import DataError

    proportions = params["p_closure"] is not None or params["rr"] is not None
    if proportions and _explicit(ctx, "hr"):
        fail("give --hr (time to event) or --p-closure/--rr (proportions), not both")
    if proportions and params["simulate"]:
        fail("--simulate simulates time-to-event trials; drop --p-closure/--rr and give --hr")
    if not params["simulate"]:
        for name in (
            "replicates",
            "seed",
            "analysis",
            "n_per_arm",
            "hazard",
            "population",
            "backend",
            "scheduler",
            "timeout",
            "jobs",
        ):
            if _explicit(ctx, name):
                fail(f"--{name.replace('_', '-')} only applies with --simulate")
    try:
        from ..design._execution import check_scheduler

        check_scheduler(params["scheduler"])  # before any work
        _run(
            **params,
            proportions=proportions,
            explicit_incidence=_explicit(ctx, "control_incidence"),
        )
    except DataError as exc:
        if debugging():
            raise
        fail("\n".join(p.describe() for p in exc.problems))
    except KeyboardInterrupt:
        click.echo("recurrence: interrupted", err=True)
        sys.exit(130)


def _run(
    *,
    proportions,
    hr,
    p_closure,
    rr,
    control_incidence,
    horizon,
    accrual,
    followup,
    loss_rate,
    competing_rate,
    alpha,
    power,
    ratio,
    sides,
    method,
    continuity,
    simulate,
    replicates,
    seed,
    analysis,
    n_per_arm,
    hazard,
    population,
    backend,
    scheduler,
    timeout,
    jobs,
    explicit_incidence,
) -> None:
    from ..design.analytic import sample_size_proportions, sample_size_survival

    if proportions:
        size = sample_size_proportions(
            control_incidence,
            p_closure,
            rr=rr,
            alpha=alpha,
            power=power,
            ratio=ratio,
            sides=sides,
            continuity=continuity,
        )
    else:
        size = sample_size_survival(
            hr,
            control_incidence=control_incidence,
            horizon=horizon,
            accrual=accrual,
            followup=followup,
            loss_rate=loss_rate,
            competing_rate=competing_rate,
            alpha=alpha,
            power=power,
            ratio=ratio,
            sides=sides,
            method=method,
        )
    if not size.n_total <= MAX_TRIAL:
        fail(
            f"this design needs {size.n_total:,.0f} patients, more than {MAX_TRIAL:,}: no "
            "trial can recruit that many; check --hr, --ratio, --loss-rate, --competing-rate "
            "and --followup"
        )
    _echo_sample_size(size)
    if not simulate:
        return
    from ..design.power import simulate_power

    sizes = list(n_per_arm) or [size.n_control]
    click.echo()
    if hazard == "cohort" and not explicit_incidence:
        control_incidence = None  # the generator's own incidence (set by --population)
    with _progress_bar() as progress:
        result = simulate_power(
            sizes,
            hr,
            analysis=list(analysis) or "logrank",
            replicates=replicates,
            seed=seed,
            alpha=alpha,
            sides=sides,
            ratio=ratio,
            accrual=accrual,
            followup=followup,
            competing_rate=competing_rate,
            loss_rate=loss_rate,
            population=population,
            hazard=hazard,
            control_incidence=control_incidence,
            horizon=horizon,
            method=method,
            backend=backend,
            scheduler=scheduler,
            timeout=timeout,
            n_jobs=jobs,
            progress=progress,
        )
    click.echo(result.summary())
    how = result.execution
    assert how is not None  # simulate_power always records where it ran
    click.echo(
        f"ran on {how.backend} ({how.workers} worker{'s' if how.workers != 1 else ''}) "
        f"in {how.seconds:.2f} s"
    )


def _echo_sample_size(size) -> None:
    click.echo(click.style(size.title, bold=True))
    for line in size.summary_lines():
        click.echo(line)
    row = size.table.iloc[0]
    width = max(len(str(k)) for k in row.index)
    for key, value in row.items():
        shown = f"{value:.4g}" if isinstance(value, float) else str(value)
        click.echo(f"  {key:<{width}}  {shown}")
    for i, remark in enumerate(size.remarks, 1):
        click.echo(f"[{i}] {remark}")


class _progress_bar:
    """A rich bar on a terminal (yields the callback), nothing otherwise (yields False)."""

    def __enter__(self):
        if not sys.stderr.isatty():
            self._bar = None
            return False
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
        )

        self._bar = Progress(
            TextColumn("simulating trials"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            transient=True,
        )
        self._bar.start()
        task = self._bar.add_task("simulate", total=None)

        def update(done: int, total: int) -> None:
            self._bar.update(task, completed=done, total=total)

        return update

    def __exit__(self, *exc):
        if self._bar is not None:
            self._bar.stop()
        return False
