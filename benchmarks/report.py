"""Benchmark: the report, cold, as a user runs it, and on a 5,000,000-patient cohort.

Usage::

    uv run python -m benchmarks.report                 # the default report (about 1 minute)
    uv run python -m benchmarks.report --scale         # and the 5M cohort (several minutes)
    uv run python -m benchmarks.report --scale --n 1000000

**Default data**: ``recurrence report --out report.pdf`` in a fresh process, ``--repeat``
times (median): the wall time of the command, and the same build in an instrumented fresh
process split into its phases: *start and imports* (the interpreter, ``recurrence.cli``
and ``recurrence.report``: what runs before the build), *load* (reading and checking the
packaged tables, and the plan), *analyses* (``run_analyses``), *document* (writing the
sections), *figures* (drawing them, ``report.figures.render``) and *render* (Typst).
Modules a phase needs first are imported inside it (scipy in the analyses, matplotlib
in the figures, Typst in the render): the split is where a user waits.

**Scale** (``--scale``): ``simulate_cohort(n, seed=1)`` (default 5,000,000) written to
Parquet (not timed), then one fresh process builds the PDF report of it with the same
instrumentation, and reads its peak resident set (``VmHWM`` of ``/proc/self/status``)
after loading and after the analyses. The issue's goal: the analyses in under 30 s and
2 GB.

``run(args)`` is what ``python -m benchmarks`` calls: rows of ``task``, ``n``,
``seconds`` and the goal.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

#: The goals of issue 20.
GOAL_SECONDS = 3.0
SCALE_GOAL_SECONDS = 30.0
SCALE_GOAL_MIB = 2048
PHASES = ("start and imports", "load", "analyses", "document", "figures", "render")

#: The instrumented build, run in a fresh process: argv = cohort (or "-"), output path.
CHILD = r"""
import json, resource, sys, time
t0 = time.perf_counter()
sys.modules.setdefault("hypothesis", None)  # as the command's own process (cli.run)
import recurrence.cli  # what the command imports before it builds
import recurrence.report as R
from recurrence.report import figures as F, render_typst as T

marks, peaks = {}, {}
def peak():
    with open("/proc/self/status") as fh:
        return next(int(l.split()[1]) for l in fh if l.startswith("VmHWM:")) / 1024

def timed(name, fn):
    def wrapper(*a, **k):
        peaks.setdefault(name + ":start", peak())
        start = time.perf_counter()
        try:
            return fn(*a, **k)
        finally:
            marks[name] = marks.get(name, 0.0) + time.perf_counter() - start
            marks[name + ":end"] = time.perf_counter()
            peaks[name] = peak()
    return wrapper

R.run_analyses = timed("analyses", R.run_analyses)
F.render = timed("figures", F.render)
T.render_pdf = timed("render", T.render_pdf)
marks["build:start"] = time.perf_counter()
cohort = None if sys.argv[1] == "-" else sys.argv[1]
R.build(cohort=cohort, out=sys.argv[2])
end = time.perf_counter()
analyses_start = marks["analyses:end"] - marks["analyses"]
figures_start = marks["figures:end"] - marks["figures"]
out = {
    "start and imports": marks["build:start"] - t0,  # plus the interpreter, added below
    "load": analyses_start - marks["build:start"],
    "analyses": marks["analyses"],
    "document": figures_start - marks["analyses:end"],
    "figures": marks["figures"],
    "render": marks["render"],
    "total": end - t0,
    "peak_after_load_mib": peaks["analyses:start"],
    "peak_after_analyses_mib": peaks["analyses"],
    "peak_mib": peak(),
    "cpu_self": sum(resource.getrusage(resource.RUSAGE_SELF)[:2]),
    "cpu_workers": sum(resource.getrusage(resource.RUSAGE_CHILDREN)[:2]),
}
print(json.dumps(out))
"""


def _cli() -> list[str]:
    exe = Path(sys.executable).with_name("recurrence")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "recurrence.cli"]


def _fresh(args: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds (user + system, with the process's own workers) of a
    command in a fresh process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(args, check=True, capture_output=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def _instrumented(cohort: str, out: Path) -> dict:
    start = time.perf_counter()
    res = subprocess.run(
        [sys.executable, "-c", CHILD, cohort, str(out)], check=True, capture_output=True, text=True
    )
    wall = time.perf_counter() - start
    phases = json.loads(res.stdout.strip().splitlines()[-1])
    # the interpreter's own start (before t0 in the child) belongs to "start and imports"
    phases["start and imports"] += wall - phases["total"]
    phases["total"] = wall
    return phases


def default_report(repeat: int = 3) -> dict:
    """Medians over ``repeat`` fresh processes: the command's wall time and the phases."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "report.pdf"
        command = [_fresh([*_cli(), "report", "--out", str(out)]) for _ in range(repeat)]
        runs = [_instrumented("-", out) for _ in range(repeat)]
    keys = (*PHASES, "total", "cpu_self", "cpu_workers")
    med = {k: statistics.median(r[k] for r in runs) for k in keys}
    return {
        "command": statistics.median(w for w, _ in command),
        "command_cpu": statistics.median(c for _, c in command),
        "command_runs": command,
        **med,
        "cores": os.cpu_count(),
        "load_average": os.getloadavg()[0],
    }


def scale_report(n: int = 5_000_000, seed: int = 1) -> dict:
    """One fresh process builds the PDF report of an ``n``-patient Parquet cohort."""
    from recurrence import simulate_cohort

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "cohort.parquet"
        simulate_cohort(n, seed=seed).to_parquet(path, index=False)
        phases = _instrumented(str(path), Path(tmp) / "report.pdf")
    return {"n": n, **phases, "load_average": os.getloadavg()[0]}


def run(args) -> list[dict]:
    """The rows for ``python -m benchmarks`` (``args.repeat``; ``args.scale`` adds the
    5M rows)."""
    rows = []
    d = default_report(getattr(args, "repeat", 3))
    load = f"load average {d['load_average']:.1f} on {d['cores']} cores"
    rows.append(
        {
            "task": "report on the default data (PDF), `recurrence report`, cold",
            "n": "2,000",
            "seconds": d["command"],
            "goal_seconds": GOAL_SECONDS,
            "goal": f"< {GOAL_SECONDS:g} s",
            "note": f"median of fresh processes ({d['command_cpu']:.2f} CPU s, workers "
            f"included); {load}",
        }
    )
    for phase in PHASES:
        rows.append(
            {
                "task": f"report on the default data: {phase}",
                "n": "2,000",
                "seconds": d[phase],
                "note": "instrumented fresh process, median",
            }
        )
    rows.append(
        {
            "task": "report on the default data: CPU of the process, of its workers",
            "n": "2,000",
            "seconds": d["cpu_self"],
            "note": f"workers (forked): {d['cpu_workers']:.2f} CPU s; a loaded machine "
            "stretches wall times, CPU times less",
        }
    )
    if getattr(args, "scale", False):
        s = scale_report(getattr(args, "scale_n", 5_000_000))
        n = f"{s['n']:,}"
        rows.append(
            {
                "task": "report analyses on a Parquet cohort",
                "n": n,
                "seconds": s["analyses"],
                "goal_seconds": SCALE_GOAL_SECONDS,
                "goal": f"< {SCALE_GOAL_SECONDS:g} s and < 2 GB",
                "note": f"peak {s['peak_after_analyses_mib']:,.0f} MiB after the analyses "
                f"(VmHWM; {s['peak_after_load_mib']:,.0f} MiB after loading); one run",
            }
        )
        for phase in ("load", "figures", "render"):
            rows.append({"task": f"report at scale: {phase}", "n": n, "seconds": s[phase]})
        rows.append(
            {
                "task": "report at scale: whole build (PDF)",
                "n": n,
                "seconds": s["total"],
                "note": f"peak {s['peak_mib']:,.0f} MiB",
            }
        )
    return rows


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.report", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--repeat", type=int, default=3, help="fresh processes (median)")
    parser.add_argument("--scale", action="store_true", help="also the 5M-patient cohort")
    parser.add_argument("--n", dest="scale_n", type=int, default=5_000_000)
    args = parser.parse_args(argv)
    print(f"cores {os.cpu_count()}, load average {os.getloadavg()[0]:.1f}", flush=True)
    for row in run(args):
        extra = f"  (goal {row['goal']})" if row.get("goal") else ""
        print(f"  {row['task']:<58} n={row['n']:<10} {row['seconds']:.2f} s{extra}", flush=True)
        if row.get("note"):
            print(f"      {row['note']}", flush=True)


if __name__ == "__main__":
    main()
