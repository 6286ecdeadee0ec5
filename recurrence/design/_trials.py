"""The simulated trials of :func:`~recurrence.design.power.simulate_power`: the scenario
grid, the trial generator, the fast per-trial analyses, one chunk of replicates, and the
chunks stacked into one row per trial (what the trials and analyses are:
:mod:`recurrence.design.power`).

:func:`_run_chunk` and its :class:`_Task` are what :mod:`recurrence.design._execution`
sends to worker processes (loky, Dask): both stay at module level here, so a worker
imports them by name (``recurrence.design._trials._run_chunk``).
"""

from __future__ import annotations

import functools
import itertools
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .._dist import norm
from ..survival._core import cox as cox_core
from ..survival._core import finegray as fg_core
from ..survival._core import nonparametric as npc
from ..survival._core.cox import timefix
from ..survival._core.gray import gray_score
from ..synthetic import simulate_cohort, true_cumulative_incidence

ANALYSES = ("logrank", "cox", "gray", "finegray")
HAZARDS = ("cohort", "exponential")
ENGINES = ("batched", "fast", "per-trial")
#: Arguments of :func:`~recurrence.design.power.simulate_power` that may be a list: the
#: grid of scenarios (the parameters of a trial).
GRID = (
    "n_per_arm",
    "hr",
    "accrual",
    "followup",
    "competing_rate",
    "loss_rate",
    "population",
    "control_incidence",
)


# ---------------------------------------------------------------------------------------
# the scenarios
# ---------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=16)
def _generator_incidence(population: str, horizon: float) -> float:
    """The generator's true reherniation incidence without closure at ``horizon``, net of
    competing events (the formula's ``control_incidence``), averaged over 4,000 patients."""
    ref = simulate_cohort(4000, seed=1, population=population)
    truth = {**ref.attrs["truth"], "competing_rate": 0.0}
    return float(true_cumulative_incidence(ref, [horizon], closure=False, truth=truth)[0])


def _scenarios(grid: dict, hazard: str, horizon: float) -> list[dict]:
    out = []
    for values in itertools.product(*(dict.fromkeys(grid[k]) for k in GRID)):
        params = dict(zip(GRID, values, strict=True))
        params["n_per_arm"] = int(params["n_per_arm"])
        for k in ("hr", "accrual", "followup", "competing_rate", "loss_rate"):
            params[k] = float(params[k])
        if params["control_incidence"] is None:
            params["control_incidence"] = (
                0.25
                if hazard == "exponential"
                else _generator_incidence(params["population"], horizon)
            )
        if hazard == "exponential":
            params["population"] = None
        out.append(params)
    # the exponential hazard ignores population: drop the duplicates it leaves
    unique = {tuple(p.items()): p for p in out}
    return list(unique.values())


# ---------------------------------------------------------------------------------------
# what a job costs, and how it is cut into tasks
# ---------------------------------------------------------------------------------------

#: Per-replicate cost in milliseconds (2-core machine, 2026-11), for ``backend="auto"``:
#: simulating a trial, and each analysis, as intercept + slope per patient.
COST_MS = {
    "trial": (0.4, 0.0008),
    "logrank": (0.06, 0.00006),
    "gray": (0.15, 0.0001),
    "cox": (0.3, 0.0003),
    "finegray": (0.3, 0.00025),
}
#: The same for the batched engines (blocks of trials; measured 2026-12 on the shared
#: 2-core machine under load, n = 400: trial 68 µs including sorting, log-rank 6, Gray
#: 17, Cox 14, Fine-Gray 60; "fast" trials take about half).
BATCHED_COST_MS = {
    "trial": (0.002, 0.00017),
    "logrank": (0.0, 0.000015),
    "gray": (0.0, 0.00004),
    "cox": (0.0, 0.000035),
    "finegray": (0.0, 0.00015),
}


def _default_chunk(replicates: int, engine: str, backend: str) -> int:
    """Replicates per task. Per trial: about 20 tasks per scenario, at most 250. Batched:
    in this process, as many as 2,000 (a task's blocks pay NumPy's call overhead once);
    elsewhere about 20 tasks per scenario of 100 to 1,000 trials."""
    if engine == "per-trial":
        return min(250, max(1, math.ceil(replicates / 20)))
    if backend == "serial":
        return min(replicates, 2000)
    return min(replicates, 1000, max(100, math.ceil(replicates / 20)))


def _estimated_seconds(scenarios, analyses, replicates, ratio, engine="per-trial") -> float:
    costs = COST_MS if engine == "per-trial" else BATCHED_COST_MS
    ms = 0.0
    for p in scenarios:
        n = p["n_per_arm"] * (1 + ratio)
        per = sum(a + b * n for a, b in (costs[k] for k in ("trial", *analyses)))
        ms += per * replicates
    return ms / 1000


# ---------------------------------------------------------------------------------------
# one chunk of replicates (runs wherever the backend puts it)
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Task:
    entropy: int
    scenario: int
    start: int
    stop: int
    params: tuple  # (name, value) pairs of the scenario
    analyses: tuple[str, ...]
    hazard: str
    ratio: float
    horizon: float
    engine: str = "batched"  # "fast" (lean trials), or "per-trial": the reference


def _trial(params: dict, task: _Task, rng: np.random.Generator):
    """One simulated trial: time, event (0/1/2) and closure arrays."""
    n_control = int(params["n_per_arm"])
    n_closure = round(task.ratio * n_control)
    n = n_control + n_closure
    if task.hazard == "cohort":
        # simulate_cohort divides by the rates: a rate of 1e-300 a month is "never"
        df = simulate_cohort(
            n,
            seed=rng,
            population=params["population"],
            hr_closure=params["hr"],
            competing_rate=max(params["competing_rate"], NEVER),
            loss_rate=max(params["loss_rate"], NEVER),
            accrual_months=params["accrual"],
            study_months=params["accrual"] + params["followup"],
            p_closure=task.ratio / (1 + task.ratio),
        )
        return (
            df["time"].to_numpy(float),
            df["event"].to_numpy(np.int64),
            df["closure"].to_numpy(bool),
        )
    closure = np.arange(n) >= n_control
    lam = -math.log(1 - params["control_incidence"]) / task.horizon
    rate = np.where(closure, params["hr"] * lam, lam)
    draws = rng.exponential(size=(3, n))
    t_rehern = draws[0] / rate
    t_comp = draws[1] / params["competing_rate"] if params["competing_rate"] > 0 else np.inf
    t_loss = draws[2] / params["loss_rate"] if params["loss_rate"] > 0 else np.inf
    t_admin = params["accrual"] + params["followup"] - rng.uniform(0.0, params["accrual"], n)
    t_event = np.minimum(t_rehern, t_comp)
    t_cens = np.minimum(t_loss, t_admin)
    event = np.where(t_event <= t_cens, np.where(t_rehern <= t_comp, 1, 2), 0)
    return np.minimum(t_event, t_cens), event.astype(np.int64), closure


def _lean_trial(params: dict, task: _Task, rng: np.random.Generator):
    """One cohort trial of ``engine="fast"``: the model of :func:`simulate_cohort` (the
    same hazards, covariates, arms and censoring) drawing only what the hazard reads,
    in one call of ``n·9 + 6`` uniforms (``+ n`` for the general population): per
    patient smoker, diabetes, site, closure, four latent exponential times by inversion
    (−log(1 − U): reherniation early and late, competing event, loss) and the entry
    time; then the six site effects (and the general population's defect widths) as
    normals by inversion (Φ⁻¹(U)). ``rng``: an SFC64 generator seeded by the
    replicate's SeedSequence (twice as fast as PCG64 here). The per-trial definition
    that :mod:`._batch_draw` is tested against."""
    from scipy.special import ndtri

    from ..synthetic import BASELINE, DAYS_PER_MONTH, DEFAULT_HR, LARGE_DEFECT_MULTIPLIER

    n_control = int(params["n_per_arm"])
    n = n_control + round(task.ratio * n_control)
    general = params["population"] == "general"
    draws = rng.random(9 * n + 6 + (n if general else 0))
    u = draws[: 9 * n].reshape(9, n)
    z = ndtri(draws[9 * n :])
    smoker, diabetes = u[0] < 0.30, u[1] < 0.10
    site = (u[2] * 6).astype(np.intp)
    closure = u[3] < task.ratio / (1 + task.ratio)
    e_early, e_late, e_comp, e_loss = -np.log(1.0 - u[4:8])  # 1 − U is exact
    effect = 0.15 * z[:6]
    effect -= effect.mean()
    if general:
        width = np.clip(np.exp(np.log(5.69) + 0.35 * z[6:]), 1.0, 12.0).round(1)
        large = width >= 6.0
    else:
        large = np.ones(n, bool)
    lp = (
        np.log(params["hr"]) * closure
        + np.log(DEFAULT_HR["large_defect"]) * large
        + np.log(DEFAULT_HR["smoker"]) * smoker
        + np.log(DEFAULT_HR["diabetes"]) * diabetes
        + effect[site]
    )
    risk = (1.0 if general else LARGE_DEFECT_MULTIPLIER) * np.exp(lp)
    A, s, k, b = BASELINE["A"], BASELINE["s"], BASELINE["k"], BASELINE["b"]
    e1 = e_early / (A * risk)
    with np.errstate(divide="ignore", invalid="ignore"):
        t_early = np.where(e1 < 1.0, s * (-np.log1p(-e1)) ** (1.0 / k), np.inf)
    t_rehern = np.minimum(t_early, e_late / (b * risk))
    t_comp = e_comp / max(params["competing_rate"], NEVER)
    t_loss = e_loss / max(params["loss_rate"], NEVER)
    t_admin = params["accrual"] + params["followup"] - params["accrual"] * u[8]
    t_event, t_cens = np.minimum(t_rehern, t_comp), np.minimum(t_loss, t_admin)
    event = np.where(t_event <= t_cens, np.where(t_rehern <= t_comp, 1, 2), 0)
    days = np.maximum(np.ceil(np.minimum(t_event, t_cens) * DAYS_PER_MONTH), 1.0)
    return days / DAYS_PER_MONTH, event.astype(np.int64), closure


#: Stands in for a zero hazard in simulate_cohort (events after ~1e300 months).
NEVER = 1e-300
_NONE = (math.nan, math.nan, math.nan, False)


def _analyse(analysis: str, time, event, closure) -> tuple[float, float, float, bool]:
    """(z, coef, se, ok) of one analysis; z < 0 favours closure. NaN when impossible."""
    if not (event == 1).any():
        return _NONE
    if analysis in ("logrank", "gray"):
        rt = npc.risk_table(time, event, closure.astype(np.int64), 2)
        _, d, other = npc.event_counts(rt.counts, 1)
        if analysis == "logrank":
            o, e, v = npc.logrank_sums(rt.at_risk, d)
            if not v[1, 1] > 0:
                return _NONE
            return (
                (o[1] - e[1]) / math.sqrt(v[1, 1]),
                (o[1] - e[1]) / v[1, 1],
                1 / math.sqrt(v[1, 1]),
                True,
            )
        s, v = gray_score(rt.at_risk, d, other)
        if not (np.isfinite(v).all() and v[0, 0] > 0):
            return _NONE
        return -s[0] / math.sqrt(v[0, 0]), math.nan, math.nan, True
    x = closure.astype(float)[:, None]
    fit: cox_core.CoxFit | fg_core.FGFit
    if analysis == "cox":
        strata = cox_core.make_strata(
            timefix(time), event == 1, x, np.ones(len(time)), None, "efron"
        )
        start = cox_core.evaluate(strata, np.zeros(1))
        if cox_core.aliased_from_info(start[2])[0]:  # closure carries no information
            return _NONE
        fit = cox_core.fit_cox(strata, 1, start=start)
    else:
        data, _ = fg_core.make_data(time, event, x, 1)
        start = fg_core.evaluate(data, np.zeros(1))
        if cox_core.aliased_from_info(start[2])[0]:
            return _NONE
        fit = fg_core.fit_fine_gray(data, 1, start=start)
    coef, se = float(fit.coef[0]), math.sqrt(fit.var[0, 0])
    ok = bool(fit.converged and not fit.infinite.any() and np.isfinite(se) and se > 0)
    return (coef / se if ok else math.nan), coef, se, ok


def _run_chunk(task: _Task) -> dict[str, np.ndarray]:
    """Replicates ``start:stop`` of one scenario: per replicate counts and, per analysis,
    z, coefficient, standard error and whether the analysis worked (the same numbers
    from either engine)."""
    if task.engine in ("batched", "fast"):
        return _run_chunk_batched(task)
    params = dict(task.params)
    size = task.stop - task.start
    out: dict[str, np.ndarray] = {
        "events": np.zeros(size, np.int64),
        "competing": np.zeros(size, np.int64),
        "n_closure": np.zeros(size, np.int64),
    }
    for a in task.analyses:
        out[a] = np.empty((size, 4))
    for i, r in enumerate(range(task.start, task.stop)):
        seq = np.random.SeedSequence(task.entropy, spawn_key=(task.scenario, r))
        time, event, closure = _trial(params, task, np.random.default_rng(seq))
        out["events"][i] = (event == 1).sum()
        out["competing"][i] = (event == 2).sum()
        out["n_closure"][i] = closure.sum()
        for a in task.analyses:
            out[a][i] = _analyse(a, time, event, closure)
    return out


#: Patients × trials analysed at once by the batched engine: blocks that stay in the
#: processor's cache (larger blocks are slower, smaller ones pay NumPy's call overhead).
BLOCK_CELLS = 40_000


def _run_chunk_batched(task: _Task) -> dict[str, np.ndarray]:
    """:func:`_run_chunk` by the batched engine: blocks of trials drawn as arrays
    (:mod:`._batch_draw`) and analysed together (:mod:`._batch_tests`,
    :mod:`._batch_finegray`)."""
    from . import _batch_draw, _batch_finegray, _batch_tests

    analyse = {
        "logrank": _batch_tests.logrank,
        "gray": _batch_tests.gray,
        "cox": _batch_tests.cox,
        "finegray": _batch_finegray.finegray,
    }
    params = dict(task.params)
    n = int(params["n_per_arm"]) + round(task.ratio * int(params["n_per_arm"]))
    per_block = max(1, BLOCK_CELLS // n)
    parts: dict[str, list] = {k: [] for k in ("events", "competing", "n_closure", *task.analyses)}
    for start in range(task.start, task.stop, per_block):
        time, event, closure, days = _batch_draw.draw_trials(
            task, start, min(start + per_block, task.stop), lean=task.engine == "fast"
        )
        parts["events"].append((event == 1).sum(axis=1))
        parts["competing"].append((event == 2).sum(axis=1))
        parts["n_closure"].append(closure.sum(axis=1))
        block = _batch_tests.make_block(time, event, closure, days)
        for a in task.analyses:
            parts[a].append(analyse[a](block))
    counts = ("events", "competing", "n_closure")
    return {
        k: np.concatenate(v).astype(np.int64 if k in counts else float) for k, v in parts.items()
    }


# ---------------------------------------------------------------------------------------
# the chunks, stacked
# ---------------------------------------------------------------------------------------


def _trials_frame(tasks, results, analyses, alpha, sides) -> pd.DataFrame:
    """Stack the chunks (already in task order, so in replicate order) into one frame."""
    blocks = []
    for a in analyses:
        for t, r in zip(tasks, results, strict=True):
            size = t.stop - t.start
            blocks.append(
                {
                    "scenario": np.full(size, t.scenario),
                    "analysis": [a] * size,
                    "replicate": np.arange(t.start, t.stop),
                    "events": r["events"],
                    "competing": r["competing"],
                    "n_closure": r["n_closure"],
                    "z": r[a][:, 0],
                    "coef": r[a][:, 1],
                    "se": r[a][:, 2],
                    "ok": r[a][:, 3].astype(bool),
                }
            )
    frame = pd.DataFrame({k: np.concatenate([np.asarray(b[k]) for b in blocks]) for k in blocks[0]})
    z = frame["z"].to_numpy()
    with np.errstate(invalid="ignore"):
        p = norm.cdf(z) if sides == 1 else 2 * norm.sf(np.abs(z))
    frame["pvalue"] = p
    frame["reject"] = np.nan_to_num(p, nan=1.0) < alpha
    order = [
        "scenario",
        "analysis",
        "replicate",
        "events",
        "competing",
        "n_closure",
        "z",
        "pvalue",
        "reject",
        "coef",
        "se",
        "ok",
    ]
    frame["analysis"] = pd.Categorical(frame["analysis"], categories=list(analyses))
    return frame.sort_values(["scenario", "analysis", "replicate"], kind="stable")[
        order
    ].reset_index(drop=True)
