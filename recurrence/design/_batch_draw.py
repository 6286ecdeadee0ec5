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
* **bounded integers** (the sites): the generator's raw 64-bit draws, turned into
  ``integers(0, 6, n)`` by NumPy's own Lemire method on the whole block at once;
* **no DataFrame**: the draws go straight into (replicates × patients) arrays, and all
  the arithmetic after them (clipping, the linear predictor, the latent times, days) runs
  once on the whole block. ``simulate_cohort`` builds 14 columns with string ids and
  copies ``attrs["truth"]`` on every column read.

``tests/test_design_batch.py`` holds these arrays equal, element for element, to
``simulate_cohort`` and to the per-trial trial on fixed seeds.
"""

from __future__ import annotations

import itertools
import math
import sys
from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np
import numpy.typing as npt

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


def _mix(x: npt.NDArray[np.uint32], y: npt.NDArray[np.uint32]) -> np.ndarray:
    result = np.uint32(_MIX_L) * x - np.uint32(_MIX_R) * y
    return result ^ (result >> np.uint32(16))


def seed_states(entropy: int, scenario: int, replicates: np.ndarray, words: int = 4) -> np.ndarray:
    """``SeedSequence(entropy, spawn_key=(scenario, r)).generate_state(words, np.uint64)``
    for every ``r`` of ``replicates`` at once: a (len(replicates), words) uint64 array."""
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
        state = np.empty((len(reps), 2 * words), np.uint32)
        for i in range(2 * words):
            value = pool[i % _POOL] ^ np.uint32(hash_const)
            hash_const = (hash_const * _MULT_B) & _M32
            value = value * np.uint32(hash_const)
            state[:, i] = value ^ (value >> np.uint32(16))
    return state.view("<u8").reshape(len(reps), words)


def pcg64_states(words: np.ndarray) -> list[dict]:
    """PCG64's state after seeding with ``generate_state(4, np.uint64)`` words
    (``pcg64_set_seed``: state = seed, increment = 2·inc + 1, two LCG steps)."""
    out = []
    for w0, w1, w2, w3 in words.tolist():
        inc = ((((w2 << 64) | w3) << 1) | 1) & _M128
        # from state 0: one step (0·mult + inc), add the seed, one more step
        state = (((inc + ((w0 << 64) | w1)) & _M128) * _PCG_MULT + inc) & _M128
        out.append(
            {
                "bit_generator": "PCG64",
                "state": {"state": state, "inc": inc},
                "has_uint32": 0,
                "uinteger": 0,
            }
        )
    return out


def sfc64_states(words: np.ndarray) -> np.ndarray:
    """SFC64's state words after seeding with ``generate_state(3, np.uint64)`` words
    (``sfc64_set_seed``: the three words and a counter of 1, then 12 rounds)."""
    a, b, c = (words[:, i].copy() for i in range(3))
    counter = np.ones(len(words), np.uint64)
    with np.errstate(over="ignore"):
        for _ in range(12):
            tmp = a + b + counter
            counter = counter + np.uint64(1)
            a = b ^ (b >> np.uint64(11))
            b = c + (c << np.uint64(3))
            c = ((c << np.uint64(24)) | (c >> np.uint64(40))) + tmp
    return np.column_stack([a, b, c, counter])


def _same_state(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    sa, sb = a["state"], b["state"]
    return a["bit_generator"] == b["bit_generator"] and all(
        np.array_equal(sa[k], sb[k]) for k in sa
    )


def _generators(entropy: int, scenario: int, reps: np.ndarray, sfc64: bool = False):
    """One generator per replicate, in order, seeded by
    ``SeedSequence(entropy, spawn_key=(scenario, r))``: PCG64 (``default_rng``) or
    SFC64. A reused generator whose state is set per replicate, or NumPy's own seeding
    when the fast seeding does not reproduce NumPy's on the first replicate."""
    kind = np.random.SFC64 if sfc64 else np.random.PCG64
    check = kind(np.random.SeedSequence(entropy, spawn_key=(scenario, int(reps[0])))).state
    try:
        words = seed_states(entropy, scenario, reps, 3 if sfc64 else 4)
    except ValueError:  # replicate numbers beyond 2**32
        words = None
    if words is not None:
        # NumPy's state dicts: its stubs type each kind's as its own private TypedDict
        states: Iterator[Any]
        if sfc64:
            table = sfc64_states(words)
            states = (
                {**check, "state": {"state": table[i]}, "has_uint32": 0, "uinteger": 0}
                for i in range(len(reps))
            )
        else:
            states = iter(pcg64_states(words))
        first = next(states)
        if _same_state(first, check):
            bitgen = kind(0)
            rng = np.random.Generator(bitgen)
            for state in itertools.chain([first], states):
                bitgen.state = state
                yield rng
            return
    for r in reps:
        yield np.random.Generator(
            kind(np.random.SeedSequence(entropy, spawn_key=(scenario, int(r))))
        )


def _draw_cohort_replicate(rng, n: int, general: bool, b: dict, i: int, sites: bool) -> None:
    """The draws of one ``simulate_cohort`` call, in its order, into row ``i`` of the
    block arrays ``b`` (drawn-and-dropped or skipped where nothing reads them; draws of
    one kind in a row in one call). ``sites``: the sites by ``rng.integers`` itself,
    instead of its raw 64-bit draws kept for :func:`_bounded`."""
    rng.standard_normal(out=b["age"][i])
    if "male" in b:
        rng.random(out=b["male"][i])
    else:
        rng.bit_generator.advance(n)  # sex (hazard ratio 1): uniforms never read
    rng.standard_normal(out=b["bmi"][i])
    rng.random(out=b["habits"][i])  # smoker, diabetes
    if general:
        rng.standard_normal(out=b["width"][i])
    else:
        rng.bit_generator.advance(n)  # uniform(6, 10): every defect is large
    rng.standard_normal(out=b["scratch"])  # disc height: never read
    rng.bit_generator.advance(2 * n)  # level and approach: one uniform each
    if sites:
        b["site"][i] = rng.integers(0, len(SITES), n)
    else:
        b["site_raw"][i] = rng.bit_generator.random_raw(b["site_raw"].shape[1])
    rng.standard_normal(out=b["site_effect"][i])
    rng.random(out=b["closure"][i])
    rng.standard_exponential(out=b["expo"][i])  # early, late, competing, loss
    rng.random(out=b["admin"][i])


def _bounded(raw: np.ndarray, n: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    """``rng.integers(0, k, n)`` of each row from the 64-bit draws it takes: NumPy's
    Lemire method on 32-bit halves (``buffered_bounded_lemire_uint32``, low half
    first), vectorised over the block (5.5 µs a replicate → 1). Also the rows where a
    half falls in the rejection zone (probability (2³² mod k)/2³² a draw, about 10⁻⁹),
    where NumPy would draw again: those rows are drawn by NumPy itself."""
    m = raw.view("<u4")[:, :n].astype(np.uint64) * np.uint64(k)
    threshold = (2**32 - k) % k
    rejected = np.asarray(((m & np.uint64(_M32)) < np.uint64(threshold)).any(axis=1))
    return (m >> np.uint64(32)).astype(np.int64), rejected


def _cohort_block(params: dict, ratio: float, gens, size: int, n: int, numpy_rng):
    """``simulate_cohort``'s draws, one row per replicate, and the trials they give.
    ``numpy_rng(i)``: row ``i``'s generator seeded by NumPy, for rows :func:`_bounded`
    cannot finish."""
    general = params["population"] == "general"
    keys = ("age", "bmi", "width", "closure", "admin")
    b: dict[str, np.ndarray] = {k: np.empty((size, n)) for k in keys}
    b["habits"] = np.empty((size, 2, n))
    b["expo"] = np.empty((size, 4, n))
    b["scratch"] = np.empty(n)
    if DEFAULT_HR["male"] != 1.0:
        b["male"] = np.empty((size, n))
    b["site_effect"] = np.empty((size, len(SITES)))
    # the halves of a 64-bit draw as NumPy reads them: low first (little-endian)
    from_raw = sys.byteorder == "little"
    if from_raw:
        b["site_raw"] = np.empty((size, (n + 1) // 2), np.uint64)
    else:
        b["site"] = np.empty((size, n), np.int64)
    for i, rng in zip(range(size), gens, strict=False):
        _draw_cohort_replicate(rng, n, general, b, i, sites=not from_raw)
    rejected = np.zeros(size, bool)
    if from_raw:
        b["site"], rejected = _bounded(b["site_raw"], n, len(SITES))
    for i in np.flatnonzero(rejected).tolist():
        _draw_cohort_replicate(numpy_rng(i), n, general, b, i, sites=True)
    b.update(smoker=b["habits"][:, 0], diabetes=b["habits"][:, 1])
    b.update(zip(("e1", "late", "comp", "loss"), b["expo"].transpose(1, 0, 2), strict=True))
    b["site_effect"] = 0.0 + 0.15 * b["site_effect"]
    if general:
        b["width"] = np.clip(np.exp(np.log(5.69) + 0.35 * b["width"]), 1.0, 12.0).round(1)
    return _cohort_trials(params, ratio, b, general)


def _lean_block(params: dict, ratio: float, gens, size: int, n: int):
    """The trials of ``engine="fast"``: one block of uniforms per replicate, only what
    the hazard reads (see :func:`._trials._lean_trial`, the per-trial definition)."""
    from scipy.special import ndtri

    general = params["population"] == "general"
    sites = len(SITES)
    width = LEAN_UNIFORMS * n + sites + (n if general else 0)
    flat = np.empty((size, width))
    for i, rng in zip(range(size), gens, strict=False):
        rng.random(out=flat[i])
    u = flat[:, : LEAN_UNIFORMS * n].reshape(size, LEAN_UNIFORMS, n)
    z = ndtri(flat[:, LEAN_UNIFORMS * n :])  # normals by inversion
    # −log(1 − U), not −log1p(−U): U is a multiple of 2⁻⁵³, so 1 − U is exact and the
    # two agree to an ulp; NumPy's log is vectorised, its log1p is not (4× slower here)
    expo = -np.log(1.0 - u[:, 4:8])
    b = {
        "smoker": u[:, 0],
        "diabetes": u[:, 1],
        "site": (u[:, 2] * sites).astype(np.intp),
        "closure": u[:, 3],
        "e1": expo[:, 0],
        "late": expo[:, 1],
        "comp": expo[:, 2],
        "loss": expo[:, 3],
        "admin": u[:, 8],
        "site_effect": 0.15 * z[:, :sites],
    }
    if general:
        b["width"] = np.clip(np.exp(np.log(5.69) + 0.35 * z[:, sites:]), 1.0, 12.0).round(1)
    return _cohort_trials(params, ratio, b, general)


#: Uniforms per patient of a lean trial: smoker, diabetes, site, closure, four latent
#: exponential times (by inversion: reherniation early and late, competing, loss), entry.
LEAN_UNIFORMS = 9


def _cohort_trials(params: dict, ratio: float, b: dict, general: bool):
    """``simulate_cohort``'s arithmetic after its draws, on (replicates × patients)
    arrays, operation for operation (so bit for bit). Terms whose hazard ratio is 1
    (age, sex, BMI) add an exact 0 and are skipped."""
    hrs = {**DEFAULT_HR, "closure": float(params["hr"])}
    effect = b["site_effect"]
    effect -= effect.mean(axis=1, keepdims=True)
    closure = b["closure"] < ratio / (1 + ratio)
    lp = np.log(hrs["closure"]) * closure
    if general:
        lp += np.log(hrs["large_defect"]) * (b["width"] >= 6.0)
    else:  # every defect is large
        lp += np.log(hrs["large_defect"])
    lp += np.log(hrs["smoker"]) * (b["smoker"] < 0.30)
    lp += np.log(hrs["diabetes"]) * (b["diabetes"] < 0.10)
    if hrs["age_per_10y"] != 1.0:
        lp += (
            np.log(hrs["age_per_10y"])
            * (np.clip(45.0 + 13.0 * b["age"], 18, 85).round(0) - 45)
            / 10
        )
    if "male" in b:
        lp += np.log(hrs["male"]) * (b["male"] < 0.46)
    if hrs["bmi_per_5"] != 1.0:
        lp += (
            np.log(hrs["bmi_per_5"]) * (np.clip(26.5 + 4.0 * b["bmi"], 16, 50).round(1) - 26.5) / 5
        )
    lp += np.take_along_axis(effect, b["site"], axis=1)
    risk = np.exp(lp)
    if not general:
        risk = LARGE_DEFECT_MULTIPLIER * risk
    A, s, k, bb = BASELINE["A"], BASELINE["s"], BASELINE["k"], BASELINE["b"]
    e1 = b["e1"] / (A * risk)
    # np.minimum(np.where(e1 < 1, s·(−log(1 − e1))^(1/k), ∞), late): the power only
    # where the early part happens (a third to a half of patients; it is the costliest)
    t_rehern = b["late"] / (bb * risk)
    early = e1 < 1.0
    t_rehern[early] = np.minimum(t_rehern[early], s * (-np.log1p(-e1[early])) ** (1.0 / k))
    t_comp = b["comp"] / params["_competing"]
    t_loss = b["loss"] / params["_loss"]
    t_admin = params["accrual"] + params["followup"] - (0.0 + params["accrual"] * b["admin"])
    return _finish(t_rehern, t_comp, t_loss, t_admin, closure, days=True)


def _finish(t_rehern, t_comp, t_loss, t_admin, closure, days: bool):
    """Time and status from the latent times (``simulate_cohort``'s last lines)."""
    t_event = np.minimum(t_rehern, t_comp)
    t_cens = np.minimum(t_loss, t_admin)
    time = np.minimum(t_event, t_cens)
    # np.where(t_event <= t_cens, np.where(t_rehern <= t_comp, 1, 2), 0), in two passes
    event = 2 - (t_rehern <= t_comp).view(np.int8)
    event *= t_event <= t_cens
    whole = None
    if days:
        whole = np.maximum(np.ceil(time * DAYS_PER_MONTH), 1.0)
        time = whole / DAYS_PER_MONTH
    return time, event.astype(np.int64), closure, whole


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
    time, event, _, _ = _finish(draws[:, 0] / rate, t_comp, t_loss, t_admin, closure, False)
    return time, event, np.ascontiguousarray(closure), None


def draw_trials(task, start: int, stop: int, lean: bool = False):
    """Replicates ``start:stop`` of ``task``'s scenario: (time, event, closure) arrays of
    shape (replicates × patients), row ``i`` the trial of replicate ``start + i``, and
    the times in whole days (``None`` for the exponential trials' continuous times).
    ``lean``: the cohort trials of ``engine="fast"`` instead of ``simulate_cohort``'s."""
    from ._trials import NEVER

    params = dict(task.params)
    reps = np.arange(start, stop)
    if task.hazard == "exponential":  # already lean: the per-trial stream for every engine
        gens = _generators(task.entropy, task.scenario, reps)
        return _exponential_block(params, task.ratio, task.horizon, gens, len(reps))
    n_control = int(params["n_per_arm"])
    n = n_control + round(task.ratio * n_control)
    params.update(
        _competing=max(params["competing_rate"], NEVER),
        _loss=max(params["loss_rate"], NEVER),
    )
    gens = _generators(task.entropy, task.scenario, reps, sfc64=lean)
    if lean:
        return _lean_block(params, task.ratio, gens, len(reps), n)

    def numpy_rng(i):
        seq = np.random.SeedSequence(task.entropy, spawn_key=(task.scenario, int(reps[i])))
        return np.random.default_rng(seq)

    return _cohort_block(params, task.ratio, gens, len(reps), n, numpy_rng)
