"""Fine-Gray: against cmprsk::crr (2.2-11), properties, degenerate inputs.

Reference values: validation/r/survival_models.R → tests/data/r/survival_models.json,
each with its crr call. crr stops on its score (``gtol``; the script uses the smallest
gtol at which crr still reports convergence) and stores the Newton step left at its
answer (``crr_step``, at most 6e-10); ``fine_gray`` stops when its next Newton step is
below 1e-10. Coefficients therefore agree to ~1e-9 absolute, and the sandwich
standard errors and log pseudo-likelihood (smooth in β) to the same order: ``REL =
1e-6`` relative is the issue's bar for exact algorithms, with room to spare.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from helpers import ROOT, r_reference

from recurrence import DataError, StatisticalWarning, load_cohort
from recurrence.errors import ConvergenceWarning
from recurrence.survival import cox, fine_gray
from recurrence.survival._core.finegray import influence, make_data

REL = 1e-6
DATA = ROOT / "tests" / "data"
SYN = ["closure", "age", "smoker", "diabetes", "defect_width_mm"]


def vec(value) -> list:
    return value if isinstance(value, list) else [value]


@pytest.fixture(scope="module")
def ref():
    return r_reference("survival_models")["crr"]


@pytest.fixture(scope="module")
def mgus2():
    return pd.read_csv(DATA / "surv_models_mgus2.csv", float_precision="round_trip")


@pytest.fixture(scope="module")
def small():
    return pd.read_csv(DATA / "surv_models_small.csv", float_precision="round_trip")


@pytest.fixture(scope="module")
def synthetic():
    return load_cohort(ROOT / "data" / "synthetic" / "cohort.csv")


def _case(name, mgus2, small, synthetic):
    return {
        "mgus2": lambda: fine_gray(mgus2, ["age", "male", "hgb"]),
        "mgus2_event2": lambda: fine_gray(mgus2, ["age", "male", "hgb"], event=2),
        "small": lambda: fine_gray(small, ["x1", "x2"]),
        "synthetic": lambda: fine_gray(synthetic, SYN),
        "small_no_competing": lambda: fine_gray(small[small["event"] != 2], ["x1", "x2"]),
    }[name]()


@pytest.mark.r_reference
def test_every_r_case_is_tested(ref):
    assert sorted(ref) == ["mgus2", "mgus2_event2", "small", "small_no_competing", "synthetic"]


@pytest.mark.r_reference
@pytest.mark.parametrize(
    "case", ["mgus2", "mgus2_event2", "small", "synthetic", "small_no_competing"]
)
def test_matches_crr(case, ref, mgus2, small, synthetic):
    r = ref[case]
    fit = _case(case, mgus2, small, synthetic)
    assert list(fit.table.index) == vec(r["terms"])
    assert np.max(np.abs(r["crr_step"])) < 1e-9  # how far crr's own answer is from the maximum
    np.testing.assert_allclose(fit.table["coef"], vec(r["coef"]), rtol=REL, err_msg=r["call"])
    np.testing.assert_allclose(fit.table["se"], vec(r["se"]), rtol=REL, err_msg=r["call"])
    assert fit.loglik == pytest.approx(r["loglik"], rel=REL), r["call"]
    assert fit.loglik_null == pytest.approx(r["loglik_null"], rel=REL), r["call"]
    assert fit.n == r["n"]


def test_table_columns_interval_and_summary(synthetic):
    fit = fine_gray(synthetic, SYN, level=0.9)
    t = fit.table
    assert list(t.columns) == ["coef", "shr", "se", "ci_low", "ci_high", "pvalue"]
    assert t.index.name == "term"
    np.testing.assert_allclose(t["shr"], np.exp(t["coef"]))
    np.testing.assert_allclose(np.log(t["ci_high"]) - t["coef"], 1.6448536269514722 * t["se"])
    assert (fit.events, fit.competing, fit.censored) == (210, 145, 1645)
    text = repr(fit)
    assert "Fine-Gray" in text and "closure" in text and "[1]" in text
    assert "<table" in fit._repr_html_()
    assert any("subdistribution hazard" in r for r in fit.remarks)


def test_no_competing_events_is_cox_breslow(small):
    """Without competing events G(t−)/G(tⱼ−) never enters: the estimating equation is
    the Cox score with Breslow ties (only the variance differs: crr's sandwich)."""
    d = small[small["event"] != 2]
    fg = fine_gray(d, ["x1", "x2"])
    cx = cox(d, ["x1", "x2"], ties="breslow")
    np.testing.assert_allclose(fg.table["coef"], cx.table["coef"], rtol=1e-8)
    assert fg.loglik == pytest.approx(cx.loglik, rel=1e-10)
    assert any("no competing events" in r for r in fg.remarks)


def test_influence_sums_to_the_score_at_the_estimate(synthetic):
    """Σᵢ ηᵢ is the score (0 at the estimate) and Σᵢ ψᵢ = 0 (a martingale integral)."""
    x = synthetic[SYN].astype(float).to_numpy()
    d, _ = make_data(synthetic["time"].to_numpy(float), synthetic["event"].to_numpy(), x)
    beta = fine_gray(synthetic, SYN).table["coef"].to_numpy()
    assert np.abs(influence(d, beta).sum(axis=0)).max() < 1e-6


def test_other_cause_and_event_argument(mgus2):
    a = fine_gray(mgus2, ["age"], event=2)
    b = fine_gray(mgus2.assign(event=mgus2["event"].map({0: 0, 1: 2, 2: 1})), ["age"])
    np.testing.assert_allclose(a.table["coef"], b.table["coef"], rtol=1e-10)
    assert a.label == "Fine-Gray, event 2"
    with pytest.raises(DataError, match=r"event must be one of \[1, 2\] \(got 0\)"):
        fine_gray(mgus2, ["age"], event=0)


def test_row_order_does_not_matter(small):
    a = fine_gray(small, ["x1", "x2"])
    b = fine_gray(small.iloc[::-1], ["x1", "x2"])
    np.testing.assert_allclose(a.table.to_numpy(), b.table.to_numpy(), rtol=1e-10)


def test_input_not_modified(small):
    before = small.copy()
    fine_gray(small, ["x1", "x2"])
    pd.testing.assert_frame_equal(small, before)


# ---- degenerate inputs ----------------------------------------------------------------


def test_no_event_of_the_cause_is_a_data_error(small):
    with pytest.raises(DataError, match="no patient has event 1"):
        fine_gray(small.assign(event=small["event"].replace(1, 0)), ["x1"])


def test_constant_covariate_is_left_out_with_a_warning(small):
    with pytest.warns(StatisticalWarning, match="'k' is the same for every patient"):
        fit = fine_gray(small.assign(k=1.0), ["x1", "k"])
    assert np.isnan(fit.table.loc["k", "coef"]) and np.isfinite(fit.table.loc["x1", "coef"])
    with pytest.raises(DataError, match="no covariate is left"):
        fine_gray(small.assign(k=1.0), ["k"])


def test_monotone_likelihood_warns(small):
    d = small.assign(sep=(small["event"] == 1).astype(float))  # only "sep" patients fail
    with pytest.warns(ConvergenceWarning, match="'sep' appears to be infinite"):
        fit = fine_gray(d, ["x2", "sep"])
    assert not fit.converged


def test_perfect_ordering_by_a_continuous_covariate():
    rng = np.random.default_rng(0)
    t = np.arange(1.0, 201.0)
    d = pd.DataFrame(
        {"time": t, "event": rng.choice([0, 1], 200), "x": -10 * t, "z": rng.normal(size=200)}
    )
    with pytest.warns(ConvergenceWarning, match="'x' appears to be infinite"):
        fit = fine_gray(d, ["x", "z"])
    assert not fit.converged and np.isfinite(fit.table.loc["z", "coef"])


def test_all_failures_tied_and_single_patient_at_risk():
    d = pd.DataFrame(
        {
            "time": [5.0, 5, 5, 5, 7, 8, 9, 10],
            "event": [1, 1, 1, 2, 0, 1, 0, 2],
            "x": [0.1, 1.2, 0.3, 0.5, 2.0, 1.0, 0.7, 0.2],
        }
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fit = fine_gray(d, ["x"])
    assert np.isfinite(fit.table.loc["x", "se"])
    with pytest.raises(DataError, match="at least 2 patients"):
        fine_gray(d.iloc[:1], ["x"])


def test_bad_arguments(small):
    with pytest.raises(DataError, match="level must be between 0 and 1"):
        fine_gray(small, ["x1"], level=95)
    with pytest.raises(DataError, match="covariate 'nope' is not in the cohort"):
        fine_gray(small, ["nope"])
    with pytest.raises(DataError, match="at least one covariate"):
        fine_gray(small, [])
