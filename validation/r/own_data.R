# Published data sets exported the way a hospital or a registry exports them (their own
# column names, labels instead of codes, days instead of months, a title row, an Excel
# sheet), and R's results on the same data: the reference for reading a user's own file.
#
# Run from the repository root:
#   Rscript validation/r/own_data.R
# Writes tests/data/own/*.csv|xlsx (committed) and tests/data/r/own_data.json, read by
# tests/test_own_data.py. Produced with R 4.2.2, survival 3.5-3, cmprsk 2.2-11,
# metafor 3.8-1, openxlsx 4.2.5.2.
#
# Data sets
# - survival::lung (NCCTG advanced lung cancer, 228 patients). Export "lung_registry.csv":
#   a title row and a blank row above the header; "Pat-ID", "Arm" (sex 2 = "Closure",
#   sex 1 = "Standard": a stand-in for the arm, so that the HR of "closure" is R's HR of
#   female sex), "FU (days)", "Outcome" ("recurrence" for status 2, "alive" for 1), and
#   the covariates under R's own names (age, ph.ecog, ph.karno, pat.karno, meal.cal,
#   wt.loss), empty where R has NA. Reference: coxph(Surv(time, status == 2) ~ female +
#   age + ph.karno + wt.loss), Efron ties.
# - survival::colon (adjuvant chemotherapy for colon cancer). One row per patient of the
#   arms "Lev+5FU" (= "Barricaid") and "Obs" (= "none"): recurrence (etype 1) is the
#   event, death without recurrence the competing event; "9" codes a censored patient
#   whose status is "unknown" in one of the two status columns (as registries code it),
#   i.e. censored. Export "colon_registry.xlsx", sheet "export", title row above the
#   header, days. Reference: crr(ftime, fstatus, cov1 = cbind(closure, age, nodes),
#   failcode = 1, cencode = 0) on patients with nodes known, and the cause-specific
#   coxph of recurrence.
# - metafor::dat.bcg (BCG vaccine trials). Export "bcg_trials.csv" with the author and
#   year as the label, counts per arm as "TB vaccinated", "N vaccinated", ...,
#   latitude ("ablat") and allocation. Reference: rma(measure = "RR", ai, n1i, ci, n2i,
#   mods = ~ ablat + year, method = "REML").

suppressPackageStartupMessages({
  library(survival)
  library(cmprsk)
  library(metafor)
  library(jsonlite)
  library(openxlsx)
})

dir.create("tests/data/own", showWarnings = FALSE, recursive = TRUE)
out <- list(versions = list(R = R.version.string,
                            survival = as.character(packageVersion("survival")),
                            cmprsk = as.character(packageVersion("cmprsk")),
                            metafor = as.character(packageVersion("metafor"))))
ctl <- coxph.control(eps = 1e-10, iter.max = 100)

cox_out <- function(fit) list(
  terms = names(coef(fit)), coef = unname(coef(fit)),
  se = unname(sqrt(diag(fit$var))), n = fit$n, nevent = fit$nevent,
  loglik = unname(fit$loglik))

# ---------------------------------------------------------------- lung (CSV, title row)
lung2 <- survival::lung
lung2$female <- as.integer(lung2$sex == 2)
export <- data.frame(
  "Pat-ID" = sprintf("NCCTG-%03d", seq_len(nrow(lung2))),
  "Arm" = ifelse(lung2$sex == 2, "Closure", "Standard"),
  "FU (days)" = lung2$time,
  "Outcome" = ifelse(lung2$status == 2, "recurrence", "alive"),
  "age" = lung2$age, "ph.ecog" = lung2$ph.ecog, "ph.karno" = lung2$ph.karno,
  "pat.karno" = lung2$pat.karno, "meal.cal" = lung2$meal.cal, "wt.loss" = lung2$wt.loss,
  check.names = FALSE)
con <- file("tests/data/own/lung_registry.csv", "w")
writeLines(c("NCCTG lung cancer registry: export of 2024-03-01", ""), con)
write.csv(export, con, row.names = FALSE, na = "")
close(con)
fit <- coxph(Surv(time, status == 2) ~ female + age + ph.karno + wt.loss, data = lung2,
             control = ctl)
out$lung_cox <- cox_out(fit)
out$lung_cox$call <- "coxph(Surv(time, status == 2) ~ female + age + ph.karno + wt.loss, data = lung)"

# ---------------------------------------------------------------- colon (xlsx, competing)
rec <- subset(colon, etype == 1 & rx %in% c("Obs", "Lev+5FU"))
dth <- subset(colon, etype == 2 & rx %in% c("Obs", "Lev+5FU"))
stopifnot(all(rec$id == dth$id))
fstatus <- ifelse(rec$status == 1, 1, ifelse(dth$status == 1, 2, 0))
ftime <- ifelse(rec$status == 1, rec$time, dth$time)
status_text <- c("0" = "alive", "1" = "recurrence", "2" = "death")[as.character(fstatus)]
# Every 7th censored patient has an unknown status, coded 9 (= censored, as the
# registry's data dictionary says).
censored <- which(fstatus == 0)
status_text[censored[seq(1, length(censored), by = 7)]] <- "9"
colon_export <- data.frame(
  "Patient" = sprintf("C%04d", rec$id),
  "Treatment" = ifelse(rec$rx == "Lev+5FU", "Barricaid", "none"),
  "Days to event" = ftime,
  "Status" = unname(status_text),
  "Age (years)" = rec$age,
  "Sex" = ifelse(rec$sex == 1, "M", "F"),
  "nodes" = rec$nodes,
  "obstruct" = rec$obstruct,
  "differ" = rec$differ,
  check.names = FALSE)
wb <- createWorkbook()
addWorksheet(wb, "export")
writeData(wb, "export", "Colon adjuvant trial, registry extract (days since surgery)",
          startRow = 1, startCol = 1)
writeData(wb, "export", colon_export, startRow = 3, startCol = 1, keepNA = FALSE)
saveWorkbook(wb, "tests/data/own/colon_registry.xlsx", overwrite = TRUE)

closure <- as.integer(rec$rx == "Lev+5FU")
ok <- !is.na(rec$nodes)
cov <- cbind(closure = closure, age = rec$age, nodes = rec$nodes)[ok, ]
best <- NULL
for (gtol in c(1e-10, 1e-9, 1e-8, 1e-7, 1e-6)) {
  f <- crr(ftime[ok], fstatus[ok], cov1 = cov, failcode = 1, cencode = 0, gtol = gtol,
           maxiter = 100)
  if (isTRUE(f$converged)) { best <- f; break }
}
out$colon_fg <- list(
  call = "crr(ftime, fstatus, cov1 = cbind(closure, age, nodes), failcode = 1, cencode = 0)",
  terms = colnames(cov), coef = unname(best$coef), se = unname(sqrt(diag(best$var))),
  n = sum(ok), gtol = gtol)
d <- data.frame(ftime, fstatus, closure, age = rec$age, nodes = rec$nodes)
fit <- coxph(Surv(ftime, fstatus == 1) ~ closure + age + nodes, data = d, control = ctl)
out$colon_cox <- cox_out(fit)
out$colon_cox$call <- "coxph(Surv(ftime, fstatus == 1) ~ closure + age + nodes)"
out$colon_counts <- list(n = length(fstatus), events = sum(fstatus == 1),
                         competing = sum(fstatus == 2), censored = sum(fstatus == 0),
                         months_max = max(ftime) / 30.4375)

# ---------------------------------------------------------------- dat.bcg (study table)
bcg <- dat.bcg
bcg_export <- data.frame(
  "Trial" = paste(bcg$author, bcg$year),
  "TB vaccinated" = bcg$tpos, "N vaccinated" = bcg$tpos + bcg$tneg,
  "TB control" = bcg$cpos, "N control" = bcg$cpos + bcg$cneg,
  "Year" = bcg$year, "Latitude" = bcg$ablat, "Allocation" = bcg$alloc,
  check.names = FALSE)
write.csv(bcg_export, "tests/data/own/bcg_trials.csv", row.names = FALSE)
res <- rma(measure = "RR", ai = tpos, n1i = tpos + tneg, ci = cpos, n2i = cpos + cneg,
           mods = ~ ablat + year, data = bcg, method = "REML",
           control = list(REMLf = TRUE, tol = 1e-12, maxiter = 1000))
out$bcg_regression <- list(
  call = "rma(measure = 'RR', ai, n1i, ci, n2i, mods = ~ ablat + year, method = 'REML')",
  terms = rownames(res$beta), coef = unname(drop(res$beta)), se = unname(res$se),
  pvalue = unname(res$pval), tau2 = res$tau2, qm = res$QM, qm_pvalue = res$QMp)
pooled <- rma(measure = "RR", ai = tpos, n1i = tpos + tneg, ci = cpos, n2i = cpos + cneg,
              data = bcg, method = "REML", control = list(tol = 1e-12, maxiter = 1000))
out$bcg_pooled <- list(call = "rma(measure = 'RR', ai, n1i, ci, n2i, method = 'REML')",
                       estimate = exp(as.numeric(pooled$beta)), ci_low = exp(pooled$ci.lb),
                       ci_high = exp(pooled$ci.ub), tau2 = pooled$tau2)

writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE),
           "tests/data/r/own_data.json")
cat("wrote tests/data/own/ and tests/data/r/own_data.json\n")
