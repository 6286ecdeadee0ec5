"""The back of the report: methods a statistician would sign (every method with its
reference, every convention that differs from R's defaults), the caveats, the STROBE and
PRISMA 2020 checklists pointing at where each item is answered, the plan followed, and
what a reader needs to reproduce the report."""

from __future__ import annotations

import pandas as pd

from .analyses import IMPUTATIONS, SEED, Analyses
from .document import Document
from .references import REFERENCES

__all__ = ["back_sections"]


def _methods(doc: Document, a: Analyses) -> None:
    p = a.plan
    lvl = f"{p.level:.0%}"
    doc.section("sec:methods", "Methods")
    refs = []
    if a.has_cohort:
        # printable() sets both to tuples for every report with a cohort
        assert p.covariates is not None and p.subgroups is not None
        refs += ["aj", "gray", "cox", "zph", "fg", "rmst", "smd", "altman"]
        adjusted = (
            f"; adjusted models include {', '.join(p.covariates)}"
            if a.cox_adjusted is not None
            else ""
        )
        doc.paragraph(
            "Cohort. Reherniation (event 1) was analysed with competing events (event 2: fusion, "
            "other-level surgery, death) by the Aalen-Johansen estimator of the cumulative "
            f"incidence, with cmprsk's variance and {lvl} log(−log) intervals, and compared "
            "between arms with Gray's test. Kaplan-Meier estimates (Greenwood variance, log(−log) "
            "intervals) censor competing events and are shown for comparison; median follow-up "
            "is the reverse Kaplan-Meier median. The restricted mean reherniation-free time is "
            f"computed to {p.horizon:g} months. The effect of closure is a Cox proportional-"
            "hazards model of the cause-specific hazard (Efron ties) with a Schoenfeld-residual "
            "test of proportional hazards (as R's cox.zph), and a Fine-Gray "
            "subdistribution-hazards model (as R's cmprsk::crr, sandwich standard errors)"
            + adjusted
            + ". The risk difference between arms is the difference of the Aalen-Johansen "
            "incidences with a Wald interval; the number needed to treat is its reciprocal, "
            "with Altman's interval through infinity when the difference's interval includes 0. "
            "Baseline balance is described by standardized mean differences."
        )
        if a.subgroups is not None:
            doc.paragraph(
                "Subgroups: the closure hazard ratio in each level of "
                f"{', '.join(p.subgroups)} (a number split at its median), each with the "
                "adjustment covariates; the interaction is tested by the likelihood ratio of "
                "closure × variable against closure + variable."
            )
            refs.append("subgroups")
        if a.missing:
            doc.paragraph(
                f"Missing covariates: {IMPUTATIONS} data sets completed by chained equations "
                "(predictive mean matching; logistic and multinomial models; the outcome among "
                f"the predictors), seed {SEED}; the Cox model pooled by Rubin's rules with "
                "Barnard-Rubin degrees of freedom, beside the complete-case model."
            )
            refs += ["white", "rubin"]
        if a.evalue is not None:
            doc.paragraph(
                "Unmeasured confounding: the E-value of the hazard ratio (common outcome: "
                "RR = (1 − 0.5^√HR)/(1 − 0.5^√(1/HR))) and of its confidence limit nearer 1."
            )
            refs.append("evalue")
        if a.turnbull is not None:
            doc.paragraph(
                "Imaging: Turnbull's nonparametric maximum-likelihood estimate for interval-"
                "censored reherniation (as R's survfit with Surv(type = 'interval2')); "
                "accelerated-failure-time models (exponential, Weibull, log-normal, "
                "log-logistic; as R's survreg) compared by AIC and projected beyond follow-up."
            )
            refs.append("turnbull")
    iv = "bayes" if p.method == "bayes" else p.method
    hksj = {True: "Hartung-Knapp-Sidik-Jonkman", "adhoc": "modified Hartung-Knapp"}.get(p.hksj)
    doc.paragraph(
        "Studies. Reherniation rates per arm were pooled on the logit scale with a "
        f"random-effects model; closure was compared with no closure by the {p.measure} "
        f"({iv}"
        + (
            f", {hksj} standard errors with t on k − 1 df"
            if hksj and iv not in ("FE", "MH", "PETO", "bayes")
            else ""
        )
        + "). Studies with a zero cell get 0.5 added to every cell (RR, OR) and single arms "
        "with 0 or all events 0.5 added to events and non-events (logit); studies without "
        "events in either arm are left out of RR and OR. Heterogeneity: Cochran's Q with "
        "common-effect weights, and a prediction interval. Small-study effects: Egger's "
        "regression test, Begg's rank correlation and Duval and Tweedie's trim and fill (L0, "
        "side from Egger's sign). Sensitivity by leaving out one study at a time and across "
        "methods (common effect, Mantel-Haenszel, DerSimonian-Laird, REML with and without "
        "Hartung-Knapp, Paule-Mandel, GLMM, Bayesian); subgroups of studies compared by "
        "Cochran's Q between subgroup estimates. One report per randomized trial enters an "
        "analysis. The Bayesian model has a flat prior on the mean and a half-normal(0.5) "
        "prior on τ, solved by numerical integration (no MCMC). Certainty by GRADE; trial "
        "sequential analysis with the heterogeneity-adjusted required information size "
        "(diversity D²) and Lan-DeMets O'Brien-Fleming boundaries."
    )
    doc.paragraph(
        "Conventions that differ from R's defaults, stated so the numbers can be checked: I² "
        "is Higgins and Thompson's (Q − df)/Q from the common-effect Q whatever the τ² "
        "estimator (metafor computes it from τ² and a typical within-study variance for "
        "estimators other than DerSimonian-Laird); the prediction interval is Higgins, "
        "Thompson and Spiegelhalter's estimate ± t(k − 2)·√(τ² + SE²) with the usual SE "
        "(metafor's predict uses the normal quantile unless test = 't'); Egger's test is the "
        "classical weighted regression of the effect on its standard error (metafor's regtest "
        "defaults to model = 'rma', a mixed-effects meta-regression on the standard error, "
        "which the report gives beside it); "
        "the Hartung-Knapp adjustment is not truncated (metafor 'knha'; the modified version "
        "is metafor's 'adhoc')."
    )
    doc.paragraph(
        "Software: recurrence (Python), whose estimators are checked against R's survival, "
        "cmprsk, metafor, riskRegression and mice (and integrations written in R where no "
        "package exists) in its test suite; versions, the input files' SHA-256 and the plan "
        "followed are in the appendix."
    )
    refs += [
        "reml",
        "hksj",
        "i2",
        "pi",
        "egger",
        "begg",
        "tf",
        "bayes",
        "grade",
        "tsa",
        "range",
        "metafor",
    ]
    doc.heading("References")
    for key in dict.fromkeys(refs):
        doc.paragraph(REFERENCES[key], "note")


def _caveats(doc: Document, a: Analyses) -> None:
    labelled = [
        ("Table one", a.table_one),
        ("Kaplan-Meier", a.km),
        ("Cumulative incidence", a.incidence),
        ("Rates", a.rates),
        ("RMST", a.rmst),
        ("Risk difference", a.risk_difference),
        ("Log-rank", a.logrank),
        ("Cox", a.cox),
        ("Cox, adjusted", a.cox_adjusted),
        ("Fine-Gray", a.fine_gray),
        ("Fine-Gray, adjusted", a.fine_gray_adjusted),
        ("Subgroups", a.subgroups),
        ("Turnbull", a.turnbull),
        ("Pooled rate without closure", a.pooled_control),
        ("Pooled rate with closure", a.pooled_closure),
        (f"Pooled {a.plan.measure}", a.effect),
        ("Bayesian", a.bayes),
        ("Egger", a.egger),
        ("Begg", a.begg),
        ("Trim and fill", a.trim_fill),
        ("GRADE", a.findings),
        ("Trial sequential analysis", a.sequential),
        ("With this cohort", a.with_cohort),
    ]
    seen: dict[str, None] = {}
    texts: set[str] = set()
    for label, res in labelled:
        for remark in getattr(res, "remarks", ()) or ():
            if remark not in texts:
                texts.add(remark)
                seen.setdefault(f"{label}: {remark}", None)
    for col, sub in a.study_subgroups.items():
        ks = sub.table["k"].astype(int)
        seen.setdefault(
            f"Subgroups of studies by {col}: {len(ks)} subgroups of {ks.min()} to {ks.max()} "
            "studies: fragile estimates.",
            None,
        )
    for w in a.warnings:
        if not any(w in t for t in texts):
            seen.setdefault(w, None)
    doc.section("sec:caveats", "Caveats")
    if not seen:
        doc.paragraph("No result raised a caveat.")
    for i, c in enumerate(seen, 1):
        doc.paragraph(f"{i}. {c}")


#: STROBE (cohort studies) items 12–17 and PRISMA 2020 items 13–16, 19–22, 27: the item,
#: and the section label that answers it (or None) with the reason when not addressed.
STROBE = (
    ("12a", "Statistical methods, including those to control for confounding", "sec:methods", ""),
    (
        "12b",
        "Methods to examine subgroups and interactions",
        "sec:subgroups",
        "no subgroup variable was planned or available",
    ),
    (
        "12c",
        "How missing data were addressed",
        "sec:robustness",
        "no adjustment covariate had missing values",
    ),
    ("12d", "How loss to follow-up was addressed", "sec:time", ""),
    (
        "12e",
        "Sensitivity analyses",
        "sec:robustness",
        "no sensitivity analysis of the cohort applied",
    ),
    ("13a", "Numbers of individuals at each stage", "sec:data", ""),
    (
        "13b",
        "Reasons for non-participation",
        None,
        "the cohort table holds the patients analysed only",
    ),
    ("13c", "Flow diagram", "sec:data", ""),
    ("14a", "Characteristics of study participants", "sec:data", ""),
    ("14b", "Participants with missing data for each variable", "sec:data", ""),
    ("14c", "Follow-up time", "sec:data", ""),
    ("15", "Numbers of outcome events over time", "sec:time", ""),
    ("16a", "Unadjusted and adjusted estimates with precision; confounders", "sec:effect", ""),
    (
        "16b",
        "Category boundaries of continuous variables",
        "sec:subgroups",
        "no continuous variable was categorized",
    ),
    ("16c", "Relative risk translated into absolute risk", "sec:time", ""),
    ("17", "Other analyses: subgroups, interactions, sensitivity", "sec:subgroups", "none planned"),
)
PRISMA = (
    ("13a-f", "Synthesis methods", "sec:methods", ""),
    ("14", "Reporting bias assessment", "sec:methods", ""),
    ("15", "Certainty assessment", "sec:evidence", ""),
    ("16a", "Study selection: flow", "sec:evidence", ""),
    ("16b", "Studies excluded, with reasons", "sec:evidence", ""),
    (
        "19",
        "Risk of bias in studies",
        "sec:evidence",
        "the study table has no risk-of-bias judgements",
    ),
    ("20a-d", "Results of syntheses", "sec:evidence", ""),
    (
        "21",
        "Reporting biases",
        "sec:evidence",
        "too few studies for the tests of small-study effects",
    ),
    ("22", "Certainty of evidence", "sec:evidence", "too few two-arm studies for GRADE"),
    ("27", "Availability of data, code and other materials", "sec:appendix", ""),
)


def _applies(a: Analyses, item: str, list_: str) -> bool:
    if list_ == "PRISMA":
        return {
            "19": a.rob,
            "21": a.egger is not None,
            "22": a.findings is not None,
            "15": a.findings is not None,
        }.get(item, True)
    return {
        "12b": a.subgroups is not None,
        "12c": bool(a.missing),
        "12e": a.evalue is not None or bool(a.missing),
        "16b": a.subgroups is not None and "defect_width_mm" in (a.plan.subgroups or ()),
        "17": a.subgroups is not None,
    }.get(item, True)


def _checklists(doc: Document, a: Analyses) -> None:
    doc.section("sec:checklists", "Reporting checklists")
    sections = doc.sections()
    doc.paragraph(
        "Where each item of STROBE (cohort studies, items 12–17) and PRISMA 2020 (items 13–16, "
        "19–22, 27) is answered in this report; an item not addressed says why."
    )
    for name, items, applies in (
        ("STROBE", STROBE, a.has_cohort),
        ("PRISMA 2020", PRISMA, True),
    ):
        if not applies:
            continue
        rows, refs = [], {}
        for i, (item, topic, label, why) in enumerate(items):
            ok = label is not None and _applies(a, item, name.split()[0]) and label in sections
            rows.append(
                {
                    "item": item,
                    "topic": topic,
                    "where": (
                        f"Section {sections[label]}"
                        if ok and label is not None  # ok: label is given (mypy sees no further)
                        else f"not addressed: {why}"
                    ),
                }
            )
            if ok:
                refs[(i, 2)] = label
        doc.table(
            pd.DataFrame(rows),
            f"{name} checklist.",
            f"tab:{name.split()[0].lower()}",
            text_cols=("item", "topic", "where"),
            wide=True,
            refs=refs,
        )


def _appendix(doc: Document, a: Analyses, repro: dict) -> None:
    doc.section("sec:appendix", "Appendix: the plan and reproducibility")
    defaults = a.plan.defaults
    doc.paragraph(
        f"The report followed this analysis plan ({a.plan.source}"
        + (f"; defaults taken from the data for {', '.join(defaults)}" if defaults else "")
        + "). Saved as TOML, it runs the same analysis again: recurrence report --plan PLAN.toml."
    )
    doc.table(
        pd.DataFrame({"plan": [line for line in a.plan.to_toml().splitlines() if line.strip()]}),
        "The analysis plan followed (TOML).",
        "tab:plan",
        text_cols=("plan",),
    )
    doc.paragraph(
        f"Created {repro['created']} with Python {repro['python']} on {repro['platform']}."
        + (f" Command: {repro['command']}." if repro.get("command") else "")
        + (
            f" Seed of the synthetic data: {repro['seed']}."
            if repro.get("seed") is not None
            else ""
        )
    )
    doc.table(
        pd.DataFrame(repro["inputs"]).rename(columns={"sha256": "SHA-256"}),
        "Inputs.",
        "tab:inputs",
        text_cols=("role", "file", "SHA-256"),
    )
    if repro["options"]:
        doc.table(
            pd.DataFrame(
                {"option": list(repro["options"]), "value": list(repro["options"].values())}
            ),
            "How the tables were read.",
            "tab:options",
            text_cols=("option", "value"),
        )
    doc.table(
        pd.DataFrame(
            {"package": list(repro["versions"]), "version": list(repro["versions"].values())}
        ),
        "Package versions.",
        "tab:versions",
        text_cols=("package", "version"),
    )


def back_sections(doc: Document, a: Analyses, repro: dict) -> None:
    _methods(doc, a)
    _caveats(doc, a)
    _checklists(doc, a)
    _appendix(doc, a, repro)
