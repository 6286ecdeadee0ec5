"""Ranks and Kendall's tau as ``scipy.stats`` computes them, without importing it.

Why by hand: importing ``scipy.stats`` costs 0.3-0.5 s here (its distributions build
their docstrings at import), more than all of the report's study analyses together,
and only Begg's test (Kendall's tau) and trim and fill (ranks) used it
(``docs/report.md``). These are the few lines of ``scipy.stats`` they need, computed the
same way: :func:`kendall_tau` is ``scipy.stats.kendalltau`` (tau-b; the exact null
distribution without ties, the tie-corrected normal approximation with them, which is
also what R's ``cor.test(method = "kendall")`` does), :func:`rank` is
``scipy.stats.rankdata`` for ``"ordinal"`` and ``"average"``. ``tests/test_ranks.py``
holds each to ``scipy.stats``.
"""

from __future__ import annotations

import numpy as np
from scipy import special

__all__ = ["kendall_tau", "rank"]

#: Above this many observations the pairwise count (n² signs) hands over to scipy.stats'
#: O(n log n) one.
MAX_PAIRWISE = 2_000


def rank(a, method: str = "average") -> np.ndarray:
    """Ranks 1..n of ``a`` (1-D): ``"ordinal"`` (ties in order of appearance) or
    ``"average"`` (ties share the mean of their ranks), as ``scipy.stats.rankdata``.

    Examples
    --------
    >>> rank([3.0, 1.0, 3.0, 2.0]).tolist(), rank([3.0, 1.0, 3.0, 2.0], "ordinal").tolist()
    ([3.5, 1.0, 3.5, 2.0], [3, 1, 4, 2])
    """
    a = np.asarray(a)
    if method == "ordinal":
        out = np.empty(a.size, dtype=np.intp)
        out[np.argsort(a, kind="stable")] = np.arange(1, a.size + 1)
        return out
    if method != "average":
        raise ValueError(f"method must be 'ordinal' or 'average', not {method!r}")
    _, inverse, counts = np.unique(a, return_inverse=True, return_counts=True)
    last = np.cumsum(counts)
    return (last - (counts - 1) / 2.0)[inverse.ravel()]


def _ties(v: np.ndarray) -> tuple[int, float, float]:
    """scipy's ``count_rank_tie``: Σ t(t−1)/2, Σ t(t−1)(t−2), Σ t(t−1)(2t+5) over tie
    groups of size t."""
    t = np.unique(v, return_counts=True)[1].astype(np.int64)
    t = t[t > 1]
    return (
        int((t * (t - 1) // 2).sum()),
        float((t * (t - 1.0) * (t - 2)).sum()),
        float((t * (t - 1.0) * (2 * t + 5)).sum()),
    )


def _exact_two_sided(n: int, c: int) -> float:
    """P-value of ``c`` concordant pairs among ``n`` untied observations: Kendall's
    exact null distribution (the number of inversions of a random permutation), as
    ``scipy.stats``' ``_kendall_p_exact``: the lower tail at min(c, N − c), doubled."""
    c = min(c, n * (n - 1) // 2 - c)
    if n <= 2:
        return 1.0
    if 4 * c == n * (n - 1):
        return 1.0
    new = np.zeros(c + 1)
    new[0 : min(2, c + 1)] = 1.0
    for j in range(3, n + 1):  # probabilities (not counts): n! overflows past 170
        new = np.cumsum(new) / j
        if j <= c:
            new[j:] -= new[: c + 1 - j]
    return float(np.clip(np.sum(new), 0.0, 1.0))


def kendall_tau(x, y) -> tuple[float, float, bool]:
    """Kendall's tau-b of ``x`` and ``y``, its two-sided p-value, and whether there are
    ties: the exact p-value without ties, the normal approximation (tie-corrected
    variance) with them; NaN if either is constant.

    Examples
    --------
    >>> tau, p, ties = kendall_tau([1.0, 2.0, 3.0, 4.0, 5.0], [2.0, 1.0, 4.0, 3.0, 5.0])
    >>> round(tau, 4), round(p, 4), ties
    (0.6, 0.2333, False)
    """
    x, y = np.asarray(x, float), np.asarray(y, float)
    n = x.size
    if n > MAX_PAIRWISE:
        from scipy import stats

        ties = len(np.unique(x)) < n or len(np.unique(y)) < n
        res = stats.kendalltau(x, y, method="asymptotic" if ties else "exact")
        return float(res.statistic), float(res.pvalue), ties
    upper = np.triu_indices(n, 1)
    sx = np.sign(x[:, None] - x[None, :])[upper]
    sy = np.sign(y[:, None] - y[None, :])[upper]
    s = int(np.sum(sx * sy))  # concordant minus discordant pairs
    xtie, x0, x1 = _ties(x)
    ytie, y0, y1 = _ties(y)
    total = n * (n - 1) // 2
    ties = xtie > 0 or ytie > 0
    if xtie == total or ytie == total:
        return float("nan"), float("nan"), ties
    tau = float(np.clip(s / np.sqrt(total - xtie) / np.sqrt(total - ytie), -1.0, 1.0))
    if not ties:
        return tau, _exact_two_sided(n, (total + s) // 2), ties
    m = n * (n - 1.0)
    var = (m * (2 * n + 5) - x1 - y1) / 18 + 2 * xtie * ytie / m + x0 * y0 / (9 * m * (n - 2))
    z = s / np.sqrt(var)
    return tau, float(2 * special.ndtr(-abs(z))), ties
