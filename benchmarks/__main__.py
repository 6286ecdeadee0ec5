"""Benchmarks: ``recurrence`` against R and lifelines/statsmodels, in the same run.

Usage::

    uv run python -m benchmarks                  # everything (about 15 minutes)
    uv run python -m benchmarks --quick          # 20k patients, 1,000 meta-analyses
    uv run python -m benchmarks --only survival --sizes 20000,200000
    uv run python -m benchmarks --only design --only meta

Every row is the median of ``--repeat`` runs (default 3). R rows need ``Rscript`` with
survival, cmprsk and metafor; they are skipped with a note when R is missing. Reading
data is never timed (R reads its CSV before the clock starts; Python times the call on
a DataFrame already in memory). A reference too slow to run in full is timed on a
subset and scaled: the row says so.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
COVARIATES = ["closure", "age", "smoker", "diabetes", "defect_width_mm"]
ROWS: list[dict] = []


def median_time(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def record(
    task: str,
    n: str,
    ours: float | None,
    refs: dict[str, float | str | None],
    note: str = "",
    unit: str = "s",
):
    """One row per reference (or one row without): medians, and how many times faster
    recurrence is (reference time / recurrence time)."""
    for name, value in (refs or {"–": None}).items():
        faster = value / ours if isinstance(value, (int, float)) and ours else None
        ROWS.append(
            {
                "task": task,
                "n": n,
                "recurrence": ours,
                "reference": name,
                "reference value": value,
                "recurrence faster ×": faster,
                "unit": unit,
                "note": note,
            }
        )
        shown = f"{value:.3g}" if isinstance(value, float) else str(value)
        ratio = f" ({faster:.2f}×)" if faster else ""
        print(
            f"  {task:<40} n={n:<10} recurrence {ours if ours is None else f'{ours:.3g}'} {unit}"
            f" | {name} {shown}{ratio}",
            flush=True,
        )


def have_r() -> bool:
    if shutil.which("Rscript") is None:
        return False
    probe = subprocess.run(
        ["Rscript", "-e", "library(survival); library(cmprsk); library(metafor)"],
        capture_output=True,
    )
    return probe.returncode == 0


def run_r(script: str, *args) -> dict:
    out = subprocess.run(
        ["Rscript", str(HERE / "r" / script), *map(str, args)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def cohort(n: int, *, continuous: bool, seed: int = 1) -> pd.DataFrame:
    from recurrence import simulate_cohort

    df = simulate_cohort(n, seed=seed)
    if continuous:  # break the whole-day ties: "continuous times" rows
        rng = np.random.default_rng(seed)
        df["time"] = df["time"] - rng.uniform(0, 1 / 30.4375, n) * 0.999
    for col in ("smoker", "diabetes", "closure"):
        df[col] = df[col].astype(int)
    return df


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
            design = cont[["time", *COVARIATES]].assign(event=(cont["event"] == 1).astype(int))
            ll_cox = median_time(
                lambda d=design: lifelines.CoxPHFitter().fit(d, "time", "event"), repeat
            )
        record(
            "Cox (Efron, 5 covariates, continuous)",
            label,
            median_time(lambda c=cont: cox(c, COVARIATES), repeat),
            {"R coxph": r.get("cox"), "lifelines": ll_cox if ll_cox else "skipped"},
            "" if ll_cox else f"lifelines skipped above {lifelines_max:,} (> 1 min)",
        )
        record(
            "Aalen-Johansen + Gray's test",
            label,
            median_time(lambda t=tied: cumulative_incidence(t), repeat),
            {"R cuminc": r.get("cuminc")},
            "lifelines' Aalen-Johansen jitters ties: not comparable",
        )
        fg_repeat = repeat if n <= 200_000 else max(1, min(repeat, 3))
        record(
            "Fine-Gray (5 covariates)",
            label,
            median_time(lambda c=cont: fine_gray(c, COVARIATES), fg_repeat),
            {},
            "cmprsk::crr at this size: see the crr rows",
        )
    for n in crr_sizes:
        cont = cohort(n, continuous=True)
        ref = None
        if r_ok:
            with tempfile.TemporaryDirectory() as tmp:
                cont.to_csv(Path(tmp) / "cont.csv", index=False)
                ref = run_r("survival.R", Path(tmp) / "cont.csv", 1 if n > 5000 else repeat, "crr")[
                    "crr"
                ]
        record(
            "Fine-Gray vs cmprsk::crr",
            f"{n:,}",
            median_time(lambda c=cont: fine_gray(c, COVARIATES), repeat),
            {"R crr": ref},
            "crr timed once above 5,000 (it grows with n²)" if n > 5000 else "",
        )


def meta_suite(m, repeat, r_ok, ref_m):
    from statsmodels.stats.meta_analysis import combine_effects

    from recurrence.meta.pooling import pool_many

    print("Meta-analysis", flush=True)
    rng = np.random.default_rng(7)
    k = 20
    vi = rng.uniform(0.01, 0.2, (m, k))
    yi = rng.normal(-0.7, np.sqrt(vi + 0.05))
    for method in ("REML", "DL"):
        ours = median_time(lambda meth=method: pool_many(yi, vi, method=meth), repeat)
        sm_method = {"REML": "iterated", "DL": "chi2"}[method]
        sub = min(ref_m, m)

        def statsmodels_loop(meth=sm_method, sub=sub):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                for i in range(sub):
                    combine_effects(yi[i], vi[i], method_re=meth)

        sm = median_time(statsmodels_loop, repeat) * m / sub
        ref = None
        if r_ok:
            with tempfile.TemporaryDirectory() as tmp:
                frame = pd.DataFrame(
                    {
                        "analysis": np.repeat(np.arange(sub), k),
                        "yi": yi[:sub].ravel(),
                        "vi": vi[:sub].ravel(),
                    }
                )
                frame.to_csv(Path(tmp) / "e.csv", index=False)
                ref = run_r("meta.R", Path(tmp) / "e.csv", repeat, method)["seconds"] * m / sub
        note = f"references timed on {sub:,} analyses and scaled ×{m / sub:g}" if sub < m else ""
        note += (
            "; statsmodels' 'iterated' is Paule-Mandel, its closest to REML"
            if method == "REML"
            else ""
        )
        record(
            f"{m:,} random-effects meta-analyses ({method})",
            f"k={k}",
            ours,
            {"metafor": ref, "statsmodels": sm},
            note.strip("; "),
        )


def glmm_row(repeat, r_ok):
    """The binomial-normal GLMM of the packaged studies' closure arms against
    ``metafor::rma.glmm`` (lme4, nAGQ = 7) on the same counts."""
    from recurrence import load_studies
    from recurrence.meta.glmm import glmm_proportions

    st = load_studies()
    arm = st[st["total_closure"].notna()]
    x = arm["events_closure"].to_numpy(float)
    n = arm["total_closure"].to_numpy(float)
    fits = 20
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = median_time(lambda: [glmm_proportions(x, n) for _ in range(fits)], repeat) / fits
    ref = None
    if r_ok:
        with tempfile.TemporaryDirectory() as tmp:
            pd.DataFrame({"events": x, "total": n}).to_csv(Path(tmp) / "c.csv", index=False)
            ref = run_r("glmm.R", Path(tmp) / "c.csv", repeat, fits)["seconds"]
    record(
        "GLMM of one arm's proportions (binomial-normal, 7-node AGHQ)",
        f"k={len(x)}",
        ours,
        {"metafor rma.glmm": ref},
        f"closure arms of the packaged studies; one fit timed as the mean of {fits}",
    )


def design_suite(repeat, r_ok):
    """Simulated power (benchmarks/design.py): trials per second of each engine and
    analysis against an R loop of the same trial, as seconds per 1,000 trials."""
    from benchmarks.design import versus_r

    print("Simulated power", flush=True)
    frame = versus_r(repeat, r=r_ok)
    for row in frame.to_dict("records"):
        r_rate = row["R trials/s"]
        record(
            f"simulated power: {row['analysis']} ({row['engine']} engine)",
            f"400 × {row['trials']:,}",
            1000 / row["trials/s"],
            {"R loop": 1000 / r_rate if r_rate and r_rate == r_rate else None},
            "default design (n_per_arm 200, large defect, HR 0.5); simulation included",
            unit="s per 1,000 trials",
        )


def other_suite(repeat):
    print("Whole jobs", flush=True)
    code = "import recurrence"
    base = median_time(lambda: subprocess.run([sys.executable, "-c", "pass"], check=True), 5)
    imp = median_time(lambda: subprocess.run([sys.executable, "-c", code], check=True), 5)
    record("import recurrence", "–", imp - base, {}, f"interpreter start ({base:.3f} s) subtracted")
    try:
        from recurrence import report
    except ImportError:
        record("report on the default data", "2,000", None, {}, "report extra not installed")
        return
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "r.pdf"
        record(
            "report on the default data (PDF)",
            "2,000",
            median_time(lambda: report.build(out=out), repeat),
            {},
        )


# Peak memory is read from /proc/self/status (VmHWM: this process's own high-water
# mark). ru_maxrss would not do: after fork + exec it includes the parent's resident
# size at the fork, and the parent has just built a 1M-row cohort.
MEMORY_SCRIPT = """
import sys, time
from recurrence import load_cohort
from recurrence.survival import cox, cumulative_incidence, fine_gray, kaplan_meier, logrank

def peak_kb():
    with open("/proc/self/status") as fh:
        return next(int(line.split()[1]) for line in fh if line.startswith("VmHWM:"))

t = time.perf_counter()
c = load_cohort(sys.argv[1])
load_seconds = time.perf_counter() - t
load_peak = peak_kb()
covs = ["closure", "age", "smoker", "diabetes", "defect_width_mm"]
kaplan_meier(c); logrank(c); cumulative_incidence(c); cox(c, covs); fine_gray(c, covs)
print(load_peak, peak_kb(), time.perf_counter() - t, load_seconds)
"""


def memory_suite(n):
    print("Memory", flush=True)
    from recurrence import simulate_cohort

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "cohort.csv"
        simulate_cohort(n, seed=3).to_csv(path, index=False)
        out = subprocess.run(
            [sys.executable, "-c", MEMORY_SCRIPT, str(path)],
            capture_output=True,
            text=True,
            check=True,
        )
        load_kb, peak_kb, seconds, load_seconds = out.stdout.split()
    record(
        "load a CSV cohort (validated, canonical)",
        f"{n:,}",
        float(load_seconds),
        {},
        "one run, in a fresh process",
    )
    record(
        "peak memory: load a CSV cohort",
        f"{n:,}",
        round(int(load_kb) / 1024),
        {},
        "resident set size of a fresh process that imported the survival engine",
        unit="MiB",
    )
    record(
        "peak memory: load + KM + log-rank + AJ/Gray + Cox + Fine-Gray",
        f"{n:,}",
        round(int(peak_kb) / 1024),
        {},
        f"whole pipeline took {float(seconds):.1f} s",
        unit="MiB",
    )


def to_markdown(rows: list[dict]) -> str:
    frame = pd.DataFrame(rows)

    def cell(v):
        if v is None or (isinstance(v, float) and np.isnan(v)):
            return "–"
        if isinstance(v, (float, int)) and not isinstance(v, bool):
            return f"{v:.3g}" if abs(v) < 100 else f"{v:,.0f}"
        return str(v)

    cols = list(frame.columns)
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    lines += [
        "| " + " | ".join(cell(v) for v in row) + " |" for row in frame.itertuples(index=False)
    ]
    return "\n".join(lines)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--quick", action="store_true", help="20k patients, 1,000 meta-analyses")
    parser.add_argument("--sizes", default=None, help="comma-separated cohort sizes")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--only", choices=["survival", "meta", "design", "other", "memory"], action="append"
    )
    parser.add_argument(
        "--crr", default="5000", help="sizes for the cmprsk::crr rows ('' for none)"
    )
    parser.add_argument("--out", type=Path, default=None, help="write the markdown table here")
    args = parser.parse_args(argv)
    sizes = (
        [int(s) for s in args.sizes.split(",")]
        if args.sizes
        else [20_000]
        if args.quick
        else [20_000, 200_000, 1_000_000]
    )
    suites = set(args.only or ["survival", "meta", "design", "other", "memory"])
    r_ok = have_r()
    print(
        f"R: {'found' if r_ok else 'not found: R rows skipped'}; repeats: {args.repeat}; "
        f"cores: {os.cpu_count()}",
        flush=True,
    )
    warnings.simplefilter("ignore")
    if "survival" in suites:
        crr = [int(s) for s in args.crr.split(",") if s]
        survival_suite(
            sizes,
            args.repeat,
            r_ok,
            lifelines_max=200_000 if not args.quick else 20_000,
            crr_sizes=crr,
        )
    if "meta" in suites:
        meta_suite(1_000 if args.quick else 10_000, args.repeat, r_ok, ref_m=1_000)
        glmm_row(args.repeat, r_ok)
    if "design" in suites:
        design_suite(args.repeat, r_ok)
    if "other" in suites:
        other_suite(args.repeat)
    if "memory" in suites:
        memory_suite(200_000 if args.quick else 1_000_000)
    table = to_markdown(ROWS)
    print()
    print(table)
    if args.out:
        args.out.write_text(
            f"Command: `uv run python -m benchmarks {' '.join(argv or sys.argv[1:])}`\n\n{table}\n"
        )


if __name__ == "__main__":
    main()
