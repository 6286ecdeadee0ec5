# Timing of metafor: m random-effects meta-analyses of k studies, one rma() call each.
# Usage: Rscript meta.R effects.csv repeats method   (columns: analysis, yi, vi)
suppressPackageStartupMessages({library(metafor); library(jsonlite)})
args <- commandArgs(TRUE)
d <- read.csv(args[1])
reps <- as.integer(args[2])
method <- args[3]
groups <- split(d, d$analysis)
failed <- 0
run <- function() {
  failed <<- 0
  for (g in groups) {
    fit <- try(rma(g$yi, g$vi, method = method), silent = TRUE)
    if (inherits(fit, "try-error")) failed <<- failed + 1  # non-convergence: counted, timed
  }
}
seconds <- median(replicate(reps, system.time(run())[["elapsed"]]))
cat(toJSON(list(seconds = seconds, analyses = length(groups), failed = failed),
           auto_unbox = TRUE, digits = NA))
