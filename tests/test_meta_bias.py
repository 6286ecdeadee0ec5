"""Small-study effects: Egger, Begg, trim and fill, funnel data (numbers against metafor
are in test_meta_reference.py; here the rules and the edge cases)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from recurrence import DataError, StatisticalWarning, meta
from recurrence.meta.datasets import bcg
from recurrence.meta.results import TrimFillResult
from recurrence.plotting.funnel import funnel_data

BCG = tuple(
    bcg()[c].tolist()
    for c in ("events_closure", "total_closure", "events_control", "total_control")
)  # metafor's dat.bcg


@pytest.fixture(scope="module")
def bcg():
    return meta.compare(*BCG, method="REML")


def test_egger_is_the_weighted_regression_on_the_standard_error(bcg):
    test = meta.egger_test(bcg)
    X = np.column_stack([np.ones(bcg.k), np.sqrt(bcg.vi)])
    beta, *_ = np.linalg.lstsq(
        X * np.sqrt(1 / bcg.vi)[:, None], bcg.yi * np.sqrt(1 / bcg.vi), rcond=None
    )
    assert test.table.loc["sei", "coef"] == pytest.approx(beta[1])
    assert test.estimate == pytest.approx(np.exp(beta[0]))  # limit effect, natural scale
    assert test.df == bcg.k - 2 and test.statistic == test.table.loc["sei", "statistic"]


def test_begg_ties_use_the_normal_approximation_and_say_so():
    res = meta.compare(
        [5, 5, 10, 2, 8],
        [50, 50, 60, 40, 70],
        [10, 10, 12, 6, 9],
        [50, 50, 60, 40, 70],
        method="FE",
    )  # studies 1 and 2 are tied
    test = meta.begg_test(res)
    assert "ties: p-value from the normal approximation" in test.remarks
    assert "only 5 studies" in test.remarks[-1]


@pytest.mark.parametrize("fn", ["egger_test", "begg_test"])
def test_tests_with_two_studies_warn_and_return_nan(fn):
    res = meta.compare([1, 30], [100, 100], [20, 10], [100, 100], method="FE")
    with pytest.warns(StatisticalWarning, match="needs at least 3 studies"):
        test = getattr(meta, fn)(res)
    assert np.isnan(test.statistic) and np.isnan(test.pvalue) and test.k == 2


def test_egger_with_an_exact_fit_warns():
    # three studies on a line in (sei, yi): residual variance 0
    res = meta.compare([10, 20, 40], [100, 200, 400], [10, 20, 40], [100, 200, 400], method="FE")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(StatisticalWarning, match="fits the studies exactly"):
            meta.egger_test(res)


def test_trim_and_fill_is_a_result_of_the_same_kind(bcg):
    tf = meta.trim_and_fill(bcg)
    assert isinstance(tf, TrimFillResult)
    assert (tf.kind, tf.measure, tf.method) == (bcg.kind, bcg.measure, bcg.method)
    assert tf.k == bcg.k + tf.k0 and tf.side == "right"
    filled = tf.table[tf.table["filled"]]
    assert filled["study"].tolist() == [f"Filled {i}" for i in range(1, tf.k0 + 1)]
    assert filled["events_closure"].isna().all()
    assert tf.table.loc[~tf.table["filled"], "events_closure"].tolist() == BCG[0]
    assert tf.remarks[0].startswith(f"{tf.k0} study filled on the right (L0")


def test_trim_and_fill_side_can_be_given(bcg):
    left = meta.trim_and_fill(bcg, side="left")
    assert left.side == "left" and left.k0 >= 0
    with pytest.raises(DataError, match="side='up' must be 'left' or 'right'"):
        meta.trim_and_fill(bcg, side="up")


def test_trim_and_fill_of_mantel_haenszel_says_which_model_it_used():
    res = meta.compare(*BCG, method="MH")
    tf = meta.trim_and_fill(res)
    assert tf.method == "FE"
    assert "Mantel-Haenszel cannot take studies without counts" in tf.remarks[0]


def test_trim_and_fill_needs_three_studies():
    res = meta.compare([1, 30], [100, 100], [20, 10], [100, 100], method="FE")
    with pytest.raises(DataError, match="trim and fill needs at least 3 studies"):
        meta.trim_and_fill(res)


def test_trim_and_fill_on_freeman_tukey_proportions():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StatisticalWarning)
        res = meta.proportions(BCG[0], BCG[1], transform="ft", method="FE")
        tf = meta.trim_and_fill(res)
    assert 0 < tf.estimate < 1 and tf.k == res.k + tf.k0


def test_funnel_data_has_contours_around_no_effect(bcg):
    data = funnel_data(bcg)
    assert data["levels"] == (0.9, 0.95, 0.99)
    c95 = data["contours"][0.95]
    assert c95["high"].iloc[-1] == pytest.approx(1.959964 * c95["sei"].iloc[-1], rel=1e-6)
    assert (data["studies"]["sei"] == np.sqrt(bcg.vi)).all()
    assert data["estimate"] == pytest.approx(np.log(bcg.estimate))
    assert data["se_max"] > data["studies"]["sei"].max()
