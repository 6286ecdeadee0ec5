"""Covariate balance of inverse probability weighting: the "love plot".

One row per covariate, the absolute standardized mean difference (SMD) between arms
before weighting and after, with the usual 0.1 mark of balance. Reads an
:class:`~recurrence.survival.iptw.IPTW` (or anything with its ``.table``: a Cox model
or an adjusted-incidence result fitted with IPTW). Drawn with seaborn (a point per
covariate and stage, hue and marker by stage): this is the one place the package uses
seaborn, imported here only, when the plot is drawn.
"""

from __future__ import annotations

import pandas as pd

__all__ = ["balance_plot_data", "plot_balance"]

STAGES = ("before weighting", "after weighting")
PALETTE = {"before weighting": "#D55E00", "after weighting": "#0072B2"}
THRESHOLD = 0.1


def _balance_table(obj) -> pd.DataFrame:
    for candidate in (obj, getattr(obj, "iptw", None)):
        table = getattr(candidate, "table", None)
        if isinstance(table, pd.DataFrame) and {"smd_before", "smd_after"} <= set(table.columns):
            return table
    raise TypeError(
        "plot_balance takes the IPTW of iptw_weights(), cox(weights='iptw') or "
        f"adjusted_incidence(method='iptw'), not {type(obj).__name__}"
    )


def balance_plot_data(obj) -> pd.DataFrame:
    """Long table of what is drawn: ``covariate``, ``stage``, ``smd``, ``abs_smd``;
    covariates ordered by their imbalance before weighting, largest first.

    Examples
    --------
    >>> from recurrence import simulate_cohort
    >>> from recurrence.survival import iptw_weights
    >>> w = iptw_weights(simulate_cohort(800, seed=5, confounded=True), ["age", "smoker"])
    >>> d = balance_plot_data(w)
    >>> list(d.columns), sorted(set(d["stage"]))
    (['covariate', 'stage', 'smd', 'abs_smd'], ['after weighting', 'before weighting'])
    """
    table = _balance_table(obj)
    order = table["smd_before"].abs().sort_values(ascending=False).index
    rows = []
    for cov in order:
        for stage, col in zip(STAGES, ("smd_before", "smd_after"), strict=True):
            value = float(table.loc[cov, col])
            rows.append(
                {"covariate": str(cov), "stage": stage, "smd": value, "abs_smd": abs(value)}
            )
    return pd.DataFrame(rows)


def plot_balance(obj, ax=None, *, threshold: float = THRESHOLD):
    """Love plot: the absolute standardized mean difference per covariate before and
    after weighting.

    Parameters
    ----------
    obj : IPTW or CoxResult
        The weights of :func:`recurrence.survival.iptw_weights`, or a Cox fit with
        ``weights="iptw"`` (its ``balance``).
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure sized to the number of covariates by default.
    threshold : float, default 0.1
        Absolute SMD drawn as the dashed line of adequate balance.

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on.

    Examples
    --------
    >>> from recurrence import simulate_cohort
    >>> from recurrence.survival import iptw_weights
    >>> w = iptw_weights(simulate_cohort(800, seed=5, confounded=True), ["age", "smoker"])
    >>> ax = plot_balance(w)
    >>> ax.get_xlabel()
    'Absolute standardized mean difference'
    """
    import matplotlib.pyplot as plt
    import seaborn as sns

    data = balance_plot_data(obj)
    if ax is None:
        n = data["covariate"].nunique()
        _, ax = plt.subplots(figsize=(5.5, 1.2 + 0.35 * n))
    sns.scatterplot(
        data=data,
        x="abs_smd",
        y="covariate",
        hue="stage",
        style="stage",
        hue_order=list(STAGES),
        style_order=list(STAGES),
        palette=PALETTE,
        markers={"before weighting": "o", "after weighting": "D"},
        s=45,
        ax=ax,
    )
    ax.axvline(threshold, color="0.5", linestyle="--", linewidth=0.8, gid="threshold")
    ax.set_xlabel("Absolute standardized mean difference")
    ax.set_ylabel("")
    ax.set_xlim(left=-0.02)
    ax.legend(title=None, loc="lower right")
    return ax
