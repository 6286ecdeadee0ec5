"""Aalen-Johansen cumulative incidence and Gray's test: against cmprsk::cuminc and
survival's multi-state survfit, ties across causes, edge cases.

R: validation/r/survival_nonparametric.R → tests/data/r/survival_nonparametric.json
(cmprsk 2.2-11, survival 3.5-3). The estimate, cmprsk's variance and Gray's statistic
are the same finite sums as cmprsk's Fortran (cinc, crstm), evaluated with cumulative
sums instead of loops: they agree to rounding, so 1e-6 relative (the issue's bar for
exact algorithms). Variances use atol 1e-15 where R's is 0 exactly.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from helpers import ROOT, r_reference

from recurrence import DataError, StatisticalWarning, load_cohort
from recurrence.survival import cumulative_incidence

REL = 1e-6


@pytest.fixture(scope="module")
def ref():
    return r_reference("survival_nonparametric")


@pytest.fixture(scope="module")
def cohorts():
    return {
        "small": (load_cohort(ROOT / "tests" / "data" / "surv_small.csv"), "closure"),
        "mgus2": (pd.read_csv(ROOT / "tests" / "data" / "surv_mgus2.csv"), "sex"),
        "synthetic": (load_cohort(ROOT / "data" / "synthetic" / "cohort.csv"), "closure"),
    }


def _num(rows):
    return np.array([[np.nan if v is None else v for v in row] for row in rows], dtype=float)


def _compare_at(result, r, with_ci=True):
    """Our .at() against cuminc's timepoints() (NA beyond the last follow-up: NaN here)."""
    at = result.at(r["times"])
    est, var = _num(r["est"]), _num(r["var"])
    for i, group in enumerate(r["groups"]):
        mine = at[at["group"] == group]
        np.testing.assert_array_equal(np.isnan(mine["incidence"]), np.isnan(est[i]))
        ok = ~np.isnan(est[i])
        np.testing.assert_allclose(mine["incidence"][ok], est[i][ok], rtol=REL, atol=1e-15)
        np.testing.assert_allclose(mine["se"][ok] ** 2, var[i][ok], rtol=REL, atol=1e-15)
        if with_ci:
            # survival:::survfit_confint(est, sqrt(var), logse = FALSE, conf.type = "log-log");
            # NA where the incidence is 0 (ours: [0, 0])
            low, high = _num(r["ci_low"])[i], _num(r["ci_high"])[i]
            has = ~np.isnan(low)
            np.testing.assert_allclose(mine["ci_low"][has], low[has], rtol=REL)
            np.testing.assert_allclose(mine["ci_high"][has], high[has], rtol=REL)
            zero = ok & (est[i] == 0)
            assert (mine["ci_low"][zero] == 0).all() and (mine["ci_high"][zero] == 0).all()


@pytest.mark.r_reference
@pytest.mark.parametrize("name", ["small", "mgus2", "synthetic"])
def test_estimate_variance_and_interval_match_cuminc(ref, cohorts, name):
    # R: fit <- cuminc(time, event, group, cencode = 0); timepoints(fit, times)
    cohort, by = cohorts[name]
    _compare_at(cumulative_incidence(cohort, by=by), ref[name]["cuminc"])


@pytest.mark.r_reference
def test_cause_two_matches_cuminc(ref, cohorts):
    # R: the same cuminc fit, rows "F 2", "M 2" (death before progression) and Tests["2", ]
    cohort, by = cohorts["mgus2"]
    r = ref["mgus2"]["cuminc_death"]
    result = cumulative_incidence(cohort, by=by, event=2)
    _compare_at(result, r, with_ci=False)
    assert result.gray_statistic == pytest.approx(r["gray"]["stat"], rel=REL)


@pytest.mark.r_reference
@pytest.mark.parametrize(
    ("name", "key", "by", "strata"),
    [
        ("small", "cuminc", "closure", None),  # cuminc(time, event, group)$Tests
        ("small", "cuminc_strata", "closure", "site"),  # cuminc(..., strata = site)$Tests
        ("mgus2", "cuminc", "sex", None),
        ("mgus2", "cuminc_strata", "sex", "age70"),
        ("synthetic", "cuminc", "closure", None),
        ("synthetic", "cuminc_strata", "closure", "site"),
        ("synthetic", "cuminc_approach", "approach", None),  # three groups, 2 df
    ],
)
def test_gray_test_identical_to_cuminc(ref, cohorts, name, key, by, strata):
    cohort = cohorts[name][0]
    r = ref[name][key]["gray"]
    result = cumulative_incidence(cohort, by=by, strata=strata)
    assert result.gray_statistic == pytest.approx(r["stat"], rel=REL)
    assert result.gray_pvalue == pytest.approx(r["pv"], rel=REL)
    assert result.gray_df == r["df"]


@pytest.mark.r_reference
@pytest.mark.parametrize("name", ["small", "mgus2", "synthetic"])
def test_estimates_equal_survfit_multistate_aalen_johansen(ref, cohorts, name):
    # R: summary(survfit(Surv(time, factor(event, 0:2)) ~ group), times, extend = TRUE)$pstate
    cohort, by = cohorts[name]
    r = pd.DataFrame(ref[name]["aj"])
    at = cumulative_incidence(cohort, by=by).at(sorted(set(r["time"])))
    both = at.merge(r, on=["group", "time"], suffixes=("", "_r")).dropna(subset=["incidence"])
    assert len(both) > 0
    np.testing.assert_allclose(both["incidence"], both["incidence_r"], rtol=REL, atol=1e-15)


@pytest.mark.r_reference
def test_ties_across_causes_exact_where_lifelines_jitters(ref, cohorts):
    # mgus2 has integer months and heavy ties between progression and death. lifelines'
    # AalenJohansenFitter breaks them with random jitter, so its answer moves with the seed
    # and misses cuminc; ours processes all events at a time together and matches.
    from lifelines import AalenJohansenFitter

    cohort, by = cohorts["mgus2"]
    r = ref["mgus2"]["cuminc"]
    t120 = r["times"].index(120)
    expected = r["est"][0][t120]  # cuminc, sex F, 120 months
    ours = cumulative_incidence(cohort, by=by)
    assert ours.at([120])["incidence"].iloc[0] == pytest.approx(expected, rel=REL)
    assert ours.overview["tied_times"].sum() > 10
    assert "handled exactly" in ours.remarks[0]
    women = cohort[cohort["sex"] == "F"]
    values = []
    for seed in (1, 2):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # lifelines warns that it jitters the ties
            fit = AalenJohansenFitter(seed=seed).fit(
                women["time"], women["event"], event_of_interest=1
            )
        values.append(fit.cumulative_density_.iloc[:, 0].asof(120))
    assert values[0] != values[1]
    assert all(abs(v - expected) > 1e-5 for v in values)


def test_by_hand_with_a_tie_across_causes():
    # 4 patients: at t=1 one reherniation and one competing event (tied), t=2 censored,
    # t=3 reherniation. S(1) = 2/4; F(1) = 1/4; F(3) = 1/4 + S(1)·1/1 = 3/4.
    cohort = pd.DataFrame({"time": [1.0, 1, 2, 3], "event": [1, 2, 0, 1], "closure": False})
    ci = cumulative_incidence(cohort)
    assert ci.at([0.5, 1, 2.5, 3])["incidence"].tolist() == [0, 0.25, 0.25, 0.75]
    assert ci.overview["tied_times"].iloc[0] == 1
    assert ci.gray_statistic is None


def test_synthetic_headline_and_display():
    ci = cumulative_incidence(load_cohort())
    at = ci.at([24])
    assert list(at["group"]) == ["no closure", "closure"]
    assert {"group", "time", "incidence", "ci_low", "ci_high", "se", "at_risk"} <= set(at)
    assert (at["ci_low"] < at["incidence"]).all() and (at["incidence"] < at["ci_high"]).all()
    assert "Gray's test" in repr(ci) and "<table" in ci._repr_html_()


def test_group_without_events_has_zero_incidence_and_a_test(tiny_cohort):
    cohort = tiny_cohort.assign(event=[2, 1, 0, 1])  # closure arm: no reherniation
    ci = cumulative_incidence(cohort)
    closure = ci.at([20]).query("group == 'closure'")
    assert closure["incidence"].item() == 0 and closure["ci_high"].item() == 0
    assert np.isfinite(ci.gray_statistic)
    assert any("no reherniation in the closure group" in r for r in ci.remarks)


def test_everyone_censored_warns_for_gray():
    cohort = pd.DataFrame(
        {"time": [1.0, 2, 3, 4], "event": 0, "closure": [True, False, True, False]}
    )
    with pytest.warns(StatisticalWarning, match="Gray's test is not possible"):
        ci = cumulative_incidence(cohort)
    assert (ci.table["incidence"] == 0).all()
    assert np.isnan(ci.gray_statistic)


def test_single_patient_at_risk_and_all_events_tied():
    one = pd.DataFrame({"time": [1.0, 2, 3], "event": [2, 0, 1], "closure": False})
    ci = cumulative_incidence(one)
    # S(1) = 2/3, at t=3 the single patient at risk reherniates: F = 2/3
    assert ci.at([3])["incidence"].item() == pytest.approx(2 / 3)
    assert np.isfinite(ci.at([3])["se"].item())
    tied = pd.DataFrame({"time": 5.0, "event": [1, 2, 1, 0], "closure": False})
    assert cumulative_incidence(tied).at([5])["incidence"].item() == 0.5


def test_one_group_gives_no_gray_test_with_a_remark(tiny_cohort):
    ci = cumulative_incidence(tiny_cohort.assign(closure=True))
    assert ci.gray_statistic is None and ci.gray_pvalue is None
    assert any("Gray's test needs at least two groups" in r for r in ci.remarks)


def test_event_must_be_a_cause():
    with pytest.raises(DataError, match=r"event must be one of \[1, 2\]"):
        cumulative_incidence(load_cohort(), event="any")


def test_incidence_plus_competing_plus_survival_is_one():
    # F1 + F2 = 1 − S (all-cause Kaplan-Meier) at every time
    from recurrence.survival import kaplan_meier

    cohort = load_cohort()
    t = [6, 24, 90]
    f1 = cumulative_incidence(cohort).at(t)["incidence"].to_numpy()
    f2 = cumulative_incidence(cohort, event=2).at(t)["incidence"].to_numpy()
    s = kaplan_meier(cohort, event="any").at(t)["survival"].to_numpy()
    np.testing.assert_allclose(f1 + f2 + s, 1, rtol=1e-12)


def random_cohorts():
    """The 25 tie-heavy cohorts of the R script (times 1..6, 2 or 3 groups)."""
    for i, case in enumerate(r_reference("survival_nonparametric")["random"]):
        frame = pd.DataFrame(case["data"]).assign(arm=case["group"])
        yield pytest.param(frame, case, id=f"random{i + 1}")


@pytest.mark.r_reference
@pytest.mark.parametrize(("cohort", "case"), list(random_cohorts()))
def test_tie_heavy_random_cohorts_match_cuminc(cohort, case):
    # R: fit <- cuminc(time, event, group, cencode = 0); timepoints(fit, 1:6);
    #    fit$Tests["1", "stat"]. Every time is tied, risk sets empty out: the edge branches.
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no RuntimeWarning from 0/0 may leak
        result = cumulative_incidence(cohort, by="arm")
    assert result.groups == tuple(case["groups"])
    _compare_at(
        result,
        {
            "times": list(range(1, 7)),
            "groups": case["groups"],
            "est": case["est"],
            "var": case["var"],
        },
        with_ci=False,
    )
    assert result.gray_statistic == pytest.approx(case["gray"], rel=REL)
