"""Numeric core of the Fine-Gray model, as ``cmprsk::crr`` computes it, in O(n log n).

Hand-written because there is no maintained Python Fine-Gray. ``crr``'s Fortran
(``crrfsv``, ``crrvv``) loops over every pair of patients for every failure time
(O(n²), 9.6 s at 5,000 patients); every sum it forms is a cumulative sum over
sorted times, which is the forward-backward scan of Kawaguchi et al. (2021,
*fastcmprsk*):

* risk set at a cause-1 failure time t (``crrfsv``): everyone still event-free at t
  (a backward cumulative sum) plus those who had a competing event before t, weighted
  by G(t−)/G(tⱼ−) (a forward cumulative sum of r/G times G(t−)); G is the
  Kaplan-Meier estimate of the censoring distribution taken just before each time,
  ties handled as ``crr`` does (Breslow: tied cause-1 failures share one risk set);
* the sandwich variance (``crrvv``): the score residuals ηᵢ take cumulative sums over
  failure times; the censoring correction ψᵢ needs q(u) at every censoring time u, a
  product of a forward sum over competing events before u and a backward sum over
  failure times from u on, then a cumulative sum over censoring times.

With several censoring groups (``crr(cengroup=)``) the ``crrvv`` of cmprsk 2.2-11
forms q_k(u) of group k from the competing events of group k (right: only their
weights depend on G_k) but from the cause-1 failures *of group k only*: its loop over
the failures j1 at or after u adds the group-wise sums ``ss3(·, g)``, ``ss4(g)`` to
``qu(·, icg(j1))``, the failure's own group. The derivative of the estimating equation
with respect to a jump of G_k at u sums over every failure after u (every failure's
risk set holds group k's competing events), so crr leaves out the other groups'
failures; with one group both are the same. ``variance="crr"`` reproduces crr (to
1e-14 on mgus2), ``variance="corrected"`` is the derivative (a finite difference of
the score agrees to 1e-8; an O(n²) R transcription, validation/r/finegray_cengroup.R,
gives crr's variance to 1e-12 with the group's failures and ours with all). Older
cmprsk sources (a ``crrvv`` of 24 arguments, 2.2-11's has 25) used one q(u) for all
groups, summing every group's competing events: a third number, matching neither.

One Newton step costs O(n p²), the variance the same.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .cox import _finite, _inverse, _rev_cumsum, _solve, diverging, tail_sums, weighted_cross

__all__ = [
    "FGData",
    "censoring_q",
    "fit_fine_gray",
    "influence",
    "make_data",
    "sandwich",
    "score_residuals",
]

STEP_TOL = 1e-10
MAX_ITER = 50


def _excl_cumsum(a):
    out = np.zeros((len(a) + 1, *a.shape[1:]))
    np.cumsum(a, axis=0, out=out[1:])
    return out


@dataclass
class _CensGroup:
    """What one censoring group (``crr(cengroup=)``) contributes: its censoring
    distribution G_k at the failure times, its competing events, its censoring times."""

    gm: np.ndarray  # G_k(t−) at each distinct failure time
    c2rows: np.ndarray  # rows with a competing event in this group
    c2_before_f: np.ndarray  # per failure time: the group's competing events before it
    chead: np.ndarray  # per censoring time of the group: its first row (sorted data)
    nc: np.ndarray  # censorings per censoring time
    ycens: np.ndarray  # group members at risk (time ≥ u) at each censoring time
    kc: np.ndarray  # per censoring time: number of failure times before it
    rows: np.ndarray  # the group's rows (sorted data)
    c_row: np.ndarray  # per group row: number of the group's censoring times ≤ its time
    dm: np.ndarray  # the group's cause-1 failures per distinct failure time


@dataclass
class FGData:
    x: np.ndarray  # (n, p) sorted by time, centered
    c1: np.ndarray  # failure of the cause of interest
    c2: np.ndarray  # competing event
    cens: np.ndarray  # censored
    g: np.ndarray  # G(t−) per row (of the row's censoring group)
    fhead: np.ndarray  # first row at each distinct failure time
    dm: np.ndarray  # failures per distinct failure time
    k_row: np.ndarray  # per row: number of failure times ≤ its time
    m_row: np.ndarray  # per failure row: its failure time index
    x1sum: np.ndarray
    groups: list  # one _CensGroup per censoring group (one without cengroup)
    t: np.ndarray  # sorted times


def make_data(time, status, x, cause: int = 1, cengroup=None) -> tuple[FGData, np.ndarray]:
    """Sort, and compute the censoring Kaplan-Meier G(t−) as ``crr`` does: one for all
    patients or, with ``cengroup`` (integer codes), one per censoring group."""
    order = np.argsort(time, kind="stable")
    t = time[order]
    s = status[order]
    xs = np.asfortranarray(x[order] - x.mean(axis=0))  # column-major, as cox.make_strata
    n = len(t)
    c1, cens = s == cause, s == 0
    c2 = ~c1 & ~cens
    new = np.empty(n, bool)
    new[0] = True
    new[1:] = t[1:] != t[:-1]
    head = np.flatnonzero(new)
    gid = np.cumsum(new) - 1
    fgrp = np.flatnonzero(np.bincount(gid[c1], minlength=len(head)))
    ftimes = t[head[fgrp]]
    codes = np.zeros(n, np.int64) if cengroup is None else np.asarray(cengroup)[order]
    g = np.empty(n)
    groups = []
    for k in np.unique(codes):
        rows = np.flatnonzero(codes == k)
        tk, ck = t[rows], cens[rows]
        newk = np.empty(len(rows), bool)
        newk[0] = True
        newk[1:] = tk[1:] != tk[:-1]
        headk = np.flatnonzero(newk)
        gidk = np.cumsum(newk) - 1
        ncg = np.bincount(gidk[ck], minlength=len(headk))
        at_risk = len(rows) - headk
        gsurv = np.cumprod(1.0 - ncg / at_risk)
        g[rows] = np.concatenate([[1.0], gsurv[:-1]])[gidk]
        # G_k(t−) at each failure time: the group's curve after its times before t, and
        # 0 after the group's last time (crr's approx(..., c(1, surv, 0), rule = 2))
        before = np.searchsorted(tk[headk], ftimes, side="left")
        gm = np.where(ftimes > tk[-1], 0.0, np.concatenate([[1.0], gsurv])[before])
        cgrp = np.flatnonzero(ncg)
        ctimes = tk[headk[cgrp]]
        c2k = rows[c2[rows]]
        c1k = rows[c1[rows]]
        groups.append(
            _CensGroup(
                gm=gm,
                c2rows=c2k,
                c2_before_f=np.searchsorted(t[c2k], ftimes, side="left"),
                chead=rows[headk[cgrp]],
                nc=ncg[cgrp].astype(float),
                ycens=at_risk[cgrp].astype(float),
                kc=np.searchsorted(ftimes, ctimes, side="left"),
                rows=rows,
                c_row=np.searchsorted(ctimes, tk, side="right"),
                dm=np.bincount(
                    np.searchsorted(ftimes, t[c1k], side="left"), minlength=len(ftimes)
                ).astype(float),
            )
        )
    data = FGData(
        x=xs,
        c1=c1,
        c2=c2,
        cens=cens,
        g=g,
        fhead=head[fgrp],
        dm=np.bincount(gid[c1], minlength=len(head))[fgrp].astype(float),
        k_row=np.searchsorted(ftimes, t, side="right"),
        m_row=np.searchsorted(ftimes, t[c1], side="left"),
        x1sum=xs[c1].sum(axis=0),
        groups=groups,
        t=t,
    )
    return data, order


@dataclass
class _State:
    loglik: float
    score: np.ndarray
    r: np.ndarray
    s0: np.ndarray
    xbar: np.ndarray


def _state(d: FGData, beta) -> _State:
    eta = d.x @ beta
    shift = float(eta.max())
    r = np.exp(eta - shift)
    s0 = tail_sums(r, d.fhead)
    s1 = tail_sums(r, d.fhead, d.x)
    for grp in d.groups:  # competing events stay, weighted G_k(t−)/G_k(tⱼ−)
        q = r[grp.c2rows] / d.g[grp.c2rows]
        s0 = s0 + grp.gm * _excl_cumsum(q)[grp.c2_before_f]
        s1 = s1 + grp.gm[:, None] * _excl_cumsum(q[:, None] * d.x[grp.c2rows])[grp.c2_before_f]
    xbar = s1 / s0[:, None]
    loglik = float(eta[d.c1].sum() - d.dm @ (np.log(s0) + shift))
    score = d.x1sum - d.dm @ xbar
    return _State(loglik=loglik, score=score, r=r, s0=s0, xbar=xbar)


def _backward(gm, per_time):
    """Σ over failure times m ≥ k of G_k(t_m−)·per_time[m], for k = 0..M (0 at M)."""
    shape = (-1, *[1] * (per_time.ndim - 1))
    tail = np.zeros((1, *per_time.shape[1:]))
    return np.concatenate([_rev_cumsum(gm.reshape(shape) * per_time), tail])


def _row_weight(d: FGData, per_time):
    """Per row: Σ over the failure times whose risk set holds the row of per_time[m]
    (· G_k(t_m−)/G_k(t_row−) after a competing event)."""
    cum = _excl_cumsum(per_time)  # times ≤ t_row
    out = cum[d.k_row]
    for grp in d.groups:
        back = _backward(grp.gm, per_time)
        rows, k = grp.c2rows, d.k_row[grp.c2rows]
        inv_g = 1.0 / d.g[rows]
        out[rows] += (inv_g if per_time.ndim == 1 else inv_g[:, None]) * back[k]
    return out


def _information(d: FGData, st: _State) -> np.ndarray:
    wa = _row_weight(d, d.dm / st.s0)
    return weighted_cross(d.x, st.r * wa) - (st.xbar.T * d.dm) @ st.xbar


def evaluate(d: FGData, beta, info: bool = True):
    with np.errstate(all="ignore"):  # see _core.cox.evaluate
        st = _state(d, beta)
        return st.loglik, st.score, (_information(d, st) if info else None)


@dataclass
class FGFit:
    coef: np.ndarray
    info: np.ndarray
    var: np.ndarray  # sandwich
    loglik: float
    loglik_null: float
    iterations: int
    converged: bool
    infinite: np.ndarray


def fit_fine_gray(
    d: FGData, p: int, max_iter: int = MAX_ITER, start=None, cluster=None, variance="crr"
) -> FGFit:
    """Newton-Raphson with the backtracking line search of ``crr``.

    Converged when the next Newton step is below ``STEP_TOL`` relative to max(|β|, 1)
    (``crr`` stops on the score, ``gtol = 1e-6`` by default, which leaves its estimate
    up to ~1e-9 away from the maximum); or when the pseudo-log-likelihood stops
    changing, which with a large next step signals a coefficient running off to
    infinity. ``start``: the evaluation at β = 0 if the caller has it.
    """
    beta = np.zeros(p)
    ll, u, h = evaluate(d, beta) if start is None else start
    ll0 = ll
    converged, it = False, 0
    step = _solve(h, u)
    st = None
    while it < max_iter:
        if np.max(np.abs(step) / np.maximum(np.abs(beta), 1.0), initial=0.0) < STEP_TOL:
            converged = True
            break
        it += 1
        new = beta + step
        with np.errstate(all="ignore"):  # see _core.cox.evaluate
            st_new = _state(d, new)
            halvings = 0
            # crr minimises −loglik and accepts when it falls by 1e-4 of the predicted
            # decrease
            while not _finite(st_new.loglik, st_new.score, None) or st_new.loglik < ll + 1e-4 * (
                step @ u
            ) - 1e-12 * abs(ll):
                halvings += 1
                if halvings > 30:
                    break
                step = step / 2
                new = beta + step
                st_new = _state(d, new)
            h_new = _information(d, st_new) if halvings <= 30 else None
        if halvings > 30 or not _finite(st_new.loglik, st_new.score, h_new):
            break
        flat = abs(st_new.loglik - ll) <= 1e-13 * max(abs(st_new.loglik), 1.0)
        beta, st = new, st_new
        ll, u, h = st.loglik, st.score, h_new
        step = _solve(h, u)
        if flat:
            converged = True
            break
    if converged:  # coxph's rule for infinite coefficients (see _core.cox.fit_cox)
        infinite = (np.abs(step) > 1e-9) & (np.abs(step) > np.sqrt(1e-9) * np.abs(beta))
    else:
        infinite = diverging(beta, step, d.x.std(axis=0))
    var = sandwich(d, beta, h, st, cluster, variance)
    return FGFit(
        coef=beta,
        info=h,
        var=var,
        loglik=ll,
        loglik_null=ll0,
        iterations=it,
        converged=converged,
        infinite=infinite,
    )


def score_residuals(d: FGData, beta, st: _State | None = None):
    """ηᵢ of ``crrvv`` per (sorted) row, the score residual (what ``coxph`` on
    ``finegray()`` data sums per patient), and the state at ``beta``."""
    st = st or _state(d, beta)
    a = d.dm / st.s0
    wa = _row_weight(d, a)
    wax = _row_weight(d, a[:, None] * st.xbar)
    eta = -st.r[:, None] * (d.x * wa[:, None] - wax)
    eta[d.c1] += d.x[d.c1] - st.xbar[d.m_row]
    return eta, st


def censoring_q(d: FGData, st: _State, grp: _CensGroup, variance: str = "crr") -> np.ndarray:
    """q_k(u) of ``crrvv`` at each censoring time u of group k (one row per time): Σ over
    the failures m at or after u of 1/S0(t_m) · Σ over the group's competing events j
    before u of G_k(t_m−)/G_k(tⱼ−)·e^{xⱼβ}·(xⱼ − x̄(t_m)), how the score moves when G_k
    has a jump at u. ``variance="crr"``: the failures m of group k only, as cmprsk
    2.2-11 does with several groups; ``"corrected"``: every failure (the derivative).
    """
    a = (grp.dm if variance == "crr" else d.dm) / st.s0
    back0, back1 = _backward(grp.gm, a), _backward(grp.gm, a[:, None] * st.xbar)
    ctimes = d.t[grp.chead]
    q = st.r[grp.c2rows] / d.g[grp.c2rows]
    before = np.searchsorted(d.t[grp.c2rows], ctimes, side="left")
    fwd0 = _excl_cumsum(q)[before]
    fwd1 = _excl_cumsum(q[:, None] * d.x[grp.c2rows])[before]
    return fwd1 * back0[grp.kc][:, None] - fwd0[:, None] * back1[grp.kc]


def influence(d: FGData, beta, st: _State | None = None, variance: str = "crr") -> np.ndarray:
    """ηᵢ + ψᵢ of ``crrvv`` per (sorted) row: the score residual and the correction for
    estimating the censoring distribution, ψᵢ = ∫ q_k(u)/Y_k(u) dM̂ᶜᵢ(u) in patient i's
    censoring group k (``variance``: see :func:`censoring_q`)."""
    eta, st = score_residuals(d, beta, st)
    psi = np.zeros_like(eta)
    for grp in d.groups:
        if len(grp.chead) == 0:
            continue
        qu = censoring_q(d, st, grp, variance)
        # the compensator: −q(u)·dNᶜ(u)/Y(u)² for everyone of the group at risk at u
        cum = _excl_cumsum(qu * (grp.nc / grp.ycens**2)[:, None])
        psi[grp.rows] = -cum[grp.c_row]
        # the censored patient's own jump: q(u)/Y(u)
        cens = d.cens[grp.rows]
        crow = grp.c_row[cens] - 1
        psi[grp.rows[cens]] += qu[crow] / grp.ycens[crow][:, None]
    return eta + psi


def sandwich(
    d: FGData, beta, info, st: _State | None = None, cluster=None, variance: str = "crr"
) -> np.ndarray:
    """``crr``'s variance: I⁻¹ (Σ (ηᵢ + ψᵢ)(ηᵢ + ψᵢ)ᵀ) I⁻¹ (``variance``: see
    :func:`influence`); with ``cluster`` (codes per sorted row) the cluster-robust
    variance of ``coxph(..., cluster=)`` on ``finegray()`` data: the score residuals ηᵢ
    (no ψ) summed within clusters."""
    with np.errstate(all="ignore"):  # a diverging fit may give inf/NaN: reported as such
        if cluster is None:
            res = influence(d, beta, st, variance)
        else:
            eta = score_residuals(d, beta, st)[0]
            res = np.column_stack(
                [np.bincount(cluster, weights=eta[:, j]) for j in range(eta.shape[1])]
            )
    hinv = _inverse(info)
    return hinv @ (res.T @ res) @ hinv
