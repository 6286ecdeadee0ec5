"""Forest plot of hazard ratios: what is prepared and what is drawn."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest

from recurrence import ConvergenceWarning, load_cohort
from recurrence.plotting import plot_hazard_ratios
from recurrence.plotting.hazard import hazard_ratio_data
from recurrence.survival import cox, fine_gray

COV = ["closure", "smoker", "diabetes"]


@pytest.fixture(scope="module")
def models():
    c = load_cohort()
    return cox(c, COV), fine_gray(c, COV)


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def test_data_rows_estimates_and_positions(models):
    cx, fg = models
    d = hazard_ratio_data([cx, fg])
    assert list(d["model"]) == ["Cox"] * 3 + ["Fine-Gray"] * 3
    assert list(d["measure"]) == ["hr"] * 3 + ["shr"] * 3
    np.testing.assert_allclose(d["estimate"][:3], cx.table["hr"])
    np.testing.assert_allclose(d["ci_high"][3:], fg.table["ci_high"])
    assert list(d["row"][:3]) == [2, 1, 0]  # first term on top
    assert (d["y"][:3].to_numpy() > d["row"][:3].to_numpy()).all()  # Cox above, Fine-Gray below
    assert not d["open_low"].any() and not d["open_high"].any()
    assert d["color"].nunique() == 2 and d["marker"].nunique() == 2


def test_labels_terms_and_dict_input(models):
    cx, fg = models
    d = hazard_ratio_data({"cause-specific": cx, "subdistribution": fg}, terms=["smoker"])
    assert list(d["model"]) == ["cause-specific", "subdistribution"]
    assert list(d["term"]) == ["smoker", "smoker"] and list(d["row"]) == [0, 0]
    with pytest.raises(ValueError, match="1 labels for 2 models"):
        hazard_ratio_data([cx, fg], labels=["a"])
    with pytest.raises(TypeError, match="takes results of cox"):
        hazard_ratio_data(load_cohort())


def test_drawn_points_intervals_axis_and_reference(models):
    cx, fg = models
    ax = plot_hazard_ratios([cx, fg])
    assert ax.get_xscale() == "log"
    assert [t.get_text() for t in ax.get_yticklabels()] == COV
    assert list(ax.get_yticks()) == [2, 1, 0]
    ref = [ln for ln in ax.get_lines() if ln.get_gid() == "reference"]
    assert len(ref) == 1 and list(ref[0].get_xdata()) == [1.0, 1.0]
    # one errorbar container per model: its points are the ratios, its bars the CIs
    bars = ax.containers
    assert len(bars) == 2
    x, _ = bars[0].lines[0].get_data()
    np.testing.assert_allclose(x, cx.table["hr"])
    segs = bars[1].lines[2][0].get_segments()
    np.testing.assert_allclose([s[0][0] for s in segs], fg.table["ci_low"])
    np.testing.assert_allclose([s[1][0] for s in segs], fg.table["ci_high"])
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["Cox", "Fine-Gray"]
    assert "95% CI, log scale" in ax.get_xlabel()
    lo, hi = ax.get_xlim()
    assert lo < min(cx.table["ci_low"].min(), fg.table["ci_low"].min()) and hi > 1


def test_single_model_label_no_legend_and_result_plot_method(models):
    cx, fg = models
    _, ax = plt.subplots()
    out = fg.plot(ax=ax)
    assert out is ax and ax.get_legend() is None
    assert ax.get_xlabel() == "Subdistribution hazard ratio (95% CI, log scale)"
    assert cx.plot().get_xlabel() == "Hazard ratio (95% CI, log scale)"


def test_infinite_interval_is_drawn_to_the_edge():
    c = load_cohort()
    d = c.assign(event=np.where(c["closure"] & (c["event"] == 1), 0, c["event"]))
    with pytest.warns(ConvergenceWarning):
        fit = cox(d, ["closure", "smoker"])
    data = hazard_ratio_data(fit)
    assert bool(data.loc[data["term"] == "closure", "open_low"].iloc[0])
    ax = plot_hazard_ratios(fit)
    segs = ax.containers[0].lines[2][0].get_segments()
    lo, _ = ax.get_xlim()
    assert all(np.isfinite(s).all() for s in segs)
    assert segs[0][0][0] == pytest.approx(lo)
