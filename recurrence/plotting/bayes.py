"""The posterior density of the heterogeneity τ of a Bayesian meta-analysis
(``method="bayes"``), with its prior, posterior median and interval.
:func:`tau_posterior_data` prepares it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .style import PALETTE

__all__ = ["plot_tau_posterior", "tau_posterior_data"]


def tau_posterior_data(result, points: int = 400) -> dict:
    """``density``: DataFrame with ``tau``, ``posterior``, ``prior`` on a grid from 0 to
    beyond the upper end of τ's interval; ``median``, ``interval``, ``prior`` (text).

    Examples
    --------
    >>> from recurrence.meta import compare
    >>> from recurrence.meta.datasets import bcg
    >>> b = bcg()
    >>> res = compare(b.events_closure, b.total_closure, b.events_control, b.total_control,
    ...               method="bayes")
    >>> data = tau_posterior_data(res)
    >>> bool(np.isclose(np.trapezoid(data["density"]["posterior"], data["density"]["tau"]), 1,
    ...                 atol=1e-3))
    True
    """
    bayes = getattr(result, "bayes", None) if getattr(result, "method", None) == "bayes" else None
    fit = None if bayes is None else bayes.posterior
    if fit is None:
        raise TypeError("the posterior of τ exists for method='bayes' results only")
    lo, hi = result.tau_ci
    prior = fit.prior
    top = max(2.5 * hi, hi + 3 * (hi - lo))
    if prior.bounded:
        top = min(top, prior.b)
    tau = np.linspace(0.0, top, points)
    post = fit.tau_density(tau[None, :])[0]
    return {
        "density": pd.DataFrame(
            {"tau": tau, "posterior": post, "prior": np.exp(prior.logpdf(tau))}
        ),
        "median": result.tau,
        "interval": (lo, hi),
        "prior": str(prior),
    }


def plot_tau_posterior(result, ax=None, *, prior: bool = True):
    """Draw the posterior density of τ (and its prior); returns the Axes.

    Parameters
    ----------
    result : MetaResult
        A Bayesian pooled comparison or proportion (``method="bayes"``).
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure when ``None``.
    prior : bool, default True
        Draw the prior density of τ as well.

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on.

    Examples
    --------
    >>> from recurrence import load_studies
    >>> from recurrence.meta import compare_studies
    >>> ax = plot_tau_posterior(compare_studies(load_studies(), method="bayes"))
    >>> ax.get_xlabel()
    'Heterogeneity τ (analysis scale)'
    """
    import matplotlib.pyplot as plt

    data = tau_posterior_data(result)
    d = data["density"]
    if ax is None:
        _, ax = plt.subplots(figsize=(5.0, 3.2))
    lo, hi = data["interval"]
    inside = (d["tau"] >= lo) & (d["tau"] <= hi)
    ax.fill_between(
        d["tau"][inside],
        d["posterior"][inside],
        color=PALETTE["no closure"],
        alpha=0.25,
        lw=0,
        gid="bayes:interval",
    )
    ax.plot(
        d["tau"],
        d["posterior"],
        color=PALETTE["no closure"],
        lw=1.6,
        gid="bayes:posterior",
        label="posterior",
    )
    if prior:
        ax.plot(
            d["tau"],
            d["prior"],
            color="0.4",
            lw=1.0,
            ls="--",
            gid="bayes:prior",
            label=f"prior {data['prior']}",
        )
    ax.axvline(
        data["median"],
        color=PALETTE["pooled"],
        lw=0.9,
        gid="bayes:median",
        label=f"median {data['median']:.3g}",
    )
    ax.set_xlim(0, float(d["tau"].max()))
    ax.set_ylim(bottom=0)
    ax.set_xlabel("Heterogeneity τ (analysis scale)")
    ax.set_ylabel("Density")
    ax.legend(fontsize=8)
    return ax
