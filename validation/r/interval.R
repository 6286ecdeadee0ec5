# Reference values for the interval-censored and parametric models of recurrence.survival
# (turnbull, parametric, cure): survival::survfit (Turnbull), survival::survreg, and a
# mixture cure likelihood written here (flexsurvcure is not available).
#
# Run from the repository root:
#   Rscript validation/r/interval.R
# Writes tests/data/r/interval.json and tests/data/interval_cosmesis.csv. Used by
# tests/test_survival_turnbull_r.py, tests/test_survival_parametric_r.py and
# tests/test_survival_cure_r.py. Produced with R 4.2.2, survival 3.5-3, numDeriv.
#
# Data sets
# - Breast cosmesis (Finkelstein & Wolfe 1985, Biometrics 41:933-945; Finkelstein 1986):
#   time to breast retraction (months) in 46 patients treated with radiotherapy alone and
#   48 with radiotherapy plus chemotherapy, every retraction known only between two
#   visits. Typed in below from the published table as distributed with the R package
#   MLEcens (`cosmesis`, where 100 stands for infinity: right-censored at the left end).
#   Written to tests/data/interval_cosmesis.csv as a cohort table: `chemo` (yes/no),
#   `time` (the visit that found the retraction, or the last visit without), `event`,
#   `time_left` (the last visit without retraction; 0 when found at the first visit).
#   The Python tests read it through load_cohort(columns = {"chemo": "closure"}).
# - tests/data/interval_visits.csv: recurrence.simulate_cohort(500, seed = 2027,
#   visits = c(1.5, 3, 6, 12, 24, 36, 60), population = "large_defect"), columns
#   patient_id, closure, time, event, time_left, age, smoker, level; made once in Python.
#   "mixed": the same with every third reherniation (row number divisible by 3) taken
#   as observed on its day (time_left emptied), so exact and interval-censored events mix.
# - data/synthetic/cohort.csv: the packaged synthetic cohort (2,000 patients,
#   right-censored).
#
# Conventions (the Python side builds the same):
# - Turnbull: Surv(left, right, type = "interval2") with left = time_left (0 allowed:
#   an interval (0, time]) and right = time for reherniations with time_left; left =
#   right = time for reherniations on a known day; left = time, right = NA for the rest
#   (competing events censored). survfit's Turnbull iteration stops when the curve moves
#   less than 5e-5 in an iteration; the same function with that threshold lowered to
#   1e-13 (`surv_tight`) is the converged maximum.
# - survreg: the same intervals, except that a left end of 0 is NA (left-censored: the
#   same likelihood, F(t) - F(0) = F(t); survreg refuses log 0). rel.tolerance = 1e-12.
# - Cure model: S(t) = pi + (1 - pi) S_u(t), S_u a survreg-scale latency
#   (log T = mu + sigma W), theta = (logit pi, mu, log sigma). Maximised with optim (BFGS,
#   reltol 1e-16) then Newton steps on numDeriv's Richardson gradient and Hessian until
#   the step is below 1e-11. When the score d loglik / d pi at pi = 0 (latency at its
#   no-cure maximum) is <= 0 the maximum is on the boundary pi = 0. Interval: profile
#   likelihood, {pi : 2 (l_hat - l_p(pi)) <= qchisq(0.95, 1)}, by uniroot (tol 1e-12) on
#   the logit scale, the latency re-maximised at each pi; lower end 0 when
#   2 (l_hat - l_p(0)) <= qchisq(0.95, 1). Standard errors: numDeriv Hessian.

suppressPackageStartupMessages({
  library(survival)
  library(jsonlite)
  library(numDeriv)
})

out <- list(versions = list(R = R.version.string,
                            survival = as.character(packageVersion("survival")),
                            numDeriv = as.character(packageVersion("numDeriv"))))
yes_no <- function(x) as.integer(x %in% c("True", "TRUE", "true", "1", "yes"))

# ---- data -------------------------------------------------------------------------------
cos_left <- c(45, 6, 0, 46, 46, 7, 17, 7, 37, 0, 4, 15, 11, 22, 46, 46, 25, 46, 26, 46, 27,
              36, 46, 36, 37, 40, 17, 46, 11, 38, 5, 37, 0, 18, 24, 36, 5, 19, 17, 24, 32, 33,
              19, 37, 34, 36,
              8, 0, 24, 17, 17, 24, 16, 13, 11, 16, 18, 17, 32, 23, 44, 14, 0, 5, 12, 11, 33,
              31, 13, 19, 34, 13, 16, 35, 15, 11, 22, 10, 30, 13, 10, 8, 4, 11, 14, 4, 34, 30,
              18, 16, 35, 21, 11, 48)
cos_right <- c(100, 10, 7, 100, 100, 16, 100, 14, 44, 8, 11, 100, 15, 100, 100, 100, 37, 100,
               40, 100, 34, 44, 100, 48, 100, 100, 25, 100, 18, 100, 12, 100, 5, 100, 100, 100,
               11, 35, 25, 100, 100, 100, 26, 100, 100, 100,
               12, 22, 31, 27, 23, 30, 24, 100, 13, 20, 25, 26, 100, 100, 48, 17, 5, 8, 20,
               100, 40, 100, 39, 32, 100, 100, 24, 100, 22, 17, 32, 35, 34, 100, 17, 21, 9,
               100, 19, 8, 100, 36, 24, 60, 39, 100, 20, 100)
cos_tr <- rep(c(0L, 1L), c(46, 48))
stopifnot(length(cos_left) == 94, length(cos_right) == 94)
censored <- cos_right == 100
cosmesis <- data.frame(
  patient_id = sprintf("C%02d", seq_along(cos_left)),
  chemo = ifelse(cos_tr == 1, "yes", "no"),
  time = ifelse(censored, cos_left, cos_right),
  event = ifelse(censored, 0L, 1L),
  time_left = ifelse(censored, NA, cos_left)
)
write.csv(cosmesis, "tests/data/interval_cosmesis.csv", row.names = FALSE, na = "", quote = FALSE)
cosmesis$closure <- as.integer(cosmesis$chemo == "yes")

visits <- read.csv("tests/data/interval_visits.csv", stringsAsFactors = FALSE)
visits$closure <- yes_no(visits$closure)
visits$smoker <- yes_no(visits$smoker)
mixed <- visits
third <- seq_len(nrow(mixed)) %% 3 == 0 & mixed$event == 1
mixed$time_left[third] <- NA
synthetic <- read.csv("data/synthetic/cohort.csv", stringsAsFactors = FALSE)
synthetic$closure <- yes_no(synthetic$closure)
synthetic$smoker <- yes_no(synthetic$smoker)

# the censoring intervals of a cohort table (see Conventions)
bounds <- function(d, survreg = FALSE) {
  iv <- d$event == 1 & !is.na(d$time_left)
  ex <- d$event == 1 & is.na(d$time_left)
  left <- ifelse(iv, d$time_left, d$time)
  right <- ifelse(iv | ex, d$time, NA)
  if (survreg) left[iv & d$time_left == 0] <- NA
  list(left = left, right = right)
}

# ---- Turnbull ---------------------------------------------------------------------------
tight_turnbull <- local({
  src <- deparse(survival:::survfitTurnbull)
  stopifnot(sum(grepl("eps > 5e-05", src, fixed = TRUE)) == 1)
  f <- eval(parse(text = sub("eps > 5e-05", "eps > 1e-13 && iter < 200000", src, fixed = TRUE)))
  environment(f) <- asNamespace("survival")
  f
})

turnbull_ref <- function(d, by, call, times) {
  b <- bounds(d)
  y <- Surv(b$left, b$right, type = "interval2")
  g <- if (is.null(by)) factor(rep("all", nrow(d))) else factor(d[[by]])
  fit <- survfit(y ~ g)
  tight <- tight_turnbull(g, y, rep(1, nrow(d)), conf.type = "none", se.fit = FALSE)
  strata <- if (is.null(fit$strata)) c(all = length(fit$time)) else fit$strata
  tstrata <- if (is.null(tight$strata)) c(all = length(tight$time)) else tight$strata
  stopifnot(all(strata == tstrata))
  grp <- rep(seq_along(strata), strata)
  groups <- lapply(seq_along(strata), function(k) {
    s <- summary(fit[k], times = times, extend = FALSE)
    st <- tight$surv[grp == k]
    tt <- tight$time[grp == k]
    list(level = levels(g)[k], time = fit$time[grp == k], surv = fit$surv[grp == k],
         surv_tight = st, summary_times = s$time, summary_surv = s$surv,
         summary_tight = sapply(s$time, function(t) st[max(which(tt <= t))]))
  })
  list(call = call, groups = groups)
}
tb_times <- c(3, 6, 12, 18, 24, 36, 48)
out$turnbull <- list(
  cosmesis = turnbull_ref(cosmesis, "closure",
    'survfit(Surv(left, right, type = "interval2") ~ chemo, data = cosmesis)', c(5, 10, 20, 30, 40)),
  visits = turnbull_ref(visits, "closure",
    'survfit(Surv(left, right, type = "interval2") ~ closure, data = visits)', tb_times),
  mixed = turnbull_ref(mixed, "closure",
    'survfit(Surv(left, right, type = "interval2") ~ closure, data = mixed)', tb_times),
  visits_all = turnbull_ref(visits, NULL,
    'survfit(Surv(left, right, type = "interval2") ~ 1, data = visits)', tb_times)
)

# ---- survreg ----------------------------------------------------------------------------
surv_s <- function(z, dist) switch(dist, exponential = , weibull = exp(-exp(z)),
                                   lognormal = pnorm(-z), loglogistic = 1 / (1 + exp(z)))
pred_times <- c(12, 60, 120)
survreg_ref <- function(d, rhs, dist, interval, label) {
  if (interval) {
    b <- bounds(d, survreg = TRUE)
    d$.l <- b$left; d$.r <- b$right
    f <- as.formula(paste('Surv(.l, .r, type = "interval2") ~', rhs))
    call <- sprintf('survreg(Surv(left, right, type = "interval2") ~ %s, data = %s, dist = "%s")', rhs, label, dist)
  } else {
    d$.e <- as.integer(d$event == 1)
    f <- as.formula(paste("Surv(time, .e) ~", rhs))
    call <- sprintf('survreg(Surv(time, event == 1) ~ %s, data = %s, dist = "%s")', rhs, label, dist)
  }
  fit <- survreg(f, data = d, dist = dist, control = survreg.control(rel.tolerance = 1e-12, maxiter = 100))
  v <- vcov(fit)
  lp <- predict(fit, newdata = d[1:5, ], type = "lp")
  pred <- t(sapply(lp, function(m) surv_s((log(pred_times) - m) / fit$scale, dist)))
  list(call = paste0(call, ", control = survreg.control(rel.tolerance = 1e-12)"),
       terms = names(coef(fit)), coef = unname(coef(fit)),
       log_scale = if (dist == "exponential") 0 else log(fit$scale),
       se = unname(sqrt(diag(v))), loglik = fit$loglik[2], aic = AIC(fit),
       n = nrow(d), iterations = fit$iter, pred_times = pred_times,
       pred_surv = lapply(seq_len(nrow(pred)), function(i) unname(pred[i, ])))
}
dists <- c("exponential", "weibull", "lognormal", "loglogistic")
out$survreg <- list()
for (dist in dists) {
  out$survreg[[paste0("cosmesis_", dist)]] <- survreg_ref(cosmesis, "closure", dist, TRUE, "cosmesis")
  out$survreg[[paste0("visits_", dist)]] <- survreg_ref(visits, "closure + age + smoker", dist, TRUE, "visits")
  out$survreg[[paste0("visits_right_", dist)]] <- survreg_ref(visits, "closure + age + smoker", dist, FALSE, "visits")
  out$survreg[[paste0("mixed_", dist)]] <- survreg_ref(mixed, "closure + smoker", dist, TRUE, "mixed")
  out$survreg[[paste0("synthetic_", dist)]] <- survreg_ref(synthetic, "closure + age + smoker + defect_width_mm + level", dist, FALSE, "synthetic")
}

# ---- mixture cure -----------------------------------------------------------------------
log_f0 <- function(z, dist) switch(dist, exponential = , weibull = z - exp(z),
                                   lognormal = dnorm(z, log = TRUE),
                                   loglogistic = z - 2 * log1p(exp(z)))
cure_ll <- function(theta, d, dist) {
  pi <- plogis(theta[1]); mu <- theta[2]
  s <- if (dist == "exponential") 0 else theta[3]
  sig <- exp(s)
  ex <- d$kind == 1; rc <- d$kind == 0; iv <- d$kind == 3
  zl <- (log(d$left) - mu) / sig
  zr <- (log(d$right) - mu) / sig
  sum(log(1 - pi) + log_f0(zl[ex], dist) - s - log(d$left[ex])) +
    sum(log(pi + (1 - pi) * surv_s(zl[rc], dist))) +
    sum(log(1 - pi) + log(surv_s(zl[iv], dist) - surv_s(zr[iv], dist)))
}
newton <- function(f, p) {
  for (i in 1:100) {
    step <- solve(numDeriv::hessian(f, p), numDeriv::grad(f, p))
    p <- p - step
    if (max(abs(step)) < 1e-11) break
  }
  p
}
maximise <- function(f, start) {
  o <- optim(start, function(p) { v <- -f(p); if (is.finite(v)) v else 1e300 }, method = "BFGS",
             control = list(reltol = 1e-16, maxit = 10000))
  newton(f, o$par)
}
cure_group <- function(d, dist, level = 0.95) {
  crit <- qchisq(level, 1)
  k <- if (dist == "exponential") 1 else 2
  ev <- d$kind != 0
  pts <- log(ifelse(d$kind == 3, d$right, d$left))[ev]
  latency_at <- function(a, start = c(mean(pts), 0)[1:k]) {
    f <- function(p) cure_ll(c(a, p), d, dist)
    p <- maximise(f, start)
    list(par = p, ll = f(p))
  }
  none <- latency_at(-Inf)
  z <- (log(d$left[d$kind == 0]) - none$par[1]) / exp(if (k == 2) none$par[2] else 0)
  score0 <- sum((1 - surv_s(z, dist)) / surv_s(z, dist)) - sum(ev)
  if (score0 <= 0) {
    theta <- c(-Inf, none$par); ll <- none$ll; boundary <- TRUE
    se <- c(NA, sqrt(diag(solve(-numDeriv::hessian(function(p) cure_ll(c(-Inf, p), d, dist), none$par)))))
  } else {
    f <- function(t) cure_ll(t, d, dist)
    theta <- maximise(f, c(0, none$par)); ll <- f(theta); boundary <- FALSE
    se <- sqrt(diag(solve(-numDeriv::hessian(f, theta))))
  }
  deficit <- function(a) 2 * (ll - latency_at(a, theta[-1])$ll) - crit
  base <- if (boundary) -30 else theta[1]
  hi <- (if (boundary) 0 else theta[1]) + 1
  while (deficit(hi) < 0) hi <- hi + 2
  upper <- plogis(uniroot(deficit, c(base, hi), tol = 1e-12)$root)
  if (boundary || 2 * (ll - none$ll) <= crit) {
    lower <- 0
  } else {
    lo <- theta[1] - 1
    while (deficit(lo) < 0) lo <- lo - 2
    lower <- plogis(uniroot(deficit, c(lo, theta[1]), tol = 1e-12)$root)
  }
  list(cure_fraction = if (boundary) 0 else plogis(theta[1]), ci_low = lower, ci_high = upper,
       theta = unname(theta), se = unname(se), loglik = ll, at_boundary = boundary,
       n = nrow(d), events = sum(ev), score0 = score0)
}
cure_ref <- function(d, dist, label, interval = TRUE) {
  if (is.null(d$time_left)) d$time_left <- NA
  iv <- interval & d$event == 1 & !is.na(d$time_left)
  ex <- d$event == 1 & !iv
  cd <- data.frame(left = ifelse(iv, d$time_left, d$time), right = ifelse(iv | ex, d$time, Inf),
                   kind = ifelse(iv, 3, ifelse(ex, 1, 0)))
  groups <- lapply(c(0, 1), function(g) c(list(level = g), cure_group(cd[d$closure == g, ], dist)))
  list(call = sprintf("mixture cure likelihood of this script, %s latency, per closure arm of %s", dist, label),
       groups = groups)
}
out$cure <- list(
  cosmesis_weibull = cure_ref(cosmesis, "weibull", "cosmesis"),
  cosmesis_loglogistic = cure_ref(cosmesis, "loglogistic", "cosmesis"),
  synthetic_weibull = cure_ref(synthetic, "weibull", "synthetic", interval = FALSE),
  synthetic_exponential = cure_ref(synthetic, "exponential", "synthetic", interval = FALSE),
  synthetic_lognormal = cure_ref(synthetic, "lognormal", "synthetic", interval = FALSE),
  visits_weibull = cure_ref(visits, "weibull", "visits"),
  mixed_weibull = cure_ref(mixed, "weibull", "mixed")
)

# Numbers are written with 17 significant digits (jsonlite stops at 15, which loses the
# last bits of the times that the Python side looks survival up at); NA and +-Inf as null.
exact <- function(x) {
  if (is.list(x)) return(lapply(x, exact))
  if (!is.numeric(x)) return(x)
  num <- ifelse(is.finite(x), sprintf("%.17g", x), "null")
  structure(if (length(x) == 1) num else paste0("[", paste(num, collapse = ","), "]"), class = "json")
}
writeLines(toJSON(exact(out), auto_unbox = TRUE, pretty = TRUE, json_verbatim = TRUE),
           "tests/data/r/interval.json")
cat("wrote tests/data/r/interval.json\n")
