"""Meta-regression and its inputs (numbers against rma(mods = ...) are in
test_meta_reference.py)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from recurrence import DataError, StatisticalWarning, load_studies, meta
from recurrence.meta.datasets import bcg
from recurrence.meta.metaregression import design

BCG = tuple(
    bcg()[c].tolist()
    for c in ("events_closure", "total_closure", "events_control", "total_control")
)  # metafor's dat.bcg
ABLAT = bcg()["ablat"].tolist()


@pytest.fixture(scope="module")
def bcg():
    return meta.compare(*BCG, method="DL")


def test_regression_table_and_tests(bcg):
    reg = meta.regression(bcg, pd.DataFrame({"ablat": ABLAT}))
    assert reg.table.index.tolist() == ["intercept", "ablat"]
    assert {"coef", "se", "pvalue", "ratio"} <= set(reg.table.columns)
    assert reg.qm == pytest.approx(reg.table.loc["ablat", "statistic"] ** 2)
    assert reg.method == "REML" and reg.test == "z"
    assert reg.tau2 < bcg.tau2 and 0 <= reg.r2 <= 100
    assert "coefficients on the log RR scale" in reg.remarks


def test_intercept_only_regression_is_the_pooled_model(bcg):
    # with a constant moderator dropped: compare with REML pooling instead
    reml = meta.compare(*BCG, method="REML")
    reg = meta.regression(bcg, pd.DataFrame({"ablat": ABLAT}), method="REML")
    assert reg.k == reml.k
    alone = meta.regression(reml, pd.DataFrame({"x": np.arange(13.0)}), method="REML")
    assert np.isfinite(alone.tau2)


def test_categories_become_indicators_against_the_first_level():
    X, terms = design(
        pd.DataFrame(
            {"device": ["suture", "Barricaid", "suture", None], "rct": [True, False, True, True]}
        )
    )
    assert terms == ["intercept", "device[suture]", "rct"]
    assert X[:, 1].tolist() == [1.0, 0.0, 1.0, 0.0]


def test_moderators_by_column_name_and_missing_values_left_out():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StatisticalWarning)
        res = meta.compare_studies(load_studies(), method="REML")
    with pytest.warns(
        StatisticalWarning,
        match="2 studies with a missing moderator left out: Swiss ACD cohort, Korean annuloplasty",
    ):
        reg = meta.regression(res, ["year"])
    assert reg.k == 5


def test_regression_input_errors(bcg):
    with pytest.raises(DataError, match="moderators have 3 rows"):
        meta.regression(bcg, pd.DataFrame({"x": [1, 2, 3]}))
    with pytest.raises(DataError, match="are not columns of the study table"):
        meta.regression(bcg, ["ablat"])
    with pytest.raises(DataError, match="collinear"):
        meta.regression(bcg, pd.DataFrame({"a": ABLAT, "b": np.array(ABLAT) * 2.0}))
    with pytest.raises(DataError, match="need more than"):
        meta.regression(
            meta.compare(*(x[:3] for x in BCG), method="FE"),
            pd.DataFrame({"a": [1.0, 2, 3], "b": [3.0, 1, 2]}),
        )
    with pytest.raises(DataError, match="not available for meta-regression"):
        meta.regression(bcg, pd.DataFrame({"ablat": ABLAT}), method="MH")


def test_knapp_hartung_regression_uses_t_and_f(bcg):
    reg = meta.regression(bcg, pd.DataFrame({"ablat": ABLAT}), hksj=True)
    assert reg.test == "t"
    assert "F =" in repr(reg)
