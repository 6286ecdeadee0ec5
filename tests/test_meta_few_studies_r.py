"""The few-studies methods against metafor 3.8-1 (lme4 through ``rma.glmm``), R 4.2.2.

Numbers from ``validation/r/meta_few_studies.R`` (``tests/data/r/meta_few_studies.json``),
each case with the R call that produced it; data sets as in ``test_meta_reference.py``
plus ``tests/data/meta_reported.csv`` (hazard ratios with a CI, an SE or a p-value).

Tolerances, and why:

* ``CLOSED = 1e-6`` relative: DL, FE, MH, Peto, the generic inverse variance, and the
  HKSJ/adhoc scale (closed forms given τ²). Observed ~1e-12.
* ``ITERATIVE = 1e-6`` relative (absolute 1e-9 for τ² near 0): REML and PM, run to
  their solution on both sides (R with threshold 1e-13 and halved steps).
* GLMM for OR (``rma.glmm(model = "UM.FS")``, lme4 ``glmer`` with nAGQ = 7): the
  estimate, τ² and standard error to ``GLMM = 2e-4`` relative. The quadrature is the
  same; what differs is where each optimizer stops on a likelihood that is flat in τ
  (τ² values 1e-5 apart differ by ~1e-10 in log-likelihood) and lme4's finite-difference
  Hessian (step 1e-4, no extrapolation), as explained for the proportion GLMM in
  ``test_meta_reference.py``. Observed differences are listed in docs/validation.md.
"""

from __future__ import annotations

import warnings
from functools import cache

import numpy as np
import pandas as pd
import pytest
from helpers import ROOT, r_reference

import recurrence
from recurrence import meta
from recurrence.meta.glmm_or import um_fs_loglik

pytestmark = pytest.mark.r_reference

CLOSED = 1e-6
ITERATIVE = 1e-6
GLMM = 2e-4
CASES = r_reference("meta_few_studies")


@cache
def dataset(name: str) -> pd.DataFrame:
    return pd.read_csv(ROOT / "tests" / "data" / f"meta_{name}.csv")


def _quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args, **kwargs)


def close(ours, theirs, rtol, atol, what, call):
    if theirs is None:
        assert ours is None or np.isnan(ours), (what, ours, call)
        return
    np.testing.assert_allclose(
        float(ours), theirs, rtol=rtol, atol=atol, err_msg=f"{what}; R: {call}"
    )


def two_arm(name):
    d = dataset(name)
    return d[d["total_closure"].notna() & d["total_control"].notna()]


def counts(d):
    return [d[c] for c in ("events_closure", "total_closure", "events_control", "total_control")]


def _id(case):
    keys = ("kind", "dataset", "measure", "arm", "method", "test")
    tight = "-tight" if case.get("tight") else ""
    return "-".join(str(case[k]) for k in keys if k in case) + tight


@pytest.mark.parametrize("case", [c for c in CASES if c["kind"] == "adhoc"], ids=_id)
def test_adhoc_matches_metafor(case):
    """rma(test = "adhoc"): the HKSJ scale floored at 1, t on k − 1 df."""
    if "arm" in case:
        d = dataset(case["dataset"])
        x, n = d[f"events_{case['arm']}"], d[f"total_{case['arm']}"]
        keep = x.notna()
        args, kwargs, fn = (x[keep], n[keep]), {}, meta.proportions
    else:
        args, kwargs, fn = (
            counts(two_arm(case["dataset"])),
            {"measure": case["measure"]},
            meta.compare,
        )
    res = _quiet(fn, *args, **kwargs, method=case["method"], hksj="adhoc")
    v = case["values"]
    assert res.k == v["k"] and res.hksj == "adhoc"
    rtol = ITERATIVE if case["method"] != "DL" else CLOSED
    for key in ("estimate", "ci_low", "ci_high", "pvalue", "se", "tau2"):
        close(getattr(res, key), v[key], rtol, 1e-9, key, case["call"])
    # never narrower than the usual interval (the point of the modification)
    usual = _quiet(fn, *args, **kwargs, method=case["method"])
    assert res.ci_high - res.ci_low >= (usual.ci_high - usual.ci_low) * (1 - 1e-12)


@pytest.mark.parametrize("case", [c for c in CASES if c["kind"] == "glmm_or"], ids=_id)
def test_glmm_odds_ratio_matches_lme4(case):
    """rma.glmm(measure = "OR", model = "UM.FS"): the same 7-node AGHQ likelihood.

    With lme4's tight settings (bobyqa, rhoend 1e-12) the fits agree to ~1e-5. With its
    defaults bobyqa can stop early on the flat heterogeneous likelihood (the
    "heterogeneous" set: 1e-2 apart in the log OR): there the test checks that our
    maximum is at least as high as R's, evaluated by our likelihood at R's estimates."""
    d = two_arm(case["dataset"])
    res = _quiet(meta.compare, *counts(d), measure="OR", method="GLMM")
    v = case["values"]
    assert res.method == "GLMM" and res.k == v["k"]
    a, n1, c, n2 = (x.to_numpy(float) for x in counts(d))
    keep = ~((a == 0) & (c == 0))
    ll_r = um_fs_loglik(v["beta"], np.sqrt(v["tau2"]), a[keep], n1[keep], c[keep], n2[keep])[0]
    assert res.glmm.loglik >= ll_r - 1e-9, case["call"]
    if not case["tight"] and res.glmm.loglik - ll_r > 1e-8:
        return  # R's default optimizer stopped short of the maximum (see above)
    close(res.estimate_model, v["beta"], GLMM, 1e-7, "beta", case["call"])
    close(res.tau2, v["tau2"], GLMM, 1e-6, "tau2", case["call"])
    close(res.se, v["se"], GLMM, 1e-7, "se", case["call"])
    for key in ("estimate", "ci_low", "ci_high", "pvalue"):
        close(getattr(res, key), v[key], GLMM, 1e-7, key, case["call"])


@pytest.mark.parametrize("name", ["bcg", "heterogeneous", "homogeneous", "published"])
def test_glmm_odds_ratio_newton_ends_where_nelder_mead_ends(name):
    """The UM.FS profile is maximised by Newton's method in (β, τ), with Nelder-Mead in
    (β, log τ), its optimiser before, kept for steps that do not settle. On every
    reference data set the steps settle (no fallback) at Nelder-Mead's maximum: β and
    τ² to 1e-6, the log-likelihood no lower by more than 1e-9 (the τ direction is flat:
    τ² values 1e-5 apart differ by ~1e-10 in log-likelihood)."""
    from scipy import optimize

    from recurrence.meta.glmm_or import _maximise_profile

    a, n1, c, n2 = (x.to_numpy(float) for x in counts(two_arm(name)))
    keep = ~((a == 0) & (c == 0))
    a, n1, c, n2 = a[keep], n1[keep], c[keep], n2[keep]
    beta, tau, loglik, settled = _maximise_profile(a, n1, c, n2, -0.5, 0.3)
    assert settled
    nm = optimize.minimize(
        lambda t: -um_fs_loglik(t[0], np.exp(t[1]), a, n1, c, n2)[0],
        x0=np.array([-0.5, np.log(0.3)]),
        method="Nelder-Mead",
        options={"xatol": 1e-10, "fatol": 1e-13, "maxiter": 4000},
    )
    tau_nm = float(np.exp(nm.x[1])) if np.exp(nm.x[1]) > 1e-5 else 0.0
    assert loglik >= -nm.fun - 1e-9
    assert beta == pytest.approx(nm.x[0], abs=1e-6)
    assert tau**2 == pytest.approx(tau_nm**2, abs=1e-6)


@pytest.mark.parametrize("case", [c for c in CASES if c["kind"] == "generic"], ids=_id)
def test_generic_matches_metafor(case):
    """rma(yi = log(HR), sei): HRs read from a CSV with a CI, an SE or a p-value each."""
    r = pd.read_csv(ROOT / "tests" / "data" / "meta_reported.csv")
    hksj = {"z": False, "knha": True, "adhoc": "adhoc"}[case["test"]]
    res = _quiet(
        meta.generic,
        r["hr"],
        se=r["se_log"],
        ci_low=r["ci_low"],
        ci_high=r["ci_high"],
        pvalue=r["pvalue"],
        measure="HR",
        method=case["method"],
        hksj=hksj,
        labels=r["study"],
    )
    v = case["values"]
    np.testing.assert_allclose(res.yi, v["yi"], rtol=1e-12)
    np.testing.assert_allclose(res.vi, v["vi"], rtol=1e-12)
    rtol = ITERATIVE if case["method"] in ("REML", "PM") else CLOSED
    for key in ("estimate", "ci_low", "ci_high", "pvalue", "se", "tau2", "pi_low", "pi_high"):
        close(getattr(res, key), v[key], rtol, 1e-9, key, case["call"])
    assert res.table["se_from"].tolist() == ["ci", "ci", "ci", "se", "p", "ci"]


@pytest.mark.parametrize("case", [c for c in CASES if c["kind"] == "sensitivity"], ids=_id)
def test_sensitivity_rows_match_metafor(case):
    """Every frequentist row of sensitivity(), on a study table read from a CSV file
    through recurrence.load_studies (the Bayesian rows: test_meta_bayes_r.py)."""
    path = ROOT / "tests" / "data" / f"meta_{case['dataset']}.csv"
    studies = _quiet(recurrence.load_studies, path)
    kwargs = {"measure": case["measure"]}
    if "arm" in case:
        kwargs["arm"] = case["arm"]
    sens = _quiet(meta.sensitivity, studies, **kwargs)
    table = sens.table.set_index("method")
    expected = case["rows"]
    frequentist = [m for m in table.index if not m.startswith("bayes")]
    assert frequentist == list(expected), case["call"]
    for method, v in expected.items():
        row = table.loc[method]
        tol = GLMM if method == "GLMM" else ITERATIVE
        assert row["k"] == v["k"], method
        for key in ("estimate", "ci_low", "ci_high", "tau2", "pi_low", "pi_high"):
            close(row[key], v[key], tol, 1e-9, f"{method} {key}", case["call"])
