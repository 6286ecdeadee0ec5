"""Every analysis the report shows, computed once: result objects in, nothing drawn.

:func:`run_analyses` is the only place the report computes; figures and text read the
:class:`Analyses` it returns. Options that change numbers (horizon, estimators,
transforms) live in :class:`Options` and are printed in the methods section.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

from ..checks import RangeCheck, check_range
from ..errors import RecurrenceWarning

__all__ = ["MAX_STUDIES", "MAX_STUDIES_SHOWN", "Analyses", "Options", "run_analyses"]

#: Study tables larger than this are refused by the report (no meta-analysis has as
#: many; a table that large is a mistake, e.g. patient rows given as studies).
MAX_STUDIES = 10_000
#: Per-study content (forest plots, leave-one-out, each study's rate against the range,
#: the funnel) is shown up to this many studies; above, the pooled results alone.
MAX_STUDIES_SHOWN = 200

#: Covariates of the adjusted models, when the cohort has them.
ADJUST = ("age", "smoker", "diabetes", "defect_width_mm")
#: Columns table one may show: the canonical covariates (free text is never printed).
TABLE_ONE = (
    "age",
    "sex",
    "bmi",
    "smoker",
    "diabetes",
    "defect_width_mm",
    "disc_height_mm",
    "level",
    "approach",
    "site",
)


@dataclass(frozen=True)
class Options:
    """What the report was asked for; printed in the methods and the appendix."""

    horizon: float = 24.0
    rate_times: tuple[float, ...] = (12.0, 24.0, 60.0)
    level: float = 0.95
    transform: str = "logit"
    method: str = "REML"
    hksj: bool = True
    measure: str = "RR"
    cohort_label: str = "This cohort"
    min_cell: int | None = None

    @property
    def times(self) -> tuple[float, ...]:
        return tuple(sorted({*self.rate_times, float(self.horizon)}))


@dataclass(frozen=True)
class Analyses:
    """The results the report is built from. The cohort's results are ``None`` in a
    report of a study table alone (``has_cohort`` is then false)."""

    options: Options
    cohort_name: str | None
    studies_name: str
    n: int
    table_one: object | None
    km: object | None
    incidence: object | None
    rates: object | None
    rmst: object | None
    logrank: object | None
    cox: object | None
    cox_adjusted: object | None
    fine_gray: object | None
    fine_gray_adjusted: object | None
    adjusted_for: tuple[str, ...]
    pooled_control: object | None
    pooled_closure: object | None
    effect_rr: object | None
    effect_or: object | None
    egger: object | None
    begg: object | None
    trim_fill: object | None
    leave_one_out: pd.DataFrame | None
    subgroups: dict = field(default_factory=dict)
    cohort_study: pd.DataFrame | None = None
    with_cohort: object | None = None
    ranges: tuple[RangeCheck, ...] = ()
    warnings: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    study_notes: tuple[str, ...] = ()
    synthetic: bool = False
    packaged_studies: bool = False
    k_studies: int = 0

    @property
    def has_cohort(self) -> bool:
        return self.km is not None


_COHORT_RESULTS = (
    "table_one",
    "km",
    "incidence",
    "rates",
    "rmst",
    "logrank",
    "cox",
    "cox_adjusted",
    "fine_gray",
    "fine_gray_adjusted",
)


STEPS = (
    "data",
    "survival curves",
    "effect of closure",
    "pooled rates",
    "pooled effects",
    "bias and sensitivity",
    "subgroups",
    "cohort as a study",
    "range checks",
)


def run_analyses(
    cohort: pd.DataFrame | None,
    studies: pd.DataFrame,
    options: Options,
    *,
    cohort_name: str | None = "cohort",
    studies_name: str = "studies",
    synthetic: bool = False,
    packaged_studies: bool = False,
    progress: Callable[[str], None] | None = None,
) -> Analyses:
    """Run every analysis of the report. ``progress(step)`` is called before each step.
    With ``cohort=None`` only the studies are analysed."""
    from .. import meta

    tick = progress or (lambda step: None)
    out: dict = {
        "options": options,
        "cohort_name": cohort_name,
        "studies_name": studies_name,
        "n": 0 if cohort is None else len(cohort),
        "synthetic": synthetic,
        "packaged_studies": packaged_studies,
        "k_studies": len(studies),
        "adjusted_for": (),
        **dict.fromkeys(_COHORT_RESULTS),
    }
    notes: list[str] = []
    study_notes: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", RecurrenceWarning)
        tick("data")
        if cohort is not None:
            _cohort_analyses(cohort, options, out, notes, tick)
        else:
            for step in ("survival curves", "effect of closure"):
                tick(step)
        tick("pooled rates")
        kw = {"method": options.method, "level": options.level}
        out["pooled_control"] = _maybe(
            lambda: meta.pool_arm(studies, arm="control", transform=options.transform, **kw)
        )
        out["pooled_closure"] = _maybe(
            lambda: meta.pool_arm(studies, arm="closure", transform=options.transform, **kw)
        )

        tick("pooled effects")
        out["effect_rr"] = _maybe(
            lambda: meta.compare_studies(studies, measure="RR", hksj=options.hksj, **kw)
        )
        out["effect_or"] = _maybe(
            lambda: meta.compare_studies(studies, measure="OR", hksj=options.hksj, **kw)
        )
        main = out["effect_rr"] if options.measure == "RR" else out["effect_or"]

        tick("bias and sensitivity")
        enough = main is not None and main.k >= 3
        out["egger"] = _maybe(lambda: meta.egger_test(main)) if enough else None
        out["begg"] = _maybe(lambda: meta.begg_test(main)) if enough else None
        out["trim_fill"] = _maybe(lambda: meta.trim_and_fill(main)) if enough else None
        few = len(studies) <= MAX_STUDIES_SHOWN
        out["leave_one_out"] = _maybe(lambda: meta.leave_one_out(main)) if enough and few else None
        if not few:
            study_notes.append(
                f"With {len(studies):,} studies (more than {MAX_STUDIES_SHOWN}) the per-study "
                "content is left out: forest plots, leave-one-out, funnel plot and each "
                "study's rate against the range. The pooled results are complete."
            )

        tick("subgroups")
        out["subgroups"] = {
            col: res
            for col in ("device", "approach")
            if col in studies.columns
            and studies[col].nunique() > 1
            and (
                res := _maybe(
                    lambda c=col: meta.compare_studies(
                        studies, measure=options.measure, hksj=options.hksj, subgroup=c, **kw
                    )
                )
            )
            is not None
        }

        tick("cohort as a study")
        row = (
            None
            if cohort is None
            else _maybe(
                lambda: meta.cohort_as_study(
                    cohort, horizon=options.horizon, label=options.cohort_label
                )
            )
        )
        out["cohort_study"] = row
        if row is not None:
            both = pd.concat([studies, row], ignore_index=True)
            out["with_cohort"] = _maybe(
                lambda: meta.compare_studies(both, measure=options.measure, hksj=options.hksj, **kw)
            )

        tick("range checks")
        out["ranges"] = tuple(_range_checks(out, options))
    out["warnings"] = tuple(dict.fromkeys(str(w.message) for w in caught))
    out["notes"] = tuple(notes)
    out["study_notes"] = tuple(study_notes)
    return Analyses(**out)


def _cohort_analyses(cohort, options: Options, out: dict, notes: list, tick) -> None:
    """The cohort's results into ``out`` (table one, curves, rates, models)."""
    from ..survival import (
        cox,
        cumulative_incidence,
        fine_gray,
        kaplan_meier,
        logrank,
        reherniation_rates,
        rmst,
    )
    from ..tableone import table_one

    shown = [c for c in TABLE_ONE if c in cohort.columns]
    hidden = [
        c for c in cohort.columns if c not in (*shown, "patient_id", "closure", "time", "event")
    ]
    if hidden:
        notes.append(
            f"Columns not shown in table one (not canonical covariates): {', '.join(hidden)}."
        )
    out["table_one"] = table_one(cohort, variables=shown, min_cell=options.min_cell)

    tick("survival curves")
    out["km"] = kaplan_meier(cohort, level=options.level)
    out["incidence"] = cumulative_incidence(cohort, level=options.level)
    out["rates"] = reherniation_rates(cohort, at=options.times, level=options.level)
    out["rmst"] = rmst(cohort, options.horizon, level=options.level)

    tick("effect of closure")
    out["logrank"] = logrank(cohort)
    adjust = tuple(c for c in ADJUST if c in cohort.columns)
    out["adjusted_for"] = adjust
    out["cox"] = cox(cohort, ["closure"], level=options.level)
    out["fine_gray"] = fine_gray(cohort, ["closure"], level=options.level)
    out["cox_adjusted"] = cox(cohort, ["closure", *adjust], level=options.level) if adjust else None
    out["fine_gray_adjusted"] = (
        fine_gray(cohort, ["closure", *adjust], level=options.level) if adjust else None
    )


def _maybe(fn):
    """Run one meta-analysis; a DataError (too few studies, no arm) gives ``None``."""
    from ..errors import DataError

    try:
        return fn()
    except DataError:
        return None


def _range_checks(out: dict, options: Options) -> list[RangeCheck]:
    checks = []
    rates = out["rates"].table if out["rates"] is not None else pd.DataFrame(columns=["incidence"])
    for _, row in rates.iterrows():
        if pd.isna(row["incidence"]):
            continue
        checks.append(
            check_range(
                row["incidence"],
                ci_low=row["ci_low"],
                ci_high=row["ci_high"],
                arm=row["group"] if row["group"] in ("closure", "no closure") else None,
                level=options.level,
                label=f"{options.cohort_label}: {row['group']}, {row['time']:g} months",
            )
        )
    for arm, key in (("no closure", "pooled_control"), ("closure", "pooled_closure")):
        res = out[key]
        if res is None:
            continue
        checks.append(check_range(res, arm=arm, label=f"published studies: {arm}, pooled"))
        if len(res.table) > MAX_STUDIES_SHOWN:
            continue
        for _, row in res.table.iterrows():  # each study's own rate, as in its forest plot
            checks.append(
                check_range(
                    row["estimate"],
                    ci_low=row["ci_low"],
                    ci_high=row["ci_high"],
                    arm=arm,
                    level=options.level,
                    label=f"{row['study']}: {arm}",
                )
            )
    return checks
