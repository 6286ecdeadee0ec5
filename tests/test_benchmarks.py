"""The benchmark harness's table and generated READMEs (no timing here: speed is
measured by ``python -m benchmarks``, never in tests)."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

import pytest

HARNESS = Path(__file__).resolve().parents[1] / "benchmarks" / "_harness.py"


@pytest.fixture()
def harness():
    spec = importlib.util.spec_from_file_location("bench_harness", HARNESS)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    module.ROWS.clear()
    return module


def test_a_missed_goal_is_shown_not_dropped(harness, capsys):
    goal = harness.Goal("≥ 20,000 trials/s and ≥ 100× R", ratio=100, at_least=20_000)
    harness.record(
        "power", "400", 25_000.0, {"R loop": 300.0}, unit="trials/s", higher=True, goal=goal
    )
    harness.record(
        "power", "400", 25_000.0, {"R loop": 200.0}, unit="trials/s", higher=True, goal=goal
    )
    harness.record(
        "power", "400", 15_000.0, {"R loop": 100.0}, unit="trials/s", higher=True, goal=goal
    )
    first, second, third = harness.ROWS
    assert first["× ref"] == pytest.approx(25_000 / 300)
    assert first["goal"].endswith("**NOT met**")  # 83× < 100×
    assert second["goal"].endswith(": met")  # 125×, 25,000/s
    assert third["goal"].endswith("**NOT met**")  # 150× but 15,000/s
    assert "power" in capsys.readouterr().out


def test_times_are_inverted_and_a_timeout_is_a_lower_bound(harness):
    harness.record(
        "cox",
        "1,000,000",
        2.0,
        {"R": 10.0, "R slow": harness.TimedOut(300)},
        goal=harness.Goal("> 50× R", ratio=50),
    )
    fast, stopped = harness.ROWS
    assert fast["× ref"] == pytest.approx(5.0) and fast["goal"].endswith("**NOT met**")
    assert stopped["× ref"] == "> 150" and stopped["goal"].endswith(": met")
    table = harness.to_markdown(harness.ROWS)
    assert "| > 300 (stopped) | > 150 |" in table
    # a bound below the goal proves nothing either way
    harness.record(
        "cox", "1", 2.0, {"R": harness.TimedOut(60)}, goal=harness.Goal("> 50×", ratio=50)
    )
    assert harness.ROWS[-1]["goal"] == "> 50×: not shown (the reference was stopped first)"


def test_a_generated_table_reads_back(harness):
    harness.record("Kaplan-Meier (2 arms)", "20,000", 0.08, {"R survfit": 0.17}, "a note")
    harness.record("import recurrence", "–", 0.04, {}, goal=harness.Goal("< 0.3 s", at_most=0.3))
    text = f"{harness.START}\nCommand: x\n\n{harness.to_markdown(harness.ROWS)}\n{harness.END}"
    back = harness.rows_from_table(text)
    assert [r["task"] for r in back] == ["Kaplan-Meier (2 arms)", "import recurrence"]
    assert back[0]["reference value"] == "0.17" and back[1]["goal"] == "< 0.3 s: met"
    assert harness.speed_lines(back) == harness.speed_lines(harness.ROWS)


def test_notes_are_numbered_once_under_the_table(harness):
    harness.record("a", "1", 1.0, {"x": 2.0, "y": 3.0}, "same note")
    harness.record("b", "1", 1.0, {}, "other note")
    table = harness.to_markdown(harness.ROWS)
    assert table.count("[1] same note") == 1 and "[2] other note" in table
    assert table.count("a [1] |") == 2 and "b [2] |" in table
    assert "| b [2] | 1 | 1 | s | – | – | – |  |" in table


def test_only_the_section_between_markers_is_rewritten(harness):
    text = f"before\n{harness.START}\nold table\n{harness.END}\nafter\n"
    out = harness.replace_between(text, harness.START, harness.END, "new table")
    assert out == f"before\n{harness.START}\nnew table\n{harness.END}\nafter\n"
    with pytest.raises(ValueError, match="markers"):
        harness.replace_between("no markers", harness.START, harness.END, "x")


def test_speed_lines_quote_the_table(harness):
    harness.record(
        "Kaplan-Meier (2 arms)", "1,000,000", 0.25, {"R survfit": 0.83, "lifelines": 0.2}
    )
    harness.record(
        "simulated power: logrank (batched engine)",
        "400 × 4,000",
        21_000.0,
        {"R loop": 150.0},
        unit="trials/s",
        higher=True,
    )
    lines = harness.speed_lines(harness.ROWS).splitlines()
    assert lines == [
        "- Kaplan-Meier (2 arms), n = 1,000,000: 0.25 s (R survfit 0.83 s; 3.32×)",
        "- simulated power: logrank (batched engine), n = 400 × 4,000: 21,000 trials/s "
        "(R loop 150 trials/s; 140×)",
    ]


def test_the_readmes_hold_generated_sections_whose_figures_are_the_tables(root, harness):
    bench = (root / "benchmarks" / "README.md").read_text()
    readme = (root / "README.md").read_text()
    for text, start, end in (
        (bench, harness.START, harness.END),
        (readme, harness.SPEED_START, harness.SPEED_END),
    ):
        assert text.count(start) == 1 and text.count(end) == 1
    table = bench[bench.index(harness.START) : bench.index(harness.END)]
    speed = readme[readme.index(harness.SPEED_START) : readme.index(harness.SPEED_END)]
    # every figure the README's Speed section quotes is in the benchmark table
    assert speed.count("\n- ") >= 5
    for line in speed.splitlines():
        if line.startswith("- "):
            for figure in re.findall(r"(?<![\w.])\d[\d,]*(?:\.\d+)?(?![\w.])", line):
                assert figure in table, (figure, line)


def test_interleaved_timings_call_each_in_turn(harness):
    calls = []
    times = harness.median_times([lambda: calls.append("a"), lambda: calls.append("b")], 3)
    assert calls == ["a", "b"] * 3
    assert len(times) == 2 and all(t >= 0 for t in times)


def test_a_goal_against_one_reference_gives_only_its_row_a_verdict(harness):
    goal = harness.Goal("wide within 2× long", ratio=0.5, against="long")
    harness.record("wide", "1", 0.2, {"long": 0.12, "pandas": 0.1}, goal=goal)
    verdicts = {r["reference"]: r["goal"] for r in harness.ROWS}
    assert verdicts["long"].endswith("met") and "NOT" not in verdicts["long"]
    assert verdicts["pandas"] == ""
