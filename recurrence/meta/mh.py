"""Mantel-Haenszel (RR, OR, RD) and Peto (OR) common-effect pooling of 2×2 tables.

Written here, not taken from statsmodels: ``StratifiedTable`` has the MH odds ratio with
the Robins-Breslow-Greenland variance but no MH risk ratio variance (Greenland-Robins),
no MH risk difference and no Peto method, and one call per analysis. The formulas are
``metafor::rma.mh`` and ``rma.peto`` (3.8), which these functions match:

* MH OR with the Robins-Breslow-Greenland variance; MH RR with Greenland-Robins; MH RD
  with the Greenland-Robins/Sato variance. The MH estimators need no continuity
  correction; when every study has no events in one arm the MH RR or OR is 0 or
  infinite, and 0.5 is then added to every cell of studies with a zero cell (a
  :class:`~recurrence.errors.StatisticalWarning` says so).
* Peto: Σ(O − E)/ΣV with variance 1/ΣV.
* Q is Cochran's Q of the per-study effects (with the zero-cell rules of
  docs/meta-analysis.md; Peto's own per-study log ORs for Peto) around the pooled
  estimate, with inverse-variance weights; I² and H² from Q.
"""

from __future__ import annotations

import numpy as np

from .._dist import chi2, norm
from ..errors import DataError, Problem, StatisticalWarning
from .effects import ADD, TwoArmEffects, peto_effects, two_arm_effects
from .pooling import Pooled

__all__ = ["mantel_haenszel", "peto"]


def _heterogeneity(yi, vi, beta):
    k = yi.size
    w = 1 / vi
    if k > 1:
        q = max(0.0, float(np.sum(w * (yi - beta) ** 2)))
        qp = float(chi2.sf(q, k - 1))
        i2 = max(0.0, 100 * (q - (k - 1)) / q) if q > 0 else 0.0
        h2 = q / (k - 1)
    else:
        q, qp, i2, h2 = 0.0, None, 0.0, None
    return q, qp, i2, h2


def _finish(method, beta, se, eff: TwoArmEffects, level, weights, notes, alerts):
    z = norm.ppf(0.5 + level / 2)
    yi, vi = eff.yi[eff.included], eff.vi[eff.included]
    q, qp, i2, h2 = _heterogeneity(yi, vi, beta)
    fe = {
        "estimate": beta,
        "se": se,
        "ci_low": beta - z * se,
        "ci_high": beta + z * se,
        "pvalue": float(2 * norm.sf(abs(beta / se))),
        "weights": weights,
    }
    return Pooled(
        method=method,
        estimate=beta,
        se=se,
        se_usual=se,
        ci_low=beta - z * se,
        ci_high=beta + z * se,
        pi_low=None,
        pi_high=None,
        statistic=beta / se,
        pvalue=fe["pvalue"],
        df=None,
        tau2=0.0,
        tau2_ci=None,
        q=q,
        q_df=yi.size - 1,
        q_pvalue=qp,
        i2=i2,
        h2=h2,
        k=int(yi.size),
        weights=weights,
        fe=fe,
        notes=tuple(notes),
        alerts=tuple(alerts),
    )


def mantel_haenszel(a, n1, c, n2, measure: str = "RR", level: float = 0.95) -> Pooled:
    """Mantel-Haenszel pooled log RR, log OR or RD (closure = group 1).

    Examples
    --------
    >>> res = mantel_haenszel([1, 0, 1], [30, 30, 12], [6, 3, 6], [30, 46, 41], "OR")
    >>> round(float(np.exp(res.estimate)), 4), round(res.se, 4)
    (0.199, 0.7745)
    """
    eff = two_arm_effects(a, n1, c, n2, measure)
    a, n1, c, n2 = (np.asarray(x, float) for x in (a, n1, c, n2))
    keep = eff.included
    notes, alerts = [], []
    b, d = n1 - a, n2 - c
    a, b, c, d = a[keep], b[keep], c[keep], d[keep]
    if a.size == 0:
        raise DataError(
            Problem(
                f"no study has events in either arm: the Mantel-Haenszel {measure} "
                "cannot be estimated",
                fix="use measure='RD'",
            )
        )
    if measure in ("RR", "OR") and (
        a.sum() == 0 or c.sum() == 0 or (measure == "OR" and (b.sum() == 0 or d.sum() == 0))
    ):
        zero = (a == 0) | (b == 0) | (c == 0) | (d == 0)
        arm = "closure" if a.sum() == 0 else "control"
        msg = (
            f"no events in the {arm} arm of any study: the Mantel-Haenszel {measure} has no "
            f"finite logarithm; {ADD} was added to every cell of the {int(zero.sum())} "
            "studies with a zero cell"
        )
        alerts.append((msg, StatisticalWarning))
        a, b, c, d = (x + np.where(zero, ADD, 0.0) for x in (a, b, c, d))
    m1, m2 = a + b, c + d
    N = m1 + m2
    if measure == "OR":
        P, Q = (a + d) / N, (b + c) / N
        R, S = a * d / N, b * c / N
        beta = float(np.log(R.sum() / S.sum()))
        var = 0.5 * (
            (P * R).sum() / R.sum() ** 2
            + (P * S + Q * R).sum() / (R.sum() * S.sum())
            + (Q * S).sum() / S.sum() ** 2
        )
        w = S
    elif measure == "RR":
        R, S = a * m2 / N, c * m1 / N
        beta = float(np.log(R.sum() / S.sum()))
        var = ((m1 / N) * (m2 / N) * (a + c) - (a / N) * c).sum() / (R.sum() * S.sum())
        w = S
    else:
        W = m1 * m2 / N
        beta = float((a * m2 / N - c * m1 / N).sum() / W.sum())
        var = (
            beta
            * (c * (m1 / N) ** 2 - a * (m2 / N) ** 2 + (m1 / N) * (m2 / N) * (m2 - m1) / 2).sum()
            + (a * (m2 - c) / N + c * (m1 - a) / N).sum() / 2
        ) / W.sum() ** 2
        w = W
    weights = 100 * w / w.sum()
    if eff.double_zero.any() and measure in ("RR", "OR"):
        notes.append(
            f"{int(eff.double_zero.sum())} double-zero studies left out of the "
            f"Mantel-Haenszel {measure}"
        )
    return _finish("MH", beta, float(np.sqrt(var)), eff, level, weights, notes, alerts)


def peto(a, n1, c, n2, level: float = 0.95) -> Pooled:
    """Peto's one-step pooled log OR.

    Examples
    --------
    >>> res = peto([1, 0, 1], [30, 30, 12], [6, 3, 6], [30, 46, 41])
    >>> round(float(np.exp(res.estimate)), 4)
    0.2801
    """
    eff = peto_effects(a, n1, c, n2)
    if not eff.included.any():
        raise DataError(
            Problem(
                "every study has no events (or only events) in both arms: Peto's "
                "odds ratio cannot be estimated",
                fix="use measure='RD'",
            )
        )
    a, n1, c, n2 = (np.asarray(x, float)[eff.included] for x in (a, n1, c, n2))
    N = n1 + n2
    xt = a + c
    e = xt * n1 / N
    v = xt * (N - xt) * (n1 / N) * (n2 / N) / (N - 1)
    beta = float((a - e).sum() / v.sum())
    se = float(np.sqrt(1 / v.sum()))
    notes = []
    if eff.double_zero.any():
        notes.append(
            f"{int(eff.double_zero.sum())} studies with no events (or only events) in "
            "both arms left out of Peto's OR"
        )
    return _finish("PETO", beta, se, eff, level, 100 * v / v.sum(), notes, [])
