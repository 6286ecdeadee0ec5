"""Forest plots: the prepared data (pure) and what was drawn."""

from __future__ import annotations

import warnings

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib import ticker
from matplotlib.patches import Polygon, Rectangle

from recurrence import StatisticalWarning, load_studies, meta
from recurrence.plotting import plot_forest
from recurrence.plotting.forest import forest_data

HETERO = (
    [1, 30, 5, 60, 2, 40, 15],
    [100, 100, 50, 80, 200, 60, 150],
    [20, 10, 25, 20, 30, 10, 5],
    [100, 100, 50, 80, 200, 60, 150],
)
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
    return [a for a in [*ax.patches, *ax.collections, *ax.lines, *ax.texts] if a.get_gid() == kind]


def test_data_rows_text_columns_and_axis(rr):
    data = forest_data(rr)
    rows = data.rows
    assert rows["kind"].tolist() == ["study"] * 7 + [
        "common",
        "random",
        "prediction",
        "heterogeneity",
    ]
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
    res = meta.compare(
        [0, 2, 3], [20, 20, 20], [0, 5, 6], [20, 20, 20], method="FE", labels=["dz", "b", "c"]
    )
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
    assert sorted(p.get_gid() for p in diamonds) == [
        "forest:diamond:common",
        "forest:diamond:random",
    ]
    random = next(p for p in diamonds if p.get_gid() == "forest:diamond:random")
    xs = random.get_xy()[:, 0]
    assert xs.min() == pytest.approx(rr.ci_low) and xs.max() == pytest.approx(rr.ci_high)
    bar = [p for p in ax.patches if isinstance(p, Rectangle) and p.get_gid() == "forest:prediction"]
    assert len(bar) == 1
    assert "20/100" in _texts(ax, "forest:control")
    assert "X4" in _texts(ax, "forest:label")
    assert ax.get_xscale() == "log"
    assert [t.get_text() for t in _gids(ax, "forest:favours")] == [
        "← Favours closure",
        "Favours no closure →",
    ]
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
    assert headers == [
        "device: annulus suture",
        "device: annulus suture device",
        "device: Barricaid",
    ]
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


# --- layout: what was drawn never overlaps -------------------------------------------


def _studies_with_cohort():
    from recurrence import load_cohort

    row = meta.cohort_as_study(load_cohort(), horizon=24, label="This cohort")
    return pd.concat([load_studies(), row], ignore_index=True)


def _quiet(fn):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StatisticalWarning)
        return fn()


LONG = [
    "A very long study label from a multicentre registry, 2019–2023 ($1 follow-up)",
    "Short",
    "Another study with a rather long name (extension cohort)",
]


def _cases():
    return {
        "rr": lambda: meta.compare(*HETERO, method="REML", hksj=True, labels=LABELS),
        "or_mh": lambda: meta.compare(*HETERO, measure="OR", method="MH", labels=LABELS),
        "rd": lambda: meta.compare(*HETERO, measure="RD", method="DL", labels=LABELS),
        "proportion": lambda: meta.pool_arm(load_studies(), "closure"),
        "cohort": lambda: _quiet(lambda: meta.compare_studies(_studies_with_cohort(), hksj=True)),
        "subgroups": lambda: _quiet(
            lambda: meta.compare_studies(load_studies(), subgroup="device", hksj=True)
        ),
        "trim_and_fill": lambda: meta.trim_and_fill(
            meta.compare(*HETERO, method="FE", labels=LABELS)
        ),
        "long_labels_big_counts": lambda: meta.compare(
            [1234, 20, 5],
            [98765, 400, 50],
            [2345, 30, 20],
            [99999, 410, 52],
            method="DL",
            labels=LONG,
        ),
    }


def _rows_of_text(ax):
    """Drawn texts of the rows (not the annotations under the axis), by their y."""
    rows = {}
    for t in ax.texts:
        gid = t.get_gid() or ""
        if gid.startswith("forest:") and gid not in ("forest:favours", "forest:note"):
            rows.setdefault(round(t.get_position()[1], 6), []).append(t)
    return rows


def _assert_no_overlap(ax):
    fig = ax.figure
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    panel = ax.get_window_extent(renderer)
    for y, texts in _rows_of_text(ax).items():
        boxes = [(t, t.get_window_extent(renderer)) for t in texts]
        for i, (a, box_a) in enumerate(boxes):
            for b, box_b in boxes[i + 1 :]:
                assert box_a.x1 <= box_b.x0 or box_b.x1 <= box_a.x0, (
                    f"row y={y}: {a.get_text()!r} overlaps {b.get_text()!r}"
                )
        spans = any(t.get_fontsize() < texts[0].get_fontsize() for t in texts) or len(texts) == 1
        for t, box in boxes:
            if len(texts) == 1 and t.get_gid() == "forest:label":
                continue  # a heading or heterogeneity line may run into the empty panel
            if (
                t.get_gid() in ("forest:label", "forest:closure", "forest:control", "forest:events")
                and not spans
            ):
                assert box.x1 <= panel.x0, f"{t.get_text()!r} runs into the panel"
            if t.get_gid() in ("forest:effect", "forest:weight_text"):
                assert box.x0 >= panel.x1, f"{t.get_text()!r} runs into the panel"
    return renderer


@pytest.mark.parametrize("case", list(_cases()))
def test_no_two_texts_of_a_row_overlap_and_the_figure_fits_the_report(case):
    res = _quiet(_cases()[case])
    ax = plot_forest(res)
    fig = ax.figure
    renderer = _assert_no_overlap(ax)
    assert fig.get_figwidth() <= 7.0 + 1e-9  # the report's text width: never scaled down
    assert min(t.get_fontsize() for t in ax.texts) >= 7.0
    assert min(t.get_fontsize() for t in ax.get_xticklabels()) >= 7.0
    whole = fig.bbox
    for t in ax.texts:  # nothing drawn outside the figure
        box = t.get_window_extent(renderer)
        assert box.x0 >= whole.x0 - 1 and box.x1 <= whole.x1 + 1, t.get_text()


def test_columns_keep_apart_when_the_figure_is_resized():
    # the report scales a wider figure down; the panel gives way, not the text columns
    ax = plot_forest(meta.compare(*HETERO, method="REML", labels=LABELS))
    w, h = ax.figure.get_size_inches()
    ax.figure.set_size_inches(w * 0.85, h * 0.85)
    _assert_no_overlap(ax)


def test_columns_keep_apart_in_a_given_axes():
    fig, ax = plt.subplots(figsize=(3, 3))
    fig.subplots_adjust(left=0.3, right=0.7)
    plot_forest(meta.compare(*HETERO, method="REML", labels=LABELS), ax=ax)
    _assert_no_overlap(ax)


def test_overlong_labels_are_shortened_not_the_font_below_7pt():
    labels = [f"{label} " + "x" * 120 for label in LABELS]
    ax = plot_forest(meta.compare(*HETERO, method="FE", labels=labels))
    shown = _texts(ax, "forest:label")
    assert all(
        s.endswith("…") and s.startswith(label) for s, label in zip(shown[:7], LABELS, strict=True)
    )
    assert ax.figure.get_figwidth() <= 7.0 + 1e-9
    assert min(t.get_fontsize() for t in ax.texts) >= 7.0
    _assert_no_overlap(ax)


def test_labels_are_not_mathtext():
    ax = plot_forest(meta.compare(*HETERO, method="FE", labels=["$a$ cost", *LABELS[1:]]))
    assert "$a$ cost" in _texts(ax, "forest:label")
    ax.figure.canvas.draw()  # would raise on bad mathtext


def test_proportions_have_one_count_column():
    ax = meta.pool_arm(load_studies(), "control").plot()
    headers = _texts(ax, "forest:header")
    assert headers == ["Study", "Events/Total", "Rate (%) [95% CI]", "Weight"]
    assert not _texts(ax, "forest:closure") and not _texts(ax, "forest:control")


def test_vertical_lines_stop_above_the_heterogeneity_line(rr):
    ax = plot_forest(rr)
    het = forest_data(rr).rows.query("kind == 'heterogeneity'")["y"].iloc[0]
    for gid in ("forest:null", "forest:pooled_line"):
        assert min(_gids(ax, gid)[0].get_ydata()) > het


# --- one's own cohort is highlighted ----------------------------------------------------


def test_own_cohort_row_is_found_from_the_study_table():
    res = _quiet(lambda: meta.compare_studies(_studies_with_cohort()))
    rows = forest_data(res).rows
    assert rows.loc[rows["highlight"], "label"].tolist() == ["This cohort"]
    assert not forest_data(res, highlight=False).rows["highlight"].any()


def test_own_cohort_row_is_bold_with_the_cohort_colour():
    from matplotlib.colors import to_rgba

    from recurrence.plotting import PALETTE

    res = _quiet(lambda: meta.compare_studies(_studies_with_cohort()))
    ax = res.plot()
    labels = {t.get_text(): t for t in ax.texts if t.get_gid() == "forest:label"}
    assert labels["This cohort"].get_fontweight() == "bold"
    assert labels["Thomé 2018"].get_fontweight() == "normal"
    squares = _gids(ax, "forest:square")[0]
    faces = squares.get_facecolors()
    order = forest_data(res).rows.query("kind == 'study'")["label"].tolist()
    i = order.index("This cohort")
    assert tuple(faces[i]) == to_rgba(PALETTE["cohort"])
    others = np.delete(faces, i, axis=0)
    assert not any(tuple(f) == to_rgba(PALETTE["cohort"]) for f in others)
    ci = [
        line
        for line in _gids(ax, "forest:ci")
        if line.get_ydata()[0] == forest_data(res).rows.query("label == 'This cohort'")["y"].iloc[0]
    ]
    assert to_rgba(ci[0].get_color()) == to_rgba(PALETTE["cohort"])


def test_own_cohort_is_highlighted_in_its_subgroup_and_pooled_arm():
    both = _studies_with_cohort()
    both.loc[both["study"] == "This cohort", "device"] = "annulus suture"
    sub = _quiet(lambda: meta.compare_studies(both, subgroup="device"))
    rows = forest_data(sub).rows
    assert rows.loc[rows["highlight"], "label"].tolist() == ["This cohort"]
    arm = meta.pool_arm(both, "closure")
    assert forest_data(arm).rows["highlight"].sum() == 1


def test_highlight_given_by_label(rr):
    rows = forest_data(rr, highlight="X3").rows
    assert rows.loc[rows["highlight"], "label"].tolist() == ["X3"]
    assert not forest_data(rr).rows["highlight"].any()  # no study table: nothing to find
    with pytest.raises(ValueError, match="names no study"):
        forest_data(rr, highlight=["nope"])


def test_a_narrow_ratio_axis_is_labelled_beyond_the_one():
    """Hazard ratios between 0.4 and 1.5 (the subgroup forest of a real cohort): the
    axis runs from 10^-0.5 to 1, where decades alone would label only the 1."""
    from recurrence import simulate_cohort, survival
    from recurrence.plotting import plot_subgroups

    res = survival.subgroups(simulate_cohort(8000, seed=3, hr_closure=0.8), ["sex"])
    ax = plot_subgroups(res)
    lo, hi = ax.get_xlim()
    assert lo > 0.1 and hi < 10  # the narrow axis of this case
    shown = [f"{v:g}" for v in ax.xaxis.get_majorticklocs() if lo <= v <= hi]
    assert "1" in shown and "0.5" in shown  # decades alone: ["1"]
