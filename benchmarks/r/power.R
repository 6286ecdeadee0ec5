# Simulated power the way an R user would compute it: a loop of simulated trials, each
# analysed by survdiff, coxph, cmprsk::cuminc (Gray's test) or cmprsk::crr, called by
# `python -m benchmarks.design` and `python -m benchmarks --only design`.
# Usage: Rscript power.R n_per_arm repeats logrank=K,cox=K,gray=K,finegray=K,all=K
# Prints JSON {analysis: {seconds (median of repeats), trials, power}}.
#
# The trial is recurrence's default design (simulate_power(population = "large_defect"),
# the generator of recurrence.simulate_cohort): closure randomised 1:1, hazard ratio 0.5
# for closure, 2 for smokers (30%), 1.4 with diabetes (10%), site effects N(0, 0.15²) on
# six sites, every defect large (hazard multiplier 1.78 × 2.5); reherniation the first
# of a levelling-off Weibull part (A = 0.0635, s = 17.63, k = 0.88) and a constant
# 0.0001 a month; competing events 0.0012 and loss to follow-up 0.003 a month; entry
# uniform over 24 months, analysis 24 months after the last entry; whole-day times.
# Only the variables the hazard reads are drawn (R's fastest honest version).
suppressPackageStartupMessages({library(survival); library(cmprsk); library(jsonlite)})
args <- commandArgs(TRUE)
n_per_arm <- as.integer(args[1])
reps <- as.integer(args[2])
spec <- strsplit(strsplit(args[3], ",")[[1]], "=")
trials <- setNames(as.integer(sapply(spec, `[`, 2)), sapply(spec, `[`, 1))
set.seed(20261124)

simulate <- function(n = 2 * n_per_arm, hr = 0.5, accrual = 24, followup = 24,
                     comp = 0.0012, loss = 0.003) {
  closure <- runif(n) < 0.5
  smoker <- runif(n) < 0.30
  diabetes <- runif(n) < 0.10
  effect <- rnorm(6, 0, 0.15)
  effect <- effect - mean(effect)
  site <- sample.int(6, n, replace = TRUE)
  lp <- log(hr) * closure + log(2.5) + log(2) * smoker + log(1.4) * diabetes + effect[site]
  risk <- 1.78 * exp(lp)
  e1 <- rexp(n) / (0.0635 * risk)
  early <- rep(Inf, n)  # the levelling-off part may never happen
  m <- e1 < 1
  early[m] <- 17.63 * (-log1p(-e1[m]))^(1 / 0.88)
  rehern <- pmin(early, rexp(n) / (0.0001 * risk))
  t_comp <- rexp(n) / comp
  t_event <- pmin(rehern, t_comp)
  t_cens <- pmin(rexp(n) / loss, accrual + followup - runif(n, 0, accrual))
  time <- pmax(ceiling(pmin(t_event, t_cens) * 30.4375), 1) / 30.4375
  event <- ifelse(t_event <= t_cens, ifelse(rehern <= t_comp, 1L, 2L), 0L)
  data.frame(time = time, event = event, closure = as.integer(closure))
}

p_value <- list(
  logrank = function(d) {
    s <- survdiff(Surv(time, event == 1) ~ closure, data = d)
    pchisq(s$chisq, 1, lower.tail = FALSE)
  },
  cox = function(d) {
    f <- coxph(Surv(time, event == 1) ~ closure, data = d)
    2 * pnorm(-abs(coef(f) / sqrt(vcov(f)[1, 1])))
  },
  gray = function(d) cuminc(d$time, d$event, d$closure, cencode = 0)$Tests[1, "pv"],
  finegray = function(d) {
    f <- crr(d$time, d$event, cbind(d$closure), failcode = 1, cencode = 0)
    2 * pnorm(-abs(f$coef / sqrt(f$var[1, 1])))
  }
)

# all four on the same trials (what `simulate_power(analysis = [all four])` does)
p_value$all <- function(d) {
  p <- c(p_value$logrank(d), p_value$cox(d), p_value$gray(d), p_value$finegray(d))
  p[1]
}

out <- list()
for (a in names(trials)) {
  k <- trials[[a]]
  rejected <- 0
  run <- function() {
    rejected <<- 0
    for (i in seq_len(k)) rejected <<- rejected + (p_value[[a]](simulate()) < 0.05)
  }
  seconds <- median(replicate(reps, system.time(run())[["elapsed"]]))
  out[[a]] <- list(seconds = seconds, trials = k, power = rejected / k)
}
cat(toJSON(out, auto_unbox = TRUE, digits = NA))
