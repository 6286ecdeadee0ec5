"""Small-study effects: Egger's and Begg's tests, Duval and Tweedie's trim and fill,
and the data of a contour-enhanced funnel plot.

* :func:`egger_test`: the classical weighted regression of the effect on its standard
  error (weights 1/vi, ``metafor::regtest(model = "lm")``); the statistic is the
  t-value of the standard-error term, on k − 2 df.
* :func:`begg_test`: Kendall's tau between the standardized deviates
  (yi − θ̂)/√(vi − 1/Σw) and the variances (``metafor::ranktest``): exact p-value
  without ties, normal approximation with ties.
* :func:`trim_and_fill`: the L0 estimator on the model of the input, iterated until
  the number of missing studies is stable (``metafor::trimfill``); the side to fill
  is the one opposite the sign of Egger's regression slope when not given.

Written here rather than taken from statsmodels: it has none of the three.
"""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np
import pandas as pd

from .._dist import student_t
from .._ranks import kendall_tau, rank
from ..errors import DataError, Problem, StatisticalWarning, warn
from .effects import back_transform
from .models import from_effects, iv_method
from .results import BiasTest, MetaResult, TrimFillResult

__all__ = ["begg_test", "egger_test", "trim_and_fill"]


def _effects(result) -> tuple[np.ndarray, np.ndarray]:
    if not isinstance(result, MetaResult):
        raise DataError(
            Problem(f"expected a result of proportions() or compare(), got {type(result).__name__}")
        )
    return np.asarray(result.yi, float), np.asarray(result.vi, float)


def _egger_fit(yi, vi):
    """Weighted least squares of yi on (1, sei); coefficients, SEs, residual df."""
    X = np.column_stack([np.ones_like(yi), np.sqrt(vi)])
    w = 1 / vi
    XtW = X.T * w
    cov_unscaled = np.linalg.inv(XtW @ X)
    beta = cov_unscaled @ XtW @ yi
    df = yi.size - 2
    sigma2 = float(np.sum(w * (yi - X @ beta) ** 2) / df)
    return beta, np.sqrt(np.diag(cov_unscaled) * sigma2), df


def egger_test(result: MetaResult, model: str = "lm") -> BiasTest:
    """Egger's regression test for funnel-plot asymmetry.

    Parameters
    ----------
    result
        A result of :func:`~recurrence.meta.compare` or :func:`~recurrence.meta.proportions`.
    model
        ``"lm"`` (the default here): the classical test, a weighted linear regression of
        the effects on their standard errors with a multiplicative dispersion term (Egger
        1997; metafor ``regtest(model="lm")``), whatever the pooling method. ``"rma"``:
        metafor's own default, a mixed-effects meta-regression on the standard error
        with the result's τ² estimator (REML when it has none) and its test (z, or
        Knapp-Hartung t when the result used HKSJ).

    Returns
    -------
    BiasTest
        ``statistic`` (t- or z-value of the standard-error term), ``pvalue``, ``df``
        (k − 2 for t, ``None`` for z), ``estimate`` (the intercept: the effect of a
        study with standard error 0, natural scale) and the coefficient table.

    Examples
    --------
    >>> from recurrence.meta import compare
    >>> from recurrence.meta.datasets import bcg
    >>> b = bcg()  # metafor's dat.bcg: vaccinated vs not, tuberculosis cases
    >>> res = compare(b.events_closure, b.total_closure, b.events_control, b.total_control,
    ...               method="REML")
    >>> test = egger_test(res)
    >>> round(test.statistic, 3), round(test.pvalue, 3), test.df
    (-1.401, 0.189, 11.0)
    """
    if model not in ("lm", "rma"):
        raise DataError(
            Problem(f"model must be 'lm' or 'rma', not {model!r}", fix="'lm' is Egger's test"),
            loading=False,
        )
    yi, vi = _effects(result)
    k = yi.size
    remarks = []
    if model == "rma" and k >= 3:
        return _egger_rma(result, yi, vi)
    if k < 3:
        msg = (
            f"Egger's test needs at least 3 studies (k = {k}): no test; statistic and "
            "p-value are NaN"
        )
        warn(msg, StatisticalWarning)
        return BiasTest("Egger's regression test", float("nan"), float("nan"), k, remarks=(msg,))
    beta, se, df = _egger_fit(yi, vi)
    if se[1] == 0 or not np.isfinite(se[1]):
        msg = (
            "Egger's regression fits the studies exactly (residual variance 0): the test "
            "statistic is undefined (NaN)"
        )
        warn(msg, StatisticalWarning)
        return BiasTest(
            "Egger's regression test", float("nan"), float("nan"), k, df=float(df), remarks=(msg,)
        )
    t = float(beta[1] / se[1])
    p = float(2 * student_t.sf(abs(t), df))
    if k < 10:
        remarks.append(f"only {k} studies: tests for funnel asymmetry have little power below 10")
    table = pd.DataFrame(
        {
            "coef": beta,
            "se": se,
            "statistic": beta / se,
            "pvalue": 2 * student_t.sf(np.abs(beta / se), df),
        },
        index=pd.Index(["intercept", "sei"], name="term"),
    )
    scale = "logit" if result.scale == "glmm" else result.scale
    nh = (
        result.table.loc[result.table["included"], "total"].to_numpy(float)
        if scale == "ft"
        else None
    )
    return BiasTest(
        "Egger's regression test",
        t,
        p,
        k,
        table=table,
        df=float(df),
        estimate=float(back_transform(beta[0], scale, nh)),
        remarks=tuple(remarks),
    )


def _egger_rma(result: MetaResult, yi, vi) -> BiasTest:
    """regtest(model="rma"): yi ~ sei as a mixed-effects meta-regression."""
    from .metaregression import REG_METHODS, fit_regression

    k = yi.size
    method = result.method if result.method in REG_METHODS else "REML"
    X = np.column_stack([np.ones(k), np.sqrt(vi)])
    fit = fit_regression(
        yi, vi, X, ["intercept", "sei"], method=method, hksj=bool(result.hksj), level=0.95
    )
    table = fit["table"][["coef", "se", "statistic", "pvalue"]]
    remarks = [f"metafor's variant: meta-regression on the standard error ({method} τ²)"]
    if k < 10:
        remarks.append(f"only {k} studies: tests for funnel asymmetry have little power below 10")
    scale = "logit" if result.scale == "glmm" else result.scale
    nh = (
        result.table.loc[result.table["included"], "total"].to_numpy(float)
        if scale == "ft"
        else None
    )
    return BiasTest(
        "Egger's regression test (meta-regression)",
        float(table.loc["sei", "statistic"]),
        float(table.loc["sei", "pvalue"]),
        k,
        table=table,
        df=None if fit["df"] is None else float(fit["df"]),
        estimate=float(back_transform(table.loc["intercept", "coef"], scale, nh)),
        remarks=tuple(remarks),
    )


def begg_test(result: MetaResult) -> BiasTest:
    """Begg and Mazumdar's rank correlation test: ``statistic`` is Kendall's tau.

    Parameters
    ----------
    result
        A result of :func:`~recurrence.meta.compare` or :func:`~recurrence.meta.proportions`.

    Returns
    -------
    BiasTest
        ``statistic`` (Kendall's tau between the standardized deviates and the
        variances), ``pvalue`` (exact without ties, normal approximation with them, as
        R's ``cor.test``) and ``k``.

    Examples
    --------
    >>> from recurrence.meta import compare
    >>> from recurrence.meta.datasets import bcg
    >>> b = bcg()  # metafor's dat.bcg: vaccinated vs not, tuberculosis cases
    >>> res = compare(b.events_closure, b.total_closure, b.events_control, b.total_control,
    ...               method="REML")
    >>> test = begg_test(res)
    >>> round(test.statistic, 3), round(test.pvalue, 3)
    (0.026, 0.952)
    """
    yi, vi = _effects(result)
    k = yi.size
    if k < 3:
        msg = f"Begg's test needs at least 3 studies (k = {k}): no test; statistic and p-value NaN"
        warn(msg, StatisticalWarning)
        return BiasTest(
            "Begg's rank correlation test", float("nan"), float("nan"), k, remarks=(msg,)
        )
    w = 1 / vi
    theta = np.sum(w * yi) / np.sum(w)
    vstar = vi - 1 / np.sum(w)
    ystar = (yi - theta) / np.sqrt(vstar)
    tau, p, ties = kendall_tau(ystar, vi)
    remarks = ["ties: p-value from the normal approximation"] if ties else []
    if k < 10:
        remarks.append(f"only {k} studies: tests for funnel asymmetry have little power below 10")
    table = pd.DataFrame({"study": result.studies, "deviate": ystar, "variance": vi})
    return BiasTest("Begg's rank correlation test", tau, p, k, table=table, remarks=tuple(remarks))


def _l0(yi_sorted, estimate):
    """Duval and Tweedie's L0 and its SE (metafor::trimfill), from sorted effects."""
    k = yi_sorted.size
    c = yi_sorted - estimate
    ranks = rank(np.abs(c), method="ordinal")
    sr = float(np.sum(ranks[c > 0]))
    k0 = (4 * sr - k * (k + 1)) / (2 * k - 1)
    var_sr = (
        k * (k + 1) * (2 * k + 1)
        + 10 * k0**3
        + 27 * k0**2
        + 17 * k0
        - 18 * k * k0**2
        - 18 * k * k0
        + 6 * k**2 * k0
    ) / 24
    se = 4 * np.sqrt(max(var_sr, 0)) / (2 * k - 1)
    return max(0, int(np.round(k0))), float(max(0.0, se))


def trim_and_fill(
    result: MetaResult, side: str | None = None, *, maxiter: int = 100
) -> TrimFillResult:
    """Duval and Tweedie's trim and fill (L0) on the model of ``result``.

    Parameters
    ----------
    result
        A result of :func:`proportions` or :func:`compare`.
    side
        ``"left"`` or ``"right"``: where studies are missing. Default: opposite the
        sign of Egger's regression slope (a positive slope, small studies with large
        effects, means missing studies on the left).
    maxiter
        Iterations of the trim-and-refit loop before giving up (metafor's default, 100).

    Returns
    -------
    TrimFillResult
        The same kind of result refitted with the filled studies (``table`` has them
        last, ``filled`` True), plus ``k0`` (studies filled), ``side`` and ``se_k0``.

    Examples
    --------
    >>> from recurrence.meta import compare
    >>> from recurrence.meta.datasets import bcg
    >>> b = bcg()  # metafor's dat.bcg: vaccinated vs not, tuberculosis cases
    >>> res = compare(b.events_closure, b.total_closure, b.events_control, b.total_control,
    ...               method="REML")
    >>> tf = trim_and_fill(res)
    >>> tf.k0, tf.side, round(tf.estimate, 3)
    (1, 'right', 0.518)
    """
    yi, vi = _effects(result)
    k = yi.size
    method, why = iv_method(result)
    if k < 3:
        raise DataError(
            Problem(
                f"trim and fill needs at least 3 studies (k = {k})",
                fix="there is no funnel to fill with fewer studies",
            )
        )
    if side is None:
        beta, _, _ = _egger_fit(yi, vi)
        side = "right" if beta[1] < 0 else "left"
    elif side not in ("left", "right"):
        raise DataError(Problem(f"side={side!r} must be 'left' or 'right'"))
    sign = -1.0 if side == "right" else 1.0
    y = sign * yi
    order = np.argsort(y, kind="stable")
    ys, vs = y[order], vi[order]
    from .pooling import pool

    k0, k0_prev, se_k0 = 0, -1, 0.0
    for _ in range(maxiter):
        if k0 == k0_prev:
            break
        k0_prev = k0
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            beta = pool(ys[: k - k0], vs[: k - k0], method=method).estimate
        k0, se_k0 = _l0(ys, beta)
    else:  # pragma: no cover - L0 settles in a few steps
        raise DataError(Problem(f"trim and fill did not settle in {maxiter} iterations"))
    table = result.table
    labels = table.loc[table["included"], "study"].tolist()
    n = table.loc[table["included"], "total"].to_numpy(float) if result.scale == "ft" else None
    remarks = [why] if why else []
    if k0 > 0:
        filled_y = sign * (2 * beta - ys[k - k0 :])
        yi_all = np.concatenate([yi, filled_y])
        vi_all = np.concatenate([vi, vs[k - k0 :]])
        labels = labels + [f"Filled {i}" for i in range(1, k0 + 1)]
        if n is not None:
            n = np.concatenate([n, n[order][k - k0 :]])
    else:
        yi_all, vi_all = yi, vi
    filled = np.r_[np.zeros(k, bool), np.ones(k0, bool)]
    counts = {}
    observed = table.loc[table["included"]]
    for col in (
        "events",
        "total",
        "events_closure",
        "total_closure",
        "events_control",
        "total_control",
    ):
        if col in observed:
            counts[col] = pd.array(list(observed[col]) + [pd.NA] * k0, dtype="Int64")
    refit, alerts = from_effects(
        result,
        yi_all,
        vi_all,
        labels,
        n=n,
        method=method,
        extra_columns={**counts, "filled": filled},
    )
    for message, category in alerts:
        warn(message, category)
    remarks.append(
        f"{k0} stud{'y' if k0 == 1 else 'ies'} filled on the {side} (L0, SE {se_k0:.2f})"
    )
    fields = {f.name: getattr(refit, f.name) for f in dataclasses.fields(refit)}
    fields["remarks"] = tuple(remarks) + refit.remarks
    return TrimFillResult(**fields, k0=k0, side=side, se_k0=se_k0)
