# Timing of the R reference implementations, called by `python -m benchmarks`.
# Usage: Rscript survival.R cohort.csv repeats task1,task2,...
# Prints JSON {task: median elapsed seconds}. Reading the CSV is not timed.
suppressPackageStartupMessages({library(survival); library(cmprsk); library(jsonlite)})
args <- commandArgs(TRUE)
d <- read.csv(args[1])
reps <- as.integer(args[2])
tasks <- strsplit(args[3], ",")[[1]]
d$closure <- as.integer(as.logical(d$closure))
d$smoker <- as.integer(as.logical(d$smoker))
d$diabetes <- as.integer(as.logical(d$diabetes))
timed <- function(f) median(replicate(reps, system.time(f())[["elapsed"]]))
out <- list()
if ("km" %in% tasks) out$km <- timed(function() survfit(Surv(time, event == 1) ~ closure, data = d))
if ("logrank" %in% tasks) out$logrank <- timed(function() survdiff(Surv(time, event == 1) ~ closure, data = d))
if ("cox" %in% tasks) out$cox <- timed(function()
  coxph(Surv(time, event == 1) ~ closure + age + smoker + diabetes + defect_width_mm, data = d, ties = "efron"))
if ("cluster" %in% tasks) out$cluster <- timed(function()
  coxph(Surv(time, event == 1) ~ closure + age + smoker + diabetes + defect_width_mm + cluster(site),
        data = d, ties = "efron"))
if ("cuminc" %in% tasks) out$cuminc <- timed(function() cuminc(d$time, d$event, d$closure, cencode = 0))
if ("crr" %in% tasks) {
  x <- as.matrix(d[, c("closure", "age", "smoker", "diabetes", "defect_width_mm")])
  out$crr <- timed(function() crr(d$time, d$event, x, failcode = 1, cencode = 0))
}
cat(toJSON(out, auto_unbox = TRUE, digits = NA))
