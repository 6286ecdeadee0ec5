"""Forest-style plot of hazard ratios (Cox) and subdistribution hazard ratios (Fine-Gray).

One row per term, the ratio and its confidence interval on a log axis, a reference line
at 1; several models side by side within each row (e.g. the cause-specific Cox HR and
the Fine-Gray SHR of closure). The plot reads result objects only (their ``.table``,
``.measure``, ``.label``, ``.level``). :func:`hazard_ratio_data` prepares what is drawn
(pure, tested); :func:`plot_hazard_ratios` draws it.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from .style import color_for

__all__ = ["hazard_ratio_data", "plot_hazard_ratios"]

RATIO_COLUMN = {"hr": "hr", "shr": "shr"}
MEASURE_WORDS = {"hr": "Hazard ratio", "shr": "Subdistribution hazard ratio"}
MARKERS = ("o", "s", "D", "^", "v", "P")
#: Vertical room of one term row used by the models drawn side by side.
ROW_SPREAD = 0.6


def _as_results(result_or_results, labels):
    if isinstance(result_or_results, Mapping):
        items = list(result_or_results.items())
    elif isinstance(result_or_results, (list, tuple)):
        items = [(None, r) for r in result_or_results]
    else:
        items = [(None, result_or_results)]
    if labels is not None:
        labels = list(labels)
        if len(labels) != len(items):
            raise ValueError(f"{len(labels)} labels for {len(items)} models")
        items = [(lab, r) for lab, (_, r) in zip(labels, items, strict=True)]
    out = []
    for i, (label, r) in enumerate(items):
        measure = getattr(r, "measure", None)
        if measure not in RATIO_COLUMN or not isinstance(getattr(r, "table", None), pd.DataFrame):
            raise TypeError(
                "plot_hazard_ratios takes results of cox(), cause_specific_cox() or "
                f"fine_gray(), not {type(r).__name__}"
            )
        out.append((label or getattr(r, "label", None) or f"model {i + 1}", r))
    return out


def hazard_ratio_data(result_or_results, *, labels=None, terms=None) -> pd.DataFrame:
    """What :func:`plot_hazard_ratios` draws, one row per model and term.

    Columns: ``model``, ``measure`` (``hr`` or ``shr``), ``term``, ``estimate``,
    ``ci_low``, ``ci_high``, ``row`` (the term's row, first term on top), ``y`` (where
    the model's point sits in that row), ``open_low`` /
    ``open_high`` (the bound is 0 or infinite and is drawn to the edge), ``color``,
    ``marker``. Terms a model left out (NaN) get no row.

    Examples
    --------
    >>> from recurrence import load_cohort
    >>> from recurrence.survival import cox, fine_gray
    >>> c = load_cohort()
    >>> cov = ["closure", "smoker"]
    >>> d = hazard_ratio_data([cox(c, cov), fine_gray(c, cov)])
    >>> d[["model", "term", "row", "y"]]
           model     term  row    y
    0        Cox  closure    1  1.3
    1        Cox   smoker    0  0.3
    2  Fine-Gray  closure    1  0.7
    3  Fine-Gray   smoker    0 -0.3
    """
    models = _as_results(result_or_results, labels)
    if terms is None:
        terms = list(dict.fromkeys(t for _, r in models for t in r.table.index))
    terms = list(terms)
    k = len(models)
    offsets = np.linspace(ROW_SPREAD / 2, -ROW_SPREAD / 2, k) if k > 1 else np.zeros(1)
    rows = []
    for i, (label, r) in enumerate(models):
        col = RATIO_COLUMN[r.measure]
        for j, term in enumerate(terms):
            if term not in r.table.index:
                continue
            row = r.table.loc[term]
            est = row[col]
            if not np.isfinite(est) or est <= 0:
                continue
            lo, hi = row["ci_low"], row["ci_high"]
            rows.append(
                {
                    "model": label,
                    "measure": r.measure,
                    "term": term,
                    "estimate": est,
                    "ci_low": lo,
                    "ci_high": hi,
                    "row": len(terms) - 1 - j,
                    "y": round(float(len(terms) - 1 - j + offsets[i]), 10),
                    "open_low": not (np.isfinite(lo) and lo > 0),
                    "open_high": not np.isfinite(hi),
                    "color": color_for(label, i),
                    "marker": MARKERS[i % len(MARKERS)],
                }
            )
    return pd.DataFrame(
        rows,
        columns=[
            "model",
            "measure",
            "term",
            "estimate",
            "ci_low",
            "ci_high",
            "row",
            "y",
            "open_low",
            "open_high",
            "color",
            "marker",
        ],
    )


def _xlabel(models) -> str:
    measures = {r.measure for _, r in models}
    levels = {getattr(r, "level", 0.95) for _, r in models}
    words = (
        MEASURE_WORDS[measures.pop()]
        if len(measures) == 1
        else "Hazard ratio: Cox HR, Fine-Gray SHR"
    )
    ci = f"{100 * levels.pop():g}% CI, " if len(levels) == 1 else "CI, "
    return f"{words} ({ci}log scale)"


def plot_hazard_ratios(result_or_results, ax=None, *, labels=None, terms=None, legend=None):
    """Forest plot of HRs/SHRs with confidence intervals on a log x axis.

    Parameters
    ----------
    result_or_results
        A result of :func:`~recurrence.survival.cox`,
        :func:`~recurrence.survival.cause_specific_cox` or
        :func:`~recurrence.survival.fine_gray`; a list of them; or a dict label → result.
    ax
        Axes to draw in; a new figure if ``None``.
    labels
        Legend labels of the models (default: each result's ``label``).
    terms
        Terms to show, top to bottom (default: every term, in model order).
    legend
        Draw a legend (default: when there are several models).

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> from recurrence import load_cohort
    >>> from recurrence.survival import cox
    >>> ax = plot_hazard_ratios(cox(load_cohort(), ["closure", "smoker"]))
    >>> [t.get_text() for t in ax.get_yticklabels()], ax.get_xscale()
    (['closure', 'smoker'], 'log')
    >>> import matplotlib.pyplot as plt; plt.close(ax.figure)
    """
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    models = _as_results(result_or_results, labels)
    data = hazard_ratio_data(result_or_results, labels=labels, terms=terms)
    if ax is None:
        shown = data["term"].nunique() if len(data) else 1
        _, ax = plt.subplots(figsize=(6.0, 1.0 + 0.45 * shown * max(1, len(models)) ** 0.5))
    finite = (
        np.concatenate(
            [
                data["estimate"],
                data.loc[~data["open_low"], "ci_low"],
                data.loc[~data["open_high"], "ci_high"],
            ]
        )
        if len(data)
        else [1.0]
    )
    lo_edge = min(np.min(finite), 1.0) / 1.5
    hi_edge = max(np.max(finite), 1.0) * 1.5
    ax.set_xscale("log")
    ax.axvline(1.0, color="0.4", linestyle="--", linewidth=0.8, zorder=0, gid="reference")
    for label, sub in data.groupby("model", sort=False):
        lo = np.where(sub["open_low"], lo_edge, sub["ci_low"])
        hi = np.where(sub["open_high"], hi_edge, sub["ci_high"])
        est = sub["estimate"].to_numpy()
        ax.errorbar(
            est,
            sub["y"],
            xerr=np.vstack([est - lo, hi - est]),
            fmt=sub["marker"].iloc[0],
            color=sub["color"].iloc[0],
            markersize=5,
            capsize=2.5,
            linewidth=1.2,
            label=label,
            gid=f"model:{label}",
        )
    ticks = data.drop_duplicates("term")
    ax.set_yticks(ticks["row"].to_numpy(), labels=list(ticks["term"]))
    top = int(ticks["row"].max()) if len(ticks) else 0
    ax.set_ylim(-0.6, top + 0.6)
    ax.set_xlim(lo_edge, hi_edge)
    # plain numbers at 1-2-5 steps instead of matplotlib's 3×10⁻¹ on a log axis
    ax.xaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel(_xlabel(models))
    if legend if legend is not None else len(models) > 1:
        # Beside the panel: inside, "best" still lands on the reference line or an interval.
        ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0)
    return ax
