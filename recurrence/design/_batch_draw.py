"""The simulated trials of a chunk as arrays, one row per replicate: the same random
numbers as the per-trial path, drawn at a fraction of its cost.

Replicate ``r`` of scenario ``s`` draws from ``SeedSequence(entropy, spawn_key=(s, r))``
(see :mod:`recurrence.design.power`), in exactly the order of
:func:`recurrence.simulate_cohort` (``hazard="cohort"``) or of the exponential trial of
:func:`recurrence.design._trials._trial`. What is saved, without changing one number:

* **seeding**: the SeedSequence hash of every replicate of the chunk is computed at once
  on uint32 arrays (NumPy's documented algorithm, O'Neill's ``seed_seq_fe``), and the
  PCG64 state it leads to is set on one reused generator (12 µs a replicate → 2 µs). The
  first replicate of each chunk is checked against NumPy's own SeedSequence; on any
  difference every replicate is seeded by NumPy instead;
* **draws that nothing reads** (sex, level, approach, and the defect width of the
  large-defect population, whose every value is ≥ 6 mm) are skipped by advancing the
  generator exactly as many steps as they take (one 64-bit step per uniform); normal
  draws use a variable number of steps, so those are drawn and dropped;
* **no DataFrame**: the draws go straight into (replicates × patients) arrays, and all
  the arithmetic after them (clipping, the linear predictor, the latent times, days) runs
  once on the whole block. ``simulate_cohort`` builds 14 columns with string ids and
  copies ``attrs["truth"]`` on every column read.

Sites: ``integers(0, 6)`` is Lemire's method on 32-bit halves of the 64-bit stream; it
is computed here from the raw stream, and a replicate that would need NumPy's rejection
step (probability 4/2³² per patient) is drawn again by NumPy's own generator methods.

``tests/test_design_batch.py`` holds these arrays equal, element for element, to
``simulate_cohort`` and to the per-trial trial on fixed seeds.
"""

from __future__ import annotations

import math

import numpy as np

from ..synthetic import (
    BASELINE,
    DAYS_PER_MONTH,
    DEFAULT_HR,
    LARGE_DEFECT_MULTIPLIER,
    SITES,
)

__all__ = ["draw_trials", "pcg64_states", "seed_states"]

# SeedSequence constants (numpy/random/bit_generator.pyx)
_INIT_A, _MULT_A = 0x43B0D7E5, 0x931E8875
_INIT_B, _MULT_B = 0x8B51F9DD, 0x58F38DED
_MIX_L, _MIX_R = 0xCA01F9DD, 0x4973F715
_M32 = 0xFFFFFFFF
_POOL = 4
#: PCG64's 128-bit LCG multiplier (pcg64.h, PCG_DEFAULT_MULTIPLIER_128)
_PCG_MULT = (2549297995355413924 << 64) + 4865540595714422341
_M128 = (1 << 128) - 1
#: Patients × replicates drawn into one block at most (memory of the block arrays).
BLOCK_CELLS = 2_000_000


def _words(value: int) -> list[int]:
    """An unsigned integer as little-endian uint32 words (NumPy's coercion; 0 → [0])."""
    out = []
    while True:
        out.append(value & _M32)
        value >>= 32
        if not value:
            return out


def _hashmix(value: np.ndarray, const: list[int]) -> np.ndarray:
    value = value ^ np.uint32(const[0])
    const[0] = (const[0] * _MULT_A) & _M32
    value = value * np.uint32(const[0])
    return value ^ (value >> np.uint32(16))


def _mix(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    result = np.uint32(_MIX_L) * x - np.uint32(_MIX_R) * y
    return result ^ (result >> np.uint32(16))


def seed_states(entropy: int, scenario: int, replicates: np.ndarray) -> np.ndarray:
    """``SeedSequence(entropy, spawn_key=(scenario, r)).generate_state(4, np.uint64)``
    for every ``r`` of ``replicates`` at once: a (len(replicates), 4) uint64 array."""
    reps = np.asarray(replicates, np.int64)
    run = _words(int(entropy))
    if len(run) < _POOL:
        run = run + [0] * (_POOL - len(run))
    cols = [np.full(len(reps), w, np.uint32) for w in run + _words(int(scenario))]
    if len(reps) and int(reps.max()) > _M32:
        raise ValueError("replicate numbers above 2**32 are seeded by NumPy")
    cols.append(reps.astype(np.uint32))
    with np.errstate(over="ignore"):
        const = [_INIT_A]
        pool = [_hashmix(cols[i], const) for i in range(_POOL)]
        for src in range(_POOL):
            for dst in range(_POOL):
                if src != dst:
                    pool[dst] = _mix(pool[dst], _hashmix(pool[src], const))
        for src in range(_POOL, len(cols)):
            for dst in range(_POOL):
                pool[dst] = _mix(pool[dst], _hashmix(cols[src], const))
        hash_const = _INIT_B
        state = np.empty((len(reps), 8), np.uint32)
        for i in range(8):
            value = pool[i % _POOL] ^ np.uint32(hash_const)
            hash_const = (hash_const * _MULT_B) & _M32
            value = value * np.uint32(hash_const)
            state[:, i] = value ^ (value >> np.uint32(16))
    return state.view("<u8").reshape(len(reps), 4)


def pcg64_states(words: np.ndarray) -> list[dict]:
    """PCG64's state after seeding with ``generate_state(4, np.uint64)`` words
    (``pcg64_set_seed``: state = seed, increment = 2·inc + 1, two LCG steps)."""
    out = []
    for w0, w1, w2, w3 in words.tolist():
        inc = ((((w2 << 64) | w3) << 1) | 1) & _M128
        state = (inc * _PCG_MULT + inc) & _M128  # step from 0
        state = (((state + ((w0 << 64) | w1)) & _M128) * _PCG_MULT + inc) & _M128
        out.append(
            {
                "bit_generator": "PCG64",
                "state": {"state": state, "inc": inc},
                "has_uint32": 0,
                "uinteger": 0,
            }
        )
    return out


def _generators(entropy: int, scenario: int, reps: np.ndarray):
    """One generator per replicate, in order: a reused PCG64 whose state is set per
    replicate, or NumPy's SeedSequence when the fast seeding cannot be confirmed."""
    check = np.random.PCG64(np.random.SeedSequence(entropy, spawn_key=(scenario, int(reps[0]))))
    try:
        states = pcg64_states(seed_states(entropy, scenario, reps))
    except ValueError:
        states = None
    if states is not None and states[0] == check.state:
        bitgen = np.random.PCG64(0)
        rng = np.random.Generator(bitgen)
        for state in states:
            bitgen.state = state
            yield rng
        return
    for r in reps:
        yield np.random.default_rng(np.random.SeedSequence(entropy, spawn_key=(scenario, int(r))))


def _sites(rng, n: int) -> np.ndarray | None:
    """``rng.integers(0, 6, n)`` from the raw stream, or None if NumPy would reject."""
    raw = rng.bit_generator.random_raw((n + 1) // 2)
    halves = np.empty(2 * len(raw), np.uint64)
    halves[0::2] = raw & np.uint64(_M32)
    halves[1::2] = raw >> np.uint64(32)
    m = halves[:n] * np.uint64(len(SITES))
    if ((m & np.uint64(_M32)) < np.uint64((_M32 - len(SITES) + 1) % len(SITES))).any():
        return None
    return (m >> np.uint64(32)).astype(np.int64)


def _draw_cohort_replicate(rng, n: int, general: bool, b: dict, i: int) -> None:
    """The draws of one ``simulate_cohort`` call, in its order, into row ``i`` of the
    block arrays ``b`` (drawn-and-dropped or skipped where nothing reads them)."""
    rng.standard_normal(out=b["age"][i])
    if "male" in b:
        rng.random(out=b["male"][i])
    else:
        rng.bit_generator.advance(n)  # sex (hazard ratio 1): uniforms never read
    rng.standard_normal(out=b["bmi"][i])
    rng.random(out=b["smoker"][i])
    rng.random(out=b["diabetes"][i])
    if general:
        rng.standard_normal(out=b["width"][i])
    else:
        rng.bit_generator.advance(n)  # uniform(6, 10): every defect is large
    rng.standard_normal(out=b["scratch"])  # disc height: never read
    rng.bit_generator.advance(2 * n)  # level and approach: one uniform each
    sites = _sites(rng, n)
    if sites is None:  # NumPy's rejection step: redraw the replicate as NumPy does
        raise _Redraw
    b["site"][i] = sites
    rng.standard_normal(out=b["site_effect"][i])
    rng.random(out=b["closure"][i])
    for key in ("e1", "late", "comp", "loss"):
        rng.standard_exponential(out=b[key][i])
    rng.random(out=b["admin"][i])


class _Redraw(Exception):
    """A replicate the fast path cannot draw exactly."""


def _draw_cohort_numpy(rng, n: int, general: bool, b: dict, i: int) -> None:
    """The same draws through NumPy's own methods (the fallback)."""
    b["age"][i] = rng.standard_normal(n)
    male = rng.random(n)
    if "male" in b:
        b["male"][i] = male
    b["bmi"][i] = rng.standard_normal(n)
    b["smoker"][i] = rng.random(n)
    b["diabetes"][i] = rng.random(n)
    if general:
        b["width"][i] = rng.standard_normal(n)
    else:
        rng.random(n)
    rng.standard_normal(n)
    rng.random(2 * n)
    b["site"][i] = rng.integers(0, len(SITES), n)
    b["site_effect"][i] = rng.standard_normal(len(SITES))
    b["closure"][i] = rng.random(n)
    for key in ("e1", "late", "comp", "loss"):
        b[key][i] = rng.standard_exponential(n)
    b["admin"][i] = rng.random(n)


def _cohort_block(params: dict, ratio: float, gens, reps: np.ndarray, n: int):
    """time, event, closure of ``simulate_cohort`` trials, one row per replicate."""
    general = params["population"] == "general"
    size = len(reps)
    keys = ("age", "bmi", "smoker", "diabetes", "width", "closure", "e1", "late")
    b = {k: np.empty((size, n)) for k in (*keys, "comp", "loss", "admin")}
    b["scratch"] = np.empty(n)
    if DEFAULT_HR["male"] != 1.0:
        b["male"] = np.empty((size, n))
    b["site"] = np.empty((size, n), np.int64)
    b["site_effect"] = np.empty((size, len(SITES)))
    for i, (r, rng) in enumerate(zip(reps, gens, strict=False)):
        try:
            _draw_cohort_replicate(rng, n, general, b, i)
        except _Redraw:
            seq = np.random.SeedSequence(params["_entropy"], spawn_key=(params["_scenario"], r))
            _draw_cohort_numpy(np.random.default_rng(seq), n, general, b, i)
    hrs = {**DEFAULT_HR, "closure": float(params["hr"])}
    age = np.clip(45.0 + 13.0 * b["age"], 18, 85).round(0)
    bmi = np.clip(26.5 + 4.0 * b["bmi"], 16, 50).round(1)
    smoker = b["smoker"] < 0.30
    diabetes = b["diabetes"] < 0.10
    if general:
        width = np.clip(np.exp(np.log(5.69) + 0.35 * b["width"]), 1.0, 12.0).round(1)
        large = width >= 6.0
    else:
        large = np.ones((size, n), bool)
    effect = 0.0 + 0.15 * b["site_effect"]
    effect -= effect.mean(axis=1, keepdims=True)
    closure = b["closure"] < ratio / (1 + ratio)
    lp = (
        np.log(hrs["closure"]) * closure
        + np.log(hrs["large_defect"]) * large
        + np.log(hrs["smoker"]) * smoker
        + np.log(hrs["diabetes"]) * diabetes
        + np.log(hrs["age_per_10y"]) * (age - 45) / 10
        + np.log(hrs["male"]) * (b["male"] < 0.46 if "male" in b else 0.0)
        + np.log(hrs["bmi_per_5"]) * (bmi - 26.5) / 5
        + np.take_along_axis(effect, b["site"], axis=1)
    )
    mult = LARGE_DEFECT_MULTIPLIER if not general else 1.0
    risk = mult * np.exp(lp)
    A, s, k, bb = BASELINE["A"], BASELINE["s"], BASELINE["k"], BASELINE["b"]
    e1 = b["e1"] / (A * risk)
    with np.errstate(divide="ignore", invalid="ignore"):
        t_early = np.where(e1 < 1.0, s * (-np.log1p(-e1)) ** (1.0 / k), np.inf)
    t_rehern = np.minimum(t_early, b["late"] / (bb * risk))
    t_comp = b["comp"] / params["_competing"]
    t_loss = b["loss"] / params["_loss"]
    t_admin = params["accrual"] + params["followup"] - (0.0 + params["accrual"] * b["admin"])
    return _finish(t_rehern, t_comp, t_loss, t_admin, closure, days=True)


def _finish(t_rehern, t_comp, t_loss, t_admin, closure, days: bool):
    t_event = np.minimum(t_rehern, t_comp)
    t_cens = np.minimum(t_loss, t_admin)
    time = np.minimum(t_event, t_cens)
    event = np.where(t_event <= t_cens, np.where(t_rehern <= t_comp, 1, 2), 0)
    if days:
        time = np.maximum(np.ceil(time * DAYS_PER_MONTH), 1.0) / DAYS_PER_MONTH
    return time, event.astype(np.int64), closure


def _exponential_block(params: dict, ratio: float, horizon: float, gens, size: int):
    """The exponential trial of ``_trials._trial``, one row per replicate."""
    n_control = int(params["n_per_arm"])
    n = n_control + round(ratio * n_control)
    draws = np.empty((size, 3, n))
    admin = np.empty((size, n))
    for i, rng in zip(range(size), gens, strict=False):
        rng.standard_exponential(out=draws[i])
        rng.random(out=admin[i])
    closure = np.broadcast_to(np.arange(n) >= n_control, (size, n))
    lam = -math.log(1 - params["control_incidence"]) / horizon
    rate = np.where(closure, params["hr"] * lam, lam)
    comp, loss = params["competing_rate"], params["loss_rate"]
    t_comp = draws[:, 1] / comp if comp > 0 else np.inf
    t_loss = draws[:, 2] / loss if loss > 0 else np.inf
    t_admin = params["accrual"] + params["followup"] - (0.0 + params["accrual"] * admin)
    time, event, _ = _finish(draws[:, 0] / rate, t_comp, t_loss, t_admin, closure, days=False)
    return time, event, np.ascontiguousarray(closure)


def draw_trials(task, start: int, stop: int):
    """Replicates ``start:stop`` of ``task``'s scenario: (time, event, closure) arrays of
    shape (replicates × patients), row ``i`` the trial of replicate ``start + i``."""
    from ._trials import NEVER

    params = dict(task.params)
    reps = np.arange(start, stop)
    gens = _generators(task.entropy, task.scenario, reps)
    if task.hazard == "exponential":
        return _exponential_block(params, task.ratio, task.horizon, gens, len(reps))
    n_control = int(params["n_per_arm"])
    n = n_control + round(task.ratio * n_control)
    params.update(
        _entropy=task.entropy,
        _scenario=task.scenario,
        _competing=max(params["competing_rate"], NEVER),
        _loss=max(params["loss_rate"], NEVER),
    )
    return _cohort_block(params, task.ratio, gens, reps, n)
