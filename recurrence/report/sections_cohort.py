"""The cohort's sections of the report, written from result objects into the document
(no computing here): the data, reherniation over time, absolute effects, the effect of
closure, subgroups, missing data and unmeasured confounding, imaging."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._format import ci_text, count, fmt_p, is_missing, p_text, pct
from .._privacy import small
from ..checks import check_range
from ._format import ratio, verdict
from .analyses import Analyses
from .document import Document
from .sections_robustness import imaging_section, robustness_section, subgroup_section

__all__ = ["cohort_flow_steps", "cohort_sections", "cohort_summary"]


def _closure(result) -> pd.Series:
    return result.table.loc["closure"]


def cohort_summary(a: Analyses) -> str:
    """The cohort's sentences of the summary."""
    assert (
        a.km is not None and a.rates is not None and a.table_one is not None
    )  # analysed with every cohort (analyses._cohort)
    p, mc = a.plan, a.plan.min_cell
    r = a.rates.table
    at = r[r["time"] == float(p.horizon)].set_index("group")
    t1 = a.table_one
    parts = [
        f"In {count(a.n, mc)} {'simulated ' if a.synthetic else ''}patients "
        f"({count(t1.groups.get('closure', 0), mc)} with annulus closure, "
        f"{count(t1.groups.get('no closure', 0), mc)} without), "
    ]
    mf = a.km.median_followup
    if len(mf):
        parts.append(f"followed for a median of {float(mf.median()):.0f} months, ")
    if {"closure", "no closure"} <= set(at.index):
        c, n = at.loc["closure"], at.loc["no closure"]
        competing = int(a.km.overview["competing"].sum()) > 0
        parts.append(
            f"reherniation by {p.horizon:g} months was {pct(n['incidence'])} "
            f"({p.level:.0%} CI {ci_text(n['ci_low'], n['ci_high'])}) without closure and "
            f"{pct(c['incidence'])} ({ci_text(c['ci_low'], c['ci_high'])}) with closure "
            + (
                "(Aalen-Johansen cumulative incidence, competing events accounted for). "
                if competing
                else "(cumulative incidence; no competing event was recorded). "
            )
        )
    if a.risk_difference is not None:
        sentence = _rd_sentence(a)
        if sentence:
            parts.append(sentence + " ")
    cx, fg = _closure(a.cox), _closure(a.fine_gray)
    parts.append(
        f"The hazard ratio of closure was {ratio(cx['hr'])} "
        f"({ci_text(cx['ci_low'], cx['ci_high'], ratio)}; {p_text(cx['pvalue'])}), the "
        f"subdistribution hazard ratio {ratio(fg['shr'])} "
        f"({ci_text(fg['ci_low'], fg['ci_high'], ratio)})"
    )
    if a.cox_adjusted is not None:
        ca = _closure(a.cox_adjusted)
        parts.append(
            f"; adjusted for {_listing(a.plan.covariates)}, the hazard ratio was "
            f"{ratio(ca['hr'])} ({ci_text(ca['ci_low'], ca['ci_high'], ratio)})"
        )
    parts.append(". ")
    return "".join(parts)


def _rd_sentence(a: Analyses) -> str:
    rd = a.risk_difference
    assert rd is not None  # called only when the risk difference was estimated
    times = rd.table["time"].tolist()
    t = float(a.plan.horizon) if float(a.plan.horizon) in times else times[-1]
    row = rd.table.set_index("time").loc[t]
    if is_missing(row["difference"]):
        return ""
    return rd.sentence(t)


def _listing(names) -> str:
    names = list(names or ())
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


# --------------------------------------------------------------------------- sections


def cohort_sections(doc: Document, a: Analyses) -> None:
    _data(doc, a)
    _time(doc, a)
    _effect(doc, a)
    if a.subgroups is not None:
        subgroup_section(doc, a)
    if a.missing or a.evalue is not None:
        robustness_section(doc, a)
    if a.turnbull is not None:
        imaging_section(doc, a)


def _events_row(ov, g, km, mc) -> dict:
    parts = {
        "reherniations": ov["events"],
        "competing events": ov.get("competing", 0),
        "censored": ov["censored"],
    }
    # The three add up to the arm's patients: one hidden count would be given away by
    # the others, so the next smallest is hidden too.
    hidden = {k for k, v in parts.items() if small(v, mc)}
    also = set()
    if len(hidden) == 1:
        also = {min((v, k) for k, v in parts.items() if k not in hidden)[1]}
    return {
        "arm": g,
        "patients": count(ov["n"], mc),
        **{k: "suppressed" if k in also else count(v, mc) for k, v in parts.items()},
        "median follow-up (months)": f"{km.median_followup.get(g, float('nan')):.1f}",
    }


def _data(doc: Document, a: Analyses) -> None:
    mc = a.plan.min_cell
    doc.section("sec:data", "Data")
    km = a.km
    assert (
        km is not None and a.table_one is not None
    )  # analysed with every cohort (analyses._cohort)
    ov = km.overview.set_index("group")
    rows = [_events_row(ov.loc[g], g, km, mc) for g in km.groups]
    doc.paragraph(
        f"The cohort ({a.cohort_name}) holds {count(a.n, mc)} patients "
        f"({doc.ref('tab:events')}). Follow-up is summarised by the reverse Kaplan-Meier "
        "median (time to censoring). Table one "
        f"({doc.ref('tab:one')}) shows the baseline characteristics with standardized mean "
        "differences (SMD; |SMD| < 0.1 is usually read as balance)."
    )
    doc.table(
        pd.DataFrame(rows),
        "Patients, events and follow-up per arm.",
        "tab:events",
        text_cols=("arm",),
    )
    one = a.table_one.formatted().reset_index()
    one["characteristic"] = one["characteristic"].str.replace(r"^ {4}", "\u2003\u2003", regex=True)
    doc.table(
        one,
        "Table one: baseline characteristics by arm.",
        "tab:one",
        text_cols=("characteristic",),
        wide=True,
        note="; ".join(r.rstrip(".") for r in a.table_one.remarks),
    )
    for note in a.notes:
        doc.paragraph(note, "note")
    _cohort_flow(doc, a)


def _cohort_flow(doc: Document, a: Analyses) -> None:
    from ..plotting.flow import plot_flow

    steps = cohort_flow_steps(a)
    doc.paragraph(
        f"The flow of patients through the analyses is drawn in {doc.ref('fig:cohort_flow')}."
    )
    doc.figure(
        lambda: plot_flow(steps),
        "Patients: in the table, analysed, with complete covariates (STROBE item 13).",
        "fig:cohort_flow",
    )


def cohort_flow_steps(a: Analyses) -> list:
    """The boxes of the cohort's flow diagram, under the small-cell rule."""
    from ..plotting.flow import FlowStep

    mc = a.plan.min_cell
    covariates = [c for c in (a.plan.covariates or ()) if c != "closure"]
    steps = [
        FlowStep(
            f"{count(a.n, mc)} patients in the cohort table",
            "none excluded: a table with an invalid row is refused whole, never trimmed",
        ),
        FlowStep(f"{count(a.n, mc)} in the curves, rates and closure-only models"),
    ]
    if covariates:
        left = a.n - a.complete_cases
        # a hidden small count of missing would be given away by the two others
        complete = "suppressed" if left and small(left, mc) else count(a.complete_cases, mc)
        steps.append(
            FlowStep(
                f"{complete} with every adjustment covariate (adjusted models, complete cases)",
                f"{count(left, mc)} with a missing covariate"
                + (": imputed in Section 5" if a.missing and a.imputed is not None else "")
                if left
                else "",
            )
        )
    return steps


def _time(doc: Document, a: Analyses) -> None:
    p, mc = a.plan, a.plan.min_cell
    doc.section("sec:time", "Reherniation over time")
    assert (
        a.km is not None and a.incidence is not None and a.rates is not None
    )  # analysed with every cohort (analyses._cohort)
    ov = a.km.overview
    competing = int(ov["competing"].sum()) if "competing" in ov else 0
    if competing:
        doc.paragraph(
            "With competing events (fusion, other-level surgery, death) a patient who has one "
            "can no longer reherniate. The Aalen-Johansen cumulative incidence counts that "
            f"({doc.ref('fig:cif')}); 1 − Kaplan-Meier, which treats competing events as "
            "censored, overstates reherniation and is shown beside it only for comparison with "
            f"published figures ({doc.ref('tab:rates')}, {doc.ref('fig:km')})."
        )
    else:
        doc.paragraph(
            "No competing event (fusion, other-level surgery, death) is recorded in this "
            "cohort, so the Aalen-Johansen cumulative incidence "
            f"({doc.ref('fig:cif')}) equals 1 − Kaplan-Meier ({doc.ref('tab:rates')}, "
            f"{doc.ref('fig:km')}); if such events happened and were recorded as censored, "
            "both overstate reherniation."
        )
    inc = a.incidence
    doc.figure(
        lambda: inc.plot(min_cell=mc),
        f"Cumulative incidence of reherniation by arm (Aalen-Johansen) with {p.level:.0%} "
        "log(−log) intervals; below, per arm, the numbers at risk, the cumulative events and "
        "the censored (KMunicate).",
        "fig:cif",
        width=0.85,
    )
    rows = []
    for _, r in a.rates.table.iterrows():
        said = (
            "no estimate"
            if is_missing(r["incidence"])
            else verdict(check_range(r["incidence"], ci_low=r["ci_low"], ci_high=r["ci_high"]))
        )
        rows.append(
            {
                "arm": r["group"],
                "months": f"{r['time']:g}",
                "cumulative incidence": pct(r["incidence"]),
                f"{p.level:.0%} CI": ci_text(r["ci_low"], r["ci_high"]),
                "1 − Kaplan-Meier": pct(r["one_minus_km"]),
                "at risk": count(r["at_risk"], mc),
                "vs published range": said,
            }
        )
    doc.table(
        pd.DataFrame(rows),
        "Reherniation by months since surgery. The published range, 3–27%, is reherniation "
        "without closure (Bouma 2013; Carragee 2003).",
        "tab:rates",
        text_cols=("arm", "vs published range"),
        wide=True,
    )
    km = a.km

    def zoomed():
        ax = km.plot(min_cell=mc)
        low = float(km.table["ci_low"].min())
        if low == low:  # not NaN: the curves of a 10% event would sit against the top
            ax.set_ylim(max(0.0, 10 * ((100 * low - 2) // 10)), 100.5)
        return ax

    doc.figure(
        zoomed,
        "Reherniation-free survival by arm (Kaplan-Meier, competing events censored), "
        "log(−log) intervals, censoring ticks.",
        "fig:km",
        width=0.8,
    )
    if a.risk_difference is not None:
        _absolute(doc, a)
    if a.rmst is not None:
        rt = a.rmst.table
        doc.heading("Restricted mean reherniation-free time")
        diff = a.rmst.difference
        dtext = ""
        if diff is not None and len(diff):
            d = diff.iloc[0]
            dtext = (
                f" The difference ({d['group']} − {d['reference']}) is "
                f"{d['difference']:.2f} months ({d['ci_low']:.2f} to {d['ci_high']:.2f}; "
                f"{p_text(d['pvalue'])})."
            )
        doc.paragraph(
            f"Mean reherniation-free months within the first {p.horizon:g} months (restricted "
            f"mean survival time, Kaplan-Meier, competing events censored; {doc.ref('tab:rmst')})."
            + dtext
        )
        doc.table(
            pd.DataFrame(
                {
                    "arm": rt["group"],
                    "RMST (months)": rt["rmst"].map(lambda v: f"{v:.2f}"),
                    f"{p.level:.0%} CI": [
                        f"{lo:.2f} to {hi:.2f}"
                        for lo, hi in zip(rt["ci_low"], rt["ci_high"], strict=True)
                    ],
                }
            ),
            f"Restricted mean reherniation-free time to {p.horizon:g} months.",
            "tab:rmst",
            text_cols=("arm",),
        )


def _absolute(doc: Document, a: Analyses) -> None:
    assert a.risk_difference is not None  # called only when it was estimated
    rd = a.risk_difference.table
    doc.heading("Absolute effect of closure")
    sentence = _rd_sentence(a)
    doc.paragraph(
        (sentence + " " if sentence else "")
        + "The risk difference is the closure arm's cumulative incidence minus the no-closure "
        "arm's (Aalen-Johansen, competing events accounted for), with a Wald interval from the "
        "two arms' variances; the number needed to treat is 1/|difference|, its interval as "
        f"Altman (BMJ 1998) writes it ({doc.ref('tab:rd')})."
    )
    doc.table(
        pd.DataFrame(
            {
                "months": rd["time"].map(lambda t: f"{t:g}"),
                "with closure": rd["risk_closure"].map(pct),
                "without": rd["risk_control"].map(pct),
                "difference": rd["difference"].map(lambda d: pct(d)),
                f"{a.plan.level:.0%} CI": [
                    ci_text(lo, hi) for lo, hi in zip(rd["ci_low"], rd["ci_high"], strict=True)
                ],
                "number needed to treat": rd["nnt_label"].fillna("–"),
            }
        ),
        "Risk difference (closure − no closure) and number needed to treat (NNTB: to benefit; "
        "NNTH: to harm).",
        "tab:rd",
        text_cols=("number needed to treat",),
        wide=True,
    )


def _model_rows(name: str, res, col: str, level: float) -> list[dict]:
    rows = []
    for term, t in res.table.iterrows():
        rows.append(
            {
                "model": name,
                "term": term,
                "ratio": ratio(t[col]),
                f"{level:.0%} CI": ci_text(t["ci_low"], t["ci_high"], ratio),
                "p": fmt_p(t["pvalue"]),
            }
        )
    return rows


def _cox_and_fine_gray(a: Analyses) -> str:
    """Whether the two closure-only ratios agree, in words computed from them."""
    assert (
        a.km is not None and a.cox is not None and a.fine_gray is not None
    )  # analysed with every cohort (analyses._cohort)
    competing = int(a.km.overview["competing"].sum())
    if competing == 0:
        return "With no competing event recorded the two answer the same question"
    hr = float(a.cox.table.loc["closure", "hr"])
    shr = float(a.fine_gray.table.loc["closure", "shr"])
    if not (np.isfinite(hr) and np.isfinite(shr) and hr > 0 and shr > 0):
        return "One of the two could not be estimated"
    # within 10% of each other on the ratio scale
    if abs(np.log(hr / shr)) < np.log(1.1):
        return f"With {count(competing, a.plan.min_cell)} competing events they agree"
    return (
        f"With {count(competing, a.plan.min_cell)} competing events they differ "
        f"(HR {ratio(hr)}, SHR {ratio(shr)}): "
        "closure changes the competing events too, and the cumulative incidence answers "
        "the patient's question"
    )


def _effect(doc: Document, a: Analyses) -> None:
    p = a.plan
    doc.section("sec:effect", "Effect of closure")
    assert (
        a.logrank is not None and a.incidence is not None and a.cox is not None
    )  # analysed with every cohort (analyses._cohort)
    adjusted = (
        f" Adjusted models add {_listing(p.covariates)}"
        + (
            " (the plan's adjustment set)."
            if "cohort.covariates" not in p.defaults
            else " (the covariates of the default set that the cohort has)."
        )
        if a.cox_adjusted is not None
        else " No adjustment covariate was planned or available: the models hold closure alone."
    )
    doc.paragraph(
        'The cause-specific Cox hazard ratio answers "does closure lower the rate of '
        'reherniation among patients still at risk?"; the Fine-Gray subdistribution hazard '
        'ratio answers "does closure lower the cumulative incidence?". '
        + _cox_and_fine_gray(a)
        + f" ({doc.ref('tab:models')}, {doc.ref('fig:hr')})."
        + adjusted
    )
    rows = _model_rows("Cox, closure only", a.cox, "hr", p.level)
    rows += _model_rows("Fine-Gray, closure only", a.fine_gray, "shr", p.level)
    if a.cox_adjusted is not None:
        rows += _model_rows("Cox, adjusted", a.cox_adjusted, "hr", p.level)
    if a.fine_gray_adjusted is not None:
        rows += _model_rows("Fine-Gray, adjusted", a.fine_gray_adjusted, "shr", p.level)
    doc.table(
        pd.DataFrame(rows),
        "Hazard ratios (Cox) and subdistribution hazard ratios (Fine-Gray), every term.",
        "tab:models",
        text_cols=("model", "term"),
        wide=True,
    )
    models = {"Cox, closure only": a.cox, "Fine-Gray, closure only": a.fine_gray}
    if a.cox_adjusted is not None:
        models["Cox, adjusted"] = a.cox_adjusted
    if a.fine_gray_adjusted is not None:
        models["Fine-Gray, adjusted"] = a.fine_gray_adjusted

    def hazard():
        from ..plotting import plot_hazard_ratios

        return plot_hazard_ratios(models, terms=["closure"])

    doc.figure(hazard, "Hazard ratios of closure with confidence intervals (log scale).", "fig:hr")
    doc.heading("Tests of the difference between arms")
    tests = [
        {
            "test": "log-rank (reherniation, competing events censored)",
            "chi-square": f"{a.logrank.statistic:.2f}",
            "df": f"{a.logrank.df:g}",
            "p": fmt_p(a.logrank.pvalue),
        }
    ]
    if a.incidence.gray_statistic is not None:
        tests.append(
            {
                "test": "Gray (cumulative incidence of reherniation)",
                "chi-square": f"{a.incidence.gray_statistic:.2f}",
                "df": f"{a.incidence.gray_df:g}",
                "p": fmt_p(a.incidence.gray_pvalue),
            }
        )
    doc.table(
        pd.DataFrame(tests),
        "Tests of the difference between arms.",
        "tab:tests",
        text_cols=("test",),
    )
    ph_model = a.cox_adjusted or a.cox
    ph = ph_model.ph_test.reset_index()
    ph.columns = ["term", *ph.columns[1:]]
    worst = ph[ph["term"] != "GLOBAL"]["pvalue"].min()
    doc.heading("Proportional hazards")
    doc.paragraph(
        "Schoenfeld-residual test (as R's cox.zph, Kaplan-Meier time scale) of the "
        + ("adjusted" if a.cox_adjusted is not None else "unadjusted")
        + f" Cox model ({doc.ref('tab:ph')}). "
        + (
            "No term shows clear evidence against proportional hazards (all p ≥ 0.05)."
            if worst >= 0.05
            else "At least one term has p < 0.05: its hazard ratio is an average over time; "
            "the cumulative incidence curves, risk differences and RMST describe the effect "
            "without that assumption."
        )
    )
    doc.table(
        pd.DataFrame(
            {
                "term": ph["term"],
                "chi-square": ph["chisq"].map(lambda v: f"{v:.2f}"),
                "df": ph["df"].map(lambda v: f"{v:g}"),
                "p": ph["pvalue"].map(fmt_p),
            }
        ),
        "Proportional-hazards test per term and global.",
        "tab:ph",
        text_cols=("term",),
    )
