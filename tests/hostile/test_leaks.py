"""Nothing leaked: free text never printed (whoever chose the variable), small counts
shown as "< N" under --min-cell, in the report, its exports and the command line."""

from __future__ import annotations

import html
import re

import pandas as pd
import pytest
from click.testing import CliRunner

import recurrence
from recurrence import DataError, report
from recurrence.cli import main
from recurrence.errors import DataWarning

SECRETS = ("Jane Doe", "1961-04-02", "0171 555 1234", "jane@example.org")


@pytest.fixture(scope="module")
def leaky(tmp_path_factory) -> pd.DataFrame:
    c = recurrence.simulate_cohort(300, seed=2)
    c["notes"] = None
    c.loc[[3, 7, 9], "notes"] = [
        "Mrs Jane Doe DOB 1961-04-02",
        "rang back, Tel 0171 555 1234",
        "jane@example.org",
    ]
    c.loc[5, "sex"] = "Jane Doe"  # a name typed into a standard column
    c.loc[6, "site"] = "Mrs Jane Doe DOB 1961-04-02"
    c.loc[8, "approach"] = "jane@example.org"
    return c


def no_secret(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text, secret


def test_free_text_is_never_in_the_report_or_its_tables(leaky, tmp_path):
    with pytest.warns(DataWarning):
        doc = report.build(cohort=leaky, tables=tmp_path / "t", html=tmp_path / "r.html")
    no_secret(doc.html)
    for path in (tmp_path / "t").iterdir():
        no_secret(path.read_text())
    one = pd.read_csv(tmp_path / "t" / "table_one.csv")
    assert "site" not in set(one["variable"])  # a column holding free text is left out
    assert set(one.loc[one["variable"] == "sex", "level"]) == {"F", "M", "other"}


def test_free_text_is_never_in_table_one_even_when_asked_for(leaky):
    one = recurrence.table_one(leaky, variables=["sex", "site", "approach", "notes", "age"])
    no_secret(one.summary())
    no_secret(one.table.to_csv())
    assert "'notes' left out: it holds free text (notes, names or dates); never printed" in (
        one.remarks
    )


def test_describe_prints_no_free_text(leaky, tmp_path):
    path = tmp_path / "c.csv"
    leaky.to_csv(path, index=False)
    result = CliRunner().invoke(main, ["describe", "--cohort", str(path)])
    assert result.exit_code == 0, result.output
    no_secret(result.output)
    assert "notes" in result.output  # named as left out


def test_error_messages_print_no_free_text():
    bad = pd.DataFrame(
        {
            "patient_id": ["a", "b"],
            "closure": ["Mrs Jane Doe DOB 1961-04-02", "no"],
            "time": ["rang back, Tel 0171 555 1234", "3"],
            "event": [0, 1],
        }
    )
    with pytest.raises(DataError) as info:
        recurrence.load_cohort(bad)
    no_secret(str(info.value))
    assert "(found '<a text of 27 characters>')" in str(info.value)


def test_the_small_cell_rule_in_every_table_and_export(tmp_path):
    c = recurrence.simulate_cohort(300, seed=2)
    with pytest.raises(DataError, match="min_cell must be a whole number of patients from 2"):
        report.build(cohort=c, min_cell=1)
    doc = report.build(cohort=c, min_cell=10, tables=tmp_path / "t")
    text = html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", doc.html)))
    assert "Counts of fewer than 10 patients are shown as '< 10' (small-cell rule)." in text
    assert "min_cell = 10" in text  # the appendix prints the plan followed
    ov = doc.analyses.km.overview.set_index("group")
    closure = ov.loc["closure"]
    assert int(closure["competing"]) < 10  # this cohort has a small cell to hide
    # reherniations 12, competing < 10, censored 134 of 155: the 12 is hidden too, or the
    # competing count would be 155 − 12 − 134
    assert "no closure 145 16 13 116 68.0 closure 155 suppressed < 10 134 66.8" in text
    rates = pd.read_csv(tmp_path / "t" / "rates.csv")
    small = doc.analyses.rates.table["competing"] < 10
    assert (rates.loc[small.to_numpy(), "competing"] == "< 10").all()
    one = pd.read_csv(tmp_path / "t" / "table_one.csv")
    hidden = one["count"].astype(str) == "< 10"
    assert (one.loc[hidden, "percent"] == "suppressed").all()


def test_min_cell_on_the_command_line(tmp_path):
    path = tmp_path / "c.csv"
    recurrence.simulate_cohort(200, seed=8).to_csv(path, index=False)
    out = tmp_path / "r.html"
    result = CliRunner().invoke(
        main, ["report", "--cohort", str(path), "--min-cell", "10", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "&lt; 10" in out.read_text()
    result = CliRunner().invoke(
        main, ["report", "--cohort", str(path), "--min-cell", "1", "--out", str(out)]
    )
    assert result.exit_code == 2 and "--min-cell" in result.stderr


def test_the_risk_table_under_the_curves_follows_the_small_cell_rule():
    import matplotlib.pyplot as plt

    from recurrence import survival

    c = recurrence.simulate_cohort(300, seed=2)
    ax = survival.cumulative_incidence(c).plot(min_cell=10)
    drawn = [t.get_text() for t in ax.texts if (t.get_gid() or "").startswith("competing:")]
    plt.close(ax.figure)
    assert "<10" in drawn
    assert all(t == "<10" or t == "0" or int(t.replace(",", "")) >= 10 for t in drawn)


def test_the_cohort_flow_does_not_give_away_a_hidden_count():
    # 300 patients, 3 with a missing covariate: "< 5" missing beside "297 complete" would
    # reveal the 3 by subtraction, so the complete count is suppressed too
    from recurrence.report.sections_cohort import cohort_flow_steps

    cohort = recurrence.simulate_cohort(300, seed=3)
    cohort.loc[cohort.index[:3], "age"] = None
    with pytest.warns(DataWarning):
        a = report.build(cohort=cohort, studies="builtin", min_cell=5).analyses
    texts = [t for s in cohort_flow_steps(a) for t in (s.text, s.aside)]
    assert any("< 5 with a missing covariate" in t for t in texts), texts
    assert any(t.startswith("suppressed with every adjustment covariate") for t in texts), texts
    assert not any("297" in t for t in texts), texts
