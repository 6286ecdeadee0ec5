"""The report uses only what it is given: a study table alone gives a report of the
studies alone, the synthetic cohort appears only when asked for (and says so), and the
words are computed from the analysis (no "fewer than 10 studies" with 13)."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner
from helpers import ROOT
from pypdf import PdfReader

import recurrence
from recurrence import report
from recurrence.cli import main

OWN = ROOT / "tests" / "data" / "own"
BCG = {
    "Trial": "study",
    "TB vaccinated": "events_closure",
    "N vaccinated": "total_closure",
    "TB control": "events_control",
    "N control": "total_control",
    "Year": "year",
    "Latitude": "ablat",
    "Allocation": "design",
}


def words(doc) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", doc.html))


@pytest.fixture(scope="module")
def studies_only():
    return report.build(studies=OWN / "bcg_trials.csv", read_studies={"columns": BCG})


def test_a_study_table_alone_gives_a_report_of_the_studies_alone(studies_only):
    text = words(studies_only)
    assert studies_only.analyses.has_cohort is False
    assert "A report of a study table alone: 13 studies from bcg_trials.csv" in text
    for absent in (
        "2,000",
        "patients (",
        "Reherniation over time",
        "Effect of closure",
        "This cohort",
        "synthetic",
    ):
        assert absent not in text, absent
    # nothing of a cohort is pooled with the studies
    assert studies_only.analyses.with_cohort is None
    assert studies_only.analyses.effect.k == 13
    assert "1. The studies" in text and "Across 13 studies the pooled RR" in text
    # 13 studies: no "fewer than 10" caveat on the bias tests
    assert "fewer than 10" not in text
    assert "rates" not in studies_only.tables() and "studies_effect" in studies_only.tables()


def test_the_demo_says_its_cohort_is_synthetic():
    text = words(report.build())
    assert "Demonstration on synthetic data: the cohort of 2,000 patients is simulated" in text
    k = len(recurrence.load_studies())
    assert f"the packaged table of {k} published studies" in text
    assert "fewer than 10" in text  # the packaged comparison has fewer than 10 studies


def test_a_cohort_alone_is_shown_beside_the_packaged_studies_labelled_as_such(tmp_path):
    cohort = recurrence.simulate_cohort(400, seed=11)
    doc = report.build(cohort=cohort)
    text = words(doc)
    assert "Cohort: DataFrame, 400 patients; beside it, the packaged table of" in text
    assert "synthetic" not in text.split("Summary")[0].lower()
    assert "The published evidence" in text
    # the builtin cohort by name
    text = words(
        report.build(
            cohort="builtin", studies=OWN / "bcg_trials.csv", read_studies={"columns": BCG}
        )
    )
    assert "Demonstration on synthetic data" in text and "13 studies from bcg_trials.csv" in text


def test_no_competing_events_no_percentage_point_caveat():
    cohort = recurrence.simulate_cohort(400, seed=11)
    cohort.loc[cohort["event"] == 2, "event"] = 0
    text = words(report.build(cohort=cohort))
    assert "percentage points" not in text
    assert "no competing event was recorded" in text


def test_studies_only_on_the_command_line_with_reading_options(tmp_path):
    mapping = tmp_path / "bcg.json"
    mapping.write_text(__import__("json").dumps(BCG))
    out = tmp_path / "bcg.pdf"
    result = CliRunner().invoke(
        main,
        [
            "report",
            "--studies",
            str(OWN / "bcg_trials.csv"),
            "--study-columns",
            str(mapping),
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    text = re.sub(r"\s+", " ", " ".join(p.extract_text() for p in PdfReader(out).pages))
    assert "A report of a study table alone" in text and "2,000" not in text


def test_the_projections_table_is_printable_and_holds_the_projections():
    # found reading a report of the breast cosmesis export: the table printed the AIC
    # comparison with 14 decimals and none of the projected incidence its caption named
    import warnings

    from recurrence.report.sections_robustness import _projections_table
    from recurrence.survival import compare_distributions

    cohort = recurrence.load_cohort(
        ROOT / "tests" / "data" / "interval_cosmesis.csv", columns={"chemo": "closure"}
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cmp = compare_distributions(cohort)
    table = _projections_table(cmp)
    assert list(table.columns[:5]) == [
        "distribution",
        "parameters",
        "log-likelihood",
        "AIC",
        "ΔAIC",
    ]
    assert table["AIC"].tolist() == [f"{v:.1f}" for v in cmp.table["aic"]]
    proj = cmp.projections
    for r in proj.itertuples():
        cell = table.loc[table["distribution"] == r.distribution, f"{r.group}, {r.time:g} months"]
        assert cell.item() == f"{100 * r.incidence:.1f}%" + ("*" if r.extrapolated else "")


def test_the_analyses_read_the_cohort_in_time_order_and_the_callers_table_is_untouched():
    """build() sorts its own copy of the cohort by time once (every survival analysis
    sorts by time; NumPy's sorts are linear on sorted input): a stable sort that keeps
    each patient's row label, and nothing when the table is already in time order."""
    import pandas.testing as pdt

    from recurrence.report.printable import in_time_order

    cohort = recurrence.simulate_cohort(400, seed=5).sample(frac=1.0, random_state=2)
    cohort["time"] = cohort["time"].round()  # ties, as whole-day follow-up has
    before = cohort.copy()
    out = in_time_order(cohort)
    pdt.assert_frame_equal(cohort, before)
    assert out["time"].is_monotonic_increasing
    pdt.assert_frame_equal(out.loc[cohort.index], cohort)  # each row as it was
    position = {label: i for i, label in enumerate(cohort.index)}
    for _, tied in out.groupby("time", sort=False):  # stable: ties in the table's order
        assert [position[label] for label in tied.index] == sorted(position[x] for x in tied.index)
    assert in_time_order(out) is out


def test_seeded_analyses_give_the_report_the_numbers_the_api_gives_on_the_table(tmp_path):
    """The report sorts its copy of the cohort by time, but Turnbull's bootstrap and
    multiple imputation pick patients by position with their seed: they read the table
    in its own order, so the report's intervals and pooled estimates are the ones the
    same call gives on the user's table (in time order they differed by up to 0.05 in a
    bootstrap bound of the cosmesis export)."""
    import warnings

    import pandas.testing as pdt

    from recurrence.report.analyses import IMPUTATIONS, SEED
    from recurrence.survival import cox, turnbull

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        holes = recurrence.simulate_cohort(600, seed=4, missing={"smoker": 0.2})
        path = tmp_path / "holes.csv"
        holes.to_csv(path, index=False)  # in patient order, not in time order
        built = report.build(cohort=path, title="seeded")
        table = recurrence.load_cohort(path)
        covariates = [c for c in built.analyses.plan.covariates if c != "closure"]
        missing = [c for c in covariates if table[c].isna().any()]
        expected = recurrence.impute(table, m=IMPUTATIONS, seed=SEED, columns=missing).compare(
            cox, ["closure", *covariates], original=table
        )
        pdt.assert_frame_equal(built.analyses.imputed, expected, check_exact=False, rtol=1e-9)

        imaged = recurrence.simulate_cohort(300, seed=3, visits=(3, 6, 12, 24), missed_visit=0.2)
        path = tmp_path / "imaged.csv"
        imaged.to_csv(path, index=False)
        built = report.build(cohort=path, title="seeded")
        expected = turnbull(recurrence.load_cohort(path))
    assert not recurrence.load_cohort(path)["time"].is_monotonic_increasing
    pdt.assert_frame_equal(built.analyses.turnbull.table, expected.table)
