"""Simulated published studies (:func:`simulate_studies`), importable from
:mod:`recurrence.synthetic` with the simulated cohort."""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["simulate_studies"]

#: The seed of the packaged example tables (cohort and studies alike).
DEFAULT_SEED = 20261124


def simulate_studies(
    k: int = 12,
    *,
    seed: int | None = DEFAULT_SEED,
    rr: float = 0.45,
    tau2: float = 0.1,
    control_rate: float = 0.12,
    control_sd: float = 0.4,
    n_range: tuple[int, int] = (30, 300),
    p_single_arm: float = 0.0,
) -> pd.DataFrame:
    """Simulate a study table of closure versus no closure with known heterogeneity.

    Study *i* has a true log risk ratio ``log(rr) + u_i`` with ``u_i ~ N(0, tau2)``, a
    control risk whose logit varies around ``logit(control_rate)`` with SD
    ``control_sd``, arm sizes log-uniform in ``n_range``, binomial events.

    Parameters
    ----------
    k : int, default 12
        Number of studies.
    seed : int or None
        Seed of the generator (``None``: a fresh one each call).
    rr : float, default 0.45
        True pooled risk ratio of closure.
    tau2 : float, default 0.1
        Between-study variance of the log risk ratio.
    control_rate : float, default 0.12
        Typical proportion reherniated without closure.
    control_sd : float, default 0.4
        SD of the control-arm risk across studies, on the logit scale.
    n_range : tuple of int, default (30, 300)
        Smallest and largest arm size.
    p_single_arm : float, default 0
        Probability that a study is a single-arm series (closure arm only).

    Returns
    -------
    pandas.DataFrame
        A study table in the canonical columns of :func:`recurrence.load_studies`, with
        the true parameters in ``attrs["truth"]``.

    Examples
    --------
    >>> st = simulate_studies(5, seed=2)
    >>> list(st.columns[:5])
    ['study', 'events_closure', 'total_closure', 'events_control', 'total_control']
    >>> st.attrs["truth"]["tau2"]
    0.1
    """
    if k < 1:
        raise ValueError(f"k must be at least 1, not {k}")
    rng = np.random.default_rng(seed)
    lo, hi = np.log(n_range[0]), np.log(n_range[1])
    n_closure = np.exp(rng.uniform(lo, hi, k)).round().astype(int)
    n_control = np.exp(rng.uniform(lo, hi, k)).round().astype(int)
    logit_c = np.log(control_rate / (1 - control_rate)) + rng.normal(0, control_sd, k)
    p_control = 1 / (1 + np.exp(-logit_c))
    log_rr = np.log(rr) + rng.normal(0, np.sqrt(tau2), k)
    p_closure = np.clip(p_control * np.exp(log_rr), 0.0, 0.99)
    e_closure = rng.binomial(n_closure, p_closure)
    e_control = rng.binomial(n_control, p_control)
    single = rng.random(k) < p_single_arm
    year = rng.integers(2010, 2026, k)
    df = pd.DataFrame(
        {
            "study": [f"Sim {i:02d}" for i in range(1, k + 1)],
            "events_closure": pd.array(e_closure, dtype="Int64"),
            "total_closure": pd.array(n_closure, dtype="Int64"),
            "events_control": pd.array(np.where(single, 0, e_control), dtype="Int64"),
            "total_control": pd.array(n_control, dtype="Int64"),
            "year": pd.array(year, dtype="Int64"),
            "design": rng.choice(["RCT", "prospective cohort", "retrospective cohort"], k),
            "device": rng.choice(["Barricaid", "suture"], k),
            "approach": rng.choice(["open", "MED", "PELD"], k),
            "followup_months": 24.0,
            "outcome": "symptomatic",
            "source": "simulated",
        }
    )
    df.loc[single, ["events_control", "total_control"]] = pd.NA
    df.attrs["truth"] = {
        "k": k,
        "seed": seed,
        "rr": rr,
        "tau2": tau2,
        "control_rate": control_rate,
        "log_rr": log_rr.round(6).tolist(),
    }
    return df
