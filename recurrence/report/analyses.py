"""Every analysis the report shows, computed once from the plan: result objects in,
nothing drawn or written.

:func:`run_analyses` is the only place the report computes; its sections read the
:class:`Analyses` it returns. An analysis that does not apply to the data (no
adjustment covariates, no missing values, no imaging intervals, too few studies) is
``None``, and its section does not appear.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING

import pandas as pd

from .._fork import NOTHING, fork_call, share
from ..checks import RangeCheck, check_range
from ..errors import DataError, RecurrenceWarning
from .plan import Plan
from .printable import as_given, printable

if TYPE_CHECKING:
    from ..confounding import EValueResult
    from ..meta.grade import SummaryOfFindings
    from ..meta.method_sensitivity import SensitivityResult
    from ..meta.results import BiasTest, MetaResult, SubgroupResult, TrimFillResult
    from ..meta.tsa import SequentialResult
    from ..survival.absolute import RiskDifferenceResult
    from ..survival.competing import CumulativeIncidenceResult
    from ..survival.cox import CoxResult
    from ..survival.finegray import FineGrayResult
    from ..survival.km import KaplanMeierResult
    from ..survival.logrank import LogrankResult
    from ..survival.parametric import ParametricComparison
    from ..survival.rates import ReherniationRates
    from ..survival.rmst import RMSTResult
    from ..survival.subgroups import SubgroupsResult
    from ..survival.turnbull import TurnbullResult
    from ..tableone import TableOne

__all__ = ["MAX_STUDIES", "MAX_STUDIES_SHOWN", "STEPS", "Analyses", "run_analyses"]

#: Study tables larger than this are refused by the report (no meta-analysis has as
#: many; a table that large is a mistake, e.g. patient rows given as studies).
MAX_STUDIES = 10_000
#: Per-study content (forest plots, leave-one-out, each study's rate against the range,
#: the funnel) is shown up to this many studies; above, the pooled results alone.
MAX_STUDIES_SHOWN = 200
#: Imputed data sets when covariates of the adjustment set have missing values.
IMPUTATIONS = 10
#: Seed of the imputation (printed in the methods).
SEED = 20261202
#: Work beside the subgroup models, in variables' worth (:func:`recurrence._fork.share`),
#: measured at 1M patients with four covariates (one variable's models 4.45 s on
#: average): this process's other cohort analyses 8.0 s, the copy's study analyses
#: and all-patients model 2.15 s.
SUBGROUP_LOAD_HERE, SUBGROUP_LOAD_THERE = 1.8, 0.48
#: Months of the parametric projections beyond follow-up.
PROJECTION_MONTHS = (60.0, 120.0)

STEPS = (
    "data",
    "survival curves",
    "effect of closure",
    "subgroups and missing data",
    "pooled rates",
    "pooled effects",
    "bias and sensitivity",
    "certainty of the evidence",
    "cohort as a study",
    "range checks",
)


@dataclass(frozen=True)
class Analyses:
    """The results the report is built from (``None``: the analysis does not apply)."""

    plan: Plan
    cohort_name: str | None
    studies_name: str
    n: int
    synthetic: bool = False
    packaged_studies: bool = False
    k_studies: int = 0
    # the cohort
    table_one: TableOne | None = None
    km: KaplanMeierResult | None = None
    incidence: CumulativeIncidenceResult | None = None
    rates: ReherniationRates | None = None
    rmst: RMSTResult | None = None
    logrank: LogrankResult | None = None
    cox: CoxResult | None = None
    fine_gray: FineGrayResult | None = None
    cox_adjusted: CoxResult | None = None
    fine_gray_adjusted: FineGrayResult | None = None
    risk_difference: RiskDifferenceResult | None = None
    subgroups: SubgroupsResult | None = None
    evalue: EValueResult | None = None
    evalue_adjusted: EValueResult | None = None
    imputed: pd.DataFrame | None = None
    missing: dict[str, int] = field(default_factory=dict)
    complete_cases: int = 0
    turnbull: TurnbullResult | None = None
    projections: ParametricComparison | None = None
    # the studies
    pooled_control: MetaResult | None = None
    pooled_closure: MetaResult | None = None
    effect: MetaResult | None = None
    effect_other: MetaResult | None = None
    bayes: MetaResult | None = None
    sensitivity: SensitivityResult | None = None
    findings: SummaryOfFindings | None = None
    sequential: SequentialResult | None = None
    egger: BiasTest | None = None
    begg: BiasTest | None = None
    trim_fill: TrimFillResult | None = None
    leave_one_out: pd.DataFrame | None = None
    study_subgroups: dict[str, SubgroupResult] = field(default_factory=dict)
    rob: bool = False
    cohort_study: pd.DataFrame | None = None
    with_cohort: MetaResult | None = None
    ranges: tuple[RangeCheck, ...] = ()
    warnings: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    study_notes: tuple[str, ...] = ()
    dropped: tuple[tuple[str, str], ...] = ()
    egger_rma: BiasTest | None = None  # metafor's default variant, beside the classical test

    @property
    def has_cohort(self) -> bool:
        return self.km is not None

    @property
    def times(self) -> tuple[float, ...]:
        """The months of the rates: the plan's and the horizon."""
        return tuple(sorted({*(self.plan.times or ()), float(self.plan.horizon)}))


def _bare(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` without its ``attrs`` (a shallow copy: no data is copied)."""
    if not frame.attrs:
        return frame
    out = frame.copy(deep=False)
    out.attrs = {}
    return out


def _maybe(fn):
    """Run one analysis; a DataError (too few studies, no arm, no events) gives ``None``."""
    try:
        return fn()
    except DataError:
        return None


def run_analyses(
    cohort: pd.DataFrame | None,
    studies: pd.DataFrame,
    plan: Plan,
    *,
    cohort_name: str | None = "cohort",
    studies_name: str = "studies",
    synthetic: bool = False,
    packaged_studies: bool = False,
    progress: Callable[[str], None] | None = None,
    warnings_before: tuple[str, ...] = (),
    meanwhile: Callable[[], None] | None = None,
) -> Analyses:
    """Run every analysis of the report. ``progress(step)`` is called before each step.
    With ``cohort=None`` only the studies are analysed. ``meanwhile()`` is called once
    this process has done its share, while the forked copy may still be running the
    study analyses (the report imports what drawing needs then)."""
    tick = progress or (lambda step: None)
    out: dict = {
        "plan": plan,
        "cohort_name": cohort_name,
        "studies_name": studies_name,
        "n": 0 if cohort is None else len(cohort),
        "synthetic": synthetic,
        "packaged_studies": packaged_studies,
        "k_studies": len(studies),
        "dropped": tuple(studies.attrs.get("dropped", ())),
    }
    from ..survival.subgroups import combine, fit_part

    notes: list[str] = []
    # pandas deep-copies ``attrs`` into every frame an operation makes (the loaders'
    # record of the reading, the synthetic truth): read above, not needed below.
    studies = _bare(studies)
    cohort = None if cohort is None else _bare(cohort)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", RecurrenceWarning)
        tick("data")
        apart, shown, spec, theirs, ours = None, None, None, (), ()
        own_parts: list = []  # this process's subgroup parts, and their warnings in caught
        own = slice(0, 0)
        if cohort is not None:
            shown, shown_plan = printable(cohort, plan, notes)
            spec = _subgroup_spec(shown, shown_plan)
            if spec is not None:
                theirs, ours = share(spec.variables, SUBGROUP_LOAD_HERE, SUBGROUP_LOAD_THERE)
            # the study analyses and most subgroups need nothing of the rest: a forked
            # copy runs them on the other core meanwhile (measured: docs/report.md)
            apart = fork_call(partial(_apart_recorded, shown, studies, plan, spec, theirs))
            if apart is None:  # no copy: every subgroup variable is fitted by _apart here
                theirs, ours = (spec.variables if spec is not None else ()), ()
            if ours:
                # the variables left to this process first, so that their work tables
                # are freed before the cohort's analyses, whose results stay; their
                # warnings come last, as when one process fits every variable
                start = len(caught)
                own_parts.append(_maybe(lambda: fit_part(shown, spec, ours, overall=False)))
                own = slice(start, len(caught))
            _cohort(shown, shown_plan, out, notes, tick)
        else:
            for step in STEPS[1:4]:
                tick(step)
        own_messages = [str(w.message) for w in caught[own]]
        messages = [str(w.message) for w in caught[: own.start] + caught[own.stop :]]
        if apart is not None:  # while the copy runs: the modules its results unpickle into
            _study_modules()
            if meanwhile is not None:
                meanwhile()
        got = apart.result() if apart is not None else NOTHING
        if got is NOTHING:  # no fork, or the copy failed: here (an error is raised here)
            done = len(caught)
            _apart(shown, studies, plan, spec, theirs, out, tick)
            messages += [str(w.message) for w in caught[done:]]
        else:
            part, their_messages = got
            out.update(part)
            messages += their_messages
            for step in STEPS[4:8]:
                tick(step)
        messages += own_messages
        if spec is not None:
            parts = [out.pop("subgroup_part"), *own_parts]
            out["subgroups"] = None if None in parts else combine(spec, parts)
        done = len(caught)
        tick("cohort as a study")
        if cohort is not None:
            _cohort_as_study(cohort, studies, plan, out)
        tick("range checks")
        out["ranges"] = tuple(_range_checks(out, plan))
        messages += [str(w.message) for w in caught[done:]]
    out["warnings"] = tuple(dict.fromkeys([*warnings_before, *messages]))
    out["notes"] = tuple(notes)
    return Analyses(**out)


def _study_modules() -> None:
    """Import the modules of the study analyses' results (0.2-0.4 s, scipy.optimize
    among them): unpickling the copy's results, and the cohort as a study, need them."""
    from .. import meta

    for name in ("compare_studies", "egger_test", "leave_one_out", "sensitivity", "sequential"):
        getattr(meta, name)
    _ = meta.summary_of_findings, meta.cohort_as_study


def _subgroup_spec(cohort, plan: Plan):
    """The checked subgroup analysis of the plan (``None``: no subgroups, or they do not
    apply to these data)."""
    from ..survival.subgroups import checked

    if not plan.subgroups:
        return None
    covariates = [c for c in (plan.covariates or ()) if c != "closure"]
    return _maybe(
        lambda: checked(cohort, list(plan.subgroups), covariates=covariates, level=plan.level)
    )


def _apart(cohort, studies, plan: Plan, spec, variables, out: dict, tick) -> None:
    """What may run beside the rest of the cohort's analyses: the studies', then the
    models of all patients and of the subgroup ``variables`` (``out["subgroup_part"]``,
    ``None`` if they do not apply) of the printable ``cohort``, and an imaged cohort's
    parametric projections."""
    from ..survival.subgroups import fit_part

    _studies(studies, plan, out, tick)
    if spec is not None:
        out["subgroup_part"] = _maybe(lambda: fit_part(cohort, spec, variables, overall=True))
    if cohort is not None and _imaged(cohort):  # beside the Turnbull bootstrap (docs/report.md)
        from ..survival import compare_distributions

        out["projections"] = _maybe(lambda: compare_distributions(cohort))


def _imaged(cohort) -> bool:
    """Reherniations known only between two scans (a ``time_left`` with values)."""
    return "time_left" in cohort.columns and bool(cohort["time_left"].notna().any())


def _apart_recorded(cohort, studies, plan: Plan, spec, variables) -> tuple[dict, list[str]]:
    """:func:`_apart` with its warnings recorded (in a forked copy: they travel back
    as text, in order, with the results)."""
    part: dict = {}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", RecurrenceWarning)
        _apart(cohort, studies, plan, spec, variables, part, lambda step: None)
    return part, [str(w.message) for w in caught]


def _cohort(cohort, plan: Plan, out: dict, notes: list, tick) -> None:
    """The cohort's analyses of this process, on the printable cohort and plan."""
    from .. import evalue, impute
    from ..survival import (
        cox,
        cumulative_incidence,
        fine_gray,
        kaplan_meier,
        logrank,
        reherniation_rates,
        risk_difference,
        rmst,
    )
    from ..tableone import table_one

    level, mc = plan.level, plan.min_cell
    times = tuple(sorted({*(plan.times or ()), float(plan.horizon)}))
    out["plan"] = plan  # printable: what the report may show of the cohort
    out["table_one"] = table_one(cohort, variables=list(plan.table_one or ()), min_cell=mc)

    tick("survival curves")
    out["km"] = kaplan_meier(cohort, level=level)
    out["incidence"] = cumulative_incidence(cohort, level=level)
    out["rates"] = reherniation_rates(cohort, at=times, level=level)
    out["rmst"] = _maybe(lambda: rmst(cohort, plan.horizon, level=level))
    out["risk_difference"] = _maybe(lambda: risk_difference(cohort, times, level=level))

    tick("effect of closure")
    out["logrank"] = logrank(cohort)
    covariates = [c for c in (plan.covariates or ()) if c != "closure"]
    out["cox"] = cox(cohort, ["closure"], level=level)
    out["fine_gray"] = fine_gray(cohort, ["closure"], level=level)
    if covariates:
        out["cox_adjusted"] = _maybe(lambda: cox(cohort, ["closure", *covariates], level=level))
        out["fine_gray_adjusted"] = _maybe(
            lambda: fine_gray(cohort, ["closure", *covariates], level=level)
        )
    out["evalue"] = _maybe(lambda: evalue(out["cox"]))
    if out.get("cox_adjusted") is not None:
        out["evalue_adjusted"] = _maybe(lambda: evalue(out["cox_adjusted"]))

    tick("subgroups and missing data")  # the subgroups: _apart
    missing = {c: int(cohort[c].isna().sum()) for c in covariates if cohort[c].isna().any()}
    out["missing"] = missing
    out["complete_cases"] = int(cohort[covariates].notna().all(axis=1).sum()) if covariates else 0
    if missing:
        imputed = _maybe(
            lambda: impute(
                as_given(cohort), m=IMPUTATIONS, seed=SEED, columns=list(missing)
            ).compare(cox, ["closure", *covariates], original=cohort)
        )
        out["imputed"] = imputed
    if _imaged(cohort):
        from ..survival import turnbull

        out["turnbull"] = _maybe(lambda: turnbull(as_given(cohort)))  # projections: _apart
        notes.append(
            "Reherniation was found at imaging visits: the event lies between the last "
            "clean scan (time_left) and the scan that found it (time)."
        )


def _studies(studies, plan: Plan, out: dict, tick) -> None:
    from .. import meta

    level = plan.level
    tick("pooled rates")
    iv = (
        plan.method if plan.method in ("FE", "DL", "REML", "PM", "ML", "EB", "HE", "SJ") else "REML"
    )
    out["pooled_control"] = _maybe(
        lambda: meta.pool_arm(studies, arm="control", method=iv, level=level)
    )
    out["pooled_closure"] = _maybe(
        lambda: meta.pool_arm(studies, arm="closure", method=iv, level=level)
    )

    tick("pooled effects")
    hksj = plan.hksj if plan.method not in ("FE", "MH", "PETO", "bayes") else False
    out["effect"] = _maybe(
        lambda: meta.compare_studies(
            studies, measure=plan.measure, method=plan.method, hksj=hksj, level=level
        )
    )
    other = "OR" if plan.measure != "OR" else "RR"
    out["effect_other"] = _maybe(
        lambda: meta.compare_studies(studies, measure=other, method=iv, hksj=hksj, level=level)
    )
    main = out["effect"]
    if plan.method != "bayes" and plan.measure in ("RR", "OR"):
        out["bayes"] = _maybe(
            lambda: meta.compare_studies(studies, measure=plan.measure, method="bayes", level=level)
        )

    tick("bias and sensitivity")
    few = len(studies) <= MAX_STUDIES_SHOWN
    enough = main is not None and main.k >= 3 and plan.method != "bayes"
    out["egger"] = _maybe(lambda: meta.egger_test(main)) if enough else None
    out["egger_rma"] = _maybe(lambda: meta.egger_test(main, model="rma")) if enough else None
    out["begg"] = _maybe(lambda: meta.begg_test(main)) if enough else None
    out["trim_fill"] = _maybe(lambda: meta.trim_and_fill(main)) if enough else None
    out["leave_one_out"] = _maybe(lambda: meta.leave_one_out(main)) if enough and few else None
    out["sensitivity"] = (
        _maybe(lambda: meta.sensitivity(studies, measure=plan.measure, level=level))
        if main is not None and main.k >= 2
        else None
    )
    notes = []
    if not few:
        notes.append(
            f"With {len(studies):,} studies (more than {MAX_STUDIES_SHOWN}) the per-study "
            "content is left out: forest plots, leave-one-out, funnel plot and each "
            "study's rate against the range. The pooled results are complete."
        )
    out["study_subgroups"] = {
        col: res
        for col in (plan.study_subgroups or ())
        if col in studies.columns
        and studies[col].nunique() > 1
        and (
            res := _maybe(
                lambda c=col: meta.compare_studies(
                    studies, measure=plan.measure, method=iv, hksj=hksj, subgroup=c, level=level
                )
            )
        )
        is not None
    }

    tick("certainty of the evidence")
    out["rob"] = any(
        c in studies.columns and studies[c].notna().any()
        for c in ("rob", "rob_d1", "rob_d2", "rob_d3", "rob_d4", "rob_d5")
    )
    if main is not None and plan.measure in ("RR", "OR", "RD") and plan.method != "bayes":
        out["findings"] = _maybe(lambda: meta.summary_of_findings(main))
        if main.k >= 2:
            out["sequential"] = _maybe(lambda: meta.sequential(main))
    out["study_notes"] = tuple(notes)


def _cohort_as_study(cohort, studies, plan: Plan, out: dict) -> None:
    from .. import meta

    row = _maybe(lambda: meta.cohort_as_study(cohort, horizon=plan.horizon, label="This cohort"))
    out["cohort_study"] = row
    if row is not None and plan.method != "bayes":
        both = pd.concat([studies, row], ignore_index=True)
        hksj = plan.hksj if plan.method not in ("FE", "MH", "PETO") else False
        out["with_cohort"] = _maybe(
            lambda: meta.compare_studies(
                both, measure=plan.measure, method=plan.method, hksj=hksj, level=plan.level
            )
        )


def _range_checks(out: dict, plan: Plan) -> list[RangeCheck]:
    checks = []
    if out.get("rates") is not None:
        for _, row in out["rates"].table.iterrows():
            if pd.isna(row["incidence"]):
                continue
            checks.append(
                check_range(
                    row["incidence"],
                    ci_low=row["ci_low"],
                    ci_high=row["ci_high"],
                    arm=row["group"] if row["group"] in ("closure", "no closure") else None,
                    level=plan.level,
                    label=f"This cohort: {row['group']}, {row['time']:g} months",
                )
            )
    for arm, key in (("no closure", "pooled_control"), ("closure", "pooled_closure")):
        res = out.get(key)
        if res is None:
            continue
        checks.append(check_range(res, arm=arm, label=f"studies: {arm}, pooled"))
        if len(res.table) > MAX_STUDIES_SHOWN:
            continue
        for _, row in res.table.iterrows():  # each study's own rate, as in its forest plot
            checks.append(
                check_range(
                    row["estimate"],
                    ci_low=row["ci_low"],
                    ci_high=row["ci_high"],
                    arm=arm,
                    level=plan.level,
                    label=f"{row['study']}: {arm}",
                )
            )
    return checks
