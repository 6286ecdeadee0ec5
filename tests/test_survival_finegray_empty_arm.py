"""No reherniation in one arm: Fine-Gray says the SHR is not estimable, nothing fake.

Reference values: validation/r/finegray_empty_arm.R → tests/data/r/finegray_empty_arm.json
on tests/data/fg_empty_arm.csv (the synthetic cohort with the closure arm's
reherniations recoded as censored), read here through ``load_cohort``. R's ``crr``
lets the closure coefficient run off to about −15 and reports convergence with an SE of
0.09, z = −169, p = 0; ``fine_gray`` stops further out (−29) and gives no SE, interval
or p-value. The other coefficient (age) does not depend on where the closure coefficient
stopped once its patients' weights (e⁻¹⁵ ≈ 3e-7) are negligible: it matches crr to
``REL = 1e-6``. The Aalen-Johansen estimates, their variances and Gray's test are exact
computations: 1e-9.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from helpers import ROOT, r_reference

from recurrence import load_cohort
from recurrence.errors import ConvergenceWarning
from recurrence.survival import cox, cumulative_incidence, fine_gray, risk_difference, subgroups

pytestmark = pytest.mark.r_reference

REL = 1e-6
NOT_ESTIMABLE = (
    "no reherniation in the closure arm: the subdistribution hazard ratio is not estimable"
)


@pytest.fixture(scope="module")
def ref():
    return r_reference("finegray_empty_arm")


@pytest.fixture(scope="module")
def cohort():
    return load_cohort(ROOT / "tests" / "data" / "fg_empty_arm.csv")


def test_the_file_has_no_reherniation_in_the_closure_arm(ref, cohort):
    dead = cohort["event"] == 1
    assert int((dead & cohort["closure"]).sum()) == ref["events"]["closure"] == 0
    assert int((dead & ~cohort["closure"]).sum()) == ref["events"]["control"] == 142


@pytest.mark.parametrize("covariates", [["closure"], ["closure", "age"]])
def test_fine_gray_shr_is_not_estimable(ref, cohort, covariates):
    with pytest.warns(ConvergenceWarning, match=NOT_ESTIMABLE):
        fit = fine_gray(cohort, covariates)
    row = fit.table.loc["closure"]
    assert row["coef"] < -10 and row["shr"] < 1e-4  # runs off to 0, as in crr and coxph
    assert row[["se", "ci_low", "ci_high", "pvalue"]].isna().all()
    assert not fit.converged
    assert sum(NOT_ESTIMABLE in r for r in fit.remarks) == 1
    assert "cumulative_incidence()" in next(r for r in fit.remarks if NOT_ESTIMABLE in r)
    # what R's crr prints instead: a small sandwich SE and p = 0
    assert ref["crr"]["converged"] and ref["crr"]["coef"][0] < -10
    assert ref["crr"]["se"][0] < 0.1 and ref["crr"]["p"][0] < 1e-100
    fit.plot()  # the forest plot draws the estimable terms


def test_the_other_coefficients_are_crr(ref, cohort):
    # R: crr(time, event, cbind(closure, age), maxiter = 100): age 0.0145, SE 0.00697
    with pytest.warns(ConvergenceWarning):
        fit = fine_gray(cohort, ["closure", "age"])
    assert fit.table.loc["age", "coef"] == pytest.approx(ref["crr"]["coef"][1], rel=REL)
    assert fit.table.loc["age", "se"] == pytest.approx(ref["crr"]["se"][1], rel=REL)
    assert fit.table.loc["age", "pvalue"] == pytest.approx(ref["crr"]["p"][1], rel=1e-4)


def test_cox_on_the_same_cohort_warns_as_coxph(ref, cohort):
    # R: coxph warns "Loglik converged before variable 1; coefficient may be infinite"
    assert "coefficient may be infinite" in ref["coxph"]["warning"]
    with pytest.warns(ConvergenceWarning, match="'closure' appears to be infinite"):
        fit = cox(cohort, ["closure", "age"])
    assert fit.table.loc["closure", "pvalue"] > 0.9 and ref["coxph"]["p"][0] > 0.9
    assert fit.table.loc["age", "coef"] == pytest.approx(ref["coxph"]["coef"][1], rel=1e-6)


def test_no_reherniation_without_closure_runs_off_to_infinity(cohort):
    swapped = cohort.assign(closure=~cohort["closure"])
    with pytest.warns(ConvergenceWarning, match="no reherniation in the arm without closure"):
        fit = fine_gray(swapped, ["closure"])
    assert fit.table.loc["closure", "shr"] > 1e4
    assert np.isnan(fit.table.loc["closure", "pvalue"])
    assert any("as the SHR goes to ∞" in r for r in fit.remarks)


def test_another_yes_no_term_without_events(cohort):
    d = cohort.assign(event=np.where(cohort["smoker"] & (cohort["event"] == 1), 0, cohort["event"]))
    with pytest.warns(ConvergenceWarning, match="no reherniation among patients with 'smoker'"):
        fit = fine_gray(d, ["smoker", "age"])
    assert fit.table.loc["smoker", ["se", "ci_low", "ci_high", "pvalue"]].isna().all()
    assert np.isfinite(fit.table.loc["age", "pvalue"])


def test_cumulative_incidence_and_gray_test_are_cuminc(ref, cohort):
    r = ref["cuminc"]  # R: cuminc(time, event, closure); timepoints(fit, c(12, 24, 60))
    inc = cumulative_incidence(cohort)
    at = inc.at(r["times"])
    for group, key in (("no closure", "control"), ("closure", "closure")):
        rows = at[at["group"] == group]
        np.testing.assert_allclose(rows["incidence"], r[f"est_{key}"], rtol=1e-9, atol=1e-15)
        np.testing.assert_allclose(rows["se"] ** 2, r[f"var_{key}"], rtol=1e-9, atol=1e-15)
    assert inc.gray_statistic == pytest.approx(r["gray_stat"], rel=1e-9)
    assert inc.gray_df == r["gray_df"]
    assert inc.gray_pvalue < 1e-30  # R prints 0: the test is valid with an empty arm
    assert any("no reherniation in the closure group" in x for x in inc.remarks)


def test_risk_difference_says_its_interval_is_too_narrow(ref, cohort):
    r = ref["risk_difference"]  # R: difference of timepoints(), Wald from their variances
    rd = risk_difference(cohort, [12, 24, 60])
    np.testing.assert_allclose(rd.table["difference"], r["difference"], rtol=1e-9)
    np.testing.assert_allclose(rd.table["ci_low"], r["ci_low"], rtol=1e-9)
    np.testing.assert_allclose(rd.table["ci_high"], r["ci_high"], rtol=1e-9)
    assert not any("pvalue" in c for c in rd.table.columns)
    remark = next(x for x in rd.remarks if "standard error 0" in x)
    assert "closure group by month(s) 12, 24, 60" in remark and "too narrow" in remark


def test_subgroups_give_no_fine_gray_p_values(cohort):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        fg = subgroups(cohort, ["sex", "approach"], model="fine_gray")
        cx = subgroups(cohort, ["sex"], model="cox")
    t = fg.table
    assert (t["events_closure"] == 0).all()
    assert t[["ci_low", "ci_high", "pvalue", "interaction_pvalue"]].isna().all().all()
    assert fg.overall[["ci_low", "ci_high", "pvalue"]].isna().all().all()
    assert "[–, –]" in repr(fg)
    assert "sex = F: no reherniation in the closure arm: the closure effect is not estimable" in (
        fg.remarks
    )
    assert any(x.startswith("sex: no interaction test") for x in fg.remarks)
    # Cox: the likelihood-ratio test of interaction stands (both log-likelihoods converge)
    assert cx.table["interaction_pvalue"].between(0, 1).all()
    assert (
        "all patients: no reherniation in the closure arm: the closure effect is not "
        "estimable" in cx.remarks
    )
    fg.plot()


def test_a_normal_cohort_is_unchanged(cohort):
    full = load_cohort(ROOT / "data" / "synthetic" / "cohort.csv")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fit = fine_gray(full, ["closure", "age"])
        res = subgroups(full, ["sex"], model="fine_gray")
    assert fit.table["pvalue"].notna().all() and fit.converged
    assert res.table["interaction_pvalue"].notna().all()
    assert not any("not estimable" in r for r in fit.remarks + res.remarks)
    assert isinstance(res.table, pd.DataFrame)
