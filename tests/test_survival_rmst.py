"""Restricted mean event-free time: against R's survmean, the difference, edge cases.

R: validation/r/survival_nonparametric.R → tests/data/r/survival_nonparametric.json
(survival 3.5-3): summary(survfit(Surv(time, event == 1) ~ group), rmean = tau)$table,
columns "rmean" and "se(rmean)" (what print(fit, rmean = tau) shows). The area and its
variance are the same finite sums as survmean, so 1e-6 relative.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from helpers import ROOT, r_reference

from recurrence import DataError, StatisticalWarning, load_cohort

# From the submodule: once `recurrence.survival.rmst` (the module) is imported directly,
# e.g. by doctest collection, the package attribute of that name is the module.
from recurrence.survival.rmst import rmst

REL = 1e-6


@pytest.fixture(scope="module")
def ref():
    return r_reference("survival_nonparametric")


@pytest.fixture(scope="module")
def small():
    return load_cohort(ROOT / "tests" / "data" / "surv_small.csv")


@pytest.mark.r_reference
@pytest.mark.parametrize("name", ["small", "mgus2", "synthetic"])
def test_rmst_and_se_match_survfit_rmean(ref, name):
    cohort = {
        "small": lambda: load_cohort(ROOT / "tests" / "data" / "surv_small.csv"),
        "mgus2": lambda: pd.read_csv(ROOT / "tests" / "data" / "surv_mgus2.csv"),
        "synthetic": lambda: load_cohort(ROOT / "data" / "synthetic" / "cohort.csv"),
    }[name]()
    by = "sex" if name == "mgus2" else "closure"
    r = ref[name]["km"]["rmst"]
    res = rmst(cohort, r["tau"], by=by).table.set_index("group")
    for group in r["rmean"]:
        assert res.loc[group, "rmst"] == pytest.approx(r["rmean"][group], rel=REL)
        assert res.loc[group, "se"] == pytest.approx(r["se"][group], rel=REL)


@pytest.mark.r_reference
def test_composite_endpoint_matches_survfit(ref, small):
    # R: summary(survfit(Surv(time, event > 0) ~ group), rmean = 20)$table
    r = ref["small"]["rmst_any"]
    res = rmst(small, r["tau"], event="any").table
    np.testing.assert_allclose(res["rmst"], r["rmean"], rtol=REL)
    np.testing.assert_allclose(res["se"], r["se"], rtol=REL)


@pytest.mark.r_reference
def test_horizon_beyond_follow_up_extends_flat_as_r_and_warns(ref, small):
    # R: summary(survfit(...), rmean = 29)$table; the closure arm ends at 27 months
    r = ref["small"]["rmst_beyond"]
    with pytest.warns(StatisticalWarning, match="beyond the last follow-up of the closure group"):
        res = rmst(small, r["tau"])
    np.testing.assert_allclose(res.table["rmst"], r["rmean"], rtol=REL)
    np.testing.assert_allclose(res.table["se"], r["se"], rtol=REL)


@pytest.mark.r_reference
def test_lifelines_variance_is_not_the_standard_error_r_gives(ref, small):
    # lifelines' restricted_mean_survival_time(return_variance=True) is the variance of
    # min(T, tau), not the sampling variance of the mean: it misses R's se(rmean).
    from lifelines import KaplanMeierFitter
    from lifelines.utils import restricted_mean_survival_time

    r = ref["small"]["km"]["rmst"]
    arm = small[~small["closure"]]
    kmf = KaplanMeierFitter().fit(arm["time"], arm["event"] == 1)
    mean, var = restricted_mean_survival_time(kmf, t=r["tau"], return_variance=True)
    assert mean == pytest.approx(r["rmean"]["no closure"], rel=REL)
    assert abs(np.sqrt(var) - r["se"]["no closure"]) > 0.5
    ours = rmst(small, r["tau"]).table.set_index("group").loc["no closure", "se"]
    assert ours == pytest.approx(r["se"]["no closure"], rel=REL)


def test_difference_is_closure_minus_no_closure():
    res = rmst(load_cohort(), 60)
    t = res.table.set_index("group")
    d = res.difference.iloc[0]
    assert (d["group"], d["reference"]) == ("closure", "no closure")
    assert d["difference"] == pytest.approx(t.loc["closure", "rmst"] - t.loc["no closure", "rmst"])
    assert d["se"] == pytest.approx(np.hypot(t.loc["closure", "se"], t.loc["no closure", "se"]))
    z = d["difference"] / d["se"]
    assert d["ci_low"] == pytest.approx(d["difference"] - 1.959963984540054 * d["se"])
    from scipy import stats

    assert d["pvalue"] == pytest.approx(2 * stats.norm.sf(abs(z)))
    assert "closure − no closure" in repr(res)


def test_rmst_by_hand_and_one_group():
    # S = 1 on [0, 2), 0.5 on [2, 10): RMST(4) = 2 + 2·0.5 = 3
    cohort = pd.DataFrame({"time": [2.0, 10], "event": [1, 0], "closure": False})
    res = rmst(cohort, 4)
    assert res.table["rmst"].item() == pytest.approx(3.0)
    assert res.difference.empty
    assert any("one group only" in r for r in res.remarks)


def test_no_events_gives_the_horizon_with_zero_se():
    cohort = pd.DataFrame({"time": [5.0, 6, 7, 8], "event": 0, "closure": [True, False] * 2})
    res = rmst(cohort, 4)
    assert res.table["rmst"].tolist() == [4.0, 4.0]
    assert res.table["se"].tolist() == [0.0, 0.0]
    assert np.isnan(res.difference["pvalue"].item())


@pytest.mark.parametrize("horizon", [0, -3, "soon", float("nan")])
def test_bad_horizon(horizon):
    with pytest.raises(DataError, match="horizon must be a number of months > 0"):
        rmst(load_cohort(), horizon)
