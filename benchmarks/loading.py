"""Loading cohorts: ``load_cohort`` against pandas (C and pyarrow parsers) in the same
process and R's ``read.csv``; wide files; peak memory of a fresh process."""

from __future__ import annotations

import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from ._harness import Goal, median_time, median_times, record, run_r


def load_suite(n, repeat, r_ok):
    """A CSV of ``n`` simulated patients: validated, canonical ``load_cohort`` beside a
    bare ``pd.read_csv`` (no checks, no types beyond the parser's) and ``read.csv``."""
    from recurrence import load_cohort, simulate_cohort

    print("Loading", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "cohort.csv"
        simulate_cohort(n, seed=3).to_csv(path, index=False)
        ours = median_time(lambda: load_cohort(path), repeat)
        refs = {
            "pandas read_csv": median_time(lambda: pd.read_csv(path), repeat),
            "pandas read_csv (pyarrow engine)": median_time(
                lambda: pd.read_csv(path, engine="pyarrow"), repeat
            ),
        }
        if r_ok:
            refs["R read.csv"] = run_r("read.R", path, repeat)["seconds"]
    record(
        "load_cohort (CSV, validated, canonical)",
        f"{n:,}",
        ours,
        refs,
        "the references only parse the file; load_cohort also checks every cell, maps "
        "names and values and builds canonical types",
    )


def _wide_files(tmp: Path, cols: int):
    """Two files of about the same number of cells: ``cols`` questionnaire columns for
    30 patients, and 30 such columns for ``cols`` patients."""
    from recurrence import simulate_cohort

    rng = np.random.default_rng(3)
    paths = {}
    for name, rows, extra in (("wide", 30, cols), ("long", cols, 30)):
        base = simulate_cohort(rows, seed=3)[["patient_id", "closure", "time", "event"]]
        q = pd.DataFrame(rng.integers(0, 4, (rows, extra)), columns=[f"q{j}" for j in range(extra)])
        paths[name] = tmp / f"{name}.csv"
        pd.concat([base, q], axis=1).to_csv(paths[name], index=False)
    return paths


def wide_suite(cols, repeat):
    """Loading is linear in the number of columns: ``cols`` columns load in about the
    time of ``cols`` rows."""
    from recurrence import load_cohort

    print("Wide files", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        paths = _wide_files(Path(tmp), cols)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            # interleaved, and at least 7 times (a load is a tenth of a second): the
            # goal is a ratio of the two, which drifts of the machine would bend
            wide, long, pd_wide = median_times(
                [
                    lambda: load_cohort(paths["wide"]),
                    lambda: load_cohort(paths["long"]),
                    lambda: pd.read_csv(paths["wide"]),
                ],
                max(repeat, 7),
            )
    long_name = f"load_cohort: 30 columns × {cols:,} rows"
    record(
        f"load_cohort: {cols:,} columns × 30 rows",
        f"{30 * (cols + 4):,} cells",
        wide,
        {long_name: long, "pandas read_csv (same file)": pd_wide},
        "× ref < 1 is slower than the reference; the goal is the wide file within 2× the long one",
        goal=Goal(
            f"{cols:,} columns in about the time of {cols:,} rows (≥ 0.5×)",
            ratio=0.5,
            against=long_name,
        ),
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
        "load_cohort in a fresh process (first call)",
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
        goal=Goal("< 1 GiB", at_most=1024) if n >= 1_000_000 else None,
    )
    record(
        "peak memory: load + KM + log-rank + AJ/Gray + Cox + Fine-Gray",
        f"{n:,}",
        round(int(peak_kb) / 1024),
        {},
        f"whole pipeline took {float(seconds):.1f} s",
        unit="MiB",
    )
