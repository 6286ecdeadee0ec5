#!/usr/bin/env Rscript
# Reference values for recurrence.meta.sequential (trial sequential analysis).
#
# gsDesign and ldbounds are not in Debian, so the Lan-DeMets O'Brien-Fleming boundaries
# are computed here by this script's own recursive numerical integration of the score
# process (Armitage, McPherson and Rowe 1969; Jennison and Turnbull 2000, ch. 19), on a
# fine Simpson grid (a different rule from the Python code's Gauss-Legendre panels), and
# checked against an independent computation of the same probabilities: the multivariate
# normal rectangle probabilities of mvtnorm::pmvnorm (Miwa's deterministic algorithm),
# Corr(Z_i, Z_j) = sqrt(t_i / t_j).
#
# Spending (per boundary): alpha_s(t) = 2 - 2 pnorm(qnorm(1 - alpha_s / 2) / sqrt(t)), with
# alpha_s = alpha / 2 for the symmetric two-sided test (ldbounds' and gsDesign sfLDOF's
# convention) and alpha_s = alpha for a one-sided test.
#
# Required information size (Wetterslev et al. 2008): 4 (z_{1-a/2} + z_{1-b})^2 pbar (1 - pbar)
# / delta^2; diversity D2 = 1 - V_F / V_R (Wetterslev et al. 2009), from rma() fits.
#
# Run from the repository root:  Rscript validation/r/meta_tsa.R
#   writes tests/data/r/meta_tsa.json

suppressPackageStartupMessages({
  library(metafor)
  library(mvtnorm)
  library(jsonlite)
})
data_dir <- "tests/data"

spend <- function(t, alpha_s) 2 * pnorm(-qnorm(1 - alpha_s / 2) / sqrt(pmin(t, 1)))

simpson <- function(a, b, n) {  # n even
  x <- seq(a, b, length.out = n + 1)
  w <- rep(c(2, 4), length.out = n + 1); w[1] <- 1; w[n + 1] <- 1
  list(x = x, w = w * (b - a) / (3 * n))
}

boundaries <- function(t, alpha, sides = 2, n = 4000) {
  inc <- diff(c(0, spend(t, alpha / sides))) * sides
  K <- length(t)
  cb <- numeric(K)
  cb[1] <- qnorm(inc[1] / sides, lower.tail = FALSE)
  b <- cb[1] * sqrt(t[1])
  lo <- if (sides == 2) -b else -12 * sqrt(t[1])
  g <- simpson(lo, b, n)
  dens <- dnorm(g$x, sd = sqrt(t[1]))
  for (j in seq_len(K)[-1]) {
    sd <- sqrt(t[j] - t[j - 1])
    mass <- g$w * dens
    cross <- function(bj) sum(mass * (pnorm((g$x - bj) / sd) +
                                        if (sides == 2) pnorm((-bj - g$x) / sd) else 0))
    bj <- uniroot(function(x) cross(x) - inc[j], c(1e-9, 40 * sqrt(t[j])), tol = 1e-14)$root
    cb[j] <- bj / sqrt(t[j])
    lo <- if (sides == 2) -bj else -12 * sqrt(t[j])
    new <- simpson(lo, bj, n)
    dens <- sapply(new$x, function(s) sum(mass * dnorm((s - g$x) / sd)) / sd)
    g <- new
  }
  cb
}

# exit probabilities at given boundaries by mvtnorm (independent of the recursion)
exits <- function(t, cb, sides = 2) {
  K <- length(t)
  R <- outer(t, t, function(a, b) sqrt(pmin(a, b) / pmax(a, b)))
  p <- numeric(K)
  for (j in seq_len(K)) {
    lower_cont <- if (sides == 2) -cb[seq_len(j - 1)] else rep(-Inf, j - 1)
    upper_cont <- cb[seq_len(j - 1)]
    up <- if (j == 1) pnorm(cb[1], lower.tail = FALSE) else
      pmvnorm(lower = c(lower_cont, cb[j]), upper = c(upper_cont, Inf),
              corr = R[1:j, 1:j, drop = FALSE], algorithm = Miwa(steps = 4096))
    p[j] <- up * sides
  }
  p
}

cases <- list()
for (s in list(list(t = (1:5) / 5, alpha = 0.05, sides = 2),
               list(t = c(0.5, 1), alpha = 0.05, sides = 2),
               list(t = c(0.1, 0.25, 0.4, 0.7, 1), alpha = 0.05, sides = 2),
               list(t = c(0.03, 0.08, 0.15, 0.33, 0.52, 0.61, 0.94), alpha = 0.05, sides = 2),
               list(t = c(0.2, 0.45, 1), alpha = 0.01, sides = 2),
               list(t = c(0.25, 0.5, 0.75, 1), alpha = 0.05, sides = 1))) {
  cb <- boundaries(s$t, s$alpha, s$sides)
  p <- exits(s$t, cb, s$sides)
  target <- diff(c(0, spend(s$t, s$alpha / s$sides))) * s$sides
  cat(sprintf("%s: %s | max |exit - spent| %.2e\n", paste(s$t, collapse = ","),
              paste(sprintf("%.6f", cb), collapse = " "), max(abs(p - target))))
  cases[[length(cases) + 1]] <- list(
    kind = "boundaries", t = s$t, alpha = s$alpha, sides = s$sides,
    call = "own recursive integration (Simpson, n = 4000) checked by mvtnorm::pmvnorm(Miwa)",
    boundaries = cb, exit_mvtnorm = p, spent = target)
}
# published one-sided table: SeqBounds.jl README, bounds([0.25, 0.5, 0.75, 1.0], 0.05)
cases[[length(cases)]]$published <- c(3.74955, 2.53993, 2.01604, 1.72014)

# required information and diversity of two meta-analyses
read_set <- function(name) read.csv(file.path(data_dir, paste0("meta_", name, ".csv")),
                                    stringsAsFactors = FALSE, encoding = "UTF-8")
for (s in list(list("bcg", "RR", "REML"), list("published", "RR", "REML"),
               list("heterogeneous", "OR", "DL"))) {
  d <- read_set(s[[1]])
  d <- d[!is.na(d$total_closure) & !is.na(d$total_control), ]
  e <- escalc(measure = s[[2]], ai = d$events_closure, n1i = d$total_closure,
              ci = d$events_control, n2i = d$total_control, add = 0.5, to = "only0", drop00 = TRUE)
  e <- e[!is.na(e$yi), ]
  re <- rma(yi, vi, data = e, method = s[[3]],
            control = list(threshold = 1e-13, maxiter = 10000, stepadj = 0.5))
  fe <- rma(yi, vi, data = e, method = "FE")
  d2 <- max(0, (re$se^2 - fe$se^2) / re$se^2)
  pc <- sum(d$events_control) / sum(d$total_control)
  pe <- pc * (1 - 0.2)
  pbar <- (pc + pe) / 2
  ris <- 4 * (qnorm(0.975) + qnorm(0.9))^2 * pbar * (1 - pbar) / (pc - pe)^2
  cases[[length(cases) + 1]] <- list(
    kind = "information", dataset = s[[1]], measure = s[[2]], method = s[[3]],
    call = sprintf('rma(method="%s") vs rma(method="FE"): D2 = 1 - se_FE^2/se_RE^2', s[[3]]),
    control_risk = pc, ris_fixed = ris, d2 = d2, ris = ris / (1 - d2))
}
write_json(cases, file.path(data_dir, "r", "meta_tsa.json"), digits = NA, auto_unbox = TRUE)
cat("wrote", length(cases), "cases\n")
