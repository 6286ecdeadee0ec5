"""statsmodels' ``combine_effects``, with its known flaws corrected, in one place.

recurrence pools with its own vectorized estimators (``recurrence.meta.tau2``,
``recurrence.meta.pooling``):
statsmodels has only DerSimonian-Laird and Paule-Mandel, one analysis per call. This
adapter exists for the cross-checks of the tests (it is not shipped in the wheel), and
corrects, here only:

* DerSimonian-Laird: statsmodels does not floor τ² at 0, so a homogeneous data set
  gets a negative τ² (and a negative I²) and random-effects weights 1/(v − |τ²|);
  here τ² = max(0, τ²) and the random-effects numbers are recomputed from it.
* Paule-Mandel: ``combine_effects`` discards the convergence flag of
  ``_fit_tau_iterative``. That flag matters: the iteration sets τ² to 0 and gives up
  when a Newton step overshoots the root, so heterogeneous data can come back with
  τ² = 0 (flag False); it also reports a true boundary estimate (Q(0) < k − 1) as not
  converged. Here the flag is kept (``converged``), and a boundary estimate counts as
  converged.
"""

from __future__ import annotations

import warnings

import numpy as np

__all__ = ["combine_effects", "combine_many"]


def combine_effects(yi, vi, method: str = "DL", *, atol: float = 1e-10, maxiter: int = 100) -> dict:
    """One analysis through ``statsmodels.stats.meta_analysis.combine_effects``.

    Returns a dict: ``estimate``, ``se`` (random effects), ``tau2``, ``q``, ``i2``
    (percent, floored at 0), ``fe_estimate``, ``fe_se``, ``converged``.

    Examples
    --------
    >>> out = combine_effects([0.2, 0.21, 0.19], [0.04, 0.05, 0.06], "DL")
    >>> out["tau2"], out["i2"]
    (0.0, 0.0)
    """
    from statsmodels.stats import meta_analysis as sm

    y = np.asarray(yi, float)
    v = np.asarray(vi, float)
    k = y.size
    if method == "PM":
        with warnings.catch_warnings(), np.errstate(invalid="ignore"):
            warnings.simplefilter("ignore", RuntimeWarning)
            res = sm.combine_effects(y, v, method_re="pm", atol=atol, maxiter=maxiter)
        tau2, converged = sm._fit_tau_iterative(y, v, tau2_start=0, atol=atol, maxiter=maxiter)
        if tau2 == 0 and res.q <= k - 1:  # boundary: statsmodels says "not converged"
            converged = True
        converged = bool(converged)
    elif method == "DL":
        # its unfloored negative τ² makes sqrt() of negative variances: recomputed below
        with warnings.catch_warnings(), np.errstate(invalid="ignore"):
            warnings.simplefilter("ignore", RuntimeWarning)
            res = sm.combine_effects(y, v, method_re="dl")
        tau2, converged = float(res.tau2), True
    else:
        raise ValueError(f"statsmodels has DL and PM only, not {method!r}")
    tau2 = max(0.0, float(tau2))
    w = 1 / (v + tau2)
    estimate = float(np.sum(w * y) / w.sum())
    q = float(res.q)
    i2 = max(0.0, 100 * (q - (k - 1)) / q) if q > 0 else 0.0
    return {
        "estimate": estimate,
        "se": float(np.sqrt(1 / w.sum())),
        "tau2": tau2,
        "q": q,
        "i2": i2,
        "fe_estimate": float(res.mean_effect_fe),
        "fe_se": float(res.sd_eff_w_fe),
        "converged": converged,
        "raw_tau2": float(res.tau2),
        "raw_i2": float(100 * res.i2),
    }


def combine_many(yi, vi, method: str = "DL") -> dict[str, np.ndarray]:
    """:func:`combine_effects` on each row of ``(m, k)`` arrays (a Python loop: the
    speed statsmodels offers for many analyses)."""
    yi = np.atleast_2d(np.asarray(yi, float))
    vi = np.atleast_2d(np.asarray(vi, float))
    rows = [combine_effects(y, v, method) for y, v in zip(yi, vi, strict=True)]
    return {key: np.array([r[key] for r in rows]) for key in rows[0]}
