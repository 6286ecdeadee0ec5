#!/usr/bin/env Rscript
# The GLMMs for odds ratios (the sensitivity panel's GLMM row) and for one arm's
# proportions (the pooled rate, transform = "glmm") on a study table
# exported as a registry would: tests/data/own/bcg_trials.csv (metafor's dat.bcg under its
# own column names, written by validation/r/own_data.R), read back from the file here.
# Run from the repository root:
#
#     Rscript validation/r/own_data_glmm.R     # writes tests/data/r/own_data_glmm.json
suppressPackageStartupMessages({
  library(metafor)   # 3.8-1, lme4 through rma.glmm
  library(jsonlite)
})

d <- read.csv("tests/data/own/bcg_trials.csv", check.names = FALSE)
ai <- d[["TB vaccinated"]]; n1i <- d[["N vaccinated"]]
ci <- d[["TB control"]]; n2i <- d[["N control"]]
tight <- list(glmerCtrl = list(optimizer = "bobyqa", optCtrl = list(rhoend = 1e-12)))
g <- suppressWarnings(rma.glmm(measure = "OR", ai = ai, n1i = n1i, ci = ci, n2i = n2i,
                               model = "UM.FS", control = tight))
out <- list(glmm_or = list(
  call = paste0('rma.glmm(measure="OR", ai, n1i, ci, n2i, model="UM.FS", ',
                'control=list(glmerCtrl=list(optimizer="bobyqa", optCtrl=list(rhoend=1e-12))))'),
  k = g$k, beta = c(g$beta), se = g$se, tau2 = g$tau2, estimate = exp(c(g$beta)),
  ci_low = exp(g$ci.lb), ci_high = exp(g$ci.ub)))
# the one-arm GLMM (the pooled rate of an arm, transform = "glmm"): the vaccinated arm
p <- suppressWarnings(rma.glmm(measure = "PLO", xi = ai, ni = n1i, control = tight))
out$glmm_plo <- list(
  call = paste0('rma.glmm(measure="PLO", xi=ai, ni=n1i, ',
                'control=list(glmerCtrl=list(optimizer="bobyqa", optCtrl=list(rhoend=1e-12))))'),
  k = p$k, beta = c(p$beta), se = p$se, tau2 = p$tau2, estimate = plogis(c(p$beta)),
  ci_low = plogis(p$ci.lb), ci_high = plogis(p$ci.ub))
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE),
           "tests/data/r/own_data_glmm.json")
cat("wrote tests/data/r/own_data_glmm.json\n")
