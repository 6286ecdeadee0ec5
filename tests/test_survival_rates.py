"""The headline table: Aalen-Johansen incidence beside 1 − Kaplan-Meier, per arm."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from recurrence import DataError, load_cohort
from recurrence.survival import cumulative_incidence, kaplan_meier, reherniation_rates


def test_table_reads_the_two_estimators():
    cohort = load_cohort()
    rates = reherniation_rates(cohort)
    tab = rates.table
    assert list(tab.columns[:9]) == [
        "group",
        "time",
        "incidence",
        "ci_low",
        "ci_high",
        "one_minus_km",
        "km_ci_low",
        "km_ci_high",
        "at_risk",
    ]
    assert len(tab) == 6 and tab["time"].tolist() == [12, 24, 60] * 2
    ci = cumulative_incidence(cohort).at([12, 24, 60])
    km = kaplan_meier(cohort).at([12, 24, 60])
    np.testing.assert_array_equal(tab["incidence"], ci["incidence"])
    np.testing.assert_array_equal(tab["one_minus_km"], 1 - km["survival"])
    np.testing.assert_array_equal(tab["km_ci_low"], 1 - km["ci_high"])
    np.testing.assert_array_equal(tab["at_risk"], ci["at_risk"])
    # with competing events 1 − KM is never below the Aalen-Johansen incidence
    assert (tab["excess"] >= 0).all()
    assert any("1 − Kaplan-Meier exceeds" in r for r in rates.remarks)


def test_event_counts_up_to_each_horizon():
    cohort = load_cohort()
    tab = reherniation_rates(cohort, at=[24]).table
    for row in tab.itertuples():
        arm = cohort[cohort["closure"] == (row.group == "closure")]
        assert row.events == ((arm["time"] <= 24) & (arm["event"] == 1)).sum()
        assert row.competing == ((arm["time"] <= 24) & (arm["event"] == 2)).sum()


def test_horizon_beyond_follow_up_is_not_estimable():
    cohort = pd.DataFrame(
        {"time": [1.0, 2, 3, 30], "event": [1, 0, 1, 0], "closure": [False, False, True, True]}
    )
    rates = reherniation_rates(cohort, at=[1, 12])
    row = rates.table.query("group == 'no closure' and time == 12")
    assert row["incidence"].isna().item() and row["at_risk"].item() == 0
    assert any("no closure: no estimate at 12 months" in r for r in rates.remarks)


def test_display_and_bad_horizons():
    rates = reherniation_rates(load_cohort(), at=[24])
    assert "Reherniation rates" in repr(rates) and "<table" in rates._repr_html_()
    with pytest.raises(DataError, match="horizons must be > 0"):
        reherniation_rates(load_cohort(), at=[0, 12])
    with pytest.raises(DataError, match="at must be numbers of months"):
        reherniation_rates(load_cohort(), at=["x"])


def test_whole_cohort_and_plot():
    rates = reherniation_rates(load_cohort(), at=[12, 24], by=None)
    assert rates.table["group"].unique().tolist() == ["all patients"]
    ax = rates.plot()
    assert ax.get_legend() is not None
    plt.close("all")


def test_no_estimator_modifies_its_input():
    from recurrence.survival.logrank import logrank
    from recurrence.survival.rmst import rmst

    cohort = load_cohort()
    before = cohort.copy()
    reherniation_rates(cohort)
    logrank(cohort, strata="site")
    rmst(cohort, 60)
    cumulative_incidence(cohort, strata="site").at([12])
    kaplan_meier(cohort).at_risk()
    pd.testing.assert_frame_equal(cohort, before)
