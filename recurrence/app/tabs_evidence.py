"""The pooled evidence tab (forest, funnel, sensitivity, summary of findings) and the
design tab (sample size by formula, power by simulation with a progress bar).

Only the package's public analyses are called (:mod:`recurrence.meta`,
:mod:`recurrence.design`); the plan says how the studies are pooled.
"""

from __future__ import annotations

import pandas as pd

from .._format import fmt
from .blocks import Block, Tab, captured, headline, rounded
from .jobs import Job

__all__ = ["DESIGN_DEFAULTS", "design_form", "design_tab", "evidence_tab", "start_power"]

NO_STUDIES = (
    "No study table is loaded: upload one, or use the published studies, on the first page."
)

#: The per-study columns shown on the page (the download has every column).
STUDY_SHOWN = (
    "study",
    "events_closure",
    "total_closure",
    "events_control",
    "total_control",
    "estimate",
    "ci_low",
    "ci_high",
    "weight",
)
#: The summary of findings columns shown on the page.
SOF_SHOWN = (
    "outcome",
    "measure",
    "relative",
    "ci_low",
    "ci_high",
    "assumed_per_1000",
    "corresponding_per_1000",
    "corresponding_low",
    "corresponding_high",
    "participants",
    "studies",
    "certainty",
)
#: The sample size and simulated power columns shown on the page.
SIZE_SHOWN: tuple[str, ...] = (
    "hr",
    "control_incidence",
    "alpha",
    "power",
    "events",
    "n_closure",
    "n_control",
)
SIZE_SHOWN += ("n_total",)
POWER_SHOWN: tuple[str, ...] = ("n_per_arm", "replicates", "power", "power_mcse", "analytic_power")
POWER_SHOWN += ("events", "competing", "failed")
#: The design form's fields and defaults (those of ``recurrence design``).
DESIGN_DEFAULTS = {
    "hr": 0.5,
    "control_incidence": 0.25,
    "horizon": 24.0,
    "accrual": 24.0,
    "followup": 24.0,
    "loss_rate": 0.0,
    "competing_rate": 0.0,
    "alpha": 0.05,
    "power": 0.8,
    "ratio": 1.0,
    "n_per_arm": "",
    "replicates": 500,
    "seed": 20261124,
}
#: Bounds of the design form (those of ``recurrence design``): anything outside is a typo.
DESIGN_BOUNDS = {
    "hr": (0.01, 100),
    "control_incidence": (1e-6, 1 - 1e-6),
    "horizon": (1e-6, 1200),
    "accrual": (0, 1200),
    "followup": (1e-6, 1200),
    "loss_rate": (0, 1),
    "competing_rate": (0, 1),
    "alpha": (1e-6, 1 - 1e-6),
    "power": (1e-6, 1 - 1e-6),
    "ratio": (0.01, 100),
    "replicates": (10, 20_000),
    "seed": (0, 2**32 - 1),
}


def evidence_tab(studies: pd.DataFrame | None, plan) -> Tab:
    """Pooled effect of closure (forest plot), funnel plot, the same pooling by every
    method (:func:`recurrence.meta.sensitivity`) and GRADE's summary of findings."""
    from .. import meta
    from ..errors import DataError
    from ..plotting import plot_funnel

    if studies is None:
        return Tab(empty=NO_STUDIES)
    measure = plan.measure
    with captured() as seen:
        try:
            res = meta.compare_studies(
                studies, measure=measure, method=plan.method, hksj=plan.hksj, level=plan.level
            )
        except DataError as exc:
            return Tab(empty="; ".join(p.describe() for p in exc.problems))
        assert isinstance(res, meta.MetaResult)  # no subgroup=: one pooled result
        sens = meta.sensitivity(studies, measure=measure, level=plan.level)
        sof = meta.summary_of_findings(res)
    per_study = res.table.drop(columns=[c for c in ("yi", "vi") if c in res.table.columns])
    items = [
        (
            f"pooled-{measure}",
            f"Pooled {measure} of closure ({plan.method}{', HKSJ' if plan.hksj else ''})",
            res.estimate,
            f"({fmt(res.ci_low)} to {fmt(res.ci_high)}), k = {res.k}, I² = {fmt(res.i2)}%",
        )
    ]
    blocks = [
        Block(
            "forest",
            "Closure against discectomy alone: the studies pooled",
            headline(items) + rounded(per_study, shown=STUDY_SHOWN),
            table=per_study,
            figure=lambda: res.plot(),
            notes=tuple(res.remarks),
            alt="forest plot of the studies and the pooled effect",
        ),
    ]
    if res.k >= 3:
        blocks.append(
            Block(
                "funnel",
                "Funnel plot (small-study effects)",
                figure=lambda: plot_funnel(res),
                alt="funnel plot of the studies",
            )
        )
    blocks += [
        Block(
            "sensitivity",
            "The same studies pooled by every method",
            rounded(sens.table),
            table=sens.table,
            figure=lambda: sens.plot(),
            notes=tuple(sens.remarks),
            alt="pooled effect by method",
        ),
        Block(
            "summary_of_findings",
            "Summary of findings (GRADE)",
            rounded(sof.table, shown=SOF_SHOWN),
            table=sof.table,
            notes=tuple(sof.remarks),
        ),
    ]
    return Tab(blocks, warnings=tuple(seen))


def design_form(form: dict | None) -> tuple[dict, list[str]]:
    """The design form's values (defaults where empty) and its problems, one line each."""
    values, problems = dict(DESIGN_DEFAULTS), []
    for key, default in DESIGN_DEFAULTS.items():
        raw = str((form or {}).get(key, "")).strip()
        if raw == "" or key == "n_per_arm":
            values[key] = raw if key == "n_per_arm" else default
            continue
        try:
            value = int(raw) if isinstance(default, int) else float(raw)
        except ValueError:
            problems.append(f"{key}: {raw!r} is not a number")
            continue
        low, high = DESIGN_BOUNDS[key]
        if not low <= value <= high:
            problems.append(f"{key}: {raw} is outside {low:g} to {high:g}")
        values[key] = value
    n = values["n_per_arm"]
    if n:
        try:
            sizes = [int(x) for x in str(n).replace(";", ",").split(",") if x.strip()]
            if not sizes or any(not 2 <= s <= 100_000 for s in sizes) or len(sizes) > 8:
                raise ValueError
            values["n_per_arm"] = sizes
        except ValueError:
            problems.append(
                "n_per_arm: give up to 8 whole numbers from 2 to 100000, separated by commas"
            )
    return values, problems


def _formula(v: dict):
    from ..design import sample_size_survival

    return sample_size_survival(
        v["hr"],
        control_incidence=v["control_incidence"],
        horizon=v["horizon"],
        accrual=v["accrual"],
        followup=v["followup"],
        loss_rate=v["loss_rate"],
        competing_rate=v["competing_rate"],
        alpha=v["alpha"],
        power=v["power"],
        ratio=v["ratio"],
    )


def design_tab(v: dict, problems: list[str], job: Job | None) -> Tab:
    """Sample size by formula for the form's design; the simulated power when a
    simulation has run."""
    from ..design import PowerResult
    from ..errors import DataError

    if problems:
        return Tab(empty="\n".join(problems))
    with captured() as seen:
        try:
            size = _formula(v)
        except DataError as exc:
            return Tab(empty="\n".join(p.describe() for p in exc.problems))
    items = [
        (
            "n-total",
            "Patients in total",
            size.n_total,
            f"({size.n_closure} closure, {size.n_control} no closure)",
        ),
        ("events", "Reherniations needed", size.events, ""),
    ]
    blocks = [
        Block(
            "sample_size",
            "Sample size by formula (time to event)",
            headline(items) + rounded(size.table, shown=SIZE_SHOWN),
            table=size.table,
            notes=tuple(size.remarks),
        )
    ]
    if job is not None and not job.running and job.result is not None:
        power = job.result
        assert isinstance(power, PowerResult)  # the design job returns simulate_power's
        blocks.append(
            Block(
                "simulated_power",
                "Power by simulating the trial and its log-rank test",
                rounded(power.table, shown=POWER_SHOWN),
                table=power.table,
                figure=lambda: power.plot(),
                notes=tuple(power.remarks),
                alt="simulated power against patients per arm",
            )
        )
    return Tab(blocks, warnings=tuple(seen) + (job.warnings if job else ()))


def start_power(v: dict) -> Job:
    """Start simulating the trial (exponential hazards, as the formula assumes) at the
    form's sizes, or at the formula's size and ±25% around it."""
    sizes = v["n_per_arm"] or None

    def work(job: Job):
        from ..design import simulate_power

        with captured() as seen:
            n = sizes
            if n is None:
                base = _formula(v).n_control
                n = sorted({max(2, round(base * f)) for f in (0.75, 1.0, 1.25)})
            result = simulate_power(
                n_per_arm=n,
                hr=v["hr"],
                hazard="exponential",
                control_incidence=v["control_incidence"],
                horizon=v["horizon"],
                accrual=v["accrual"],
                followup=v["followup"],
                loss_rate=v["loss_rate"],
                competing_rate=v["competing_rate"],
                alpha=v["alpha"],
                ratio=v["ratio"],
                replicates=int(v["replicates"]),
                seed=int(v["seed"]),
                backend="serial",
                progress=job.progress,
            )
        job.warnings = tuple(seen)
        return result

    return Job(work)
