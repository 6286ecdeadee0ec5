#!/usr/bin/env Rscript
# Reference values for recurrence.meta's Bayesian random-effects model
# (compare/proportions/generic/pool_many with method = "bayes").
#
# bayesmeta (Röver 2020, J Stat Softw 93(6)) is not in Debian, so this script computes the
# same posterior itself, with R's integrate() at high precision. Model: y_i ~ N(theta_i, v_i),
# theta_i ~ N(mu, tau^2), flat prior on mu, a proper prior on tau (half-normal,
# half-Cauchy, uniform). With mu integrated out, the marginal posterior of tau is
#   p(tau | y) ∝ p(tau) prod (v_i + tau^2)^(-1/2) (sum w_i)^(-1/2) exp(-1/2 sum w_i (y_i - muhat)^2)
# (w_i = 1 / (v_i + tau^2)); given tau, mu ~ N(muhat, 1 / sum w_i), a new study's effect
# ~ N(muhat, 1 / sum w_i + tau^2), and study i's effect ~ N(b muhat + (1 - b) y_i,
# (1 - b) v_i + b^2 / sum w_i), b = v_i / (v_i + tau^2). CDFs are integrals over tau of
# the normal CDFs weighted by p(tau | y); quantiles solve them with uniroot(tol = 1e-13).
# Integrals: integrate(rel.tol = 1e-12) over pieces split around the posterior's bulk.
#
# The published check: bayesmeta's vignette (Röver, "An introduction to meta-analysis
# using the bayesmeta package", the CRAN vignette of bayesmeta), example
# "schools.example.2": Rubin (1981) eight schools, flat priors on mu and tau; its printed
# $summary is stored below as `published` beside this script's own values. (bayesmeta's
# 95% intervals there are the shortest ones; mu's come from its DIRECT mixture
# approximation, accurate to about 1e-4.)
#
# Run from the repository root:  Rscript validation/r/meta_bayes.R
#   writes tests/data/r/meta_bayes.json

suppressPackageStartupMessages({
  library(metafor)
  library(jsonlite)
})
data_dir <- "tests/data"
REL <- 1e-12

prior_fun <- function(spec) {
  switch(spec$family,
         halfnormal = function(t) ifelse(t < 0, 0, 2 * dnorm(t, 0, spec$a)),
         halfcauchy = function(t) ifelse(t < 0, 0, 2 * dcauchy(t, 0, spec$a)),
         uniform = function(t) ifelse(t < spec$a | t > spec$b, 0, 1 / (spec$b - spec$a)),
         improper = function(t) ifelse(t < 0, 0, 1))
}

posterior <- function(y, v, spec) {
  prior <- prior_fun(spec)
  loglik <- function(t) {
    w <- 1 / (v + t^2); sw <- sum(w); mu <- sum(w * y) / sw
    0.5 * (sum(log(w)) - log(sw) - sum(w * (y - mu)^2))
  }
  lo <- if (spec$family == "uniform") spec$a else 0
  hi <- if (spec$family == "uniform") spec$b else Inf
  # the mode of the unnormalised log density, to scale it and to split the integrals
  grid <- if (is.finite(hi)) seq(lo, hi, length.out = 2001) else
    exp(seq(log(1e-6), log(1e3), length.out = 4001))
  lp <- sapply(grid, function(t) log(prior(t)) + loglik(t))
  top <- max(lp[is.finite(lp)])
  mode <- grid[which.max(lp)]
  scale <- max(mode, if (spec$family %in% c("halfnormal", "halfcauchy")) spec$a else 0.1)
  dens <- function(t) sapply(t, function(s) { p <- prior(s); if (p == 0) 0 else
    exp(log(p) + loglik(s) - top) })
  breaks <- if (is.finite(hi)) seq(lo, hi, length.out = 9) else
    c(0, scale * c(1 / 64, 1 / 16, 1 / 4, 1 / 2, 1, 2, 4, 16, 64, 256), Inf)
  breaks <- sort(unique(c(breaks, if (mode > lo && mode < hi) mode)))
  integ <- function(f, a = lo, b = hi) {
    pts <- c(a, breaks[breaks > a & breaks < b], b)
    s <- 0
    for (i in seq_len(length(pts) - 1))
      s <- s + integrate(f, pts[i], pts[i + 1], rel.tol = REL, abs.tol = 0,
                         subdivisions = 2000L, stop.on.error = FALSE)$value
    s
  }
  Z <- integ(dens)
  cond <- function(t) {
    w <- 1 / (v + t^2); sw <- sum(w)
    list(mu = sum(w * y) / sw, var = 1 / sw, w = w / sw)
  }
  cdf_mix <- function(x, sdfun) integ(function(t) dens(t) * sapply(t, function(s) {
    cc <- cond(s); pnorm(x, cc$mu, sqrt(sdfun(cc, s)))
  })) / Z
  quant <- function(p, cdf, a, b) uniroot(function(x) cdf(x) - p, c(a, b), tol = 1e-13,
                                          maxiter = 1000)$root
  span <- 60 * sqrt(max(v)) + 60 * scale + 10 * sd(c(y, y))
  centre <- weighted.mean(y, 1 / v)
  mu_cdf <- function(x) cdf_mix(x, function(cc, s) cc$var)
  pred_cdf <- function(x) cdf_mix(x, function(cc, s) cc$var + s^2)
  tau_cdf <- function(x) integ(dens, lo, x) / Z
  tau_hi <- if (is.finite(hi)) hi else scale * 1e4
  list(prior = prior, dens = dens, Z = Z, integ = integ, cond = cond,
       mu_cdf = mu_cdf, pred_cdf = pred_cdf, tau_cdf = tau_cdf,
       mu_q = function(p) quant(p, mu_cdf, centre - span, centre + span),
       pred_q = function(p) quant(p, pred_cdf, centre - 10 * span, centre + 10 * span),
       tau_q = function(p) quant(p, tau_cdf, lo, tau_hi),
       mu_mean = integ(function(t) dens(t) * sapply(t, function(s) cond(s)$mu)) / Z,
       mu_second = integ(function(t) dens(t) * sapply(t, function(s) {
         cc <- cond(s); cc$var + cc$mu^2 })) / Z,
       tau_mean = integ(function(t) dens(t) * t) / Z,
       weights = sapply(seq_along(y), function(i) integ(function(t) dens(t) *
         sapply(t, function(s) cond(s)$w[i])) / Z),
       shrink_q = function(i, p) {
         cdf <- function(x) cdf_mix(x, function(cc, s) NA)  # placeholder, replaced below
         f <- function(x) integ(function(t) dens(t) * sapply(t, function(s) {
           cc <- cond(s); b <- v[i] / (v[i] + s^2)
           pnorm(x, b * cc$mu + (1 - b) * y[i], sqrt((1 - b) * v[i] + b^2 * cc$var))
         })) / Z
         quant(p, f, y[i] - span, y[i] + span)
       })
}

summarise <- function(y, v, spec, shrink = FALSE) {
  post <- posterior(y, v, spec)
  p <- c(0.025, 0.5, 0.975)
  out <- list(mu = sapply(p, post$mu_q), predictive = sapply(p[c(1, 3)], post$pred_q),
              tau = sapply(p, post$tau_q), mu_mean = post$mu_mean,
              mu_sd = sqrt(post$mu_second - post$mu_mean^2), tau_mean = post$tau_mean,
              prob_below_zero = post$mu_cdf(0), weights = 100 * post$weights,
              tau_density = sapply(c(0.05, 0.2, 0.5, 1), function(t) post$dens(t) / post$Z))
  if (shrink) out$shrinkage <- lapply(seq_along(y), function(i) sapply(p, function(q)
    post$shrink_q(i, q)))
  out
}

read_set <- function(name) read.csv(file.path(data_dir, paste0("meta_", name, ".csv")),
                                    stringsAsFactors = FALSE, encoding = "UTF-8")
two_arm <- function(name, measure) {
  d <- read_set(name)
  d <- d[!is.na(d$total_closure) & !is.na(d$total_control), ]
  e <- escalc(measure = measure, ai = d$events_closure, n1i = d$total_closure,
              ci = d$events_control, n2i = d$total_control, add = 0.5, to = "only0",
              drop00 = measure != "RD")
  e <- e[!is.na(e$yi), ]
  list(y = c(e$yi), v = c(e$vi))
}
PRIORS <- list(
  list(text = "halfnormal(0.5)", family = "halfnormal", a = 0.5),
  list(text = "halfnormal(1.0)", family = "halfnormal", a = 1.0),
  list(text = "halfcauchy(0.5)", family = "halfcauchy", a = 0.5),
  list(text = "uniform(0, 2)", family = "uniform", a = 0, b = 2),
  list(text = "uniform(0.1, 1.5)", family = "uniform", a = 0.1, b = 1.5)
)
cases <- list()
for (s in list(list("bcg", "RR"), list("published", "RR"), list("published", "OR"),
               list("heterogeneous", "RR"), list("homogeneous", "RR"), list("two", "RR"))) {
  dat <- two_arm(s[[1]], s[[2]])
  priors <- if (s[[1]] %in% c("published", "bcg")) PRIORS else PRIORS[1:2]
  for (pr in priors) {
    cat(s[[1]], s[[2]], pr$text, "\n")
    cases[[length(cases) + 1]] <- list(
      kind = "compare", dataset = s[[1]], measure = s[[2]], prior = pr$text,
      call = sprintf('escalc("%s", add=0.5, to="only0", drop00=%s); posterior by integrate()',
                     s[[2]], s[[2]] != "RD"),
      yi = dat$y, vi = dat$v,
      values = summarise(dat$y, dat$v, pr, shrink = pr$text == "halfnormal(0.5)"))
  }
}
d <- read_set("published")
e <- escalc(measure = "PLO", xi = d$events_closure, ni = d$total_closure, add = 0.5, to = "only0")
cases[[length(cases) + 1]] <- list(
  kind = "proportion", dataset = "published", arm = "closure", prior = "halfnormal(0.5)",
  call = 'escalc("PLO", xi, ni, add=0.5, to="only0"); posterior by integrate()',
  yi = c(e$yi), vi = c(e$vi), values = summarise(c(e$yi), c(e$vi), PRIORS[[1]]))
# one study: the posterior of tau is its prior
cases[[length(cases) + 1]] <- list(
  kind = "effects", dataset = "one", prior = "halfcauchy(0.5)", call = "y = -0.5, v = 0.09",
  yi = -0.5, vi = 0.09, values = summarise(-0.5, 0.09, PRIORS[[3]]))

# the published example: eight schools, flat priors (bayesmeta's vignette, schools.example.2)
schools_y <- c(28.39, 7.94, -2.75, 6.82, -0.64, 0.63, 18.01, 12.16)
schools_se <- c(14.9, 10.2, 16.3, 11.0, 9.4, 11.4, 10.4, 17.6)
post <- posterior(schools_y, schools_se^2, list(family = "improper"))
shortest <- function(qf, level = 0.95) {
  width <- function(p) qf(p + level) - qf(p)
  p <- optimize(width, c(0, 1 - level), tol = 1e-10)$minimum
  c(qf(p), qf(p + level))
}
mu_short <- shortest(post$mu_q)
pred_short <- shortest(post$pred_q)
schools <- list(
  kind = "published", dataset = "schools", prior = "uniform(0, inf)",
  call = paste0("posterior by integrate() with flat priors on mu and tau; published: ",
                "bayesmeta vignette, print(schools.example.2$summary)"),
  yi = schools_y, vi = schools_se^2,
  values = list(tau_median = post$tau_q(0.5), tau_upper = post$tau_q(0.95),
                tau_mean = post$tau_mean, mu_median = post$mu_q(0.5), mu_mean = post$mu_mean,
                mu_sd = sqrt(post$mu_second - post$mu_mean^2), mu_lower = mu_short[1],
                mu_upper = mu_short[2], theta_median = post$pred_q(0.5),
                theta_lower = pred_short[1], theta_upper = pred_short[2]),
  published = list(tau_median = 5.227732, tau_upper = 17.265797, tau_mean = 6.585992,
                   mu_median = 8.055861, mu_mean = 8.092138, mu_sd = 5.246683,
                   mu_lower = -2.176157, mu_upper = 18.406330, theta_median = 8.008111,
                   theta_lower = -12.511817, theta_upper = 29.014749))
print(unlist(schools$values)); print(unlist(schools$published))
cases[[length(cases) + 1]] <- schools
write_json(cases, file.path(data_dir, "r", "meta_bayes.json"), digits = NA, auto_unbox = TRUE,
           na = "null")
cat("wrote", length(cases), "cases\n")
