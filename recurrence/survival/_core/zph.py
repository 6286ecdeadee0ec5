"""The proportional-hazards test of ``survival::cox.zph`` (≥ 3.0, ``zph1.c``): the score
test of x·g(t) added to a fitted Cox model, per term and globally, on the strata and
risk-set sums of :mod:`.cox`."""

from __future__ import annotations

import numpy as np

from ..._ranks import rank
from .cox import Stratum, _information, _solve, _sums

__all__ = ["ZPH_TRANSFORMS", "km_transform", "zph_test", "zph_time"]


def km_transform(time, dead) -> np.ndarray:
    """1 − KM(t−) per patient, left-continuous (``cox.zph(transform = "km")``)."""
    ut, inv = np.unique(time, return_inverse=True)
    nd = np.bincount(inv, weights=dead.astype(float), minlength=len(ut))
    cnt = np.bincount(inv, minlength=len(ut))
    at_risk = cnt[::-1].cumsum()[::-1]
    surv = np.cumprod(1 - nd / at_risk)
    before = np.concatenate([[1.0], surv[:-1]])
    return 1 - before[inv]


#: ``cox.zph(transform=)`` values.
ZPH_TRANSFORMS = ("km", "rank", "identity", "log")


def zph_time(time, dead, transform: str = "km") -> np.ndarray:
    """The transformed time g(t) of ``cox.zph(transform=)`` per patient: ``"km"``
    1 − KM(t−), ``"rank"`` the rank of the time among all patients (ties averaged, R's
    ``rank``), ``"identity"`` the time, ``"log"`` its logarithm.

    Examples
    --------
    >>> t, d = np.array([2.0, 1.0, 2.0, 4.0]), np.array([True, True, False, True])
    >>> zph_time(t, d, "rank").tolist(), zph_time(t, d, "km").tolist()
    ([2.5, 1.0, 2.5, 4.0], [0.25, 0.0, 0.25, 0.5])
    """
    if transform == "km":
        return km_transform(time, dead)
    if transform == "rank":
        return rank(time, method="average")
    if transform == "log":
        return np.log(time)
    return np.asarray(time, float)


def zph_test(
    strata: list[Stratum], beta, info, time, dead, groups, sums=None, transform: str = "km"
) -> tuple[np.ndarray, ...]:
    """The score test of ``survival::cox.zph`` (≥ 3.0): add x·g(t) to the model, g the
    centred transform of time (:func:`zph_time`), and test its coefficients at γ = 0,
    per term (columns ``groups``, a list of column-index lists) and globally."""
    p = len(beta)
    tt = zph_time(time, dead, transform)
    gtime = tt - tt[dead].mean()
    if np.ptp(gtime[dead]) == 0:  # all events at one time: g(t) is 0, nothing to test
        return np.full(len(groups) + 1, np.nan), np.array([len(c) for c in groups] + [p])
    u2 = np.zeros(p)
    i12, i22 = np.zeros((p, p)), np.zeros((p, p))
    sums = sums or [None] * len(strata)
    for st, s in zip(strata, sums, strict=True):
        if len(st.egrp) == 0:
            continue
        s = s or _sums(st, beta)
        ge = gtime[st.rows][st.first[st.egrp]]
        # Σ_t g(t) [Σ_deaths w x − Σ_k wt a_k]
        dx = np.column_stack(
            [
                np.bincount(
                    st.dead_egrp, weights=st.w[st.dead] * st.x[st.dead, j], minlength=len(st.egrp)
                )
                for j in range(p)
            ]
        )
        ak = np.column_stack(
            [
                np.bincount(st.k_grp, weights=s.wt * s.a[:, j], minlength=len(st.egrp))
                for j in range(p)
            ]
        )
        u2 += ge @ (dx - ak)
        i12 += _information(st, s, ge)
        i22 += _information(st, s, ge * ge)
    imat = np.block([[info, i12], [i12.T, i22]])
    uu = np.concatenate([np.zeros(p), u2])
    chisq, df = [], []
    for cols in groups:
        kk = np.concatenate([np.arange(p), p + np.asarray(cols)])
        sub = imat[np.ix_(kk, kk)]
        v = uu[kk]
        chisq.append(float(v @ _solve(sub, v)))
        df.append(len(cols))
    chisq.append(float(uu @ _solve(imat, uu)))
    df.append(p)
    return np.asarray(chisq), np.asarray(df)
