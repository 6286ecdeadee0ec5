"""Adjusted (standardized) cumulative incidence: the G-formula against
``riskRegression::ate`` and IPTW against weighted ``survfit``, both against numerical
influence functions computed in R (validation/r/cohort_analyses.R →
tests/data/r/cohort_analyses.json, "gformula" and "iptw").

Tolerances
- G-formula estimates and SEs (``convention="ate"``) vs ``ate(CSC(...))``: the same
  algebra on Cox fits that agree to ~1e-10 (Newton to 1e-9 of the same maximum):
  1e-6 relative (seen: ~1e-15).
- ``convention="exact"`` vs R's numerical infinitesimal jackknife (central differences,
  step 1e-6, of coxph(weights) + basehaz + standardization, on data without ties): the
  finite differences carry ~1e-9 relative error: 1e-6 (seen: 4e-9).
- IPTW point estimates and fixed-weight SEs vs ``survfit(..., weights = w)`` with
  weights from ``glm``: the propensity fits agree to ~1e-9 (IRLS to 1e-8 deviance
  change): 1e-6 relative (seen: ~1e-15).
- IPTW SEs with the propensity model vs R's numerical jackknife of glm + survfit: 1e-6
  (seen: 3e-9).
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from helpers import ROOT, r_reference

from recurrence import DataError, simulate_cohort
from recurrence.plotting.adjusted import adjusted_plot_data, plot_adjusted_incidence
from recurrence.plotting.balance import balance_plot_data, plot_balance
from recurrence.survival import adjusted_incidence, cumulative_incidence, iptw_weights

REL = 1e-6
COV = ["age", "smoker", "defect_width_mm"]
DATA = ROOT / "tests" / "data"


@pytest.fixture(scope="module")
def ref():
    return r_reference("cohort_analyses")


@pytest.fixture(scope="module")
def confounded():
    return pd.read_csv(DATA / "surv_models_confounded.csv", float_precision="round_trip")


@pytest.fixture(scope="module")
def untied():
    return pd.read_csv(DATA / "cohort_untied.csv", float_precision="round_trip")


def _arm(table, group, col):
    return table.loc[table["group"] == group, col].to_numpy()


@pytest.mark.r_reference
@pytest.mark.parametrize("name", ["confounded", "untied"])
def test_gformula_matches_riskregression_ate(ref, confounded, untied, name):
    r = ref["gformula"][name]
    cohort = {"confounded": confounded, "untied": untied}[name]
    res = adjusted_incidence(cohort, COV, r["times"])
    t, d = res.table, res.difference
    for arm, key in (("no closure", "control"), ("closure", "closure")):
        np.testing.assert_allclose(
            _arm(t, arm, "incidence"), r[f"risk_{key}"], rtol=REL, err_msg=r["call"]
        )
        np.testing.assert_allclose(_arm(t, arm, "se"), r[f"se_{key}"], rtol=REL, err_msg=r["call"])
        np.testing.assert_allclose(_arm(t, arm, "ci_low"), r[f"ci_low_{key}"], rtol=REL)
        np.testing.assert_allclose(_arm(t, arm, "ci_high"), r[f"ci_high_{key}"], rtol=REL)
    np.testing.assert_allclose(d["difference"], r["difference"], rtol=REL)
    np.testing.assert_allclose(d["se"], r["se_difference"], rtol=REL)
    np.testing.assert_allclose(d["ci_low"], r["ci_low"], rtol=REL)
    np.testing.assert_allclose(d["pvalue"], r["pvalue"], rtol=REL)


@pytest.mark.r_reference
def test_exact_convention_is_the_numerical_jackknife(ref, untied):
    r = ref["gformula"]["untied"]
    times = r["times"]
    exact = adjusted_incidence(untied, COV, times, convention="exact").table
    ate = adjusted_incidence(untied, COV, times).table
    got = np.concatenate([_arm(exact, "no closure", "se"), _arm(exact, "closure", "se")])
    np.testing.assert_allclose(got, r["exact_se"], rtol=REL, err_msg=r["exact_call"])
    # riskRegression's exp(-Λ) derivative is an approximation: visible at this tolerance
    ate_se = np.concatenate([_arm(ate, "no closure", "se"), _arm(ate, "closure", "se")])
    assert np.max(np.abs(ate_se / got - 1)) > 10 * REL
    # the point estimates do not depend on the convention
    np.testing.assert_array_equal(exact["incidence"], ate["incidence"])


@pytest.mark.r_reference
@pytest.mark.parametrize("name", ["confounded", "untied"])
def test_iptw_matches_weighted_survfit(ref, confounded, untied, name):
    r = ref["iptw"][name]
    cohort = {"confounded": confounded, "untied": untied}[name]
    fixed = adjusted_incidence(cohort, COV, r["times"], method="iptw", propensity_variance=False)
    np.testing.assert_allclose(fixed.iptw.weights, r["weights"], rtol=REL)
    for arm, key in (("no closure", "control"), ("closure", "closure")):
        np.testing.assert_allclose(
            _arm(fixed.table, arm, "incidence"), r[f"risk_{key}"], rtol=REL, err_msg=r["call"]
        )
        np.testing.assert_allclose(
            _arm(fixed.table, arm, "se"), r[f"se_fixed_weights_{key}"], rtol=REL, err_msg=r["call"]
        )


@pytest.mark.r_reference
def test_iptw_influence_function_includes_the_propensity_model(ref, untied):
    r = ref["iptw"]["untied"]
    res = adjusted_incidence(untied, COV, r["times"], method="iptw")
    np.testing.assert_allclose(
        _arm(res.table, "no closure", "se"), r["se_control"], rtol=REL, err_msg=r["numeric_call"]
    )
    np.testing.assert_allclose(
        _arm(res.table, "closure", "se"), r["se_closure"], rtol=REL, err_msg=r["numeric_call"]
    )
    np.testing.assert_allclose(res.difference["se"], r["se_difference"], rtol=REL)


def test_without_confounding_adjustment_changes_little():
    # randomized closure: the standardized curves sit near the crude Aalen-Johansen ones
    trial = simulate_cohort(3000, seed=8)
    adj = adjusted_incidence(trial, COV, [24])
    crude = cumulative_incidence(trial).at([24]).set_index("group")["incidence"]
    for arm in ("no closure", "closure"):
        se = _arm(adj.table, arm, "se")[0]
        assert abs(_arm(adj.table, arm, "incidence")[0] - crude[arm]) < se


def test_confounded_cohort_adjustment_recovers_the_effect():
    # closure by indication (large defects, smokers, the young): the crude difference
    # is biased towards 0; both adjusted differences move away from it
    obs = simulate_cohort(4000, seed=9, confounded=True)
    obs["large_defect"] = obs["defect_width_mm"] >= 6
    cov = ["age", "smoker", "large_defect"]
    crude = cumulative_incidence(obs).at([24]).set_index("group")["incidence"]
    crude_d = crude["closure"] - crude["no closure"]
    for method in ("gformula", "iptw"):
        d = adjusted_incidence(obs, cov, [24], method=method).difference["difference"].iloc[0]
        assert d < crude_d, method


def test_table_layout_and_beyond_follow_up(confounded):
    res = adjusted_incidence(confounded, COV, [12, 500])
    assert list(res.table.columns[:5]) == ["time", "group", "incidence", "ci_low", "ci_high"]
    assert list(res.difference.columns[:4]) == ["time", "difference", "ci_low", "ci_high"]
    assert res.table["group"].tolist() == ["no closure", "closure"] * 2
    assert res.table["incidence"].iloc[2:].isna().all() and res.difference["se"].isna().iloc[1]
    assert any("not estimable" in r for r in res.remarks)
    assert "12 months: closure − no closure" in res.summary()


def test_missing_covariates_leave_out_patients_and_say_so():
    cohort = simulate_cohort(1200, seed=3, confounded=True, missing={"smoker": 0.2})
    res = adjusted_incidence(cohort, COV, [24])
    k = int(cohort["smoker"].isna().sum())
    assert res.n == len(cohort) - k
    assert any(f"{k} patients left out for missing values" in r for r in res.remarks)


def test_bad_arguments_are_data_errors(confounded):
    with pytest.raises(DataError, match="method must be one of"):
        adjusted_incidence(confounded, COV, [24], method="aiptw")
    with pytest.raises(DataError, match="leave it out of covariates"):
        adjusted_incidence(confounded, ["closure", "age"], [24])
    with pytest.raises(DataError, match="not in the cohort"):
        adjusted_incidence(confounded, ["bmi"], [24])
    with pytest.raises(DataError, match="name the confounders"):
        adjusted_incidence(confounded, [], [24])
    with pytest.raises(DataError, match="convention must be"):
        adjusted_incidence(confounded, COV, [24], convention="fast")
    with pytest.raises(DataError, match="same arm"):
        adjusted_incidence(confounded[confounded["closure"]], COV, [24])


def test_input_is_not_modified(confounded):
    before = confounded.copy()
    adjusted_incidence(confounded, COV, [24], method="iptw")
    pd.testing.assert_frame_equal(confounded, before)


def test_plot_shows_the_weighted_pseudo_population(confounded):
    res = adjusted_incidence(confounded, COV, [12, 24], method="iptw")
    data = adjusted_plot_data(res)
    w = iptw_weights(confounded, COV).weights
    arm = confounded["closure"].to_numpy(bool)
    at0 = data.at_risk[data.at_risk["time"] == 0].set_index("group")["at_risk"]
    assert at0["closure"] == round(w[arm].sum()) and at0["no closure"] == round(w[~arm].sum())
    cur = data.curves[data.curves["group"] == "closure"]
    tab = res.curves.dropna(subset=["incidence"])
    np.testing.assert_allclose(
        cur["value"].iloc[-1], 100 * tab[tab["group"] == "closure"]["incidence"].iloc[-1]
    )
    ax = plot_adjusted_incidence(res)
    labels = [t.get_text() for t in ax.texts]
    assert "Number at risk (weighted)" in labels
    shown = [t.get_text() for t in ax.texts if t.get_gid() == "at_risk:closure"]
    assert shown[0] == f"{int(at0['closure']):,}"
    assert {f"curve:{g}" for g in res.groups} <= {ln.get_gid() for ln in ax.lines}
    plt.close("all")


def test_love_plot_draws_both_stages(confounded):
    res = adjusted_incidence(confounded, COV, [24], method="iptw")
    data = balance_plot_data(res)
    assert len(data) == 2 * len(COV)
    assert data.groupby("stage")["abs_smd"].max()["after weighting"] < 0.1
    ax = plot_balance(res.iptw)
    points = np.concatenate([c.get_offsets()[:, 0] for c in ax.collections])
    np.testing.assert_allclose(np.sort(points), np.sort(data["abs_smd"]))
    assert any(ln.get_gid() == "threshold" for ln in ax.lines)
    plt.close("all")
    with pytest.raises(DataError, match="method='iptw' only"):
        adjusted_incidence(confounded, COV, [24]).plot_balance()


def test_no_competing_events_uses_one_model_and_matches_aalen_johansen_weighting():
    trial = simulate_cohort(1500, seed=12, competing_rate=0.0)
    assert not (trial["event"] == 2).any()
    res = adjusted_incidence(trial, COV, [24])
    assert any("one cause-specific model" in r for r in res.remarks)
    assert len(res.models) == 1
    assert res.table["incidence"].between(0, 1).all()
