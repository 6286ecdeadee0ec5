"""The binomial-normal random-effects model for odds ratios with fixed study
intercepts, fitted by maximum likelihood, as
``metafor::rma.glmm(measure="OR", model="UM.FS")``.

Model (metafor's ``coding = 1/2``): a_i ~ Bin(n1_i, expit(α_i + (β + b_i)/2)),
c_i ~ Bin(n2_i, expit(α_i − (β + b_i)/2)), b_i ~ N(0, τ²); β is the log OR and τ² its
heterogeneity; the α_i are fixed study effects. metafor 3.8-1 fits it with
``lme4::glmer(cbind(x, n − x) ~ −1 + X + study + (group − 1 | study), nAGQ = 7)``:
one scalar random effect per study, so the marginal likelihood is a product of
one-dimensional integrals, each by adaptive Gauss-Hermite quadrature with 7 nodes
centred at the conditional mode with the exact curvature there (canonical link).

Here the same 7-node AGHQ likelihood is profiled: for given (β, τ) each α_i is found
by Newton's method on its own study's likelihood, and (β, τ) maximise the profile by
Newton's method (:func:`_maximise_profile`; Nelder-Mead in (β, log τ) where its steps
do not settle): about 25-60 profiles where Nelder-Mead took about 230, the same maxima
to 1e-7 (one sensitivity panel of the packaged studies 1.85 → 0.11 s).
The standard error of β is the (β, β) element of the inverse of the negated Hessian of
the profile log-likelihood in (τ, β), which equals the (β, β) element of the inverse
Hessian in all of (α, τ, β) at the maximum (lme4's ``vcov`` for nAGQ > 0).

Q, I² and H² are those of the inverse-variance log OR analysis of the same studies
(Cochran's Q with common-effect weights, docs/meta-analysis.md); the common-effect diamond is this
model with τ = 0 (logistic regression with study intercepts).
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy import optimize, special

from ..errors import StatisticalWarning
from .glmm import _NODES, _WEIGHTS, glmm_pooled, newton_ascent
from .pooling import Pooled, pool
from .results import GlmmFit

__all__ = ["glmm_odds_ratio", "um_fs_loglik"]

#: log φ at the quadrature nodes (standard normal density).
_LOG_PHI_NODES = -0.5 * _NODES**2 - 0.5 * np.log(2 * np.pi)


def hessian(f, z, h=2e-3):
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


def _log_binom(x, n, eta):
    return x * eta - n * np.logaddexp(0.0, eta)


def _study_loglik(alpha, beta, tau, a, n1, c, n2):
    """Per-study log marginal likelihood (7-node AGHQ), vectorised over studies."""
    if tau == 0:
        return _log_binom(a, n1, alpha + beta / 2) + _log_binom(c, n2, alpha - beta / 2)

    def g(u):
        e = beta + tau * u
        return _log_binom(a, n1, alpha + e / 2) + _log_binom(c, n2, alpha - e / 2) - 0.5 * u * u

    u = np.zeros_like(alpha)
    gu = g(u)
    for _ in range(200):
        e = beta + tau * u
        p1 = special.expit(alpha + e / 2)
        p2 = special.expit(alpha - e / 2)
        g1 = tau / 2 * ((a - n1 * p1) - (c - n2 * p2)) - u
        g2 = -(tau * tau / 4) * (n1 * p1 * (1 - p1) + n2 * p2 * (1 - p2)) - 1
        step = -g1 / g2
        new = u + step
        gnew = g(new)
        for _ in range(60):  # halve steps that lower the (concave) objective
            worse = gnew < gu - 1e-12 * np.abs(gu)
            if not worse.any():
                break
            step = np.where(worse, step / 2, step)
            new = u + step
            gnew = g(new)
        u, gu = new, gnew
        if np.max(np.abs(step)) < 1e-14:
            break
    e = beta + tau * u
    p1 = special.expit(alpha + e / 2)
    p2 = special.expit(alpha - e / 2)
    s = 1 / np.sqrt(tau * tau / 4 * (n1 * p1 * (1 - p1) + n2 * p2 * (1 - p2)) + 1)
    nodes = u[:, None] + s[:, None] * _NODES[None, :]
    eta = beta + tau * nodes
    logg = (
        _log_binom(a[:, None], n1[:, None], alpha[:, None] + eta / 2)
        + _log_binom(c[:, None], n2[:, None], alpha[:, None] - eta / 2)
        - 0.5 * nodes**2
        - 0.5 * np.log(2 * np.pi)
    )
    terms = logg - _LOG_PHI_NODES[None, :] + np.log(_WEIGHTS)[None, :]
    return np.log(s) + _logsumexp_rows(terms)


def _logsumexp_rows(terms):
    """log Σ exp of each row, from its largest term (``scipy.special.logsumexp``'s value
    to rounding): scipy's goes through its array-API layer, 0.28 ms a call on 16 studies
    × 7 nodes, which was half of this model's fit (one sensitivity panel: 1.8 s)."""
    top = terms.max(axis=1)
    return top + np.log(np.exp(terms - top[:, None]).sum(axis=1))


def _const(a, n1, c, n2):
    def lchoose(n, x):
        return special.gammaln(n + 1) - special.gammaln(x + 1) - special.gammaln(n - x + 1)

    return float(np.sum(lchoose(n1, a) + lchoose(n2, c)))


def _profile_alpha(beta, tau, a, n1, c, n2, start):
    """The α_i maximising each study's likelihood at (β, τ), by Newton's method with
    central differences (the study likelihoods are log-concave in α)."""
    alpha = start.copy()
    h = 1e-4
    for _ in range(50):
        f0 = _study_loglik(alpha, beta, tau, a, n1, c, n2)
        fp = _study_loglik(alpha + h, beta, tau, a, n1, c, n2)
        fm = _study_loglik(alpha - h, beta, tau, a, n1, c, n2)
        d1 = (fp - fm) / (2 * h)
        d2 = (fp - 2 * f0 + fm) / (h * h)
        step = np.where(d2 < 0, -d1 / np.where(d2 < 0, d2, -1.0), np.sign(d1))
        step = np.clip(step, -2.0, 2.0)
        alpha = alpha + step
        if np.max(np.abs(step)) < 1e-10:
            break
    return alpha


def um_fs_loglik(beta, tau, a, n1, c, n2, alpha=None, start=None):
    """Log-likelihood of the UM.FS model at (β, τ), the α_i profiled out (or given);
    binomial coefficients included, as lme4's ``logLik``. Returns (loglik, alpha).
    ``start``: where the α_i's Newton steps begin (default: each study's pooled log
    odds)."""
    if alpha is None:
        if start is None:
            start = np.log((a + c + 0.5) / (n1 + n2 - a - c + 0.5))
        alpha = _profile_alpha(beta, tau, a, n1, c, n2, start)
    return float(np.sum(_study_loglik(alpha, beta, tau, a, n1, c, n2))) + _const(
        a, n1, c, n2
    ), alpha


def _fit_beta(tau, a, n1, c, n2, start):
    def nll(b):
        return -um_fs_loglik(b, tau, a, n1, c, n2)[0]

    res = optimize.minimize_scalar(
        nll, bracket=(start - 0.5, start + 0.5), method="brent", options={"xtol": 1e-11}
    )
    return float(res.x), -float(res.fun)


def _maximise_profile(a, n1, c, n2, beta: float, tau: float, max_iter: int = 60):
    """Newton-Raphson on the profile log-likelihood in (β, τ), step halving when it
    falls, a damped (Levenberg) step where it is not concave. The likelihood is even in
    τ (b_i and −b_i are alike), so near τ = 0 it is ℓ0 + ℓ''·τ²/2 and a boundary maximum
    is reached in a step or two, where log τ would crawl towards −∞; |τ| is returned.
    The gradient is that of the likelihood at the profiled α_i (envelope theorem:
    ∂ℓ/∂α_i = 0 there), by central differences at fixed α; the Hessian by central
    differences of that gradient; each point's α_i start from the last point's.
    The steps are :func:`.glmm.newton_ascent`'s. Returns (β, τ, loglik, converged); the
    caller falls back to Nelder-Mead when the steps do not settle."""
    h = 1e-4
    last: list = [None]

    def at(th):
        b, t = float(th[0]), float(th[1])
        ll, alpha = um_fs_loglik(b, abs(t), a, n1, c, n2, start=last[0])
        last[0] = alpha

        def f(bb, tt):
            return float(np.sum(_study_loglik(alpha, bb, abs(tt), a, n1, c, n2)))

        grad = np.array(
            [(f(b + h, t) - f(b - h, t)) / (2 * h), (f(b, t + h) - f(b, t - h)) / (2 * h)]
        )
        return ll, grad

    theta, ll, status = newton_ascent(at, np.array([beta, tau]), h=h, tol=1e-9, max_iter=max_iter)
    return float(theta[0]), abs(float(theta[1])), ll, status == "converged"


def glmm_odds_ratio(a, n1, c, n2, yi, vi, *, level: float = 0.95) -> Pooled:
    """ML fit of the UM.FS model to the studies given (double-zero studies already left
    out, as metafor's ``drop00 = TRUE``); a :class:`Pooled` on the log OR scale.
    ``yi``/``vi`` are the inverse-variance log ORs of the same studies (for Q and I²).

    Examples
    --------
    >>> import numpy as np
    >>> a, n1 = np.array([4., 6, 3, 62, 33]), np.array([123., 306, 231, 13598, 5069])
    >>> c, n2 = np.array([11., 29, 11, 248, 47]), np.array([139., 303, 220, 12867, 5808])
    >>> from recurrence.meta.effects import two_arm_effects
    >>> eff = two_arm_effects(a, n1, c, n2, "OR")
    >>> res = glmm_odds_ratio(a, n1, c, n2, eff.yi, eff.vi)
    >>> round(float(np.exp(res.estimate)), 3), round(res.tau2, 3)
    (0.337, 0.219)
    """
    a, n1, c, n2 = (np.asarray(x, float) for x in (a, n1, c, n2))
    k = a.size
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        iv = pool(yi, vi, method="ML", level=level)
    alerts = []
    start = float(iv.estimate)
    beta0, ll0 = _fit_beta(0.0, a, n1, c, n2, start)
    beta, tau = beta0, 0.0
    if k > 1:
        # each point's α_i begin at the last point's: Nelder-Mead's points are close, so
        # the Newton steps start near their end (the same maximum, to its 1e-10 steps)
        last: list = [None]

        def neg(theta):
            ll, last[0] = um_fs_loglik(theta[0], np.exp(theta[1]), a, n1, c, n2, start=last[0])
            return -ll

        t0 = np.log(max(np.sqrt(iv.tau2), 0.05))
        b1, t1, ll1, ok = _maximise_profile(a, n1, c, n2, start, float(np.exp(t0)))
        if not ok:  # the steps did not settle: Nelder-Mead, as before
            res = optimize.minimize(
                neg,
                x0=np.array([start, t0]),
                method="Nelder-Mead",
                options={"xatol": 1e-10, "fatol": 1e-13, "maxiter": 4000},
            )
            b1, t1, ll1 = float(res.x[0]), float(np.exp(res.x[1])), -float(res.fun)
        if ll1 > ll0 + 1e-9 and t1 > 1e-5:
            beta, tau = b1, t1
    if tau > 0:

        def loglik(theta):
            return um_fs_loglik(theta[1], abs(theta[0]), a, n1, c, n2)[0]

        H = hessian(loglik, np.array([tau, beta]))
        var = float(np.linalg.inv(-H)[1, 1])
    else:
        H = hessian(lambda t: um_fs_loglik(t[0], 0.0, a, n1, c, n2)[0], np.array([beta]))
        var = float(-1 / H[0, 0])
        if k > 1:
            alerts.append(
                (
                    "binomial-normal GLMM (UM.FS): τ² estimated at 0 (boundary): the model "
                    "reduces to logistic regression with study intercepts",
                    StatisticalWarning,
                )
            )
    se = float(np.sqrt(var))
    tau2 = tau * tau
    H0 = hessian(lambda t: um_fs_loglik(t[0], 0.0, a, n1, c, n2)[0], np.array([beta0]))
    se0 = float(np.sqrt(-1 / H0[0, 0]))
    return glmm_pooled(
        k=k,
        beta=beta,
        se=se,
        var=var,
        tau2=tau2,
        level=level,
        iv=iv,
        vi=vi,
        fe_beta=beta0,
        fe_se=se0,
        note="binomial-normal GLMM with fixed study intercepts (UM.FS, ML, 7-point AGHQ); "
        "study weights are approximate (inverse variance with the GLMM τ²)",
        alerts=alerts,
        glmm=GlmmFit(loglik=um_fs_loglik(beta, tau, a, n1, c, n2)[0], nagq=7),
    )
