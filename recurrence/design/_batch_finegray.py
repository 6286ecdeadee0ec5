"""The Fine-Gray model (``cmprsk::crr``) on a block of simulated trials at once.

As :mod:`recurrence.survival._reg_finegray` term by term, for closure (0/1) as the only
covariate and every trial of a block at once (one row each, sorted by time):

* the censoring Kaplan-Meier G(t−), a cumulative product per row;
* at each cause-1 failure time t the risk set is, per arm, the patients still at risk
  plus those with an earlier competing event weighted by G(t−)/G(tⱼ−): per arm a count
  ``N`` plus ``G(t−)·Q`` with Q the running sum of 1/G(tⱼ−) over competing events, times
  that arm's exp(βx), so a Newton step is a few operations on (trials × failure times);
* the sandwich variance (``crrvv``: score residuals η and the censoring correction ψ)
  once per trial at the estimate, on (trials × patients) arrays: every sum over
  failure or censoring times is a cumulative sum along the row read at each patient's
  tied-time group.

``tests/test_design_batch.py`` holds it equal to ``_trials._analyse("finegray", ...)``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from ..survival import _reg_cox, _reg_finegray
from ._batch_tests import _NAN4, Block, _newton, compress

__all__ = ["finegray"]


@dataclass
class _FGData:
    valid: np.ndarray  # (R, K) failure times
    a1: np.ndarray  # closure: at risk + G(t−)·Σ 1/G over earlier competing events
    a0: np.ndarray  # no closure: the same
    dm: np.ndarray  # failures at each failure time
    x1: np.ndarray  # (R, 1) centred covariate of closure: 1 − mean
    x0: np.ndarray  # (R, 1) of no closure: −mean
    dead_x: np.ndarray  # (R,) Σ x over failures (centred)


def _rows(d: _FGData, rows) -> _FGData:
    return replace(
        d,
        valid=d.valid[rows],
        a1=d.a1[rows],
        a0=d.a0[rows],
        dm=d.dm[rows],
        x1=d.x1[rows],
        x0=d.x0[rows],
        dead_x=d.dead_x[rows],
    )


def _sums(d: _FGData, beta):
    """exp(βx) per arm (shifted by the largest η, as ``_state``) and S0, S1, S2."""
    b = beta[:, None]
    eta1, eta0 = b * d.x1, b * d.x0
    shift = np.maximum(eta1, eta0)
    w1, w0 = d.a1 * np.exp(eta1 - shift), d.a0 * np.exp(eta0 - shift)
    s0 = w1 + w0
    s1 = w1 * d.x1 + w0 * d.x0
    s2 = w1 * d.x1**2 + w0 * d.x0**2
    return shift, s0, s1, s2


def _evaluate(d: _FGData, beta):
    shift, s0, s1, s2 = _sums(d, beta)
    safe = np.where(d.valid, s0, 1.0)
    xbar = s1 / safe
    ll = beta * d.dead_x - np.where(d.valid, d.dm * (np.log(safe) + shift), 0.0).sum(axis=1)
    u = d.dead_x - np.where(d.valid, d.dm * xbar, 0.0).sum(axis=1)
    h = np.where(d.valid, d.dm * (s2 / safe - xbar * xbar), 0.0).sum(axis=1)
    return ll, u, h


def _at_first(a: np.ndarray, first: np.ndarray) -> np.ndarray:
    return np.take_along_axis(a, first, 1)


def _rev_cumsum(a: np.ndarray) -> np.ndarray:
    """Σ from each position to the end of its row, with a 0 appended (past the end)."""
    out = np.zeros((a.shape[0], a.shape[1] + 1))
    np.cumsum(a[:, ::-1], axis=1, out=out[:, -2::-1])
    return out


def finegray(b: Block) -> np.ndarray:
    """(z, coef, se, ok) per trial, as ``_analyse("finegray", ...)``: the Wald test of
    ``fit_fine_gray`` with ``crr``'s sandwich variance."""
    R, n = b.time.shape
    c1, cens, c2 = b.event == 1, b.event == 0, b.event == 2
    arm = b.arm > 0
    # censoring Kaplan-Meier, left limit G(t−) of every row's time
    ncg = b.counts(cens)
    total, at1 = b.at_risk()
    factor = np.where(b.head, 1.0 - ncg / total, 1.0)
    gsurv = np.cumprod(factor, axis=1)
    g_left = np.ones((R, n))
    g_left[:, 1:] = gsurv[:, :-1]
    g = _at_first(g_left, b.first)
    # Σ 1/G(tⱼ−) over competing events strictly before each time, per arm
    inv_g = np.where(c2, 1.0 / g, 0.0)
    q1 = np.cumsum(np.where(arm, inv_g, 0.0), axis=1)
    q0 = np.cumsum(np.where(arm, 0.0, inv_g), axis=1)
    q1 = _at_first(q1 - np.where(arm, inv_g, 0.0), b.first)
    q0 = _at_first(q0 - np.where(arm, 0.0, inv_g), b.first)
    dm = b.counts(c1)
    fail = b.head & (dm > 0)
    gm = g  # at a head, G(t−) of its time
    risk1, risk0 = at1 + gm * q1, (total - at1) + gm * q0
    valid, (a1, a0, dmk) = compress(fail, risk1, risk0, dm)
    mean = b.n1 / n
    x1, x0 = (1.0 - mean)[:, None], (0.0 - mean)[:, None]
    d1 = (c1 & arm).sum(axis=1)
    data = _FGData(
        valid=valid,
        a1=a1,
        a0=a0,
        dm=dmk,
        x1=x1,
        x0=x0,
        dead_x=d1 * x1[:, 0] + (c1.sum(axis=1) - d1) * x0[:, 0],
    )
    with np.errstate(all="ignore"):
        ll, u, h = _evaluate(data, np.zeros(R))
        possible = c1.any(axis=1) & (h > 0)
        coef, h, step, converged = _newton(
            lambda beta, rows: _evaluate(_rows(data, rows), beta),
            np.zeros(R),
            ll,
            u,
            h,
            possible,
            step_tol=_reg_finegray.STEP_TOL,
            max_iter=_reg_finegray.MAX_ITER,
            armijo=1e-4,
            h_in_search=False,
        )
        sd = np.sqrt((b.n1 * x1[:, 0] ** 2 + (n - b.n1) * x0[:, 0] ** 2) / n)
        infinite = np.where(
            converged,
            (np.abs(step) > 1e-9) & (np.abs(step) > np.sqrt(1e-9) * np.abs(coef)),
            _reg_cox.diverging(coef, step, sd),
        )
        influence = _influence(b, data, coef, g, (q1, q0), (risk1, risk0), dm, ncg, total)
        se = np.sqrt((influence**2).sum(axis=1)) / h
        ok = possible & converged & ~infinite & np.isfinite(se) & (se > 0)
        out = np.column_stack([np.where(ok, coef / se, np.nan), coef, se, ok])
    out[~possible] = _NAN4
    return out


def _influence(b: Block, d: _FGData, beta, g, q, risk, dm, ncg, total) -> np.ndarray:
    """ηᵢ + ψᵢ of ``crrvv`` per patient (``_reg_finegray.influence``), (R, n). Per row:
    G(t−) ``g``, the competing-event sums ``q`` and risk-set counts ``risk`` per arm
    (closure, no closure), failures ``dm``, censorings ``ncg`` and at risk ``total``
    of its tied time."""
    arm = b.arm > 0
    c1, cens, c2 = b.event == 1, b.event == 0, b.event == 2
    bb = beta[:, None]
    eta1, eta0 = bb * d.x1, bb * d.x0
    shift = np.maximum(eta1, eta0)
    r1, r0 = np.exp(eta1 - shift), np.exp(eta0 - shift)
    r = np.where(arm, r1, r0)
    x = np.where(arm, d.x1, d.x0)
    q1, q0 = q
    risk1, risk0 = risk
    fail = b.head & (dm > 0)
    # per failure time (at its head row): a = dm/S0 and a·x̄
    s0 = r1 * risk1 + r0 * risk0
    s1 = r1 * risk1 * d.x1 + r0 * risk0 * d.x0
    safe = np.where(fail, s0, 1.0)
    a = np.where(fail, dm / safe, 0.0)
    xbar = np.where(fail, s1 / safe, 0.0)
    ax = a * xbar
    ca, cax = np.cumsum(a, axis=1), np.cumsum(ax, axis=1)
    ba, bax = _rev_cumsum(g * a), _rev_cumsum(g * ax)  # Σ over failure times ≥ here
    after = b.last + 1  # first position of the next time
    wa = _at_first(ca, b.first) + np.where(c2, _at_first(ba, after) / g, 0.0)
    wax = _at_first(cax, b.first) + np.where(c2, _at_first(bax, after) / g, 0.0)
    eta = -r * (x * wa - wax) + np.where(c1, x - _at_first(xbar, b.first), 0.0)
    # censoring correction at each censoring time u (its head row)
    chead = b.head & (ncg > 0)
    fwd0 = r1 * q1 + r0 * q0
    fwd1 = r1 * d.x1 * q1 + r0 * d.x0 * q0
    qu = np.where(chead, fwd1 * _at_first(ba, b.first) - fwd0 * _at_first(bax, b.first), 0.0)
    safe_y = np.where(chead, total, 1.0)
    cum = np.cumsum(np.where(chead, qu * ncg / safe_y**2, 0.0), axis=1)
    psi = -_at_first(cum, b.first) + np.where(cens, _at_first(qu / safe_y, b.first), 0.0)
    return eta + psi
