"""The evidence and range sections of the report: pooled published studies, bias,
sensitivity, subgroups, this cohort as a study, and every rate against the range."""

from __future__ import annotations

import pandas as pd
from markupsafe import Markup

from ..checks import check_range
from ..results import fmt_p
from ._format import ci_text, count, html_rows, is_missing, p_text, pct, ratio, verdict
from .analyses import Analyses

__all__ = ["evidence_section", "main_k", "range_section"]


def _pooled_row(label: str, res, arm: str | None, o) -> dict:
    row = {
        "analysis": label,
        "k": str(res.k),
        "estimate": pct(res.estimate),
        f"{o.level:.0%} CI": ci_text(res.ci_low, res.ci_high),
        "prediction interval": (
            "–" if is_missing(res.pi_low) else ci_text(res.pi_low, res.pi_high)
        ),
        "τ²": f"{res.tau2:.3g}",
        "I²": f"{res.i2:.0f}%",
    }
    if arm is not None:
        row["vs published range"] = verdict(check_range(res, arm=arm))
    return row


def _effect_row(label: str, res, o) -> dict:
    return {
        "analysis": label,
        "k": str(res.k),
        "estimate": ratio(res.estimate),
        f"{o.level:.0%} CI": ci_text(res.ci_low, res.ci_high, ratio),
        "prediction interval": (
            "–" if is_missing(res.pi_low) else ci_text(res.pi_low, res.pi_high, ratio)
        ),
        "τ²": f"{res.tau2:.3g}",
        "I²": f"{res.i2:.0f}%",
        "Q (p)": f"{res.q:.2f} ({fmt_p(res.q_pvalue)})",
        "p": fmt_p(res.pvalue),
    }


def evidence_section(a: Analyses, studies: pd.DataFrame) -> dict:
    o = a.options
    out: dict = {}
    dropped = studies.attrs.get("dropped", [])
    intro = (
        f"Study table: the packaged table of published studies (recurrence.load_studies()), "
        f"{len(studies)} studies. "
        if a.packaged_studies
        else f"Study table: {a.studies_name}, {len(studies)} studies. "
    )
    if dropped:
        intro += (
            "Left out to avoid counting patients twice or mixing outcomes: "
            + "; ".join(f"{s} ({why})" for s, why in dropped)
            + ". "
        )
    if "count_basis" in studies.columns and (studies["count_basis"] == "derived").any():
        derived = studies.loc[studies["count_basis"] == "derived", "study"].tolist()
        intro += f"Counts derived from published percentages (approximate): {', '.join(derived)}. "
    out["intro"] = intro + " ".join(a.study_notes)
    rows = []
    if a.pooled_control is not None:
        rows.append(_pooled_row("without closure", a.pooled_control, "no closure", o))
    if a.pooled_closure is not None:
        rows.append(_pooled_row("with closure", a.pooled_closure, "closure", o))
    out["rates_table"] = (
        html_rows(
            pd.DataFrame(rows),
            f"Pooled reherniation rate ({o.transform} transform, {o.method})",
            text_cols=("analysis", "vs published range"),
        )
        if rows
        else Markup("<p>Too few studies to pool a rate.</p>")
    )
    out["forest_control_caption"] = "Reherniation without closure, per study and pooled."
    out["forest_closure_caption"] = "Reherniation with closure, per study and pooled."
    rows = [
        _effect_row(f"{m}, {o.method}{' + HKSJ' if o.hksj else ''}", r, o)
        for m, r in (("RR", a.effect_rr), ("OR", a.effect_or))
        if r is not None
    ]
    out["effects_table"] = (
        html_rows(pd.DataFrame(rows), text_cols=("analysis",), wide=True)
        if rows
        else Markup("<p>Too few two-arm studies to compare.</p>")
    )
    out["forest_rr_caption"] = (
        f"{o.measure} of reherniation, closure against no closure; values below 1 favour closure."
    )
    bias = []
    if a.egger is not None:
        bias.append(
            f"Egger's regression test: t = {a.egger.statistic:.2f}, p {p_text(a.egger.pvalue)}."
        )
    if a.begg is not None:
        bias.append(
            f"Begg's rank correlation: Kendall's τ = {a.begg.statistic:.2f}, "
            f"p {p_text(a.begg.pvalue)}."
        )
    if a.trim_fill is not None:
        tf = a.trim_fill
        bias.append(
            f"Trim and fill imputes {tf.k0} stud{'y' if tf.k0 == 1 else 'ies'} on the "
            f"{tf.side}; adjusted {o.measure} {ratio(tf.estimate)} "
            f"({ci_text(tf.ci_low, tf.ci_high, ratio)})."
        )
    if bias and main_k(a) < 10:
        bias.append(f"With {main_k(a)} studies (fewer than 10) these tests have little power.")
    out["bias_text"] = (
        " ".join(bias) or "Too few studies (fewer than 3) for tests of small-study effects."
    )
    out["funnel_caption"] = "Contour-enhanced funnel plot (shading: p < 0.10, 0.05, 0.01)."
    if a.leave_one_out is not None:
        loo = a.leave_one_out
        out["loo_table"] = html_rows(
            pd.DataFrame(
                {
                    "left out": loo["study"],
                    o.measure: loo["estimate"].map(ratio),
                    f"{o.level:.0%} CI": [
                        ci_text(lo, hi, ratio)
                        for lo, hi in zip(loo["ci_low"], loo["ci_high"], strict=True)
                    ],
                    "τ²": loo["tau2"].map(lambda v: f"{v:.3g}"),
                    "I²": loo["i2"].map(lambda v: f"{v:.0f}%"),
                }
            ),
            text_cols=("left out",),
        )
    else:
        out["loo_table"] = Markup("<p>Too few studies for leave-one-out.</p>")
    sub_rows, sub_text = [], []
    for col, res in a.subgroups.items():
        for _, r in res.table.iterrows():
            sub_rows.append(
                {
                    "by": col,
                    "subgroup": r["subgroup"],
                    "k": str(int(r["k"])),
                    o.measure: ratio(r["estimate"]),
                    f"{o.level:.0%} CI": ci_text(r["ci_low"], r["ci_high"], ratio),
                }
            )
        sub_text.append(
            f"{col}: test for subgroup differences Q = {res.q_between:.2f} "
            f"(df {res.df_between}, p {p_text(res.pvalue_between)})"
        )
    out["subgroup_text"] = (
        "; ".join(sub_text) + "." if sub_text else "No subgroup variable with more than one value."
    )
    out["subgroup_table"] = (
        html_rows(pd.DataFrame(sub_rows), text_cols=("by", "subgroup")) if sub_rows else Markup("")
    )
    if not a.has_cohort:
        out["cohort_text"] = None
    elif a.cohort_study is not None and a.with_cohort is not None:
        row = a.cohort_study.iloc[0]
        mc = o.min_cell
        out["cohort_text"] = (
            f'This cohort enters as one more study, "{row["study"]}", at {o.horizon:g} months: '
            f"{count(row['events_closure'], mc)}/{count(row['total_closure'], mc)} with closure "
            f"and {count(row['events_control'], mc)}/{count(row['total_control'], mc)} without "
            "(effective counts from "
            "the Aalen-Johansen cumulative incidence and its variance, so censored patients count "
            f"for what is known of them). Pooled with the literature: {o.measure} "
            f"{ratio(a.with_cohort.estimate)} "
            f"({ci_text(a.with_cohort.ci_low, a.with_cohort.ci_high, ratio)})."
        )
    else:
        out["cohort_text"] = "The cohort could not be added as a study (an arm without patients?)."
    out["forest_cohort_caption"] = "The published studies with this cohort added (last row)."
    return out


def main_k(a: Analyses) -> int:
    """Studies in the report's main comparison."""
    main = a.effect_rr if a.options.measure == "RR" else a.effect_or
    return 0 if main is None else int(main.k)


def range_section(a: Analyses) -> dict:
    rows = [
        {
            "rate": c.label or "",
            "estimate": pct(c.estimate),
            "CI": "–" if c.ci_low is None else ci_text(c.ci_low, c.ci_high),
            "position": c.position,
            "CI overlaps 3–27%": "–" if c.overlaps is None else ("yes" if c.overlaps else "no"),
        }
        for c in a.ranges
    ]
    return {
        "intro": (
            "Every reherniation rate of this report held against the published range of "
            "reherniation without closure, 3–27% (Bouma 2013; Carragee 2003). Rates of the "
            "no-closure arm outside the range call for a look at the outcome definition, "
            "follow-up and population; closure rates below 3% are what closure aims for."
        ),
        "caption": "Rates with their intervals; the band is the published range without closure.",
        "table": html_rows(pd.DataFrame(rows), text_cols=("rate", "position")),
    }
