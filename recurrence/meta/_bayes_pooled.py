"""Bayesian fits (:mod:`recurrence.meta.bayes`) in the shapes the rest of the engine
uses: a :class:`~recurrence.meta.pooling.Pooled` for one analysis (what
``compare(method="bayes")`` and ``proportions(method="bayes")`` assemble into a
:class:`~recurrence.meta.results.MetaResult`) and a
:class:`~recurrence.meta.pooling.BatchPooled` for many (``pool_many(method="bayes")``).

What the numbers are (natural scale after back-transformation by the callers):
``estimate`` the posterior median of μ, ``ci_low``/``ci_high`` its (1 ± level)/2
quantiles, ``pi_low``/``pi_high`` those of the posterior predictive distribution (a new
study's true effect), ``tau2`` the posterior median of τ² (the square of τ's median),
``tau_ci`` the quantiles of τ, ``se`` the posterior standard deviation of μ. There is
no p-value (``nan``); ``bayes.prob_below_zero`` is the posterior probability that
μ < 0 on the model scale. Q, I² and H² are Cochran's, as for every other method.
"""

from __future__ import annotations

import numpy as np

from .._dist import norm
from ..errors import StatisticalWarning
from .bayes import bayes_many, mixture_quantile, parse_prior
from .results import BayesFit

__all__ = ["bayes_batch", "bayes_pooled"]


def _probs(level):
    a = (1 - level) / 2
    return np.array([a, 0.5, 1 - a])


def bayes_batch(y, v, tau_prior, level, labels=None):
    """``pool_many(method="bayes")``: posterior summaries of every row."""
    from .pooling import BatchPooled, pool_many

    prior = parse_prior(tau_prior)
    fit = bayes_many(y, v, prior)
    p = _probs(level)
    mu_q = fit.mu_quantile(p)
    pred = fit.predictive_quantile(p[[0, 2]])
    tau_q = fit.tau_quantile(p)
    fe = pool_many(y, v, method="FE")
    m = y.shape[0]
    nan = np.full(m, np.nan)
    return BatchPooled(
        method="bayes",
        hksj=False,
        level=level,
        k=y.shape[1],
        estimate=mu_q[:, 1],
        se=fit.mu_sd(),
        se_usual=fit.mu_sd(),
        ci_low=mu_q[:, 0],
        ci_high=mu_q[:, 2],
        pi_low=pred[:, 0],
        pi_high=pred[:, 1],
        statistic=nan,
        pvalue=nan,
        tau2=tau_q[:, 1] ** 2,
        q=fe.q,
        q_pvalue=fe.q_pvalue,
        i2=fe.i2,
        h2=fe.h2,
        fe_estimate=fe.fe_estimate,
        fe_se=fe.fe_se,
        converged=fit.converged,
        iterations=np.zeros(m, int),
        labels=labels,
        tau_ci_low=tau_q[:, 0],
        tau_ci_high=tau_q[:, 2],
        tau_prior=str(prior),
    )


def shrinkage(fit, level):
    """Posterior median and quantile interval of each study's true effect (model
    scale), and the posterior-mean weights of the studies (percent): the share of each
    y_i in E[μ | y] (bayesmeta's ``weights``)."""
    y, v = fit.yi[0], fit.vi[0]
    w_tau, mu, var, tau = fit.weights[0], fit.mu[0], fit.var[0], fit.tau[0]
    t2 = tau[:, None] ** 2
    b = v[None, :] / (v[None, :] + t2)  # (J, k)
    mean = b * mu[:, None] + (1 - b) * y[None, :]
    sd = np.sqrt((1 - b) * v[None, :] + b * b * var[:, None])
    k = y.size
    q = mixture_quantile(
        np.broadcast_to(w_tau, (k, w_tau.size)), mean.T, sd.T, _probs(level)
    )  # (k, 3)
    w = 1 / (v[None, :] + t2)
    weights = 100 * (w_tau[:, None] * w / w.sum(axis=1, keepdims=True)).sum(axis=0)
    return q, weights


def bayes_pooled(yi, vi, *, tau_prior, level: float = 0.95):
    """One Bayesian analysis as a :class:`~recurrence.meta.pooling.Pooled`."""
    from .pooling import Pooled, pool

    y = np.asarray(yi, float).ravel()
    v = np.asarray(vi, float).ravel()
    prior = parse_prior(tau_prior)
    fit = bayes_many(y[None, :], v[None, :], prior)
    p = _probs(level)
    mu_q = fit.mu_quantile(p)[0]
    pred = fit.predictive_quantile(p[[0, 2]])[0]
    tau_q = fit.tau_quantile(p)[0]
    shrunk, weights = shrinkage(fit, level)
    fe_fit = pool(y, v, method="FE")
    alerts = []
    if not fit.converged[0]:
        alerts.append(
            (
                "the numerical integration of the posterior did not meet its accuracy check "
                "(step h against 2h, 1e-6): treat the last digits with caution",
                StatisticalWarning,
            )
        )
    prob_below = float(fit.mu_cdf(np.zeros((1, 1)))[0, 0])
    notes = [f"Bayesian random effects: flat prior on the mean, τ ~ {prior}"]
    if y.size == 1:
        notes.append("one study: the posterior of τ is its prior")
    return Pooled(
        method="bayes",
        estimate=float(mu_q[1]),
        se=float(fit.mu_sd()[0]),
        se_usual=float(fit.mu_sd()[0]),
        ci_low=float(mu_q[0]),
        ci_high=float(mu_q[2]),
        pi_low=float(pred[0]),
        pi_high=float(pred[1]),
        statistic=float("nan"),
        pvalue=float("nan"),
        df=None,
        tau2=float(tau_q[1] ** 2),
        tau2_ci=(float(tau_q[0] ** 2), float(tau_q[2] ** 2)),
        q=fe_fit.q,
        q_df=fe_fit.q_df,
        q_pvalue=fe_fit.q_pvalue,
        i2=fe_fit.i2,
        h2=fe_fit.h2,
        k=y.size,
        weights=weights,
        fe=fe_fit.fe,
        converged=bool(fit.converged[0]),
        notes=tuple(notes),
        alerts=tuple(alerts),
        bayes=BayesFit(
            tau_prior=str(prior),
            tau_ci=(float(tau_q[0]), float(tau_q[2])),
            tau_median=float(tau_q[1]),
            mu_mean=float(fit.mu_mean()[0]),
            prob_below_zero=prob_below,
            shrinkage=shrunk,
            posterior=fit,
            z_level=float(norm.ppf(0.5 + level / 2)),
        ),
    )
