"""The pieces every benchmark suite shares: timing, rows, R, the table, the README.

A row is one measurement of ``recurrence`` beside one reference measured in the same
run (``record``). Times are medians of ``repeat`` runs; ``× ref`` is how many times
faster ``recurrence`` is (reference time / ours, or our rate / the reference's rate for
throughputs). A row with a goal says whether this run met it; a missed goal is shown,
never dropped.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import re
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
ROWS: list[dict] = []
COLUMNS = ["task", "n", "recurrence", "unit", "reference", "reference value", "× ref", "goal"]
START, END = "<!-- benchmarks:table:start -->", "<!-- benchmarks:table:end -->"
SPEED_START, SPEED_END = "<!-- benchmarks:speed:start -->", "<!-- benchmarks:speed:end -->"


@dataclass(frozen=True)
class TimedOut:
    """A reference stopped after ``seconds`` (the row shows "> seconds")."""

    seconds: float

    def __str__(self) -> str:
        return f"> {self.seconds:g} (stopped)"


@dataclass(frozen=True)
class Goal:
    """A target from the issue: our speed ratio at least ``ratio`` (× the reference),
    our figure (in the row's unit) at least ``at_least`` or at most ``at_most``."""

    text: str
    ratio: float | None = None
    at_least: float | None = None
    at_most: float | None = None
    #: the one reference the goal is about (its other references' rows get no verdict)
    against: str | None = None

    def verdict(self, ours, faster) -> str:
        checks = []
        if self.ratio is not None:
            checks.append(faster is not None and faster >= self.ratio)
        if self.at_least is not None:
            checks.append(ours is not None and ours >= self.at_least)
        if self.at_most is not None:
            checks.append(ours is not None and ours <= self.at_most)
        if not checks or ours is None:
            return self.text
        return f"{self.text}: {'met' if all(checks) else '**NOT met**'}"


def _verdict(goal, ours, faster, value, reference: str) -> str:
    if goal is None or goal.against not in (None, reference):
        return ""  # no goal, or one about another reference of the row's task
    text = goal.verdict(ours, faster)
    if isinstance(value, TimedOut) and text.endswith("**NOT met**"):
        return f"{goal.text}: not shown (the reference was stopped first)"
    return text


def median_time(fn, repeat: int) -> float:
    """Median wall time of ``repeat`` calls of ``fn``."""
    return median_times([fn], repeat)[0]


def median_times(fns, repeat: int) -> list[float]:
    """Median wall time of each of ``fns``, called in turn ``repeat`` times (A, B, A, B,
    …): the machine's drifts between moments fall on every one alike, which timing one
    after the other would give to a single one."""
    times: list[list[float]] = [[] for _ in fns]
    for _ in range(repeat):
        for fn, out in zip(fns, times, strict=True):
            start = time.perf_counter()
            fn()
            out.append(time.perf_counter() - start)
    return [float(np.median(t)) for t in times]


def ratio(ours, ref, higher: bool):
    """How many times faster we are (a lower bound when the reference timed out)."""
    if ours is None or not ours or ref is None:
        return None
    if isinstance(ref, TimedOut):
        ref = ref.seconds
    if not isinstance(ref, (int, float)) or ref != ref:
        return None
    return ours / ref if higher else ref / ours


def record(
    task: str,
    n: str,
    ours: float | None,
    refs: dict | None = None,
    note: str = "",
    unit: str = "s",
    *,
    higher: bool = False,
    goal: Goal | None = None,
):
    """One row per reference (one row without when there is none); print it."""
    for name, value in (refs or {"–": None}).items():
        faster = ratio(ours, value, higher)
        ROWS.append(
            {
                "task": task,
                "n": n,
                "recurrence": ours,
                "unit": unit,
                "reference": name,
                "reference value": value,
                "× ref": (f"> {faster:.3g}" if isinstance(value, TimedOut) else faster)
                if faster
                else None,
                "goal": _verdict(goal, ours, faster, value, name),
                "note": note,
            }
        )
        shown = cell(value)
        times = f" ({cell(ROWS[-1]['× ref'])}×)" if faster else ""
        print(
            f"  {task:<44} n={n:<12} recurrence {cell(ours)} {unit} | {name} {shown}{times}",
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


def run_r(script: str, *args, timeout: float | None = None) -> dict | TimedOut:
    """Run ``benchmarks/r/<script>`` and read the JSON of its last line
    (:class:`TimedOut` when it ran past ``timeout`` seconds)."""
    try:
        out = subprocess.run(
            ["Rscript", str(HERE / "r" / script), *map(str, args)],
            capture_output=True,
            text=True,
            check=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return TimedOut(timeout)
    return json.loads(out.stdout.strip().splitlines()[-1])


def cell(v) -> str:
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return "–"
    if isinstance(v, bool):
        return str(v)
    if isinstance(v, (float, int, np.floating, np.integer)):
        v = float(v)
        if v == 0:
            return "0"
        return f"{v:.3g}" if abs(v) < 1000 else f"{v:,.0f}"
    return str(v)


def to_markdown(rows: list[dict]) -> str:
    """The table, and the notes of its rows numbered under it."""
    notes: dict[str, int] = {}
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    for row in rows:
        mark = ""
        if row.get("note"):
            mark = f" [{notes.setdefault(row['note'], len(notes) + 1)}]"
        values = [cell(row[c]) for c in COLUMNS]
        values[0] += mark
        lines.append("| " + " | ".join(values) + " |")
    lines.append("")
    lines += [f"[{i}] {text}" for text, i in notes.items()]
    return "\n".join(lines)


def _version(module: str) -> str:
    try:
        return __import__(module).__version__
    except Exception:  # not installed: said so in the header
        return "not installed"


def _r_versions() -> str:
    if shutil.which("Rscript") is None:
        return "R not found"
    code = (
        'cat(sub("R version ([^ ]+).*", "\\\\1", R.version.string), '
        'sapply(c("survival", "cmprsk", "metafor", "lme4"), '
        "function(p) as.character(packageVersion(p))))"
    )
    out = subprocess.run(["Rscript", "-e", code], capture_output=True, text=True)
    parts = out.stdout.split()
    if out.returncode or len(parts) != 5:
        return "R packages missing"
    names = ["R", "survival", "cmprsk", "metafor", "lme4"]
    return ", ".join(f"{n} {v}" for n, v in zip(names, parts, strict=True))


def cpu_model() -> str:
    try:
        text = Path("/proc/cpuinfo").read_text()
        return re.search(r"model name\s*:\s*(.+)", text).group(1).strip()
    except (OSError, AttributeError):
        return platform.processor() or platform.machine()


def header(command: str, load_before: tuple, load_after: tuple) -> str:
    """Command, date, machine, versions and load, for the top of the table."""
    import recurrence

    py = ", ".join(
        f"{m} {_version(m)}"
        for m in ("numpy", "pandas", "scipy", "pyarrow", "lifelines", "statsmodels")
    )
    load = f"{load_before[0]:.1f} before, {load_after[0]:.1f} after"
    return (
        f"Command: `{command}`, {dt.date.today().isoformat()}.\n"
        f"Machine: {os.cpu_count()} cores ({cpu_model()}), {platform.system()} "
        f"{platform.release()}; load average (1 min) {load}"
        f"{' — the machine was loaded by other jobs' if load_before[0] > 1.5 else ''}.\n"
        f"Versions: recurrence {recurrence.__version__}, Python {platform.python_version()}, "
        f"{py}; {_r_versions()}.\n"
    )


def replace_between(text: str, start: str, end: str, body: str) -> str:
    """``text`` with what lies between the ``start`` and ``end`` markers replaced."""
    i, j = text.find(start), text.find(end)
    if i < 0 or j < i:
        raise ValueError(f"markers {start} … {end} not found")
    return text[: i + len(start)] + "\n" + body.rstrip("\n") + "\n" + text[j:]


def speed_lines(rows: list[dict]) -> str:
    """README.md's "Speed" section: the headline rows of this run, as the table says."""
    wanted = [
        ("Kaplan-Meier", "R survfit"),
        ("Cox (Efron", "R coxph"),
        ("Cox cluster-robust", "R coxph"),
        ("Fine-Gray vs cmprsk::crr", "R crr"),
        ("random-effects meta-analyses (REML)", "metafor"),
        ("Bayesian meta-analyses", None),
        ("GLMM", None),
        ("simulated power: logrank (batched", "R loop"),
        ("simulated power: cox (batched", "R loop"),
        ("simulated power: finegray (batched", "R loop"),
        ("load_cohort (CSV", "pandas read_csv"),
        ("report", None),
    ]
    lines = []
    for prefix, ref in wanted:
        for row in rows:
            found = cell(row["recurrence"]) != "–"
            if (
                prefix in row["task"]
                and found
                and (ref is None or row["reference"].startswith(ref))
            ):
                versus = (
                    f" ({row['reference']} {cell(row['reference value'])}"
                    f" {row['unit']}; {cell(row['× ref'])}×)"
                    if row["reference"] != "–"
                    else ""
                )
                lines.append(
                    f"- {row['task']}, n = {row['n']}: {cell(row['recurrence'])} "
                    f"{row['unit']}{versus}"
                )
                break
    return "\n".join(lines)


def rows_from_table(text: str) -> list[dict]:
    """The rows of a generated table, read back (cells as their text)."""
    body = text[text.index(START) : text.index(END)] if START in text else text
    rows = []
    for line in body.splitlines():
        if not line.startswith("| ") or line.startswith("| task |"):
            continue
        values = [v.strip() for v in line.strip().strip("|").split(" | ")]
        row = dict(zip(COLUMNS, values, strict=True))
        row["task"] = re.sub(r" \[\d+\]$", "", row["task"])
        rows.append(row)
    return rows


def write_speed(head: str, rows: list[dict]) -> None:
    """Rewrite README.md's "Speed" section from ``rows`` (those of the table)."""
    readme = ROOT / "README.md"
    first = head.splitlines()[0][len("Command: ") :].rstrip(".")
    loaded = (
        " On a machine loaded by other jobs: noisy, slower than on a quiet one."
        if ("loaded by other jobs" in head)
        else ""
    )
    body = (
        f"Generated by `python -m benchmarks --write-readme`, from the table in "
        f"[benchmarks/README.md](benchmarks/README.md) (machine, versions, every row); this "
        f"run: {first}.{loaded}\n\n" + speed_lines(rows)
    )
    readme.write_text(replace_between(readme.read_text(), SPEED_START, SPEED_END, body))


def write_readmes(table: str, head: str, rows: list[dict]) -> None:
    """Rewrite the generated parts of benchmarks/README.md and README.md's "Speed"."""
    bench = HERE / "README.md"
    bench.write_text(replace_between(bench.read_text(), START, END, head + "\n" + table))
    write_speed(head, rows)


def readme_from_table() -> None:
    """README.md's "Speed" again from benchmarks/README.md's table, without a run."""
    text = (HERE / "README.md").read_text()
    body = text[text.index(START) + len(START) : text.index(END)].strip("\n")
    write_speed(body, rows_from_table(text))


def frame() -> pd.DataFrame:
    return pd.DataFrame(ROWS)
