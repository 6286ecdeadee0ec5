"""The reviewer's analyses beyond their R references: argument checks, edge cases, the
data behind the plots (R values are in test_survival_cohort_r.py)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from recurrence import DataError, load_cohort
from recurrence.plotting.facets import curve_facet_data, plot_curve_facets
from recurrence.plotting.subgroups import plot_subgroups, subgroup_forest_data
from recurrence.plotting.survival import plot_cumulative_incidence, plot_survival
from recurrence.survival import (
    cox,
    cumulative_incidence,
    fine_gray,
    kaplan_meier,
    logrank,
    subgroups,
)
from recurrence.survival._terms import model_matrix, parse_terms


@pytest.fixture(scope="module")
def cohort():
    return load_cohort()


@pytest.fixture()
def reaches_zero():
    # closure arm: its last patient at risk (time 4) has the event
    return pd.DataFrame(
        {
            "closure": [True] * 4 + [False] * 4,
            "time": [1.0, 2, 3, 4, 5, 6, 7, 8],
            "event": [1, 0, 1, 1, 1, 0, 1, 0],
        }
    )


def test_curve_at_zero_stays_zero_other_curve_is_nan_past_follow_up(reaches_zero):
    km = kaplan_meier(reaches_zero)
    at = km.at([4, 9, 100]).set_index(["group", "time"])
    assert at.loc[("closure", 9.0), "survival"] == 0.0
    assert at.loc[("closure", 100.0), "survival"] == 0.0
    assert np.isnan(at.loc[("closure", 9.0), "ci_low"])  # R: NA at 0
    assert np.isnan(at.loc[("no closure", 9.0), "survival"])  # censored at 8, above 0
    assert at.loc[("closure", 9.0), "at_risk"] == 0


def test_conf_types_nest_and_refuse_unknown(cohort):
    kinds = {c: kaplan_meier(cohort, conf_type=c).at([24]) for c in ("log-log", "log", "plain")}
    for frame in kinds.values():
        assert (frame["ci_low"] < frame["survival"]).all()
        assert (frame["survival"] < frame["ci_high"]).all()
    # same point estimate whatever the interval
    assert np.allclose(kinds["log"]["survival"], kinds["plain"]["survival"])
    with pytest.raises(DataError, match="conf_type must be one of"):
        kaplan_meier(cohort, conf_type="arcsin")


def test_median_is_nan_when_the_curve_stays_above_half(cohort, reaches_zero):
    assert kaplan_meier(cohort).median["median"].isna().all()  # reherniation is rare
    med = kaplan_meier(reaches_zero).median.set_index("group")
    assert med.loc["closure", "median"] == 3.0
    with pytest.raises(DataError, match="probs"):
        kaplan_meier(cohort).quantile([1.5])


def test_risk_table_adds_up(cohort):
    for res in (kaplan_meier(cohort), cumulative_incidence(cohort)):
        tab = res.risk_table_at([0, 12, 24, 60])
        for g, block in tab.groupby("group", observed=True):
            n = int(res.overview.set_index("group").loc[g, "n"])
            exits = (
                block["cumulative_events"]
                + block["cumulative_competing"]
                + block["cumulative_censored"]
            )
            # at risk at t = n − exits before t; the counts include exits at t itself
            assert (block["at_risk"] + exits >= n).all()
            assert block["at_risk"].iloc[0] == n and exits.iloc[0] == 0
            assert block["cumulative_events"].is_monotonic_increasing
        assert list(res.risk_table.columns) == list(tab.columns)


def test_two_grouping_columns(cohort):
    km = kaplan_meier(cohort, by=["closure", "approach"])
    assert km.groups[0] == "no closure · MED" and len(km.groups) == 6
    assert list(km.by_levels.columns) == ["group", "closure", "approach"]
    n = km.overview.set_index("group")["n"]
    assert n.sum() == len(cohort)
    assert n["closure · PELD"] == int((cohort["closure"] & (cohort["approach"] == "PELD")).sum())
    with pytest.raises(DataError, match="one grouping column or two"):
        kaplan_meier(cohort, by=["closure", "approach", "sex"])
    with pytest.raises(DataError, match="not in the cohort"):
        kaplan_meier(cohort, by=["closure", "nope"])


def test_kmunicate_rows_are_drawn_with_the_counts(cohort):
    km = kaplan_meier(cohort)
    ax = plot_survival(km, times=[0, 24, 48])
    tab = km.risk_table_at([0, 24, 48]).query("group == 'closure'")
    got = [t.get_text() for t in ax.texts if t.get_gid() == "events:closure"]
    assert got == [f"{n:,}" for n in tab["cumulative_events"]]
    censored = tab["cumulative_censored"] + tab["cumulative_competing"]  # KM censors both
    got = [t.get_text() for t in ax.texts if t.get_gid() == "censored_n:closure"]
    assert got == [f"{n:,}" for n in censored]
    plt.close("all")
    ax = plot_cumulative_incidence(cumulative_incidence(cohort), times=[0, 24])
    assert any(t.get_gid() == "competing:closure" for t in ax.texts)
    ax = plot_survival(km, risk_table="at_risk")
    assert not any(str(t.get_gid()).startswith("events:") for t in ax.texts)
    with pytest.raises(ValueError, match="risk_table"):
        plot_survival(km, risk_table="everything")
    plt.close("all")


def test_two_column_curves_get_colour_per_arm_and_style_per_level(cohort):
    ax = plot_survival(kaplan_meier(cohort, by=["closure", "approach"]), risk_table=False)
    lines = {ln.get_gid(): ln for ln in ax.get_lines() if str(ln.get_gid()).startswith("curve:")}
    a, b = lines["curve:closure · MED"], lines["curve:closure · PELD"]
    assert a.get_color() == b.get_color() and a.get_linestyle() != b.get_linestyle()
    c = lines["curve:no closure · MED"]
    assert c.get_color() != a.get_color() and c.get_linestyle() == a.get_linestyle()
    plt.close("all")


def test_facets_one_panel_per_level(cohort):
    res = cumulative_incidence(cohort, by=["closure", "approach"])
    data = curve_facet_data(res)
    assert set(data["closure"]) == {"closure", "no closure"}
    grid = plot_curve_facets(res, ci=False)
    assert len(grid.axes.flat) == 3
    assert all(len(ax.get_lines()) == 2 for ax in grid.axes.flat)
    with pytest.raises(ValueError, match="two columns"):
        curve_facet_data(cumulative_incidence(cohort))
    plt.close("all")


def test_logrank_rho_checks_and_weighted_columns(cohort):
    lr = logrank(cohort, rho=1)
    assert {"weighted_observed", "weighted_expected"} <= set(lr.table.columns)
    # the weights are ≤ 1: weighted counts never exceed the counts
    assert (lr.table["weighted_observed"] <= lr.table["observed"]).all()
    assert "weighted_observed" not in logrank(cohort).table
    with pytest.raises(DataError, match="rho must be a finite number"):
        logrank(cohort, rho="high")


def test_ph_transform_refuses_unknown(cohort):
    with pytest.raises(DataError, match="ph_transform must be one of"):
        cox(cohort, ["closure"], ph_transform="sqrt")


def test_terms_parse_and_code_as_r():
    assert parse_terms(["a*b*c"])[-1] == ("a", "b", "c")
    assert len(parse_terms(["a*b*c"])) == 7
    with pytest.raises(DataError, match="empty name"):
        parse_terms(["closure:"])
    df = pd.DataFrame({"closure": [True, False, True], "x": [1.0, 2.0, np.nan]})
    # R: colnames(model.matrix(~ closure:x)) is closureFALSE:x, closureTRUE:x (no main
    # effect of x: closure by indicators) and model.matrix(~ x + closure:x) gives x,
    # x:closureTRUE (the term is labelled in order of first appearance)
    x, names = model_matrix(df, ["closure:x"])
    assert names == ["closure[False]:x", "closure[True]:x"]
    assert x["closure[True]:x"].tolist()[:2] == [1.0, 0.0]
    assert np.isnan(x["closure[True]:x"].iloc[2])
    assert model_matrix(df, ["x", "closure:x"])[1] == ["x", "x:closure"]


def test_interactions_refused_before_are_fitted(cohort):
    fit = cox(cohort, ["closure", "closure:sex"])
    assert list(fit.table.index) == ["closure", "closure[False]:sex[M]", "closure[True]:sex[M]"]
    assert list(fit.ph_test.index) == ["closure", "closure:sex", "GLOBAL"]
    fg = fine_gray(cohort, ["closure*approach"])
    assert "closure:approach[PELD]" in fg.table.index


def test_subgroups_table_overall_and_errors(cohort):
    res = subgroups(cohort, ["approach", "defect_width_mm"], cuts={"defect_width_mm": 6})
    tab = res.table
    assert list(tab.columns[:9]) == [
        "variable",
        "level",
        "n",
        "events",
        "hr",
        "ci_low",
        "ci_high",
        "pvalue",
        "interaction_pvalue",
    ]
    assert (tab["n"] == tab["n_closure"] + tab["n_control"]).all()
    assert (tab["events"] == tab["events_closure"] + tab["events_control"]).all()
    assert tab.loc[tab["variable"] == "approach", "n"].sum() == len(cohort)
    assert tab.loc[tab["variable"] == "defect_width_mm", "level"].tolist() == ["< 6", "≥ 6"]
    assert res.overall["n"].iloc[0] == len(cohort)
    assert "split at 6 (given)" in " ".join(res.remarks)
    with pytest.raises(DataError, match="cannot define subgroups"):
        subgroups(cohort, ["closure"])
    with pytest.raises(DataError, match="not in the cohort"):
        subgroups(cohort, ["nope"])
    with pytest.raises(DataError, match="model must be"):
        subgroups(cohort, ["sex"], model="logistic")


def test_subgroup_fits_are_cox_without_its_diagnostics(cohort):
    """The table's Cox fits skip the concordance and the PH test (a quarter to a third
    of a fit at scale) and are otherwise cox() itself, on the rows in time order (the
    covariate means then add in another order: 1e-15 at most)."""
    res = subgroups(cohort, ["approach"], covariates=["age"])
    sub = cohort[cohort["approach"] == "MED"]
    light, full = res.fits[("approach", "MED")], cox(sub, ["closure", "age"])
    pd.testing.assert_frame_equal(light.table, full.table)
    pd.testing.assert_frame_equal(light.cov, full.cov)
    assert light.loglik == full.loglik and light.converged == full.converged
    assert np.isnan(light.concordance) and light.ph_test.empty
    assert not np.isnan(full.concordance) and len(full.ph_test) == 3
    assert "not computed (estimates only)" in " ".join(light.remarks)
    assert not any(
        "proportional-hazards test" in r for r in light.remarks if "not computed" not in r
    )
    row = res.table.set_index(["variable", "level"]).loc[("approach", "MED")]
    assert row["hr"] == pytest.approx(full.table.loc["closure", "hr"], rel=1e-13)


def test_subgroup_parts_combine_into_the_whole_analysis(cohort):
    """The report fits some variables in a forked copy and the rest here: any split of
    the variables, put together, is subgroups() itself, to the last bit."""
    from recurrence.survival.subgroups import checked, combine, fit_part

    variables = ["approach", "level", "sex", "defect_width_mm"]
    whole = subgroups(cohort, variables, covariates=["age", "smoker"])
    spec = checked(cohort, variables, covariates=["age", "smoker"])
    for k in (0, 1, 3, 4):
        parts = [
            fit_part(cohort, spec, variables[k:], overall=False),
            fit_part(cohort, spec, variables[:k], overall=True),
        ]
        got = combine(spec, parts)
        pd.testing.assert_frame_equal(got.table, whole.table, check_exact=True)
        pd.testing.assert_frame_equal(got.overall, whole.overall, check_exact=True)
        assert got.remarks == whole.remarks and list(got.fits) == list(whole.fits)


@pytest.mark.parametrize(
    ("variables", "copy"),
    [(1, 1), (2, 2), (3, 2), (4, 3), (5, 3), (6, 4), (8, 5)],
)
def test_the_copy_takes_the_variables_that_even_the_two_processes(variables, copy):
    """This process has the report's other cohort analyses (about 1.8 variables' worth
    at 1M patients), the copy the studies and the all-patients model (about 0.48): the
    copy's share minimises the longer of the two."""
    from recurrence._fork import share
    from recurrence.report.analyses import SUBGROUP_LOAD_HERE, SUBGROUP_LOAD_THERE

    names = [f"v{i}" for i in range(variables)]
    theirs, ours = share(names, SUBGROUP_LOAD_HERE, SUBGROUP_LOAD_THERE)
    assert list(theirs) + list(ours) == names and len(theirs) == copy
    load = [0.48 + len(theirs), 1.8 + len(ours)]
    for k in range(variables + 1):
        assert max(load) <= max(0.48 + k, 1.8 + variables - k) + 1e-12


def test_subgroup_forest_draws_each_level(cohort):
    res = subgroups(cohort, ["approach", "sex"])
    data = subgroup_forest_data(res)
    assert (data.rows["kind"] == "study").sum() == len(res.table)
    ax = plot_subgroups(res)
    texts = [t.get_text() for t in ax.texts if t.get_gid() == "forest:closure"]
    want = [f"{e}/{n}" for e, n in zip(res.table.events_closure, res.table.n_closure, strict=True)]
    assert all(w in texts for w in want)
    squares = [c for c in ax.collections if c.get_gid() == "forest:square"]
    assert len(squares[0].get_offsets()) == len(res.table)
    plt.close("all")


def test_inputs_not_mutated(cohort):
    before = cohort.copy()
    subgroups(cohort, ["sex"])
    kaplan_meier(cohort, by=["closure", "sex"])
    pd.testing.assert_frame_equal(cohort, before)
