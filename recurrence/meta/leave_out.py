"""Sensitivity to single studies: leave one out, influence diagnostics, cumulative
meta-analysis (sensitivity to the method is :mod:`recurrence.meta.method_sensitivity`).

Each refits the model of its input (same method, HKSJ, level; :func:`.models.refit`) on
subsets of the studies. The caveats of the refits (a τ² at 0 once a study is left
out, one study in the first step of a cumulative analysis) go to the remarks in
``DataFrame.attrs["remarks"]`` rather than a warning per refit; non-convergence is
still warned about, once.

The influence diagnostics follow ``metafor::influence.rma.uni`` (3.8) for
inverse-variance models; Mantel-Haenszel, Peto and GLMM fits are diagnosed on the
inverse-variance model that stands in for them (:func:`.models.iv_method`), as said in
the remarks.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from .._dist import chi2
from ..errors import ConvergenceWarning, DataError, Problem, StatisticalWarning, warn
from .models import iv_method, refit
from .pooling import pool
from .results import InfluenceResult, MetaResult, pooled_row

__all__ = ["cumulative", "influence", "leave_one_out"]


def _check(result):
    if not isinstance(result, MetaResult):
        raise DataError(
            Problem(f"expected a result of proportions() or compare(), got {type(result).__name__}")
        )


def _refits(result: MetaResult, masks, labels):
    """Refit on each mask; returns the pooled row of each fit (:func:`pooled_row`) and
    the remarks; warns once on non-convergence. ``masks`` may be a generator, and each
    fit is reduced to its row at once: memory stays linear in the number of studies
    (keeping k fits of k studies each was quadratic: 3,000 studies took 2 GB)."""
    fits, remarks, stuck = [], [], []
    for mask, label in zip(masks, labels, strict=True):
        res, alerts = refit(result, mask)
        fits.append(pooled_row(res))
        del res
        for message, category in alerts:
            if issubclass(category, ConvergenceWarning):
                stuck.append(label)
            remarks.append(f"{label}: {message}")
    if stuck:
        warn(
            f"{result.method} τ² did not converge for {', '.join(map(str, stuck))}; "
            "the DerSimonian-Laird τ² was used there",
            ConvergenceWarning,
        )
    return fits, list(dict.fromkeys(remarks))


COLUMNS = [  # the documented columns first, in order (docs/meta-analysis.md)
    "study",
    "estimate",
    "ci_low",
    "ci_high",
    "tau2",
    "i2",
    "k",
    "pi_low",
    "pi_high",
    "pvalue",
    "q",
    "q_pvalue",
]


def leave_one_out(result: MetaResult) -> pd.DataFrame:
    """The pooled estimate with each study left out in turn.

    Returns a DataFrame with ``study`` (the one left out), ``estimate``, ``ci_low``,
    ``ci_high``, ``tau2``, ``i2`` (natural scale, as the input) and ``k``, ``pi_low``,
    ``pi_high``, ``pvalue``, ``q``, ``q_pvalue``. ``attrs["remarks"]`` holds the caveats
    of the refits.

    Parameters
    ----------
    result : MetaResult
        A pooled comparison or proportion (:func:`~recurrence.meta.compare`,
        :func:`~recurrence.meta.proportions`); its model is refitted k times.

    Returns
    -------
    pandas.DataFrame
        One row per study left out (columns above).

    Examples
    --------
    >>> from recurrence.meta import compare
    >>> from recurrence.meta.datasets import bcg
    >>> b = bcg()  # metafor's dat.bcg: vaccinated vs not, tuberculosis cases
    >>> res = compare(b.events_closure, b.total_closure, b.events_control, b.total_control,
    ...               method="REML")
    >>> loo = leave_one_out(res)
    >>> len(loo), round(float(loo["estimate"].min()), 3), round(float(loo["estimate"].max()), 3)
    (13, 0.452, 0.533)
    """
    _check(result)
    inc = result.table["included"].to_numpy(bool)
    idx = np.flatnonzero(inc)
    labels = result.table["study"].to_numpy(object)[idx]
    if idx.size < 2:
        msg = f"leave-one-out needs at least 2 studies (k = {idx.size}): nothing to leave out"
        warn(msg, StatisticalWarning)
        out = pd.DataFrame(columns=COLUMNS)
        out.attrs["remarks"] = [msg]
        return out

    def masks():
        for i in idx:
            mask = inc.copy()
            mask[i] = False
            yield mask

    fits, remarks = _refits(result, masks(), [f"without {s}" for s in labels])
    out = pd.DataFrame(
        [{"study": s, **r} for s, r in zip(labels, fits, strict=True)], columns=COLUMNS
    )
    out.attrs["remarks"] = remarks
    return out


def cumulative(result: MetaResult, order=None) -> pd.DataFrame:
    """Cumulative meta-analysis: the pooled estimate as studies are added in ``order``.

    Parameters
    ----------
    result
        A pooled comparison or proportion (:func:`~recurrence.meta.compare`,
        :func:`~recurrence.meta.proportions`); its model is refitted at each step.
    order
        Values to sort the studies by (aligned with the rows of ``result.table``; ties
        and missing values keep the input order, missing last), or the name of a column
        of the study table the result was made from. Default: ``"year"`` when the
        result knows its study table and it has that column, else the input order.

    Returns
    -------
    DataFrame
        One row per step: ``study`` (the one added), ``order`` (its value), ``k`` and
        the pooled numbers of the first k studies (natural scale).

    Examples
    --------
    >>> from recurrence.meta import compare
    >>> res = compare([1, 0, 1, 33], [30, 30, 12, 272], [6, 3, 6, 64], [30, 46, 41, 253],
    ...               method="FE", labels=["Cho", "Parker", "Swiss", "Thome"])
    >>> cum = cumulative(res, order=[2019, 2016, 2020, 2018])
    >>> cum["study"].tolist(), cum["k"].tolist()
    (['Parker', 'Thome', 'Cho', 'Swiss'], [1, 2, 3, 4])
    """
    _check(result)
    table = result.table
    data = getattr(result.spec, "data", None)
    if order is None:
        order = data["year"] if data is not None and "year" in data else np.arange(len(table))
    elif isinstance(order, str):
        if data is None or order not in data:
            raise DataError(
                Problem(
                    f"order={order!r} names no column of the study table",
                    fix="pass the values themselves (one per study)",
                )
            )
        order = data[order]
    series = pd.Series(list(order), dtype=object)
    numbers = pd.to_numeric(series, errors="coerce")
    # numbers (years) sort numerically; anything else (labels, dates as text) as given
    values = (
        numbers.to_numpy(float)
        if numbers.notna().sum() == series.notna().sum()
        else series.to_numpy(object)
    )
    if len(values) != len(table):
        raise DataError(
            Problem(
                f"order has {len(values)} values for {len(table)} studies",
                fix="give one value per row of result.table",
            )
        )
    inc = table["included"].to_numpy(bool)
    idx = np.flatnonzero(inc)
    keys = pd.Series(values[idx])
    ranked = idx[
        np.argsort(keys.rank(method="first", na_option="bottom").to_numpy(), kind="stable")
    ]

    def masks():
        mask = np.zeros(len(table), bool)
        for step in ranked:
            mask[step] = True
            yield mask.copy()

    labels = table["study"].to_numpy(object)[ranked]
    fits, remarks = _refits(result, masks(), [f"up to {s}" for s in labels])
    rows = [
        {"study": s, "order": values[i], **r} for s, i, r in zip(labels, ranked, fits, strict=True)
    ]
    out = pd.DataFrame(rows, columns=["study", "order", *COLUMNS[1:]])
    out.attrs["remarks"] = remarks
    return out


def influence(result: MetaResult) -> InfluenceResult:
    """Influence diagnostics per study, as ``metafor::influence`` (Viechtbauer and
    Cheung 2010): externally studentized residuals, DFFITS, Cook's distances,
    covariance ratios, τ² and Q without the study, hat values, weights, DFBETAS.

    Parameters
    ----------
    result : MetaResult
        A pooled comparison or proportion fitted by inverse variance
        (:func:`~recurrence.meta.compare`, :func:`~recurrence.meta.proportions`).

    Returns
    -------
    InfluenceResult
        ``table``: one row per study with ``rstudent``, ``dffits``, ``cook_d``, ``cov_r``,
        ``tau2_del``, ``q_del``, ``hat``, ``weight`` (percent), ``dfbetas`` and
        ``influential`` (metafor's criteria).

    Examples
    --------
    >>> from recurrence.meta import compare
    >>> from recurrence.meta.datasets import bcg
    >>> b = bcg()  # metafor's dat.bcg: vaccinated vs not, tuberculosis cases
    >>> res = compare(b.events_closure, b.total_closure, b.events_control, b.total_control,
    ...               method="REML")
    >>> inf = influence(res)
    >>> inf.table.columns.tolist()[:5], int(inf.table["influential"].sum())
    (['study', 'rstudent', 'dffits', 'cook_d', 'cov_r'], 0)
    """
    _check(result)
    yi = np.asarray(result.yi, float)
    vi = np.asarray(result.vi, float)
    k = yi.size
    if k < 2:
        raise DataError(Problem(f"influence diagnostics need at least 2 studies (k = {k})"))
    method, why = iv_method(result)
    hksj = result.spec.hksj if method == result.spec.method else False
    remarks = [why] if why else []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        full = pool(yi, vi, method=method, hksj=hksj, level=result.level)
        mu, vb = full.estimate, full.se**2
        w = 1 / (vi + full.tau2)
        hat = w / w.sum()
        out = {
            k_: np.full(k, np.nan)
            for k_ in ("rstudent", "dffits", "cook_d", "cov_r", "tau2_del", "q_del", "dfbetas")
        }
        for i in range(k):
            keep = np.arange(k) != i
            d = pool(yi[keep], vi[keep], method=method, hksj=hksj, level=result.level)
            s2w = (d.se / d.se_usual) ** 2 if hksj and d.se_usual > 0 else 1.0
            vdel = d.se**2
            diff = mu - d.estimate
            out["tau2_del"][i] = d.tau2
            out["q_del"][i] = d.q
            out["dffits"][i] = diff / np.sqrt(s2w * hat[i] * (d.tau2 + vi[i]))
            vb_del = 1 / np.sum(1 / (vi + d.tau2))
            out["dfbetas"][i] = diff / np.sqrt(s2w * vb_del)
            out["cook_d"][i] = diff**2 / vb
            out["cov_r"][i] = vdel / vb
            resid = yi[i] - d.estimate
            resid = 0.0 if abs(resid) < 100 * np.finfo(float).eps else resid
            out["rstudent"][i] = resid / np.sqrt(vi[i] * s2w + vdel + d.tau2 * s2w)
    p = 1
    flag = (
        (np.abs(out["dffits"]) > 3 * np.sqrt(p / (k - p)))
        | (chi2.cdf(out["cook_d"], p) > 0.5)
        | (hat > 3 * p / k)
        | (np.abs(out["dfbetas"]) > 1)
    )
    table = pd.DataFrame(
        {
            "study": result.studies,
            "rstudent": out["rstudent"],
            "dffits": out["dffits"],
            "cook_d": out["cook_d"],
            "cov_r": out["cov_r"],
            "tau2_del": out["tau2_del"],
            "q_del": out["q_del"],
            "hat": hat,
            "weight": 100 * hat,
            "dfbetas": out["dfbetas"],
            "influential": flag & np.isfinite(out["dffits"]),
        }
    )
    return InfluenceResult(table=table, remarks=tuple(remarks))
