"""Turning a cohort table into the arrays the survival estimators work on.

One place for: checking the cohort table (:func:`recurrence._validate.check_cohort`:
``time``, ``event`` and, when used, ``closure``), group labels (the
``closure`` column becomes ``"no closure"``/``"closure"``, the reference group first),
dropping rows with a missing grouping value or covariate (and saying so), and building
covariate matrices.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .._arms import group_labels
from .._validate import check_cohort
from ..errors import DataError, Problem

__all__ = ["SurvivalData", "prepare"]


@dataclass(frozen=True)
class SurvivalData:
    """Arrays for one analysis, rows in the cohort's order (not sorted).

    ``group`` holds integer codes into ``groups`` (labels, reference first); ``x`` the
    covariate matrix (float, one column per entry of ``terms``), ``strata`` integer
    codes or ``None``. ``dropped`` counts rows left out for missing values.
    """

    time: np.ndarray
    event: np.ndarray
    group: np.ndarray
    groups: tuple[str, ...]
    x: np.ndarray
    terms: tuple[str, ...]
    strata: np.ndarray | None = None
    strata_labels: tuple[str, ...] = ()
    cluster: np.ndarray | None = None
    weights: np.ndarray | None = None
    dropped: int = 0
    remarks: tuple[str, ...] = field(default=())

    @property
    def n(self) -> int:
        return len(self.time)


def design_matrix(cohort: pd.DataFrame, covariates) -> tuple[pd.DataFrame, list[str]]:
    """Numeric design matrix: numbers as given, yes/no as 0/1, categories as indicators
    against their first (sorted) level, named ``column[level]``; interaction terms
    (``"closure:approach"``, ``"closure*sex"``) coded as R's ``model.matrix``
    (:mod:`recurrence.survival._terms`)."""
    from ._terms import model_matrix

    return model_matrix(cohort, covariates)


def prepare(
    cohort: pd.DataFrame,
    by: str | None = "closure",
    *,
    covariates=(),
    strata: str | None = None,
    cluster: str | None = None,
    weights: str | np.ndarray | None = None,
) -> SurvivalData:
    """Extract and check what a survival estimator needs from a cohort table.

    The table is checked first (:func:`~recurrence._validate.check_cohort`: ``time``,
    ``event``, and ``closure`` when it is ``by``, a covariate, the strata or the
    cluster). Rows with a missing ``by``, covariate, stratum or cluster value are left
    out, and a remark says how many.

    Examples
    --------
    >>> from recurrence import load_cohort
    >>> d = prepare(load_cohort(), "closure")
    >>> d.groups, d.n
    (('no closure', 'closure'), 2000)
    """
    from ._terms import term_variables

    check_cohort(cohort, uses=[by, *term_variables(list(covariates)), strata, cluster])
    keep = pd.Series(True, index=cohort.index)
    if by is not None:
        if by not in cohort.columns:
            raise DataError(
                Problem(
                    f"grouping column '{by}' is not in the cohort",
                    fix=f"use one of {list(cohort.columns)}, or by=None",
                )
            )
        keep &= cohort[by].notna()
    xframe, terms = design_matrix(cohort, list(covariates))
    keep &= xframe.notna().all(axis=1)
    for col in (strata, cluster):
        if col is not None:
            if col not in cohort.columns:
                raise DataError(
                    Problem(
                        f"column '{col}' is not in the cohort",
                        fix=f"use one of {list(cohort.columns)}",
                    )
                )
            keep &= cohort[col].notna()
    w = None
    if weights is not None:
        w = (
            cohort[weights]
            if isinstance(weights, str)
            else pd.Series(np.asarray(weights, float), index=cohort.index)
        )
        w = w.astype(float)
        bad = ~np.isfinite(w) | (w < 0)
        if bad.any():
            rows = tuple(int(i) + 1 for i in np.flatnonzero(bad.to_numpy()))
            raise DataError(Problem("weights must be finite and ≥ 0", column="weights", rows=rows))
    dropped = int((~keep).sum())
    remarks = (
        (f"{dropped} patient{'s' if dropped != 1 else ''} left out for missing values",)
        if dropped
        else ()
    )
    needed = [
        "time",
        "event",
        *([by] if by else []),
        *([strata] if strata else []),
        *([cluster] if cluster else []),
    ]
    sub = cohort.loc[keep.to_numpy(), list(dict.fromkeys(needed))]  # only what is used
    if len(sub) == 0:
        raise DataError(Problem("no patient is left after leaving out missing values"))
    if by is None:
        codes, groups = np.zeros(len(sub), dtype=np.int64), ("all patients",)
    else:
        labels = group_labels(sub[by], by)
        groups = tuple(sorted(labels.unique(), key=lambda g: (g != "no closure", str(g))))
        codes = labels.map({g: i for i, g in enumerate(groups)}).to_numpy(np.int64)
    st, st_labels = None, ()
    if strata is not None:
        cat = pd.Categorical(sub[strata].astype(str))
        st, st_labels = cat.codes.astype(np.int64), tuple(cat.categories)
    cl = None if cluster is None else pd.factorize(sub[cluster])[0].astype(np.int64)
    return SurvivalData(
        time=sub["time"].to_numpy(float),
        event=sub["event"].to_numpy(np.int64),
        group=codes,
        groups=groups,
        x=_kept(xframe.to_numpy(float), keep.to_numpy()),
        terms=tuple(terms),
        strata=st,
        strata_labels=st_labels,
        cluster=cl,
        weights=None if w is None else w.loc[keep].to_numpy(float),
        dropped=dropped,
        remarks=remarks,
    )


def _kept(x: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """The rows of ``x`` to keep, without a copy when every row is kept. ``x`` is the
    transposed view of a frame's block (column-major), and so is the result: the
    layout sets the order of NumPy's sums (``x.mean(axis=0)``, ``x @ beta``), which the
    models' last digits follow."""
    if keep.all():
        return x
    out = np.empty((int(keep.sum()), x.shape[1]), order="F")
    return np.compress(keep, x, axis=0, out=out)


def time_order(cohort: pd.DataFrame) -> np.ndarray | None:
    """The rows' stable order by ``time``, or ``None`` when they are in it already.

    Every survival model sorts its rows by time, and NumPy's stable sorts take linear
    time on sorted input: callers that fit several models (:func:`~recurrence.survival.
    subgroups.fit_part`, the report) put the rows in time order once. Tied times keep
    their order, so only sums that do not go in time order add in another (1e-15).
    """
    time = cohort["time"].to_numpy(dtype=float, na_value=np.nan)
    if len(time) < 2 or bool(np.all(time[1:] >= time[:-1])):
        return None
    return np.argsort(time, kind="stable")
