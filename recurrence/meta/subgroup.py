"""Subgroup analyses: the model of a result refitted within each subgroup, and the test
for subgroup differences.

The test is Cochran's Q across the subgroup estimates (model scale) with weights
1/SE², each subgroup with its own τ² (Borenstein et al. 2009, ch. 19; RevMan; the
``meta`` package's random-effects ``Q.b``), on G − 1 df. ``tests`` adds the
mixed-effects moderator test with a τ² common to all subgroups (the QM of
``metafor::rma(yi, vi, mods = ~ factor(group))``).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from .._dist import chi2
from ..errors import ConvergenceWarning, DataError, Problem, warn
from .metaregression import REG_METHODS, regression
from .models import refit
from .results import MetaResult, SubgroupResult, pooled_row

__all__ = ["subgroups"]


def _groups(result: MetaResult, groups):
    data = getattr(result.spec, "data", None)
    name = "subgroup"
    if isinstance(groups, str):
        if data is None or groups not in data:
            raise DataError(
                Problem(
                    f"subgroup={groups!r} names no column of the study table",
                    fix="pass the labels themselves (one per study)",
                )
            )
        name = groups
        groups = data[groups]
    elif isinstance(groups, pd.Series) and groups.name is not None:
        name = str(groups.name)
    values = pd.Series(list(groups), dtype=object)
    if len(values) != len(result.table):
        raise DataError(
            Problem(
                f"{len(values)} subgroup labels for {len(result.table)} studies",
                fix="give one label per row of result.table",
            )
        )
    return values, name


def subgroups(result: MetaResult, groups) -> SubgroupResult:
    """Pool ``result``'s model within each subgroup and test for subgroup differences.

    Parameters
    ----------
    result
        A result of :func:`proportions` or :func:`compare` (or of :func:`pool_arm` /
        :func:`compare_studies`).
    groups
        One label per row of ``result.table``, or the name of a column of the study
        table the result was made from (e.g. ``"device"``). Studies without a label
        are left out of the subgroups (not of ``overall``).

    Returns
    -------
    SubgroupResult
        ``table`` with one pooled estimate per subgroup (natural scale), ``overall``
        (``result`` itself), ``q_between``, ``df_between`` and its p-value.

    Examples
    --------
    >>> from recurrence.meta import compare
    >>> res = compare([1, 0, 1, 0, 0], [30, 30, 12, 40, 35], [6, 3, 6, 3, 4], [30, 46, 41, 42, 47],
    ...               method="FE")
    >>> sub = subgroups(res, ["ACD", "ACD", "ACD", "suture", "suture"])
    >>> sub.table["subgroup"].tolist(), sub.df_between
    (['ACD', 'suture'], 1)
    """
    if not isinstance(result, MetaResult):
        raise DataError(
            Problem(f"expected a result of proportions() or compare(), got {type(result).__name__}")
        )
    values, name = _groups(result, groups)
    present = values.notna().to_numpy()
    levels = sorted({str(v) for v in values[present]}, key=lambda x: (x.casefold(), x))
    labels = values.where(present, None).map(lambda v: None if v is None else str(v))
    remarks = []
    if not present.all():
        missing = int((~present).sum())
        remarks.append(
            f"{missing} stud{'y' if missing == 1 else 'ies'} without a {name} left out of the "
            "subgroups"
        )
    results, rows, stuck = {}, [], []
    for level in levels:
        mask = (labels == level).to_numpy()
        try:
            res, alerts = refit(result, mask)
        except DataError as err:
            remarks.append(f"{name} {level}: not estimable ({err.problems[0].message})")
            continue
        for message, category in alerts:
            remarks.append(f"{name} {level}: {message}")
            if issubclass(category, ConvergenceWarning):
                stuck.append(level)
        results[level] = res
        rows.append(
            {
                "subgroup": level,
                **pooled_row(res),
                "estimate_model": res.estimate_model,
                "se_model": res.se,
            }
        )
    if stuck:
        warn(
            f"{result.method} τ² did not converge in subgroups {', '.join(stuck)}; "
            "the DerSimonian-Laird τ² was used there",
            ConvergenceWarning,
        )
    table = pd.DataFrame(rows)
    g = len(rows)
    if g >= 2:
        b = table["estimate_model"].to_numpy(float)
        w = 1 / table["se_model"].to_numpy(float) ** 2
        q_b = float(np.sum(w * (b - np.sum(w * b) / w.sum()) ** 2))
        p_b = float(chi2.sf(q_b, g - 1))
    else:
        q_b, p_b = 0.0, None
        remarks.append("fewer than 2 subgroups: no test for subgroup differences")
    tests = [
        {"test": "subgroup differences (separate τ²)", "statistic": q_b, "df": g - 1, "pvalue": p_b}
    ]
    if g >= 2 and result.method in (*REG_METHODS, "EB", "SJ", "MH", "PETO", "GLMM", "bayes"):
        method = result.method if result.method in REG_METHODS else "REML"
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                reg = regression(result, pd.DataFrame({name: labels}), method=method)
            tests.append(
                {
                    "test": f"moderator QM (common τ², {method})",
                    "statistic": reg.qm,
                    "df": reg.qm_df,
                    "pvalue": reg.qm_pvalue,
                }
            )
        except DataError as err:
            remarks.append(f"no common-τ² moderator test: {err.problems[0].message}")
    return SubgroupResult(
        table=table,
        results=results,
        overall=result,
        q_between=q_b,
        df_between=g - 1,
        pvalue_between=p_b,
        tests=pd.DataFrame(tests),
        by=name,
        remarks=tuple(dict.fromkeys(remarks)),
    )
