"""Log-rank test: against R's survdiff (plain, stratified, three groups), edge cases.

R: validation/r/survival_nonparametric.R → tests/data/r/survival_nonparametric.json
(survival 3.5-3). Observed, expected and the hypergeometric variance are finite sums
over the same risk sets as survdiff's C code; only summation order differs, so 1e-6
relative (the issue's bar for exact algorithms) holds with room to spare.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from helpers import ROOT, r_reference

from recurrence import DataError, StatisticalWarning, load_cohort

# From the submodule: once `recurrence.survival.logrank` (the module) is imported directly,
# e.g. by doctest collection, the package attribute of that name is the module.
from recurrence.survival.logrank import logrank

REL = 1e-6


@pytest.fixture(scope="module")
def ref():
    return r_reference("survival_nonparametric")


@pytest.fixture(scope="module")
def cohorts():
    return {
        "small": load_cohort(ROOT / "tests" / "data" / "surv_small.csv"),
        "mgus2": pd.read_csv(ROOT / "tests" / "data" / "surv_mgus2.csv"),
        "synthetic": load_cohort(ROOT / "data" / "synthetic" / "cohort.csv"),
    }


CASES = [
    # (data set, fixture key, by, strata); R calls, with group = closure arm or sex:
    ("small", "survdiff", "closure", None),  # survdiff(Surv(time, event == 1) ~ group)
    ("small", "survdiff_strata", "closure", "site"),  # ... ~ group + strata(site)
    ("small", "survdiff_approach", "approach", None),  # ... ~ approach (3 groups)
    ("mgus2", "survdiff", "sex", None),
    ("mgus2", "survdiff_strata", "sex", "age70"),  # ... ~ group + strata(age70)
    ("synthetic", "survdiff", "closure", None),
    ("synthetic", "survdiff_strata", "closure", "site"),
    ("synthetic", "survdiff_approach", "approach", None),
]


@pytest.mark.r_reference
@pytest.mark.parametrize(("name", "key", "by", "strata"), CASES)
def test_matches_survdiff(ref, cohorts, name, key, by, strata):
    r = ref[name][key]
    lr = logrank(cohorts[name], by=by, strata=strata)
    assert lr.statistic == pytest.approx(r["chisq"], rel=REL)
    assert lr.df == r["df"]
    assert lr.pvalue == pytest.approx(r["pvalue"], rel=REL)
    mine = lr.table.set_index("group").loc[r["groups"]]
    np.testing.assert_array_equal(mine["observed"], r["observed"])
    np.testing.assert_allclose(mine["expected"], r["expected"], rtol=REL)
    order = [lr.groups.index(g) for g in r["groups"]]
    np.testing.assert_allclose(
        lr.variance[np.ix_(order, order)], np.array(r["var"]), rtol=REL, atol=1e-12
    )


def test_statistic_by_hand_for_two_groups():
    # Two groups: chi-square = (O1 − E1)² / V11
    lr = logrank(load_cohort())
    row = lr.table.iloc[0]
    assert lr.statistic == pytest.approx(row["o_minus_e"] ** 2 / row["variance"], rel=1e-12)
    assert lr.table["o_minus_e"].sum() == pytest.approx(0, abs=1e-9)
    assert "chi-square" in repr(lr)


def test_one_group_is_a_clear_error(tiny_cohort):
    with pytest.raises(DataError, match="at least two groups; column 'closure' has only"):
        logrank(tiny_cohort.assign(closure=True))
    with pytest.raises(DataError, match="by=None gives one group"):
        logrank(tiny_cohort, by=None)


def test_no_events_warns_and_gives_nan():
    cohort = pd.DataFrame(
        {"time": [1.0, 2, 3, 4], "event": [0, 0, 2, 0], "closure": [True, False, True, False]}
    )
    with pytest.warns(StatisticalWarning, match="no reherniation in any group"):
        lr = logrank(cohort)
    assert np.isnan(lr.statistic) and np.isnan(lr.pvalue)


def test_group_without_events_still_tested(tiny_cohort):
    cohort = tiny_cohort.assign(event=[0, 1, 0, 1])  # no reherniation with closure
    lr = logrank(cohort)
    assert np.isfinite(lr.statistic)
    assert any("no reherniation in the closure group" in r for r in lr.remarks)


def test_all_events_tied_with_everyone_failing_warns():
    # one time, every patient has the event: V = d(N − d)/(N − 1)… = 0
    cohort = pd.DataFrame({"time": 5.0, "event": 1, "closure": [True, False, True, False]})
    with pytest.warns(StatisticalWarning, match="variance of the log-rank statistic is singular"):
        lr = logrank(cohort)
    assert np.isnan(lr.statistic)


def test_single_patient_at_risk_contributes_no_variance():
    cohort = pd.DataFrame(
        {"time": [1.0, 2, 3, 4], "event": [1, 1, 0, 1], "closure": [True, False, True, False]}
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        lr = logrank(cohort)
    # the last event (time 4, one patient at risk) adds to O and E but not to V
    assert np.isfinite(lr.statistic)
    assert lr.table["observed"].sum() == 3


def _random_cases():
    for i, case in enumerate(r_reference("survival_nonparametric")["random"]):
        frame = pd.DataFrame(case["data"]).assign(arm=case["group"])
        yield pytest.param(frame, case["chisq"], id=f"random{i + 1}")


@pytest.mark.r_reference
@pytest.mark.parametrize(("cohort", "chisq"), list(_random_cases()))
def test_tie_heavy_random_cohorts_match_survdiff(cohort, chisq):
    # R: survdiff(Surv(time, event == 1) ~ group)$chisq on times 1..6 (all tied)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        lr = logrank(cohort, by="arm")
    assert lr.statistic == pytest.approx(chisq, rel=REL)
