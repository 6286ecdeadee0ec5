"""Mixed-effects meta-regression (``metafor::rma(yi, vi, mods = ...)``).

y = Xβ + u + ε with u ~ N(0, τ²), ε_i ~ N(0, v_i). τ² by REML (default; also FE, DL,
HE, ML, PM), β by weighted least squares with weights 1/(v_i + τ²), Wald z tests and
the QM omnibus test of all coefficients but the intercept (χ² on p − 1 df); with
``hksj=True`` the Knapp-Hartung scale, t tests on k − p df and QM as an F test.

Written here: statsmodels' WLS would need τ² from elsewhere and has no REML for this
model. The τ² estimators are the general-X forms of :mod:`.tau2` (one analysis, so
not vectorized), with the same safeguarded Newton-Fisher steps for ML and REML.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import optimize

from .._dist import chi2, fisher_f, norm, student_t
from ..errors import DataError, Problem, StatisticalWarning, warn
from .results import MetaResult, RegressionResult

__all__ = ["design", "fit_regression", "regression"]

REG_METHODS = ("FE", "DL", "HE", "ML", "REML", "PM")


def design(moderators: pd.DataFrame) -> tuple[np.ndarray, list[str]]:
    """Design matrix: an intercept, numbers as given, yes/no as 0/1, categories as
    indicators against their first level (sorted alphabetically ignoring case, as R
    does in the usual locales), named ``column[level]``.

    Examples
    --------
    >>> X, terms = design(pd.DataFrame({"lat": [10, 20, 30], "arm": ["b", "a", "b"]}))
    >>> terms, X[:, 2].tolist()
    (['intercept', 'lat', 'arm[b]'], [1.0, 0.0, 1.0])
    """
    cols, terms = [np.ones(len(moderators))], ["intercept"]
    for name in moderators.columns:
        s = moderators[name]
        if pd.api.types.is_bool_dtype(s):
            cols.append(s.astype(float).to_numpy())
            terms.append(str(name))
        elif pd.api.types.is_numeric_dtype(s):
            cols.append(s.astype(float).to_numpy())
            terms.append(str(name))
        else:
            levels = sorted(s.dropna().astype(str).unique(), key=lambda x: (x.casefold(), x))
            for level in levels[1:]:
                cols.append((s.astype(str) == level).astype(float).to_numpy())
                terms.append(f"{name}[{level}]")
    return np.column_stack(cols), terms


def _p_matrix(X, w):
    W = np.diag(w)
    xtwx_inv = np.linalg.inv(X.T @ W @ X)
    return W - W @ X @ xtwx_inv @ X.T @ W, xtwx_inv


def _tau2(y, v, X, method, tol=1e-10, maxiter=200):
    k, p = X.shape
    if method == "FE":
        return 0.0, True
    if method == "DL":
        P, _ = _p_matrix(X, 1 / v)
        return max(0.0, float((y @ P @ y - (k - p)) / np.trace(P))), True
    if method == "HE" or method in ("ML", "REML"):
        P_ols = np.eye(k) - X @ np.linalg.inv(X.T @ X) @ X.T
        he = max(0.0, float((y @ P_ols @ y - np.trace(P_ols * v)) / (k - p)))
        if method == "HE":
            return he, True
    if method == "PM":

        def q(t):
            P, _ = _p_matrix(X, 1 / (v + t))
            return float(y @ P @ y) - (k - p)

        if q(0.0) <= 0:
            return 0.0, True
        hi = 1.0
        while q(hi) > 0:
            hi *= 4
        return float(optimize.brentq(q, 0.0, hi, xtol=1e-14, rtol=1e-13)), True
    # ML / REML: Newton where concave, Fisher elsewhere, bisection inside the bracket
    t, lo, hi_b = he, 0.0, np.inf
    for _ in range(maxiter):
        w = 1 / (v + t)
        P, _ = _p_matrix(X, w)
        Py = P @ y
        yppy = float(Py @ Py)
        ypppy = float(Py @ P @ Py)
        if method == "REML":
            PP = P @ P
            score, info, dscore = yppy - np.trace(P), np.trace(PP), -2 * ypppy + np.trace(PP)
        else:
            score, info, dscore = yppy - w.sum(), float(w @ w), -2 * ypppy + float(w @ w)
        if score > 0:
            lo = max(lo, t)
        else:
            hi_b = min(hi_b, t)
        if t == 0 and score <= 0:
            return 0.0, True
        new = t - score / dscore if dscore < 0 else t + score / info
        if new < lo or new > hi_b or not np.isfinite(new):
            new = 0.5 * (lo + hi_b)
        if abs(new - t) <= tol or hi_b - lo <= tol:
            return (0.0 if new <= 100 * tol else float(new)), True
        t = new
    return t, False


def fit_regression(yi, vi, X, terms, *, method="REML", hksj=False, level=0.95):
    """Fit y = Xβ + u + ε; returns a dict of every number (model scale)."""
    y = np.asarray(yi, float)
    v = np.asarray(vi, float)
    k, p = X.shape
    tau2, converged = _tau2(y, v, X, method)
    w = 1 / (v + tau2)
    _, vb = _p_matrix(X, w)
    beta = vb @ X.T @ (w * y)
    df = None
    if hksj:
        rss = float(np.sum(w * (y - X @ beta) ** 2))
        s2w = 0.0 if rss <= np.finfo(float).eps else rss / (k - p)
        vb = vb * s2w
        df = k - p
    se = np.sqrt(np.diag(vb))
    stat = beta / se
    m = p - 1
    qm = float(beta[1:] @ np.linalg.solve(vb[1:, 1:], beta[1:])) if m > 0 else 0.0
    if df is not None:
        pval = 2 * student_t.sf(np.abs(stat), df)
        crit = student_t.ppf(0.5 + level / 2, df)
        qm = qm / m if m > 0 else 0.0
        qm_p = float(fisher_f.sf(qm, m, df)) if m > 0 else 1.0
    else:
        pval = 2 * norm.sf(np.abs(stat))
        crit = norm.ppf(0.5 + level / 2)
        qm_p = float(chi2.sf(qm, m)) if m > 0 else 1.0
    P0, _ = _p_matrix(X, 1 / v)
    qe = max(0.0, float(y @ P0 @ y))
    qe_df = k - p
    qe_p = float(chi2.sf(qe, qe_df)) if qe_df > 0 else None
    i2 = max(0.0, 100 * (qe - qe_df) / qe) if qe > 0 and qe_df > 0 else 0.0
    # R²: proportion of τ² accounted for (metafor's default); for FE the weighted adj. R²
    if method == "FE":
        wf = 1 / v
        ybar = np.sum(wf * y) / wf.sum()
        tss = float(np.sum(wf * (y - ybar) ** 2))
        r2 = 0.0 if tss == 0 else max(0.0, 100 * (1 - (qe / tss) * (k - 1) / (k - p)))
    else:
        tau2_0, _ = _tau2(y, v, np.ones((k, 1)), method)
        r2 = 0.0 if tau2_0 == 0 else max(0.0, 100 * (tau2_0 - tau2) / tau2_0)
    table = pd.DataFrame(
        {
            "coef": beta,
            "se": se,
            "statistic": stat,
            "pvalue": pval,
            "ci_low": beta - crit * se,
            "ci_high": beta + crit * se,
        },
        index=pd.Index(terms, name="term"),
    )
    return {
        "table": table,
        "tau2": tau2,
        "qm": qm,
        "qm_df": m,
        "qm_pvalue": qm_p,
        "qe": qe,
        "qe_df": qe_df,
        "qe_pvalue": qe_p,
        "i2": i2,
        "r2": r2,
        "k": k,
        "df": df,
        "converged": converged,
        "vb": vb,
    }


def regression(
    result: MetaResult,
    moderators,
    *,
    method: str = "REML",
    hksj: bool = False,
    level: float | None = None,
) -> RegressionResult:
    """Mixed-effects meta-regression of ``result``'s per-study effects on moderators.

    Parameters
    ----------
    result
        A result of :func:`proportions` or :func:`compare` (its model-scale effects:
        log RR, log OR, RD, logit proportion, … are regressed).
    moderators
        A DataFrame aligned with the studies (one row per row of ``result.table``, or
        per study in the analysis), or a list of column names of the study table the
        result was made from (``data=``, or :func:`pool_arm`/:func:`compare_studies`).
        Numbers are used as given, yes/no as 0/1, text as indicators against the first
        level (alphabetical). Studies with a missing moderator are left out (with a warning).
    method
        τ² estimator: ``"REML"`` (the default), or ``"FE"``, ``"DL"``, ``"HE"``, ``"ML"``,
        ``"PM"``.
    hksj
        Knapp-Hartung t and F tests instead of Wald z and χ².
    level
        Confidence level of the coefficient intervals (default: that of ``result``).

    Returns
    -------
    RegressionResult
        ``table`` indexed by term (``intercept`` first) with ``coef``, ``se``,
        ``pvalue`` (and ``statistic``, ``ci_low``, ``ci_high``, ``ratio`` for RR/OR);
        ``qm``, ``qm_pvalue``, ``tau2`` (residual), ``qe``, ``r2``.

    Examples
    --------
    >>> from recurrence.meta import compare
    >>> from recurrence.meta.datasets import bcg
    >>> b = bcg()  # metafor's dat.bcg: vaccinated vs not, tuberculosis cases
    >>> res = compare(b.events_closure, b.total_closure, b.events_control, b.total_control,
    ...               method="REML")
    >>> latitude = [44, 55, 42, 52, 13, 44, 19, 13, 27, 42, 18, 33, 33]
    >>> reg = regression(res, pd.DataFrame({"ablat": latitude}))
    >>> reg.table.index.tolist(), round(float(reg.table.loc["ablat", "coef"]), 4)
    (['intercept', 'ablat'], -0.0291)
    >>> round(reg.qm, 2), round(reg.tau2, 4)
    (16.36, 0.0763)
    """
    if not isinstance(result, MetaResult):
        raise DataError(
            Problem(f"expected a result of proportions() or compare(), got {type(result).__name__}")
        )
    if method not in REG_METHODS:
        raise DataError(
            Problem(
                f"method={method!r} is not available for meta-regression",
                fix=f"use one of {', '.join(REG_METHODS)}",
            )
        )
    level = result.level if level is None else level
    table = result.table
    inc = table["included"].to_numpy(bool)
    if isinstance(moderators, (list, tuple, str)):
        names = [moderators] if isinstance(moderators, str) else list(moderators)
        data = getattr(result.spec, "data", None)
        if data is None or any(n not in data for n in names):
            raise DataError(
                Problem(
                    f"moderators {names} are not columns of the study table the "
                    "result was made from",
                    fix="pass a DataFrame of moderators",
                )
            )
        moderators = data[names]
    if isinstance(moderators, pd.Series):
        moderators = moderators.to_frame()
    if not isinstance(moderators, pd.DataFrame):
        raise DataError(Problem(f"moderators must be a DataFrame, got {type(moderators).__name__}"))
    mods = moderators.reset_index(drop=True)
    if len(mods) == len(table):
        mods = mods.loc[inc].reset_index(drop=True)
    elif len(mods) != int(inc.sum()):
        raise DataError(
            Problem(
                f"moderators have {len(moderators)} rows; the result has "
                f"{len(table)} studies ({int(inc.sum())} in the analysis)",
                fix="give one row per study, in the order of result.table",
            )
        )
    yi, vi = np.asarray(result.yi, float), np.asarray(result.vi, float)
    labels = np.asarray(result.studies, dtype=object)
    remarks = []
    missing = mods.isna().any(axis=1).to_numpy()
    if missing.any():
        msg = (
            f"{int(missing.sum())} studies with a missing moderator left out: "
            f"{', '.join(map(str, labels[missing]))}"
        )
        warn(msg, StatisticalWarning)
        remarks.append(msg)
        mods, yi, vi = mods.loc[~missing].reset_index(drop=True), yi[~missing], vi[~missing]
    X, terms = design(mods)
    k, p = X.shape
    if k <= p:
        raise DataError(
            Problem(
                f"{p} coefficients need more than {p} studies (k = {k})", fix="use fewer moderators"
            )
        )
    if np.linalg.matrix_rank(X) < p:
        raise DataError(
            Problem(
                f"the moderators are collinear (terms {terms})",
                fix="drop a redundant moderator or merge categories",
            )
        )
    fit = fit_regression(yi, vi, X, terms, method=method, hksj=hksj, level=level)
    if not fit["converged"]:  # pragma: no cover - the safeguarded steps converge
        msg = f"{method} τ² of the meta-regression did not converge"
        warn(msg, StatisticalWarning)
        remarks.append(msg)
    tab = fit["table"]
    if result.is_ratio:
        tab["ratio"] = np.exp(tab["coef"])
    scale = {"proportion": f"{result.scale} proportion"}.get(
        result.measure, f"log {result.measure}" if result.is_ratio else result.measure
    )
    remarks.append(f"coefficients on the {scale} scale")
    return RegressionResult(
        table=tab,
        qm=fit["qm"],
        qm_df=fit["qm_df"],
        qm_pvalue=fit["qm_pvalue"],
        qe=fit["qe"],
        qe_df=fit["qe_df"],
        qe_pvalue=fit["qe_pvalue"],
        tau2=fit["tau2"],
        i2=fit["i2"],
        r2=fit["r2"],
        k=k,
        method=method,
        test="t" if hksj else "z",
        remarks=tuple(remarks),
    )
