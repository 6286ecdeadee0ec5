"""Risk difference and NNT against cmprsk (validation/r/cohort_analyses.R →
tests/data/r/cohort_analyses.json, "risk_difference").

R: ``timepoints(cuminc(time, event, group, cencode = 0), times)`` gives each arm's
Aalen-Johansen incidence and Gray's variance; the script forms d = F(closure) − F(no
closure), se = √(v₁ + v₀), the 95% Wald interval and Altman's NNT limits. Everything is
closed-form after the (exact) Aalen-Johansen sums: 1e-10 relative (seen: ~1e-14).
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from helpers import ROOT, r_reference

from recurrence import DataError, load_cohort, simulate_cohort
from recurrence.plotting.absolute import plot_risk_difference, risk_difference_plot_data
from recurrence.survival import cumulative_incidence, risk_difference
from recurrence.survival.absolute import nnt_interval

REL = 1e-10


@pytest.fixture(scope="module")
def ref():
    return r_reference("cohort_analyses")["risk_difference"]


def _nan(values):
    return np.array([np.nan if v is None else float(v) for v in values])


@pytest.mark.r_reference
def test_packaged_cohort_read_from_csv_matches_cuminc(ref):
    r = ref["synthetic"]
    rd = risk_difference(load_cohort(ROOT / "data" / "synthetic" / "cohort.csv"), r["times"])
    t = rd.table
    for col in ("risk_control", "risk_closure", "difference", "ci_low", "ci_high", "nnt"):
        np.testing.assert_allclose(t[col], r[col], rtol=REL, err_msg=f"{col}: {r['call']}")
    np.testing.assert_allclose(t["se_control"] ** 2, r["var_control"], rtol=REL)
    np.testing.assert_allclose(t["se_closure"] ** 2, r["var_closure"], rtol=REL)
    np.testing.assert_allclose(t["nnt_ci_low"], r["nnt_ci_low"], rtol=REL)
    np.testing.assert_allclose(t["nnt_ci_high"], _nan(r["nnt_ci_high"]), rtol=REL)
    assert t["nnt_ci_other"].isna().all() and (t["nnt_kind"] == "NNTB").all()


@pytest.mark.r_reference
def test_heavily_tied_mgus2_with_intervals_through_infinity(ref):
    r = ref["mgus2"]
    mg = pd.read_csv(ROOT / "tests" / "data" / "surv_mgus2.csv")
    rd = risk_difference(mg, r["times"], by="sex")
    assert rd.groups == ("F", "M")
    t = rd.table
    np.testing.assert_allclose(t["difference"], r["difference"], rtol=REL, err_msg=r["call"])
    np.testing.assert_allclose(t["ci_low"], r["ci_low"], rtol=REL)
    np.testing.assert_allclose(t["ci_high"], r["ci_high"], rtol=REL)
    # every interval of the difference includes 0 here: NNT intervals pass through ∞
    assert (t["ci_low"] < 0).all() and (t["ci_high"] > 0).all()
    assert np.isinf(t["nnt_ci_high"]).all() and r["nnt_ci_high"] == ["Inf"] * 4
    np.testing.assert_allclose(t["nnt_ci_low"], r["nnt_ci_low"], rtol=REL)
    np.testing.assert_allclose(t["nnt_ci_other"], _nan(r["nnt_ci_other"]), rtol=REL)
    assert all("to ∞ to" in label for label in t["nnt_label"])


def test_the_difference_reads_the_cumulative_incidence_engine():
    cohort = load_cohort()
    ci = cumulative_incidence(cohort).at([24])
    rd = risk_difference(cohort, [24]).table.iloc[0]
    arms = ci.set_index("group")
    assert rd["risk_closure"] == arms.loc["closure", "incidence"]
    assert (
        rd["difference"] == arms.loc["closure", "incidence"] - arms.loc["no closure", "incidence"]
    )
    assert rd["se"] == pytest.approx(
        math.hypot(arms.loc["closure", "se"], arms.loc["no closure", "se"])
    )


@pytest.mark.parametrize(
    ("d", "lo", "hi", "expected"),
    [
        # Altman 1998's notation, ARR limits in order: NNTH 1/hi … NNTB 1/|lo|
        (-0.10, -0.22, 0.045, (10.0, 1 / 0.22, math.inf, 1 / 0.045, "NNTB")),
        (0.05, -0.02, 0.12, (20.0, 1 / 0.12, math.inf, 50.0, "NNTH")),
        (-0.10, -0.15, -0.05, (10.0, 1 / 0.15, 20.0, math.nan, "NNTB")),
        (0.02, 0.01, 0.03, (50.0, 1 / 0.03, 100.0, math.nan, "NNTH")),
    ],
)
def test_nnt_interval_follows_altman(d, lo, hi, expected):
    got = nnt_interval(d, lo, hi)
    np.testing.assert_allclose(got[:4], expected[:4], rtol=1e-12)
    assert got[4] == expected[4]


def test_nnt_labels_and_the_no_difference_case():
    assert nnt_interval(-0.10, -0.22, 0.045)[5] == "NNTB 10.0 (NNTH 22.2 to ∞ to NNTB 4.5)"
    assert nnt_interval(0.05, -0.02, 0.12)[5] == "NNTH 20.0 (NNTH 8.3 to ∞ to NNTB 50.0)"
    assert nnt_interval(0.0, 0.0, 0.0)[5] == "NNT ∞ (no difference)"
    assert math.isnan(nnt_interval(float("nan"), 0.0, 1.0)[0])


def test_sentence_for_the_report():
    rd = risk_difference(load_cohort(), [12, 24])
    row = rd.table.iloc[1]
    text = rd.sentence(24)
    assert text.startswith("By 24 months, closing the annulus in 100 patients prevents about ")
    assert f"{-100 * row['difference']:.1f} reherniations" in text
    assert f"(95% CI {-100 * row['ci_high']:.1f} to {-100 * row['ci_low']:.1f})" in text
    assert f"NNTB {row['nnt']:.1f}" in text
    assert rd.sentence() == text  # the last time by default
    assert text in rd.summary() and text in rd._repr_html_()
    with pytest.raises(DataError, match="no row for month 36"):
        rd.sentence(36)


def test_sentence_when_the_interval_includes_zero():
    small = simulate_cohort(200, seed=5)
    rd = risk_difference(small, [6])
    row = rd.table.iloc[0]
    assert row["ci_low"] < 0 < row["ci_high"]
    assert "more to" in rd.sentence() and "fewer" in rd.sentence() and "∞" in rd.sentence()


def test_competing_event_and_beyond_follow_up():
    cohort = load_cohort()
    rd = risk_difference(cohort, [24, 500], event=2)
    assert rd.table["difference"].iloc[0] == pytest.approx(
        cumulative_incidence(cohort, event=2)
        .at([24])
        .set_index("group")["incidence"]
        .diff()
        .iloc[-1]
    )
    assert (
        np.isnan(rd.table["difference"].iloc[1]) and "beyond the last follow-up" in rd.remarks[-1]
    )
    assert "competing events" in rd.sentence(24) or "competing event" in rd.sentence(24)


def test_bad_arguments_are_data_errors():
    cohort = load_cohort()
    with pytest.raises(DataError, match="exactly two groups"):
        risk_difference(cohort, [24], by="approach")
    with pytest.raises(DataError, match="by=None gives one"):
        risk_difference(cohort, [24], by=None)
    with pytest.raises(DataError, match="times must be"):
        risk_difference(cohort, [-1])


def test_input_is_not_modified():
    cohort = load_cohort()
    before = cohort.copy()
    risk_difference(cohort, [12])
    pd.testing.assert_frame_equal(cohort, before)


def test_plot_draws_the_curve_band_points_and_zero():
    rd = risk_difference(load_cohort(), [12, 24, 60])
    data = risk_difference_plot_data(rd)
    np.testing.assert_allclose(data["points"]["value"], 100 * rd.table["difference"])
    assert data["curve"]["time"].iloc[0] == 0 and data["curve"]["value"].iloc[0] == 0
    ax = plot_risk_difference(rd)
    gids = {a.get_gid() for a in [*ax.lines, *ax.collections]}
    assert {"difference", "band", "zero"} <= gids
    line = next(ln for ln in ax.lines if ln.get_gid() == "difference")
    np.testing.assert_allclose(line.get_ydata(), data["curve"]["value"])
    plt.close("all")
