"""Forest plots: the prepared data (pure) and what was drawn."""

from __future__ import annotations

import warnings

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib import ticker
from matplotlib.patches import Polygon, Rectangle

from recurrence import StatisticalWarning, load_studies, meta
from recurrence.plotting import plot_forest
from recurrence.plotting.forest import forest_data

HETERO = ([1, 30, 5, 60, 2, 40, 15], [100, 100, 50, 80, 200, 60, 150],
          [20, 10, 25, 20, 30, 10, 5], [100, 100, 50, 80, 200, 60, 150])
LABELS = ["X1", "X2", "X3", "X4", "X5", "X6", "X7"]


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def rr():
    return meta.compare(*HETERO, method="REML", labels=LABELS)


def _texts(ax, gid):
    return [t.get_text() for t in ax.texts if t.get_gid() == gid]


def _gids(ax, kind):
    return [a for a in [*ax.patches, *ax.collections, *ax.lines, *ax.texts]
            if a.get_gid() == kind]


def test_data_rows_text_columns_and_axis(rr):
    data = forest_data(rr)
    rows = data.rows
    assert rows["kind"].tolist() == ["study"] * 7 + ["common", "random", "prediction",
                                                     "heterogeneity"]
    assert rows["y"].is_monotonic_decreasing
    first = rows.iloc[0]
    assert (first["closure"], first["control"]) == ("1/100", "20/100")
    assert first["effect"] == "0.05 [0.01, 0.37]"
    assert first["weight_text"] == f"{rr.table.loc[0, 'weight']:.1f}%"
    assert rows.iloc[8]["label"] == "Random effects model (REML)"
    assert rows.iloc[7]["closure"] == "153/740"  # totals on the common-effect line
    assert rows.iloc[9]["effect"].startswith("[")
    assert rows.iloc[10]["label"].startswith("Heterogeneity: τ² = ")
    assert data.log and data.null == 1.0
    assert data.favours == ("Favours closure", "Favours no closure")
    assert data.xlim[0] <= rows["ci_low"].min() and data.xlim[1] >= 1
    assert [h for _, h in data.left] == ["Study", "Closure", "No closure"]


def test_common_effect_model_has_one_diamond_and_no_prediction():
    res = meta.compare(*HETERO, method="MH")
    kinds = forest_data(res).rows["kind"].tolist()
    assert kinds.count("common") == 1 and "random" not in kinds and "prediction" not in kinds
    assert forest_data(res).rows.iloc[7]["label"] == "Common effect model (Mantel-Haenszel)"


def test_proportions_are_in_percent_without_favours_labels():
    res = meta.proportions([10, 0, 30], [100, 40, 150], method="DL", labels=["a", "b", "c"])
    data = forest_data(res)
    assert data.percent and not data.log and data.favours is None and data.null is None
    assert data.rows.loc[1, "events"] == "0/40"
    assert data.rows.loc[0, "effect"] == "10.0 [4.9, 17.6]"
    assert data.xlabel == "Reherniation rate (%)"


def test_double_zero_study_is_listed_as_not_estimable():
    res = meta.compare([0, 2, 3], [20, 20, 20], [0, 5, 6], [20, 20, 20], method="FE",
                       labels=["dz", "b", "c"])
    row = forest_data(res).rows.iloc[0]
    assert row["effect"] == "not estimable" and np.isnan(row["estimate"])
    assert row["closure"] == "0/20"


def test_drawn_squares_diamonds_prediction_bar_and_text(rr):
    ax = plot_forest(rr)
    squares = _gids(ax, "forest:square")
    assert len(squares) == 1 and len(squares[0].get_offsets()) == 7
    sizes = squares[0].get_sizes()
    assert sizes.argmax() == int(rr.table["weight"].to_numpy().argmax())  # area ∝ weight
    diamonds = [p for p in ax.patches if isinstance(p, Polygon)]
    assert sorted(p.get_gid() for p in diamonds) == ["forest:diamond:common",
                                                     "forest:diamond:random"]
    random = next(p for p in diamonds if p.get_gid() == "forest:diamond:random")
    xs = random.get_xy()[:, 0]
    assert xs.min() == pytest.approx(rr.ci_low) and xs.max() == pytest.approx(rr.ci_high)
    bar = [p for p in ax.patches if isinstance(p, Rectangle) and
           p.get_gid() == "forest:prediction"]
    assert len(bar) == 1
    assert "20/100" in _texts(ax, "forest:control")
    assert "X4" in _texts(ax, "forest:label")
    assert ax.get_xscale() == "log"
    assert [t.get_text() for t in _gids(ax, "forest:favours")] == ["← Favours closure",
                                                                   "Favours no closure →"]
    assert _gids(ax, "forest:null")[0].get_xdata()[0] == 1.0


def test_drawn_proportions_use_a_percent_axis():
    res = meta.proportions([10, 3, 30], [100, 40, 150], method="DL")
    ax = res.plot()
    assert isinstance(ax.xaxis.get_major_formatter(), ticker.PercentFormatter)
    assert ax.get_xscale() == "linear"
    assert not _gids(ax, "forest:favours")


def test_subgroups_get_headers_and_their_own_diamonds():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StatisticalWarning)
        sub = meta.compare_studies(load_studies(), measure="RR", subgroup="device")
    data = forest_data(sub)
    headers = data.rows.loc[data.rows["kind"] == "header", "label"].tolist()
    assert headers == ["device: annulus suture", "device: annulus suture device",
                       "device: Barricaid"]
    assert data.rows["label"].iloc[-1].startswith("Test for subgroup differences: χ² = ")
    ax = sub.plot()
    diamonds = [p for p in ax.patches if isinstance(p, Polygon)]
    # subgroups of 2 and 4 studies: common + random; of 1 study: one; overall: two
    assert len(diamonds) == 2 + 1 + 2 + 2


def test_trim_and_fill_studies_are_open_squares():
    res = meta.compare(*HETERO, method="FE", labels=LABELS)
    tf = meta.trim_and_fill(res)
    assert tf.k0 > 0
    data = forest_data(tf)
    assert data.rows["filled"].sum() == tf.k0
    assert "open squares" in data.notes[0]
    ax = plot_forest(tf)
    faces = _gids(ax, "forest:square")[0].get_facecolors()
    assert (faces[:, :3] == 1).all(axis=1).sum() == tf.k0  # white faces


def test_draws_into_a_given_axes(rr):
    fig, ax = plt.subplots(figsize=(8, 5))
    assert plot_forest(rr, ax=ax) is ax
    assert len(fig.axes) == 1


def test_rejects_other_objects():
    with pytest.raises(TypeError, match="needs a meta-analysis result"):
        forest_data(object())
