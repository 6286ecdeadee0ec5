"""proportions() and compare() as docs/meta-analysis.md specifies them: attributes, conventions,
remarks, and the edge cases (k = 1, k = 2, all-zero arms, τ² = 0, identical studies,
huge heterogeneity), each giving a result or a named warning, never a crash or an
unexplained NaN."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from recurrence import ConvergenceWarning, DataError, StatisticalWarning, load_studies, meta

API_ATTRIBUTES = (
    "estimate",
    "ci_low",
    "ci_high",
    "pi_low",
    "pi_high",
    "tau2",
    "i2",
    "q",
    "q_pvalue",
    "pvalue",
    "k",
    "table",
)

HETERO = dict(
    events_closure=[1, 30, 5, 60, 2, 40, 15],
    totals_closure=[100, 100, 50, 80, 200, 60, 150],
    events_control=[20, 10, 25, 20, 30, 10, 5],
    totals_control=[100, 100, 50, 80, 200, 60, 150],
)


def _two_arm(d):
    return (d["events_closure"], d["totals_closure"], d["events_control"], d["totals_control"])


def test_every_api_name_exists():
    import importlib

    # importing every submodule must not shadow a public function of the same name
    for module in (
        "models",
        "metaregression",
        "subgroup",
        "leave_out",
        "method_sensitivity",
        "bias",
        "tables",
        "cohort",
        "pooling",
        "glmm",
        "glmm_or",
        "mh",
        "bayes",
        "reported",
        "grade",
        "tsa",
        "rob",
    ):
        importlib.import_module(f"recurrence.meta.{module}")
    for name in (
        "proportions",
        "compare",
        "egger_test",
        "begg_test",
        "trim_and_fill",
        "leave_one_out",
        "regression",
        "subgroups",
        "influence",
        "cumulative",
        "generic",
        "sensitivity",
        "summary_of_findings",
        "sequential",
    ):
        assert callable(getattr(meta, name)) and not isinstance(getattr(meta, name), type(meta))
    assert set(dir(meta)) >= {
        "pool_arm",
        "compare_studies",
        "subgroups",
        "influence",
        "cumulative",
        "cohort_as_study",
        "pool_many",
    }


@pytest.mark.parametrize("transform", ["logit", "ft", "arcsine", "raw", "glmm"])
def test_proportions_returns_the_api_attributes_on_the_natural_scale(transform):
    res = meta.proportions([10, 20, 5, 30], [100, 120, 80, 150], transform=transform)
    for name in API_ATTRIBUTES:
        assert hasattr(res, name), name
    assert 0 < res.ci_low < res.estimate < res.ci_high < 1
    assert res.pi_low <= res.ci_low and res.pi_high >= res.ci_high
    assert list(res.table.columns[:6]) == [
        "study",
        "events",
        "total",
        "estimate",
        "ci_low",
        "ci_high",
    ]
    assert res.table["weight"].sum() == pytest.approx(100)
    assert res.k == 4 and res.q_pvalue is not None


@pytest.mark.parametrize("measure", ["RR", "OR", "RD"])
@pytest.mark.parametrize("method", ["FE", "DL", "REML", "PM", "ML", "MH"])
def test_compare_returns_the_api_attributes(measure, method):
    res = meta.compare(*_two_arm(HETERO), measure=measure, method=method)
    for name in API_ATTRIBUTES:
        assert hasattr(res, name), name
    assert res.ci_low < res.estimate < res.ci_high
    if method in ("FE", "MH"):
        assert res.pi_low is None and res.pi_high is None and res.tau2 == 0
    else:
        assert res.pi_low < res.ci_low and res.tau2 > 0
    if measure == "RD":
        assert -1 < res.estimate < 1
    else:
        assert res.estimate > 0
    assert {
        "study",
        "events_closure",
        "total_closure",
        "events_control",
        "total_control",
        "estimate",
        "ci_low",
        "ci_high",
        "weight",
    } <= set(res.table.columns)


def test_peto_is_for_odds_ratios_only():
    res = meta.compare(*_two_arm(HETERO), measure="OR", method="PETO")
    assert res.pi_low is None and res.method == "PETO"
    with pytest.raises(DataError, match="Peto's method estimates odds ratios, not RR"):
        meta.compare(*_two_arm(HETERO), measure="RR", method="PETO")


def test_i2_and_h2_come_from_q_whatever_the_estimator():
    for method in ("DL", "REML", "PM", "ML"):
        res = meta.compare(*_two_arm(HETERO), method=method)
        assert res.i2 == pytest.approx(100 * (res.q - res.q_df) / res.q)
        assert res.h2 == pytest.approx(res.q / res.q_df)
        assert res.q_pvalue == pytest.approx(stats.chi2.sf(res.q, res.q_df))


def test_hksj_changes_only_the_interval_of_the_mean():
    plain = meta.compare(*_two_arm(HETERO), method="REML")
    hk = meta.compare(*_two_arm(HETERO), method="REML", hksj=True)
    assert hk.estimate == plain.estimate and hk.tau2 == plain.tau2
    assert (hk.pi_low, hk.pi_high) == (plain.pi_low, plain.pi_high)
    assert (hk.ci_low, hk.ci_high) != (plain.ci_low, plain.ci_high)
    assert hk.df == 6 and plain.df is None
    # prediction interval: t(k - 2) with the usual SE
    half = stats.t.ppf(0.975, 5) * np.sqrt(plain.tau2 + plain.se_usual**2)
    assert np.log(plain.pi_high) == pytest.approx(plain.estimate_model + half)


def test_remarks_name_corrected_and_double_zero_studies():
    res = meta.compare(
        [0, 0, 3], [20, 25, 30], [0, 2, 6], [20, 25, 30], method="FE", labels=["T7", "T8", "T9"]
    )
    assert res.remarks[0] == "1 study with a zero cell: 0.5 added to all its cells (T8)"
    assert res.remarks[1] == "double-zero study T7 left out of RR"
    assert res.k == 2
    row = res.table.set_index("study").loc["T7"]
    assert not row["included"] and row["weight"] == 0 and np.isnan(row["estimate"])
    rd = meta.compare([0, 0, 3], [20, 25, 30], [0, 2, 6], [20, 25, 30], measure="RD", method="FE")
    assert rd.k == 3  # double zeros stay in RD


def test_inputs_are_not_modified():
    studies = load_studies()
    before = studies.copy(deep=True)
    events = pd.Series([1, 0, 4], dtype="Int64")
    totals = np.array([10, 12, 20])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        meta.compare_studies(studies, subgroup="device")
        meta.pool_arm(studies, arm="closure", transform="glmm")
        meta.proportions(events, totals)
    pd.testing.assert_frame_equal(studies, before)
    assert events.tolist() == [1, 0, 4] and totals.tolist() == [10, 12, 20]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (dict(transform="probit"), "transform='probit' is not known"),
        (dict(method="MH"), "Mantel-Haenszel and Peto are for compare"),
        (dict(level=95), r"level must be between 0 and 1 \(got 95\)"),
        (dict(study_ci="bootstrap"), "study_ci='bootstrap' is not known"),
        (dict(labels=["a"]), "1 labels for 2 studies"),
    ],
)
def test_bad_arguments_say_what_to_do(kwargs, message):
    with pytest.raises(DataError, match=message):
        meta.proportions([1, 2], [10, 10], **kwargs)


# --------------------------------------------------------------- edge cases ---
def test_one_study_gives_its_own_estimate_with_a_warning():
    with pytest.warns(
        StatisticalWarning, match="only one study: the pooled estimate is that study's own"
    ):
        res = meta.compare([4], [276], [18], [278], method="REML")
    assert res.k == 1 and res.tau2 == 0 and res.pi_low is None
    assert res.estimate == pytest.approx((4 / 276) / (18 / 278))
    assert res.q == 0 and res.q_pvalue is None and res.i2 == 0
    assert res.tau2_ci_low is None


def test_one_study_with_hksj_uses_z_and_says_so():
    with pytest.warns(StatisticalWarning) as record:
        res = meta.proportions([10], [100], hksj=True)
    assert any("HKSJ needs at least 2 studies" in str(w.message) for w in record)
    assert res.df is None and np.isfinite(res.ci_low)


def test_one_study_glmm_warns_and_uses_the_study():
    with pytest.warns(StatisticalWarning, match="binomial-normal model cannot estimate τ²"):
        res = meta.proportions([10], [100], transform="glmm")
    assert res.estimate == pytest.approx(0.1) and res.tau2 == 0


def test_two_studies_have_no_prediction_interval():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StatisticalWarning)
        res = meta.compare([1, 30], [100, 100], [20, 10], [100, 100], method="REML", hksj=True)
    assert res.k == 2 and res.pi_low is None
    assert "no prediction interval with fewer than 3 studies" in res.remarks
    assert res.df == 1 and np.isfinite(res.ci_high)


def test_homogeneous_studies_give_tau2_zero_and_a_boundary_warning():
    counts = ([10, 11, 9, 12], [100, 105, 98, 110], [20, 21, 19, 22], [100, 103, 97, 108])
    with pytest.warns(StatisticalWarning, match=r"REML τ² is 0 \(at its boundary; Q = "):
        res = meta.compare(*counts, method="REML")
    assert res.tau2 == 0 and res.i2 == 0 and res.q < res.q_df
    fe = meta.compare(*counts, method="FE")
    assert res.estimate == pytest.approx(fe.estimate)
    assert (res.tau2_ci_low, res.tau2_ci_high) == (0.0, 0.0)


def test_identical_studies_with_hksj_warn_about_the_zero_width_interval():
    with pytest.warns(StatisticalWarning) as record:
        res = meta.compare([5, 5, 5], [50, 50, 50], [10, 10, 10], [50, 50, 50], hksj=True)
    messages = " ".join(str(w.message) for w in record)
    assert "HKSJ standard error is 0 because the studies agree exactly" in messages
    assert res.ci_low == res.ci_high == res.estimate == pytest.approx(0.5)
    assert res.q == pytest.approx(0, abs=1e-12) and res.i2 == 0


def _messages(record):
    return " | ".join(str(w.message) for w in record)


def test_identical_null_studies_explain_the_missing_p_value():
    with pytest.warns(StatisticalWarning) as record:
        res = meta.proportions([0, 0, 0], [20, 20, 20], transform="arcsine", hksj=True)
    assert "interval of the mean has zero width and no p-value" in _messages(record)
    assert np.isnan(res.pvalue) and res.estimate == 0


def test_huge_heterogeneity_is_estimated_and_reported():
    res = meta.compare(*_two_arm(HETERO), method="REML")
    assert res.i2 > 90 and res.tau2 > 2
    assert res.pi_high / res.pi_low > 100
    assert res.tau2_ci_low < res.tau2 < res.tau2_ci_high
    assert res.converged


def test_no_events_in_one_arm_of_every_study():
    counts = ([0, 0, 0, 0], [30, 40, 25, 50], [3, 0, 5, 2], [30, 40, 25, 50])
    with pytest.warns(StatisticalWarning) as record:
        rr = meta.compare(*counts, method="DL")
    assert (
        "no events in the closure arm of any study: every study's RR rests on the 0.5"
        in _messages(record)
    )
    assert rr.k == 3 and np.isfinite(rr.estimate) and rr.estimate < 1
    with pytest.warns(StatisticalWarning) as record:
        mh = meta.compare(*counts, method="MH")
    assert (
        "the Mantel-Haenszel RR has no finite logarithm; 0.5 was added to every cell of the "
        "3 studies with a zero cell" in _messages(record)
    )
    assert np.isfinite(mh.estimate) and mh.estimate < 1


def test_no_events_in_any_arm_of_any_study():
    counts = ([0, 0], [30, 40], [0, 0], [30, 40])
    with pytest.raises(DataError, match=r"no study has events in either arm.*use measure='RD'"):
        meta.compare(*counts, measure="OR")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StatisticalWarning)
        rd = meta.compare(*counts, measure="RD", method="FE")
    assert rd.estimate == pytest.approx(0) and rd.k == 2


def test_an_arm_with_no_events_anywhere():
    with pytest.warns(StatisticalWarning, match="every study has no events"):
        logit = meta.proportions([0, 0, 0], [30, 40, 22], method="FE")
    assert logit.remarks[0].startswith("3 studies with no events or only events: 0.5 added")
    assert 0 < logit.estimate < 0.05
    ft = meta.proportions([0, 0, 0], [30, 40, 22], transform="ft", method="FE")
    assert ft.estimate == 0 and ft.ci_low == 0 and ft.ci_high > 0
    with pytest.warns(StatisticalWarning) as record:
        glmm = meta.proportions([0, 0, 0], [30, 40, 22], transform="glmm")
    assert "GLMM: no events in every study, so its ML estimate is at the boundary" in _messages(
        record
    )
    assert (
        "inverse-variance logit model (0.5 added to each arm, ML τ²) was used instead"
        in _messages(record)
    )
    assert glmm.method.startswith("IV-logit")


def test_glmm_boundary_tau2_is_a_named_warning():
    with pytest.warns(StatisticalWarning, match="GLMM: τ² estimated at 0"):
        res = meta.proportions([10, 11, 9, 12], [100, 105, 98, 110], transform="glmm")
    assert res.tau2 == 0
    assert res.glmm.q_lrt >= 0 and res.glmm.nagq == 7


def test_glmm_fit_failure_falls_back_with_a_convergence_warning(monkeypatch):
    from recurrence.meta import glmm

    # the joint Newton search ends without converging (its last iterate is returned)
    monkeypatch.setattr(glmm, "_maximise", lambda lik, beta, tau: (beta, tau, -1.0, False))
    with pytest.warns(ConvergenceWarning, match="did not converge; the inverse-variance logit"):
        res = meta.proportions([3, 10, 30, 5], [100, 100, 100, 50], transform="glmm")
    assert res.method == "IV-logit (GLMM fallback)" and np.isfinite(res.estimate)


# --------------------------------------------------------------- study tables ---
def test_pool_arm_leaves_out_studies_without_the_arm():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StatisticalWarning)
        res = meta.pool_arm(load_studies(), arm="control", method="REML")
    assert res.k == 7
    assert res.remarks[0].startswith("3 studies without a control arm left out: Bouma 2013")
    assert res.spec.data["study"].tolist() == res.table["study"].tolist()


def test_compare_studies_by_subgroup_returns_subgroups():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StatisticalWarning)
        sub = meta.compare_studies(load_studies(), measure="RR", subgroup="device")
    assert sub.table["subgroup"].tolist() == [
        "annulus suture",
        "annulus suture device",
        "Barricaid",
    ]
    assert sub.table["k"].tolist() == [2, 1, 4] and sub.overall.k == 7
    assert sub.df_between == 2 and 0 < sub.pvalue_between < 1
    assert "single-arm studies left out" in sub.remarks[0]
    assert "device annulus suture device: only one study" in " ".join(sub.remarks)


def test_study_table_errors_say_what_is_missing():
    with pytest.raises(DataError, match="arm='both' is not known"):
        meta.pool_arm(load_studies(), arm="both")
    with pytest.raises(DataError, match=r"no column\(s\) \['events_closure'"):
        meta.compare_studies(pd.DataFrame({"study": ["a"]}))
    with (
        warnings.catch_warnings(),
        pytest.raises(DataError, match="subgroup='country' names no column"),
    ):
        warnings.simplefilter("ignore", StatisticalWarning)
        meta.compare_studies(load_studies(), subgroup="country")


def test_subgroups_of_a_result_by_labels():
    res = meta.compare(*_two_arm(HETERO), method="DL")
    sub = meta.subgroups(res, ["a", "b", "a", "b", "a", "b", None])
    assert sub.table["k"].tolist() == [3, 3]
    assert "1 study without a subgroup left out of the subgroups" in sub.remarks
    b = sub.table["estimate_model"].to_numpy()
    w = 1 / sub.table["se_model"].to_numpy() ** 2
    q = np.sum(w * (b - np.sum(w * b) / w.sum()) ** 2)
    assert sub.q_between == pytest.approx(q)
    assert len(sub.tests) == 2


def test_result_display():
    res = meta.compare(*_two_arm(HETERO), method="REML", labels=list("ABCDEFG"))
    text = repr(res)
    assert text.startswith("Meta-analysis\nRR, REML, k = 7")
    assert "prediction interval" in text and "I² =" in text
    assert "<strong>Meta-analysis</strong>" in res._repr_html_()
    assert res.summary_frame().loc[0, "k"] == 7
    assert res.studies == list("ABCDEFG")
    assert res.tau == pytest.approx(np.sqrt(res.tau2))
