# Reference values for recurrence.survival.subgroups on a registry file with missing
# values: survival's `lung` as tests/data/surv_lung.csv (written by survival_cohort.R;
# one patient has no ph.ecog), read here as the tests read it.
#
# Run from the repository root:
#   Rscript validation/r/subgroups_registry.R
# Writes tests/data/r/subgroups_registry.json (digits = NA: full precision). Used by
# tests/test_survival_cohort_r.py. Produced with R 4.2.2, survival 3.5.3.
#
# Cases: a number split at its median (over every patient with a value), the models on
# the patients with closure, the variable and the covariates known:
# - age, adjusted for ph_ecog (the patient without ph_ecog is left out);
# - ph_ecog, adjusted for age (the patient without ph_ecog is in no subgroup).
# Per level: coxph(Surv(time, event == 1) ~ closure + covariates, subset = level);
# interaction: anova(coxph(~ closure + sg + cov), coxph(~ closure * sg + cov)).

suppressPackageStartupMessages({library(survival); library(jsonlite)})
ctl <- coxph.control(eps = 1e-10, iter.max = 100)  # as survival_cohort.R
lc <- read.csv("tests/data/surv_lung.csv"); lc$closure <- lc$closure == "yes"

case <- function(variable, covariates) {
  cut <- median(lc[[variable]], na.rm = TRUE)
  d <- lc[complete.cases(lc[, c("closure", variable, covariates)]), ]
  d$sg <- ifelse(d[[variable]] >= cut, "high", "low")
  cov <- paste("+", paste(covariates, collapse = " + "))
  f0 <- coxph(as.formula(paste("Surv(time, event == 1) ~ closure + sg", cov)), data = d, control = ctl)
  f1 <- coxph(as.formula(paste("Surv(time, event == 1) ~ closure * sg", cov)), data = d, control = ctl)
  a <- anova(f0, f1)
  per <- lapply(c("low", "high"), function(lev) {
    s <- d[d$sg == lev, ]
    f <- coxph(as.formula(paste("Surv(time, event == 1) ~ closure", cov)), data = s, control = ctl)
    ci <- exp(confint(f)["closureTRUE", ])
    list(level = lev, n = nrow(s), events = sum(s$event == 1),
         hr = unname(exp(coef(f)["closureTRUE"])), ci_low = unname(ci[1]), ci_high = unname(ci[2]),
         p = unname(summary(f)$coefficients["closureTRUE", "Pr(>|z|)"]))
  })
  list(call = sprintf(paste("coxph(Surv(time, event == 1) ~ closure %s, subset = %s >= %g or <);",
                            "anova(coxph(~ closure + sg %s), coxph(~ closure * sg %s))"),
                      cov, variable, cut, cov, cov),
       cut = cut, levels = per, lrt_df = a$Df[2], lrt_p = a[["Pr(>|Chi|)"]][2])
}

out <- list(age = case("age", "ph_ecog"), ph_ecog = case("ph_ecog", "age"))
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, na = "null", pretty = FALSE),
           "tests/data/r/subgroups_registry.json")
