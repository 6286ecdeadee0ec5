"""Few studies: modified HKSJ, Bayesian pooling, reported effects, sensitivity across
methods, GLMM for odds ratios, risk of bias, GRADE. Behaviour and edge cases; the
numbers against R are in test_meta_few_studies_r.py, test_meta_bayes_r.py and
test_meta_tsa.py."""

from __future__ import annotations

import warnings

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

import recurrence
from recurrence import DataError, meta
from recurrence.meta.bayes import bayes_many, parse_prior
from recurrence.meta.datasets import bcg
from recurrence.meta.rob import check_rob, without_high_risk
from recurrence.plotting.forest import forest_data


def quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args, **kwargs)


@pytest.fixture(scope="module")
def b():
    return bcg()


def counts(t):
    return t.events_closure, t.total_closure, t.events_control, t.total_control


# ------------------------------------------------------------------ adhoc -----
def test_adhoc_is_never_narrower_than_the_usual_interval():
    rng = np.random.default_rng(3)
    vi = rng.uniform(0.01, 0.2, (500, 5))
    yi = rng.normal(0.0, np.sqrt(vi))  # homogeneous: the HKSJ scale is often below 1
    usual = meta.pool_many(yi, vi, method="REML")
    plain = meta.pool_many(yi, vi, method="REML", hksj=True)
    adhoc = meta.pool_many(yi, vi, method="REML", hksj="adhoc")
    assert (adhoc.se >= usual.se * (1 - 1e-12)).all()
    assert (adhoc.se >= plain.se * (1 - 1e-12)).all()
    assert (plain.se < usual.se).any()  # the case the modification is for
    assert adhoc.hksj == "adhoc" and adhoc.df == 4


def test_adhoc_floor_is_remarked():
    res = quiet(
        meta.compare,
        [10, 11, 9, 12],
        [100, 105, 98, 110],
        [20, 21, 19, 22],
        [100, 103, 97, 108],
        hksj="adhoc",
    )
    assert any("floored at 1" in r for r in res.remarks)
    assert "modified HKSJ" in res.describe_model()


@pytest.mark.parametrize("bad", ["yes", 2, "knha"])
def test_hksj_values_are_checked(b, bad):
    with pytest.raises(DataError, match="hksj"):
        meta.compare(*counts(b), hksj=bad)


# ------------------------------------------------------------------ bayes -----
def test_bayes_single_and_batch_agree(b):
    res = meta.compare(*counts(b), method="bayes")
    batch = meta.pool_many(res.yi[None, :], res.vi[None, :], method="bayes")
    assert np.log(res.estimate) == pytest.approx(batch.estimate[0], rel=1e-12)
    assert res.tau2 == pytest.approx(batch.tau2[0], rel=1e-12)
    assert res.tau_ci == pytest.approx((batch.tau_ci_low[0], batch.tau_ci_high[0]))
    assert res.ci_low < res.estimate < res.ci_high and res.pi_low < res.ci_low
    assert np.isnan(res.pvalue) and res.tau_prior == "halfnormal(0.5)"
    assert res.table["weight"].sum() == pytest.approx(100)
    # shrinkage estimates lie between each study's estimate and the pooled one
    t = res.table
    lo = np.minimum(t["estimate"], res.estimate)
    hi = np.maximum(t["estimate"], res.estimate)
    assert ((t["shrunk"] >= lo - 1e-9) & (t["shrunk"] <= hi + 1e-9)).all()


def test_bayes_predictive_interval_with_two_studies():
    res = quiet(meta.compare, [1, 33], [30, 272], [6, 64], [30, 253], method="bayes")
    assert res.k == 2 and res.pi_low is not None and res.pi_low < res.ci_low


def test_bayes_one_study_posterior_of_tau_is_its_prior():
    fit = bayes_many([[0.3]], [[0.04]], "halfnormal(0.5)")
    q = fit.tau_quantile([0.25, 0.5, 0.9])[0]
    # half-normal(0.5) quantiles: 0.5 * Φ^-1((1 + p) / 2)
    from scipy import stats

    np.testing.assert_allclose(
        q, 0.5 * stats.norm.ppf((1 + np.array([0.25, 0.5, 0.9])) / 2), rtol=1e-8
    )


def test_bayes_prior_changes_the_answer_and_is_validated(b):
    narrow = meta.compare(*counts(b), method="bayes", tau_prior="halfnormal(0.1)")
    wide = meta.compare(*counts(b), method="bayes", tau_prior="halfcauchy(1)")
    assert narrow.tau < wide.tau
    unif = meta.compare(*counts(b), method="bayes", tau_prior="uniform(0.2, 0.4)")
    assert 0.2 <= unif.tau_ci[0] < unif.tau_ci[1] <= 0.4
    for bad in ("normal(1)", "halfnormal(-1)", "uniform(2, 1)", "halfnormal(a)"):
        with pytest.raises(DataError, match="tau_prior"):
            meta.compare(*counts(b), method="bayes", tau_prior=bad)
    assert str(parse_prior(" HalfCauchy( 0.25 ) ")) == "halfcauchy(0.25)"


def test_bayes_inputs_not_mutated_and_proportions():
    x, n = np.array([1.0, 6, 2, 0]), np.array([75.0, 171, 60, 30])
    before = (x.copy(), n.copy())
    res = meta.proportions(x, n, method="bayes")
    assert (x == before[0]).all() and (n == before[1]).all()
    assert 0 < res.ci_low < res.estimate < res.ci_high < 1
    assert res.table["shrunk"].between(0, 1).all()


def test_bayes_many_analyses_converge():
    rng = np.random.default_rng(5)
    vi = rng.uniform(0.01, 0.5, (300, 8))
    yi = rng.normal(0.2, np.sqrt(vi + rng.uniform(0, 0.3, (300, 1))))
    batch = meta.pool_many(yi, vi, method="bayes", labels=[f"sim {i}" for i in range(300)])
    assert batch.converged.all() and batch.to_frame()["analysis"].iloc[-1] == "sim 299"
    assert (batch.ci_low < batch.estimate).all() and (batch.pi_high > batch.ci_high).all()


def test_bayes_result_plots_tau_posterior(b):
    res = meta.compare(*counts(b), method="bayes")
    ax = res.plot_tau()
    gids = {a.get_gid() for a in ax.get_children()}
    assert {"bayes:posterior", "bayes:prior", "bayes:median"} <= gids
    with pytest.raises(TypeError):
        quiet(meta.compare, *counts(b)).plot_tau()
    plt.close("all")


def test_trim_and_fill_on_a_bayes_result_uses_reml(b):
    res = meta.compare(*counts(b), method="bayes")
    tf = quiet(meta.trim_and_fill, res)
    assert any("REML" in r for r in tf.remarks)


# ------------------------------------------------------------------ pool_many -
def test_pool_many_labels_and_plot():
    batch = meta.pool_many(
        [[0.1, 0.3, 0.2], [0.5, 0.4, 0.6]],
        [[0.02] * 3] * 2,
        method="DL",
        labels=["first", "second"],
    )
    ax = batch.plot()
    line = next(a for a in ax.get_lines() if a.get_gid() == "many:estimate")
    np.testing.assert_allclose(line.get_xdata(), batch.estimate)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["first", "second"]
    with pytest.raises(DataError, match="labels"):
        meta.pool_many([[0.1, 0.2]], [[0.1, 0.1]], labels=["a", "b"])
    plt.close("all")


# ------------------------------------------------------------------ generic ---
def test_generic_result_works_with_plots_and_bias_tools():
    hr = [0.62, 0.95, 0.38, 0.81, 0.55, 1.12, 0.7, 0.9, 0.6, 0.75]
    lo = [0.41, 0.70, 0.22, 0.55, 0.30, 0.74, 0.5, 0.6, 0.35, 0.5]
    hi = [0.94, 1.29, 0.66, 1.19, 1.01, 1.70, 0.98, 1.35, 1.03, 1.12]
    res = quiet(meta.generic, hr, ci_low=lo, ci_high=hi, labels=list("ABCDEFGHIJ"))
    assert res.measure == "HR" and res.is_ratio and res.k == 10
    np.testing.assert_allclose(res.table["estimate"], hr)
    assert meta.egger_test(res).k == 10
    assert quiet(meta.trim_and_fill, res).k >= 10
    assert len(quiet(meta.leave_one_out, res)) == 10
    ax = res.plot()
    assert any(t.get_text().startswith("Hazard ratio") for t in [ax.xaxis.label])
    plt.close("all")


def test_generic_problems_name_the_rows():
    with pytest.raises(DataError) as err:
        meta.generic(
            [0.5, -1.0, 0.8, 0.7], ci_low=[0.3, 0.2, 0.9, None], ci_high=[0.9, 0.5, 1.2, None]
        )
    text = str(err.value)
    assert "row 2: is 0 or negative" in text and "rows 2, 3: lies outside its interval" in text
    assert "no standard error, interval or p-value" in text
    with pytest.raises(DataError, match="counts"):
        meta.generic([0.5, 0.6], se=[0.1, 0.2], method="MH")
    with pytest.raises(DataError, match="measure"):
        meta.generic([0.5], se=[0.1], measure="SMD")


def test_generic_differences_are_pooled_as_given():
    res = quiet(meta.generic, [1.0, 3.0], se=[1.0, 1.0], measure="MD", method="FE")
    assert res.estimate == pytest.approx(2.0) and not res.is_ratio


# ------------------------------------------------------------------ GLMM OR ---
def test_glmm_needs_odds_ratios(b):
    with pytest.raises(DataError, match="odds ratios"):
        meta.compare(*counts(b), measure="RR", method="GLMM")
    res = quiet(meta.compare, *counts(b), measure="OR", method="GLMM")
    assert "UM.FS" in " ".join(res.remarks)


# ------------------------------------------------------------------ sensitivity
def test_sensitivity_rows_by_measure(b):
    rr = meta.sensitivity(b, measure="RR")
    assert "Peto" not in rr.table["method"].tolist() and "GLMM" not in rr.table["method"].tolist()
    assert list(rr.table.columns[:5]) == ["method", "estimate", "ci_low", "ci_high", "tau2"]
    prop = quiet(meta.sensitivity, recurrence.load_studies(), measure="proportion", arm="closure")
    methods = prop.table["method"].tolist()
    assert "GLMM" in methods and "MH" not in methods
    assert (prop.table["estimate"].between(0, 1)).all()
    # from a result: the same studies and measure
    res = quiet(meta.compare, *counts(b), measure="OR")
    again = meta.sensitivity(res)
    pd.testing.assert_frame_equal(again.table, meta.sensitivity(b, measure="OR").table)
    with pytest.raises(DataError, match="measure"):
        meta.sensitivity(b, measure="HR")


def test_sensitivity_adds_the_analysis_without_high_risk(b):
    table = b.assign(rob=["high"] * 3 + ["low"] * 10)
    sens = meta.sensitivity(table)
    row = sens.table.set_index("method").loc["REML without high risk of bias"]
    assert row["k"] == 10
    assert any("3 of 13 studies left out" in r for r in sens.remarks)


def test_sensitivity_plot_draws_every_method(b):
    sens = meta.sensitivity(b, measure="OR")
    ax = sens.plot()
    marks = [a for a in ax.get_lines() if a.get_gid() == "sensitivity:estimate"]
    assert len(marks) == len(sens.table)
    assert [t.get_text() for t in ax.get_yticklabels()] == sens.table["method"].tolist()
    plt.close("all")


# ------------------------------------------------------------------ risk of bias
def test_check_rob_spellings_and_errors():
    table = pd.DataFrame(
        {
            "study": list("ABCDE"),
            "rob": [" LOW", "Some Concerns", "serious", None, ""],
            "rob_d2": ["no information", "moderate", "critical", "high", "low"],
        }
    )
    out = check_rob(table)
    assert out["rob"].tolist()[:3] == ["low", "some concerns", "serious"]
    assert out["rob"].isna().sum() == 2
    assert table["rob"].iloc[0] == " LOW"  # input untouched
    with pytest.raises(DataError) as err:
        check_rob(table.assign(rob_d1=["low", "unclear", "good", "low", "low"]), source="s.csv")
    assert "rows 2, 3" in str(err.value) and "'unclear'" in str(err.value)


def test_without_high_risk_needs_judgements(b):
    res = quiet(meta.compare, *counts(b))
    with pytest.raises(DataError, match="risk-of-bias"):
        without_high_risk(res)
    res = quiet(meta.compare, *counts(b), data=b.assign(rob="high"))
    with pytest.raises(DataError, match="every study"):
        without_high_risk(res)


def test_rob_plots_and_forest_column(b):
    table = b.assign(rob=["low", "high"] * 6 + ["some concerns"], rob_d1="low")
    ax = recurrence.plotting.plot_rob(table)
    circles = [a for a in ax.collections if a.get_gid() == "rob:circle"]
    assert len(circles[0].get_offsets()) == 2 * len(table)
    ax2 = recurrence.plotting.plot_rob_summary(table)
    assert len([p for p in ax2.patches if p.get_gid() == "rob:bar"]) == 1 + 3
    res = quiet(meta.compare, *counts(table), data=table, labels=table.study)
    data = forest_data(res)
    assert ("rob", "RoB") in data.left
    studies = data.rows[data.rows["kind"] == "study"]
    assert studies["rob"].tolist() == ["+", "×"] * 6 + ["–"]
    plt.close("all")


# ------------------------------------------------------------------ GRADE -----
def test_summary_of_findings_absolute_effects(b):
    res = quiet(meta.compare, *counts(b))
    sof = meta.summary_of_findings(res, control_risk=0.1)
    row = sof.table.iloc[0]
    assert row["assumed_per_1000"] == pytest.approx(100)
    assert row["corresponding_per_1000"] == pytest.approx(100 * res.estimate)
    assert row["corresponding_low"] == pytest.approx(100 * res.ci_low)
    assert row["difference_per_1000"] == pytest.approx(100 * res.estimate - 100)
    assert row["participants"] == int((b.total_closure + b.total_control).sum())
    odds = quiet(meta.compare, *counts(b), measure="OR")
    row = meta.summary_of_findings(odds, control_risk=0.2).table.iloc[0]
    assert row["corresponding_per_1000"] == pytest.approx(
        1000 * 0.2 * odds.estimate / (1 - 0.2 + 0.2 * odds.estimate)
    )


def test_summary_of_findings_user_overrides(b):
    res = quiet(meta.compare, *counts(b))
    auto = meta.summary_of_findings(res)
    user = meta.summary_of_findings(res, certainty={"inconsistency": 0, "start": "high"})
    dom = user.domains.set_index("domain")
    assert dom.loc["inconsistency", "source"] == "user" and dom.loc["inconsistency", "applied"] == 0
    assert (
        dom.loc["inconsistency", "suggested"]
        == auto.domains.set_index("domain").loc["inconsistency", "suggested"]
    )
    levels = ["very low", "low", "moderate", "high"]
    assert levels.index(user.certainty) == max(0, 3 + int(user.domains["applied"].sum()))
    for bad in ({"bias": -1}, {"imprecision": -3}, {"start": "moderate"}):
        with pytest.raises(DataError, match="certainty"):
            meta.summary_of_findings(res, certainty=bad)


def test_summary_of_findings_reported_hazard_ratios_need_control_risk():
    res = quiet(meta.generic, [0.6, 0.8], ci_low=[0.4, 0.6], ci_high=[0.9, 1.07])
    with pytest.raises(DataError, match="control_risk"):
        meta.summary_of_findings(res)
    sof = meta.summary_of_findings(res, control_risk=0.15)
    assert sof.table.iloc[0]["corresponding_per_1000"] == pytest.approx(
        1000 * (1 - 0.85**res.estimate)
    )


def test_summary_of_findings_risk_of_bias_from_the_study_table(b):
    table = b.assign(rob="high")
    res = quiet(meta.compare, *counts(table), data=table)
    dom = meta.summary_of_findings(res).domains.set_index("domain")
    assert dom.loc["risk_of_bias", "suggested"] == -2
    assert "100% of the weight" in dom.loc["risk_of_bias", "reason"]


def test_risk_of_bias_read_from_a_csv_through_load_studies(tmp_path, root):
    table = pd.read_csv(root / "tests" / "data" / "meta_published.csv")
    table["rob"] = ["Low", "some concerns", "HIGH", "serious", "low", "moderate", "low"] + [""] * 3
    path = tmp_path / "studies.csv"
    table.to_csv(path, index=False)
    studies = quiet(recurrence.load_studies, path)
    rr = quiet(meta.compare_studies, studies, "RR")
    sub = without_high_risk(rr)
    assert sub.k == rr.k - 2 and "Parker 2016, Swiss ACD cohort" in sub.remarks[0]
    rows = forest_data(rr).rows
    assert rows.loc[rows["kind"] == "study", "rob"].tolist() == ["+", "–", "×", "×", "+", "–", "+"]
