# Reference values for the nonparametric survival estimators of recurrence
# (recurrence/survival/{km,logrank,competing,rmst}.py).
#
# Run from the repository root:
#   Rscript validation/r/survival_nonparametric.R
# Writes tests/data/r/survival_nonparametric.json (full precision, digits = NA) and
# tests/data/surv_mgus2.csv (the competing-risks version of survival::mgus2 the tests read).
# Produced with R 4.2.2, survival 3.5-3, cmprsk 2.2-11.
#
# Data sets
#   small      tests/data/surv_small.csv: 30 patients, 60% censored, ties within and
#              across causes and with censoring, grouped by closure (also approach, site).
#   mgus2      survival::mgus2 as competing risks with heavy ties (integer months):
#              etime = ifelse(pstat == 0, futime, ptime),
#              event = ifelse(pstat == 0, 2 * death, 1); grouped by sex, strata age >= 70.
#   synthetic  data/synthetic/cohort.csv (2,000 patients) grouped by closure; strata site;
#              three groups by approach.

suppressPackageStartupMessages({
  library(survival)
  library(cmprsk)
  library(jsonlite)
})

stopifnot(packageVersion("survival") >= "3.0")

# ---- data --------------------------------------------------------------------------
small <- read.csv("tests/data/surv_small.csv", stringsAsFactors = FALSE)
small$group <- factor(ifelse(small$closure, "closure", "no closure"),
                      levels = c("no closure", "closure"))

m <- survival::mgus2
m$time <- ifelse(m$pstat == 0, m$futime, m$ptime)
m$event <- ifelse(m$pstat == 0, 2 * m$death, 1)
m$age70 <- ifelse(m$age >= 70, "70+", "<70")
m$patient_id <- paste0("M", m$id)
mg <- m[, c("patient_id", "sex", "age70", "time", "event")]
write.csv(mg, "tests/data/surv_mgus2.csv", row.names = FALSE)
mg$group <- factor(as.character(mg$sex), levels = c("F", "M"))

syn <- read.csv("data/synthetic/cohort.csv", stringsAsFactors = FALSE)
syn$group <- factor(ifelse(syn$closure, "closure", "no closure"),
                    levels = c("no closure", "closure"))

# ---- helpers -----------------------------------------------------------------------
split_strata <- function(fit, what) {
  # one list per group of the survfit columns in `what`
  lab <- if (is.null(fit$strata)) "all" else rep(sub("^[^=]*=", "", names(fit$strata)), fit$strata)
  out <- list()
  for (g in unique(lab)) {
    sel <- lab == g
    out[[g]] <- lapply(setNames(what, what), function(w) unname(fit[[w]][sel]))
  }
  out
}

km_block <- function(d, times, tau) {
  # Kaplan-Meier of reherniation (event 1), competing events censored
  fit <- survfit(Surv(time, event == 1) ~ group, data = d, conf.type = "log-log")
  s <- summary(fit, times = times, extend = TRUE)
  at <- data.frame(group = sub("^group=", "", as.character(s$strata)), time = s$time,
                   survival = s$surv, se = s$std.err, ci_low = s$lower, ci_high = s$upper,
                   at_risk = s$n.risk)
  full <- split_strata(fit, c("time", "n.risk", "n.event", "n.censor", "surv", "std.err",
                              "lower", "upper"))
  # median follow-up by reverse Kaplan-Meier: censoring is the "event", any event censors
  rev <- survfit(Surv(time, event == 0) ~ group, data = d)
  rmed <- summary(rev)$table[, "median"]
  names(rmed) <- sub("^group=", "", names(rmed))
  # restricted mean: print(fit, rmean = tau) reports the same numbers as this table
  rm <- summary(fit, rmean = tau)$table
  rownames(rm) <- sub("^group=", "", rownames(rm))
  list(call = "survfit(Surv(time, event == 1) ~ group, conf.type = 'log-log')",
       times = times, at = at, full = full, reverse_median = as.list(rmed),
       rmst = list(tau = tau, rmean = as.list(rm[, "rmean"]), se = as.list(rm[, "se(rmean)"])))
}

survdiff_block <- function(fit) {
  list(groups = sub("^[^=]*=", "", names(fit$n)), chisq = fit$chisq, pvalue = fit$pvalue,
       df = sum(rowSums(as.matrix(fit$exp)) > 0) - 1,
       observed = unname(rowSums(as.matrix(fit$obs))),
       expected = unname(rowSums(as.matrix(fit$exp))),
       var = unname(fit$var))
}

cuminc_block <- function(d, times, strata = NULL, cause = 1) {
  fit <- if (is.null(strata)) cuminc(d$time, d$event, d$group, cencode = 0)
         else cuminc(d$time, d$event, d$group, strata = d[[strata]], cencode = 0)
  tp <- timepoints(fit, times)
  rows <- paste(levels(d$group), cause)
  est <- tp$est[rows, , drop = FALSE]
  v <- tp$var[rows, , drop = FALSE]
  # log(-log) interval on the incidence, survival's own transform
  ci <- survival:::survfit_confint(as.vector(est), sqrt(as.vector(v)), logse = FALSE,
                                   conf.type = "log-log", conf.int = 0.95)
  curves <- lapply(setNames(rows, levels(d$group)), function(r) fit[[r]])
  list(call = paste0("cuminc(time, event, group", if (!is.null(strata)) ", strata" else "",
                     ", cencode = 0); timepoints(fit, times)"),
       times = as.numeric(colnames(tp$est)),
       groups = levels(d$group),
       est = unname(est), var = unname(v),
       ci_low = matrix(ci$lower, nrow(est)), ci_high = matrix(ci$upper, nrow(est)),
       curves = curves,
       gray = list(stat = unname(fit$Tests[as.character(cause), "stat"]),
                   pv = unname(fit$Tests[as.character(cause), "pv"]),
                   df = unname(fit$Tests[as.character(cause), "df"])),
       gray_all = lapply(split(as.data.frame(fit$Tests), rownames(fit$Tests)), as.list))
}

aj_block <- function(d, times) {
  # survfit's multi-state Aalen-Johansen: same estimates as cuminc, processed with
  # all events at a tied time together
  d$ev <- factor(d$event, 0:2, c("censor", "reherniation", "competing"))
  fit <- survfit(Surv(time, ev) ~ group, data = d)
  s <- summary(fit, times = times, extend = TRUE)
  list(call = "survfit(Surv(time, factor(event, 0:2)) ~ group)",
       group = sub("^group=", "", as.character(s$strata)), time = s$time,
       incidence = unname(s$pstate[, which(fit$states == "reherniation")]))
}

# ---- small -------------------------------------------------------------------------
small_times <- sort(unique(c(0, 0.5, small$time, small$time + 0.5, 40)))
out <- list()
out$small <- list(
  km = km_block(small, small_times, tau = 20),
  rmst_beyond = {
    fit <- survfit(Surv(time, event == 1) ~ group, data = small)
    rm <- summary(fit, rmean = 29)$table
    list(tau = 29, rmean = unname(rm[, "rmean"]), se = unname(rm[, "se(rmean)"]))
  },
  rmst_any = {
    # composite endpoint: reherniation or competing event
    fit <- survfit(Surv(time, event > 0) ~ group, data = small)
    rm <- summary(fit, rmean = 20)$table
    list(tau = 20, rmean = unname(rm[, "rmean"]), se = unname(rm[, "se(rmean)"]))
  },
  survdiff = survdiff_block(survdiff(Surv(time, event == 1) ~ group, data = small)),
  survdiff_strata = survdiff_block(survdiff(Surv(time, event == 1) ~ group + strata(site),
                                            data = small)),
  survdiff_approach = survdiff_block(survdiff(Surv(time, event == 1) ~ approach, data = small)),
  cuminc = cuminc_block(small, small_times),
  cuminc_strata = cuminc_block(small, small_times, strata = "site"),
  aj = aj_block(small, small_times)
)

# ---- mgus2 -------------------------------------------------------------------------
mg_times <- c(1, 6, 12, 24, 60, 120, 240, 360)
out$mgus2 <- list(
  km = km_block(mg, mg_times, tau = 120),
  survdiff = survdiff_block(survdiff(Surv(time, event == 1) ~ group, data = mg)),
  survdiff_strata = survdiff_block(survdiff(Surv(time, event == 1) ~ group + strata(age70),
                                            data = mg)),
  cuminc = cuminc_block(mg, mg_times),
  cuminc_strata = cuminc_block(mg, mg_times, strata = "age70"),
  cuminc_death = {
    # event of interest 2 (death before progression): the same fit, the other cause
    b <- cuminc_block(mg, mg_times, cause = 2)
    b[c("times", "groups", "est", "var", "gray")]
  },
  aj = aj_block(mg, mg_times)
)

# ---- synthetic ---------------------------------------------------------------------
syn_times <- c(3, 12, 24, 60, 90)
syn$approach <- factor(syn$approach, levels = sort(unique(syn$approach)))
syn_appr <- syn
syn_appr$group <- syn$approach
out$synthetic <- list(
  km = km_block(syn, syn_times, tau = 60),
  survdiff = survdiff_block(survdiff(Surv(time, event == 1) ~ group, data = syn)),
  survdiff_strata = survdiff_block(survdiff(Surv(time, event == 1) ~ group + strata(site),
                                            data = syn)),
  survdiff_approach = survdiff_block(survdiff(Surv(time, event == 1) ~ approach, data = syn)),
  cuminc = cuminc_block(syn, syn_times),
  cuminc_strata = cuminc_block(syn, syn_times, strata = "site"),
  cuminc_approach = {
    b <- cuminc_block(syn_appr, syn_times)
    b[c("times", "groups", "est", "var", "gray")]
  },
  aj = aj_block(syn, syn_times)
)

# ---- random tie-heavy cohorts --------------------------------------------------------
# 25 small cohorts, times on 1..6 months (almost every time tied, across causes and with
# censoring), 2 or 3 groups that run out of patients at different times. Stresses the
# edge branches of cinc/crstm (multiple failures at one time, empty risk sets).
set.seed(20261124)
out$random <- lapply(1:25, function(i) {
  n <- sample(8:40, 1)
  k <- if (i %% 3 == 0) 3 else 2
  d <- data.frame(time = as.numeric(sample(1:6, n, replace = TRUE)),
                  event = sample(0:2, n, replace = TRUE, prob = c(0.4, 0.35, 0.25)),
                  group = sample(LETTERS[1:k], n, replace = TRUE))
  d$group <- factor(d$group)
  fit <- cuminc(d$time, d$event, d$group, cencode = 0)
  tp <- timepoints(fit, 1:6)
  rows <- paste(levels(d$group), 1)
  rows_ok <- rows[rows %in% rownames(tp$est)]
  sd <- if (sum(d$event == 1) > 0) survdiff(Surv(time, event == 1) ~ group, data = d) else NULL
  km <- survfit(Surv(time, event == 1) ~ group, data = d, conf.type = "log-log")
  s <- summary(km, times = 1:6, extend = TRUE)
  list(data = d[, c("time", "event")], group = as.character(d$group),
       groups = levels(d$group),
       est = unname(tp$est[rows_ok, , drop = FALSE]), var = unname(tp$var[rows_ok, , drop = FALSE]),
       gray = if (!is.null(fit$Tests)) unname(fit$Tests["1", "stat"]) else NULL,
       chisq = if (!is.null(sd)) sd$chisq else NULL,
       km = list(group = sub("^group=", "", as.character(s$strata)), time = s$time,
                 surv = s$surv, se = s$std.err))
})

out$versions <- list(R = R.version.string,
                     survival = as.character(packageVersion("survival")),
                     cmprsk = as.character(packageVersion("cmprsk")))

dir.create("tests/data/r", showWarnings = FALSE, recursive = TRUE)
write_json(out, "tests/data/r/survival_nonparametric.json", digits = NA, auto_unbox = TRUE,
           na = "null", pretty = FALSE)
cat("wrote tests/data/r/survival_nonparametric.json\n")
