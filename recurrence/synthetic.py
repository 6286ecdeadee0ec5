"""Synthetic cohorts and study tables with known true parameters.

``simulate_cohort`` draws one row per patient after lumbar discectomy: baseline
covariates, closure (randomized, or by indication), time to same-level reherniation
with a hazard that falls over time, competing events, administrative censoring and
loss to follow-up. ``simulate_studies`` draws a published-studies table with a known
between-study variance. The true parameters travel with the frame in
``df.attrs["truth"]``.

Model
-----
Cause-specific hazard of reherniation (months) for patient *i*::

    h1(t | x) = m · [A·(k/s)·(t/s)^(k-1)·exp(-(t/s)^k) + b] · exp(β'x + u_site)

a Weibull-shaped cumulative hazard that levels off at ``A`` (most reherniations in the
first year) plus a small constant late hazard ``b`` (the long tail). The competing
event (fusion, other-level surgery, death) has a constant hazard; censoring is
administrative (accrual over 48 months, study end at 96) plus loss to follow-up.
Times are whole days, expressed in months (days / 30.4375), so ties occur as in real
follow-up data.

Calibration (defaults; each with its published source)
------------------------------------------------------
==========================  ==========  ==================================================
quantity                    value       source
==========================  ==========  ==================================================
closure HR                  0.5         trials and meta-analyses: OR 0.34 (Choy 2018),
                                        RR 0.42 (Zhao 2024), 12% vs 25% at 2 y (Thomé 2018)
defect width ≥ 6 mm         HR 2.5      OR 2.5 (1.3–4.5), Miller et al. Spine 2018
P(defect ≥ 6 mm)            0.44        pooled incidence of large defects 44% (Cureus SR)
current smoker              HR 2.0      OR 1.99 (1.53–2.58), PMC4718239 (Huang 2016)
diabetes                    HR 1.4      OR 1.19 (Huang 2016) to 1.64 (Neurosurg Rev 2023)
age, sex, BMI, level        HR 1.0      sign and size disagree across sources (SPORT HR
                                        0.96/y vs PELD OR 1.11); not significant in Huang
                                        2016 (sex, BMI, level)
no closure, 2 y, general    ≈ 10%       general series: 12% ≤ 1 y (Garcés Ambrossi 2009),
                                        10.2% symptomatic at 2 y (Spine 2011), 9.1% (SPORT)
share by 3 / 12 / 36 / 60   0.28, 0.69  18/64 within 3 mo (Kienzler 2021/Martens 2018,
mo, relative to 2 y         1.17, 1.30  derived); 17.3% at 1 y vs 25.3% at 2 y; 29.5% at 3 y
                                        (Kienzler 2019); long tail (Kim 2009, Jyväskylä)
no closure, 2 y, large      ≈ 25%       64/253 = 25.3% (Martens 2018, Barricaid RCT)
defect (population=
"large_defect")
competing events            1.4%/year   other-level reoperation 3.1% in 5 y (Jyväskylä,
                                        BMC MSK 8:2), plus fusion and death (assumed)
loss to follow-up           3.5%/year   assumed (94% returned at 1 y, van den Brink 2019)
==========================  ==========  ==================================================

The baseline constants ``A = 0.0635, s = 17.63 months, k = 0.880, b = 0.0001`` were
fitted (least squares on the population-average cumulative incidence, see
:func:`true_cumulative_incidence`) to the general-series profile above: 2.7%, 7.0%,
10.0%, 11.6% and 13.1% at 3, 12, 24, 36 and 60 months without closure. The
``large_defect`` population (all defects 6–10 mm, as in the Barricaid RCT) needs a
further hazard multiplier ``m = 1.78`` to reach 25% at 2 years: the trial's 25% reflects
limited discectomy and its outcome definition (either side), not defect width alone
(an OR of 2.5 for large defects cannot turn a 10% population into 25%).

Examples
--------
>>> from recurrence import simulate_cohort
>>> df = simulate_cohort(500, seed=1)
>>> df.shape
(500, 14)
>>> df.attrs["truth"]["hr"]["closure"]
0.5
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from ._observe import (  # noqa: F401 (MISSABLE, VISIT_WINDOW: part of this module's names)
    DAYS_PER_MONTH,
    MISSABLE,
    MISSING_MODEL,
    VISIT_WINDOW,
    _blank_out,
    _detect_at_visits,
)
from ._simulate_studies import DEFAULT_SEED, simulate_studies

__all__ = ["DEFAULT_SEED", "simulate_cohort", "simulate_studies", "true_cumulative_incidence"]


#: Baseline hazard constants (see the calibration table in the module docstring).
BASELINE = {"A": 0.0635, "s": 17.63, "k": 0.880, "b": 0.0001}
LARGE_DEFECT_MULTIPLIER = 1.78
SITES = ("Site A", "Site B", "Site C", "Site D", "Site E", "Site F")
DEFAULT_HR = {
    "closure": 0.5,
    "large_defect": 2.5,
    "smoker": 2.0,
    "diabetes": 1.4,
    "age_per_10y": 1.0,
    "male": 1.0,
    "bmi_per_5": 1.0,
}


def simulate_cohort(
    n: int = 2000,
    *,
    seed: int | np.random.SeedSequence | np.random.Generator | None = DEFAULT_SEED,
    population: str = "general",
    confounded: bool = False,
    hr_closure: float = 0.5,
    hr: dict[str, float] | None = None,
    competing_rate: float = 0.0012,
    loss_rate: float = 0.003,
    accrual_months: float = 48.0,
    study_months: float = 96.0,
    site_sd: float = 0.15,
    p_closure: float = 0.5,
    missing: dict[str, float] | None = None,
    visits: tuple[float, ...] | None = None,
    missed_visit: float = 0.1,
    cure_fraction: float | None = None,
) -> pd.DataFrame:
    """Simulate a discectomy cohort with known truth.

    Parameters
    ----------
    n
        Number of patients.
    seed
        Seed of :func:`numpy.random.default_rng` (an int, a SeedSequence or a Generator);
        the default gives the packaged cohort.
    population
        ``"general"`` (mixed defect sizes, ≈10% reherniation at 2 years without closure)
        or ``"large_defect"`` (all defects 6–10 mm, ≈25% at 2 years without closure).
    confounded
        ``False``: closure randomized with probability ``p_closure``. ``True``: closure by
        indication, more likely with a large defect, in smokers and in younger patients
        (the propensity model is stored in the truth).
    hr_closure
        True (conditional) hazard ratio of closure for reherniation.
    hr
        Other true hazard ratios, overriding :data:`DEFAULT_HR` keys.
    competing_rate, loss_rate
        Monthly hazards of a competing event and of loss to follow-up (0 for none).
    accrual_months, study_months
        Patients enter uniformly over the accrual period; the study ends at
        ``study_months``, which sets administrative censoring.
    site_sd
        Standard deviation of the site log-hazard offsets.
    p_closure
        Probability of closure when randomized.
    missing
        Covariates to blank out and the share of patients missing each, e.g.
        ``{"defect_width_mm": 0.3, "smoker": 0.2}``: missing at random given the outcome
        and the fully observed columns (see :data:`MISSING_MODEL`); the mechanism, the
        realized shares and the true values of the blanked cells are in
        ``attrs["truth"]["missing"]``. The draws come after every other draw, so the
        complete cohort is the one the same seed gives without ``missing``.
    visits
        Scheduled imaging visits (months after surgery), e.g. ``(1.5, 3, 6, 12, 24, 36,
        60)``: reherniation is then *detected* at the first attended visit after it
        happened (see :func:`_detect_at_visits`), ``time`` is that visit and
        ``time_left`` the last clean scan before it (0 if none); the event lies in
        (``time_left``, ``time``]. ``None`` (default): the event time is observed exactly.
    missed_visit
        Probability that a patient misses a scheduled visit (with ``visits``).
    cure_fraction
        ``None`` (default): the calibrated hazard of the module docstring. A number in
        [0, 1): a mixture cure model instead, in which that fraction never reherniates
        and the others reherniate after a Weibull time with hazard
        ``risk · (k/s)·(t/s)^(k−1)`` (``k`` and ``s`` as in :data:`BASELINE`; no late
        hazard), so the cure fraction is the same in both arms and closure acts on the
        time to reherniation of the others.

    Returns
    -------
    pandas.DataFrame
        A canonical cohort table; ``attrs["truth"]`` holds every true parameter, and
        with ``visits`` the true reherniation times (``reherniation_time``, a tuple in
        row order, months, ``inf`` for never).

    Examples
    --------
    >>> imaged = simulate_cohort(300, seed=4, visits=(1.5, 3, 6, 12, 24, 36, 60))
    >>> detected = imaged[imaged["event"] == 1]
    >>> bool((detected["time_left"] < detected["time"]).all())
    True
    >>> true = np.array(imaged.attrs["truth"]["reherniation_time"])[imaged["event"] == 1]
    >>> bool(((detected["time_left"] < true) & (true <= detected["time"])).all())
    True
    """
    if population not in ("general", "large_defect"):
        raise ValueError(f"population must be 'general' or 'large_defect', not {population!r}")
    if n < 1:
        raise ValueError(f"n must be at least 1, not {n}")
    if cure_fraction is not None and not 0 <= cure_fraction < 1:
        raise ValueError(f"cure_fraction must be in [0, 1), not {cure_fraction}")
    if not 0 <= missed_visit < 1:
        raise ValueError(f"missed_visit must be in [0, 1), not {missed_visit}")
    rng = np.random.default_rng(seed)
    hrs = {**DEFAULT_HR, **(hr or {}), "closure": float(hr_closure)}

    age = np.clip(rng.normal(45.0, 13.0, n), 18, 85).round(0)
    male = rng.random(n) < 0.46
    bmi = np.clip(rng.normal(26.5, 4.0, n), 16, 50).round(1)
    smoker = rng.random(n) < 0.30
    diabetes = rng.random(n) < 0.10
    if population == "general":
        width = np.clip(np.exp(rng.normal(np.log(5.69), 0.35, n)), 1.0, 12.0)
    else:
        width = rng.uniform(6.0, 10.0, n)
    width = width.round(1)
    height = np.clip(rng.normal(8.5, 1.8, n), 3.0, 15.0).round(1)
    level = rng.choice(["L4/5", "L5/S1", "L3/4"], n, p=[0.50, 0.42, 0.08])
    approach = rng.choice(["open", "MED", "PELD"], n, p=[0.50, 0.25, 0.25])
    site_index = rng.integers(0, len(SITES), n)
    site_effect = rng.normal(0.0, site_sd, len(SITES))
    site_effect -= site_effect.mean()  # sites vary around the calibrated baseline
    large = width >= 6.0

    propensity = None
    if confounded:
        propensity = {"intercept": -1.0, "large_defect": 1.5, "smoker": 0.5, "age_per_10y": -0.3}
        logit = (
            propensity["intercept"]
            + propensity["large_defect"] * large
            + propensity["smoker"] * smoker
            + propensity["age_per_10y"] * (age - 45) / 10
        )
        closure = rng.random(n) < 1 / (1 + np.exp(-logit))
    else:
        closure = rng.random(n) < p_closure

    lp = (
        np.log(hrs["closure"]) * closure
        + np.log(hrs["large_defect"]) * large
        + np.log(hrs["smoker"]) * smoker
        + np.log(hrs["diabetes"]) * diabetes
        + np.log(hrs["age_per_10y"]) * (age - 45) / 10
        + np.log(hrs["male"]) * male
        + np.log(hrs["bmi_per_5"]) * (bmi - 26.5) / 5
        + site_effect[site_index]
    )
    mult = LARGE_DEFECT_MULTIPLIER if population == "large_defect" else 1.0
    risk = mult * np.exp(lp)

    # Reherniation time = min of two independent latent times (sum of two hazards):
    # the levelling-off Weibull part (may never happen) and the constant late part.
    A, s, k, b = BASELINE["A"], BASELINE["s"], BASELINE["k"], BASELINE["b"]
    e1 = rng.exponential(size=n) / (A * risk)
    with np.errstate(divide="ignore", invalid="ignore"):
        t_early = np.where(e1 < 1.0, s * (-np.log1p(-e1)) ** (1.0 / k), np.inf)
    t_late = rng.exponential(size=n) / (b * risk)
    t_rehern = np.minimum(t_early, t_late)
    if cure_fraction is not None:  # mixture cure: the same draws, another model
        cured = rng.random(n) < cure_fraction
        t_rehern = np.where(cured, np.inf, s * (rng.exponential(size=n) / risk) ** (1.0 / k))
    t_comp = _exponential(rng, competing_rate, n)
    t_loss = _exponential(rng, loss_rate, n)
    t_admin = study_months - rng.uniform(0.0, accrual_months, n)

    t_event = np.minimum(t_rehern, t_comp)
    t_cens = np.minimum(t_loss, t_admin)
    time = np.minimum(t_event, t_cens)
    event = np.where(t_event <= t_cens, np.where(t_rehern <= t_comp, 1, 2), 0)
    days = np.maximum(np.ceil(time * DAYS_PER_MONTH), 1.0)

    width_digits = len(str(n))
    df = pd.DataFrame(
        {
            "patient_id": [f"P{i:0{max(width_digits, 5)}d}" for i in range(1, n + 1)],
            "closure": closure,
            "time": days / DAYS_PER_MONTH,
            "event": event.astype("int64"),
            "age": age,
            "sex": np.where(male, "M", "F"),
            "bmi": bmi,
            "smoker": smoker,
            "diabetes": diabetes,
            "defect_width_mm": width,
            "disc_height_mm": height,
            "level": level,
            "approach": approach,
            "site": np.asarray(SITES)[site_index],
        }
    )
    if visits is not None:
        days_left, days, event = _detect_at_visits(
            rng, t_rehern, t_comp, t_cens, np.asarray(visits, dtype=float), missed_visit
        )
        df["time"] = days / DAYS_PER_MONTH
        df["event"] = event
        df.insert(df.columns.get_loc("event") + 1, "time_left", days_left / DAYS_PER_MONTH)
    df.attrs["truth"] = {
        "n": n,
        "seed": seed,
        "population": population,
        "confounded": confounded,
        "hr": hrs,
        "baseline": dict(BASELINE),
        "hazard_multiplier": mult,
        "competing_rate": competing_rate,
        "loss_rate": loss_rate,
        "accrual_months": accrual_months,
        "study_months": study_months,
        "site_effects": dict(zip(SITES, site_effect.round(6).tolist(), strict=True)),
        "propensity": propensity,
        "p_closure": None if confounded else p_closure,
        "cure_fraction": cure_fraction,
        "visits": None if visits is None else [float(v) for v in visits],
        "missed_visit": missed_visit if visits is not None else None,
    }
    if visits is not None:
        # a tuple, not an array: pandas compares attrs with == when it concatenates
        df.attrs["truth"]["reherniation_time"] = tuple(t_rehern.tolist())
    if missing:  # the last draws: the same seed gives the same complete cohort
        df.attrs["truth"]["missing"] = _blank_out(df, missing, rng)
    return df


def _exponential(rng: np.random.Generator, rate: float, n: int) -> np.ndarray:
    """Exponential times with a monthly ``rate``; a rate of 0 means never (inf). The
    random draws are taken either way, so a rate of 0 does not shift the stream."""
    if rate < 0:
        raise ValueError(f"rates must be ≥ 0, not {rate}")
    draws = rng.exponential(size=n)
    return draws / rate if rate > 0 else np.full(n, np.inf)


def _risk(df: pd.DataFrame, truth: dict, closure: bool | None) -> np.ndarray:
    hrs = truth["hr"]
    c = df["closure"].to_numpy(bool) if closure is None else np.full(len(df), closure)
    lp = (
        np.log(hrs["closure"]) * c
        + np.log(hrs["large_defect"]) * (df["defect_width_mm"].to_numpy(float) >= 6.0)
        + np.log(hrs["smoker"]) * df["smoker"].to_numpy(bool)
        + np.log(hrs["diabetes"]) * df["diabetes"].to_numpy(bool)
        + np.log(hrs["age_per_10y"]) * (df["age"].to_numpy(float) - 45) / 10
        + np.log(hrs["male"]) * (df["sex"].to_numpy() == "M")
        + np.log(hrs["bmi_per_5"]) * (df["bmi"].to_numpy(float) - 26.5) / 5
        + df["site"].map(truth["site_effects"]).to_numpy(float)
    )
    return truth["hazard_multiplier"] * np.exp(lp)


def true_cumulative_incidence(
    df: pd.DataFrame, times, *, closure: bool | None = None, truth: dict | None = None
) -> np.ndarray:
    """True population-average cumulative incidence of reherniation at ``times``.

    The average, over the patients of ``df``, of each patient's true cumulative
    incidence function ``∫ h1 · exp(-H1 - H2)`` (no censoring), computed by numerical
    integration. ``closure=True``/``False`` sets everyone to one arm (the
    counterfactual curve); ``None`` keeps each patient's own arm.

    Parameters
    ----------
    df : pandas.DataFrame
        A cohort of :func:`simulate_cohort` (its ``attrs["truth"]`` holds the model).
    times : sequence of float
        Months since surgery.
    closure : bool or None
        Everyone with (``True``) or without (``False``) closure, or each patient's own arm.
    truth : dict, optional
        The generating model, when ``df.attrs`` no longer holds it.

    Returns
    -------
    numpy.ndarray
        The true cumulative incidence (proportions) at each of ``times``.

    Examples
    --------
    >>> df = simulate_cohort(4000, seed=3)
    >>> float(true_cumulative_incidence(df, [24], closure=False)[0].round(2))
    0.1
    """
    truth = truth or df.attrs["truth"]
    times = np.atleast_1d(np.asarray(times, dtype=float))
    A, s, k, b = (truth["baseline"][key] for key in ("A", "s", "k", "b"))
    grid = np.linspace(0.0, float(times.max()), 4001)[1:]
    cure = truth.get("cure_fraction")
    if cure is None:
        H = A * -np.expm1(-((grid / s) ** k)) + b * grid
        h = A * k / s * (grid / s) ** (k - 1) * np.exp(-((grid / s) ** k)) + b
    else:  # mixture cure: the uncured fraction has the Weibull hazard k/s·(t/s)^(k-1)
        H = (grid / s) ** k
        h = k / s * (grid / s) ** (k - 1)
    risk = _risk(df, truth, closure)
    # Patients with the same covariates share a risk (96 values when age and BMI have
    # hazard ratio 1): each distinct risk once, weighted by its patients
    values, counts = np.unique(risk, return_counts=True)
    density = np.zeros_like(grid)
    for part in np.array_split(np.arange(len(values)), max(1, len(values) // 2000)):
        r, w = values[part, None], counts[part, None]
        density += (w * h * r * np.exp(-H * r - truth["competing_rate"] * grid)).sum(axis=0)
    density /= len(risk)
    # Integrate from 0 (the density is integrable at 0 though infinite for k < 1):
    # the first interval uses the exact mass 1 - exp(-risk·H(g)) averaged.
    first = np.sum(counts * (1 - np.exp(-values * H[0]))) / len(risk)
    if cure is not None:
        density, first = (1 - cure) * density, (1 - cure) * first
    cumulative = first + np.concatenate(
        [[0.0], np.cumsum((density[1:] + density[:-1]) / 2 * np.diff(grid))]
    )
    return np.interp(times, grid, cumulative)


def write_default_files(folder: str | Path) -> list[Path]:
    """Write the packaged example tables (``cohort.csv``, ``studies.csv``) to ``folder``."""
    from ._io import atomic_write

    folder = Path(folder)
    out = []
    for name, frame in (("cohort.csv", simulate_cohort()), ("studies.csv", simulate_studies())):
        with atomic_write(folder / name, "w") as fh:
            frame.to_csv(fh, index=False, lineterminator="\n")
        out.append(folder / name)
    return out


def main(argv: list[str] | None = None) -> None:
    """``python -m recurrence.synthetic data/synthetic``: regenerate the example files."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("folder", nargs="?", default="data/synthetic")
    args = parser.parse_args(argv)
    for path in write_default_files(args.folder):
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
