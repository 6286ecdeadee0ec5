"""Adapter to statsmodels for the categorical models of multiple imputation.

statsmodels fits the logistic (``GLM``, binomial) and multinomial logistic (``MNLogit``)
imputation models; its quirks live here:

* perfect prediction (a category that the other variables predict without error, common
  with small categories) gives a ``PerfectSeparationWarning`` or a singular Hessian and
  huge coefficients with a huge variance, and the draws become 0/1 coin flips far from
  the data. As ``mice`` does (White, Daniel & Royston 2010), the fit is then repeated on
  the data augmented with a few pseudo-observations: each predictor at its mean ± 1 SD
  for every category, total weight p + 1 (``MNLogit`` has no case weights: weight 1
  each there), which keeps the estimates finite and barely moves them when there is no
  separation;
* ``MNLogit`` reports non-convergence as a ``ConvergenceWarning`` of its own and
  returns the last iterate: the augmented fit is used then too.

Why not statsmodels' ``MICEData`` for the whole chain: it imputes every variable by
predictive mean matching (no logistic or polytomous draws for categories), works on
numeric columns through formulas only, and matches donors on predictions from perturbed
parameters for observed and missing cases alike (mice's "type 2" matching, which
under-represents the parameter uncertainty); :mod:`recurrence._mice` follows ``mice``.
"""

from __future__ import annotations

import warnings

import numpy as np

__all__ = ["fit_binomial", "fit_multinomial"]


def fit_binomial(y: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Logistic regression of 0/1 ``y`` on ``x`` (with its intercept column):
    (coefficients, covariance).

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> x = np.column_stack([np.ones(300), rng.normal(size=300)])
    >>> y = (rng.random(300) < 1 / (1 + np.exp(-x[:, 1]))).astype(float)
    >>> b, v = fit_binomial(y, x)
    >>> b.shape, v.shape
    ((2,), (2, 2))
    """
    import statsmodels.api as sm

    def fit(yy, xx, w):
        model = sm.GLM(yy, xx, family=sm.families.Binomial(), freq_weights=w)
        res = model.fit()
        return np.asarray(res.params, float), np.asarray(res.cov_params(), float)

    ok, out = _quietly(fit, y, x, None)
    if ok:
        return out
    ya, xa, wa = _augment(y.astype(np.int64), x, 2)
    return _quietly(fit, ya.astype(float), xa, wa, final=True)[1]


def fit_multinomial(codes: np.ndarray, x: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Multinomial logistic regression of category codes 0 … k−1 on ``x``:
    (coefficients (p, k − 1), covariance of the coefficients flattened by column).

    Examples
    --------
    >>> rng = np.random.default_rng(2)
    >>> x = np.column_stack([np.ones(400), rng.normal(size=400)])
    >>> b, v = fit_multinomial(rng.integers(0, 3, 400), x, 3)
    >>> b.shape, v.shape
    ((2, 2), (4, 4))
    """
    import statsmodels.api as sm

    def fit(yy, xx, w):
        # MNLogit has no case weights: the pseudo-observations enter with weight 1 each
        res = sm.MNLogit(yy, xx).fit(disp=0, maxiter=100)
        return _shape(res.params, xx.shape[1], k), np.asarray(res.cov_params(), float)

    ok, out = _quietly(fit, codes, x, None)
    if ok:
        return out
    ya, xa, wa = _augment(codes, x, k)
    return _quietly(fit, ya, xa, wa, final=True)[1]


def _shape(params, p, k):
    arr = np.asarray(params, float).reshape(p, -1)
    if arr.shape[1] != k - 1:  # a category absent from the fitting rows
        full = np.full((p, k - 1), -30.0)
        full[:, : arr.shape[1]] = arr
        return full
    return arr


def _quietly(fit, y, x, w, final: bool = False):
    """(ok, result): ok is False on separation, non-convergence or a non-finite fit."""
    from statsmodels.tools.sm_exceptions import ConvergenceWarning, PerfectSeparationWarning

    with warnings.catch_warnings(record=True) as caught, np.errstate(all="ignore"):
        warnings.simplefilter("always")
        try:
            params, cov = fit(y, x, w)
        except (np.linalg.LinAlgError, ValueError):
            if final:
                raise
            return False, None
    bad = any(
        issubclass(c.category, (PerfectSeparationWarning, ConvergenceWarning)) for c in caught
    )
    finite = np.isfinite(params).all() and np.isfinite(cov).all()
    if final:
        return True, (params, np.where(np.isfinite(cov), cov, 0.0))
    return (not bad and finite), (params, cov)


def _augment(codes, x, k):
    """White, Daniel & Royston (2010): for each predictor (not the intercept) and
    category, two pseudo-rows at mean ± SD, weights summing to p + 1."""
    n, p = x.shape
    mean, sd = x[:, 1:].mean(axis=0), x[:, 1:].std(axis=0)
    rows, ys = [], []
    for j in range(p - 1):
        for sign in (-1.0, 1.0):
            for c in range(k):
                r = np.concatenate([[1.0], mean])
                r[j + 1] += sign * sd[j]
                rows.append(r)
                ys.append(c)
    aug_x = np.asarray(rows).reshape(-1, p)
    weight = (p + 1) / max(len(rows), 1)
    return (
        np.concatenate([codes, np.asarray(ys, codes.dtype)]),
        np.vstack([x, aug_x]),
        np.concatenate([np.ones(n), np.full(len(rows), weight)]),
    )
