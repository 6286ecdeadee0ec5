"""A cohort as one more study: censoring handling and the study-table row."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from recurrence import DataError, StatisticalWarning, load_cohort, load_studies, meta
from recurrence.survival import cumulative_incidence


def _cohort(censor_early: bool, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = 400
    closure = np.r_[np.ones(n // 2, bool), np.zeros(n // 2, bool)]
    time = rng.uniform(30, 60, n)
    event = np.zeros(n, int)
    ev = rng.random(n) < np.where(closure, 0.08, 0.2)
    time[ev] = rng.uniform(1, 20, ev.sum())
    event[ev] = 1
    comp = ~ev & (rng.random(n) < 0.05)
    time[comp] = rng.uniform(1, 20, comp.sum())
    event[comp] = 2
    if censor_early:
        lost = (event == 0) & (rng.random(n) < 0.3)
        time[lost] = rng.uniform(2, 20, lost.sum())
    return pd.DataFrame(
        {
            "patient_id": [f"p{i}" for i in range(n)],
            "closure": closure,
            "time": time,
            "event": event,
        }
    )


def test_complete_follow_up_gives_the_observed_counts():
    cohort = _cohort(censor_early=False)
    row = meta.cohort_as_study(cohort, horizon=24, label="Ours")
    arm = cohort["closure"]
    events = (cohort["event"] == 1) & (cohort["time"] <= 24)
    assert row.loc[0, "events_closure"] == int((events & arm).sum())
    assert row.loc[0, "total_closure"] == int(arm.sum())
    assert row.loc[0, "events_control"] == int((events & ~arm).sum())
    assert "closure: complete follow-up to 24 months" in row.attrs["remarks"][1]


def test_censored_arms_get_effective_counts_from_aalen_johansen():
    cohort = _cohort(censor_early=True)
    row = meta.cohort_as_study(cohort, horizon=24)
    at = cumulative_incidence(cohort).at([24]).set_index("group")
    for arm, group in (("closure", "closure"), ("control", "no closure")):
        f, se = at.loc[group, "incidence"], at.loc[group, "se"]
        n_eff = f * (1 - f) / se**2
        assert row.loc[0, f"total_{arm}"] == round(n_eff)
        assert row.loc[0, f"events_{arm}"] == round(f * n_eff)
        assert row.loc[0, f"total_{arm}"] < row.loc[0, f"patients_{arm}"]
        # the counts keep the incidence and its precision
        p = row.loc[0, f"events_{arm}"] / row.loc[0, f"total_{arm}"]
        assert p == pytest.approx(f, abs=0.5 / row.loc[0, f"total_{arm}"] + 1e-12)
    assert row.loc[0, "count_basis"] == "effective (Aalen-Johansen)"
    assert row.attrs["remarks"][0].startswith("effective counts from the Aalen-Johansen")


def test_followed_to_horizon_counts_and_its_caveat():
    cohort = _cohort(censor_early=True)
    row = meta.cohort_as_study(cohort, horizon=24, method="followed")
    arm = cohort["closure"].to_numpy()
    t, e = cohort["time"].to_numpy(), cohort["event"].to_numpy()
    known = (t >= 24) | ((e > 0) & (t <= 24))
    assert row.loc[0, "total_closure"] == int((known & arm).sum())
    assert row.loc[0, "events_closure"] == int(((e == 1) & (t <= 24) & arm).sum())
    assert "censored before 24 months left out (this overstates" in row.attrs["remarks"][0]
    assert row.loc[0, "count_basis"] == "followed to horizon"


def test_the_row_joins_the_published_studies_and_the_forest():
    row = meta.cohort_as_study(load_cohort(), horizon=24, label="Our hospital", year=2026)
    both = load_studies(pd.concat([load_studies(), row], ignore_index=True))
    assert both["study"].iloc[-1] == "Our hospital"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StatisticalWarning)
        res = meta.compare_studies(both, measure="RR")
    assert "Our hospital" in res.studies and res.k == 8


def test_arm_without_events_by_the_horizon():
    cohort = _cohort(censor_early=True)
    cohort.loc[cohort["closure"] & (cohort["event"] == 1), "event"] = 0
    row = meta.cohort_as_study(cohort, horizon=24)
    assert row.loc[0, "events_closure"] == 0 and row.loc[0, "total_closure"] > 0
    assert any("closure: no variance at 24 months" in r for r in row.attrs["remarks"])


def test_cohort_errors():
    cohort = _cohort(censor_early=True)
    with pytest.raises(DataError, match="beyond the last follow-up"):
        meta.cohort_as_study(cohort, horizon=500)
    with pytest.raises(DataError, match="must be a positive number"):
        meta.cohort_as_study(cohort, horizon=-1)
    with pytest.raises(DataError, match="method='km' is not known"):
        meta.cohort_as_study(cohort, horizon=12, method="km")
    with pytest.raises(DataError, match=r"no column\(s\) \['arm'\]"):
        meta.cohort_as_study(cohort, horizon=12, by="arm")
