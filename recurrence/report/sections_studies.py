"""The studies' sections of the report: the published (or the user's) evidence pooled,
how sure it is, and every rate against the published range."""

from __future__ import annotations

import pandas as pd

from .._format import ci_text, fmt_p, is_missing, p_text, pct
from ..checks import check_range
from ._format import effect_text, ratio, verdict
from .analyses import MAX_STUDIES_SHOWN, Analyses
from .document import Document
from .sections_bias import bias_section, cohort_as_study_section, range_section

__all__ = ["range_section", "study_sections", "study_summary"]


def _method(a: Analyses) -> str:
    p = a.plan
    hksj = {True: " + HKSJ", "adhoc": " + modified HKSJ"}.get(p.hksj, "")
    return f"{p.method}{hksj if p.method not in ('FE', 'MH', 'PETO', 'bayes') else ''}"


def study_summary(a: Analyses) -> str:
    parts = []
    e, m = a.effect, a.plan.measure

    def shown(x):
        return effect_text(x, m)

    if e is not None:
        pi = (
            f", prediction interval {ci_text(e.pi_low, e.pi_high, shown)}"
            if e.pi_low is not None and not is_missing(e.pi_low)
            else ""
        )
        which = "published studies" if a.packaged_studies else "studies"
        parts.append(
            f"Across {e.k} {which} the pooled {m} of reherniation with closure was "
            f"{effect_text(e.estimate, a.plan.measure)} "
            f"({ci_text(e.ci_low, e.ci_high, lambda x: effect_text(x, a.plan.measure))}{pi}; "
            f"I² = {e.i2:.0f}%; {_method(a)})"
        )
        if a.bayes is not None:
            b = a.bayes
            parts.append(
                f"; a Bayesian random-effects model (half-normal(0.5) prior on τ) gives "
                f"{ratio(b.estimate)} ({ci_text(b.ci_low, b.ci_high, ratio)})"
            )
        if a.findings is not None:
            parts.append(f"; the certainty of this evidence is {a.findings.certainty} (GRADE)")
        parts.append(". ")
    if a.pooled_control is not None:
        chk = check_range(a.pooled_control, arm="no closure")
        parts.append(
            f"Pooled reherniation without closure was {pct(a.pooled_control.estimate)} "
            f"({ci_text(a.pooled_control.ci_low, a.pooled_control.ci_high)}), {chk.position} "
            "the published 3–27% range"
        )
        if a.pooled_closure is not None:
            parts.append(
                f", with closure {pct(a.pooled_closure.estimate)} "
                f"({ci_text(a.pooled_closure.ci_low, a.pooled_closure.ci_high)})"
            )
        parts.append(". ")
    return "".join(parts)


def _pooled_row(label: str, res, arm: str | None, a: Analyses) -> dict:
    row = {
        "analysis": label,
        "k": str(res.k),
        "estimate": pct(res.estimate),
        f"{a.plan.level:.0%} CI": ci_text(res.ci_low, res.ci_high),
        "prediction interval": "–" if is_missing(res.pi_low) else ci_text(res.pi_low, res.pi_high),
        "τ²": f"{res.tau2:.3g}",
        "I²": f"{res.i2:.0f}%",
    }
    if arm is not None:
        row["vs published range"] = verdict(check_range(res, arm=arm))
    return row


def _effect_row(label: str, res, a: Analyses, measure: str) -> dict:
    f = pct if measure == "RD" else ratio
    return {
        "analysis": label,
        "k": str(res.k),
        "estimate": f(res.estimate),
        f"{a.plan.level:.0%} interval": ci_text(res.ci_low, res.ci_high, f),
        "prediction interval": "–"
        if res.pi_low is None or is_missing(res.pi_low)
        else ci_text(res.pi_low, res.pi_high, f),
        "τ²": f"{res.tau2:.3g}",
        "I²": "–" if is_missing(res.i2) else f"{res.i2:.0f}%",
        "p": fmt_p(res.pvalue),
    }


def _flow(doc: Document, a: Analyses) -> None:
    from ..plotting.flow import FlowStep, plot_flow

    dropped = list(a.dropped)
    total = a.k_studies + len(dropped)
    trial = [s for s, why in dropped if why.startswith("same trial")]
    outcome = [s for s, why in dropped if why.startswith("outcome")]
    aside = []
    if trial:
        aside.append(f"{len(trial)} reports of a trial already included: " + ", ".join(trial))
    if outcome:
        aside.append(f"{len(outcome)} reports of another outcome: " + ", ".join(outcome))
    effect = a.effect
    two_arm = effect.k if effect is not None else 0
    steps = [
        FlowStep(f"{total} reports in the study table", "\n".join(aside)),
        FlowStep(
            f"{a.k_studies} studies",
            f"{a.k_studies - two_arm} single-arm series: rates only"
            if a.k_studies > two_arm
            else "",
        ),
        FlowStep(f"{two_arm} two-arm studies compare closure with no closure"),
    ]
    doc.figure(
        lambda: plot_flow(steps),
        "Study selection (PRISMA 2020 flow): reports available, set aside with the reason, "
        "studies analysed.",
        "fig:flow",
    )


def study_sections(doc: Document, a: Analyses) -> None:
    heading = "The published evidence" if a.packaged_studies else "The studies"
    doc.section("sec:evidence", heading)
    intro = (
        "Study table: the packaged table of published studies (recurrence.load_studies()), "
        f"{a.k_studies} studies. "
        if a.packaged_studies
        else f"Study table: {a.studies_name}, {a.k_studies} studies. "
    )
    if a.dropped:
        intro += (
            "Left out to avoid counting patients twice or mixing outcomes: "
            + "; ".join(f"{s} ({why})" for s, why in a.dropped)
            + f" ({doc.ref('fig:flow')}). "
        )
    flow = bool(a.dropped) or a.effect is not None
    if flow and not a.dropped:
        intro += f"The study selection is drawn in {doc.ref('fig:flow')}. "
    doc.paragraph(intro + " ".join(a.study_notes))
    if flow:
        _flow(doc, a)
    few = a.k_studies <= MAX_STUDIES_SHOWN
    rows = []
    if a.pooled_control is not None:
        rows.append(_pooled_row("without closure", a.pooled_control, "no closure", a))
    if a.pooled_closure is not None:
        rows.append(_pooled_row("with closure", a.pooled_closure, "closure", a))
    if rows:
        doc.heading("Reherniation rate per arm, pooled")
        figs = [
            doc.ref(key)
            for key, res in (
                ("fig:forest_control", a.pooled_control),
                ("fig:forest_closure", a.pooled_closure),
            )
            if res is not None and few
        ]
        doc.paragraph(
            f"The reherniation rate of each arm pooled across the studies that report it "
            f"({doc.ref('tab:pooled')}"
            + (f"; per study: {' and '.join(figs)}" if figs else "")
            + ")."
        )
        doc.table(
            pd.DataFrame(rows),
            "Pooled reherniation rate (logit transform, random effects).",
            "tab:pooled",
            text_cols=("analysis", "vs published range"),
            wide=True,
        )
        for key, res, what in (
            ("fig:forest_control", a.pooled_control, "without"),
            ("fig:forest_closure", a.pooled_closure, "with"),
        ):
            if res is not None and few:
                doc.figure(
                    lambda r=res: r.plot(),
                    f"Reherniation {what} closure, per study and pooled.",
                    key,
                )
    else:
        doc.paragraph("Too few studies to pool a rate.")
    _comparison(doc, a, few)
    _certainty(doc, a)
    bias_section(doc, a, few)
    if a.with_cohort is not None and a.cohort_study is not None:
        cohort_as_study_section(doc, a)


def _comparison(doc: Document, a: Analyses, few: bool) -> None:
    p = a.plan
    doc.heading("Closure against no closure")
    if a.effect is None:
        doc.paragraph("Too few two-arm studies to compare.")
        return
    rows = [_effect_row(f"{p.measure}, {_method(a)}", a.effect, a, p.measure)]
    if a.effect_other is not None:
        other = "OR" if p.measure != "OR" else "RR"
        rows.append(_effect_row(f"{other}, {a.effect_other.method}", a.effect_other, a, other))
    if a.bayes is not None:
        rows.append(
            _effect_row(f"{p.measure}, Bayesian, half-normal(0.5) on τ", a.bayes, a, p.measure)
        )
    k = a.effect.k
    bayes = ""
    if a.bayes is not None:
        bayes = (
            " The Bayesian model (flat prior on the mean, half-normal(0.5) on the between-study "
            "standard deviation τ: Friede et al. 2017; Röver et al. 2021) "
            + (
                f"is recommended with fewer than 10 studies (here {k}), where τ is poorly estimated"
                if k < 10
                else "is a check on the choice of τ² estimator"
            )
            + "; its interval is the 95% posterior (credible) interval."
        )
    doc.paragraph(
        f"{doc.ref('tab:effects')} gives the pooled effect of closure"
        + (f"; {doc.ref('fig:forest')} each study's." if few else ".")
        + bayes
    )
    doc.table(
        pd.DataFrame(rows),
        f"Pooled effect of closure on reherniation ({p.measure}; below 1 favours closure)."
        if p.measure != "RD"
        else "Pooled risk difference of reherniation (closure − no closure).",
        "tab:effects",
        text_cols=("analysis",),
        wide=True,
    )
    main = a.effect
    if few:
        doc.figure(
            lambda: main.plot(),
            f"{p.measure} of reherniation, closure against no closure"
            + ("; values below 1 favour closure." if p.measure != "RD" else "."),
            "fig:forest",
        )
    if a.sensitivity is not None:
        s = a.sensitivity
        doc.heading("Sensitivity to the method")
        doc.paragraph(
            "The same studies pooled by every method of the few-studies toolbox "
            f"({doc.ref('tab:sensitivity')}, {doc.ref('fig:sensitivity')}): a conclusion that "
            "holds across them does not depend on the choice of τ² estimator or interval."
        )
        t = s.table
        f = pct if p.measure == "RD" else ratio
        doc.table(
            pd.DataFrame(
                {
                    "method": t["method"],
                    "estimate": t["estimate"].map(f),
                    "interval": [
                        ci_text(lo, hi, f) for lo, hi in zip(t["ci_low"], t["ci_high"], strict=True)
                    ],
                    "τ²": t["tau2"].map(lambda v: f"{v:.3g}"),
                    "k": t["k"].astype(int).astype(str),
                }
            ),
            "Pooled effect by method (CrI: Bayesian credible interval).",
            "tab:sensitivity",
            text_cols=("method",),
        )
        doc.figure(
            lambda: s.plot(), "The pooled effect across methods.", "fig:sensitivity", width=0.7
        )
    if a.study_subgroups:
        doc.heading("Subgroups of studies")
        sub_rows, text = [], []
        for col, res in a.study_subgroups.items():
            for _, r in res.table.iterrows():
                sub_rows.append(
                    {
                        "by": col,
                        "subgroup": r["subgroup"],
                        "k": str(int(r["k"])),
                        p.measure: effect_text(r["estimate"], a.plan.measure),
                        f"{p.level:.0%} CI": ci_text(
                            r["ci_low"], r["ci_high"], lambda x: effect_text(x, a.plan.measure)
                        ),
                    }
                )
            text.append(
                f"{col}: test for subgroup differences Q = {res.q_between:.2f} "
                f"(df {res.df_between}, {p_text(res.pvalue_between)})"
            )
        doc.paragraph("; ".join(text) + f" ({doc.ref('tab:study_subgroups')}).")
        doc.table(
            pd.DataFrame(sub_rows),
            "Pooled effect by subgroup of studies.",
            "tab:study_subgroups",
            text_cols=("by", "subgroup"),
        )


def _certainty(doc: Document, a: Analyses) -> None:
    if a.findings is None and not a.rob and a.sequential is None:
        return
    doc.heading("Certainty of the evidence")
    if a.findings is not None:
        sof = a.findings
        r = sof.table.iloc[0]
        doc.paragraph(
            f"GRADE summary of findings ({doc.ref('tab:sof')}): starting from "
            f"{sof.start} certainty, the suggested downgrades give {sof.certainty} certainty "
            f"({doc.ref('tab:grade')} gives each domain's reason; the reviewers' judgement "
            "overrides them, and indirectness is theirs alone)."
        )
        doc.table(
            pd.DataFrame(
                [
                    {
                        "outcome": r["outcome"],
                        "relative effect": f"{r['measure']} {ratio(r['relative'])} "
                        f"({ci_text(r['ci_low'], r['ci_high'], ratio)})",
                        "without closure, per 1,000": f"{r['assumed_per_1000']:.0f}",
                        "with closure, per 1,000": f"{r['corresponding_per_1000']:.0f} "
                        f"({r['corresponding_low']:.0f} to {r['corresponding_high']:.0f})",
                        "participants (studies)": (
                            f"{int(r['participants']):,} ({int(r['studies'])})"
                        ),
                        "certainty": sof.certainty,
                    }
                ]
            ),
            "Summary of findings: reherniation with and without annulus closure (assumed risk: "
            "the median control-arm risk of the studies).",
            "tab:sof",
            text_cols=("outcome", "certainty"),
            wide=True,
        )
        d = sof.domains
        doc.table(
            pd.DataFrame(
                {
                    "domain": d["domain"].str.replace("_", " "),
                    "downgrade": d["applied"].map(lambda v: "none" if v == 0 else f"{int(v)}"),
                    "reason": d["reason"],
                }
            ),
            "GRADE domains: suggested downgrades and their reasons.",
            "tab:grade",
            text_cols=("domain", "reason"),
            wide=True,
        )
    if a.rob:
        from ..plotting import plot_rob

        studies = a.effect.spec.data if a.effect is not None else None
        if studies is not None:
            doc.paragraph(
                f"The studies' risk-of-bias judgements are drawn in {doc.ref('fig:rob')}."
            )
            doc.figure(
                lambda: plot_rob(studies),
                "Risk of bias per study and domain (RoB 2 / ROBINS-I judgements of the study "
                "table).",
                "fig:rob",
            )
    if a.sequential is not None:
        tsa = a.sequential
        doc.paragraph(
            "Trial sequential analysis (Wetterslev et al. 2008): "
            + "; ".join(tsa.summary_lines())
            + f" ({doc.ref('fig:tsa')})."
        )
        doc.figure(
            lambda: tsa.plot(),
            "Cumulative z-curve against the Lan-DeMets O'Brien-Fleming monitoring boundaries and "
            "the required information size.",
            "fig:tsa",
            width=0.85,
        )
