# Reference values for the cohort analyses a reviewer asks for (recurrence.survival.
# risk_difference, adjusted_incidence; recurrence.impute(...).fit pooling; recurrence.evalue).
#
# Run from the repository root, after the Python script that writes two of the data sets:
#   uv run python validation/cohort_analyses_data.py
#   Rscript validation/r/cohort_analyses.R
# Writes tests/data/r/cohort_analyses.json (digits = NA: full precision). Used by
# tests/test_survival_absolute.py, tests/test_survival_adjusted.py, tests/test_imputation.py
# and tests/test_confounding.py.
# Produced with R 4.2.2, survival 3.5-3, cmprsk 2.2-11, riskRegression 2022.11.28,
# mice 3.15.0 (broom 1.0.3 tidies coxph for pool).
#
# Data sets
# - data/synthetic/cohort.csv: the packaged cohort (2,000 patients, randomized closure).
# - tests/data/surv_mgus2.csv: survival::mgus2 as competing risks, heavy ties (by sex).
# - tests/data/surv_models_confounded.csv: simulate_cohort(3000, seed=2027, confounded=TRUE);
#   times in whole days, so tied event times occur.
# - tests/data/cohort_untied.csv: simulate_cohort(600, seed=31, confounded=True) with
#   distinct times (validation/cohort_analyses_data.py).
# - tests/data/impute_completed.csv: 5 completed cohorts of recurrence.impute, stacked
#   (column imp).
#
# References computed here by hand (no package does them), said where they are:
# - Altman's NNT interval (BMJ 1998;317:1309) from the Wald interval of the difference.
# - The IPTW influence function including the propensity model: by central numerical
#   differentiation of the whole procedure (glm with case weights, weighted survfit) with
#   respect to each patient's case weight (the infinitesimal jackknife), step 1e-6.
# - The G-formula's exact influence function (coxph's dfbeta, exact product-limit
#   derivative): the same numerical differentiation of coxph (weights) + survfit.coxph
#   baseline + standardization, on the data without ties.
# - E-values (EValue is not installed): VanderWeele & Ding 2017 formulas written out below.

suppressPackageStartupMessages({
  library(survival)
  library(cmprsk)
  library(riskRegression)
  library(prodlim)
  library(mice)
  library(jsonlite)
})

yes_no <- function(d, cols) { for (v in cols) d[[v]] <- as.integer(d[[v]] %in% c("True", "TRUE", "true", "1")); d }

out <- list(versions = list(R = R.version.string,
                            survival = as.character(packageVersion("survival")),
                            cmprsk = as.character(packageVersion("cmprsk")),
                            riskRegression = as.character(packageVersion("riskRegression")),
                            mice = as.character(packageVersion("mice"))))

# ---- risk difference: cuminc + timepoints, Wald, Altman NNT -------------------------
altman <- function(d, lo, hi) {
  # the NNT of the estimate's kind and its interval (inf when the CI of d includes 0),
  # the other kind's limit when it does
  nnt <- 1 / abs(d)
  if (hi < 0 || lo > 0) {
    lims <- sort(c(1 / abs(lo), 1 / abs(hi)))
    return(list(nnt = nnt, low = lims[1], high = lims[2], other = NA))
  }
  nntb <- 1 / abs(lo); nnth <- 1 / hi
  if (d < 0) list(nnt = nnt, low = nntb, high = "Inf", other = nnth)
  else list(nnt = nnt, low = nnth, high = "Inf", other = nntb)
}

rd_block <- function(time, event, group, ref, trt, times, call) {
  ci <- cuminc(time, event, group, cencode = 0)
  tp <- timepoints(ci, times)
  k0 <- paste(ref, 1); k1 <- paste(trt, 1)
  f0 <- tp$est[k0, ]; f1 <- tp$est[k1, ]; v0 <- tp$var[k0, ]; v1 <- tp$var[k1, ]
  d <- f1 - f0; se <- sqrt(v0 + v1); z <- qnorm(0.975)
  lo <- d - z * se; hi <- d + z * se
  nn <- lapply(seq_along(d), function(i) altman(d[i], lo[i], hi[i]))
  list(call = call, times = times, risk_control = unname(f0), risk_closure = unname(f1),
       var_control = unname(v0), var_closure = unname(v1), difference = unname(d),
       ci_low = unname(lo), ci_high = unname(hi),
       nnt = sapply(nn, `[[`, "nnt"), nnt_ci_low = sapply(nn, `[[`, "low"),
       nnt_ci_high = sapply(nn, function(x) x$high), nnt_ci_other = sapply(nn, function(x) x$other))
}

syn <- yes_no(read.csv("data/synthetic/cohort.csv", stringsAsFactors = FALSE), c("closure", "smoker", "diabetes"))
grp <- ifelse(syn$closure == 1, "closure", "no closure")
rd <- list()
rd$synthetic <- rd_block(syn$time, syn$event, grp, "no closure", "closure", c(3, 12, 24, 60),
  "timepoints(cuminc(time, event, closure, cencode = 0), c(3, 12, 24, 60)); d = F(closure) - F(no closure); se = sqrt(v1 + v0)")
mg <- read.csv("tests/data/surv_mgus2.csv", stringsAsFactors = FALSE)
rd$mgus2 <- rd_block(mg$time, mg$event, mg$sex, "F", "M", c(12, 60, 120, 240),
  "timepoints(cuminc(time, event, sex, cencode = 0), c(12, 60, 120, 240)); d = F(M) - F(F)")
out$risk_difference <- rd

# ---- G-formula: riskRegression::ate --------------------------------------------------
ate_block <- function(d, covs, times, call) {
  d$closure <- factor(d$closure)
  f <- as.formula(paste("Hist(time, event) ~ closure +", paste(covs, collapse = " + ")))
  csc <- eval(bquote(CSC(.(f), data = d)))
  a <- ate(csc, treatment = "closure", cause = 1, times = times, data = d, verbose = FALSE)
  mr <- as.data.frame(a$meanRisk); dr <- as.data.frame(a$diffRisk)
  list(call = call, times = times,
       risk_control = mr$estimate[mr$treatment == "0"], se_control = mr$se[mr$treatment == "0"],
       ci_low_control = mr$lower[mr$treatment == "0"], ci_high_control = mr$upper[mr$treatment == "0"],
       risk_closure = mr$estimate[mr$treatment == "1"], se_closure = mr$se[mr$treatment == "1"],
       ci_low_closure = mr$lower[mr$treatment == "1"], ci_high_closure = mr$upper[mr$treatment == "1"],
       difference = dr$estimate, se_difference = dr$se, ci_low = dr$lower, ci_high = dr$upper,
       pvalue = dr$p.value)
}
conf <- yes_no(read.csv("tests/data/surv_models_confounded.csv", stringsAsFactors = FALSE), c("closure", "smoker", "diabetes"))
unt <- yes_no(read.csv("tests/data/cohort_untied.csv", stringsAsFactors = FALSE), c("closure", "smoker"))
covs <- c("age", "smoker", "defect_width_mm")
gf <- list()
gf$confounded <- ate_block(conf, covs, c(12, 24, 60),
  "ate(CSC(Hist(time, event) ~ closure + age + smoker + defect_width_mm, data), treatment = 'closure', cause = 1, times = c(12, 24, 60), data)")
gf$untied <- ate_block(unt, covs, c(6, 24, 48),
  "ate(CSC(Hist(time, event) ~ closure + age + smoker + defect_width_mm, data = untied), treatment = 'closure', cause = 1, times = c(6, 24, 48))")

# the exact influence function by numerical differentiation (case weights)
gformula_w <- function(d, cw, times) {
  fml <- function(k) as.formula(paste0("Surv(time, event == ", k, ") ~ closure + ", paste(covs, collapse = " + ")))
  f1 <- coxph(fml(1), data = d, weights = cw, control = coxph.control(eps = 1e-12, toler.chol = 1e-13, iter.max = 100))
  f2 <- coxph(fml(2), data = d, weights = cw, control = coxph.control(eps = 1e-12, toler.chol = 1e-13, iter.max = 100))
  b1 <- basehaz(f1, centered = FALSE); b2 <- basehaz(f2, centered = FALSE)
  grid <- sort(unique(c(b1$time, b2$time)))
  H1 <- approx(b1$time, b1$hazard, grid, method = "constant", f = 0, yleft = 0, rule = 2)$y
  H2 <- approx(b2$time, b2$hazard, grid, method = "constant", f = 0, yleft = 0, rule = 2)$y
  dH1 <- diff(c(0, H1)); dH2 <- diff(c(0, H2))
  X <- as.matrix(d[, c("closure", covs)])
  res <- c()
  for (a0 in 0:1) {
    Xa <- X; Xa[, "closure"] <- a0
    r1 <- exp(drop(Xa %*% coef(f1))); r2 <- exp(drop(Xa %*% coef(f2)))
    h1 <- outer(r1, dH1); h2 <- outer(r2, dH2)
    S <- t(apply(1 - h1 - h2, 1, cumprod)); Sm <- cbind(1, S[, -ncol(S)])
    Fi <- t(apply(Sm * h1, 1, cumsum))
    idx <- findInterval(times, grid)
    res <- c(res, colSums(cw * Fi[, idx, drop = FALSE]) / sum(cw))
  }
  res
}
numerical_iid <- function(fun, n, h = 1e-6) {
  t(sapply(seq_len(n), function(j) {
    up <- rep(1, n); up[j] <- 1 + h; dn <- rep(1, n); dn[j] <- 1 - h
    (fun(up) - fun(dn)) / (2 * h)
  }))
}
ij <- numerical_iid(function(cw) gformula_w(unt, cw, c(6, 24, 48)), nrow(unt))
gf$untied$exact_se <- unname(sqrt(colSums(ij^2)))  # control 6, 24, 48, then closure
gf$untied$exact_call <- "sqrt(colSums(IJ^2)), IJ = d/d(case weight) of standardized product-limit F1 from coxph(weights) + basehaz, central differences h = 1e-6"
out$gformula <- gf

# ---- IPTW: weighted Aalen-Johansen ----------------------------------------------------
iptw_ps <- function(d, cw) {
  ps <- fitted(glm(closure ~ age + smoker + defect_width_mm, family = quasibinomial, data = d, weights = cw))
  p1 <- sum(cw * d$closure) / sum(cw)
  ifelse(d$closure == 1, p1 / ps, (1 - p1) / (1 - ps))
}
iptw_curve <- function(d, w, times) {
  fit <- survfit(Surv(time, factor(event)) ~ closure, data = d, weights = w)
  s <- summary(fit, times = times, extend = TRUE)
  list(est = s$pstate[, 2], se = s$std.err[, 2], strata = as.character(s$strata))
}
iptw_block <- function(d, times, numeric, call) {
  w <- iptw_ps(d, rep(1, nrow(d)))
  cur <- iptw_curve(d, w, times)
  ctl <- grepl("closure=0", cur$strata); trt <- grepl("closure=1", cur$strata)
  res <- list(call = call, times = times, weights = unname(w),
              risk_control = unname(cur$est[ctl]), risk_closure = unname(cur$est[trt]),
              se_fixed_weights_control = unname(cur$se[ctl]), se_fixed_weights_closure = unname(cur$se[trt]))
  if (numeric) {
    fun <- function(cw) { c <- iptw_curve(d, cw * iptw_ps(d, cw), times); c(c$est[ctl], c$est[trt]) }
    ij <- numerical_iid(fun, nrow(d))
    se <- sqrt(colSums(ij^2)); k <- length(times)
    res$se_control <- unname(se[1:k]); res$se_closure <- unname(se[k + 1:k])
    res$se_difference <- unname(sqrt(colSums((ij[, k + 1:k] - ij[, 1:k])^2)))
    res$numeric_call <- "IJ of glm(closure ~ age + smoker + defect_width_mm, weights = cw) + survfit(Surv(time, factor(event)) ~ closure, weights = cw * w(cw)), central differences h = 1e-6"
  }
  res
}
ip <- list()
ip$confounded <- iptw_block(conf, c(12, 24, 60), FALSE,
  "survfit(Surv(time, factor(event)) ~ closure, weights = w); w stabilized ATE weights from glm(closure ~ age + smoker + defect_width_mm, binomial)")
ip$untied <- iptw_block(unt, c(6, 24, 48), TRUE, "as confounded, on cohort_untied.csv")
out$iptw <- ip

# ---- mice::pool on the completed data sets -------------------------------------------
imp <- yes_no(read.csv("tests/data/impute_completed.csv", stringsAsFactors = FALSE), c("closure", "smoker"))
fits <- lapply(split(imp, imp$imp), function(d)
  coxph(Surv(time, event == 1) ~ closure + smoker + defect_width_mm + age + level, data = d,
        control = coxph.control(eps = 1e-10, iter.max = 100)))
pooled <- pool(as.mira(fits))
sm <- summary(pooled, conf.int = TRUE)
pp <- pooled$pooled
out$pool <- list(
  call = "summary(pool(as.mira(lapply(split(completed, completed$imp), function(d) coxph(Surv(time, event == 1) ~ closure + smoker + defect_width_mm + age + level, data = d)))), conf.int = TRUE)",
  terms = as.character(sm$term), coef = sm$estimate, se = sm$std.error, df = sm$df,
  pvalue = sm$p.value, ci_low = sm[["2.5 %"]], ci_high = sm[["97.5 %"]],
  fmi = pp$fmi, riv = pp$riv, lambda = pp$lambda, ubar = pp$ubar, b = pp$b, dfcom = pp$dfcom[1],
  m = pp$m[1])

# ---- E-values (VanderWeele & Ding 2017), written out -----------------------------------
ev_rr <- function(rr) { rr <- ifelse(rr < 1, 1 / rr, rr); rr + sqrt(rr * (rr - 1)) }
to_rr <- function(x, measure, rare) {
  if (measure == "RR" || rare) return(x)
  if (measure == "OR") return(sqrt(x))
  (1 - 0.5^sqrt(x)) / (1 - 0.5^sqrt(1 / x))
}
ev_ci <- function(est, lo, hi) {
  if (est >= 1) { if (lo <= 1) 1 else ev_rr(lo) } else { if (hi >= 1) 1 else ev_rr(hi) }
}
cases <- list(
  list(est = 3.9, lo = 1.8, hi = 8.7, measure = "RR", rare = FALSE),
  list(est = 10.73, lo = 8.02, hi = 14.36, measure = "RR", rare = FALSE),
  list(est = 0.5, lo = 0.35, hi = 0.7, measure = "HR", rare = FALSE),
  list(est = 0.5, lo = 0.35, hi = 0.7, measure = "HR", rare = TRUE),
  list(est = 2.2, lo = 1.1, hi = 4.4, measure = "HR", rare = FALSE),
  list(est = 0.6, lo = 0.4, hi = 0.9, measure = "OR", rare = FALSE),
  list(est = 1.7, lo = 1.2, hi = 2.4, measure = "OR", rare = TRUE),
  list(est = 0.8, lo = 0.6, hi = 1.1, measure = "HR", rare = FALSE)
)
out$evalue <- lapply(cases, function(c) {
  rr <- to_rr(c$est, c$measure, c$rare); lo <- to_rr(c$lo, c$measure, c$rare); hi <- to_rr(c$hi, c$measure, c$rare)
  c(c, list(rr = rr, evalue = ev_rr(rr), evalue_ci = ev_ci(rr, lo, hi)))
})

writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, na = "null", pretty = TRUE),
           "tests/data/r/cohort_analyses.json")
cat("wrote tests/data/r/cohort_analyses.json\n")
