"""Cox models: the result object, remarks, options, internal identities, degenerate inputs.

The numbers themselves are held against R in test_survival_cox_r.py.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from helpers import ROOT

from recurrence import ConvergenceWarning, DataError, StatisticalWarning, load_cohort
from recurrence.survival import cause_specific_cox, cox
from recurrence.survival._core import cox as core
from recurrence.survival._core.concordance import concordance_counts
from recurrence.survival.cox import timefix

SYN = ["closure", "age", "smoker", "diabetes", "defect_width_mm"]


@pytest.fixture(scope="module")
def cohort():
    return load_cohort()


@pytest.fixture(scope="module")
def small():
    return pd.read_csv(ROOT / "tests" / "data" / "surv_models_small.csv")


@pytest.fixture(scope="module")
def fit(cohort):
    return cox(cohort, SYN)


def test_table_shape_and_values(fit):
    t = fit.table
    assert list(t.columns) == ["coef", "hr", "se", "ci_low", "ci_high", "pvalue"]
    assert list(t.index) == SYN and t.index.name == "term"
    np.testing.assert_allclose(t["hr"], np.exp(t["coef"]))
    np.testing.assert_allclose(np.log(t["ci_low"]), t["coef"] - 1.959963984540054 * t["se"])
    assert (t["pvalue"] > 0).all() and (t["pvalue"] < 1).all()
    assert 0.5 < fit.concordance < 1
    assert list(fit.ph_test.columns) == ["chisq", "df", "pvalue"]
    assert list(fit.ph_test.index) == [*SYN, "GLOBAL"]
    assert fit.aic == pytest.approx(-2 * fit.loglik + 2 * len(SYN))
    assert (fit.n, fit.events) == (2000, 210)
    stat, df, p = fit.lr_test
    assert df == 5 and stat > 0 and 0 <= p < 0.05
    assert fit.cov.shape == (5, 5)


def test_repr_html_and_remarks(fit):
    text = repr(fit)
    assert text.startswith("Cox proportional hazards model")
    assert "cause-specific hazard of reherniation (event 1): 2,000 patients, 210 events" in text
    assert "[1] cause-specific hazard of reherniation: 145 other events (event 2)" in text
    html = fit._repr_html_()
    assert "<table" in html and "closure" in html and "<ol" in html
    assert fit.balance is None and fit.label == "Cox"


def test_the_function_survives_importing_the_submodule(cohort):
    """The module shares the function's name; importing it must not shadow the function."""
    import importlib

    import recurrence.survival

    importlib.import_module("recurrence.survival.cox")
    assert callable(recurrence.survival.cox)
    assert recurrence.survival.cox(cohort, ["closure"]).events == 210


def test_breslow_equals_frequency_weights_as_duplicated_rows(small):
    """Breslow's likelihood with integer case weights is that of duplicated rows."""
    dup = small.loc[small.index.repeat(small["w_int"])]
    a = cox(small, ["x1", "x2"], weights="w_int", ties="breslow")
    b = cox(dup, ["x1", "x2"], ties="breslow")
    np.testing.assert_allclose(a.table[["coef", "se"]], b.table[["coef", "se"]], rtol=1e-8)
    assert not a.robust and a.loglik == pytest.approx(b.loglik, rel=1e-10)


def test_score_residuals_sum_to_the_score(small):
    """Σ wᵢ·(score residual)ᵢ equals the score (Efron-aware, strata, weights), at any β."""
    x = small[["x1", "x2"]].to_numpy(float)
    t, dead = small["time"].to_numpy(float), small["event"].to_numpy() == 1
    w = small["w"].to_numpy()
    strata = pd.factorize(small["grp"])[0]
    st = core.make_strata(t, dead, x, w, strata, "efron")
    beta = np.array([0.3, -0.2])
    _, u, _, _ = core.evaluate(st, beta)
    res = core.score_residuals(st, beta, len(t))
    np.testing.assert_allclose((res * w[:, None]).sum(axis=0), u, atol=1e-12)


def test_information_is_the_derivative_of_the_score(small):
    x = small[["x1", "x2"]].to_numpy(float)
    t, dead = small["time"].to_numpy(float), small["event"].to_numpy() == 1
    st = core.make_strata(t, dead, x, small["w"].to_numpy(), None, "efron")
    beta, eps = np.array([0.2, 0.1]), 1e-6
    h = core.evaluate(st, beta)[2]
    for j in range(2):
        e = np.eye(2)[j] * eps
        du = (core.evaluate(st, beta + e)[1] - core.evaluate(st, beta - e)[1]) / (2 * eps)
        np.testing.assert_allclose(-du, h[:, j], rtol=1e-6)


def _brute_concordance(t, d, lp, w):
    c = dd = tt = 0.0
    for i in np.flatnonzero(d):
        later = (t > t[i]) | ((t == t[i]) & ~d)
        later[i] = False
        ww = w[i] * w[later]
        c += ww[lp[later] < lp[i]].sum()
        dd += ww[lp[later] > lp[i]].sum()
        tt += ww[lp[later] == lp[i]].sum()
    return np.array([c, dd, tt])


def test_concordance_counts_match_brute_force():
    rng = np.random.default_rng(4)
    for _ in range(50):
        n = int(rng.integers(1, 60))
        t = rng.integers(1, 9, n).astype(float)
        d = rng.random(n) < 0.6
        lp = rng.integers(0, 6, n) * 0.25
        w = rng.uniform(0.5, 2, n)
        np.testing.assert_allclose(concordance_counts(t, d, lp, w), _brute_concordance(t, d, lp, w))


def test_timefix_merges_near_ties_like_aeqsurv():
    t = np.array([3.0, 1.0, 1.0 + 1e-10, 2.0, 1.0 + 2e-10])
    assert timefix(t).tolist() == [3.0, 1.0, 1.0, 2.0, 1.0]
    same = np.array([1.0, 2.0, 3.0])
    assert timefix(same) is same


def test_strata_cluster_and_weights_remarks(cohort):
    fit = cox(cohort, ["closure", "smoker"], strata="approach", cluster="site")
    assert fit.robust and "robust_se" in fit.table.columns
    text = " ".join(fit.remarks)
    assert "stratified by approach (3 strata)" in text
    assert "clustered by site (6 clusters)" in text and "only 6 clusters" in text
    assert "approach" not in fit.table.index


def test_ph_doubtful_remark():
    """Crossing hazards: early events in group 1, late ones in group 0."""
    rng = np.random.default_rng(1)
    g = np.repeat([0, 1], 300)
    t = np.where(g == 1, rng.exponential(2, 600), 4 + rng.exponential(2, 600))
    d = pd.DataFrame({"time": t, "event": 1, "grp": g})
    fit = cox(d, ["grp"])
    assert fit.ph_test.loc["grp", "pvalue"] < 0.001
    # "p < 0.001", not "p = <0.001" (as it printed until a registry's report showed it)
    assert any(
        r.startswith("proportional hazards doubtful for grp (p < 0.001, cox.zph)")
        for r in fit.remarks
    )


def test_cause_specific_cox_for_the_competing_event(cohort):
    fit = cause_specific_cox(cohort, ["closure"], event=2)
    assert fit.events == 145 and fit.label == "Cause-specific Cox, event 2"
    assert "cause-specific hazard of competing event: 210 other events (event 1)" in fit.remarks[0]
    recoded = cohort.assign(event=cohort["event"].map({0: 0, 1: 2, 2: 1}))
    np.testing.assert_allclose(cox(recoded, ["closure"]).table["coef"], fit.table["coef"])
    with pytest.raises(DataError, match=r"event must be one of \[1, 2\] \(got '1'\)"):
        cause_specific_cox(cohort, ["closure"], event="1")


def test_categorical_covariate_gets_one_ph_test(cohort):
    fit = cox(cohort, ["closure", "level"])
    assert list(fit.table.index) == ["closure", "level[L4/5]", "level[L5/S1]"]
    assert fit.ph_test.loc["level", "df"] == 2


def test_input_not_modified(cohort):
    before = cohort.copy()
    cox(cohort, ["closure", "smoker"], cluster="site", strata="approach")
    pd.testing.assert_frame_equal(cohort, before)


def test_missing_covariates_are_left_out_and_said(cohort):
    d = cohort.copy()
    d.loc[d.index[:7], "age"] = np.nan
    fit = cox(d, ["closure", "age"])
    assert fit.n == 1993 and "7 patients left out for missing values" in fit.remarks


# ---- degenerate inputs ----------------------------------------------------------------


def test_no_events_is_a_data_error(cohort):
    with pytest.raises(DataError, match="no patient has event 1 \\(reherniation\\)"):
        cox(cohort.assign(event=0), ["closure"])


def test_constant_covariate_is_left_out_with_a_warning(cohort):
    with pytest.warns(StatisticalWarning, match="'k' is the same for every patient: it was left"):
        fit = cox(cohort.assign(k=3.0), ["closure", "k"])
    assert np.isnan(fit.table.loc["k"]).all() and np.isfinite(fit.table.loc["closure", "coef"])
    assert list(fit.ph_test.index) == ["closure", "GLOBAL"]
    with pytest.raises(DataError, match="no covariate is left to estimate: 'k' is the same"):
        cox(cohort.assign(k=3.0), ["k"])


def test_collinear_covariate_is_left_out(cohort):
    with pytest.warns(StatisticalWarning, match="'age2' carries no information beyond 'age'"):
        fit = cox(cohort.assign(age2=2 * cohort["age"] + 1), ["age", "age2"])
    assert np.isnan(fit.table.loc["age2", "coef"])


def test_monotone_likelihood_warns_and_names_the_term(cohort):
    """No reherniation among closed annuli: the closure coefficient runs to −∞."""
    d = cohort.assign(
        event=np.where(cohort["closure"] & (cohort["event"] == 1), 0, cohort["event"])
    )
    with pytest.warns(ConvergenceWarning, match="'closure' appears to be infinite"):
        fit = cox(d, ["closure", "age"])
    assert not fit.converged and fit.table.loc["closure", "coef"] < -5
    assert any("monotone likelihood" in r for r in fit.remarks)


def test_perfect_ordering_by_a_continuous_covariate():
    """Higher x always fails first: β → ∞ until exp(η) underflows. A named
    ConvergenceWarning, no numpy warning, finite estimates for the other term."""
    rng = np.random.default_rng(0)
    t = np.arange(1.0, 201.0)
    d = pd.DataFrame(
        {
            "time": t,
            "event": (rng.random(200) < 0.5).astype(int),
            "x": -10 * t,
            "z": rng.normal(size=200),
        }
    )
    with pytest.warns(ConvergenceWarning, match="did not converge in .*: 'x' appears to be"):
        fit = cox(d, ["x", "z"])
    assert np.isfinite(fit.table.loc["z", "coef"])


def test_single_patient_and_single_patient_at_risk():
    with pytest.raises(DataError, match="at least 2 patients"):
        cox(pd.DataFrame({"time": [1.0], "event": [1], "x": [0.5]}), ["x"])
    d = pd.DataFrame(
        {
            "time": [1.0, 2, 3, 4, 5, 6],
            "event": [1, 0, 1, 1, 0, 1],
            "x": [0.2, 1.0, 0.5, 0.1, 0.9, 0.4],
        }
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fit = cox(d, ["x"])  # the last event has one patient at risk: no information, no harm
    assert np.isfinite(fit.table.loc["x", "se"])


def test_all_events_tied(small):
    fit = cox(small.assign(time=small["time_tied"]), ["x1", "x2"])
    assert np.isfinite(fit.table["coef"]).all()
    assert fit.ph_test["chisq"].isna().all()
    assert "all events happen at one time" in " ".join(fit.remarks)
    assert "proportional hazards (cox.zph)" not in repr(fit)


def test_bad_arguments(cohort):
    with pytest.raises(DataError, match="ties must be 'efron' or 'breslow'"):
        cox(cohort, ["closure"], ties="exact")
    with pytest.raises(DataError, match="level must be between 0 and 1"):
        cox(cohort, ["closure"], level=1.5)
    with pytest.raises(DataError, match="at least one covariate"):
        cox(cohort, [])
    with pytest.raises(DataError, match="weights has 3 values for 2000 patients"):
        cox(cohort, ["closure"], weights=[1, 2, 3])
    with pytest.raises(DataError, match="weights must be finite and ≥ 0"):
        cox(cohort, ["closure"], weights=-np.ones(2000))
    with pytest.raises(DataError, match="every patient with event 1 has weight 0"):
        cox(cohort, ["closure"], weights=np.where(cohort["event"] == 1, 0.0, 1.0))
    with pytest.raises(DataError, match="weights='iptw' needs the propensity covariates"):
        cox(cohort, ["closure"], weights="iptw")
    with pytest.raises(DataError, match="propensity= is only used with weights='iptw'"):
        cox(cohort, ["closure"], propensity=["age"])
    with pytest.raises(DataError, match="column 'nope' is not in the cohort"):
        cox(cohort, ["closure"], strata="nope")


def test_singular_information_gives_nan_se_and_a_named_warning():
    # Found by the property tests (tests/hostile/test_estimator_properties.py): one event,
    # every time tied, two covariates. The information matrix is numerically singular;
    # the standard errors must be NaN with a StatisticalWarning, not a numpy warning.
    import warnings

    from recurrence.errors import RecurrenceWarning

    c = pd.DataFrame(
        {
            "patient_id": [f"p{i}" for i in range(6)],
            "closure": [True, False, False, True, False, False],
            "time": 1.0,
            "event": [0, 0, 0, 1, 0, 0],
            "age": [78.0, 18, 18, 82, 18, 18],
        }
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = cox(c, ["closure", "age"])
    assert all(issubclass(w.category, RecurrenceWarning) for w in caught), caught
    messages = " ".join(str(w.message) for w in caught)
    # The inverse of a numerically singular matrix is rounding: on one machine (Intel,
    # 2026-12-01) a variance came out negative, on another (AMD EPYC, 2026-12-02) about
    # 1e15. Either way the user is told, in our words: no SE at all, or the coefficients
    # named as infinite (as coxph's "Loglik converged before variable") with an SE that
    # says there is no information.
    if res.table["se"].isna().any():
        assert "cannot be estimated" in messages
    else:
        assert "appears to be infinite" in messages and (res.table["se"] > 1e5).all()


def test_the_concordance_is_counted_once_when_first_read(monkeypatch):
    """Harrell's C took 5 s of each Cox fit at 5M patients, and the report never prints
    it: it is counted the first time ``.concordance`` is read, once, and a pickled
    result (results cross processes) still has what it is counted from."""
    import pickle
    import sys

    counting = sys.modules["recurrence.survival._core.concordance"]
    calls = []
    real = counting.concordance
    monkeypatch.setattr(counting, "concordance", lambda *a: calls.append(1) or real(*a))
    fit = cox(load_cohort(), ["closure", "age"])
    assert calls == []
    value = fit.concordance
    assert fit.concordance == value and calls == [1]
    assert 0.5 < value < 0.7  # coxph: 0.5972 (tests/test_survival_cox_r.py holds it to R)
    again = pickle.loads(pickle.dumps(cox(load_cohort(), ["closure", "age"])))
    assert again.concordance == value and calls == [1, 1]
