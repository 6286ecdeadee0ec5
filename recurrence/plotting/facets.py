"""Small multiples of curves by subgroup: one panel per level of the second grouping
column, one colour per arm (``kaplan_meier(cohort, by=["closure", "approach"])`` drawn
as three panels, MED, PELD and open). seaborn's ``FacetGrid`` is the tool for this:
shared axes, one panel per level, a common legend; the data it maps is the long table
of step points prepared by :func:`~recurrence.plotting.survival.curve_plot_data`.
"""

from __future__ import annotations

import pandas as pd

from .survival import XLABEL, curve_plot_data, group_styles

__all__ = ["curve_facet_data", "plot_curve_facets"]


def curve_facet_data(result, *, percent: bool = True) -> pd.DataFrame:
    """The step points of every curve with the level of each grouping column (pure).

    Examples
    --------
    >>> from recurrence import load_cohort
    >>> from recurrence.survival import kaplan_meier
    >>> d = curve_facet_data(kaplan_meier(load_cohort(), by=["closure", "approach"]))
    >>> list(d.columns)
    ['group', 'time', 'value', 'ci_low', 'ci_high', 'closure', 'approach']
    >>> sorted(d["approach"].unique())
    ['MED', 'PELD', 'open']
    """
    levels = getattr(result, "by_levels", None)
    if levels is None:
        raise ValueError(
            "small multiples need curves by two columns, e.g. "
            "kaplan_meier(cohort, by=['closure', 'approach'])"
        )
    curves = curve_plot_data(result, percent=percent).curves
    return curves.merge(levels, on="group", how="left")


def plot_curve_facets(result, *, ci: bool = True, percent: bool = True, col_wrap=None, height=3.0):
    """One panel per level of the second grouping column, one curve per arm.

    Parameters
    ----------
    result
        :func:`~recurrence.survival.kaplan_meier` or
        :func:`~recurrence.survival.cumulative_incidence` with ``by=[arm, subgroup]``.
    ci, percent
        Interval bands; percent or proportion.
    col_wrap, height
        Panels per row and panel height (inches), as ``seaborn.FacetGrid``.

    Returns
    -------
    seaborn.FacetGrid

    Examples
    --------
    >>> from recurrence import load_cohort
    >>> from recurrence.survival import kaplan_meier
    >>> grid = plot_curve_facets(kaplan_meier(load_cohort(), by=["closure", "approach"]))
    >>> [ax.get_title() for ax in grid.axes.flat]
    ['approach = MED', 'approach = PELD', 'approach = open']
    """
    import matplotlib.pyplot as plt
    import seaborn as sns

    data = curve_facet_data(result, percent=percent)
    arm, sub = result.by_levels.columns[1], result.by_levels.columns[2]
    styles = group_styles(result)
    assert styles is not None  # curves by two columns: a style per level pair
    palette: dict[str, object] = {}
    for r in result.by_levels.itertuples(index=False):
        palette.setdefault(getattr(r, arm), styles[r.group][0])
    col_order = list(dict.fromkeys(result.by_levels[sub]))

    def draw(*_, data=None, color=None, label=None, **__):
        frame = data
        ax = plt.gca()
        ax.step(frame["time"], frame["value"], where="post", color=color, label=label)
        if ci:
            ax.fill_between(
                frame["time"],
                frame["ci_low"],
                frame["ci_high"],
                step="post",
                color=color,
                alpha=0.18,
                linewidth=0,
            )

    grid = sns.FacetGrid(
        data,
        col=sub,
        hue=arm,
        col_order=col_order,
        hue_order=list(palette),
        palette=palette,
        col_wrap=col_wrap,
        height=height,
        sharey=True,
    )
    grid.map_dataframe(draw)
    value = "Survival" if result.value_columns[0] == "survival" else "Cumulative incidence"
    grid.set_axis_labels(XLABEL, f"{value} (%)" if percent else value)
    grid.add_legend(title="")
    return grid
