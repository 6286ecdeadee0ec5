# Reference values for fine_gray(..., censoring_groups=, censoring_variance=):
# crr(cengroup =)'s standard errors, and the censoring correction computed from every
# failure (censoring_variance = "corrected"), which no R package computes.
#
# What crr 2.2-11 does (crrvv in its crr.f): the correction psi_i for estimating group
# k's censoring distribution G_k uses q_k(u) at each censoring time u of group k,
#   q_k(u) = sum over cause-1 failures i with T_i >= u of
#            (1 / S0(T_i)) * sum over competing events j of group k with T_j < u of
#            w_j(T_i) exp(x_j b) (x_j - E(T_i)),
# but its loop over the failures i adds each term to the q of the failure's own group
# (qu(., icg(j1))), so q_k(u) counts only the failures of group k. The derivative of
# the estimating equation with respect to G_k's hazard at u counts every failure after
# u (each failure's risk set holds group k's competing events). With one censoring
# group the two are the same.
#
# fg_brute() below is a direct (O(n^2)) transcription of the Fine & Gray (1999)
# sandwich I^-1 (sum (eta_i + psi_i)(eta_i + psi_i)') I^-1 written for this script:
# with own = TRUE (q_k from the failures of group k) it reproduces crr's var (checked
# below, the fixture records the difference); with own = FALSE it is the corrected
# variance, the reference for censoring_variance = "corrected".
#
# Run from the repository root:
#   Rscript validation/r/finegray_cengroup.R
# Writes tests/data/r/finegray_cengroup.json and tests/data/fg_cengroup.csv (a simulated
# cohort: three sites with different follow-up, read by the Python tests through
# recurrence.load_cohort). Also reads tests/data/surv_models_mgus2.csv.
# Used by tests/test_survival_finegray_cengroup_r.py. Produced with R 4.2.2,
# survival 3.5-3, cmprsk 2.2-11.

suppressPackageStartupMessages({
  library(survival)
  library(cmprsk)
  library(jsonlite)
})

fg_brute <- function(time, status, X, grp, beta, own) {
  X <- as.matrix(X); storage.mode(X) <- "double"
  o <- order(time)
  time <- time[o]; status <- status[o]; X <- X[o, , drop = FALSE]; grp <- grp[o]
  n <- length(time); p <- ncol(X)
  groups <- sort(unique(grp))
  # G_k(t-) as crr computes it: Kaplan-Meier of censoring in group k, 1 before the first
  # censoring, 0 after the group's last time
  Gminus <- function(k, t) {
    s <- survfit(Surv(time[grp == k], status[grp == k] == 0) ~ 1)
    g <- stepfun(s$time, c(1, s$surv), right = TRUE)(t)
    ifelse(t > max(time[grp == k]), 0, g)
  }
  Gself <- numeric(n)
  for (k in groups) Gself[grp == k] <- Gminus(k, time[grp == k])
  r <- exp(drop(X %*% beta))
  Fr <- which(status == 1)
  GF <- sapply(groups, function(k) Gminus(k, time[Fr]))  # failures x groups
  gi <- match(grp, groups)
  # W[a, j]: weight of patient j in the risk set of failure Fr[a]
  W <- matrix(0, length(Fr), n)
  for (a in seq_along(Fr)) {
    s <- time[Fr[a]]
    w <- as.numeric(time >= s)
    cj <- status == 2 & time < s
    w[cj] <- GF[a, gi[cj]] / Gself[cj]
    W[a, ] <- w
  }
  WR <- sweep(W, 2, r, "*")
  S0 <- rowSums(WR)
  E <- (WR %*% X) / S0
  info <- matrix(0, p, p)
  for (a in seq_along(Fr)) {
    info <- info + crossprod(X * sqrt(WR[a, ])) / S0[a] - tcrossprod(E[a, ])
  }
  B <- WR / S0
  eta <- -(colSums(B) * X - t(B) %*% E)
  eta[Fr, ] <- eta[Fr, ] + X[Fr, , drop = FALSE] - E
  psi <- matrix(0, n, p)
  for (k in groups) {
    ing <- grp == k
    us <- sort(unique(time[status == 0 & ing]))
    for (u in us) {
      fa <- which(time[Fr] >= u & (if (own) grp[Fr] == k else TRUE))
      jj <- which(status == 2 & ing & time < u)
      q <- numeric(p)
      if (length(fa) && length(jj)) {
        Bs <- B[fa, jj, drop = FALSE]
        q <- colSums(Bs %*% X[jj, , drop = FALSE] - rowSums(Bs) * E[fa, , drop = FALSE])
      }
      y <- sum(ing & time >= u)
      dn <- sum(ing & status == 0 & time == u)
      at <- which(ing & time >= u)
      psi[at, ] <- psi[at, ] - matrix(q * dn / y^2, length(at), p, byrow = TRUE)
      cu <- which(ing & status == 0 & time == u)
      psi[cu, ] <- psi[cu, ] + matrix(q / y, length(cu), p, byrow = TRUE)
    }
  }
  res <- eta + psi
  hinv <- solve(info)
  hinv %*% crossprod(res) %*% hinv
}

case <- function(data, covs, group, call) {
  mm <- as.matrix(data[, covs]); storage.mode(mm) <- "double"
  f <- crr(data$time, data$event, mm, cengroup = data[[group]], failcode = 1, cencode = 0,
           gtol = 1e-9, maxiter = 100)
  own <- fg_brute(data$time, data$event, mm, data[[group]], f$coef, own = TRUE)
  all <- fg_brute(data$time, data$event, mm, data[[group]], f$coef, own = FALSE)
  one <- crr(data$time, data$event, mm, failcode = 1, cencode = 0, gtol = 1e-9, maxiter = 100)
  one_brute <- fg_brute(data$time, data$event, mm, rep(1, nrow(data)), one$coef, own = FALSE)
  list(call = call, terms = covs, coef = unname(f$coef), converged = f$converged,
       se = unname(sqrt(diag(f$var))),
       brute_crr_se = unname(sqrt(diag(own))),
       brute_vs_crr_max_rel = max(abs(own / f$var - 1)),
       corrected_se = unname(sqrt(diag(all))),
       corrected_var = unname(all),
       one_group_se = unname(sqrt(diag(one$var))),
       one_group_brute_max_rel = max(abs(one_brute / one$var - 1)))
}

# ---- a simulated cohort: three sites, different follow-up -------------------------------
set.seed(20240611)
n <- 600
site <- sample(c("A", "B", "C"), n, replace = TRUE, prob = c(0.4, 0.35, 0.25))
closure <- rbinom(n, 1, 0.5)
age <- round(rnorm(n, 45, 12))
smoker <- rbinom(n, 1, 0.3)
rate1 <- 0.012 * exp(-0.7 * closure + 0.5 * smoker) * ifelse(site == "C", 0.4, 1)
rate2 <- 0.004 * exp(0.04 * (age - 45)) * ifelse(site == "C", 3, 1)
t1 <- rexp(n, rate1); t2 <- rexp(n, rate2)
fu <- ifelse(site == "A", runif(n, 24, 120), ifelse(site == "B", runif(n, 6, 36), rexp(n, 1 / 30)))
time <- round(pmin(t1, t2, fu), 1)
time[time <= 0] <- 0.1
event <- ifelse(fu <= pmin(t1, t2), 0, ifelse(t1 < t2, 1, 2))
sim <- data.frame(patient_id = sprintf("S%03d", seq_len(n)),
                  closure = ifelse(closure == 1, "yes", "no"), time = time, event = event,
                  age = age, smoker = ifelse(smoker == 1, "yes", "no"), site = site)
write.csv(sim, "tests/data/fg_cengroup.csv", row.names = FALSE)
sim <- read.csv("tests/data/fg_cengroup.csv")
sim$closure <- as.numeric(sim$closure == "yes"); sim$smoker <- as.numeric(sim$smoker == "yes")

m2 <- read.csv("tests/data/surv_models_mgus2.csv")

out <- list(
  versions = list(R = R.version.string, survival = as.character(packageVersion("survival")),
                  cmprsk = as.character(packageVersion("cmprsk"))),
  sim_site = case(sim, c("closure", "age", "smoker"), "site",
    "crr(time, event, cbind(closure, age, smoker), cengroup = site, gtol = 1e-9)  # fg_cengroup.csv"),
  mgus2_male = case(m2, c("age", "hgb"), "male",
    "crr(time, event, cbind(age, hgb), cengroup = male, gtol = 1e-9)  # mgus2"))
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = FALSE),
           "tests/data/r/finegray_cengroup.json")
print(table(site = sim$site, event = sim$event))
str(out[c("sim_site", "mgus2_male")])
