"""Kaplan-Meier: against R's survfit, the at-risk table, median follow-up, edge cases.

R reference values: validation/r/survival_nonparametric.R → tests/data/r/
survival_nonparametric.json (survival 3.5-3). Greenwood variance and the log(−log)
interval are closed-form sums over the same risk sets as survfit, so estimates agree to
floating-point rounding; 1e-6 relative is the issue's bar for exact algorithms (the
fixture itself carries 15 significant digits).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from helpers import ROOT, r_reference

from recurrence import DataError, load_cohort
from recurrence.survival import kaplan_meier

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


def _num(values):
    return np.array([np.nan if v is None else v for v in values], dtype=float)


@pytest.mark.r_reference
def test_full_curve_of_the_small_cohort_matches_survfit(ref, cohorts):
    # R: fit <- survfit(Surv(time, event == 1) ~ group, data = small, conf.type = "log-log")
    #    fit$time, n.risk, n.event, n.censor, surv, std.err, lower, upper per stratum.
    # R's n.censor counts competing events as censored; ours splits them into `competing`.
    cohort, by = cohorts["small"]
    km = kaplan_meier(cohort, by=by)
    for group, r in ref["small"]["km"]["full"].items():
        mine = km.table[km.table["group"] == group]
        np.testing.assert_array_equal(mine["time"], r["time"])
        np.testing.assert_array_equal(mine["at_risk"], r["n.risk"])
        np.testing.assert_array_equal(mine["events"], r["n.event"])
        np.testing.assert_array_equal(mine["censored"] + mine["competing"], r["n.censor"])
        np.testing.assert_allclose(mine["survival"], r["surv"], rtol=REL)
        np.testing.assert_allclose(mine["cumhaz_se"], _num(r["std.err"]), rtol=REL)
        # R leaves the interval NA where the survival is 1 after the first time; ours is [1, 1]
        lower, upper = _num(r["lower"]), _num(r["upper"])
        defined = ~np.isnan(lower)
        np.testing.assert_allclose(mine["ci_low"][defined], lower[defined], rtol=REL)
        np.testing.assert_allclose(mine["ci_high"][defined], upper[defined], rtol=REL)
        assert np.all(mine["ci_low"][~defined & (mine["survival"] == 1)] == 1)


@pytest.mark.r_reference
@pytest.mark.parametrize("name", ["small", "mgus2", "synthetic"])
def test_at_times_matches_survfit_summary(ref, cohorts, name):
    # R: summary(fit, times = times, extend = TRUE): surv, std.err, lower, upper, n.risk.
    # Beyond a group's last follow-up R carries the last value forward (extend = TRUE);
    # ours is NaN (not estimable), checked separately below.
    cohort, by = cohorts[name]
    r = pd.DataFrame(ref[name]["km"]["at"]).astype({"survival": float})
    mine = kaplan_meier(cohort, by=by).at(ref[name]["km"]["times"])
    both = mine.merge(r, on=["group", "time"], suffixes=("", "_r"))
    assert len(both) == len(r)
    b = both[both["survival"].notna()]
    np.testing.assert_allclose(b["survival"], b["survival_r"], rtol=REL)
    np.testing.assert_allclose(b["se"], _num(b["se_r"]), rtol=REL, atol=1e-15)
    ok = b["ci_low_r"].notna()
    np.testing.assert_allclose(b.loc[ok, "ci_low"], b.loc[ok, "ci_low_r"].astype(float), rtol=REL)
    np.testing.assert_allclose(b.loc[ok, "ci_high"], b.loc[ok, "ci_high_r"].astype(float), rtol=REL)
    np.testing.assert_array_equal(b["at_risk"], b["at_risk_r"])
    # NaN only after the group's last follow-up time
    for group, sub in both.groupby("group"):
        max_follow = cohort.loc[_group_mask(cohort, by, group), "time"].max()
        assert sub.loc[sub["time"] > max_follow, "survival"].isna().all()
        assert sub.loc[sub["time"] <= max_follow, "survival"].notna().all()


def _group_mask(cohort, by, group):
    if by == "closure":
        return cohort["closure"] == (group == "closure")
    return cohort[by].astype(str) == group


@pytest.mark.r_reference
@pytest.mark.parametrize("name", ["small", "mgus2", "synthetic"])
def test_median_followup_is_reverse_km_median_of_survfit(ref, cohorts, name):
    # R: summary(survfit(Surv(time, event == 0) ~ group))$table[, "median"]
    cohort, by = cohorts[name]
    km = kaplan_meier(cohort, by=by)
    for group, value in ref[name]["km"]["reverse_median"].items():
        assert km.median_followup[group] == pytest.approx(value, rel=REL)


def test_at_risk_table_adds_up():
    cohort = load_cohort()
    km = kaplan_meier(cohort)
    tab = km.at_risk([0, 12, 24, 60])
    for group, sub in tab.groupby("group", sort=False):
        n = sub["at_risk"].to_numpy()
        exits = (sub["events"] + sub["competing"] + sub["censored"]).to_numpy()
        np.testing.assert_array_equal(n[1:], n[:-1] - exits[:-1])
        arm = cohort[cohort["closure"] == (group == "closure")]
        assert n[0] == len(arm)
        assert exits.sum() == len(arm)
        assert sub["events"].sum() == (arm["event"] == 1).sum()
        assert sub["competing"].sum() == (arm["event"] == 2).sum()
        # events before 24 months, counted directly
        row = sub[sub["time"] == 24].iloc[0]
        assert row["cumulative_events"] == ((arm["time"] < 24) & (arm["event"] == 1)).sum()
        assert row["at_risk"] == (arm["time"] >= 24).sum()


def test_at_before_first_time_and_at_risk_counts():
    cohort = load_cohort()
    at = kaplan_meier(cohort).at([0, 0.01, 36.5])
    first = at[at["time"] <= 0.01]
    assert (first["survival"] == 1).all() and (first["ci_low"] == 1).all()
    for row in at.itertuples():
        arm = cohort[cohort["closure"] == (row.group == "closure")]
        assert row.at_risk == (arm["time"] >= row.time).sum()


def test_competing_events_are_censored_and_counted_in_a_remark():
    cohort = load_cohort()
    km = kaplan_meier(cohort)
    n2 = int((cohort["event"] == 2).sum())
    assert km.overview["competing"].sum() == n2
    assert any(f"{n2} competing events (event 2) treated as censored" in r for r in km.remarks)
    # event="any": competing events end event-free survival, so the curve is lower
    both = kaplan_meier(cohort, event="any").at([60])["survival"].to_numpy()
    assert np.all(both < km.at([60])["survival"].to_numpy())


def test_by_none_and_display():
    km = kaplan_meier(load_cohort(), by=None)
    assert km.groups == ("all patients",)
    text = repr(km)
    assert "Kaplan-Meier estimate" in text and "all patients" in text
    assert "<table" in km._repr_html_()
    assert len(text.splitlines()) < 10  # the overview, not the long curve table


def test_group_without_events_stays_at_one(tiny_cohort):
    cohort = tiny_cohort.assign(event=[0, 1, 2, 1])  # no reherniation with closure
    km = kaplan_meier(cohort)
    closure = km.table[km.table["group"] == "closure"]
    assert (closure["survival"] == 1).all()
    assert any("no reherniation in the closure group" in r for r in km.remarks)


def test_everyone_censored():
    cohort = pd.DataFrame(
        {"time": [1.0, 2, 3, 4], "event": 0, "closure": [True, False, True, False]}
    )
    km = kaplan_meier(cohort)
    assert (km.table["survival"] == 1).all()
    assert any("no reherniation in any group" in r for r in km.remarks)


def test_single_patient_at_risk_reaches_zero_without_traceback():
    cohort = pd.DataFrame({"time": [1.0, 2, 3], "event": [0, 1, 1], "closure": False})
    km = kaplan_meier(cohort)
    last = km.table.iloc[-1]
    assert last["at_risk"] == 1 and last["survival"] == 0
    assert np.isnan(last["ci_low"]) and np.isnan(last["ci_high"])
    assert any("reaches 0 at 3 months" in r for r in km.remarks)
    # a time read in days prints to the hundredth of a month (1,826 days: not 59.9918)
    days = cohort.assign(time=[700 / 30.4375, 1000 / 30.4375, 1826 / 30.4375])
    assert any("reaches 0 at 59.99 months" in r for r in kaplan_meier(days).remarks)


def test_all_events_tied():
    cohort = pd.DataFrame({"time": 5.0, "event": [1, 1, 1, 0], "closure": False})
    km = kaplan_meier(cohort)
    assert km.table["survival"].tolist() == [0.25]
    assert km.at([4, 5])["survival"].tolist() == [1.0, 0.25]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"level": 1.5}, "level must be between 0 and 1"),
        ({"event": 3}, "event must be one of"),
        ({"by": "nope"}, "grouping column 'nope' is not in the cohort"),
    ],
)
def test_bad_arguments_raise_data_error(kwargs, message):
    with pytest.raises(DataError, match=message):
        kaplan_meier(load_cohort(), **kwargs)


def test_bad_values_name_column_and_rows():
    cohort = pd.DataFrame({"time": [1.0, -2, np.nan], "event": [0, 5, 1], "closure": True})
    with pytest.raises(DataError) as info:
        kaplan_meier(cohort)
    text = str(info.value)
    assert "column 'time', rows 2, 3" in text
    assert "column 'event', row 2" in text
    with pytest.raises(DataError, match="times must be finite numbers"):
        kaplan_meier(load_cohort()).at([-1])


def test_input_is_not_modified():
    cohort = load_cohort()
    before = cohort.copy()
    kaplan_meier(cohort).at([12])
    pd.testing.assert_frame_equal(cohort, before)


def _random_cases():
    for i, case in enumerate(r_reference("survival_nonparametric")["random"]):
        frame = pd.DataFrame(case["data"]).assign(arm=case["group"])
        yield pytest.param(frame, case["km"], id=f"random{i + 1}")


@pytest.mark.r_reference
@pytest.mark.parametrize(("cohort", "r"), list(_random_cases()))
def test_tie_heavy_random_cohorts_match_survfit(cohort, r):
    # R: summary(survfit(Surv(time, event == 1) ~ group, conf.type = "log-log"),
    #            times = 1:6, extend = TRUE): surv, std.err (NaN once the curve hits 0)
    at = kaplan_meier(cohort, by="arm").at(range(1, 7))
    ref = pd.DataFrame(r).rename(columns={"surv": "survival_r", "se": "se_r"})
    both = at.merge(ref, on=["group", "time"]).dropna(subset=["survival"])
    assert len(both) > 0
    np.testing.assert_allclose(
        both["survival"], both["survival_r"].astype(float), rtol=REL, atol=1e-15
    )
    np.testing.assert_allclose(both["se"], _num(both["se_r"]), rtol=REL, atol=1e-15)


def test_loglog_interval_of_a_probability_near_one_is_quiet():
    # found in a report of an imaged export (the breast cosmesis data): the cumulative
    # incidence ran to 0.99 with a large standard error, exp(log(-log p) - z·se/log p)
    # overflowed and numpy's "overflow encountered in exp" was printed as a caveat of
    # the report. The lower end is exp(-inf) = 0 (R: the same, silently)
    import warnings

    from recurrence.survival._core.nonparametric import loglog_interval

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        low, high = loglog_interval(np.array([0.999, 0.5]), np.array([40.0, 0.1]), 1.96)
    assert low[0] == 0.0 and 0.999 < high[0] <= 1.0
    # the ordinary case: R's survfit_confint, exp(-exp(log(-log p) ∓ z·se/log p))
    lx = np.log(0.5)
    assert low[1] == pytest.approx(np.exp(-np.exp(np.log(-lx) - 1.96 * 0.1 / lx)), rel=1e-15)
    # R 4.2.2, survival 3.5-3: survival:::survfit_confint(c(0.999, 0.5), c(40, 0.1),
    #   logse = TRUE, conf.type = "log-log", conf.int = 0.95)
    #   $lower 0.00000000000000000 0.39865406419671878; $upper 1 0.59308123499796472
    low, high = loglog_interval(np.array([0.999, 0.5]), np.array([40.0, 0.1]), 1.959963984540054)
    np.testing.assert_allclose(low, [0.0, 0.39865406419671878], rtol=1e-14)
    np.testing.assert_allclose(high, [1.0, 0.59308123499796472], rtol=1e-14)
