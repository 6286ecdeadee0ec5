"""Plots of Turnbull, parametric and cure results: the prepared data, and what was drawn
(boxes over the Turnbull intervals, the shaded extrapolation, the cure plateaus)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.patches import Rectangle

from recurrence import load_cohort, simulate_cohort
from recurrence.plotting.interval import (
    BOX_LABEL,
    EXTRAPOLATION_LABEL,
    MIN_MASS,
    cure_plot_data,
    parametric_plot_data,
    plot_cure,
    plot_parametric,
    plot_turnbull,
    turnbull_plot_data,
)
from recurrence.survival import compare_distributions, cure, parametric, turnbull


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def imaged():
    return simulate_cohort(600, seed=12, visits=(1.5, 3, 6, 12, 24, 36, 60))


def test_turnbull_data_boxes_are_the_intervals_with_mass(imaged):
    tb = turnbull(imaged, n_boot=0)
    data = turnbull_plot_data(tb)
    for g in tb.groups:
        tab = tb.table[(tb.table["group"] == g) & (tb.table["mass"] > MIN_MASS)]
        box = data.boxes[data.boxes["group"] == g]
        np.testing.assert_array_equal(box["lower"], tab["lower"])
        np.testing.assert_array_equal(box["upper"], tab["upper"])
        # each box spans the drop: from the level before to the level after
        np.testing.assert_allclose(box["top"] - box["bottom"], 100 * tab["mass"])
        np.testing.assert_allclose(box["bottom"], 100 * tab["survival"], atol=1e-6)
        st = data.steps[data.steps["group"] == g]
        assert st["time"].iloc[0] == 0 and st["value"].iloc[0] == 100
        assert st["value"].isna().sum() == len(box)  # the line breaks at every box
    assert data.band.empty


def test_plot_turnbull_draws_a_box_per_interval_and_says_what_it_is(imaged):
    tb = turnbull(imaged, n_boot=5)
    ax = plot_turnbull(tb)
    data = turnbull_plot_data(tb)
    for g in tb.groups:
        boxes = [p for p in ax.patches if isinstance(p, Rectangle) and p.get_gid() == f"box:{g}"]
        wide = data.boxes[(data.boxes["group"] == g) & (data.boxes["upper"] > data.boxes["lower"])]
        assert len(boxes) == len(wide)
        assert sorted(b.get_x() for b in boxes) == pytest.approx(sorted(wide["lower"]))
        assert any(c.get_gid() == f"band:{g}" for c in ax.collections)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == [*tb.groups, BOX_LABEL]


def test_parametric_data_flags_the_extrapolation():
    fit = parametric(load_cohort())
    curves, end = parametric_plot_data(fit, horizon=150)
    assert end == fit.max_followup
    assert (curves["extrapolated"] == (curves["time"] > end)).all()
    assert curves["time"].max() == 150 and end in curves["time"].to_numpy()
    closure = curves[curves["group"] == "closure"]
    expected = fit.incidence(closure["time"].to_numpy())
    np.testing.assert_allclose(
        closure["incidence"], 100 * expected.loc[expected["group"] == "closure", "incidence"]
    )


def test_plot_parametric_shades_and_labels_beyond_follow_up():
    cohort = load_cohort()
    fit = parametric(cohort)
    ax = plot_parametric(fit, observed=turnbull(cohort, n_boot=0))
    span = next(p for p in ax.patches if p.get_gid() == "extrapolation")
    assert span.get_x() == pytest.approx(fit.max_followup)  # a Rectangle (matplotlib ≥ 3.9)
    assert [t.get_text() for t in ax.texts] == [EXTRAPOLATION_LABEL]
    gids = {ln.get_gid() for ln in ax.lines}
    assert {"fit:weibull:no closure", "fit:weibull:closure", "observed:closure"} <= gids


def test_plot_of_a_comparison_has_one_line_style_per_distribution():
    cmp = compare_distributions(load_cohort())
    ax = plot_parametric(cmp)
    styles = {
        ln.get_gid().split(":")[1]: ln.get_linestyle()
        for ln in ax.lines
        if ln.get_gid().startswith("fit:")
    }
    assert len(styles) == 4 and len(set(styles.values())) == 4
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == [
        "no closure",
        "closure",
        "Exponential",
        "Weibull",
        "Log-normal",
        "Log-logistic",
    ]


def test_cure_plot_marks_each_cure_fraction(imaged):
    fit = cure(imaged)
    curves, plateaus = cure_plot_data(fit)
    pd.testing.assert_series_equal(
        plateaus["cure_fraction"], 100 * fit.table["cure_fraction"], check_names=False
    )
    assert curves["time"].max() == pytest.approx(1.5 * fit.observed.max_time)
    ax = plot_cure(fit)
    for row in fit.table.itertuples():
        line = next(ln for ln in ax.lines if ln.get_gid() == f"cure:{row.group}")
        assert line.get_ydata()[0] == pytest.approx(100 * row.cure_fraction)
        label = next(t for t in ax.texts if t.get_gid() == f"cure_label:{row.group}")
        assert label.get_text() == f"cured {100 * row.cure_fraction:.0f}%"
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "no closure: Turnbull" in legend and "closure: cure model" in legend
