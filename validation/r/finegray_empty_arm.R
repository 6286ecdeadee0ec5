# Reference values for a cohort without reherniation in the closure arm: what R says,
# and what recurrence must not say (a "significant" subdistribution hazard ratio).
#
# The cohort: data/synthetic/cohort.csv with the reherniations of the closure arm
# recoded as censored at their time (written to tests/data/fg_empty_arm.csv, read by the
# Python tests through recurrence.load_cohort).
# - crr(time, event, cbind(closure, age), maxiter = 100): the closure coefficient runs
#   off (crr stops at about -15 and reports convergence), its sandwich SE stays small,
#   so crr prints z = -169, p = 0. fine_gray gives no SE, interval or p-value for it;
#   the age coefficient and SE are the reference for the other term.
# - coxph(Surv(time, event == 1) ~ closure + age): "Loglik converged before variable 1";
#   SE 2e3, p = 0.99.
# - cuminc(time, event, closure): Aalen-Johansen estimates and variances at 12, 24, 60
#   months (closure arm: 0 with variance 0) and Gray's test, which stays valid.
#
# Run from the repository root:
#   Rscript validation/r/finegray_empty_arm.R
# Writes tests/data/r/finegray_empty_arm.json and tests/data/fg_empty_arm.csv.
# Used by tests/test_survival_finegray_empty_arm.py. Produced with R 4.2.2,
# survival 3.5-3, cmprsk 2.2-11.

suppressPackageStartupMessages({
  library(survival)
  library(cmprsk)
  library(jsonlite)
})

y <- read.csv("data/synthetic/cohort.csv", stringsAsFactors = FALSE)
closed <- y$closure %in% c("True", "TRUE", "true", "1", "yes")
y$event[closed & y$event == 1] <- 0
write.csv(y, "tests/data/fg_empty_arm.csv", row.names = FALSE)
y <- read.csv("tests/data/fg_empty_arm.csv", stringsAsFactors = FALSE)
y$closure <- as.numeric(y$closure %in% c("True", "TRUE", "true", "1", "yes"))
stopifnot(sum(y$event == 1 & y$closure == 1) == 0)

f <- crr(y$time, y$event, cbind(closure = y$closure, age = y$age), failcode = 1,
         cencode = 0, maxiter = 100)
s <- summary(f)$coef  # its p-values are rounded: computed from coef and var below
cx_warning <- NULL
cx <- withCallingHandlers(
  coxph(Surv(time, event == 1) ~ closure + age, data = y),
  warning = function(w) { cx_warning <<- conditionMessage(w); invokeRestart("muffleWarning") })
cs <- summary(cx)$coefficients

ci <- cuminc(y$time, y$event, y$closure, cencode = 0)
times <- c(12, 24, 60)
tp <- timepoints(ci, times)
est <- tp$est[c("0 1", "1 1"), ]
var <- tp$var[c("0 1", "1 1"), ]
z <- qnorm(0.975)
diff <- est["1 1", ] - est["0 1", ]
se_diff <- sqrt(var["1 1", ] + var["0 1", ])

out <- list(
  versions = list(R = R.version.string, survival = as.character(packageVersion("survival")),
                  cmprsk = as.character(packageVersion("cmprsk"))),
  events = list(closure = sum(y$event == 1 & y$closure == 1),
                control = sum(y$event == 1 & y$closure == 0)),
  crr = list(call = "crr(time, event, cbind(closure, age), maxiter = 100)",
             terms = rownames(s), coef = unname(f$coef), se = unname(sqrt(diag(f$var))),
             z = unname(f$coef / sqrt(diag(f$var))),
             p = unname(2 * pnorm(-abs(f$coef / sqrt(diag(f$var))))), converged = f$converged),
  coxph = list(call = "coxph(Surv(time, event == 1) ~ closure + age)",
               coef = unname(coef(cx)), se = unname(cs[, "se(coef)"]),
               p = unname(cs[, "Pr(>|z|)"]), warning = cx_warning),
  cuminc = list(call = "cuminc(time, event, closure); timepoints(fit, c(12, 24, 60))",
                times = times,
                est_control = unname(est["0 1", ]), var_control = unname(var["0 1", ]),
                est_closure = unname(est["1 1", ]), var_closure = unname(var["1 1", ]),
                gray_stat = unname(ci$Tests["1", "stat"]), gray_p = unname(ci$Tests["1", "pv"]),
                gray_df = unname(ci$Tests["1", "df"])),
  risk_difference = list(call = "timepoints(): closure - control, Wald interval from the cuminc variances",
                         difference = unname(diff), ci_low = unname(diff - z * se_diff),
                         ci_high = unname(diff + z * se_diff)))
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = FALSE),
           "tests/data/r/finegray_empty_arm.json")
str(out)
