"""The references the report's methods cite."""

from __future__ import annotations

__all__ = ["REFERENCES"]

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

REFERENCES.update(
    {
        "altman": "Altman DG. Confidence intervals for the number needed to treat. BMJ "
        "1998;317:1309–1312; Altman DG, Andersen PK. Calculating the number needed to treat "
        "for trials where the outcome is time to an event. BMJ 1999;319:1492–1495.",
        "subgroups": "Wang R, Lagakos SW, Ware JH, Hunter DJ, Drazen JM. Statistics in "
        "medicine — reporting of subgroup analyses in clinical trials. N Engl J Med "
        "2007;357:2189–2194.",
        "white": "White IR, Royston P. Imputing missing covariate values for the Cox model. "
        "Stat Med 2009;28:1982–1998.",
        "rubin": "Rubin DB. Multiple imputation for nonresponse in surveys. Wiley, 1987; "
        "Barnard J, Rubin DB. Small-sample degrees of freedom with multiple imputation. "
        "Biometrika 1999;86:948–955.",
        "evalue": "VanderWeele TJ, Ding P. Sensitivity analysis in observational research: "
        "introducing the E-value. Ann Intern Med 2017;167:268–274.",
        "turnbull": "Turnbull BW. The empirical distribution function with arbitrarily grouped, "
        "censored and truncated data. J R Stat Soc B 1976;38:290–295.",
        "bayes": "Friede T, Röver C, Wandel S, Neuenschwander B. Meta-analysis of few small "
        "studies in orphan diseases. Res Synth Methods 2017;8:79–91; Röver C, Bender R, Dias S, "
        "et al. On weakly informative prior distributions for the heterogeneity parameter in "
        "Bayesian random-effects meta-analysis. Res Synth Methods 2021;12:448–474.",
        "grade": "Guyatt GH, Oxman AD, Vist GE, et al. GRADE: an emerging consensus on rating "
        "quality of evidence and strength of recommendations. BMJ 2008;336:924–926.",
        "tsa": "Wetterslev J, Thorlund K, Brok J, Gluud C. Trial sequential analysis may "
        "establish when firm evidence is reached in cumulative meta-analysis. J Clin Epidemiol "
        "2008;61:64–75; Lan KKG, DeMets DL. Discrete sequential boundaries for clinical "
        "trials. Biometrika 1983;70:659–663.",
    }
)
