"""Table one: summaries, SMDs, missing counts, display."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from recurrence import load_cohort, table_one
from recurrence.tableone import smd_categorical, smd_continuous


def test_summaries_equal_pandas_by_hand():
    cohort = load_cohort()
    t1 = table_one(cohort)
    tab = t1.table
    ages = cohort.groupby("closure")["age"]
    row = tab[(tab.variable == "age") & (tab.group == "closure")].iloc[0]
    assert row["mean"] == pytest.approx(ages.mean()[True], rel=1e-12)
    assert row["sd"] == pytest.approx(ages.std()[True], rel=1e-12)
    smokers = tab[(tab.variable == "smoker") & (tab.level == "yes") & (tab.group == "no closure")]
    assert smokers["count"].item() == int(cohort.loc[~cohort.closure, "smoker"].sum())
    assert t1.groups == {
        "no closure": int((~cohort.closure).sum()),
        "closure": int(cohort.closure.sum()),
    }


def test_smd_formulas():
    # Continuous: Austin 2009; binary reduces to (p1-p0)/sqrt((p1q1+p0q0)/2).
    x1, x0 = np.array([1.0, 2, 3, 4]), np.array([2.0, 4, 6, 8])
    expected = (2.5 - 5.0) / np.sqrt((x1.var(ddof=1) + x0.var(ddof=1)) / 2)
    assert smd_continuous(x1, x0) == pytest.approx(expected)
    p1, p0 = 0.3, 0.1
    assert smd_categorical(np.array([1 - p1, p1]), np.array([1 - p0, p0])) == pytest.approx(
        (p1 - p0) / np.sqrt((p1 * (1 - p1) + p0 * (1 - p0)) / 2)
    )


def test_smd_sign_follows_closure_minus_no_closure():
    cohort = pd.DataFrame(
        {
            "patient_id": list("abcd"),
            "closure": [True, True, False, False],
            "time": 1.0,
            "event": 0,
            "smoker": [True, True, False, True],
            "age": [30.0, 32, 50, 52],
        }
    )
    t1 = table_one(load_cohort(cohort))
    assert t1.smd["smoker"] > 0 and t1.smd["age"] < 0


def test_missing_counts_and_skewed_variables():
    cohort = load_cohort().copy()
    cohort.loc[:9, "bmi"] = np.nan
    cohort["crp"] = np.random.default_rng(0).lognormal(0, 1.2, len(cohort))
    t1 = table_one(cohort)
    assert t1.table.loc[t1.table.variable == "bmi", "missing"].sum() == 10
    assert t1.summaries["crp"] == "median"
    assert any("crp: skewed" in r for r in t1.remarks)
    display = t1.formatted()
    assert display.loc["bmi, kg/m², mean (SD)", "missing"] == "10"
    assert "crp, median [IQR]" in display.index


def test_free_text_and_ids_are_left_out():
    cohort = load_cohort().assign(note=lambda d: "note " + d.patient_id)
    t1 = table_one(cohort)
    assert "note" not in set(t1.table.variable)
    assert "'note' left out: 2000 distinct values" in t1.remarks[0]
    assert "P00001" not in t1.summary() + t1._repr_html_()


def test_whole_cohort_and_html():
    t1 = table_one(load_cohort(), by=None)
    assert t1.groups == {"all patients": 2000}
    assert np.isnan(t1.smd["age"])
    html = table_one(load_cohort())._repr_html_()
    assert "<table" in html and "closure (n=" in html


def test_small_cells_and_the_cell_that_would_give_them_away():
    import recurrence

    c = recurrence.load_cohort()
    c.loc[5, "sex"] = "X"  # one patient: pooled as "other", then a small cell
    t = recurrence.table_one(c, variables=["sex"], min_cell=10)
    shown = t.formatted()
    arm = next(col for col in shown.columns if col.startswith("no closure"))
    assert shown.loc["    other", arm] == "< 10"
    # F and M with "other" hidden: the smaller of the two is hidden too
    assert (shown[arm] == "suppressed").sum() == 1
    assert "sex: 1 category held by fewer than 10 patients pooled as 'other'" in t.remarks
    assert "X" not in shown.to_string()


def test_a_zero_one_column_is_a_proportion_not_a_mean():
    # colon's "obstruct" (0/1) read from a file: n (%) of 1, as for a yes/no column
    from recurrence import simulate_cohort

    cohort = simulate_cohort(200, seed=2)
    cohort["obstruct"] = (np.arange(200) % 5 == 0).astype("int64")
    cohort.loc[3, "obstruct"] = None
    one = table_one(cohort, variables=["obstruct"])
    shown = one.formatted()
    label = [c for c in shown.index if str(c).startswith("obstruct")]
    assert label == ["obstruct, n (%)"], shown.index.tolist()
    closed = cohort[cohort["closure"]]
    n_yes = int((closed["obstruct"] == 1).sum())
    assert shown.loc["obstruct, n (%)"].iloc[1].startswith(f"{n_yes} (")


def test_counts_per_group_are_those_of_value_counts():
    """Levels are counted per group from one factorization (bincount); here against
    pandas' own value_counts, group by group, with missing cells and a pooled level."""
    from recurrence import simulate_cohort

    c = simulate_cohort(600, seed=11)
    c.loc[:30, "level"] = None
    c.loc[40:41, "site"] = "rare"
    t = table_one(c, min_cell=3)
    for g, sub in c.groupby(c["closure"].map({True: "closure", False: "no closure"})):
        for var in ("level", "approach"):
            ref = sub[var].value_counts()
            got = t.table[(t.table["variable"] == var) & (t.table["group"] == g)]
            assert dict(zip(got["level"], got["count"], strict=True)) == ref.to_dict()
            assert (got["missing"] == sub[var].isna().sum()).all()
            assert (got["n"] == sub[var].notna().sum()).all()
    assert "site: 1 category held by fewer than 3 patients pooled as 'other'" in t.remarks


def test_patients_without_a_group_value_are_in_no_column():
    """Grouped by a column with missing cells: no "nan"/"<NA>" column, whose few
    patients would set the largest SMD over the pairs of groups; a remark counts them."""
    c = load_cohort()
    c["sex"] = c["sex"].astype(object)
    c.loc[:5, "sex"] = None
    t = table_one(c, by="sex")
    assert sorted(t.groups) == ["F", "M"] and sum(t.groups.values()) == len(c) - 6
    assert set(t.table["group"]) == {"F", "M"}
    assert "6 patients with no sex value left out of the columns" in t.remarks
    two = table_one(c.dropna(subset=["sex"]), by="sex")
    pd.testing.assert_series_equal(t.smd, two.smd)
