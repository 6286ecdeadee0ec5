"""Multiple imputation: pooling against ``mice::pool`` on the same completed cohorts,
the chained equations themselves, and the recovery of the truth on a simulated cohort.

R reference (validation/r/cohort_analyses.R → tests/data/r/cohort_analyses.json,
"pool"): the five completed cohorts of tests/data/impute_completed.csv (written by
validation/cohort_analyses_data.py with ``impute(..., m=5, seed=42)``), one
``coxph(Surv(time, event == 1) ~ closure + smoker + defect_width_mm + age + level)`` each,
``summary(pool(as.mira(fits)), conf.int = TRUE)`` and ``pool(...)$pooled``. Rubin's
rules are closed-form on Cox fits that agree with coxph to ~1e-10: 1e-6 relative
(seen: ~1e-13).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from helpers import ROOT, r_reference

from recurrence import DataError, impute, load_cohort, simulate_cohort
from recurrence._mice import rubin
from recurrence.imputation import pool
from recurrence.survival import cox, risk_difference

REL = 1e-6
MODEL = ["closure", "smoker", "defect_width_mm", "age", "level"]


@pytest.mark.r_reference
def test_pooled_cox_matches_mice_pool_on_the_same_completed_data():
    ref = r_reference("cohort_analyses")["pool"]
    stacked = load_cohort(ROOT / "tests" / "data" / "impute_completed.csv")
    fits = [cox(d, MODEL) for _, d in stacked.groupby("imp")]
    res = pool(fits)
    t = res.table
    assert list(t.index) == [
        "closure",
        "smoker",
        "defect_width_mm",
        "age",
        "level[L4/5]",
        "level[L5/S1]",
    ]
    assert len(ref["terms"]) == len(t)  # R: levelL4/5, levelL5/S1
    for col in (
        "coef",
        "se",
        "df",
        "pvalue",
        "ci_low",
        "ci_high",
        "fmi",
        "riv",
        "lambda",
        "ubar",
        "b",
    ):
        np.testing.assert_allclose(t[col], ref[col], rtol=REL, err_msg=f"{col}: {ref['call']}")
    assert res.dfcom == ref["dfcom"] and res.m == ref["m"]  # mice: nevent − coefficients
    np.testing.assert_allclose(t["hr"], np.exp(t["coef"]))
    np.testing.assert_allclose(t["hr_ci_low"], np.exp(t["ci_low"]))


def test_rubins_rules_by_hand():
    est = np.array([[0.10], [0.30], [0.20], [0.25]])
    var = np.array([[0.010], [0.012], [0.011], [0.009]])
    out = rubin(est, var, dfcom=50)
    m, qbar, ubar = 4, est.mean(), var.mean()
    b = est.var(ddof=1)
    t = ubar + (1 + 1 / m) * b
    lam = (1 + 1 / m) * b / t
    dfold = (m - 1) / lam**2
    dfobs = 51 / 53 * 50 * (1 - lam)
    df = dfold * dfobs / (dfold + dfobs)
    riv = (1 + 1 / m) * b / ubar
    assert out["estimate"][0] == pytest.approx(qbar, rel=1e-12)
    assert out["se"][0] == pytest.approx(np.sqrt(t), rel=1e-12)
    assert out["df"][0] == pytest.approx(df, rel=1e-12)
    assert out["fmi"][0] == pytest.approx((riv + 2 / (df + 3)) / (riv + 1), rel=1e-12)


@pytest.fixture(scope="module")
def incomplete():
    return simulate_cohort(1200, seed=6, missing={"bmi": 0.2, "smoker": 0.25, "level": 0.15})


@pytest.fixture(scope="module")
def imputed(incomplete):
    return impute(incomplete, m=4, seed=11)


def test_every_missing_value_is_filled_with_a_plausible_value(incomplete, imputed):
    assert len(imputed.datasets) == 4
    observed_bmi = set(incomplete["bmi"].dropna())
    for d in imputed.datasets:
        assert not d[["bmi", "smoker", "level"]].isna().any().any()
        assert set(d["bmi"]) <= observed_bmi  # predictive mean matching draws donors
        assert d["smoker"].dtype == bool and set(d["level"]) <= {"L3/4", "L4/5", "L5/S1"}
        kept = incomplete["bmi"].notna()
        pd.testing.assert_series_equal(d.loc[kept, "bmi"], incomplete.loc[kept, "bmi"])
        pd.testing.assert_frame_equal(
            d.drop(columns=["bmi", "smoker", "level"]),
            incomplete.drop(columns=["bmi", "smoker", "level"]),
        )
    # the imputations differ from each other (proper draws, not one fill)
    first, second = imputed.datasets[0], imputed.datasets[1]
    miss = incomplete["bmi"].isna()
    assert (first.loc[miss, "bmi"] != second.loc[miss, "bmi"]).any()


def test_the_table_says_what_was_missing_and_how(incomplete, imputed):
    t = imputed.table
    assert t.loc["bmi", "method"] == "predictive mean matching"
    assert t.loc["smoker", "method"] == "logistic"
    assert t.loc["level", "method"] == "multinomial logistic (3 levels)"
    for col in ("bmi", "smoker", "level"):
        assert t.loc[col, "missing"] == incomplete[col].isna().sum()
    assert imputed.n_incomplete == int(
        incomplete[["bmi", "smoker", "level"]].isna().any(axis=1).sum()
    )
    assert imputed.predictors[:2] == ("reherniation (yes/no)", "Nelson-Aalen H(T) of reherniation")
    assert "patient_id" not in t.index and "site" in t.index


def test_the_same_seed_gives_the_same_imputations(incomplete, imputed):
    again = impute(incomplete, m=4, seed=11)
    for a, b in zip(imputed.datasets, again.datasets, strict=True):
        pd.testing.assert_frame_equal(a, b)
    seq = np.random.SeedSequence(11)
    twice = [impute(incomplete, m=2, seed=seq).datasets[0] for _ in range(2)]
    pd.testing.assert_frame_equal(twice[0], twice[1])  # a SeedSequence is not consumed
    other = impute(incomplete, m=2, seed=12).datasets[0]
    assert not other["bmi"].equals(imputed.datasets[0]["bmi"])


def test_imputed_estimate_lands_nearer_the_truth_than_complete_case():
    # 5,000 randomized patients; smoker and defect width missing at random given the
    # outcome and closure (reherniation raises, closure lowers the odds of a missing
    # value: MISSING_MODEL), so the complete cases over-represent closed patients
    # without a reherniation. The true conditional log HR of closure is log 0.5; the
    # analysis of the same cohort before blanking is the best any method can do.
    # Complete cases land more than 2 SE (of the full-data estimate) away from it,
    # the pooled imputation within 0.5 SE, and nearer the truth. Seeded: deterministic.
    cov = ["closure", "smoker", "defect_width_mm", "age", "diabetes"]
    missing = {"defect_width_mm": 0.3, "smoker": 0.2}
    cohort = simulate_cohort(5000, seed=1, missing=missing)
    full = cox(simulate_cohort(5000, seed=1), cov).table.loc["closure"]
    cc = cox(cohort, cov).table.loc["closure"]
    mi = impute(cohort, m=10, seed=1, columns=cov).fit(cox, cov).table.loc["closure"]
    truth = np.log(cohort.attrs["truth"]["hr"]["closure"])
    assert abs(cc["coef"] - full["coef"]) > 2 * full["se"]
    assert abs(mi["coef"] - full["coef"]) < 0.5 * full["se"]
    assert abs(mi["coef"] - truth) < abs(cc["coef"] - truth)


def test_fit_pools_risk_differences_and_compare_shows_both(incomplete, imputed):
    pooled = imputed.fit(risk_difference, [24])
    assert list(pooled.table.index) == [24.0] and pooled.measure is None
    side = imputed.compare(cox, ["closure", "smoker"], original=incomplete)
    assert list(side.index.get_level_values(0).unique()) == ["complete case", "multiple imputation"]
    assert side.loc[("complete case", "closure"), "n"] == incomplete["smoker"].notna().sum()
    assert side.loc[("multiple imputation", "closure"), "n"] == len(incomplete)


def test_bad_arguments_are_data_errors(incomplete):
    with pytest.raises(DataError, match="m must be a whole number ≥ 2"):
        impute(incomplete, m=1)
    with pytest.raises(DataError, match="cannot be imputed"):
        impute(incomplete, columns=["time", "bmi"])
    with pytest.raises(DataError, match="not in the cohort"):
        impute(incomplete, columns=["weight"])
    empty = incomplete.assign(bmi=np.nan)
    with pytest.raises(DataError, match="every value is missing"):
        impute(empty, m=2, columns=["bmi", "age"])
    with pytest.raises(DataError, match="at least 2 imputations"):
        pool([cox(incomplete, ["closure"])])


def test_input_is_not_modified(incomplete):
    before = incomplete.copy()
    impute(incomplete, m=2, seed=3, iterations=2)
    pd.testing.assert_frame_equal(incomplete, before)


def test_a_complete_cohort_gives_copies():
    cohort = load_cohort()
    imp = impute(cohort, m=2, seed=1, iterations=1)
    pd.testing.assert_frame_equal(imp.datasets[0], cohort)
    assert "no missing values" in imp.remarks[-1]


def test_displays(imputed):
    import html

    pooled = imputed.fit(cox, ["closure", "smoker"])
    for obj in (imputed, pooled):
        assert obj.summary().startswith(obj.title)
        assert html.escape(obj.title) in obj._repr_html_()
    assert f"{imputed.n_incomplete:,} of {imputed.n:,} patients had a missing value" in str(imputed)
    assert "<table" in pooled._repr_html_() and "fmi" in pooled._repr_html_()
