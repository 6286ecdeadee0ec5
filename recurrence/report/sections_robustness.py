"""The cohort's robustness sections of the report: the closure effect in subgroups,
unmeasured confounding and missing covariates, and reherniation seen on imaging."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._format import ci_text, count, fmt_p, p_text, pct
from ._format import ratio
from .analyses import Analyses
from .document import Document

__all__ = ["imaging_section", "robustness_section", "subgroup_section"]


def subgroup_section(doc: Document, a: Analyses) -> None:
    sg = a.subgroups
    assert sg is not None  # the section is written only when the analysis ran
    t = sg.table
    mc = a.plan.min_cell
    doc.section("sec:subgroups", "Subgroups")
    inter = t.groupby("variable", sort=False)["interaction_pvalue"].first()
    said = "; ".join(f"{v} {p_text(pv)}" for v, pv in inter.items())
    doc.paragraph(
        "The hazard ratio of closure within each level of each planned subgroup variable "
        f"({doc.ref('tab:subgroups')}, {doc.ref('fig:subgroups')}), with the likelihood-ratio "
        "test of the closure × variable interaction against closure + variable (both with the "
        f"adjustment covariates): {said}. Subgroups are many and small: an interaction p-value "
        "above 0.05 does not show that the effect is the same, nor one below it that it differs."
    )
    doc.table(
        pd.DataFrame(
            {
                "variable": t["variable"],
                "level": t["level"].astype(str),
                "closure: events / n": [
                    f"{count(e, mc)} / {count(n, mc)}"
                    for e, n in zip(t["events_closure"], t["n_closure"], strict=True)
                ],
                "no closure: events / n": [
                    f"{count(e, mc)} / {count(n, mc)}"
                    for e, n in zip(t["events_control"], t["n_control"], strict=True)
                ],
                "HR": t["hr"].map(ratio),
                f"{a.plan.level:.0%} CI": [
                    ci_text(lo, hi, ratio) for lo, hi in zip(t["ci_low"], t["ci_high"], strict=True)
                ],
                "interaction p": [
                    fmt_p(p) if i == 0 or v != t["variable"].iloc[i - 1] else ""
                    for i, (v, p) in enumerate(
                        zip(t["variable"], t["interaction_pvalue"], strict=True)
                    )
                ],
            }
        ),
        "Closure effect by subgroup (cause-specific Cox).",
        "tab:subgroups",
        text_cols=("variable", "level"),
        wide=True,
    )
    doc.figure(
        lambda: sg.plot(), "Subgroup forest plot of the hazard ratio of closure.", "fig:subgroups"
    )


def robustness_section(doc: Document, a: Analyses) -> None:
    doc.section(
        "sec:robustness",
        "Missing data and unmeasured confounding" if a.missing else "Unmeasured confounding",
    )
    if a.missing:
        listed = ", ".join(f"{c} ({count(n, a.plan.min_cell)})" for c, n in a.missing.items())
        doc.paragraph(
            f"Patients with a missing value of an adjustment covariate: {listed}; "
            f"{count(a.complete_cases, a.plan.min_cell)} of {count(a.n, a.plan.min_cell)} "
            "patients have every covariate. The complete-case model leaves the others out; "
            "multiple imputation by chained equations (predictive mean matching for numbers, "
            "logistic and multinomial models for categories, the event indicators and the "
            "Nelson-Aalen cumulative hazards among the predictors; White and Royston 2009) "
            "keeps them, pooled by Rubin's rules "
            f"({doc.ref('tab:imputed')})."
        )
        if a.imputed is not None:
            frame = a.imputed.reset_index()
            frame = frame[frame["term"] == "closure"]
            doc.table(
                pd.DataFrame(
                    {
                        "analysis": frame["analysis"],
                        "HR of closure": np.exp(frame["coef"]).map(ratio),
                        f"{a.plan.level:.0%} CI": [
                            ci_text(np.exp(lo), np.exp(hi), ratio)
                            for lo, hi in zip(frame["ci_low"], frame["ci_high"], strict=True)
                        ],
                        "patients": frame["n"].map(lambda n: count(n, a.plan.min_cell)),
                    }
                ),
                "Adjusted hazard ratio of closure: complete cases and multiple imputation "
                "(coefficients pooled on the log scale).",
                "tab:imputed",
                text_cols=("analysis",),
            )
    rows = []
    for name, e in (("Cox, closure only", a.evalue), ("Cox, adjusted", a.evalue_adjusted)):
        if e is None:
            continue
        r = e.table.iloc[0]
        rows.append(
            {
                "model": name,
                "HR": ratio(r["estimate"]),
                "E-value (estimate)": f"{r['evalue']:.2f}",
                "E-value (CI limit)": f"{r['evalue_ci']:.2f}",
            }
        )
    if rows:
        best = a.evalue_adjusted or a.evalue
        assert best is not None  # rows come from these two
        doc.paragraph(
            "A cohort is observational: the E-value (VanderWeele and Ding 2017) is how strongly "
            "an unmeasured confounder would have to be associated with both closure and "
            f"reherniation to explain the effect away ({doc.ref('tab:evalue')}). " + best.sentence
        )
        doc.table(
            pd.DataFrame(rows),
            "E-values of the hazard ratio of closure (common outcome: HR converted to RR).",
            "tab:evalue",
            text_cols=("model",),
        )


def imaging_section(doc: Document, a: Analyses) -> None:
    doc.section("sec:imaging", "Detected at imaging")
    tb = a.turnbull
    assert tb is not None  # the section is written only when the analysis ran
    doc.paragraph(
        "Reherniation seen on imaging lies between the last clean scan and the scan that found "
        "it. Turnbull's nonparametric estimate uses that interval; the visit-date Kaplan-Meier "
        "(Section 2) treats the visit as the event time and is biased where visit schedules "
        f"differ between arms ({doc.ref('fig:turnbull')})."
    )
    doc.figure(
        lambda: tb.plot(), "Turnbull estimate of reherniation-free survival by arm.", "fig:turnbull"
    )
    proj = a.projections
    if proj is not None:
        doc.paragraph(
            "Parametric accelerated-failure-time models (as R's survreg) project the incidence "
            "beyond follow-up; the projections rest on the model's shape, not on data, and the "
            f"distributions disagree more the further they go ({doc.ref('tab:projections')})."
        )
        doc.table(
            _projections_table(proj),
            "Parametric models compared (AIC) and the incidence each projects, per arm and "
            "month (* beyond the longest follow-up: an extrapolation).",
            "tab:projections",
            wide=True,
        )


def _projections_table(proj) -> pd.DataFrame:
    """One row per distribution: parameters, log-likelihood, AIC, ΔAIC, then the projected
    incidence of each arm at each month (``proj.projections``), starred where it is an
    extrapolation."""
    out = pd.DataFrame(
        {
            "distribution": proj.table["distribution"],
            "parameters": proj.table["parameters"].astype(str),
            "log-likelihood": proj.table["loglik"].map(lambda v: f"{v:.2f}"),
            "AIC": proj.table["aic"].map(lambda v: f"{v:.1f}"),
            "ΔAIC": proj.table["delta_aic"].map(lambda v: f"{v:.1f}"),
        }
    )
    for (group, month), rows in proj.projections.groupby(["group", "time"], sort=False):
        cells = {
            r.distribution: pct(r.incidence) + ("*" if r.extrapolated else "")
            for r in rows.itertuples()
        }
        out[f"{group}, {month:g} months"] = out["distribution"].map(cells).fillna("–")
    return out
