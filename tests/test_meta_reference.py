"""recurrence.meta against metafor 3.8-1 (and lme4 1.1, through rma.glmm) in R 4.2.2.

The numbers come from ``validation/r/meta.R`` (run ``Rscript validation/r/meta.R`` from
the repository root after ``uv run python tests/test_meta_datasets.py``), which writes
``tests/data/r/meta_*.json`` with full precision; every case carries the R call that
produced it, shown when a comparison fails. CI has no R: the JSON files are committed.

Data sets (tests/data/meta_*.csv): metafor's ``dat.bcg``; the packaged published
studies (closure arms with zero events, single-arm series, double zeros none); their two
largest two-arm studies; a homogeneous set (Q < df, τ² = 0); a hugely heterogeneous
set (RR 0.05 to 4); a set with no events in any closure arm and one double-zero study.

Tolerances, and why:

* ``CLOSED = 1e-6`` relative (absolute 1e-12 near 0): closed forms (FE, DL, HE, SJ, MH,
  Peto, Q, I², Egger, Begg, L0). They agree to ~1e-12; 1e-6 is the project's bar.
* ``ITERATIVE = 1e-6`` relative (absolute 1e-9 for τ² near 0): REML, ML, PM, EB and
  the Q-profile bounds. R was run to its solution (Fisher scoring until τ² changes by
  < 1e-13, uniroot tol 1e-12) and recurrence converges to 1e-10, so both sit at the
  root; the worst observed difference is ~1e-8 relative.
* GLMM (``rma.glmm(measure = "PLO")``, lme4 ``glmer``, nAGQ = 7, bobyqa with rhoend
  1e-12): estimate and τ² to ``GLMM_FIT = 1e-5`` relative: the marginal likelihood
  is so flat that τ² values 1e-5 apart differ by 3e-11 in log-likelihood, below what
  either optimizer resolves. Standard-error-based numbers (CI, p, prediction interval)
  to ``GLMM_SE = 2e-4``: lme4 takes the SE from a finite-difference Hessian with step
  1e-4 and no extrapolation, which amplifies the ~1e-12 noise of its quadrature (its SE
  moves by 1e-4 between nearby optimizer settings); recurrence's extrapolated Hessian
  is stable to 1e-8 across steps. With lme4's *default* optimizer settings (bobyqa
  stops at rhoend 2e-7 on a scaled parameter) the fit differs by up to 2e-5: those
  cases are held to ``GLMM_DEFAULT = 1e-4`` for the fit, ``GLMM_SE`` for the rest.
"""

from __future__ import annotations

import warnings
from functools import cache

import numpy as np
import pandas as pd
import pytest
from helpers import ROOT, r_reference

from recurrence import DataError, meta
from recurrence.meta.bias import begg_test, egger_test, trim_and_fill
from recurrence.meta.leave_out import cumulative, influence, leave_one_out

pytestmark = pytest.mark.r_reference

CLOSED = 1e-6
ITERATIVE = 1e-6
GLMM_FIT = 1e-5
GLMM_SE = 2e-4
GLMM_DEFAULT = 1e-4
ITERATIVE_METHODS = {"REML", "ML", "PM", "EB"}


@cache
def dataset(name: str) -> pd.DataFrame:
    return pd.read_csv(ROOT / "tests" / "data" / f"meta_{name}.csv")


def _quiet(fn, *args, **kwargs):
    # the reference tests check numbers; the warnings are tested in test_meta_models.py
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args, **kwargs)


def assert_close(ours, theirs, rtol, atol, what, call):
    if theirs is None:
        assert ours is None or (isinstance(ours, float) and np.isnan(ours)), (what, ours, call)
        return
    assert ours is not None, (what, "None", theirs, call)
    np.testing.assert_allclose(
        np.asarray(ours, float),
        np.asarray(theirs, float),
        rtol=rtol,
        atol=atol,
        err_msg=f"{what}; R: {call}",
    )


def fit_case(case, method=None, hksj=None):
    d = dataset(case["dataset"])
    method = method or case.get("method")
    hksj = case.get("hksj", False) if hksj is None else hksj
    if case["kind"] == "proportion":
        x, n = d[f"events_{case['arm']}"], d[f"total_{case['arm']}"]
        keep = x.notna() & n.notna()
        scale = case["scale"]
        return _quiet(
            meta.proportions,
            x[keep],
            n[keep],
            transform=scale,
            method="REML" if scale == "glmm" else method,
            hksj=hksj,
            labels=d["study"][keep],
            data=d[keep],
        )
    two = d[d["total_closure"].notna() & d["total_control"].notna()]
    return _quiet(
        meta.compare,
        two["events_closure"],
        two["total_closure"],
        two["events_control"],
        two["total_control"],
        measure=case["measure"],
        method=method,
        hksj=hksj,
        labels=two["study"],
        data=two,
    )


# ------------------------------------------------------------------ pooling ---
POOLING = r_reference("meta_pooling")


def _id(case):
    what = case.get("arm") or ""
    scale = case.get("scale") or case.get("measure")
    extra = "-hksj" if case.get("hksj") else ""
    tight = "-tight" if case.get("tight") else ""
    return f"{case['dataset']}-{case['kind']}-{what}-{scale}-{case['method']}{extra}{tight}"


@pytest.mark.parametrize("case", [c for c in POOLING if c["method"] != "GLMM"], ids=_id)
def test_pooling_matches_metafor(case):
    """Every transform/measure × method × HKSJ on every data set (rma, rma.mh, rma.peto)."""
    res = fit_case(case)
    v = case["values"]
    rtol = ITERATIVE if case["method"] in ITERATIVE_METHODS else CLOSED
    atol = 1e-9 if case["method"] in ITERATIVE_METHODS else 1e-12
    assert res.k == v["k"], case["call"]
    for key in (
        "estimate",
        "ci_low",
        "ci_high",
        "pi_low",
        "pi_high",
        "pvalue",
        "tau2",
        "q",
        "q_pvalue",
        "i2",
        "h2",
    ):
        if key in v:
            assert_close(getattr(res, key), v[key], rtol, atol, key, case["call"])
    assert_close(res.se, v["se"], rtol, atol, "se", case["call"])
    for key in ("tau2_ci_low", "tau2_ci_high"):
        if v.get(key) is not None:
            assert_close(getattr(res, key), v[key], ITERATIVE, 1e-9, key, case["call"])


@pytest.mark.parametrize("case", [c for c in POOLING if c["method"] == "GLMM"], ids=_id)
def test_glmm_matches_lme4(case):
    """rma.glmm(measure = "PLO") fits lme4::glmer(nAGQ = 7): the same 7-node AGHQ here."""
    res = fit_case(case)
    v = case["values"]
    fit_tol = GLMM_FIT if case["tight"] else GLMM_DEFAULT
    se_tol = GLMM_SE
    assert res.method == "GLMM"
    assert_close(res.estimate_model, v["beta"], fit_tol, 1e-9, "beta", case["call"])
    assert_close(res.estimate, v["estimate"], fit_tol, 1e-9, "estimate", case["call"])
    assert_close(res.tau2, v["tau2"], fit_tol, 1e-6, "tau2", case["call"])
    for key in ("ci_low", "ci_high", "pi_low", "pi_high", "pvalue"):
        assert_close(getattr(res, key), v[key], se_tol, 1e-9, key, case["call"])
    assert_close(res.se, v["se"], se_tol, 1e-9, "se", case["call"])
    # likelihood-ratio heterogeneity test against the saturated model (exact formulas)
    assert_close(res.glmm.q_lrt, v["q_lrt"], CLOSED, 1e-9, "QE.LRT", case["call"])


# ------------------------------------------------------------------ bias ---
BIAS = r_reference("meta_bias")


def _bias_id(case):
    scale = case.get("scale") or case.get("measure")
    method = case.get("method", "")
    return f"{case['dataset']}-{case.get('arm', '')}-{scale}-{case['test']}-{method}"


@pytest.mark.parametrize("case", [c for c in BIAS if c["test"] in ("egger", "begg")], ids=_bias_id)
def test_egger_and_begg_match_metafor(case):
    """regtest(model = "lm") and ranktest(): closed forms."""
    res = fit_case(case, method="FE", hksj=False)
    test = (egger_test if case["test"] == "egger" else begg_test)(res)
    v = case["values"]
    assert test.k == v["k"]
    assert_close(test.statistic, v["statistic"], CLOSED, 1e-12, "statistic", case["call"])
    assert_close(test.pvalue, v["pvalue"], CLOSED, 1e-12, "pvalue", case["call"])
    if case["test"] == "egger":
        assert test.df == v["df"]


@pytest.mark.parametrize("case", [c for c in BIAS if c["test"] == "egger_rma"], ids=_bias_id)
def test_egger_as_metafor_defaults_to_matches_regtest_rma(case):
    """regtest(rma(yi, vi, method=, test=), model = "rma"): the meta-regression on sei with
    the model's tau2 estimator (iterative for REML: the tau2 tolerance of the fits)."""
    res = fit_case(case)
    test = egger_test(res, model="rma")
    v = case["values"]
    tol = ITERATIVE if case["method"] in ITERATIVE_METHODS else CLOSED
    assert test.k == v["k"]
    assert_close(test.statistic, v["statistic"], tol, 1e-9, "statistic", case["call"])
    assert_close(test.pvalue, v["pvalue"], tol, 1e-9, "pvalue", case["call"])
    assert test.df == (v["df"] if case["hksj"] else None)


@pytest.mark.parametrize("case", [c for c in BIAS if c["test"] == "trimfill"], ids=_bias_id)
def test_trim_and_fill_matches_metafor(case):
    """trimfill(rma(...)) with the side from the classical Egger regression (docs/meta-analysis.md)."""
    res = fit_case(case, method=case["method"], hksj=False)
    tf = _quiet(trim_and_fill, res)
    v = case["values"]
    assert tf.side == v["side"], case["call"]
    assert tf.k0 == v["k0"], case["call"]
    assert tf.k == v["k"]
    rtol = ITERATIVE if case["method"] in ITERATIVE_METHODS else CLOSED
    for key in ("estimate", "ci_low", "ci_high", "tau2", "q", "se_k0"):
        assert_close(getattr(tf, key), v[key], rtol, 1e-9, key, case["call"])
    assert_close(tf.estimate_model, v["beta"], rtol, 1e-9, "beta", case["call"])
    if tf.k0:
        filled = tf.table[tf.table["filled"]]
        assert_close(filled["yi"].to_numpy(), v["yi_filled"], rtol, 1e-9, "yi filled", case["call"])
        assert_close(filled["vi"].to_numpy(), v["vi_filled"], CLOSED, 0, "vi filled", case["call"])


# ------------------------------------------------------------------ sensitivity ---
SENSITIVITY = r_reference("meta_sensitivity")


def _sens_id(case):
    scale = case.get("scale") or case.get("measure")
    hk = "-hksj" if case["hksj"] else ""
    return f"{case['dataset']}-{case.get('arm', '')}-{scale}-{case['method']}{hk}"


def _by_study(frame, ref, keys, rtol, atol, call, what):
    assert frame["study"].tolist() == ref["study"], (what, call)
    for key in keys:
        ours = frame[key].to_numpy(float)
        theirs = np.array([np.nan if x is None else x for x in ref[key]], float)
        np.testing.assert_allclose(
            ours, theirs, rtol=rtol, atol=atol, err_msg=f"{what} {key}; R: {call}"
        )


@pytest.mark.parametrize("case", SENSITIVITY, ids=_sens_id)
def test_leave_one_out_matches_leave1out(case):
    res = fit_case(case)
    loo = _quiet(leave_one_out, res)
    _by_study(
        loo,
        case["leave1out"],
        ["estimate", "ci_low", "ci_high", "tau2", "q", "i2", "pvalue"],
        ITERATIVE,
        1e-9,
        case["call"],
        "leave1out",
    )


@pytest.mark.parametrize("case", SENSITIVITY, ids=_sens_id)
def test_influence_matches_metafor(case):
    res = fit_case(case)
    inf = _quiet(influence, res).table
    _by_study(
        inf,
        case["influence"],
        ["rstudent", "dffits", "cook_d", "cov_r", "tau2_del", "q_del", "hat", "weight", "dfbetas"],
        ITERATIVE,
        1e-9,
        case["call"],
        "influence",
    )
    assert inf["influential"].tolist() == case["influence"]["influential"], case["call"]


@pytest.mark.parametrize("case", SENSITIVITY, ids=_sens_id)
def test_cumulative_matches_cumul(case):
    """cumul(res, order = year): ties keep the input order, missing years last."""
    res = fit_case(case)
    cum = _quiet(cumulative, res, order="year")
    _by_study(
        cum,
        case["cumulative"],
        ["estimate", "ci_low", "ci_high", "tau2", "q", "pvalue"],
        ITERATIVE,
        1e-9,
        case["call"],
        "cumul",
    )


# ------------------------------------------------------------------ regression ---
REGRESSION = r_reference("meta_regression")


@pytest.mark.parametrize(
    "case",
    REGRESSION,
    ids=lambda c: (
        f"{c['dataset']}-{c['measure']}-"
        f"{'+'.join(c['moderators'])}-{c['method']}{'-hksj' * c['hksj']}"
    ),
)
def test_regression_matches_rma_with_moderators(case):
    d = dataset(case["dataset"])
    two = d[d["total_closure"].notna() & d["total_control"].notna()]
    res = _quiet(
        meta.compare,
        two["events_closure"],
        two["total_closure"],
        two["events_control"],
        two["total_control"],
        measure=case["measure"],
        labels=two["study"],
        data=two,
    )
    reg = _quiet(meta.regression, res, case["moderators"], method=case["method"], hksj=case["hksj"])
    v = case["values"]
    rtol = ITERATIVE if case["method"] in ITERATIVE_METHODS else CLOSED
    assert len(reg.table) == len(v["terms"]) and reg.table.index[0] == "intercept"
    for key in ("coef", "se", "statistic", "pvalue", "ci_low", "ci_high"):
        assert_close(reg.table[key].to_numpy(), v[key], rtol, 1e-12, key, case["call"])
    for key in ("qm", "qm_pvalue", "qe", "qe_pvalue", "tau2", "r2"):
        assert_close(getattr(reg, key), v[key], rtol, 1e-9, key, case["call"])
    assert reg.qm_df == v["qm_df"] and reg.k == v["k"]


# ------------------------------------------------------------------ subgroups ---
SUBGROUPS = r_reference("meta_subgroups")


@pytest.mark.parametrize("case", SUBGROUPS, ids=lambda c: f"{c['dataset']}-{c['by']}")
def test_subgroups_match_metafor(case):
    d = dataset(case["dataset"])
    sub = _quiet(
        meta.compare_studies, d, measure=case["measure"], method="REML", subgroup=case["by"]
    )
    v = case["values"]
    assert sub.table["subgroup"].tolist() == [g["subgroup"] for g in v["groups"]]
    for key in ("k", "estimate", "ci_low", "ci_high", "tau2", "q"):
        assert_close(
            sub.table[key].to_numpy(),
            [g[key] for g in v["groups"]],
            ITERATIVE,
            1e-9,
            key,
            case["call"],
        )
    assert_close(sub.q_between, v["q_between"], ITERATIVE, 1e-9, "Q between", case["call"])
    assert_close(
        sub.pvalue_between, v["pvalue_between"], ITERATIVE, 1e-9, "p between", case["call"]
    )
    qm = sub.tests.set_index("test")["statistic"].iloc[1]
    assert_close(qm, v["qm"], ITERATIVE, 1e-9, "QM (common tau2)", case["call"])


def test_egger_model_is_lm_or_rma():
    res = fit_case(next(c for c in BIAS if c["test"] == "egger_rma"))
    with pytest.raises(DataError, match="model must be 'lm' or 'rma', not 'glm'"):
        egger_test(res, model="glm")
