"""IPTW: the propensity model and weights against R's glm, balance, warnings.

R reference (validation/r/survival_models.R → tests/data/r/survival_models.json):
``glm(closure ~ age + smoker + defect_width_mm, family = binomial, data = confounded)``
with ``glm.control(epsilon = 1e-12)``; stabilized weights ``ifelse(closure, p / ps,
(1 - p) / (1 - ps))`` and unstabilized ``1 / ps``, ``1 / (1 - ps)``. statsmodels' IRLS
stops at a relative deviance change of 1e-8, which leaves the coefficients within about
1e-9 relative of glm's (the deviance is quadratic near its minimum): 1e-6 relative holds
with room. The weighted Cox fits on these weights are in test_survival_cox_r.py.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from helpers import ROOT, r_reference

from recurrence import DataError, StatisticalWarning, load_cohort, simulate_cohort, table_one
from recurrence.survival import cox
from recurrence.survival.iptw import iptw_weights, weighted_smd

REL = 1e-6
PS = ["age", "smoker", "defect_width_mm"]


@pytest.fixture(scope="module")
def confounded():
    return pd.read_csv(
        ROOT / "tests" / "data" / "surv_models_confounded.csv", float_precision="round_trip"
    )


@pytest.fixture(scope="module")
def ref():
    return r_reference("survival_models")["iptw"]


@pytest.mark.r_reference
def test_propensity_model_matches_glm(confounded, ref):
    w = iptw_weights(confounded, PS)
    assert list(w.model.index) == ["intercept", *PS]
    np.testing.assert_allclose(w.model["coef"], ref["glm_coef"], rtol=REL, err_msg=ref["glm_call"])
    np.testing.assert_allclose(w.model["se"], ref["glm_se"], rtol=REL, err_msg=ref["glm_call"])


@pytest.mark.r_reference
@pytest.mark.parametrize(("stabilized", "key"), [(True, "w_stab"), (False, "w_ate")])
def test_weights_match_r(confounded, ref, stabilized, key):
    w = iptw_weights(confounded, PS, stabilized=stabilized)
    np.testing.assert_allclose(w.weights[:20], ref[f"{key}_head"], rtol=REL)
    assert w.weights.sum() == pytest.approx(ref[f"{key}_sum"], rel=REL)


def test_balance_before_is_table_one_and_improves(confounded):
    w = iptw_weights(confounded, PS)
    before = table_one(confounded, "closure", variables=PS).smd
    np.testing.assert_allclose(w.table["smd_before"], before[PS], rtol=1e-12)
    assert (w.table["smd_before"].abs() > 0.2).any()
    assert (w.table["smd_after"].abs() < 0.1).all()
    assert list(w.table.columns) == ["smd_before", "smd_after"]
    assert set(w.effective_n) == {"closure", "no closure"}
    assert all(0 < v < len(confounded) for v in w.effective_n.values())
    assert "propensity of closure: logistic regression on age, smoker, defect_width_mm" in repr(w)


def test_stabilized_weights_average_one_and_give_the_same_hazard_ratio(confounded):
    a = cox(confounded, ["closure"], weights="iptw", propensity=PS)
    b = cox(confounded, ["closure"], weights="iptw", propensity=PS, stabilized=False)
    assert a.iptw.weights.mean() == pytest.approx(1, abs=0.05)
    # stabilizing multiplies each arm by a constant: the estimate moves only slightly
    assert a.table.loc["closure", "hr"] == pytest.approx(b.table.loc["closure", "hr"], rel=0.05)
    assert a.balance is a.iptw.table and a.label == "Cox (IPTW)"
    assert "robust_se" in a.table.columns
    assert any("marginal hazard ratio" in r for r in a.remarks)


def test_weighted_smd_properties():
    rng = np.random.default_rng(2)
    x, t = rng.normal(size=200), rng.random(200) < 0.4
    assert weighted_smd(x, t, np.full(200, 2.5)) == pytest.approx(weighted_smd(x, t))
    cats = rng.choice(["a", "b", "c"], 200)
    assert weighted_smd(cats, t, kind="categorical") >= 0
    assert weighted_smd(np.ones(200), t) == 0.0


def test_separation_warns_and_names_the_covariate():
    d = simulate_cohort(400, seed=5)
    d["perfect"] = d["closure"].astype(float) * 10 + np.random.default_rng(0).normal(0, 1, 400)
    with pytest.warns(StatisticalWarning, match="perfectly predicted by 'perfect'"):
        w = iptw_weights(d, ["age", "perfect"])
    assert any("separation" in r for r in w.remarks)


def test_extreme_weights_warn():
    d = simulate_cohort(800, seed=11)
    # closure strongly driven by defect width: a few patients get very large weights
    logit = -8 + 1.4 * d["defect_width_mm"]
    d["closure"] = np.random.default_rng(3).random(800) < 1 / (1 + np.exp(-logit))
    with pytest.warns(StatisticalWarning, match="extreme weight"):
        iptw_weights(d, ["defect_width_mm"])


def test_bad_inputs():
    d = load_cohort()
    with pytest.raises(DataError, match="cannot predict itself"):
        iptw_weights(d, ["closure", "age"])
    with pytest.raises(DataError, match="every patient is in the same arm"):
        iptw_weights(d.assign(closure=True), ["age"])
    with pytest.raises(DataError, match="must be yes/no"):
        iptw_weights(d, ["age"], treatment="approach")
    with pytest.raises(DataError, match="at least one propensity covariate"):
        iptw_weights(d, [])


def test_missing_values_are_left_out_consistently(confounded):
    d = confounded.copy()
    d.loc[d.index[:5], "defect_width_mm"] = np.nan
    fit = cox(d, ["closure"], weights="iptw", propensity=PS)
    assert fit.n == len(d) - 5
    assert "5 patients left out for missing values" in fit.remarks
    assert len(fit.iptw.weights) == fit.n
