# Timing of a sensitivity panel in R: the frequentist methods of recurrence's
# meta.sensitivity (OR of the packaged two-arm studies) with metafor, one call each: FE, MH,
# Peto (OR), DL, REML, REML + Knapp-Hartung, PM, and the binomial-normal GLMM
# (rma.glmm, OR). The panel's two Bayesian rows have no metafor counterpart and are not
# timed here. Called by `python -m benchmarks --only meta`.
# Usage: Rscript sensitivity.R studies.csv repeats panels
#   (columns: events_closure, total_closure, events_control, total_control)
# Prints JSON {seconds: median over repeats of the time of one panel}.
suppressPackageStartupMessages({library(metafor); library(jsonlite)})
args <- commandArgs(TRUE)
d <- read.csv(args[1])
reps <- as.integer(args[2])
panels <- as.integer(args[3])
panel <- function() {
  e <- escalc("OR", ai = d$events_closure, n1i = d$total_closure,
              ci = d$events_control, n2i = d$total_control)
  fits <- list(
    rma(yi, vi, data = e, method = "FE"),
    rma.mh(ai = d$events_closure, n1i = d$total_closure, ci = d$events_control,
           n2i = d$total_control, measure = "OR"),
    rma.peto(ai = d$events_closure, n1i = d$total_closure, ci = d$events_control,
             n2i = d$total_control),
    rma(yi, vi, data = e, method = "DL"),
    rma(yi, vi, data = e, method = "REML"),
    rma(yi, vi, data = e, method = "REML", test = "knha"),
    rma(yi, vi, data = e, method = "PM"),
    suppressWarnings(rma.glmm(measure = "OR", ai = d$events_closure, n1i = d$total_closure,
                              ci = d$events_control, n2i = d$total_control, model = "UM.FS"))
  )
  fits
}
run <- function() for (i in seq_len(panels)) panel()
seconds <- median(replicate(reps, system.time(run())[["elapsed"]])) / panels
cat(toJSON(list(seconds = seconds), auto_unbox = TRUE, digits = NA))
