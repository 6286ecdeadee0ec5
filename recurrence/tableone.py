"""Table one: baseline characteristics by arm, with standardized mean differences.

Continuous covariates are summarised by mean (SD), or median [Q1, Q3] when they are
skewed (|skewness| > 1, or named in ``nonnormal``); yes/no and categorical covariates
by count (%). Standardized mean differences (SMD) follow Austin (2009) for means and
proportions and Yang & Dalton (2012) for categorical covariates with more than two
levels; with more than two groups the largest pairwise SMD is shown.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ._arms import group_labels, smd_categorical, smd_continuous
from ._format import count, fixed, fmt
from ._privacy import OTHER, free_text_reason, small
from .errors import DataError, Problem
from .results import ResultMixin

__all__ = ["TableOne", "group_labels", "smd_categorical", "smd_continuous", "table_one"]

CORE = ("patient_id", "closure", "time", "event")
UNITS = {"age": "years", "bmi": "kg/m²", "defect_width_mm": "mm", "disc_height_mm": "mm"}


@dataclass(frozen=True, repr=False)
class TableOne(ResultMixin):
    """Baseline characteristics per group.

    Attributes
    ----------
    table
        Tidy, one row per variable × level × group: ``variable``, ``level``, ``group``,
        ``n``, ``missing``, ``mean``, ``sd``, ``median``, ``q1``, ``q3``, ``count``,
        ``percent``.
    smd
        Standardized mean difference per variable.
    groups
        Group label → number of patients.
    """

    table: pd.DataFrame
    smd: pd.Series
    groups: dict[str, int]
    by: str | None
    summaries: dict[str, str] = field(default_factory=dict)
    remarks: tuple[str, ...] = ()
    min_cell: int | None = None

    title = "Baseline characteristics"

    def formatted(self, min_cell: int | None = None) -> pd.DataFrame:
        """The familiar wide table: one row per variable (and level), strings.

        ``min_cell`` (default: the one the table was made with) shows counts below it
        as "< min_cell", without their percentages, and hides one more count (shown as
        "suppressed") where a single hidden one would be given away by the group's total.
        """
        mc = self.min_cell if min_cell is None else min_cell
        rows = []
        groups = list(self.groups)
        for var, sub in self.table.groupby("variable", sort=False):
            kind = self.summaries[var]
            unit = f", {UNITS[var]}" if var in UNITS else ""
            # the canonical names carry their unit ("defect_width_mm"): shown once, in words
            name = var.removesuffix("_mm").replace("_", " ") if var in UNITS else var
            missing = count(int(sub.groupby("group")["missing"].first().sum()), mc)
            if kind in ("mean", "median"):
                label = f"{name}{unit}, {'mean (SD)' if kind == 'mean' else 'median [IQR]'}"
                row = {"characteristic": label}
                for g in groups:
                    r = sub[sub["group"] == g].iloc[0]
                    row[g] = (
                        f"{fmt(r['mean'])} ({fmt(r['sd'])})"
                        if kind == "mean"
                        else f"{fmt(r['median'])} [{fmt(r['q1'])}, {fmt(r['q3'])}]"
                    )
                row["SMD"] = fixed(self.smd.get(var))
                row["missing"] = missing
                rows.append(row)
                continue
            levels = list(dict.fromkeys(sub["level"]))
            hidden = _suppressed(sub, groups, levels, mc, binary=kind == "binary")
            if kind == "binary":
                levels = [lv for lv in levels if lv == "yes"] or levels
            for i, level in enumerate(levels):
                label = (
                    f"{var}, n (%)"
                    if kind == "binary"
                    else (f"{var}, n (%): {level}" if i == 0 else f"    {level}")
                )
                row = {"characteristic": label}
                for g in groups:
                    r = sub[(sub["group"] == g) & (sub["level"] == level)].iloc[0]
                    c = int(r["count"])
                    row[g] = (
                        (f"< {mc}" if small(c, mc) else "suppressed")
                        if (g, level) in hidden
                        else f"{c} ({r['percent']:.1f})"
                    )
                row["SMD"] = fixed(self.smd.get(var)) if i == 0 else ""
                row["missing"] = missing if i == 0 else ""
                rows.append(row)
        header = {g: f"{g} (n={count(n, mc)})" for g, n in self.groups.items()}
        frame = pd.DataFrame(rows, columns=["characteristic", *groups, "SMD", "missing"])
        return frame.rename(columns=header).set_index("characteristic")

    def summary_lines(self) -> list[str]:
        return [", ".join(f"{g}: {n} patients" for g, n in self.groups.items())]

    def summary(self) -> str:
        notes = [f"[{i}] {r}" for i, r in enumerate(self.remarks, 1)]
        return "\n".join([self.title, *self.summary_lines(), self.formatted().to_string(), *notes])

    def _repr_html_(self) -> str:
        import html

        notes = "".join(f"<li>{html.escape(r)}</li>" for r in self.remarks)
        return (
            f"<div><strong>{self.title}</strong>"
            + self.formatted().to_html(border=0, classes="recurrence-table")
            + (f"<ol>{notes}</ol>" if notes else "")
            + "</div>"
        )


def table_one(
    cohort: pd.DataFrame,
    by: str | None = "closure",
    *,
    variables: list[str] | None = None,
    nonnormal: list[str] | None = None,
    min_cell: int | None = None,
) -> TableOne:
    """Baseline characteristics per group, with SMDs and missing counts.

    Parameters
    ----------
    cohort
        A cohort table (see :func:`recurrence.load_cohort`).
    by
        Grouping column (default ``"closure"``); ``None`` for the whole cohort. Patients
        with no value in it are in no column (a remark counts them).
    variables
        Covariates to describe; default every column but ``patient_id``, ``closure``,
        ``time``, ``event`` and free-text columns with more than 20 levels.
    nonnormal
        Continuous covariates summarised by median [IQR]; default: those with
        |skewness| > 1.
    min_cell
        Counts of patients below this are shown as "< min_cell" (with the percentages
        that would reveal them) by :meth:`TableOne.formatted`; categories held by fewer
        patients are pooled as "other". Free text is never shown, whatever ``variables``
        names (see ``docs/data-protection.md``).

    Returns
    -------
    TableOne
        ``table`` (tidy: one row per variable × level × group with counts, percentages,
        means, medians and missing counts), ``smd`` per variable, ``groups`` (patients
        per group) and ``formatted()`` for display.

    Examples
    --------
    >>> from recurrence import load_cohort
    >>> t1 = table_one(load_cohort())
    >>> t1.groups
    {'no closure': 994, 'closure': 1006}
    >>> float(t1.smd["age"]) < 0.1
    True
    """
    if by is not None and by not in cohort.columns:
        raise DataError(
            Problem(
                f"grouping column '{by}' is not in the cohort",
                fix=f"use one of {list(cohort.columns)}",
            )
        )
    groups = (
        # a missing value is no group (as text it would be a column "nan" or "<NA>", and
        # its few patients would set the largest SMD over the pairs of groups)
        group_labels(cohort[by], by).where(cohort[by].notna())
        if by is not None
        else pd.Series("all patients", index=cohort.index)
    )
    order = sorted(groups.dropna().unique(), key=lambda g: (g != "no closure", str(g)))
    remarks = []
    if unplaced := int(groups.isna().sum()):
        remarks.append(
            f"{unplaced} patient{'s' if unplaced != 1 else ''} with no {by} value "
            "left out of the columns"
        )
    if variables is None:
        variables = []
        for col in cohort.columns:
            if col in CORE or col == by:
                continue
            if pd.api.types.is_datetime64_any_dtype(cohort[col]):
                remarks.append(f"'{col}' left out: dates are not baseline characteristics")
                continue
            variables.append(col)
    shown = []
    for col in variables:
        why = free_text_reason(cohort[col])
        if why is not None:
            remarks.append(f"'{col}' left out: {why}; never printed")
        else:
            shown.append(col)
    variables = shown
    pool = max(2, min_cell or 0)  # a category held by fewer patients is pooled as "other"
    # each group's rows once (comparing the labels per variable and group was half the
    # time of a 1M-patient table)
    member = {g: (groups == g).to_numpy(dtype=bool, na_value=False) for g in order}
    rows, smd, kinds = [], {}, {}
    for var in variables:
        s = cohort[var]
        is_bool = pd.api.types.is_bool_dtype(s)
        if pd.api.types.is_numeric_dtype(s) and not is_bool and _zero_one(s):
            # a 0/1 indicator (obstruction yes/no) is a proportion, not a mean of 0.3
            s, is_bool = s.map({0: False, 1: True}).astype("boolean"), True
        if pd.api.types.is_numeric_dtype(s) and not is_bool:
            x = s.astype(float)
            skew = float(x.skew()) if x.notna().sum() > 2 else 0.0
            kind = (
                "median"
                if (nonnormal is not None and var in nonnormal)
                or (nonnormal is None and abs(skew) > 1)
                else "mean"
            )
            if kind == "median" and nonnormal is None:
                remarks.append(f"{var}: skewed (skewness {skew:.1f}), median [IQR] shown")
            for g in order:
                v = x[member[g]]
                rows.append(
                    {
                        "variable": var,
                        "level": None,
                        "group": g,
                        "n": int(v.notna().sum()),
                        "missing": int(v.isna().sum()),
                        "mean": v.mean(),
                        "sd": v.std(),
                        "median": v.median(),
                        "q1": v.quantile(0.25),
                        "q3": v.quantile(0.75),
                        "count": np.nan,
                        "percent": np.nan,
                    }
                )
            xa = x.to_numpy()
            smd[var] = _max_pairwise(
                order, lambda a, b, xa=xa: smd_continuous(xa[member[a]], xa[member[b]])
            )
        else:
            kind = "binary" if is_bool else "categorical"
            values = s.map({True: "yes", False: "no"}) if is_bool else s.astype("string")
            # the levels as codes once (missing: -1), counted with bincount
            codes, uniques = pd.factorize(values)
            if not is_bool:
                totals = np.bincount(codes[codes >= 0], minlength=len(uniques))
                rare = uniques[totals < pool]
                if len(rare):
                    values = values.where(~values.isin(rare), OTHER)
                    codes, uniques = pd.factorize(values)
                    remarks.append(
                        f"{var}: {len(rare)} categor{'y' if len(rare) == 1 else 'ies'} held by "
                        f"fewer than {pool} patients pooled as '{OTHER}'"
                    )
            levels = ["no", "yes"] if is_bool else sorted(uniques)
            props = {}
            for g in order:
                c_g = codes[member[g]]
                known = c_g[c_g >= 0]
                n, missing = len(known), len(c_g) - len(known)
                counts = dict(zip(uniques, np.bincount(known, minlength=len(uniques)), strict=True))
                props[g] = np.array([counts.get(lv, 0) / n if n else np.nan for lv in levels])
                for lv in levels:
                    c = int(counts.get(lv, 0))
                    rows.append(
                        {
                            "variable": var,
                            "level": lv,
                            "group": g,
                            "n": n,
                            "missing": missing,
                            "mean": np.nan,
                            "sd": np.nan,
                            "median": np.nan,
                            "q1": np.nan,
                            "q3": np.nan,
                            "count": c,
                            "percent": 100 * c / n if n else np.nan,
                        }
                    )
            smd[var] = _max_pairwise(order, lambda a, b, p=props: smd_categorical(p[a], p[b]))
        kinds[var] = kind
    if len(order) > 2:
        remarks.append("SMD: the largest over all pairs of groups")
    table = pd.DataFrame(
        rows,
        columns=[
            "variable",
            "level",
            "group",
            "n",
            "missing",
            "mean",
            "sd",
            "median",
            "q1",
            "q3",
            "count",
            "percent",
        ],
    )
    sizes = {g: int(member[g].sum()) for g in order}
    if min_cell is not None:
        remarks.append(f"counts below {min_cell} are shown as '< {min_cell}' (small-cell rule)")
    return TableOne(
        table=table,
        smd=pd.Series(smd, dtype=float, name="smd"),
        groups=sizes,
        by=by,
        summaries=kinds,
        remarks=tuple(remarks),
        min_cell=min_cell,
    )


def _zero_one(s: pd.Series) -> bool:
    """Whether a numeric column holds only 0 and 1 (both present)."""
    values = set(pd.unique(s.dropna()).tolist())
    return values == {0, 1}


def _suppressed(sub: pd.DataFrame, groups, levels, min_cell, *, binary: bool) -> set:
    """(group, level) cells hidden by the small-cell rule: the small counts, and in a
    group where exactly one level is hidden the next smallest (the group's total minus
    the others would give it). A yes/no variable shows only "yes": hiding it is enough."""
    if min_cell is None:
        return set()
    hidden = set()
    for g in groups:
        counts = {
            lv: int(sub.loc[(sub["group"] == g) & (sub["level"] == lv), "count"].iloc[0])
            for lv in levels
        }
        cells = {lv for lv, c in counts.items() if small(c, min_cell)}
        if len(cells) == 1 and not binary:
            others = sorted((c, lv) for lv, c in counts.items() if lv not in cells and c > 0)
            if others:
                cells.add(others[0][1])
        hidden |= {(g, lv) for lv in cells}
    return hidden


def _max_pairwise(order, fn) -> float:
    if len(order) < 2:
        return float("nan")
    if len(order) == 2:
        return fn(order[1], order[0])
    return max((abs(fn(a, b)) for a, b in itertools.combinations(order, 2)), default=float("nan"))
