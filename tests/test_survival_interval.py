"""Turnbull, parametric and cure models: input checks, properties, the simulated truth.

The R references are in test_survival_interval_r.py; here: what the functions must do
whatever R says (the NPMLE of exact data is Kaplan-Meier, a bootstrap is reproducible,
bad ``time_left`` values are refused with their rows), and that on simulated imaging
data with a known truth Turnbull recovers the incidence that the visit-date
Kaplan-Meier misses, and the Weibull cure model recovers a known cure fraction.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pandas.testing as pdt
import pytest

from recurrence import DataError, StatisticalWarning, load_cohort, simulate_cohort
from recurrence.survival import (
    compare_distributions,
    cure,
    kaplan_meier,
    parametric,
    turnbull,
)
from recurrence.survival._intervals import interval_data
from recurrence.survival._lifelines import fit_aft
from recurrence.survival._np_turnbull import npmle, support_points
from recurrence.synthetic import true_cumulative_incidence

VISITS = (1.5, 3, 6, 12, 24, 36, 60)


@pytest.fixture(scope="module")
def cohort():
    return load_cohort()


@pytest.fixture(scope="module")
def imaged():
    return simulate_cohort(1500, seed=31, visits=VISITS, population="large_defect")


# ---------------------------------------------------------------------------------------
# time_left
# ---------------------------------------------------------------------------------------


def test_time_left_problems_are_all_reported_with_their_rows():
    df = pd.DataFrame(
        {
            "closure": [True, False, True, False, True, False],
            "time": [6.0, 12.0, 3.0, 5.0, 8.0, 9.0],
            "event": [1, 0, 1, 1, 2, 1],
            "time_left": [3.0, 4.0, 3.0, -1.0, 2.0, np.inf],
        }
    )
    with pytest.raises(DataError) as err:
        turnbull(df, n_boot=0)
    text = str(err.value)
    assert "column 'time_left', rows 4, 6: must be a finite number of months ≥ 0" in text
    assert "rows 2, 5: is given for a patient without reherniation (event is not 1)" in text
    assert "row 3: must be before time (the scan that found the reherniation)" in text
    for fn in (parametric, cure):  # every engine checks, not only the loader
        with pytest.raises(DataError, match="time_left"):
            fn(df)


def test_time_left_as_text_is_read_exactly_and_nonsense_refused():
    df = pd.DataFrame(
        {"time": [6.0, 12.0, 5.0], "event": [1, 0, 1], "time_left": ["1.1", None, "3,5"]}
    )
    d = interval_data(df)
    assert d.left.tolist() == [1.1, 12.0, 3.5] and d.kind.tolist() == [3, 0, 3]
    df.loc[2, "time_left"] = "soon"
    with pytest.raises(DataError, match=r"row 3: is not a number of months \(found 'soon'\)"):
        interval_data(df)


def test_rows_missing_a_covariate_are_left_out_with_their_intervals():
    df = pd.DataFrame(
        {
            "closure": [True, False, True, False],
            "time": [6.0, 12.0, 4.0, 9.0],
            "event": [1, 0, 1, 1],
            "time_left": [3.0, None, None, 5.0],
            "age": [50.0, None, 40.0, 60.0],
        }
    )
    d = interval_data(df, "closure", ["age"])
    assert d.left.tolist() == [3.0, 4.0, 5.0] and d.right.tolist() == [6.0, 4.0, 9.0]
    assert d.x[:, 0].tolist() == [50.0, 40.0, 60.0] and d.dropped == 1


# ---------------------------------------------------------------------------------------
# Turnbull
# ---------------------------------------------------------------------------------------


def test_without_time_left_turnbull_is_kaplan_meier(cohort):
    # the NPMLE of exact and right-censored data is the Kaplan-Meier estimator
    tb = turnbull(cohort, n_boot=0)
    km = kaplan_meier(cohort)
    times = km.table["time"].unique()
    times = times[times < 90]
    a, b = tb.at(times), km.at(times)
    np.testing.assert_allclose(a["survival"], b["survival"], rtol=0, atol=1e-9)
    assert any("estimate is Kaplan-Meier's" in r for r in tb.remarks)
    assert tb.overview["interval"].sum() == 0


def test_support_points_follow_survfit():
    # (0, 4], (2, 6], an event on day 5 and censored at 7: R's jump times are the
    # midpoints 3 (of [2, 4]) and 5.5 (of [5, 6]) and the event day 5
    t, lo, up = support_points(
        np.array([0.0, 2, 5, 7]), np.array([4.0, 6, 5, np.inf]), np.array([3, 3, 1, 0])
    )
    assert t.tolist() == [3.0, 5.0, 5.5]
    assert lo.tolist() == [2.0, 5.0, 5.0] and up.tolist() == [4.0, 5.0, 6.0]


def test_npmle_meets_the_kuhn_tucker_conditions(imaged):
    d = interval_data(imaged, "closure")
    for g in range(2):
        sel = d.group == g
        fit = npmle(d.left[sel], d.right[sel], d.kind[sel])
        assert fit.converged and fit.kkt < 1e-8
        assert fit.mass.min() >= 0 and fit.mass.sum() == pytest.approx(1.0, abs=1e-12)


@pytest.mark.parametrize("start", [1e-2, 0.5])
def test_npmle_is_the_same_maximum_from_any_newton_start(imaged, monkeypatch, start):
    # START decides which points the Newton steps begin with. With a high START some
    # patients' runs begin with no point at all (probability 0): such a run now keeps its
    # likeliest point. Before, Newton gave up there and EM went on from Newton's zeros,
    # which EM cannot give mass again: NaN and 100,000 iterations (seen with START 1e-2
    # on notebook 06's cohort).
    import recurrence.survival._np_turnbull as core

    d = interval_data(imaged, "closure")
    sel = d.group == 0
    default = npmle(d.left[sel], d.right[sel], d.kind[sel])
    monkeypatch.setattr(core, "START", start)
    moved = npmle(d.left[sel], d.right[sel], d.kind[sel])
    assert moved.converged and moved.kkt < 1e-8
    assert moved.loglik == pytest.approx(default.loglik, abs=1e-9)
    np.testing.assert_allclose(moved.survival, default.survival, atol=1e-9)


def test_at_reports_where_the_curve_is_not_identified(imaged):
    tb = turnbull(imaged, n_boot=0)
    b = tb.table[(tb.table["group"] == "no closure") & (tb.table["mass"] > 1e-3)]
    row = b.loc[(b["upper"] - b["lower"]).idxmax()]  # the widest Turnbull interval
    inside = row["lower"] + (row["upper"] - row["lower"]) / 4
    at = tb.at([inside, row["upper"] + 1e-9])
    at = at[at["group"] == "no closure"]
    first, after = at.iloc[0], at.iloc[1]
    assert not first["identified"] and after["identified"]
    assert first["range_low"] < first["range_high"]
    assert first["range_low"] <= first["survival"] <= first["range_high"]
    assert after["range_low"] == after["range_high"] == after["survival"]
    beyond = tb.at([tb.max_time + 1])
    assert beyond["survival"].isna().all() and not beyond["identified"].any()


def test_bootstrap_is_seeded_and_reports_progress(imaged):
    calls = []
    a = turnbull(
        imaged, n_boot=30, seed=4, progress=lambda done, total: calls.append((done, total))
    )
    b = turnbull(imaged, n_boot=30, seed=4)
    c = turnbull(imaged, n_boot=30, seed=5)
    pdt.assert_frame_equal(a.at([6, 12, 24]), b.at([6, 12, 24]))
    assert not a.at([12])["ci_low"].equals(c.at([12])["ci_low"])
    assert calls[-1] == (60, 60) and len(calls) == 60
    at = a.at([12])
    assert (at["ci_low"] <= at["survival"]).all() and (at["survival"] <= at["ci_high"]).all()
    assert turnbull(imaged, n_boot=0).at([12])["ci_low"].isna().all()
    with pytest.raises(DataError, match="n_boot must be a whole number"):
        turnbull(imaged, n_boot=-1)


def test_group_without_events_is_flat_with_a_warning():
    df = pd.DataFrame(
        {
            "closure": [True, True, False, False],
            "time": [6.0, 9.0, 5.0, 8.0],
            "event": [0, 0, 1, 0],
            "time_left": [None, None, 2.0, None],
        }
    )
    with pytest.warns(StatisticalWarning, match="no reherniation in closure"):
        tb = turnbull(df, n_boot=0)
    assert tb.at([7])["survival"].tolist() == [0.5, 1.0]


def test_large_last_drop_earns_a_remark(imaged):
    # everyone is censored at their last scan (60 months at most), so the NPMLE puts the
    # probability of those censored before the last interval into it
    tb = turnbull(simulate_cohort(2000, visits=VISITS), n_boot=0)
    assert any("the last drop" in r for r in tb.remarks)


@pytest.mark.slow
def test_turnbull_recovers_the_incidence_that_visit_date_kaplan_meier_misses():
    # 40,000 patients imaged at the scheduled visits (20% missed), no competing events.
    # The truth is the simulator's survival averaged over each arm's own patients
    # (numerical integration, no sampling error). At the scheduled visit months the NPMLE
    # is within 0.01 of the truth (≈ 3 standard errors: ~20,000 per arm, survival 0.75-0.96,
    # SE ≤ 0.0035 with the interval-censoring loss); the Kaplan-Meier estimate that takes
    # the scan date as the event date overstates survival by 0.02 to 0.05 there.
    df = simulate_cohort(
        40000,
        seed=1,
        visits=VISITS,
        competing_rate=0,
        population="large_defect",
        missed_visit=0.2,
    )
    times = np.array([3.0, 6, 12, 24, 36])
    tb = turnbull(df, n_boot=0).at(times)
    km = kaplan_meier(df.drop(columns="time_left")).at(times)
    for arm, group in ((False, "no closure"), (True, "closure")):
        truth = 1 - true_cumulative_incidence(df[df["closure"] == arm], times)
        ours = tb.loc[tb["group"] == group, "survival"].to_numpy()
        visit_date = km.loc[km["group"] == group, "survival"].to_numpy()
        assert np.max(np.abs(ours - truth)) < 0.01, (group, ours - truth)
        assert np.all(visit_date[2:4] - truth[2:4] > 0.02), (group, visit_date - truth)


# ---------------------------------------------------------------------------------------
# parametric
# ---------------------------------------------------------------------------------------


def test_parametric_arguments_and_data_are_checked(cohort):
    with pytest.raises(DataError, match="distribution must be one of"):
        parametric(cohort, distribution="gamma")
    zero = cohort.copy()
    zero.loc[zero.index[[2, 7]], "time"] = 0.0
    with pytest.raises(DataError, match=r"column 'time', rows 3, 8: must be > 0"):
        parametric(zero)
    with pytest.raises(DataError, match="'constant' is the same for every patient"):
        parametric(cohort.assign(constant=1.0), ["closure", "constant"])


def test_predict_codes_new_rows_like_the_fitted_ones(cohort):
    fit = parametric(cohort, ["closure", "level"], distribution="lognormal")
    assert list(fit.table.index) == [
        "intercept",
        "closure",
        "level[L4/5]",
        "level[L5/S1]",
        "log_scale",
    ]
    new = pd.DataFrame({"closure": [True, False], "level": ["L5/S1", "L3/4"]})
    got = fit.predict([24, 60], new)
    coef = fit.table["coef"]
    eta = np.array(
        [
            coef["intercept"] + coef["closure"] + coef["level[L5/S1]"],
            coef["intercept"],
        ]
    )
    from scipy.stats import norm

    expected = norm.sf((np.log([24, 60])[None, :] - eta[:, None]) / fit.scale)
    np.testing.assert_allclose(got.to_numpy(), expected, rtol=1e-12)
    assert list(got.columns) == [24.0, 60.0]


def test_incidence_is_standardised_and_flags_extrapolation(cohort):
    fit = parametric(cohort, ["closure", "age"])
    inc = fit.incidence([60, 120])
    assert inc["group"].tolist() == ["no closure", "no closure", "closure", "closure"]
    assert inc["extrapolated"].tolist() == [False, True, False, True]
    everyone_closed = 1 - fit.predict([60, 120], fit.data.assign(closure=True)).mean().to_numpy()
    np.testing.assert_allclose(inc.loc[inc["group"] == "closure", "incidence"], everyone_closed)
    assert fit.max_followup == pytest.approx(cohort["time"].max())


def test_exponential_log_scale_is_fixed(cohort):
    fit = parametric(cohort, distribution="exponential")
    assert fit.table.loc["log_scale", "coef"] == 0.0 and np.isnan(fit.table.loc["log_scale", "se"])
    assert fit.aic == pytest.approx(-2 * fit.loglik + 2 * 2)


def test_compare_distributions_ranks_by_aic(cohort):
    cmp = compare_distributions(cohort, times=[60, 120])
    assert cmp.table["delta_aic"].min() == 0
    assert set(cmp.table["distribution"]) == {"exponential", "weibull", "lognormal", "loglogistic"}
    assert len(cmp.projections) == 4 * 2 * 2
    for d, f in cmp.fits.items():
        assert cmp.table.set_index("distribution").loc[d, "aic"] == f.aic


def test_lifelines_zero_lower_bound_is_handled():
    # (0, t]: found at the first scan. lifelines' log-normal and log-logistic give NaN
    # gradients at a lower bound of 0; the adapter stands in a bound of 1e-300 months
    left = np.array([0.0, 0.0, 2.0, 3.0, 5.0, 8.0, 1.0, 4.0])
    right = np.array([1.0, 2.0, 4.0, 6.0, np.inf, np.inf, 3.0, np.inf])
    kind = np.where(np.isinf(right), 0, 3)
    for dist in ("lognormal", "loglogistic", "weibull", "exponential"):
        fit = fit_aft(left, right, kind, np.zeros((8, 0)), dist)
        assert np.isfinite(fit.loglik) and np.isfinite(fit.coef).all()


@pytest.mark.parametrize("dist", ["weibull", "lognormal", "loglogistic"])
def test_lifelines_fit_begins_at_the_model_without_covariates(imaged, monkeypatch, dist):
    # The start is the covariate-free maximum of our own likelihood (the cure module's
    # at π = 0); lifelines' own search for it (its univariate fitter: Nelder-Mead, then
    # BFGS) is not run. Both checked: the start equals lifelines' covariate-free fit,
    # and a fit still works when lifelines' univariate fitters would fail.
    import lifelines

    from recurrence.survival import _lifelines

    d = interval_data(imaged, None, ["closure"])
    start = _lifelines._starting(d.left, d.right, d.kind, dist)
    free = fit_aft(d.left, d.right, d.kind, np.zeros((d.n, 0)), dist)
    assert start == pytest.approx((free.coef[0], free.log_scale), abs=1e-6)

    def refuse(*args, **kwargs):
        raise AssertionError("lifelines' univariate search ran")

    for name in ("WeibullFitter", "LogNormalFitter", "LogLogisticFitter"):
        monkeypatch.setattr(getattr(lifelines, name), "fit_interval_censoring", refuse)
    fit = fit_aft(d.left, d.right, d.kind, d.x, dist)
    assert d.x.shape[1] == 1 and np.isfinite(fit.coef).all() and np.isfinite(fit.loglik)


# ---------------------------------------------------------------------------------------
# cure
# ---------------------------------------------------------------------------------------


def test_cure_at_the_boundary_has_a_one_sided_interval():
    # every patient reherniates but one (censored early): no plateau, so no cure
    # fraction above 0 raises the likelihood (the score at 0 is negative)
    rng = np.random.default_rng(3)
    df = pd.DataFrame(
        {"time": rng.exponential(12.0, 80) + 0.1, "event": np.r_[0, np.ones(79, dtype=int)]}
    )
    fit = cure(df, None, distribution="exponential")
    row = fit.table.iloc[0]
    assert row["at_boundary"] and row["cure_fraction"] == 0 and row["ci_low"] == 0
    assert 0 < row["ci_high"] < 0.1
    p = fit.parameters.set_index("term")
    assert p.loc["logit_cure", "coef"] == -np.inf and np.isnan(p.loc["logit_cure", "se"])
    # the latency is then the plain exponential fit: mean = total time / events
    assert np.exp(p.loc["intercept", "coef"]) == pytest.approx(df["time"].sum() / 79, rel=1e-8)
    assert any("boundary 0" in r for r in fit.remarks)


def test_cure_curve_levels_off_at_the_cure_fraction(cohort):
    fit = cure(cohort)
    far = fit.at([1e6])
    np.testing.assert_allclose(far["survival"], fit.table["cure_fraction"], atol=1e-9)
    assert fit.loglik == pytest.approx(fit.table["loglik"].sum())
    assert not fit.interval_censored and fit.observed.overview["interval"].sum() == 0


@pytest.mark.slow
@pytest.mark.parametrize("visits", [None, VISITS])
def test_weibull_cure_recovers_a_known_cure_fraction(visits):
    # Mixture cure truth: 80% never reherniate, the others after a Weibull time
    # (closure acts on that time); other covariates without effect, so each arm's
    # latency is exactly Weibull. 6,000 patients followed 20 years (exact event days), or
    # imaged at the scheduled visits to 5 years (interval-censored). The estimate must be
    # within 3 standard errors of 0.8 (SE from the profile interval, width / 3.92) and the
    # interval must contain 0.8.
    df = simulate_cohort(
        6000,
        seed=17,
        cure_fraction=0.8,
        competing_rate=0,
        hr={"large_defect": 1, "smoker": 1, "diabetes": 1},
        site_sd=0,
        study_months=240,
        accrual_months=24,
        visits=visits,
    )
    tab = cure(df).table
    se = (tab["ci_high"] - tab["ci_low"]) / 3.92
    assert (np.abs(tab["cure_fraction"] - 0.8) < 3 * se).all(), tab
    assert ((tab["ci_low"] < 0.8) & (0.8 < tab["ci_high"])).all(), tab


# ---------------------------------------------------------------------------------------
# shared
# ---------------------------------------------------------------------------------------


def test_inputs_are_not_modified(imaged):
    before = imaged.copy()
    turnbull(imaged, n_boot=2)
    parametric(imaged, ["closure", "age"])
    cure(imaged)
    pdt.assert_frame_equal(imaged, before)


def test_simulated_visits_bracket_the_true_event_times():
    df = simulate_cohort(3000, seed=6, visits=VISITS, missed_visit=0.3)
    true = np.asarray(df.attrs["truth"]["reherniation_time"])
    ev = (df["event"] == 1).to_numpy()
    assert ((df["time_left"][ev] < true[ev]) & (true[ev] <= df["time"][ev])).all()
    assert df.loc[~ev, "time_left"].isna().all()
    # the detecting scan is a scheduled visit within its window
    windows = [(v - min(0.15 * v, 2.0), v + min(0.15 * v, 2.0) + 1 / 30) for v in VISITS]
    t = df.loc[ev, "time"]
    assert all(any(lo <= x <= hi for lo, hi in windows) for x in t)
    assert "time_left" not in simulate_cohort(50, seed=6).columns


def test_cure_truth_levels_off_at_one_minus_the_cure_fraction():
    df = simulate_cohort(2000, seed=2, cure_fraction=0.7, competing_rate=0)
    far = true_cumulative_incidence(df, [5000.0])[0]
    assert far == pytest.approx(0.3, abs=1e-3)
