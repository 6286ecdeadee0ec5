# Reference values for recurrence.table_one: the summaries per group and the SMDs.
#
# Run from the repository root:
#   Rscript validation/r/tableone.R
# Writes tests/data/tableone_sex_missing.csv and tests/data/r/tableone.json (digits = NA:
# full precision). Used by tests/test_tableone_r.py. Produced with R 4.2.2.
#
# The tableone package is not in Debian's packages, so its computations are written out
# here with base R, as tableone (and Yang & Dalton 2012) define them:
# - continuous: mean, sd, median and quartiles (quantile type 7) of the non-missing
#   values; SMD = (m1 - m0) / sqrt((s1^2 + s0^2) / 2);
# - categorical (and yes/no as the levels "no", "yes"): counts and percentages of the
#   non-missing values; SMD = sqrt(T' S^-1 T) with T the difference of the level
#   proportions and S the mean of the two groups' multinomial covariances, both without
#   the first (sorted) level; signed as that difference when two levels are left.
# Patients with no value of the grouping column are in no group (tableone's strata).
#
# Data sets
# - data/synthetic/cohort.csv: the packaged cohort, grouped by closure.
# - tests/data/tableone_sex_missing.csv: the same cohort exported as a registry would,
#   with sex left empty for the first 25 patients and bmi for patients 30-39; grouped
#   by sex (M minus F, the order table_one takes).

suppressPackageStartupMessages(library(jsonlite))

# the files write yes/no as True/False, which read.csv keeps as text
yes_no <- function(d) {
  for (v in c("closure", "smoker", "diabetes")) d[[v]] <- d[[v]] == "True"
  d
}
cohort <- yes_no(read.csv("data/synthetic/cohort.csv", stringsAsFactors = FALSE))
missing_sex <- read.csv("data/synthetic/cohort.csv", stringsAsFactors = FALSE)
missing_sex$sex[1:25] <- NA
missing_sex$bmi[30:39] <- NA
write.csv(missing_sex, "tests/data/tableone_sex_missing.csv", row.names = FALSE, na = "")
missing_sex <- yes_no(read.csv("tests/data/tableone_sex_missing.csv", stringsAsFactors = FALSE))

continuous <- c("age", "bmi", "defect_width_mm", "disc_height_mm")
categorical <- c("smoker", "diabetes", "level", "approach", "site", "sex")

as_levels <- function(x) {
  if (is.logical(x)) ifelse(x, "yes", "no") else as.character(x)
}

smd_cont <- function(x1, x0) {
  x1 <- x1[!is.na(x1)]; x0 <- x0[!is.na(x0)]
  (mean(x1) - mean(x0)) / sqrt((var(x1) + var(x0)) / 2)
}

smd_cat <- function(p1, p0) {
  t <- p1[-1]; c <- p0[-1]
  s <- ((diag(t, length(t)) - t %o% t) + (diag(c, length(c)) - c %o% c)) / 2
  d <- t - c
  v <- sqrt(max(drop(d %*% solve(s) %*% d), 0))
  if (length(d) == 1) sign(d) * v else v
}

describe <- function(data, by, groups, call) {
  g <- as.character(if (is.logical(data[[by]])) ifelse(data[[by]], "closure", "no closure") else data[[by]])
  vars <- list()
  for (v in setdiff(continuous, by)) {
    rows <- lapply(groups, function(k) {
      x <- data[[v]][!is.na(g) & g == k]
      y <- x[!is.na(x)]
      list(group = k, n = length(y), missing = sum(is.na(x)), mean = mean(y), sd = sd(y),
           median = median(y), q1 = unname(quantile(y, 0.25, type = 7)),
           q3 = unname(quantile(y, 0.75, type = 7)))
    })
    x1 <- data[[v]][!is.na(g) & g == groups[2]]; x0 <- data[[v]][!is.na(g) & g == groups[1]]
    vars[[v]] <- list(kind = "continuous", rows = rows, smd = smd_cont(x1, x0))
  }
  for (v in setdiff(categorical, by)) {
    x_all <- as_levels(data[[v]])
    levels <- if (is.logical(data[[v]])) c("no", "yes") else sort(unique(x_all[!is.na(x_all)]))
    props <- list()
    rows <- list()
    for (k in groups) {
      x <- x_all[!is.na(g) & g == k]
      n <- sum(!is.na(x))
      counts <- sapply(levels, function(l) sum(x == l, na.rm = TRUE))
      props[[k]] <- counts / n
      for (l in levels) {
        rows[[length(rows) + 1]] <- list(group = k, level = l, n = n, missing = sum(is.na(x)),
                                         count = unname(counts[l]), percent = 100 * unname(counts[l]) / n)
      }
    }
    vars[[v]] <- list(kind = "categorical", rows = rows,
                      smd = smd_cat(props[[groups[2]]], props[[groups[1]]]))
  }
  list(call = call, by = by, groups = as.list(groups),
       sizes = lapply(setNames(groups, groups), function(k) sum(!is.na(g) & g == k)),
       unplaced = sum(is.na(g)), variables = vars)
}

out <- list(
  closure = describe(cohort, "closure", c("no closure", "closure"),
                     "read.csv('data/synthetic/cohort.csv'); summaries by closure; SMD closure - no closure"),
  sex_missing = describe(missing_sex, "sex", c("F", "M"),
                         "read.csv('tests/data/tableone_sex_missing.csv'); strata of non-missing sex; SMD M - F")
)
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, na = "null", pretty = FALSE),
           "tests/data/r/tableone.json")
