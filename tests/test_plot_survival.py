"""Survival plots: the prepared data, and what was drawn (curves, bands, ticks, at-risk
numbers under the axis)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from recurrence import load_cohort
from recurrence.plotting.style import color_for
from recurrence.plotting.survival import (
    curve_plot_data,
    plot_cumulative_incidence,
    plot_reherniation_rates,
    plot_survival,
    rates_plot_data,
)
from recurrence.survival import cumulative_incidence, kaplan_meier, reherniation_rates


@pytest.fixture(scope="module")
def cohort():
    return load_cohort()


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def _at_risk_texts(ax, group):
    return [t.get_text() for t in ax.texts if t.get_gid() == f"at_risk:{group}"]


def test_curve_data_is_the_step_function_in_percent(cohort):
    km = kaplan_meier(cohort)
    data = curve_plot_data(km, times=[0, 12, 24])
    cur = data.curves[data.curves["group"] == "closure"]
    tab = km.table[km.table["group"] == "closure"]
    assert cur["time"].iloc[0] == 0 and cur["value"].iloc[0] == 100
    np.testing.assert_allclose(cur["value"].iloc[1:], 100 * tab["survival"])
    np.testing.assert_allclose(cur["ci_low"].iloc[1:], 100 * tab["ci_low"])
    cens = data.censored[data.censored["group"] == "closure"]
    assert len(cens) == (tab["censored"] > 0).sum()
    pd.testing.assert_frame_equal(
        data.at_risk.reset_index(drop=True), km.at_risk([0, 12, 24])[["group", "time", "at_risk"]]
    )
    assert data.xlabel == "Months since surgery"
    assert data.ylabel == "Survival free of reherniation (%)"


def test_plot_survival_draws_curves_bands_ticks_and_at_risk(cohort):
    km = kaplan_meier(cohort)
    ax = plot_survival(km, times=[0, 24, 48, 72])
    data = curve_plot_data(km, times=[0, 24, 48, 72])
    for i, group in enumerate(km.groups):
        line = next(ln for ln in ax.lines if ln.get_gid() == f"curve:{group}")
        cur = data.curves[data.curves["group"] == group]
        np.testing.assert_allclose(line.get_xdata(), cur["time"])
        np.testing.assert_allclose(line.get_ydata(), cur["value"])
        assert line.get_drawstyle() == "steps-post"
        assert line.get_color() == color_for(group, i)
        ticks = next(ln for ln in ax.lines if ln.get_gid() == f"censored:{group}")
        assert len(ticks.get_xdata()) == (data.censored["group"] == group).sum()
        assert any(c.get_gid() == f"band:{group}" for c in ax.collections)
        expected = km.at_risk([0, 24, 48, 72]).query("group == @group")["at_risk"]
        assert _at_risk_texts(ax, group) == [f"{n:,}" for n in expected]
    assert list(ax.get_xticks()) == [0, 24, 48, 72]
    assert ax.get_xlabel() == "Months since surgery"
    assert "(%)" in ax.get_ylabel()
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["no closure", "closure"]


def test_at_risk_numbers_sit_at_the_ticks_under_the_axis(cohort):
    ax = plot_survival(kaplan_meier(cohort), times=[0, 24, 48])
    nums = [t for t in ax.texts if t.get_gid() == "at_risk:closure"]
    assert [t.xy[0] for t in nums] == [0, 24, 48]
    assert all(t.xy[1] == 0 and t.xyann[1] < -30 for t in nums)  # points below the axis
    rows = {t.xyann[1] for t in ax.texts if str(t.get_gid()).startswith("at_risk:")}
    assert len(rows) == 2  # one row per group


def test_plot_cumulative_incidence_in_a_given_axes(cohort):
    ci = cumulative_incidence(cohort)
    _, ax = plt.subplots()
    out = ci.plot(ax=ax, risk_table=False)
    assert out is ax
    line = next(ln for ln in ax.lines if ln.get_gid() == "curve:no closure")
    at = ci.at([24]).query("group == 'no closure'")["incidence"].item()
    x, y = np.asarray(line.get_xdata()), np.asarray(line.get_ydata())
    assert y[np.searchsorted(x, 24, side="right") - 1] == pytest.approx(100 * at)
    assert ax.get_ylabel() == "Cumulative incidence of reherniation (%)"
    assert not any(str(t.get_gid()).startswith("at_risk") for t in ax.texts)
    assert not any(str(ln.get_gid()).startswith("censored") for ln in ax.lines)


def test_plot_cumulative_incidence_three_groups(cohort):
    ci = cumulative_incidence(cohort, by="approach")
    ax = plot_cumulative_incidence(ci, percent=False)
    assert ax.get_ylabel() == "Cumulative incidence of reherniation (proportion)"
    for group in ci.groups:
        expected = ci.at_risk().query("group == @group")["at_risk"]
        assert _at_risk_texts(ax, group) == [f"{n:,}" for n in expected]


def test_rates_plot_points_and_drawing(cohort):
    rates = reherniation_rates(cohort)
    pts = rates_plot_data(rates)
    assert len(pts) == 2 * len(rates.table)
    aj = pts[pts["estimator"] == "Aalen-Johansen"]
    np.testing.assert_allclose(
        aj["value"], 100 * rates.table["incidence"].to_numpy()[[0, 3, 1, 4, 2, 5]]
    )
    ax = plot_reherniation_rates(rates)
    assert ax.get_xlabel() == "Months since surgery" and ax.get_ylabel() == "Reherniation (%)"
    drawn = [c for c in ax.containers]
    assert len(drawn) == 4  # 2 arms × 2 estimators, each with 3 horizons
    first = drawn[0].lines[0]
    sel = pts[(pts["group"] == "no closure") & (pts["estimator"] == "Aalen-Johansen")]
    np.testing.assert_allclose(np.asarray(first.get_ydata(), float), sel["value"].to_numpy())
    assert rates.plot() is not None
