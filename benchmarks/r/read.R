# Timing of R's read.csv on a cohort file, called by `python -m benchmarks --only load`.
# Usage: Rscript read.R cohort.csv repeats
# Prints JSON {seconds: median elapsed seconds of read.csv, rows}.
suppressPackageStartupMessages(library(jsonlite))
args <- commandArgs(TRUE)
reps <- as.integer(args[2])
d <- NULL
seconds <- median(replicate(reps, system.time(d <<- read.csv(args[1]))[["elapsed"]]))
cat(toJSON(list(seconds = seconds, rows = nrow(d)), auto_unbox = TRUE, digits = NA))
