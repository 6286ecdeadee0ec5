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
Roland 2008, scheme S3, with a monotonicity safeguard), until the curve moves less than
1e-4; then Newton steps on the points that carry mass, the masses summing to 1 (an
active-set method: a point whose mass reaches 0 leaves, a point whose Kuhn-Tucker
gradient exceeds 1 enters), until the step is below 1e-12 and the Kuhn-Tucker conditions
hold (no support point could take mass and raise the likelihood). The hand-over point
is a matter of speed, not of the answer: EM to 1e-6 and Newton from the points above
1e-6 of the largest mass, as before, took 1.5-2.7× as long and ended within 1e-15 of
the same curve (``python -m benchmarks.turnbull``; docs/validation.md). EM alone needs tens of
thousands of iterations when points must lose all their mass (it shrinks them
geometrically and never to 0). R iterates the same fixed point (with Aitken steps) but
stops when the curve moves less than 5e-5 in an iteration, so its printed curve can be
1e-3 from the maximum; a point whose mass has collapsed cannot come back in an EM step,
and on one data set of the tests R's iteration, even run to 1e-13, ends 0.19 in
log-likelihood below the maximum (tests/test_survival_interval_r.py).
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
#: EM runs until the curve moves less than this, then Newton takes over.
EM_TOL = 1e-4
#: Points with less mass than this (relative to the largest) leave the Newton steps...
ACTIVE = 1e-12
#: ... and start outside them (they enter again if the Kuhn-Tucker conditions say so).
START = 1e-3


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

    Self-consistency (EM, SQUAREM-accelerated) until the curve moves less than
    :data:`EM_TOL`, then Newton steps on the points that carry mass (the likelihood is
    concave; the sum of the masses is held at 1, a point whose mass reaches 0 leaves,
    a point whose Kuhn-Tucker gradient exceeds 1 enters), until the step is below
    ``tol``. Plain EM takes tens of thousands of iterations here when points must lose
    all their mass; the Newton finish converges in a few steps. Every patient's run
    starts with at least one point (its likeliest). If Newton fails (a singular
    system), EM goes on to ``tol`` from where it had stopped.

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
    lik = _Likelihood(lo, hi, weight.astype(float), len(time) + 1)
    start, it = lik.em(np.full(lik.size, 1.0 / lik.size), EM_TOL, max_iter)
    p, ok = lik.newton(start)
    if not ok:  # EM on from where it stopped: Newton's zeros could not take mass again
        p, more = lik.em(start, tol, max_iter - it)
        it += more
    grad = lik.gradient(p)
    kkt = float(np.max(grad) - 1.0)
    return NPMLE(
        time=time,
        lower=lower,
        upper=upper,
        mass=p,
        loglik=lik.loglik(p),
        iterations=it,
        converged=bool(kkt < KKT_TOL),
        kkt=kkt,
    )


class _Likelihood:
    """Σ_i w_i log P(run_i) for runs [lo_i, hi_i) of support points, and its EM and
    Newton maximisers."""

    def __init__(self, lo, hi, w, size):
        self.lo, self.hi, self.w, self.size = lo, hi, w, size
        self.n = w.sum()

    def _prob(self, p):
        cum = np.concatenate(([0.0], np.cumsum(p)))
        return cum[self.hi] - cum[self.lo]

    def loglik(self, p) -> float:
        with np.errstate(divide="ignore"):
            return float(np.sum(self.w * np.log(self._prob(p))))

    def gradient(self, p) -> np.ndarray:
        """∂ loglik / ∂p_j divided by N (1 on the support at the maximum, ≤ 1 elsewhere)."""
        share = self.w / np.maximum(self._prob(p), np.finfo(float).tiny)
        diff = np.bincount(self.lo, share, self.size + 1) - np.bincount(
            self.hi, share, self.size + 1
        )
        return np.cumsum(diff[:-1]) / self.n

    def em(self, p, tol, max_iter) -> tuple[np.ndarray, int]:
        """SQUAREM-accelerated self-consistency until the curve moves less than ``tol``."""
        it = 0
        while it < max_iter:
            p1 = p * self.gradient(p)
            p2 = p1 * self.gradient(p1)
            it += 2
            r, v = p1 - p, p2 - 2 * p1 + p
            nv = np.sqrt(np.dot(v, v))
            step = p2  # alpha = -1 is two plain EM steps
            if nv > 0:
                alpha = -max(1.0, np.sqrt(np.dot(r, r)) / nv)
                plain = self.loglik(p2)
                while alpha < -1.0 - 1e-3:  # pulled back towards -1 until valid, no worse
                    cand = p - 2 * alpha * r + alpha * alpha * v
                    if cand.min() >= 0:
                        cand = cand / cand.sum()
                        if self.loglik(cand) >= plain:
                            step = cand
                            break
                    alpha = (alpha - 1.0) / 2
            new = step * self.gradient(step)
            it += 1
            moved = np.max(np.abs(np.cumsum(new - p)))
            p = new
            if moved < tol:
                break
        return p, it

    def newton(self, p, max_iter: int = 200) -> tuple[np.ndarray, bool]:
        """Active-set Newton steps from ``p``; (p, whether it converged)."""
        active = np.flatnonzero(p > START * p.max())
        # every run keeps a point: its likeliest (a run without one has probability 0)
        a, b = np.searchsorted(active, self.lo), np.searchsorted(active, self.hi)
        empty = np.flatnonzero(b <= a)
        if empty.size:
            ends = zip(self.lo[empty].tolist(), self.hi[empty].tolist(), strict=True)
            best = [lo + int(np.argmax(p[lo:hi])) for lo, hi in ends]
            active = np.union1d(active, best)
        p = np.where(np.isin(np.arange(self.size), active), p, 0.0)
        p /= p.sum()
        for _ in range(max_iter):
            # the runs in the coordinates of the active points, grouped again
            a = np.searchsorted(active, self.lo)
            b = np.searchsorted(active, self.hi)
            if (b <= a).any():
                return p, False
            key, inv = np.unique(a * (len(active) + 1) + b, return_inverse=True)
            ww = np.bincount(inv.ravel(), self.w)
            ka, kb = key // (len(active) + 1), key % (len(active) + 1)
            cols = np.arange(len(active))
            design = ((ka[:, None] <= cols) & (cols < kb[:, None])).astype(float)
            q = design @ p[active]
            g = design.T @ (ww / q)
            h = -(design * (ww / q**2)[:, None]).T @ design
            m = len(active)
            system = np.zeros((m + 1, m + 1))
            system[:m, :m], system[:m, m], system[m, :m] = h, -1.0, 1.0
            try:
                delta = np.linalg.solve(system, np.concatenate([-g, [0.0]]))[:m]
            except np.linalg.LinAlgError:
                return p, False
            pa = p[active]
            t = 1.0
            shrink = delta < 0
            if shrink.any():
                t = min(1.0, float(np.min(-pa[shrink] / delta[shrink])))
            base = self.loglik(p)
            while True:
                new = p.copy()
                new[active] = np.maximum(pa + t * delta, 0.0)
                new /= new.sum()
                if self.loglik(new) >= base - 1e-12 or t < 1e-12:
                    break
                t /= 2
            p = new
            gone = p[active] <= ACTIVE * p.max()
            if gone.any():  # a point reached 0: it leaves the active set
                p[active[gone]] = 0.0
                p /= p.sum()
                active = active[~gone]
                continue
            if np.max(np.abs(t * delta)) > TOL:
                continue
            grad = self.gradient(p)
            outside = np.setdiff1d(np.arange(self.size), active)
            enter = outside[grad[outside] > 1.0 + KKT_TOL]
            if enter.size:  # points that would raise the likelihood enter with a little mass
                p[enter] = 1e-3 / len(p)
                p /= p.sum()
                active = np.sort(np.concatenate([active, enter]))
                continue
            return p, True
        return p, False


def survival_at(time: np.ndarray, survival: np.ndarray, times: np.ndarray) -> np.ndarray:
    """The right-continuous step function through (time, survival) at ``times`` (1
    before the first point)."""
    if len(time) == 0:  # no event: the curve stays at 1
        return np.ones(len(times))
    idx = np.searchsorted(time, times, side="right") - 1
    return np.where(idx >= 0, survival[np.maximum(idx, 0)], 1.0)
