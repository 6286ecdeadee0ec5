"""Weighted Aalen-Johansen cumulative incidence and its influence function (arrays).

With case weights w (inverse probability of treatment weights), per arm:
F(t) = Σ_{s ≤ t} S(s−)·λ₁(s), λ₁ = dN₁ʷ/Yʷ, λ = (dN₁ʷ + dN₂ʷ)/Yʷ, S(s) = Π_{u ≤ s}(1 − λ(u)),
sums weighted (what ``survfit(Surv(time, factor(event)) ~ arm, weights = w)`` computes).

The derivative of F(t) with respect to patient j's weight is exact for the product
limit:

    D_j(t) = Σ_{s ≤ t} a₁(s,t)[dN₁ⱼ(s) − Yⱼ(s)λ₁(s)] − a(s,t)[dNⱼ(s) − Yⱼ(s)λ(s)],
    a₁ = S(s−)/Yʷ(s),   a = (F(t) − F(s)) / ((1 − λ(s))·Yʷ(s)).

w_j·D_j is the infinitesimal-jackknife influence of patient j with the weights held
fixed (Σ_j (w_j D_j)² is ``survfit``'s robust variance with weights). When the weights
come from a fitted propensity model, the caller adds the model's share
(:func:`propensity_term`).
"""

from __future__ import annotations

import numpy as np

__all__ = ["propensity_term", "weighted_aalen_johansen"]


def weighted_aalen_johansen(time, event, w, times, cause: int = 1):
    """Weighted Aalen-Johansen incidence of ``cause`` at ``times`` and the derivative of
    each value with respect to each patient's weight.

    Returns ``(estimate (m,), deriv (n, m), risk_times, weighted_at_risk)``.

    Examples
    --------
    >>> t = np.array([1., 2, 3, 4]); e = np.array([1, 2, 0, 1])
    >>> f, d, _, _ = weighted_aalen_johansen(t, e, np.ones(4), [4])
    >>> f.tolist()   # 1/4 + (3/4)(2/3)(1/1)
    [0.75]
    """
    time = np.asarray(time, float)
    event = np.asarray(event, np.int64)
    w = np.asarray(w, float)
    times = np.asarray(times, float)
    ut, inv = np.unique(time, return_inverse=True)
    own = event == cause
    exit_ = event > 0
    y = np.bincount(inv, weights=w, minlength=len(ut))[::-1].cumsum()[::-1]
    d1 = np.bincount(inv, weights=w * own, minlength=len(ut))
    d = np.bincount(inv, weights=w * exit_, minlength=len(ut))
    with np.errstate(divide="ignore", invalid="ignore"):
        lam1 = np.where(y > 0, d1 / y, 0.0)
        lam = np.where(y > 0, d / y, 0.0)
    surv = np.cumprod(1 - lam)
    s_minus = np.concatenate([[1.0], surv[:-1]])
    f = np.cumsum(s_minus * lam1)
    idx = np.searchsorted(ut, times, side="right") - 1
    ft = np.where(idx >= 0, f[np.maximum(idx, 0)], 0.0)
    upto = np.arange(len(ut))[:, None] <= idx[None, :]  # (T, m)
    with np.errstate(divide="ignore", invalid="ignore"):
        a1 = np.where(y > 0, s_minus / y, 0.0)[:, None] * upto
        a = (ft[None, :] - f[:, None]) / ((1 - lam) * y)[:, None]
    a = np.where(upto & np.isfinite(a), a, 0.0)
    # Σ_{s ≤ T_j} of the compensator terms, then the jump at T_j
    comp = np.vstack([np.zeros(len(times)), np.cumsum(a1 * lam1[:, None] - a * lam[:, None], 0)])
    deriv = -comp[inv + 1]
    deriv += own[:, None] * a1[inv] - exit_[:, None] * a[inv]
    return ft, deriv, ut, y


def propensity_term(deriv, w, treated, x, ps):
    """The share of a fitted logistic propensity model in each patient's influence.

    ``deriv`` (n, m): D_j of :func:`weighted_aalen_johansen` (0 outside the arm);
    ``x`` the propensity design matrix with its intercept column; ``ps`` the fitted
    propensities. ATE weights (1/e treated, 1/(1 − e) control, times a constant per arm)
    change with the coefficients α as ∂w/∂α = −w(1 − e)x (treated), w·e·x (control);
    α's influence is (XᵀVX)⁻¹x_j(A_j − e_j). Returns (n, m).

    Examples
    --------
    >>> x = np.column_stack([np.ones(4), [0., 1, 0, 1]])
    >>> out = propensity_term(np.ones((4, 1)), np.ones(4), np.array([1, 1, 0, 0], bool),
    ...                       x, np.full(4, 0.5))
    >>> out.shape
    (4, 1)
    """
    treated = np.asarray(treated, bool)
    dw = np.where(treated, -w * (1 - ps), w * ps)[:, None] * x  # (n, q): ∂w_i/∂α
    grad = dw.T @ deriv  # (q, m): ∂F/∂α
    info = (x * (ps * (1 - ps))[:, None]).T @ x
    alpha_iid = np.linalg.solve(info, (x * (treated - ps)[:, None]).T).T  # (n, q)
    return alpha_iid @ grad
