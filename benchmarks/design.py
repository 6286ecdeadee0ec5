"""Benchmark: simulated trials per second in-process, on local processes, on Dask.

Usage::

    uv run python -m benchmarks.design                 # 2 × 1,000 trials, 4 analyses each
    uv run python -m benchmarks.design --replicates 250 --workers 2

The same job (same seed, same scenarios, same analyses) runs three times: in this
process (``backend="serial"``), on a joblib loky pool (``backend="processes"``) and
on a ``distributed.LocalCluster`` (``client=``). Start-up is timed apart from the run:
creating the cluster and its client, and a first tiny job that starts the workers and
imports ``recurrence`` in each. Every backend must give the identical table, or the
``identical`` column says so.
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import pandas as pd

ANALYSES = ["logrank", "cox", "gray", "finegray"]


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
    args = parser.parse_args(argv)

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
    print(f"{platform.python_version()} on {os.cpu_count()} cores, {platform.machine()}")
    print(frame.to_string(index=False, float_format=lambda v: f"{v:,.2f}"))
    return frame


if __name__ == "__main__":
    main()
