"""The report's words and tables, written from result objects (no computing here).

Numbers are rounded only here, for print. Every rate printed carries its verdict
against the published 3–27% range of reherniation without closure.
"""

from __future__ import annotations

import pandas as pd
from markupsafe import Markup

from .._privacy import small
from ..checks import check_range
from ..results import fmt_p
from ._format import ci_text, count, html_rows, is_missing, p_text, pct, ratio, verdict
from .analyses import Analyses
from .evidence import evidence_section, range_section
from .methods import methods

__all__ = ["context", "pct", "ratio"]


def _closure_term(result) -> pd.Series:
    return result.table.loc["closure"]


# --------------------------------------------------------------------------- sections


def opening(a: Analyses) -> str:
    """The report's first line: what was analysed, and whether any of it is synthetic."""
    studies = (
        f"the packaged table of {a.k_studies} published studies"
        if a.packaged_studies
        else f"{a.k_studies} studies from {a.studies_name}"
    )
    if not a.has_cohort:
        return f"A report of a study table alone: {studies}. No patient-level cohort was given."
    if a.synthetic:
        return (
            f"Demonstration on synthetic data: the cohort of {count(a.n, a.options.min_cell)} "
            "patients is simulated "
            f"(recurrence.simulate_cohort), not real patients; beside it, {studies}."
        )
    rule = (
        f" Counts of fewer than {a.options.min_cell} patients are shown as "
        f"'< {a.options.min_cell}' (small-cell rule)."
        if a.options.min_cell
        else ""
    )
    return (
        f"Cohort: {a.cohort_name}, {count(a.n, a.options.min_cell)} patients; beside it, "
        f"{studies}.{rule}"
    )


def summary(a: Analyses) -> str:
    o = a.options
    parts = []
    if a.has_cohort:
        parts.append(_cohort_summary(a))
    e = a.effect_rr if o.measure == "RR" else a.effect_or
    if e is not None:
        pi = (
            f", prediction interval {ci_text(e.pi_low, e.pi_high, ratio)}"
            if e.pi_low is not None and not is_missing(e.pi_low)
            else ""
        )
        which = "published studies" if a.packaged_studies else "studies"
        parts.append(
            f"Across {e.k} {which} the pooled {o.measure} of reherniation with "
            f"closure was {ratio(e.estimate)} ({ci_text(e.ci_low, e.ci_high, ratio)}{pi}; "
            f"I² = {e.i2:.0f}%). "
        )
    if a.pooled_control is not None:
        chk = check_range(a.pooled_control, arm="no closure")
        parts.append(
            f"Pooled reherniation without closure was {pct(a.pooled_control.estimate)} "
            f"({ci_text(a.pooled_control.ci_low, a.pooled_control.ci_high)}), {chk.position} "
            f"the published 3–27% range"
        )
        if a.pooled_closure is not None:
            parts.append(
                f", with closure {pct(a.pooled_closure.estimate)} "
                f"({ci_text(a.pooled_closure.ci_low, a.pooled_closure.ci_high)})"
            )
        parts.append(". ")
    return "".join(parts).strip()


def _cohort_summary(a: Analyses) -> str:
    o = a.options
    r = a.rates.table
    at = r[r["time"] == float(o.horizon)].set_index("group")
    t1 = a.table_one
    mc = o.min_cell
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
        competing = int(a.km.overview.get("competing", pd.Series([0])).sum()) > 0
        parts.append(
            f"reherniation by {o.horizon:g} months was {pct(n['incidence'])} "
            f"({o.level:.0%} CI {ci_text(n['ci_low'], n['ci_high'])}) without closure and "
            f"{pct(c['incidence'])} ({ci_text(c['ci_low'], c['ci_high'])}) with closure "
            + (
                "(Aalen-Johansen cumulative incidence, competing events accounted for). "
                if competing
                else "(cumulative incidence; no competing event was recorded). "
            )
        )
    cx, fg = _closure_term(a.cox), _closure_term(a.fine_gray)
    parts.append(
        f"The hazard ratio of closure was {ratio(cx['hr'])} "
        f"({ci_text(cx['ci_low'], cx['ci_high'], ratio)}; "
        f"p {p_text(cx['pvalue'])}), the subdistribution hazard ratio {ratio(fg['shr'])} "
        f"({ci_text(fg['ci_low'], fg['ci_high'], ratio)}). "
    )
    return "".join(parts)


def data_section(a: Analyses) -> dict:
    t1 = a.table_one
    km = a.km
    mc = a.options.min_cell
    rows = []
    for g in km.groups:
        ov = km.overview.set_index("group").loc[g]
        parts = {
            "reherniations": ov["events"],
            "competing events": ov.get("competing", 0),
            "censored": ov["censored"],
        }
        # The three add up to the arm's patients: one hidden count would be given away
        # by the others, so the next smallest is hidden too.
        hidden = {k for k, v in parts.items() if small(v, mc)}
        also = set()
        if len(hidden) == 1:
            also = {min((v, k) for k, v in parts.items() if k not in hidden)[1]}
        rows.append(
            {
                "arm": g,
                "patients": count(ov["n"], mc),
                **{k: "suppressed" if k in also else count(v, mc) for k, v in parts.items()},
                "median follow-up (months)": f"{km.median_followup.get(g, float('nan')):.1f}",
            }
        )
    events = html_rows(
        pd.DataFrame(rows), "Patients, events and follow-up per arm", text_cols=("arm",)
    )
    one = t1.formatted().reset_index()
    # Levels of a categorical covariate are indented; HTML would collapse plain spaces.
    one["characteristic"] = one["characteristic"].str.replace(r"^ {4}", "\u2003\u2003", regex=True)
    return {
        "description": (
            f"The cohort ({a.cohort_name}) holds {count(a.n, mc)} patients. Follow-up is "
            "summarised by the reverse Kaplan-Meier median (time to censoring). "
            "Table one shows baseline characteristics with standardized mean "
            "differences (SMD; |SMD| < 0.1 is usually read as balance)."
        ),
        "events_table": events,
        "table_one": html_rows(
            one, "Table one: baseline characteristics", text_cols=("characteristic",), wide=True
        ),
        "notes": " ".join(a.notes),
    }


def time_section(a: Analyses) -> dict:
    o = a.options
    rows = []
    for _, r in a.rates.table.iterrows():
        if is_missing(r["incidence"]):
            said = "no estimate"
        else:
            said = verdict(check_range(r["incidence"], ci_low=r["ci_low"], ci_high=r["ci_high"]))
        rows.append(
            {
                "arm": r["group"],
                "months": f"{r['time']:g}",
                "cumulative incidence": pct(r["incidence"]),
                f"{o.level:.0%} CI": ci_text(r["ci_low"], r["ci_high"]),
                "1 − Kaplan-Meier": pct(r["one_minus_km"]),
                "at risk": count(r["at_risk"], o.min_cell),
                "vs published range": said,
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
            f"({d['ci_low']:.2f} to {d['ci_high']:.2f}; p {p_text(d['pvalue'])})."
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
        "rates_table": html_rows(
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
        "rmst_table": html_rows(pd.DataFrame(rmst_rows), text_cols=("arm",)),
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
                f"{o.level:.0%} CI": ci_text(t["ci_low"], t["ci_high"], ratio),
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
        "models_table": html_rows(pd.DataFrame(rows), "Effect of closure", text_cols=("model",)),
        "hr_caption": "Hazard ratios of closure with confidence intervals (log scale).",
        "tests_table": html_rows(pd.DataFrame(tests), text_cols=("test",)),
        "ph_text": ph_text,
        "ph_table": html_rows(pd.DataFrame(ph_rows), text_cols=("term",)),
    }


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
    time = effect = data = None
    if a.has_cohort:
        data = data_section(a)
        time = time_section(a)
        time["cif_figure"], time["km_figure"] = figs.get("cif"), figs.get("km")
        effect = effect_section(a)
        effect["hr_figure"] = figs.get("hr")
    evidence = evidence_section(a, studies)
    for key in ("forest_control", "forest_closure", "forest_rr", "funnel", "forest_cohort"):
        evidence[key] = figs.get(key, Markup(""))
    evidence["heading"] = "The published evidence" if a.packaged_studies else "The studies"
    rng = range_section(a)
    rng["figure"] = figs.get("range")
    order = ("data", "time", "effect") if a.has_cohort else ()
    order += ("evidence", "range", "methods", "caveats")
    return {
        "title": title,
        "subtitle": subtitle,
        "version": version,
        "css": Markup(css),
        "opening": opening(a),
        "summary": summary(a),
        "data": data,
        "time": time,
        "effect": effect,
        "evidence": evidence,
        "range": rng,
        "methods": methods(a),
        "caveats": caveats(a),
        "repro": repro,
        "num": {name: i for i, name in enumerate(order, 1)},
    }
