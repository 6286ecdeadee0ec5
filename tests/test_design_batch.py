"""The batched power engine against the per-trial reference, on fixed seeds.

Same SeedSequence spawn keys → identical simulated data (element for element) →
identical decisions, and statistics equal to rounding. Not a timing test: how fast the
engines are is measured by ``python -m benchmarks.design``.

Tolerances: the batched analyses add the same terms in another order (cumulative sums
over a block of trials, at-risk counts times exp(βx) instead of sums over patients), so
z, coefficients and standard errors agree to ~1e-14 relative; 1e-10 leaves room for a
Newton iteration ending one step apart where a fit converges exactly at the tolerance.
A fit that diverges (all reherniations in one arm) stops wherever its flat likelihood
says; both engines flag it not ok and leave it out of every summary.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from recurrence import simulate_cohort, survival
from recurrence.design import _batch_draw, _batch_finegray, _batch_tests, simulate_power
from recurrence.design._trials import (
    _analyse,
    _lean_trial,
    _run_chunk,
    _scenarios,
    _Task,
    _trial,
)

ANALYSES = ("logrank", "cox", "gray", "finegray")
BATCHED = {
    "logrank": _batch_tests.logrank,
    "cox": _batch_tests.cox,
    "gray": _batch_tests.gray,
    "finegray": _batch_finegray.finegray,
}
ENTROPY = 123456789012345678901234567890  # a 97-bit root, as seed=None draws


def task_for(hazard, population="large_defect", n_per_arm=57, *, stop=40, ratio=1.5, **kw):
    grid = {
        "n_per_arm": [n_per_arm],
        "hr": [kw.get("hr", 0.5)],
        "accrual": [kw.get("accrual", 24.0)],
        "followup": [24.0],
        "competing_rate": [kw.get("competing_rate", 0.0012)],
        "loss_rate": [kw.get("loss_rate", 0.003)],
        "population": [population],
        "control_incidence": [None],
    }
    params = _scenarios(grid, hazard, 24.0)[0]
    task = _Task(ENTROPY, 1, 0, stop, tuple(params.items()), ANALYSES, hazard, ratio, 24.0)
    return params, task


def rng_of(task, r, kind=np.random.PCG64):
    return np.random.Generator(kind(np.random.SeedSequence(task.entropy, spawn_key=(1, r))))


# ---------------------------------------------------------------------------------------
# seeds and draws
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("entropy", [0, 5, 20261124, 2**64 + 3, ENTROPY])
def test_seeding_all_replicates_at_once_is_numpys(entropy):
    reps = np.array([0, 1, 7, 999, 2**31 + 5, 2**32 - 1])
    words = _batch_draw.seed_states(entropy, 3, reps)
    pcg = _batch_draw.pcg64_states(words)
    sfc = _batch_draw.sfc64_states(_batch_draw.seed_states(entropy, 3, reps, 3))
    for i, r in enumerate(reps):
        seq = np.random.SeedSequence(entropy, spawn_key=(3, int(r)))
        assert (words[i] == seq.generate_state(4, np.uint64)).all()
        assert pcg[i] == np.random.PCG64(seq).state
        assert (sfc[i] == np.random.SFC64(seq).state["state"]["state"]).all()


def test_fast_seeding_is_used_and_numpy_seeds_beyond_its_range():
    gens = list(_batch_draw._generators(ENTROPY, 0, np.arange(3)))
    assert len({id(g) for g in gens}) == 1  # one generator, its state set per replicate
    # replicate numbers past 2**32 take two words: NumPy seeds those itself
    big = np.array([2**32 + 1, 2**33])
    for r, g in zip(big, _batch_draw._generators(ENTROPY, 0, big), strict=True):
        expected = np.random.default_rng(np.random.SeedSequence(ENTROPY, spawn_key=(0, int(r))))
        assert g.random() == expected.random()


CASES = [
    ("cohort", "large_defect", {}),
    ("cohort", "general", {}),
    ("cohort", "general", {"competing_rate": 0.0, "loss_rate": 0.0, "accrual": 0.0}),
    ("cohort", "large_defect", {"competing_rate": 0.02, "hr": 1.0}),
    ("exponential", None, {"competing_rate": 0.01, "loss_rate": 0.01}),
    ("exponential", None, {"competing_rate": 0.0, "loss_rate": 0.0, "accrual": 0.0}),
]


@pytest.mark.parametrize(("hazard", "population", "kw"), CASES)
def test_a_block_of_trials_is_the_per_trial_trials(hazard, population, kw):
    """simulate_cohort (through _trial) and the block drawer: the same numbers, bit for
    bit, every replicate of a chunk that does not start at 0."""
    params, task = task_for(hazard, population, **kw)
    time, event, closure, days = _batch_draw.draw_trials(task, 3, 40)
    assert (days is None) == (hazard == "exponential")
    for i, r in enumerate(range(3, 40)):
        t, e, c = _trial(params, task, rng_of(task, r))
        np.testing.assert_array_equal(time[i], t)
        np.testing.assert_array_equal(event[i], e)
        np.testing.assert_array_equal(closure[i], c)


def test_bounded_integers_from_raw_draws_are_numpys_and_flag_its_redraws():
    """NumPy's integers(0, 6, n) reads 32-bit halves of 64-bit draws, low half first,
    and draws again when x·6 mod 2³² < 2³² mod 6 = 4 (x = 0 is one such half)."""
    raw = np.stack([np.random.default_rng(s).bit_generator.random_raw(50) for s in range(3)])
    values, rejected = _batch_draw._bounded(raw, 99, 6)
    for row in range(3):
        np.testing.assert_array_equal(values[row], np.random.default_rng(row).integers(0, 6, 99))
    assert not rejected.any()
    raw[1, 10] = 2**40  # low half 0: NumPy would draw again
    assert _batch_draw._bounded(raw, 99, 6)[1].tolist() == [False, True, False]


def test_rows_numpy_must_redraw_are_drawn_by_numpy(monkeypatch):
    """A row whose sites need a redraw is drawn again by NumPy's own generator: the
    block stays simulate_cohort's, bit for bit (rows forced to the redraw here, with
    their fast sites spoiled)."""
    bounded = _batch_draw._bounded

    def spoiled(raw, n, k):
        values, rejected = bounded(raw, n, k)
        rejected[::3] = True
        values[rejected] = k + 1  # a site that does not exist
        return values, rejected

    monkeypatch.setattr(_batch_draw, "_bounded", spoiled)
    params, task = task_for("cohort", "general")
    time, event, closure, _ = _batch_draw.draw_trials(task, 3, 13)
    for i, r in enumerate(range(3, 13)):
        t, e, c = _trial(params, task, rng_of(task, r))
        np.testing.assert_array_equal(time[i], t)
        np.testing.assert_array_equal(event[i], e)
        np.testing.assert_array_equal(closure[i], c)


@pytest.mark.parametrize(("hazard", "population", "kw"), CASES[:4])
def test_a_block_of_lean_trials_is_the_lean_trial(hazard, population, kw):
    params, task = task_for(hazard, population, **kw)
    time, event, closure, _ = _batch_draw.draw_trials(task, 3, 40, lean=True)
    for i, r in enumerate(range(3, 40)):
        t, e, c = _lean_trial(params, task, rng_of(task, r, np.random.SFC64))
        np.testing.assert_array_equal(time[i], t)
        np.testing.assert_array_equal(event[i], e)
        np.testing.assert_array_equal(closure[i], c)


def test_lean_trials_follow_the_cohort_model():
    """Other random numbers, the same model: pooled over many trials, the lean trials'
    cumulative incidence by arm (Aalen-Johansen) matches simulate_cohort's within 4
    standard errors (its own SE and the other's, combined)."""
    params, task = task_for("cohort", "general", n_per_arm=500, ratio=1.0, stop=60)
    lean = [_lean_trial(params, task, rng_of(task, r, np.random.SFC64)) for r in range(60)]
    frames = {
        "lean": pd.DataFrame(
            {
                "time": np.concatenate([t for t, _, _ in lean]),
                "event": np.concatenate([e for _, e, _ in lean]),
                "closure": np.concatenate([c for _, _, c in lean]),
            }
        ),
        "cohort": simulate_cohort(
            60_000, seed=11, hr_closure=0.5, accrual_months=24.0, study_months=48.0
        ),
    }
    at = {}
    for name, df in frames.items():
        ci = survival.cumulative_incidence(df[["time", "event", "closure"]])
        at[name] = ci.at([6, 24, 40]).set_index(["group", "time"])
    est = at["lean"]["incidence"] - at["cohort"]["incidence"]
    se = np.hypot(at["lean"]["se"], at["cohort"]["se"])
    assert (np.abs(est) < 4 * se).all(), pd.concat([est, se], axis=1)
    assert (at["lean"]["incidence"] > 0.02).all()  # something to compare


# ---------------------------------------------------------------------------------------
# analyses
# ---------------------------------------------------------------------------------------


def assert_same(ref: np.ndarray, out: np.ndarray, what: str):
    """Identical decisions; z, coef, se to 1e-10 where the analysis worked."""
    np.testing.assert_array_equal(out[:, 3], ref[:, 3], err_msg=f"{what}: ok flags")
    np.testing.assert_array_equal(np.isnan(out[:, 0]), np.isnan(ref[:, 0]), err_msg=what)
    ok = ref[:, 3] > 0
    np.testing.assert_allclose(out[ok, :3], ref[ok, :3], rtol=1e-10, atol=1e-12, err_msg=what)


@pytest.mark.parametrize(
    ("hazard", "population", "n_per_arm", "kw"),
    [
        ("cohort", "large_defect", 200, {}),
        ("cohort", "large_defect", 100, {"competing_rate": 0.02, "loss_rate": 0.02}),
        ("cohort", "general", 30, {}),  # few events: fits that diverge, V = 0
        ("cohort", "general", 4, {"competing_rate": 0.01}),  # trials with no event at all
        ("exponential", None, 100, {"competing_rate": 0.01, "loss_rate": 0.01}),
        ("exponential", None, 3, {"competing_rate": 0.0, "loss_rate": 0.0}),
    ],
)
def test_every_batched_analysis_equals_the_per_trial_one(hazard, population, n_per_arm, kw):
    _, task = task_for(hazard, population, n_per_arm, stop=150, ratio=1.0, **kw)
    time, event, closure, days = _batch_draw.draw_trials(task, 0, 150)
    block = _batch_tests.make_block(time, event, closure, days)
    for a in ANALYSES:
        ref = np.array([_analyse(a, time[i], event[i], closure[i]) for i in range(150)])
        assert_same(ref, BATCHED[a](block), a)


def test_times_within_root_eps_are_tied_for_cox_as_timefix_does():
    rng = np.random.default_rng(3)
    time = rng.exponential(10.0, (40, 30))
    time[:, 1] = time[:, 0] * (1 + 1e-12)  # coxph's aeqSurv ties these; log-rank does not
    time[::2, 2] = time[::2, 0] * (1 + 1e-9)
    event = rng.integers(0, 3, (40, 30))
    event[:, :3] = 1
    closure = rng.random((40, 30)) < 0.5
    block = _batch_tests.make_block(time, event, closure)
    for a in ANALYSES:
        ref = np.array([_analyse(a, time[i], event[i], closure[i]) for i in range(40)])
        assert_same(ref, BATCHED[a](block), a)


def test_the_fast_engine_analyses_its_lean_trials_as_the_per_trial_analyses_would():
    params, task = task_for("cohort", "large_defect", 80, stop=60, ratio=1.0)
    task = _Task(*[getattr(task, f) for f in task.__dataclass_fields__][:-1], "fast")
    got = _run_chunk(task)
    trials = [_lean_trial(params, task, rng_of(task, r, np.random.SFC64)) for r in range(60)]
    assert (got["events"] == [(e == 1).sum() for _, e, _ in trials]).all()
    for a in ANALYSES:
        assert_same(np.array([_analyse(a, *trial) for trial in trials]), got[a], a)


# ---------------------------------------------------------------------------------------
# simulate_power: same table
# ---------------------------------------------------------------------------------------

KW = {
    "n_per_arm": [40, 120],
    "hr": [0.5, 1.0],
    "replicates": 60,
    "seed": 2026,
    "analysis": list(ANALYSES),
    "competing_rate": 0.005,
    "population": "general",
}


def test_simulate_power_batched_gives_the_per_trial_table():
    ref = simulate_power(**KW, engine="per-trial")
    got = simulate_power(**KW, engine="batched")
    pd.testing.assert_frame_equal(got.table, ref.table, check_exact=False, rtol=1e-10)
    exact = ["scenario", "analysis", "replicate", "events", "competing", "n_closure", "ok"]
    pd.testing.assert_frame_equal(got.trials[exact], ref.trials[exact])
    assert (got.trials["reject"] == ref.trials["reject"]).all()
    ok = ref.trials["ok"].to_numpy()
    for col in ("z", "pvalue", "coef", "se"):
        np.testing.assert_allclose(got.trials[col][ok], ref.trials[col][ok], rtol=1e-10)
    assert ref.table["failed"].sum() > 0  # diverging fits were part of the comparison


def test_batched_numbers_do_not_depend_on_how_trials_are_grouped(monkeypatch):
    from recurrence.design import _trials

    a = simulate_power(**KW, chunk_size=60)
    b = simulate_power(**KW, chunk_size=7)
    monkeypatch.setattr(_trials, "BLOCK_CELLS", 500)  # blocks of a few trials
    c = simulate_power(**KW, chunk_size=13)
    for other in (b, c):
        pd.testing.assert_frame_equal(a.trials, other.trials, check_exact=True)
        pd.testing.assert_frame_equal(a.table, other.table, check_exact=True)


def test_fast_engine_same_model_other_numbers():
    kw = {**KW, "replicates": 400, "n_per_arm": 150, "hr": 0.6, "analysis": "logrank"}
    fast = simulate_power(**kw, engine="fast")
    batched = simulate_power(**kw, engine="batched")
    assert not fast.trials["z"].equals(batched.trials["z"])  # other random numbers
    p, q = fast.table["power"], batched.table["power"]
    mcse = np.hypot(fast.table["power_mcse"], batched.table["power_mcse"])
    assert (np.abs(p - q) < 4 * mcse).all()
    # the exponential hazard draws the same numbers in every engine
    kw = {**kw, "hazard": "exponential", "replicates": 50}
    pd.testing.assert_frame_equal(
        simulate_power(**kw, engine="fast").table,
        simulate_power(**kw, engine="per-trial").table,
        check_exact=False,
        rtol=1e-10,
    )
