"""Benchmark: simulated trials per second, against R loops, and on processes and Dask.

Usage::

    uv run python -m benchmarks.design                 # both parts
    uv run python -m benchmarks.design --only r        # engines against R loops
    uv run python -m benchmarks.design --only backends --replicates 250 --workers 2

**Against R** (``versus_r``): the default design (n_per_arm 200, so 400 patients;
large-defect population; HR 0.5) analysed by log-rank, Cox, Gray's test, Fine-Gray, and
all four on the same trials, on one core: each engine of ``simulate_power``
(``batched``, ``fast``, ``per-trial``) against a loop in R that simulates the same trial
and calls ``survdiff``, ``coxph``, ``cuminc`` or ``crr`` (``benchmarks/r/power.R``).
Every figure is the median of ``--repeat`` runs; trials per second include simulating
the trials (both sides) and, for Python, stacking and summarising them.

**Backends**:
the same job (same seed, same scenarios, same analyses) runs three times: in this
process (``backend="serial"``), on a joblib loky pool (``backend="processes"``) and
on a ``distributed.LocalCluster`` (``client=``). Start-up is timed apart from the run:
creating the cluster and its client, and a first tiny job that starts the workers and
imports ``recurrence`` in each. Every backend must give the identical table, or the
``identical`` column says so.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import time
from pathlib import Path

import numpy as np
import pandas as pd

ANALYSES = ["logrank", "cox", "gray", "finegray"]
HERE = Path(__file__).resolve().parent
ENGINES = ("fast", "batched", "per-trial")
#: Trials per timed run: Python engines, the per-trial engine, and R (whose loops are
#: 10-50× slower; enough for a median of 3 to be stable, not so many that R takes minutes).
TRIALS = {"engine": 4000, "per-trial": 400}
R_TRIALS = {"logrank": 600, "cox": 600, "gray": 600, "finegray": 150, "all": 100}


def _r_loops(repeat: int, scale: float = 1.0) -> dict | None:
    if shutil.which("Rscript") is None:
        return None
    spec = ",".join(f"{k}={max(10, round(v * scale))}" for k, v in R_TRIALS.items())
    try:
        out = subprocess.run(
            ["Rscript", str(HERE / "r" / "power.R"), "200", str(repeat), spec],
            capture_output=True,
            text=True,
            check=True,
        )
    except (subprocess.CalledProcessError, OSError):
        return None
    return json.loads(out.stdout.strip().splitlines()[-1])


def versus_r(repeat: int = 3, r: dict | bool | None = True, scale: float = 1.0) -> pd.DataFrame:
    """Trials per second of every engine and analysis, and of the R loop, in one run.
    ``r=True`` runs R here (``False``: no R rows; a dict: R's output already taken).
    ``scale`` multiplies the number of trials of every timed run (``--quick``: fewer)."""
    from recurrence.design import simulate_power

    if r is True:
        r = _r_loops(repeat, scale)
    rows = []
    for analysis in [*ANALYSES, "all"]:
        what = ANALYSES if analysis == "all" else analysis
        ref = (r or {}).get(analysis)
        r_rate = ref["trials"] / ref["seconds"] if ref else None
        for engine in ENGINES:
            reps = max(
                20, round(TRIALS["per-trial" if engine == "per-trial" else "engine"] * scale)
            )
            job = {
                "n_per_arm": 200,
                "hr": 0.5,
                "replicates": reps,
                "seed": 20261124,
                "analysis": what,
                "population": "large_defect",
                "backend": "serial",
                "progress": False,
                "engine": engine,
            }
            simulate_power(**{**job, "replicates": 20})  # imports, caches
            times, power = [], None
            for _ in range(repeat):
                start = time.perf_counter()
                res = simulate_power(**job)
                times.append(time.perf_counter() - start)
                power = float(res.table["power"].iloc[0])
            rate = reps / float(np.median(times))
            rows.append(
                {
                    "analysis": analysis,
                    "engine": engine,
                    "trials": reps,
                    "trials/s": rate,
                    "power": power,
                    "R trials/s": r_rate,
                    "R power": ref["power"] if ref else None,
                    "× R": rate / r_rate if r_rate else None,
                }
            )
    return pd.DataFrame(rows)


def _job(replicates: int) -> dict:
    return {
        "n_per_arm": [100, 200],
        "hr": 0.5,
        "replicates": replicates,
        "seed": 20261124,
        "analysis": ANALYSES,
        "population": "large_defect",
    }


def main(argv=None) -> pd.DataFrame:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--replicates", type=int, default=1000, help="trials per scenario (2 scenarios)"
    )
    parser.add_argument("--workers", type=int, default=2, help="processes / Dask workers")
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure (median)")
    parser.add_argument("--only", choices=["r", "backends"], default=None)
    args = parser.parse_args(argv)
    print(f"{platform.python_version()} on {os.cpu_count()} cores, {platform.machine()}")
    if args.only != "backends":
        frame = versus_r(args.repeat)
        print("simulate_power (n_per_arm 200: 400 patients, large_defect, HR 0.5), one core")
        print(frame.to_string(index=False, float_format=lambda v: f"{v:,.2f}"))
    if args.only == "r":
        return frame
    return backends(args)


def backends(args) -> pd.DataFrame:
    """The backend table: in-process, loky processes, a Dask LocalCluster."""
    from distributed import Client

    from recurrence.design import simulate_power
    from recurrence.design._execution import local_cluster

    job = _job(args.replicates)
    trials = 2 * args.replicates
    rows, tables = [], {}

    def record(name, workers, startup, result):
        seconds = result.execution.seconds
        rows.append(
            {
                "backend": name,
                "workers": workers,
                "startup (s)": startup,
                "run (s)": seconds,
                "trials/s": trials / seconds,
            }
        )
        tables[name] = result.table

    result = simulate_power(**job, backend="serial", progress=False)
    record("in-process", 1, 0.0, result)

    def warm_up(**where):
        """A tiny job: starts the workers and imports recurrence in each (start-up)."""
        simulate_power(
            50,
            replicates=4 * args.workers,
            hazard="exponential",
            seed=1,
            chunk_size=1,
            progress=False,
            **where,
        )

    start = time.perf_counter()
    warm_up(backend="processes", n_jobs=args.workers)
    startup = time.perf_counter() - start
    result = simulate_power(**job, backend="processes", n_jobs=args.workers, progress=False)
    record("local processes (loky)", args.workers, startup, result)

    start = time.perf_counter()
    with local_cluster(args.workers) as cluster, Client(cluster) as client:
        client.wait_for_workers(args.workers)
        warm_up(client=client)
        startup = time.perf_counter() - start
        result = simulate_power(**job, client=client, progress=False)
    record("Dask LocalCluster", args.workers, startup, result)

    frame = pd.DataFrame(rows)
    frame["speed-up"] = frame["trials/s"] / frame["trials/s"].iloc[0]
    base = tables["in-process"]
    frame["identical"] = [tables[name].equals(base) for name in frame["backend"]]
    print(
        f"simulate_power: 2 scenarios (n_per_arm 100, 200; large_defect; HR 0.5) × "
        f"{args.replicates:,} trials, each analysed by {', '.join(ANALYSES)}"
    )
    print(frame.to_string(index=False, float_format=lambda v: f"{v:,.2f}"))
    return frame


if __name__ == "__main__":
    main()
