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
from scipy import special

from .._dist import chi2, norm, student_t
from ..errors import ConvergenceWarning, StatisticalWarning
from .effects import proportion_effects
from .pooling import Pooled, pool
from .results import GlmmFit

__all__ = ["NAGQ", "aghq_loglik", "glmm_proportions"]

#: Quadrature nodes, metafor 3.8's default (``rma.glmm(nAGQ = 7)``).
NAGQ = 7
_NODES, _WEIGHTS = np.polynomial.hermite_e.hermegauss(NAGQ)
_WEIGHTS = _WEIGHTS / np.sqrt(2 * np.pi)  # weights of the standard normal density


def _log_binom(x, n, eta):
    """log P(x | n, expit(eta)) without the binomial coefficient (it cancels)."""
    return x * eta - n * np.logaddexp(0.0, eta)


def aghq_loglik(beta: float, tau: float, x, n, nagq_nodes=None) -> float:
    """Log marginal likelihood (binomial coefficients included) by 7-node AGHQ.

    ``tau`` is the standard deviation of the random effects (may be 0).
    """
    return _AGHQ(x, n).evaluate(beta, tau)[0]


class _AGHQ:
    """The 7-node AGHQ log-likelihood of one data set and its exact gradient in (β, τ).

    Per study, with g(u) = log P(x | n, expit(β + τu)) − u²/2 (u standard normal) and
    its mode û, curvature s = (τ²·n·p(1 − p) + 1)^(−1/2) at û and nodes vₖ = û + s·zₖ:
    L = log s + log Σₖ wₖ exp(g(vₖ) + zₖ²/2). The gradient is the total derivative:
    the nodes move with û and s, whose derivatives follow from g'(û) = 0 (implicit
    function theorem). The modes of the previous call start the next Newton search.
    """

    def __init__(self, x, n):
        self.x = np.asarray(x, float)
        self.n = np.asarray(n, float)
        n_, x_ = self.n, self.x
        self.const = float(
            np.sum(special.gammaln(n_ + 1) - special.gammaln(x_ + 1) - special.gammaln(n_ - x_ + 1))
        )
        self.u = np.zeros_like(self.x)
        self.evaluations = 0

    def _modes(self, beta, tau):
        x, n = self.x, self.n
        u = self.u.copy()
        gu = _log_binom(x, n, beta + tau * u) - 0.5 * u * u
        for _ in range(200):
            p = special.expit(beta + tau * u)
            step = (tau * (x - n * p) - u) / (tau * tau * n * p * (1 - p) + 1)
            new = u + step
            gnew = _log_binom(x, n, beta + tau * new) - 0.5 * new * new
            for _ in range(60):  # g is concave, but a full step may overshoot
                worse = gnew < gu - 1e-12 * np.abs(gu)
                if not worse.any():
                    break
                step = np.where(worse, step / 2, step)
                new = u + step
                gnew = _log_binom(x, n, beta + tau * new) - 0.5 * new * new
            u, gu = new, gnew
            if np.max(np.abs(step)) < 1e-14:
                break
        self.u = u
        return u

    def evaluate(self, beta: float, tau: float, grad: bool = False):
        """(log-likelihood, d/dβ, d/dτ); the derivatives only with ``grad``."""
        self.evaluations += 1
        x, n = self.x, self.n
        if tau == 0:
            p = special.expit(beta)
            ll = self.const + float(np.sum(_log_binom(x, n, beta)))
            return ll, float(np.sum(x - n * p)), float("nan")
        u = self._modes(beta, tau)
        p = special.expit(beta + tau * u)
        w = p * (1 - p)
        s = 1 / np.sqrt(tau * tau * n * w + 1)
        v = u[:, None] + s[:, None] * _NODES[None, :]
        eta = beta + tau * v
        t = (
            x[:, None] * eta
            - n[:, None] * np.logaddexp(0.0, eta)
            - 0.5 * v * v
            + _HALF_Z2_LOG_W[None, :]
        )
        top = t.max(axis=1, keepdims=True)
        e = np.exp(t - top)
        total = e.sum(axis=1)
        ll = self.const + float(np.sum(np.log(s) + top[:, 0] + np.log(total)))
        if not grad:
            return ll, None, None
        pi = e / total[:, None]  # weight of each node
        pk = special.expit(eta)
        resid = x[:, None] - n[:, None] * pk
        g1 = tau * resid - v  # g'(v) at each node
        # implicit derivatives of the mode and of s
        du_db = -s * s * tau * n * w
        du_dt = s * s * ((x - n * p) - tau * n * w * u)
        w1 = w * (1 - 2 * p)
        ds_db = -0.5 * s**3 * tau * tau * n * w1 * (1 + tau * du_db)
        ds_dt = -0.5 * s**3 * (2 * tau * n * w + tau * tau * n * w1 * (u + tau * du_dt))
        a = (pi * g1).sum(axis=1)  # ∂L/∂û at fixed s
        b = (pi * g1 * _NODES[None, :]).sum(axis=1)  # ∂L/∂s, less 1/s
        d_beta = (pi * resid).sum(axis=1) + a * du_db + (1 / s + b) * ds_db
        d_tau = (pi * resid * v).sum(axis=1) + a * du_dt + (1 / s + b) * ds_dt
        return ll, float(d_beta.sum()), float(d_tau.sum())


_HALF_Z2_LOG_W = 0.5 * _NODES**2 + np.log(_WEIGHTS)


def _maximise(lik: _AGHQ, beta: float, tau: float, max_iter: int = 100):
    """Joint Newton-Raphson in (β, log τ) with the exact gradient (:func:`newton_ascent`).
    Returns (β, τ, loglik, converged); τ = 0 once log τ runs below log 1e-6 (the
    boundary)."""

    def grad(th):
        ll, db, dt = lik.evaluate(th[0], float(np.exp(th[1])), grad=True)
        return ll, np.array([db, dt * np.exp(th[1])])

    theta, ll, status = newton_ascent(
        grad,
        np.array([beta, np.log(tau)]),
        h=1e-5,
        tol=1e-10,
        max_iter=max_iter,
        stop=lambda th: th[1] < np.log(1e-6),
    )
    if status == "stopped":
        return float(theta[0]), 0.0, lik.evaluate(theta[0], 0.0)[0], True
    return float(theta[0]), float(np.exp(theta[1])), ll, status == "converged"


def newton_ascent(at, theta, *, h: float, tol: float, max_iter: int, stop=None):
    """Maximise a log-likelihood by Newton steps. ``at(θ)`` gives (loglik, gradient);
    the Hessian is the symmetrised central difference of the gradient (step ``h``),
    damped (Levenberg) where it is not concave; a step that lowers the likelihood is
    halved, up to 40 times. Ends when a step is below ``tol``, or when ``stop(θ)`` holds
    after a step (a boundary). Returns (θ, loglik, "converged" | "stopped" | "failed")."""
    theta = np.asarray(theta, float)
    ll, g = at(theta)
    for _ in range(max_iter):
        H = np.empty((len(theta), len(theta)))
        for j in range(len(theta)):
            e = np.zeros(len(theta))
            e[j] = h
            H[:, j] = (at(theta + e)[1] - at(theta - e)[1]) / (2 * h)
        H = (H + H.T) / 2
        eig = np.linalg.eigvalsh(H)
        if not np.all(np.isfinite(eig)):
            return theta, ll, "failed"
        if eig.max() >= 0:  # not concave here: a damped (Levenberg) step
            H = H - (eig.max() + max(1.0, abs(eig.min()))) * np.eye(len(theta))
        step = -np.linalg.solve(H, g)
        for _ in range(40):
            new = theta + step
            ll_new, g_new = at(new)
            if np.isfinite(ll_new) and ll_new >= ll - 1e-12 * abs(ll):
                break
            step = step / 2
        else:
            return theta, ll, "failed"
        theta, ll, g = new, ll_new, g_new
        if stop is not None and stop(theta):
            return theta, ll, "stopped"
        if np.max(np.abs(step)) < tol:
            return theta, ll, "converged"
    return theta, ll, "failed"


def _hessian(lik: _AGHQ, tau: float, beta: float, h: float = 2e-3) -> np.ndarray:
    """Hessian of the log-likelihood in (τ, β): central differences of the exact
    gradient with one Richardson extrapolation step (error below 1e-8; lme4 uses
    differences of the likelihood with step 1e-4, which amplify the ~1e-12 noise of
    the quadrature to ~1e-4)."""
    z = np.array([tau, beta])

    def grad(point):
        _, db, dt = lik.evaluate(point[1], abs(point[0]), grad=True)
        return np.array([dt * np.sign(point[0]), db])

    def raw(step):
        H = np.empty((2, 2))
        for j in range(2):
            e = np.zeros(2)
            e[j] = step
            H[:, j] = (grad(z + e) - grad(z - e)) / (2 * step)
        return (H + H.T) / 2

    return (4 * raw(h / 2) - raw(h)) / 3


def glmm_proportions(events, totals, *, level: float = 0.95) -> Pooled:
    """ML fit of the binomial-normal model (logit link); returns a :class:`Pooled`
    on the logit scale. The heterogeneity statistics (Q, I², H²) are those of the
    inverse-variance logit analysis of the same counts (docs/meta-analysis.md: Cochran's Q with
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
    start = float(np.log(x.sum() / (n.sum() - x.sum())))
    lik = _AGHQ(x, n)
    ll_fe = lik.evaluate(start, 0.0)[0]
    if k == 1:
        msg = (
            "only one study: the binomial-normal model cannot estimate τ² (set to 0); the "
            "estimate is the study's own logit proportion"
        )
        beta, tau = start, 0.0
        alerts = [(msg, StatisticalWarning)]
    else:
        alerts = []
        tau0 = float(np.sqrt(iv.tau2)) if iv.tau2 > 1e-4 else 0.3
        beta, tau, ll, converged = _maximise(lik, start, tau0)
        if not converged:
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
    ll = lik.evaluate(beta, tau)[0]
    if tau > 0:
        H = _hessian(lik, tau, beta)
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
    details = GlmmFit(
        loglik=ll,
        nagq=NAGQ,
        q_lrt=lrt,
        q_lrt_pvalue=float(chi2.sf(lrt, k - 1)) if k > 1 else None,
    )
    fe_beta = start
    fe_se = float(np.sqrt(1 / np.sum(n * special.expit(start) * (1 - special.expit(start)))))
    return glmm_pooled(
        k=k,
        beta=beta,
        se=se,
        var=var,
        tau2=tau2,
        level=level,
        iv=iv,
        vi=ivlogit.vi,
        fe_beta=fe_beta,
        fe_se=fe_se,
        note="study weights are approximate (inverse variance of the logit proportions with "
        "the GLMM τ²)",
        alerts=alerts,
        glmm=details,
    )


def glmm_pooled(
    *, k, beta, se, var, tau2, level, iv: Pooled, vi, fe_beta, fe_se, note, alerts, glmm
) -> Pooled:
    """The pooled result of a binomial-normal GLMM (one arm's proportions or the odds
    ratio): Wald interval and test, the prediction interval on t(k − 2), the
    common-effect row from the GLMM with τ² = 0, heterogeneity statistics and approximate
    inverse-variance weights from the normal-approximation pooling ``iv``."""
    z = norm.ppf(0.5 + level / 2)
    pi_low = pi_high = None
    if k >= 3:
        half = student_t.ppf(0.5 + level / 2, k - 2) * np.sqrt(tau2 + var)
        pi_low, pi_high = beta - half, beta + half
    w = 1 / (np.asarray(vi, float) + tau2)
    fe = dict(iv.fe)
    fe.update(
        estimate=fe_beta,
        se=fe_se,
        ci_low=fe_beta - z * fe_se,
        ci_high=fe_beta + z * fe_se,
        pvalue=float(2 * norm.sf(abs(fe_beta / fe_se))),
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
        pvalue=float(2 * norm.sf(abs(beta / se))),
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
        notes=(note,),
        alerts=tuple(alerts),
        glmm=glmm,
    )
