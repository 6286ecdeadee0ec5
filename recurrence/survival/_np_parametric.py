"""Pure array functions of the parametric models: the location-scale families of
``survreg`` on the log-time scale, and the likelihood of the mixture cure model.

``log T = μ + σ·W`` with W standard extreme value (Weibull; exponential when σ = 1),
normal (log-normal) or logistic (log-logistic); z = (log t − μ)/σ. The cure model
mixes a cured fraction π (never reherniates) with such a latency distribution:
S(t) = π + (1 − π)·S0(z). Its log-likelihood and exact gradient in
θ = (logit π, μ, log σ) (no log σ for the exponential) are below; the Hessian is the
central difference of the gradient.
"""

from __future__ import annotations

import numpy as np
from scipy import special

from .._dist import norm

__all__ = [
    "cure_gradient",
    "cure_loglik",
    "fit_cure",
    "hessian",
    "log_density",
    "log_survival",
    "survival",
]

RIGHT, EXACT, INTERVAL = 0, 1, 3


def log_survival(dist: str, z: np.ndarray) -> np.ndarray:
    """log S0(z) of the standard error distribution (−inf at z = +inf, 0 at −inf).

    Examples
    --------
    >>> float(np.exp(log_survival("weibull", np.array([0.0]))[0]))  # exp(-1)
    0.36787944117144233
    """
    z = np.asarray(z, float)
    if dist in ("weibull", "exponential"):
        with np.errstate(over="ignore"):
            return -np.exp(z)
    if dist == "lognormal":
        return norm.logsf(z)
    return -np.logaddexp(0.0, z)  # log-logistic: log(1/(1 + e^z))


def survival(dist: str, z: np.ndarray) -> np.ndarray:
    """S0(z)."""
    return np.exp(log_survival(dist, z))


def log_density(dist: str, z: np.ndarray) -> np.ndarray:
    """log f0(z)."""
    z = np.asarray(z, float)
    if dist in ("weibull", "exponential"):
        with np.errstate(over="ignore"):
            return z - np.exp(z)
    if dist == "lognormal":
        return norm.logpdf(z)
    return z - 2.0 * np.logaddexp(0.0, z)


def _dlog_density(dist: str, z: np.ndarray) -> np.ndarray:
    """d log f0 / dz."""
    if dist in ("weibull", "exponential"):
        return 1.0 - np.exp(z)
    if dist == "lognormal":
        return -z
    return -np.tanh(z / 2.0)


def _unpack(theta, dist):
    a, mu = theta[0], theta[1]
    s = 0.0 if dist == "exponential" else theta[2]
    return a, mu, s


def _pieces(theta, dist, logl, logr, kind):
    a, mu, s = _unpack(theta, dist)
    sigma = np.exp(s)
    log_pi = -np.logaddexp(0.0, -a)  # log expit(a)
    log_1mpi = -np.logaddexp(0.0, a)
    with np.errstate(invalid="ignore"):
        zl = (logl - mu) / sigma
        zr = (logr - mu) / sigma
    return a, mu, s, sigma, log_pi, log_1mpi, zl, zr


def cure_loglik(theta, dist: str, logl, logr, kind) -> float:
    """Log-likelihood of the mixture cure model at θ = (logit π, μ[, log σ]).

    ``logl``, ``logr``: log of the interval ends (``logl`` = −inf for a left end of 0;
    ``logr`` = +inf for right-censored; equal for exact). Far from the maximum a
    probability may underflow to 0: the result is then −inf (no floating-point warning).
    """
    with np.errstate(all="ignore"):
        return _cure_loglik(theta, dist, logl, logr, kind)


def _cure_loglik(theta, dist, logl, logr, kind) -> float:
    _, _, s, _, log_pi, log_1mpi, zl, zr = _pieces(theta, dist, logl, logr, kind)
    total = 0.0
    ex, rc, iv = kind == EXACT, kind == RIGHT, kind == INTERVAL
    if ex.any():
        total += np.sum(log_1mpi + log_density(dist, zl[ex]) - s - logl[ex])
    if rc.any():
        total += np.sum(np.logaddexp(log_pi, log_1mpi + log_survival(dist, zl[rc])))
    if iv.any():
        sl, sr = log_survival(dist, zl[iv]), log_survival(dist, zr[iv])
        with np.errstate(divide="ignore"):
            total += np.sum(log_1mpi + sl + np.log(-np.expm1(sr - sl)))
    return float(total)


def cure_gradient(theta, dist: str, logl, logr, kind, *, fixed_pi: bool = False) -> np.ndarray:
    """Exact gradient of :func:`cure_loglik` in θ (the first entry 0 when ``fixed_pi``;
    NaN where the likelihood underflows)."""
    with np.errstate(all="ignore"):
        return _cure_gradient(theta, dist, logl, logr, kind, fixed_pi)


def _cure_gradient(theta, dist, logl, logr, kind, fixed_pi) -> np.ndarray:
    _, _, _, sigma, log_pi, log_1mpi, zl, zr = _pieces(theta, dist, logl, logr, kind)
    pi = np.exp(log_pi)
    da = dmu = ds = 0.0
    ex, rc, iv = kind == EXACT, kind == RIGHT, kind == INTERVAL
    if ex.any():
        z = zl[ex]
        g = _dlog_density(dist, z)
        da += -pi * ex.sum()
        dmu += np.sum(-g / sigma)
        ds += np.sum(-g * z - 1.0)
    if rc.any():
        z = zl[rc]
        ls = log_survival(dist, z)
        log_d = np.logaddexp(log_pi, log_1mpi + ls)
        da += np.sum(np.exp(log_pi + log_1mpi - log_d) * -np.expm1(ls))
        dz = -np.exp(log_1mpi + log_density(dist, z) - log_d)  # d l / d z
        dmu += np.sum(-dz / sigma)
        ds += np.sum(-dz * z)
    if iv.any():
        a_l, a_r = zl[iv], zr[iv]
        sl, sr = log_survival(dist, a_l), log_survival(dist, a_r)
        with np.errstate(divide="ignore"):
            log_delta = sl + np.log(-np.expm1(sr - sl))
        with np.errstate(invalid="ignore", over="ignore"):
            fl = np.exp(log_density(dist, a_l) - log_delta)  # f0(zl)/Δ, 0 at zl = −inf
            fr = np.exp(log_density(dist, a_r) - log_delta)
            dzl, dzr = -fl, fr
            zl_term = np.where(np.isfinite(a_l), a_l * dzl, 0.0)
        da += -pi * iv.sum()
        dmu += np.sum(-(dzl + dzr) / sigma)
        ds += np.sum(-zl_term - a_r * dzr)
    grad = np.array([0.0 if fixed_pi else da, dmu, ds])
    return grad[:2] if dist == "exponential" else grad


def hessian(grad_fn, theta, step: float = 1e-5) -> np.ndarray:
    """Central-difference Hessian of an exact gradient (symmetrised)."""
    theta = np.asarray(theta, float)
    k = len(theta)
    out = np.empty((k, k))
    for j in range(k):
        h = step * max(1.0, abs(theta[j]))
        e = np.zeros(k)
        e[j] = h
        out[:, j] = (grad_fn(theta + e) - grad_fn(theta - e)) / (2 * h)
    return (out + out.T) / 2


def _maximise(fun, grad, start, newton_steps: int = 20):
    """BFGS on −fun, then Newton steps with the difference Hessian until the step is
    below 1e-10 (relative). Returns (θ, converged). Trial points far from the maximum
    may underflow a probability to 0 (log-likelihood −inf, gradient NaN): the line
    searches step back from them, so those floating-point warnings are silenced."""
    with np.errstate(all="ignore"):
        return _maximise_quietly(fun, grad, start, newton_steps)


def _maximise_quietly(fun, grad, start, newton_steps):
    # scipy.optimize on first use: its import (0.15 s) is not paid by every command that
    # imports recurrence.survival, and the report's cohort analyses never fit these models
    from scipy import optimize

    res = optimize.minimize(
        lambda t: -fun(t),
        start,
        jac=lambda t: -grad(t),
        method="BFGS",
        options={"gtol": 1e-9, "maxiter": 5000},
    )
    theta = res.x
    for _ in range(newton_steps):
        h = hessian(grad, theta)
        try:
            step = np.linalg.solve(h, grad(theta))
        except np.linalg.LinAlgError:
            return theta, False
        new = theta - step
        if not np.isfinite(fun(new)) or fun(new) < fun(theta) - 1e-9:
            return theta, bool(np.max(np.abs(grad(theta))) < 1e-6)
        theta = new
        if np.max(np.abs(step) / np.maximum(1.0, np.abs(theta))) < 1e-10:
            return theta, True
    return theta, bool(np.max(np.abs(grad(theta))) < 1e-6)


def fit_latency(dist, logl, logr, kind, logit_pi: float, start=None):
    """Maximise over (μ, log σ) at a fixed cure fraction (logit π; −inf for none)."""
    k = 1 if dist == "exponential" else 2
    if start is None:
        events = kind != RIGHT
        pts = np.where(kind == INTERVAL, logr, logl)[events] if events.any() else logl
        start = np.array([float(np.mean(pts)), 0.0][:k])

    def fun(t):
        return cure_loglik(np.concatenate(([logit_pi], t)), dist, logl, logr, kind)

    def grad(t):
        full = np.concatenate(([logit_pi], t))
        return cure_gradient(full, dist, logl, logr, kind, fixed_pi=True)[1:]

    theta, ok = _maximise(fun, grad, np.asarray(start, float))
    return theta, fun(theta), ok


def boundary_score(dist, logl, logr, kind, latency) -> float:
    """d loglik / dπ at π = 0 (latency at its no-cure maximum): a cure fraction above 0
    raises the likelihood only if this is positive."""
    mu = latency[0]
    s = 0.0 if dist == "exponential" else latency[1]
    rc = kind == RIGHT
    ls = log_survival(dist, (logl[rc] - mu) / np.exp(s))
    return float(np.sum(np.expm1(-ls)) - np.sum(kind != RIGHT))


def fit_cure(dist, logl, logr, kind):
    """Maximum likelihood of the mixture cure model of one group.

    Returns (θ, loglik, converged, at_boundary): θ = (logit π, μ[, log σ]); at the
    boundary π = 0 the first entry is −inf.
    """
    latency, ll0, ok0 = fit_latency(dist, logl, logr, kind, -np.inf)
    if boundary_score(dist, logl, logr, kind, latency) <= 0:
        return np.concatenate(([-np.inf], latency)), ll0, ok0, True
    best = None
    for a0 in (special.logit(0.5), special.logit(0.9), special.logit(0.1)):
        start = np.concatenate(([a0], latency))

        def fun(t):
            return cure_loglik(t, dist, logl, logr, kind)

        def grad(t):
            return cure_gradient(t, dist, logl, logr, kind)

        theta, ok = _maximise(fun, grad, start)
        ll = fun(theta)
        if np.isfinite(ll) and (best is None or ll > best[1] + 1e-9):
            best = (theta, ll, ok)
    theta, ll, ok = best
    if ll < ll0:  # the interior search fell short of the boundary: keep the boundary
        return np.concatenate(([-np.inf], latency)), ll0, ok0, True
    return theta, ll, ok, False


def profile_interval(dist, logl, logr, kind, theta, loglik, at_boundary, crit: float):
    """Likelihood-ratio interval of π: {π : 2(ℓ̂ − ℓ_p(π)) ≤ crit}, ℓ_p maximised over
    the latency at each π (Venzon-Moolgavkar by root finding on the logit scale)."""
    latency = theta[1:]
    a_hat = theta[0]

    def deficit(a):
        _, lp, _ = fit_latency(dist, logl, logr, kind, a, start=latency)
        return 2.0 * (loglik - lp) - crit

    def root(lo, hi):
        from scipy import optimize

        return optimize.brentq(deficit, lo, hi, xtol=1e-12, rtol=1e-12, maxiter=200)

    # upper bound: step out from the estimate until the deficit is positive
    base = 0.0 if at_boundary else a_hat
    hi = base + 1.0
    while deficit(hi) < 0:
        hi += 2.0
        if hi > 40:
            return (0.0 if at_boundary else np.nan), 1.0
    upper = special.expit(root(base if not at_boundary else -30.0, hi))
    if at_boundary:
        return 0.0, float(upper)
    _, l0, _ = fit_latency(dist, logl, logr, kind, -np.inf, start=latency)
    if 2.0 * (loglik - l0) <= crit:
        return 0.0, float(upper)
    lo = a_hat - 1.0
    while deficit(lo) < 0:
        lo -= 2.0
    return float(special.expit(root(lo, a_hat))), float(upper)
