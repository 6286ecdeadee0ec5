"""simulate_cohort(missing=...): covariates missing at random given the outcome, closure
and age, with the truth (mechanism, shares, the blanked values) in attrs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from recurrence import load_cohort, simulate_cohort
from recurrence.synthetic import MISSING_MODEL


def test_the_complete_cohort_is_unchanged_and_the_truth_is_kept():
    full = simulate_cohort(3000, seed=4)
    blank = simulate_cohort(3000, seed=4, missing={"bmi": 0.2, "smoker": 0.1, "level": 0.15})
    truth = blank.attrs["truth"]["missing"]
    other = [c for c in full.columns if c not in ("bmi", "smoker", "level")]
    pd.testing.assert_frame_equal(full[other], blank[other])
    for col in ("bmi", "smoker", "level"):
        miss = blank[col].isna()
        assert truth["share"][col] == miss.mean()
        assert list(full.loc[miss, col]) == truth["values"][col]
        kept = ~miss
        assert (blank.loc[kept, col].astype(object) == full.loc[kept, col].astype(object)).all()
    assert truth["model"] == MISSING_MODEL and truth["uses_age"]
    assert blank["smoker"].dtype == "boolean"


def test_shares_and_the_mechanism_depend_on_the_outcome():
    # 20,000 patients: a realized share has SE ≈ √(0.2·0.8/20000) ≈ 0.003; 0.01 is 3 SE
    cohort = simulate_cohort(20000, seed=5, missing={"defect_width_mm": 0.2})
    miss = cohort["defect_width_mm"].isna()
    assert miss.mean() == pytest.approx(0.2, abs=0.01)
    rate = miss.groupby(cohort["event"] == 1).mean()
    assert rate[True] > rate[False] + 0.1  # reherniation raises the odds by e^1.5
    by_arm = miss.groupby(cohort["closure"]).mean()
    assert by_arm[True] < by_arm[False]


def test_loads_as_a_cohort_with_missing_values_and_refuses_unknown_columns():
    cohort = simulate_cohort(300, seed=6, missing={"age": 0.1})
    assert not cohort.attrs["truth"]["missing"]["uses_age"]
    with pytest.warns(UserWarning, match="missing covariate values"):
        loaded = load_cohort(cohort)
    assert loaded["age"].isna().sum() == cohort["age"].isna().sum()
    with pytest.raises(ValueError, match="can blank out"):
        simulate_cohort(100, seed=1, missing={"closure": 0.1})
    with pytest.raises(ValueError, match=r"\[0, 1\)"):
        simulate_cohort(100, seed=1, missing={"bmi": 1.0})
    assert np.isnan(simulate_cohort(100, seed=1, missing={"bmi": 0.0})["bmi"]).sum() == 0
