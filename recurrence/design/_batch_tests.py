"""Log-rank, Gray's test and the Cox model on a block of simulated trials at once.

Each row of the (replicates × patients) arrays is one trial. One sort per row, then
every analysis of :func:`recurrence.design._trials._analyse` is written with closure,
the only covariate, being 0/1: the risk-set sums of the Cox model are at-risk counts
per arm times the two values of exp(βx), so a Newton step over a thousand trials is a
few operations on (trials × event times) arrays. The formulas are those of the
per-trial cores, term by term, and so are the rules (convergence, step halving,
infinite coefficients, the "not possible" cases):

* log-rank: ``survival._core.nonparametric.logrank_sums`` (``survdiff``);
* Gray: ``survival._core.gray.gray_score`` (cmprsk's ``crstm``), two groups, ρ = 0;
* Cox: ``survival._core.cox`` (Efron ties, ``coxph``'s ``timefix``, Wald test).

Per-time quantities sit in padded (trials × K) arrays, each row's times first and the
padding neutral (no one at risk, no event), with a mask where it matters.
``tests/test_design_batch.py`` holds every statistic equal to the per-trial path.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..survival._core import cox as cox_core

__all__ = ["Block", "cox", "gray", "logrank", "make_block"]

_NAN4 = (np.nan, np.nan, np.nan, 0.0)


@dataclass
class Block:
    """Trials as their distinct times ("groups"), each row's groups in time order.

    Group arrays are ragged (all groups of all trials, trial by trial) or padded
    (trials × K, K the most groups of any trial, padding with no one at risk)."""

    R: int  # trials
    n: int  # patients per trial
    row: np.ndarray  # (G,) trial of each group
    time: np.ndarray  # (G,) the time of each group (whole days if discrete)
    discrete: bool  # times are whole days: none is within √ε of another
    #: (2, 4, G) patients: [no closure, closure] × [censored, reherniation, other, –]
    counts: np.ndarray
    at_risk: np.ndarray  # (G,) patients with time ≥ the group's time
    at_risk1: np.ndarray  # (G,) of them with closure
    dest: np.ndarray  # (G,) flat position of each group in the padded (R, K) arrays
    width: int  # K
    n1: np.ndarray  # (R,) patients with closure

    def pad(self, *arrays, fill=0.0) -> list[np.ndarray]:
        """Ragged group arrays as padded (R, K) float arrays."""
        out = []
        for a in arrays:
            o = np.full((self.R, self.width), fill)
            o.reshape(-1)[self.dest] = a
            out.append(o)
        return out

    @property
    def valid(self) -> np.ndarray:
        v = np.zeros((self.R, self.width), bool)
        v.reshape(-1)[self.dest] = True
        return v

    def per_trial(self, values: np.ndarray) -> np.ndarray:
        """Sum of ragged group ``values`` within each trial."""
        return np.bincount(self.row, weights=values, minlength=self.R)


def rowsum(a: np.ndarray) -> np.ndarray:
    """Σ along the last axis, element after element: the same bits however wide the
    padding. (NumPy's pairwise ``sum`` regroups the terms with the row length, so a
    trial's numbers would depend on the other trials of its block.)"""
    return np.cumsum(a, axis=-1)[..., -1]


def make_block(time, event, closure, days=None) -> Block:
    """Group each trial (a row) by its distinct times. ``days``: the times in whole
    days, sorted with arm and status as one packed integer key (no gather needed)."""
    R, n = time.shape
    low = (closure.astype(np.int64) << 2) | event  # arm·4 + status
    if days is not None:
        # int32 keys sort twice as fast; whole days up to 2**27 (367,000 years) fit
        kind = np.int32 if days.max(initial=0) < 2**27 else np.int64
        key = np.sort((days.astype(kind) << 3) | low.astype(kind), axis=1)
        t, low = key >> 3, key & 7
    else:
        order = np.argsort(time, axis=1)
        t, low = np.take_along_axis(time, order, 1), np.take_along_axis(low, order, 1)
    head = np.empty((R, n), bool)
    head[:, 0] = True
    np.not_equal(t[:, 1:], t[:, :-1], out=head[:, 1:])
    head = head.ravel()
    hflat = np.flatnonzero(head)
    G = len(hflat)
    gid = np.cumsum(head) - 1
    counts = np.bincount(low.ravel() * G + gid, minlength=8 * G).reshape(2, 4, G)
    row = hflat // n
    per_row = np.bincount(row, minlength=R)
    row_start = np.cumsum(per_row) - per_row
    width = int(per_row.max())
    arm = low.ravel() >> 2
    before = np.cumsum(arm) - arm  # closure patients earlier in the block
    n1 = closure.sum(axis=1)
    at1 = n1[row] - (before[hflat] - before[row * n])
    return Block(
        R=R,
        n=n,
        row=row,
        time=t.ravel()[hflat],
        discrete=days is not None,
        counts=counts,
        at_risk=(n - (hflat - row * n)).astype(float),
        at_risk1=at1.astype(float),
        dest=row * width + (np.arange(G) - row_start[row]),
        width=width,
        n1=n1.astype(float),
    )


def compress(row: np.ndarray, R: int, mask: np.ndarray, *arrays, fill=0.0):
    """The groups where ``mask`` (ragged, groups of trials ``row``) is true,
    left-justified in padded (R, K') arrays; also the (R, K') validity mask."""
    sel = np.flatnonzero(mask)
    row = row[sel]
    per_row = np.bincount(row, minlength=R)
    width = max(int(per_row.max(initial=0)), 1)
    start = np.cumsum(per_row) - per_row
    dest = row * width + (np.arange(len(sel)) - start[row])
    valid = np.zeros((R, width), bool)
    valid.reshape(-1)[dest] = True
    out = []
    for a in arrays:
        o = np.full((R, width), fill)
        o.reshape(-1)[dest] = a[sel]
        out.append(o)
    return valid, out


# ---------------------------------------------------------------------------------------
# log-rank
# ---------------------------------------------------------------------------------------


def logrank(b: Block) -> np.ndarray:
    """(z, coef, se, ok) per trial, as ``_analyse("logrank", ...)``: z and Peto's
    (O − E)/V, SE 1/√V for closure; NaN when there is no reherniation or V = 0."""
    d1 = b.counts[1, 1]
    d = b.counts[0, 1] + d1
    total = b.at_risk
    with np.errstate(divide="ignore", invalid="ignore"):
        p1 = b.at_risk1 / total
        w = np.where(total > 1, d * (total - d) / (total - 1), 0.0)
        expected = b.per_trial(d * p1)
        var = b.per_trial(w * p1 * (1 - p1))
        observed = b.per_trial(d1)
        good = (b.per_trial(d) > 0) & (var > 0)
        oe = observed - expected
        out = np.column_stack([oe / np.sqrt(var), oe / var, 1 / np.sqrt(var), good])
    out[~good] = _NAN4
    return out


# ---------------------------------------------------------------------------------------
# Gray's test
# ---------------------------------------------------------------------------------------


def _shift(x: np.ndarray, first: float) -> np.ndarray:
    out = np.empty_like(x)
    out[:, 0] = first
    out[:, 1:] = x[:, :-1]
    return out


def gray(b: Block) -> np.ndarray:
    """(z, NaN, NaN, ok) per trial, as ``_analyse("gray", ...)`` (``gray_score`` with
    the control arm as group 0 and closure as group 1, ρ = 0: z = −s/√v)."""
    c = b.counts
    n1 = b.at_risk1
    valid, (n0, n1, a0, a1, c0, c1) = compress(
        b.row,
        b.R,
        c[0, 1] + c[1, 1] + c[0, 2] + c[1, 2] > 0,
        b.at_risk - n1,
        n1,
        c[0, 1],
        c[1, 1],
        c[0, 2],
        c[1, 2],
    )
    n = np.stack([n0, n1])  # (group, R, K)
    d1 = np.stack([a0, a1])
    d2 = np.stack([c0, c1])
    with np.errstate(divide="ignore", invalid="ignore"):
        s, v = _gray_score(n, d1, d2, valid)
        good = (rowsum(d1[0] + d1[1]) > 0) & np.isfinite(v) & (v > 0)
        z = -s / np.sqrt(v)
    out = np.column_stack([z, np.full_like(z, np.nan), np.full_like(z, np.nan), good])
    out[~good] = _NAN4
    return out


def _gray_score(n, d1, d2, valid):
    """``gray_score`` for two groups on padded (group, R, K) arrays: score and variance
    of group 0 per trial."""
    at = (n > 0) & valid
    safe_n = np.where(at, n, 1.0)
    skm = np.cumprod(np.where(at, (n - d1 - d2) / safe_n, 1.0), axis=2)
    skmm = np.stack([_shift(skm[0], 1.0), _shift(skm[1], 1.0)])
    f1 = np.cumsum(np.where(at, skmm * d1 / safe_n, 0.0), axis=2)
    f1m = np.stack([_shift(f1[0], 0.0), _shift(f1[1], 0.0)])
    t1 = np.where(at, n / skmm, 0.0)
    tr = t1.sum(axis=0)
    tq = np.where(at, n * (1 - f1m) / skmm, 0.0).sum(axis=0)
    nd1 = d1.sum(axis=0)
    f = np.cumsum(np.where(valid, nd1 / tr, 0.0), axis=1)
    fm = _shift(f, 0.0)
    # a(0, k) = t1_0·(δ_0k − t1_k/tr), fb = 1 (ρ = 0)
    a = np.stack([t1[0] * (1 - t1[0] / tr), -t1[0] * t1[1] / tr])
    a = np.where(valid, a, 0.0)
    cc = np.cumsum(a * np.where(valid, nd1 / (tr * (1 - fm)), 0.0), axis=2)
    score = np.where(at[0], d1[0] - nd1 * n[0] * (1 - f1m[0]) / (skmm[0] * tq), 0.0)
    s = rowsum(score)

    pos = skm > 0
    t4 = np.where(pos, 1 - (1 - f) / np.where(pos, skm, 1.0), 1.0)
    t5 = np.where(nd1 > 1, 1 - (nd1 - 1) / (tr * skmm - 1), 1.0)
    t3 = np.where(at & (nd1 > 0), t5 * skmm * nd1 / (tr * safe_n), 0.0)
    v3 = rowsum(t4 * t4 * t3)
    m = np.where(t3 != 0, a - t4 * cc, 0.0)
    v2 = rowsum(m * t4 * t3)
    v = rowsum(m[0] * m[0] * t3[0]) + rowsum(m[1] * m[1] * t3[1])

    ok = pos & (d2 > 0) & valid
    t4 = np.where(ok, (1 - f) / np.where(pos, skm, 1.0), 0.0)
    t5 = np.where(d2 > 1, 1 - (d2 - 1) / (n - 1), 1.0)
    t3 = np.where(ok, t5 * skmm * skmm * d2 / (safe_n * safe_n), 0.0)
    v3 = v3 + rowsum(t4 * t4 * t3)
    m = t4 * cc
    v2 = v2 - rowsum(m * t4 * t3)
    v = v + rowsum(m[0] * m[0] * t3[0]) + rowsum(m[1] * m[1] * t3[1])

    last = cc[:, :, -1]
    v = v + (last * last * v3).sum(axis=0) + 2 * (last * v2).sum(axis=0)
    return s, v


# ---------------------------------------------------------------------------------------
# Cox
# ---------------------------------------------------------------------------------------


def _timefix_starts(b: Block) -> np.ndarray | None:
    """Groups that start a time after ``cox.timefix`` (times within √ε, absolutely or
    relative to the mean distinct time, are one time), or None if none merge."""
    if b.discrete:
        return None
    t = b.time
    first = np.ones(len(t), bool)
    first[1:] = b.row[1:] != b.row[:-1]
    dy = np.empty(len(t))
    dy[0] = np.inf
    dy[1:] = t[1:] - t[:-1]
    dy[first] = np.inf
    tol = np.sqrt(np.finfo(float).eps)
    per_row = np.bincount(b.row, minlength=b.R)
    mean_abs = b.per_trial(np.abs(t)) / per_row
    tied = (dy <= tol) | (dy / mean_abs[b.row] <= tol)
    return ~tied if tied.any() else None


@dataclass
class _CoxData:
    valid: np.ndarray  # (R, K) event times
    n1: np.ndarray  # at risk with closure
    n0: np.ndarray  # at risk without
    d1: np.ndarray  # deaths with closure
    d0: np.ndarray  # deaths without
    x1: np.ndarray  # (R, 1) centred covariate of closure: 1 − mean
    x0: np.ndarray  # (R, 1) of no closure: −mean
    deaths: np.ndarray  # (R,) Efron terms per trial (one per death)
    wx_dead: np.ndarray  # (R,) Σ x over deaths (centred)
    # Efron terms k ≥ 1 of tied deaths (a fraction f = k/d of the deaths' risk removed):
    tie_m1: np.ndarray  # closure at risk less f·deaths with closure
    tie_m0: np.ndarray  # ... without closure
    tie_row: np.ndarray  # ... their trial


def cox_data(b: Block) -> _CoxData:
    """The event times of each trial (after ``timefix``): at risk and deaths per arm."""
    d1, d0 = b.counts[1, 1], b.counts[0, 1]
    at1, at0 = b.at_risk1, b.at_risk - b.at_risk1
    starts = _timefix_starts(b)
    row = b.row
    if starts is not None:  # merge the groups timefix ties: sums, and the first at risk
        idx = np.flatnonzero(starts)
        d1, d0 = np.add.reduceat(d1, idx), np.add.reduceat(d0, idx)
        at1, at0, row = at1[idx], at0[idx], row[idx]
    valid, (n1, n0, dd1, dd0) = compress(row, b.R, d1 + d0 > 0, at1, at0, d1, d0)
    mean = b.n1 / b.n
    x1, x0 = (1.0 - mean)[:, None], (0.0 - mean)[:, None]
    d = (dd1 + dd0).reshape(-1)
    tied = np.flatnonzero(d > 1)
    reps = (d[tied] - 1).astype(np.int64)
    tie_at = np.repeat(tied, reps)
    k = np.arange(len(tie_at)) - np.repeat(np.cumsum(reps) - reps, reps) + 1
    f = k / d[tie_at]
    return _CoxData(
        valid=valid,
        n1=n1,
        n0=n0,
        d1=dd1,
        d0=dd0,
        x1=x1,
        x0=x0,
        deaths=rowsum(dd1 + dd0),
        wx_dead=rowsum(dd1 * x1 + dd0 * x0),
        tie_m1=n1.reshape(-1)[tie_at] - f * dd1.reshape(-1)[tie_at],
        tie_m0=n0.reshape(-1)[tie_at] - f * dd0.reshape(-1)[tie_at],
        tie_row=tie_at // valid.shape[1],
    )


def _cox_evaluate(cd: _CoxData, beta: np.ndarray):
    """Log partial likelihood, score and information (Efron) at ``beta`` per trial:
    the first Efron term of every event time on the (R, K) arrays, the further terms
    of tied deaths (k = 1 … d − 1) on their own short list.

    Closure is 0/1, so with ``p`` the closure share of a term's risk-set weight, the
    weighted mean of the centred covariate is ``x0 + p`` and its variance ``p(1 − p)``
    (``coxph``'s S1/S0 and S2/S0 − (S1/S0)², without their cancellation)."""
    R = len(beta)
    b = beta[:, None]
    eta1, eta0 = b * cd.x1, b * cd.x0
    shift = np.maximum(eta1, eta0)
    r1, r0 = np.exp(eta1 - shift), np.exp(eta0 - shift)
    w1 = cd.n1 * r1
    s0 = np.where(cd.valid, w1 + cd.n0 * r0, 1.0)  # padding: den 1, numerators 0
    p = w1 / s0
    ll = beta * cd.wx_dead - rowsum(np.log(s0)) - cd.deaths * shift[:, 0]
    mean = rowsum(p)
    h = rowsum(p - p * p)
    if len(cd.tie_row):
        row = cd.tie_row
        k1 = cd.tie_m1 * r1[row, 0]
        den = k1 + cd.tie_m0 * r0[row, 0]
        pk = k1 / den
        ll = ll - np.bincount(row, weights=np.log(den), minlength=R)
        mean = mean + np.bincount(row, weights=pk, minlength=R)
        h = h + np.bincount(row, weights=pk - pk * pk, minlength=R)
    # one Efron term per death, each with mean x0 + p
    u = cd.wx_dead - cd.deaths * cd.x0[:, 0] - mean
    return ll, u, h


def cox(b: Block) -> np.ndarray:
    """(z, coef, se, ok) per trial, as ``_analyse("cox", ...)``: the Wald test of
    ``fit_cox`` (Newton-Raphson with step halving, ``coxph``'s rules)."""
    cd = cox_data(b)
    R = b.R
    with np.errstate(all="ignore"):
        beta = np.zeros(R)
        ll, u, h = _cox_evaluate(cd, beta)
        possible = (cd.deaths > 0) & (h > 0)
        coef, h, step, converged = _newton(_all_rows(_cox_evaluate, cd), beta, ll, u, h, possible)
        sd = np.sqrt((b.n1 * cd.x1[:, 0] ** 2 + (b.n - b.n1) * cd.x0[:, 0] ** 2) / b.n)
        infinite = np.where(
            converged,
            (np.abs(step) > cox_core.STEP_TOL) & (np.abs(step) > np.sqrt(1e-9) * np.abs(coef)),
            cox_core.diverging(coef, step, sd),
        )
        se = np.sqrt(1.0 / h)
        ok = possible & converged & ~infinite & np.isfinite(se) & (se > 0)
        out = np.column_stack([np.where(ok, coef / se, np.nan), coef, se, ok])
    out[~possible] = _NAN4
    return out


def _all_rows(evaluate, data):
    """``evaluate(data, beta)`` of every trial as the ``evaluate(beta, rows)`` of
    :func:`_newton`: trials not in ``rows`` are evaluated at 0 and dropped."""

    def of_rows(beta_rows, rows):
        full = np.zeros(data.valid.shape[0])
        full[rows] = beta_rows
        return tuple(v[rows] for v in evaluate(data, full))

    return of_rows


def _newton(
    evaluate,
    beta,
    ll,
    u,
    h,
    active,
    *,
    step_tol=cox_core.STEP_TOL,
    max_iter=cox_core.MAX_ITER,
    armijo=0.0,
    h_in_search=True,
):
    """The Newton loop of ``fit_cox`` (defaults) or ``fit_fine_gray`` for a single
    coefficient, on many trials at once: each trial stops by its own rule.

    ``evaluate(beta, rows)`` gives (loglik, score, information) of the trials ``rows``.
    A step is halved (at most 30 times) while the log-likelihood is not finite or falls
    below ``ll + armijo·step·u − 1e-12·|ll|``; ``h_in_search``: a non-finite information
    also halves (Cox), else it ends the fit unconverged (Fine-Gray). Returns the
    coefficient, information, next step and convergence flag of every trial.
    """
    beta = beta.copy()
    step = u / h
    converged = np.zeros(len(beta), bool)
    running = active.copy()
    for _ in range(max_iter):
        small = running & (np.abs(step) / np.maximum(np.abs(beta), 1.0) < step_tol)
        converged |= small
        running &= ~small
        rows = np.flatnonzero(running)
        if not len(rows):
            break
        st = step[rows]
        u_old, ll_old = u[rows], ll[rows]
        new = beta[rows] + st
        ll_new, u_new, h_new = evaluate(new, rows)
        halvings = np.zeros(len(rows), np.int64)
        for _ in range(31):
            finite = np.isfinite(ll_new) & np.isfinite(u_new)
            if h_in_search:
                finite &= np.isfinite(h_new)
            bad = ~finite | (ll_new < ll_old + armijo * (st * u_old) - 1e-12 * np.abs(ll_old))
            bad &= halvings <= 30
            if not bad.any():
                break
            halvings[bad] += 1
            again = bad & (halvings <= 30)
            if not again.any():
                break
            st[again] = st[again] / 2
            sub = np.flatnonzero(again)
            new[sub] = beta[rows[sub]] + st[sub]
            l2, u2, h2 = evaluate(new[sub], rows[sub])
            ll_new[sub], u_new[sub], h_new[sub] = l2, u2, h2
        failed = (halvings > 30) | ~np.isfinite(h_new)
        running[rows[failed]] = False
        step[rows[failed]] = st[failed]  # the fit stops with the halved step
        keep = ~failed
        rk = rows[keep]
        flat = np.abs(ll_new[keep] - ll_old[keep]) <= cox_core.LOGLIK_TOL * np.maximum(
            np.abs(ll_new[keep]), 1.0
        )
        beta[rk], ll[rk], u[rk], h[rk] = new[keep], ll_new[keep], u_new[keep], h_new[keep]
        step[rk] = u[rk] / h[rk]
        converged[rk[flat]] = True
        running[rk[flat]] = False
    return beta, h, step, converged
