"""recurrence._dist gives scipy.stats' values (it calls the same scipy.special routines).

Tolerance: exact equality (``rtol=0``) where scipy.stats' method is literally the
routine called here; the beta quantile, which scipy.stats computes through a private
Boost ufunc and we through the public ``betaincinv``, within 1e-13 relative.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from scipy import stats

from recurrence._dist import beta_dist, chi2, fisher_f, norm, student_t

RNG = np.random.default_rng(20261202)
X = np.r_[np.linspace(-9, 9, 181), RNG.normal(0, 3, 200), 0.0, 1e-300, 38.0]
P = np.r_[np.linspace(0, 1, 101), RNG.uniform(size=200), 1e-300, 1 - 1e-16]
DF = np.r_[0.5, 1, 2, 3.5, 10, 57, 1e4]


@pytest.mark.parametrize("name", ["cdf", "sf", "ppf", "isf", "pdf", "logpdf", "logsf"])
def test_normal(name):
    arg = P if name in ("ppf", "isf") else X
    np.testing.assert_array_equal(getattr(norm, name)(arg), getattr(stats.norm, name)(arg))


@pytest.mark.parametrize("df", DF)
def test_chi2_and_t(df):
    x = np.abs(X)
    np.testing.assert_array_equal(chi2.sf(x, df), stats.chi2.sf(x, df))
    np.testing.assert_array_equal(chi2.cdf(x, df), stats.chi2.cdf(x, df))
    np.testing.assert_array_equal(chi2.ppf(P, df), stats.chi2.ppf(P, df))
    np.testing.assert_array_equal(student_t.sf(X, df), stats.t.sf(X, df))
    np.testing.assert_array_equal(student_t.cdf(X, df), stats.t.cdf(X, df))
    np.testing.assert_array_equal(student_t.ppf(P, df), stats.t.ppf(P, df))


def test_f_and_beta():
    x = np.abs(X)
    for d1, d2 in [(1, 5), (3, 17.5), (10, 200)]:
        np.testing.assert_array_equal(fisher_f.sf(x, d1, d2), stats.f.sf(x, d1, d2))
    q = P[P > 1e-200]  # Boost gives up (and warns) on 1e-300 in scipy.stats too
    for a, b in [(1, 9), (3, 4), (0.5, 20), (40, 2)]:  # Clopper-Pearson's shapes
        np.testing.assert_allclose(beta_dist.ppf(q, a, b), stats.beta.ppf(q, a, b), rtol=1e-13)


def test_scalars_stay_scalars():
    assert np.ndim(norm.sf(1.96)) == 0 and isinstance(float(chi2.sf(3.84, 1)), float)


def test_the_engines_do_not_import_scipy_stats():
    """What the module is for: survival curves, Cox, Fine-Gray and pooling run without
    scipy.stats (nor do Begg's test and trim and fill: tests/test_ranks.py)."""
    code = (
        "import sys\n"
        "from recurrence import simulate_cohort, survival, meta, load_studies\n"
        "c = simulate_cohort(300, seed=1)\n"
        "survival.kaplan_meier(c); survival.cox(c, ['closure', 'age']); survival.logrank(c)\n"
        "survival.fine_gray(c, ['closure']); survival.rmst(c, 24)\n"
        "meta.compare_studies(load_studies(), measure='RR', hksj=True)\n"
        "print('scipy.stats' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "False"
