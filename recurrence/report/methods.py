"""The methods section of the report, written from the options actually used, and
its references."""

from __future__ import annotations

from .analyses import Analyses

__all__ = ["REFERENCES", "methods"]

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


def methods(a: Analyses) -> dict:
    o = a.options
    lvl = f"{o.level:.0%}"
    cohort = [
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
    ]
    studies = [
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
    ]
    as_study = [
        (
            f"This cohort as a study: closure and no-closure counts at {o.horizon:g} months are "
            "effective counts from the Aalen-Johansen estimate and its variance, so that the "
            "binomial variance of the counts equals the estimator's. Every rate is held against "
            "the published 3–27% range of reherniation without closure."
        ),
    ]
    software = [
        (
            "Software: recurrence (Python), whose estimators are tested against R's survival, "
            "cmprsk and metafor to about 1e-6; versions in the appendix."
        ),
    ]
    p = (cohort + studies + as_study if a.has_cohort else studies) + software
    keys = ("aj", "gray", "cox", "zph", "fg", "rmst", "smd") if a.has_cohort else ()
    refs = [
        REFERENCES[k]
        for k in (
            *keys,
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
