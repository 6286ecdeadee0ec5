"""The command line: help, describe, clean errors."""

from __future__ import annotations

from click.testing import CliRunner

from recurrence.cli import main


def test_help_lists_commands():
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    assert "describe" in result.output


def test_describe_on_the_packaged_cohort():
    result = CliRunner().invoke(main, ["describe"])
    assert result.exit_code == 0, result.output
    assert "synthetic cohort: 2,000 patients" in result.output
    assert "reherniations" in result.output and "age, years, mean (SD)" in result.output
    assert "P00001" not in result.output


def test_bad_file_gives_one_line_and_status_2(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("patient_id,closure,time,event\na,1,-1,1\n")
    result = CliRunner().invoke(main, ["describe", "--cohort", str(path)])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert lines == [
        "recurrence: error: bad.csv: 1 problem, nothing was loaded:",
        "  - column 'time', row 1: is 0 or negative "
        "(found -1.0). Fix: times are months from surgery and must be > 0",
    ]
    assert "Traceback" not in result.output


def test_missing_file_and_mapping_file(tmp_path):
    result = CliRunner().invoke(main, ["describe", "--cohort", str(tmp_path / "nope.csv")])
    assert result.exit_code == 2 and "nope.csv: file not found" in result.stderr
    data = tmp_path / "c.csv"
    data.write_text("id,closure,months,event\na,1,5,1\nb,0,7,0\n")
    mapping = tmp_path / "map.json"
    mapping.write_text('{"id": "patient_id", "months": "time"}')
    result = CliRunner().invoke(
        main, ["describe", "--cohort", str(data), "--columns", str(mapping)]
    )
    assert result.exit_code == 0, result.output
    assert "c.csv: 2 patients" in result.output


def test_debug_shows_the_traceback(tmp_path):
    result = CliRunner().invoke(main, ["--debug", "describe", "--cohort", str(tmp_path / "x.csv")])
    assert result.exit_code == 1 and result.exception is not None


def test_the_command_in_its_own_process_hides_hypothesis_from_pandera(tmp_path):
    """``recurrence`` (``cli.run``) spares pandera's import of hypothesis, which no
    command uses; the validation still runs (a bad file is still refused)."""
    import subprocess
    import sys

    path = tmp_path / "bad.csv"
    path.write_text("patient_id,closure,time,event\na,1,-1,1\n")
    code = (
        "import atexit, sys\n"
        "atexit.register(lambda: print('hypothesis' in sys.modules and "
        "sys.modules['hypothesis'] is not None, 'pandera' in sys.modules))\n"
        "from recurrence.cli import run\n"
        f"sys.argv = ['recurrence', 'describe', '--cohort', {str(path)!r}]\n"
        "run()\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 2 and "is 0 or negative" in out.stderr
    assert out.stdout.split() == ["False", "True"]


def test_main_leaves_the_callers_modules_alone():
    import sys

    CliRunner().invoke(main, ["describe"])
    assert sys.modules.get("hypothesis", "absent") is not None


def test_cohort_options_without_a_cohort_file_are_refused_not_ignored(tmp_path):
    """--columns given with --studies alone (meant for the study table) would otherwise
    be dropped without a word and the study table fail, or worse, load unmapped."""
    mapping = tmp_path / "map.toml"
    mapping.write_text('[columns]\nTrial = "study"\n')
    out = tmp_path / "report.pdf"
    cases = [
        ["report", "--studies", "builtin", "--columns", str(mapping), "--out", str(out)],
        ["describe", "--time-unit", "days"],
        ["plan", "--init", "--header-row", "3", "--out", str(tmp_path / "plan.toml")],
    ]
    for args in cases:
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 2, (args, result.output)
        flag = next(a for a in args if a in ("--columns", "--time-unit", "--header-row"))
        assert f"{flag} reads the cohort table" in result.output
        assert "nothing was done" in result.output
    assert "--study-columns" in CliRunner().invoke(main, cases[0]).output
    assert not out.exists() and not (tmp_path / "plan.toml").exists()
    # 'builtin' names the packaged cohort: still no file for the options to read
    builtin = CliRunner().invoke(main, ["describe", "--cohort", "builtin", "--time-unit", "days"])
    assert builtin.exit_code == 2 and "--time-unit reads the cohort table" in builtin.output
    # with a cohort file the same options are read
    from recurrence import simulate_cohort

    cohort = tmp_path / "c.csv"
    simulate_cohort(50, seed=1).assign(time=lambda d: d["time"] * 30.4375).to_csv(cohort)
    ok = CliRunner().invoke(main, ["describe", "--cohort", str(cohort), "--time-unit", "days"])
    assert ok.exit_code == 0, ok.output
