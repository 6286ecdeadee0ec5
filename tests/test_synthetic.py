"""The simulator: calibration to the evidence, reproducibility, the packaged files."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pandas.testing as pdt
import pytest

from recurrence import load_cohort, load_studies, simulate_cohort, simulate_studies
from recurrence.synthetic import true_cumulative_incidence


def test_same_seed_same_cohort_and_truth_travels():
    a, b = simulate_cohort(300, seed=9), simulate_cohort(300, seed=9)
    pdt.assert_frame_equal(a, b)
    assert a.attrs["truth"]["hr"] == {
        "closure": 0.5,
        "large_defect": 2.5,
        "smoker": 2.0,
        "diabetes": 1.4,
        "age_per_10y": 1.0,
        "male": 1.0,
        "bmi_per_5": 1.0,
    }
    assert not simulate_cohort(300, seed=10)["time"].equals(a["time"])


def test_simulated_cohort_is_a_valid_canonical_table():
    raw = simulate_cohort(500, seed=2, confounded=True)
    loaded = load_cohort(raw)
    assert set(loaded["event"]) <= {0, 1, 2} and (loaded["time"] > 0).all()
    assert loaded["time"].duplicated().any(), "times are whole days: ties must occur"


@pytest.mark.parametrize(("population", "target"), [("general", 0.10), ("large_defect", 0.25)])
def test_true_two_year_incidence_without_closure_matches_the_evidence(population, target):
    # Targets: ~10% at 2 years in general series, 25.3% (64/253) in the Barricaid RCT
    # control arm. The truth is computed by numerical integration (no sampling error)
    # over the covariates of 20,000 simulated patients, whose mix varies by <0.5%.
    cohort = simulate_cohort(20000, seed=11, population=population)
    value = true_cumulative_incidence(cohort, [24], closure=False)[0]
    assert value == pytest.approx(target, abs=0.005)


def test_incidence_profile_falls_over_time():
    cohort = simulate_cohort(20000, seed=12)
    f = true_cumulative_incidence(cohort, [3, 12, 24, 60], closure=False)
    ratios = f / f[2]
    # Evidence: ~28% of 2-year reherniations within 3 months, 69% within 1 year,
    # a long tail (60-month incidence above the 2-year one). Tolerance: the fit of a
    # 3-parameter curve to derived ratios, ±0.05.
    np.testing.assert_allclose(ratios[:2], [0.28, 0.69], atol=0.05)
    assert 1.2 < ratios[3] < 1.45


def test_simulated_two_year_incidence_and_closure_hr_land_on_target():
    # 40,000 patients: the empirical Aalen-Johansen incidence at 24 months in the
    # no-closure arm (~20,000 patients, ~2,000 events) has SE ≈ 0.0021; the adjusted Cox
    # HR of closure has SE(log HR) ≈ 0.035. Tolerances are 3 SE around the truth.
    from lifelines import CoxPHFitter

    from recurrence.survival import cumulative_incidence

    cohort = simulate_cohort(40000, seed=13)
    truth = true_cumulative_incidence(cohort, [24], closure=False)[0]
    ci = cumulative_incidence(cohort).at([24])
    control = ci.loc[ci["group"] == "no closure", "incidence"].iloc[0]
    assert control == pytest.approx(truth, abs=3 * 0.0021)
    assert truth == pytest.approx(0.10, abs=0.005)
    design = cohort.assign(
        large_defect=cohort.defect_width_mm >= 6, reherniation=cohort.event == 1
    )[["time", "reherniation", "closure", "large_defect", "smoker", "diabetes"]].astype(float)
    fit = CoxPHFitter().fit(design, "time", "reherniation")
    assert np.log(fit.hazard_ratios_["closure"]) == pytest.approx(np.log(0.5), abs=3 * 0.035)


def test_confounded_assignment_puts_large_defects_in_the_closure_arm():
    cohort = simulate_cohort(20000, seed=14, confounded=True)
    share = cohort.groupby("closure")["defect_width_mm"].apply(lambda w: (w >= 6).mean())
    assert share[True] > share[False] + 0.2
    assert cohort.attrs["truth"]["propensity"]["large_defect"] == 1.5


def test_simulated_studies_have_the_requested_heterogeneity():
    st = simulate_studies(2000, seed=15, tau2=0.2, rr=0.5, n_range=(5000, 5000))
    # With 5,000 patients per arm the sampling variance of each log RR (~0.004) is small
    # next to tau2 = 0.2, so the spread of the observed log RRs estimates tau2 + ~0.004.
    pc = st.events_control.astype(float) / st.total_control.astype(float)
    pt = st.events_closure.astype(float) / st.total_closure.astype(float)
    log_rr = np.log(pt / pc)
    assert log_rr.var() == pytest.approx(0.2 + 0.005, rel=0.1)
    assert np.exp(log_rr.mean()) == pytest.approx(0.5, rel=0.05)
    assert load_studies(st).shape[0] == 2000


def test_packaged_files_match_the_simulator(root):
    # If this fails, the simulator changed: regenerate with
    #   uv run python -m recurrence.synthetic data/synthetic
    cohort = load_cohort(root / "data/synthetic/cohort.csv")
    pdt.assert_frame_equal(cohort, load_cohort(), check_exact=False, rtol=1e-12)
    studies = load_studies(root / "data/synthetic/studies.csv")
    pdt.assert_frame_equal(
        studies.drop(columns=[]), load_studies(simulate_studies()), check_exact=False, rtol=1e-12
    )


def test_data_dictionary_documents_every_column(root):
    text = (root / "data/synthetic/README.md").read_text()
    for col in pd.read_csv(root / "data/synthetic/cohort.csv", nrows=1).columns:
        assert f"`{col}`" in text, col
