"""Benchmarks: ``recurrence`` against R, lifelines and pandas, side by side in one run.

Usage::

    uv run python -m benchmarks                  # everything (R loops and 1M-row cohorts: long)
    uv run python -m benchmarks --quick          # smaller sizes and fewer trials
    uv run python -m benchmarks --only survival --sizes 20000,200000
    uv run python -m benchmarks --only design --only meta
    uv run python -m benchmarks --write-readme   # and rewrite the generated README tables

Every row is the median of ``--repeat`` runs (default 3). R rows need ``Rscript`` with
survival, cmprsk and metafor; they are skipped with a note when R is missing. Reading
data is never timed except in the loading rows (R reads its CSV before the clock starts;
Python times the call on a DataFrame already in memory). A reference too slow to run in
full is timed on a subset and scaled, or stopped after a timeout: the row says so.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys
import warnings
from pathlib import Path

from ._harness import (
    ROWS,
    Goal,
    have_r,
    header,
    median_time,
    readme_from_table,
    record,
    to_markdown,
    write_readmes,
)

SUITES = ["survival", "cluster", "meta", "design", "load", "wide", "memory", "other", "report"]

#: The goals of issue 20 for the batched engine, per analysis.
POWER_GOALS = {
    "logrank": Goal("≥ 20,000 trials/s and ≥ 100× R", ratio=100, at_least=20_000),
    "cox": Goal("≥ 20× R", ratio=20),
    "finegray": Goal("≥ 20× R", ratio=20),
}


def design_suite(repeat, r_ok, scale):
    """Simulated power (benchmarks/design.py): trials per second of each engine and
    analysis, in this process, against an R loop of the same trial."""
    from .design import versus_r

    print("Simulated power", flush=True)
    frame = versus_r(repeat, r=r_ok, scale=scale)
    for row in frame.to_dict("records"):
        r_rate = row["R trials/s"]
        batched = row["engine"] == "batched"
        record(
            f"simulated power: {row['analysis']} ({row['engine']} engine)",
            f"400 × {row['trials']:,}",
            row["trials/s"],
            {"R loop": r_rate if r_rate and r_rate == r_rate else None},
            "default design (n_per_arm 200, large defect, HR 0.5), one process; trials/s "
            "include simulating the trials (both sides); R: benchmarks/r/power.R",
            unit="trials/s",
            higher=True,
            goal=POWER_GOALS.get(row["analysis"]) if batched else None,
        )


def other_suite(repeat):
    print("Whole jobs", flush=True)
    base = median_time(lambda: subprocess.run([sys.executable, "-c", "pass"], check=True), 5)
    imp = median_time(
        lambda: subprocess.run([sys.executable, "-c", "import recurrence"], check=True), 5
    )
    record(
        "import recurrence",
        "–",
        imp - base,
        {},
        f"interpreter start ({base:.3f} s) subtracted",
        goal=Goal("< 0.3 s", at_most=0.3),
    )


def report_suite(args):
    """The report's benchmark lives in ``benchmarks/report.py`` (its own module, kept by
    whoever works on the report). Contract: ``run(args)`` takes this command's parsed
    arguments (``args.quick``, ``args.repeat``, ``args.r_ok``) and returns the rows to
    add, each a dict with ``task``, ``n``, ``seconds`` and optionally ``reference``,
    ``reference_seconds``, ``goal_seconds`` (at most), ``goal`` (its text) and ``note``."""
    print("Report", flush=True)
    if importlib.util.find_spec("benchmarks.report") is None:
        record("report", "–", None, {}, "benchmarks/report.py not present: report rows skipped")
        return
    from . import report

    for row in report.run(args) or []:
        goal = None
        if row.get("goal_seconds") is not None:
            goal = Goal(
                row.get("goal", f"< {row['goal_seconds']:g} s"), at_most=row["goal_seconds"]
            )
        ref = row.get("reference")
        record(
            row["task"],
            str(row.get("n", "–")),
            row.get("seconds"),
            {ref: row.get("reference_seconds")} if ref else {},
            row.get("note", ""),
            goal=goal,
        )


def parse(argv):
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="20k patients, 1,000 meta-analyses, 200k rows loaded, fewer trials",
    )
    parser.add_argument("--sizes", default=None, help="comma-separated cohort sizes")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--only", choices=SUITES, action="append", help="run this suite (repeatable)"
    )
    parser.add_argument(
        "--crr", default="5000", help="sizes for the cmprsk::crr rows ('' for none)"
    )
    parser.add_argument(
        "--cluster-n", type=int, default=None, help="patients for cluster-robust Cox (1M)"
    )
    parser.add_argument(
        "--r-timeout", type=float, default=300, help="seconds before R's cluster Cox is stopped"
    )
    parser.add_argument("--out", type=Path, default=None, help="write the markdown table here")
    parser.add_argument(
        "--write-readme",
        action="store_true",
        help="rewrite the generated table of benchmarks/README.md and README.md's Speed",
    )
    parser.add_argument(
        "--readme-only",
        action="store_true",
        help="rewrite README.md's Speed from benchmarks/README.md's table, without a run",
    )
    return parser.parse_args(argv)


def main(argv=None) -> None:
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parse(argv)
    if args.readme_only:
        readme_from_table()
        print("rewrote README.md (Speed) from benchmarks/README.md's table")
        return
    quick = args.quick
    sizes = (
        [int(s) for s in args.sizes.split(",")]
        if args.sizes
        else [20_000]
        if quick
        else [20_000, 200_000, 1_000_000]
    )
    suites = args.only or SUITES
    args.r_ok = r_ok = have_r()
    load_before = os.getloadavg()
    print(
        f"R: {'found' if r_ok else 'not found: R rows skipped'}; repeats: {args.repeat}; "
        f"cores: {os.cpu_count()}; load average {load_before[0]:.1f}",
        flush=True,
    )
    warnings.simplefilter("ignore")
    from .survival import cluster_suite, survival_suite

    if "survival" in suites:
        crr = [int(s) for s in args.crr.split(",") if s]
        survival_suite(
            sizes,
            args.repeat,
            r_ok,
            lifelines_max=200_000 if not quick else 20_000,
            crr_sizes=crr,
        )
    if "cluster" in suites:
        n = args.cluster_n or (100_000 if quick else 1_000_000)
        cluster_suite(n, args.repeat, r_ok, timeout=60 if quick else args.r_timeout)
    if "meta" in suites:
        from .meta import bayes_suite, glmm_row, meta_suite, sensitivity_row

        meta_suite(1_000 if quick else 10_000, args.repeat, r_ok, ref_m=1_000)
        glmm_row(args.repeat, r_ok)
        bayes_suite(1_000 if quick else 10_000, args.repeat, r_ok, ref_m=10 if quick else 50)
        sensitivity_row(3 if quick else 10, args.repeat, r_ok)
    if "design" in suites:
        design_suite(args.repeat, r_ok, scale=0.25 if quick else 1.0)
    from .loading import load_suite, memory_suite, wide_suite

    if "load" in suites:
        load_suite(200_000 if quick else 1_000_000, args.repeat, r_ok)
    if "wide" in suites:
        wide_suite(5_000, args.repeat)
    if "memory" in suites:
        memory_suite(200_000 if quick else 1_000_000)
    if "other" in suites:
        other_suite(args.repeat)
    if "report" in suites:
        report_suite(args)
    command = " ".join(["python -m benchmarks", *argv])
    head = header(command, load_before, os.getloadavg())
    table = to_markdown(ROWS)
    print()
    print(head)
    print(table)
    if args.out:
        args.out.write_text(head + "\n" + table + "\n")
    if args.write_readme:
        write_readmes(table, head, ROWS)
        print("rewrote benchmarks/README.md and README.md (Speed)")


if __name__ == "__main__":
    main()
