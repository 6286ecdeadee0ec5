"""The report's words and tables, written from result objects (no computing here).

Numbers are rounded only here, for print. Every rate printed carries its verdict
against the published 3–27% range of reherniation without closure.
"""

from __future__ import annotations

import html
import math

import pandas as pd
from markupsafe import Markup

from ..checks import check_range
from ..results import fmt_p
from .analyses import Analyses

__all__ = ["context", "pct", "ratio"]

REFERENCES = {
    "aj": "Aalen OO, Johansen S. An empirical transition matrix for non-homogeneous Markov "
    "chains based on censored observations. Scand J Stat 1978;5:141–150.",
    "gray": "Gray RJ. A class of K-sample tests for comparing the cumulative incidence of a "
    "competing risk. Ann Stat 1988;16:1141–1154.",
    "fg": "Fine JP, Gray RJ. A proportional hazards model for the subdistribution of a "
    "competing risk. J Am Stat Assoc 1999;94:496–509.",
    "cox": "Cox DR. Regression models and life-tables. J R Stat Soc B 1972;34:187–220; Efron B. "
    "The efficiency of Cox's likelihood function for censored data. JASA 1977;72:557–565.",
    "zph": "Grambsch PM, Therneau TM. Proportional hazards tests and diagnostics based on "
    "weighted residuals. Biometrika 1994;81:515–526.",
    "rmst": "Royston P, Parmar MKB. Restricted mean survival time: an alternative to the hazard "
    "ratio. BMC Med Res Methodol 2013;13:152.",
    "reml": "Viechtbauer W. Bias and efficiency of meta-analytic variance estimators in the "
    "random-effects model. J Educ Behav Stat 2005;30:261–293.",
    "hksj": "Hartung J, Knapp G. A refined method for the meta-analysis of controlled clinical "
    "trials with binary outcome. Stat Med 2001;20:3875–3889.",
    "pi": "Higgins JPT, Thompson SG, Spiegelhalter DJ. A re-evaluation of random-effects "
    "meta-analysis. J R Stat Soc A 2009;172:137–159.",
    "i2": "Higgins JPT, Thompson SG. Quantifying heterogeneity in a meta-analysis. Stat Med "
    "2002;21:1539–1558.",
    "egger": "Egger M, Davey Smith G, Schneider M, Minder C. Bias in meta-analysis detected by "
    "a simple, graphical test. BMJ 1997;315:629–634.",
    "begg": "Begg CB, Mazumdar M. Operating characteristics of a rank correlation test for "
    "publication bias. Biometrics 1994;50:1088–1101.",
    "tf": "Duval S, Tweedie R. Trim and fill: a simple funnel-plot-based method of testing and "
    "adjusting for publication bias in meta-analysis. Biometrics 2000;56:455–463.",
    "range": "Range of reherniation without closure: Bouma GJ et al. 2013 (PMC3657060): 2–18%, "
    "up to 27% with large annular defects; Carragee EJ et al. JBJS Am 2003;85:102–108: "
    "27% with fragment-defect morphology.",
    "smd": "Austin PC. Balance diagnostics for comparing the distribution of baseline covariates "
    "between treatment groups in propensity-score matched samples. Stat Med "
    "2009;28:3083–3107.",
    "metafor": "Viechtbauer W. Conducting meta-analyses in R with the metafor package. J Stat "
    "Softw 2010;36(3):1–48 (reference implementation the numbers are checked against, "
    "with R's survival and cmprsk).",
}


def pct(x, digits: int = 1) -> str:
    """A proportion as a percentage for print ("–" when missing)."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    return f"{100 * x:.{digits}f}%"


def ratio(x, digits: int = 2) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    return f"{x:.{digits}f}"


def _ci(lo, hi, f=pct) -> str:
    return f"{f(lo)} to {f(hi)}"


def _table(frame: pd.DataFrame, caption: str | None = None, *, text_cols=(), wide=False) -> Markup:
    """An HTML table of already-formatted strings (escaped)."""
    head = "".join(
        f'<th class="{"text" if c in text_cols else ""}">{html.escape(str(c))}</th>'
        for c in frame.columns
    )
    rows = []
    for _, row in frame.iterrows():
        cells = "".join(
            f'<td class="{"text" if c in text_cols else ""}">{html.escape(str(v))}</td>'
            for c, v in row.items()
        )
        rows.append(f"<tr>{cells}</tr>")
    cap = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    cls = ' class="wide"' if wide else ""
    return Markup(f"<table{cls}>{cap}<tr>{head}</tr>{''.join(rows)}</table>")


def _verdict(check) -> str:
    word = {"within": "within", "below": "below", "above": "above"}[check.position]
    if check.overlaps is None:
        return f"{word} 3–27%"
    return f"{word} 3–27%" + (
        "" if check.position == "within" else "; CI overlaps" if check.overlaps else "; CI outside"
    )


def _closure_term(result) -> pd.Series:
    return result.table.loc["closure"]


# --------------------------------------------------------------------------- sections


def summary(a: Analyses) -> str:
    o = a.options
    r = a.rates.table
    at = r[r["time"] == float(o.horizon)].set_index("group")
    t1 = a.table_one
    parts = [
        f"In {a.n:,} patients ({t1.groups.get('closure', 0):,} with annulus closure, "
        f"{t1.groups.get('no closure', 0):,} without), "
    ]
    mf = a.km.median_followup
    if len(mf):
        parts.append(f"followed for a median of {float(mf.median()):.0f} months, ")
    if {"closure", "no closure"} <= set(at.index):
        c, n = at.loc["closure"], at.loc["no closure"]
        parts.append(
            f"reherniation by {o.horizon:g} months was {pct(n['incidence'])} "
            f"({o.level:.0%} CI {_ci(n['ci_low'], n['ci_high'])}) without closure and "
            f"{pct(c['incidence'])} ({_ci(c['ci_low'], c['ci_high'])}) with closure "
            "(Aalen-Johansen cumulative incidence, competing events accounted for). "
        )
    cx, fg = _closure_term(a.cox), _closure_term(a.fine_gray)
    parts.append(
        f"The hazard ratio of closure was {ratio(cx['hr'])} "
        f"({_ci(cx['ci_low'], cx['ci_high'], ratio)}; "
        f"p {_p(cx['pvalue'])}), the subdistribution hazard ratio {ratio(fg['shr'])} "
        f"({_ci(fg['ci_low'], fg['ci_high'], ratio)}). "
    )
    e = a.effect_rr if o.measure == "RR" else a.effect_or
    if e is not None:
        pi = (
            f", prediction interval {_ci(e.pi_low, e.pi_high, ratio)}"
            if e.pi_low is not None and not _nan(e.pi_low)
            else ""
        )
        parts.append(
            f"Across {e.k} published studies the pooled {o.measure} of reherniation with "
            f"closure was {ratio(e.estimate)} ({_ci(e.ci_low, e.ci_high, ratio)}{pi}; "
            f"I² = {e.i2:.0f}%). "
        )
    if a.pooled_control is not None:
        chk = check_range(a.pooled_control, arm="no closure")
        parts.append(
            f"Pooled reherniation without closure was {pct(a.pooled_control.estimate)} "
            f"({_ci(a.pooled_control.ci_low, a.pooled_control.ci_high)}), {chk.position} "
            f"the published 3–27% range"
        )
        if a.pooled_closure is not None:
            parts.append(
                f", with closure {pct(a.pooled_closure.estimate)} "
                f"({_ci(a.pooled_closure.ci_low, a.pooled_closure.ci_high)})"
            )
        parts.append(". ")
    return "".join(parts).strip()


def _p(p) -> str:
    s = fmt_p(p)
    return s if s.startswith("<") else f"= {s}"


def _nan(x) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def data_section(a: Analyses) -> dict:
    t1 = a.table_one
    km = a.km
    rows = []
    for g in km.groups:
        ov = km.overview.set_index("group").loc[g]
        rows.append(
            {
                "arm": g,
                "patients": f"{int(ov['n']):,}",
                "reherniations": f"{int(ov['events']):,}",
                "competing events": f"{int(ov.get('competing', 0)):,}",
                "censored": f"{int(ov['censored']):,}",
                "median follow-up (months)": f"{km.median_followup.get(g, float('nan')):.1f}",
            }
        )
    events = _table(
        pd.DataFrame(rows), "Patients, events and follow-up per arm", text_cols=("arm",)
    )
    one = t1.formatted().reset_index()
    return {
        "description": (
            f"The cohort ({a.cohort_name}) holds {a.n:,} patients. Follow-up is "
            "summarised by the reverse Kaplan-Meier median (time to censoring). "
            "Table one shows baseline characteristics with standardized mean "
            "differences (SMD; |SMD| < 0.1 is usually read as balance)."
        ),
        "events_table": events,
        "table_one": _table(
            one, "Table one: baseline characteristics", text_cols=("characteristic",), wide=True
        ),
        "notes": " ".join(a.notes),
    }


def time_section(a: Analyses) -> dict:
    o = a.options
    rows = []
    for _, r in a.rates.table.iterrows():
        if _nan(r["incidence"]):
            verdict = "no estimate"
        else:
            verdict = _verdict(
                check_range(r["incidence"], ci_low=r["ci_low"], ci_high=r["ci_high"])
            )
        rows.append(
            {
                "arm": r["group"],
                "months": f"{r['time']:g}",
                "cumulative incidence": pct(r["incidence"]),
                f"{o.level:.0%} CI": _ci(r["ci_low"], r["ci_high"]),
                "1 − Kaplan-Meier": pct(r["one_minus_km"]),
                "at risk": f"{int(r['at_risk']):,}" if not _nan(r["at_risk"]) else "–",
                "vs published range": verdict,
            }
        )
    rm = a.rmst
    rt = rm.table
    rmst_rows = [
        {
            "arm": r["group"],
            "RMST (months)": f"{r['rmst']:.2f}",
            f"{o.level:.0%} CI": f"{r['ci_low']:.2f} to {r['ci_high']:.2f}",
        }
        for _, r in rt.iterrows()
    ]
    diff = rm.difference
    dtext = ""
    if diff is not None and len(diff):
        d = diff.iloc[0]
        dtext = (
            f" The difference ({d['group']} − {d['reference']}) is {d['difference']:.2f} months "
            f"({d['ci_low']:.2f} to {d['ci_high']:.2f}; p {_p(d['pvalue'])})."
        )
    return {
        "intro": (
            "With competing events (fusion, other-level surgery, death) a patient who has one "
            "can no longer reherniate. The Aalen-Johansen cumulative incidence counts that; "
            "1 − Kaplan-Meier, which treats competing events as censored, overstates "
            "reherniation and is shown beside it only for comparison with published figures."
        ),
        "cif_figure": None,
        "km_figure": None,
        "cif_caption": (
            "Cumulative incidence of reherniation by arm (Aalen-Johansen) with "
            f"{o.level:.0%} log(−log) intervals; numbers at risk below."
        ),
        "rates_table": _table(
            pd.DataFrame(rows),
            "Reherniation by months since surgery",
            text_cols=("arm", "vs published range"),
            wide=True,
        ),
        "rates_note": (
            "The published range, 3–27%, is reherniation without closure (Bouma 2013; "
            "Carragee 2003): a no-closure rate outside it is a question about the data "
            "or the definitions; a closure rate below 3% is what closure aims for."
        ),
        "km_caption": (
            "Reherniation-free survival by arm (Kaplan-Meier, competing events "
            "censored), log(−log) intervals, censoring ticks."
        ),
        "rmst_text": (
            f"Mean reherniation-free months within the first {o.horizon:g} months "
            "(restricted mean survival time, Kaplan-Meier, competing events censored)." + dtext
        ),
        "rmst_table": _table(pd.DataFrame(rmst_rows), text_cols=("arm",)),
    }


def effect_section(a: Analyses) -> dict:
    o = a.options
    models = {
        "Cox (cause-specific), closure only": (a.cox, "hr"),
        "Fine-Gray (subdistribution), closure only": (a.fine_gray, "shr"),
    }
    if a.cox_adjusted is not None:
        models["Cox, adjusted"] = (a.cox_adjusted, "hr")
        models["Fine-Gray, adjusted"] = (a.fine_gray_adjusted, "shr")
    rows = []
    for name, (res, col) in models.items():
        t = _closure_term(res)
        rows.append(
            {
                "model": name,
                "ratio for closure": ratio(t[col]),
                f"{o.level:.0%} CI": _ci(t["ci_low"], t["ci_high"], ratio),
                "p": fmt_p(t["pvalue"]),
            }
        )
    adjusted = f" Adjusted models add {', '.join(a.adjusted_for)}." if a.adjusted_for else ""
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
    ph_model = a.cox_adjusted or a.cox
    ph = ph_model.ph_test.reset_index().rename(columns={"index": "term"})
    ph.columns = ["term", *ph.columns[1:]]
    worst = ph[ph["term"] != "GLOBAL"]["pvalue"].min()
    ph_text = (
        "Schoenfeld-residual test (as R's cox.zph, Kaplan-Meier time scale) of the "
        + ("adjusted" if a.cox_adjusted is not None else "unadjusted")
        + " Cox model. "
    )
    ph_text += (
        "No term shows clear evidence against proportional hazards (all p ≥ 0.05)."
        if worst >= 0.05
        else "At least one term has p < 0.05: its hazard ratio is an average over time; "
        "the cumulative incidence curves and RMST describe the effect without that "
        "assumption."
    )
    ph_rows = [
        {
            "term": r["term"],
            "chi-square": f"{r['chisq']:.2f}",
            "df": f"{r['df']:g}",
            "p": fmt_p(r["pvalue"]),
        }
        for _, r in ph.iterrows()
    ]
    return {
        "intro": (
            'The cause-specific Cox hazard ratio answers "does closure lower the rate of '
            'reherniation among patients still at risk?"; the Fine-Gray subdistribution '
            'hazard ratio answers "does closure lower the cumulative incidence?". With few '
            "competing events they agree." + adjusted
        ),
        "models_table": _table(pd.DataFrame(rows), "Effect of closure", text_cols=("model",)),
        "hr_caption": "Hazard ratios of closure with confidence intervals (log scale).",
        "tests_table": _table(pd.DataFrame(tests), text_cols=("test",)),
        "ph_text": ph_text,
        "ph_table": _table(pd.DataFrame(ph_rows), text_cols=("term",)),
    }


def _pooled_row(label: str, res, arm: str | None, o) -> dict:
    row = {
        "analysis": label,
        "k": str(res.k),
        "estimate": pct(res.estimate),
        f"{o.level:.0%} CI": _ci(res.ci_low, res.ci_high),
        "prediction interval": ("–" if _nan(res.pi_low) else _ci(res.pi_low, res.pi_high)),
        "τ²": f"{res.tau2:.3g}",
        "I²": f"{res.i2:.0f}%",
    }
    if arm is not None:
        row["vs published range"] = _verdict(check_range(res, arm=arm))
    return row


def _effect_row(label: str, res, o) -> dict:
    return {
        "analysis": label,
        "k": str(res.k),
        "estimate": ratio(res.estimate),
        f"{o.level:.0%} CI": _ci(res.ci_low, res.ci_high, ratio),
        "prediction interval": ("–" if _nan(res.pi_low) else _ci(res.pi_low, res.pi_high, ratio)),
        "τ²": f"{res.tau2:.3g}",
        "I²": f"{res.i2:.0f}%",
        "Q (p)": f"{res.q:.2f} ({fmt_p(res.q_pvalue)})",
        "p": fmt_p(res.pvalue),
    }


def evidence_section(a: Analyses, studies: pd.DataFrame) -> dict:
    o = a.options
    out: dict = {}
    dropped = studies.attrs.get("dropped", [])
    intro = f"Study table: {a.studies_name}, {len(studies)} studies. "
    if dropped:
        intro += (
            "Left out to avoid counting patients twice or mixing outcomes: "
            + "; ".join(f"{s} ({why})" for s, why in dropped)
            + ". "
        )
    if "count_basis" in studies.columns and (studies["count_basis"] == "derived").any():
        derived = studies.loc[studies["count_basis"] == "derived", "study"].tolist()
        intro += f"Counts derived from published percentages (approximate): {', '.join(derived)}. "
    out["intro"] = intro
    rows = []
    if a.pooled_control is not None:
        rows.append(_pooled_row("without closure", a.pooled_control, "no closure", o))
    if a.pooled_closure is not None:
        rows.append(_pooled_row("with closure", a.pooled_closure, "closure", o))
    out["rates_table"] = (
        _table(
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
        _table(pd.DataFrame(rows), text_cols=("analysis",), wide=True)
        if rows
        else Markup("<p>Too few two-arm studies to compare.</p>")
    )
    out["forest_rr_caption"] = (
        f"{o.measure} of reherniation, closure against no closure; values below 1 favour closure."
    )
    bias = []
    if a.egger is not None:
        bias.append(
            f"Egger's regression test: t = {a.egger.statistic:.2f}, p {_p(a.egger.pvalue)}."
        )
    if a.begg is not None:
        bias.append(
            f"Begg's rank correlation: Kendall's τ = {a.begg.statistic:.2f}, p {_p(a.begg.pvalue)}."
        )
    if a.trim_fill is not None:
        tf = a.trim_fill
        bias.append(
            f"Trim and fill imputes {tf.k0} stud{'y' if tf.k0 == 1 else 'ies'} on the "
            f"{tf.side}; adjusted {o.measure} {ratio(tf.estimate)} "
            f"({_ci(tf.ci_low, tf.ci_high, ratio)})."
        )
    if bias:
        bias.append("With fewer than 10 studies these tests have little power.")
    out["bias_text"] = (
        " ".join(bias) or "Too few studies (fewer than 3) for tests of small-study effects."
    )
    out["funnel_caption"] = "Contour-enhanced funnel plot (shading: p < 0.10, 0.05, 0.01)."
    if a.leave_one_out is not None:
        loo = a.leave_one_out
        out["loo_table"] = _table(
            pd.DataFrame(
                {
                    "left out": loo["study"],
                    o.measure: loo["estimate"].map(ratio),
                    f"{o.level:.0%} CI": [
                        _ci(lo, hi, ratio)
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
                    f"{o.level:.0%} CI": _ci(r["ci_low"], r["ci_high"], ratio),
                }
            )
        sub_text.append(
            f"{col}: test for subgroup differences Q = {res.q_between:.2f} "
            f"(df {res.df_between}, p {_p(res.pvalue_between)})"
        )
    out["subgroup_text"] = (
        "; ".join(sub_text) + "." if sub_text else "No subgroup variable with more than one value."
    )
    out["subgroup_table"] = (
        _table(pd.DataFrame(sub_rows), text_cols=("by", "subgroup")) if sub_rows else Markup("")
    )
    if a.cohort_study is not None and a.with_cohort is not None:
        row = a.cohort_study.iloc[0]
        out["cohort_text"] = (
            f'This cohort enters as one more study, "{row["study"]}", at {o.horizon:g} months: '
            f"{row['events_closure']:.0f}/{row['total_closure']:.0f} with closure and "
            f"{row['events_control']:.0f}/{row['total_control']:.0f} without "
            "(effective counts from "
            "the Aalen-Johansen cumulative incidence and its variance, so censored patients count "
            f"for what is known of them). Pooled with the literature: {o.measure} "
            f"{ratio(a.with_cohort.estimate)} "
            f"({_ci(a.with_cohort.ci_low, a.with_cohort.ci_high, ratio)})."
        )
    else:
        out["cohort_text"] = "The cohort could not be added as a study (an arm without patients?)."
    out["forest_cohort_caption"] = "The published studies with this cohort added (last row)."
    return out


def range_section(a: Analyses) -> dict:
    rows = [
        {
            "rate": c.label or "",
            "estimate": pct(c.estimate),
            "CI": "–" if c.ci_low is None else _ci(c.ci_low, c.ci_high),
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
        "table": _table(pd.DataFrame(rows), text_cols=("rate", "position")),
    }


def methods(a: Analyses) -> dict:
    o = a.options
    lvl = f"{o.level:.0%}"
    p = [
        (
            f"Cohort. Reherniation (event 1) was analysed with competing events (event 2: fusion, "
            "other-level surgery, death) by the Aalen-Johansen estimator of the cumulative "
            "incidence, "
            f"with cmprsk's variance and {lvl} log(−log) intervals, and compared between arms with "
            f"Gray's test. Kaplan-Meier estimates (Greenwood variance, log(−log) intervals) censor "
            f"competing events and are shown for comparison; median follow-up is the reverse "
            f"Kaplan-Meier median. The restricted mean reherniation-free time is computed to "
            f"{o.horizon:g} months. The effect of closure is a Cox proportional-hazards model "
            "of the "
            f"cause-specific hazard (Efron ties) with a Schoenfeld-residual test of proportional "
            f"hazards (as R's cox.zph), and a Fine-Gray subdistribution-hazards model (as R's "
            f"cmprsk::crr, sandwich standard errors)"
            + (f"; adjusted models include {', '.join(a.adjusted_for)}" if a.adjusted_for else "")
            + ". Baseline balance is described by standardized mean differences."
        ),
        (
            f"Published studies. Reherniation rates per arm were pooled on the {o.transform} scale "
            f"with a random-effects model (τ² by {o.method}); closure was compared with no "
            "closure by "
            f"the risk ratio and the odds ratio ({o.method} τ²"
            + (", Hartung-Knapp-Sidik-Jonkman standard errors with t on k − 1 df" if o.hksj else "")
            + "). Studies with a zero cell get 0.5 added to every cell (RR, OR) and single arms "
            "with "
            "0 or all events 0.5 added to events and non-events (logit); studies without events in "
            "either arm are left out of RR and OR. Heterogeneity: Cochran's Q with common-effect "
            "weights, I² = (Q − df)/Q floored at 0, and a prediction interval estimate ± "
            "t(k − 2)·√(τ² + SE²). Small-study effects: Egger's regression test, Begg's rank "
            "correlation and Duval and Tweedie's trim and fill (L0, side from Egger's sign). "
            "Sensitivity by leaving out one study at a time; subgroups compared by Cochran's Q "
            "between subgroup estimates. One report per randomized trial enters an analysis."
        ),
        (
            f"This cohort as a study: closure and no-closure counts at {o.horizon:g} months are "
            "effective counts from the Aalen-Johansen estimate and its variance, so that the "
            "binomial variance of the counts equals the estimator's. Every rate is held against "
            "the published 3–27% range of reherniation without closure."
        ),
        (
            "Software: recurrence (Python), whose estimators are tested against R's survival, "
            "cmprsk and metafor to about 1e-6; versions in the appendix."
        ),
    ]
    refs = [
        REFERENCES[k]
        for k in (
            "aj",
            "gray",
            "cox",
            "zph",
            "fg",
            "rmst",
            "smd",
            "reml",
            "hksj",
            "i2",
            "pi",
            "egger",
            "begg",
            "tf",
            "range",
            "metafor",
        )
    ]
    return {"paragraphs": p, "references": refs}


def caveats(a: Analyses) -> list[str]:
    """The remarks of every result, each prefixed by the analysis it belongs to,
    deduplicated; the many per-subgroup remarks are summarised in one line."""
    o = a.options
    labelled = [
        ("Table one", a.table_one),
        ("Kaplan-Meier", a.km),
        ("Cumulative incidence", a.incidence),
        ("Rates", a.rates),
        ("RMST", a.rmst),
        ("Log-rank", a.logrank),
        ("Cox", a.cox),
        ("Cox, adjusted", a.cox_adjusted),
        ("Fine-Gray", a.fine_gray),
        ("Fine-Gray, adjusted", a.fine_gray_adjusted),
        ("Pooled rate without closure", a.pooled_control),
        ("Pooled rate with closure", a.pooled_closure),
        ("Pooled RR", a.effect_rr),
        ("Pooled OR", a.effect_or),
        ("Egger", a.egger),
        ("Begg", a.begg),
        ("Trim and fill", a.trim_fill),
        (f"{o.measure} with this cohort", a.with_cohort),
    ]
    seen: dict[str, None] = {}
    texts: set[str] = set()
    for label, res in labelled:
        for remark in getattr(res, "remarks", ()) or ():
            if remark in texts:
                continue
            texts.add(remark)
            seen.setdefault(f"{label}: {remark}", None)
    if a.cohort_study is not None:
        for remark in a.cohort_study.attrs.get("remarks", ()):
            seen.setdefault(f"This cohort as a study: {remark}", None)
    for col, res in a.subgroups.items():
        n = len(getattr(res, "remarks", ()) or ())
        ks = res.table["k"].astype(int)
        seen.setdefault(
            f"Subgroups by {col}: {len(ks)} subgroups of {ks.min()} to {ks.max()} "
            f"studies; {n} remarks (zero-event arms, τ² at 0, single-study subgroups) "
            "make these estimates fragile.",
            None,
        )
    for w in a.warnings:
        if not any(w in t for t in texts) and not w.startswith(tuple(a.subgroups)):
            seen.setdefault(w, None)
    return list(seen)


def context(
    a: Analyses,
    studies: pd.DataFrame,
    figs: dict,
    *,
    title: str,
    subtitle: str,
    version: str,
    css: str,
    repro: dict,
) -> dict:
    """Everything the template needs."""
    time = time_section(a)
    time["cif_figure"], time["km_figure"] = figs.get("cif"), figs.get("km")
    effect = effect_section(a)
    effect["hr_figure"] = figs.get("hr")
    evidence = evidence_section(a, studies)
    for key in ("forest_control", "forest_closure", "forest_rr", "funnel", "forest_cohort"):
        evidence[key] = figs.get(key, Markup(""))
    rng = range_section(a)
    rng["figure"] = figs.get("range")
    return {
        "title": title,
        "subtitle": subtitle,
        "version": version,
        "css": Markup(css),
        "summary": summary(a),
        "data": data_section(a),
        "time": time,
        "effect": effect,
        "evidence": evidence,
        "range": rng,
        "methods": methods(a),
        "caveats": caveats(a),
        "repro": repro,
    }
