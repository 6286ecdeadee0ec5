#!/usr/bin/env Rscript
# Reference values for the few-studies methods of recurrence.meta, from metafor 3.8-1
# (and lme4, through rma.glmm). Run from the repository root:
#
#     Rscript validation/r/meta_few_studies.R     # writes tests/data/r/meta_few_studies.json
#
# It reads the same study tables as validation/r/meta.R (tests/data/meta_*.csv) and
# tests/data/meta_reported.csv (hazard ratios as papers report them). Cases:
#   * adhoc: rma(test = "adhoc"), the modified Knapp-Hartung interval (Röver et al. 2015)
#   * glmm_or: rma.glmm(measure = "OR", model = "UM.FS"), default and tight optimizer
#   * generic: rma(yi = log(HR), sei = se) with se from the reported CI (or p-value)
#   * sensitivity: every frequentist row of recurrence.meta.sensitivity()
# Conventions as in meta.R: escalc(add = 1/2, to = "only0", drop00 = TRUE for RR/OR);
# I2 from QE; prediction interval b +- qt(.975, k - 2) * sqrt(tau2 + se^2), usual se.

suppressPackageStartupMessages({
  library(metafor)
  library(jsonlite)
})
stopifnot(packageVersion("metafor") == "3.8.1")
data_dir <- "tests/data"
CTRL <- list(threshold = 1e-13, maxiter = 10000, tol = 1e-12, stepadj = 0.5)
CTRL_TXT <- "control=list(threshold=1e-13, maxiter=10000, tol=1e-12, stepadj=0.5)"
TIGHT <- list(glmerCtrl = list(optimizer = "bobyqa", optCtrl = list(rhoend = 1e-12)))
TIGHT_TXT <- 'control=list(glmerCtrl=list(optimizer="bobyqa", optCtrl=list(rhoend=1e-12)))'
read_set <- function(name) read.csv(file.path(data_dir, paste0("meta_", name, ".csv")),
                                    stringsAsFactors = FALSE, encoding = "UTF-8")
num <- function(x) if (is.null(x) || length(x) == 0 || is.na(x)) NA_real_ else as.numeric(x)

two_arm <- function(d) d[!is.na(d$total_closure) & !is.na(d$total_control), ]
es <- function(d, measure) escalc(measure = measure, ai = d$events_closure, n1i = d$total_closure,
                                  ci = d$events_control, n2i = d$total_control, add = 0.5,
                                  to = "only0", drop00 = measure != "RD")
pi_of <- function(res, k) {
  if (res$method == "FE" || k < 3) return(c(NA, NA))
  se <- sqrt(1 / sum(1 / (res$vi + res$tau2)))
  half <- qt(0.975, k - 2) * sqrt(res$tau2 + se^2)
  c(res$beta - half, res$beta + half)
}
summ <- function(res, tf, k) {
  p <- pi_of(res, k)
  list(k = k, beta = c(res$beta), se = res$se, pvalue = res$pval, estimate = tf(c(res$beta)),
       ci_low = tf(res$ci.lb), ci_high = tf(res$ci.ub), tau2 = res$tau2,
       pi_low = if (is.na(p[1])) NA else tf(p[1]), pi_high = if (is.na(p[2])) NA else tf(p[2]))
}
cases <- list()
add <- function(x) cases[[length(cases) + 1]] <<- x

# ---------------------------------------------------------------- adhoc --------
for (name in c("bcg", "published", "two", "homogeneous", "heterogeneous")) {
  d <- two_arm(read_set(name))
  for (measure in c("RR", "OR", "RD")) {
    dat <- es(d, measure)
    k <- sum(!is.na(dat$yi))
    tf <- if (measure == "RD") identity else exp
    for (method in c("REML", "DL", "PM")) {
      res <- suppressWarnings(rma(yi, vi, data = dat, method = method, test = "adhoc",
                                  control = CTRL))
      add(list(kind = "adhoc", dataset = name, measure = measure, method = method,
               call = sprintf('rma(yi, vi, data=escalc("%s", ...), method="%s", test="adhoc", %s)',
                              measure, method, CTRL_TXT),
               values = summ(res, tf, k)))
    }
  }
}
d <- read_set("published")
for (arm in c("closure", "control")) {
  x <- d[[paste0("events_", arm)]]; n <- d[[paste0("total_", arm)]]
  keep <- !is.na(x); x <- x[keep]; n <- n[keep]
  dat <- escalc(measure = "PLO", xi = x, ni = n, add = 0.5, to = "only0")
  res <- suppressWarnings(rma(yi, vi, data = dat, method = "REML", test = "adhoc", control = CTRL))
  add(list(kind = "adhoc", dataset = "published", arm = arm, scale = "logit", method = "REML",
           call = sprintf('rma(yi, vi, data=escalc("PLO", xi, ni, add=0.5, to="only0"), method="REML", test="adhoc", %s)', CTRL_TXT),
           values = summ(res, transf.ilogit, length(x))))
}

# ---------------------------------------------------------------- GLMM, OR --------
for (name in c("bcg", "published", "heterogeneous", "homogeneous")) {
  d <- two_arm(read_set(name))
  for (tight in c(FALSE, TRUE)) {
    res <- suppressWarnings(rma.glmm(measure = "OR", ai = d$events_closure, n1i = d$total_closure,
                                     ci = d$events_control, n2i = d$total_control,
                                     model = "UM.FS", control = if (tight) TIGHT else list()))
    k <- res$k
    add(list(kind = "glmm_or", dataset = name, tight = tight,
             call = sprintf('rma.glmm(measure="OR", ai, n1i, ci, n2i, model="UM.FS"%s)',
                            if (tight) paste0(", ", TIGHT_TXT) else ""),
             values = list(k = k, beta = c(res$beta), se = res$se, pvalue = res$pval,
                           estimate = exp(c(res$beta)), ci_low = exp(res$ci.lb),
                           ci_high = exp(res$ci.ub), tau2 = res$tau2)))
  }
}

# ---------------------------------------------------------------- generic --------
r <- read.csv(file.path(data_dir, "meta_reported.csv"), stringsAsFactors = FALSE)
z <- qnorm(0.975)
sei <- ifelse(!is.na(r$se_log), r$se_log,
              ifelse(!is.na(r$ci_low), (log(r$ci_high) - log(r$ci_low)) / (2 * z),
                     abs(log(r$hr)) / qnorm(1 - r$pvalue / 2)))
for (method in c("FE", "DL", "REML", "PM")) for (test in c("z", "knha", "adhoc")) {
  if (method == "FE" && test != "z") next
  res <- suppressWarnings(rma(yi = log(r$hr), sei = sei, method = method, test = test,
                              control = CTRL))
  add(list(kind = "generic", dataset = "reported", method = method, test = test,
           call = sprintf(paste0('rma(yi=log(hr), sei=se, method="%s", test="%s"); se from the ',
                                 'CI (log(hi)-log(lo))/(2*qnorm(.975)), else |log hr|/qnorm(1-p/2)'),
                          method, test),
           values = c(summ(res, exp, nrow(r)), list(yi = log(r$hr), vi = sei^2))))
}

# ---------------------------------------------------------------- sensitivity rows ----
sens_rows <- function(dat, tf, k, mh = NULL, peto = NULL, glmm = NULL) {
  rows <- list()
  fit <- function(method, test = "z") suppressWarnings(rma(yi, vi, data = dat, method = method,
                                                           test = test, control = CTRL))
  rows[["FE"]] <- summ(fit("FE"), tf, k)
  if (!is.null(mh)) rows[["MH"]] <- mh
  if (!is.null(peto)) rows[["Peto"]] <- peto
  rows[["DL"]] <- summ(fit("DL"), tf, k)
  rows[["REML"]] <- summ(fit("REML"), tf, k)
  rows[["REML + HKSJ"]] <- summ(fit("REML", "knha"), tf, k)
  rows[["REML + adhoc"]] <- summ(fit("REML", "adhoc"), tf, k)
  rows[["PM"]] <- summ(fit("PM"), tf, k)
  if (!is.null(glmm)) rows[["GLMM"]] <- glmm
  rows
}
fixed_row <- function(res, tf) list(k = res$k, beta = c(res$beta), se = res$se,
                                    estimate = tf(c(res$beta)), ci_low = tf(res$ci.lb),
                                    ci_high = tf(res$ci.ub), tau2 = 0, pi_low = NA, pi_high = NA)
for (s in list(list("published", "RR"), list("published", "OR"), list("bcg", "OR"),
               list("heterogeneous", "RR"), list("bcg", "RD"))) {
  name <- s[[1]]; measure <- s[[2]]
  d <- two_arm(read_set(name))
  dat <- es(d, measure)
  k <- sum(!is.na(dat$yi))
  tf <- if (measure == "RD") identity else exp
  mh <- fixed_row(rma.mh(ai = d$events_closure, n1i = d$total_closure, ci = d$events_control,
                         n2i = d$total_control, measure = measure, drop00 = measure != "RD"), tf)
  peto <- if (measure == "OR") fixed_row(rma.peto(ai = d$events_closure, n1i = d$total_closure,
                                                  ci = d$events_control, n2i = d$total_control,
                                                  add = 0, to = "none", drop00 = TRUE), tf)
  glmm <- NULL
  if (measure == "OR") {
    g <- suppressWarnings(rma.glmm(measure = "OR", ai = d$events_closure, n1i = d$total_closure,
                                   ci = d$events_control, n2i = d$total_control,
                                   model = "UM.FS", control = TIGHT))
    p <- if (g$k >= 3) c(g$beta, g$beta) + c(-1, 1) * qt(0.975, g$k - 2) * sqrt(g$tau2 + g$se^2)
         else c(NA, NA)
    glmm <- list(k = g$k, beta = c(g$beta), se = g$se, estimate = exp(c(g$beta)),
                 ci_low = exp(g$ci.lb), ci_high = exp(g$ci.ub), tau2 = g$tau2,
                 pi_low = exp(p[1]), pi_high = exp(p[2]))
  }
  add(list(kind = "sensitivity", dataset = name, measure = measure,
           call = paste0("rma(method=FE/DL/REML/PM, test=z/knha/adhoc, ", CTRL_TXT,
                         "), rma.mh, rma.peto(add=0, to='none'), rma.glmm(model='UM.FS', ",
                         TIGHT_TXT, ")"),
           rows = sens_rows(dat, tf, k, mh, peto, glmm)))
}
d <- read_set("published")
x <- d$events_closure; n <- d$total_closure
dat <- escalc(measure = "PLO", xi = x, ni = n, add = 0.5, to = "only0")
g <- suppressWarnings(rma.glmm(measure = "PLO", xi = x, ni = n, control = list(
  glmerCtrl = list(optimizer = "bobyqa", optCtrl = list(rhoend = 1e-12)))))
p <- c(g$beta, g$beta) + c(-1, 1) * qt(0.975, g$k - 2) * sqrt(g$tau2 + g$se^2)
glmm <- list(k = g$k, beta = c(g$beta), se = g$se, estimate = transf.ilogit(c(g$beta)),
             ci_low = transf.ilogit(g$ci.lb), ci_high = transf.ilogit(g$ci.ub), tau2 = g$tau2,
             pi_low = transf.ilogit(p[1]), pi_high = transf.ilogit(p[2]))
add(list(kind = "sensitivity", dataset = "published", measure = "proportion", arm = "closure",
         call = paste0("escalc('PLO', add=0.5, to='only0'); rma(...), rma.glmm(measure='PLO', ",
                       TIGHT_TXT, ")"),
         rows = sens_rows(dat, transf.ilogit, length(x), glmm = glmm)))

write_json(cases, file.path(data_dir, "r", "meta_few_studies.json"), digits = NA,
           auto_unbox = TRUE, na = "null")
cat("wrote", length(cases), "cases\n")
