# survival::pbc (Mayo Clinic primary biliary cholangitis trial, the 312 randomised
# patients) exported as a registry would: a title row above the header, its own column
# names, labels instead of codes ("Drug"/"Placebo", "censored"/"transplant"/"dead"),
# days, empty cells where R has NA (cholesterol: 28), patients in id order (not in time
# order). Death is the event, transplant the competing event; "Drug" stands in for
# closure. The reference for a competing-risks cohort with a missing covariate read
# from a user's file.
#
# Run from the repository root:
#   Rscript validation/r/own_data_pbc.R
# Writes tests/data/own/pbc_registry.csv (committed) and tests/data/r/own_data_pbc.json,
# read by tests/test_own_data.py. Produced with R 4.2.2, survival 3.5-3, cmprsk 2.2-11.
#
# Reference: coxph(Surv(months, event == 1) ~ closure + age + bili + chol), Efron ties,
# complete cases (eps 1e-10), and its cox.zph (transform "km"); crr(..., cov1 = cbind(closure, age, bili, chol), failcode
# = 1, cencode = 0) on the same complete cases; cuminc(months, event, closure) at 12, 24
# and 60 months (estimate and Gray's variance). Ages are rounded to 2 decimals in the
# export, and R fits the rounded ages.

suppressPackageStartupMessages({
  library(survival)
  library(cmprsk)
  library(jsonlite)
})

d <- survival::pbc[!is.na(survival::pbc$trt), ]
d$age <- round(d$age, 2)
export <- data.frame(
  "Patient" = sprintf("PBC-%03d", d$id),
  "Arm" = ifelse(d$trt == 1, "Drug", "Placebo"),
  "Days" = d$time,
  "Status" = c("censored", "transplant", "dead")[d$status + 1],
  "Age (years)" = d$age, "Sex" = d$sex, "Bilirubin" = d$bili,
  "Cholesterol" = d$chol, "Edema" = d$edema, check.names = FALSE)
path <- "tests/data/own/pbc_registry.csv"
writeLines("Primary biliary cholangitis registry export, 2026-12-04", path)
suppressWarnings(write.table(export, path, sep = ",", row.names = FALSE, append = TRUE,
                             na = ""))

d$closure <- as.integer(d$trt == 1)
d$event <- ifelse(d$status == 2, 1, ifelse(d$status == 1, 2, 0))
d$months <- d$time / 30.4375
ctl <- coxph.control(eps = 1e-10, iter.max = 100)
fit <- coxph(Surv(months, event == 1) ~ closure + age + bili + chol, data = d,
             ties = "efron", control = ctl)
cc <- complete.cases(d[, c("closure", "age", "bili", "chol")])
fg <- crr(d$months[cc], d$event[cc], as.matrix(d[cc, c("closure", "age", "bili", "chol")]),
          failcode = 1, cencode = 0)
ci <- timepoints(cuminc(d$months, d$event, d$closure, cencode = 0), c(12, 24, 60))
out <- list(
  versions = list(R = R.version.string, survival = as.character(packageVersion("survival")),
                  cmprsk = as.character(packageVersion("cmprsk"))),
  cox = list(terms = names(coef(fit)), coef = unname(coef(fit)),
             se = unname(sqrt(diag(fit$var))), n = fit$n, nevent = fit$nevent,
             concordance = unname(fit$concordance["concordance"]),
             zph_terms = rownames(cox.zph(fit)$table),
             zph_chisq = unname(cox.zph(fit)$table[, "chisq"]),
             zph_p = unname(cox.zph(fit)$table[, "p"])),
  crr = list(coef = unname(fg$coef), se = unname(sqrt(diag(fg$var))), n = sum(cc)),
  cuminc = list(times = c(12, 24, 60),
                control = unname(ci$est["0 1", ]), closure = unname(ci$est["1 1", ]),
                control_var = unname(ci$var["0 1", ]), closure_var = unname(ci$var["1 1", ])))
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE),
           "tests/data/r/own_data_pbc.json")
