# Timing of Bayesian random-effects meta-analyses in R, one analysis at a time, called by
# `python -m benchmarks --only meta`. bayesmeta is not in Debian, so this is our own R
# version of the same posterior (validation/r/meta_bayes.R holds the precise reference):
# y_i ~ N(theta_i, v_i), theta_i ~ N(mu, tau^2), flat prior on mu, half-normal(scale)
# prior on tau; mu integrated out, the marginal posterior of tau by integrate(), mu's
# 2.5/50/97.5% quantiles by uniroot() on the mixture CDF, tau's median likewise.
# Usage: Rscript bayes.R effects.csv repeats scale   (columns: analysis, yi, vi)
# Prints JSON {seconds (median over repeats, all analyses), analyses, median (mu's
# posterior medians, to check both sides computed the same thing)}.
suppressPackageStartupMessages(library(jsonlite))
args <- commandArgs(TRUE)
d <- read.csv(args[1])
reps <- as.integer(args[2])
a <- as.numeric(args[3])
groups <- split(d, d$analysis)
TOL <- 1e-8

one <- function(y, v) {
  loglik <- function(t) sapply(t, function(s) {
    w <- 1 / (v + s^2); sw <- sum(w); mu <- sum(w * y) / sw
    0.5 * (sum(log(w)) - log(sw) - sum(w * (y - mu)^2))
  })
  top <- optimize(function(t) loglik(t) + dnorm(t, 0, a, log = TRUE), c(0, 10 * a),
                  maximum = TRUE)$objective
  dens <- function(t) exp(loglik(t) + dnorm(t, 0, a, log = TRUE) - top)
  Z <- integrate(dens, 0, Inf, rel.tol = TOL)$value
  cdf <- function(x) integrate(function(t) dens(t) * sapply(t, function(s) {
    w <- 1 / (v + s^2); sw <- sum(w); pnorm(x, sum(w * y) / sw, sqrt(1 / sw))
  }), 0, Inf, rel.tol = TOL)$value / Z
  span <- 10 * (sqrt(max(v)) + a)
  q <- function(p) uniroot(function(x) cdf(x) - p, range(y) + c(-span, span), tol = 1e-10)$root
  tau_med <- uniroot(function(x) integrate(dens, 0, x, rel.tol = TOL)$value / Z - 0.5,
                     c(0, 10 * a), tol = 1e-10)$root
  c(q(0.025), q(0.5), q(0.975), tau_med)
}
res <- NULL
run <- function() res <<- t(sapply(groups, function(g) one(g$yi, g$vi)))
seconds <- median(replicate(reps, system.time(run())[["elapsed"]]))
cat(toJSON(list(seconds = seconds, analyses = length(groups), median = unname(res[, 2])),
           auto_unbox = TRUE, digits = NA))
