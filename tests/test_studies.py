"""The packaged table of published studies: internal consistency and selection."""

from __future__ import annotations

import pandas as pd
import pytest

from recurrence import load_studies, published_studies

BARRICAID = "Barricaid RCT (NCT01283438)"


@pytest.fixture(scope="module")
def reports() -> pd.DataFrame:
    return published_studies()


def test_counts_are_consistent(reports):
    for events, total in [("events_closure", "total_closure"), ("events_control", "total_control")]:
        both = reports[[events, total]].dropna()
        assert (both[events] <= both[total]).all()
        assert (both[total] > 0).all()
        assert reports[events].isna().equals(reports[total].isna())


def test_every_row_has_a_source_address_and_a_count_basis(reports):
    assert reports["source"].str.match(r"^https?://").all()
    assert set(reports["count_basis"]) == {"exact", "derived"}
    assert set(reports["outcome"]) <= {"symptomatic", "radiographic", "recurrence", "reoperation"}


def test_exact_counts_quoted_in_the_evidence(reports):
    # Exact counts stated in the published reports (source address per row of the CSV).
    exact = {
        "Kienzler 2021": (4, 276, 18, 278),
        "Klassen 2018": (24, 272, 45, 278),
        "Cho 2019": (1, 30, 6, 30),
        "Parker 2016": (0, 30, 3, 46),
        "Swiss ACD cohort": (1, 12, 6, 41),
        "Front Surg 2022 AFS": (0, 40, 3, 42),
        # Stated exactly in the abstracts (checked; the evidence file gave 3.5% of 171):
        "Kuršumović registry": (6, 171, None, None),
        "Tubular ACD series 2018": (2, 60, None, None),
    }
    table = reports.set_index("study")
    for study, counts in exact.items():
        row = table.loc[
            study, ["events_closure", "total_closure", "events_control", "total_control"]
        ]
        assert tuple(None if pd.isna(v) else int(v) for v in row) == counts, study
        assert table.loc[study, "count_basis"] == "exact"
    assert tuple(table.loc["Martens 2018", ["events_control", "total_control"]]) == (64, 253)


def test_derived_counts_reproduce_their_percentages(reports):
    # A derived count is round(percentage × denominator): check it is within one patient.
    derived = {
        ("van den Brink 2019", "closure"): 8.4,
        ("van den Brink 2019", "control"): 17.3,
        ("Thomé 2018", "closure"): 12.0,
        ("Nanda 2019", "closure"): 14.4,
        ("Nanda 2019", "control"): 21.1,
        ("Chinese FE suture 2024", "control"): 8.51,
        ("Korean annuloplasty", "control"): 5.0,
        ("Bouma 2013", "closure"): 1.4,
    }
    table = reports.set_index("study")
    for (study, arm), pct in derived.items():
        e, n = table.loc[study, f"events_{arm}"], table.loc[study, f"total_{arm}"]
        assert abs(e - pct / 100 * n) <= 1.0, (study, arm)
        assert table.loc[study, "count_basis"] == "derived"


def test_default_selection_counts_each_trial_once(reports):
    studies = load_studies()
    assert (reports["trial"] == BARRICAID).sum() == 6
    assert studies["trial"].is_unique
    assert (studies["trial"] == BARRICAID).sum() == 1
    assert studies.loc[studies.trial == BARRICAID, "study"].item() == "Thomé 2018"
    assert "reoperation" not in set(studies["outcome"])
    dropped = dict(studies.attrs["dropped"])
    assert dropped["Kienzler 2021"] == "same trial as Thomé 2018"
    assert dropped["Klassen 2018"] == "outcome 'reoperation'"


def test_reoperation_analysis_set_prefers_the_longest_follow_up():
    # Both reports are two-arm reoperation counts of one trial: the 48-month report
    # wins over the 24-month one (longer follow-up ranks before exact counts).
    assert load_studies(outcome="reoperation")["study"].tolist() == ["Nanda 2019"]
    every = load_studies(outcome="reoperation", one_per_trial=False)
    assert every["study"].tolist() == ["Klassen 2018", "Nanda 2019"]


def test_user_table_without_trial_column_is_not_reduced(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text(
        "study,events_closure,total_closure,events_control,total_control\n"
        "A,1,10,2,10\nB,1,10,2,10\n"
    )
    assert len(load_studies(path)) == 2
