"""Numeric core of the G-formula: standardized cumulative incidence from cause-specific
Cox models, and its influence function (arrays only).

For a treatment value a, the standardized incidence of cause 1 by time t is

    ψ_a(t) = (1/n) Σ_i F₁(t | x_i with treatment set to a),
    F₁(t | x) = Σ_{s ≤ t} S(s− | x) h₁(s | x),   S(s− | x) = Π_{u < s} (1 − h₁(u|x) − h₂(u|x)),

with h_k(s | x) = exp((x − x̄)β_k)·dΛ_k(s) the jump of cause k's hazard at the event times
s of either cause (product-limit survival, as ``riskRegression::ate`` with a
``CSC`` model: ``product.limit = TRUE``).

Its influence function (Ozenne et al., Biometrical Journal 2020;62:751-763) has three parts
per patient j: the spread of the covariates, (F₁(t | x_j^a) − ψ_a(t))/n; and through
each cause-specific model k, the derivative of ψ with respect to β_k times β_k's
influence function V_k·U_kj (V the inverse information, U the score residual), plus the
derivative with respect to each baseline jump dΛ_k(s) times its influence function

    φ_j(dΛ_k(s)) = [dN_kj(s) − Y_j(s)·r_kj·dΛ_k(s)] / S0_k(s) − dΛ_k(s)·E_k(s)ᵀ φ_j(β_k),

r_kj = exp((x_j − x̄)β_k),

with S0_k, E_k = S1_k/S0_k the risk-set sums (Breslow form) and dΛ_k the Efron jumps of
the fit. Every sum over patients is a matrix product over blocks of patients, so the
cost is O(n·T·m) for T event times and m evaluation times, memory O(block·T).

Two conventions (``convention=``), which differ only where noted:

* ``"ate"`` (default): exactly ``riskRegression::ate`` 2022.11.28 (``iidCox``,
  ``IFbeta_cpp``, ``calcSeCif2_cpp``). Its influence function of β counts each distinct
  event time once (compensator Σ 1/S0 where the Breslow estimator has Σ d/S0), and it
  differentiates the incidence as if S were exp(−Λ): ∂F₁(t)/∂h₁(u) = S(u−) − (F₁(t) −
  F₁(u)), ∂F₁(t)/∂h₂(u) = −(F₁(t) − F₁(u)). Without tied event times the first point
  does not arise.
* ``"exact"``: the influence function of β is ``coxph``'s (Efron-aware score residuals
  times the inverse information, ``residuals(fit, "dfbeta")``, supplied by the caller
  as ``CauseModel.beta_iid``), and the product-limit derivatives are exact:
  ∂F₁(t)/∂h₁(u) = S(u−) − (F₁(t) − F₁(u))/(1 − h(u)), ∂F₁(t)/∂h₂(u) = −(F₁(t) −
  F₁(u))/(1 − h(u)).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["CauseModel", "gformula"]

#: Patients per block times event times: keeps each block's matrices near 16 MB.
BLOCK_CELLS = 2_000_000


@dataclass(frozen=True)
class CauseModel:
    """One fitted cause-specific Cox model, on the rows of the data: the coefficients
    ``beta`` (for the columns of ``x``), their inverse information ``var``, the event
    indicator ``dead`` and the baseline jumps ``jump_times``, ``jumps`` (at x̄)."""

    beta: np.ndarray
    var: np.ndarray
    dead: np.ndarray
    jump_times: np.ndarray
    jumps: np.ndarray
    beta_iid: np.ndarray | None = None  # (n, p): coxph's dfbeta, for convention="exact"


def _risk_sums(time, xc, beta, grid):
    """S0 and S1 (Breslow form, centred x) at each grid time: Σ_{T_j ≥ s} e^{xc_j β}(1, xc_j)."""
    r = np.exp(xc @ beta)
    order = np.argsort(time)
    ts, rs, xs = time[order], r[order], xc[order]
    s0c = np.cumsum(rs[::-1])[::-1]
    s1c = np.cumsum((rs[:, None] * xs)[::-1], axis=0)[::-1]
    first = np.searchsorted(ts, grid, side="left")
    inside = first < len(ts)
    first = np.minimum(first, len(ts) - 1)
    s0 = np.where(inside, s0c[first], 0.0)
    s1 = np.where(inside[:, None], s1c[first], 0.0)
    return r, s0, s1


def _beta_influence(time, xc, model, grid, s0, e, r):
    """riskRegression's V·U_j: U_j = δ_j(x_j − E(T_j)) − r_j Σ_{s ≤ T_j} (x_j − E(s))/S0(s)
    over the distinct event times s of the cause (one event per time)."""
    event_time = np.zeros(len(grid), bool)
    event_time[np.searchsorted(grid, time[model.dead])] = True
    with np.errstate(divide="ignore"):
        dlam = np.where(event_time & (s0 > 0), 1 / s0, 0.0)
    idx = np.searchsorted(grid, time, side="right") - 1  # last grid time ≤ T_j
    cum_l = np.concatenate([[0.0], np.cumsum(dlam)])[idx + 1]
    cum_el = np.vstack([np.zeros(xc.shape[1]), np.cumsum(e * dlam[:, None], axis=0)])[idx + 1]
    at = np.maximum(idx, 0)
    u = model.dead[:, None] * (xc - e[at]) - r[:, None] * (xc * cum_l[:, None] - cum_el)
    return u @ model.var


def gformula(
    time, x, treat: int, models: list[CauseModel], times, values=(0.0, 1.0), convention="ate"
):
    """Standardized cumulative incidence of the first model's cause, per treatment value.

    Parameters
    ----------
    time
        Follow-up times (as the Cox models were fitted: after ``timefix``).
    x
        Design matrix (n, p) of the models, uncentred; column ``treat`` is the treatment.
    models
        The cause of interest first, then the competing causes.
    times
        Evaluation times (months).
    values
        Treatment values to standardize to.
    convention
        ``"ate"`` (riskRegression's influence function) or ``"exact"`` (module notes).

    Returns
    -------
    dict
        ``estimate``: (len(values), m); ``iid``: (len(values), n, m), the influence
        function per patient scaled so that the variance is Σ_j iid_j².
    """
    time = np.asarray(time, float)
    x = np.asarray(x, float)
    n = x.shape[0]
    times = np.asarray(times, float)
    xbar = x.mean(axis=0)
    xc = x - xbar
    grid = np.unique(np.concatenate([mod.jump_times for mod in models]))
    k_models = len(models)
    dlam = np.zeros((k_models, len(grid)))
    parts = []
    for k, mod in enumerate(models):
        dlam[k, np.searchsorted(grid, mod.jump_times)] = mod.jumps
        r, s0, s1 = _risk_sums(time, xc, mod.beta, grid)
        with np.errstate(divide="ignore", invalid="ignore"):
            e = np.where(s0[:, None] > 0, s1 / s0[:, None], 0.0)
        if convention == "exact":
            ifb = mod.beta_iid
        else:
            ifb = _beta_influence(time, xc, mod, grid, s0, e, r)
        parts.append({"r": r, "s0": s0, "e": e, "ifb": ifb})
    t_idx = np.searchsorted(grid, times, side="right") - 1
    m = len(times)
    est = np.zeros((len(values), m))
    iid = np.zeros((len(values), n, m))
    for v_i, value in enumerate(values):
        xa = xc.copy()
        xa[:, treat] = value - xbar[treat]
        f_t, a_sum, b_sum = _derivative_sums(xa, models, dlam, t_idx, convention == "exact")
        psi = f_t.mean(axis=0)
        est[v_i] = psi
        phi = (f_t - psi) / n
        for k, (mod, part) in enumerate(zip(models, parts, strict=True)):
            a_k = a_sum[k] / n  # (T, m): ∂ψ/∂dΛ_k(s)
            b_k = b_sum[k] / n  # (p, m): ∂ψ/∂β_k
            ifb = part["ifb"]
            with np.errstate(divide="ignore", invalid="ignore"):
                ratio = np.where(part["s0"][:, None] > 0, a_k / part["s0"][:, None], 0.0)
            own = np.searchsorted(grid, time, side="right") - 1
            jump_here = mod.dead & (own >= 0)
            term = np.zeros((n, m))
            term[jump_here] = ratio[own[jump_here]]
            cum = np.vstack([np.zeros(m), np.cumsum(ratio * dlam[k][:, None], axis=0)])
            term -= part["r"][:, None] * cum[own + 1]
            c_k = (part["e"] * dlam[k][:, None]).T @ a_k  # (p, m)
            phi += term + ifb @ (b_k - c_k)
        iid[v_i] = phi
    beyond = times < grid[0] if len(grid) else np.ones(m, bool)
    est[:, beyond] = 0.0
    iid[:, :, beyond] = 0.0
    return {"estimate": est, "iid": iid}


def _derivative_sums(xa, models, dlam, t_idx, exact: bool):
    """F₁(t | x_i^a) per patient, and the sums over patients of the derivatives of F₁(t)
    with respect to each cause's baseline jumps (T, m) and coefficients (p, m)."""
    n, p = xa.shape
    k_models, n_grid = dlam.shape
    m = len(t_idx)
    f_t = np.zeros((n, m))
    a_sum = np.zeros((k_models, n_grid, m))
    b_sum = np.zeros((k_models, p, m))
    valid = t_idx >= 0
    ti = np.maximum(t_idx, 0)
    upto = np.arange(n_grid)[:, None] <= t_idx[None, :]  # (T, m): s ≤ t
    block = max(1, BLOCK_CELLS // max(n_grid, 1))
    for lo in range(0, n, block):
        xb = xa[lo : lo + block]
        r = np.exp(xb @ np.column_stack([mod.beta for mod in models]))  # (b, K)
        h = r[:, :, None] * dlam[None, :, :]  # (b, K, T)
        htot = h.sum(axis=1)
        surv = np.cumprod(1 - htot, axis=1)
        s_minus = np.concatenate([np.ones((len(xb), 1)), surv[:, :-1]], axis=1)
        f = np.cumsum(s_minus * h[:, 0, :], axis=1)  # (b, T)
        ft = np.where(valid[None, :], f[:, ti], 0.0)
        f_t[lo : lo + block] = ft
        if exact:
            with np.errstate(divide="ignore"):
                g = 1 / (1 - htot)  # (b, T)
        else:
            g = np.ones_like(htot)
        fg = f * g
        for k in range(k_models):
            rk = r[:, k][:, None]
            # Σ_i r_ik [1{k=1} S_i(s−) − (F_i(t) − F_i(s)) g_i(s)]
            a = -(rk * g).T @ ft + (rk * fg).sum(axis=0)[:, None]
            if k == 0:
                a += (rk * s_minus).sum(axis=0)[:, None]
            a_sum[k] += np.where(upto, a, 0.0)
            # Σ_i x_i Σ_{s ≤ t} h_ik(s)[1{k=1} S_i(s−) − (F_i(t) − F_i(s)) g_i(s)]
            hk = h[:, k, :]
            c = np.cumsum(hk * g, axis=1)[:, ti]
            dd = np.cumsum(hk * fg, axis=1)[:, ti]
            inner = -(ft * c - dd)
            if k == 0:
                inner += ft
            b_sum[k] += xb.T @ np.where(valid[None, :], inner, 0.0)
    return f_t, a_sum, b_sum
