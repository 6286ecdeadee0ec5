"""Pure array functions of Turnbull's nonparametric maximum-likelihood estimator (NPMLE)
for interval-censored data.

Support points. The NPMLE puts its mass on Turnbull's innermost intervals: a left end
(of an interval, or a censoring time) followed by a right end with no other end in
between. Inside such an interval the likelihood cannot tell where the mass sits (the
curve is not identified there). To report a step function as R does, the mass of each
interval is put at its midpoint, as ``survival:::survfitTurnbull`` (survival 3.5) does:
the ends are sorted by time, at equal times exact events first, then right ends, then
left ends (intervals are (left, right]); every left end or exact event followed by a
right end gives a support point at the midpoint of the two, every exact event a point
at its time. One more point at +inf holds the mass beyond the last one (right-censored
patients may have it; the curve then stays above 0, as Kaplan-Meier's does).

Each patient's possible event times are then a contiguous run of support points:
(c, inf] for a patient censored at c, {t} for an event on day t, (l, r] for an
interval; so one EM step is two cumulative sums, O(patients + points).

Estimation. The self-consistency (EM) iteration of Turnbull (1976),
p_j ← p_j · (1/N) Σ_i w_i 1{j ∈ I_i} / P(I_i), accelerated by SQUAREM (Varadhan and
Roland 2008, scheme S3, with a monotonicity safeguard), until the survival curve moves
less than ``tol`` and the Kuhn-Tucker conditions hold (no support point could take mass
and raise the likelihood). R iterates the same fixed point (with Aitken steps) but stops
when the curve moves less than 5e-5 in an iteration, so its printed curve can be a few
1e-5 from the maximum (and keeps traces of mass on points the maximum leaves empty).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["NPMLE", "npmle", "support_points", "survival_at"]

RIGHT, EXACT, INTERVAL = 0, 1, 3
#: Convergence: largest change of the survival curve between two EM steps.
TOL = 1e-12
MAX_ITER = 100_000
#: Kuhn-Tucker: no point's gradient/N may exceed 1 by more than this at the maximum.
KKT_TOL = 1e-8


@dataclass(frozen=True)
class NPMLE:
    """Masses at the support points (``time``, the last one +inf) and the Turnbull
    interval (``lower``, ``upper``] each stands for (``lower == upper`` for an event
    on a known day)."""

    time: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    mass: np.ndarray
    loglik: float
    iterations: int
    converged: bool
    kkt: float  # max_j (gradient_j / N) − 1 over all points: ≤ 0 at the maximum

    @property
    def survival(self) -> np.ndarray:
        """S just after each finite support point."""
        return np.clip(1.0 - np.cumsum(self.mass[:-1]), 0.0, 1.0)


def support_points(left, right, kind) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The support points of R's ``survfitTurnbull`` and the interval each stands for.

    Returns (time, lower, upper), sorted by time, without the point at +inf.

    Examples
    --------
    >>> # (0, 4], (2, 6], an event at 5, censored at 7
    >>> t, lo, up = support_points(np.array([0., 2, 5, 7]), np.array([4., 6, 5, np.inf]),
    ...                            np.array([3, 3, 1, 0]))
    >>> t.tolist(), lo.tolist(), up.tolist()
    ([3.0, 5.0, 5.5], [2.0, 5.0, 5.0], [4.0, 5.0, 6.0])
    """
    left, right, kind = np.asarray(left, float), np.asarray(right, float), np.asarray(kind)
    inter = kind == INTERVAL
    time2 = np.concatenate([left[kind == RIGHT], left[kind == EXACT], left[inter], right[inter]])
    stat2 = np.concatenate(
        [
            np.full((kind == RIGHT).sum(), 2),
            np.zeros((kind == EXACT).sum(), dtype=int),
            np.full(inter.sum(), 2),
            np.ones(inter.sum(), dtype=int),
        ]
    )
    order = np.lexsort((stat2, time2))
    time2, stat2 = time2[order], stat2[order]
    pairs = (stat2[:-1] != 1) & (stat2[1:] == 1)
    exact = time2[stat2 == 0]
    lo = np.concatenate([exact, time2[:-1][pairs]])
    up = np.concatenate([exact, time2[1:][pairs]])
    mid = np.concatenate([exact, 0.5 * (time2[:-1] + time2[1:])[pairs]])
    if mid.size == 0:
        return mid, lo, up
    times, inverse = np.unique(mid, return_inverse=True)
    lower = np.full(len(times), np.inf)
    upper = np.full(len(times), -np.inf)
    np.minimum.at(lower, inverse, lo)
    np.maximum.at(upper, inverse, up)
    return times, lower, upper


def _ranges(time, left, right, kind) -> tuple[np.ndarray, np.ndarray]:
    """Per patient, the run [lo, hi) of support points (index len(time) is +inf)."""
    m = len(time)
    lo = np.where(
        kind == RIGHT,
        np.searchsorted(time, left, side="right"),
        np.where(
            kind == EXACT,
            np.searchsorted(time, left, side="left"),
            np.searchsorted(time, left, side="right"),
        ),
    )
    hi = np.where(
        kind == RIGHT,
        m + 1,
        np.where(kind == EXACT, lo + 1, np.searchsorted(time, right, side="right")),
    )
    return lo.astype(np.int64), hi.astype(np.int64)


def npmle(left, right, kind, *, tol: float = TOL, max_iter: int = MAX_ITER) -> NPMLE:
    """Turnbull's NPMLE of one group.

    Examples
    --------
    >>> # all exact or right-censored: the NPMLE is Kaplan-Meier
    >>> fit = npmle(np.array([1., 2, 3, 4]), np.array([1., np.inf, 3, np.inf]),
    ...             np.array([1, 0, 1, 0]))
    >>> fit.time.tolist(), fit.survival.round(6).tolist()
    ([1.0, 3.0], [0.75, 0.375])
    """
    left, right, kind = np.asarray(left, float), np.asarray(right, float), np.asarray(kind)
    time, lower, upper = support_points(left, right, kind)
    lo, hi = _ranges(time, left, right, kind)
    # identical runs counted once, with their number of patients as weight
    key, weight = np.unique(lo * (len(time) + 2) + hi, return_counts=True)
    lo, hi = key // (len(time) + 2), key % (len(time) + 2)
    w = weight.astype(float)
    n = w.sum()
    size = len(time) + 1
    empty = (hi <= lo).any()
    if empty:  # cannot happen with support points from the same data
        raise ValueError("a patient has no support point")

    def em(p):
        cum = np.concatenate(([0.0], np.cumsum(p)))
        denom = np.maximum(cum[hi] - cum[lo], np.finfo(float).tiny)
        share = w / denom
        diff = np.zeros(size + 1)
        np.add.at(diff, lo, share)
        np.add.at(diff, hi, -share)
        grad = np.cumsum(diff[:-1])
        return p * grad / n, grad

    def loglik(p):
        cum = np.concatenate(([0.0], np.cumsum(p)))
        with np.errstate(divide="ignore"):
            return float(np.sum(w * np.log(cum[hi] - cum[lo])))

    p = np.full(size, 1.0 / size)
    converged, it = False, 0
    while it < max_iter:
        p1, _ = em(p)
        p2, _ = em(p1)
        it += 2
        r, v = p1 - p, p2 - 2 * p1 + p
        nv = np.sqrt(np.dot(v, v))
        step = p2  # alpha = -1 is two plain EM steps
        if nv > 0:
            alpha = -max(1.0, np.sqrt(np.dot(r, r)) / nv)
            plain = loglik(p2)
            while alpha < -1.0 - 1e-3:  # pulled back towards -1 until valid and no worse
                cand = p - 2 * alpha * r + alpha * alpha * v
                if cand.min() >= 0:
                    cand = cand / cand.sum()
                    if loglik(cand) >= plain:
                        step = cand
                        break
                alpha = (alpha - 1.0) / 2
        new, grad = em(step)
        it += 1
        moved = np.max(np.abs(np.cumsum(new - p)))
        p = new
        if moved < tol and np.max(grad / n) - 1.0 < KKT_TOL:
            converged = True
            break
    _, grad = em(p)
    return NPMLE(
        time=time,
        lower=lower,
        upper=upper,
        mass=p,
        loglik=loglik(p),
        iterations=it,
        converged=converged,
        kkt=float(np.max(grad / n) - 1.0),
    )


def survival_at(time: np.ndarray, survival: np.ndarray, times: np.ndarray) -> np.ndarray:
    """The right-continuous step function through (time, survival) at ``times`` (1
    before the first point)."""
    idx = np.searchsorted(time, times, side="right") - 1
    return np.where(idx >= 0, survival[np.maximum(idx, 0)], 1.0)
