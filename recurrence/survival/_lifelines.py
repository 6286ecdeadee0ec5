"""Adapter to lifelines: the parametric accelerated-failure-time fits, in one place.

What lifelines does here: the maximum-likelihood fit of the Weibull, log-normal and
log-logistic AFT models to right- or interval-censored data (``WeibullAFTFitter``,
``LogNormalAFTFitter``, ``LogLogisticAFTFitter``, ``fit`` / ``fit_interval_censoring``),
and of the exponential model through lifelines' documented extension point (a
``ParametricRegressionFitter`` with one parameter), with the observed-information
covariance from autograd's exact Hessian. Everything leaves this module on the scale of
R's ``survreg``: ``log T = x'β + σ·W``, coefficients β with the intercept first, and
``log σ`` (``Log(scale)``) with its standard error.

Quirks of lifelines 0.30.3 found while holding it to ``survreg`` (survival 3.5-3), and
what is done about them:

- **Loose default tolerances.** ``LogLogisticAFTFitter`` stops SLSQP at ``ftol=1e-6``
  (on the breast cosmesis data its coefficients were 1.5e-5 from survreg's and its
  log-likelihood 6e-7 short of the maximum), ``WeibullAFTFitter`` at ``ftol=1e-10``
  (2.6e-6), ``LogNormalAFTFitter`` runs BFGS at scipy's ``gtol=1e-5``. Here SLSQP gets
  ``ftol=1e-14`` and BFGS ``gtol=1e-9``; every fit then agrees with survreg to about
  1e-6 (tests/test_survival_interval_r.py states the measured differences).
- **BFGS "precision loss" is an error.** scipy's status 2 ("desired error not
  necessarily achieved due to precision loss") makes lifelines raise
  ``ConvergenceError`` even when the gradient is ~1e-11 (seen with ``gtol=1e-12``);
  the fit is retried with the next looser tolerance of :data:`BFGS_GTOL`.
- **A lower bound of 0 gives NaN gradients** in the log-normal and log-logistic models
  (log 0 inside autograd), so a fit of "reherniated before the first scan", (0, t],
  fails; 0 is replaced by :data:`TINY` months, whose probability is below 1e-100 in
  either model for any scale σ below 3.
- **Parameterisations differ from survreg's**: Weibull ``lambda_`` = β and
  ``rho_`` = 1/σ; log-logistic ``alpha_`` = β and ``beta_`` = 1/σ; log-normal
  ``mu_`` = β and ``sigma_`` = log σ; parameters are stored in alphabetical order of
  the covariates. Converted here (the sign of the log-scale row and column of the
  covariance flips with ρ = 1/σ).
- **No exponential AFT fitter**: one is defined below (``T/exp(x'β)`` cumulative
  hazard), which is lifelines' documented way to add a model.
- **A costly search for its starting point**: before each regression fit lifelines fits
  the model without covariates with its univariate fitter, Nelder-Mead first; that
  model is found here instead (:func:`_started`).
- **Names**: lifelines parses covariate names as formulas, so names such as
  ``level[L4/5]`` cannot be passed; the design matrix goes in as ``x0, x1, …``.
- Warnings of lifelines (low variance, separation) are caught and returned as text for
  the caller to say in its own words.

Not used from lifelines, and why:

- **NPMLE** (``KaplanMeierFitter.fit_interval_censoring``, ``fitters/npmle.py``):
  it treats intervals as closed, [l, r] (lifelines issue #1310, open), so two
  patients with consecutive scan intervals (3, 6] and (6, 12] share a spurious atom at
  6 months, and its support differs from R's (l, r]; it stops on a log-likelihood
  change of 1e-7, builds its interval lookup with an O(patients × intervals) Python
  loop, and its bootstrap is the "basic" one (2·estimate − quantile, which can leave
  [0, 1]). Measured against R's converged Turnbull at the summary months: 0.046 apart
  on the breast cosmesis data (visits in whole months, so intervals share their ends),
  6.6e-4 on the simulated visit cohort (visit days vary). ``survival/_np_turnbull.py``
  follows survfit's (l, r] support and agrees with R to 1e-9.
- **MixtureCureFitter**: it bounds the cure fraction to (0, 1) on the probability
  scale, so when the cure fraction is at or near 0 it returns 1e-9 with a Wald
  interval of about ±0.29 (negative lower bound) on the breast cosmesis data, and has
  no likelihood-ratio interval; ``survival/cure.py`` fits the same likelihood on the
  logit scale with profile-likelihood intervals instead.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["DISTRIBUTIONS", "AFTFit", "fit_aft"]

DISTRIBUTIONS = ("exponential", "weibull", "lognormal", "loglogistic")
#: Stands in for a lower bound of 0 months (see the module docstring).
TINY = 1e-300
#: SLSQP tolerance (Weibull, log-logistic): relative change of the objective.
SLSQP_FTOL = 1e-14
#: BFGS gradient tolerances tried in turn (log-normal, exponential).
BFGS_GTOL = (1e-9, 1e-8, 1e-7, 1e-6)


@dataclass(frozen=True)
class AFTFit:
    """A fit on survreg's scale: ``coef`` (intercept first), ``log_scale`` (0 and fixed
    for the exponential), ``cov`` (of coef and, unless exponential, log_scale),
    ``loglik`` and what lifelines said."""

    coef: np.ndarray
    log_scale: float
    cov: np.ndarray
    loglik: float
    messages: tuple[str, ...] = ()


def _fitter(distribution: str, start: tuple[float, float] | None = None):
    """lifelines' fitter, the names of its location and scale parameters and the sign of
    its scale parameter against log σ. ``start``: survreg's (μ, log σ) of the model
    without covariates, where the fit begins (:func:`_starting`)."""
    import lifelines
    from lifelines.fitters import ParametricRegressionFitter

    if distribution == "weibull":
        return _started(lifelines.WeibullAFTFitter, start, -1.0), "lambda_", "rho_", -1.0
    if distribution == "loglogistic":
        return _started(lifelines.LogLogisticAFTFitter, start, -1.0), "alpha_", "beta_", -1.0
    if distribution == "lognormal":
        return _started(lifelines.LogNormalAFTFitter, start, 1.0), "mu_", "sigma_", 1.0

    class ExponentialAFTFitter(ParametricRegressionFitter):
        """log T = x'β + W, W standard extreme value: H(t) = t / exp(x'β)."""

        _fitted_parameter_names = ("lambda_",)

        def _cumulative_hazard(self, params, T, Xs):
            import autograd.numpy as anp

            return T / anp.exp(anp.dot(Xs["lambda_"], params["lambda_"]))

    return ExponentialAFTFitter(), "lambda_", None, 0.0


def _started(kind, start: tuple[float, float] | None, sign: float):
    """An instance of lifelines' AFT fitter ``kind`` whose fit begins at the model without
    covariates ``start`` = (μ, log σ): the intercepts (location μ, scale parameter
    ``sign``·log σ) there and every coefficient 0, as lifelines means to begin
    (``ParametericAFTRegressionFitter._create_initial_point``, which for the log-normal
    starts at log μ, "technically suboptimal" in its own comment). lifelines finds that
    model with its own univariate fitter, which runs Nelder-Mead (up to 400 steps, each
    with an autograd gradient that Nelder-Mead does not use) before BFGS: 58% of a
    4-distribution comparison on 3,000 imaged patients. ``start`` comes from the cure
    module's likelihood at π = 0 instead (exact gradient, BFGS then Newton), in
    milliseconds. Its private hook is the only way to skip lifelines' search: an
    ``initial_point`` argument is used after that search has run."""
    if start is None:
        return kind()
    mu, log_sigma = start

    class Started(kind):
        def _create_initial_point(self, Ts, E, entries, weights, Xs):
            point = {}
            for param in Xs.columns.get_level_values(0).unique():
                names = list(Xs[param].columns)
                values = np.zeros(len(names))
                if "Intercept" in names:
                    first = names.index("Intercept")
                    values[first] = (
                        mu if param in ("lambda_", "alpha_", "mu_") else sign * log_sigma
                    )
                point[param] = values
            return point

    Started.__name__ = kind.__name__  # lifelines names the model by its class
    return Started()


def _starting(left, right, kind, distribution: str) -> tuple[float, float] | None:
    """survreg's (μ, log σ) without covariates, by maximum likelihood (or ``None``
    when that fails: no event, a diverging scale; lifelines then searches itself)."""
    from ._np_parametric import fit_latency

    with np.errstate(divide="ignore"):
        logl, logr = np.log(left), np.log(right)
    try:
        theta, loglik, ok = fit_latency(distribution, logl, logr, kind, -np.inf)
    except (ValueError, FloatingPointError, np.linalg.LinAlgError):
        return None
    if not (ok and np.isfinite(loglik) and np.all(np.isfinite(theta))):
        return None
    return float(theta[0]), (0.0 if distribution == "exponential" else float(theta[1]))


def _options(fitter) -> list[dict]:
    if fitter._scipy_fit_method == "SLSQP":
        return [{"ftol": SLSQP_FTOL, "maxiter": 1000}]
    return [{"gtol": g, "maxiter": 1000} for g in BFGS_GTOL]


def fit_aft(left, right, kind, x: np.ndarray, distribution: str) -> AFTFit:
    """Fit ``log T = β0 + x'β + σW`` by maximum likelihood with lifelines.

    ``kind`` uses R's codes (0 right-censored at ``left``, 1 exact at ``left``, 3 in
    (``left``, ``right``]); with no code 3 the right-censored ``fit`` is used.

    Examples
    --------
    >>> t = np.array([2., 3, 5, 7, 11, 13]); k = np.array([1, 1, 0, 1, 1, 0])
    >>> fit = fit_aft(t, np.where(k == 0, np.inf, t), k, np.zeros((6, 0)), "exponential")
    >>> round(float(np.exp(fit.coef[0])), 4)   # total time / events = 41 / 4
    10.25
    """
    from lifelines.exceptions import ConvergenceError

    left, right, kind = np.asarray(left, float), np.asarray(right, float), np.asarray(kind)
    # the exponential fitter (below) begins at 0 without a search of its own
    start = None if distribution == "exponential" else _starting(left, right, kind, distribution)
    fitter, primary, ancillary, sign = _fitter(distribution, start)
    k = x.shape[1]
    names = [f"x{j}" for j in range(k)]
    frame = pd.DataFrame(x, columns=names)
    formula = " + ".join(names) if names else "1"
    regressors = None
    if ancillary is None:
        regressors = {primary: formula}
    interval = bool((kind == 3).any())
    if interval:
        frame["lower"] = np.where(kind == 3, np.maximum(left, TINY), left)
        frame["upper"] = np.where(kind == 0, np.inf, right)
    else:
        frame["T"] = left
        frame["E"] = kind == 1
    messages: list[str] = []
    last_error = None
    for opts in _options(fitter):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                if interval:
                    args = {"regressors": regressors} if regressors else {"formula": formula}
                    fitter.fit_interval_censoring(frame, "lower", "upper", fit_options=opts, **args)
                else:
                    args = {"regressors": regressors} if regressors else {"formula": formula}
                    fitter.fit(frame, "T", "E", fit_options=opts, **args)
            except ConvergenceError as err:
                last_error = err
                continue
        messages += [str(w.message).strip().splitlines()[0] for w in caught]
        break
    else:
        first = str(last_error).strip().splitlines()[0] if str(last_error).strip() else ""
        raise RuntimeError(f"lifelines did not converge{': ' + first if first else ''}")
    params = fitter.params_
    cov = fitter.variance_matrix_
    order = [(primary, "Intercept"), *((primary, n) for n in names)]
    if ancillary is not None:
        order.append((ancillary, "Intercept"))
    coef = params.loc[order].to_numpy(dtype=float)
    v = cov.loc[order, order].to_numpy(dtype=float)
    log_scale = 0.0
    if ancillary is not None:
        log_scale = sign * coef[-1]
        coef = coef[:-1]
        flip = np.ones(len(order))
        flip[-1] = sign
        v = v * np.outer(flip, flip)
    return AFTFit(
        coef=coef,
        log_scale=float(log_scale),
        cov=v,
        loglik=float(fitter.log_likelihood_),
        messages=tuple(dict.fromkeys(messages)),
    )
