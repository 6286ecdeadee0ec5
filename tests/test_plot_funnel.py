"""Contour-enhanced funnel plots: what was drawn."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest

from recurrence import meta
from recurrence.meta.datasets import bcg
from recurrence.plotting import plot_funnel

BCG = tuple(
    bcg()[c].tolist()
    for c in ("events_closure", "total_closure", "events_control", "total_control")
)  # metafor's dat.bcg


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def _by_gid(ax, gid):
    return [a for a in [*ax.collections, *ax.lines, *ax.patches] if a.get_gid() == gid]


def test_studies_contours_and_limits_are_drawn():
    res = meta.compare(*BCG, method="REML")
    ax = plot_funnel(res)
    points = _by_gid(ax, "funnel:study")[0].get_offsets()
    np.testing.assert_allclose(points[:, 0], res.yi)
    np.testing.assert_allclose(points[:, 1], np.sqrt(res.vi))
    for level in ("0.9", "0.95", "0.99"):
        assert len(_by_gid(ax, f"funnel:contour:{level}")) == 1
    assert len(_by_gid(ax, "funnel:limits")) == 2
    assert _by_gid(ax, "funnel:estimate")[0].get_xdata()[0] == pytest.approx(np.log(res.estimate))
    lo, hi = ax.get_ylim()
    assert lo > hi == 0  # standard error 0 at the top
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["p > 0.10", "0.05 < p < 0.10", "0.01 < p < 0.05", "p < 0.01"]
    assert ax.get_xlabel() == "Risk ratio (log scale)"
    shown = [t.get_text() for t in ax.get_xticklabels()]
    assert "1" in shown


def test_filled_studies_are_open_circles():
    tf = meta.trim_and_fill(meta.compare(*BCG, method="FE"))
    ax = tf.plot_funnel()
    filled = _by_gid(ax, "funnel:filled")[0]
    assert len(filled.get_offsets()) == tf.k0
    assert (filled.get_facecolors()[:, :3] == 1).all()


def test_proportions_have_no_significance_contours():
    res = meta.proportions([10, 3, 30, 8], [100, 40, 150, 60], method="DL")
    ax = plot_funnel(res)
    assert not _by_gid(ax, "funnel:contour:0.95")
    assert ax.get_legend() is None
    assert ax.get_xlabel() == "Proportion, logit scale"


@pytest.mark.parametrize("width", [None, 4.2])  # 4.2 in: the report's funnel
def test_legend_sits_outside_the_panel_and_covers_no_study(width):
    ax = plot_funnel(meta.trim_and_fill(meta.compare(*BCG, method="FE")))
    fig = ax.figure
    if width is not None:
        w, h = fig.get_size_inches()
        fig.set_size_inches(width, h * width / w)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    legend = ax.get_legend().get_window_extent(renderer)
    panel = ax.get_window_extent(renderer)
    assert legend.x0 >= panel.x1  # right of the panel: not on the contours
    assert legend.x1 <= fig.bbox.x1 + 1  # and inside the figure
    for gid in ("funnel:study", "funnel:filled"):
        points = ax.transData.transform(_by_gid(ax, gid)[0].get_offsets())
        assert not legend.count_contains(points)
    assert ax.get_legend().get_title().get_text() == "Study's own p-value"
