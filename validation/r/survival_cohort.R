# Reference values for the cohort analyses a reviewer asks for (recurrence.survival):
# survfit(conf.type = "log-log" | "log" | "plain"), summary(survfit, times, extend = TRUE),
# quantile(survfit) and print(survfit)'s median; survdiff(rho =); cox.zph(transform =);
# coxph with interaction terms (model.matrix coding); coxph per subgroup and the
# likelihood-ratio test of interaction (anova); crr per subgroup and the Wald test of its
# interaction coefficients.
#
# Run from the repository root:
#   Rscript validation/r/survival_cohort.R
# Writes tests/data/r/survival_cohort.json and the data sets the Python tests read:
# - tests/data/surv_lung.csv: survival's `lung`, as a cohort table read with
#   recurrence.load_cohort: patient_id, closure ("yes" for sex == 2, female), time in
#   months (days / 30.4375), event (status - 1), age, ph_ecog (missing for one patient).
# - tests/data/surv_colon.csv: survival's `colon`, the death records (etype == 2): time in
#   months, event = status, rx (3 groups), sex, age, nodes (missing for some).
# - data/synthetic/cohort.csv: the packaged synthetic cohort.
# Used by tests/test_survival_cohort_r.py. Produced with R 4.2.2, survival 3.5-3,
# cmprsk 2.2-11.

suppressPackageStartupMessages({
  library(survival)
  library(cmprsk)
  library(jsonlite)
})
yes_no <- function(d, cols) { for (v in cols) d[[v]] <- d[[v]] %in% c("True", "TRUE", "true", "1", "yes"); d }
ctl <- coxph.control(eps = 1e-10, iter.max = 100)
out <- list(versions = list(R = R.version.string,
                            survival = as.character(packageVersion("survival")),
                            cmprsk = as.character(packageVersion("cmprsk"))))

# ---- data --------------------------------------------------------------------------------
l <- lung
lung_csv <- data.frame(patient_id = sprintf("L%03d", seq_len(nrow(l))),
                       closure = ifelse(l$sex == 2, "yes", "no"),
                       time = l$time / 30.4375, event = l$status - 1L,
                       age = l$age, ph_ecog = l$ph.ecog)
write.csv(lung_csv, "tests/data/surv_lung.csv", row.names = FALSE, na = "")
# the tests read the CSV files, so R does too (write.csv keeps 15 significant digits)
lc <- read.csv("tests/data/surv_lung.csv"); lc$closure <- lc$closure == "yes"

co <- colon[colon$etype == 2, ]
colon_csv <- data.frame(patient_id = sprintf("C%04d", co$id), closure = co$sex == 1,
                        time = co$time / 30.4375, event = co$status, rx = as.character(co$rx),
                        sex = ifelse(co$sex == 1, "M", "F"), age = co$age, nodes = co$nodes)
write.csv(colon_csv, "tests/data/surv_colon.csv", row.names = FALSE, na = "")
colon_csv <- yes_no(read.csv("tests/data/surv_colon.csv"), "closure")

y <- yes_no(read.csv("data/synthetic/cohort.csv"), c("closure", "smoker", "diabetes"))

# a tiny cohort whose closure curve reaches 0 (the last patient at risk has the event)
tiny <- data.frame(closure = c(TRUE, TRUE, TRUE, TRUE, FALSE, FALSE, FALSE, FALSE),
                   time = c(1, 2, 3, 4, 5, 6, 7, 8), event = c(1, 0, 1, 1, 1, 0, 1, 0))
out$tiny <- tiny

# ---- Kaplan-Meier: conf.type, extend, quantiles ------------------------------------------
km_ref <- function(formula, data, times, label) {
  res <- list()
  for (ct in c("log-log", "log", "plain")) {
    f <- survfit(formula, data = data, conf.type = ct)
    s <- summary(f, times = times, extend = TRUE)
    q <- quantile(f, probs = c(0.25, 0.5, 0.75))
    res[[ct]] <- list(
      call = sprintf("summary(survfit(%s, data = %s, conf.type = '%s'), times = c(%s), extend = TRUE)",
                     deparse(formula), label, ct, paste(times, collapse = ", ")),
      strata = if (is.null(s$strata)) rep("all", length(s$time)) else as.character(s$strata),
      time = s$time, surv = s$surv, lower = s$lower, upper = s$upper, n_risk = s$n.risk,
      n_event = s$n.event, n_censor = s$n.censor,
      q_call = "quantile(fit, probs = c(0.25, 0.5, 0.75))",
      q = unname(as.matrix(q$quantile)), q_lower = unname(as.matrix(q$lower)),
      q_upper = unname(as.matrix(q$upper)),
      print_table = unname(as.matrix(summary(f)$table[, c("median", "0.95LCL", "0.95UCL"), drop = FALSE])))
  }
  res
}
out$km <- list(
  lung = km_ref(Surv(time, event == 1) ~ closure, lc, c(0, 3, 6, 12, 24, 30, 36), "lung"),
  tiny = km_ref(Surv(time, event == 1) ~ closure, tiny, c(0, 3, 4, 5, 9), "tiny"),
  synthetic = km_ref(Surv(time, event == 1) ~ closure, y, c(0, 12, 24, 60, 120), "cohort"))

# ---- survdiff(rho =) ---------------------------------------------------------------------
sd_ref <- function(fit, call) {
  list(call = call, chisq = fit$chisq, obs = unname(if (is.matrix(fit$obs)) rowSums(fit$obs) else fit$obs),
       exp = unname(if (is.matrix(fit$exp)) rowSums(fit$exp) else fit$exp), var = unname(fit$var))
}
out$survdiff <- list()
for (rho in c(0, 0.5, 1, 2)) {
  key <- paste0("rho", rho)
  out$survdiff[[paste0("lung_", key)]] <- sd_ref(survdiff(Surv(time, event == 1) ~ closure, data = lc, rho = rho),
    sprintf("survdiff(Surv(time, event == 1) ~ closure, data = lung, rho = %g)", rho))
  out$survdiff[[paste0("colon_rx_", key)]] <- sd_ref(survdiff(Surv(time, event == 1) ~ rx, data = colon_csv, rho = rho),
    sprintf("survdiff(Surv(time, event == 1) ~ rx, data = colon, rho = %g)", rho))
  out$survdiff[[paste0("synthetic_strata_", key)]] <- sd_ref(survdiff(Surv(time, event == 1) ~ closure + strata(approach), data = y, rho = rho),
    sprintf("survdiff(Surv(time, event == 1) ~ closure + strata(approach), data = cohort, rho = %g)", rho))
}

# ---- cox.zph(transform =) and interactions -----------------------------------------------
zph_ref <- function(fit, call) {
  res <- list(call = call, terms = names(coef(fit)), coef = unname(coef(fit)),
              se = unname(sqrt(diag(fit$var))), loglik = unname(fit$loglik))
  for (tr in c("km", "rank", "identity")) {
    z <- cox.zph(fit, transform = tr)
    res[[tr]] <- list(terms = rownames(z$table), chisq = unname(z$table[, "chisq"]),
                      df = unname(z$table[, "df"]), p = unname(z$table[, "p"]))
  }
  res
}
out$cox <- list(
  lung = zph_ref(coxph(Surv(time, event == 1) ~ closure + age + ph_ecog, data = lc, control = ctl),
    "coxph(Surv(time, event == 1) ~ closure + age + ph_ecog, data = lung)"),
  colon = zph_ref(coxph(Surv(time, event == 1) ~ rx + age + nodes, data = colon_csv, control = ctl),
    "coxph(Surv(time, event == 1) ~ rx + age + nodes, data = colon)"),
  synthetic = zph_ref(coxph(Surv(time, event == 1) ~ closure + age + smoker + level, data = y, control = ctl),
    "coxph(Surv(time, event == 1) ~ closure + age + smoker + level, data = cohort)"),
  synthetic_closure_approach = zph_ref(coxph(Surv(time, event == 1) ~ closure + approach + closure:approach + age, data = y, control = ctl),
    "coxph(Surv(time, event == 1) ~ closure + approach + closure:approach + age, data = cohort)"),
  synthetic_closure_star_sex = zph_ref(coxph(Surv(time, event == 1) ~ closure * sex, data = y, control = ctl),
    "coxph(Surv(time, event == 1) ~ closure * sex, data = cohort)"),
  synthetic_nested_sex = zph_ref(coxph(Surv(time, event == 1) ~ closure + closure:sex, data = y, control = ctl),
    "coxph(Surv(time, event == 1) ~ closure + closure:sex, data = cohort)  # nested coding"),
  synthetic_age_approach = zph_ref(coxph(Surv(time, event == 1) ~ age * approach + closure, data = y, control = ctl),
    "coxph(Surv(time, event == 1) ~ age * approach + closure, data = cohort)"),
  colon_rx_sex = zph_ref(coxph(Surv(time, event == 1) ~ rx * sex + age, data = colon_csv, control = ctl),
    "coxph(Surv(time, event == 1) ~ rx * sex + age, data = colon)"))

# Fine-Gray with an interaction: crr on model.matrix columns
crr_int <- function(formula, data, call) {
  mm <- model.matrix(formula, data)[, -1, drop = FALSE]
  f <- crr(data$time, data$event, mm, failcode = 1, cencode = 0, gtol = 1e-9, maxiter = 100)
  list(call = call, terms = colnames(mm), coef = unname(f$coef), se = unname(sqrt(diag(f$var))),
       var = unname(f$var), converged = f$converged)
}
out$crr <- list(synthetic_closure_star_sex = crr_int(~ closure * sex, y,
  "crr(time, event, model.matrix(~ closure * sex, cohort)[, -1])"))

# ---- Fine-Gray: crr(cengroup =), finegray() + coxph(cluster =) ---------------------------
crr_cg <- function(data, covs, cengroup, call) {
  mm <- as.matrix(data[, covs]); storage.mode(mm) <- "double"
  f <- crr(data$time, data$event, mm, cengroup = data[[cengroup]], failcode = 1, cencode = 0,
           gtol = 1e-9, maxiter = 100)
  list(call = call, terms = covs, coef = unname(f$coef), se = unname(sqrt(diag(f$var))),
       converged = f$converged)
}
m2 <- read.csv("tests/data/surv_models_mgus2.csv")
out$crr_cengroup <- list(
  synthetic_site = crr_cg(y, c("closure", "age"), "site",
    "crr(time, event, cbind(closure, age), cengroup = site, gtol = 1e-9)  # cohort"),
  mgus2_male = crr_cg(m2, c("age", "hgb"), "male",
    "crr(time, event, cbind(age, hgb), cengroup = male, gtol = 1e-9)  # mgus2"))
fg_cluster <- function(data, covs, cluster, ties, call) {
  data$ev <- factor(data$event, 0:2)
  fgd <- finegray(as.formula(paste("Surv(time, ev) ~", paste(c(covs, cluster), collapse = " + "))),
                  data = data, etype = "1")
  fit <- coxph(as.formula(paste("Surv(fgstart, fgstop, fgstatus) ~", paste(covs, collapse = " + "))),
               weights = fgwt, data = fgd, ties = ties, cluster = fgd[[cluster]], control = ctl)
  mm <- as.matrix(data[, covs]); storage.mode(mm) <- "double"
  crr_fit <- crr(data$time, data$event, mm, failcode = 1, cencode = 0, gtol = 1e-9, maxiter = 100)
  list(call = call, terms = covs, coef = unname(coef(fit)), robust_se = unname(sqrt(diag(fit$var))),
       crr_coef = unname(crr_fit$coef),
       times_tied = sum(duplicated(data$time)),
       censoring_times_tied = sum(duplicated(data$time[data$event == 0])))
}
y$patient_id <- as.character(y$patient_id)
m2$id <- seq_len(nrow(m2)); m2$cl <- (m2$id - 1) %% 20
out$finegray <- list(
  synthetic_site = fg_cluster(y, c("closure", "age"), "site", "breslow",
    "coxph(Surv(fgstart, fgstop, fgstatus) ~ closure + age, weights = fgwt, cluster = site, ties = 'breslow', data = finegray(Surv(time, factor(event)) ~ ., cohort, etype = '1'))"),
  synthetic_patient = fg_cluster(y, c("closure", "age"), "patient_id", "breslow",
    "the same with cluster = patient_id"),
  synthetic_site_efron = fg_cluster(y, c("closure", "age"), "site", "efron",
    "the same with cluster = site, ties = 'efron' (coxph's default)"),
  mgus2_cl = fg_cluster(m2, c("age", "hgb"), "cl", "breslow",
    "coxph(Surv(fgstart, fgstop, fgstatus) ~ age + hgb, weights = fgwt, cluster = cl, ties = 'breslow', data = finegray(mgus2))  # heavy ties"))

# ---- subgroups ---------------------------------------------------------------------------
sub_ref <- function(data, variable, covariates, cut = NULL) {
  d <- data[complete.cases(data[, c("closure", variable, covariates)]), ]
  v <- d[[variable]]
  if (!is.null(cut)) v <- ifelse(v >= cut, "high", "low")
  d$sg <- as.character(v)
  cov <- if (length(covariates)) paste("+", paste(covariates, collapse = " + ")) else ""
  f0 <- coxph(as.formula(paste("Surv(time, event == 1) ~ closure + sg", cov)), data = d, control = ctl)
  f1 <- coxph(as.formula(paste("Surv(time, event == 1) ~ closure * sg", cov)), data = d, control = ctl)
  a <- anova(f0, f1)
  levels <- sort(unique(d$sg))
  per <- lapply(levels, function(lev) {
    s <- d[d$sg == lev, ]
    f <- coxph(as.formula(paste("Surv(time, event == 1) ~ closure", cov)), data = s, control = ctl)
    ci <- exp(confint(f)["closureTRUE", ])
    mm <- model.matrix(as.formula(paste("~ closure", cov)), s)[, -1, drop = FALSE]
    g <- crr(s$time, s$event, mm, failcode = 1, cencode = 0, gtol = 1e-9, maxiter = 100)
    list(level = lev, n = nrow(s), events = sum(s$event == 1), hr = unname(exp(coef(f)["closureTRUE"])),
         ci_low = unname(ci[1]), ci_high = unname(ci[2]),
         p = unname(summary(f)$coefficients["closureTRUE", "Pr(>|z|)"]),
         shr = unname(exp(g$coef[1])), shr_se = unname(sqrt(g$var[1, 1])))
  })
  mm1 <- model.matrix(as.formula(paste("~ closure * sg", cov)), d)[, -1, drop = FALSE]
  g1 <- crr(d$time, d$event, mm1, failcode = 1, cencode = 0, gtol = 1e-9, maxiter = 100)
  k <- grep(":", colnames(mm1))
  wald <- drop(t(g1$coef[k]) %*% solve(g1$var[k, k, drop = FALSE]) %*% g1$coef[k])
  list(call = sprintf("coxph(~ closure + %s%s, subset = %s == level); anova(coxph(~ closure + sg%s), coxph(~ closure * sg%s))",
                      paste(covariates, collapse = " + "), "", variable, cov, cov),
       cut = if (is.null(cut)) NA else cut, levels = per,
       lrt_chisq = a$Chisq[2], lrt_df = a$Df[2], lrt_p = a[["Pr(>|Chi|)"]][2],
       crr_wald = wald, crr_wald_df = length(k), crr_wald_p = pchisq(wald, length(k), lower.tail = FALSE))
}
cuts <- median(y$defect_width_mm)
out$subgroups <- list(
  approach = sub_ref(y, "approach", c("age", "smoker")),
  sex = sub_ref(y, "sex", c("age", "smoker")),
  level = sub_ref(y, "level", c("age", "smoker")),
  defect_width_mm = sub_ref(y, "defect_width_mm", c("age", "smoker"), cut = cuts),
  defect_width_mm_6 = sub_ref(y, "defect_width_mm", c("age", "smoker"), cut = 6),
  approach_unadjusted = sub_ref(y, "approach", character(0)))

writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, na = "null", pretty = FALSE),
           "tests/data/r/survival_cohort.json")
cat("wrote tests/data/r/survival_cohort.json\n")
