"""The range figure: data prepared in a pure function, then what was drawn."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from recurrence import check_range
from recurrence.plotting import PALETTE, plot_range
from recurrence.plotting.range import range_plot_data

CHECKS = [
    check_range(0.12, ci_low=0.10, ci_high=0.14, arm="no closure", label="cohort, no closure"),
    check_range(0.02, ci_low=0.01, ci_high=0.04, arm="closure", label="cohort, closure"),
    check_range(0.31, label="a study"),
]


def test_plot_data_in_percent_top_to_bottom():
    data = range_plot_data(CHECKS)
    assert data["label"].tolist() == ["cohort, no closure", "cohort, closure", "a study"]
    np.testing.assert_allclose(data["estimate_pct"], [12, 2, 31])
    assert data["y"].tolist() == [2.0, 1.0, 0.0]  # first check at the top
    assert data["color"].tolist() == [PALETTE["no closure"], PALETTE["closure"], PALETTE["pooled"]]
    assert np.isnan(data.loc[2, "ci_low_pct"])


def test_what_is_drawn():
    ax = plot_range(CHECKS)
    band = ax.patches[0]  # axvspan: a rectangle spanning the range
    assert (band.get_x(), band.get_x() + band.get_width()) == (3.0, 27.0)
    intervals = [
        np.round(line.get_xydata(), 9).tolist()
        for line in ax.lines
        if len(line.get_xydata()) == 2 and line.get_linestyle() == "-"
    ]
    assert [[10.0, 2.0], [14.0, 2.0]] in intervals and [[1.0, 1.0], [4.0, 1.0]] in intervals
    labels = {t.get_position()[1]: t.get_text() for t in ax.get_yticklabels()}
    assert labels == {2.0: "cohort, no closure", 1.0: "cohort, closure", 0.0: "a study"}
    assert ax.get_xlabel() == "Reherniation rate (%)"
    assert any("published range without closure, 3–27%" in t.get_text() for t in ax.texts)
    assert ax.get_xlim()[1] >= 34  # the 31% estimate fits
    plt.close(ax.figure)


def test_a_rates_table_plots_directly():
    from recurrence import load_cohort
    from recurrence.survival import reherniation_rates

    rates = reherniation_rates(load_cohort(), at=(12, 24))
    data = range_plot_data(rates.verdicts())
    assert data["label"].tolist() == [
        "no closure, 12 months",
        "no closure, 24 months",
        "closure, 12 months",
        "closure, 24 months",
    ]
    np.testing.assert_allclose(data["estimate_pct"], 100 * rates.table["incidence"])
    assert data["color"].iloc[0] == PALETTE["no closure"]
    plt.close(plot_range(rates.table).figure)
