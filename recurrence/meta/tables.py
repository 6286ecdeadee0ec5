"""Meta-analysis straight from a study table (``recurrence.load_studies()``).

* :func:`pool_arm`: one arm's reherniation rate across the studies that report it;
* :func:`compare_studies`: closure against no closure across the two-arm studies;

both optionally by subgroup (``subgroup="device"``). The result keeps the study-table
rows, so meta-regression and cumulative analyses can name columns (``"year"``).
"""

from __future__ import annotations

import dataclasses

import pandas as pd

from ..errors import DataError, Problem
from .models import compare, proportions
from .results import MetaResult, SubgroupResult
from .subgroup import subgroups

__all__ = ["compare_studies", "pool_arm"]

ARMS = ("closure", "control")


def _check_table(studies, needed):
    if not isinstance(studies, pd.DataFrame):
        raise DataError(
            Problem(
                f"expected a study table (DataFrame), got {type(studies).__name__}",
                fix="load it with recurrence.load_studies()",
            )
        )
    missing = [c for c in needed if c not in studies.columns]
    if missing:
        raise DataError(
            Problem(
                f"the study table has no column(s) {missing}",
                fix="load it with recurrence.load_studies(), which maps and checks the columns",
            )
        )


def _with_remarks(result, remarks):
    if not remarks:
        return result
    if isinstance(result, SubgroupResult):
        overall = dataclasses.replace(
            result.overall, remarks=tuple(remarks) + result.overall.remarks
        )
        return dataclasses.replace(result, overall=overall, remarks=tuple(remarks) + result.remarks)
    return dataclasses.replace(result, remarks=tuple(remarks) + result.remarks)


def pool_arm(
    studies: pd.DataFrame,
    arm: str = "control",
    *,
    transform: str = "logit",
    method: str = "REML",
    hksj: bool | str = False,  # or "adhoc", as in compare()
    level: float = 0.95,
    subgroup: str | None = None,
    study_ci: str = "exact",
) -> MetaResult | SubgroupResult:
    """Pool one arm's event rate from a study table.

    Parameters
    ----------
    studies
        A study table (``recurrence.load_studies()``).
    arm
        ``"control"`` (discectomy without closure) or ``"closure"``.
    transform, method, hksj, level, study_ci
        As in :func:`proportions`.
    subgroup
        A column of ``studies`` (e.g. ``"device"``, ``"approach"``): returns a
        :class:`SubgroupResult` with a pooled rate per subgroup.

    Returns
    -------
    MetaResult or SubgroupResult
        The pooled proportion reherniated in that arm (``estimate``, ``ci_low``,
        ``ci_high``, proportions), heterogeneity, and one row per study in ``table``; with
        ``subgroup``, one pooled proportion per level.

    Examples
    --------
    >>> from recurrence import load_studies
    >>> res = pool_arm(load_studies(), arm="control", method="DL")
    >>> res.k, round(res.estimate, 3)
    (7, 0.117)
    """
    if arm not in ARMS:
        raise DataError(Problem(f"arm={arm!r} is not known", fix="use 'closure' or 'control'"))
    events, total = f"events_{arm}", f"total_{arm}"
    _check_table(studies, ["study", events, total])
    keep = studies[events].notna() & studies[total].notna()
    rows = studies.loc[keep]
    remarks = []
    if (~keep).any():
        left = studies.loc[~keep, "study"].astype(str).tolist()
        remarks.append(
            f"{len(left)} stud{'y' if len(left) == 1 else 'ies'} without a {arm} arm "
            f"left out: {', '.join(left)}"
        )
    if rows.empty:
        raise DataError(
            Problem(
                f"no study in the table reports the {arm} arm",
                column=events,
                fix="check the counts",
            )
        )
    res = proportions(
        rows[events].astype(float),
        rows[total].astype(float),
        transform=transform,
        method=method,
        hksj=hksj,
        level=level,
        labels=rows["study"],
        study_ci=study_ci,
        data=rows,
    )
    if subgroup is not None:
        return _with_remarks(subgroups(res, subgroup), remarks)
    return _with_remarks(res, remarks)


def compare_studies(
    studies: pd.DataFrame,
    measure: str = "RR",
    *,
    method: str = "REML",
    hksj: bool | str = False,  # or "adhoc", as in compare()
    level: float = 0.95,
    subgroup: str | None = None,
) -> MetaResult | SubgroupResult:
    """Compare closure with no closure across the two-arm studies of a study table.

    Single-arm series are left out (with a remark). ``measure``, ``method``, ``hksj``,
    ``level`` as in :func:`compare`; ``subgroup`` as in :func:`pool_arm`.

    Parameters
    ----------
    studies : pandas.DataFrame
        A study table (:func:`recurrence.load_studies`): counts ``events_closure``,
        ``total_closure``, ``events_control``, ``total_control`` per study.
    measure : {"RR", "OR", "RD"}
        Risk ratio, odds ratio or risk difference (closure minus no closure, a proportion).
    method : str, default "REML"
        ``"FE"``, a τ² estimator, ``"MH"``, ``"PETO"``, ``"GLMM"`` or ``"bayes"``, as in
        :func:`~recurrence.meta.compare`.
    hksj : bool or "adhoc", default False
        Hartung-Knapp-Sidik-Jonkman interval (inverse-variance random-effects models);
        ``"adhoc"`` its modification never narrower than the usual one, as in
        :func:`~recurrence.meta.compare`.
    level : float, default 0.95
        Confidence level of the intervals.
    subgroup : str, optional
        A column of ``studies`` (e.g. ``"device"``): pool within each of its levels.

    Returns
    -------
    MetaResult or SubgroupResult
        The pooled comparison (see :func:`~recurrence.meta.compare`), or with ``subgroup``
        one pooled comparison per level and the test for subgroup differences.

    Examples
    --------
    >>> from recurrence import load_studies
    >>> res = compare_studies(load_studies(), measure="RR", method="MH")
    >>> res.k, round(res.estimate, 3)
    (7, 0.402)
    """
    cols = ["events_closure", "total_closure", "events_control", "total_control"]
    _check_table(studies, ["study", *cols])
    keep = studies[cols].notna().all(axis=1)
    rows = studies.loc[keep]
    remarks = []
    if (~keep).any():
        left = studies.loc[~keep, "study"].astype(str).tolist()
        remarks.append(f"{len(left)} single-arm studies left out: {', '.join(left)}")
    if rows.empty:
        raise DataError(
            Problem(
                "no study in the table has both arms",
                fix="compare() needs closure and control counts",
            )
        )
    res = compare(
        *(rows[c].astype(float) for c in cols),
        measure=measure,
        method=method,
        hksj=hksj,
        level=level,
        labels=rows["study"],
        data=rows,
    )
    if subgroup is not None:
        return _with_remarks(subgroups(res, subgroup), remarks)
    return _with_remarks(res, remarks)
