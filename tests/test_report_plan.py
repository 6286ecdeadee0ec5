"""The report follows its analysis plan, on a real published cohort read as a registry
exports it (survival's lung, tests/data/own/lung_registry.csv: a title row, its own
names and labels, days): the chosen covariates, months and subgroups appear in the PDF,
the Word file and the HTML with the numbers the API gives on the same data."""

from __future__ import annotations

import json
import warnings

import pytest
from click.testing import CliRunner
from helpers import ROOT
from helpers_report import docx_text, html_text, pdf_text

import recurrence
from recurrence import DataError, report, survival
from recurrence._format import ci_text, pct
from recurrence.cli import main
from recurrence.errors import DataWarning
from recurrence.report._format import ratio

LUNG = ROOT / "tests" / "data" / "own" / "lung_registry.csv"
READ = {
    "header_row": 3,
    "columns": {"Pat-ID": "patient_id", "Arm": "closure", "FU (days)": "time", "Outcome": "event"},
    "values": {
        "closure": {"Closure": True, "Standard": False},
        "event": {"recurrence": 1, "alive": 0},
    },
    "time_unit": "days",
}
PLAN = {
    "title": "Lung registry: the plan test",
    "cohort": {
        "covariates": ["age", "ph.karno", "wt.loss"],
        "table_one": ["age", "ph.karno", "wt.loss", "meal.cal"],
        "times": [6, 12],
        "subgroups": ["ph.ecog"],
    },
    "studies": {"measure": "OR", "method": "DL", "hksj": False},
}


@pytest.fixture(scope="module")
def faces(tmp_path_factory):
    folder = tmp_path_factory.mktemp("plan")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)  # missing covariates: said in the report
        doc = report.build(cohort=LUNG, read_cohort=READ, plan=PLAN, out=folder / "r.pdf")
        cohort = recurrence.load_cohort(LUNG, **READ)
    doc.write(folder / "r.docx")
    doc.write(folder / "r.html")
    return {
        "doc": doc,
        "cohort": cohort,
        "pdf": pdf_text(folder / "r.pdf"),
        "docx": docx_text(folder / "r.docx"),
        "html": html_text(folder / "r.html"),
    }


@pytest.mark.parametrize("face", ["pdf", "docx", "html"])
def test_the_plan_is_followed_with_the_api_numbers(faces, face):
    text, cohort = faces[face], faces["cohort"]
    assert "Lung registry: the plan test" in text
    # the adjustment set: every term of the adjusted model, as the API gives it
    fit = survival.cox(cohort, ["closure", "age", "ph.karno", "wt.loss"])
    for term, t in fit.table.iterrows():
        assert (
            f"Cox, adjusted {term} {ratio(t['hr'])} {ci_text(t['ci_low'], t['ci_high'], ratio)}"
            in text
        )
    assert "Adjusted models add age, ph.karno and wt.loss (the plan's adjustment set)" in text
    # the months: the rates at 6 and 12 months (and the 24-month horizon)
    rates = survival.reherniation_rates(cohort, at=(6, 12, 24)).table
    for _, row in rates.iterrows():
        assert pct(row["incidence"]) in text
    rd = survival.risk_difference(cohort, [6, 12, 24]).table
    assert pct(rd.set_index("time").loc[6.0, "difference"]) in text
    # the subgroups: ph.ecog, split at its median
    sub = survival.subgroups(cohort, ["ph.ecog"], covariates=["age", "ph.karno", "wt.loss"])
    for _, row in sub.table.iterrows():
        assert ratio(row["hr"]) in text and ci_text(row["ci_low"], row["ci_high"], ratio) in text
    # Table 1 holds the plan's variables (and the user's own meal.cal)
    assert "meal.cal" in text
    # the studies: OR by DerSimonian-Laird
    assert "pooled OR of reherniation with closure" in text and "DL" in text
    # the plan followed, printed in the appendix
    assert 'subgroups = ["ph.ecog"]' in text


def test_missing_values_are_imputed_and_said(faces):
    text = faces["pdf"]
    assert "Missing data and unmeasured confounding" in text
    assert "multiple imputation" in text and "complete case" in text


def test_the_cli_runs_a_plan_file(tmp_path):
    plan = tmp_path / "plan.toml"
    plan.write_text(
        'title = "From a TOML plan"\n[cohort]\ncovariates = ["age"]\ntimes = [12]\n'
        'subgroups = []\n[studies]\nmeasure = "RR"\n'
    )
    dictionary = tmp_path / "lung.toml"
    dictionary.write_text(
        'header_row = 3\ntime_unit = "days"\n[columns]\n"Pat-ID" = "patient_id"\n'
        'Arm = "closure"\n"FU (days)" = "time"\nOutcome = "event"\n[values.closure]\n'
        "Closure = true\nStandard = false\n[values.event]\nrecurrence = 1\nalive = 0\n"
    )
    out = tmp_path / "r.docx"
    result = CliRunner().invoke(
        main,
        [
            "report",
            "--cohort",
            str(LUNG),
            "--columns",
            str(dictionary),
            "--plan",
            str(plan),
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    text = docx_text(out)
    assert "From a TOML plan" in text and "Closure effect by subgroup" not in text
    assert "Adjusted models add age (the plan's adjustment set)" in text


def test_a_plan_that_names_what_the_data_do_not_have_is_refused():
    with pytest.raises(DataError) as info:
        report.build(cohort="builtin", plan={"cohort": {"covariates": ["agee"]}, "titel": "x"})
    message = str(info.value)
    assert "the plan has an unknown key 'titel'. Fix: did you mean 'title'?" in message
    assert (
        "plan key 'cohort.covariates' names column 'agee', which the table does not have. Fix: did you mean 'age'?"
        in message
    )


def test_without_a_plan_the_defaults_use_what_the_data_have():
    cohort = recurrence.simulate_cohort(300, seed=4)[
        ["patient_id", "closure", "time", "event", "smoker"]
    ]
    doc = report.build(cohort=cohort)
    text = doc.text()
    assert (
        "Adjusted models add smoker (the covariates of the default set that the cohort has)" in text
    )
    assert "age" not in doc.analyses.plan.covariates
    assert "defaults taken from the data for cohort.covariates" in text


def test_plan_init_writes_a_template_that_reads_back(tmp_path):
    out = tmp_path / "plan.toml"
    result = CliRunner().invoke(main, ["plan", "--init", "--out", str(out)])
    assert result.exit_code == 0, result.output
    plan = report.plan.resolve_plan(out, recurrence.load_cohort(), recurrence.load_studies())
    assert plan.covariates == ("age", "smoker", "diabetes", "defect_width_mm")
    assert plan.source == "plan.toml"


def test_plan_init_never_replaces_an_existing_plan_unasked(tmp_path):
    out = tmp_path / "plan.toml"
    edited = '[cohort]\ncovariates = ["age"]\n'
    out.write_text(edited)
    result = CliRunner().invoke(main, ["plan", "--init", "--out", str(out)])
    assert result.exit_code != 0
    assert "plan.toml exists" in result.output and "--force" in result.output
    assert "nothing was written" in result.output
    assert out.read_text() == edited
    result = CliRunner().invoke(main, ["plan", "--init", "--out", str(out), "--force"])
    assert result.exit_code == 0, result.output
    assert out.read_text() != edited and "[studies]" in out.read_text()


def test_default_months_are_those_the_follow_up_reaches():
    # a 33-month registry: no 60-month row of dashes by default; a planned 60 is kept
    cohort = recurrence.simulate_cohort(300, seed=4)
    cohort = cohort.assign(time=cohort["time"].clip(upper=33.0))
    plan = report.plan.resolve_plan(None, cohort, None)
    assert plan.times == (12, 24) and "cohort.times" in plan.defaults
    planned = report.plan.resolve_plan({"cohort": {"times": [12, 60]}}, cohort, None)
    assert planned.times == (12.0, 60.0)


def test_the_text_says_when_no_competing_event_is_recorded():
    from recurrence.report import sections_cohort

    cohort = recurrence.simulate_cohort(400, seed=5)
    none = cohort.assign(event=cohort["event"].replace({2: 0}))
    a = report.build(cohort=none, studies="builtin").analyses
    assert sections_cohort._cox_and_fine_gray(a).startswith("With no competing event recorded")
    b = report.build(cohort=cohort, studies="builtin").analyses
    said = sections_cohort._cox_and_fine_gray(b)
    n = int((cohort["event"] == 2).sum())
    assert said.startswith(f"With {n:,} competing events they")


def test_plan_init_prints_the_loaders_warnings_as_one_line_each(tmp_path):
    from recurrence.cli import main

    cohort = recurrence.simulate_cohort(200, seed=6)
    cohort.loc[:4, "age"] = None
    path = tmp_path / "c.csv"
    cohort.to_csv(path, index=False)
    result = CliRunner().invoke(
        main, ["plan", "--init", "--cohort", str(path), "--out", str(tmp_path / "p.toml")]
    )
    assert result.exit_code == 0, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("warning: c.csv: missing covariate values")
    assert (tmp_path / "p.toml").is_file()


def test_plan_init_reads_a_study_export_with_its_options(tmp_path):
    # found trying it as a user: `recurrence plan --init --studies FILE` had no --study-…
    # options, so a study export with its own column names could not fill the template,
    # which then named the packaged table's subgroup columns (device, approach, design)
    mapping = tmp_path / "bcg_cols.json"
    mapping.write_text(
        '{"Trial": "study", "TB vaccinated": "events_closure", "N vaccinated": '
        '"total_closure", "TB control": "events_control", "N control": "total_control"}'
    )
    export = ROOT / "tests" / "data" / "own" / "bcg_trials.csv"
    out = tmp_path / "plan.toml"
    args = ["plan", "--init", "--studies", str(export), "--study-columns", str(mapping)]
    result = CliRunner().invoke(main, [*args, "--out", str(out)])
    assert result.exit_code == 0, result.output
    studies = recurrence.load_studies(export, columns=json.loads(mapping.read_text()))
    plan = report.plan.resolve_plan(out, recurrence.load_cohort(), studies)
    assert not set(plan.study_subgroups or ()) & {"device", "approach", "design"}


@pytest.mark.parametrize("command", ["plan", "report"])
def test_study_options_without_a_study_file_are_refused(tmp_path, command):
    # --study-columns with the packaged studies was ignored without a word by `report`
    mapping = tmp_path / "cols.json"
    mapping.write_text('{"Trial": "study"}')
    out = tmp_path / ("plan.toml" if command == "plan" else "report.pdf")
    args = [command, *(["--init"] if command == "plan" else [])]
    result = CliRunner().invoke(main, [*args, "--study-columns", str(mapping), "--out", str(out)])
    assert result.exit_code != 0
    assert "--study-columns reads the study table, and no --studies file was given" in (
        result.output
    )
    assert not out.exists()
