"""The Fine-Gray model (``cmprsk::crr``) on a block of simulated trials at once.

As :mod:`recurrence.survival._core.finegray` term by term, for closure (0/1) as the only
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

from dataclasses import dataclass

import numpy as np

from ..survival._core import cox as cox_core
from ..survival._core import finegray as fg_core
from ._batch_tests import _NAN4, Block, _all_rows, _newton, compress, rowsum

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
    ll = beta * d.dead_x - rowsum(np.where(d.valid, d.dm * (np.log(safe) + shift), 0.0))
    u = d.dead_x - rowsum(np.where(d.valid, d.dm * xbar, 0.0))
    h = rowsum(np.where(d.valid, d.dm * (s2 / safe - xbar * xbar), 0.0))
    return ll, u, h


def _shift_right(x: np.ndarray, first: float) -> np.ndarray:
    out = np.empty_like(x)
    out[:, 0] = first
    out[:, 1:] = x[:, :-1]
    return out


def _later(x: np.ndarray) -> np.ndarray:
    """Σ over the later groups of each row (strictly after)."""
    out = np.zeros_like(x)
    out[:, :-1] = np.cumsum(x[:, :0:-1], axis=1)[:, ::-1]
    return out


def finegray(b: Block) -> np.ndarray:
    """(z, coef, se, ok) per trial, as ``_analyse("finegray", ...)``: the Wald test of
    ``fit_fine_gray`` with ``crr``'s sandwich variance."""
    R, n = b.R, b.n
    c = b.counts
    total, at1, cens, dm = b.pad(b.at_risk, b.at_risk1, c[0, 0] + c[1, 0], c[0, 1] + c[1, 1])
    comp1, comp0 = b.pad(c[1, 2], c[0, 2])
    # censoring Kaplan-Meier: G(t−) at each time
    safe_total = np.where(total > 0, total, 1.0)
    g = _shift_right(np.cumprod(1.0 - cens / safe_total, axis=1), 1.0)
    # Σ 1/G(tⱼ−) over competing events strictly before each time, per arm
    with np.errstate(divide="ignore", invalid="ignore"):  # G = 0: no one left at risk
        q1 = _shift_right(np.cumsum(np.where(comp1 > 0, comp1 / g, 0.0), axis=1), 0.0)
        q0 = _shift_right(np.cumsum(np.where(comp0 > 0, comp0 / g, 0.0), axis=1), 0.0)
    risk1, risk0 = at1 + g * q1, (total - at1) + g * q0
    flat = b.dest
    valid, (a1, a0, dmk) = compress(
        b.row, R, c[0, 1] + c[1, 1] > 0, *(a.reshape(-1)[flat] for a in (risk1, risk0, dm))
    )
    mean = b.n1 / n
    x1, x0 = (1.0 - mean)[:, None], (0.0 - mean)[:, None]
    d1, d0 = b.per_trial(c[1, 1]), b.per_trial(c[0, 1])
    data = _FGData(
        valid=valid, a1=a1, a0=a0, dm=dmk, x1=x1, x0=x0, dead_x=d1 * x1[:, 0] + d0 * x0[:, 0]
    )
    with np.errstate(all="ignore"):
        ll, u, h = _evaluate(data, np.zeros(R))
        possible = (d1 + d0 > 0) & (h > 0)
        coef, h, step, converged = _newton(
            _all_rows(_evaluate, data),
            np.zeros(R),
            ll,
            u,
            h,
            possible,
            step_tol=fg_core.STEP_TOL,
            max_iter=fg_core.MAX_ITER,
            armijo=1e-4,
            h_in_search=False,
        )
        sd = np.sqrt((b.n1 * x1[:, 0] ** 2 + (n - b.n1) * x0[:, 0] ** 2) / n)
        infinite = np.where(
            converged,
            (np.abs(step) > 1e-9) & (np.abs(step) > np.sqrt(1e-9) * np.abs(coef)),
            cox_core.diverging(coef, step, sd),
        )
        groups = {
            "total": safe_total,
            "g": g,
            "q": (q1, q0),
            "risk": (risk1, risk0),
            "dm": dm,
            "cens": cens,
            "patients": _patients(b),
        }
        se = np.sqrt(_meat(data, coef, groups)) / h
        ok = possible & converged & ~infinite & np.isfinite(se) & (se > 0)
        out = np.column_stack([np.where(ok, coef / se, np.nan), coef, se, ok])
    out[~possible] = _NAN4
    return out


def _meat(d: _FGData, beta, gr: dict) -> np.ndarray:
    """Σᵢ (ηᵢ + ψᵢ)² of ``crrvv`` per trial (``fg_core.influence``). A patient's
    residual depends only on its time, arm and status, so the sum runs over the
    (trials × times) groups with the count of each arm and status."""
    bb = beta[:, None]
    eta1, eta0 = bb * d.x1, bb * d.x0
    shift = np.maximum(eta1, eta0)
    r1, r0 = np.exp(eta1 - shift), np.exp(eta0 - shift)
    g, total, cens, dm = gr["g"], gr["total"], gr["cens"], gr["dm"]
    q1, q0 = gr["q"]
    risk1, risk0 = gr["risk"]
    fail = dm > 0
    s0 = r1 * risk1 + r0 * risk0
    s1 = r1 * risk1 * d.x1 + r0 * risk0 * d.x0
    safe = np.where(fail, s0, 1.0)
    a = np.where(fail, dm / safe, 0.0)  # per failure time: dm/S0 and that times x̄
    xbar = np.where(fail, s1 / safe, 0.0)
    ax = a * xbar
    ca, cax = np.cumsum(a, axis=1), np.cumsum(ax, axis=1)  # failure times ≤ t
    later_a, later_ax = _later(g * a), _later(g * ax)  # failure times > t, times G(t_m−)
    # censoring correction: q(u) at each censoring time u, summed over censoring times ≤ t
    chead = cens > 0
    fwd0 = r1 * q1 + r0 * q0
    fwd1 = r1 * d.x1 * q1 + r0 * d.x0 * q0
    qu = np.where(chead, fwd1 * (later_a + g * a) - fwd0 * (later_ax + g * ax), 0.0)
    psi = -np.cumsum(qu * cens / total**2, axis=1)
    own = qu / total  # a censored patient's own term
    # the residual of each (time, arm, status) with patients, weighted by their count
    at, arm, status, row, count = gr["patients"]

    def at_(a):
        return a.reshape(-1)[at]

    r = np.where(arm, r1[row, 0], r0[row, 0])
    x = np.where(arm, d.x1[row, 0], d.x0[row, 0])
    wa, wax = at_(ca), at_(cax)
    comp = status == 2  # after a competing event: weighted by G(t_m−)/G(t−)
    gg = at_(g)
    wa = np.where(comp, wa + at_(later_a) / gg, wa)
    wax = np.where(comp, wax + at_(later_ax) / gg, wax)
    res = -r * (x * wa - wax) + at_(psi)
    res += np.where(status == 1, x - at_(xbar), 0.0)
    res += np.where(status == 0, at_(own), 0.0)
    return np.bincount(row, weights=count * res * res, minlength=len(beta))


def _patients(b: Block):
    """The (time, arm, status) combinations with patients: flat (R·K) position of the
    time, arm, status, trial and number of patients."""
    parts = []
    for arm in (0, 1):
        for status in (0, 1, 2):
            k = b.counts[arm, status]
            idx = np.flatnonzero(k)
            parts.append((idx, np.full(len(idx), arm), np.full(len(idx), status), k[idx]))
    rows, arms, statuses, count = (np.concatenate(p) for p in zip(*parts, strict=True))
    return b.dest[rows], arms.astype(bool), statuses, b.row[rows], count
