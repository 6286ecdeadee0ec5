"""Fine-Gray with censoring groups: crr(cengroup=)'s standard errors and the corrected ones.

Reference values: validation/r/finegray_cengroup.R → tests/data/r/finegray_cengroup.json.
R ran ``crr(time, event, cov, cengroup = g, gtol = 1e-9)`` (cmprsk 2.2-11) and, for the
corrected variance that no R package computes, an O(n²) transcription of the Fine & Gray
(1999) sandwich written in that script (``fg_brute``): restricted to each group's own
failures it reproduces crr's variance (recorded: ``brute_vs_crr_max_rel``), with every
failure it is the reference of ``censoring_variance="corrected"``. crr's ``gtol = 1e-9``
leaves its coefficients ~1e-9 from the maximum, and the SEs are smooth in β: ``REL =
1e-6`` relative. The simulated cohort is read from a CSV through ``load_cohort``.
"""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest
from helpers import ROOT, r_reference

from recurrence import DataError, load_cohort
from recurrence.survival import fine_gray
from recurrence.survival._core.finegray import _state, censoring_q, fit_fine_gray, make_data

pytestmark = pytest.mark.r_reference

REL = 1e-6
DATA = ROOT / "tests" / "data"
SIM = ["closure", "age", "smoker"]


@pytest.fixture(scope="module")
def ref():
    return r_reference("finegray_cengroup")


@pytest.fixture(scope="module")
def sim():
    return load_cohort(DATA / "fg_cengroup.csv")


@pytest.fixture(scope="module")
def mgus2():
    return pd.read_csv(DATA / "surv_models_mgus2.csv", float_precision="round_trip")


def _fit(case, sim, mgus2, **kwargs):
    if case == "sim_site":
        return fine_gray(sim, SIM, censoring_groups="site", **kwargs)
    return fine_gray(mgus2, ["age", "hgb"], censoring_groups="male", **kwargs)


def test_the_r_transcription_reproduces_crr(ref):
    # what makes fg_brute a reference: with each group's own failures it gives crr's
    # var(), and with one group crr's var() without cengroup (R said 8e-14, 1e-12)
    for case in ("sim_site", "mgus2_male"):
        assert ref[case]["converged"]
        assert ref[case]["brute_vs_crr_max_rel"] < 1e-10
        assert ref[case]["one_group_brute_max_rel"] < 1e-10


@pytest.mark.parametrize("case", ["sim_site", "mgus2_male"])
def test_default_standard_errors_are_crr_cengroup(ref, sim, mgus2, case):
    r = ref[case]  # R: crr(time, event, cov, cengroup = site | male, gtol = 1e-9)
    fit = _fit(case, sim, mgus2)
    assert list(fit.table.index) == r["terms"]
    np.testing.assert_allclose(fit.table["coef"], r["coef"], rtol=REL, err_msg=r["call"])
    np.testing.assert_allclose(fit.table["se"], r["se"], rtol=REL, err_msg=r["call"])
    assert any("as crr(cengroup=) (cmprsk 2.2-11)" in x for x in fit.remarks)


@pytest.mark.parametrize("case", ["sim_site", "mgus2_male"])
def test_corrected_standard_errors_match_the_r_transcription(ref, sim, mgus2, case):
    r = ref[case]  # R: fg_brute(..., own = FALSE) at crr's coefficients
    fit = _fit(case, sim, mgus2, censoring_variance="corrected")
    np.testing.assert_allclose(fit.table["se"], r["corrected_se"], rtol=REL)
    np.testing.assert_allclose(fit.cov.to_numpy(), r["corrected_var"], rtol=REL)
    # the two differ here (by more than the tolerance), in the direction R says
    differ = np.abs(np.array(r["corrected_se"]) / np.array(r["se"]) - 1)
    assert differ.max() > 10 * REL
    crr = _fit(case, sim, mgus2)
    np.testing.assert_allclose(fit.table["coef"], crr.table["coef"], rtol=1e-12)
    np.testing.assert_allclose(
        fit.table["se"] / crr.table["se"], np.array(r["corrected_se"]) / r["se"], rtol=REL
    )
    remark = next(x for x in fit.remarks if "censoring_variance='crr'" in x)
    assert "counts every reherniation event" in remark


def test_one_censoring_group_both_are_crr(ref, sim):
    # R: crr(time, event, cbind(closure, age, smoker)) without cengroup
    one = sim.assign(site="all")
    a = fine_gray(one, SIM, censoring_groups="site")
    b = fine_gray(one, SIM, censoring_groups="site", censoring_variance="corrected")
    c = fine_gray(sim, SIM)
    np.testing.assert_allclose(a.table["se"], ref["sim_site"]["one_group_se"], rtol=REL)
    np.testing.assert_allclose(b.table.to_numpy(), a.table.to_numpy(), rtol=1e-12)
    np.testing.assert_allclose(c.table.to_numpy(), a.table.to_numpy(), rtol=1e-12)
    assert not any("censoring_variance=" in x for x in a.remarks)


def test_censoring_variance_is_checked(sim):
    with pytest.raises(DataError, match="censoring_variance must be 'crr' or 'corrected'"):
        fine_gray(sim, SIM, censoring_groups="site", censoring_variance="exact")


def _score_after_jump(d, beta, k, u, eps):
    """crr's score at beta when G_k(t−) drops by the factor (1 − eps) for t > u."""
    d2 = copy.deepcopy(d)
    grp = d2.groups[k]
    d2.g[grp.rows] = d.g[grp.rows] * np.where(d.t[grp.rows] > u, 1 - eps, 1.0)
    grp.gm = d.groups[k].gm * np.where(d.t[d.fhead] > u, 1 - eps, 1.0)
    return _state(d2, beta).score


def test_corrected_q_is_the_derivative_of_the_score():
    """q_k(u) is how crr's score moves when group k's censoring distribution jumps at u:
    a central finite difference agrees with the corrected q to 1e-6, not with crr's,
    which leaves out the failures of the other groups (group 0 has few of them)."""
    rng = np.random.default_rng(3)
    n = 400
    g = rng.integers(0, 2, n)
    x = rng.normal(size=(n, 1))
    t1 = rng.exponential(1 / (np.where(g == 1, 1.0, 0.1) * np.exp(0.5 * x[:, 0])))
    t2 = rng.exponential(1 / (np.where(g == 1, 0.2, 1.0) * np.exp(x[:, 0])))
    c = np.where(g == 1, rng.exponential(5.0, n), rng.exponential(1.0, n))
    time = np.minimum.reduce([t1, t2, c])
    event = np.where(time == c, 0, np.where(time == t1, 1, 2))
    d, _ = make_data(time, event, x, 1, g)
    beta = fit_fine_gray(d, 1).coef
    st = _state(d, beta)
    off = {}
    for k in (0, 1):
        grp = d.groups[k]
        corrected, crr = censoring_q(d, st, grp, "corrected"), censoring_q(d, st, grp, "crr")
        rel = []
        for i in range(0, len(grp.chead), 7):
            u = d.t[grp.chead[i]]
            num = (
                _score_after_jump(d, beta, k, u, 1e-6) - _score_after_jump(d, beta, k, u, -1e-6)
            ) / 2e-6
            # abs: the difference's own rounding, ~141 failures' terms of O(1) at
            # ε = 1.1e-16 over 2h = 2e-6, up to 1.6e-8 (1.3e-9 seen where q is 0)
            assert num == pytest.approx(corrected[i], rel=1e-6, abs=2e-8)
            if abs(num[0]) > 1e-3:
                rel.append(abs(crr[i, 0] / num[0] - 1))
        off[k] = np.median(rel)
    # group 0 holds 9 of the 141 failures: crr's q there is far from the derivative
    assert np.bincount(g[event == 1]).tolist() == [9, 132]
    assert off[0] > 0.5 and off[1] > 0.01
