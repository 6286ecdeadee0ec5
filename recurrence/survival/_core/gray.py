"""Gray's (1988) k-sample test of cumulative incidence, vectorized.

This is the algorithm of cmprsk's Fortran routine ``crst`` (cmprsk 2.2-11, called by
``cuminc``), rewritten so that every running quantity is a cumulative sum or product
over the distinct event times instead of a loop: per group the all-cause Kaplan-Meier
(left and right limits), the cumulative incidence, the pooled weighted incidence, the
matrix ``c`` (a running sum of the score weights ``a``), and the three variance
accumulators. The cost is O(times × groups²) after one sort, where cmprsk loops in
Fortran. Strata: scores and variances are summed over strata, as ``crstm`` does.

Written by hand because no maintained Python library implements Gray's test; the
reference tests hold it to ``cmprsk::cuminc(...)$Tests``.
"""

from __future__ import annotations

import numpy as np

__all__ = ["gray_score"]


def _shift(x: np.ndarray, first: float) -> np.ndarray:
    """The left limit of a right-continuous running quantity: x shifted down one row."""
    out = np.empty_like(x)
    out[0] = first
    out[1:] = x[:-1]
    return out


def gray_score(
    n: np.ndarray, d1: np.ndarray, d2: np.ndarray, rho: float = 0.0
) -> tuple[np.ndarray, np.ndarray]:
    """Score vector and covariance of Gray's test within one stratum.

    Parameters
    ----------
    n, d1, d2
        (times × groups): at risk, failures from the cause of interest, failures from
        the other cause, at the distinct times of the stratum (times with only
        censorings may be included or not: they change nothing).
    rho
        Power of the weight (1 − F(t−))^rho; cmprsk's default 0.

    Returns
    -------
    (s, v)
        Scores of the first k − 1 groups and their (k − 1) × (k − 1) covariance; the
        statistic is ``s @ solve(v, s)`` with k − 1 degrees of freedom.

    Examples
    --------
    >>> n = np.array([[3., 3], [2, 2], [1, 1]])
    >>> d1 = np.array([[1., 0], [0, 1], [1, 0]])
    >>> d2 = np.array([[0., 1], [1, 0], [0, 0]])
    >>> s, v = gray_score(n, d1, d2)
    >>> s.shape, v.shape
    ((1,), (1, 1))
    """
    n = np.asarray(n, float)
    d1 = np.asarray(d1, float)
    d2 = np.asarray(d2, float)
    rows = (d1.sum(axis=1) + d2.sum(axis=1)) > 0
    n, d1, d2 = n[rows], d1[rows], d2[rows]
    n_groups = n.shape[1]
    k1 = n_groups - 1
    if n.shape[0] == 0:
        return np.zeros(k1), np.zeros((k1, k1))
    with np.errstate(divide="ignore", invalid="ignore"):
        at = n > 0
        safe_n = np.where(at, n, 1.0)
        # all-cause Kaplan-Meier per group: right (skm) and left (skmm) limits
        skm = np.cumprod(np.where(at, (n - d1 - d2) / safe_n, 1.0), axis=0)
        skmm = _shift(skm, 1.0)
        # cumulative incidence per group, right (f1) and left (f1m) limits
        f1 = np.cumsum(np.where(at, skmm * d1 / safe_n, 0.0), axis=0)
        f1m = _shift(f1, 0.0)
        # tr = Σ_r h_r, tq = Σ_r R_r in the notation of the paper
        t1 = np.where(at, n / skmm, 0.0)
        tr = t1.sum(axis=1)
        tq = np.where(at, n * (1 - f1m) / skmm, 0.0).sum(axis=1)
        nd1 = d1.sum(axis=1)
        f = np.cumsum(nd1 / tr)  # pooled weighted incidence
        fm = _shift(f, 0.0)
        fb = (1 - fm) ** rho
        # a(i, k) = fb·t1_i·(δ_ik − t1_k/tr) for the first k − 1 groups i
        a = -(fb / tr)[:, None, None] * t1[:, :k1, None] * t1[:, None, :]
        idx = np.arange(k1)
        a[:, idx, idx] += fb[:, None] * t1[:, :k1]
        c = np.cumsum(a * (nd1 / (tr * (1 - fm)))[:, None, None], axis=0)
        score = fb[:, None] * np.where(
            at, d1 - nd1[:, None] * n * (1 - f1m) / (skmm * tq[:, None]), 0.0
        )
        s = score[:, :k1].sum(axis=0)

        # failures from the cause of interest
        pos = skm > 0
        t4 = np.where(pos, 1 - (1 - f[:, None]) / np.where(pos, skm, 1.0), 1.0)
        t5 = np.where(nd1[:, None] > 1, 1 - (nd1[:, None] - 1) / (tr[:, None] * skmm - 1), 1.0)
        t3 = np.where(
            at & (nd1[:, None] > 0), t5 * skmm * nd1[:, None] / (tr[:, None] * safe_n), 0.0
        )
        v3 = (t4 * t4 * t3).sum(axis=0)
        m = a - t4[:, None, :] * c
        v2 = (m * (t4 * t3)[:, None, :]).sum(axis=0)
        v = np.einsum("tik,tjk,tk->ij", m, m, t3)

        # failures from the other cause
        ok = pos & (d2 > 0)
        t4 = np.where(ok, (1 - f[:, None]) / np.where(pos, skm, 1.0), 0.0)
        t5 = np.where(d2 > 1, 1 - (d2 - 1) / (n - 1), 1.0)
        t3 = np.where(ok, t5 * skmm * skmm * d2 / (safe_n * safe_n), 0.0)
        v3 = v3 + (t4 * t4 * t3).sum(axis=0)
        m = t4[:, None, :] * c
        v2 = v2 - (m * (t4 * t3)[:, None, :]).sum(axis=0)
        v = v + np.einsum("tik,tjk,tk->ij", m, m, t3)

        last = c[-1]
        v = v + np.einsum("ik,jk,k->ij", last, last, v3) + last @ v2.T + v2 @ last.T
    return s, v
