"""The binomial-normal random-effects model for one arm's proportions, fitted by
maximum likelihood, as ``metafor::rma.glmm(measure="PLO")``.

Model: x_i ~ Binomial(n_i, expit(β + b_i)), b_i ~ N(0, τ²). metafor 3.8 fits it with
``lme4::glmer(cbind(x, n - x) ~ 1 + (1 | study), family = binomial, nAGQ = 7)``: the
marginal likelihood by adaptive Gauss-Hermite quadrature with 7 nodes, centred at
each study's conditional mode with the exact curvature there (the canonical logit link
makes the Laplace curvature exact). This module evaluates the same 7-node AGHQ
likelihood, maximises it over (β, τ), and takes the standard error of β from the
inverse of the Hessian of the log-likelihood in (τ, β), as lme4's ``vcov`` does for
nAGQ > 0.

Why by hand: statsmodels' ``BinomialBayesMixedGLM`` is a variational Bayes fit (not
ML), and no maintained Python library fits GLMMs by adaptive quadrature.
"""

from __future__ import annotations

import warnings
from dataclasses import replace

import numpy as np
from scipy import optimize, special, stats

from ..errors import ConvergenceWarning, StatisticalWarning
from .effects import proportion_effects
from .pooling import Pooled, pool

__all__ = ["NAGQ", "aghq_loglik", "glmm_proportions"]

#: Quadrature nodes, metafor 3.8's default (``rma.glmm(nAGQ = 7)``).
NAGQ = 7
_NODES, _WEIGHTS = np.polynomial.hermite_e.hermegauss(NAGQ)
_WEIGHTS = _WEIGHTS / np.sqrt(2 * np.pi)  # weights of the standard normal density
_LOG_PHI_NODES = -0.5 * _NODES**2 - 0.5 * np.log(2 * np.pi)


def _log_binom(x, n, eta):
    """log P(x | n, expit(eta)) without the binomial coefficient (it cancels)."""
    return x * eta - n * np.logaddexp(0.0, eta)


def aghq_loglik(beta: float, tau: float, x, n, nagq_nodes=None) -> float:
    """Log marginal likelihood (binomial coefficients included) by 7-node AGHQ.

    ``tau`` is the standard deviation of the random effects (may be 0).
    """
    x = np.asarray(x, float)
    n = np.asarray(n, float)
    const = special.gammaln(n + 1) - special.gammaln(x + 1) - special.gammaln(n - x + 1)
    if tau == 0:
        return float(np.sum(const + _log_binom(x, n, beta)))

    # conditional modes of u (b = tau * u) by Newton's method with step halving:
    # g(u) is strictly concave, but full Newton steps can overshoot for large tau
    def g(u):
        return _log_binom(x, n, beta + tau * u) - 0.5 * u * u

    u = np.zeros_like(x)
    gu = g(u)
    for _ in range(200):
        p = special.expit(beta + tau * u)
        g1 = tau * (x - n * p) - u
        g2 = -(tau * tau) * n * p * (1 - p) - 1
        step = -g1 / g2
        new = u + step
        gnew = g(new)
        for _ in range(60):
            worse = gnew < gu - 1e-12 * np.abs(gu)
            if not worse.any():
                break
            step = np.where(worse, step / 2, step)
            new = u + step
            gnew = g(new)
        u, gu = new, gnew
        if np.max(np.abs(step)) < 1e-14:
            break
    p = special.expit(beta + tau * u)
    s = 1 / np.sqrt(tau * tau * n * p * (1 - p) + 1)
    nodes = u[:, None] + s[:, None] * _NODES[None, :]
    logg = (
        _log_binom(x[:, None], n[:, None], beta + tau * nodes)
        - 0.5 * nodes**2
        - 0.5 * np.log(2 * np.pi)
    )
    terms = logg - _LOG_PHI_NODES[None, :] + np.log(_WEIGHTS)[None, :]
    return float(np.sum(const + np.log(s) + special.logsumexp(terms, axis=1)))


def _profile_beta(tau, x, n, start):
    def nll(b):
        return -aghq_loglik(b, tau, x, n)

    res = optimize.minimize_scalar(
        nll, bracket=(start - 1, start + 1), method="brent", options={"xtol": 1e-12, "maxiter": 500}
    )
    return float(res.x), -float(res.fun)


def _hessian(f, z, h=2e-3):
    """Central-difference Hessian with one Richardson extrapolation step.

    The step is larger than lme4's (1e-4, without extrapolation): the quadrature
    likelihood carries ~1e-12 of noise from the conditional modes, which a 1e-4 step
    amplifies to ~1e-4 in the Hessian; with 2e-3 and extrapolation the truncation and
    noise errors are both below 1e-7.
    """

    def raw(step):
        d = len(z)
        H = np.empty((d, d))
        for i in range(d):
            for j in range(i, d):
                ei = np.zeros(d)
                ej = np.zeros(d)
                ei[i] = step
                ej[j] = step
                H[i, j] = H[j, i] = (
                    f(z + ei + ej) - f(z + ei - ej) - f(z - ei + ej) + f(z - ei - ej)
                ) / (4 * step * step)
        return H

    return (4 * raw(h / 2) - raw(h)) / 3


def glmm_proportions(events, totals, *, level: float = 0.95) -> Pooled:
    """ML fit of the binomial-normal model (logit link); returns a :class:`Pooled`
    on the logit scale. The heterogeneity statistics (Q, I², H²) are those of the
    inverse-variance logit analysis of the same counts (API.md: Cochran's Q with
    common-effect weights); ``extra`` holds the likelihood-ratio test of τ² = 0
    against the saturated model as metafor reports it (``QE.LRT``).

    Falls back, with a :class:`~recurrence.errors.ConvergenceWarning` or
    :class:`~recurrence.errors.StatisticalWarning` naming what was done, to the
    inverse-variance logit model with ML τ² when the ML estimate does not exist
    (no events, or only events, in every study) or the fit fails.

    Examples
    --------
    >>> res = glmm_proportions([1, 6, 2, 0], [75, 171, 60, 30])
    >>> round(float(special.expit(res.estimate)), 4), round(res.tau2, 4)
    (0.0268, 0.0)
    """
    ivlogit = proportion_effects(events, totals, "logit")
    x, n = ivlogit.events, ivlogit.totals
    k = x.size
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        iv = pool(ivlogit.yi, ivlogit.vi, method="ML", level=level)
    if x.sum() == 0 or x.sum() == n.sum():
        what = "no events" if x.sum() == 0 else "only events"
        msg = (
            f"binomial-normal GLMM: {what} in every study, so its ML estimate is at the "
            "boundary (proportion 0 or 1) and does not exist; the inverse-variance logit "
            "model (0.5 added to each arm, ML τ²) was used instead"
        )
        return replace(
            iv,
            notes=(*iv.notes, msg),
            alerts=(*iv.alerts, (msg, StatisticalWarning)),
            method="IV-logit (GLMM fallback)",
        )
    z = stats.norm.ppf(0.5 + level / 2)
    start = float(np.log(x.sum() / (n.sum() - x.sum())))
    ll_fe = aghq_loglik(start, 0.0, x, n)
    if k == 1:
        msg = (
            "only one study: the binomial-normal model cannot estimate τ² (set to 0); the "
            "estimate is the study's own logit proportion"
        )
        beta, tau = start, 0.0
        alerts = [(msg, StatisticalWarning)]
    else:
        alerts = []

        def neg_profile(log_tau):
            return -_profile_beta(np.exp(log_tau), x, n, start)[1]

        res = optimize.minimize_scalar(
            neg_profile,
            bounds=(np.log(1e-6), np.log(20.0)),
            method="bounded",
            options={"xatol": 1e-10, "maxiter": 500},
        )
        tau = float(np.exp(res.x))
        beta, ll = _profile_beta(tau, x, n, start)
        if not res.success:
            msg = (
                "binomial-normal GLMM: the likelihood maximisation did not converge; the "
                "inverse-variance logit model (ML τ²) was used instead"
            )
            return replace(
                iv,
                notes=(*iv.notes, msg),
                alerts=(*iv.alerts, (msg, ConvergenceWarning)),
                method="IV-logit (GLMM fallback)",
            )
        if ll_fe >= ll - 1e-9 or tau <= 1e-5:
            beta, tau = start, 0.0
    ll = aghq_loglik(beta, tau, x, n)

    def loglik(theta):
        return aghq_loglik(theta[1], abs(theta[0]), x, n)

    if tau > 0:
        H = _hessian(loglik, np.array([tau, beta]))
        try:
            cov = np.linalg.inv(-H)
            var = float(cov[1, 1])
        except np.linalg.LinAlgError:  # pragma: no cover - singular only in degenerate fits
            var = float(-1 / H[1, 1])
    else:
        p = special.expit(beta)
        var = float(1 / np.sum(n * p * (1 - p)))
    se = float(np.sqrt(var))
    tau2 = tau * tau
    if k > 1 and tau2 == 0:
        alerts.append(
            (
                "binomial-normal GLMM: τ² estimated at 0 (boundary): the model reduces to "
                "the common-effect logistic model",
                StatisticalWarning,
            )
        )
    pi_low = pi_high = None
    if k >= 3:
        half = stats.t.ppf(0.5 + level / 2, k - 2) * np.sqrt(tau2 + var)
        pi_low, pi_high = beta - half, beta + half
    # saturated model for metafor's likelihood-ratio heterogeneity test
    ph = np.clip(x / n, 1e-300, 1 - 1e-16)
    ll_sat = float(
        np.sum(
            np.where(x > 0, x * np.log(ph), 0.0)
            + np.where(n - x > 0, (n - x) * np.log1p(-ph), 0.0)
            + special.gammaln(n + 1)
            - special.gammaln(x + 1)
            - special.gammaln(n - x + 1)
        )
    )
    lrt = max(0.0, 2 * (ll_sat - ll_fe)) if k > 1 else 0.0
    extra = {
        "loglik": ll,
        "q_lrt": lrt,
        "q_lrt_pvalue": float(stats.chi2.sf(lrt, k - 1)) if k > 1 else None,
        "nagq": NAGQ,
    }
    w = 1 / (ivlogit.vi + tau2)
    fe = dict(iv.fe)
    fe_beta, fe_se = (
        start,
        float(np.sqrt(1 / np.sum(n * special.expit(start) * (1 - special.expit(start))))),
    )
    fe.update(
        estimate=fe_beta,
        se=fe_se,
        ci_low=fe_beta - z * fe_se,
        ci_high=fe_beta + z * fe_se,
        pvalue=float(2 * stats.norm.sf(abs(fe_beta / fe_se))),
    )
    return Pooled(
        method="GLMM",
        estimate=beta,
        se=se,
        se_usual=se,
        ci_low=beta - z * se,
        ci_high=beta + z * se,
        pi_low=pi_low,
        pi_high=pi_high,
        statistic=beta / se,
        pvalue=float(2 * stats.norm.sf(abs(beta / se))),
        df=None,
        tau2=tau2,
        tau2_ci=None,
        q=iv.q,
        q_df=iv.q_df,
        q_pvalue=iv.q_pvalue,
        i2=iv.i2,
        h2=iv.h2,
        k=k,
        weights=100 * w / w.sum(),
        fe=fe,
        converged=True,
        notes=(
            "study weights are approximate (inverse variance of the logit proportions with "
            "the GLMM τ²)",
        ),
        alerts=tuple(alerts),
        extra=extra,
    )
