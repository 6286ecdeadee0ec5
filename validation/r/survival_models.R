# Reference values for the regression models of recurrence.survival (cox, cause_specific_cox,
# fine_gray, IPTW): survival::coxph, survival::cox.zph, cmprsk::crr, glm.
#
# Run from the repository root:
#   Rscript validation/r/survival_models.R
# Writes tests/data/r/survival_models.json (and tests/data/surv_models_mgus2.csv, the mgus2
# competing-risks data as the Python tests read it). Used by tests/test_survival_cox_r.py,
# tests/test_survival_finegray.py and tests/test_survival_iptw.py.
# Produced with R 4.2.2, survival 3.5-3, cmprsk 2.2-11.
#
# Data sets
# - mgus2 (survival): competing risks with heavy ties (times in months, integers):
#   etime = ifelse(pstat == 0, futime, ptime), event = ifelse(pstat == 0, 2 * death, 1);
#   covariates age, male (sex == "M"), hgb; rows with a missing value dropped.
# - tests/data/surv_models_small.csv: 60 patients, integer times 1-12 (heavily tied), 53%
#   censored; x1 (0/1), x2; site (4 clusters), grp (2 strata); w_int (integer case weights),
#   w (non-integer weights); time_tied: every event 1 moved to month 6 (all events tied).
#   Made once with numpy (default_rng(20261124)).
# - data/synthetic/cohort.csv: the packaged synthetic cohort (2,000 patients).
# - tests/data/surv_models_confounded.csv: recurrence.simulate_cohort(3000, seed=2027,
#   confounded=True), closure by indication.
#
# Convergence: coxph with eps = 1e-10 (relative change in the log-likelihood; Newton
# converges quadratically, so the coefficients are then far closer than 1e-8 to the
# maximum); crr with the smallest gtol in 1e-10 ... 1e-6 at which it reports convergence
# (below that its line search stalls on rounding); the remaining Newton step
# |inf^-1 score| is stored as crr_step so the tests can state the coefficient accuracy.

suppressPackageStartupMessages({
  library(survival)
  library(cmprsk)
  library(jsonlite)
})

# pandas writes yes/no columns as True/False, which read.csv keeps as text: code them 0/1
yes_no <- function(d, cols) { for (v in cols) d[[v]] <- as.integer(d[[v]] %in% c("True", "TRUE", "true", "1")); d }

ctl <- coxph.control(eps = 1e-10, iter.max = 100)
out <- list(versions = list(R = R.version.string,
                            survival = as.character(packageVersion("survival")),
                            cmprsk = as.character(packageVersion("cmprsk"))))

cox_ref <- function(fit, call) {
  # transform = "km", terms = TRUE, global = TRUE; fails (singular) when all events are tied
  zph <- tryCatch(cox.zph(fit), error = function(e) NULL)
  if (is.null(zph)) zph <- list(table = matrix(numeric(0), 0, 3, dimnames = list(NULL, c("chisq", "df", "p"))))
  res <- list(
    call = call,
    terms = names(coef(fit)),
    coef = unname(coef(fit)),
    se = unname(sqrt(diag(if (is.null(fit$naive.var)) fit$var else fit$naive.var))),
    loglik = unname(fit$loglik),
    concordance = unname(fit$concordance["concordance"]),
    n = fit$n, nevent = fit$nevent,
    zph_terms = rownames(zph$table),
    zph_chisq = unname(zph$table[, "chisq"]),
    zph_df = unname(zph$table[, "df"]),
    zph_p = unname(zph$table[, "p"])
  )
  if (!is.null(fit$naive.var)) res$robust_se <- unname(sqrt(diag(fit$var)))
  res
}

crr_ref <- function(ftime, fstatus, cov, failcode, call) {
  best <- NULL
  for (gtol in c(1e-6, 1e-7, 1e-8, 1e-9, 1e-10)) {
    fit <- crr(ftime, fstatus, cov, failcode = failcode, gtol = gtol, maxiter = 100)
    if (!fit$converged) break
    best <- fit
    best_gtol <- gtol
  }
  stopifnot(!is.null(best))
  list(call = paste0(call, ", gtol = ", best_gtol, ", maxiter = 100)"),
       terms = colnames(cov), coef = unname(best$coef),
       se = unname(sqrt(diag(best$var))), loglik = best$loglik,
       loglik_null = best$loglik.null, gtol = best_gtol,
       crr_step = unname(drop(solve(best$inf, best$score))), n = best$n)
}

# ---- mgus2 -------------------------------------------------------------------------------
m <- mgus2
m$time <- ifelse(m$pstat == 0, m$futime, m$ptime)
m$event <- ifelse(m$pstat == 0, 2 * m$death, 1)
m$male <- as.integer(m$sex == "M")
m <- m[complete.cases(m[, c("time", "event", "age", "male", "hgb")]), c("time", "event", "age", "male", "hgb")]
write.csv(m, "tests/data/surv_models_mgus2.csv", row.names = FALSE)
m$cl <- (seq_len(nrow(m)) - 1) %% 20  # artificial clusters for a tied-times sandwich

cox <- list()
cox$mgus2_efron <- cox_ref(coxph(Surv(time, event == 1) ~ age + male + hgb, data = m, control = ctl),
  "coxph(Surv(time, event == 1) ~ age + male + hgb, data = mgus2)")
cox$mgus2_breslow <- cox_ref(coxph(Surv(time, event == 1) ~ age + male + hgb, data = m, ties = "breslow", control = ctl),
  "coxph(Surv(time, event == 1) ~ age + male + hgb, data = mgus2, ties = 'breslow')")
cox$mgus2_cluster <- cox_ref(coxph(Surv(time, event == 1) ~ age + male + hgb, data = m, cluster = cl, control = ctl),
  "coxph(Surv(time, event == 1) ~ age + male + hgb, data = mgus2, cluster = (row - 1) %% 20)")
cox$mgus2_event2 <- cox_ref(coxph(Surv(time, event == 2) ~ age + male + hgb, data = m, control = ctl),
  "coxph(Surv(time, event == 2) ~ age + male + hgb, data = mgus2)")

# ---- small tied cohort -------------------------------------------------------------------
s <- read.csv("tests/data/surv_models_small.csv")
s$w_int <- as.numeric(s$w_int)  # cox.zph fails on integer weights (survival 3.5-3)
cox$small_efron <- cox_ref(coxph(Surv(time, event == 1) ~ x1 + x2, data = s, control = ctl),
  "coxph(Surv(time, event == 1) ~ x1 + x2, data = small)")
cox$small_breslow <- cox_ref(coxph(Surv(time, event == 1) ~ x1 + x2, data = s, ties = "breslow", control = ctl),
  "coxph(Surv(time, event == 1) ~ x1 + x2, data = small, ties = 'breslow')")
cox$small_cluster <- cox_ref(coxph(Surv(time, event == 1) ~ x1 + x2, data = s, cluster = site, control = ctl),
  "coxph(Surv(time, event == 1) ~ x1 + x2, data = small, cluster = site)")
cox$small_strata <- cox_ref(coxph(Surv(time, event == 1) ~ x1 + x2 + strata(grp), data = s, control = ctl),
  "coxph(Surv(time, event == 1) ~ x1 + x2 + strata(grp), data = small)")
cox$small_strata_cluster <- cox_ref(coxph(Surv(time, event == 1) ~ x1 + x2 + strata(grp), data = s, cluster = site, control = ctl),
  "coxph(Surv(time, event == 1) ~ x1 + x2 + strata(grp), data = small, cluster = site)")
cox$small_wint <- cox_ref(coxph(Surv(time, event == 1) ~ x1 + x2, data = s, weights = w_int, control = ctl),
  "coxph(Surv(time, event == 1) ~ x1 + x2, data = small, weights = w_int)")
cox$small_w <- cox_ref(coxph(Surv(time, event == 1) ~ x1 + x2, data = s, weights = w, control = ctl),
  "coxph(Surv(time, event == 1) ~ x1 + x2, data = small, weights = w)  # robust by default")
cox$small_w_cluster <- cox_ref(coxph(Surv(time, event == 1) ~ x1 + x2, data = s, weights = w, cluster = site, control = ctl),
  "coxph(Surv(time, event == 1) ~ x1 + x2, data = small, weights = w, cluster = site)")
cox$small_all_tied <- cox_ref(coxph(Surv(time_tied, event == 1) ~ x1 + x2, data = s, control = ctl),
  "coxph(Surv(time_tied, event == 1) ~ x1 + x2, data = small)  # all 19 events at month 6")

# ---- synthetic cohort --------------------------------------------------------------------
y <- yes_no(read.csv("data/synthetic/cohort.csv"), c("closure", "smoker", "diabetes"))
cox$synthetic <- cox_ref(coxph(Surv(time, event == 1) ~ closure + age + smoker + diabetes + defect_width_mm, data = y, control = ctl),
  "coxph(Surv(time, event == 1) ~ closure + age + smoker + diabetes + defect_width_mm, data = cohort)")
cox$synthetic_site_approach <- cox_ref(coxph(Surv(time, event == 1) ~ closure + age + smoker + diabetes + defect_width_mm + strata(approach), data = y, cluster = site, control = ctl),
  "coxph(Surv(time, event == 1) ~ closure + age + smoker + diabetes + defect_width_mm + strata(approach), cluster = site, data = cohort)")
cox$synthetic_level <- cox_ref(coxph(Surv(time, event == 1) ~ closure + factor(level), data = y, control = ctl),
  "coxph(Surv(time, event == 1) ~ closure + factor(level), data = cohort)  # zph: one 2-df test for level")

# ---- IPTW on the confounded cohort -------------------------------------------------------
cc <- yes_no(read.csv("tests/data/surv_models_confounded.csv"), c("closure", "smoker", "diabetes"))
ps_fit <- glm(closure ~ age + smoker + defect_width_mm, family = binomial, data = cc,
              control = glm.control(epsilon = 1e-12, maxit = 100))
ps <- fitted(ps_fit)
pt <- mean(cc$closure)
cc$w_stab <- ifelse(cc$closure == 1, pt / ps, (1 - pt) / (1 - ps))
cc$w_ate <- ifelse(cc$closure == 1, 1 / ps, 1 / (1 - ps))
iptw <- list(
  glm_call = "glm(closure ~ age + smoker + defect_width_mm, family = binomial, data = confounded)",
  glm_terms = names(coef(ps_fit)), glm_coef = unname(coef(ps_fit)),
  glm_se = unname(sqrt(diag(vcov(ps_fit)))),
  w_stab_head = unname(cc$w_stab[1:20]), w_ate_head = unname(cc$w_ate[1:20]),
  w_stab_sum = sum(cc$w_stab), w_ate_sum = sum(cc$w_ate))
cox$iptw_stab <- cox_ref(coxph(Surv(time, event == 1) ~ closure, data = cc, weights = w_stab, robust = TRUE, control = ctl),
  "coxph(Surv(time, event == 1) ~ closure, data = confounded, weights = w_stab, robust = TRUE)")
cox$iptw_ate <- cox_ref(coxph(Surv(time, event == 1) ~ closure, data = cc, weights = w_ate, robust = TRUE, control = ctl),
  "coxph(Surv(time, event == 1) ~ closure, data = confounded, weights = w_ate, robust = TRUE)")
cox$iptw_stab_site <- cox_ref(coxph(Surv(time, event == 1) ~ closure, data = cc, weights = w_stab, cluster = site, control = ctl),
  "coxph(Surv(time, event == 1) ~ closure, data = confounded, weights = w_stab, cluster = site)")

# ---- Fine-Gray ---------------------------------------------------------------------------
crrs <- list()
crrs$mgus2 <- crr_ref(m$time, m$event, as.matrix(m[, c("age", "male", "hgb")]), 1,
  "crr(mgus2$time, mgus2$event, cbind(age, male, hgb), failcode = 1")
crrs$mgus2_event2 <- crr_ref(m$time, m$event, as.matrix(m[, c("age", "male", "hgb")]), 2,
  "crr(mgus2$time, mgus2$event, cbind(age, male, hgb), failcode = 2")
crrs$small <- crr_ref(s$time, s$event, as.matrix(s[, c("x1", "x2")]), 1,
  "crr(small$time, small$event, cbind(x1, x2), failcode = 1")
ycov <- as.matrix(y[, c("closure", "age", "smoker", "diabetes", "defect_width_mm")])
crrs$synthetic <- crr_ref(y$time, y$event, ycov, 1,
  "crr(cohort$time, cohort$event, cbind(closure, age, smoker, diabetes, defect_width_mm), failcode = 1")
s0 <- s[s$event != 2, ]
crrs$small_no_competing <- crr_ref(s0$time, s0$event, as.matrix(s0[, c("x1", "x2")]), 1,
  "crr(small[event != 2]$time, ..., cbind(x1, x2), failcode = 1  # no competing events")

out$cox <- cox
out$crr <- crrs
out$iptw <- iptw
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE),
           "tests/data/r/survival_models.json")
cat("wrote tests/data/r/survival_models.json\n")
