"""check_range: position, overlap and the reading of each arm."""

from __future__ import annotations

from types import SimpleNamespace

import pandas as pd
import pytest

from recurrence import DataError, check_range
from recurrence.checks import check_ranges


@pytest.mark.parametrize(
    ("x", "position"),
    [
        (0.02, "below"),
        (0.03, "within"),
        (0.15, "within"),
        (0.27, "within"),
        (0.30, "above"),
    ],
)
def test_position_of_the_point_estimate(x, position):
    assert check_range(x).position == position


@pytest.mark.parametrize(
    ("ci", "overlaps"),
    [
        ((0.01, 0.025), False),
        ((0.01, 0.05), True),
        ((0.26, 0.40), True),
        ((0.28, 0.40), False),
    ],
)
def test_interval_overlap(ci, overlaps):
    estimate = sum(ci) / 2
    assert check_range(estimate, ci_low=ci[0], ci_high=ci[1]).overlaps is overlaps


def test_result_objects_with_estimate_and_interval():
    pooled = SimpleNamespace(estimate=0.05, ci_low=0.02, ci_high=0.09, level=0.9)
    r = check_range(pooled)
    assert (r.position, r.overlaps, r.ci_low) == ("within", True, 0.02)
    assert "90% CI 2.0% to 9.0%" in r.sentence


def test_the_reading_depends_on_the_arm():
    closure = check_range(0.01, ci_low=0.002, ci_high=0.025, arm="closure")
    assert "what closure aims for" in closure.sentence
    control = check_range(0.01, ci_low=0.002, ci_high=0.025, arm="no closure")
    assert "a question to raise" in control.sentence
    assert "so is its whole interval" in control.sentence
    high = check_range(0.35, arm="no closure")
    assert "large annular defects" in high.sentence


def test_custom_range_and_table():
    assert check_range(0.10, low=0.12, high=0.2).position == "below"
    t = check_ranges(pd.DataFrame({"estimate": [0.5], "ci_low": [0.4], "ci_high": [0.6]}))
    assert t.loc[0, "position"] == "above" and not t.loc[0, "overlaps"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"x": 12.0}, "is not a proportion"),
        ({"x": float("nan")}, "the estimate is missing"),
        ({"x": 0.1, "ci_low": 0.05}, "give both ends"),
        ({"x": 0.1, "ci_low": 0.15, "ci_high": 0.2}, "does not contain the estimate"),
        ({"x": 0.1, "low": 0.3, "high": 0.2}, "0 ≤ low < high ≤ 1"),
        ({"x": SimpleNamespace(estimate=0.4, ci_low=0.2, ci_high=0.8, measure="RR")}, "not a RR"),
    ],
)
def test_bad_arguments(kwargs, message):
    with pytest.raises(DataError, match=message):
        check_range(**kwargs)


def test_display():
    r = check_range(0.1, ci_low=0.08, ci_high=0.12, label="no closure, 24 months")
    assert "lies within" in repr(r) and "<table" in r._repr_html_()
    assert r.table.loc[0, "label"] == "no closure, 24 months"
