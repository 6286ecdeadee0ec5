"""Simulated power: the fast analyses equal the public ones, seeds make the numbers
independent of how the work is split, and simulated power agrees with the formula where
its assumptions hold (and not where they fail), within stated Monte Carlo error.

Tolerances: a simulated power over R replicates has Monte Carlo SE √(p(1 − p)/R)
(0.028 for p = 0.8, R = 200). "Agrees" means within 3 MCSE (a 0.3% chance of a false
alarm for a fixed seed, though with fixed seeds these tests are deterministic);
"fails" means the formula lies more than 3 MCSE above the simulation.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from recurrence import DataError, simulate_cohort
from recurrence.design import _execution as ex
from recurrence.design import sample_size_survival
from recurrence.design.power import (
    PowerResult,
    _analyse,
    _Task,
    _trial,
    analytic_power,
    power_curve_data,
    simulate_power,
)
from recurrence.survival import cox, cumulative_incidence, fine_gray, logrank

R = 200


def mcse(p: float, r: int = R) -> float:
    return math.sqrt(p * (1 - p) / r)


# ---------------------------------------------------------------------------------------
# the fast analyses are the public ones
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_fast_analyses_equal_the_public_functions(seed):
    # heavy competing events and whole-day times (ties) exercise every branch
    df = simulate_cohort(300, seed=seed, population="large_defect", competing_rate=0.01)
    arrays = (
        df["time"].to_numpy(float),
        df["event"].to_numpy(np.int64),
        df["closure"].to_numpy(bool),
    )
    z, coef, se, ok = _analyse("logrank", *arrays)
    lr = logrank(df)
    assert ok and z**2 == pytest.approx(lr.statistic, rel=1e-12)
    o_e, v = lr.table["o_minus_e"].iloc[1], lr.variance[1, 1]  # closure row
    assert (coef, se) == pytest.approx((o_e / v, 1 / math.sqrt(v)), rel=1e-12)
    assert np.sign(z) == np.sign(o_e)
    z, coef, se, ok = _analyse("gray", *arrays)
    ci = cumulative_incidence(df)
    assert z**2 == pytest.approx(ci.gray_statistic, rel=1e-12) and math.isnan(coef)
    at = ci.at([60]).set_index("group")["incidence"]
    assert np.sign(z) == np.sign(at["closure"] - at["no closure"])  # z < 0: closure lower
    for name, fit in (("cox", cox(df, ["closure"])), ("finegray", fine_gray(df, ["closure"]))):
        z, coef, se, ok = _analyse(name, *arrays)
        row = fit.table.loc["closure"]
        assert ok and coef == row["coef"] and se == row["se"]
        assert 2 * stats.norm.sf(abs(z)) == pytest.approx(row["pvalue"], rel=1e-12)


def test_no_event_is_no_result():
    t, e, c = np.array([1.0, 2, 3, 4]), np.array([0, 2, 0, 0]), np.array([0, 1, 0, 1], bool)
    for a in ("logrank", "cox", "gray", "finegray"):
        z, *_, ok = _analyse(a, t, e, c)
        assert not ok and math.isnan(z)


def test_exponential_trials_have_the_stated_incidence():
    task = _Task(1, 0, 0, 1, (), ("logrank",), "exponential", 1.0, 24.0)
    params = {
        "n_per_arm": 20000,
        "hr": 0.5,
        "accrual": 0.0,
        "followup": 24.0,
        "competing_rate": 0.0,
        "loss_rate": 0.0,
        "control_incidence": 0.25,
    }
    time, event, closure = _trial(params, task, np.random.default_rng(4))
    assert closure.sum() == 20000 and len(time) == 40000  # exact allocation
    # everyone followed 24 months: 25% events without closure, 1 − 0.75^0.5 = 13.4% with
    assert (event[~closure] == 1).mean() == pytest.approx(0.25, abs=3 * mcse(0.25, 20000))
    assert (event[closure] == 1).mean() == pytest.approx(1 - 0.75**0.5, abs=0.008)
    assert time.max() <= 24.0 and set(np.unique(event)) == {0, 1}


# ---------------------------------------------------------------------------------------
# reproducibility
# ---------------------------------------------------------------------------------------


def test_replicate_seeds_are_the_spawned_ones():
    spawned = np.random.SeedSequence(42).spawn(3)[2].spawn(10)[7]
    direct = np.random.SeedSequence(42, spawn_key=(2, 7))
    assert (spawned.generate_state(4) == direct.generate_state(4)).all()


KW = {
    "n_per_arm": [60, 90],
    "hr": 0.6,
    "replicates": 24,
    "seed": 5,
    "analysis": ["logrank", "cox", "gray", "finegray"],
    "competing_rate": 0.005,
}


def test_splitting_and_processes_do_not_change_numbers():
    a = simulate_power(**KW, backend="serial", chunk_size=1)
    b = simulate_power(**KW, backend="serial", chunk_size=7)
    c = simulate_power(**KW, backend="processes", n_jobs=2, chunk_size=5)
    assert c.execution.backend == "processes" and c.execution.workers == 2
    for other in (b, c):
        pd.testing.assert_frame_equal(a.table, other.table, check_exact=True)
        pd.testing.assert_frame_equal(a.trials, other.trials, check_exact=True)
    # a seed drawn for you is recorded and reproduces the run
    d = simulate_power(60, replicates=5, seed=None, hazard="exponential")
    e = simulate_power(60, replicates=5, seed=d.seed, hazard="exponential")
    pd.testing.assert_frame_equal(d.trials, e.trials, check_exact=True)


@pytest.mark.slow
def test_in_process_and_two_worker_local_cluster_give_identical_numbers():
    from distributed import Client

    serial = simulate_power(**KW, backend="serial")
    # a LocalCluster started (and closed) by simulate_power
    dask = simulate_power(**KW, backend="dask", n_jobs=2)
    assert dask.execution.backend == "dask" and dask.execution.workers == 2
    pd.testing.assert_frame_equal(serial.table, dask.table, check_exact=True)
    pd.testing.assert_frame_equal(serial.trials, dask.trials, check_exact=True)
    # and on a client the caller owns (backend "auto" goes to Dask), left open
    with ex.local_cluster(2) as cluster, Client(cluster) as client:
        on_client = simulate_power(**KW, client=client, chunk_size=3)
        assert on_client.execution.backend == "dask" and client.status == "running"
    pd.testing.assert_frame_equal(serial.table, on_client.table, check_exact=True)


# ---------------------------------------------------------------------------------------
# simulated against analytic power
# ---------------------------------------------------------------------------------------


def test_simulated_power_agrees_with_schoenfeld_where_its_assumptions_hold():
    # constant hazards, no competing events: the patients the formula asks for 80% power
    designs = {
        hr: sample_size_survival(hr, control_incidence=0.25, loss_rate=0.003) for hr in (0.5, 0.7)
    }
    for hr, size in designs.items():
        res = simulate_power(
            size.n_control,
            hr,
            hazard="exponential",
            competing_rate=0.0,
            loss_rate=0.003,
            replicates=R,
            seed=7,
            analysis=["logrank", "cox"],
        )
        for row in res.table.itertuples():
            assert row.analytic_power == pytest.approx(0.8, abs=0.01)  # ceil(n) ≥ 80%
            assert abs(row.power - row.analytic_power) <= 3 * mcse(row.analytic_power), row
        # Schoenfeld's events are what the trials observe (Poisson-ish SD √66 ≈ 8 / √R)
        events = res.table["events"].iloc[0]
        assert events == pytest.approx(size.events, abs=3 * 8 / math.sqrt(R) + 1)
    # the Cox estimate is unbiased on the log scale and its interval covers
    cox_row = res.table.set_index("analysis").loc["cox"]
    assert abs(cox_row["bias"]) <= 3 * cox_row["bias_mcse"]
    assert abs(cox_row["coverage"] - 0.95) <= 3 * mcse(0.95)
    # under the null the test keeps its size
    null = simulate_power(128, 1.0, hazard="exponential", replicates=R, seed=8)
    assert null.power <= 0.05 + 3 * mcse(0.05) and null.table["analytic_power"].iloc[0] == 0.05


def test_heavy_competing_events_break_the_formula_that_ignores_them():
    n = sample_size_survival(0.5, control_incidence=0.25, loss_rate=0.003).n_control
    naive = analytic_power(0.5, n, control_incidence=0.25, loss_rate=0.003)  # ≈ 0.80
    res = simulate_power(
        n,
        0.5,
        hazard="exponential",
        competing_rate=0.03,
        loss_rate=0.003,
        replicates=R,
        seed=9,
        analysis=["logrank", "gray"],
    )
    t = res.table.set_index("analysis")
    # 30% a year have a competing event: far fewer reherniations than planned
    assert t.loc["logrank", "competing"] > 100 and t.loc["logrank", "events"] < 50
    for a in ("logrank", "gray"):
        assert t.loc[a, "power"] + 3 * t.loc[a, "power_mcse"] < naive
    # entering the competing hazard into the formula recovers the log-rank power...
    corrected = t.loc["logrank", "analytic_power"]
    assert corrected < naive - 0.1
    assert abs(t.loc["logrank", "power"] - corrected) <= 3 * mcse(corrected)
    # ...but not that of Gray's test, which compares cumulative incidences: not above it
    assert t.loc["gray", "power"] <= corrected + 3 * mcse(corrected)


def test_falling_hazard_of_the_cohort_breaks_the_constant_hazard_formula():
    # the synthetic large-defect population: 25% at 2 years, most of it in the first year
    res = simulate_power(100, 0.5, replicates=R, seed=10)
    row = res.table.iloc[0]
    assert row["control_incidence"] == pytest.approx(0.25, abs=0.01)
    assert row["power"] + 3 * row["power_mcse"] < row["analytic_power"]


# ---------------------------------------------------------------------------------------
# the result
# ---------------------------------------------------------------------------------------


def test_table_repr_and_plot():
    res = simulate_power(
        [40, 80],
        [0.5, 0.7],
        hazard="exponential",
        replicates=30,
        seed=3,
        analysis=["logrank", "gray"],
        sides=1,
    )
    assert isinstance(res, PowerResult)
    t = res.table
    assert len(t) == 8 and list(t["scenario"].unique()) == [0, 1, 2, 3]
    assert {
        "power",
        "power_mcse",
        "analytic_power",
        "estimate",
        "bias",
        "bias_mcse",
        "empirical_se",
        "model_se",
        "coverage",
        "coverage_mcse",
        "events",
        "failed",
    } <= set(t.columns)
    assert np.allclose(t["power_mcse"], np.sqrt(t["power"] * (1 - t["power"]) / 30))
    assert t.loc[t["analysis"] == "gray", "estimate"].isna().all()
    assert isinstance(res.power, pd.Series) and len(res.trials) == 8 * 30
    trials = res.trials
    assert np.allclose(trials["pvalue"], stats.norm.cdf(trials["z"]))
    assert res.varying() == ["n_per_arm", "hr", "analysis"]
    text = repr(res)
    assert text.startswith("Simulated power of the planned analysis")
    assert "one-sided" in text and "seed 3" in text and "Gray's test gives no effect" in text
    assert "<table" in res._repr_html_()
    data = power_curve_data(res)
    assert data.attrs["x"] == "n_per_arm" and len(data) == 8
    assert set(data["line"]) == {
        f"hr {h}, analysis {a}" for h in (0.5, 0.7) for a in ("logrank", "gray")
    }
    first = data[data["line"] == "hr 0.5, analysis logrank"]
    assert first["x"].tolist() == [40, 80]
    assert np.allclose(sorted(data["half_width"]), sorted(1.96 * t["power_mcse"]))
    ax = res.plot()
    assert ax.get_xlabel() == "Patients per arm" and ax.get_ylabel() == "Power"
    assert len(ax.containers) == 4  # four error-bar series
    dashed = [ln for ln in ax.lines if ln.get_linestyle() == "--"]
    assert len(dashed) == 4  # the formula for each line


def test_failed_replicates_count_as_not_rejecting():
    # 3 patients per arm, 2 months of follow-up: most trials see no reherniation
    res = simulate_power(
        3,
        0.5,
        hazard="exponential",
        accrual=0.0,
        followup=2.0,
        replicates=40,
        seed=1,
        analysis=["logrank", "cox"],
    )
    t = res.table.set_index("analysis")
    assert t.loc["logrank", "failed"] > 20 and t.loc["cox", "failed"] >= t.loc["logrank", "failed"]
    assert not res.trials.loc[~res.trials["ok"], "reject"].any()
    assert any("gave no result" in r for r in res.remarks)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"analysis": "wald"}, "analysis must be one of"),
        (
            {"n_per_arm": [100, 1.5]},
            "n_per_arm must be a whole number of patients ≥ 2 (got 1.5)",
        ),
        ({"hr": -1}, "hr must be a hazard ratio > 0"),
        ({"competing_rate": []}, "competing_rate is empty"),
        ({"population": "elderly"}, "population must be 'general' or 'large_defect'"),
        ({"replicates": 0}, "replicates must be a whole number ≥ 1"),
        ({"control_incidence": 1.2}, "control_incidence must be a proportion"),
        ({"backend": "ray"}, "backend must be one of"),
        ({"client": object(), "scheduler": "tcp://x:8786"}, "not both"),
        ({"backend": "serial", "scheduler": "tcp://x:8786"}, "run on Dask"),
        ({"n_jobs": 0}, "n_jobs must be"),
    ],
)
def test_bad_arguments_are_data_errors(kwargs, message):
    with pytest.raises(DataError, match=re.escape(message)):
        simulate_power(**{"n_per_arm": 100, "replicates": 2, **kwargs})


# ---------------------------------------------------------------------------------------
# execution plumbing
# ---------------------------------------------------------------------------------------


def test_auto_backend_and_progress(capsys):
    assert ex.resolve_backend("auto", None, None, 0.5) == "serial"
    assert ex.resolve_backend("auto", None, None, 60.0) in ("processes", "serial")
    assert ex.resolve_backend("auto", object(), None, 0.5) == "dask"
    assert ex.resolve_backend("auto", None, "tcp://x:8786", 0.5) == "dask"
    assert not ex.progress_wanted()  # never under pytest
    seen = []
    res = simulate_power(
        50,
        replicates=10,
        seed=1,
        hazard="exponential",
        chunk_size=3,
        progress=lambda done, total: seen.append((done, total)),
    )
    assert seen == [(3, 10), (6, 10), (9, 10), (10, 10)] and res.execution.backend == "serial"
    simulate_power(50, replicates=10, seed=1, hazard="exponential", progress=True)
    assert "simulating trials" in capsys.readouterr().err  # a tqdm bar, and no warning
