"""Leave one out, influence, cumulative meta-analysis: rules and edge cases (the numbers
against metafor's leave1out, influence and cumul are in test_meta_reference.py)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from recurrence import DataError, StatisticalWarning, load_studies, meta

HETERO = (
    [1, 30, 5, 60, 2, 40, 15],
    [100, 100, 50, 80, 200, 60, 150],
    [20, 10, 25, 20, 30, 10, 5],
    [100, 100, 50, 80, 200, 60, 150],
)


def test_leave_one_out_has_the_api_columns_and_refits_the_same_model():
    res = meta.compare(*HETERO, method="PM", hksj=True, labels=list("ABCDEFG"))
    loo = meta.leave_one_out(res)
    assert list(loo.columns[:6]) == [
        "study",
        "estimate",
        "ci_low",
        "ci_high",
        "tau2",
        "i2",
    ]  # documented order (docs/meta-analysis.md)
    assert {"k", "pi_low", "pi_high"} <= set(loo.columns)
    assert loo["study"].tolist() == list("ABCDEFG") and (loo["k"] == 6).all()
    by_hand = meta.compare(*(np.array(x)[1:] for x in HETERO), method="PM", hksj=True)
    assert loo.loc[0, "estimate"] == pytest.approx(by_hand.estimate)
    assert loo.loc[0, "ci_low"] == pytest.approx(by_hand.ci_low)


def test_leave_one_out_keeps_refit_caveats_as_remarks():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StatisticalWarning)
        res = meta.compare([1, 30], [100, 100], [20, 10], [100, 100], method="REML")
    loo = meta.leave_one_out(res)
    assert len(loo) == 2 and (loo["k"] == 1).all()
    assert any("only one study" in r for r in loo.attrs["remarks"])


def test_leave_one_out_of_one_study_warns():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StatisticalWarning)
        res = meta.proportions([3], [30])
    with pytest.warns(StatisticalWarning, match="leave-one-out needs at least 2 studies"):
        loo = meta.leave_one_out(res)
    assert loo.empty and "estimate" in loo.columns


def test_leave_one_out_skips_studies_left_out_of_the_analysis():
    res = meta.compare(
        [0, 1, 2, 3],
        [20, 20, 20, 20],
        [0, 5, 6, 7],
        [20, 20, 20, 20],
        method="FE",
        labels=["DZ", "B", "C", "D"],
    )
    loo = meta.leave_one_out(res)
    assert loo["study"].tolist() == ["B", "C", "D"]


def test_cumulative_by_year_from_the_study_table_missing_years_last():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StatisticalWarning)
        res = meta.compare_studies(load_studies(), method="FE")
        cum = meta.cumulative(res)
    years = cum["order"].tolist()
    assert years[:5] == [2016, 2018, 2019, 2022, 2024]
    assert np.isnan(years[5]) and np.isnan(years[6])
    assert cum["study"].tolist()[-2:] == ["Swiss ACD cohort", "Korean annuloplasty"]
    assert cum["k"].tolist() == list(range(1, 8))
    assert cum["estimate"].iloc[-1] == pytest.approx(res.estimate)
    assert any("up to Parker 2016: only one study" in r for r in cum.attrs["remarks"])


def test_cumulative_order_errors():
    res = meta.compare(*HETERO, method="FE")
    with pytest.raises(DataError, match="order='year' names no column"):
        meta.cumulative(res, order="year")
    with pytest.raises(DataError, match="order has 2 values for 7 studies"):
        meta.cumulative(res, order=[1, 2])
    cum = meta.cumulative(res, order=[7, 6, 5, 4, 3, 2, 1])
    assert cum["study"].iloc[0] == "Study 7"


def test_influence_flags_the_study_that_dominates():
    res = meta.compare(
        [33, 1, 0, 1],
        [272, 30, 30, 12],
        [64, 6, 3, 6],
        [253, 30, 46, 41],
        method="FE",
        labels=["big", "b", "c", "d"],
    )
    inf = meta.influence(res)
    table = inf.table.set_index("study")
    assert table.loc["big", "influential"] and table["influential"].sum() == 1
    assert table["weight"].sum() == pytest.approx(100)
    assert table.loc["big", "hat"] == pytest.approx(table.loc["big", "weight"] / 100)
    assert "1 influential study of 4" in repr(inf)


def test_influence_of_mantel_haenszel_uses_the_inverse_variance_model():
    res = meta.compare(*HETERO, method="MH")
    inf = meta.influence(res)
    assert "common-effect model" in inf.remarks[0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StatisticalWarning)
        one = meta.compare([1], [10], [2], [10])
    with pytest.raises(DataError, match="at least 2 studies"):
        meta.influence(one)


def test_sensitivity_functions_reject_other_objects():
    for fn in (meta.leave_one_out, meta.influence, meta.cumulative):
        with pytest.raises(DataError, match="expected a result of proportions"):
            fn(pd.DataFrame())
