"""Harrell's concordance as ``survival::concordance`` counts it, in O(n log n), arrays only.

A pair is comparable when the earlier time is an event; a censored time tied with an
event time counts as the longer one, two events at the same time are not compared
(``tied.y``). With ``reverse=True`` (what ``coxph`` reports) a pair is concordant when
the earlier event has the higher linear predictor. Case weights multiply:
w_i·w_j per pair. Concordance = (concordant + tied.x / 2) / (concordant + discordant
+ tied.x).

Each patient gets a key, 2·(rank of its time) + 1 if censored: patient j is comparable
with an event i exactly when key_j > key_i, which settles every tie rule at once. What
is left is a dominance count: for each event, the weight of patients with a larger key
and a smaller predictor. ``survival`` walks a balanced tree in C; here the patients are
sorted by (predictor rank, key) with one argsort of an integer (or by (key, rank) when
the key has more distinct values) and the other coordinate is counted by a
most-significant-bit-first radix pass: at each bit, a stable partition of the whole
sequence (zeros first) keeps patients with equal higher bits together and in order, and
those with the bit set count the weight of the earlier ones without it. Each bit costs
about a dozen O(n) array passes, in integers when there are no case weights. The
comparable weight is a suffix sum over the keys (no sort).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Inputs", "concordance", "concordance_counts"]


def _dominance(v: np.ndarray, w: np.ndarray | None) -> np.ndarray:
    """For each position i of the sequence ``v`` (integers ≥ 0): the sum of ``w`` (1 if
    None) over the earlier positions j < i with v_j < v_i, by MSB-first radix."""
    n = len(v)
    itype = np.int32 if n < 2**31 - 1 else np.int64
    v = v.astype(itype)
    unit = w is None
    ww = None if unit else np.asarray(w, float)
    less = np.zeros(n, np.int64 if unit else float)
    idx = np.arange(n, dtype=itype)
    ar = np.arange(n, dtype=itype)
    gstart = np.empty(n, bool)
    for b in range(max(int(v.max(initial=0)).bit_length(), 1) - 1, -1, -1):
        hi = v >> (b + 1)  # equal higher bits: contiguous, in sequence order
        gstart[0] = True
        np.not_equal(hi[1:], hi[:-1], out=gstart[1:])
        gs = np.maximum.accumulate(np.where(gstart, ar, 0))
        zero = ((v >> b) & 1) == 0
        zc = np.cumsum(zero, dtype=itype)
        if unit:
            c0 = zc - zero
        else:
            assert ww is not None  # weighted: set above whenever w is given
            wz = np.where(zero, ww, 0.0)
            c0 = np.cumsum(wz) - wz
        less += np.where(zero, 0, c0 - c0[gs])
        dest = np.where(zero, zc - 1, zc[-1] + ar - zc)  # the stable partition
        parts = [v, less, idx] if unit else [v, less, idx, ww]
        moved = []
        for a in parts:
            out = np.empty_like(a)
            out[dest] = a
            moved.append(out)
        v, less, idx = moved[:3]
        if not unit:
            ww = moved[3]
    out = np.empty(n, less.dtype)
    out[idx] = less
    return out


def _count_stratum(time, dead, lp, w) -> np.ndarray:
    """(concordant, discordant, tied.x) weight sums for one stratum."""
    n = len(time)
    if n < 2 or not dead.any():
        return np.zeros(3)
    unit = w is None or bool(np.all(w == 1.0))
    wf = np.ones(n) if w is None else np.asarray(w, float)
    _, trank = np.unique(time, return_inverse=True)
    key = 2 * trank.ravel().astype(np.int64) + ~dead  # comparable: key_j > key_i
    _, rank = np.unique(lp, return_inverse=True)
    rank = rank.ravel().astype(np.int64)
    ev = np.flatnonzero(dead)
    span = int(key.max()) + 1
    # comparable weight: all with a larger key (suffix sums over the keys, no sort)
    above = np.concatenate([np.cumsum(np.bincount(key, weights=wf)[::-1])[::-1], [0.0]])
    comp = above[key[ev] + 1]
    # tied.x: the same predictor and a larger key, along (rank, key) order
    rk = rank * span + key
    ro = np.argsort(rk)
    rk_sorted = rk[ro]
    cum = np.concatenate([[0.0], np.cumsum(wf[ro])])
    group_end = np.searchsorted(rk_sorted, (rank[ev] + 1) * span, side="left")
    tied = cum[group_end] - cum[np.searchsorted(rk_sorted, rk[ev], side="right")]
    # concordant: a larger key and a smaller predictor (the earlier event has the
    # higher predictor), counted along whichever order leaves fewer bits to the radix
    if int(rank.max()).bit_length() < int(key.max()).bit_length():
        order = np.argsort(key * (int(rank.max()) + 1) + rank)[::-1]  # key, rank descending
        counted = rank[order]
    else:
        order = ro  # rank ascending; ties: key ascending (equal pairs never count)
        counted = span - 1 - key[order]
    less = np.empty(n)
    less[order] = _dominance(counted, None if unit else wf[order])
    conc = less[ev]
    disc = comp - conc - tied
    if not unit:  # a sum of weights is 0 or at least the smallest one: drop the rounding
        positive = wf[wf > 0]
        disc[disc < (positive.min() / 2 if len(positive) else np.inf)] = 0.0
    we = wf[ev]
    return np.array([we @ conc, we @ disc, we @ tied])


def concordance_counts(time, dead, lp, w=None, strata=None) -> np.ndarray:
    """Weighted (concordant, discordant, tied.x) over all strata."""
    time = np.asarray(time, float)
    dead = np.asarray(dead, bool)
    lp = np.asarray(lp, float)
    w = np.ones(len(time)) if w is None else np.asarray(w, float)
    if strata is None:
        return _count_stratum(time, dead, lp, w)
    total = np.zeros(3)
    for s in np.unique(strata):
        m = strata == s
        total += _count_stratum(time[m], dead[m], lp[m], w[m])
    return total


def concordance(time, dead, lp, w=None, strata=None) -> float:
    """Harrell's C as ``coxph`` reports it (``fit$concordance["concordance"]``).

    Examples
    --------
    >>> concordance([1., 2., 3., 4.], [1, 1, 0, 1], [2., 1., 0.5, 3.])
    0.6
    """
    conc, disc, tie = concordance_counts(time, dead, lp, w, strata)
    total = conc + disc + tie
    return float((conc + tie / 2) / total) if total > 0 else float("nan")


@dataclass(frozen=True)
class Inputs:
    """What a fit's concordance is counted from, counted when called (a Cox result
    reads it the first time its ``.concordance`` is read). Arrays, so picklable, unlike
    a closure: results cross processes. ``w`` and ``strata`` ``None`` when there are none."""

    time: np.ndarray
    dead: np.ndarray
    lp: np.ndarray
    w: np.ndarray | None
    strata: np.ndarray | None

    def __call__(self) -> float:
        return concordance(self.time, self.dead, self.lp, self.w, self.strata)
