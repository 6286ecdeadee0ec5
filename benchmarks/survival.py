"""Survival engines against R (survival, cmprsk) and lifelines on the same cohorts."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from ._harness import Goal, TimedOut, median_time, record, run_r

COVARIATES = ["closure", "age", "smoker", "diabetes", "defect_width_mm"]


def cohort(n: int, *, continuous: bool, seed: int = 1) -> pd.DataFrame:
    from recurrence import simulate_cohort

    df = simulate_cohort(n, seed=seed)
    if continuous:  # break the whole-day ties: "continuous times" rows
        rng = np.random.default_rng(seed)
        df["time"] = df["time"] - rng.uniform(0, 1 / 30.4375, n) * 0.999
    return df  # closure, smoker, diabetes stay bool (the CSV says True/False; R reads logical)


def survival_suite(sizes, repeat, r_ok, lifelines_max, crr_sizes):
    import lifelines
    from lifelines.statistics import logrank_test

    from recurrence.survival import cox, cumulative_incidence, fine_gray, kaplan_meier, logrank

    print("Survival", flush=True)
    for n in sizes:
        tied, cont = cohort(n, continuous=False), cohort(n, continuous=True)
        r = {}
        if r_ok:
            with tempfile.TemporaryDirectory() as tmp:
                tied.to_csv(Path(tmp) / "tied.csv", index=False)
                cont.to_csv(Path(tmp) / "cont.csv", index=False)
                r.update(run_r("survival.R", Path(tmp) / "tied.csv", repeat, "km,logrank,cuminc"))
                r.update(run_r("survival.R", Path(tmp) / "cont.csv", repeat, "cox"))
        label = f"{n:,}"

        def lifelines_km(df=tied):
            for _, g in df.groupby("closure"):
                lifelines.KaplanMeierFitter().fit(g["time"], g["event"] == 1)

        def lifelines_lr(df=tied):
            a, b = df[df.closure == 1], df[df.closure == 0]
            logrank_test(a["time"], b["time"], a["event"] == 1, b["event"] == 1)

        record(
            "Kaplan-Meier (2 arms)",
            label,
            median_time(lambda t=tied: kaplan_meier(t), repeat),
            {"R survfit": r.get("km"), "lifelines": median_time(lifelines_km, repeat)},
        )
        record(
            "log-rank",
            label,
            median_time(lambda t=tied: logrank(t), repeat),
            {"R survdiff": r.get("logrank"), "lifelines": median_time(lifelines_lr, repeat)},
        )
        ll_cox = None
        if n <= lifelines_max:
            design = cont[["time", *COVARIATES]].astype(float)
            design["event"] = (cont["event"] == 1).astype(int)
            ll_cox = median_time(
                lambda d=design: lifelines.CoxPHFitter().fit(d, "time", "event"), repeat
            )
        record(
            "Cox (Efron, 5 covariates, continuous)",
            label,
            median_time(lambda c=cont: cox(c, COVARIATES), repeat),
            {"R coxph": r.get("cox"), "lifelines": ll_cox if ll_cox else "skipped"},
            "" if ll_cox else f"lifelines' Cox skipped above {lifelines_max:,} (> 1 min)",
        )
        record(
            "Aalen-Johansen + Gray's test",
            label,
            median_time(lambda t=tied: cumulative_incidence(t), repeat),
            {"R cuminc": r.get("cuminc")},
            "lifelines' Aalen-Johansen jitters ties: not comparable",
        )
        record(
            "Fine-Gray (5 covariates)",
            label,
            median_time(lambda c=cont: fine_gray(c, COVARIATES), repeat),
            {},
            "cmprsk::crr at this size: see the crr rows",
        )
    for n in crr_sizes:
        cont = cohort(n, continuous=True)
        ref = None
        if r_ok:
            with tempfile.TemporaryDirectory() as tmp:
                cont.to_csv(Path(tmp) / "cont.csv", index=False)
                reps = 1 if n > 5000 else repeat
                ref = run_r("survival.R", Path(tmp) / "cont.csv", reps, "crr")["crr"]
        record(
            "Fine-Gray vs cmprsk::crr",
            f"{n:,}",
            median_time(lambda c=cont: fine_gray(c, COVARIATES), repeat),
            {"R crr": ref},
            "crr timed once above 5,000 (it grows with n²)" if n > 5000 else "",
            goal=Goal("≥ 100× crr", ratio=100),
        )


def cluster_suite(n, repeat, r_ok, timeout):
    """Cox with cluster-robust (sandwich) standard errors by site, against
    ``coxph(... + cluster(site))``, which is stopped after ``timeout`` seconds."""
    from recurrence.survival import cox

    print("Cox cluster-robust", flush=True)
    cont = cohort(n, continuous=True)
    ref = None
    if r_ok:
        with tempfile.TemporaryDirectory() as tmp:
            cont.to_csv(Path(tmp) / "cont.csv", index=False)
            out = run_r("survival.R", Path(tmp) / "cont.csv", 1, "cluster", timeout=timeout)
            ref = out if isinstance(out, TimedOut) else out["cluster"]
    note = "R timed once"
    if isinstance(ref, TimedOut):
        note += f", stopped after {timeout:g} s (its time includes reading the CSV)"
    record(
        "Cox cluster-robust by site (5 covariates)",
        f"{n:,}",
        median_time(lambda: cox(cont, COVARIATES, cluster="site"), repeat),
        {"R coxph + cluster(site)": ref},
        note,
        goal=Goal("> 50× R", ratio=50),
    )
