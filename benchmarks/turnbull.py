"""Benchmark: where Turnbull's NPMLE hands over from EM to Newton, in speed and answer.

Usage::

    uv run python -m benchmarks.turnbull              # 30 bootstrap resamples, 3 runs
    uv run python -m benchmarks.turnbull --boot 100 --repeat 5

``survival/_np_turnbull.py`` runs SQUAREM-accelerated EM until the curve moves less than
``EM_TOL``, then active-set Newton steps from the points above ``START`` times the
largest mass. Both are speed settings: the maximum is the same. This times
``turnbull(cohort, n_boot=...)`` (every resample is one NPMLE per arm) on the cohorts of
the tests and the notebooks, at the earlier settings (EM to 1e-6, Newton from 1e-6) and
at the current ones, interleaved, and reports the largest difference between the two
tables at 141 months from 0 to 70 (survival, intervals, identified ranges).
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
VISITS = (1.5, 3, 6, 12, 24, 36, 60)
EARLIER = {"EM_TOL": 1e-6, "START": 1e-6}


def cohorts() -> dict:
    from recurrence import load_cohort, simulate_cohort

    data = ROOT / "tests" / "data"
    return {
        "notebook 06 (3,000, large defects, 20% missed visits)": simulate_cohort(
            3000, seed=2026, visits=VISITS, population="large_defect", missed_visit=0.2
        ),
        "general population (500, 40% missed)": simulate_cohort(
            500, seed=3, visits=VISITS, missed_visit=0.4
        ),
        "breast cosmesis (94, tests/data)": load_cohort(
            data / "interval_cosmesis.csv", columns={"chemo": "closure"}
        ),
        "simulated visits (tests/data)": load_cohort(data / "interval_visits.csv"),
    }


def main(argv=None) -> None:
    from recurrence.survival import _np_turnbull as core
    from recurrence.survival import turnbull

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--boot", type=int, default=30, help="bootstrap resamples")
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure (median)")
    args = parser.parse_args(argv)
    current = {"EM_TOL": core.EM_TOL, "START": core.START}
    months = np.linspace(0, 70, 141)
    print(f"turnbull(n_boot={args.boot}): earlier {EARLIER} against current {current}")
    for name, cohort in cohorts().items():
        times: dict[str, list[float]] = {"earlier": [], "current": []}
        tables = {}
        for _ in range(args.repeat):
            for label, settings in (("earlier", EARLIER), ("current", current)):
                for key, value in settings.items():
                    setattr(core, key, value)
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    start = time.perf_counter()
                    fit = turnbull(cohort, n_boot=args.boot, seed=1)
                    times[label].append(time.perf_counter() - start)
                tables[label] = fit.at(months).select_dtypes("number").to_numpy()
        for key, value in current.items():
            setattr(core, key, value)
        before, after = (statistics.median(times[k]) for k in ("earlier", "current"))
        diff = float(np.nanmax(np.abs(tables["earlier"] - tables["current"])))
        print(
            f"  {name:55s} {before:6.2f} s → {after:6.2f} s ({before / after:4.1f}×), "
            f"largest difference {diff:.1e}"
        )


if __name__ == "__main__":
    main()
