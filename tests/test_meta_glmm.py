"""The GLMM likelihood's exact gradient and the joint Newton search (the agreement with
lme4 is in test_meta_reference.py).

Tolerances: central differences with step 1e-6 of a likelihood carrying ~1e-12 of
quadrature noise are good to ~1e-6 absolute; the gradient is held to 1e-5.
"""

from __future__ import annotations

import numpy as np
import pytest

from recurrence.meta.glmm import _AGHQ, _maximise, aghq_loglik, glmm_proportions

X = np.array([1.0, 6, 2, 0, 15, 3])
N = np.array([75.0, 171, 60, 30, 120, 44])


@pytest.mark.parametrize(("beta", "tau"), [(-3.2, 0.5), (-2.0, 1.7), (-4.0, 0.05)])
def test_gradient_is_the_derivative_of_the_likelihood(beta, tau):
    lik = _AGHQ(X, N)
    _, d_beta, d_tau = lik.evaluate(beta, tau, grad=True)
    h = 1e-6
    num_beta = (aghq_loglik(beta + h, tau, X, N) - aghq_loglik(beta - h, tau, X, N)) / (2 * h)
    num_tau = (aghq_loglik(beta, tau + h, X, N) - aghq_loglik(beta, tau - h, X, N)) / (2 * h)
    assert d_beta == pytest.approx(num_beta, abs=1e-5)
    assert d_tau == pytest.approx(num_tau, abs=1e-5)


def test_warm_started_modes_give_the_cold_value():
    lik = _AGHQ(X, N)
    for beta, tau in [(-1.0, 3.0), (-5.0, 0.1), (-3.0, 0.8)]:
        assert lik.evaluate(beta, tau)[0] == pytest.approx(aghq_loglik(beta, tau, X, N), abs=1e-11)


def test_newton_reaches_the_maximum_with_few_evaluations():
    lik = _AGHQ(X, N)
    beta, tau, ll, converged = _maximise(lik, -3.0, 0.3)
    assert converged and tau > 0
    _, d_beta, d_tau = lik.evaluate(beta, tau, grad=True)
    assert abs(d_beta) < 1e-7 and abs(d_tau) < 1e-7  # a stationary point
    for db, dt in [(0.01, 0), (-0.01, 0), (0, 0.01), (0, -0.01)]:
        assert aghq_loglik(beta + db, tau + dt, X, N) < ll  # ... and a maximum
    assert lik.evaluations < 100  # nested Brent searches took 469 to 637


def test_homogeneous_counts_reach_the_boundary():
    res = glmm_proportions([10, 10, 10, 10], [100, 100, 100, 100])
    assert res.tau2 == 0.0 and res.estimate == pytest.approx(np.log(10 / 90), rel=1e-12)


def test_the_quadrature_sum_is_scipys_logsumexp():
    # glmm_or sums its quadrature terms with its own log-sum-exp (scipy's array-API
    # layer was half of the fit's time); it must give scipy's value, also for terms far
    # from 0 in either direction (a study's log-likelihood runs to the thousands)
    from scipy.special import logsumexp

    from recurrence.meta.glmm_or import _logsumexp_rows

    rng = np.random.default_rng(5)
    for scale, shift in [(1.0, 0.0), (30.0, -5000.0), (0.01, 700.0)]:
        terms = shift + scale * rng.standard_normal((16, 7))
        np.testing.assert_allclose(
            _logsumexp_rows(terms), logsumexp(terms, axis=1), rtol=1e-15, atol=0
        )
