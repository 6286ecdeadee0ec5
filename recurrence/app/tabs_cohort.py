"""The cohort's tabs: summary and Table 1, curves with the risk table, effects.

Each function takes the loaded (canonical) cohort and the resolved analysis plan
(:class:`recurrence.report.plan.Plan`) and returns a :class:`~.blocks.Tab`. Only the
package's public analyses are called; nothing here computes a statistic. Counts of
patients obey the small-cell rule (``min_cell``) on the page and in every download.
Raw rows of the cohort are never shown: Table 1 leaves free text out by itself.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

import pandas as pd

from .._format import ci_text, count, fmt, p_relation, pct
from .blocks import Block, Tab, captured, headline, rounded

if TYPE_CHECKING:
    from ..survival.cox import CoxResult
    from ..survival.finegray import FineGrayResult

__all__ = ["curves_tab", "effects_tab", "summary_tab"]

#: The risk-difference columns shown on the page (the download has every column).
RD_SHOWN = (
    "time",
    "risk_closure",
    "risk_control",
    "difference",
    "ci_low",
    "ci_high",
    "nnt_label",
    "at_risk_closure",
    "at_risk_control",
)
NO_COHORT = "No cohort is loaded: upload one, or use the built-in example, on the first page."


def _suppressed(frame: pd.DataFrame, columns, min_cell) -> pd.DataFrame:
    from ..report._format import suppress_counts

    return suppress_counts(frame, columns, min_cell)


def summary_tab(cohort: pd.DataFrame | None, plan, min_cell: int | None) -> Tab:
    """Who is in the cohort (per arm: patients, reherniations, competing events,
    censored, median follow-up) and Table 1 (:func:`recurrence.table_one`)."""
    from ..tableone import group_labels, table_one

    if cohort is None:
        return Tab(empty=NO_COHORT)
    with captured() as seen:
        arm = group_labels(cohort["closure"], "closure")
        rows = []
        for label, sub in cohort.groupby(arm, sort=False):
            rows.append(
                {
                    "group": label,
                    "patients": len(sub),
                    "reherniations": int((sub["event"] == 1).sum()),
                    "competing events": int((sub["event"] == 2).sum()),
                    "censored": int((sub["event"] == 0).sum()),
                    "median follow-up (months)": float(sub["time"].median()),
                }
            )
        counts = pd.DataFrame(rows).sort_values("group", ignore_index=True)
        counts = _suppressed(
            counts, ("patients", "reherniations", "competing events", "censored"), min_cell
        )
        variables = list(plan.table_one) if plan.table_one is not None else None
        t1 = table_one(cohort, variables=variables, min_cell=min_cell)
        wide = t1.formatted().reset_index()
    lead = (
        f"<p>{count(len(cohort), min_cell)} patients, "
        f"{count(int((cohort['event'] == 1).sum()), min_cell)} reherniations. "
        "Times are in months.</p>"
    )
    blocks = [
        Block("patients", "Patients and events by arm", lead + rounded(counts), table=counts),
        Block(
            "table_one",
            "Table 1: baseline characteristics by arm",
            wide.to_html(index=False, border=0, classes="recurrence-table", escape=True),
            table=wide,
            notes=tuple(t1.remarks),
        ),
    ]
    return Tab(blocks, warnings=tuple(seen))


def curves_tab(cohort: pd.DataFrame | None, plan, min_cell: int | None) -> Tab:
    """Cumulative incidence of reherniation (Aalen-Johansen, competing events apart)
    and Kaplan-Meier curves, each with its risk table; the rates at the plan's times."""
    from ..survival import cumulative_incidence, kaplan_meier, reherniation_rates

    if cohort is None:
        return Tab(empty=NO_COHORT)
    times = tuple(plan.times or (12.0, 24.0, 60.0))
    horizon = float(plan.horizon)
    with captured() as seen:
        cif = cumulative_incidence(cohort, level=plan.level)
        km = kaplan_meier(cohort, level=plan.level)
        at = cif.at([horizon])
        rates = reherniation_rates(cohort, at=tuple(sorted({*times, horizon})), level=plan.level)
        rate_table = _suppressed(rates.table, ("at_risk", "events", "competing"), min_cell)
    items = []
    for _, row in at.iterrows():
        key = f"incidence-{str(row['group']).replace(' ', '-')}-{horizon:g}"
        ci = f"({ci_text(row['ci_low'], row['ci_high'])})"
        items.append((key, f"{row['group']}, {horizon:g} months", row["incidence"], ci))
    gray = (
        f"<p>Gray's test: p {html.escape(p_relation(cif.gray_pvalue))}</p>"
        if getattr(cif, "gray_pvalue", None) is not None
        else ""
    )
    blocks = [
        Block(
            "incidence",
            "Cumulative incidence of reherniation (competing events apart)",
            headline(items, shown=pct) + gray,
            figure=lambda: cif.plot(min_cell=min_cell),
            notes=tuple(cif.remarks),
            alt="cumulative incidence of reherniation by arm, with the numbers at risk",
        ),
        Block(
            "kaplan_meier",
            "Kaplan-Meier: free of reherniation (competing events censored)",
            figure=lambda: km.plot(min_cell=min_cell),
            notes=tuple(km.remarks),
            alt="Kaplan-Meier curves by arm, with the numbers at risk",
        ),
        Block(
            "rates",
            "Reherniation rates (cumulative incidence, and 1 − Kaplan-Meier beside it)",
            rounded(rate_table.drop(columns=["excess"], errors="ignore")),
            table=rate_table,
            notes=tuple(rates.remarks),
        ),
    ]
    return Tab(blocks, warnings=tuple(seen))


def effects_tab(cohort: pd.DataFrame | None, plan, min_cell: int | None) -> Tab:
    """The effect of closure: Cox (hazard ratio) and Fine-Gray (subdistribution hazard
    ratio), unadjusted and adjusted for the plan's covariates; risk difference and
    number needed to treat at the plan's times."""
    from ..plotting import plot_hazard_ratios
    from ..survival import cox, fine_gray, risk_difference

    if cohort is None:
        return Tab(empty=NO_COHORT)
    adjust = [c for c in (plan.covariates or ()) if c != "closure" and c in cohort.columns]
    times = tuple(plan.times or (12.0, 24.0, 60.0))
    with captured() as seen:
        models: dict[str, CoxResult | FineGrayResult] = {
            "Cox, closure only": cox(cohort, ["closure"], level=plan.level),
            "Fine-Gray, closure only": fine_gray(cohort, ["closure"], level=plan.level),
        }
        if adjust:
            models["Cox, adjusted"] = cox(cohort, ["closure", *adjust], level=plan.level)
            models["Fine-Gray, adjusted"] = fine_gray(
                cohort, ["closure", *adjust], level=plan.level
            )
        rd = risk_difference(cohort, list(times), level=plan.level)
        rd_table = _suppressed(rd.table, ("at_risk_closure", "at_risk_control"), min_cell)
    hr = models["Cox, closure only"].table.loc["closure"]
    shr = models["Fine-Gray, closure only"].table.loc["closure"]
    items = [
        (
            "hr-closure",
            "Hazard ratio of closure (Cox)",
            hr["hr"],
            f"({fmt(hr['ci_low'])} to {fmt(hr['ci_high'])}), p {p_relation(hr['pvalue'])}",
        ),
        (
            "shr-closure",
            "Subdistribution hazard ratio (Fine-Gray)",
            shr["shr"],
            f"({fmt(shr['ci_low'])} to {fmt(shr['ci_high'])}), p {p_relation(shr['pvalue'])}",
        ),
    ]
    blocks = [
        Block(
            "hazard_ratios",
            "Hazard ratios of closure",
            headline(items),
            figure=lambda: plot_hazard_ratios(models, terms=["closure"]),
            alt="hazard ratios of closure, Cox and Fine-Gray",
        )
    ]
    for label, res in models.items():
        name = label.lower().replace(",", "").replace(" ", "_").replace("-", "_")
        table = res.table.reset_index()
        blocks.append(Block(name, label, rounded(table), table=table, notes=tuple(res.remarks)))
    blocks.append(
        Block(
            "risk_difference",
            "Risk difference (closure − no closure) and number needed to treat",
            rounded(rd_table, shown=RD_SHOWN),
            table=rd_table,
            figure=lambda: rd.plot(),
            notes=tuple(rd.remarks),
            alt="risk difference over time with its interval",
        )
    )
    if adjust:
        blocks[0].notes = (f"Adjusted for: {', '.join(adjust)}.",)
    return Tab(blocks, warnings=tuple(seen))
