# Timing of metafor::rma.glmm(measure = "PLO") (lme4::glmer, nAGQ = 7): the binomial-
# normal model of one arm's proportions, called by `python -m benchmarks --only meta`.
# Usage: Rscript glmm.R counts.csv repeats fits   (columns: events, total)
# Prints JSON {seconds: median over repeats of the time of one fit, tau2, estimate}.
suppressPackageStartupMessages({library(metafor); library(jsonlite)})
args <- commandArgs(TRUE)
d <- read.csv(args[1])
reps <- as.integer(args[2])
fits <- as.integer(args[3])
run <- function() for (i in seq_len(fits)) fit <<- rma.glmm(measure = "PLO", xi = d$events, ni = d$total)
fit <- NULL
seconds <- median(replicate(reps, system.time(run())[["elapsed"]])) / fits
cat(toJSON(list(seconds = seconds, tau2 = fit$tau2, estimate = as.numeric(fit$beta)),
           auto_unbox = TRUE, digits = NA))
