"""Numeric core of the Cox model: the partial likelihood over sorted times (arrays only).

Written by hand rather than wrapped because no maintained Python library does this
well enough: lifelines' ``CoxPHFitter`` is about 10× slower than R's ``coxph`` at 100k
patients and its sandwich variance ignores tied times; statsmodels' ``PHReg`` (Efron)
took 6.3 s at 200k patients (this code: 0.37 s) and agreed with ``coxph`` to 1e-8 only.
Everything here follows ``survival``'s C code (``coxfit6.c``, ``coxscore2.c``,
``zph1.c``, the last in :mod:`.zph`) term by term, but vectorized:

* the data are sorted once per stratum (covariates column-major); risk-set sums are
  the sums of the rows between event times, then reverse cumulative sums over those
  (:func:`tail_sums`), at the first row of each tied time;
* the Efron terms are expanded to one row per death (the k-th of d tied deaths enters
  with the fraction k/d of the deaths' risk removed), so no Python loop runs over times;
* the information matrix never forms a p×p matrix per time: Σ_t c_t S2(t) is
  Xᵀ diag(r·C) X with C the cumulative sum of the c_t over event times.

One Newton step costs O(n p²); sorting costs O(n log n) once.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = [
    "CoxFit",
    "Stratum",
    "aliased_from_info",
    "baseline_hazard",
    "diverging",
    "evaluate",
    "fit_cox",
    "make_strata",
    "robust_variance",
    "score_residuals",
    "timefix",
]

#: Convergence: stop when the Newton step is below this (relative to max(|β|, 1)).
STEP_TOL = 1e-9
#: ... or when the log-likelihood changes by less than this (relative): a flat
#: (monotone) likelihood, checked for infinite coefficients afterwards.
LOGLIK_TOL = 1e-13
MAX_ITER = 40


@dataclass
class Stratum:
    """One stratum, sorted by time ascending."""

    rows: np.ndarray  # positions in the caller's arrays
    x: np.ndarray  # (n, p), centered
    w: np.ndarray  # case weights
    dead: np.ndarray  # bool
    gid: np.ndarray  # tied-time group of each row (0, 1, … ascending)
    first: np.ndarray  # first row of each tied-time group
    egrp: np.ndarray  # groups with at least one death
    d: np.ndarray  # deaths per event group
    dw: np.ndarray  # sum of death weights per event group
    k_grp: np.ndarray  # expanded Efron rows: index into egrp
    frac: np.ndarray  # expanded Efron rows: fraction of the deaths' risk removed
    dead_egrp: np.ndarray  # for each death row: index into egrp
    wx_dead: np.ndarray  # Σ w x over deaths (p,)
    dead_rows: np.ndarray  # positions of the deaths (of ``dead``)
    x_dead: np.ndarray  # x of the deaths (read at every Newton step)
    w_dead: np.ndarray


def make_strata(time, dead, x, w, strata, ties: str = "efron") -> list[Stratum]:
    """Sort once and precompute the tied-time structure of every stratum."""
    n = x.shape[0]
    codes = np.zeros(n, np.int64) if strata is None else np.asarray(strata)
    order = np.lexsort((time, codes))
    # centred as x - mean: the rows of each stratum are copied, then centred in place
    # (one n × p array fewer than centring all of x first)
    mean = x.mean(axis=0) if n else np.zeros(x.shape[1])
    out = []
    bounds = np.flatnonzero(np.diff(codes[order])) + 1
    for rows in np.split(order, bounds):
        t, dd = time[rows], dead[rows]
        new = np.empty(len(rows), bool)
        new[0] = True
        new[1:] = t[1:] != t[:-1]
        gid = np.cumsum(new) - 1
        first = np.flatnonzero(new)
        ngrp = len(first)
        dcount = np.bincount(gid[dd], minlength=ngrp)
        egrp = np.flatnonzero(dcount)
        d = dcount[egrp]
        ww = w[rows]
        dw = np.bincount(gid[dd], weights=ww[dd], minlength=ngrp)[egrp]
        pos_in_e = np.full(ngrp, -1)
        pos_in_e[egrp] = np.arange(len(egrp))
        k_grp = np.repeat(np.arange(len(egrp)), d)
        starts = np.cumsum(d) - d
        k = np.arange(len(k_grp)) - np.repeat(starts, d)
        frac = k / np.repeat(d, d) if ties == "efron" else np.zeros(len(k_grp))
        # column-major, gathered and centred a column at a time: every Newton step
        # reads the columns one at a time (tail_sums)
        xs = np.empty((len(rows), x.shape[1]), order="F")
        for j in range(x.shape[1]):
            np.take(x[:, j], rows, out=xs[:, j])
            xs[:, j] -= mean[j]
        x_dead = xs[dd]
        out.append(
            Stratum(
                rows=rows,
                x=xs,
                w=ww,
                dead=dd,
                gid=gid,
                first=first,
                egrp=egrp,
                d=d,
                dw=dw,
                k_grp=k_grp,
                frac=frac,
                dead_egrp=pos_in_e[gid[dd]],
                wx_dead=(ww[dd, None] * x_dead).sum(axis=0),
                dead_rows=np.flatnonzero(dd),
                x_dead=x_dead,
                w_dead=ww[dd],
            )
        )
    return out


def timefix(time: np.ndarray) -> np.ndarray:
    """Treat times closer than √ε (absolutely or relative to their mean) as tied, as
    ``survival::aeqSurv`` does for ``coxph``; each run becomes its smallest time.

    Examples
    --------
    >>> timefix(np.array([1.0, 1.0 + 1e-12, 2.0])).tolist()
    [1.0, 1.0, 2.0]
    """
    order = np.argsort(time, kind="stable")
    ts = time[order]
    dy = np.diff(ts)
    step = dy > 0
    if not step.any():
        return time
    tol = np.sqrt(np.finfo(float).eps)
    mean_abs = np.abs(np.concatenate([ts[:1], ts[1:][step]])).mean()
    tied = step & ((dy <= tol) | (dy / mean_abs <= tol))
    if not tied.any():
        return time
    # a run of tied values takes its first (smallest) value
    start = np.concatenate([[True], ~tied])
    fixed = ts[np.maximum.accumulate(np.where(start, np.arange(len(ts)), 0))]
    out = np.empty_like(time)
    out[order] = fixed
    return out


def _rev_cumsum(a, *, overwrite: bool = False):
    """Σ_{j ≥ i} a_j for every i (along the first axis); ``overwrite``: into ``a`` itself,
    which the caller no longer needs (the same sums, one array fewer)."""
    if overwrite:
        back = a[::-1]
        np.cumsum(back, axis=0, out=back)
        return a
    return np.cumsum(a[::-1], axis=0)[::-1]


#: Rows per block of :func:`weighted_cross`: the block's temporary stays in the cache
#: (1M patients, 7 terms: 33 → 21 ms a Newton step, measured) and no n × p temporary is
#: made (5M patients, 9 terms: 360 MB a step).
BLOCK = 1 << 14


def tail_sums(r: np.ndarray, head: np.ndarray, x: np.ndarray | None = None) -> np.ndarray:
    """Σ_{j ≥ h} r_j (or r_j·x_j) at each row h of ``head`` (increasing positions):
    ``_rev_cumsum(r[:, None] * x)[head]``, computed as the sums of the segments between
    heads (``np.add.reduceat``) and then their reverse cumulative sum over the heads,
    one column of ``x`` at a time. A column-major ``x`` (:func:`make_strata`) is read
    once a column and no n × p temporary is made: 1M patients, 7 terms, 2,649 event
    times: 46 → 15 ms a Newton step (measured; the sums agree to 3e-14 relative).

    Examples
    --------
    >>> r, x = np.array([1.0, 2, 3, 4]), np.array([[1.0], [1], [2], [0]])
    >>> tail_sums(r, np.array([1, 3])).tolist(), tail_sums(r, np.array([1, 3]), x).tolist()
    ([9.0, 4.0], [[8.0], [0.0]])
    """
    if len(head) == 0:
        return np.zeros((0,) if x is None else (0, x.shape[1]))
    lo = int(head[0])
    at = head - lo
    if x is None:
        return _rev_cumsum(np.add.reduceat(r[lo:], at), overwrite=True)
    out = np.empty((len(head), x.shape[1]))
    for j in range(x.shape[1]):
        out[:, j] = np.add.reduceat(r[lo:] * x[lo:, j], at)
    return _rev_cumsum(out, overwrite=True)


def weighted_cross(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """xᵀ diag(w) x, in blocks of :data:`BLOCK` rows."""
    out = np.zeros((x.shape[1], x.shape[1]))
    for start in range(0, len(w), BLOCK):
        xb = x[start : start + BLOCK]
        out += (xb.T * w[start : start + BLOCK]) @ xb
    return out


@dataclass
class _Sums:
    """Risk-set sums of one stratum at one β (expanded to one row per Efron term)."""

    r: np.ndarray  # w·exp(η − shift)
    er: np.ndarray  # exp(η − shift), without the weight
    shift: float
    den: np.ndarray  # S0 − f·D0 per Efron row
    a: np.ndarray  # (S1 − f·D1)/den per Efron row: the risk-weighted mean of x
    wt: np.ndarray  # mean death weight per Efron row
    loglik: float
    score: np.ndarray


def _sums(st: Stratum, beta) -> _Sums:
    eta = st.x @ beta
    shift = float(eta.max()) if len(eta) else 0.0
    er = np.exp(eta - shift)
    r = st.w * er
    head = st.first[st.egrp]
    s0 = tail_sums(r, head)
    s1 = tail_sums(r, head, st.x)
    ne = len(st.egrp)
    rd = r[st.dead_rows]
    d0 = np.bincount(st.dead_egrp, weights=rd, minlength=ne)
    xd = st.x_dead
    d1 = (
        np.column_stack(
            [
                np.bincount(st.dead_egrp, weights=rd * xd[:, j], minlength=ne)
                for j in range(st.x.shape[1])
            ]
        )
        if st.x.shape[1]
        else np.zeros((ne, 0))
    )
    g, f = st.k_grp, st.frac
    den = s0[g] - f * d0[g]
    a = (s1[g] - f[:, None] * d1[g]) / den[:, None]
    wt = (st.dw / st.d)[g]
    loglik = float(st.w_dead @ eta[st.dead_rows] - wt @ (np.log(den) + shift))
    score = st.wx_dead - wt @ a
    return _Sums(r=r, er=er, shift=shift, den=den, a=a, wt=wt, loglik=loglik, score=score)


def _information(st: Stratum, s: _Sums, mult=None) -> np.ndarray:
    """Σ over Efron rows of wt·mult·Var_k(x): the information, or with ``mult`` = g(t)
    (per event group) the cross terms of the proportional-hazards score test."""
    ne, ngrp = len(st.egrp), len(st.first)
    m = np.ones(ne) if mult is None else mult
    g = st.k_grp
    c1 = np.bincount(g, weights=s.wt * m[g] / s.den, minlength=ne)
    c2 = np.bincount(g, weights=s.wt * m[g] * st.frac / s.den, minlength=ne)
    cg = np.zeros(ngrp)
    cg[st.egrp] = c1
    rw = s.r * np.cumsum(cg)[st.gid]
    rw[st.dead_rows] -= s.r[st.dead_rows] * c2[st.dead_egrp]
    return weighted_cross(st.x, rw) - (s.a.T * (s.wt * m[g])) @ s.a


def evaluate(strata: list[Stratum], beta, info: bool = True):
    """Log partial likelihood, score, information (or ``None``) at ``beta``, and the
    risk-set sums of every stratum (reused by the residuals and the PH test)."""
    p = len(beta)
    ll, u, h = 0.0, np.zeros(p), np.zeros((p, p))
    sums: list[_Sums | None] = []  # None: a stratum without events
    # far from the estimate (a coefficient running off to infinity) risk sets can
    # underflow to 0: the result is then not finite and the caller halves its step
    with np.errstate(all="ignore"):
        for st in strata:
            if len(st.egrp) == 0:
                sums.append(None)
                continue
            s = _sums(st, beta)
            sums.append(s)
            ll += s.loglik
            u += s.score
            if info:
                h += _information(st, s)
    return ll, u, (h if info else None), sums


def _finite(ll, u, h) -> bool:
    return bool(np.isfinite(ll) and np.isfinite(u).all() and (h is None or np.isfinite(h).all()))


@dataclass
class CoxFit:
    coef: np.ndarray
    var: np.ndarray  # inverse information
    loglik: float
    loglik_null: float
    iterations: int
    converged: bool
    infinite: np.ndarray  # bool per coefficient: appears to diverge
    info: np.ndarray
    sums: list  # risk-set sums at the estimate


def fit_cox(strata: list[Stratum], p: int, max_iter: int = MAX_ITER, start=None) -> CoxFit:
    """Newton-Raphson with step halving, as ``coxph`` (``coxfit6.c``) does.

    Converged when the next Newton step is below ``STEP_TOL`` (relative to max(|β|, 1)),
    so the estimate is within about 1e-9 of the maximum; or when the log-likelihood
    stops changing (``LOGLIK_TOL``), which with a large next step signals a coefficient
    running off to infinity (monotone likelihood). ``start``: the evaluation at β = 0
    if the caller has it.
    """
    beta = np.zeros(p)
    ll, u, h, sums = evaluate(strata, beta) if start is None else start
    ll0 = ll
    step = _solve(h, u)
    converged, it = False, 0
    while it < max_iter:
        if np.max(np.abs(step) / np.maximum(np.abs(beta), 1.0), initial=0.0) < STEP_TOL:
            converged = True
            break
        it += 1
        new = beta + step
        ll_new, u_new, h_new, s_new = evaluate(strata, new)
        halvings = 0
        while not _finite(ll_new, u_new, h_new) or ll_new < ll - 1e-12 * abs(ll):
            halvings += 1
            if halvings > 30:
                break
            step = step / 2
            new = beta + step
            ll_new, u_new, h_new, s_new = evaluate(strata, new)
        if halvings > 30:
            break
        flat = abs(ll_new - ll) <= LOGLIK_TOL * max(abs(ll_new), 1.0)
        beta, ll, u, h, sums = new, ll_new, u_new, h_new, s_new
        step = _solve(h, u)
        if flat:
            converged = True
            break
    var = _inverse(h)
    # coxph's check for infinite coefficients: the next Newton step is not small
    # relative to the coefficient although the log-likelihood has stopped changing.
    if converged:
        infinite = (np.abs(step) > STEP_TOL) & (np.abs(step) > np.sqrt(1e-9) * np.abs(beta))
    else:
        sd = np.sqrt(sum((st.x**2).sum(axis=0) for st in strata) / sum(len(st.x) for st in strata))
        infinite = diverging(beta, step, sd)
    return CoxFit(
        coef=beta,
        var=var,
        loglik=ll,
        loglik_null=ll0,
        iterations=it,
        converged=converged,
        infinite=infinite,
        info=h,
        sums=sums,
    )


def diverging(beta, step, sd) -> np.ndarray:
    """After a failed fit: coefficients still moving (next step > 0.01 per SD of the
    covariate) or already absurd (|β|·SD > 10, a hazard ratio per SD beyond e¹⁰)."""
    with np.errstate(invalid="ignore"):
        return (np.abs(step) * sd > 0.01) | (np.abs(beta) * sd > 10)


def _solve(h, u):
    try:
        return np.linalg.solve(h, u)
    except np.linalg.LinAlgError:
        return np.linalg.lstsq(h, u, rcond=None)[0]


def _inverse(h):
    try:
        return np.linalg.inv(h)
    except np.linalg.LinAlgError:
        return np.linalg.pinv(h)


def aliased_from_info(h: np.ndarray, tol: float = 1e-9) -> np.ndarray:
    """Columns with no information given the earlier ones (constant or collinear), as
    ``coxph``'s ``cholesky2`` decides with ``toler.chol`` (here on the information at
    β = 0): column j is aliased when its information left after the earlier kept
    columns is below ``tol`` of its own."""
    p = h.shape[0]
    drop = np.zeros(p, bool)
    keep: list[int] = []
    for j in range(p):
        hjj = h[j, j]
        if keep:
            b = h[keep, j]
            hjj = hjj - b @ _solve(h[np.ix_(keep, keep)], b)
        if not h[j, j] > 0 or not hjj > tol * h[j, j]:
            drop[j] = True
        else:
            keep.append(j)
    return drop


def score_residuals(strata: list[Stratum], beta, n: int, sums=None) -> np.ndarray:
    """Score residuals per patient (``resid(fit, "score")``, unweighted), Efron-aware as
    ``coxscore2.c``: a death at a tied time is in the risk set of the k-th Efron term
    only with weight 1 − k/d."""
    p = len(beta)
    res = np.zeros((n, p))
    sums = sums or [None] * len(strata)
    for st, s in zip(strata, sums, strict=True):
        if len(st.egrp) == 0:
            continue
        s = s or _sums(st, beta)
        ne, ngrp = len(st.egrp), len(st.first)
        g, f = st.k_grp, st.frac
        h = s.wt / s.den  # hazard increment of each Efron term
        hsum = np.bincount(g, weights=h, minlength=ne)
        hdead = np.bincount(g, weights=(1 - f) * h, minlength=ne)
        hx = np.column_stack(
            [np.bincount(g, weights=h * s.a[:, j], minlength=ne) for j in range(p)]
        )
        hxdead = np.column_stack(
            [np.bincount(g, weights=(1 - f) * h * s.a[:, j], minlength=ne) for j in range(p)]
        )
        xbar_dead = (
            np.column_stack([np.bincount(g, weights=s.a[:, j], minlength=ne) for j in range(p)])
            / st.d[:, None]
        )
        # cumulative over event groups up to and including each row's time
        cg, cgx = np.zeros(ngrp), np.zeros((ngrp, p))
        cg[st.egrp], cgx[st.egrp] = hsum, hx
        ch, chx = np.cumsum(cg)[st.gid], np.cumsum(cgx, axis=0)[st.gid]
        dead = st.dead
        e = st.dead_egrp
        # a death gets the down-weighted share of its own time, not the full one
        ch[dead] += hdead[e] - hsum[e]
        chx[dead] += hxdead[e] - hx[e]
        r = s.er[:, None]
        out = -r * (st.x * ch[:, None] - chx)
        out[dead] += st.x[dead] - xbar_dead[e]
        res[st.rows] = out
    return res


def baseline_hazard(strata: list[Stratum], beta, time, sums=None):
    """Hazard increments of the baseline at the centring point (the mean covariate row of
    :func:`make_strata`), one stratum: (event times, increments). With Efron ties this is
    ``survfit.coxph``'s Efron hazard (what ``basehaz`` and ``riskRegression::predictCox``
    use): Σ_k w̄/(S0 − (k/d)·D0) over the d tied deaths; with Breslow ties d·w̄/S0."""
    if len(strata) != 1:
        raise ValueError("baseline_hazard: one stratum only")
    st = strata[0]
    if len(st.egrp) == 0:
        return np.zeros(0), np.zeros(0)
    s = (sums or [None])[0] or _sums(st, beta)
    inc = np.bincount(st.k_grp, weights=s.wt / s.den, minlength=len(st.egrp)) * np.exp(-s.shift)
    return np.asarray(time)[st.rows][st.first[st.egrp]], inc


def robust_variance(strata, beta, var, w, cluster, n, sums=None) -> np.ndarray:
    """Sandwich variance V B V with B the cross-product of the weighted score residuals
    summed within clusters (``coxph(..., cluster=)``; one cluster per patient if none)."""
    d = score_residuals(strata, beta, n, sums) * w[:, None]
    if cluster is not None:
        d = np.column_stack([np.bincount(cluster, weights=d[:, j]) for j in range(d.shape[1])])
    b = d.T @ d
    return var @ b @ var
