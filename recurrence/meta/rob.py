"""Risk-of-bias judgements in a study table, and the analysis without the studies at
high risk.

Columns (all optional): ``rob``, the overall judgement, and ``rob_d1`` … ``rob_d5``,
the domains of RoB 2 (Sterne et al. 2019: randomization, deviations from the intended
interventions, missing outcome data, measurement of the outcome, selection of the
reported result). Labels, case-insensitive, surrounding spaces ignored:

* RoB 2 (randomized trials): ``low``, ``some concerns``, ``high``;
* ROBINS-I (non-randomized studies; Sterne et al. 2016): ``low``, ``moderate``,
  ``serious``, ``critical``, ``no information``.

Both tools may appear in one table (trials by RoB 2, cohorts by ROBINS-I). "High risk"
means ``high`` (RoB 2) or ``serious``/``critical`` (ROBINS-I). Empty cells are
"not assessed".

:func:`check_rob` is what a loader calls: it returns the table with the labels in
their canonical spelling, or raises :class:`~recurrence.DataError` naming the column,
the rows and the labels it accepts (:func:`rob_problems` gives the problems alone, for
a loader that reports them with its own).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ..errors import DataError, Problem
from .results import MetaResult

__all__ = [
    "HIGH_RISK",
    "LABELS",
    "ROB_COLUMNS",
    "check_rob",
    "normalize_rob",
    "published_rob",
    "rob_problems",
    "without_high_risk",
]

ROB_COLUMNS = ("rob", "rob_d1", "rob_d2", "rob_d3", "rob_d4", "rob_d5")
#: Canonical labels, in the order of increasing concern (RoB 2 first, then ROBINS-I).
ROB2_LABELS = ("low", "some concerns", "high")
ROBINS_LABELS = ("low", "moderate", "serious", "critical", "no information")
LABELS = ("low", "some concerns", "moderate", "high", "serious", "critical", "no information")
HIGH_RISK = frozenset({"high", "serious", "critical"})
#: Domain names of RoB 2 (for plots and tables).
DOMAINS = {
    "rob_d1": "D1 randomization",
    "rob_d2": "D2 deviations from intended interventions",
    "rob_d3": "D3 missing outcome data",
    "rob_d4": "D4 measurement of the outcome",
    "rob_d5": "D5 selection of the reported result",
    "rob": "Overall",
}


def _canonical(value):
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return pd.NA
    text = re.sub(r"\s+", " ", str(value)).strip().casefold()
    if text == "":
        return pd.NA
    return text if text in LABELS else None


def normalize_rob(values) -> pd.Series:
    """Labels in canonical spelling (``pd.NA`` for empty cells, ``None`` for labels not
    known).

    Examples
    --------
    >>> normalize_rob(["Low", " SOME  concerns", "", "Serious", "unclear"]).tolist()
    ['low', 'some concerns', <NA>, 'serious', None]
    """
    return pd.Series([_canonical(v) for v in pd.Series(values, dtype=object)], dtype=object)


def rob_problems(studies: pd.DataFrame) -> list[Problem]:
    """One :class:`Problem` per risk-of-bias column holding labels not known."""
    problems = []
    for col in ROB_COLUMNS:
        if col not in studies:
            continue
        raw = studies[col].reset_index(drop=True)
        norm = normalize_rob(raw)
        bad = norm.map(lambda v: v is None).to_numpy(bool)
        if bad.any():
            problems.append(
                Problem(
                    "is not a risk-of-bias judgement",
                    column=col,
                    rows=tuple(int(i) + 1 for i in np.flatnonzero(bad)),
                    values=tuple(dict.fromkeys(str(v) for v in raw[bad])),
                    fix="use RoB 2 labels (low, some concerns, high) or ROBINS-I labels "
                    "(low, moderate, serious, critical, no information); leave the cell "
                    "empty when not assessed",
                )
            )
    return problems


def check_rob(studies: pd.DataFrame, *, source: str = "DataFrame") -> pd.DataFrame:
    """The study table with its risk-of-bias columns in canonical spelling.

    Raises :class:`~recurrence.DataError` (naming ``source``, the columns, the rows and
    the labels) when a cell holds a label that is neither RoB 2 nor ROBINS-I. The
    input is not modified; a table without these columns comes back as a copy.

    Parameters
    ----------
    studies : pandas.DataFrame
        A study table, with or without ``rob`` and ``rob_d1`` … ``rob_d5`` columns.
    source : str, default "DataFrame"
        Name of the table in error messages (e.g. the file name).

    Returns
    -------
    pandas.DataFrame
        A copy with the judgements spelled ``low``, ``some concerns``, ``high`` (RoB 2) or
        ``moderate``, ``serious``, ``critical`` (ROBINS-I).

    Examples
    --------
    >>> table = pd.DataFrame({"study": ["A", "B"], "rob": ["Low", "Some concerns"]})
    >>> check_rob(table)["rob"].tolist()
    ['low', 'some concerns']
    >>> check_rob(pd.DataFrame({"study": ["A"], "rob": ["unclear"]}), source="studies.csv")
    Traceback (most recent call last):
    ...
    recurrence.errors.DataError: studies.csv: 1 problem, nothing was loaded:
      - column 'rob', row 1: is not a risk-of-bias judgement (found 'unclear'). Fix: use ...
    """
    problems = rob_problems(studies)
    if problems:
        raise DataError(problems, source=source)
    out = studies.copy()
    for col in ROB_COLUMNS:
        if col in out:
            out[col] = pd.array(normalize_rob(out[col]).tolist(), dtype="string")
    return out


def published_rob() -> pd.DataFrame:
    """The risk-of-bias judgements of the packaged published studies
    (``recurrence/data/published_rob.csv``: ``study``, ``rob``, ``rob_d1`` … ``rob_d5``,
    ``tool``, ``source``, ``note``), filled in only where a published review states them
    (``source`` cites it); empty otherwise. Merge on ``study`` with the study table.

    Returns
    -------
    pandas.DataFrame
        One row per packaged study (columns above); judgements missing where no review
        gives them.

    Examples
    --------
    >>> from recurrence import published_studies
    >>> table = published_rob()
    >>> list(table.columns[:3]), sorted(table["study"]) == sorted(published_studies()["study"])
    (['study', 'rob', 'rob_d1'], True)
    """
    from importlib import resources

    path = resources.files("recurrence") / "data" / "published_rob.csv"
    with resources.as_file(path) as file:
        raw = pd.read_csv(file, dtype=str, keep_default_na=False, encoding="utf-8")
    raw = raw.replace("", pd.NA)
    return check_rob(raw, source="published_rob.csv")


def high_risk(values) -> np.ndarray:
    """True where the judgement is high risk (``high``, ``serious``, ``critical``)."""
    return (
        normalize_rob(values)
        .map(lambda v: v in HIGH_RISK if isinstance(v, str) else False)
        .to_numpy(bool)
    )


def without_high_risk(result: MetaResult) -> MetaResult:
    """``result``'s model refitted without the studies whose overall judgement (``rob``
    of the study table it was fitted to) is high risk; a remark names them.

    Parameters
    ----------
    result : MetaResult
        A comparison or pooled proportion fitted to a study table with a ``rob`` column
        (``data=`` or :func:`~recurrence.meta.compare_studies`).

    Returns
    -------
    MetaResult
        The same model on the studies not at high risk of bias, with a remark naming the
        studies left out.

    Examples
    --------
    >>> from recurrence.meta import compare
    >>> table = pd.DataFrame({"rob": ["low", "high", "some concerns", "low"]})
    >>> res = compare([4, 6, 3, 9], [120, 300, 230, 200], [11, 29, 11, 20], [140, 300, 220, 200],
    ...               method="FE", data=table, labels=["A", "B", "C", "D"])
    >>> sub = without_high_risk(res)
    >>> sub.k, sub.studies
    (3, ['A', 'C', 'D'])
    """
    import dataclasses

    from .models import refit

    data = getattr(result.spec, "data", None)
    if data is None or "rob" not in data:
        raise DataError(
            Problem(
                "the result has no risk-of-bias judgements (no 'rob' column in its study table)",
                fix="fill in the rob column of the study table and fit from it",
            )
        )
    high = high_risk(data["rob"])
    labels = np.asarray(result.spec.labels, dtype=object)
    if high.all():
        raise DataError(Problem("every study is at high risk of bias: no study is left"))
    refitted, _ = refit(result, ~high)  # its alerts are in its remarks
    names = ", ".join(str(s) for s in labels[high]) or "none"
    remark = f"without the studies at high risk of bias ({names})"
    return dataclasses.replace(refitted, remarks=(remark, *refitted.remarks))
