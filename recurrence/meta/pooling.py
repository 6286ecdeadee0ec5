"""Inverse-variance pooling: common effect and random effects, for one analysis or
10,000 at once.

:func:`pool_many` is the engine: ``(m, k)`` arrays of effects and variances in, one
pooled estimate per row out, with τ² from :mod:`recurrence.meta.tau2`. :func:`pool`
runs it for one analysis (m = 1) and adds what only a single analysis needs: the
study weights and the Q-profile interval of τ².

Conventions (docs/meta-analysis.md):

* Q is Cochran's Q with common-effect weights; I² = max(0, (Q − df)/Q)·100 and
  H² = Q/df (Higgins and Thompson), whatever the τ² estimator.
* HKSJ: the Hartung-Knapp-Sidik-Jonkman standard error, untruncated (it may be
  smaller than the usual one), with t on k − 1 df; 0 when the studies agree exactly.
  ``hksj="adhoc"``: the modification of Röver et al. (2015), the scale factor floored
  at 1 so the interval is never narrower than the usual one (metafor ``test="adhoc"``).
* ``method="bayes"``: the normal-normal model with a prior on τ
  (:mod:`recurrence.meta.bayes`); posterior medians and quantile intervals.
* Prediction interval: estimate ± t(k − 2)·√(τ² + SE²) with the usual SE, only for
  random-effects models with k ≥ 3 (``nan`` otherwise).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field, fields

import numpy as np
import pandas as pd

from .._dist import chi2, norm, student_t
from .._validate import check_level
from ..errors import ConvergenceWarning, DataError, Problem, StatisticalWarning, warn
from .results import BayesFit, GlmmFit
from .tau2 import METHODS, estimate_tau2, q_profile

__all__ = ["BatchPooled", "Pooled", "pool", "pool_many"]

#: Below this weighted residual sum of squares the HKSJ scale is 0 (metafor's rule).
_EPS = np.finfo(float).eps


@dataclass(frozen=True, repr=False)
class BatchPooled:
    """Pooled results of ``m`` meta-analyses on the model scale (arrays of length m).

    ``se`` is the standard error used for the interval (HKSJ when asked for),
    ``se_usual`` the usual one; ``fe_*`` the common-effect (inverse-variance) fit of
    the same data; ``converged`` whether τ² converged (``False`` rows carry the DL τ²).
    """

    method: str
    hksj: bool | str
    level: float
    k: int
    estimate: np.ndarray
    se: np.ndarray
    se_usual: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    pi_low: np.ndarray
    pi_high: np.ndarray
    statistic: np.ndarray
    pvalue: np.ndarray
    tau2: np.ndarray
    q: np.ndarray
    q_pvalue: np.ndarray
    i2: np.ndarray
    h2: np.ndarray
    fe_estimate: np.ndarray
    fe_se: np.ndarray
    converged: np.ndarray
    iterations: np.ndarray
    df: float | None = None
    labels: tuple | None = None
    tau_ci_low: np.ndarray | None = None
    tau_ci_high: np.ndarray | None = None
    tau_prior: str | None = None

    @property
    def m(self) -> int:
        return len(self.estimate)

    def to_frame(self) -> pd.DataFrame:
        """One row per analysis (``analysis``: its label), every array as a column."""
        cols = {
            f.name: getattr(self, f.name)
            for f in fields(self)
            if isinstance(getattr(self, f.name), np.ndarray)
        }
        labels = self.labels or tuple(f"Analysis {i}" for i in range(1, self.m + 1))
        return pd.DataFrame({"analysis": list(labels), **cols})

    def plot(self, ax=None, **kwargs):
        """The pooled estimate and interval of every analysis, one row each
        (see :func:`recurrence.plotting.plot_many`)."""
        from ..plotting.many import plot_many

        return plot_many(self, ax=ax, **kwargs)

    def __repr__(self) -> str:
        return (
            f"BatchPooled(m={self.m}, k={self.k}, method={self.method!r}, hksj={self.hksj}, "
            f"not converged={int((~self.converged).sum())})"
        )


def _check_arrays(yi, vi):
    y = np.atleast_2d(np.asarray(yi, dtype=float))
    v = np.atleast_2d(np.asarray(vi, dtype=float))
    if y.shape != v.shape or y.ndim != 2:
        raise DataError(
            Problem(
                f"yi has shape {y.shape} but vi has shape {v.shape}",
                fix="pass two (analyses × studies) arrays of the same shape",
            )
        )
    if y.shape[1] == 0:
        raise DataError(Problem("no studies to pool", fix="pass at least one study"))
    bad = ~np.isfinite(y) | ~np.isfinite(v) | (v <= 0)
    if bad.any():
        rows = np.unique(np.nonzero(bad)[0])[:5] + 1
        raise DataError(
            Problem(
                f"missing effects or non-positive variances in analyses "
                f"{', '.join(map(str, rows))}",
                fix="every study needs a finite yi and a vi > 0",
            )
        )
    return y, v


def check_hksj(hksj):
    """``hksj`` as given (False, True or "adhoc"), or a :class:`DataError`."""
    if hksj is True or hksj is False or hksj == "adhoc":
        return hksj
    if isinstance(hksj, (bool, np.bool_)):
        return bool(hksj)
    raise DataError(
        Problem(
            f"hksj={hksj!r} is not known",
            fix="use False, True (Hartung-Knapp-Sidik-Jonkman) or 'adhoc' (never narrower "
            "than the usual interval)",
        )
    )


def _check_labels(labels, m):
    if labels is None:
        return None
    labels = tuple(str(x) for x in (labels.tolist() if hasattr(labels, "tolist") else labels))
    if len(labels) != m:
        raise DataError(
            Problem(f"{len(labels)} labels for {m} analyses", fix="give one label per row of yi")
        )
    return labels


def pool_many(
    yi,
    vi,
    *,
    method: str = "REML",
    hksj: bool | str = False,
    level: float = 0.95,
    tol: float = 1e-10,
    maxiter: int = 100,
    labels=None,
    tau_prior: str = "halfnormal(0.5)",
) -> BatchPooled:
    """Pool each row of ``yi``/``vi`` (m analyses × k studies, model scale).

    Vectorized across analyses: τ² by ``method`` (``FE``, ``DL``, ``HE``, ``SJ``,
    ``PM``, ``EB``, ``ML``, ``REML``), Fisher scoring with per-row convergence masks
    for ML/REML. Rows whose τ² did not converge get the DL estimate; one
    :class:`~recurrence.errors.ConvergenceWarning` says how many. ``method="bayes"``
    integrates the posterior of each analysis under ``tau_prior`` instead
    (``converged``: the quadrature's own check). ``labels`` name the analyses (rows
    of ``to_frame()``, lines of ``plot()``).

    Parameters
    ----------
    yi, vi : array_like, shape (m, k)
        Study estimates and their variances on the model scale (log ratios, logits, risk
        differences), one row per analysis; NaN marks a study absent from a row.
    method : str, default "REML"
        τ² estimator (``"FE"``, ``"DL"``, ``"HE"``, ``"SJ"``, ``"PM"``, ``"EB"``,
        ``"ML"``, ``"REML"``) or ``"bayes"``.
    hksj : bool or "adhoc", default False
        Hartung-Knapp-Sidik-Jonkman intervals; ``"adhoc"`` never narrower than the
        usual one (Röver et al. 2015).
    level : float, default 0.95
        Confidence level of the intervals.
    tol, maxiter : float, int
        Convergence tolerance on τ² and iteration limit of the ML/REML scoring.
    labels : sequence of str, optional
        Names of the analyses.
    tau_prior : str, default "halfnormal(0.5)"
        Prior of τ for ``method="bayes"`` (see :func:`~recurrence.meta.bayes.parse_prior`).

    Returns
    -------
    BatchPooled
        Arrays of length m on the model scale: ``estimate``, ``se``, ``ci_low``,
        ``ci_high``, ``tau2``, ``i2``, ``converged``, the common-effect ``fe_*`` fits;
        ``to_frame()`` and ``plot()``.

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> vi = rng.uniform(0.01, 0.1, (1000, 20))
    >>> yi = rng.normal(0.3, np.sqrt(vi + 0.05))
    >>> res = pool_many(yi, vi, method="REML")
    >>> res.m, bool(res.converged.all()), round(float(res.tau2.mean()), 2)
    (1000, True, 0.05)
    """
    if method not in (*METHODS, "bayes"):
        raise DataError(
            Problem(
                f"method={method!r} is not known", fix=f"use one of {', '.join(METHODS)}, bayes"
            )
        )
    check_level(level)
    hksj = check_hksj(hksj)
    y, v = _check_arrays(yi, vi)
    m, k = y.shape
    labels = _check_labels(labels, m)
    if method == "bayes":
        from ._bayes_pooled import bayes_batch

        return bayes_batch(y, v, tau_prior, level, labels)
    fit = estimate_tau2(y, v, method, tol=tol, maxiter=maxiter)
    if not fit.converged.all():
        n_bad = int((~fit.converged).sum())
        warn(
            f"{method} τ² did not converge in {maxiter} iterations in {n_bad} of {m} "
            "analyses; the DerSimonian-Laird τ² was used for those "
            "(see .converged)",
            ConvergenceWarning,
        )
    tau2 = fit.tau2
    w = 1.0 / (v + tau2[:, None])
    sw = w.sum(axis=1)
    mu = (w * y).sum(axis=1) / sw
    se_usual = np.sqrt(1 / sw)
    # common effect and Cochran's Q
    w0 = 1.0 / v
    sw0 = w0.sum(axis=1)
    mu0 = (w0 * y).sum(axis=1) / sw0
    q = np.maximum(((w0 * (y - mu0[:, None]) ** 2).sum(axis=1)), 0.0)
    if k == 1:  # one study is its own mean: Q is 0 exactly, not a rounding residue
        q = np.zeros_like(q)
    dfq = k - 1
    with np.errstate(divide="ignore", invalid="ignore"):
        i2 = np.where(q > 0, np.maximum(0.0, (q - dfq) / q) * 100, 0.0) if dfq > 0 else np.zeros(m)
        h2 = q / dfq if dfq > 0 else np.full(m, np.nan)
    q_p = chi2.sf(q, dfq) if dfq > 0 else np.full(m, np.nan)
    df = None
    se = se_usual
    if hksj and k > 1:
        rss = (w * (y - mu[:, None]) ** 2).sum(axis=1)
        s2 = np.where(rss <= _EPS, 0.0, rss / (k - 1))
        if hksj == "adhoc":  # Röver, Knapp and Friede (2015): never below the usual SE
            s2 = np.maximum(s2, 1.0)
        se = se_usual * np.sqrt(s2)
        df = float(k - 1)
        crit = student_t.ppf(0.5 + level / 2, df)
    else:
        crit = norm.ppf(0.5 + level / 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        stat = mu / se
    pval = 2 * (student_t.sf(np.abs(stat), df) if df else norm.sf(np.abs(stat)))
    if method != "FE" and k >= 3:
        half = student_t.ppf(0.5 + level / 2, k - 2) * np.sqrt(tau2 + se_usual**2)
        pi_low, pi_high = mu - half, mu + half
    else:
        pi_low = pi_high = np.full(m, np.nan)
    return BatchPooled(
        method=method,
        hksj=(hksj if hksj == "adhoc" else bool(hksj)) if k > 1 else False,
        level=level,
        k=k,
        estimate=mu,
        se=se,
        se_usual=se_usual,
        ci_low=mu - crit * se,
        ci_high=mu + crit * se,
        pi_low=pi_low,
        pi_high=pi_high,
        statistic=stat,
        pvalue=pval,
        tau2=tau2,
        q=q,
        q_pvalue=q_p,
        i2=i2,
        h2=h2,
        fe_estimate=mu0,
        fe_se=np.sqrt(1 / sw0),
        converged=fit.converged,
        iterations=fit.iterations,
        df=df,
        labels=labels,
    )


@dataclass(frozen=True)
class Pooled:
    """One pooled analysis on the model scale (internal; results wrap it).

    ``weights`` are percentages of the model's weights; ``fe`` the common-effect
    (inverse-variance) estimate, SE, interval and p-value for a second diamond;
    ``notes`` caveats for the remarks; ``alerts`` (message, warning class) pairs the
    public functions turn into warnings.
    """

    method: str
    estimate: float
    se: float
    se_usual: float
    ci_low: float
    ci_high: float
    pi_low: float | None
    pi_high: float | None
    statistic: float
    pvalue: float
    df: float | None
    tau2: float
    tau2_ci: tuple[float, float] | None
    q: float
    q_df: int
    q_pvalue: float | None
    i2: float
    h2: float | None
    k: int
    weights: np.ndarray = field(repr=False)
    fe: dict = field(repr=False, default_factory=dict)
    converged: bool = True
    notes: tuple[str, ...] = ()
    alerts: tuple[tuple[str, type], ...] = ()
    glmm: GlmmFit | None = field(repr=False, default=None)
    bayes: BayesFit | None = field(repr=False, default=None)


def _none(x):
    x = float(x)
    return None if np.isnan(x) else x


def pool(
    yi,
    vi,
    *,
    method: str = "REML",
    hksj: bool | str = False,
    level: float = 0.95,
    tol: float = 1e-10,
    maxiter: int = 100,
) -> Pooled:
    """Pool one analysis (the m = 1 case of :func:`pool_many`) and explain its caveats.

    Examples
    --------
    >>> res = pool([0.1, 0.3, 0.35, 0.8], [0.02] * 4, method="DL")
    >>> round(res.estimate, 4), round(res.tau2, 4), round(res.i2, 1)
    (0.3875, 0.0673, 77.1)
    """
    y = np.asarray(yi, float).ravel()
    v = np.asarray(vi, float).ravel()
    k = y.size
    notes: list[str] = []
    alerts: list[tuple[str, type]] = []
    use_hksj = hksj
    if hksj and k < 2:
        use_hksj = False
        alerts.append(
            (
                "HKSJ needs at least 2 studies (t on k − 1 df); the usual z interval was used",
                StatisticalWarning,
            )
        )
    if hksj and method == "FE" and k >= 2:
        alerts.append(
            (
                "HKSJ is meant for random-effects models; applied to the common-effect "
                "model as asked",
                StatisticalWarning,
            )
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        b = pool_many(
            y[None, :],
            v[None, :],
            method=method,
            hksj=use_hksj,
            level=level,
            tol=tol,
            maxiter=maxiter,
        )
    tau2 = float(b.tau2[0])
    converged = bool(b.converged[0])
    if not converged:
        alerts.append(
            (
                f"{method} τ² did not converge in {maxiter} iterations; the "
                f"DerSimonian-Laird τ² ({tau2:.4g}) was used instead",
                ConvergenceWarning,
            )
        )
    if k == 1:
        alerts.append(
            (
                "only one study: the pooled estimate is that study's own, τ² cannot be "
                "estimated (set to 0), and there is no heterogeneity test or prediction "
                "interval",
                StatisticalWarning,
            )
        )
    elif method != "FE" and tau2 == 0.0:
        alerts.append(
            (
                f"{method} τ² is 0 (at its boundary; Q = {b.q[0]:.3g} on {k - 1} df): the "
                "random-effects model reduces to the common-effect model and its interval "
                "ignores heterogeneity that a few studies cannot detect",
                StatisticalWarning,
            )
        )
    if b.hksj and b.se[0] == 0:
        undefined = " and no p-value (the estimate is 0 too)" if b.estimate[0] == 0 else ""
        alerts.append(
            (
                "the HKSJ standard error is 0 because the studies agree exactly; the "
                f"interval of the mean has zero width{undefined} (use hksj=False)",
                StatisticalWarning,
            )
        )
    elif b.hksj == "adhoc" and b.se[0] == b.se_usual[0]:
        notes.append(
            "modified Knapp-Hartung (ad hoc): the HKSJ scale was below 1 and was floored at 1, "
            "so the interval uses the usual standard error with t on k − 1 df"
        )
    elif b.hksj and b.se[0] < b.se_usual[0]:
        notes.append("HKSJ standard error smaller than the usual one (untruncated, as specified)")
    if method != "FE" and k < 3:
        notes.append("no prediction interval with fewer than 3 studies")
    w = 1.0 / (v + tau2)
    weights = 100 * w / w.sum()
    tau2_ci = q_profile(y, v, level) if (method != "FE" and k >= 2) else None
    z = norm.ppf(0.5 + level / 2)
    fe_est, fe_se = float(b.fe_estimate[0]), float(b.fe_se[0])
    fe = {
        "estimate": fe_est,
        "se": fe_se,
        "ci_low": fe_est - z * fe_se,
        "ci_high": fe_est + z * fe_se,
        "pvalue": float(2 * norm.sf(abs(fe_est / fe_se))),
        "weights": 100 * (1 / v) / (1 / v).sum(),
    }
    return Pooled(
        method=method,
        estimate=float(b.estimate[0]),
        se=float(b.se[0]),
        se_usual=float(b.se_usual[0]),
        ci_low=float(b.ci_low[0]),
        ci_high=float(b.ci_high[0]),
        pi_low=_none(b.pi_low[0]),
        pi_high=_none(b.pi_high[0]),
        statistic=float(b.statistic[0]),
        pvalue=float(b.pvalue[0]),
        df=b.df,
        tau2=tau2,
        tau2_ci=tau2_ci,
        q=float(b.q[0]),
        q_df=k - 1,
        q_pvalue=_none(b.q_pvalue[0]),
        i2=float(b.i2[0]),
        h2=_none(b.h2[0]),
        k=k,
        weights=weights,
        fe=fe,
        converged=converged,
        notes=tuple(notes),
        alerts=tuple(alerts),
    )
