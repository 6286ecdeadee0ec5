"""The subgroup forest plot of :func:`recurrence.survival.subgroups`, as NEJM and the
Lancet print it: one heading per variable with its interaction p-value, one row per
level with events/patients in each arm, the closure hazard ratio as a square (area ∝
inverse variance) with its interval, and all patients as a diamond on top.

:func:`subgroup_forest_data` prepares the rows (pure, tested) as a
:class:`~recurrence.plotting.forest.ForestData`; the meta-analysis forest plot's layout
and drawing (:func:`~recurrence.plotting.forest.draw_forest`) do the rest, so the columns
are measured from the font and never overlap.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._dist import norm
from .._format import effect_ci, events_of, fmt_p
from .forest import ForestData, _xlim, draw_forest

__all__ = ["plot_subgroups", "subgroup_forest_data"]

_INDENT = "    "


def _p(p) -> str:
    # as the other forest plots (two decimals from 0.1), so that the figure and the
    # report's subgroup table never differ by more than the rounding of a third decimal
    return fmt_p(p, two_decimals_from=0.1, missing="")


def _row(kind, label, r=None, digits=2, weight=np.nan, p=""):
    row = {
        "kind": kind,
        "label": label,
        "estimate": np.nan,
        "ci_low": np.nan,
        "ci_high": np.nan,
        "weight": weight,
        "filled": False,
        "highlight": False,
        "closure": "",
        "control": "",
        "effect": "",
        "p_interaction": p,
    }
    if r is not None:
        est = float(r["hr"])
        row.update(
            estimate=est,
            ci_low=float(r["ci_low"]),
            ci_high=float(r["ci_high"]),
            closure=events_of(r["events_closure"], r["n_closure"]),
            control=events_of(r["events_control"], r["n_control"]),
            effect=effect_ci(est, r["ci_low"], r["ci_high"], digits=digits),
        )
    return row


def subgroup_forest_data(result, *, digits: int = 2, title: str | None = None) -> ForestData:
    """The rows of a subgroup forest plot (pure, no drawing).

    Examples
    --------
    >>> from recurrence import load_cohort
    >>> from recurrence.survival import subgroups
    >>> data = subgroup_forest_data(subgroups(load_cohort(), ["sex"]))
    >>> data.rows["kind"].tolist(), data.rows["label"].str.strip().tolist()
    (['random', 'header', 'study', 'study'], ['All patients', 'sex', 'F', 'M'])
    >>> data.rows.loc[2, ["closure", "control", "effect"]].tolist()
    ['41/527', '74/525', '0.53 [0.36, 0.77]']
    >>> bool(data.rows.loc[1, "p_interaction"] != ""), data.right[1][1]
    (True, 'P for interaction')
    """
    tab = result.table
    z = norm.ppf(0.5 + result.level / 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        se = (np.log(tab["ci_high"]) - np.log(tab["ci_low"])) / (2 * z)
        inv = np.where(np.isfinite(se) & (se > 0), 1 / se**2, np.nan)
    weight = 100 * inv / np.nansum(inv) if np.isfinite(inv).any() else inv
    rows = [_row("random", "All patients", result.overall.iloc[0], digits)]
    for v, block in tab.groupby("variable", sort=False):
        rows.append(_row("header", str(v), p=_p(block["interaction_pvalue"].iloc[0])))
        for i, r in block.iterrows():
            rows.append(_row("study", _INDENT + str(r["level"]), r, digits, weight[i]))
    frame = pd.DataFrame(rows)
    y, ys = 0.0, []
    for kind in frame["kind"]:
        if kind == "header":
            y -= 0.5
        ys.append(y)
        y -= 1.0
    frame["y"] = ys
    frame["label"] = frame["label"].str.replace(_INDENT, " " * 4, regex=False)
    ratio = "HR" if result.model == "cox" else "SHR"
    words = "Hazard ratio" if result.model == "cox" else "Subdistribution hazard ratio"
    lo = frame[["ci_low", "estimate"]].min(axis=1).to_numpy(float)
    hi = frame[["ci_high", "estimate"]].max(axis=1).to_numpy(float)
    finite_lo, finite_hi = lo[np.isfinite(lo) & (lo > 0)], hi[np.isfinite(hi)]
    notes = ["events/patients per arm"]
    test = "likelihood-ratio" if result.model == "cox" else "Wald"
    notes.append(f"P for interaction: {test} test of closure × variable")
    if result.covariates:
        notes.append(f"adjusted for {', '.join(result.covariates)}")
    return ForestData(
        rows=frame,
        left=[("label", "Subgroup"), ("closure", "Closure"), ("control", "No closure")],
        right=[
            ("effect", f"{ratio} [{100 * result.level:g}% CI]"),
            ("p_interaction", "P for interaction"),
        ],
        xlabel=f"{words} (closure vs no closure)",
        log=True,
        percent=False,
        null=1.0,
        favours=("Favours closure", "Favours no closure"),
        xlim=_xlim(
            finite_lo.min() if finite_lo.size else 0.1,
            finite_hi.max() if finite_hi.size else 10.0,
            True,
            False,
            1.0,
        ),
        title=title,
        notes=["; ".join(notes)],
    )


def plot_subgroups(
    result,
    ax=None,
    *,
    digits: int = 2,
    title: str | None = None,
    fontsize: float | None = None,
    max_width: float = 7.0,
):
    """Subgroup forest plot of a :func:`recurrence.survival.subgroups` result.

    Parameters
    ----------
    result
        From :func:`recurrence.survival.subgroups` (also ``result.plot()``).
    ax
        Axes of the panel; by default a new figure sized to the content.
    digits, title, fontsize, max_width
        Decimals of the ratios, a title, the font in points, the widest a new figure
        may be (inches).

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> from recurrence import load_cohort
    >>> from recurrence.survival import subgroups
    >>> ax = plot_subgroups(subgroups(load_cohort(), ["approach", "sex"]))
    >>> sorted({t.get_text() for t in ax.texts if t.get_gid() == "forest:header"})[:2]
    ['Closure', 'HR [95% CI]']
    """
    data = subgroup_forest_data(result, digits=digits, title=title)
    return draw_forest(data, ax, fontsize=fontsize, max_width=max_width, pooled_line=True)
