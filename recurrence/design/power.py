"""Power of the planned analysis by Monte Carlo simulation of whole trials.

:func:`simulate_power` draws many trials of closure against no closure, runs the
analysis planned for the real trial on each (log-rank, Cox, Gray's test or Fine-Gray),
and counts how often it rejects. Unlike a formula it keeps everything the formula
simplifies away: a hazard that falls after surgery, competing events, loss to
follow-up, staggered entry, small numbers of events.

Trials
------
``hazard="cohort"`` (default)
    Each trial is a cohort of :func:`recurrence.simulate_cohort` with the chosen true
    closure hazard ratio ``hr`` (conditional on the generator's covariates), randomized
    closure (each patient with probability ``ratio/(1 + ratio)``, so arm sizes vary
    around ``n_per_arm``), entry uniform over ``accrual`` months and analysis
    ``followup`` months after the last entry (``study_months = accrual + followup``).
``hazard="exponential"``
    The assumptions of the formulas of :func:`recurrence.design.sample_size_survival`:
    exactly ``n_per_arm`` patients per arm, constant reherniation hazard
    ``-ln(1 - control_incidence)/horizon`` without closure and ``hr`` times it with,
    constant competing and loss hazards, uniform entry, continuous times. Here the
    simulated power of the log-rank test should match :func:`analytic_power`.

Analyses (every analysis asked for runs on the same simulated trials)
---------------------------------------------------------------------
* ``logrank``: :func:`recurrence.survival.logrank`; estimate Peto's (O − E)/V, SE 1/√V.
* ``cox``: Wald test of :func:`recurrence.survival.cox` on closure; log HR, model SE.
* ``gray``: Gray's test of :func:`recurrence.survival.cumulative_incidence`; no estimate.
* ``finegray``: Wald test of :func:`recurrence.survival.fine_gray`; log SHR, sandwich SE.

Each runs on the array-level cores of :mod:`recurrence.survival` (the numbers of the
public functions, tested, at a fraction of their cost). A replicate whose analysis is
not possible (no reherniation, a diverging fit) counts as not rejecting and is left out
of the estimate summaries; ``failed`` counts them.

Monte Carlo error (Morris, White & Crowther 2019, *Stat Med* 38:2074, table 6): power
``p`` over ``R`` replicates has MCSE √(p(1 − p)/R); bias has MCSE ``empirical_se/√k``
over the ``k`` estimates; coverage ``c`` has √(c(1 − c)/k).

Reproducibility: replicate ``r`` of scenario ``s`` draws from
``SeedSequence(seed).spawn(n_scenarios)[s].spawn(replicates)[r]``, built directly as
``SeedSequence(seed, spawn_key=(s, r))``. A task (chunk) is only a range of replicates,
so neither ``chunk_size`` nor the backend nor the number of workers changes a number.

Engines (``engine=``): ``"batched"`` (default) draws a task's trials as (trials ×
patients) arrays with exactly ``simulate_cohort``'s random numbers and analyses them
together (:mod:`._batch_draw`, :mod:`._batch_tests`, :mod:`._batch_finegray`): the same
table as ``"per-trial"``, the reference (one trial, one analysis at a time).
``"fast"`` draws leaner trials of the same model (other random numbers). A diverging
fit fails in every engine; where its iterations stop depends on rounding, so its
``coef`` in ``.trials`` may differ. Details: ``docs/design.md``.

The code: the trials and their analyses are in :mod:`._trials` (module-level, for the
worker processes), the result in :mod:`._power_result`; both are used from here.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd

from .._dist import norm
from .._validate import LEVEL, Rule, between, check, check_each, one_of, optional, whole
from . import _execution
from ._power_result import PowerResult, power_curve_data
from ._trials import (
    ANALYSES,
    ENGINES,
    HAZARDS,
    _default_chunk,
    _estimated_seconds,
    _run_chunk,
    _scenarios,
    _Task,
    _trials_frame,
)
from ._trials import GRID as GRID
from ._trials import _analyse as _analyse
from ._trials import _trial as _trial

__all__ = ["ANALYSES", "PowerResult", "analytic_power", "power_curve_data", "simulate_power"]

# ---------------------------------------------------------------------------------------
# the analytic counterpart
# ---------------------------------------------------------------------------------------


def analytic_power(
    hr: float,
    n_per_arm: float,
    *,
    control_incidence: float,
    horizon: float = 24.0,
    accrual: float = 24.0,
    followup: float = 24.0,
    loss_rate: float = 0.0,
    competing_rate: float = 0.0,
    alpha: float = 0.05,
    sides: int = 2,
    ratio: float = 1.0,
    method: str = "schoenfeld",
) -> float:
    """Power of the log-rank test by formula: the inverse of
    :func:`~recurrence.design.sample_size_survival` (same assumptions, same inputs).

    ``n_per_arm`` patients without closure and ``ratio·n_per_arm`` with; the expected
    number of reherniations ``d`` follows from the constant hazards, and the power is
    ``Φ(√(d·p(1 − p))·|ln HR| − z)`` (Schoenfeld, ``p = ratio/(1 + ratio)``) or
    ``Φ(√(d·ratio)·|1 − HR|/(1 + ratio·HR) − z)`` (Freedman), ``z = z₁₋α/sides``.
    One-sided tests are in favour of closure (HR < 1), as in :func:`simulate_power`.

    Parameters
    ----------
    hr : float
        Hazard ratio of closure to no closure that the trial is powered for (e.g. 0.5).
    n_per_arm : float
        Patients without closure; the closure arm has ``ratio · n_per_arm``.
    control_incidence : float
        Proportion reherniated without closure by ``horizon`` months (e.g. 0.25); sets
        the constant control hazard ``-ln(1 - control_incidence) / horizon``.
    horizon : float, default 24
        Months at which ``control_incidence`` holds.
    accrual, followup : float, default 24
        Months of uniform recruitment, and of follow-up after the last patient.
    loss_rate, competing_rate : float, default 0
        Monthly hazards of loss to follow-up and of a competing event (fusion, death).
    alpha : float, default 0.05
        Type I error, split over ``sides``.
    sides : {2, 1}
        Two-sided test, or one-sided in favour of closure.
    ratio : float, default 1
        Patients with closure per patient without.
    method : {"schoenfeld", "freedman"}
        Events formula.

    Returns
    -------
    float
        The power, a proportion in (0, 1).

    Examples
    --------
    >>> round(analytic_power(0.5, 121, control_incidence=0.25), 3)   # 242 patients: 80%
    0.801
    """
    from .analytic import HR, METHOD, _p_event, _z

    check("hr", hr, HR)
    check("method", method, METHOD)
    za, _ = _z(alpha, 0.5, sides)
    lam = -math.log(1 - control_incidence) / horizon
    other = loss_rate + competing_rate
    events = n_per_arm * _p_event(lam, other, accrual, followup) + ratio * n_per_arm * _p_event(
        hr * lam, other, accrual, followup
    )
    if method == "schoenfeld":
        p = ratio / (1 + ratio)
        signal = math.sqrt(events * p * (1 - p)) * abs(math.log(hr))
    else:  # freedman
        signal = math.sqrt(events * ratio) * abs(1 - hr) / (1 + ratio * hr)
    if sides == 1 and hr > 1:  # a one-sided test in favour of closure, against harm
        signal = -signal
    return float(norm.cdf(signal - za))


# the public function ----------------------------------------------------------------


def _as_list(value) -> list:
    if isinstance(value, (list, tuple, np.ndarray, pd.Series, range)):
        return list(value)
    return [value]


#: Argument rules (:mod:`recurrence._validate`): the test, the rule in words, an example.
RULES = {
    "analysis": one_of(ANALYSES, example="analysis='logrank'"),
    "hazard": one_of(HAZARDS),
    "n_per_arm": whole(2, words="a whole number of patients ≥ 2", example="n_per_arm=[100, 200]"),
    "hr": between(0, words="a hazard ratio > 0", example="hr=0.5 (1 gives the type I error)"),
    "accrual": between(0, low_closed=True, words="≥ 0 months"),
    "followup": between(0, words="> 0 months after the last entry"),
    "competing_rate": between(0, low_closed=True, words="a monthly hazard ≥ 0", example="0.0012"),
    "loss_rate": between(
        0, low_closed=True, words="a monthly hazard ≥ 0", example="0.003 (3.5% a year)"
    ),
    "population": Rule(lambda v: v in ("general", "large_defect"), "'general' or 'large_defect'"),
    "control_incidence": optional(
        between(0, 1, words="a proportion in (0, 1)", example="0.25 by the horizon")
    ),
    "replicates": whole(1, example="replicates=1000"),
    "alpha": between(0, 1),
    "level": LEVEL,
    "sides": one_of((1, 2)),
    "ratio": between(0, words="> 0 (closure : control allocation)"),
    "horizon": between(0, words="> 0 months"),
    "chunk_size": optional(whole(1)),
    "seed": optional(whole(0, example="seed=2026")),
    "engine": one_of(ENGINES, example="engine='batched'"),
}


def _validate(values: dict[str, list]) -> None:
    """A DataError naming the first argument that breaks its rule in :data:`RULES`."""
    for name, given in values.items():
        check_each(name, given, RULES[name])


def simulate_power(
    n_per_arm=200,
    hr=0.5,
    *,
    analysis="logrank",
    replicates: int = 1000,
    seed: int | None = None,
    alpha: float = 0.05,
    sides: int = 2,
    level: float = 0.95,
    ratio: float = 1.0,
    accrual=24.0,
    followup=24.0,
    competing_rate=0.0012,
    loss_rate=0.003,
    population="large_defect",
    hazard: str = "cohort",
    control_incidence=None,
    horizon: float = 24.0,
    method: str = "schoenfeld",
    backend: str = "auto",
    client=None,
    scheduler: str | None = None,
    n_jobs: int | None = None,
    timeout: float = _execution.WAIT_SECONDS,
    chunk_size: int | None = None,
    progress=None,
    engine: str = "batched",
) -> PowerResult:
    """Power of the planned analysis of a closure trial, by simulating the trial.

    Every argument in :data:`GRID` may be a list: the scenarios are all combinations.

    Parameters
    ----------
    n_per_arm
        Patients without closure per trial (``ratio·n_per_arm`` with closure).
    hr
        True hazard ratio of closure for reherniation (1 gives the type I error).
    analysis
        ``"logrank"``, ``"cox"``, ``"gray"``, ``"finegray"``, or a list of them: each
        analyses the same simulated trials.
    replicates
        Simulated trials per scenario. The MCSE of a power near 0.8 is 0.028 with 200,
        0.013 with 1,000 and 0.004 with 10,000.
    seed
        Root seed; ``None`` draws one and records it in ``.seed``.
    alpha, sides, level
        The test (two-sided, or one-sided in favour of closure) and the interval whose
        coverage is reported.
    ratio
        Allocation closure : control.
    accrual, followup
        Months of uniform entry, and of follow-up after the last entry.
    competing_rate, loss_rate
        Monthly hazards of a competing event and of loss to follow-up.
    population
        ``"large_defect"`` (≈25% reherniation at 2 years without closure, as in the
        Barricaid trial) or ``"general"`` (≈10%); cohort hazard only.
    hazard
        ``"cohort"`` (the synthetic cohort's falling hazard and covariates) or
        ``"exponential"`` (constant hazards: the formula's assumptions).
    control_incidence, horizon
        Reherniation without closure by ``horizon`` months: sets the exponential hazard
        and the formula's power (``analytic_power``). ``None``: 0.25 for the exponential
        hazard; for the cohort hazard the generator's own (net of competing events).
    method
        Formula of ``analytic_power``: ``"schoenfeld"`` or ``"freedman"``.
    backend, client, scheduler, n_jobs
        Where to run (:mod:`recurrence.design._execution`): ``"auto"`` (in-process for
        small jobs, local processes beyond about 5 seconds, Dask with a client or
        scheduler), ``"serial"``, ``"processes"`` or ``"dask"`` (a ``LocalCluster`` of
        ``n_jobs`` workers when no client or scheduler address is given).
    timeout
        Seconds any wait on a Dask cluster may last (a worker to join, the next result);
        beyond it a :class:`~recurrence.DataError` says so instead of hanging.
    chunk_size
        Replicates per task (default: batched in this process up to 2,000, else about
        20 tasks per scenario of 100 to 1,000; per trial at most 250). Changes
        scheduling only, never the numbers.
    progress
        ``None`` (a bar when someone can see it), ``True``, ``False``, or a callable
        ``progress(done, total)``.
    engine
        ``"batched"`` (default): the trials of a task drawn as arrays and analysed
        together, the same random numbers and table as ``"per-trial"`` (one trial at
        a time: the reference); ``"fast"``: leaner trials of the same model with other
        random numbers, the fastest (see the module docstring).

    Returns
    -------
    PowerResult
        ``.table`` (one row per scenario and analysis), ``.power``, ``.power_mcse``,
        ``.trials``, ``.plot()``.

    Examples
    --------
    >>> res = simulate_power(128, hazard="exponential", replicates=200, seed=1,
    ...                      analysis=["logrank", "cox"])
    >>> res.table[["analysis", "power", "power_mcse", "analytic_power"]].round(3)
      analysis  power  power_mcse  analytic_power
    0  logrank  0.725       0.032           0.795
    1      cox  0.720       0.032           0.795
    """
    grid = {
        "n_per_arm": _as_list(n_per_arm),
        "hr": _as_list(hr),
        "accrual": _as_list(accrual),
        "followup": _as_list(followup),
        "competing_rate": _as_list(competing_rate),
        "loss_rate": _as_list(loss_rate),
        "population": _as_list(population),
        "control_incidence": _as_list(control_incidence),
    }
    analyses = tuple(dict.fromkeys(_as_list(analysis)))
    _validate(
        {
            **grid,
            "analysis": list(analyses),
            "hazard": [hazard],
            "replicates": [replicates],
            "alpha": [alpha],
            "level": [level],
            "sides": [sides],
            "ratio": [ratio],
            "horizon": [horizon],
            "chunk_size": [chunk_size],
            "seed": [seed],
            "engine": [engine],
        }
    )
    _execution.check_backend(backend, client, scheduler, n_jobs)
    _execution.check_scheduler(scheduler)
    replicates = int(replicates)
    root = np.random.SeedSequence(None if seed is None else int(seed))
    entropy = root.entropy
    assert isinstance(entropy, int)  # a SeedSequence made from an int or None
    scenarios = _scenarios(grid, hazard, horizon)
    estimated = _estimated_seconds(scenarios, analyses, replicates, ratio, engine)
    chosen = _execution.resolve_backend(backend, client, scheduler, estimated)
    chunk = chunk_size or _default_chunk(replicates, engine, chosen)
    tasks = [
        _Task(
            entropy,
            s,
            start,
            min(start + chunk, replicates),
            tuple(p.items()),
            analyses,
            hazard,
            float(ratio),
            float(horizon),
            engine,
        )
        for s, p in enumerate(scenarios)
        for start in range(0, replicates, chunk)
    ]
    results, how = _execution.run_tasks(
        _run_chunk,
        tasks,
        sizes=[t.stop - t.start for t in tasks],
        backend=chosen,
        client=client,
        scheduler=scheduler,
        n_jobs=n_jobs,
        progress=progress,
        estimated_seconds=estimated,
        description="simulating trials",
        timeout=timeout,
    )
    trials = _trials_frame(tasks, results, analyses, alpha, sides)
    table = _summarise(
        trials, scenarios, analyses, replicates, level, alpha, sides, ratio, horizon, method
    )
    return PowerResult(
        table=table,
        trials=trials,
        seed=entropy,
        replicates=replicates,
        alpha=alpha,
        sides=sides,
        level=level,
        hazard=hazard,
        analyses=analyses,
        execution=how,
        remarks=_remarks(table, hazard, analyses, replicates),
    )


def _summarise(
    trials, scenarios, analyses, replicates, level, alpha, sides, ratio, horizon, method
) -> pd.DataFrame:
    zq = norm.isf((1 - level) / 2)
    rows = []
    for (s, a), part in trials.groupby(["scenario", "analysis"], sort=True, observed=True):
        p = scenarios[s]
        power = float(part["reject"].mean())
        good = part[part["ok"] & np.isfinite(part["coef"])]
        k = len(good)
        truth = math.log(p["hr"])
        coef, se = good["coef"].to_numpy(), good["se"].to_numpy()
        has = a != "gray" and k > 0
        emp = float(np.std(coef, ddof=1)) if has and k > 1 else math.nan
        cover = float(np.mean(np.abs(coef - truth) <= zq * se)) if has else math.nan
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            mean_coef = float(coef.mean()) if has else math.nan
        analytic = (
            analytic_power(
                p["hr"],
                p["n_per_arm"],
                control_incidence=p["control_incidence"],
                horizon=horizon,
                accrual=p["accrual"],
                followup=p["followup"],
                loss_rate=p["loss_rate"],
                competing_rate=p["competing_rate"],
                alpha=alpha,
                sides=sides,
                ratio=ratio,
                method=method,
            )
            if p["hr"] != 1
            else alpha
        )
        rows.append(
            {
                "scenario": int(s),
                **p,
                "horizon": horizon,
                "analysis": a,
                "replicates": replicates,
                "power": power,
                "power_mcse": math.sqrt(power * (1 - power) / replicates),
                "analytic_power": analytic,
                "estimate": math.exp(mean_coef),
                "mean_coef": mean_coef,
                "bias": mean_coef - truth,
                "bias_mcse": emp / math.sqrt(k) if has else math.nan,
                "empirical_se": emp,
                "model_se": float(np.sqrt(np.mean(se**2))) if has else math.nan,
                "coverage": cover,
                "coverage_mcse": math.sqrt(cover * (1 - cover) / k) if has else math.nan,
                "events": float(part["events"].mean()),
                "competing": float(part["competing"].mean()),
                "failed": int(replicates - (part["ok"]).sum()),
            }
        )
    return pd.DataFrame(rows)


def _remarks(table, hazard, analyses, replicates) -> tuple[str, ...]:
    out = [
        f"Monte Carlo error: power ± 1.96·power_mcse covers the true power of the design "
        f"in 95% of runs; with {replicates:,} trials the MCSE is at most "
        f"{0.5 / math.sqrt(replicates):.3f}"
    ]
    failed = int(table["failed"].sum())
    if failed:
        out.append(
            f"{failed:,} analyses gave no result (no reherniation, or a diverging fit): "
            "counted as not rejecting, left out of the estimate columns"
        )
    out.append(
        "analytic_power is the log-rank formula (sample_size_survival) for the same "
        "design"
        + (
            " with constant hazards; the cohort's hazard falls after surgery"
            if hazard == "cohort"
            else ""
        )
    )
    if hazard == "cohort" and any(a in analyses for a in ("cox", "logrank", "finegray")):
        out.append(
            "the true hr is conditional on the generator's covariates (smoking, "
            "diabetes, defect width, site); closure alone estimates a marginal ratio, "
            "a little closer to 1 (non-collapsibility), so a small bias is expected"
        )
    if "finegray" in analyses and (table["competing_rate"] > 0).any():
        out.append(
            "Fine-Gray estimates a subdistribution hazard ratio; with competing events it "
            "differs from the cause-specific hr its bias and coverage are measured against"
        )
    if "gray" in analyses:
        out.append("Gray's test gives no effect estimate: its estimate columns are empty")
    if "logrank" in analyses:
        out.append("the log-rank estimate is Peto's one-step (O − E)/V with SE 1/√V")
    return tuple(out)
