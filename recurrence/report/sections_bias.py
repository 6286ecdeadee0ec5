"""The studies' closing sections of the report: publication bias and sensitivity, this
cohort as one more study, and every rate against the published range."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._format import ci_text, count, p_text, pct
from ._format import effect_text
from .analyses import MAX_STUDIES_SHOWN, Analyses
from .document import Document

__all__ = ["bias_section", "cohort_as_study_section", "range_section"]


def bias_section(doc: Document, a: Analyses, few: bool) -> None:
    p = a.plan
    bias = []
    if a.egger is not None:
        said = f"Egger's regression test: t = {a.egger.statistic:.2f}, {p_text(a.egger.pvalue)}"
        if a.egger_rma is not None and np.isfinite(a.egger_rma.statistic):
            rma = a.egger_rma
            said += (
                f" (metafor's default variant, a meta-regression on the standard error: "
                f"{'t' if rma.df else 'z'} = {rma.statistic:.2f}, {p_text(rma.pvalue)})"
            )
        bias.append(said + ".")
    if a.begg is not None:
        bias.append(
            f"Begg's rank correlation: Kendall's τ = {a.begg.statistic:.2f}, "
            f"{p_text(a.begg.pvalue)}."
        )
    if a.trim_fill is not None:
        tf = a.trim_fill
        bias.append(
            f"Trim and fill imputes {tf.k0} stud{'y' if tf.k0 == 1 else 'ies'} on the {tf.side}; "
            f"adjusted {p.measure} {effect_text(tf.estimate, a.plan.measure)} "
            f"({ci_text(tf.ci_low, tf.ci_high, lambda x: effect_text(x, a.plan.measure))})."
        )
    k = a.effect.k if a.effect is not None else 0
    if bias and k < 10:
        bias.append(f"With {k} studies (fewer than 10) these tests have little power.")
    if not bias:
        return
    doc.heading("Publication bias")
    main = a.effect
    if few and main is not None and main.k >= 3:
        bias.append(f"({doc.ref('fig:funnel')}.)")
    doc.paragraph(" ".join(bias))
    if few and main is not None and main.k >= 3:
        doc.figure(
            lambda: main.plot_funnel(),
            "Contour-enhanced funnel plot (shading: p < 0.10, 0.05, 0.01).",
            "fig:funnel",
            width=0.8,
        )
    if a.leave_one_out is not None:
        loo = a.leave_one_out
        doc.heading("Leaving out one study at a time")
        doc.table(
            pd.DataFrame(
                {
                    "left out": loo["study"],
                    p.measure: loo["estimate"].map(lambda x: effect_text(x, a.plan.measure)),
                    f"{p.level:.0%} CI": [
                        ci_text(lo, hi, lambda x: effect_text(x, a.plan.measure))
                        for lo, hi in zip(loo["ci_low"], loo["ci_high"], strict=True)
                    ],
                    "τ²": loo["tau2"].map(lambda v: f"{v:.3g}"),
                    "I²": loo["i2"].map(lambda v: f"{v:.0f}%"),
                }
            ),
            "The pooled effect with each study left out in turn.",
            "tab:loo",
            text_cols=("left out",),
        )


def cohort_as_study_section(doc: Document, a: Analyses) -> None:
    p, mc = a.plan, a.plan.min_cell
    row = a.cohort_study.iloc[0]

    def shown(x):
        return effect_text(x, p.measure)

    doc.heading("This cohort beside the literature")
    doc.paragraph(
        f'This cohort enters as one more study, "{row["study"]}", at {p.horizon:g} months: '
        f"{count(row['events_closure'], mc)}/{count(row['total_closure'], mc)} with closure and "
        f"{count(row['events_control'], mc)}/{count(row['total_control'], mc)} without (effective "
        "counts from the Aalen-Johansen cumulative incidence and its variance, so censored "
        f"patients count for what is known of them). Pooled with the studies: {p.measure} "
        f"{effect_text(a.with_cohort.estimate, a.plan.measure)} "
        f"({ci_text(a.with_cohort.ci_low, a.with_cohort.ci_high, shown)}; "
        f"{doc.ref('fig:forest_cohort')})."
    )
    if a.k_studies <= MAX_STUDIES_SHOWN and (mc is None or not _small_counts(row, mc)):
        wc = a.with_cohort
        doc.figure(
            lambda: wc.plot(), "The studies with this cohort added (last row).", "fig:forest_cohort"
        )


def _small_counts(row, mc) -> bool:
    """The cohort row's counts would be printed in its forest plot: not if small cells."""
    from .._privacy import small

    return any(small(row[c], mc) for c in ("events_closure", "events_control"))


def range_section(doc: Document, a: Analyses) -> None:
    if not a.ranges:
        return
    doc.section("sec:range", "Every rate against the published range")
    doc.paragraph(
        "Every reherniation rate of this report held against the published range of "
        "reherniation without closure, 3–27% (Bouma 2013; Carragee 2003): rates of the "
        "no-closure arm outside the range call for a look at the outcome definition, follow-up "
        "and population; closure rates below 3% are what closure aims for "
        f"({doc.ref('fig:range')}, {doc.ref('tab:range')})."
    )
    from ..plotting import plot_range

    ranges = list(a.ranges)
    doc.figure(
        lambda: plot_range(ranges),
        "Rates with their intervals; the band is the published range without closure.",
        "fig:range",
    )
    doc.table(
        pd.DataFrame(
            [
                {
                    "rate": c.label or "",
                    "estimate": pct(c.estimate),
                    "CI": "–" if c.ci_low is None else ci_text(c.ci_low, c.ci_high),
                    "position": c.position,
                    "CI overlaps 3–27%": "–"
                    if c.overlaps is None
                    else ("yes" if c.overlaps else "no"),
                }
                for c in ranges
            ]
        ),
        "Every rate of the report against the published range.",
        "tab:range",
        text_cols=("rate", "position"),
    )
