"""Pure array functions of multiple imputation: the draws of the chained equations and
Rubin's rules. The DataFrame-facing layer is :mod:`recurrence.imputation`.

Each conditional model draws its parameters from their approximate posterior before
imputing (a "proper" imputation, Rubin 1987), as R's ``mice`` does:

* numbers, :func:`pmm_draw`: predictive mean matching (``mice.impute.pmm``, type-1
  matching): least squares β̂, σ*² = RSS/χ²(n − p), β* ~ N(β̂, σ*²(XᵀX)⁻¹); observed cases
  are predicted with β̂, missing ones with β*; each missing case takes the observed value
  of one of its ``donors`` nearest observed cases, at random. Imputed values are values
  that occur in the data (whole years of age stay whole, widths keep their precision).
* yes/no and two-level categories, :func:`logistic_draw`: β* ~ N(β̂, V̂) of a logistic
  regression, then a Bernoulli draw (``mice.impute.logreg``).
* categories with more levels, :func:`polytomous_draw`: β* ~ N(β̂, V̂) of a multinomial
  logistic regression, then a categorical draw (``mice.impute.polyreg`` draws from the
  fitted probabilities without drawing β; drawing it is the proper version).

Rubin's rules, :func:`rubin`: as ``mice::pool`` (mice 3.15): Q̄ the mean estimate,
Ū the mean variance, B the between-imputation variance, T = Ū + (1 + 1/m)B;
λ = (1 + 1/m)B/T (floored at 1e-4 inside the df, as mice), Barnard-Rubin degrees of
freedom ν = ν_old·ν_obs/(ν_old + ν_obs) with ν_old = (m − 1)/λ², ν_obs = (ν_com + 1)/
(ν_com + 3)·ν_com·(1 − λ); fraction of missing information γ = (r + 2/(ν + 3))/(r + 1),
r = (1 + 1/m)B/Ū.
"""

from __future__ import annotations

import numpy as np

from ._dist import student_t

__all__ = [
    "barnard_rubin_df",
    "logistic_draw",
    "nelson_aalen_at",
    "pmm_draw",
    "polytomous_draw",
    "rubin",
]

#: Ridge added to XᵀX before inverting, relative to its diagonal (``mice``'s
#: ``ridge = 1e-5``): keeps a nearly collinear predictor set from failing.
RIDGE = 1e-5


def pmm_draw(
    y_obs: np.ndarray, x_obs: np.ndarray, x_mis: np.ndarray, rng: np.random.Generator, donors=5
) -> np.ndarray:
    """Predictive mean matching: values for the rows ``x_mis`` drawn from ``y_obs``.

    ``x_obs``, ``x_mis`` include the intercept column.

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> x = np.column_stack([np.ones(200), rng.normal(size=200)])
    >>> y = np.round(3 + 2 * x[:, 1] + rng.normal(size=200), 1)
    >>> out = pmm_draw(y[:150], x[:150], x[150:], rng)
    >>> bool(np.isin(out, y[:150]).all()), bool(np.corrcoef(out, x[150:, 1])[0, 1] > 0.8)
    (True, True)
    """
    n, p = x_obs.shape
    xtx = x_obs.T @ x_obs
    xtx = xtx + RIDGE * np.diag(np.diag(xtx))
    inv = np.linalg.inv(xtx)
    beta = inv @ (x_obs.T @ y_obs)
    resid = y_obs - x_obs @ beta
    df = max(n - p, 1)
    sigma = np.sqrt(float(resid @ resid) / rng.chisquare(df))
    chol = np.linalg.cholesky((inv + inv.T) / 2)
    beta_star = beta + sigma * chol @ rng.standard_normal(p)
    yhat_obs = x_obs @ beta
    yhat_mis = x_mis @ beta_star
    return y_obs[_match(yhat_obs, yhat_mis, donors, rng)]


def _match(yhat_obs, yhat_mis, donors, rng) -> np.ndarray:
    """For each of ``yhat_mis``: the index of one of its ``donors`` nearest ``yhat_obs``,
    chosen at random (ties in distance broken by position)."""
    k = min(int(donors), len(yhat_obs))
    order = np.argsort(yhat_obs, kind="stable")
    sorted_obs = yhat_obs[order]
    pos = np.searchsorted(sorted_obs, yhat_mis)
    window = pos[:, None] + np.arange(-k, k)[None, :]
    outside = (window < 0) | (window >= len(sorted_obs))
    window = np.clip(window, 0, len(sorted_obs) - 1)
    dist = np.abs(sorted_obs[window] - yhat_mis[:, None])
    dist[outside] = np.inf
    nearest = np.argsort(dist, axis=1, kind="stable")[:, :k]
    pick = nearest[np.arange(len(yhat_mis)), rng.integers(0, k, len(yhat_mis))]
    return order[window[np.arange(len(yhat_mis)), pick]]


def logistic_draw(
    params: np.ndarray, cov: np.ndarray, x_mis: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """0/1 draws for the rows ``x_mis`` from a logistic model with parameters drawn from
    N(``params``, ``cov``).

    Examples
    --------
    >>> rng = np.random.default_rng(2)
    >>> x = np.column_stack([np.ones(1000), np.zeros(1000)])
    >>> float(logistic_draw(np.array([0.0, 0.0]), np.eye(2) * 1e-6, x, rng).mean())
    0.502
    """
    beta = _draw_normal(params, cov, rng)
    prob = 1 / (1 + np.exp(-np.clip(x_mis @ beta, -700, 700)))
    return (rng.random(len(x_mis)) < prob).astype(np.int64)


def polytomous_draw(
    params: np.ndarray, cov: np.ndarray, x_mis: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Category codes 0 … K−1 for the rows ``x_mis`` from a multinomial logistic model.

    ``params`` is (p, K − 1), category 0 the reference (statsmodels' ``MNLogit``);
    ``cov`` is the covariance of ``params`` flattened column by column.

    Examples
    --------
    >>> rng = np.random.default_rng(3)
    >>> x = np.ones((3000, 1))
    >>> codes = polytomous_draw(np.array([[0.0, np.log(2)]]), np.eye(2) * 1e-8, x, rng)
    >>> np.bincount(codes).tolist()   # expected 750, 750, 1500
    [786, 739, 1475]
    """
    p, k1 = params.shape
    beta = _draw_normal(params.ravel(order="F"), cov, rng).reshape((p, k1), order="F")
    eta = np.column_stack([np.zeros(len(x_mis)), x_mis @ beta])
    eta -= eta.max(axis=1, keepdims=True)
    prob = np.exp(eta)
    prob /= prob.sum(axis=1, keepdims=True)
    u = rng.random(len(x_mis))
    return np.minimum((np.cumsum(prob, axis=1) < u[:, None]).sum(axis=1), k1)


def _draw_normal(mean, cov, rng):
    cov = (np.asarray(cov, float) + np.asarray(cov, float).T) / 2
    vals, vecs = np.linalg.eigh(cov)
    root = vecs * np.sqrt(np.clip(vals, 0, None))
    return np.asarray(mean, float) + root @ rng.standard_normal(len(vals))


def nelson_aalen_at(time: np.ndarray, dead: np.ndarray) -> np.ndarray:
    """The Nelson-Aalen cumulative hazard of ``dead`` at each patient's own time,
    H(T_i) = Σ_{s ≤ T_i} d(s)/n(s) (White & Royston 2009's predictor).

    Examples
    --------
    >>> nelson_aalen_at(np.array([1., 2, 2, 3]), np.array([1, 0, 1, 0], bool)).tolist()
    [0.25, 0.5833333333333333, 0.5833333333333333, 0.5833333333333333]
    """
    ut, inv = np.unique(time, return_inverse=True)
    d = np.bincount(inv, weights=dead.astype(float), minlength=len(ut))
    n = np.bincount(inv, minlength=len(ut))[::-1].cumsum()[::-1]
    return np.cumsum(d / n)[inv]


def barnard_rubin_df(m: int, b, t, dfcom) -> np.ndarray:
    """Barnard and Rubin's (1999) degrees of freedom, as ``mice:::barnard.rubin``.

    Examples
    --------
    >>> float(barnard_rubin_df(20, 0.01, 0.05, np.inf).round(4))
    430.839
    """
    b, t = np.asarray(b, float), np.asarray(t, float)
    lam = np.maximum((1 + 1 / m) * b / t, 1e-4)
    dfold = (m - 1) / lam**2
    if np.isinf(dfcom):
        return dfold
    dfobs = (dfcom + 1) / (dfcom + 3) * dfcom * (1 - lam)
    return dfold * dfobs / (dfold + dfobs)


def rubin(estimates: np.ndarray, variances: np.ndarray, dfcom: float, level: float = 0.95):
    """Rubin's rules for an (m, k) array of estimates and their variances.

    Returns a dict of arrays (length k): ``estimate``, ``ubar``, ``b``, ``t``, ``se``,
    ``df``, ``riv``, ``lambda``, ``fmi``, ``statistic``, ``pvalue``, ``ci_low``,
    ``ci_high`` (t with ``df`` degrees of freedom, as ``summary(pool(...),
    conf.int = TRUE)``).

    Examples
    --------
    >>> est = np.array([[1.0], [1.2], [0.8]]); var = np.full((3, 1), 0.04)
    >>> out = rubin(est, var, dfcom=100)
    >>> float(out["t"][0].round(6)), float(out["fmi"][0].round(4))
    (0.093333, 0.6741)
    """
    est = np.asarray(estimates, float)
    var = np.asarray(variances, float)
    m = est.shape[0]
    qbar = est.mean(axis=0)
    ubar = var.mean(axis=0)
    b = est.var(axis=0, ddof=1) if m > 1 else np.full(est.shape[1], np.nan)
    t = ubar + (1 + 1 / m) * b
    df = barnard_rubin_df(m, b, t, dfcom)
    riv = (1 + 1 / m) * b / ubar
    lam = (1 + 1 / m) * b / t
    fmi = (riv + 2 / (df + 3)) / (riv + 1)
    se = np.sqrt(t)
    stat = qbar / se
    q = student_t.ppf(0.5 + level / 2, df)
    return {
        "estimate": qbar,
        "ubar": ubar,
        "b": b,
        "t": t,
        "se": se,
        "df": df,
        "riv": riv,
        "lambda": lam,
        "fmi": fmi,
        "statistic": stat,
        "pvalue": 2 * student_t.sf(np.abs(stat), df),
        "ci_low": qbar - q * se,
        "ci_high": qbar + q * se,
    }
