"""Pooling many analyses at once: the batch path equals the single path, convergence
masks, and the statsmodels cross-check (with its flaws corrected in the adapter)."""

from __future__ import annotations

import numpy as np
import pytest
from helpers_statsmodels import combine_effects, combine_many

from recurrence import ConvergenceWarning, DataError
from recurrence.meta import pool_many
from recurrence.meta.pooling import pool
from recurrence.meta.tau2 import METHODS, estimate_tau2, q_profile


@pytest.fixture(scope="module")
def batch():
    rng = np.random.default_rng(20261124)
    vi = rng.uniform(0.01, 0.2, (300, 12))
    tau2 = rng.choice([0.0, 0.02, 0.3, 2.0], size=(300, 1))
    yi = rng.normal(0.2, np.sqrt(vi + tau2))
    return yi, vi


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("hksj", [False, True])
def test_each_row_of_a_batch_equals_its_single_analysis(batch, method, hksj):
    yi, vi = batch
    many = pool_many(yi, vi, method=method, hksj=hksj)
    assert many.converged.all()
    for i in (0, 7, 123, 299):
        one = pool_many(yi[i], vi[i], method=method, hksj=hksj)
        for key in (
            "estimate",
            "se",
            "ci_low",
            "ci_high",
            "pi_low",
            "pi_high",
            "tau2",
            "q",
            "i2",
            "pvalue",
        ):
            np.testing.assert_allclose(
                getattr(many, key)[i],
                getattr(one, key)[0],
                rtol=1e-12,
                atol=1e-15,
                err_msg=f"{method} {key} row {i}",
            )


def test_ml_and_reml_solve_their_score_equations(batch):
    yi, vi = batch
    for method in ("ML", "REML"):
        tau2 = estimate_tau2(yi, vi, method).tau2
        w = 1 / (vi + tau2[:, None])
        mu = (w * yi).sum(1) / w.sum(1)
        r = yi - mu[:, None]
        yppy = (w * w * r * r).sum(1)
        if method == "ML":
            score = yppy - w.sum(1)
        else:
            score = yppy - (w.sum(1) - (w * w).sum(1) / w.sum(1))
        interior = tau2 > 0
        assert np.abs(score[interior]).max() < 1e-6
        assert (score[~interior] <= 1e-9).all()  # at the boundary the score points down


def test_paule_mandel_and_empirical_bayes_solve_generalized_q(batch):
    yi, vi = batch
    k = yi.shape[1]
    for method in ("PM", "EB"):
        tau2 = estimate_tau2(yi, vi, method).tau2
        w = 1 / (vi + tau2[:, None])
        mu = (w * yi).sum(1) / w.sum(1)
        q = (w * (yi - mu[:, None]) ** 2).sum(1)
        assert np.abs(q[tau2 > 0] - (k - 1)).max() < 1e-8
        assert (q[tau2 == 0] <= k - 1).all()


def test_fisher_scoring_that_oscillates_still_converges():
    # plain Fisher scoring (metafor's rma default) oscillates on these data and stops
    # with "did not converge"; the safeguarded steps reach the REML root
    rng = np.random.default_rng(1)
    vi = rng.uniform(0.01, 0.1, (10000, 20))
    yi = rng.normal(0.3, np.sqrt(vi + 0.05))
    y, v = yi[2310], vi[2310]
    fit = estimate_tau2(y, v, "REML")
    assert fit.converged[0]
    # metafor, rma(y, v, method = "REML", control = list(stepadj = 0.5, threshold = 1e-10))
    assert fit.tau2[0] == pytest.approx(0.00119181738181, rel=1e-8)


def test_non_convergence_falls_back_to_dl_with_one_warning(batch):
    yi, vi = batch
    with pytest.warns(
        ConvergenceWarning,
        match=r"REML τ² did not converge in 1 iterations in "
        r"\d+ of 300 analyses; the DerSimonian-Laird",
    ):
        res = pool_many(yi, vi, method="REML", maxiter=1)
    stuck = ~res.converged
    assert stuck.any()
    dl = pool_many(yi, vi, method="DL")
    np.testing.assert_allclose(res.tau2[stuck], dl.tau2[stuck])


def test_single_pool_warns_on_non_convergence_naming_the_fallback():
    from recurrence.meta.pooling import pool as pool_one

    res = pool_one([0.1, 0.9, 0.3, -0.4, 1.2], [0.01, 0.2, 0.05, 0.1, 0.3], method="ML", maxiter=1)
    messages = [m for m, _ in res.alerts]
    assert not res.converged
    assert any(
        "ML τ² did not converge in 1 iterations; the DerSimonian-Laird τ²" in m for m in messages
    )


@pytest.mark.parametrize("method", ["DL", "PM"])
def test_agrees_with_statsmodels_after_the_adapter_corrections(batch, method):
    yi, vi = batch
    ours = pool_many(yi[:40], vi[:40], method=method)
    theirs = combine_many(yi[:40], vi[:40], method)
    ok = theirs["converged"]
    assert ok.sum() >= 30
    np.testing.assert_allclose(ours.tau2[ok], theirs["tau2"][ok], rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(ours.estimate[ok], theirs["estimate"][ok], rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(ours.se[ok], theirs["se"][ok], rtol=1e-6)
    np.testing.assert_allclose(ours.q, theirs["q"], rtol=1e-10)
    np.testing.assert_allclose(ours.i2, theirs["i2"], rtol=1e-10, atol=1e-12)
    if method == "PM":
        # statsmodels' overshooting Newton gives up at τ² = 0 on heterogeneous rows; its
        # flag (kept by the adapter, dropped by combine_effects) is what tells
        assert (theirs["tau2"][~ok] == 0).all() and (ours.tau2[~ok] > 0).all()


def test_the_statsmodels_flaws_the_adapter_corrects():
    # homogeneous studies: statsmodels' DL tau2 and I2 are negative; metafor gives 0 and 0
    out = combine_effects([0.2, 0.21, 0.19], [0.04, 0.05, 0.06], "DL")
    assert out["raw_tau2"] < 0 and out["raw_i2"] < 0
    assert out["tau2"] == 0 and out["i2"] == 0
    assert pool([0.2, 0.21, 0.19], [0.04, 0.05, 0.06], method="DL").tau2 == 0
    # statsmodels' PM says "not converged" at the boundary; the adapter keeps the flag right
    assert combine_effects([0.2, 0.21, 0.19], [0.04, 0.05, 0.06], "PM")["converged"]


def test_q_profile_bounds_solve_their_equations():
    y = np.array([0.1, 0.3, 0.35, 0.8, -0.2])
    v = np.full(5, 0.02)
    lo, hi = q_profile(y, v)
    from scipy import stats

    for t, crit in ((lo, stats.chi2.ppf(0.975, 4)), (hi, stats.chi2.ppf(0.025, 4))):
        w = 1 / (v + t)
        mu = np.sum(w * y) / w.sum()
        assert np.sum(w * (y - mu) ** 2) == pytest.approx(crit, rel=1e-10)
    assert q_profile([0.2], [0.1]) is None
    # homogeneous data: Q(0) below the lower quantile, both bounds at 0
    assert q_profile([0.2, 0.2001, 0.1999], [0.1, 0.1, 0.1]) == (0.0, 0.0)


def test_batch_input_errors_name_the_problem():
    with pytest.raises(DataError, match="shape"):
        pool_many(np.zeros((2, 3)), np.ones((2, 4)))
    with pytest.raises(DataError, match="non-positive variances in analyses 2"):
        pool_many([[0.1, 0.2], [0.1, 0.2]], [[0.1, 0.1], [0.1, 0.0]])
    with pytest.raises(DataError, match="method='XX' is not known"):
        pool_many([0.1, 0.2], [0.1, 0.1], method="XX")
    with pytest.raises(DataError, match=r"level must be between 0 and 1 \(got 95\)"):
        pool_many([0.1, 0.2], [0.1, 0.1], level=95)


def test_to_frame_has_one_row_per_analysis(batch):
    yi, vi = batch
    frame = pool_many(yi[:5], vi[:5], method="DL").to_frame()
    assert len(frame) == 5
    assert {"estimate", "ci_low", "tau2", "converged", "pvalue"} <= set(frame.columns)
    assert "m=5" in repr(pool_many(yi[:5], vi[:5]))
