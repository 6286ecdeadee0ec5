#!/usr/bin/env Rscript
# Reference values for recurrence.meta, from metafor 3.8-1 (and lme4, through
# rma.glmm). Run from the repository root:
#
#     uv run python tests/test_meta_datasets.py   # writes tests/data/meta_*.csv
#     Rscript validation/r/meta.R                 # writes tests/data/r/meta_*.json
#
# Every case records the R call that produced its numbers. Iterative estimators are run
# with tight control (threshold 1e-13 for Fisher scoring, tol 1e-12 for uniroot), so the
# tests compare solutions, not metafor's default stopping points (threshold 1e-5; PM's
# uniroot tol is .Machine$double.eps^0.25 = 1.2e-4). JSON keeps full precision
# (digits = NA); missing values are null.
#
# Conventions of recurrence (docs/meta-analysis.md) that need metafor options:
#   * zero cells: escalc(add = 1/2, to = "only0") for PLO, PR, RR, OR, RD; none for PFT,
#     PAS (add = 0); double-zero studies dropped for RR and OR (drop00 = TRUE), kept for RD.
#   * Peto: rma.peto(add = 0, to = "none"): Peto's per-study log OR needs no correction.
#   * I2 = max(0, (QE - df)/QE) and H2 = QE/df whatever the tau2 estimator (metafor's
#     own I2 for REML etc. is tau2-based), computed below from QE.
#   * prediction interval: b +- qt(.975, k - 2) * sqrt(tau2 + se^2) with the usual se;
#     metafor 3.8's predict() uses z (or t(k - 1) with test = "knha"), so it is computed
#     here from metafor's b, tau2 and the usual se.

suppressPackageStartupMessages({
  library(metafor)
  library(jsonlite)
})
stopifnot(packageVersion("metafor") == "3.8.1")

data_dir <- "tests/data"
out_dir <- "tests/data/r"
dir.create(out_dir, showWarnings = FALSE, recursive = TRUE)
CTRL <- list(threshold = 1e-13, maxiter = 10000, tol = 1e-12)
CTRL_TXT <- "control=list(threshold=1e-13, maxiter=10000, tol=1e-12)"
# metafor's plain Fisher scoring oscillates on some data sets ("did not converge");
# halving its steps (stepadj = 0.5) finds the same maximum. Used only where needed.
CTRL_HALF <- c(CTRL, list(stepadj = 0.5))
FELL_BACK <- FALSE
with_fallback <- function(f) {
  out <- try(suppressWarnings(f(CTRL)), silent = TRUE)
  FELL_BACK <<- inherits(out, "try-error")
  if (FELL_BACK) out <- suppressWarnings(f(CTRL_HALF))
  out
}
ctrl_txt <- function() if (FELL_BACK) sub(")$", ", stepadj=0.5)", CTRL_TXT) else CTRL_TXT

# metafor's dat.bcg as a study table (vaccinated = "closure" column, for the shapes only)
bcg <- dat.bcg
write.csv(data.frame(study = paste(bcg$author, bcg$year), events_closure = bcg$tpos,
                     total_closure = bcg$tpos + bcg$tneg, events_control = bcg$cpos,
                     total_control = bcg$cpos + bcg$cneg, year = bcg$year,
                     ablat = bcg$ablat, alloc = bcg$alloc),
          file.path(data_dir, "meta_bcg.csv"), row.names = FALSE)

DATASETS <- c("bcg", "published", "two", "homogeneous", "heterogeneous", "allzero")
read_set <- function(name) read.csv(file.path(data_dir, paste0("meta_", name, ".csv")),
                                    stringsAsFactors = FALSE, encoding = "UTF-8")
sets <- setNames(lapply(DATASETS, read_set), DATASETS)

num <- function(x) if (is.null(x) || length(x) == 0 || is.na(x)) NA_real_ else as.numeric(x)
i2_of <- function(q, df) if (df > 0) max(0, 100 * (q - df) / q) else 0

TRANSFORMS <- list(
  logit   = list(measure = "PLO", add = 0.5, to = "only0", tf = function(x, n) transf.ilogit(x)),
  ft      = list(measure = "PFT", add = 0, to = "none",
                 tf = function(x, n) transf.ipft.hm(x, targs = list(ni = n))),
  arcsine = list(measure = "PAS", add = 0, to = "none", tf = function(x, n) transf.iarcsin(x)),
  raw     = list(measure = "PR", add = 0.5, to = "only0", tf = function(x, n) x)
)
METHODS <- c("FE", "DL", "REML", "PM", "ML")
EXTRA_METHODS <- c("EB", "HE", "SJ")

summarise_uni <- function(res, tf, k) {
  tau2 <- res$tau2
  se_usual <- sqrt(1 / sum(1 / (res$vi + tau2)))
  b <- c(res$beta)
  if (res$method != "FE" && k >= 3) {
    half <- qt(0.975, k - 2) * sqrt(tau2 + se_usual^2)
    pi <- c(b - half, b + half)
  } else pi <- c(NA, NA)
  out <- list(k = k, beta = b, se = res$se, statistic = res$zval, pvalue = res$pval,
              estimate = tf(b), ci_low = tf(res$ci.lb), ci_high = tf(res$ci.ub),
              pi_low = if (is.na(pi[1])) NA else tf(pi[1]),
              pi_high = if (is.na(pi[2])) NA else tf(pi[2]),
              tau2 = tau2, q = res$QE, q_pvalue = res$QEp, i2 = i2_of(res$QE, k - 1),
              h2 = res$QE / (k - 1), tau2_ci_low = NA, tau2_ci_high = NA)
  if (res$method != "FE" && k >= 2) {
    # tau2.max well above metafor's default cap of 100 (the two-study sets exceed it)
    ci <- confint(res, control = list(tol = 1e-12, tau2.max = 1e6))
    out$tau2_ci_low <- ci$random["tau^2", "ci.lb"]
    out$tau2_ci_high <- ci$random["tau^2", "ci.ub"]
  }
  out
}

# ---------------------------------------------------------------- pooling --------
pooling <- list()
add <- function(case) pooling[[length(pooling) + 1]] <<- case

for (name in DATASETS) {
  d <- sets[[name]]
  # single arms
  for (arm in c("closure", "control")) {
    x <- d[[paste0("events_", arm)]]
    n <- d[[paste0("total_", arm)]]
    keep <- !is.na(x) & !is.na(n)
    x <- x[keep]; n <- n[keep]
    if (length(x) < 2) next
    for (tname in names(TRANSFORMS)) {
      t <- TRANSFORMS[[tname]]
      dat <- escalc(measure = t$measure, xi = x, ni = n, add = t$add, to = t$to)
      for (method in METHODS) for (hksj in c(FALSE, TRUE)) {
        res <- with_fallback(function(ctrl) rma(yi, vi, data = dat, method = method,
                                    test = if (hksj) "knha" else "z", control = ctrl))
        call <- sprintf(paste0('rma(yi, vi, data=escalc(measure="%s", xi=x, ni=n, add=%s, ',
                               'to="%s"), method="%s", test="%s", %s)'),
                        t$measure, t$add, t$to, method, if (hksj) "knha" else "z", ctrl_txt())
        add(list(dataset = name, kind = "proportion", arm = arm, scale = tname,
                 method = method, hksj = hksj, call = call,
                 values = summarise_uni(res, function(v) t$tf(v, n), length(x))))
      }
    }
    # binomial-normal GLMM (lme4::glmer, nAGQ = 7), not for arms without events
    if (sum(x) > 0 && sum(x) < sum(n)) {
      for (tight in c(FALSE, TRUE)) {
        ctrl <- if (tight) list(glmerCtrl = list(optimizer = "bobyqa",
                                                 optCtrl = list(rhoend = 1e-12))) else list()
        res <- suppressWarnings(rma.glmm(measure = "PLO", xi = x, ni = n, control = ctrl))
        k <- length(x)
        b <- c(res$beta)
        if (k >= 3) {
          half <- qt(0.975, k - 2) * sqrt(res$tau2 + res$se^2)
          pi <- transf.ilogit(c(b - half, b + half))
        } else pi <- c(NA, NA)
        call <- sprintf('rma.glmm(measure="PLO", xi=x, ni=n%s)',
                        if (tight) paste0(', control=list(glmerCtrl=list(optimizer="bobyqa", ',
                                         'optCtrl=list(rhoend=1e-12)))') else "")
        add(list(dataset = name, kind = "proportion", arm = arm, scale = "glmm",
                 method = "GLMM", hksj = FALSE, tight = tight, call = call,
                 values = list(k = k, beta = b, se = res$se, pvalue = res$pval,
                               estimate = transf.ilogit(b), ci_low = transf.ilogit(res$ci.lb),
                               ci_high = transf.ilogit(res$ci.ub), pi_low = pi[1],
                               pi_high = pi[2], tau2 = res$tau2, q_lrt = res$QE.LRT,
                               q_lrt_pvalue = res$QEp.LRT)))
      }
    }
  }
  # two arms
  two <- !is.na(d$total_closure) & !is.na(d$total_control)
  a <- d$events_closure[two]; n1 <- d$total_closure[two]
  cc <- d$events_control[two]; n2 <- d$total_control[two]
  if (sum(two) < 2) next
  for (measure in c("RR", "OR", "RD")) {
    drop00 <- measure != "RD"
    dat <- escalc(measure = measure, ai = a, n1i = n1, ci = cc, n2i = n2, add = 0.5,
                  to = "only0", drop00 = drop00)
    kk <- sum(!is.na(dat$yi))
    tf <- if (measure == "RD") identity else exp
    if (kk >= 2) {
      methods <- if (name %in% c("bcg", "published", "heterogeneous")) c(METHODS, EXTRA_METHODS)
                 else METHODS
      for (method in methods) for (hksj in c(FALSE, TRUE)) {
        res <- with_fallback(function(ctrl) rma(yi, vi, data = dat, method = method,
                                    test = if (hksj) "knha" else "z", control = ctrl))
        call <- sprintf(paste0('rma(yi, vi, data=escalc(measure="%s", ai, n1i, ci, n2i, add=0.5, ',
                               'to="only0", drop00=%s), method="%s", test="%s", %s)'),
                        measure, drop00, method, if (hksj) "knha" else "z", ctrl_txt())
        add(list(dataset = name, kind = "compare", measure = measure, method = method,
                 hksj = hksj, call = call, values = summarise_uni(res, tf, kk)))
      }
    }
    # Mantel-Haenszel; with no events in one arm of every study the MH RR/OR is 0 or
    # infinite, and recurrence adds 0.5 to the zero-cell studies (as does add[2] here)
    fallback <- measure != "RD" && (sum(a[!(a == 0 & cc == 0)]) == 0 ||
                                    sum(cc[!(a == 0 & cc == 0)]) == 0)
    if (kk >= 1) {
      if (fallback) {
        res <- rma.mh(ai = a, n1i = n1, ci = cc, n2i = n2, measure = measure,
                      add = c(0.5, 0.5), to = c("only0", "only0"), drop00 = c(TRUE, TRUE))
        call <- sprintf(paste0('rma.mh(ai, n1i, ci, n2i, measure="%s", add=c(0.5, 0.5), ',
                               'to=c("only0", "only0"), drop00=c(TRUE, TRUE))'), measure)
      } else {
        res <- rma.mh(ai = a, n1i = n1, ci = cc, n2i = n2, measure = measure, drop00 = drop00)
        call <- sprintf('rma.mh(ai, n1i, ci, n2i, measure="%s", drop00=%s)', measure, drop00)
      }
      b <- c(res$beta)
      add(list(dataset = name, kind = "compare", measure = measure, method = "MH",
               hksj = FALSE, call = call,
               values = list(k = res$k.yi, beta = b, se = res$se, statistic = res$zval,
                             pvalue = res$pval, estimate = tf(b), ci_low = tf(res$ci.lb),
                             ci_high = tf(res$ci.ub), tau2 = 0, q = res$QE, q_pvalue = res$QEp,
                             i2 = res$I2, h2 = res$H2)))
    }
    if (measure == "OR") {
      res <- rma.peto(ai = a, n1i = n1, ci = cc, n2i = n2, add = 0, to = "none",
                      drop00 = TRUE)
      b <- c(res$beta)
      add(list(dataset = name, kind = "compare", measure = "OR", method = "PETO",
               hksj = FALSE,
               call = 'rma.peto(ai, n1i, ci, n2i, add=0, to="none", drop00=TRUE)',
               values = list(k = res$k.yi, beta = b, se = res$se, statistic = res$zval,
                             pvalue = res$pval, estimate = exp(b), ci_low = exp(res$ci.lb),
                             ci_high = exp(res$ci.ub), tau2 = 0, q = res$QE,
                             q_pvalue = res$QEp, i2 = res$I2, h2 = res$H2)))
    }
  }
}
write_json(pooling, file.path(out_dir, "meta_pooling.json"), digits = NA, auto_unbox = TRUE,
           na = "null", pretty = FALSE)

# ---------------------------------------------------------------- bias, sensitivity --
two_arm <- function(name, measure) {
  d <- sets[[name]]
  two <- !is.na(d$total_closure) & !is.na(d$total_control)
  d <- d[two, ]
  dat <- escalc(measure = measure, ai = d$events_closure, n1i = d$total_closure,
                ci = d$events_control, n2i = d$total_control, add = 0.5, to = "only0",
                drop00 = measure != "RD", slab = d$study)
  cbind(d, yi = dat$yi, vi = dat$vi)[!is.na(dat$yi), ]
}
one_arm <- function(name, arm, tname) {
  d <- sets[[name]]
  x <- d[[paste0("events_", arm)]]
  n <- d[[paste0("total_", arm)]]
  d <- d[!is.na(x) & !is.na(n), ]
  t <- TRANSFORMS[[tname]]
  dat <- escalc(measure = t$measure, xi = d[[paste0("events_", arm)]],
                ni = d[[paste0("total_", arm)]], add = t$add, to = t$to)
  cbind(d, yi = dat$yi, vi = dat$vi)
}

BIAS_FITS <- list(
  list(dataset = "bcg", kind = "compare", measure = "RR"),
  list(dataset = "bcg", kind = "compare", measure = "OR"),
  list(dataset = "published", kind = "compare", measure = "RR"),
  list(dataset = "published", kind = "compare", measure = "RD"),
  list(dataset = "heterogeneous", kind = "compare", measure = "OR"),
  list(dataset = "homogeneous", kind = "compare", measure = "RR"),
  list(dataset = "published", kind = "proportion", arm = "closure", scale = "logit"),
  list(dataset = "published", kind = "proportion", arm = "control", scale = "ft"),
  list(dataset = "heterogeneous", kind = "proportion", arm = "closure", scale = "logit")
)
bias <- list()
sens <- list()
for (f in BIAS_FITS) {
  d <- if (f$kind == "compare") two_arm(f$dataset, f$measure) else
    one_arm(f$dataset, f$arm, f$scale)
  tf <- if (f$kind == "compare") (if (f$measure == "RD") identity else exp) else
    function(v) TRANSFORMS[[f$scale]]$tf(v, d[[paste0("total_", f$arm)]])
  k <- nrow(d)
  # Egger (classical: weighted lm of yi on sei) and Begg, independent of the tau2 method
  fe <- rma(yi, vi, data = d, method = "FE")
  eg <- regtest(fe, model = "lm")
  rk <- suppressWarnings(ranktest(fe))
  bias[[length(bias) + 1]] <- c(f, list(
    test = "egger", call = 'regtest(rma(yi, vi, method="FE"), model="lm")',
    values = list(statistic = eg$zval, pvalue = eg$pval, df = eg$dfs, k = k)))
  # Egger as metafor's default: regtest(model = "rma"), the mixed-effects meta-regression
  # of yi on sei with the model's own tau2 estimator and test
  for (method in c("DL", "REML")) for (tst in c("z", "knha")) {
    mr <- rma(yi, vi, data = d, method = method, test = tst,
              control = list(threshold = 1e-13, maxiter = 10000, tol = 1e-12, stepadj = 0.5))
    eg2 <- regtest(mr, model = "rma")
    bias[[length(bias) + 1]] <- c(f, list(
      test = "egger_rma", method = method, hksj = tst == "knha",
      call = sprintf('regtest(rma(yi, vi, method="%s", test="%s"), model="rma")', method, tst),
      values = list(statistic = eg2$zval, pvalue = eg2$pval,
                    df = if (is.null(eg2$dfs)) NA else eg2$dfs, k = k)))
  }
  bias[[length(bias) + 1]] <- c(f, list(
    test = "begg", call = "ranktest(rma(yi, vi, method=\"FE\"))",
    values = list(statistic = unname(rk$tau), pvalue = rk$pval, k = k)))
  for (method in c("FE", "DL", "REML", "PM")) {
    ni <- if (f$kind == "proportion") d[[paste0("total_", f$arm)]] else
      d$total_closure + d$total_control
    res <- with_fallback(function(ctrl) rma(yi, vi, ni = ni, data = d, method = method,
                                            control = ctrl))
    # side from the classical Egger regression (docs/meta-analysis.md); metafor estimates it from
    # rma(yi, vi, mods = sqrt(vi), method = <same>), which can differ: pass it explicitly
    side <- if (coef(lm(yi ~ sqrt(vi), weights = 1 / vi, data = d))[2] < 0) "right" else "left"
    side_metafor <- with_fallback(function(ctrl) trimfill(res, control = ctrl))$side
    tfr <- with_fallback(function(ctrl) trimfill(res, side = side, control = ctrl))
    nfill <- tfr$k0
    # Freeman-Tukey: metafor back-transforms at the harmonic mean of the sizes of the
    # observed and the filled (mirrored) studies
    tff <- if (f$kind == "proportion" && f$scale == "ft")
      function(v) transf.ipft.hm(v, targs = list(ni = tfr$ni)) else tf
    vals <- list(k0 = tfr$k0, side = tfr$side, se_k0 = tfr$se.k0, k = tfr$k,
                 beta = c(tfr$beta), se = tfr$se, tau2 = tfr$tau2, q = tfr$QE,
                 estimate = tff(c(tfr$beta)), ci_low = tff(tfr$ci.lb), ci_high = tff(tfr$ci.ub),
                 yi_filled = if (nfill > 0) tail(c(tfr$yi), nfill) else list(),
                 vi_filled = if (nfill > 0) tail(c(tfr$vi), nfill) else list(),
                 side_metafor = side_metafor)
    bias[[length(bias) + 1]] <- c(f, list(
      test = "trimfill", method = method,
      call = sprintf('trimfill(rma(yi, vi, method="%s", %s), side="%s")', method, ctrl_txt(),
                     side),
      values = vals))
  }
  # leave-one-out, influence, cumulative by year, for REML and for DL with HKSJ. Steps
  # halved (stepadj = 0.5): the refits inherit the control, and plain Fisher scoring
  # does not converge on some subsets. Freeman-Tukey estimates are back-transformed at
  # the harmonic mean of the sizes of the studies in each refit.
  nvec <- if (f$kind == "proportion") d[[paste0("total_", f$arm)]] else rep(1, k)
  tf_sub <- function(v, keep) {
    if (f$kind == "proportion" && f$scale == "ft")
      transf.ipft.hm(v, targs = list(ni = nvec[keep])) else tf(v)
  }
  for (opt in list(list(method = "REML", hksj = FALSE), list(method = "DL", hksj = TRUE))) {
    res <- suppressWarnings(rma(yi, vi, data = d, method = opt$method,
                                test = if (opt$hksj) "knha" else "z", control = CTRL_HALF,
                                slab = study))
    l1 <- suppressWarnings(leave1out(res))
    inf <- suppressWarnings(influence(res))
    ord <- order(d$year)
    cu <- suppressWarnings(cumul(res, order = d$year))
    l1_tf <- function(v) mapply(function(x, i) tf_sub(x, -i), v, seq_len(k))
    cu_tf <- function(v) mapply(function(x, i) tf_sub(x, ord[seq_len(i)]), v, seq_len(k))
    sens[[length(sens) + 1]] <- c(f, list(
      method = opt$method, hksj = opt$hksj,
      call = sprintf(paste0('rma(yi, vi, method="%s", test="%s", control=list(threshold=1e-13, ',
                            'maxiter=10000, tol=1e-12, stepadj=0.5)) |> leave1out(), ',
                            'influence(), cumul(order=year)'),
                     opt$method, if (opt$hksj) "knha" else "z"),
      leave1out = list(study = l1$slab, beta = l1$estimate, estimate = l1_tf(l1$estimate),
                       ci_low = l1_tf(l1$ci.lb), ci_high = l1_tf(l1$ci.ub), tau2 = l1$tau2,
                       q = l1$Q, i2 = mapply(i2_of, l1$Q, k - 2), pvalue = l1$pval),
      influence = list(study = inf$inf$slab, rstudent = inf$inf$rstudent,
                       dffits = inf$inf$dffits, cook_d = inf$inf$cook.d, cov_r = inf$inf$cov.r,
                       tau2_del = inf$inf$tau2.del, q_del = inf$inf$QE.del, hat = inf$inf$hat,
                       weight = inf$inf$weight, dfbetas = inf$dfbs$intrcpt,
                       influential = inf$is.infl),
      cumulative = list(study = cu$slab, beta = cu$estimate, estimate = cu_tf(cu$estimate),
                        ci_low = cu_tf(cu$ci.lb), ci_high = cu_tf(cu$ci.ub), tau2 = cu$tau2,
                        q = cu$Q, pvalue = cu$pval)))
  }
}
write_json(bias, file.path(out_dir, "meta_bias.json"), digits = NA, auto_unbox = TRUE,
           na = "null")
write_json(sens, file.path(out_dir, "meta_sensitivity.json"), digits = NA, auto_unbox = TRUE,
           na = "null")

# ---------------------------------------------------------------- regression, subgroups --
regs <- list()
reg_case <- function(dataset, measure, mods_txt, mods, method = "REML", hksj = FALSE) {
  d <- two_arm(dataset, measure)
  X <- model.matrix(mods, data = d)
  res <- suppressWarnings(rma(yi, vi, mods = mods, data = d, method = method,
                              test = if (hksj) "knha" else "z", control = CTRL))
  regs[[length(regs) + 1]] <<- list(
    dataset = dataset, measure = measure, moderators = all.vars(mods), method = method,
    hksj = hksj,
    call = sprintf('rma(yi, vi, mods=%s, method="%s", test="%s", %s)', mods_txt, method,
                   if (hksj) "knha" else "z", CTRL_TXT),
    values = list(terms = colnames(X), coef = c(res$beta), se = res$se, statistic = res$zval,
                  pvalue = res$pval, ci_low = res$ci.lb, ci_high = res$ci.ub, qm = res$QM,
                  qm_df = res$QMdf[1], qm_pvalue = res$QMp, qe = res$QE, qe_pvalue = res$QEp,
                  tau2 = res$tau2, r2 = num(res$R2), k = res$k))
}
reg_case("bcg", "RR", "~ ablat + year", ~ ablat + year)
reg_case("bcg", "RR", "~ ablat", ~ ablat, hksj = TRUE)
reg_case("bcg", "RR", "~ alloc", ~ alloc)
reg_case("bcg", "OR", "~ ablat", ~ ablat, method = "ML")
reg_case("bcg", "RR", "~ ablat", ~ ablat, method = "DL")
reg_case("bcg", "RR", "~ ablat", ~ ablat, method = "FE")
reg_case("published", "RR", "~ device", ~ device)
reg_case("heterogeneous", "RR", "~ year", ~ year, method = "PM")
write_json(regs, file.path(out_dir, "meta_regression.json"), digits = NA, auto_unbox = TRUE,
           na = "null")

subs <- list()
for (s in list(list(dataset = "bcg", measure = "RR", by = "alloc"),
               list(dataset = "published", measure = "RR", by = "device"),
               list(dataset = "heterogeneous", measure = "OR", by = "device"))) {
  d <- two_arm(s$dataset, s$measure)
  g <- d[[s$by]]
  groups <- sort(unique(g))
  tf <- if (s$measure == "RD") identity else exp
  rows <- lapply(groups, function(lv) {
    r <- suppressWarnings(rma(yi, vi, data = d, subset = g == lv, method = "REML",
                              control = CTRL))
    list(subgroup = lv, k = r$k, beta = c(r$beta), se = r$se, estimate = tf(c(r$beta)),
         ci_low = tf(r$ci.lb), ci_high = tf(r$ci.ub), tau2 = r$tau2, q = r$QE)
  })
  b <- sapply(rows, `[[`, "beta")
  se <- sapply(rows, `[[`, "se")
  between <- rma(b, sei = se, method = "FE")
  me <- suppressWarnings(rma(yi, vi, mods = ~ factor(g), data = d, method = "REML",
                             control = CTRL))
  subs[[length(subs) + 1]] <- c(s, list(
    call = sprintf(paste0('per subgroup: rma(yi, vi, subset=%s==level, method="REML"); ',
                          'between: rma(b, sei=se, method="FE")$QE; ',
                          'common tau2: rma(yi, vi, mods=~factor(%s), method="REML")$QM'),
                   s$by, s$by),
    values = list(groups = rows, q_between = between$QE, df_between = length(groups) - 1,
                  pvalue_between = between$QEp, qm = me$QM, qm_pvalue = me$QMp)))
}
write_json(subs, file.path(out_dir, "meta_subgroups.json"), digits = NA, auto_unbox = TRUE,
           na = "null")
cat("wrote", length(pooling), "pooling cases,", length(bias), "bias cases,", length(sens),
    "sensitivity cases,", length(regs), "regressions,", length(subs), "subgroup sets\n")
