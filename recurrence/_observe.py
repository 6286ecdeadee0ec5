"""What follow-up does to a simulated cohort: covariates missing at random, and a
reherniation seen only at the scheduled imaging visits (interval censoring).

Used by :func:`recurrence.synthetic.simulate_cohort` (``missing=`` and ``visits=``);
the names are also importable from :mod:`recurrence.synthetic`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

DAYS_PER_MONTH = 30.4375


#: Log-odds of a covariate being missing: a reherniation, closure and age (per 10 years
#: above 45; left out when age itself is blanked) change it; the intercept of each
#: column is solved so that its expected share is the one asked for. Every predictor is
#: always observed, so the values are missing at random (MAR), not completely at random:
#: the complete cases over-represent closed patients without a reherniation, which
#: biases a complete-case analysis of closure.
MISSING_MODEL = {"reherniation": 1.5, "closure": -1.0, "age_per_10y": 0.3}
#: Covariates :func:`simulate_cohort` can blank out.
MISSABLE = (
    "age",
    "sex",
    "bmi",
    "smoker",
    "diabetes",
    "defect_width_mm",
    "disc_height_mm",
    "level",
    "approach",
)


def _blank_out(df: pd.DataFrame, missing: dict, rng: np.random.Generator) -> dict:
    """Blank out covariates in place (MAR given outcome, closure and age); the truth."""
    from scipy.optimize import brentq

    unknown = [c for c in missing if c not in MISSABLE]
    if unknown:
        raise ValueError(f"missing= can blank out {list(MISSABLE)}, not {unknown}")
    bad = {c: s for c, s in missing.items() if not 0 <= s < 1}
    if bad:
        raise ValueError(f"missing shares must be in [0, 1), not {bad}")
    lp = MISSING_MODEL["reherniation"] * (df["event"].to_numpy() == 1) + MISSING_MODEL[
        "closure"
    ] * df["closure"].to_numpy(float)
    if "age" not in missing:
        lp = lp + MISSING_MODEL["age_per_10y"] * (df["age"].to_numpy(float) - 45) / 10
    truth: dict[str, Any] = {"model": dict(MISSING_MODEL), "uses_age": "age" not in missing}
    truth.update({"intercept": {}, "share": {}, "target_share": dict(missing), "values": {}})
    for col, share in missing.items():
        if share == 0:
            alpha, p = -np.inf, np.zeros(len(df))
        else:
            alpha = brentq(lambda a, s=share: np.mean(1 / (1 + np.exp(-(a + lp)))) - s, -30, 30)
            p = 1 / (1 + np.exp(-(alpha + lp)))
        blank = rng.random(len(df)) < p
        truth["intercept"][col] = float(alpha)
        truth["share"][col] = float(blank.mean())
        truth["values"][col] = df.loc[blank, col].tolist()
        if pd.api.types.is_bool_dtype(df[col]):
            df[col] = df[col].astype("boolean")
        elif not pd.api.types.is_numeric_dtype(df[col]):
            df[col] = df[col].astype(object)
        df.loc[blank, col] = pd.NA if df[col].dtype == "boolean" else None
        if pd.api.types.is_numeric_dtype(df[col]) and df[col].dtype != "boolean":
            df[col] = df[col].astype(float)
    return truth


#: Half-width of the window around a scheduled visit: 15% of its month, at most 2 months.
VISIT_WINDOW = (0.15, 2.0)


def _detect_at_visits(rng, t_rehern, t_comp, t_cens, visits, missed):
    """Radiographic follow-up: (time_left, time) in whole days and the event code.

    Visit *k* takes place on a day drawn uniformly within its window (±15% of its
    month, at most ±2 months) unless missed (probability ``missed``); visits after the
    end of follow-up (censoring or a competing event) do not happen. A reherniation is
    found at the first visit on or after it: event 1, ``time`` that visit, ``time_left``
    the last clean visit (0 if none). Otherwise a competing event during follow-up is
    event 2 at its date, and anyone else is censored at the last clean scan (day 1 if
    never imaged).
    """
    n, k = len(t_rehern), len(visits)
    half = np.minimum(VISIT_WINDOW[0] * visits, VISIT_WINDOW[1])
    when = visits + rng.uniform(-1.0, 1.0, (n, k)) * half
    when = np.maximum(np.ceil(when * DAYS_PER_MONTH), 1.0) / DAYS_PER_MONTH
    end = np.minimum(t_cens, t_comp)
    seen = (rng.random((n, k)) >= missed) & (when <= end[:, None])
    positive = seen & (when >= t_rehern[:, None])
    clean = seen & (when < t_rehern[:, None])
    detected = positive.any(axis=1)
    found = np.where(positive, when, np.inf).min(axis=1)
    last_clean = np.where(clean, when, 0.0).max(axis=1)
    competing = ~detected & (t_comp <= t_cens)
    event = np.where(detected, 1, np.where(competing, 2, 0)).astype("int64")
    comp_days = np.maximum(np.ceil(t_comp * DAYS_PER_MONTH), 1.0)
    clean_days = np.round(last_clean * DAYS_PER_MONTH)
    days = np.where(
        detected,
        np.round(np.where(detected, found, 0.0) * DAYS_PER_MONTH),
        np.where(competing, comp_days, np.maximum(clean_days, 1.0)),
    )
    days_left = np.where(detected, clean_days, np.nan)
    return days_left, days, event
